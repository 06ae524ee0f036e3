//! The customer register (热用户/客户档案) and monthly satisfaction surveys (`000:三.2`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rexian_app::customers;
use rexian_domain::identity::Claim;
use serde::Deserialize;

use super::org::Items;
use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::AppState;

/// Adds one customer to the register.
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<customers::CustomerInput>,
) -> AppResult<(StatusCode, Json<customers::Created>)> {
    Ok((
        StatusCode::CREATED,
        Json(customers::create(&app, &me, b).await?),
    ))
}

/// Query of the register.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct FindQuery {
    company_id: Option<String>,
    q: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/customers?q=`: by phone or account (prefix), name or address text.
pub async fn find(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<FindQuery>,
) -> AppResult<Json<Items<customers::CustomerView>>> {
    let company = match q.company_id.as_deref().filter(|s| !s.is_empty()) {
        Some(s) if me.company_id.is_none() => Some(parse_id("company_id", s)?),
        _ => None,
    };
    let limit = q
        .limit
        .as_deref()
        .and_then(|l| l.parse::<i64>().ok())
        .filter(|n| (1..=500).contains(n))
        .unwrap_or(50);
    let items = customers::find(&app, &me, company, &q.q.unwrap_or_default(), limit).await?;
    Ok(Json(Items { items }))
}

/// `GET /api/v1/customers/{id}`: the customer; the account number and their orders (account
/// information) only once this agent verified the caller's identity in the last 30 minutes
/// (`002:§14(1)`); until then `orders` is null and `account_no` masked.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<customers::CustomerDetail>> {
    Ok(Json(
        customers::detail(&app, &me, parse_id("id", &id)?).await?,
    ))
}

/// `POST /api/v1/customers/{id}/verify` body: what the caller says about themselves.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    name: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    id_number: Option<String>,
}

/// Checks the caller's identity against the register: two matching fields and no wrong one.
/// Every attempt is recorded.
pub async fn verify(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VerifyBody>,
) -> AppResult<Json<customers::Verification>> {
    let claim = Claim {
        name: b.name,
        phone: b.phone,
        address: b.address,
        id_number: b.id_number,
    };
    let verdict = customers::verify(&app, &me, parse_id("id", &id)?, &claim).await?;
    Ok(Json(verdict.into()))
}

/// Draws a month's survey sample from the register and stores it.
pub async fn create_survey(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<customers::SurveyInput>,
) -> AppResult<(StatusCode, Json<customers::SurveyCreated>)> {
    Ok((
        StatusCode::CREATED,
        Json(customers::create_survey(&app, &me, b).await?),
    ))
}

/// `GET /api/v1/surveys/{id}`: the sample, its spread over communities, and the results.
pub async fn get_survey(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<customers::SurveyView>> {
    Ok(Json(
        customers::survey(&app, &me, parse_id("id", &id)?).await?,
    ))
}

/// Records a sampled household's answer.
pub async fn answer(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<customers::AnswerInput>,
) -> AppResult<StatusCode> {
    customers::answer(&app, &me, parse_id("id", &id)?, b).await?;
    Ok(StatusCode::NO_CONTENT)
}
