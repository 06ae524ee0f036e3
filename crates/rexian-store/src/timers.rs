//! The timer tables: claiming due deadlines so that each effect happens exactly once, on one
//! node or several. A conditional update (or a unique key) is the claim; the node whose update
//! changed the row applies the effect in the same transaction.

use sqlx::Row;

use crate::orders::{insert_event, NewEvent};
use crate::{Result, Store, StoreError};

/// A deadline that a sweep acted on.
#[derive(Debug, Clone)]
pub struct Fired {
    /// Deadline id.
    pub deadline_id: i64,
    /// Order id.
    pub order_id: i64,
    /// Deadline kind.
    pub kind: String,
    /// Unit whose clock it is.
    pub unit_id: Option<i64>,
    /// Due at.
    pub due_at: i64,
    /// Limit length, ms.
    pub limit_ms: i64,
    /// Supervision level now reached.
    pub level: i64,
}

/// What kind of effect a sweep applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    /// Pending deadlines past their amber share.
    Amber,
    /// Pending deadlines past due: mark missed, supervision level 1.
    Missed,
    /// Missed deadlines one more limit length overdue: next supervision level.
    Escalate,
}

impl Store {
    /// Ids of deadlines that a sweep of `kind` would act on at `now` (bounded batch).
    pub async fn due_deadlines(&self, kind: Sweep, now: i64, limit: i64) -> Result<Vec<i64>> {
        let q = match kind {
            Sweep::Amber => {
                "SELECT id FROM deadlines WHERE active = 1 AND amber_noted = 0 AND state = 'pending' \
                 AND amber_at <= $1 AND due_at > $1 ORDER BY amber_at LIMIT $2"
            }
            Sweep::Missed => {
                "SELECT id FROM deadlines WHERE active = 1 AND state = 'pending' AND due_at <= $1 \
                 ORDER BY due_at LIMIT $2"
            }
            Sweep::Escalate => {
                // The expression of the index `deadlines_escalate` (migration 0017), verbatim.
                "SELECT id FROM deadlines WHERE active = 1 AND state = 'missed' \
                 AND (CASE WHEN limit_ms > 0 AND met_at IS NULL THEN due_at + level * limit_ms END) <= $1 \
                 ORDER BY due_at LIMIT $2"
            }
        };
        let rows = sqlx::query(q)
            .bind(now)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("id")?))
            .collect()
    }

    /// Applies one sweep effect to one deadline, exactly once: claims the row with a conditional
    /// update, writes the supervision notice (unique per deadline and level) and the order event.
    /// Returns `None` when another node (or an earlier run) already did it.
    pub async fn fire_deadline(
        &self,
        kind: Sweep,
        deadline_id: i64,
        now: i64,
    ) -> Result<Option<Fired>> {
        let mut tx = self.begin_write().await?;
        let claimed = match kind {
            Sweep::Amber => sqlx::query(
                "UPDATE deadlines SET amber_noted = 1 WHERE id = $1 AND amber_noted = 0 AND state = 'pending' AND active = 1",
            )
            .bind(deadline_id)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            Sweep::Missed => sqlx::query(
                "UPDATE deadlines SET state = 'missed', level = 1 WHERE id = $1 AND state = 'pending' AND active = 1 AND due_at <= $2",
            )
            .bind(deadline_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            Sweep::Escalate => sqlx::query(
                "UPDATE deadlines SET level = level + 1 WHERE id = $1 AND state = 'missed' AND active = 1 \
                 AND met_at IS NULL AND limit_ms > 0 AND due_at + level * limit_ms <= $2",
            )
            .bind(deadline_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        if claimed == 0 {
            return Ok(None);
        }
        let r = sqlx::query(
            "SELECT order_id, kind, unit_id, due_at, limit_ms, level FROM deadlines WHERE id = $1",
        )
        .bind(deadline_id)
        .fetch_one(&mut *tx)
        .await?;
        let fired = Fired {
            deadline_id,
            order_id: r.try_get("order_id")?,
            kind: r.try_get("kind")?,
            unit_id: r.try_get("unit_id")?,
            due_at: r.try_get("due_at")?,
            limit_ms: r.try_get("limit_ms")?,
            level: r.try_get("level")?,
        };
        let event_kind = match kind {
            Sweep::Amber => "deadline_amber",
            Sweep::Missed => "deadline_missed",
            Sweep::Escalate => "supervision_escalated",
        };
        if kind != Sweep::Amber {
            let inserted = sqlx::query(
                "INSERT INTO supervision_notices (deadline_id, order_id, level, unit_id, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (deadline_id, level) DO NOTHING",
            )
            .bind(deadline_id)
            .bind(fired.order_id)
            .bind(fired.level)
            .bind(fired.unit_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Ok(None);
            }
        }
        let version: i64 = sqlx::query_scalar("SELECT version FROM orders WHERE id = $1")
            .bind(fired.order_id)
            .fetch_one(&mut *tx)
            .await?;
        let event = NewEvent {
            kind: event_kind.into(),
            actor_id: None,
            at: now,
            data: serde_json::json!({"deadline": fired.kind, "due_at": fired.due_at, "level": fired.level,
                "unit_id": fired.unit_id.map(|u| u.to_string())}),
        };
        let n = sqlx::query(
            "UPDATE orders SET version = $1, updated_at = $2 WHERE id = $3 AND version = $4",
        )
        .bind(version + 1)
        .bind(now)
        .bind(fired.order_id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("orders.version".into()));
        }
        insert_event(
            &mut crate::db::Db::Any(&mut tx),
            fired.order_id,
            version + 1,
            &event,
        )
        .await?;
        if kind == Sweep::Missed {
            crate::reports::refresh_facts(
                &mut crate::db::Db::Any(&mut tx),
                fired.order_id,
                fired.order_id,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Some(fired))
    }

    /// Supervision notices of an order: (level, unit id, at).
    pub async fn supervision_notices(&self, order_id: i64) -> Result<Vec<(i64, Option<i64>, i64)>> {
        let rows = sqlx::query(
            "SELECT level, unit_id, at FROM supervision_notices WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("level")?, r.try_get("unit_id")?, r.try_get("at")?)))
            .collect()
    }
}
