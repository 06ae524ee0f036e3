//! Hall checks (api-v1 "Shifts, handover, duty log, A/B roles"): the use cases of
//! [`rexian_app::halls`] as JSON.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rexian_app::halls::{self, ItemDetail, ItemView, NewCheck, NewItem, Retire};

use super::kb::Items;
use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::parse_json;
use crate::AppState;

/// `POST /api/v1/halls/items` → 201 the item.
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<ItemDetail>)> {
    let b: NewItem = parse_json(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(halls::create(&app, &me, b).await?),
    ))
}

/// Query of the list.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
pub struct ListQuery {
    company_id: Option<String>,
    overdue: Option<String>,
}

/// `GET /api/v1/halls/items?company_id=&overdue=true`: live items by due date.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Items<ItemView>>> {
    let company = super::opt_id("company_id", q.company_id.as_deref())?;
    let overdue = match q.overdue.as_deref().unwrap_or("") {
        "" | "false" | "0" => false,
        "true" | "1" => true,
        _ => return Err(AppError::invalid("overdue", "overdue is true or false")),
    };
    Ok(Json(Items {
        items: halls::list(&app, &me, company, overdue).await?,
    }))
}

/// `GET /api/v1/halls/items/{id}`: the item with its checks, newest first.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<ItemDetail>> {
    Ok(Json(halls::get(&app, &me, parse_id("id", &id)?).await?))
}

/// `POST /api/v1/halls/items/{id}/checks` → 201 the item with its checks.
pub async fn check(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<ItemDetail>)> {
    let id = parse_id("id", &id)?;
    let b: NewCheck = parse_json(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(halls::check(&app, &me, id, b).await?),
    ))
}

/// `POST /api/v1/halls/items/{id}/retire`: kept, no longer due.
pub async fn retire(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<ItemDetail>> {
    let id = parse_id("id", &id)?;
    let b: Retire = parse_json(&body)?;
    Ok(Json(halls::retire(&app, &me, id, b).await?))
}
