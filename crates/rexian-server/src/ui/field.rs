//! The field worker's phone screen: the orders assigned to me, most urgent first, each with its
//! address, countdown, the crew's state (set off with the expected arrival, on site, done,
//! `001`) and the visit booked (上门预约); the order page takes the reply. The crew's forms are
//! `data-offline="1"`: without signal (a heat station's basement) the embedded `offline.js`
//! keeps them in the browser and sends them when the network returns, showing 待发送 / 已发送.
//!
//! Also here: the crew and the booked visit in words for the agent's order page and the caller
//! lookup ("已出发，预计 10:40 到达", never just "dispatched"), and the booking form's route.

use std::str::FromStr;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use chrono::{DateTime, FixedOffset, NaiveDateTime, NaiveTime, Utc};
use rexian_domain::crew::CrewState;
use rexian_domain::model::Status;
use serde::Deserialize;

use rexian_app::orders::ListInput;
use rexian_app::steps::{self, AppointmentInput, AppointmentView, Booked, CrewInput, CrewView};
use rexian_app::worklist;

use super::common::{field, local_time, msgs, Badge, Fields};
use super::worklist::{limits_badge, Places};
use super::{error_page, render, PageUser};
use crate::api::parse_id;
use crate::auth::CurrentUser;
use crate::clock::{from_ms, ms};
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Field routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/field", get(page))
        .route("/orders/{id}/crew", post(crew_form))
        .route("/orders/{id}/appointment", post(appointment_form))
}

/// One assigned order.
pub struct Job {
    id: String,
    number: String,
    category: String,
    status: String,
    address: String,
    customer: String,
    phone: String,
    description: String,
    created: String,
    badge: Badge,
    can_arrive: bool,
    /// The crew's state code (`assigned`, `set_off`, …), for the page's markers.
    crew_state: &'static str,
    /// The crew in words.
    crew: String,
    /// The visit booked, in words (empty: none).
    appointment: String,
    can_set_off: bool,
    can_on_site: bool,
    can_done: bool,
}

#[derive(Template)]
#[template(path = "field.html")]
struct FieldPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    jobs: Vec<Job>,
    now: i64,
}

async fn jobs(app: &AppState, t: &Msgs, u: &CurrentUser) -> AppResult<Vec<Job>> {
    // The list scopes a field worker to the orders assigned to them.
    let q = ListInput {
        limit: Some("200".into()),
        ..ListInput::default()
    };
    let page = rexian_app::orders::list(app, u, &q).await?;
    let now = ms(app.clock.now());
    let mut places = Places::default();
    let mine: Vec<_> = page
        .items
        .into_iter()
        .filter(|o| Status::from_str(&o.status).is_ok_and(rexian_domain::lifecycle::with_unit))
        .collect();
    let facts = steps::field_facts(app, &mine).await?;
    let mut out = Vec::new();
    for (o, f) in mine.iter().zip(facts) {
        let status = Status::from_str(&o.status).ok();
        let limits = worklist::watched(app, u, o.id).await?.limits;
        let offset = places.offset(app, o.company_id).await?;
        let c = &o.customer;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let state = f.crew.as_ref().map(|c| c.state);
        out.push(Job {
            id: o.id.to_string(),
            number: o.number.clone(),
            category: t.get(&format!("category.{}", o.category)),
            status: t.get(&format!("status.{}", o.status)),
            address: [text(&c.address), text(&c.community)]
                .join(" ")
                .trim()
                .to_owned(),
            customer: if c.hidden {
                t.get("order.anonymous")
            } else {
                text(&c.name)
            },
            phone: if c.hidden {
                String::new()
            } else {
                text(&c.phone)
            },
            description: o.description.clone(),
            created: local_time(o.created_at, offset),
            badge: limits_badge(t, &limits, now, offset),
            // Arriving without setting off first stays possible (the plain arrive step).
            can_arrive: status != Some(Status::InProgress)
                && matches!(state, None | Some(CrewState::Assigned)),
            crew_state: state.map_or("none", CrewState::as_str),
            crew: crew_words(t, f.crew.as_ref(), true, now, offset, None),
            appointment: booked_words(t, f.booked.as_ref(), now, offset),
            can_set_off: matches!(
                state,
                Some(CrewState::Assigned | CrewState::SetOff | CrewState::Done)
            ),
            can_on_site: state == Some(CrewState::SetOff),
            can_done: state == Some(CrewState::OnSite),
        });
    }
    out.sort_by_key(|j| j.badge.urgency());
    Ok(out)
}

#[derive(Deserialize)]
struct PageQuery {
    done: Option<String>,
}

async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = msgs(&headers);
    let flash = q
        .done
        .as_deref()
        .and_then(CrewState::reported)
        .map(|s| t.get(&format!("crew.flash_{}", s.as_str())));
    match jobs(&app, &t, &u).await {
        Ok(jobs) => render(&FieldPage {
            t,
            user: Some(PageUser::of(&u, &t)),
            flash,
            csrf: u.csrf.clone().unwrap_or_default(),
            jobs,
            now: ms(app.clock.now()),
        }),
        Err(e) => error_page(t, &u, e),
    }
}

/// A time as the crew's words show it: the clock alone today, else with the date.
fn clock(at: i64, now: i64, offset: FixedOffset) -> String {
    let at = from_ms(at).with_timezone(&offset);
    let today = from_ms(now).with_timezone(&offset).date_naive();
    if at.date_naive() == today {
        at.format("%H:%M").to_string()
    } else {
        at.format("%m-%d %H:%M").to_string()
    }
}

/// The crew in words (`001`): "已出发，预计 10:40 到达", "已到场 10:35"…; without a worker on an
/// order a unit holds (`with_unit`), that none is assigned yet: never just "dispatched".
/// `worker` is the worker's name when the page may show it.
pub(super) fn crew_words(
    t: &Msgs,
    crew: Option<&CrewView>,
    with_unit: bool,
    now: i64,
    offset: FixedOffset,
    worker: Option<String>,
) -> String {
    let Some(c) = crew else {
        return if with_unit {
            t.get("crew.none")
        } else {
            String::new()
        };
    };
    let at = |v: Option<i64>| v.map(|x| clock(x, now, offset)).unwrap_or_default();
    let mut s = match c.state {
        CrewState::Assigned => t.get("crew.assigned"),
        CrewState::SetOff => {
            let mut s = format!(
                "{}{}{}",
                t.get("crew.set_off_pre"),
                at(c.eta),
                t.get("crew.set_off_post")
            );
            if c.eta.is_some_and(|e| e < now) {
                s.push_str(&t.get("crew.late"));
            }
            s
        }
        CrewState::OnSite => format!("{} {}", t.get("crew.on_site"), at(c.at)),
        CrewState::Done => format!("{} {}", t.get("crew.done"), at(c.at)),
    };
    if let Some(w) = worker.filter(|w| !w.is_empty()) {
        s = format!("{w} · {s}");
    }
    s
}

/// A visit booked, in words: "预约上门 12-03 10:00 · 第 2 次预约 · note".
fn booked_words(t: &Msgs, b: Option<&Booked>, now: i64, offset: FixedOffset) -> String {
    let Some(b) = b else {
        return String::new();
    };
    let mut parts = vec![format!(
        "{} {}",
        t.get("appt.label"),
        clock(b.for_time, now, offset)
    )];
    if b.bookings > 1 {
        parts.push(format!(
            "{}{}{}",
            t.get("appt.nth_pre"),
            b.bookings,
            t.get("appt.nth_post")
        ));
    }
    parts.extend(b.note.clone().filter(|n| !n.is_empty()));
    parts.join(" · ")
}

/// What the order page shows of the crew and the booked visit.
pub struct OrderField {
    /// The crew's state code (`none` without one).
    pub state: &'static str,
    /// The crew in words.
    pub crew: String,
    /// The visit booked, in words, with the state of its limit.
    pub appointment: String,
    /// The user may book a visit now.
    pub can_book: bool,
}

/// The crew and the visit of the order on its page at `now` (ms); `worker` names a user.
pub(super) fn order_field(
    t: &Msgs,
    u: &CurrentUser,
    p: &steps::views::OrderPage,
    now: i64,
    worker: impl Fn(i64) -> String,
) -> OrderField {
    let o = &p.full.order;
    let offset = p.company.offset();
    let with_unit = Status::from_str(&o.status).is_ok_and(rexian_domain::lifecycle::with_unit);
    let crew = CrewView::of_order(&p.full);
    let appointment = AppointmentView::of_order(&p.full)
        .map(|a| {
            let b = Booked {
                for_time: a.for_time,
                note: a.note.clone(),
                bookings: a.bookings,
            };
            format!(
                "{} · {}",
                booked_words(t, Some(&b), now, offset),
                t.get(&format!("appt.state_{}", a.state))
            )
        })
        .unwrap_or_default();
    OrderField {
        state: crew.as_ref().map_or("none", |c| c.state.as_str()),
        crew: crew_words(
            t,
            crew.as_ref(),
            with_unit,
            now,
            offset,
            crew.as_ref().and_then(|c| c.worker).map(worker),
        ),
        appointment,
        can_book: with_unit && steps::may_take(u, "appointment"),
    }
}

/// The crew form of the phone: `state`, `eta` (a time of day or a local date and time), `at`
/// (RFC 3339, set by the page when the button was pressed), `note`.
fn crew_input(f: &Fields) -> AppResult<CrewInput> {
    let text = |k: &str| Some(field(f, k).trim()).filter(|v| !v.is_empty());
    let mut b = CrewInput {
        state: field(f, "state").trim().to_owned(),
        note: text("note").map(str::to_owned),
        ..CrewInput::default()
    };
    if let Some(at) = text("at") {
        let at = DateTime::parse_from_rfc3339(at)
            .map_err(|_| AppError::invalid("at", "at must be an RFC 3339 time"))?;
        b.at = Some(at.with_timezone(&Utc));
    }
    if let Some(eta) = text("eta") {
        if let Ok(c) = NaiveTime::parse_from_str(eta, "%H:%M") {
            b.eta_clock = Some(c);
        } else if let Ok(l) = NaiveDateTime::parse_from_str(eta, "%Y-%m-%dT%H:%M") {
            b.eta_local = Some(l);
        } else {
            let e = DateTime::parse_from_rfc3339(eta)
                .map_err(|_| AppError::invalid("eta", "eta must be a time"))?;
            b.eta = Some(e.with_timezone(&Utc));
        }
    }
    Ok(b)
}

/// `POST /orders/{id}/crew`: the phone's crew buttons; back to the task list.
async fn crew_form(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let r = async {
        let b = crew_input(&f)?;
        let state = b.state.clone();
        steps::crew(&app, &u, parse_id("id", &id)?, b).await?;
        Ok::<_, AppError>(state)
    }
    .await;
    match r {
        Ok(state) => Redirect::to(&format!("/field?done={state}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

/// `POST /orders/{id}/appointment`: the booking form of the order page (`for_time` a local
/// date and time); back to the order.
async fn appointment_form(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let r = async {
        let when = field(&f, "for_time").trim();
        let for_local = NaiveDateTime::parse_from_str(when, "%Y-%m-%dT%H:%M")
            .map_err(|_| AppError::invalid("for_time", "for_time must be a date and time"))?;
        let note = Some(field(&f, "note").trim().to_owned()).filter(|n| !n.is_empty());
        let b = AppointmentInput {
            for_local: Some(for_local),
            note,
            ..AppointmentInput::default()
        };
        steps::appointment(&app, &u, parse_id("id", &id)?, b).await
    }
    .await;
    match r {
        Ok(_) => Redirect::to(&format!("/orders/{id}?done=appointment")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

/// The crew in words of each of `orders` (the caller lookup), in their order: empty for an
/// order no unit holds.
pub(super) async fn lookup_crews(
    app: &AppState,
    t: &Msgs,
    orders: &[rexian_app::orders::OrderSummary],
    offset: FixedOffset,
) -> AppResult<Vec<String>> {
    let now = ms(app.clock.now());
    let held = |o: &rexian_app::orders::OrderSummary| {
        Status::from_str(&o.status).is_ok_and(rexian_domain::lifecycle::with_unit)
    };
    let open: Vec<_> = orders.iter().filter(|o| held(o)).cloned().collect();
    let facts = steps::field_facts(app, &open).await?;
    Ok(orders
        .iter()
        .map(|o| {
            facts
                .iter()
                .find(|f| f.order_id == o.id)
                .map(|f| crew_words(t, f.crew.as_ref(), true, now, offset, None))
                .unwrap_or_default()
        })
        .collect())
}
