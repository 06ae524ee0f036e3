//! Shift handovers and the duty log (api-v1 "Shifts, handover, duty log, A/B roles"): the use
//! cases of [`rexian_app::shifts`] as JSON.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rexian_app::shifts::{self, Accept, EntryView, HandoverView, NewEntry, NewHandover};

use super::kb::Items;
use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::parse_json;
use crate::AppState;

/// `POST /api/v1/handovers` → 201 the handover with every item the incoming shift takes over.
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<HandoverView>)> {
    let b: NewHandover = parse_json(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(shifts::create(&app, &me, b).await?),
    ))
}

/// `GET /api/v1/handovers/{id}`.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<HandoverView>> {
    Ok(Json(shifts::get(&app, &me, parse_id("id", &id)?).await?))
}

/// `POST /api/v1/handovers/{id}/accept`: every item acknowledged.
pub async fn accept(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<HandoverView>> {
    let id = parse_id("id", &id)?;
    let b: Accept = parse_json(&body)?;
    Ok(Json(shifts::accept(&app, &me, id, b).await?))
}

/// `POST /api/v1/duty_log` → 201 the line.
pub async fn log(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<EntryView>)> {
    let b: NewEntry = parse_json(&body)?;
    Ok((StatusCode::CREATED, Json(shifts::log(&app, &me, b).await?)))
}

/// Query of the duty log.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
pub struct DayQuery {
    company_id: Option<String>,
    date: Option<String>,
}

/// `GET /api/v1/duty_log?company_id=&date=`: a local day's lines, oldest first.
pub async fn day(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<DayQuery>,
) -> AppResult<Json<Items<EntryView>>> {
    let company = super::opt_id("company_id", q.company_id.as_deref())?;
    Ok(Json(Items {
        items: shifts::day(&app, &me, company, q.date.as_deref()).await?,
    }))
}

/// `GET /api/v1/handovers?company_id=&date=`: newest first; with `date`, those of that day.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<DayQuery>,
) -> AppResult<Json<Items<HandoverView>>> {
    let company = super::opt_id("company_id", q.company_id.as_deref())?;
    Ok(Json(Items {
        items: shifts::list(&app, &me, company, q.date.as_deref()).await?,
    }))
}
