//! The roster and the current shift (api-v1 "Shifts, handover, duty log, A/B roles"): the use
//! cases of [`rexian_app::roster`] as JSON.

use axum::extract::{Query, State};
use axum::{Extension, Json};
use rexian_app::roster::{self, Changed, EventView, MonthView, PutRoster, SlotView};

use super::kb::Items;
use super::opt_id;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::parse_json;
use crate::AppState;

/// `PUT /api/v1/roster` `{company_id, entries: [{date, shift, user_id}], dates?}`: each date
/// named becomes exactly its entries.
pub async fn put(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    body: axum::body::Bytes,
) -> AppResult<Json<Changed>> {
    let b: PutRoster = parse_json(&body)?;
    Ok(Json(roster::put(&app, &me, b).await?))
}

/// Query of the month view.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
pub struct MonthQuery {
    company_id: Option<String>,
    month: Option<String>,
}

/// `GET /api/v1/roster?company_id=&month=YYYY-MM`.
pub async fn month(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<MonthQuery>,
) -> AppResult<Json<MonthView>> {
    let company = opt_id("company_id", q.company_id.as_deref())?;
    Ok(Json(
        roster::month(&app, &me, company, q.month.as_deref()).await?,
    ))
}

/// Query naming a company.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
pub struct CompanyQuery {
    company_id: Option<String>,
}

/// `GET /api/v1/shifts/current?company_id=`: the shift now and who is on it.
pub async fn current(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<CompanyQuery>,
) -> AppResult<Json<SlotView>> {
    let company = opt_id("company_id", q.company_id.as_deref())?;
    Ok(Json(roster::current(&app, &me, company).await?))
}

/// `POST /api/v1/roster/import?company_id=` with an .xlsx body.
pub async fn import(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<CompanyQuery>,
    body: axum::body::Bytes,
) -> AppResult<Json<Changed>> {
    let company = opt_id("company_id", q.company_id.as_deref())?;
    Ok(Json(roster::import(&app, &me, company, &body).await?))
}

/// Query of a date's history.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
pub struct HistoryQuery {
    company_id: Option<String>,
    date: Option<String>,
}

/// `GET /api/v1/roster/history?company_id=&date=`: the changes of a date's roster.
pub async fn history(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<HistoryQuery>,
) -> AppResult<Json<Items<EventView>>> {
    let company = opt_id("company_id", q.company_id.as_deref())?;
    let date = q.date.unwrap_or_default();
    Ok(Json(Items {
        items: roster::history(&app, &me, company, &date).await?,
    }))
}
