//! The frame every step runs in: read the order and check access, decide (the step's own
//! checks, then the domain's workflow), write everything in one transaction, answer the order.

use chrono::{DateTime, Utc};
use rexian_domain::lifecycle::Step;
use rexian_domain::model::{DeadlineKind, Status};
use rexian_domain::workflow::{self, Env, OrderState, Running};
use rexian_domain::Policy;
use rexian_store::orders::{
    CallbackRow, DeadlineChange, ExtensionChange, NewEvent, OrderChange, OrderFull, OrderRow,
};
use rexian_store::org::Company;
use serde_json::Value;

use super::{callback, extension, may_take, notes, unit, StepDone, StepInput};
use crate::clock::{from_ms, ms};
use crate::order_state::{policy_for_unit, running_limits, state_of, to_changes};
use crate::orders::{visible, OrderView};
use crate::{Actor, App, AppError, AppResult};

/// What a step answers when the order changed between its read and its write.
pub const ORDER_CHANGED: &str = "the order changed meanwhile; reload and retry";

/// Everything a step decides on.
pub(super) struct Ctx<'a> {
    pub app: &'a App,
    pub me: &'a Actor,
    pub full: OrderFull,
    pub company: Company,
    pub policy: Policy,
    pub state: OrderState,
    pub running: Vec<Running>,
    pub now: DateTime<Utc>,
}

impl Ctx<'_> {
    /// The domain's environment of the step.
    pub fn env(&self) -> Env<'_> {
        Env {
            policy: &self.policy,
            calendar: &self.app.calendar,
            offset: self.company.offset(),
            now: self.now,
        }
    }
}

/// What a step decided before the domain applies it.
pub(super) struct Decision {
    pub step: Step,
    pub event: &'static str,
    pub data: Value,
    pub callback: Option<CallbackRow>,
    pub extension: Option<ExtensionChange>,
    /// An approved extension: the limit and its new due time.
    pub grant: Option<(DeadlineKind, DateTime<Utc>)>,
}

impl Decision {
    pub fn new(step: Step, event: &'static str, data: Value) -> Self {
        Decision {
            step,
            event,
            data,
            callback: None,
            extension: None,
            grant: None,
        }
    }
}

/// The domain's refusal of a step.
pub(super) fn refused(e: impl std::fmt::Display) -> AppError {
    AppError::InvalidTransition(e.to_string())
}

/// One attempt of [`super::take`].
pub(super) async fn once(
    app: &App,
    me: &Actor,
    order_id: i64,
    step: &str,
    eid: Option<i64>,
    b: StepInput,
) -> AppResult<StepDone> {
    super::known(step)?;
    let full = visible(app, me, order_id).await?;
    if !may_take(me, step) {
        return Err(AppError::Forbidden);
    }
    let company = app.store.company(full.order.company_id).await?;
    if let Some((after, kind, data)) = notes::note(app, &full, &company, step, &b).await? {
        let event = event(me, kind, app.now_ms(), data);
        return write(app, me, plain_change(&full, after, event)).await;
    }
    let target = match step {
        "dispatch" | "transfer" => b.unit_id.map(|u| u.0),
        _ => full.order.unit_id,
    };
    let cx = Ctx {
        app,
        me,
        policy: policy_for_unit(app, &company, target).await?,
        state: state_of(&full, &company)?,
        running: running_limits(&full),
        now: app.clock.now(),
        full,
        company,
    };
    let reason_given = b.reason.clone();
    crate::water::before_step(&cx.policy, &cx.full, step, b.paid == Some(true))?;
    let d = decide(&cx, step, eid, b).await?;
    let change = apply(&cx, step, reason_given, d).await?;
    write(app, me, change).await
}

/// What a step of its own module decided ([`super::crew`]): a domain step, applied like any
/// other, or a note that keeps the status, with the limits it meets or starts.
pub(super) enum Custom {
    /// A step of the domain's workflow (the crew on site is the arrive step).
    Step(Decision),
    /// An event that changes no status, and the limits it meets or starts.
    Note {
        /// The event's kind.
        kind: &'static str,
        /// What it records.
        data: Value,
        /// Limits met or started.
        ops: Vec<workflow::DeadlineOp>,
    },
}

/// One attempt of a step that `decide` decides on the order as read: `role_step` is its key
/// in the access table ([`may_take`]), `domain_step` the step a [`Custom::Step`] applies.
pub(super) async fn once_custom<F>(
    app: &App,
    me: &Actor,
    order_id: i64,
    (role_step, domain_step): (&str, &str),
    decide: &F,
) -> AppResult<StepDone>
where
    F: Fn(&Ctx<'_>) -> AppResult<Custom>,
{
    let full = visible(app, me, order_id).await?;
    if !may_take(me, role_step) {
        return Err(AppError::Forbidden);
    }
    let company = app.store.company(full.order.company_id).await?;
    let cx = Ctx {
        app,
        me,
        policy: policy_for_unit(app, &company, full.order.unit_id).await?,
        state: state_of(&full, &company)?,
        running: running_limits(&full),
        now: app.clock.now(),
        full,
        company,
    };
    let change = match decide(&cx)? {
        Custom::Step(d) => apply(&cx, domain_step, None, d).await?,
        Custom::Note { kind, data, ops } => {
            let now_ms = ms(cx.now);
            let e = event(me, kind, now_ms, data);
            OrderChange {
                deadlines: running_changes(&cx.full, to_changes(&ops), now_ms),
                ..plain_change(&cx.full, cx.full.order.clone(), e)
            }
        }
    };
    write(app, me, change).await
}

/// The step's own checks and what it records.
async fn decide(cx: &Ctx<'_>, step: &str, eid: Option<i64>, b: StepInput) -> AppResult<Decision> {
    match step {
        "dispatch" | "transfer" => unit::dispatch(cx, step == "transfer", b).await,
        "merge" => unit::merge(cx, b).await,
        "reply" => unit::reply(b),
        "callbacks" => callback::attempt(cx, b),
        "extensions" => extension::ask(cx, b),
        "extension_approve" | "extension_reject" => {
            extension::decide(cx, step == "extension_approve", eid, b)
        }
        other => unit::plain(cx, other, b),
    }
}

/// The domain's outcome of the decision, as the change to write.
async fn apply(
    cx: &Ctx<'_>,
    step: &str,
    reason_given: Option<String>,
    d: Decision,
) -> AppResult<OrderChange> {
    let env = cx.env();
    let grant = d.grant.map(|(kind, until)| workflow::Grant {
        kind,
        until,
        running: &cx.running,
    });
    let mut outcome = workflow::apply(&cx.state, &d.step, &env, grant.as_ref()).map_err(refused)?;
    if step == "resume" {
        if let Some(at) = cx.full.events.iter().rev().find(|e| e.kind == "suspended") {
            let ops = workflow::on_resume(&cx.state, &env, from_ms(at.at));
            outcome.ops.extend(ops);
        }
    }
    let mut data = d.data;
    let (offset, cat) = (cx.company.offset(), cx.full.order.category.as_str());
    if let Some(at) =
        crate::water::defer_off_hours(cx.app, &cx.policy, offset, cat, &mut outcome.ops)
    {
        data["arrive_from"] = Value::String(crate::ser::rfc3339(ms(at))); // 003:4.3⑶ off hours
    }
    if let Some(r) = reason_given {
        if data.get("reason").is_none() {
            data["reason"] = Value::String(r);
        }
    }
    data["from"] = Value::String(cx.state.status.as_str().into());
    data["to"] = Value::String(outcome.status.as_str().into());
    let now_ms = ms(cx.now);
    let mut after = cx.full.order.clone();
    after.status = outcome.status.as_str().into();
    after.unit_id = outcome.unit;
    after.closed_at =
        matches!(outcome.status, Status::Closed | Status::Cancelled).then_some(now_ms);
    // Picked for a re-check in the close's own transaction: never lost to a crash after.
    let recheck = match outcome.status {
        Status::Closed => crate::contacts::recheck_on_close(cx.app, &cx.full.order)
            .await?
            .map(str::to_owned),
        _ => None,
    };
    Ok(OrderChange {
        deadlines: running_changes(&cx.full, to_changes(&outcome.ops), now_ms),
        callback: d.callback,
        extension: d.extension,
        recheck,
        ..plain_change(&cx.full, after, event(cx.me, d.event, now_ms, data))
    })
}

/// Meets and stops only of the limits the order has running: a step names every kind it could
/// meet (the named limits among them), most orders have few.
fn running_changes(
    full: &OrderFull,
    changes: Vec<DeadlineChange>,
    now_ms: i64,
) -> Vec<DeadlineChange> {
    let active_kind = |k: &str, unmet: bool| {
        full.deadlines
            .iter()
            .any(|d| d.active && d.kind == k && (!unmet || d.met_at.is_none()))
    };
    changes
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
        .collect()
}

/// The event of a step by `me`.
fn event(me: &Actor, kind: &str, at: i64, data: Value) -> NewEvent {
    NewEvent {
        kind: kind.into(),
        actor_id: Some(me.id),
        at,
        data,
    }
}

/// A change of the order row and one event, nothing else.
fn plain_change(full: &OrderFull, after: OrderRow, event: NewEvent) -> OrderChange {
    OrderChange {
        before_version: full.order.version,
        after,
        event,
        deadlines: Vec::new(),
        callback: None,
        extension: None,
        recheck: None,
    }
}

/// Writes the change in one transaction and answers the order as it now is.
async fn write(app: &App, me: &Actor, change: OrderChange) -> AppResult<StepDone> {
    let extension_id = app.store.apply_change(&change).await.map_err(|e| match e {
        rexian_store::StoreError::Conflict(_) => AppError::Conflict {
            field: None,
            message: ORDER_CHANGED.into(),
        },
        other => other.into(),
    })?;
    let full = app.store.order_full(change.after.id).await?;
    app.notify(&full.order);
    Ok(StepDone {
        order: OrderView::of(me, &full, change.event.at),
        extension_id,
    })
}
