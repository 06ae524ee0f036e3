//! Steps that change no status, only record an event (with the order row as they leave it):
//! assignment to a field worker, a callback appointment, the unit's suspension request, the
//! company's refusal of it, and the review of an unsatisfied callback.

use std::str::FromStr;

use rexian_domain::lifecycle::with_unit;
use rexian_domain::model::{Role, Status};
use rexian_store::orders::{OrderFull, OrderRow};
use rexian_store::org::Company;
use serde_json::{json, Value};

use super::{need, need_text, StepInput};
use crate::clock::ms;
use crate::order_state::pending_suspension;
use crate::org::parse_roles;
use crate::{App, AppError, AppResult};

/// What such a step records: the order row after it, the event's kind and data.
type Note = (OrderRow, &'static str, Value);

/// The note `step` records, or none when `step` is not one of these.
pub(super) async fn note(
    app: &App,
    full: &OrderFull,
    company: &Company,
    step: &str,
    b: &StepInput,
) -> AppResult<Option<Note>> {
    let after = full.order.clone();
    let reason = || need_text(b.reason.clone(), "reason");
    Ok(Some(match step {
        "assign" => assign(app, full, b).await?,
        "callback_appointment" => appointment(app, full, company, b)?,
        "suspend_request" => {
            // The unit asks; the company (a supervisor) approves with `suspend` (000:八.4).
            let status = status(full)?;
            if !with_unit(status) {
                return Err(AppError::InvalidTransition(format!(
                    "cannot ask to suspend an order that is {status}"
                )));
            }
            (after, "suspension_requested", json!({"reason": reason()?}))
        }
        "suspend_refuse" => {
            if pending_suspension(full).is_none() {
                return Err(AppError::InvalidTransition(
                    "no suspension request is pending on this order".into(),
                ));
            }
            (after, "suspension_refused", json!({"reason": reason()?}))
        }
        "unsatisfied_review" => {
            let comment = need_text(b.comment.clone(), "comment")?;
            (after, "unsatisfied_reviewed", json!({"comment": comment}))
        }
        _ => return Ok(None),
    }))
}

fn status(full: &OrderFull) -> AppResult<Status> {
    Status::from_str(&full.order.status).map_err(|e| AppError::Internal(e.into()))
}

/// Assigns the order to a field worker of the unit holding it.
async fn assign(app: &App, full: &OrderFull, b: &StepInput) -> AppResult<Note> {
    let worker_id = need(b.user_id, "user_id")?.0;
    let status = status(full)?;
    if !with_unit(status) {
        return Err(AppError::InvalidTransition(format!(
            "cannot assign an order that is {status}"
        )));
    }
    let worker = app
        .store
        .user(worker_id)
        .await
        .map_err(|_| AppError::invalid("user_id", "user_id names no user"))?;
    let is_worker = parse_roles(&worker.roles).contains(&Role::FieldWorker);
    if !is_worker || worker.unit_id != full.order.unit_id || worker.disabled {
        return Err(AppError::invalid(
            "user_id",
            "assign to an active field worker of the unit holding the order",
        ));
    }
    let mut after = full.order.clone();
    after.assignee_id = Some(worker_id);
    let data = json!({"user_id": worker_id.to_string(), "from": status, "to": status});
    Ok((after, "assigned", data))
}

/// The time the customer asked to be called back (约时回访).
fn appointment(app: &App, full: &OrderFull, company: &Company, b: &StepInput) -> AppResult<Note> {
    let at = need(b.until_at(company.offset())?, "until")?;
    if at <= app.clock.now() {
        return Err(AppError::invalid(
            "until",
            "the appointment must be in the future",
        ));
    }
    let mut after = full.order.clone();
    after.callback_at = Some(ms(at));
    let data = json!({"at": at, "note": b.note});
    Ok((after, "callback_appointed", data))
}
