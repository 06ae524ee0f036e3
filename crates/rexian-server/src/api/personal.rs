//! The log of personal-data views (SPEC §7): code that puts a customer's name, phone, address
//! or account number into an answer calls [`shown`] (from the use cases); one layer ([`log_views`], on every
//! authorized route) writes the log entries of each successful answer that showed any. Pages
//! that build on the API's functions are logged with them, and an answer whose views cannot be
//! logged is not given (500).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

pub use rexian_app::personal::{shown, PersonalData};

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
    let (res, views) = rexian_app::personal::recording(next.run(req)).await;
    if views.is_empty() || !res.status().is_success() {
        return res;
    }
    let Some(user) = user else {
        return AppError::Internal(anyhow::anyhow!("personal data shown to nobody signed in"))
            .into_response();
    };
    match rexian_app::personal::log(&app, user, views).await {
        Ok(()) => res,
        Err(e) => e.into_response(),
    }
}
