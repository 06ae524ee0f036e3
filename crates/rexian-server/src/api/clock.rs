//! The manual test clock (`serve --clock manual` only).

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::AppState;

/// `PUT /api/v1/admin/clock` body.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetBody {
    now: DateTime<Utc>,
}

/// `POST /api/v1/admin/clock/advance` body.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceBody {
    seconds: i64,
}

/// The clock after a change.
#[derive(schemars::JsonSchema, Debug, Serialize)]
pub struct ClockView {
    /// The test clock's time now.
    pub now: DateTime<Utc>,
    /// How many due timers ran.
    pub applied: u64,
}

/// Sets the clock, then runs every timer that fell due.
pub async fn set(
    State(app): State<AppState>,
    axum::Extension(me): axum::Extension<crate::auth::CurrentUser>,
    ApiJson(b): ApiJson<SetBody>,
) -> AppResult<Json<ClockView>> {
    // One clock for every company: a group administrator's call.
    crate::tenancy::require_group_admin(&me)?;
    if !app.clock.set(b.now) {
        return Err(AppError::Forbidden);
    }
    let applied = app.run_timers().await.map_err(AppError::Internal)?;
    Ok(Json(ClockView {
        now: app.clock.now(),
        applied,
    }))
}

/// Moves the clock forward, then runs every timer that fell due.
pub async fn advance(
    State(app): State<AppState>,
    axum::Extension(me): axum::Extension<crate::auth::CurrentUser>,
    ApiJson(b): ApiJson<AdvanceBody>,
) -> AppResult<Json<ClockView>> {
    crate::tenancy::require_group_admin(&me)?;
    if !(0..=10 * 365 * 86_400).contains(&b.seconds) {
        return Err(AppError::invalid(
            "seconds",
            "seconds must be between 0 and ten years",
        ));
    }
    let next = app.clock.now() + chrono::Duration::seconds(b.seconds);
    if !app.clock.set(next) {
        return Err(AppError::Forbidden);
    }
    let applied = app.run_timers().await.map_err(AppError::Internal)?;
    Ok(Json(ClockView {
        now: app.clock.now(),
        applied,
    }))
}
