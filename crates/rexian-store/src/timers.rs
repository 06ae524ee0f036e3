//! The timer tables: claiming due deadlines so that each effect happens exactly once, on one
//! node or several. A conditional update (or a unique key) is the claim; the node whose update
//! changed the row applies the effect in the same transaction.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use rexian_domain::calendar::BusinessCalendar;
use rexian_domain::deadline::{next_supervision_at, supervision_depth};
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
    /// Reminders sent at the top level so far (a reminder sweep adds one).
    pub reminders: i64,
}

/// What kind of effect a sweep applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    /// Pending deadlines past their amber share.
    Amber,
    /// Pending deadlines past due: mark missed, supervision level 1.
    Missed,
    /// Missed deadlines whose next supervision step is due: the next level up the chain, or at
    /// its top a reminder (at most one a workday) folded into the top-level notice.
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
                // A range scan of the partial index `deadlines_supervise` (migration 0019); a row
                // that stopped qualifying (met, superseded) is cleared when claimed.
                "SELECT id FROM deadlines WHERE supervise_at IS NOT NULL AND supervise_at <= $1 \
                 ORDER BY supervise_at LIMIT $2"
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
    /// update, writes the supervision notice (unique per deadline and level; a reminder updates
    /// the top one) and the order event, and stores when the next supervision step is due
    /// (computed by the domain, `cal` being the business calendar). A miss also writes the
    /// assessment entries `assess` gives for it (the caller's rules), in the same transaction:
    /// a crash leaves the miss with its entries or neither. Returns `None` when another node
    /// (or an earlier run) already did it, or the deadline no longer escalates.
    pub async fn fire_deadline(
        &self,
        kind: Sweep,
        deadline_id: i64,
        now: i64,
        cal: &BusinessCalendar,
        assess: &(dyn Fn(&Fired) -> Vec<crate::reports::Entry> + Sync),
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
                "UPDATE deadlines SET state = 'missed', level = CASE WHEN level > 0 THEN level ELSE 1 END WHERE id = $1 AND state = 'pending' AND active = 1 AND due_at <= $2",
            )
            .bind(deadline_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            Sweep::Escalate => sqlx::query(
                "UPDATE deadlines SET supervise_at = NULL WHERE id = $1 AND supervise_at <= $2",
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
            "SELECT d.order_id, d.kind, d.unit_id, d.due_at, d.limit_ms, d.level, d.active, d.state, d.met_at, \
             c.tz_offset_minutes FROM deadlines d JOIN orders o ON o.id = d.order_id \
             JOIN companies c ON c.id = o.company_id WHERE d.id = $1",
        )
        .bind(deadline_id)
        .fetch_one(&mut *tx)
        .await?;
        let mut fired = Fired {
            deadline_id,
            order_id: r.try_get("order_id")?,
            kind: r.try_get("kind")?,
            unit_id: r.try_get("unit_id")?,
            due_at: r.try_get("due_at")?,
            limit_ms: r.try_get("limit_ms")?,
            level: r.try_get("level")?,
            reminders: 0,
        };
        let offset_min: i64 = r.try_get("tz_offset_minutes")?;
        let offset = i32::try_from(offset_min * 60)
            .ok()
            .and_then(FixedOffset::east_opt)
            .unwrap_or_else(rexian_domain::policy::china_offset);
        let depth = i64::from(chain_depth(&mut tx, fired.unit_id).await?);
        let mut event_kind = match kind {
            Sweep::Amber => "deadline_amber",
            // A missed appointment is its own event (`appointment_missed`).
            Sweep::Missed => rexian_domain::model::DeadlineKind::missed_event(&fired.kind),
            Sweep::Escalate => "supervision_escalated",
        };
        if kind == Sweep::Escalate {
            let escalates = r.try_get::<i64, _>("active")? == 1
                && r.try_get::<String, _>("state")? == "missed"
                && r.try_get::<Option<i64>, _>("met_at")?.is_none()
                && fired.limit_ms > 0;
            if !escalates {
                // Met, superseded or moved since: nothing more to supervise.
                tx.commit().await?;
                return Ok(None);
            }
            if fired.level < depth {
                fired.level += 1;
                sqlx::query("UPDATE deadlines SET level = $1 WHERE id = $2")
                    .bind(fired.level)
                    .bind(deadline_id)
                    .execute(&mut *tx)
                    .await?;
            } else {
                event_kind = "supervision_reminded";
            }
        }
        if kind != Sweep::Amber {
            // The next step: a level up, or at the top a reminder one workday after this one.
            let next = next_supervision_at(
                ms(fired.due_at),
                Duration::milliseconds(fired.limit_ms),
                u32::try_from(fired.level.max(0)).unwrap_or(u32::MAX),
                u32::try_from(depth).unwrap_or(u32::MAX),
                ms(now),
                cal,
                offset,
            )
            .map(|t| t.timestamp_millis());
            sqlx::query("UPDATE deadlines SET supervise_at = $1 WHERE id = $2")
                .bind(next)
                .bind(deadline_id)
                .execute(&mut *tx)
                .await?;
        }
        if event_kind == "supervision_reminded" {
            // Folded into the top-level notice: no new notice row per reminder.
            let top: Option<(i64, i64)> = sqlx::query(
                "SELECT id, reminders FROM supervision_notices WHERE deadline_id = $1 ORDER BY level DESC LIMIT 1",
            )
            .bind(deadline_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("reminders")?)))
            .transpose()?;
            let Some((notice_id, reminders)) = top else {
                tx.commit().await?;
                return Ok(None);
            };
            fired.reminders = reminders + 1;
            sqlx::query(
                "UPDATE supervision_notices SET reminders = $1, reminded_at = $2 WHERE id = $3",
            )
            .bind(fired.reminders)
            .bind(now)
            .bind(notice_id)
            .execute(&mut *tx)
            .await?;
        } else if kind != Sweep::Amber {
            // The claim above makes this once; the key keeps one notice per level when a
            // deadline is missed again after a move (the level it reached stays).
            let notice: Option<i64> = sqlx::query_scalar(
                "INSERT INTO supervision_notices (deadline_id, order_id, level, unit_id, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (deadline_id, level) DO NOTHING RETURNING id",
            )
            .bind(deadline_id)
            .bind(fired.order_id)
            .bind(fired.level)
            .bind(fired.unit_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(notice) = notice {
                crate::supervision::address_notice(
                    &mut tx,
                    notice,
                    fired.order_id,
                    fired.level,
                    fired.unit_id,
                )
                .await?;
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
            data: if event_kind == "supervision_reminded" {
                serde_json::json!({"deadline": fired.kind, "due_at": fired.due_at, "level": fired.level,
                    "unit_id": fired.unit_id.map(|u| u.to_string()), "reminders": fired.reminders})
            } else {
                serde_json::json!({"deadline": fired.kind, "due_at": fired.due_at, "level": fired.level,
                    "unit_id": fired.unit_id.map(|u| u.to_string())})
            },
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
            for e in assess(&fired) {
                crate::reports::insert_entry(&mut tx, &e).await?;
            }
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

    /// The order a deadline belongs to.
    pub async fn order_of_deadline(&self, deadline_id: i64) -> Result<i64> {
        sqlx::query_scalar("SELECT order_id FROM deadlines WHERE id = $1")
            .bind(deadline_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Supervision notices of an order with their reminders, by level.
    pub async fn supervision_notices_full(&self, order_id: i64) -> Result<Vec<NoticeOfOrder>> {
        let rows = sqlx::query(
            "SELECT n.level, n.unit_id, n.at, n.reminders, n.reminded_at, d.kind FROM supervision_notices n \
             JOIN deadlines d ON d.id = n.deadline_id WHERE n.order_id = $1 ORDER BY n.id",
        )
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NoticeOfOrder {
                    deadline: r.try_get("kind")?,
                    level: r.try_get("level")?,
                    unit_id: r.try_get("unit_id")?,
                    at: r.try_get("at")?,
                    reminders: r.try_get("reminders")?,
                    reminded_at: r.try_get("reminded_at")?,
                })
            })
            .collect()
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

/// A supervision notice of one order.
#[derive(Debug, Clone)]
pub struct NoticeOfOrder {
    /// Deadline kind.
    pub deadline: String,
    /// Level.
    pub level: i64,
    /// Unit of the deadline.
    pub unit_id: Option<i64>,
    /// When the level was reached.
    pub at: i64,
    /// Reminders sent at this (top) level.
    pub reminders: i64,
    /// The last reminder.
    pub reminded_at: Option<i64>,
}

fn ms(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The depth of the supervision chain of a deadline of `unit` ([`supervision_depth`]): the
/// units above it in the tree are counted (at most 16, against a cycle).
async fn chain_depth(c: &mut sqlx::AnyConnection, unit: Option<i64>) -> Result<u32> {
    let chain = crate::supervision::unit_chain(c, unit).await?;
    Ok(supervision_depth(chain.map(|v| {
        u32::try_from(v.len().saturating_sub(1)).unwrap_or(u32::MAX)
    })))
}
