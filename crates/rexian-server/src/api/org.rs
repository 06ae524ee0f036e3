//! Companies, units and users.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::NaiveDate;
use rexian_domain::model::{Role, Utility};
use rexian_domain::policy::Policy;
use rexian_store::org::{Company, NewCompany, NewUser, Unit, User};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{parse_id, Id};
use crate::auth::{check_password_rule, hash_password, parse_roles, CurrentUser};
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::tenancy::{
    may_see_user, new_user_company, require_company_admin, require_group_admin, require_user_admin,
    visible_company,
};
use crate::AppState;

/// Company as the API shows it.
pub fn company_json(c: &Company) -> Value {
    json!({
        "id": c.id.to_string(), "name": c.name, "utility": c.utility, "policy": c.policy,
        "number_prefix": c.number_prefix,
        "season": c.season_start.as_ref().map(|s| json!({"start": s, "end": c.season_end})),
    })
}

/// Unit as the API shows it.
pub fn unit_json(u: &Unit) -> Value {
    json!({
        "id": u.id.to_string(), "company_id": u.company_id.to_string(),
        "parent_id": u.parent_id.map(|v| v.to_string()), "name": u.name, "kind": u.kind,
        "area": u.area,
    })
}

/// User as the API shows it (never the hash).
pub fn user_json(u: &User) -> Value {
    json!({
        "id": u.id.to_string(), "login": u.login, "name": u.name, "roles": parse_roles(&u.roles),
        "company_id": u.company_id.map(|v| v.to_string()), "unit_id": u.unit_id.map(|v| v.to_string()),
        "staff_no": u.staff_no, "partner_id": u.partner_id.map(|v| v.to_string()),
        "disabled": u.disabled,
    })
}

fn required_text(field: &str, v: &str, max: usize) -> AppResult<String> {
    let t = v.trim();
    if t.is_empty() {
        return Err(AppError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// `POST /api/v1/companies` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCompanyBody {
    /// Name.
    pub name: String,
    /// Utility kind.
    pub utility: String,
    /// Policy preset (defaults to the utility's).
    pub policy: Option<String>,
    /// Order-number prefix.
    pub number_prefix: Option<String>,
}

/// Default order-number prefix of a utility (pinyin initials).
fn default_prefix(u: Utility) -> &'static str {
    match u {
        Utility::Heat => "GR",
        Utility::Power => "GD",
        Utility::Gas => "RQ",
        Utility::Water => "GS",
    }
}

/// Validates and creates a company (group administrators only); shared by the API and the
/// admin screen.
pub async fn insert_company(app: &AppState, me: &CurrentUser, b: NewCompanyBody) -> AppResult<i64> {
    require_group_admin(me)?;
    let name = required_text("name", &b.name, 100)?;
    let utility: Utility = b
        .utility
        .parse()
        .map_err(|_| AppError::invalid("utility", "utility must be heat, power, gas or water"))?;
    let policy = b
        .policy
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| utility.as_str().to_owned());
    if Policy::preset(&policy).is_none() {
        return Err(AppError::invalid(
            "policy",
            format!("no policy preset named {policy:?}"),
        ));
    }
    let prefix = match b.number_prefix.filter(|p| !p.is_empty()) {
        Some(p) if p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()) => p,
        Some(_) => {
            return Err(AppError::invalid(
                "number_prefix",
                "number_prefix must be 1–8 letters or digits",
            ))
        }
        None => default_prefix(utility).to_owned(),
    };
    let c = NewCompany {
        name,
        utility: utility.as_str().to_owned(),
        policy,
        number_prefix: prefix,
    };
    Ok(app
        .store
        .create_company(&c, Some(me.id), ms(app.clock.now()))
        .await?)
}

/// Creates a company.
pub async fn create_company(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<NewCompanyBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let id = insert_company(&app, &me, b).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id.to_string()}))))
}

/// Every company.
pub async fn list_companies(State(app): State<AppState>) -> AppResult<Json<Value>> {
    let cs = app.store.companies().await?;
    Ok(Json(
        json!({"items": cs.iter().map(company_json).collect::<Vec<_>>()}),
    ))
}

/// One company.
pub async fn get_company(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let c = app.store.company(parse_id("id", &id)?).await?;
    Ok(Json(company_json(&c)))
}

/// `PUT /api/v1/companies/{id}/season` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeasonBody {
    start: NaiveDate,
    end: NaiveDate,
}

/// Sets the heating season of a company.
pub async fn set_season(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SeasonBody>,
) -> AppResult<Json<Value>> {
    let id = parse_id("id", &id)?;
    require_company_admin(&me, id)?;
    if b.end <= b.start {
        return Err(AppError::invalid("end", "end must be after start"));
    }
    let (start, end) = (b.start.to_string(), b.end.to_string());
    app.store
        .set_season(id, &start, &end, Some(me.id), ms(app.clock.now()))
        .await?;
    Ok(Json(
        json!({"id": id.to_string(), "season": {"start": start, "end": end}}),
    ))
}

/// `POST /api/v1/units` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUnitBody {
    /// Company.
    pub company_id: Id,
    /// Parent unit.
    pub parent_id: Option<Id>,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Area class (urban, rural, remote); none: the company policy's.
    #[serde(default)]
    pub area: Option<String>,
}

/// An area class as given (empty or none: the company policy's).
fn area_class(a: Option<&str>) -> AppResult<Option<rexian_domain::policy::AreaClass>> {
    match a.filter(|a| !a.is_empty()) {
        Some(a) => Ok(Some(
            rexian_domain::policy::AreaClass::parse(a)
                .ok_or_else(|| AppError::invalid("area", "area must be urban, rural or remote"))?,
        )),
        None => Ok(None),
    }
}

/// `PUT /api/v1/units/{id}/area` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaBody {
    /// Area class (urban, rural, remote); null: the company policy's. Required (null is a
    /// value here, a missing key is not).
    #[serde(default, deserialize_with = "present")]
    pub area: Option<Option<String>>,
}

/// A key that is present, whatever its value (null included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Checks and changes a unit's area class; shared by the API and the admin screen. Orders
/// dispatched later follow the new class; limits already running keep theirs.
pub async fn change_unit_area(
    app: &AppState,
    me: &CurrentUser,
    id: i64,
    area: Option<&str>,
) -> AppResult<Unit> {
    let unit = app.store.unit(id).await?;
    require_company_admin(me, unit.company_id)?;
    let area = area_class(area)?;
    app.store
        .set_unit_area(
            id,
            area.map(|a| a.as_str()),
            Some(me.id),
            ms(app.clock.now()),
        )
        .await?;
    Ok(app.store.unit(id).await?)
}

/// Sets a unit's area class.
pub async fn set_unit_area(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AreaBody>,
) -> AppResult<Json<Value>> {
    let id = parse_id("id", &id)?;
    let area = b
        .area
        .ok_or_else(|| AppError::invalid("area", "area is required (null: the company's)"))?;
    let u = change_unit_area(&app, &me, id, area.as_deref()).await?;
    Ok(Json(unit_json(&u)))
}

/// Validates and creates a unit under a company (and optionally a parent of the same company).
pub async fn insert_unit(app: &AppState, me: &CurrentUser, b: NewUnitBody) -> AppResult<i64> {
    require_company_admin(me, b.company_id.0)?;
    let name = required_text("name", &b.name, 100)?;
    let kind = required_text("kind", &b.kind, 40)?;
    let area = area_class(b.area.as_deref())?;
    let company = app
        .store
        .company(b.company_id.0)
        .await
        .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?;
    if let Some(p) = b.parent_id {
        let parent = app
            .store
            .unit(p.0)
            .await
            .map_err(|_| AppError::invalid("parent_id", "parent_id names no unit"))?;
        if parent.company_id != company.id {
            return Err(AppError::invalid(
                "parent_id",
                "parent unit belongs to another company",
            ));
        }
    }
    Ok(app
        .store
        .create_unit(
            company.id,
            b.parent_id.map(|p| p.0),
            &name,
            &kind,
            area.map(|a| a.as_str()),
            Some(me.id),
            ms(app.clock.now()),
        )
        .await?)
}

/// Creates a unit.
pub async fn create_unit(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<NewUnitBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let id = insert_unit(&app, &me, b).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id.to_string()}))))
}

/// Filter of the list calls.
#[derive(Debug, Deserialize)]
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
) -> AppResult<Json<Value>> {
    let us = app.store.units(f.id()?).await?;
    Ok(Json(
        json!({"items": us.iter().map(unit_json).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/v1/users` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    login: String,
    name: String,
    password: String,
    roles: Vec<String>,
    unit_id: Option<Id>,
    company_id: Option<Id>,
    staff_no: Option<String>,
}

/// Validated fields of a new user, shared by the API and the admin screen.
pub struct UserInput {
    /// Login name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Password in clear.
    pub password: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Unit.
    pub unit_id: Option<i64>,
    /// Company (taken from the unit when missing).
    pub company_id: Option<i64>,
    /// Staff number.
    pub staff_no: Option<String>,
}

/// Validates and creates a user; a company administrator creates users of their own company
/// only.
pub async fn insert_user(app: &AppState, me: &CurrentUser, u: UserInput) -> AppResult<i64> {
    let login = u.login.trim().to_owned();
    if !(2..=64).contains(&login.len())
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(AppError::invalid(
            "login",
            "login must be 2–64 letters, digits, '.', '_' or '-'",
        ));
    }
    let name = required_text("name", &u.name, 100)?;
    check_password_rule(&u.password).map_err(|m| AppError::invalid("password", m))?;
    if u.roles.is_empty() {
        return Err(AppError::invalid("roles", "give at least one role"));
    }
    let mut roles = Vec::new();
    for r in &u.roles {
        let role: Role = r
            .parse()
            .map_err(|_| AppError::invalid("roles", format!("unknown role {r:?}")))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    // A unit names its company: a company administrator may not reach another through it.
    let requested = match (u.company_id, u.unit_id) {
        (Some(c), _) => Some(c),
        (None, Some(unit)) => Some(
            app.store
                .unit(unit)
                .await
                .map_err(|_| AppError::invalid("unit_id", "unit_id names no unit"))?
                .company_id,
        ),
        (None, None) => None,
    };
    let mut company_id = new_user_company(me, requested)?;
    if let Some(c) = company_id {
        app.store
            .company(c)
            .await
            .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?;
    }
    if let Some(unit) = u.unit_id {
        let unit = app
            .store
            .unit(unit)
            .await
            .map_err(|_| AppError::invalid("unit_id", "unit_id names no unit"))?;
        if company_id.is_some_and(|c| c != unit.company_id) {
            return Err(AppError::invalid(
                "unit_id",
                "unit belongs to another company",
            ));
        }
        company_id = Some(unit.company_id);
    } else if roles
        .iter()
        .any(|r| matches!(r, Role::UnitHandler | Role::FieldWorker))
    {
        return Err(AppError::invalid(
            "unit_id",
            "unit handlers and field workers need a unit",
        ));
    }
    let staff_no = u
        .staff_no
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let hash = hash_password(u.password).await?;
    let new = NewUser {
        login,
        name,
        password_hash: hash,
        roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
        company_id,
        unit_id: u.unit_id,
        staff_no,
    };
    Ok(app
        .store
        .create_user(&new, Some(me.id), ms(app.clock.now()))
        .await?)
}

/// Creates a user.
pub async fn create_user(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<NewUserBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let input = UserInput {
        login: b.login,
        name: b.name,
        password: b.password,
        roles: b.roles,
        unit_id: b.unit_id.map(|i| i.0),
        company_id: b.company_id.map(|i| i.0),
        staff_no: b.staff_no,
    };
    let id = insert_user(&app, &me, input).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id.to_string()}))))
}

/// Users, optionally of one company.
pub async fn list_users(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(f): Query<CompanyFilter>,
) -> AppResult<Json<Value>> {
    let us = app.store.users(visible_company(&me, f.id()?)?).await?;
    Ok(Json(
        json!({"items": us.iter().map(user_json).collect::<Vec<_>>()}),
    ))
}

/// One user.
pub async fn get_user(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let u = app.store.user(parse_id("id", &id)?).await?;
    if !may_see_user(&me, &u) {
        return Err(AppError::NotFound);
    }
    Ok(Json(user_json(&u)))
}

/// `PUT /api/v1/users/{id}/partner` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerBody {
    partner_id: Option<Id>,
}

/// Validates and sets (or clears) the A/B partner of a user's post.
pub async fn assign_partner(
    app: &AppState,
    me: &CurrentUser,
    id: i64,
    partner: Option<i64>,
) -> AppResult<()> {
    let user = app.store.user(id).await?;
    require_user_admin(me, &user)?;
    if let Some(p) = partner {
        if p == id {
            return Err(AppError::invalid(
                "partner_id",
                "a user cannot be their own B",
            ));
        }
        let partner = app
            .store
            .user(p)
            .await
            .map_err(|_| AppError::invalid("partner_id", "partner_id names no user"))?;
        if partner.company_id != user.company_id {
            return Err(AppError::invalid(
                "partner_id",
                "partner works for another company",
            ));
        }
    }
    Ok(app
        .store
        .set_partner(id, partner, Some(me.id), ms(app.clock.now()))
        .await?)
}

/// Sets (or clears) the A/B partner of a user's post.
pub async fn set_partner(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PartnerBody>,
) -> AppResult<Json<Value>> {
    let id = parse_id("id", &id)?;
    assign_partner(&app, &me, id, b.partner_id.map(|p| p.0)).await?;
    Ok(Json(user_json(&app.store.user(id).await?)))
}

/// `PUT /api/v1/users/{id}/disabled` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisabledBody {
    disabled: bool,
}

/// Checks and disables (revoking every token) or re-enables a user; shared by the API and the
/// admin screen.
pub async fn disable_user(
    app: &AppState,
    me: &CurrentUser,
    id: i64,
    disabled: bool,
) -> AppResult<()> {
    let target = app.store.user(id).await?;
    require_user_admin(me, &target)?;
    if id == me.id && disabled {
        return Err(AppError::invalid("disabled", "you cannot disable yourself"));
    }
    Ok(app
        .store
        .set_user_disabled(id, disabled, Some(me.id), ms(app.clock.now()))
        .await?)
}

/// Disables (locks out, revoking every token) or re-enables a user.
pub async fn set_disabled(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DisabledBody>,
) -> AppResult<Json<Value>> {
    let id = parse_id("id", &id)?;
    disable_user(&app, &me, id, b.disabled).await?;
    Ok(Json(user_json(&app.store.user(id).await?)))
}

/// `PUT /api/v1/users/{id}/password` body.
#[derive(Debug, Deserialize)]
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
    let id = parse_id("id", &id)?;
    let target = app.store.user(id).await?;
    require_user_admin(&me, &target)?;
    check_password_rule(&b.password).map_err(|m| AppError::invalid("password", m))?;
    let hash = hash_password(b.password).await?;
    app.store
        .set_password(id, &hash, Some(me.id), ms(app.clock.now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The effective policy of a company (preset plus override) as TOML, with the override.
pub async fn get_policy(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let c = app.store.company(parse_id("id", &id)?).await?;
    let p = crate::api::orders::company_policy(&c)?;
    // What of a stored override this release leaves out (a setting nothing reads, ...).
    let ignored = match (Policy::preset(&c.policy), c.policy_override.as_deref()) {
        (Some(base), Some(o)) => base
            .with_stored_overrides(o)
            .map(|(_, d)| d)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    Ok(Json(
        json!({"preset": c.policy, "override": c.policy_override, "effective": p.to_toml(),
            "ignored": ignored}),
    ))
}

/// `PUT /api/v1/companies/{id}/policy` body: a partial policy TOML overriding the preset.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    #[serde(rename = "override")]
    policy_override: Option<String>,
}

/// Sets (or clears) a company's override of its preset; a bad override is refused with its
/// line and reason.
pub async fn set_policy(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PolicyBody>,
) -> AppResult<Json<Value>> {
    let c = app.store.company(parse_id("id", &id)?).await?;
    require_company_admin(&me, c.id)?;
    let text = b.policy_override.filter(|t| !t.trim().is_empty());
    if let Some(t) = &text {
        let base = Policy::preset(&c.policy).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("company names unknown preset {}", c.policy))
        })?;
        base.with_overrides(t)
            .map_err(|e| AppError::invalid("override", e.to_string()))?;
    }
    app.store
        .set_policy_override(c.id, text.as_deref(), Some(me.id), ms(app.clock.now()))
        .await?;
    get_policy(State(app), Path(id)).await
}
