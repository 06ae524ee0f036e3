//! Water extended services (api-v1 "Field services", seed `003`): the service steps on an
//! order and emergency water deliveries on an outage notice ([`rexian_app::water`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rexian_app::orders::OrderView;
use rexian_app::outages::OutageView;
use rexian_app::water::{self, ServiceInput};

use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::parse_json;
use crate::AppState;

fn body(b: &[u8]) -> &[u8] {
    if b.is_empty() {
        b"{}"
    } else {
        b
    }
}

async fn take(
    app: &AppState,
    me: &CurrentUser,
    id: &str,
    input: ServiceInput,
) -> AppResult<Json<OrderView>> {
    let v = water::take(app, me, parse_id("id", id)?, input).await?;
    if v.summary.customer.is_personal() {
        rexian_app::personal::shown("order_step", Some(v.summary.id));
    }
    Ok(Json(v))
}

/// `POST /api/v1/orders/{id}/sample` `{at, point}`.
pub async fn sample(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    b: axum::body::Bytes,
) -> AppResult<Json<OrderView>> {
    take(&app, &me, &id, ServiceInput::Sample(parse_json(body(&b))?)).await
}

/// `POST /api/v1/orders/{id}/lab_result` `{at, passed, report_no}`.
pub async fn lab_result(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    b: axum::body::Bytes,
) -> AppResult<Json<OrderView>> {
    take(
        &app,
        &me,
        &id,
        ServiceInput::LabResult(parse_json(body(&b))?),
    )
    .await
}

/// `POST /api/v1/orders/{id}/reminder` `{kind, signed, note}`.
pub async fn reminder(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    b: axum::body::Bytes,
) -> AppResult<Json<OrderView>> {
    take(
        &app,
        &me,
        &id,
        ServiceInput::Reminder(parse_json(body(&b))?),
    )
    .await
}

/// `POST /api/v1/orders/{id}/leak_result` `{found, result}`.
pub async fn leak_result(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    b: axum::body::Bytes,
) -> AppResult<Json<OrderView>> {
    take(
        &app,
        &me,
        &id,
        ServiceInput::LeakResult(parse_json(body(&b))?),
    )
    .await
}

/// `POST /api/v1/orders/{id}/community_report` `{origin, held_at, report}`.
pub async fn community_report(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    b: axum::body::Bytes,
) -> AppResult<Json<OrderView>> {
    take(
        &app,
        &me,
        &id,
        ServiceInput::Community(parse_json(body(&b))?),
    )
    .await
}

/// `POST /api/v1/outages/{id}/water_deliveries` → 201 the notice with its deliveries.
pub async fn deliver(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    b: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<OutageView>)> {
    let input = parse_json(body(&b))?;
    let v = water::deliver(&app, &me, parse_id("id", &id)?, input).await?;
    Ok((StatusCode::CREATED, Json(v)))
}
