//! The knowledge base (知识库) under `/api/v1/kb`: the use cases of [`rexian_app::kb`] as JSON,
//! and the suggestions for what a caller said (the search index).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rexian_app::kb::{self, ActionInput, ArticleInput, ListFilter, VersionInput};
use serde::Deserialize;

use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::parse_json;
use crate::AppState;

pub use super::Items;

/// `GET /api/v1/kb/articles`.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(f): Query<ListFilter>,
) -> AppResult<Json<Items<kb::ArticleLine>>> {
    Ok(Json(Items {
        items: kb::list(&app, &me, &f).await?,
    }))
}

/// `POST /api/v1/kb/articles` → 201 the article (draft).
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<kb::Article>)> {
    let b: ArticleInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let id = kb::create(&app, &me, b).await?;
    Ok((StatusCode::CREATED, Json(kb::article(&app, &me, id).await?)))
}

/// `GET /api/v1/kb/articles/{id}`.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<kb::Article>> {
    let id = parse_id("id", &id)?;
    Ok(Json(kb::article(&app, &me, id).await?))
}

/// `PUT /api/v1/kb/articles/{id}`: a new draft version.
pub async fn update(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<kb::Article>> {
    let id = parse_id("id", &id)?;
    let b: VersionInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    kb::edit(&app, &me, id, b).await?;
    Ok(Json(kb::article(&app, &me, id).await?))
}

/// `POST /api/v1/kb/articles/{id}/{action}` (`submit`, `approve`, `reject`, `retire`).
pub async fn step(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Json<kb::Article>> {
    let id = parse_id("id", &id)?;
    let b: ActionInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    kb::act(&app, &me, id, &action, b.reason).await?;
    Ok(Json(kb::article(&app, &me, id).await?))
}

/// `GET /api/v1/kb/articles/{id}/versions/{version}`: one version (writers; readers only
/// the published one).
pub async fn version(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, version)): Path<(String, String)>,
) -> AppResult<Json<kb::ArticleVersion>> {
    let id = parse_id("id", &id)?;
    let n = parse_id("version", &version)?;
    Ok(Json(kb::version(&app, &me, id, n).await?))
}

/// Query of the suggestions.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct SuggestQuery {
    q: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/kb/suggest?q=&limit=`: articles for what the caller said.
pub async fn suggest(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(p): Query<SuggestQuery>,
) -> AppResult<Json<Items<rexian_app::search::Hit>>> {
    let q =
        p.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AppError::invalid("q", "q is required"))?;
    if q.chars().count() > 200 {
        return Err(AppError::invalid("q", "q is longer than 200 characters"));
    }
    let limit = match p.limit.as_deref().filter(|s| !s.is_empty()) {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=20).contains(n))
            .ok_or_else(|| AppError::invalid("limit", "limit must be 1–20"))?,
        None => 5,
    };
    let items = kb::suggestions(&app, &me, q, limit).await?;
    Ok(Json(Items { items }))
}

/// Query naming a company (admins of no company).
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct CompanyQuery {
    company_id: Option<String>,
}

/// `GET /api/v1/kb/checklists?company_id=`.
pub async fn checklists(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(p): Query<CompanyQuery>,
) -> AppResult<Json<kb::Checklists>> {
    let company = match p.company_id.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(parse_id("company_id", c)?),
        None => None,
    };
    Ok(Json(kb::checklists(&app, &me, company).await?))
}
