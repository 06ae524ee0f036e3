//! The roster screen (`/roster`, 排班): a month of days × shifts with who is on each, the form
//! that sets one day, and the .xlsx import.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use rexian_app::roster::{self, EntryIn, MonthView, OnShift, PutRoster, ShiftRef};
use serde::Deserialize;

use super::common::{field, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::api::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Roster routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/roster", get(page))
        .route("/roster/day", post(set_day))
        .route("/roster/import", post(import))
}

/// A cell of the grid.
struct Cell {
    names: String,
    now: bool,
}

/// A line of the grid: a date and its shifts.
struct Line {
    date: String,
    today: bool,
    cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "roster.html")]
struct Page {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    view: MonthView,
    lines: Vec<Line>,
    prev: String,
    next: String,
    can_edit: bool,
    staff: Vec<OnShift>,
    today: String,
    /// Away periods of the month not over yet, A and B away at once flagged (004): the
    /// roster's warning, for those who set it.
    away: Vec<super::away::UpcomingLine>,
}

/// Query of the screen.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    company_id: Option<String>,
    month: Option<String>,
    flash: Option<String>,
}

/// The month `delta` months from `month` (`YYYY-MM`).
fn shift_month(month: &str, delta: i32) -> String {
    let d =
        chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap_or_default();
    let d = if delta < 0 {
        d.checked_sub_months(chrono::Months::new(delta.unsigned_abs()))
    } else {
        d.checked_add_months(chrono::Months::new(delta as u32))
    };
    d.unwrap_or_default().format("%Y-%m").to_string()
}

async fn build(app: &AppState, u: &CurrentUser, t: Msgs, q: PageQuery) -> AppResult<Page> {
    let company = crate::api::opt_id("company_id", q.company_id.as_deref())?;
    let view = roster::month(app, u, company, q.month.as_deref()).await?;
    let now = roster::current(app, u, Some(view.company_id)).await?;
    let lines = view
        .days
        .iter()
        .map(|d| Line {
            date: d.date.clone(),
            today: d.date == now.date,
            cells: d
                .shifts
                .iter()
                .map(|s| Cell {
                    names: s
                        .users
                        .iter()
                        .map(|u| u.name.clone())
                        .collect::<Vec<_>>()
                        .join("、"),
                    now: s.date == now.date && s.index == now.index,
                })
                .collect(),
        })
        .collect();
    let can_edit = roster::may_change(u);
    let (staff, away) = if can_edit {
        let offset = rexian_app::outages::zone(app, u, view.company_id).await?;
        let (from, until) = (
            format!("{}-01T00:00:00{offset}", view.month),
            format!("{}-01T00:00:00{offset}", shift_month(&view.month, 1)),
        );
        (
            roster::choices(app, u, view.company_id).await?,
            super::away::periods(app, &t, u, view.company_id, Some(&from), Some(&until)).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Page {
        user: Some(PageUser::of(u, &t)),
        flash: q.flash.filter(|f| !f.is_empty()),
        csrf: u.csrf.clone().unwrap_or_default(),
        prev: shift_month(&view.month, -1),
        next: shift_month(&view.month, 1),
        lines,
        can_edit,
        staff,
        away,
        today: now.date,
        view,
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
    match build(&app, &u, t, q).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

/// Where the screen goes after a change.
fn back(t: &Msgs, company: i64, date: &str, added: usize, removed: usize) -> Response {
    let month = date.get(..7).unwrap_or_default();
    let flash = format!("{} +{added} −{removed}", t.get("roster.saved"));
    let q = serde_urlencoded::to_string([
        ("company_id", company.to_string()),
        ("month", month.to_string()),
        ("flash", flash),
    ])
    .unwrap_or_default();
    Redirect::to(&format!("/roster?{q}")).into_response()
}

/// The day form: `date`, and per shift `shift_<i>` once for each user id chosen.
async fn set_day(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let company = parse_id("company_id", field(&f, "company_id"))?;
        let date = field(&f, "date").to_string();
        let mut entries = Vec::new();
        for (k, v) in &f {
            let Some(i) = k.strip_prefix("shift_") else {
                continue;
            };
            let index = i
                .parse::<u32>()
                .map_err(|_| AppError::invalid(k, format!("{k} names no shift")))?;
            entries.push(EntryIn {
                date: date.clone(),
                shift: ShiftRef::Index(index),
                user_id: Id(parse_id(k, v)?),
            });
        }
        let b = PutRoster {
            company_id: Id(company),
            entries,
            dates: vec![date.clone()],
        };
        let ch = roster::put_from(&app, &u, b, "form").await?;
        Ok::<_, AppError>((company, date, ch))
    };
    match run.await {
        Ok((c, d, ch)) => back(&t, c, &d, ch.added, ch.removed),
        Err(e) => error_page(t, &u, e),
    }
}

/// The import form: `company_id` and the file `file` (multipart).
async fn import(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    mp: Result<axum::extract::multipart::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let mut mp = mp.map_err(|e| AppError::invalid("file", e.body_text()))?;
        let (mut company, mut bytes) = (None, Vec::new());
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| AppError::invalid("file", e.body_text()))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let data = field
                .bytes()
                .await
                .map_err(|e| AppError::invalid("file", e.body_text()))?;
            match name.as_str() {
                "company_id" => {
                    company = Some(parse_id("company_id", &String::from_utf8_lossy(&data))?)
                }
                "file" => bytes = data.to_vec(),
                _ => {}
            }
        }
        let ch = roster::import(&app, &u, company, &bytes).await?;
        let company = company.or(u.company_id).unwrap_or_default();
        Ok::<_, AppError>((company, ch))
    };
    match run.await {
        Ok((c, ch)) => {
            let first = ch.dates.first().cloned().unwrap_or_default();
            back(&t, c, &first, ch.added, ch.removed)
        }
        Err(e) => error_page(t, &u, e),
    }
}
