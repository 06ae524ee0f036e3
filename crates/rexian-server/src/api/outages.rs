//! Outage notices under `/api/v1/outages` (api-v1 "Outages and mass incidents"): the use cases
//! of [`rexian_app::outages`] as JSON.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rexian_app::outages::{
    self, Action, ListInput, NewOutage, OutageView, PublicNotice, PublicQuery,
};

use super::kb::Items;
use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::parse_json;
use crate::AppState;

/// `POST /api/v1/outages` → 201 the notice, a draft with its publish deadline.
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<OutageView>)> {
    let b: NewOutage = parse_json(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(outages::create(&app, &me, b).await?),
    ))
}

/// `GET /api/v1/outages?company_id=&status=&address=`.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<ListInput>,
) -> AppResult<Json<Items<OutageView>>> {
    Ok(Json(Items {
        items: outages::list(&app, &me, q).await?,
    }))
}

/// `GET /api/v1/outages/{id}`.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<OutageView>> {
    Ok(Json(outages::get(&app, &me, parse_id("id", &id)?).await?))
}

/// `POST /api/v1/outages/{id}/{publish|update|restore}`.
pub async fn step(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Json<OutageView>> {
    let id = parse_id("id", &id)?;
    let body: &[u8] = if body.is_empty() { b"{}" } else { &body };
    let action = match step.as_str() {
        "publish" => {
            parse_json::<Empty>(body)?;
            Action::Publish
        }
        "update" => Action::Update(parse_json(body)?),
        "restore" => Action::Restore(parse_json(body)?),
        _ => return Err(AppError::NotFound),
    };
    Ok(Json(outages::step(&app, &me, id, action).await?))
}

/// The body of a step that takes nothing.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// The body of an outage step, as the step reads it: nothing (`publish`), the change
/// (`update`) or the restoration (`restore`) (a schema only).
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum StepBody {
    /// `publish`.
    Publish(Empty),
    /// `update`.
    Update(rexian_app::outages::OutageUpdate),
    /// `restore`.
    Restore(rexian_app::outages::Restore),
}

/// The body of an incident step (a schema only).
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum IncidentBody {
    /// `link`.
    Link(LinkBody),
    /// `close`.
    Close(CloseBody),
}

/// Query of the incident board.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
pub struct IncidentQuery {
    company_id: Option<String>,
    open: Option<String>,
}

/// `GET /api/v1/incidents?company_id=&open=`: mass incidents newest first, with their order
/// counts.
pub async fn incidents(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<IncidentQuery>,
) -> AppResult<Json<Items<rexian_app::incidents::IncidentView>>> {
    let company = super::opt_id("company_id", q.company_id.as_deref())?;
    let open = match q.open.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::invalid("open", "open is true or false")),
    };
    Ok(Json(Items {
        items: rexian_app::incidents::list(&app, &me, company, open).await?,
    }))
}

/// `POST /api/v1/incidents/{id}/link` body.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    outage_id: rexian_app::ser::Id,
}

/// `POST /api/v1/incidents/{id}/close` body.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    answer: String,
}

/// `POST /api/v1/incidents/{id}/{link|close}`.
pub async fn incident_step(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Json<IncidentAnswer>> {
    use rexian_app::incidents;
    let id = parse_id("id", &id)?;
    let body: &[u8] = if body.is_empty() { b"{}" } else { &body };
    let v = match step.as_str() {
        "link" => {
            let b: LinkBody = parse_json(body)?;
            IncidentAnswer::Linked(incidents::link(&app, &me, id, b.outage_id.0).await?)
        }
        "close" => {
            let b: CloseBody = parse_json(body)?;
            IncidentAnswer::Closed(incidents::close(&app, &me, id, b.answer).await?)
        }
        _ => return Err(AppError::NotFound),
    };
    Ok(Json(v))
}

/// The answer of an incident step: the incident, or what closing it did.
#[derive(schemars::JsonSchema, Debug, serde::Serialize)]
#[serde(untagged)]
pub enum IncidentAnswer {
    /// Linked: the incident.
    Linked(rexian_app::incidents::IncidentView),
    /// Closed: the incident and the orders answered.
    Closed(rexian_app::incidents::Closed),
}

/// Query of the outage report.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
pub struct ReportQuery {
    company_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/v1/reports/outages?company_id=&from=&to=`: notices received in the period, time
/// to publication, late ones, calls answered with each; and the mass incidents that began in it.
pub async fn report(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<ReportQuery>,
) -> AppResult<Json<outages::Report>> {
    let company = super::opt_id("company_id", q.company_id.as_deref())?;
    let r = outages::report(&app, &me, company, q.from.as_deref(), q.to.as_deref()).await?;
    Ok(Json(r))
}

/// `GET /api/v1/public/outages?company_id=&address=` (no login): the published, unrestored
/// notices covering the address, nothing internal.
pub async fn public(
    State(app): State<AppState>,
    Query(q): Query<PublicQuery>,
) -> AppResult<Json<Items<PublicNotice>>> {
    Ok(Json(Items {
        items: outages::public(&app, q).await?,
    }))
}
