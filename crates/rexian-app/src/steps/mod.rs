//! The steps of an order's life (api-v1 "Orders"): each reads the order, checks who may take
//! it, asks the domain's workflow what happens and writes the event, the order, its limits and
//! what the step records in one transaction. Steps that only record something (an assignment,
//! an appointment, a request) change no status ([`notes`]).

mod callback;
mod crew;
mod extension;
mod frame;
mod notes;
mod unit;
pub mod views;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::orders::{step_roles, OrderView};
use crate::ser::{self, Id};
use crate::{Actor, App, AppError, AppResult};

pub use crew::{
    appointment, crew, field_facts, AppointmentInput, AppointmentView, Booked, CrewInput, CrewView,
    FieldFacts,
};
pub use frame::ORDER_CHANGED;
pub use views::{allowed_steps, FORM_STEPS};

/// The body of a step: each step reads the fields it needs.
#[derive(schemars::JsonSchema, Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct StepInput {
    pub unit_id: Option<Id>,
    pub reason: Option<String>,
    pub result: Option<String>,
    pub paid: Option<bool>,
    pub approved: Option<bool>,
    pub comment: Option<String>,
    pub reached: Option<bool>,
    #[schemars(with = "Option<rexian_domain::model::Satisfaction>")]
    pub satisfaction: Option<String>,
    pub matches_reply: Option<bool>,
    pub note: Option<String>,
    pub until: Option<DateTime<Utc>>,
    pub kind: Option<String>,
    pub into: Option<Id>,
    pub user_id: Option<Id>,
    pub fault: Option<String>,
    pub materials: Option<String>,
    pub labour_minutes: Option<i64>,
    pub customer_consent: Option<bool>,
    pub signature: Option<String>,
    pub method: Option<String>,
    pub content: Option<String>,
    pub remaining_issues: Option<String>,
    pub customer_opinion: Option<String>,
    pub contact_person: Option<String>,
    pub customer_head: Option<String>,
    pub customer_head_phone: Option<String>,
    pub customer_signature: Option<String>,
    /// `until` as a wall-clock time in the company's zone (the console's forms).
    #[serde(skip)]
    pub until_local: Option<NaiveDateTime>,
    /// The customer answered a portal link themselves (no call: no calling hours apply).
    #[serde(skip)]
    pub via_portal: bool,
}

impl StepInput {
    /// `until`, a local time read in the company's zone `offset`.
    fn until_at(&self, offset: FixedOffset) -> AppResult<Option<DateTime<Utc>>> {
        match (self.until, self.until_local) {
            (Some(u), _) => Ok(Some(u)),
            (None, Some(l)) => offset
                .from_local_datetime(&l)
                .single()
                .map(|t| Some(t.with_timezone(&Utc)))
                .ok_or_else(|| AppError::invalid("until", "until must be a date and time")),
            (None, None) => Ok(None),
        }
    }
}

/// What a step answers: the order as the user sees it after the step, and the extension
/// request the step created (`extensions`).
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct StepDone {
    /// The order.
    #[serde(flatten)]
    pub order: OrderView,
    /// The extension request created.
    #[serde(
        serialize_with = "ser::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub extension_id: Option<i64>,
}

impl StepDone {
    /// Logs the view of the customer's data when the answer is shown to the user.
    pub fn shown(&self) {
        if self.order.summary.customer.is_personal() {
            crate::personal::shown("order_step", Some(self.order.summary.id));
        }
    }
}

/// The access table's key of a step.
fn role_key(step: &str) -> &str {
    match step {
        "extension_approve" | "extension_reject" => "extension_decide",
        s => s,
    }
}

/// `not_found` for a step that does not exist.
pub fn known(step: &str) -> AppResult<()> {
    if step_roles(role_key(step)).is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Whether `me` holds a role that may take `step`.
pub fn may_take(me: &Actor, step: &str) -> bool {
    me.has(rexian_domain::model::Role::Admin)
        || step_roles(role_key(step)).iter().any(|r| me.has(*r))
}

/// Takes `step` on order `order_id` (`eid`: the extension an `extension_approve` or
/// `extension_reject` decides).
///
/// The caller pins no version, so when something else (a timer firing a deadline, another
/// user) changed the order between the step's read and its write, the step is decided again on
/// the order as it now is; only a third clash in a row reaches the caller as `409`.
pub async fn take(
    app: &App,
    me: &Actor,
    order_id: i64,
    step: &str,
    eid: Option<i64>,
    b: StepInput,
) -> AppResult<StepDone> {
    let mut attempt = 1;
    loop {
        match frame::once(app, me, order_id, step, eid, b.clone()).await {
            Err(AppError::Conflict {
                field: None,
                message,
            }) if message == ORDER_CHANGED && attempt < 3 => attempt += 1,
            other => return other,
        }
    }
}

/// `v` or `invalid_input` naming the required `field`.
fn need<T>(v: Option<T>, field: &str) -> AppResult<T> {
    v.ok_or_else(|| AppError::invalid(field, format!("{field} is required")))
}

/// Required free text of at most 2000 characters.
fn need_text(v: Option<String>, field: &str) -> AppResult<String> {
    crate::text::clean(field, v, 2000)?
        .ok_or_else(|| AppError::invalid(field, format!("{field} is required")))
}
