//! Complaint matters (事项): the use cases are `rexian_app::matters`; intake still reaches
//! them here.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use rexian_app::matters::{self, MatterView};

use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::AppState;

/// `GET /api/v1/matters/{id}`: the matter's orders.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<MatterView>> {
    Ok(Json(matters::get(&app, &me, parse_id("id", &id)?).await?))
}
