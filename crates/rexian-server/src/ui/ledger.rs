//! The assessment ledger (考核台账) and month-end closing (月底结算) screens, SPEC §5: a month's
//! entries with the statement per person and unit and its exports, manual entries and reversals
//! with a reason, and closing a month. Every write goes through the API's own calls.

use std::collections::{BTreeMap, HashMap, HashSet};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use chrono::{Datelike, Months};
use rexian_app::assessment;
use rexian_domain::model::Role;
use serde::Deserialize;

use super::common::{field, local_time, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::api::orders::{company_policy, offset_of};
use crate::api::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;
use rexian_store::org::Company;

/// Ledger and month-end routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ledger", get(ledger))
        .route("/ledger/entries", post(add_entry))
        .route("/ledger/entries/{id}/reverse", post(reverse_entry))
        .route("/month_end", get(month_end_page).post(month_end_run))
}

/// The company the screens work on: the user's own, else (an admin of several) the first.
async fn company_of(app: &AppState, u: &CurrentUser) -> AppResult<Company> {
    let id = match u.company_id {
        Some(c) => c,
        None => app
            .store
            .companies()
            .await?
            .first()
            .map(|c| c.id)
            .ok_or(AppError::NotFound)?,
    };
    Ok(app.store.company(id).await?)
}

/// `YYYY-MM` of the company's today, moved by `back` months.
fn month_of_today(app: &AppState, c: &Company, back: u32) -> String {
    let today = app.clock.now().with_timezone(&offset_of(c)).date_naive();
    let first = today.with_day(1).unwrap_or(today);
    let m = first.checked_sub_months(Months::new(back)).unwrap_or(first);
    format!("{:04}-{:02}", m.year(), m.month())
}

/// A month from a query or form, checked (`YYYY-MM`).
fn month_param(v: Option<&str>, default: String) -> AppResult<String> {
    match v.filter(|m| !m.is_empty()) {
        None => Ok(default),
        Some(m) => chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .ok()
            .filter(|_| m.len() == 7)
            .map(|_| m.to_owned())
            .ok_or_else(|| AppError::invalid("month", "month must be YYYY-MM")),
    }
}

/// Amounts as the ledger shows them (no trailing `.0`).
fn amount(v: f64) -> String {
    if v == 0.0 {
        String::new()
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A statement total: zero is shown.
fn total(v: f64) -> String {
    match amount(v) {
        s if s.is_empty() => "0".into(),
        s => s,
    }
}

/// One entry of the month.
pub struct EntryLine {
    id: String,
    kind: String,
    subject: String,
    rule: String,
    points: String,
    yuan: String,
    order_id: String,
    order_number: String,
    reason: String,
    reversal_of: String,
    reversed: bool,
    by: String,
    at: String,
    negative: bool,
}

/// One line of the statement: a person's or unit's totals.
pub struct StatementLine {
    kind: String,
    subject: String,
    points: String,
    yuan: String,
    count: usize,
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    company_id: String,
    company: String,
    month: String,
    entries: Vec<EntryLine>,
    statement: Vec<StatementLine>,
    can_write: bool,
    subjects: Vec<(String, String)>,
    rules: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct LedgerQuery {
    month: Option<String>,
    done: Option<String>,
}

async fn ledger(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<LedgerQuery>,
) -> Response {
    let t = msgs(&headers);
    let flash = match q.done.as_deref() {
        Some("entry") => Some(t.get("ledger.added")),
        Some("reverse") => Some(t.get("ledger.reversed")),
        _ => None,
    };
    match build_ledger(&app, t, &u, q.month.as_deref(), flash).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

fn may_write(u: &CurrentUser) -> bool {
    u.has(Role::Assessor) || u.has(Role::Admin)
}

async fn build_ledger(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    month: Option<&str>,
    flash: Option<String>,
) -> AppResult<LedgerPage> {
    let company = company_of(app, u).await?;
    let month = month_param(month, month_of_today(app, &company, 0))?;
    let offset = offset_of(&company);
    let entries = app.store.entries(company.id, &month).await?;
    let units: HashMap<i64, String> = app
        .store
        .units(Some(company.id))
        .await?
        .into_iter()
        .map(|x| (x.id, x.name))
        .collect();
    let users = app.store.users(Some(company.id)).await?;
    let user_names: HashMap<i64, String> = users.iter().map(|x| (x.id, x.name.clone())).collect();
    let name = |kind: &str, id: i64| {
        let n = if kind == "unit" {
            units.get(&id)
        } else {
            user_names.get(&id)
        };
        n.cloned().unwrap_or_else(|| id.to_string())
    };
    let kind_label = |k: &str| t.get(&format!("ledger.kind_{k}"));
    let reversed: HashSet<i64> = entries.iter().filter_map(|e| e.reversal_of).collect();
    let mut numbers: HashMap<i64, String> = HashMap::new();
    let mut lines = Vec::new();
    let mut totals: BTreeMap<(String, i64), (f64, f64, usize)> = BTreeMap::new();
    for e in &entries {
        let order_number = match e.order_id {
            Some(o) => match numbers.get(&o) {
                Some(n) => n.clone(),
                None => {
                    let n = app
                        .store
                        .order(o)
                        .await
                        .map(|x| x.number)
                        .unwrap_or_default();
                    numbers.insert(o, n.clone());
                    n
                }
            },
            None => String::new(),
        };
        let tot = totals
            .entry((e.subject_kind.clone(), e.subject_id))
            .or_default();
        tot.0 += e.points;
        tot.1 += e.yuan;
        tot.2 += 1;
        lines.push(EntryLine {
            id: e.id.to_string(),
            kind: kind_label(&e.subject_kind),
            subject: name(&e.subject_kind, e.subject_id),
            rule: e.rule_code.clone().unwrap_or_default(),
            points: amount(e.points),
            yuan: amount(e.yuan),
            order_id: e.order_id.map(|o| o.to_string()).unwrap_or_default(),
            order_number,
            reason: e.reason.clone(),
            reversal_of: e.reversal_of.map(|r| r.to_string()).unwrap_or_default(),
            reversed: reversed.contains(&e.id),
            by: e
                .created_by
                .and_then(|b| user_names.get(&b).cloned())
                .unwrap_or_else(|| t.get("event.system")),
            at: local_time(e.created_at, offset),
            negative: e.points < 0.0 || e.yuan < 0.0,
        });
    }
    let statement = totals
        .iter()
        .map(|((k, id), (p, y, n))| StatementLine {
            kind: kind_label(k),
            subject: name(k, *id),
            points: total(*p),
            yuan: total(*y),
            count: *n,
        })
        .collect();
    let mut subjects: Vec<(String, String)> = units
        .iter()
        .map(|(id, n)| {
            (
                format!("unit:{id}"),
                format!("{} · {n}", kind_label("unit")),
            )
        })
        .collect();
    subjects.sort();
    let mut people: Vec<(String, String)> = users
        .iter()
        .filter(|x| !x.disabled)
        .map(|x| {
            (
                format!("user:{}", x.id),
                format!("{} · {} ({})", kind_label("user"), x.name, x.login),
            )
        })
        .collect();
    people.sort();
    subjects.extend(people);
    let rules = company_policy(&company)?
        .assessment
        .iter()
        .map(|r| (r.code.clone(), format!("{} · {}", r.code, r.description)))
        .collect();
    Ok(LedgerPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash,
        csrf: u.csrf.clone().unwrap_or_default(),
        company_id: company.id.to_string(),
        company: company.name,
        month,
        entries: lines,
        statement,
        can_write: may_write(u),
        subjects,
        rules,
    })
}

/// A manual entry from the form: subject `unit:ID` or `user:ID`, points and/or 元 (a deduction
/// is negative), an optional rule, a reason.
async fn add_entry(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let r: AppResult<String> = async {
        let company = company_of(&app, &u).await?;
        let month = month_param(Some(field(&f, "month")), month_of_today(&app, &company, 0))?;
        let (kind, id) = field(&f, "subject")
            .split_once(':')
            .ok_or_else(|| AppError::invalid("subject", "choose a person or unit"))?;
        let number = |k: &str| -> AppResult<f64> {
            match field(&f, k).trim() {
                "" => Ok(0.0),
                v => v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| AppError::invalid(k, format!("{k} must be a number"))),
            }
        };
        let rule = field(&f, "rule_code");
        let input = assessment::EntryInput {
            company_id: Id(company.id),
            month: month.clone(),
            subject_kind: kind.to_owned(),
            subject_id: Id(parse_id("subject", id)?),
            points: number("points")?,
            yuan: number("yuan")?,
            rule_code: (!rule.is_empty()).then(|| rule.to_owned()),
            order_id: None,
            reason: field(&f, "reason").to_owned(),
        };
        assessment::add_entry(&app, &u, input).await?;
        Ok(month)
    }
    .await;
    match r {
        Ok(month) => Redirect::to(&format!("/ledger?month={month}&done=entry")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

async fn reverse_entry(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let r: AppResult<String> = async {
        let id = parse_id("id", &id)?;
        let entry = app.store.entry(id).await?;
        assessment::reverse(&app, &u, id, field(&f, "reason").to_owned()).await?;
        Ok(entry.month)
    }
    .await;
    match r {
        Ok(month) => Redirect::to(&format!("/ledger?month={month}&done=reverse")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

/// An order still open at the month's end.
pub struct OpenLine {
    id: String,
    number: String,
    status: String,
    now: String,
    unit: String,
    supervision: String,
}

/// What a closing found and entered.
pub struct ClosingView {
    month: String,
    by: String,
    at: String,
    orders: Vec<OpenLine>,
    entries: usize,
}

/// A closed month in the list.
pub struct ClosedMonth {
    month: String,
    open_orders: i64,
    at: String,
}

#[derive(Template)]
#[template(path = "month_end.html")]
struct MonthEndPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    company: String,
    month: String,
    closing: Option<ClosingView>,
    closed: Vec<ClosedMonth>,
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
    done: Option<String>,
}

async fn month_end_page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<MonthQuery>,
) -> Response {
    let t = msgs(&headers);
    let flash = q.done.is_some().then(|| t.get("monthend.done"));
    match build_month_end(&app, t, &u, q.month.as_deref(), flash).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

/// The closing screen: the month asked for (by default last month), its closing when it is
/// closed (the orders open at its end, now and then, and the entries it made), every closed
/// month.
async fn build_month_end(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    month: Option<&str>,
    flash: Option<String>,
) -> AppResult<MonthEndPage> {
    let company = company_of(app, u).await?;
    let month = month_param(month, month_of_today(app, &company, 1))?;
    let offset = offset_of(&company);
    let closing = match app.store.closing(company.id, &month).await? {
        None => None,
        Some((c, orders)) => {
            let units: HashMap<i64, String> = app
                .store
                .units(Some(company.id))
                .await?
                .into_iter()
                .map(|x| (x.id, x.name))
                .collect();
            let mut lines = Vec::new();
            for o in orders {
                let now = app.store.order(o.order_id).await?.status;
                // The highest supervision (督办) level the order reached.
                let level = app
                    .store
                    .supervision_notices(o.order_id)
                    .await?
                    .iter()
                    .map(|(level, _, _)| *level)
                    .max();
                let supervision = match level {
                    Some(l) => format!("{}{l}{}", t.get("sup.level_pre"), t.get("sup.level_post")),
                    None => String::new(),
                };
                lines.push(OpenLine {
                    id: o.order_id.to_string(),
                    number: o.number,
                    status: t.get(&format!("status.{}", o.status)),
                    now: t.get(&format!("status.{now}")),
                    unit: o
                        .unit_id
                        .and_then(|x| units.get(&x).cloned())
                        .unwrap_or_else(|| t.get("report.no_unit")),
                    supervision,
                });
            }
            let prefix = format!("month_end:{month}:");
            let entries = app
                .store
                .entries(company.id, &month)
                .await?
                .iter()
                .filter(|e| {
                    e.source_key
                        .as_deref()
                        .is_some_and(|k| k.starts_with(&prefix))
                })
                .count();
            let by = match c.closed_by {
                Some(id) => app.store.user(id).await.map(|x| x.name).unwrap_or_default(),
                None => String::new(),
            };
            Some(ClosingView {
                month: c.month,
                by,
                at: local_time(c.closed_at, offset),
                orders: lines,
                entries,
            })
        }
    };
    let closed = app
        .store
        .closings(company.id)
        .await?
        .into_iter()
        .map(|c| ClosedMonth {
            month: c.month,
            open_orders: c.open_orders,
            at: local_time(c.closed_at, offset),
        })
        .collect();
    Ok(MonthEndPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash,
        csrf: u.csrf.clone().unwrap_or_default(),
        company: company.name,
        month,
        closing,
        closed,
    })
}

/// Closes the month, then shows the closing (POST-redirect-GET).
async fn month_end_run(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let r = async {
        let company = company_of(&app, &u).await?;
        let month = field(&f, "month").to_owned();
        if month.is_empty() {
            return Err(AppError::invalid("month", "month is required"));
        }
        let input = assessment::MonthEndInput {
            company_id: Id(company.id),
            month: month.clone(),
        };
        assessment::month_end(&app, &u, input).await?;
        Ok(month)
    }
    .await;
    match r {
        Ok(month) => Redirect::to(&format!("/month_end?month={month}&done=1")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}
