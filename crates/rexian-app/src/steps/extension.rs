//! Extensions (延期): the unit asks for more time on a running limit; a supervisor approves
//! (the limit moves) or rejects, with a reason.

use std::str::FromStr;

use rexian_domain::lifecycle::Step;
use rexian_domain::model::DeadlineKind;
use rexian_domain::workflow;
use rexian_store::orders::ExtensionChange;
use serde_json::json;

use super::frame::{refused, Ctx, Decision};
use super::{need, need_text, StepInput};
use crate::clock::{from_ms, ms};
use crate::order_state::extension_kind;
use crate::text::clean;
use crate::{AppError, AppResult};

/// `extensions`: asks for `until` on the limit `kind` (by default the overdue or amber one).
pub(super) fn ask(cx: &Ctx<'_>, b: StepInput) -> AppResult<Decision> {
    // The step's own refusal (status, a pending request) before the body's.
    workflow::apply(&cx.state, &Step::ExtensionAsk, &cx.env(), None).map_err(refused)?;
    let until = need(b.until_at(cx.company.offset())?, "until")?;
    if until <= cx.now {
        return Err(AppError::invalid("until", "until must be in the future"));
    }
    let reason = need_text(b.reason, "reason")?;
    let kind = extension_kind(b.kind.as_deref(), &cx.running, cx.now)?;
    // Never earlier: an extension asking for no more time than the limit has is refused.
    if cx
        .running
        .iter()
        .any(|r| r.kind == kind && until <= r.due_at)
    {
        return Err(AppError::invalid(
            "until",
            format!("until must be later than the {kind} limit's due time"),
        ));
    }
    let data = json!({"until": until, "kind": kind, "reason": reason});
    Ok(Decision {
        extension: Some(ExtensionChange::Ask {
            until_at: ms(until),
            kind: kind.as_str().into(),
            reason,
        }),
        ..Decision::new(Step::ExtensionAsk, "extension_asked", data)
    })
}

/// Approves or rejects the pending extension `eid` (a rejection gives a reason); an approved
/// one moves its limit, unless the limit was met or stopped since, or is already later.
pub(super) fn decide(
    cx: &Ctx<'_>,
    approve: bool,
    eid: Option<i64>,
    b: StepInput,
) -> AppResult<Decision> {
    let eid = eid.ok_or(AppError::NotFound)?;
    let x = cx
        .full
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
    let reason = if approve {
        clean("reason", b.reason, 2000)?
    } else {
        Some(need_text(b.reason, "reason")?)
    };
    let grant = if approve {
        let kind = DeadlineKind::from_str(&x.kind)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("extension {eid} has a bad kind")))?;
        Some((kind, from_ms(x.until_at)))
    } else {
        None
    };
    let (step, event, status) = if approve {
        (Step::ExtensionApprove, "extension_approved", "approved")
    } else {
        (Step::ExtensionReject, "extension_rejected", "rejected")
    };
    let data = json!({"extension_id": eid.to_string(), "reason": reason});
    Ok(Decision {
        extension: Some(ExtensionChange::Decide {
            id: eid,
            status: status.into(),
            reason,
        }),
        grant,
        ..Decision::new(step, event, data)
    })
}
