//! The order page: facts, deadlines with countdowns, the events as a timeline, a form for every
//! step the user's role and the order's state allow, and the printable 维修单 (repair form).
//! Steps go through `api::orders::do_step`; which forms show is asked of the domain's workflow.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use chrono::FixedOffset;
use rexian_domain::lifecycle::Step;
use rexian_domain::model::Role;
use rexian_domain::workflow::{self, Env};
use rexian_store::orders::OrderFull;
use serde::Deserialize;
use serde_json::Value;

use super::common::{body, local_time, msgs, s, step_json, Badge, Fields};
use super::{error_page, render, PageUser};
use crate::api::orders::{company_policy, do_step, offset_of};
use crate::auth::{parse_roles, CurrentUser};
use crate::clock::ms;
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

/// The steps the page may offer, in the order the forms appear.
const STEPS: &[&str] = &[
    "dispatch",
    "accept",
    "assign",
    "arrive",
    "reply",
    "review",
    "callbacks",
    "close",
    "extensions",
    "return",
    "transfer",
    "suspend_request",
    "suspend",
    "suspend_refuse",
    "resume",
    "reopen",
    "cancel",
];

/// The domain step used to ask whether a form makes sense now (ids do not matter for that).
fn trial(step: &str) -> Option<Step> {
    Some(match step {
        "dispatch" => Step::Dispatch { unit: 0 },
        "transfer" => Step::Transfer { unit: 0 },
        "accept" => Step::Accept,
        "return" => Step::Return,
        "arrive" => Step::Arrive,
        "reply" => Step::Reply,
        "review" => Step::Review { approved: true },
        "callbacks" => Step::Callback {
            reached: false,
            contradicts: false,
        },
        "close" => Step::Close,
        "cancel" => Step::Cancel,
        "reopen" => Step::Reopen,
        "suspend" | "suspend_request" => Step::Suspend,
        "resume" => Step::Resume,
        "extensions" => Step::ExtensionAsk,
        _ => return None,
    })
}

/// The steps this user may take on this order now.
fn allowed_steps(
    app: &AppState,
    u: &CurrentUser,
    full: &OrderFull,
    company: &rexian_store::org::Company,
) -> AppResult<Vec<String>> {
    let policy = company_policy(company)?;
    let state = crate::api::orders::state_of(full, company)?;
    let env = Env {
        policy: &policy,
        calendar: &app.calendar,
        offset: offset_of(company),
        now: app.clock.now(),
    };
    let role_ok = |step: &str| {
        u.has(Role::Admin)
            || crate::api::orders::step_roles(step)
                .iter()
                .any(|r| u.has(*r))
    };
    let mut out = Vec::new();
    for step in STEPS {
        if !role_ok(step) {
            continue;
        }
        let ok = match *step {
            "assign" => rexian_domain::lifecycle::with_unit(state.status),
            // Arrived once in this dispatch: the reply is what comes next.
            "arrive" if state.arrived => false,
            "suspend_refuse" => crate::api::orders::pending_suspension(full).is_some(),
            other => trial(other).is_some_and(|t| workflow::apply(&state, &t, &env, None).is_ok()),
        };
        if ok {
            out.push((*step).to_owned());
        }
    }
    Ok(out)
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

async fn build(
    app: &AppState,
    t: Msgs,
    u: &CurrentUser,
    id: &str,
    flash: Option<String>,
    print: bool,
) -> AppResult<OrderPage> {
    // Visibility, masking, and the log of the personal-data view.
    let oid = crate::api::parse_id("id", id)?;
    let (full, customer) = rexian_app::orders::open(app, u, oid).await?;
    let company = app.store.company(full.order.company_id).await?;
    let offset: FixedOffset = offset_of(&company);
    let now = ms(app.clock.now());
    let units_all = app.store.units(Some(company.id)).await?;
    let unit_names: HashMap<i64, String> =
        units_all.iter().map(|x| (x.id, x.name.clone())).collect();
    let users_all = app.store.users(Some(company.id)).await?;
    let user_names: HashMap<i64, String> =
        users_all.iter().map(|x| (x.id, x.name.clone())).collect();
    let o = &full.order;
    let steps = allowed_steps(app, u, &full, &company)?;
    let deadlines = full
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
                badge: Badge::of(&t, &d.kind, d.due_at, d.amber_at, met, now, offset),
                state: t.get(&format!("dstate.{state}")),
            }
        })
        .collect();
    let events = full
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
                    .and_then(|a| user_names.get(&a).cloned())
                    .unwrap_or_else(|| t.get("event.system")),
                detail: event_detail(&t, &e.kind, &d, &unit_names, &user_names),
                kind: e.kind.clone(),
            }
        })
        .collect();
    let ext_kinds = crate::api::orders::running_limits(&full)
        .iter()
        .map(|r| {
            (
                r.kind.as_str().to_owned(),
                t.get(&format!("deadline.{}", r.kind)),
            )
        })
        .collect();
    let extensions = full
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
        .collect();
    let callbacks = full
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
        .collect();
    let repair = full
        .events
        .iter()
        .rev()
        .find(|e| e.kind == "replied")
        .map(|e| {
            let d: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
            RepairForm {
                replied: true,
                at: local_time(e.at, offset),
                by: e
                    .actor_id
                    .and_then(|a| user_names.get(&a).cloned())
                    .unwrap_or_default(),
                result: text_of(&d, "result"),
                fault: text_of(&d, "fault"),
                materials: text_of(&d, "materials"),
                labour: text_of(&d, "labour_minutes"),
                paid: d["paid"].as_bool() == Some(true),
                consent: d["customer_consent"].as_bool() == Some(true),
                signature: text_of(&d, "signature"),
            }
        })
        .unwrap_or_default();
    // Dispatch to any unit of the company but the centre itself; assign to the unit's workers.
    let units = units_all
        .iter()
        .filter(|x| x.kind != "centre")
        .map(|x| (x.id.to_string(), x.name.clone()))
        .collect();
    let workers = users_all
        .iter()
        .filter(|x| {
            !x.disabled
                && x.unit_id.is_some()
                && x.unit_id == o.unit_id
                && parse_roles(&x.roles).contains(&Role::FieldWorker)
        })
        .map(|x| (x.id.to_string(), x.name.clone()))
        .collect();
    let photos = app
        .store
        .photos(o.id)
        .await?
        .iter()
        .map(|p| PhotoLine {
            url: format!("/orders/{}/photos/{}", o.id, p.id),
            at: local_time(p.at, offset),
            by: p
                .uploaded_by
                .and_then(|x| user_names.get(&x).cloned())
                .unwrap_or_default(),
        })
        .collect();
    let can_photo =
        crate::api::photos::may_upload(u) && o.status != "closed" && o.status != "cancelled";
    let c = &customer;
    let subtype = o.subtype.clone().unwrap_or_default();
    Ok(OrderPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash,
        csrf: u.csrf.clone().unwrap_or_default(),
        id: o.id.to_string(),
        number: o.number.clone(),
        company: company.name.clone(),
        status: t.get(&format!("status.{}", o.status)),
        status_code: o.status.clone(),
        category: t.get(&format!("category.{}", o.category)),
        subtype: if subtype.is_empty() {
            String::new()
        } else {
            t.get(&format!("subtype.{subtype}"))
        },
        channel: t.get(&format!("channel.{}", o.channel)),
        grade: o
            .grade
            .map(|g| t.get(&format!("grade.g{g}")))
            .unwrap_or_default(),
        created: local_time(o.created_at, offset),
        first_responder: user_names
            .get(&o.first_responder_id)
            .cloned()
            .unwrap_or_default(),
        unit: o
            .unit_id
            .and_then(|x| unit_names.get(&x).cloned())
            .unwrap_or_default(),
        assignee: o
            .assignee_id
            .and_then(|x| user_names.get(&x).cloned())
            .unwrap_or_default(),
        description: o.description.clone(),
        anonymous: o.anonymous,
        hidden_customer: c.hidden,
        cust_name: c.name.clone().unwrap_or_default(),
        cust_phone: c.phone.clone().unwrap_or_default(),
        cust_address: c.address.clone().unwrap_or_default(),
        cust_community: c.community.clone().unwrap_or_default(),
        cust_account: c.account_no.clone().unwrap_or_default(),
        callback_declined: o.callback_pref == "declined",
        badge: super::common::order_badge(&t, &full.deadlines, now, offset),
        deadlines,
        events,
        extensions,
        callbacks,
        steps,
        units,
        workers,
        ext_kinds,
        satisfactions: ["satisfied", "basic", "unsatisfied"]
            .iter()
            .map(|x| ((*x).to_owned(), t.get(&format!("satisfaction.{x}"))))
            .collect(),
        is_supervisor: u.has(Role::Supervisor) || u.has(Role::Admin),
        repair,
        print,
        now,
        photos,
        can_photo,
    })
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
    if !STEPS.contains(&step.as_str()) {
        return error_page(t, &u, AppError::NotFound);
    }
    let r = async {
        let oid = crate::api::parse_id("id", &id)?;
        let company = app
            .store
            .company(app.store.order(oid).await?.company_id)
            .await?;
        let b = step_json(&f, offset_of(&company))?;
        do_step(&app, &u, &id, &step, None, body(b)?).await
    }
    .await;
    match r {
        Ok(_) => match back_to(&f, &step) {
            Some(back) => back,
            None => after_step(&app, &u, &id, &step).await,
        },
        Err(e) => error_page(t, &u, e),
    }
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
        let eid = crate::api::parse_id("extension_id", &eid)?;
        let b = step_json(&f, FixedOffset::east_opt(8 * 3600).expect("valid offset"))?;
        do_step(&app, &u, &id, step, Some(eid), body(b)?).await
    }
    .await;
    match r {
        Ok(_) => match back_to(&f, step) {
            Some(back) => back,
            None => after_step(&app, &u, &id, step).await,
        },
        Err(e) => error_page(t, &u, e),
    }
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
    match crate::api::orders::callback_form_data(&app, &u, &id).await {
        Ok(v) => {
            let satisfaction = match s(&v, "satisfaction") {
                x if x.is_empty() => String::new(),
                x => t.get(&format!("satisfaction.{x}")),
            };
            let f = CallbackFormFields {
                customer: s(&v, "customer"),
                number: s(&v, "form_number"),
                contact: s(&v, "contact_person"),
                phone: s(&v, "contact_phone"),
                head: s(&v, "customer_head"),
                head_phone: s(&v, "customer_head_phone"),
                address: s(&v, "address"),
                time: s(&v, "time"),
                method: s(&v, "method"),
                content: s(&v, "content"),
                demand: s(&v, "demand"),
                result: s(&v, "handling_and_result"),
                remaining: s(&v, "remaining_issues"),
                satisfaction,
                opinion: s(&v, "customer_opinion"),
                signature: s(&v, "customer_signature"),
                staff: s(&v, "callback_staff"),
            };
            let company = s(&v, "company");
            render(&CallbackFormPage {
                t,
                user: Some(PageUser::of(&u, &t)),
                flash: None,
                id,
                company,
                f,
            })
        }
        Err(e) => error_page(t, &u, e),
    }
}
