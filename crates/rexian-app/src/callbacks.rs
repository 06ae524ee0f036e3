//! The callback queue (回访, SPEC §4): orders due for a callback with their attempts and when the
//! next attempt is allowed (the window and the spacing of the company's rules), and the
//! unsatisfied results a supervisor reviews.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::Duration;
use rexian_domain::callback::{check_attempt, CallbackRefusal};
use rexian_domain::model::Category;
use serde::Serialize;

use crate::clock::from_ms;
use crate::orders::OrderSummary;
use crate::personal::shown;
use crate::ser;
use crate::tenancy::company_policy;
use crate::{Actor, App, AppResult};

/// An order waiting for its callback.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct CallbackLine {
    /// The order.
    #[serde(flatten)]
    pub order: OrderSummary,
    /// When the callback is due.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub callback_due_at: Option<i64>,
    /// Attempts so far.
    pub attempts: i64,
    /// Whether a call may be made now (window and spacing).
    pub may_call_now: bool,
    /// When the next attempt is allowed, when the spacing holds it back.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub next_attempt_at: Option<i64>,
    /// Enough unreached attempts to close as unreachable.
    pub unreachable_close_allowed: bool,
}

/// Orders waiting for a callback (of `company`, or every company for group staff),
/// appointments first by time.
pub async fn queue(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    limit: i64,
) -> AppResult<Vec<CallbackLine>> {
    let now = app.clock.now();
    let rows = app.store.callback_queue(company, limit).await?;
    let mut items = Vec::new();
    let mut companies = HashMap::new();
    for r in rows {
        let Ok(category) = Category::from_str(&r.order.category) else {
            continue;
        };
        if !category.needs_callback() {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(e) = companies.entry(r.order.company_id) {
            e.insert(app.store.company(r.order.company_id).await?);
        }
        let c = &companies[&r.order.company_id];
        let rules = company_policy(c)?.callback;
        let local = now.with_timezone(&c.offset()).naive_local();
        let last = r.last_unreached.map(from_ms);
        let (may_call_now, next_attempt_at) = match check_attempt(local, last, now, &rules) {
            Ok(()) => (true, None),
            Err(CallbackRefusal::TooSoon) => (
                false,
                last.map(|l| {
                    (l + Duration::minutes(i64::from(rules.min_gap_minutes))).timestamp_millis()
                }),
            ),
            Err(CallbackRefusal::Window) => (false, None),
        };
        items.push(CallbackLine {
            order: OrderSummary::of(me, &r.order),
            callback_due_at: r.due_at,
            attempts: r.attempts,
            may_call_now,
            next_attempt_at,
            unreachable_close_allowed: r.attempts >= i64::from(rules.max_attempts),
        });
    }
    if items.iter().any(|l| l.order.customer.is_personal()) {
        shown("callback_queue", None);
    }
    Ok(items)
}

/// Orders whose callback found the customer unsatisfied, for a supervisor's review.
pub async fn unsatisfied(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    limit: i64,
) -> AppResult<Vec<OrderSummary>> {
    let items: Vec<OrderSummary> = app
        .store
        .unsatisfied_orders(company, limit)
        .await?
        .iter()
        .map(|o| OrderSummary::of(me, o))
        .collect();
    if items.iter().any(|o| o.customer.is_personal()) {
        shown("unsatisfied", None);
    }
    Ok(items)
}

/// An open satisfaction re-check with its questions.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct RecheckLine {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// `complaint_recheck` or `repair_survey`.
    pub kind: String,
    /// Picked.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub created_at: i64,
    /// What to ask: for repairs the four questions of `001`, for complaints two.
    pub questions: &'static [&'static str],
    /// The order.
    pub order: OrderSummary,
}

/// Open satisfaction re-checks (of `company`, or every company for group staff), oldest first.
pub async fn rechecks(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    limit: i64,
) -> AppResult<Vec<RecheckLine>> {
    let mut items = Vec::new();
    for r in app.store.open_rechecks(company, limit).await? {
        let o = app.store.order(r.order_id).await?;
        let questions: &'static [&'static str] = if r.kind == "repair_survey" {
            &["attitude", "quality", "satisfaction", "suggestion"]
        } else {
            &["satisfaction", "suggestion"]
        };
        items.push(RecheckLine {
            id: r.id,
            kind: r.kind,
            created_at: r.created_at,
            questions,
            order: OrderSummary::of(me, &o),
        });
    }
    if items.iter().any(|l| l.order.customer.is_personal()) {
        shown("rechecks", None);
    }
    Ok(items)
}
