//! The one-time-notification checklist (一次性告知, `004:第三章`, SPEC §3 "Every company"): for
//! the service item (subtype) chosen at intake, the materials, procedure, promised time limit,
//! fees and basis from the company's policy — shown beside the intake form to read out, and as
//! a printable page to hand over.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use rexian_domain::policy::Checklist;
use serde::Deserialize;

use super::common::msgs;
use super::{error_page, render, PageUser};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;
use rexian_app::kb;

/// Checklist routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/intake/checklist", get(fragment))
        .route("/intake/checklist/print", get(print))
}

#[derive(Deserialize)]
struct ChecklistQuery {
    company_id: Option<String>,
    subtype: Option<String>,
}

/// The checklist of a company's subtype, with the company's name and id.
async fn find(
    app: &AppState,
    u: &CurrentUser,
    q: &ChecklistQuery,
) -> AppResult<Option<(String, String, String, Checklist)>> {
    let cid = match u.company_id {
        Some(c) => c,
        None => match q.company_id.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => crate::api::parse_id("company_id", c)?,
            None => return Ok(None),
        },
    };
    let Some(subtype) = q.subtype.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    Ok(kb::subtype_checklist(app, u, cid, subtype).await?.map(|c| {
        (
            c.company_id.to_string(),
            c.company,
            subtype.to_owned(),
            c.checklist,
        )
    }))
}

#[derive(Template)]
#[template(path = "checklist_fragment.html")]
struct Fragment {
    t: Msgs,
    found: Option<(String, String, String, Checklist)>,
}

/// `GET /intake/checklist?company_id=&subtype=`: the checklist panel of the intake (empty when
/// the subtype has none).
async fn fragment(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<ChecklistQuery>,
) -> Response {
    let t = msgs(&headers);
    match find(&app, &u, &q).await {
        Ok(found) => render(&Fragment { t, found }),
        Err(e) => error_page(t, &u, e),
    }
}

#[derive(Template)]
#[template(path = "checklist.html")]
struct PrintPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    company: String,
    c: Checklist,
}

/// `GET /intake/checklist/print?company_id=&subtype=`: the checklist as a page to print.
async fn print(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<ChecklistQuery>,
) -> Response {
    let t = msgs(&headers);
    match find(&app, &u, &q).await {
        Ok(Some((_, company, _, c))) => render(&PrintPage {
            t,
            user: Some(PageUser::of(&u, &t)),
            flash: None,
            company,
            c,
        }),
        Ok(None) => error_page(t, &u, AppError::NotFound),
        Err(e) => error_page(t, &u, e),
    }
}
