//! The log of personal-data views (SPEC §7): code that puts a customer's name, phone, address
//! or account number into an answer calls [`shown`]; one layer ([`log_views`], on every
//! authorized route) writes the log entries of each successful answer that showed any. Pages
//! that build on the API's functions are logged with them, and an answer whose views cannot be
//! logged is not given (500).

use std::cell::RefCell;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::AppError;
use crate::AppState;

/// One kind of personal data an answer shows, of one order or of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalData {
    /// What was shown (`order_detail`, `callback_queue`, …): the log's `what`.
    pub what: &'static str,
    /// The order, when the answer is about one.
    pub order_id: Option<i64>,
}

tokio::task_local! {
    /// What the request being answered has shown so far.
    static SHOWN: RefCell<Vec<PersonalData>>;
}

/// Records that the answer being built shows personal data (logged once per answer and kind).
pub fn shown(what: &'static str, order_id: Option<i64>) {
    let d = PersonalData { what, order_id };
    let recorded = SHOWN.try_with(|v| {
        let mut v = v.borrow_mut();
        if !v.contains(&d) {
            v.push(d.clone());
        }
    });
    if recorded.is_err() {
        // Only reachable by calling a handler around the router: a bug, never silent.
        tracing::error!(what, "personal data shown outside the logging layer");
    }
}

/// Whether an order's customer block (as a user sees it) shows any personal data: a name,
/// phone, address or account number.
pub fn in_customer(c: &Value) -> bool {
    ["name", "phone", "address", "account_no"]
        .iter()
        .any(|k| c[*k].as_str().is_some_and(|s| !s.is_empty()))
}

/// The layer: runs the request with an empty record and logs what a successful answer showed.
pub async fn log_views(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let user = req.extensions().get::<CurrentUser>().map(|u| u.id);
    let (res, views) = SHOWN
        .scope(RefCell::new(Vec::new()), async move {
            let res = next.run(req).await;
            (res, SHOWN.with(|v| v.take()))
        })
        .await;
    if views.is_empty() || !res.status().is_success() {
        return res;
    }
    let Some(user) = user else {
        return AppError::Internal(anyhow::anyhow!("personal data shown to nobody signed in"))
            .into_response();
    };
    let views = views
        .into_iter()
        .map(|d| (d.order_id, d.what.to_owned()))
        .collect();
    match app
        .store
        .log_personal_views(user, views, ms(app.clock.now()))
        .await
    {
        Ok(()) => res,
        Err(e) => AppError::from(e).into_response(),
    }
}
