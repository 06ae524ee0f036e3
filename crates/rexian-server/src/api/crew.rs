//! The crew on its way and visit appointments (api-v1 "Field services"; `001`, `000:一.4`):
//! `POST /api/v1/orders/{id}/crew` and `POST /api/v1/orders/{id}/appointment`, each answering
//! the order after it.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use rexian_app::steps::{self, AppointmentInput, CrewInput, StepDone};

use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::parse_json;
use crate::AppState;

/// `POST /api/v1/orders/{id}/crew` `{state, eta?, at?, note?}`: the state the field worker
/// reports; `409 invalid_transition` naming `state` when it does not follow the present one.
pub async fn crew(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<StepDone>> {
    let b: CrewInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let done = steps::crew(&app, &me, parse_id("id", &id)?, b).await?;
    done.shown();
    Ok(Json(done))
}

/// `POST /api/v1/orders/{id}/appointment` `{for_time, note?}`: books the visit (again: the
/// next visit); the arrive limit counts to it.
pub async fn appointment(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<StepDone>> {
    let b: AppointmentInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let done = steps::appointment(&app, &me, parse_id("id", &id)?, b).await?;
    done.shown();
    Ok(Json(done))
}
