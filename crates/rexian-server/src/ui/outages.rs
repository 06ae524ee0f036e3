//! The outage notices screen (`/outages`): the company's notices with their publish deadline,
//! the form that records a received notice, and publish, update and restore on each.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use chrono::{DateTime, FixedOffset, Utc};
use rexian_app::outages::{self, Action, NewOutage, OutageUpdate, OutageView, Restore};
use rexian_domain::outage::Area;
use serde::Deserialize;

use super::common::{field, local_time, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::api::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Outage routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/outages", get(page).post(create))
        .route("/outages/incidents", get(incident_rows))
        .route("/outages/{id}/{step}", post(step))
}

/// A line of the list.
struct Row {
    id: String,
    kind: String,
    cause: String,
    area: String,
    start: String,
    expected_end: String,
    status: String,
    status_label: String,
    publish_due: String,
    late: bool,
    calls: usize,
}

impl Row {
    fn of(t: &Msgs, o: &OutageView, offset: FixedOffset, now: i64) -> Row {
        let a = &o.area;
        let places = [&a.communities, &a.streets, &a.buildings, &a.stations];
        Row {
            id: o.id.to_string(),
            kind: t.get(&format!("outage.kind_{}", o.kind)),
            cause: o.cause.clone(),
            area: places
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join("、"),
            start: local_time(o.start_at, offset),
            expected_end: local_time(o.expected_end_at, offset),
            status: o.status.clone(),
            status_label: t.get(&format!("outage.status_{}", o.status)),
            publish_due: local_time(o.publish_due_at, offset),
            late: o.late || (o.status == "draft" && o.publish_due_at <= now),
            calls: o.contacts.len(),
        }
    }
}

#[derive(Template)]
#[template(path = "outages.html")]
struct Page {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    company_id: i64,
    company_name: String,
    companies: Vec<(i64, String)>,
    status: String,
    rows: Vec<Row>,
    now_input: String,
    incidents_html: String,
    /// The company delivers water in outages (003:6): the delivery form shows.
    water: bool,
}

/// An incident on the board.
struct IncidentLine {
    id: String,
    community: String,
    subtype: String,
    orders: i64,
    first: String,
    last: String,
    status: String,
}

#[derive(Template)]
#[template(path = "incidents_rows.html")]
struct IncidentRows {
    t: Msgs,
    incidents: Vec<IncidentLine>,
}

/// The open incidents of `company`, rendered (the board reloads them every few seconds).
async fn incidents_html(
    app: &AppState,
    u: &CurrentUser,
    t: Msgs,
    company: i64,
    offset: FixedOffset,
) -> AppResult<String> {
    let incidents = rexian_app::incidents::list(app, u, Some(company), true)
        .await?
        .into_iter()
        .map(|i| IncidentLine {
            id: i.id.to_string(),
            community: i.community,
            subtype: t.get(&format!("subtype.{}", i.subtype)),
            orders: i.orders,
            first: local_time(i.first_at, offset),
            last: local_time(i.last_at, offset),
            status: t.get(&format!("incident.{}", i.status)),
        })
        .collect();
    IncidentRows { t, incidents }
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering incidents: {e}")))
}

async fn incident_rows(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let company = match q.company_id.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => parse_id("company_id", s)?,
            None => u
                .company_id
                .ok_or_else(|| AppError::invalid("company_id", "choose a company"))?,
        };
        let offset = outages::zone(&app, &u, company).await?;
        incidents_html(&app, &u, t, company, offset).await
    };
    match run.await {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

/// Query of the screen.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    company_id: Option<String>,
    status: Option<String>,
}

async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = msgs(&headers);
    let company = match q.company_id.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => match parse_id("company_id", s) {
            Ok(id) => Some(id),
            Err(e) => return error_page(t, &u, e),
        },
        None => None,
    };
    let status = q.status.filter(|s| !s.is_empty());
    let board = match outages::board(&app, &u, company, status.clone()).await {
        Ok(b) => b,
        Err(e) => return error_page(t, &u, e),
    };
    let incidents = match incidents_html(&app, &u, t, board.company_id, board.offset).await {
        Ok(h) => h,
        Err(e) => return error_page(t, &u, e),
    };
    let water = match rexian_app::water::delivers_water(&app, board.company_id).await {
        Ok(w) => w,
        Err(e) => return error_page(t, &u, e),
    };
    let now = app.now_ms();
    let rows = board
        .items
        .iter()
        .map(|o| Row::of(&t, o, board.offset, now))
        .collect();
    render(&Page {
        user: Some(PageUser::of(&u, &t)),
        flash: None,
        csrf: u.csrf.clone().unwrap_or_default(),
        company_id: board.company_id,
        company_name: board.company_name,
        companies: board.companies,
        status: status.unwrap_or_default(),
        rows,
        now_input: app
            .clock
            .now()
            .with_timezone(&board.offset)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        incidents_html: incidents,
        water,
        t,
    })
}

/// Places typed one a line, or separated by commas or 、.
fn places(f: &Fields, k: &str) -> Vec<String> {
    field(f, k)
        .split(['\n', ',', '，', '、', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A `datetime-local` input in the company's zone, naming `name` when it is not one.
fn local_input(f: &Fields, name: &str, offset: FixedOffset) -> AppResult<DateTime<Utc>> {
    let bad = || AppError::invalid(name, format!("{name} must be a date and time"));
    let naive = chrono::NaiveDateTime::parse_from_str(field(f, name), "%Y-%m-%dT%H:%M")
        .map_err(|_| bad())?;
    naive
        .and_local_timezone(offset)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(bad)
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
        let offset = outages::zone(&app, &u, company).await?;
        let n = NewOutage {
            company_id: Id(company),
            kind: field(&f, "kind").to_owned(),
            cause: field(&f, "cause").to_owned(),
            area: Area {
                communities: places(&f, "communities"),
                streets: places(&f, "streets"),
                buildings: places(&f, "buildings"),
                stations: places(&f, "stations"),
            },
            start_at: local_input(&f, "start_at", offset)?,
            expected_end_at: local_input(&f, "expected_end_at", offset)?,
        };
        outages::create(&app, &u, n).await?;
        Ok::<_, AppError>(company)
    };
    match run.await {
        Ok(c) => Redirect::to(&format!("/outages?company_id={c}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

async fn step(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path((id, step)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let run = async {
        let id = parse_id("id", &id)?;
        let notice = outages::get(&app, &u, id).await?;
        let offset = outages::zone(&app, &u, notice.company_id).await?;
        let action = match step.as_str() {
            "publish" => Action::Publish,
            "update" => Action::Update(OutageUpdate {
                expected_end_at: Some(local_input(&f, "expected_end_at", offset)?),
                cause: None,
            }),
            "restore" => Action::Restore(Restore {
                restored_at: local_input(&f, "restored_at", offset)?,
            }),
            _ => return Err(AppError::NotFound),
        };
        outages::step(&app, &u, id, action).await?;
        Ok::<_, AppError>(notice.company_id)
    };
    match run.await {
        Ok(c) => Redirect::to(&format!("/outages?company_id={c}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}
