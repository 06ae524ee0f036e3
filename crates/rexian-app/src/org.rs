//! The organisation: companies (group administrators), their units, users, A/B partners,
//! heating season and policy override (company administrators of that company).

use chrono::NaiveDate;
use rexian_domain::model::{Role, Utility};
use rexian_domain::policy::{AreaClass, Policy, PolicyError};
use rexian_store::org::{Company, NewCompany, NewUser, Unit, User};
use serde::{Deserialize, Serialize};

use crate::password::{check_password_rule, hash_password};
use crate::ser::{self, Id};
use crate::tenancy::{
    company_policy, may_see_user, new_user_company, require_company_admin, require_group_admin,
    require_user_admin, visible_company,
};
use crate::text::required;
use crate::{Actor, App, AppError, AppResult};

/// The roles of a stored user (unknown names are left out).
pub fn parse_roles(names: &[String]) -> Vec<Role> {
    names.iter().filter_map(|n| n.parse().ok()).collect()
}

/// A heating season.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Season {
    /// First day.
    pub start: String,
    /// Last day.
    pub end: Option<String>,
}

/// A company as shown.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct CompanyView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Name.
    pub name: String,
    /// heat, power, gas, water.
    #[schemars(with = "rexian_domain::model::Utility")]
    pub utility: String,
    /// Policy preset.
    pub policy: String,
    /// Order-number prefix.
    pub number_prefix: String,
    /// Heating season.
    pub season: Option<Season>,
    /// Its time zone (times on its pages).
    #[serde(skip)]
    pub offset: chrono::FixedOffset,
}

impl From<&Company> for CompanyView {
    fn from(c: &Company) -> Self {
        CompanyView {
            id: c.id,
            name: c.name.clone(),
            utility: c.utility.clone(),
            policy: c.policy.clone(),
            number_prefix: c.number_prefix.clone(),
            season: c.season_start.as_ref().map(|s| Season {
                start: s.clone(),
                end: c.season_end.clone(),
            }),
            offset: c.offset(),
        }
    }
}

/// A unit as shown.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct UnitView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// Parent unit.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub parent_id: Option<i64>,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Area class; none: the company policy's.
    pub area: Option<String>,
}

impl From<&Unit> for UnitView {
    fn from(u: &Unit) -> Self {
        UnitView {
            id: u.id,
            company_id: u.company_id,
            parent_id: u.parent_id,
            name: u.name.clone(),
            kind: u.kind.clone(),
            area: u.area.clone(),
        }
    }
}

/// A user as shown (never the hash).
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct UserView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Company.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub company_id: Option<i64>,
    /// Unit.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub unit_id: Option<i64>,
    /// Staff number.
    pub staff_no: Option<String>,
    /// The B of this user's post.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub partner_id: Option<i64>,
    /// Locked out.
    pub disabled: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            login: u.login.clone(),
            name: u.name.clone(),
            roles: parse_roles(&u.roles),
            company_id: u.company_id,
            unit_id: u.unit_id,
            staff_no: u.staff_no.clone(),
            partner_id: u.partner_id,
            disabled: u.disabled,
        }
    }
}

/// What was created.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Created {
    /// Its id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
}

/// A new company.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCompanyInput {
    /// Name.
    pub name: String,
    /// Utility kind.
    #[schemars(with = "rexian_domain::model::Utility")]
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

/// Creates a company (group administrators only).
pub async fn create_company(app: &App, me: &Actor, b: NewCompanyInput) -> AppResult<Created> {
    require_group_admin(me)?;
    let name = required("name", b.name, 100)?;
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
    let id = app
        .store
        .create_company(&c, Some(me.id), app.now_ms())
        .await?;
    Ok(Created { id })
}

/// Every company.
pub async fn companies(app: &App) -> AppResult<Vec<CompanyView>> {
    Ok(app
        .store
        .companies()
        .await?
        .iter()
        .map(Into::into)
        .collect())
}

/// One company.
pub async fn company(app: &App, id: i64) -> AppResult<CompanyView> {
    Ok((&app.store.company(id).await?).into())
}

/// The names of `me`'s company and unit (none when `me` has none, or it cannot be read).
pub async fn placement(app: &App, me: &Actor) -> (Option<String>, Option<String>) {
    let company = match me.company_id {
        Some(c) => app.store.company(c).await.ok().map(|c| c.name),
        None => None,
    };
    let unit = match me.unit_id {
        Some(id) => app.store.unit(id).await.ok().map(|x| x.name),
        None => None,
    };
    (company, unit)
}

/// A heating season as given.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeasonInput {
    /// First day.
    pub start: NaiveDate,
    /// Last day, after the first.
    pub end: NaiveDate,
}

/// A company's season as set.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct SeasonSet {
    /// The company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// The season.
    pub season: Season,
}

/// Sets the heating season of a company.
pub async fn set_season(app: &App, me: &Actor, id: i64, b: SeasonInput) -> AppResult<SeasonSet> {
    require_company_admin(me, id)?;
    if b.end <= b.start {
        return Err(AppError::invalid("end", "end must be after start"));
    }
    let (start, end) = (b.start.to_string(), b.end.to_string());
    app.store
        .set_season(id, &start, &end, Some(me.id), app.now_ms())
        .await?;
    Ok(SeasonSet {
        id,
        season: Season {
            start,
            end: Some(end),
        },
    })
}

/// A new unit.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUnitInput {
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
fn area_class(a: Option<&str>) -> AppResult<Option<AreaClass>> {
    match a.filter(|a| !a.is_empty()) {
        Some(a) => Ok(Some(AreaClass::parse(a).ok_or_else(|| {
            AppError::invalid("area", "area must be urban, rural or remote")
        })?)),
        None => Ok(None),
    }
}

/// Creates a unit under a company (and optionally a parent of the same company).
pub async fn create_unit(app: &App, me: &Actor, b: NewUnitInput) -> AppResult<Created> {
    require_company_admin(me, b.company_id.0)?;
    let name = required("name", b.name, 100)?;
    let kind = required("kind", b.kind, 40)?;
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
    let id = app
        .store
        .create_unit(
            company.id,
            b.parent_id.map(|p| p.0),
            &name,
            &kind,
            area.map(|a| a.as_str()),
            Some(me.id),
            app.now_ms(),
        )
        .await?;
    Ok(Created { id })
}

/// Changes a unit's area class (`None` or empty: the company policy's). Orders dispatched
/// later follow the new class; limits already running keep theirs.
pub async fn change_unit_area(
    app: &App,
    me: &Actor,
    id: i64,
    area: Option<&str>,
) -> AppResult<UnitView> {
    let unit = app.store.unit(id).await?;
    require_company_admin(me, unit.company_id)?;
    let area = area_class(area)?;
    app.store
        .set_unit_area(id, area.map(|a| a.as_str()), Some(me.id), app.now_ms())
        .await?;
    Ok((&app.store.unit(id).await?).into())
}

/// Units, optionally of one company.
pub async fn units(app: &App, company: Option<i64>) -> AppResult<Vec<UnitView>> {
    Ok(app
        .store
        .units(company)
        .await?
        .iter()
        .map(Into::into)
        .collect())
}

/// A new user.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    /// Login name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Password in clear.
    pub password: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Unit.
    pub unit_id: Option<Id>,
    /// Company (taken from the unit when missing).
    pub company_id: Option<Id>,
    /// Staff number.
    pub staff_no: Option<String>,
}

/// Creates a user; a company administrator creates users of their own company only.
pub async fn create_user(app: &App, me: &Actor, u: NewUserInput) -> AppResult<Created> {
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
    let name = required("name", u.name, 100)?;
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
    let unit_id = u.unit_id.map(|i| i.0);
    // A unit names its company: a company administrator may not reach another through it.
    let requested = match (u.company_id.map(|i| i.0), unit_id) {
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
    if let Some(unit) = unit_id {
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
        unit_id,
        staff_no,
    };
    let id = app
        .store
        .create_user(&new, Some(me.id), app.now_ms())
        .await?;
    Ok(Created { id })
}

/// The users `me` may see, optionally of one company.
pub async fn users(app: &App, me: &Actor, company: Option<i64>) -> AppResult<Vec<UserView>> {
    Ok(app
        .store
        .users(visible_company(me, company)?)
        .await?
        .iter()
        .map(Into::into)
        .collect())
}

/// The display names of every user, by id (authors and actors shown on pages).
pub async fn user_names(app: &App) -> AppResult<std::collections::HashMap<i64, String>> {
    Ok(app
        .store
        .users(None)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// One user, when `me` may see them.
pub async fn user(app: &App, me: &Actor, id: i64) -> AppResult<UserView> {
    let u = app.store.user(id).await?;
    if !may_see_user(me, &u) {
        return Err(AppError::NotFound);
    }
    Ok((&u).into())
}

/// Sets (or clears) the A/B partner of a user's post.
pub async fn assign_partner(
    app: &App,
    me: &Actor,
    id: i64,
    partner: Option<i64>,
) -> AppResult<UserView> {
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
    app.store
        .set_partner(id, partner, Some(me.id), app.now_ms())
        .await?;
    Ok((&app.store.user(id).await?).into())
}

/// Disables (revoking every token) or re-enables a user.
pub async fn disable_user(app: &App, me: &Actor, id: i64, disabled: bool) -> AppResult<UserView> {
    let target = app.store.user(id).await?;
    require_user_admin(me, &target)?;
    if id == me.id && disabled {
        return Err(AppError::invalid("disabled", "you cannot disable yourself"));
    }
    app.store
        .set_user_disabled(id, disabled, Some(me.id), app.now_ms())
        .await?;
    Ok((&app.store.user(id).await?).into())
}

/// Sets a user's password (and clears a lockout).
pub async fn set_password(app: &App, me: &Actor, id: i64, password: String) -> AppResult<()> {
    let target = app.store.user(id).await?;
    require_user_admin(me, &target)?;
    check_password_rule(&password).map_err(|m| AppError::invalid("password", m))?;
    let hash = hash_password(password).await?;
    app.store
        .set_password(id, &hash, Some(me.id), app.now_ms())
        .await?;
    Ok(())
}

/// A company's policy: its preset, its override, the effective policy as TOML, and what of a
/// stored override this release leaves out (a setting nothing reads, ...).
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct PolicyView {
    /// Preset name.
    pub preset: String,
    /// The company's override (TOML).
    #[serde(rename = "override")]
    pub policy_override: Option<String>,
    /// Preset plus override, as TOML.
    pub effective: String,
    /// What of the stored override is left out.
    pub ignored: Vec<String>,
}

/// The policy of company `id`.
pub async fn policy(app: &App, id: i64) -> AppResult<PolicyView> {
    let c = app.store.company(id).await?;
    let p = company_policy(&c)?;
    let ignored = match (Policy::preset(&c.policy), c.policy_override.as_deref()) {
        (Some(base), Some(o)) => base
            .with_stored_overrides(o)
            .map(|(_, d)| d)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    Ok(PolicyView {
        preset: c.policy,
        policy_override: c.policy_override,
        effective: p.to_toml(),
        ignored,
    })
}

/// Checks override `text` against the preset of company `id` without saving it (company
/// administrators): the line and reason of what is wrong (blank text clears, which is fine).
pub async fn check_policy(
    app: &App,
    me: &Actor,
    id: i64,
    text: &str,
) -> AppResult<Result<(), PolicyError>> {
    require_company_admin(me, id)?;
    let c = app.store.company(id).await?;
    if text.trim().is_empty() {
        return Ok(Ok(()));
    }
    let base = preset_of(&c)?;
    Ok(base.with_overrides(text).map(|_| ()))
}

fn preset_of(c: &Company) -> AppResult<Policy> {
    Policy::preset(&c.policy).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("company names unknown preset {}", c.policy))
    })
}

/// Sets (or clears, with `None` or blank) a company's override of its preset; a bad override
/// is refused with its line and reason.
pub async fn set_policy(
    app: &App,
    me: &Actor,
    id: i64,
    text: Option<String>,
) -> AppResult<PolicyView> {
    let c = app.store.company(id).await?;
    require_company_admin(me, c.id)?;
    let text = text.filter(|t| !t.trim().is_empty());
    if let Some(t) = &text {
        preset_of(&c)?
            .with_overrides(t)
            .map_err(|e| AppError::invalid("override", e.to_string()))?;
    }
    app.store
        .set_policy_override(c.id, text.as_deref(), Some(me.id), app.now_ms())
        .await?;
    policy(app, id).await
}
