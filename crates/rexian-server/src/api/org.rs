//! Companies, units and users: the use cases of [`rexian_app::org`] as JSON.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rexian_app::org::{
    self, CompanyView, Created, NewCompanyInput, NewUnitInput, NewUserInput, PolicyView,
    SeasonInput, SeasonSet, UnitView, UserView,
};
use serde::Deserialize;

use super::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::AppState;

pub use super::Items;

/// Creates a company.
pub async fn create_company(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<NewCompanyInput>,
) -> AppResult<(StatusCode, Json<Created>)> {
    Ok((
        StatusCode::CREATED,
        Json(org::create_company(&app, &me, b).await?),
    ))
}

/// Every company.
pub async fn list_companies(State(app): State<AppState>) -> AppResult<Json<Items<CompanyView>>> {
    Ok(Json(Items {
        items: org::companies(&app).await?,
    }))
}

/// One company.
pub async fn get_company(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<CompanyView>> {
    Ok(Json(org::company(&app, parse_id("id", &id)?).await?))
}

/// Sets the heating season of a company.
pub async fn set_season(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SeasonInput>,
) -> AppResult<Json<SeasonSet>> {
    Ok(Json(
        org::set_season(&app, &me, parse_id("id", &id)?, b).await?,
    ))
}

/// `PUT /api/v1/units/{id}/area` body.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[schemars(extend("required" = ["area"]))]
pub struct AreaBody {
    /// Area class (urban, rural, remote); null: the company policy's. Required (null is a
    /// value here, a missing key is not).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>", extend("enum" = ["urban", "rural", "remote", "", null]))]
    pub area: Option<Option<String>>,
}

/// A key that is present, whatever its value (null included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Sets a unit's area class.
pub async fn set_unit_area(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AreaBody>,
) -> AppResult<Json<UnitView>> {
    let id = parse_id("id", &id)?;
    let area = b
        .area
        .ok_or_else(|| AppError::invalid("area", "area is required (null: the company's)"))?;
    Ok(Json(
        org::change_unit_area(&app, &me, id, area.as_deref()).await?,
    ))
}

/// Creates a unit.
pub async fn create_unit(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<NewUnitInput>,
) -> AppResult<(StatusCode, Json<Created>)> {
    Ok((
        StatusCode::CREATED,
        Json(org::create_unit(&app, &me, b).await?),
    ))
}

/// Filter of the list calls.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct CompanyFilter {
    company_id: Option<String>,
}

impl CompanyFilter {
    fn id(&self) -> AppResult<Option<i64>> {
        self.company_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| parse_id("company_id", s))
            .transpose()
    }
}

/// Units, optionally of one company.
pub async fn list_units(
    State(app): State<AppState>,
    Query(f): Query<CompanyFilter>,
) -> AppResult<Json<Items<UnitView>>> {
    Ok(Json(Items {
        items: org::units(&app, f.id()?).await?,
    }))
}

/// Creates a user.
pub async fn create_user(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<NewUserInput>,
) -> AppResult<(StatusCode, Json<Created>)> {
    Ok((
        StatusCode::CREATED,
        Json(org::create_user(&app, &me, b).await?),
    ))
}

/// Users, optionally of one company.
pub async fn list_users(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(f): Query<CompanyFilter>,
) -> AppResult<Json<Items<UserView>>> {
    Ok(Json(Items {
        items: org::users(&app, &me, f.id()?).await?,
    }))
}

/// One user.
pub async fn get_user(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<UserView>> {
    Ok(Json(org::user(&app, &me, parse_id("id", &id)?).await?))
}

/// `PUT /api/v1/users/{id}/partner` body.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerBody {
    partner_id: Option<Id>,
}

/// Sets (or clears) the A/B partner of a user's post.
pub async fn set_partner(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PartnerBody>,
) -> AppResult<Json<UserView>> {
    let id = parse_id("id", &id)?;
    Ok(Json(
        org::assign_partner(&app, &me, id, b.partner_id.map(|p| p.0)).await?,
    ))
}

/// `PUT /api/v1/users/{id}/disabled` body.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisabledBody {
    disabled: bool,
}

/// Disables (locks out, revoking every token) or re-enables a user.
pub async fn set_disabled(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DisabledBody>,
) -> AppResult<Json<UserView>> {
    let id = parse_id("id", &id)?;
    Ok(Json(org::disable_user(&app, &me, id, b.disabled).await?))
}

/// `PUT /api/v1/users/{id}/password` body.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    password: String,
}

/// Sets a user's password (and clears a lockout).
pub async fn set_password(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PasswordBody>,
) -> AppResult<StatusCode> {
    org::set_password(&app, &me, parse_id("id", &id)?, b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The effective policy of a company (preset plus override) as TOML, with the override.
pub async fn get_policy(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<PolicyView>> {
    Ok(Json(org::policy(&app, parse_id("id", &id)?).await?))
}

/// `PUT /api/v1/companies/{id}/policy` body: a partial policy TOML overriding the preset.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[schemars(extend("required" = ["override"]))]
pub struct PolicyBody {
    /// The override; null clears it. Required: an empty body must not clear a company's policy.
    #[serde(rename = "override", default, deserialize_with = "present")]
    #[schemars(with = "Option<String>")]
    policy_override: Option<Option<String>>,
}

/// Sets (or clears) a company's override of its preset; a bad override is refused with its
/// line and reason.
pub async fn set_policy(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PolicyBody>,
) -> AppResult<Json<PolicyView>> {
    let id = parse_id("id", &id)?;
    let text = b
        .policy_override
        .ok_or_else(|| AppError::invalid("override", "override is required (null clears it)"))?;
    Ok(Json(org::set_policy(&app, &me, id, text).await?))
}
