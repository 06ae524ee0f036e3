//! Temperature readings of an order (api-v1 "Field services"): the use case of
//! [`rexian_app::measurements`] as JSON.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use rexian_app::measurements::{self, MeasurementInput};
use rexian_app::orders::OrderView;

use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::parse_json;
use crate::AppState;

/// `POST /api/v1/orders/{id}/measurements` → the order with its readings.
pub async fn record(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<OrderView>> {
    let b: MeasurementInput = parse_json(&body)?;
    let id = parse_id("id", &id)?;
    let view = measurements::record(&app, &me, id, b).await?;
    if view.summary.customer.is_personal() {
        rexian_app::personal::shown("order_step", Some(id));
    }
    Ok(Json(view))
}
