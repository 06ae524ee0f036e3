//! Outage notices: the notice as it stands, its events, its places as index keys for matching
//! addresses, the orders answered with it, and the sweep of notices published late.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::reports::{insert_entry, Entry};
use crate::search::outbox;
use crate::{Result, Store, StoreError};

const COLS: &str = "id, company_id, kind, cause, area, start_at, expected_end_at, status, \
    received_at, publish_due_at, published_at, restored_at, late_noted, created_by, version";

/// A notice as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct OutageRow {
    /// Id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// `planned` or `fault`.
    pub kind: String,
    /// Cause as published.
    pub cause: String,
    /// The area, JSON (`{communities, streets, buildings, stations}`).
    pub area: String,
    /// Supply off from.
    pub start_at: i64,
    /// Expected back.
    pub expected_end_at: i64,
    /// `draft`, `published`, `restored`.
    pub status: String,
    /// When the centre received it.
    pub received_at: i64,
    /// The end of the receiving shift.
    pub publish_due_at: i64,
    /// Published.
    pub published_at: Option<i64>,
    /// Restored.
    pub restored_at: Option<i64>,
    /// Its late publication was noted (the rule fired).
    pub late_noted: bool,
    /// Who received it.
    pub created_by: i64,
    /// Guards against lost updates.
    pub version: i64,
}

fn outage_from(r: &AnyRow) -> Result<OutageRow> {
    Ok(OutageRow {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        kind: r.try_get("kind")?,
        cause: r.try_get("cause")?,
        area: r.try_get("area")?,
        start_at: r.try_get("start_at")?,
        expected_end_at: r.try_get("expected_end_at")?,
        status: r.try_get("status")?,
        received_at: r.try_get("received_at")?,
        publish_due_at: r.try_get("publish_due_at")?,
        published_at: r.try_get("published_at")?,
        restored_at: r.try_get("restored_at")?,
        late_noted: r.try_get::<i64, _>("late_noted")? != 0,
        created_by: r.try_get("created_by")?,
        version: r.try_get("version")?,
    })
}

/// An event of a notice.
#[derive(Debug, Clone, PartialEq)]
pub struct OutageEvent {
    /// Type (`created`, `published`, `updated`, `restored`, `publish_late`).
    pub kind: String,
    /// Who (none for the sweep).
    pub actor_id: Option<i64>,
    /// When.
    pub at: i64,
    /// Details, JSON.
    pub data: serde_json::Value,
}

/// A place of a notice: its index head and its normalised name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// First two characters.
    pub head: String,
    /// The normalised name.
    pub place: String,
}

/// A change of a notice: the notice after it, and its event.
#[derive(Debug, Clone)]
pub struct OutageChange {
    /// The version read before the change.
    pub before_version: i64,
    /// The notice after the change.
    pub after: OutageRow,
    /// The event.
    pub event: OutageEvent,
}

async fn add_event(c: &mut sqlx::AnyConnection, id: i64, e: &OutageEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO outage_events (outage_id, type, actor_id, at, data) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(&e.kind)
    .bind(e.actor_id)
    .bind(e.at)
    .bind(e.data.to_string())
    .execute(c)
    .await?;
    Ok(())
}

impl Store {
    /// Records a received notice (`id` and `version` of `n` are set here) with its places and
    /// its `created` event; returns its id.
    pub async fn create_outage(
        &self,
        n: &OutageRow,
        places: &[Place],
        event: &OutageEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outages (company_id, kind, cause, area, start_at, expected_end_at, status, \
             received_at, publish_due_at, published_at, restored_at, late_noted, created_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, 1) RETURNING id",
        )
        .bind(n.company_id)
        .bind(&n.kind)
        .bind(&n.cause)
        .bind(&n.area)
        .bind(n.start_at)
        .bind(n.expected_end_at)
        .bind(&n.status)
        .bind(n.received_at)
        .bind(n.publish_due_at)
        .bind(n.published_at)
        .bind(n.restored_at)
        .bind(n.created_by)
        .fetch_one(&mut *tx)
        .await?;
        for p in places {
            sqlx::query(
                "INSERT INTO outage_keys (outage_id, company_id, head, place, live) VALUES ($1, $2, $3, $4, 1)",
            )
            .bind(id)
            .bind(n.company_id)
            .bind(&p.head)
            .bind(&p.place)
            .execute(&mut *tx)
            .await?;
        }
        add_event(&mut tx, id, event).await?;
        outbox(
            &mut crate::db::Db::Any(&mut tx),
            "outage",
            id,
            n.received_at,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One notice.
    pub async fn outage(&self, id: i64) -> Result<OutageRow> {
        let q = format!("SELECT {COLS} FROM outages WHERE id = $1");
        let r = sqlx::query(&q).bind(id).fetch_optional(self.pool()).await?;
        outage_from(&r.ok_or(StoreError::NotFound)?)
    }

    /// The events of a notice, oldest first.
    pub async fn outage_events(&self, id: i64) -> Result<Vec<OutageEvent>> {
        let rows = sqlx::query(
            "SELECT type, actor_id, at, data FROM outage_events WHERE outage_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let data: String = r.try_get("data")?;
                Ok(OutageEvent {
                    kind: r.try_get("type")?,
                    actor_id: r.try_get("actor_id")?,
                    at: r.try_get("at")?,
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    /// Applies a change decided on version `before_version`; `Conflict("outages.version")` when
    /// the notice changed meanwhile. A restored notice's places leave the live index.
    pub async fn change_outage(&self, c: &OutageChange) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let a = &c.after;
        let n = sqlx::query(
            "UPDATE outages SET cause = $1, expected_end_at = $2, status = $3, published_at = $4, \
             restored_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
        )
        .bind(&a.cause)
        .bind(a.expected_end_at)
        .bind(&a.status)
        .bind(a.published_at)
        .bind(a.restored_at)
        .bind(a.id)
        .bind(c.before_version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("outages.version".into()));
        }
        if a.status == "restored" {
            sqlx::query("UPDATE outage_keys SET live = 0 WHERE outage_id = $1")
                .bind(a.id)
                .execute(&mut *tx)
                .await?;
        }
        add_event(&mut tx, a.id, &c.event).await?;
        outbox(&mut crate::db::Db::Any(&mut tx), "outage", a.id, c.event.at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Notices newest first (of `company`, in `status`), at most `limit`.
    pub async fn outages(
        &self,
        company: Option<i64>,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutageRow>> {
        let q = format!(
            "SELECT {COLS} FROM outages WHERE ($1 IS NULL OR company_id = $1) \
             AND ($2 IS NULL OR status = $2) ORDER BY id DESC LIMIT $3"
        );
        let rows = sqlx::query(&q)
            .bind(company)
            .bind(status)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(outage_from).collect()
    }

    /// The live places (of notices not restored) of `company` whose head is one of `heads`:
    /// `(notice, place)`. The caller checks that the place is in the address.
    pub async fn outage_places(
        &self,
        company: i64,
        heads: &[String],
    ) -> Result<Vec<(i64, String)>> {
        if heads.is_empty() {
            return Ok(Vec::new());
        }
        let list = (0..heads.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let q = format!(
            "SELECT outage_id, place FROM outage_keys WHERE company_id = $1 AND live = 1 \
             AND head IN ({list})"
        );
        let mut query = sqlx::query(&q).bind(company);
        for h in heads {
            query = query.bind(h);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("outage_id")?, r.try_get("place")?)))
            .collect()
    }

    /// Notices by id (the search index).
    pub async fn outages_by_ids(&self, ids: &[i64]) -> Result<Vec<OutageRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = crate::search::placeholders(ids.len());
        let q = format!("SELECT {COLS} FROM outages WHERE id IN ({list})");
        let mut query = sqlx::query(&q);
        for id in ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(outage_from).collect()
    }

    /// The notices of `company` received in `[from, to)`, oldest first, each with the orders
    /// answered with it; at most `limit`.
    pub async fn outages_received(
        &self,
        company: i64,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<(OutageRow, i64)>> {
        let q = format!(
            "SELECT {COLS}, (SELECT COUNT(*) FROM outage_links l WHERE l.outage_id = outages.id) AS calls \
             FROM outages WHERE company_id = $1 AND received_at >= $2 AND received_at < $3 \
             ORDER BY received_at, id LIMIT $4"
        );
        let rows = sqlx::query(&q)
            .bind(company)
            .bind(from)
            .bind(to)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((outage_from(r)?, r.try_get::<i64, _>("calls")?)))
            .collect()
    }

    /// Orders answered with a notice: `(order, when)`, oldest first.
    pub async fn outage_links(&self, id: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT order_id, at FROM outage_links WHERE outage_id = $1 ORDER BY at, order_id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("order_id")?, r.try_get("at")?)))
            .collect()
    }

    /// Drafts of `company` (every company: `None`) still unpublished past their publish deadline
    /// at `now`, the most overdue first; at most `limit` (the supervision board).
    pub async fn late_drafts(
        &self,
        company: Option<i64>,
        now: i64,
        limit: i64,
    ) -> Result<Vec<OutageRow>> {
        let q = match company {
            Some(_) => format!(
                "SELECT {COLS} FROM outages WHERE company_id = $1 AND status = 'draft' \
                 AND publish_due_at <= $2 ORDER BY publish_due_at, id LIMIT $3"
            ),
            None => format!(
                "SELECT {COLS} FROM outages WHERE status = 'draft' AND publish_due_at <= $1 \
                 ORDER BY publish_due_at, id LIMIT $2"
            ),
        };
        let mut query = sqlx::query(&q);
        if let Some(c) = company {
            query = query.bind(c);
        }
        let rows = query.bind(now).bind(limit).fetch_all(self.pool()).await?;
        rows.iter().map(outage_from).collect()
    }

    /// Drafts whose publish deadline has passed at `now` and are not yet noted (bounded batch).
    pub async fn late_outages(&self, now: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM outages WHERE status = 'draft' AND late_noted = 0 AND publish_due_at <= $1 \
             ORDER BY publish_due_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Notes once that draft `id` missed its publish deadline: its `publish_late` event and the
    /// entries `assess` gives for it, in one transaction. `None` when it was published or noted
    /// meanwhile.
    pub async fn note_outage_late(
        &self,
        id: i64,
        now: i64,
        assess: &(dyn Fn(&OutageRow) -> Vec<Entry> + Sync),
    ) -> Result<Option<OutageRow>> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE outages SET late_noted = 1 WHERE id = $1 AND status = 'draft' AND late_noted = 0 \
             AND publish_due_at <= $2",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(None);
        }
        let q = format!("SELECT {COLS} FROM outages WHERE id = $1");
        let row = outage_from(&sqlx::query(&q).bind(id).fetch_one(&mut *tx).await?)?;
        let event = OutageEvent {
            kind: "publish_late".into(),
            actor_id: None,
            at: now,
            data: serde_json::json!({"publish_due_at": row.publish_due_at}),
        };
        add_event(&mut tx, id, &event).await?;
        for e in assess(&row) {
            insert_entry(&mut tx, &e).await?;
        }
        tx.commit().await?;
        Ok(Some(row))
    }
}
