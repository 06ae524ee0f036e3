//! The callback queue (回访, SPEC §4): orders due for a callback with their attempts and when the
//! next attempt is allowed, dropped calls to call back, and unsatisfied results for supervisors.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rexian_app::{callbacks, contacts};
use serde::Deserialize;

use super::{parse_id, Items};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::AppState;

/// Query of the queues.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct QueueQuery {
    company_id: Option<String>,
    limit: Option<String>,
}

fn scope(me: &CurrentUser, q: &QueueQuery) -> AppResult<(Option<i64>, i64)> {
    let asked = super::opt_id("company_id", q.company_id.as_deref())?;
    let company = match (me.company_id, asked) {
        (Some(mine), Some(a)) if a != mine => return Err(AppError::Forbidden),
        (Some(mine), _) => Some(mine),
        (None, a) => a,
    };
    let limit = match q.limit.as_deref().filter(|s| !s.is_empty()) {
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| AppError::invalid("limit", "limit must be 1–500"))?,
        None => 100,
    };
    Ok((company, limit))
}

/// `GET /api/v1/callbacks/queue`: orders waiting for a callback, appointments first by time,
/// each with its due time, attempts, and whether a call may be made now (window and spacing).
pub async fn queue(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Items<callbacks::CallbackLine>>> {
    let (company, limit) = scope(&me, &q)?;
    let items = callbacks::queue(&app, &me, company, limit).await?;
    Ok(Json(Items { items }))
}

/// `GET /api/v1/callbacks/unsatisfied`: orders whose callback found the customer unsatisfied,
/// for a supervisor's review (`POST /orders/{id}/unsatisfied_review` takes one off the list).
pub async fn unsatisfied(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Items<rexian_app::orders::OrderSummary>>> {
    let (company, limit) = scope(&me, &q)?;
    let items = callbacks::unsatisfied(&app, &me, company, limit).await?;
    Ok(Json(Items { items }))
}

/// Records a contact in the ledger; a dropped call becomes a call-back task (`000:二.3(4)`).
pub async fn create_contact(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<contacts::ContactInput>,
) -> AppResult<(StatusCode, Json<contacts::Created>)> {
    Ok((
        StatusCode::CREATED,
        Json(contacts::record_contact(&app, &me, b).await?),
    ))
}

/// `GET /api/v1/contacts/dropped`: dropped calls not yet called back.
pub async fn dropped(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Items<contacts::DroppedCall>>> {
    let (company, limit) = scope(&me, &q)?;
    let items = contacts::dropped(&app, company, limit).await?;
    Ok(Json(Items { items }))
}

/// `POST /api/v1/contacts/{id}/handled`: the dropped caller was called back.
pub async fn handled(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    contacts::handled(&app, &me, parse_id("id", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/callbacks/rechecks`: open satisfaction re-checks with their questions.
pub async fn rechecks(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Items<callbacks::RecheckLine>>> {
    let (company, limit) = scope(&me, &q)?;
    let items = callbacks::rechecks(&app, &me, company, limit).await?;
    Ok(Json(Items { items }))
}

/// Records a re-check: for repairs the four questions of `001` (attitude, quality,
/// satisfaction, suggestions); for complaints satisfaction and suggestions.
pub async fn finish_recheck(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<contacts::RecheckInput>,
) -> AppResult<StatusCode> {
    contacts::finish_recheck(&app, &me, parse_id("id", &id)?, b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds an outreach event; its report is due the policy's days after it ends (`000:三.7`).
pub async fn create_outreach(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<contacts::OutreachInput>,
) -> AppResult<(StatusCode, Json<contacts::OutreachCreated>)> {
    Ok((
        StatusCode::CREATED,
        Json(contacts::create_outreach(&app, &me, b).await?),
    ))
}

/// `GET /api/v1/outreach`: events with their report state (`overdue` once the due day passed).
pub async fn list_outreach(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Items<contacts::OutreachView>>> {
    let (company, _) = scope(&me, &q)?;
    let items = contacts::outreach(&app, company).await?;
    Ok(Json(Items { items }))
}

/// `POST /api/v1/outreach/{id}/report` body.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    report: String,
}

/// Files an outreach event's report.
pub async fn report_outreach(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReportBody>,
) -> AppResult<StatusCode> {
    contacts::report_outreach(&app, &me, parse_id("id", &id)?, b.report).await?;
    Ok(StatusCode::NO_CONTENT)
}
