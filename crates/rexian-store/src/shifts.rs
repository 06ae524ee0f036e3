//! Shift handovers item by item and the duty log (值班日志, `001`): a handover is written with
//! its items and its duty-log line in one transaction; its acceptance with the late entries of
//! both sides and its duty-log line in another.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::reports::{insert_entry, Entry};
use crate::{Result, Store, StoreError};

/// An item the incoming shift takes over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverItem {
    /// `order`, `outage` or `supervision`.
    pub kind: String,
    /// The thing's id.
    pub ref_id: i64,
    /// What the list shows.
    pub summary: String,
}

/// A handover as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Handover {
    /// Id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Start of the incoming shift.
    pub shift_start: i64,
    /// The outgoing user who wrote it.
    pub created_by: i64,
    /// When.
    pub created_at: i64,
    /// Free notes of the outgoing shift.
    pub note: Option<String>,
    /// The incoming user who accepted it.
    pub accepted_by: Option<i64>,
    /// When.
    pub accepted_at: Option<i64>,
    /// Notes of the incoming shift.
    pub accept_note: Option<String>,
    /// Its items, in order.
    pub items: Vec<HandoverItem>,
}

/// A line of the duty log.
#[derive(Debug, Clone, PartialEq)]
pub struct DutyEntry {
    /// Id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Local day (`YYYY-MM-DD`).
    pub day: String,
    /// When.
    pub at: i64,
    /// Who.
    pub author_id: i64,
    /// `entry`, `handover` or `handover_accepted`.
    pub kind: String,
    /// What.
    pub text: String,
    /// The handover it is about.
    pub handover_id: Option<i64>,
}

/// A duty-log line to write.
#[derive(Debug, Clone)]
pub struct NewDutyEntry {
    /// Company.
    pub company_id: i64,
    /// Local day.
    pub day: String,
    /// When.
    pub at: i64,
    /// Who.
    pub author_id: i64,
    /// `entry`, `handover` or `handover_accepted`.
    pub kind: String,
    /// What.
    pub text: String,
}

async fn log(c: &mut sqlx::AnyConnection, e: &NewDutyEntry, handover: Option<i64>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO duty_log (company_id, day, at, author_id, kind, text, handover_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(e.company_id)
    .bind(&e.day)
    .bind(e.at)
    .bind(e.author_id)
    .bind(&e.kind)
    .bind(&e.text)
    .bind(handover)
    .fetch_one(c)
    .await?)
}

fn handover_from(r: &AnyRow) -> Result<Handover> {
    Ok(Handover {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        shift_start: r.try_get("shift_start")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        note: r.try_get("note")?,
        accepted_by: r.try_get("accepted_by")?,
        accepted_at: r.try_get("accepted_at")?,
        accept_note: r.try_get("accept_note")?,
        items: Vec::new(),
    })
}

impl Store {
    /// Writes handover `h` (its `id` is set here) with its items and its duty-log line.
    pub async fn create_handover(&self, h: &Handover, line: &NewDutyEntry) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO handovers (company_id, shift_start, created_by, created_at, note) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(h.company_id)
        .bind(h.shift_start)
        .bind(h.created_by)
        .bind(h.created_at)
        .bind(&h.note)
        .fetch_one(&mut *tx)
        .await?;
        for (i, item) in h.items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO handover_items (handover_id, seq, kind, ref_id, summary) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(i as i64 + 1)
            .bind(&item.kind)
            .bind(item.ref_id)
            .bind(&item.summary)
            .execute(&mut *tx)
            .await?;
        }
        log(&mut tx, line, Some(id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One handover with its items.
    pub async fn handover(&self, id: i64) -> Result<Handover> {
        let r = sqlx::query("SELECT * FROM handovers WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        let mut h = handover_from(&r.ok_or(StoreError::NotFound)?)?;
        let rows = sqlx::query(
            "SELECT kind, ref_id, summary FROM handover_items WHERE handover_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        for r in rows {
            h.items.push(HandoverItem {
                kind: r.try_get("kind")?,
                ref_id: r.try_get("ref_id")?,
                summary: r.try_get("summary")?,
            });
        }
        Ok(h)
    }

    /// Records that `by` accepted handover `id` at `at`, with its duty-log line and the late
    /// entries (none when on time), once: `Conflict` when it was accepted already.
    pub async fn accept_handover(
        &self,
        id: i64,
        by: i64,
        at: i64,
        note: Option<&str>,
        line: &NewDutyEntry,
        late: &[Entry],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE handovers SET accepted_by = $1, accepted_at = $2, accept_note = $3 \
             WHERE id = $4 AND accepted_at IS NULL",
        )
        .bind(by)
        .bind(at)
        .bind(note)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("handovers.accepted_at".into()));
        }
        log(&mut tx, line, Some(id)).await?;
        for e in late {
            insert_entry(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes a duty-log line; returns its id.
    pub async fn add_duty_entry(&self, e: &NewDutyEntry) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = log(&mut tx, e, None).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The duty log of a company's local day, oldest first.
    pub async fn duty_log(&self, company: i64, day: &str) -> Result<Vec<DutyEntry>> {
        let rows = sqlx::query(
            "SELECT id, company_id, day, at, author_id, kind, text, handover_id FROM duty_log \
             WHERE company_id = $1 AND day = $2 ORDER BY id",
        )
        .bind(company)
        .bind(day)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DutyEntry {
                    id: r.try_get("id")?,
                    company_id: r.try_get("company_id")?,
                    day: r.try_get("day")?,
                    at: r.try_get("at")?,
                    author_id: r.try_get("author_id")?,
                    kind: r.try_get("kind")?,
                    text: r.try_get("text")?,
                    handover_id: r.try_get("handover_id")?,
                })
            })
            .collect()
    }

    /// Handovers of `company` written in `[from, to)` (all when none), newest first, each with
    /// its items; at most `limit`.
    pub async fn handovers(
        &self,
        company: i64,
        range: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<Handover>> {
        let (from, to) = range.unwrap_or((i64::MIN, i64::MAX));
        let rows = sqlx::query(
            "SELECT * FROM handovers WHERE company_id = $1 AND created_at >= $2 \
             AND created_at < $3 ORDER BY created_at DESC, id DESC LIMIT $4",
        )
        .bind(company)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let list = rows.iter().map(handover_from).collect::<Result<Vec<_>>>()?;
        self.with_items(list).await
    }

    /// The handovers `user` accepted since `since`, newest first, with their items.
    pub async fn handovers_accepted_by(
        &self,
        user: i64,
        since: i64,
        limit: i64,
    ) -> Result<Vec<Handover>> {
        let rows = sqlx::query(
            "SELECT * FROM handovers WHERE accepted_by = $1 AND accepted_at >= $2 \
             ORDER BY accepted_at DESC LIMIT $3",
        )
        .bind(user)
        .bind(since)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let list = rows.iter().map(handover_from).collect::<Result<Vec<_>>>()?;
        self.with_items(list).await
    }

    /// `list` with the items of each, read in one query.
    async fn with_items(&self, mut list: Vec<Handover>) -> Result<Vec<Handover>> {
        if list.is_empty() {
            return Ok(list);
        }
        let q = format!(
            "SELECT handover_id, kind, ref_id, summary FROM handover_items \
             WHERE handover_id IN ({}) ORDER BY handover_id, seq",
            crate::search::placeholders(list.len())
        );
        let mut query = sqlx::query(&q);
        for h in &list {
            query = query.bind(h.id);
        }
        let rows = query.fetch_all(self.pool()).await?;
        for r in rows {
            let hid: i64 = r.try_get("handover_id")?;
            if let Some(h) = list.iter_mut().find(|h| h.id == hid) {
                h.items.push(HandoverItem {
                    kind: r.try_get("kind")?,
                    ref_id: r.try_get("ref_id")?,
                    summary: r.try_get("summary")?,
                });
            }
        }
        Ok(list)
    }
}
