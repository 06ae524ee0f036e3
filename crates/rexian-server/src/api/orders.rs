//! Work orders: intake, the lifecycle steps, detail and lists (api-v1 "Orders").

use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, FixedOffset, Utc};
use rexian_domain::callback::{check_attempt, CallbackRefusal};
use rexian_domain::lifecycle::Step;
use rexian_domain::model::{DeadlineKind, Grade, Role, Satisfaction, Status};
use rexian_domain::workflow::{self, Env};
use rexian_store::matters::MatterIntake;
use rexian_store::orders::{
    CallbackRow, DeadlineChange, ExtensionChange, NewEvent, OrderChange, OrderFull, OrderRow,
};
use rexian_store::org::Company;
use serde::Deserialize;
use serde_json::{json, Value};

use rexian_app::intake;

use super::personal::{self, shown};
use super::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::clock::{from_ms, ms};
use crate::error::{AppError, AppResult};
use crate::extract::parse_json;
use crate::idempotency::{replay, request_hash};
use crate::AppState;

pub(crate) use rexian_app::order_state::{
    extension_kind, pending_suspension, policy_for_unit, running_limits, state_of, to_changes,
};
pub use rexian_app::tenancy::company_policy;

pub(crate) fn offset_of(c: &Company) -> FixedOffset {
    c.offset()
}

pub(crate) use rexian_app::orders::{can_see, customer_shown, step_roles};

/// The customer block as this user may see it (see [`customer_shown`]).
fn customer_json(u: &CurrentUser, o: &OrderRow) -> Value {
    json!(customer_shown(u, o))
}

fn id_str(v: Option<i64>) -> Value {
    v.map(|x| Value::String(x.to_string()))
        .unwrap_or(Value::Null)
}

pub(crate) fn rfc3339(v: i64) -> String {
    from_ms(v).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The whole order as api-v1 shows it.
fn order_json(u: &CurrentUser, f: &OrderFull, now: i64) -> Value {
    json!(rexian_app::orders::OrderView::of(u, f, now))
}

pub(crate) use rexian_app::text::clean;

/// The matter use cases intake needs, from [`super::matters`] until they move to `rexian_app`.
pub struct Matters<'s>(pub &'s AppState);

impl intake::Matters for Matters<'_> {
    fn propose_or_create<'a>(
        &'a self,
        company: &'a Company,
        subtype: Option<&'a str>,
        place: Option<&'a str>,
        description: &'a str,
        now: DateTime<Utc>,
    ) -> intake::MatterFuture<'a, i64> {
        let app = self.0;
        Box::pin(super::matters::propose_or_create(
            app,
            company,
            subtype,
            place,
            description,
            now,
        ))
    }

    fn join<'a>(
        &'a self,
        company: &'a Company,
        matter_id: i64,
        this: &'a OrderRow,
    ) -> intake::MatterFuture<'a, (Grade, MatterIntake)> {
        Box::pin(super::matters::join(self.0, company, matter_id, this))
    }
}

/// `POST /api/v1/orders`: creates an order (or closes it at once when answered on the call).
/// Its `Idempotency-Key` answer is kept in the transaction that creates the order.
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let hash = request_hash("POST", "/api/v1/orders", &body);
    if let Some(k) = &key {
        if k.is_empty() || k.len() > 200 {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 1–200 characters",
            ));
        }
        if let Some(r) = intake::answered(&app, &me, k).await? {
            return replay(r.answer, &hash);
        }
    }
    let b: intake::NewOrderInput = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let key = key.map(|key| intake::Key {
        key,
        request_hash: Some(hash.clone()),
    });
    match intake::create(&app, &me, b, key, &Matters(&app)).await? {
        intake::Intake::Created(v) => Ok((StatusCode::CREATED, Json(v)).into_response()),
        intake::Intake::Replayed(r) => replay(r.answer, &hash),
    }
}

/// Loads an order the user may see, or `not_found`.
pub(crate) async fn visible_order(
    app: &AppState,
    me: &CurrentUser,
    id: &str,
) -> AppResult<OrderFull> {
    rexian_app::orders::visible(app, me, parse_id("id", id)?).await
}

/// `GET /api/v1/orders/{id}`; the view of personal data is logged.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let (full, _) = rexian_app::orders::open(&app, &me, parse_id("id", &id)?).await?;
    Ok(Json(order_json(&me, &full, ms(app.clock.now()))))
}

/// `GET /api/v1/orders`: newest first, scoped to what the user may see.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<rexian_app::orders::ListInput>,
) -> AppResult<Json<rexian_app::orders::OrderPage>> {
    Ok(Json(rexian_app::orders::list(&app, &me, &q).await?))
}

/// Bodies of the steps.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    unit_id: Option<Id>,
    reason: Option<String>,
    result: Option<String>,
    paid: Option<bool>,
    approved: Option<bool>,
    comment: Option<String>,
    reached: Option<bool>,
    satisfaction: Option<String>,
    matches_reply: Option<bool>,
    note: Option<String>,
    until: Option<DateTime<Utc>>,
    kind: Option<String>,
    into: Option<Id>,
    user_id: Option<Id>,
    fault: Option<String>,
    materials: Option<String>,
    labour_minutes: Option<i64>,
    customer_consent: Option<bool>,
    signature: Option<String>,
    method: Option<String>,
    content: Option<String>,
    remaining_issues: Option<String>,
    customer_opinion: Option<String>,
    contact_person: Option<String>,
    customer_head: Option<String>,
    customer_head_phone: Option<String>,
    customer_signature: Option<String>,
}

fn need<T>(v: Option<T>, field: &str) -> AppResult<T> {
    v.ok_or_else(|| AppError::invalid(field, format!("{field} is required")))
}

fn need_text(v: Option<String>, field: &str) -> AppResult<String> {
    clean(field, v, 2000)?.ok_or_else(|| AppError::invalid(field, format!("{field} is required")))
}

/// `POST /api/v1/orders/{id}/{step}`.
pub async fn step(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let b: StepBody = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let (mut v, ext) = do_step(&app, &me, &id, &step, None, b).await?;
    step_shown(&v);
    if let Some(e) = ext {
        v["extension_id"] = Value::String(e.to_string());
        return Ok((StatusCode::CREATED, Json(v)).into_response());
    }
    Ok(Json(v).into_response())
}

/// `POST /api/v1/orders/{id}/extensions/{eid}/{approve|reject}`.
pub async fn extension_decision(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, eid, decision)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    let b: StepBody = parse_json(if body.is_empty() { b"{}" } else { &body })?;
    let eid = parse_id("extension_id", &eid)?;
    let step = match decision.as_str() {
        "approve" => "extension_approve",
        "reject" => "extension_reject",
        _ => return Err(AppError::NotFound),
    };
    let (v, _) = do_step(&app, &me, &id, step, Some(eid), b).await?;
    step_shown(&v);
    Ok(Json(v))
}

/// A step's answer is the order, with its customer as the user sees it: a view.
fn step_shown(order: &Value) {
    if personal::in_customer(&order["customer"]) {
        shown(
            "order_step",
            order["id"].as_str().and_then(|i| i.parse().ok()),
        );
    }
}

/// What a step answers when the order changed between its read and its write.
const ORDER_CHANGED: &str = "the order changed meanwhile; reload and retry";

/// Runs one step: access, validation, the domain's decision, and the write.
///
/// The caller pins no version, so when something else (a timer firing a deadline, another
/// user) changed the order between the step's read and its write, the step is decided again on
/// the order as it now is; only a third clash in a row reaches the caller as `409`.
pub async fn do_step(
    app: &AppState,
    me: &CurrentUser,
    id: &str,
    step: &str,
    eid: Option<i64>,
    b: StepBody,
) -> AppResult<(Value, Option<i64>)> {
    let mut attempt = 1;
    loop {
        match step_once(app, me, id, step, eid, b.clone()).await {
            Err(AppError::Conflict {
                field: None,
                message,
            }) if message == ORDER_CHANGED && attempt < 3 => attempt += 1,
            other => return other,
        }
    }
}

/// One attempt of [`do_step`].
async fn step_once(
    app: &AppState,
    me: &CurrentUser,
    id: &str,
    step: &str,
    eid: Option<i64>,
    b: StepBody,
) -> AppResult<(Value, Option<i64>)> {
    let reason_given = b.reason.clone();
    let role_key = match step {
        "extension_approve" | "extension_reject" => "extension_decide",
        s => s,
    };
    if step_roles(role_key).is_empty() {
        return Err(AppError::NotFound);
    }
    let full = visible_order(app, me, id).await?;
    if !step_roles(role_key).iter().any(|r| me.has(*r)) && !me.has(Role::Admin) {
        return Err(AppError::Forbidden);
    }
    match step {
        "assign" => return assign(app, me, &full, b).await.map(|v| (v, None)),
        "callback_appointment" => {
            let at = need(b.until, "until")?;
            if at <= app.clock.now() {
                return Err(AppError::invalid(
                    "until",
                    "the appointment must be in the future",
                ));
            }
            let mut after = full.order.clone();
            after.callback_at = Some(ms(at));
            let data = json!({"at": at, "note": b.note});
            return annotate(app, me, &full, after, "callback_appointed", data)
                .await
                .map(|v| (v, None));
        }
        "suspend_request" => {
            // The unit asks; the company (a supervisor) approves with `suspend` (000:八.4).
            let status =
                Status::from_str(&full.order.status).map_err(|e| AppError::Internal(e.into()))?;
            if !rexian_domain::lifecycle::with_unit(status) {
                return Err(AppError::InvalidTransition(format!(
                    "cannot ask to suspend an order that is {status}"
                )));
            }
            let reason = need_text(b.reason, "reason")?;
            let after = full.order.clone();
            return annotate(
                app,
                me,
                &full,
                after,
                "suspension_requested",
                json!({"reason": reason}),
            )
            .await
            .map(|v| (v, None));
        }
        "suspend_refuse" => {
            // The company refuses a unit's pending suspension request, with a reason.
            if pending_suspension(&full).is_none() {
                return Err(AppError::InvalidTransition(
                    "no suspension request is pending on this order".into(),
                ));
            }
            let reason = need_text(b.reason, "reason")?;
            let after = full.order.clone();
            return annotate(
                app,
                me,
                &full,
                after,
                "suspension_refused",
                json!({"reason": reason}),
            )
            .await
            .map(|v| (v, None));
        }
        "unsatisfied_review" => {
            let comment = need_text(b.comment, "comment")?;
            let after = full.order.clone();
            let data = json!({"comment": comment});
            return annotate(app, me, &full, after, "unsatisfied_reviewed", data)
                .await
                .map(|v| (v, None));
        }
        _ => {}
    }
    let company = app.store.company(full.order.company_id).await?;
    let target = match step {
        "dispatch" | "transfer" => b.unit_id.as_ref().map(|u| u.0),
        _ => full.order.unit_id,
    };
    let policy = policy_for_unit(app, &company, target).await?;
    let now = app.clock.now();
    let now_ms = ms(now);
    let env = Env {
        policy: &policy,
        calendar: &app.calendar,
        offset: offset_of(&company),
        now,
    };
    let state = state_of(&full, &company)?;
    let mut callback = None;
    let mut extension = None;
    let running = running_limits(&full);
    let mut grant = None;
    let (domain_step, event, mut data) = match step {
        "dispatch" | "transfer" => {
            let unit = need(b.unit_id, "unit_id")?.0;
            let u = app
                .store
                .unit(unit)
                .await
                .map_err(|_| AppError::invalid("unit_id", "unit_id names no unit"))?;
            if u.company_id != company.id {
                return Err(AppError::invalid(
                    "unit_id",
                    "unit belongs to another company",
                ));
            }
            // Dispatching an order a unit already holds is a transfer.
            let transfer = step == "transfer"
                || (!matches!(state.status, Status::New | Status::Returned)
                    && state.unit.is_some());
            if transfer {
                (
                    Step::Transfer { unit },
                    "transferred",
                    json!({"unit_id": unit.to_string(), "reason": b.reason}),
                )
            } else {
                (
                    Step::Dispatch { unit },
                    "dispatched",
                    json!({"unit_id": unit.to_string()}),
                )
            }
        }
        "accept" => (Step::Accept, "accepted", json!({})),
        "return" => (
            Step::Return,
            "returned",
            json!({"reason": need_text(b.reason, "reason")?}),
        ),
        "arrive" => (Step::Arrive, "arrived", json!({"note": b.note})),
        "reply" => {
            // The repair form (维修单, 000:四.1): a fault inside the customer's home is paid
            // (费用自理) only when the customer agreed.
            let result = need_text(b.result, "result")?;
            let paid = b.paid.unwrap_or(false);
            if paid && b.customer_consent != Some(true) {
                return Err(AppError::invalid(
                    "customer_consent",
                    "a paid repair (费用自理) needs the customer's consent",
                ));
            }
            if b.labour_minutes
                .is_some_and(|m| !(0..=100_000).contains(&m))
            {
                return Err(AppError::invalid(
                    "labour_minutes",
                    "labour_minutes must be 0–100000",
                ));
            }
            let signature = clean("signature", b.signature, 200_000)?;
            if signature
                .as_deref()
                .is_some_and(|s| !s.starts_with("data:image/png;base64,"))
            {
                return Err(AppError::invalid(
                    "signature",
                    "signature must be a PNG data URL",
                ));
            }
            (
                Step::Reply,
                "replied",
                json!({"result": result, "paid": paid, "customer_consent": b.customer_consent,
                    "fault": clean("fault", b.fault, 2000)?, "materials": clean("materials", b.materials, 2000)?,
                    "labour_minutes": b.labour_minutes, "signature": signature}),
            )
        }
        "review" => {
            let approved = need(b.approved, "approved")?;
            (
                Step::Review { approved },
                if approved {
                    "reviewed"
                } else {
                    "review_rejected"
                },
                json!({"approved": approved, "comment": b.comment}),
            )
        }
        "callbacks" => {
            let reached = need(b.reached, "reached")?;
            let satisfaction = match b.satisfaction.as_deref() {
                None => None,
                Some(s) => Some(
                    Satisfaction::from_str(s)
                        .map_err(|e| AppError::invalid("satisfaction", e.to_string()))?,
                ),
            };
            if !reached && (satisfaction.is_some() || b.matches_reply.is_some()) {
                return Err(AppError::invalid(
                    "reached",
                    "an unreached customer gives no satisfaction or account",
                ));
            }
            let last_unreached = state
                .attempts
                .iter()
                .filter(|a| !a.reached)
                .map(|a| a.at)
                .max();
            let local = now.with_timezone(&env.offset).naive_local();
            match check_attempt(local, last_unreached, now, &policy.callback) {
                Err(CallbackRefusal::Window) => {
                    return Err(AppError::CallbackWindow(
                        "no callbacks between 21:00 and 08:00".into(),
                    ))
                }
                Err(CallbackRefusal::TooSoon) => {
                    return Err(AppError::CallbackTooSoon(
                        "wait 2 h after an unreachable attempt".into(),
                    ))
                }
                Ok(()) => {}
            }
            let contradicts = b.matches_reply == Some(false);
            // The fields of the callback form (回访单, 000:附件) the agent fills in.
            let method = match b.method.as_deref() {
                None | Some("phone") => "phone",
                Some("on_site") => "on_site",
                Some("letter") => "letter",
                Some("other") => "other",
                Some(m) => {
                    return Err(AppError::invalid(
                        "method",
                        format!("method must be phone, on_site, letter or other, got {m:?}"),
                    ))
                }
            };
            let signature = clean("customer_signature", b.customer_signature.clone(), 200_000)?;
            if signature
                .as_deref()
                .is_some_and(|s| !s.starts_with("data:image/png;base64,"))
            {
                return Err(AppError::invalid(
                    "customer_signature",
                    "customer_signature must be a PNG data URL",
                ));
            }
            let form = json!({"method": method, "content": clean("content", b.content.clone(), 2000)?,
                "remaining_issues": clean("remaining_issues", b.remaining_issues.clone(), 2000)?,
                "customer_opinion": clean("customer_opinion", b.customer_opinion.clone(), 2000)?,
                "contact_person": clean("contact_person", b.contact_person.clone(), 100)?,
                "customer_head": clean("customer_head", b.customer_head.clone(), 100)?,
                "customer_head_phone": clean("customer_head_phone", b.customer_head_phone.clone(), 30)?,
                "customer_signature": signature});
            callback = Some(CallbackRow {
                at: now_ms,
                agent_id: Some(me.id),
                reached,
                satisfaction: satisfaction.map(|s| s.as_str().to_owned()),
                matches_reply: b.matches_reply,
                note: clean("note", b.note.clone(), 2000)?,
            });
            let ev = if contradicts { "reopened" } else { "callback" };
            (
                Step::Callback {
                    reached,
                    contradicts,
                },
                ev,
                json!({"reached": reached, "satisfaction": satisfaction,
                "matches_reply": b.matches_reply, "note": b.note, "reason": if contradicts { Some("callback contradicts the reply") } else { None },
                "form": form}),
            )
        }
        "close" => (Step::Close, "closed", json!({"reason": b.reason})),
        "cancel" => (
            Step::Cancel,
            "cancelled",
            json!({"reason": need_text(b.reason, "reason")?}),
        ),
        "reopen" => (
            Step::Reopen,
            "reopened",
            json!({"reason": need_text(b.reason, "reason")?}),
        ),
        "suspend" => (
            Step::Suspend,
            "suspended",
            json!({"reason": need_text(b.reason, "reason")?, "from": state.status}),
        ),
        "resume" => (Step::Resume, "resumed", json!({})),
        "merge" => {
            let into = need(b.into, "into")?.0;
            let target = app
                .store
                .order(into)
                .await
                .map_err(|_| AppError::invalid("into", "into names no order"))?;
            if target.company_id != company.id || target.id == full.order.id {
                return Err(AppError::invalid(
                    "into",
                    "merge into another order of the same company",
                ));
            }
            (Step::Merge, "merged", json!({"into": into.to_string()}))
        }
        "extensions" => {
            // The step's own refusal (status, a pending request) before the body's.
            workflow::apply(&state, &Step::ExtensionAsk, &env, None)
                .map_err(|e| AppError::InvalidTransition(e.to_string()))?;
            let until = need(b.until, "until")?;
            if until <= now {
                return Err(AppError::invalid("until", "until must be in the future"));
            }
            let reason = need_text(b.reason, "reason")?;
            let kind = extension_kind(b.kind.as_deref(), &running, now)?;
            // Never earlier: an extension asking for no more time than the limit has is refused.
            if running.iter().any(|r| r.kind == kind && until <= r.due_at) {
                return Err(AppError::invalid(
                    "until",
                    format!("until must be later than the {kind} limit's due time"),
                ));
            }
            extension = Some(ExtensionChange::Ask {
                until_at: ms(until),
                kind: kind.as_str().into(),
                reason: reason.clone(),
            });
            (
                Step::ExtensionAsk,
                "extension_asked",
                json!({"until": until, "kind": kind, "reason": reason}),
            )
        }
        "extension_approve" | "extension_reject" => {
            let eid = eid.ok_or(AppError::NotFound)?;
            let x = full
                .extensions
                .iter()
                .find(|x| x.id == eid)
                .ok_or(AppError::NotFound)?;
            if x.status != "pending" {
                return Err(AppError::InvalidTransition(format!(
                    "extension {eid} is already {}",
                    x.status
                )));
            }
            let approve = step == "extension_approve";
            let reason = if approve {
                clean("reason", b.reason, 2000)?
            } else {
                Some(need_text(b.reason, "reason")?)
            };
            if approve {
                // A limit met or stopped since moves nothing; one already later stays.
                let kind = DeadlineKind::from_str(&x.kind).map_err(|_| {
                    AppError::Internal(anyhow::anyhow!("extension {eid} has a bad kind"))
                })?;
                grant = Some(workflow::Grant {
                    kind,
                    until: from_ms(x.until_at),
                    running: &running,
                });
            }
            extension = Some(ExtensionChange::Decide {
                id: eid,
                status: if approve { "approved" } else { "rejected" }.into(),
                reason: reason.clone(),
            });
            let ev = if approve {
                "extension_approved"
            } else {
                "extension_rejected"
            };
            (
                if approve {
                    Step::ExtensionApprove
                } else {
                    Step::ExtensionReject
                },
                ev,
                json!({"extension_id": eid.to_string(), "reason": reason}),
            )
        }
        _ => return Err(AppError::NotFound),
    };
    let mut outcome = workflow::apply(&state, &domain_step, &env, grant.as_ref())
        .map_err(|e| AppError::InvalidTransition(e.to_string()))?;
    if step == "resume" {
        if let Some(at) = full.events.iter().rev().find(|e| e.kind == "suspended") {
            outcome
                .ops
                .extend(workflow::on_resume(&state, &env, from_ms(at.at)));
        }
    }
    if let Some(r) = &reason_given {
        if data.get("reason").is_none() {
            data["reason"] = Value::String(r.clone());
        }
    }
    data["from"] = Value::String(state.status.as_str().into());
    data["to"] = Value::String(outcome.status.as_str().into());
    let mut after = full.order.clone();
    after.status = outcome.status.as_str().into();
    after.unit_id = outcome.unit;
    if outcome.status == Status::Closed || outcome.status == Status::Cancelled {
        after.closed_at = Some(now_ms);
    } else {
        after.closed_at = None;
    }
    // Meets and stops only of the limits the order has running: a step names every kind it
    // could meet (the named limits among them), most orders have few.
    let active_kind = |k: &str, unmet: bool| {
        full.deadlines
            .iter()
            .any(|d| d.active && d.kind == k && (!unmet || d.met_at.is_none()))
    };
    let deadlines = to_changes(&outcome.ops)
        .into_iter()
        .filter_map(|c| match c {
            DeadlineChange::Meet { kind, .. } => {
                active_kind(&kind, true).then_some(DeadlineChange::Meet { kind, at: now_ms })
            }
            DeadlineChange::Stop { kinds, unit_only } => {
                let kinds: Vec<String> = kinds
                    .into_iter()
                    .filter(|k| active_kind(k, false))
                    .collect();
                (!kinds.is_empty()).then_some(DeadlineChange::Stop { kinds, unit_only })
            }
            other => Some(other),
        })
        .collect();
    let change = OrderChange {
        before_version: full.order.version,
        after,
        event: NewEvent {
            kind: event.into(),
            actor_id: Some(me.id),
            at: now_ms,
            data,
        },
        deadlines,
        callback,
        extension,
        // Picked for a re-check in the close's own transaction: never lost to a crash after.
        recheck: match outcome.status {
            Status::Closed => rexian_app::contacts::recheck_on_close(app, &full.order)
                .await?
                .map(str::to_owned),
            _ => None,
        },
    };
    let ext = app.store.apply_change(&change).await.map_err(|e| match e {
        rexian_store::StoreError::Conflict(_) => AppError::Conflict {
            field: None,
            message: ORDER_CHANGED.into(),
        },
        other => other.into(),
    })?;
    let full = app.store.order_full(full.order.id).await?;
    app.notify(&full.order);
    Ok((order_json(me, &full, now_ms), ext))
}

/// `GET /api/v1/orders/{id}/supervision`: the supervision notices of an order, by level, with
/// who each level reaches (`to`: the deadline's unit handler and head, then up its chain, the
/// company at the top) and the reminders at the top level.
pub async fn supervision(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let full = visible_order(&app, &me, &id).await?;
    let notices = app.store.supervision_notices_full(full.order.id).await?;
    let mut items = Vec::new();
    for n in notices {
        let mut chain = Vec::new();
        let mut cur = n.unit_id;
        while let Some(u) = cur {
            if chain.len() > 16 {
                break;
            }
            chain.push(u);
            cur = app.store.unit(u).await.ok().and_then(|x| x.parent_id);
        }
        let (to, target) =
            workflow::supervision_target(&chain, n.level.max(0) as u32).unwrap_or(("", None));
        items.push(json!({"deadline": n.deadline, "level": n.level, "to": to, "unit_id": id_str(target), "at": rfc3339(n.at),
            "reminders": n.reminders, "reminded_at": n.reminded_at.map(rfc3339)}));
    }
    Ok(Json(json!({"items": items})))
}

/// Assigns the order to a field worker of the unit holding it (an event; the status stays).
async fn assign(
    app: &AppState,
    me: &CurrentUser,
    full: &OrderFull,
    b: StepBody,
) -> AppResult<Value> {
    let worker_id = need(b.user_id, "user_id")?.0;
    let status = Status::from_str(&full.order.status).map_err(|e| AppError::Internal(e.into()))?;
    if !rexian_domain::lifecycle::with_unit(status) {
        return Err(AppError::InvalidTransition(format!(
            "cannot assign an order that is {status}"
        )));
    }
    let worker = app
        .store
        .user(worker_id)
        .await
        .map_err(|_| AppError::invalid("user_id", "user_id names no user"))?;
    let is_worker = crate::auth::parse_roles(&worker.roles).contains(&Role::FieldWorker);
    if !is_worker || worker.unit_id != full.order.unit_id || worker.disabled {
        return Err(AppError::invalid(
            "user_id",
            "assign to an active field worker of the unit holding the order",
        ));
    }
    let mut after = full.order.clone();
    after.assignee_id = Some(worker_id);
    let data = json!({"user_id": worker_id.to_string(), "from": status, "to": status});
    annotate(app, me, full, after, "assigned", data).await
}

/// Records an event that changes no status (assignment, appointment, review of an unsatisfied
/// callback), with the order row as `after` leaves it.
async fn annotate(
    app: &AppState,
    me: &CurrentUser,
    full: &OrderFull,
    after: OrderRow,
    kind: &str,
    data: Value,
) -> AppResult<Value> {
    let now_ms = ms(app.clock.now());
    let change = OrderChange {
        before_version: full.order.version,
        after,
        event: NewEvent {
            kind: kind.into(),
            actor_id: Some(me.id),
            at: now_ms,
            data,
        },
        deadlines: Vec::new(),
        callback: None,
        extension: None,
        recheck: None,
    };
    app.store.apply_change(&change).await.map_err(|e| match e {
        rexian_store::StoreError::Conflict(_) => AppError::Conflict {
            field: None,
            message: ORDER_CHANGED.into(),
        },
        other => other.into(),
    })?;
    let full = app.store.order_full(full.order.id).await?;
    app.notify(&full.order);
    Ok(order_json(me, &full, now_ms))
}

/// `GET /api/v1/orders/{id}/callback_form`: the callback form (回访单, `000:附件`) of the order's
/// latest callback, every field of the seed's form, ready to show or print.
pub async fn callback_form(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(callback_form_data(&app, &me, &id).await?))
}

/// The fields of the callback form of the order's latest callback (see [`callback_form`]).
pub(crate) async fn callback_form_data(
    app: &AppState,
    me: &CurrentUser,
    id: &str,
) -> AppResult<Value> {
    let full = visible_order(app, me, id).await?;
    let o = &full.order;
    let company = app.store.company(o.company_id).await?;
    let offset = offset_of(&company);
    let data = |e: &rexian_store::orders::EventRow| {
        serde_json::from_str::<Value>(&e.data).unwrap_or(Value::Null)
    };
    let callbacks: Vec<&rexian_store::orders::EventRow> = full
        .events
        .iter()
        .filter(|e| {
            matches!(e.kind.as_str(), "callback" | "reopened") && data(e)["reached"].is_boolean()
        })
        .collect();
    let last = callbacks.last().ok_or(AppError::NotFound)?;
    let cb = data(last);
    let reply = full
        .events
        .iter()
        .rev()
        .find(|e| e.kind == "replied")
        .map(data)
        .unwrap_or(Value::Null);
    let agent = match last.actor_id {
        Some(a) => app.store.user(a).await.ok().map(|u| u.name),
        None => None,
    };
    let customer = customer_json(me, o);
    if personal::in_customer(&customer) {
        shown("callback_form", Some(o.id));
    }
    Ok(json!({
        "company": company.name,
        "form_number": format!("{}-HF{}", o.number, callbacks.len()),
        "customer": customer["name"],
        "contact_person": cb["form"]["contact_person"].as_str().map(str::to_owned).or_else(|| customer["name"].as_str().map(str::to_owned)),
        "contact_phone": customer["phone"],
        "customer_head": cb["form"]["customer_head"], "customer_head_phone": cb["form"]["customer_head_phone"],
        "address": customer["address"],
        "time": from_ms(last.at).with_timezone(&offset).format("%Y-%m-%d %H:%M").to_string(),
        "method": cb["form"]["method"].as_str().unwrap_or("phone"),
        "content": cb["form"]["content"].as_str().map(str::to_owned).unwrap_or_else(|| format!("{} 处理情况回访", o.number)),
        "demand": o.description,
        "handling_and_result": reply["result"],
        "remaining_issues": cb["form"]["remaining_issues"],
        "customer_opinion": cb["form"]["customer_opinion"],
        "satisfaction": cb["satisfaction"],
        "customer_signature": cb["form"]["customer_signature"],
        "callback_staff": agent,
        "department_head": Value::Null,
    }))
}
