//! The order page: facts, deadlines with countdowns, the events as a timeline, a form for every
//! step the user's role and the order's state allow, and the printable 维修单 (repair form).
//! Steps go through `rexian_app::steps::take`; which forms show is asked of the use case.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use chrono::{FixedOffset, NaiveDateTime};
use rexian_app::ser::Id;
use rexian_app::steps::{self, views, StepInput, FORM_STEPS};
use rexian_domain::model::Role;
use serde::Deserialize;
use serde_json::Value;

use super::common::{local_time, msgs, Badge, Fields};
use super::{error_page, render, PageUser};
use crate::api::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Order page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders/{id}", get(page))
        .route("/orders/{id}/print", get(print))
        .route("/orders/{id}/callback_form", get(callback_form))
        .route("/orders/{id}/{step}", post(step))
        .route(
            "/orders/{id}/photos",
            post(photos_upload).layer(axum::extract::DefaultBodyLimit::max(
                crate::api::photos::UPLOAD_BODY_LIMIT,
            )),
        )
        .route("/orders/{id}/photos/{pid}", get(crate::api::photos::get))
        .route(
            "/orders/{id}/extensions/{eid}/{decision}",
            post(extension_decision),
        )
}

/// One line of the timeline.
pub struct EventLine {
    at: String,
    label: String,
    actor: String,
    detail: String,
    kind: String,
}

/// One deadline as the page shows it.
pub struct DeadlineLine {
    kind: String,
    started: String,
    due: String,
    original: String,
    badge: Badge,
    state: String,
}

/// An extension request.
pub struct ExtensionLine {
    id: String,
    kind: String,
    until: String,
    reason: String,
    status: String,
    pending: bool,
}

/// A callback attempt.
pub struct CallbackLine {
    at: String,
    reached: bool,
    satisfaction: String,
    matches: String,
    note: String,
}

/// The repair form (维修单) of the last reply, for printing.
#[derive(Default)]
pub struct RepairForm {
    replied: bool,
    at: String,
    by: String,
    result: String,
    fault: String,
    materials: String,
    labour: String,
    paid: bool,
    consent: bool,
    signature: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    csrf: String,
    id: String,
    number: String,
    company: String,
    status: String,
    status_code: String,
    category: String,
    subtype: String,
    channel: String,
    grade: String,
    created: String,
    first_responder: String,
    unit: String,
    assignee: String,
    covers: Vec<String>,
    description: String,
    anonymous: bool,
    hidden_customer: bool,
    cust_name: String,
    cust_phone: String,
    cust_address: String,
    cust_community: String,
    cust_account: String,
    callback_declined: bool,
    badge: Badge,
    deadlines: Vec<DeadlineLine>,
    events: Vec<EventLine>,
    extensions: Vec<ExtensionLine>,
    callbacks: Vec<CallbackLine>,
    steps: Vec<String>,
    units: Vec<(String, String)>,
    workers: Vec<(String, String)>,
    /// The limits an extension may be for (kind, label).
    ext_kinds: Vec<(String, String)>,
    satisfactions: Vec<(String, String)>,
    is_supervisor: bool,
    repair: RepairForm,
    print: bool,
    now: i64,
    photos: Vec<PhotoLine>,
    can_photo: bool,
    /// Published outage notices over the order's place: (cause, expected end, local).
    outages: Vec<(String, String)>,
    /// The mass incident it belongs to: (id, community · subtype, orders).
    incident: Option<(String, String, i64)>,
    /// The crew on its way and the visit booked (`ui::field`).
    field: super::field::OrderField,
    /// The water services' panel (003).
    water: Option<super::water::WaterSection>,
    /// Temperature readings (service/temperature orders).
    measure: Option<super::measure::MeasurePanel>,
}

/// A photo of the order.
pub struct PhotoLine {
    url: String,
    at: String,
    by: String,
}

impl OrderPage {
    /// Whether the form of `step` is offered.
    fn can(&self, step: &str) -> bool {
        self.steps.iter().any(|s| s == step)
    }
}

#[derive(Deserialize)]
struct PageQuery {
    done: Option<String>,
}

async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = msgs(&headers);
    let flash = q
        .done
        .filter(|d| d.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|d| format!("{}{}", t.get("order.done"), t.get(&format!("step.{d}"))));
    match build(&app, t, &u, &id, flash, false).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

async fn print(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> Response {
    let t = msgs(&headers);
    match build(&app, t, &u, &id, None, true).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

fn text_of(v: &Value, k: &str) -> String {
    match &v[k] {
        Value::String(x) => x.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// The detail of an event worth a line of the timeline.
fn event_detail(
    t: &Msgs,
    kind: &str,
    d: &Value,
    units: &HashMap<i64, String>,
    users: &HashMap<i64, String>,
) -> String {
    let unit = |k: &str| {
        text_of(d, k)
            .parse::<i64>()
            .ok()
            .and_then(|id| units.get(&id).cloned())
            .unwrap_or_default()
    };
    let mut parts: Vec<String> = Vec::new();
    match kind {
        "dispatched" | "transferred" => parts.push(unit("unit_id")),
        "assigned" => parts.push(
            text_of(d, "user_id")
                .parse::<i64>()
                .ok()
                .and_then(|id| users.get(&id).cloned())
                .unwrap_or_default(),
        ),
        "replied" => {
            parts.push(text_of(d, "result"));
            parts.push(if d["paid"].as_bool() == Some(true) {
                t.get("reply.paid")
            } else {
                t.get("reply.free")
            });
        }
        "assignee_changed" => parts.push(super::away::move_detail(t, d, users)),
        "reviewed" | "review_rejected" => parts.push(text_of(d, "comment")),
        "callback" => {
            if d["reached"].as_bool() == Some(true) {
                let sat = text_of(d, "satisfaction");
                if !sat.is_empty() {
                    parts.push(t.get(&format!("satisfaction.{sat}")));
                }
            } else {
                parts.push(t.get("callback.unreached"));
            }
            parts.push(text_of(d, "note"));
        }
        "closed" => parts.push(text_of(d, "answered_at_once")),
        "extension_asked" => {
            let kind = text_of(d, "kind");
            if !kind.is_empty() {
                parts.push(t.get(&format!("deadline.{kind}")));
            }
            parts.push(text_of(d, "until"));
        }
        "arrived" => parts.push(text_of(d, "note")),
        "supervision_escalated" | "supervision_reminded" | "deadline_missed" | "deadline_amber" => {
            // The timers name the limit `deadline`.
            let kind = match text_of(d, "deadline") {
                k if k.is_empty() => text_of(d, "kind"),
                k => k,
            };
            parts.push(t.get(&format!("deadline.{kind}")))
        }
        _ => {}
    }
    let reason = text_of(d, "reason");
    if !reason.is_empty() && kind != "callback" {
        parts.push(reason);
    }
    parts.retain(|p| !p.is_empty());
    parts.join(" · ")
}

/// Names of the company's units and staff, for the facts and the timeline.
struct Names {
    units: HashMap<i64, String>,
    users: HashMap<i64, String>,
}

impl Names {
    fn of(p: &views::OrderPage) -> Names {
        Names {
            units: p.units.iter().map(|x| (x.id, x.name.clone())).collect(),
            users: p.users.iter().map(|x| (x.id, x.name.clone())).collect(),
        }
    }

    fn user(&self, id: Option<i64>) -> String {
        id.and_then(|x| self.users.get(&x).cloned())
            .unwrap_or_default()
    }

    fn unit(&self, id: Option<i64>) -> String {
        id.and_then(|x| self.units.get(&x).cloned())
            .unwrap_or_default()
    }
}

async fn build(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    id: &str,
    flash: Option<String>,
    print: bool,
) -> AppResult<OrderPage> {
    // Visibility, masking, and the log of the personal-data view.
    let p = views::page(app, u, parse_id("id", id)?).await?;
    let offset = p.company.offset();
    let now = app.now_ms();
    let names = Names::of(&p);
    let (o, c) = (&p.full.order, &p.customer);
    let label = |prefix: &str, v: &str| t.get(&format!("{prefix}.{v}"));
    Ok(OrderPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash,
        csrf: u.csrf.clone().unwrap_or_default(),
        id: o.id.to_string(),
        number: o.number.clone(),
        company: p.company.name.clone(),
        status: label("status", &o.status),
        status_code: o.status.clone(),
        category: label("category", &o.category),
        subtype: subtype_label(&t, o.subtype.as_deref()),
        channel: label("channel", &o.channel),
        grade: o
            .grade
            .map(|g| t.get(&format!("grade.g{g}")))
            .unwrap_or_default(),
        created: local_time(o.created_at, offset),
        first_responder: names.user(Some(o.first_responder_id)),
        unit: names.unit(o.unit_id),
        assignee: names.user(o.assignee_id),
        covers: super::away::order_covers(app, &t, o.id, &names.users).await?,
        description: o.description.clone(),
        anonymous: o.anonymous,
        hidden_customer: c.hidden,
        cust_name: c.name.clone().unwrap_or_default(),
        cust_phone: c.phone.clone().unwrap_or_default(),
        cust_address: c.address.clone().unwrap_or_default(),
        cust_community: c.community.clone().unwrap_or_default(),
        cust_account: c.account_no.clone().unwrap_or_default(),
        callback_declined: o.callback_pref == "declined",
        badge: super::worklist::limits_badge(&t, &p.limits(), now, offset),
        deadlines: deadline_lines(&t, &p, now, offset),
        events: event_lines(&t, &p, &names, offset),
        extensions: extension_lines(&t, &p, offset),
        callbacks: callback_lines(&t, &p, offset),
        steps: p.steps.clone(),
        outages: p
            .outages
            .iter()
            .map(|n| (n.cause.clone(), local_time(n.expected_end_at, offset)))
            .collect(),
        incident: incident_line(&t, &p),
        water: super::water::section(&t, u, &p)?,
        measure: super::measure::panel(&t, u, &p, now),
        units: pairs(p.dispatch_units().map(|x| (x.id, &x.name))),
        workers: pairs(p.workers().map(|x| (x.id, &x.name))),
        ext_kinds: labelled(&t, "deadline", p.running.iter().map(|r| r.kind.as_str())),
        satisfactions: labelled(&t, "satisfaction", SATISFACTIONS.iter().copied()),
        is_supervisor: u.has(Role::Supervisor) || u.has(Role::Admin),
        repair: repair_form(&p, &names, offset),
        print,
        now,
        photos: photo_lines(&p, &names, offset),
        can_photo: crate::api::photos::may_upload(u)
            && o.status != "closed"
            && o.status != "cancelled",
        field: super::field::order_field(&t, u, &p, now, |w| names.user(Some(w))),
    })
}

/// The subtype in words (empty without one).
fn subtype_label(t: &Msgs, subtype: Option<&str>) -> String {
    subtype
        .filter(|x| !x.is_empty())
        .map(|x| t.get(&format!("subtype.{x}")))
        .unwrap_or_default()
}

/// The satisfactions a callback may record.
const SATISFACTIONS: [&str; 3] = ["satisfied", "basic", "unsatisfied"];

/// Options of a select of codes, each with its label.
fn labelled<'a>(
    t: &Msgs,
    prefix: &str,
    codes: impl Iterator<Item = &'a str>,
) -> Vec<(String, String)> {
    codes
        .map(|c| (c.to_owned(), t.get(&format!("{prefix}.{c}"))))
        .collect()
}

/// Options of a select: (id, name).
fn pairs<'a>(it: impl Iterator<Item = (i64, &'a String)>) -> Vec<(String, String)> {
    it.map(|(id, name)| (id.to_string(), name.clone()))
        .collect()
}

fn deadline_lines(
    t: &Msgs,
    p: &views::OrderPage,
    now: i64,
    offset: FixedOffset,
) -> Vec<DeadlineLine> {
    p.full
        .deadlines
        .iter()
        .filter(|d| d.active)
        .map(|d| {
            let met = d.met_at.is_some() || d.state == "met";
            let state = if met {
                "met"
            } else if d.due_at <= now || d.state == "missed" {
                "missed"
            } else {
                "pending"
            };
            DeadlineLine {
                kind: t.get(&format!("deadline.{}", d.kind)),
                started: local_time(d.started_at, offset),
                due: local_time(d.due_at, offset),
                original: if d.original_due_at != d.due_at {
                    local_time(d.original_due_at, offset)
                } else {
                    String::new()
                },
                badge: Badge::of(t, &d.kind, d.due_at, d.amber_at, met, now, offset),
                state: t.get(&format!("dstate.{state}")),
            }
        })
        .collect()
}

fn event_lines(
    t: &Msgs,
    p: &views::OrderPage,
    names: &Names,
    offset: FixedOffset,
) -> Vec<EventLine> {
    p.full
        .events
        .iter()
        .rev()
        .map(|e| {
            let d: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
            EventLine {
                at: local_time(e.at, offset),
                label: t.get(&format!("event.{}", e.kind)),
                actor: e
                    .actor_id
                    .and_then(|a| names.users.get(&a).cloned())
                    .unwrap_or_else(|| t.get("event.system")),
                detail: event_detail(t, &e.kind, &d, &names.units, &names.users),
                kind: e.kind.clone(),
            }
        })
        .collect()
}

/// The mass incident of the order: (id, community · subtype, orders).
fn incident_line(t: &Msgs, p: &views::OrderPage) -> Option<(String, String, i64)> {
    p.incident.as_ref().map(|i| {
        let subtype = t.get(&format!("subtype.{}", i.subtype));
        (
            i.id.to_string(),
            format!("{} · {subtype}", i.community),
            i.orders,
        )
    })
}

fn extension_lines(t: &Msgs, p: &views::OrderPage, offset: FixedOffset) -> Vec<ExtensionLine> {
    p.full
        .extensions
        .iter()
        .map(|x| ExtensionLine {
            id: x.id.to_string(),
            kind: t.get(&format!("deadline.{}", x.kind)),
            until: local_time(x.until_at, offset),
            reason: x.reason.clone(),
            status: t.get(&format!("ext.{}", x.status)),
            pending: x.status == "pending",
        })
        .collect()
}

fn callback_lines(t: &Msgs, p: &views::OrderPage, offset: FixedOffset) -> Vec<CallbackLine> {
    p.full
        .callbacks
        .iter()
        .map(|c| CallbackLine {
            at: local_time(c.at, offset),
            reached: c.reached,
            satisfaction: c
                .satisfaction
                .as_deref()
                .map(|x| t.get(&format!("satisfaction.{x}")))
                .unwrap_or_default(),
            matches: match c.matches_reply {
                Some(true) => t.get("callback.matches_yes"),
                Some(false) => t.get("callback.matches_no"),
                None => String::new(),
            },
            note: c.note.clone().unwrap_or_default(),
        })
        .collect()
}

/// The repair form of the last reply.
fn repair_form(p: &views::OrderPage, names: &Names, offset: FixedOffset) -> RepairForm {
    p.full
        .events
        .iter()
        .rev()
        .find(|e| e.kind == "replied")
        .map(|e| {
            let d: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
            RepairForm {
                replied: true,
                at: local_time(e.at, offset),
                by: names.user(e.actor_id),
                result: text_of(&d, "result"),
                fault: text_of(&d, "fault"),
                materials: text_of(&d, "materials"),
                labour: text_of(&d, "labour_minutes"),
                paid: d["paid"].as_bool() == Some(true),
                consent: d["customer_consent"].as_bool() == Some(true),
                signature: text_of(&d, "signature"),
            }
        })
        .unwrap_or_default()
}

fn photo_lines(p: &views::OrderPage, names: &Names, offset: FixedOffset) -> Vec<PhotoLine> {
    let order = p.full.order.id;
    p.photos
        .iter()
        .map(|x| PhotoLine {
            url: format!("/orders/{order}/photos/{}", x.id),
            at: local_time(x.at, offset),
            by: names.user(x.uploaded_by),
        })
        .collect()
}

/// The screen a step form asked to return to (`_back`): only the console's own work screens.
fn back_to(f: &Fields, step: &str) -> Option<Response> {
    let back = super::common::field(f, "_back");
    ["/supervise"]
        .contains(&back)
        .then(|| Redirect::to(&format!("{back}?done={step}")).into_response())
}

/// Where to go after a step: the order, or the field worker's list when the order left them.
async fn after_step(app: &AppState, u: &CurrentUser, id: &str, step: &str) -> Response {
    let still_visible = match crate::api::parse_id("id", id) {
        Ok(oid) => rexian_app::orders::visible(app, u, oid).await.is_ok(),
        Err(_) => false,
    };
    if still_visible {
        Redirect::to(&format!("/orders/{id}?done={step}")).into_response()
    } else {
        Redirect::to("/queues").into_response()
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
    if !FORM_STEPS.contains(&step.as_str()) {
        return error_page(t, &u, AppError::NotFound);
    }
    let r = async {
        let oid = parse_id("id", &id)?;
        steps::take(&app, &u, oid, &step, None, step_input(&f)?).await
    }
    .await;
    finish(&app, t, &u, &id, &step, &f, r.map(|_| ())).await
}

/// The answer to a step form: back to the screen it came from, or the order; its error page.
async fn finish(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    id: &str,
    step: &str,
    f: &Fields,
    r: AppResult<()>,
) -> Response {
    match r {
        Ok(()) => match back_to(f, step) {
            Some(back) => back,
            None => after_step(app, u, id, step).await,
        },
        Err(e) => error_page(t, u, e),
    }
}

/// A step form as the step's input: fields starting with `_` and empty ones dropped, booleans
/// and numbers read, `until` a local time of the company's zone.
fn step_input(f: &Fields) -> AppResult<StepInput> {
    let mut b = StepInput::default();
    for (k, v) in f {
        let v = v.trim();
        if k.starts_with('_') || v.is_empty() {
            continue;
        }
        let yes = Some(matches!(v, "true" | "on" | "1" | "yes"));
        let id = || parse_id(k, v).map(|i| Some(Id(i)));
        match k.as_str() {
            "unit_id" => b.unit_id = id()?,
            "into" => b.into = id()?,
            "user_id" => b.user_id = id()?,
            "paid" => b.paid = yes,
            "approved" => b.approved = yes,
            "reached" => b.reached = yes,
            "matches_reply" => b.matches_reply = yes,
            "customer_consent" => b.customer_consent = yes,
            "labour_minutes" => {
                let n = v.parse::<i64>();
                let n = n.map_err(|_| AppError::invalid(k, format!("{k} must be a whole number")));
                b.labour_minutes = Some(n?);
            }
            "until" => b.until_local = Some(local_input(v)?),
            _ => match text_field(&mut b, k) {
                Some(field) => *field = Some(v.to_owned()),
                None => return Err(AppError::invalid(k, format!("unknown field `{k}`"))),
            },
        }
    }
    Ok(b)
}

/// The free-text field `k` of a step's input.
fn text_field<'a>(b: &'a mut StepInput, k: &str) -> Option<&'a mut Option<String>> {
    Some(match k {
        "reason" => &mut b.reason,
        "result" => &mut b.result,
        "comment" => &mut b.comment,
        "satisfaction" => &mut b.satisfaction,
        "note" => &mut b.note,
        "kind" => &mut b.kind,
        "fault" => &mut b.fault,
        "materials" => &mut b.materials,
        "signature" => &mut b.signature,
        "method" => &mut b.method,
        "content" => &mut b.content,
        "remaining_issues" => &mut b.remaining_issues,
        "customer_opinion" => &mut b.customer_opinion,
        "contact_person" => &mut b.contact_person,
        "customer_head" => &mut b.customer_head,
        "customer_head_phone" => &mut b.customer_head_phone,
        "customer_signature" => &mut b.customer_signature,
        _ => return None,
    })
}

/// A `datetime-local` input (`2026-01-05T14:30`).
fn local_input(s: &str) -> AppResult<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| AppError::invalid("until", "until must be a date and time"))
}

async fn photos_upload(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    mp: Result<axum::extract::multipart::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let t = msgs(&headers);
    match crate::api::photos::upload_photos(&app, &u, &id, mp).await {
        Ok(_) => after_step(&app, &u, &id, "photos").await,
        Err(e) => error_page(t, &u, e),
    }
}

async fn extension_decision(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path((id, eid, decision)): Path<(String, String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let step = match decision.as_str() {
        "approve" => "extension_approve",
        "reject" => "extension_reject",
        _ => return error_page(t, &u, AppError::NotFound),
    };
    let r = async {
        let eid = parse_id("extension_id", &eid)?;
        let oid = parse_id("id", &id)?;
        steps::take(&app, &u, oid, step, Some(eid), step_input(&f)?).await
    }
    .await;
    finish(&app, t, &u, &id, step, &f, r.map(|_| ())).await
}

/// The fields of the printed callback form, as text.
struct CallbackFormFields {
    customer: String,
    number: String,
    contact: String,
    phone: String,
    head: String,
    head_phone: String,
    address: String,
    time: String,
    method: String,
    content: String,
    demand: String,
    result: String,
    remaining: String,
    satisfaction: String,
    opinion: String,
    signature: String,
    staff: String,
}

#[derive(Template)]
#[template(path = "callback_form.html")]
struct CallbackFormPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    id: String,
    company: String,
    f: CallbackFormFields,
}

/// The callback form (回访单, `000:附件`) of the order's latest callback, on screen and printable.
async fn callback_form(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> Response {
    let t = msgs(&headers);
    let form = async { views::callback_form(&app, &u, parse_id("id", &id)?).await }.await;
    match form {
        Ok(v) => render(&CallbackFormPage {
            t,
            user: Some(PageUser::of(&u, &t)),
            flash: None,
            id,
            company: v.company.clone(),
            f: CallbackFormFields::of(&t, v),
        }),
        Err(e) => error_page(t, &u, e),
    }
}

impl CallbackFormFields {
    fn of(t: &Msgs, v: views::CallbackForm) -> CallbackFormFields {
        let text = |x: Option<String>| x.unwrap_or_default();
        CallbackFormFields {
            customer: text(v.customer),
            number: v.form_number,
            contact: text(v.contact_person),
            phone: text(v.contact_phone),
            head: text(v.customer_head),
            head_phone: text(v.customer_head_phone),
            address: text(v.address),
            time: v.time,
            method: v.method,
            content: v.content,
            demand: v.demand,
            result: text(v.handling_and_result),
            remaining: text(v.remaining_issues),
            satisfaction: v
                .satisfaction
                .filter(|x| !x.is_empty())
                .map(|x| t.get(&format!("satisfaction.{x}")))
                .unwrap_or_default(),
            opinion: text(v.customer_opinion),
            signature: text(v.customer_signature),
            staff: text(v.callback_staff),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn step_forms_become_typed_inputs() {
        let f = form(&[
            ("_csrf", "x"),
            ("result", "换阀门"),
            ("paid", "true"),
            ("labour_minutes", "30"),
            ("note", "  "),
            ("unit_id", "7"),
            ("until", "2026-01-05T14:30"),
        ]);
        let b = step_input(&f).unwrap();
        assert_eq!(b.result.as_deref(), Some("换阀门"));
        assert_eq!(b.paid, Some(true));
        assert_eq!(b.labour_minutes, Some(30));
        assert_eq!(b.note, None, "empty fields are dropped");
        assert_eq!(b.unit_id, Some(Id(7)));
        assert_eq!(
            b.until_local.map(|t| t.to_string()).as_deref(),
            Some("2026-01-05 14:30:00")
        );
    }

    #[test]
    fn bad_step_forms_name_the_field() {
        let err = |pairs: &[(&str, &str)]| {
            step_input(&form(pairs))
                .unwrap_err()
                .field()
                .map(str::to_owned)
        };
        assert_eq!(
            err(&[("labour_minutes", "half")]).as_deref(),
            Some("labour_minutes")
        );
        assert_eq!(err(&[("until", "tomorrow")]).as_deref(), Some("until"));
        assert_eq!(err(&[("unit_id", "x")]).as_deref(), Some("unit_id"));
        assert_eq!(err(&[("colour", "red")]).as_deref(), Some("colour"));
    }
}
