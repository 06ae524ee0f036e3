//! `GET /api/v1/search`: the use case [`rexian_app::search`] as JSON.

use axum::extract::{Query, State};
use axum::{Extension, Json};
use rexian_app::search;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::AppState;

/// Query of the search call.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    /// One kind of result (empty: every kind).
    #[schemars(extend("enum" = ["", "order", "customer", "contact", "article", "outage"]))]
    kind: Option<String>,
    limit: Option<String>,
}

/// Searches what the caller may see; results carry `kind, id, title, snippet`, best first.
pub async fn search(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(p): Query<SearchQuery>,
) -> AppResult<Json<super::Items<search::Hit>>> {
    let p = search::Query::parse(p.q.as_deref(), p.kind.as_deref(), p.limit.as_deref())?;
    let items = search::run(&app, &me, &p.q, &p.kinds, p.limit, false).await?;
    Ok(Json(super::Items { items }))
}
