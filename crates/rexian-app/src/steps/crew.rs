//! The crew on its way (`001`) and visit appointments (上门预约, `000:一.4`, `四.2(5)`,
//! `四.5(1)`): the field worker reports setting off (with the expected arrival), being on site
//! (the order's arrive step, which meets the arrive limit as it always does) and done; a visit
//! booked for the customer's time makes the arrive limit count to it and is its own limit,
//! `appointment_missed` when the crew is not there by then. The rules are
//! [`rexian_domain::crew`]'s; this reads the order, asks them and writes in one transaction.

use std::str::FromStr;

use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, NaiveTime, TimeZone, Utc};
use rexian_domain::crew::{self, Crew, CrewEvent, CrewRefusal, CrewState};
use rexian_domain::lifecycle::{with_unit, Step};
use rexian_domain::workflow::DeadlineOp;
use rexian_store::orders::{DeadlineRow, EventRow, OrderFull};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::frame::{self, Ctx, Custom, Decision};
use super::{StepDone, ORDER_CHANGED};
use crate::clock::{from_ms, ms};
use crate::orders::OrderSummary;
use crate::ser;
use crate::text::clean;
use crate::{Actor, App, AppError, AppResult};

/// `POST /orders/{id}/crew`: a state the field worker reports.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrewInput {
    /// `set_off`, `on_site` or `done`.
    pub state: String,
    /// Expected arrival (required to set off).
    pub eta: Option<DateTime<Utc>>,
    /// When it happened (default now): a form kept on the phone without signal is sent later
    /// with the time it was filled in.
    pub at: Option<DateTime<Utc>>,
    /// Note.
    pub note: Option<String>,
    /// `eta` as a time of day in the company's zone (the phone's form): the next such time
    /// from `at`.
    #[serde(skip)]
    pub eta_clock: Option<NaiveTime>,
    /// `eta` as a local date and time in the company's zone.
    #[serde(skip)]
    pub eta_local: Option<NaiveDateTime>,
}

/// `POST /orders/{id}/appointment`: a visit booked for the time the customer chose.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentInput {
    /// The time of the visit.
    pub for_time: Option<DateTime<Utc>>,
    /// Note (what the customer asked, who to ask for).
    pub note: Option<String>,
    /// `for_time` as a local date and time in the company's zone (the console's form).
    #[serde(skip)]
    pub for_local: Option<NaiveDateTime>,
}

/// The crew of an order as `GET /orders/{id}` shows it.
#[derive(schemars::JsonSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrewView {
    /// `assigned`, `set_off`, `on_site` or `done`.
    pub state: CrewState,
    /// Expected arrival (given when setting off).
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub eta: Option<i64>,
    /// When the state was reached.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub at: Option<i64>,
    /// The field worker.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub worker: Option<i64>,
}

/// The visit booked on an order (the latest booking).
#[derive(schemars::JsonSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentView {
    /// The time of the visit.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub for_time: i64,
    /// Note.
    pub note: Option<String>,
    /// `pending`, `met` (the crew was on site), `missed` or `stopped` (the order left the unit).
    pub state: &'static str,
    /// Visits booked on the order so far (this one included).
    pub bookings: usize,
}

/// Takes `decide` on the order, decided again when something else changed the order meanwhile
/// (as [`super::take`]).
async fn run<F>(
    app: &App,
    me: &Actor,
    order_id: i64,
    steps: (&str, &str),
    decide: F,
) -> AppResult<StepDone>
where
    F: Fn(&Ctx<'_>) -> AppResult<Custom>,
{
    let mut attempt = 1;
    loop {
        match frame::once_custom(app, me, order_id, steps, &decide).await {
            Err(AppError::Conflict {
                field: None,
                message,
            }) if message == ORDER_CHANGED && attempt < 3 => attempt += 1,
            other => return other,
        }
    }
}

/// Records the state the crew reports (`001`): set off with the expected arrival, on site (the
/// arrive step), done. A state out of order is `invalid_transition` naming `state`.
pub async fn crew(app: &App, me: &Actor, order_id: i64, b: CrewInput) -> AppResult<StepDone> {
    let to = CrewState::reported(&b.state)
        .ok_or_else(|| AppError::invalid("state", "state must be set_off, on_site or done"))?;
    let note = clean("note", b.note.clone(), 2000)?;
    run(app, me, order_id, ("crew", "arrive"), |cx| {
        decide_crew(cx, to, &b, note.clone())
    })
    .await
}

fn decide_crew(
    cx: &Ctx<'_>,
    to: CrewState,
    b: &CrewInput,
    note: Option<String>,
) -> AppResult<Custom> {
    if !with_unit(cx.state.status) {
        return Err(AppError::TransitionOf {
            field: "state",
            message: format!("no unit is handling the order (it is {})", cx.state.status),
        });
    }
    let offset = cx.company.offset();
    let at = b.at.unwrap_or(cx.now);
    let eta = match (b.eta, b.eta_local, b.eta_clock) {
        (Some(e), _, _) => Some(e),
        (None, Some(l), _) => Some(local(offset, l, "eta")?),
        (None, None, Some(c)) => Some(next_clock(offset, at, c, "eta")?),
        _ => None,
    };
    let present = crew_of(&cx.full);
    crew::next(present.as_ref(), to, at, eta, cx.now).map_err(|e| match e {
        CrewRefusal::Order { .. } => AppError::TransitionOf {
            field: "state",
            message: e.to_string(),
        },
        CrewRefusal::At(m) => AppError::invalid("at", m),
        CrewRefusal::Eta(m) => AppError::invalid("eta", m),
    })?;
    let mut data = json!({"state": to.as_str(), "at": at, "worker_id": cx.me.id.to_string()});
    if let Some(e) = eta.filter(|_| to == CrewState::SetOff) {
        data["eta"] = json!(e);
    }
    if let Some(n) = note {
        data["note"] = Value::String(n);
    }
    let meets = |to: CrewState| -> Vec<DeadlineOp> {
        crew::meets(to).into_iter().map(DeadlineOp::Meet).collect()
    };
    Ok(match to {
        CrewState::OnSite => Custom::Step(Decision::new(Step::Arrive, "arrived", data)),
        CrewState::SetOff => Custom::Note {
            kind: "crew_set_off",
            data,
            ops: meets(to),
        },
        _ => Custom::Note {
            kind: "crew_done",
            data,
            ops: meets(to),
        },
    })
}

/// Books a visit for the time the customer chose (`000:一.4`); again, the next visit
/// (`四.5(1)`), the earlier booking kept in the order's history.
pub async fn appointment(
    app: &App,
    me: &Actor,
    order_id: i64,
    b: AppointmentInput,
) -> AppResult<StepDone> {
    let note = clean("note", b.note.clone(), 2000)?;
    if b.for_time.is_none() && b.for_local.is_none() {
        return Err(AppError::invalid("for_time", "for_time is required"));
    }
    run(app, me, order_id, ("appointment", "appointment"), |cx| {
        decide_appointment(cx, &b, note.clone())
    })
    .await
}

fn decide_appointment(
    cx: &Ctx<'_>,
    b: &AppointmentInput,
    note: Option<String>,
) -> AppResult<Custom> {
    let at = match (b.for_time, b.for_local) {
        (Some(t), _) => t,
        (None, Some(l)) => local(cx.company.offset(), l, "for_time")?,
        (None, None) => return Err(AppError::invalid("for_time", "for_time is required")),
    };
    if !with_unit(cx.state.status) {
        return Err(AppError::InvalidTransition(format!(
            "a visit is booked once a unit handles the order (it is {})",
            cx.state.status
        )));
    }
    let ops = crew::appointment_ops(&cx.env(), cx.state.unit, at)
        .map_err(|e| AppError::invalid("for_time", e.to_string()))?;
    let before = bookings(cx.full.events.iter())
        .last()
        .map(|(_, d)| d["for_time"].clone());
    let mut data = json!({"for_time": at, "note": note});
    let kind = match before {
        Some(previous) => {
            data["previous"] = previous;
            "appointment_rebooked"
        }
        None => "appointment_booked",
    };
    Ok(Custom::Note { kind, data, ops })
}

/// `l` read in the zone `offset`.
fn local(offset: FixedOffset, l: NaiveDateTime, field: &str) -> AppResult<DateTime<Utc>> {
    offset
        .from_local_datetime(&l)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::invalid(field, format!("{field} must be a date and time")))
}

/// The first time of day `c` (in the zone `offset`) at or after `at`.
fn next_clock(
    offset: FixedOffset,
    at: DateTime<Utc>,
    c: NaiveTime,
    field: &str,
) -> AppResult<DateTime<Utc>> {
    let day = at.with_timezone(&offset).date_naive();
    let t = local(offset, day.and_time(c), field)?;
    Ok(if t < at { t + Duration::days(1) } else { t })
}

/// The data of an event (an object; `null` when it is not JSON).
fn data_of(e: &EventRow) -> Value {
    serde_json::from_str(&e.data).unwrap_or(Value::Null)
}

/// A time in an event's data (RFC 3339).
fn time_in(d: &Value, k: &str) -> Option<DateTime<Utc>> {
    d[k].as_str().and_then(|s| DateTime::from_str(s).ok())
}

/// What event `e` says of the crew, if anything.
fn crew_event(e: &EventRow) -> Option<CrewEvent> {
    let d = || data_of(e);
    let at = |d: &Value| time_in(d, "at").unwrap_or_else(|| from_ms(e.at));
    Some(match e.kind.as_str() {
        "assigned" => CrewEvent::Assigned {
            worker: d()["user_id"].as_str()?.parse().ok()?,
        },
        "assignee_changed" => CrewEvent::Assigned {
            worker: d()["to"].as_str()?.parse().ok()?,
        },
        "crew_set_off" => {
            let d = d();
            CrewEvent::SetOff {
                worker: e.actor_id,
                at: at(&d),
                eta: time_in(&d, "eta")?,
            }
        }
        "arrived" => CrewEvent::OnSite {
            worker: e.actor_id,
            at: at(&d()),
        },
        "crew_done" => CrewEvent::Done {
            worker: e.actor_id,
            at: at(&d()),
        },
        "dispatched" | "transferred" | "returned" | "reopened" => CrewEvent::Reset,
        _ => return None,
    })
}

/// The crew of an order as its events leave it.
pub(super) fn crew_of(full: &OrderFull) -> Option<Crew> {
    crew::fold(
        full.events.iter().filter_map(crew_event),
        full.order.assignee_id,
    )
}

impl CrewView {
    fn of(c: Crew) -> CrewView {
        CrewView {
            state: c.state,
            eta: c.eta.map(ms),
            at: c.at.map(ms),
            worker: c.worker,
        }
    }

    /// The crew of order `full`.
    pub fn of_order(full: &OrderFull) -> Option<CrewView> {
        crew_of(full).map(CrewView::of)
    }
}

/// The bookings of an order, oldest first: (event time, data).
fn bookings<'a>(events: impl Iterator<Item = &'a EventRow>) -> Vec<(i64, Value)> {
    events
        .filter(|e| {
            matches!(
                e.kind.as_str(),
                "appointment_booked" | "appointment_rebooked"
            )
        })
        .map(|e| (e.at, data_of(e)))
        .collect()
}

impl AppointmentView {
    /// The latest visit booked on order `full`, with the state of its limit.
    pub fn of_order(full: &OrderFull) -> Option<AppointmentView> {
        let all = bookings(full.events.iter());
        let (_, d) = all.last()?;
        let limit: Option<&DeadlineRow> = full
            .deadlines
            .iter()
            .rev()
            .find(|x| x.kind == "appointment");
        let state = match limit {
            Some(x) if x.met_at.is_some() => "met",
            Some(x) if x.state == "missed" => "missed",
            Some(x) if !x.active => "stopped",
            _ => "pending",
        };
        Some(AppointmentView {
            for_time: ms(time_in(d, "for_time")?),
            note: d["note"].as_str().map(str::to_owned),
            state,
            bookings: all.len(),
        })
    }
}

/// A visit booked, as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    /// The time of the visit, unix ms.
    pub for_time: i64,
    /// Note.
    pub note: Option<String>,
    /// Visits booked on the order so far.
    pub bookings: usize,
}

/// The crew and the visit booked of one order of a list (the phone's tasks, the caller
/// lookup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFacts {
    /// The order.
    pub order_id: i64,
    /// Its crew (none: no worker assigned since the last dispatch).
    pub crew: Option<CrewView>,
    /// The latest visit booked.
    pub booked: Option<Booked>,
}

/// The crews and visits of `orders`, as a list the user was allowed to see gives them (the
/// caller lookup: state and expected arrival, never just "dispatched"). At most the store's
/// bound of orders are read.
pub async fn field_facts(app: &App, orders: &[OrderSummary]) -> AppResult<Vec<FieldFacts>> {
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let events = app.store.crew_events(&ids).await?;
    Ok(orders
        .iter()
        .map(|o| {
            let mine: Vec<&EventRow> = events
                .iter()
                .filter(|(id, _)| *id == o.id)
                .map(|(_, e)| e)
                .collect();
            let crew = crew::fold(mine.iter().filter_map(|e| crew_event(e)), o.assignee_id);
            let all = bookings(mine.into_iter());
            let booked = all.last().and_then(|(_, d)| {
                Some(Booked {
                    for_time: ms(time_in(d, "for_time")?),
                    note: d["note"].as_str().map(str::to_owned),
                    bookings: all.len(),
                })
            });
            FieldFacts {
                order_id: o.id,
                crew: crew.map(CrewView::of),
                booked,
            }
        })
        .collect())
}
