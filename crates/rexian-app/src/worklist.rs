//! What the work lists (the queues, the field worker's jobs, the supervisor's screen) show of
//! an open order beyond its summary: the limits still counting, and the requests waiting for a
//! decision, read from the order's events.

use rexian_store::orders::OrderFull;
use serde_json::Value;

use crate::clock::ms;
use crate::order_state::{pending_suspension, running_limits};
use crate::orders::visible;
use crate::{Actor, App, AppResult};

/// A limit still counting.
#[derive(Debug, Clone)]
pub struct Limit {
    /// Kind (`accept`, `arrive`, …).
    pub kind: String,
    /// Due (ms).
    pub due_at: i64,
    /// Turns amber (ms).
    pub amber_at: i64,
}

impl Limit {
    /// The limits of an order still counting ([`running_limits`]).
    pub fn running(full: &rexian_store::orders::OrderFull) -> Vec<Limit> {
        running_limits(full)
            .iter()
            .map(|r| Limit {
                kind: r.kind.as_str().to_owned(),
                due_at: ms(r.due_at),
                amber_at: ms(r.amber_at),
            })
            .collect()
    }
}

/// An extension request waiting for a decision.
#[derive(Debug, Clone)]
pub struct PendingExtension {
    /// Id.
    pub id: i64,
    /// The limit it is for.
    pub kind: String,
    /// Asked until (ms).
    pub until_at: i64,
    /// Why.
    pub reason: String,
    /// The limit it would move, as it stands (ms), when it still counts.
    pub due_at: Option<i64>,
}

/// An order returned to the centre (回退), waiting to be sent on.
#[derive(Debug, Clone)]
pub struct Returned {
    /// The unit that returned it: the last dispatch or transfer before the return.
    pub from_unit: Option<i64>,
    /// Why.
    pub reason: String,
    /// When (ms).
    pub at: Option<i64>,
}

/// A unit's suspension request waiting for the company's decision.
#[derive(Debug, Clone)]
pub struct SuspensionAsked {
    /// Why.
    pub reason: String,
    /// When (ms).
    pub at: i64,
}

/// An open order as the work lists show it.
#[derive(Debug, Clone)]
pub struct Watched {
    /// Limits still counting.
    pub limits: Vec<Limit>,
    /// Extension requests waiting.
    pub extensions: Vec<PendingExtension>,
    /// The return waiting, when the order is returned.
    pub returned: Option<Returned>,
    /// The suspension request waiting.
    pub suspension: Option<SuspensionAsked>,
}

/// Order `id` as the work lists show it, when `me` may see it.
pub async fn watched(app: &App, me: &Actor, id: i64) -> AppResult<Watched> {
    let full = visible(app, me, id).await?;
    let limits = Limit::running(&full);
    let extensions = full
        .extensions
        .iter()
        .filter(|x| x.status == "pending")
        .map(|x| PendingExtension {
            id: x.id,
            kind: x.kind.clone(),
            until_at: x.until_at,
            reason: x.reason.clone(),
            due_at: limits.iter().find(|l| l.kind == x.kind).map(|l| l.due_at),
        })
        .collect();
    let suspension = pending_suspension(&full).map(|e| SuspensionAsked {
        reason: text(&e.data, "reason"),
        at: e.at,
    });
    Ok(Watched {
        returned: returned(&full),
        limits,
        extensions,
        suspension,
    })
}

/// A text field of an event's data (empty when there is none).
fn text(data: &str, key: &str) -> String {
    serde_json::from_str::<Value>(data)
        .ok()
        .and_then(|d| d[key].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn returned(full: &OrderFull) -> Option<Returned> {
    if full.order.status != "returned" {
        return None;
    }
    let ev = full.events.iter().rev().find(|e| e.kind == "returned");
    let from_unit = full
        .events
        .iter()
        .rev()
        .filter(|e| e.kind == "dispatched" || e.kind == "transferred")
        .find_map(|e| text(&e.data, "unit_id").parse::<i64>().ok());
    Some(Returned {
        from_unit,
        reason: ev.map(|e| text(&e.data, "reason")).unwrap_or_default(),
        at: ev.map(|e| e.at),
    })
}
