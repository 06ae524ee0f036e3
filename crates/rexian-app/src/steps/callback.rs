//! `callbacks`: a callback attempt (回访) with the callback form (回访单, 000:附件) the agent
//! fills in; an account that contradicts the reply reopens the order.

use std::str::FromStr;

use rexian_domain::callback::{check_attempt, CallbackRefusal};
use rexian_domain::lifecycle::Step;
use rexian_domain::model::Satisfaction;
use rexian_store::orders::CallbackRow;
use serde_json::{json, Value};

use super::frame::{Ctx, Decision};
use super::unit::png;
use super::{need, StepInput};
use crate::clock::ms;
use crate::text::clean;
use crate::{AppError, AppResult};

/// A callback attempt.
pub(super) fn attempt(cx: &Ctx<'_>, b: StepInput) -> AppResult<Decision> {
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
    if !b.via_portal {
        allowed_now(cx)?;
    }
    let contradicts = b.matches_reply == Some(false);
    let form = form(&b)?;
    let callback = CallbackRow {
        at: ms(cx.now),
        agent_id: Some(cx.me.id),
        reached,
        satisfaction: satisfaction.map(|s| s.as_str().to_owned()),
        matches_reply: b.matches_reply,
        note: clean("note", b.note.clone(), 2000)?,
    };
    let reason = contradicts.then_some("callback contradicts the reply");
    let mut data = json!({"reached": reached, "satisfaction": satisfaction,
        "matches_reply": b.matches_reply, "note": b.note, "reason": reason, "form": form});
    if b.via_portal {
        data["via"] = json!("portal_link");
    }
    let event = if contradicts { "reopened" } else { "callback" };
    let step = Step::Callback {
        reached,
        contradicts,
    };
    Ok(Decision {
        callback: Some(callback),
        ..Decision::new(step, event, data)
    })
}

/// No calls at night, and none too soon after an unreachable attempt.
fn allowed_now(cx: &Ctx<'_>) -> AppResult<()> {
    let last_unreached = cx
        .state
        .attempts
        .iter()
        .filter(|a| !a.reached)
        .map(|a| a.at)
        .max();
    let local = cx.now.with_timezone(&cx.company.offset()).naive_local();
    match check_attempt(local, last_unreached, cx.now, &cx.policy.callback) {
        Err(CallbackRefusal::Window) => Err(AppError::CallbackWindow(
            "no callbacks between 21:00 and 08:00".into(),
        )),
        Err(CallbackRefusal::TooSoon) => Err(AppError::CallbackTooSoon(
            "wait 2 h after an unreachable attempt".into(),
        )),
        Ok(()) => Ok(()),
    }
}

/// The fields of the callback form the agent fills in.
fn form(b: &StepInput) -> AppResult<Value> {
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
    let signature = png("customer_signature", b.customer_signature.clone())?;
    let text = |field: &str, v: &Option<String>, max| clean(field, v.clone(), max);
    Ok(
        json!({"method": method, "content": text("content", &b.content, 2000)?,
        "remaining_issues": text("remaining_issues", &b.remaining_issues, 2000)?,
        "customer_opinion": text("customer_opinion", &b.customer_opinion, 2000)?,
        "contact_person": text("contact_person", &b.contact_person, 100)?,
        "customer_head": text("customer_head", &b.customer_head, 100)?,
        "customer_head_phone": text("customer_head_phone", &b.customer_head_phone, 30)?,
        "customer_signature": signature}),
    )
}
