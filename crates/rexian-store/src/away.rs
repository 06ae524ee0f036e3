//! Away periods of the A/B roles (`004` 第五章) and the moves of A's open work: at the start
//! of a period A's open orders (assigned to A, and A's follow-ups as first responder) move to
//! the cover (B, or nobody), each move an order event and a row here; at its end each goes back
//! when the caller's rule says so. Every change is kept: nothing is deleted.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::{query, Db, DbRow};
use crate::{Result, Store, StoreError};

/// The most orders of one duty moved at the start of a period (a person holds far fewer).
pub const MAX_MOVES: i64 = 1000;

/// A period to record.
#[derive(Debug, Clone)]
pub struct NewAway {
    /// Company of the user.
    pub company_id: i64,
    /// Who is away (A).
    pub user_id: i64,
    /// Who covers (B); none when forced.
    pub cover_id: Option<i64>,
    /// From.
    pub from_at: i64,
    /// Until.
    pub until_at: i64,
    /// Reason code.
    pub reason: String,
    /// Free text.
    pub note: Option<String>,
    /// Recorded although B is away (or there is no B).
    pub forced: bool,
    /// Recorded by.
    pub created_by: i64,
    /// When.
    pub created_at: i64,
}

/// A period as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct AwayRow {
    /// Id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Who is away.
    pub user_id: i64,
    /// Who covers.
    pub cover_id: Option<i64>,
    /// From.
    pub from_at: i64,
    /// Until.
    pub until_at: i64,
    /// Reason code.
    pub reason: String,
    /// Free text.
    pub note: Option<String>,
    /// Forced.
    pub forced: bool,
    /// Recorded by.
    pub created_by: i64,
    /// When.
    pub created_at: i64,
    /// When the work moved.
    pub started_at: Option<i64>,
    /// When it ended (at `until` or early).
    pub ended_at: Option<i64>,
    /// Ended by (none: the timer).
    pub ended_by: Option<i64>,
    /// `until` or `early`.
    pub end_kind: Option<String>,
}

/// One order's duty moved away from A.
#[derive(Debug, Clone, PartialEq)]
pub struct AwayMove {
    /// The period.
    pub away_id: i64,
    /// The order.
    pub order_id: i64,
    /// Its number.
    pub number: String,
    /// Its status now.
    pub status: String,
    /// `assignee` or `follow_up` (first responder).
    pub duty: String,
    /// A.
    pub from_user: i64,
    /// B, or none.
    pub to_user: Option<i64>,
    /// When.
    pub moved_at: i64,
    /// When it came back (or was left where it was).
    pub returned_at: Option<i64>,
    /// `returned` or `kept` (closed, or reassigned meanwhile).
    pub outcome: Option<String>,
}

fn away_from(r: &AnyRow) -> Result<AwayRow> {
    Ok(AwayRow {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        user_id: r.try_get("user_id")?,
        cover_id: r.try_get("cover_id")?,
        from_at: r.try_get("from_at")?,
        until_at: r.try_get("until_at")?,
        reason: r.try_get("reason")?,
        note: r.try_get("note")?,
        forced: r.try_get::<i64, _>("forced")? != 0,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
        ended_by: r.try_get("ended_by")?,
        end_kind: r.try_get("end_kind")?,
    })
}

fn move_from(r: &AnyRow) -> Result<AwayMove> {
    Ok(AwayMove {
        away_id: r.try_get("away_id")?,
        order_id: r.try_get("order_id")?,
        number: r.try_get("number")?,
        status: r.try_get("status")?,
        duty: r.try_get("duty")?,
        from_user: r.try_get("from_user")?,
        to_user: r.try_get("to_user")?,
        moved_at: r.try_get("moved_at")?,
        returned_at: r.try_get("returned_at")?,
        outcome: r.try_get("outcome")?,
    })
}

const MOVE_COLS: &str = "m.away_id, m.order_id, o.number, o.status, m.duty, m.from_user, \
    m.to_user, m.moved_at, m.returned_at, m.outcome";

/// An audit row of a period (written in the unit's own transaction).
async fn audit(
    tx: &mut Db<'_>,
    id: i64,
    kind: &str,
    actor: Option<i64>,
    at: i64,
    data: serde_json::Value,
) -> Result<()> {
    query(
        "INSERT INTO audit_events (entity, entity_id, type, actor_id, at, data) \
         VALUES ('away', $1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(kind)
    .bind(actor)
    .bind(at)
    .bind(data.to_string())
    .execute(tx)
    .await?;
    Ok(())
}

/// Why and when work moves: `away` or `return`, of which period, at what time, by whom (none:
/// the timer).
struct Why<'a> {
    reason: &'a str,
    away: i64,
    at: i64,
    actor: Option<i64>,
}

/// Moves order `order` (read at `version`) from `from` to `to` for `duty`: the assignee
/// changes for `assignee`; either way the order gets an `assignee_changed` event.
async fn move_order(
    tx: &mut Db<'_>,
    (order, version): (i64, i64),
    duty: &str,
    from: Option<i64>,
    to: Option<i64>,
    why: &Why<'_>,
) -> Result<()> {
    let (reason, away, at) = (why.reason, why.away, why.at);
    let n = if duty == "assignee" {
        query(
            "UPDATE orders SET assignee_id = $1, version = $2, updated_at = $3 \
             WHERE id = $4 AND version = $5",
        )
        .bind(to)
        .bind(version + 1)
        .bind(at)
        .bind(order)
        .bind(version)
        .execute(tx)
        .await?
    } else {
        query("UPDATE orders SET version = $1, updated_at = $2 WHERE id = $3 AND version = $4")
            .bind(version + 1)
            .bind(at)
            .bind(order)
            .bind(version)
            .execute(tx)
            .await?
    };
    if n == 0 {
        return Err(StoreError::Conflict("orders.version".into()));
    }
    let data = serde_json::json!({
        "duty": duty,
        "from": from.map(|v| v.to_string()),
        "to": to.map(|v| v.to_string()),
        "reason": reason,
        "away_id": away.to_string(),
    });
    let e = crate::orders::NewEvent {
        kind: "assignee_changed".into(),
        actor_id: why.actor,
        at,
        data,
    };
    crate::orders::insert_event(tx, order, version + 1, &e).await?;
    crate::search::outbox(tx, "order", order, at).await
}

/// Starts period `id` at `now` when it has not started: moves A's open orders (status in
/// `open`) to the cover. False when it had started or ended already.
async fn start_in(
    tx: &mut Db<'_>,
    id: i64,
    now: i64,
    actor: Option<i64>,
    open: &[String],
) -> Result<bool> {
    let n = query(
        "UPDATE away_periods SET started_at = $1 WHERE id = $2 \
         AND started_at IS NULL AND ended_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(tx)
    .await?;
    if n == 0 {
        return Ok(false);
    }
    let p = query("SELECT company_id, user_id, cover_id FROM away_periods WHERE id = $1")
        .bind(id)
        .fetch_all(tx)
        .await?;
    let p = p.first().ok_or(StoreError::NotFound)?;
    let (company, user, cover): (i64, i64, Option<i64>) = (
        p.try_get("company_id")?,
        p.try_get("user_id")?,
        p.try_get("cover_id")?,
    );
    let mut moved = 0;
    for (duty, col) in [
        ("assignee", "assignee_id"),
        ("follow_up", "first_responder_id"),
    ] {
        // `$1` is the user, `$2..` the open statuses.
        let statuses = (2..open.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT id, version FROM orders WHERE {col} = $1 AND status IN ({statuses}) \
             ORDER BY id LIMIT {MAX_MOVES}"
        );
        let mut q = query(sql).bind(user);
        for s in open {
            q = q.bind(s.as_str());
        }
        let rows: Vec<DbRow> = q.fetch_all(tx).await?;
        for r in rows {
            let (order, version): (i64, i64) = (r.try_get("id")?, r.try_get("version")?);
            let why = Why {
                reason: "away",
                away: id,
                at: now,
                actor,
            };
            move_order(tx, (order, version), duty, Some(user), cover, &why).await?;
            query(
                "INSERT INTO away_moves (away_id, order_id, duty, company_id, from_user, to_user, moved_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(order)
            .bind(duty)
            .bind(company)
            .bind(user)
            .bind(cover)
            .bind(now)
            .execute(tx)
            .await?;
            moved += 1;
        }
    }
    let data = serde_json::json!({"moved": moved});
    audit(tx, id, "away_started", None, now, data).await?;
    Ok(true)
}

/// Ends period `id` at `now` (`kind` `until` or `early`, by `actor`): every move not yet back
/// goes back to A when `back(open, holder_now, moved_to)` says so. `Conflict` when it ended
/// already.
async fn end_in(
    tx: &mut Db<'_>,
    id: i64,
    now: i64,
    actor: Option<i64>,
    kind: &str,
    open: &[String],
    back: fn(bool, Option<i64>, Option<i64>) -> bool,
) -> Result<u64> {
    let n = query(
        "UPDATE away_periods SET ended_at = $1, ended_by = $2, end_kind = $3 \
         WHERE id = $4 AND ended_at IS NULL",
    )
    .bind(now)
    .bind(actor)
    .bind(kind)
    .bind(id)
    .execute(tx)
    .await?;
    if n == 0 {
        return Err(StoreError::Conflict("away_periods.ended_at".into()));
    }
    let rows = query(
        "SELECT m.order_id, m.duty, m.from_user, m.to_user, o.status, o.version, o.assignee_id \
         FROM away_moves m JOIN orders o ON o.id = m.order_id \
         WHERE m.away_id = $1 AND m.returned_at IS NULL ORDER BY m.order_id, m.duty",
    )
    .bind(id)
    .fetch_all(tx)
    .await?;
    let mut returned = 0;
    for r in rows {
        let order: i64 = r.try_get("order_id")?;
        let duty: String = r.try_get("duty")?;
        let a: i64 = r.try_get("from_user")?;
        let to: Option<i64> = r.try_get("to_user")?;
        let status: String = r.try_get("status")?;
        let is_open = open.contains(&status);
        let holder = if duty == "assignee" {
            r.try_get("assignee_id")?
        } else {
            to
        };
        let outcome = if back(is_open, holder, to) {
            // Re-read the version: an earlier move of this period may have bumped it.
            let version: i64 = query("SELECT version FROM orders WHERE id = $1")
                .bind(order)
                .scalar(tx)
                .await?;
            let why = Why {
                reason: "return",
                away: id,
                at: now,
                actor,
            };
            move_order(tx, (order, version), &duty, to, Some(a), &why).await?;
            returned += 1;
            "returned"
        } else {
            "kept"
        };
        query(
            "UPDATE away_moves SET returned_at = $1, outcome = $2 \
             WHERE away_id = $3 AND order_id = $4 AND duty = $5",
        )
        .bind(now)
        .bind(outcome)
        .bind(id)
        .bind(order)
        .bind(duty.as_str())
        .execute(tx)
        .await?;
    }
    let data = serde_json::json!({"kind": kind, "returned": returned});
    audit(tx, id, "away_ended", actor, now, data).await?;
    Ok(returned)
}

impl Store {
    /// Records period `a` (audited); when `start` (its `from` has come) its work moves in the
    /// same transaction. Returns its id.
    pub async fn create_away(&self, a: &NewAway, start: bool, open: &[String]) -> Result<i64> {
        let (a, open) = (a.clone(), open.to_vec());
        self.grouped(move |tx| {
            Box::pin(async move {
                let id: i64 = query(
                    "INSERT INTO away_periods (company_id, user_id, cover_id, from_at, until_at, \
                     reason, note, forced, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(a.company_id)
                .bind(a.user_id)
                .bind(a.cover_id)
                .bind(a.from_at)
                .bind(a.until_at)
                .bind(a.reason.as_str())
                .bind(a.note.clone())
                .bind(i64::from(a.forced))
                .bind(a.created_by)
                .bind(a.created_at)
                .scalar(tx)
                .await?;
                let data = serde_json::json!({
                    "user_id": a.user_id, "cover_id": a.cover_id, "from": a.from_at,
                    "until": a.until_at, "reason": a.reason, "forced": a.forced,
                });
                audit(
                    tx,
                    id,
                    "away_recorded",
                    Some(a.created_by),
                    a.created_at,
                    data,
                )
                .await?;
                if start {
                    start_in(tx, id, a.created_at, Some(a.created_by), &open).await?;
                }
                Ok(id)
            })
        })
        .await
    }

    /// Starts period `id` at `now` (the timer at `from`); false when it had started or ended.
    pub async fn start_away(&self, id: i64, now: i64, open: &[String]) -> Result<bool> {
        let open = open.to_vec();
        self.grouped(move |tx| Box::pin(async move { start_in(tx, id, now, None, &open).await }))
            .await
    }

    /// Ends period `id` at `now`: at `until` by the timer (`actor` none, `kind` `until`) or
    /// early by `actor`; the work goes back where `back` says. Returns how many moves went
    /// back; `Conflict` when it had ended.
    pub async fn end_away(
        &self,
        id: i64,
        now: i64,
        actor: Option<i64>,
        kind: &str,
        open: &[String],
        back: fn(bool, Option<i64>, Option<i64>) -> bool,
    ) -> Result<u64> {
        let (kind, open) = (kind.to_owned(), open.to_vec());
        self.grouped(move |tx| {
            Box::pin(async move { end_in(tx, id, now, actor, &kind, &open, back).await })
        })
        .await
    }

    /// Periods whose `from` has come and that have not started, oldest first.
    pub async fn due_away_starts(&self, now: i64, batch: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM away_periods WHERE started_at IS NULL AND ended_at IS NULL \
             AND from_at <= $1 ORDER BY from_at, id LIMIT $2",
        )
        .bind(now)
        .bind(batch)
        .fetch_all(self.pool())
        .await?)
    }

    /// Started periods whose `until` has come and that have not ended, oldest first.
    pub async fn due_away_ends(&self, now: i64, batch: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM away_periods WHERE started_at IS NOT NULL AND ended_at IS NULL \
             AND until_at <= $1 ORDER BY until_at, id LIMIT $2",
        )
        .bind(now)
        .bind(batch)
        .fetch_all(self.pool())
        .await?)
    }

    /// One period.
    pub async fn away(&self, id: i64) -> Result<AwayRow> {
        let r = sqlx::query("SELECT * FROM away_periods WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        away_from(&r.ok_or(StoreError::NotFound)?)
    }

    /// Whether `user` has a period not ended that shares a moment with `[from, until)`.
    pub async fn away_overlapping(&self, user: i64, from: i64, until: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM away_periods WHERE user_id = $1 AND until_at > $2 \
             AND from_at < $3 AND (ended_at IS NULL OR ended_at > $2)",
        )
        .bind(user)
        .bind(from)
        .bind(until)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// A user's periods, newest first, at most `limit`.
    pub async fn aways_of_user(&self, user: i64, limit: i64) -> Result<Vec<AwayRow>> {
        let rows = sqlx::query(
            "SELECT * FROM away_periods WHERE user_id = $1 ORDER BY until_at DESC, id DESC LIMIT $2",
        )
        .bind(user)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(away_from).collect()
    }

    /// A company's periods (ended ones too) that share a moment with `[from, until)`, by
    /// `from`, at most `limit`.
    pub async fn aways_of_company(
        &self,
        company: i64,
        from: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<AwayRow>> {
        let rows = sqlx::query(
            "SELECT * FROM away_periods WHERE company_id = $1 AND from_at < $3 AND until_at > $2 \
             AND (ended_at IS NULL OR ended_at > $2) ORDER BY from_at, id LIMIT $4",
        )
        .bind(company)
        .bind(from)
        .bind(until)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(away_from).collect()
    }

    /// The moves of a period, by order.
    pub async fn away_moves(&self, away: i64) -> Result<Vec<AwayMove>> {
        let q = format!(
            "SELECT {MOVE_COLS} FROM away_moves m JOIN orders o ON o.id = m.order_id \
             WHERE m.away_id = $1 ORDER BY m.order_id, m.duty"
        );
        let rows = sqlx::query(&q).bind(away).fetch_all(self.pool()).await?;
        rows.iter().map(move_from).collect()
    }

    /// The moves `user` holds now (B covering for A), at most `limit`.
    pub async fn covering(&self, user: i64, limit: i64) -> Result<Vec<AwayMove>> {
        let q = format!(
            "SELECT {MOVE_COLS} FROM away_moves m JOIN orders o ON o.id = m.order_id \
             WHERE m.to_user = $1 AND m.returned_at IS NULL ORDER BY m.order_id LIMIT $2"
        );
        let rows = sqlx::query(&q)
            .bind(user)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(move_from).collect()
    }

    /// The moves of a company held by nobody (A and B away, forced), at most `limit`.
    pub async fn uncovered(&self, company: i64, limit: i64) -> Result<Vec<AwayMove>> {
        let q = format!(
            "SELECT {MOVE_COLS} FROM away_moves m JOIN orders o ON o.id = m.order_id \
             WHERE m.company_id = $1 AND m.returned_at IS NULL AND m.to_user IS NULL \
             ORDER BY m.order_id LIMIT $2"
        );
        let rows = sqlx::query(&q)
            .bind(company)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(move_from).collect()
    }

    /// The moves of an order not yet back.
    pub async fn order_covers(&self, order: i64) -> Result<Vec<AwayMove>> {
        let q = format!(
            "SELECT {MOVE_COLS} FROM away_moves m JOIN orders o ON o.id = m.order_id \
             WHERE m.order_id = $1 AND m.returned_at IS NULL ORDER BY m.away_id"
        );
        let rows = sqlx::query(&q).bind(order).fetch_all(self.pool()).await?;
        rows.iter().map(move_from).collect()
    }
}
