//! Views of personal data (SPEC §7): a use case that puts a customer's name, phone, address or
//! account number into its result calls [`shown`]; the server runs each request in
//! [`recording`] and logs what a successful answer showed.

use std::cell::RefCell;
use std::future::Future;

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
        // Only reachable by running a use case outside a request: a bug, never silent.
        tracing::error!(what, "personal data shown outside the logging layer");
    }
}

/// Runs `f` recording what it shows; its output with the views.
pub async fn recording<T>(f: impl Future<Output = T>) -> (T, Vec<PersonalData>) {
    SHOWN
        .scope(RefCell::new(Vec::new()), async move {
            let out = f.await;
            (out, SHOWN.with(|v| v.take()))
        })
        .await
}

/// Logs what an answer to user `user_id` showed (one entry per view).
pub async fn log(app: &crate::App, user_id: i64, views: Vec<PersonalData>) -> crate::AppResult<()> {
    let views = views
        .into_iter()
        .map(|d| (d.order_id, d.what.to_owned()))
        .collect();
    Ok(app
        .store
        .log_personal_views(user_id, views, app.now_ms())
        .await?)
}
