//! Away periods of the A/B roles (api-v1 "Shifts, handover, duty log, A/B roles"): the use
//! cases of [`rexian_app::away`] as JSON.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rexian_app::away::{self, AwayView, NewAway};

use super::kb::Items;
use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::parse_json;
use crate::AppState;

/// `POST /api/v1/users/{id}/away` → 201 the period (`partner_away` 409 unless forced).
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<AwayView>)> {
    let id = parse_id("id", &id)?;
    let b: NewAway = parse_json(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(away::create(&app, &me, id, b).await?),
    ))
}

/// `GET /api/v1/users/{id}/away`: the user's periods, newest first, with their moves.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Items<AwayView>>> {
    let id = parse_id("id", &id)?;
    Ok(Json(Items {
        items: away::list(&app, &me, id).await?,
    }))
}

/// `POST /api/v1/users/{id}/away/{aid}/end`: back early; the work comes back.
pub async fn end(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, aid)): Path<(String, String)>,
) -> AppResult<Json<AwayView>> {
    let (id, aid) = (parse_id("id", &id)?, parse_id("aid", &aid)?);
    Ok(Json(away::end(&app, &me, id, aid).await?))
}

/// Query of the company's periods.
#[derive(schemars::JsonSchema, Debug, serde::Deserialize)]
pub struct RangeQuery {
    company_id: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

/// `GET /api/v1/away?company_id=&from=&until=`: the company's periods overlapping the range
/// (default the next 7 days), flagged when A and B of a post are away at once.
pub async fn of_company(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<RangeQuery>,
) -> AppResult<Json<Items<AwayView>>> {
    let company = super::opt_id("company_id", q.company_id.as_deref())?;
    let items = away::of_company(&app, &me, company, q.from.as_deref(), q.until.as_deref()).await?;
    Ok(Json(Items { items }))
}
