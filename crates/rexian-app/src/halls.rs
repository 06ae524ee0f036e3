//! Hall checks (`004` 营业厅 第三十九条–第四十六条): the items of each hall (a unit of kind
//! `hall`) with a period and a due date, a record of every check (who, when, what was found),
//! and the overdue ones for the supervisor. Items are retired, never deleted.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rexian_domain::hall::{self, HallError};
use rexian_domain::model::Role;
use rexian_store::halls::{HallCheck, HallItem};
use rexian_store::org::Company;
use serde::{Deserialize, Serialize};

use crate::clock::from_ms;
use crate::ser::{self, Id};
use crate::tenancy::{chosen_company, company_for};
use crate::{text, Actor, App, AppError, AppResult};

/// The unit kind of a hall.
pub const HALL_KIND: &str = "hall";
/// Items of one list at the most.
const MAX_ITEMS: i64 = 500;
/// Checks shown with an item at the most.
const MAX_CHECKS: i64 = 100;

/// Who sees the items and records checks: the centre's staff and the hall's handlers.
pub fn may_check(me: &Actor) -> bool {
    [
        Role::Agent,
        Role::Dispatcher,
        Role::UnitHandler,
        Role::Supervisor,
        Role::Admin,
    ]
    .iter()
    .any(|r| me.has(*r))
}

/// Who adds and retires items.
pub fn may_manage(me: &Actor) -> bool {
    me.has(Role::Supervisor) || me.has(Role::Admin)
}

/// `POST /halls/items`.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// The hall (a unit of kind `hall`).
    pub unit_id: Id,
    /// What is checked.
    pub name: String,
    /// Days between checks.
    pub period_days: i64,
    /// First due date (`YYYY-MM-DD`); default today plus the period.
    pub due_on: Option<String>,
}

/// `POST /halls/items/{id}/checks`.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCheck {
    /// In order.
    pub ok: bool,
    /// What was found (required when not in order).
    pub found: Option<String>,
    /// Next due date when it is an expiry date (`YYYY-MM-DD`); default the check day plus the
    /// period.
    pub next_due_on: Option<String>,
}

/// `POST /halls/items/{id}/retire`.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retire {
    /// Why it is no longer checked.
    pub reason: String,
}

/// An item as shown.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct ItemView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// The hall.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub unit_id: i64,
    /// The hall's name.
    pub unit_name: String,
    /// What is checked.
    pub name: String,
    /// Days between checks.
    pub period_days: i64,
    /// Next check due on.
    pub due_on: String,
    /// Past its due date (the company's local day).
    pub overdue: bool,
    /// Last checked.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub last_checked_at: Option<i64>,
    /// Whether the last check found it in order.
    pub last_ok: Option<bool>,
    /// Retired.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub retired_at: Option<i64>,
}

/// A check as shown.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct CheckView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Who.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub checked_by: i64,
    /// Their name.
    pub checked_by_name: String,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub checked_at: i64,
    /// In order.
    pub ok: bool,
    /// What was found.
    pub found: String,
    /// The due date it set.
    pub next_due_on: String,
}

/// An item with its checks, newest first.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct ItemDetail {
    /// The item.
    #[serde(flatten)]
    pub item: ItemView,
    /// Its checks.
    pub checks: Vec<CheckView>,
}

/// The company's local day at `ms`.
fn today(c: &Company, ms: i64) -> NaiveDate {
    from_ms(ms).with_timezone(&c.offset()).date_naive()
}

fn date(field: &str, v: Option<String>) -> AppResult<Option<NaiveDate>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::invalid(field, format!("{field} is YYYY-MM-DD"))),
    }
}

fn refused(field: &str, e: HallError) -> AppError {
    match e {
        HallError::Period => AppError::invalid(
            field,
            format!("period_days is 1 to {}", hall::MAX_PERIOD_DAYS),
        ),
        HallError::DueBeforeCheck => {
            AppError::invalid(field, "next_due_on is before the check day")
        }
    }
}

async fn unit_names(app: &App, company: i64) -> AppResult<BTreeMap<i64, String>> {
    Ok(app
        .store
        .units(Some(company))
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

fn view(i: HallItem, units: &BTreeMap<i64, String>, today: NaiveDate) -> ItemView {
    let overdue = i.retired_at.is_none()
        && i.due_on
            .parse::<NaiveDate>()
            .is_ok_and(|d| hall::overdue(d, today));
    ItemView {
        id: i.id,
        company_id: i.company_id,
        unit_id: i.unit_id,
        unit_name: units.get(&i.unit_id).cloned().unwrap_or_default(),
        name: i.name,
        period_days: i.period_days,
        due_on: i.due_on,
        overdue,
        last_checked_at: i.last_checked_at,
        last_ok: i.last_ok,
        retired_at: i.retired_at,
    }
}

/// Adds an item to a hall.
pub async fn create(app: &App, me: &Actor, b: NewItem) -> AppResult<ItemDetail> {
    if !may_manage(me) {
        return Err(AppError::Forbidden);
    }
    let unit = app
        .store
        .unit(b.unit_id.0)
        .await
        .map_err(|_| AppError::invalid("unit_id", "unit_id names no unit"))?;
    let company = company_for(app, me, "unit_id", unit.company_id).await?;
    if unit.kind != HALL_KIND {
        return Err(AppError::invalid(
            "unit_id",
            format!("unit_id names a {}, not a hall", unit.kind),
        ));
    }
    let name = text::required("name", b.name, 100)?;
    let now = app.now_ms();
    let given = date("due_on", b.due_on)?;
    let due = hall::first_due(today(&company, now), b.period_days, given)
        .map_err(|e| refused("period_days", e))?;
    let mut item = HallItem {
        id: 0,
        company_id: company.id,
        unit_id: unit.id,
        name,
        period_days: b.period_days,
        due_on: due.to_string(),
        last_checked_at: None,
        last_ok: None,
        created_by: me.id,
        created_at: now,
        retired_at: None,
    };
    item.id = app.store.create_hall_item(&item).await?;
    let units = BTreeMap::from([(unit.id, unit.name)]);
    Ok(ItemDetail {
        item: view(item, &units, today(&company, now)),
        checks: Vec::new(),
    })
}

/// An item `me` may see, with its company.
async fn visible(app: &App, me: &Actor, id: i64) -> AppResult<(HallItem, Company)> {
    if !may_check(me) {
        return Err(AppError::Forbidden);
    }
    let i = match app.store.hall_item(id).await {
        Err(rexian_store::StoreError::NotFound) => return Err(AppError::NotFound),
        r => r?,
    };
    if me.company_id.is_some_and(|c| c != i.company_id) {
        return Err(AppError::NotFound);
    }
    let company = app.store.company(i.company_id).await?;
    Ok((i, company))
}

/// One item with its checks.
pub async fn get(app: &App, me: &Actor, id: i64) -> AppResult<ItemDetail> {
    let (i, company) = visible(app, me, id).await?;
    let units = unit_names(app, company.id).await?;
    let rows = app.store.hall_checks(i.id, MAX_CHECKS).await?;
    let names = crate::shifts::user_names(app, rows.iter().map(|c| c.checked_by)).await?;
    let checks = rows
        .into_iter()
        .map(|c| CheckView {
            id: c.id,
            checked_by: c.checked_by,
            checked_by_name: names.get(&c.checked_by).cloned().unwrap_or_default(),
            checked_at: c.checked_at,
            ok: c.ok,
            found: c.found,
            next_due_on: c.next_due_on,
        })
        .collect();
    Ok(ItemDetail {
        item: view(i, &units, today(&company, app.now_ms())),
        checks,
    })
}

/// Records a check: who, now, what was found; the item is next due the check day plus its
/// period, or on the expiry date given.
pub async fn check(app: &App, me: &Actor, id: i64, b: NewCheck) -> AppResult<ItemDetail> {
    let (i, company) = visible(app, me, id).await?;
    if i.retired_at.is_some() {
        return Err(AppError::InvalidTransition("this item is retired".into()));
    }
    let found = text::clean("found", b.found, 1000)?;
    if !b.ok && found.is_none() {
        return Err(AppError::invalid(
            "found",
            "say what was found when it is not in order",
        ));
    }
    let explicit = date("next_due_on", b.next_due_on)?;
    let now = app.now_ms();
    let next = hall::next_due(today(&company, now), i.period_days, explicit)
        .map_err(|e| refused("next_due_on", e))?;
    let c = HallCheck {
        id: 0,
        item_id: i.id,
        checked_by: me.id,
        checked_at: now,
        ok: b.ok,
        found: found.unwrap_or_default(),
        next_due_on: next.to_string(),
    };
    app.store.add_hall_check(&c).await.map_err(|e| match e {
        rexian_store::StoreError::Conflict(_) => {
            AppError::InvalidTransition("this item is retired".into())
        }
        e => e.into(),
    })?;
    get(app, me, id).await
}

/// Retires an item: kept with its checks, no longer due.
pub async fn retire(app: &App, me: &Actor, id: i64, b: Retire) -> AppResult<ItemDetail> {
    if !may_manage(me) {
        return Err(AppError::Forbidden);
    }
    let (i, _) = visible(app, me, id).await?;
    let reason = text::required("reason", b.reason, 500)?;
    app.store
        .retire_hall_item(i.id, me.id, app.now_ms(), &reason)
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => {
                AppError::InvalidTransition("this item is retired already".into())
            }
            e => e.into(),
        })?;
    get(app, me, id).await
}

/// The live items of a company (the caller's own; group staff name one), by due date; with
/// `overdue`, only those past their due date.
pub async fn list(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    overdue: bool,
) -> AppResult<Vec<ItemView>> {
    if !may_check(me) {
        return Err(AppError::Forbidden);
    }
    let company = chosen_company(app, me, "company_id", company).await?;
    items_of(app, &company, overdue).await
}

async fn items_of(app: &App, company: &Company, overdue: bool) -> AppResult<Vec<ItemView>> {
    let day = today(company, app.now_ms());
    let before = overdue.then(|| day.to_string());
    let units = unit_names(app, company.id).await?;
    Ok(app
        .store
        .hall_items(Some(company.id), before.as_deref(), MAX_ITEMS)
        .await?
        .into_iter()
        .map(|i| view(i, &units, day))
        .collect())
}

/// The overdue items the supervisor's screen lists: of the caller's company, or of every
/// company for group staff.
pub async fn overdue(app: &App, me: &Actor) -> AppResult<Vec<ItemView>> {
    if !may_check(me) {
        return Err(AppError::Forbidden);
    }
    let companies = match me.company_id {
        Some(c) => vec![app.store.company(c).await?],
        None => app.store.companies().await?,
    };
    let mut out = Vec::new();
    for c in &companies {
        out.extend(items_of(app, c, true).await?);
    }
    Ok(out)
}

/// The halls screen of a company: its halls, its live items (overdue first, then by due
/// date), and the companies to choose from.
pub struct Board {
    /// The company shown.
    pub company_id: i64,
    /// Its name.
    pub company_name: String,
    /// `(id, name)` of its halls.
    pub halls: Vec<(i64, String)>,
    /// Its live items.
    pub items: Vec<ItemView>,
    /// `(id, name)` of the companies to choose from (one for company staff).
    pub companies: Vec<(i64, String)>,
    /// Its local day.
    pub today: String,
}

/// The halls screen of `company` (the user's own, or one group staff chose; the first one by
/// default).
pub async fn board(app: &App, me: &Actor, company: Option<i64>) -> AppResult<Board> {
    if !may_check(me) {
        return Err(AppError::Forbidden);
    }
    let all = app.store.companies().await?;
    let company = match (me.company_id, company) {
        (None, None) => match all.first() {
            Some(c) => c.clone(),
            None => return Err(AppError::invalid("company_id", "no company yet")),
        },
        (_, asked) => chosen_company(app, me, "company_id", asked).await?,
    };
    let mut items = items_of(app, &company, false).await?;
    // Overdue first; within each, by due date (the store's order).
    items.sort_by_key(|i| !i.overdue);
    let halls = app
        .store
        .units(Some(company.id))
        .await?
        .into_iter()
        .filter(|u| u.kind == HALL_KIND)
        .map(|u| (u.id, u.name))
        .collect();
    let companies = all
        .into_iter()
        .filter(|c| me.company_id.is_none_or(|own| own == c.id))
        .map(|c| (c.id, c.name))
        .collect();
    Ok(Board {
        company_id: company.id,
        company_name: company.name.clone(),
        halls,
        items,
        companies,
        today: today(&company, app.now_ms()).to_string(),
    })
}
