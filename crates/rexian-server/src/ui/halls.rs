//! The hall checks screen (`/halls`, `004` 营业厅): each hall's items, overdue first, with the
//! form that records a check; an item's page with its checks; supervisors add and retire items.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use rexian_app::halls::{self, ItemView, NewCheck, NewItem, Retire};
use rexian_app::ser::Id;
use rexian_domain::hall::STANDARD_ITEMS;
use serde::Deserialize;

use super::common::{field, local_time, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::api::{opt_id, parse_id};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Hall routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/halls", get(page))
        .route("/halls/items", post(create))
        .route("/halls/items/{id}", get(item_page))
        .route("/halls/items/{id}/checks", post(check))
        .route("/halls/items/{id}/retire", post(retire))
}

/// An item on the screen.
pub struct Row {
    id: String,
    name: String,
    period_days: i64,
    due_on: String,
    overdue: bool,
    last: String,
    last_ok: Option<bool>,
}

impl Row {
    fn of(i: &ItemView, offset: chrono::FixedOffset) -> Row {
        Row {
            id: i.id.to_string(),
            name: i.name.clone(),
            period_days: i.period_days,
            due_on: i.due_on.clone(),
            overdue: i.overdue,
            last: i
                .last_checked_at
                .map(|a| local_time(a, offset))
                .unwrap_or_default(),
            last_ok: i.last_ok,
        }
    }
}

/// A hall with its items.
pub struct Hall {
    name: String,
    overdue: usize,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "halls.html")]
struct Page {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    company_id: i64,
    company_name: String,
    companies: Vec<(i64, String)>,
    today: String,
    halls: Vec<Hall>,
    hall_units: Vec<(i64, String)>,
    may_manage: bool,
    standard: Vec<(String, i64)>,
}

/// Query of the screen.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    company_id: Option<String>,
}

/// The items grouped by hall: halls with overdue items first, overdue items first in each.
fn grouped(b: &halls::Board, offset: chrono::FixedOffset) -> Vec<Hall> {
    let mut out: Vec<Hall> = b
        .halls
        .iter()
        .map(|(id, name)| {
            let rows: Vec<Row> = b
                .items
                .iter()
                .filter(|i| i.unit_id == *id)
                .map(|i| Row::of(i, offset))
                .collect();
            Hall {
                name: name.clone(),
                overdue: rows.iter().filter(|r| r.overdue).count(),
                rows,
            }
        })
        .collect();
    out.sort_by_key(|h| std::cmp::Reverse(h.overdue));
    out
}

async fn build(app: &AppState, t: Msgs, u: &CurrentUser, q: PageQuery) -> AppResult<Page> {
    let asked = opt_id("company_id", q.company_id.as_deref())?;
    let b = halls::board(app, u, asked).await?;
    let offset = rexian_app::outages::zone(app, u, b.company_id).await?;
    Ok(Page {
        user: Some(PageUser::of(u, &t)),
        flash: None,
        csrf: u.csrf.clone().unwrap_or_default(),
        halls: grouped(&b, offset),
        company_id: b.company_id,
        company_name: b.company_name,
        companies: b.companies,
        today: b.today,
        hall_units: b.halls,
        may_manage: halls::may_manage(u),
        standard: STANDARD_ITEMS
            .iter()
            .map(|(n, d)| ((*n).to_owned(), *d))
            .collect(),
        t,
    })
}

async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = msgs(&headers);
    match build(&app, t, &u, q).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

/// An optional form field: none when blank.
fn opt(f: &Fields, k: &str) -> Option<String> {
    Some(field(f, k).trim().to_owned()).filter(|v| !v.is_empty())
}

async fn create(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let period_days = field(&f, "period_days")
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid("period_days", "period_days is a number of days"))?;
        let b = NewItem {
            unit_id: Id(parse_id("unit_id", field(&f, "unit_id"))?),
            name: field(&f, "name").to_owned(),
            period_days,
            due_on: opt(&f, "due_on"),
        };
        Ok::<_, AppError>(halls::create(&app, &u, b).await?.item.company_id)
    };
    match run.await {
        Ok(c) => Redirect::to(&format!("/halls?company_id={c}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

async fn check(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let id = parse_id("id", &id)?;
        let b = NewCheck {
            ok: field(&f, "ok") == "true",
            found: opt(&f, "found"),
            next_due_on: opt(&f, "next_due_on"),
        };
        Ok::<_, AppError>(halls::check(&app, &u, id, b).await?.item.company_id)
    };
    match run.await {
        Ok(c) => Redirect::to(&format!("/halls?company_id={c}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

async fn retire(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let id = parse_id("id", &id)?;
        let b = Retire {
            reason: field(&f, "reason").to_owned(),
        };
        Ok::<_, AppError>(halls::retire(&app, &u, id, b).await?.item.company_id)
    };
    match run.await {
        Ok(c) => Redirect::to(&format!("/halls?company_id={c}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

/// A check on the item's page.
struct CheckLine {
    at: String,
    by: String,
    ok: bool,
    found: String,
    next_due_on: String,
}

#[derive(Template)]
#[template(path = "hall_item.html")]
struct ItemPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    unit_name: String,
    retired: String,
    may_manage: bool,
    row: Row,
    checks: Vec<CheckLine>,
}

async fn item_page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let d = halls::get(&app, &u, parse_id("id", &id)?).await?;
        let offset = rexian_app::outages::zone(&app, &u, d.item.company_id).await?;
        Ok::<_, AppError>(ItemPage {
            user: Some(PageUser::of(&u, &t)),
            flash: None,
            csrf: u.csrf.clone().unwrap_or_default(),
            unit_name: d.item.unit_name.clone(),
            retired: d
                .item
                .retired_at
                .map(|a| local_time(a, offset))
                .unwrap_or_default(),
            may_manage: halls::may_manage(&u),
            row: Row::of(&d.item, offset),
            checks: d
                .checks
                .into_iter()
                .map(|c| CheckLine {
                    at: local_time(c.checked_at, offset),
                    by: c.checked_by_name,
                    ok: c.ok,
                    found: c.found,
                    next_due_on: c.next_due_on,
                })
                .collect(),
            t,
        })
    };
    match run.await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}
