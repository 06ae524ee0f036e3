//! The assessment ledger (考核台账) and month-end closing (月底结算) screens, SPEC §5: a month's
//! entries with the statement per person and unit and its exports, manual entries and reversals
//! with a reason, and closing a month. Every write goes through the API's own calls.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use rexian_app::{assessment, reports};
use rexian_domain::model::Role;
use serde::Deserialize;

use super::common::{field, local_time, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::api::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Ledger and month-end routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ledger", get(ledger))
        .route("/ledger/entries", post(add_entry))
        .route("/ledger/entries/{id}/reverse", post(reverse_entry))
        .route("/month_end", get(month_end_page).post(month_end_run))
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

fn entry_line(
    t: &Msgs,
    l: &assessment::Ledger,
    e: &assessment::EntryLine,
    reversed: bool,
) -> EntryLine {
    EntryLine {
        id: e.id.to_string(),
        kind: t.get(&format!("ledger.kind_{}", e.subject_kind)),
        subject: e
            .subject
            .clone()
            .unwrap_or_else(|| e.subject_id.to_string()),
        rule: e.rule_code.clone().unwrap_or_default(),
        points: amount(e.points),
        yuan: amount(e.yuan),
        order_id: e.order_id.map(|o| o.to_string()).unwrap_or_default(),
        order_number: e
            .order_id
            .and_then(|o| l.order_numbers.get(&o).cloned())
            .unwrap_or_default(),
        reason: e.reason.clone(),
        reversal_of: e.reversal_of.map(|r| r.to_string()).unwrap_or_default(),
        reversed,
        by: e.by.clone().unwrap_or_else(|| t.get("event.system")),
        at: local_time(e.at, l.home.offset),
        negative: e.points < 0.0 || e.yuan < 0.0,
    }
}

async fn build_ledger(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    month: Option<&str>,
    flash: Option<String>,
) -> AppResult<LedgerPage> {
    let l = assessment::ledger(app, u, month).await?;
    let kind_label = |k: &str| t.get(&format!("ledger.kind_{k}"));
    let st = &l.statement;
    let reversed: HashSet<i64> = st.entries.iter().filter_map(|e| e.reversal_of).collect();
    let entries = st
        .entries
        .iter()
        .map(|e| entry_line(&t, &l, e, reversed.contains(&e.id)))
        .collect();
    let statement = st
        .totals
        .iter()
        .map(|r| StatementLine {
            kind: kind_label(&r.subject_kind),
            subject: Some(r.subject.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| r.subject_id.to_string()),
            points: total(r.points),
            yuan: total(r.yuan),
            count: r.entries as usize,
        })
        .collect();
    let mut subjects: Vec<(String, String)> = l
        .subjects
        .iter()
        .map(|x| {
            let label = match &x.login {
                Some(login) => format!("{} · {} ({login})", kind_label(x.kind), x.name),
                None => format!("{} · {}", kind_label(x.kind), x.name),
            };
            (format!("{}:{}", x.kind, x.id), label)
        })
        .collect();
    subjects.sort();
    let rules = l
        .rules
        .iter()
        .map(|(code, d)| (code.clone(), format!("{code} · {d}")))
        .collect();
    Ok(LedgerPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash,
        csrf: u.csrf.clone().unwrap_or_default(),
        company_id: l.home.id.to_string(),
        company: l.home.name.clone(),
        month: st.month.clone(),
        entries,
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
        let home = reports::home(&app, &u).await?;
        let month = Some(field(&f, "month"))
            .filter(|m| !m.is_empty())
            .map_or_else(|| home.month(0), str::to_owned);
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
            company_id: Id(home.id),
            month,
            subject_kind: kind.to_owned(),
            subject_id: Id(parse_id("subject", id)?),
            points: number("points")?,
            yuan: number("yuan")?,
            rule_code: (!rule.is_empty()).then(|| rule.to_owned()),
            order_id: None,
            reason: field(&f, "reason").to_owned(),
        };
        Ok(assessment::add_entry(&app, &u, input).await?.month)
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
        let reason = field(&f, "reason").to_owned();
        Ok(assessment::reverse(&app, &u, id, reason).await?.month)
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

fn open_line(t: &Msgs, o: &assessment::ClosingLine) -> OpenLine {
    OpenLine {
        id: o.order_id.to_string(),
        number: o.number.clone(),
        status: t.get(&format!("status.{}", o.status)),
        now: t.get(&format!("status.{}", o.status_now)),
        unit: o.unit.clone().unwrap_or_else(|| t.get("report.no_unit")),
        supervision: match o.supervision {
            Some(l) => format!("{}{l}{}", t.get("sup.level_pre"), t.get("sup.level_post")),
            None => String::new(),
        },
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
    let c = assessment::closings(app, u, month).await?;
    let offset = c.home.offset;
    let closing = c.closing.map(|d| ClosingView {
        month: d.month,
        by: d.by.unwrap_or_default(),
        at: local_time(d.at, offset),
        orders: d.orders.iter().map(|o| open_line(&t, o)).collect(),
        entries: d.entries,
    });
    let closed = c
        .closed
        .into_iter()
        .map(|m| ClosedMonth {
            month: m.month,
            open_orders: m.open_orders,
            at: local_time(m.at, offset),
        })
        .collect();
    Ok(MonthEndPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash,
        csrf: u.csrf.clone().unwrap_or_default(),
        company: c.home.name,
        month: c.month,
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
        let home = reports::home(&app, &u).await?;
        let month = field(&f, "month").to_owned();
        if month.is_empty() {
            return Err(AppError::invalid("month", "month is required"));
        }
        let input = assessment::MonthEndInput {
            company_id: Id(home.id),
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
