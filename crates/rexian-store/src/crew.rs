//! What a list reads of a few orders' crews (`001`) and booked visits: the events that move a
//! crew or book a visit, for a bounded list of orders, in one query.

use sqlx::Row;

use crate::orders::EventRow;
use crate::{Result, Store};

/// The event types that move an order's crew (assignment, set-off, arrival, done, a new
/// dispatch) or book its visit.
pub const CREW_EVENTS: [&str; 11] = [
    "assigned",
    "assignee_changed",
    "crew_set_off",
    "arrived",
    "crew_done",
    "dispatched",
    "transferred",
    "returned",
    "reopened",
    "appointment_booked",
    "appointment_rebooked",
];

/// At most this many orders per call.
pub const MAX_ORDERS: usize = 50;

impl Store {
    /// The crew events of `orders` (at most [`MAX_ORDERS`]; more are left out), each with its
    /// order's id, oldest first per order.
    pub async fn crew_events(&self, orders: &[i64]) -> Result<Vec<(i64, EventRow)>> {
        let orders = &orders[..orders.len().min(MAX_ORDERS)];
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        let ids = (1..=orders.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let kinds = CREW_EVENTS
            .iter()
            .map(|k| format!("'{k}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let q = format!(
            "SELECT order_id, seq, type, actor_id, at, data FROM order_events \
             WHERE order_id IN ({ids}) AND type IN ({kinds}) ORDER BY order_id, seq"
        );
        let mut query = sqlx::query(&q);
        for id in orders {
            query = query.bind(*id);
        }
        query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("order_id")?,
                    EventRow {
                        seq: r.try_get("seq")?,
                        kind: r.try_get("type")?,
                        actor_id: r.try_get("actor_id")?,
                        at: r.try_get("at")?,
                        data: r.try_get("data")?,
                    },
                ))
            })
            .collect()
    }
}
