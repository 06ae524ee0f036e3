//! The bridge between the store's rows of an order and the domain's workflow: the state the
//! domain decides on, rebuilt from what the events recorded, and the domain's deadline
//! operations as store changes. One place, for every step, intake and regrade.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rexian_domain::callback::Attempt;
use rexian_domain::model::{Category, DeadlineKind, Grade, Status};
use rexian_domain::policy::{AreaClass, Policy};
use rexian_domain::workflow::{self, DeadlineOp, OrderState};
use rexian_store::orders::{DeadlineChange, EventRow, NewDeadline, OrderFull};
use rexian_store::org::Company;
use serde_json::Value;

use crate::clock::{from_ms, ms};
use crate::tenancy::company_policy;
use crate::{App, AppError, AppResult};

/// The company's policy with the area class of `unit` (urban, rural, remote) when the unit of
/// this company has one: it picks the area-specific limits of the orders dispatched to it.
pub async fn policy_for_unit(app: &App, company: &Company, unit: Option<i64>) -> AppResult<Policy> {
    let mut policy = company_policy(company)?;
    let Some(unit) = unit else {
        return Ok(policy);
    };
    match app.store.unit(unit).await {
        Ok(u) if u.company_id == company.id => {
            if let Some(a) = u.area.as_deref().and_then(AreaClass::parse) {
                policy.area = a;
            }
        }
        // An unknown unit is refused by the step itself, naming the field.
        Ok(_) | Err(rexian_store::StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(policy)
}

/// The heating season's start of the company, when it has one.
pub fn season_start(c: &Company) -> Option<NaiveDate> {
    c.season_start.as_deref().and_then(|s| s.parse().ok())
}

/// The domain's deadline operations as store changes.
pub fn to_changes(ops: &[DeadlineOp]) -> Vec<DeadlineChange> {
    ops.iter()
        .map(|op| match op {
            DeadlineOp::Start {
                kind,
                unit,
                started_at,
                due_at,
                amber_at,
                provisional,
            } => DeadlineChange::Add(NewDeadline {
                kind: kind.as_str().into(),
                unit_id: *unit,
                started_at: ms(*started_at),
                due_at: ms(*due_at),
                amber_at: ms(*amber_at),
                provisional: *provisional,
                limit_ms: (ms(*due_at) - ms(*started_at)).max(0),
            }),
            DeadlineOp::Meet(k) => DeadlineChange::Meet {
                kind: k.as_str().into(),
                at: 0,
            },
            DeadlineOp::Stop(ks) => DeadlineChange::Stop {
                kinds: ks.iter().map(|k| k.as_str().into()).collect(),
                unit_only: false,
            },
            DeadlineOp::StopUnit(ks) => DeadlineChange::Stop {
                kinds: ks.iter().map(|k| k.as_str().into()).collect(),
                unit_only: true,
            },
            DeadlineOp::Assign { kinds, unit } => DeadlineChange::Assign {
                kinds: kinds.iter().map(|k| k.as_str().into()).collect(),
                unit_id: *unit,
            },
            DeadlineOp::Resume { kinds, paused } => DeadlineChange::Resume {
                kinds: kinds.iter().map(|k| k.as_str().into()).collect(),
                paused_ms: paused.num_milliseconds(),
            },
            DeadlineOp::Move {
                kind,
                due_at,
                amber_at,
            } => DeadlineChange::Move {
                kind: kind.as_str().into(),
                due_at: ms(*due_at),
                amber_at: ms(*amber_at),
            },
        })
        .collect()
}

/// The limits of an order still counting (active, not met).
pub fn running_limits(f: &OrderFull) -> Vec<workflow::Running> {
    f.deadlines
        .iter()
        .filter(|d| d.active && d.met_at.is_none() && d.state != "met")
        .filter_map(|d| {
            Some(workflow::Running {
                kind: DeadlineKind::from_str(&d.kind).ok()?,
                due_at: from_ms(d.due_at),
                amber_at: from_ms(d.amber_at),
                missed: d.state == "missed",
            })
        })
        .collect()
}

/// The limit an extension is for: the one named (a running limit of the order), or by default
/// the overdue or amber one ([`workflow::extension_default`]).
pub fn extension_kind(
    named: Option<&str>,
    running: &[workflow::Running],
    now: DateTime<Utc>,
) -> AppResult<DeadlineKind> {
    match named {
        Some(k) => DeadlineKind::from_str(k)
            .ok()
            .filter(|k| running.iter().any(|r| r.kind == *k))
            .ok_or_else(|| {
                AppError::invalid(
                    "kind",
                    format!("kind {k:?} names no pending or missed limit of this order"),
                )
            }),
        None => workflow::extension_default(running, now).ok_or_else(|| {
            AppError::invalid(
                "kind",
                "no limit of this order is overdue or amber; name the limit in kind",
            )
        }),
    }
}

/// Rebuilds the workflow state of an order from what its events recorded.
pub fn state_of(f: &OrderFull, company: &Company) -> AppResult<OrderState> {
    let o = &f.order;
    let bad = |what: &str| AppError::Internal(anyhow::anyhow!("order {} has a bad {what}", o.id));
    let status = Status::from_str(&o.status).map_err(|_| bad("status"))?;
    let category = Category::from_str(&o.category).map_err(|_| bad("category"))?;
    let last_dispatch = f
        .events
        .iter()
        .rposition(|e| matches!(e.kind.as_str(), "dispatched" | "transferred" | "reopened"));
    let arrived = f
        .events
        .iter()
        .enumerate()
        .any(|(i, e)| e.kind == "arrived" && last_dispatch.is_none_or(|d| i > d));
    let suspended_from = f
        .events
        .iter()
        .rev()
        .find(|e| e.kind == "suspended")
        .and_then(|e| serde_json::from_str::<Value>(&e.data).ok())
        .and_then(|d| d["from"].as_str().and_then(|s| Status::from_str(s).ok()));
    let last_reply = f
        .events
        .iter()
        .filter(|e| e.kind == "replied")
        .map(|e| e.at)
        .max()
        .unwrap_or(0);
    let attempts = f
        .callbacks
        .iter()
        .filter(|c| c.at >= last_reply)
        .map(|c| Attempt {
            at: from_ms(c.at),
            reached: c.reached,
        })
        .collect();
    Ok(OrderState {
        status,
        category,
        subtype: o.subtype.clone(),
        grade: o.grade.and_then(|g| Grade::new(g as u8).ok()),
        unit: o.unit_id,
        callback_declined: o.callback_pref == "declined",
        accepted_at: from_ms(o.created_at),
        arrived,
        suspended_from,
        extension_pending: f.extensions.iter().any(|x| x.status == "pending"),
        attempts,
        season_start: season_start(company),
    })
}

/// The unit's suspension request still waiting for the company's decision: the last
/// `suspension_requested` event with no `suspended`, `suspension_refused` or `resumed` after it.
pub fn pending_suspension(full: &OrderFull) -> Option<&EventRow> {
    let last = full.events.iter().rev().find(|e| {
        matches!(
            e.kind.as_str(),
            "suspension_requested" | "suspended" | "suspension_refused" | "resumed"
        )
    })?;
    let open = Status::from_str(&full.order.status).is_ok_and(rexian_domain::lifecycle::with_unit);
    (last.kind == "suspension_requested" && open).then_some(last)
}
