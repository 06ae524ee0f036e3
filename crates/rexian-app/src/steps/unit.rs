//! The steps of the work itself: dispatch and transfer, accept, return, arrive, reply, review,
//! and the company's close, cancel, reopen, suspend, resume and merge.

use rexian_domain::lifecycle::Step;
use rexian_domain::model::Status;
use serde_json::json;

use super::frame::{Ctx, Decision};
use super::{need, need_text, StepInput};
use crate::text::clean;
use crate::{AppError, AppResult};

/// `dispatch` or `transfer` to `unit_id`; dispatching an order a unit already holds is a
/// transfer.
pub(super) async fn dispatch(cx: &Ctx<'_>, transfer: bool, b: StepInput) -> AppResult<Decision> {
    let unit = need(b.unit_id, "unit_id")?.0;
    let u = cx
        .app
        .store
        .unit(unit)
        .await
        .map_err(|_| AppError::invalid("unit_id", "unit_id names no unit"))?;
    if u.company_id != cx.company.id {
        return Err(AppError::invalid(
            "unit_id",
            "unit belongs to another company",
        ));
    }
    let held =
        !matches!(cx.state.status, Status::New | Status::Returned) && cx.state.unit.is_some();
    Ok(if transfer || held {
        Decision::new(
            Step::Transfer { unit },
            "transferred",
            json!({"unit_id": unit.to_string(), "reason": b.reason}),
        )
    } else {
        Decision::new(
            Step::Dispatch { unit },
            "dispatched",
            json!({"unit_id": unit.to_string()}),
        )
    })
}

/// `merge` into another order of the same company.
pub(super) async fn merge(cx: &Ctx<'_>, b: StepInput) -> AppResult<Decision> {
    let into = need(b.into, "into")?.0;
    let target = cx
        .app
        .store
        .order(into)
        .await
        .map_err(|_| AppError::invalid("into", "into names no order"))?;
    if target.company_id != cx.company.id || target.id == cx.full.order.id {
        return Err(AppError::invalid(
            "into",
            "merge into another order of the same company",
        ));
    }
    Ok(Decision::new(
        Step::Merge,
        "merged",
        json!({"into": into.to_string()}),
    ))
}

/// `reply`: the repair form (维修单, 000:四.1); a fault inside the customer's home is paid
/// (费用自理) only when the customer agreed.
pub(super) fn reply(b: StepInput) -> AppResult<Decision> {
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
    let signature = png("signature", b.signature)?;
    Ok(Decision::new(
        Step::Reply,
        "replied",
        json!({"result": result, "paid": paid, "customer_consent": b.customer_consent,
            "fault": clean("fault", b.fault, 2000)?, "materials": clean("materials", b.materials, 2000)?,
            "labour_minutes": b.labour_minutes, "signature": signature}),
    ))
}

/// An optional signature: a PNG data URL.
pub(super) fn png(field: &str, v: Option<String>) -> AppResult<Option<String>> {
    let signature = clean(field, v, 200_000)?;
    if signature
        .as_deref()
        .is_some_and(|s| !s.starts_with("data:image/png;base64,"))
    {
        return Err(AppError::invalid(
            field,
            format!("{field} must be a PNG data URL"),
        ));
    }
    Ok(signature)
}

/// The steps that record no more than their event's data.
pub(super) fn plain(cx: &Ctx<'_>, step: &str, b: StepInput) -> AppResult<Decision> {
    let reason = |b: StepInput| need_text(b.reason, "reason");
    let (domain, event, data) = match step {
        "accept" => (Step::Accept, "accepted", json!({})),
        "return" => (Step::Return, "returned", json!({"reason": reason(b)?})),
        "arrive" => (Step::Arrive, "arrived", json!({"note": b.note})),
        "review" => {
            let approved = need(b.approved, "approved")?;
            let event = if approved {
                "reviewed"
            } else {
                "review_rejected"
            };
            let data = json!({"approved": approved, "comment": b.comment});
            (Step::Review { approved }, event, data)
        }
        "close" => (Step::Close, "closed", json!({"reason": b.reason})),
        "cancel" => (Step::Cancel, "cancelled", json!({"reason": reason(b)?})),
        "reopen" => (Step::Reopen, "reopened", json!({"reason": reason(b)?})),
        "suspend" => {
            let data = json!({"reason": reason(b)?, "from": cx.state.status});
            (Step::Suspend, "suspended", data)
        }
        "resume" => (Step::Resume, "resumed", json!({})),
        _ => return Err(AppError::NotFound),
    };
    Ok(Decision::new(domain, event, data))
}
