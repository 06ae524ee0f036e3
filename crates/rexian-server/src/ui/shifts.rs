//! The duty officer's screens (`001` 交接班, 值班日志): `/handover` — the outgoing shift sees what
//! the product would hand over and hands over with a note; the incoming shift ticks every item
//! of the open handover and accepts — a printable handover, and the duty log of a day with its
//! print view.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use chrono::FixedOffset;
use rexian_app::ser::Id;
use rexian_app::shifts::{self, Accept, HandoverView, ItemView, NewEntry, NewHandover};
use serde::Deserialize;

use super::common::{field, local_time, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::api::{opt_id, parse_id};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Handover and duty-log routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/handover", get(handover_page).post(create))
        .route("/handovers/{id}/accept", post(accept))
        .route("/handovers/{id}/print", get(print))
        .route("/duty_log", get(duty_page).post(add_entry))
}

/// An item of a handover as shown.
pub struct ItemLine {
    /// `kind:id`, what the acceptance acknowledges.
    pub key: String,
    /// The kind in the page's language.
    pub kind: String,
    /// What it is.
    pub summary: String,
    /// Where to open it.
    pub link: String,
}

impl ItemLine {
    /// The line of item `i`.
    pub fn of(t: &Msgs, i: &ItemView) -> ItemLine {
        ItemLine {
            key: format!("{}:{}", i.kind, i.id),
            kind: t.get(&format!("handover.kind_{}", i.kind)),
            summary: i.summary.clone(),
            link: match i.kind.as_str() {
                "order" => format!("/orders/{}", i.id),
                "outage" => "/outages".to_owned(),
                _ => "/supervise".to_owned(),
            },
        }
    }
}

/// A handover as shown.
pub struct Card {
    id: String,
    shift_start: String,
    created_by: String,
    created_at: String,
    note: String,
    accepted_by: String,
    accepted_at: String,
    accept_note: String,
    late: bool,
    items: Vec<ItemLine>,
}

fn card(
    t: &Msgs,
    h: &HandoverView,
    names: &std::collections::BTreeMap<i64, String>,
    offset: FixedOffset,
) -> Card {
    let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
    Card {
        id: h.id.to_string(),
        shift_start: local_time(h.shift_start, offset),
        created_by: name(h.created_by),
        created_at: local_time(h.created_at, offset),
        note: h.note.clone().unwrap_or_default(),
        accepted_by: h.accepted_by.map(name).unwrap_or_default(),
        accepted_at: h
            .accepted_at
            .map(|a| local_time(a, offset))
            .unwrap_or_default(),
        accept_note: h.accept_note.clone().unwrap_or_default(),
        late: h.late,
        items: h.items.iter().map(|i| ItemLine::of(t, i)).collect(),
    }
}

/// The cards of `list`, with the names of who wrote and accepted them.
async fn cards(
    app: &AppState,
    t: &Msgs,
    list: &[HandoverView],
    offset: FixedOffset,
) -> AppResult<Vec<Card>> {
    let ids: Vec<i64> = list
        .iter()
        .flat_map(|h| [Some(h.created_by), h.accepted_by])
        .flatten()
        .collect();
    let names = shifts::user_names(app, ids).await?;
    Ok(list.iter().map(|h| card(t, h, &names, offset)).collect())
}

#[derive(Template)]
#[template(path = "handover.html")]
struct HandoverPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    company_id: i64,
    company_name: String,
    companies: Vec<(i64, String)>,
    today: String,
    preview: Vec<ItemLine>,
    open: Vec<Card>,
    done: Vec<Card>,
}

/// Query of the screens.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    company_id: Option<String>,
    date: Option<String>,
    print: Option<String>,
}

/// `(id, name)` of the companies `u` may choose.
async fn companies(app: &AppState, u: &CurrentUser) -> AppResult<Vec<(i64, String)>> {
    Ok(rexian_app::org::companies(app)
        .await?
        .into_iter()
        .filter(|c| u.company_id.is_none_or(|own| own == c.id))
        .map(|c| (c.id, c.name))
        .collect())
}

async fn handover_build(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    q: PageQuery,
) -> AppResult<HandoverPage> {
    let asked = opt_id("company_id", q.company_id.as_deref())?;
    let (company, today) = shifts::day_of_company(app, u, asked).await?;
    let offset = company.offset();
    let preview = shifts::preview(app, u, company.id).await?;
    let list = shifts::list(app, u, Some(company.id), None).await?;
    let (open, done): (Vec<_>, Vec<_>) = list.into_iter().partition(|h| h.accepted_at.is_none());
    Ok(HandoverPage {
        user: Some(PageUser::of(u, &t)),
        flash: None,
        csrf: u.csrf.clone().unwrap_or_default(),
        company_id: company.id,
        company_name: company.name.clone(),
        companies: companies(app, u).await?,
        today,
        preview: preview.iter().map(|i| ItemLine::of(&t, i)).collect(),
        open: cards(app, &t, &open, offset).await?,
        done: cards(app, &t, &done, offset).await?,
        t,
    })
}

async fn handover_page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = msgs(&headers);
    match handover_build(&app, t, &u, q).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

async fn create(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let company = parse_id("company_id", field(&f, "company_id"))?;
        let note = Some(field(&f, "note").to_owned()).filter(|n| !n.trim().is_empty());
        let b = NewHandover {
            company_id: Id(company),
            note,
        };
        shifts::create(&app, &u, b).await?;
        Ok::<_, AppError>(company)
    };
    match run.await {
        Ok(c) => Redirect::to(&format!("/handover?company_id={c}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

/// The incoming shift accepts: the ticked items (`ack`, each `kind:id`) and a note; the server
/// refuses when one is missing. Then the queue, where the items show first.
async fn accept(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let id = parse_id("id", &id)?;
        let b = Accept {
            acknowledged: f
                .iter()
                .filter(|(k, _)| k == "ack")
                .map(|(_, v)| v.clone())
                .collect(),
            note: Some(field(&f, "note").to_owned()).filter(|n| !n.trim().is_empty()),
        };
        shifts::accept(&app, &u, id, b).await
    };
    match run.await {
        Ok(_) => Redirect::to("/queues").into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

#[derive(Template)]
#[template(path = "handover_print.html")]
struct PrintPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    company_name: String,
    h: Card,
}

/// `GET /handovers/{id}/print`: the handover as a page to print and sign (no navigation).
async fn print(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let h = shifts::get(&app, &u, parse_id("id", &id)?).await?;
        let (company, _) = shifts::day_of_company(&app, &u, Some(h.company_id)).await?;
        let mut c = cards(&app, &t, std::slice::from_ref(&h), company.offset()).await?;
        Ok::<_, AppError>(PrintPage {
            t,
            user: None,
            flash: None,
            company_name: company.name.clone(),
            h: c.remove(0),
        })
    };
    match run.await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

/// A duty-log line as shown.
struct LogLine {
    at: String,
    author: String,
    kind: String,
    text: String,
    handover: String,
}

#[derive(Template)]
#[template(path = "duty_log.html")]
struct DutyPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    company_id: i64,
    company_name: String,
    companies: Vec<(i64, String)>,
    date: String,
    today: bool,
    print: bool,
    lines: Vec<LogLine>,
}

async fn duty_build(app: &AppState, t: Msgs, u: &CurrentUser, q: PageQuery) -> AppResult<DutyPage> {
    let asked = opt_id("company_id", q.company_id.as_deref())?;
    let (company, today) = shifts::day_of_company(app, u, asked).await?;
    let date = q
        .date
        .filter(|d| !d.trim().is_empty())
        .unwrap_or(today.clone());
    let entries = shifts::day(app, u, Some(company.id), Some(&date)).await?;
    let names = shifts::user_names(app, entries.iter().map(|e| e.author_id)).await?;
    let print = q.print.is_some_and(|p| !p.is_empty() && p != "0");
    let lines = entries
        .iter()
        .map(|e| LogLine {
            at: local_time(e.at, company.offset()),
            author: names.get(&e.author_id).cloned().unwrap_or_default(),
            kind: t.get(&format!("duty.kind_{}", e.kind)),
            text: e.text.clone(),
            handover: e.handover_id.map(|h| h.to_string()).unwrap_or_default(),
        })
        .collect();
    Ok(DutyPage {
        user: (!print).then(|| PageUser::of(u, &t)),
        flash: None,
        csrf: u.csrf.clone().unwrap_or_default(),
        company_id: company.id,
        company_name: company.name.clone(),
        companies: companies(app, u).await?,
        today: date == today,
        date,
        print,
        lines,
        t,
    })
}

/// `GET /duty_log?company_id=&date=` (`&print=1`: the print view, no navigation).
async fn duty_page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = msgs(&headers);
    match duty_build(&app, t, &u, q).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

async fn add_entry(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let company = parse_id("company_id", field(&f, "company_id"))?;
        let b = NewEntry {
            company_id: Id(company),
            text: field(&f, "text").to_owned(),
        };
        shifts::log(&app, &u, b).await?;
        Ok::<_, AppError>(company)
    };
    match run.await {
        Ok(c) => Redirect::to(&format!("/duty_log?company_id={c}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

/// The handovers `u` accepted in the last day with their items, for the top of the queue:
/// `(handover id, items)`.
pub async fn handed_to_me(
    app: &AppState,
    t: &Msgs,
    u: &CurrentUser,
) -> AppResult<Vec<(String, Vec<ItemLine>)>> {
    Ok(shifts::handed_to_me(app, u)
        .await?
        .iter()
        .filter(|h| !h.items.is_empty())
        .map(|h| {
            let items = h.items.iter().map(|i| ItemLine::of(t, i)).collect();
            (h.id.to_string(), items)
        })
        .collect())
}
