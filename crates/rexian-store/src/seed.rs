//! Bulk loading of generated orders (`rexian bench seed`): many rows per INSERT, one transaction
//! per batch. Orders carry ids chosen by the caller (from [`Store::seed_next_order_id`]) so that
//! their events, deadlines and callbacks can name them in the same batch.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

use crate::{Backend, Result, Store};

/// An order with its history, as the generator made it.
#[derive(Debug, Clone, Default)]
pub struct SeedOrder {
    /// Row id (consecutive from [`Store::seed_next_order_id`]).
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Order number, unique in the company.
    pub number: String,
    /// Category.
    pub category: String,
    /// Subtype.
    pub subtype: Option<String>,
    /// Channel.
    pub channel: String,
    /// Status.
    pub status: String,
    /// Handling unit.
    pub unit_id: Option<i64>,
    /// Agent who took the call.
    pub first_responder_id: i64,
    /// Caller's name.
    pub customer_name: Option<String>,
    /// Caller's phone.
    pub customer_phone: Option<String>,
    /// Address.
    pub customer_address: Option<String>,
    /// Community (小区).
    pub customer_community: Option<String>,
    /// What the caller said.
    pub description: String,
    /// required, optional or declined.
    pub callback_pref: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// Unix ms.
    pub closed_at: Option<i64>,
    /// Its events in order (`seq` from 1).
    pub events: Vec<SeedEvent>,
    /// Its deadlines.
    pub deadlines: Vec<SeedDeadline>,
    /// Its callbacks.
    pub callbacks: Vec<SeedCallback>,
}

/// An order event.
#[derive(Debug, Clone, Default)]
pub struct SeedEvent {
    /// Event type (`created`, `dispatched`, `closed`…).
    pub kind: String,
    /// Who.
    pub actor_id: Option<i64>,
    /// Unix ms.
    pub at: i64,
    /// JSON text.
    pub data: String,
}

/// A deadline in its final state.
#[derive(Debug, Clone, Default)]
pub struct SeedDeadline {
    /// dispatch, arrive, finish, callback…
    pub kind: String,
    /// Unit whose clock it is.
    pub unit_id: Option<i64>,
    /// Unix ms.
    pub started_at: i64,
    /// Unix ms.
    pub due_at: i64,
    /// Unix ms.
    pub amber_at: i64,
    /// pending, met or missed.
    pub state: String,
    /// Still running.
    pub active: bool,
    /// Unix ms.
    pub met_at: Option<i64>,
    /// The amber warning was given.
    pub amber_noted: bool,
    /// Escalation level reached.
    pub level: i64,
    /// The limit, ms.
    pub limit_ms: i64,
}

/// A callback attempt.
#[derive(Debug, Clone, Default)]
pub struct SeedCallback {
    /// Agent.
    pub agent_id: Option<i64>,
    /// Unix ms.
    pub at: i64,
    /// The customer answered.
    pub reached: bool,
    /// satisfied, basic or unsatisfied.
    pub satisfaction: Option<String>,
    /// The customer confirms the reply.
    pub matches_reply: Option<bool>,
    /// Note.
    pub note: Option<String>,
}

/// Rows per INSERT statement. Small: SQLite looks each `$N` up by name in a list, so a
/// statement's binding cost grows with the square of its parameters (500 rows: 75% of the CPU).
const ROWS_PER_INSERT: usize = 32;

/// `($1, …, $cols), (…)` for `rows` rows.
fn values(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

const ORDER_INSERT: &str = "INSERT INTO orders (id, company_id, number, category, subtype, channel, status, \
    unit_id, first_responder_id, customer_name, customer_phone, customer_address, customer_community, \
    description, callback_pref, version, created_at, updated_at, closed_at) VALUES ";
const ORDER_COLS: usize = 19;
const EVENT_INSERT: &str =
    "INSERT INTO order_events (order_id, seq, type, actor_id, at, data) VALUES ";
const EVENT_COLS: usize = 6;
const DEADLINE_INSERT: &str = "INSERT INTO deadlines (order_id, kind, unit_id, started_at, due_at, \
    original_due_at, amber_at, provisional, state, active, met_at, amber_noted, level, limit_ms) VALUES ";
const DEADLINE_COLS: usize = 14;
const CALLBACK_INSERT: &str =
    "INSERT INTO callbacks (order_id, agent_id, at, reached, satisfaction, \
    matches_reply, note) VALUES ";
const CALLBACK_COLS: usize = 7;

/// Inserts `rows` in statements of [`ROWS_PER_INSERT`] rows.
async fn insert_rows<T>(
    c: &mut AnyConnection,
    head: &str,
    cols: usize,
    rows: &[T],
    bind: impl for<'q> Fn(Query<'q, Any, AnyArguments<'q>>, &T) -> Query<'q, Any, AnyArguments<'q>>,
) -> Result<()> {
    let full = format!("{head}{}", values(ROWS_PER_INSERT, cols));
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = if chunk.len() == ROWS_PER_INSERT {
            full.clone()
        } else {
            format!("{head}{}", values(chunk.len(), cols))
        };
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = bind(q, r);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

impl Store {
    /// The id the next seeded order takes.
    pub async fn seed_next_order_id(&self) -> Result<i64> {
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM orders")
            .fetch_one(self.pool())
            .await?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// Writes `orders` with their events, deadlines and callbacks in one transaction.
    pub async fn seed_orders(&self, orders: &[SeedOrder]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_rows(&mut tx, ORDER_INSERT, ORDER_COLS, orders, |q, o| {
            q.bind(o.id)
                .bind(o.company_id)
                .bind(o.number.clone())
                .bind(o.category.clone())
                .bind(o.subtype.clone())
                .bind(o.channel.clone())
                .bind(o.status.clone())
                .bind(o.unit_id)
                .bind(o.first_responder_id)
                .bind(o.customer_name.clone())
                .bind(o.customer_phone.clone())
                .bind(o.customer_address.clone())
                .bind(o.customer_community.clone())
                .bind(o.description.clone())
                .bind(o.callback_pref.clone())
                .bind(o.events.len() as i64)
                .bind(o.created_at)
                .bind(o.updated_at)
                .bind(o.closed_at)
        })
        .await?;
        let events: Vec<(i64, i64, &SeedEvent)> = orders
            .iter()
            .flat_map(|o| {
                o.events
                    .iter()
                    .enumerate()
                    .map(move |(i, e)| (o.id, i as i64 + 1, e))
            })
            .collect();
        insert_rows(
            &mut tx,
            EVENT_INSERT,
            EVENT_COLS,
            &events,
            |q, (id, seq, e)| {
                q.bind(*id)
                    .bind(*seq)
                    .bind(e.kind.clone())
                    .bind(e.actor_id)
                    .bind(e.at)
                    .bind(e.data.clone())
            },
        )
        .await?;
        let deadlines: Vec<(i64, &SeedDeadline)> = orders
            .iter()
            .flat_map(|o| o.deadlines.iter().map(move |d| (o.id, d)))
            .collect();
        insert_rows(
            &mut tx,
            DEADLINE_INSERT,
            DEADLINE_COLS,
            &deadlines,
            |q, (id, d)| {
                q.bind(*id)
                    .bind(d.kind.clone())
                    .bind(d.unit_id)
                    .bind(d.started_at)
                    .bind(d.due_at)
                    .bind(d.due_at)
                    .bind(d.amber_at)
                    .bind(0i64)
                    .bind(d.state.clone())
                    .bind(i64::from(d.active))
                    .bind(d.met_at)
                    .bind(i64::from(d.amber_noted))
                    .bind(d.level)
                    .bind(d.limit_ms)
            },
        )
        .await?;
        let callbacks: Vec<(i64, &SeedCallback)> = orders
            .iter()
            .flat_map(|o| o.callbacks.iter().map(move |c| (o.id, c)))
            .collect();
        insert_rows(
            &mut tx,
            CALLBACK_INSERT,
            CALLBACK_COLS,
            &callbacks,
            |q, (id, c)| {
                q.bind(*id)
                    .bind(c.agent_id)
                    .bind(c.at)
                    .bind(i64::from(c.reached))
                    .bind(c.satisfaction.clone())
                    .bind(c.matches_reply.map(i64::from))
                    .bind(c.note.clone())
            },
        )
        .await?;
        let ids = || orders.iter().map(|o| o.id);
        if let (Some(lo), Some(hi)) = (ids().min(), ids().max()) {
            crate::reports::refresh_facts(&mut crate::db::Db::Any(&mut tx), lo, hi).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Raises the order-number counters to the seeded numbers (`(company, day, seq)`), so that
    /// new orders continue after them; on PostgreSQL also moves the orders' id sequence.
    pub async fn seed_finish(&self, counters: &[(i64, String, i64)]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for chunk in counters.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO order_counters (company_id, day, seq) VALUES {} \
                 ON CONFLICT (company_id, day) DO UPDATE SET seq = CASE \
                 WHEN excluded.seq > order_counters.seq THEN excluded.seq ELSE order_counters.seq END",
                values(chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for (company, day, seq) in chunk {
                q = q.bind(*company).bind(day.clone()).bind(*seq);
            }
            q.execute(&mut *tx).await?;
        }
        if self.backend() == Backend::Postgres {
            sqlx::query(
                "SELECT setval(pg_get_serial_sequence('orders', 'id'), \
                 (SELECT COALESCE(MAX(id), 1) FROM orders))",
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_numbers_every_parameter() {
        assert_eq!(super::values(2, 2), "($1, $2), ($3, $4)");
    }
}
