//! Mass incidents (SPEC §6): within an intake's transaction, an order of a place, category and
//! subtype joins the open incident of that place, or opens one when the threshold's orders
//! arrived within the window. The work is bounded by the threshold, not the place's history.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::{query, Db};
use crate::{Result, Store, StoreError};

/// What an intake needs to group its order.
#[derive(Debug, Clone)]
pub struct IncidentIntake {
    /// The community as the caller gave it (shown on the incident).
    pub community: String,
    /// The community normalised (the key).
    pub key: String,
    /// Start of the window (ms): orders since then count.
    pub since: i64,
    /// Orders that open an incident.
    pub threshold: i64,
}

/// An incident as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    /// Id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Community as first given.
    pub community: String,
    /// Category of its orders.
    pub category: String,
    /// Subtype of its orders.
    pub subtype: String,
    /// Orders in it.
    pub orders: i64,
    /// First order's time.
    pub first_at: i64,
    /// Latest order's time.
    pub last_at: i64,
    /// The matter its complaints share.
    pub matter_id: Option<i64>,
    /// The outage notice it is linked to.
    pub outage_id: Option<i64>,
    /// `open` or `closed`.
    pub status: String,
    /// Closed.
    pub closed_at: Option<i64>,
}

const COLS: &str = "id, company_id, community, category, subtype, orders, first_at, last_at, \
    matter_id, outage_id, status, closed_at";

fn incident_from(r: &AnyRow) -> Result<IncidentRow> {
    Ok(IncidentRow {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        community: r.try_get("community")?,
        category: r.try_get("category")?,
        subtype: r.try_get("subtype")?,
        orders: r.try_get("orders")?,
        first_at: r.try_get("first_at")?,
        last_at: r.try_get("last_at")?,
        matter_id: r.try_get("matter_id")?,
        outage_id: r.try_get("outage_id")?,
        status: r.try_get("status")?,
        closed_at: r.try_get("closed_at")?,
    })
}

/// The order an intake places: its id, company, category, subtype, time and matter.
pub(crate) struct Placed<'a> {
    pub id: i64,
    pub company_id: i64,
    pub category: &'a str,
    pub subtype: &'a str,
    pub at: i64,
    pub matter_id: Option<i64>,
}

/// Puts order `o` into the open incident of its place, or opens one with the window's orders
/// when they reach the threshold; returns the incident, if any.
pub(crate) async fn place(
    c: &mut Db<'_>,
    o: &Placed<'_>,
    i: &IncidentIntake,
) -> Result<Option<i64>> {
    let joined = query(
        "UPDATE incidents SET orders = orders + 1, last_at = $1, matter_id = COALESCE(matter_id, $2) \
         WHERE company_id = $3 AND community_key = $4 AND category = $5 AND subtype = $6 \
         AND status = 'open' RETURNING id",
    )
    .bind(o.at)
    .bind(o.matter_id)
    .bind(o.company_id)
    .bind(&i.key)
    .bind(o.category)
    .bind(o.subtype)
    .fetch_all(&mut *c)
    .await?;
    let incident = match joined.first() {
        Some(r) => r.try_get::<i64>("id")?,
        None => {
            let window = query(
                "SELECT id, created_at, customer_community FROM orders WHERE company_id = $1 AND community_key = $2 \
                 AND category = $3 AND subtype = $4 AND created_at >= $5 AND incident_id IS NULL \
                 AND id <> $6 ORDER BY created_at DESC, id DESC LIMIT $7",
            )
            .bind(o.company_id)
            .bind(&i.key)
            .bind(o.category)
            .bind(o.subtype)
            .bind(i.since)
            .bind(o.id)
            .bind(i.threshold - 1)
            .fetch_all(&mut *c)
            .await?;
            if (window.len() as i64) + 1 < i.threshold {
                return Ok(None);
            }
            // The incident is named as its first caller spelt the place.
            let (first_at, community) = match window.last() {
                Some(r) => (
                    r.try_get::<i64>("created_at")?,
                    r.try_get::<Option<String>>("customer_community")?
                        .unwrap_or_else(|| i.community.clone()),
                ),
                None => (o.at, i.community.clone()),
            };
            let id: i64 = query(
                "INSERT INTO incidents (company_id, community, community_key, category, subtype, orders, \
                 first_at, last_at, matter_id, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open') \
                 ON CONFLICT (company_id, community_key, category, subtype) WHERE status = 'open' \
                 DO UPDATE SET orders = incidents.orders + 1, last_at = excluded.last_at RETURNING id",
            )
            .bind(o.company_id)
            .bind(&community)
            .bind(&i.key)
            .bind(o.category)
            .bind(o.subtype)
            .bind(window.len() as i64 + 1)
            .bind(first_at)
            .bind(o.at)
            .bind(o.matter_id)
            .scalar(&mut *c)
            .await?;
            for r in &window {
                query("UPDATE orders SET incident_id = $1 WHERE id = $2 AND incident_id IS NULL")
                    .bind(id)
                    .bind(r.try_get::<i64>("id")?)
                    .execute(&mut *c)
                    .await?;
            }
            id
        }
    };
    query("UPDATE orders SET incident_id = $1 WHERE id = $2")
        .bind(incident)
        .bind(o.id)
        .execute(&mut *c)
        .await?;
    Ok(Some(incident))
}

impl Store {
    /// The open incident of a place, category and subtype, if there is one (an intake reads
    /// it first: its complaints share the incident's matter).
    pub async fn open_incident(
        &self,
        company: i64,
        key: &str,
        category: &str,
        subtype: &str,
    ) -> Result<Option<IncidentRow>> {
        let q = format!(
            "SELECT {COLS} FROM incidents WHERE company_id = $1 AND community_key = $2 \
             AND category = $3 AND subtype = $4 AND status = 'open'"
        );
        let r = sqlx::query(&q)
            .bind(company)
            .bind(key)
            .bind(category)
            .bind(subtype)
            .fetch_optional(self.pool())
            .await?;
        r.as_ref().map(incident_from).transpose()
    }

    /// The orders of incident `id` still new (answerable at once), by id.
    pub async fn incident_new_orders(&self, id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM orders WHERE incident_id = $1 AND status = 'new' ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Links incident `id` to outage notice `outage` (callers are told the notice).
    pub async fn link_incident(&self, id: i64, outage: i64) -> Result<()> {
        let _w = self.write_guard().await;
        sqlx::query("UPDATE incidents SET outage_id = $1 WHERE id = $2")
            .bind(outage)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Closes open incident `id` at `at`; `Conflict` when it is closed already.
    pub async fn close_incident(&self, id: i64, at: i64) -> Result<()> {
        let _w = self.write_guard().await;
        let n = sqlx::query(
            "UPDATE incidents SET status = 'closed', closed_at = $1 WHERE id = $2 AND status = 'open'",
        )
        .bind(at)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("incidents.status".into()));
        }
        Ok(())
    }

    /// One incident.
    pub async fn incident(&self, id: i64) -> Result<IncidentRow> {
        let q = format!("SELECT {COLS} FROM incidents WHERE id = $1");
        let r = sqlx::query(&q).bind(id).fetch_optional(self.pool()).await?;
        incident_from(&r.ok_or(StoreError::NotFound)?)
    }

    /// Incidents newest first (of `company`; only open ones when `open`), at most `limit`.
    pub async fn incidents(
        &self,
        company: Option<i64>,
        open: bool,
        limit: i64,
    ) -> Result<Vec<IncidentRow>> {
        let q = format!(
            "SELECT {COLS} FROM incidents WHERE ($1 IS NULL OR company_id = $1) \
             AND ($2 = 0 OR status = 'open') ORDER BY id DESC LIMIT $3"
        );
        let rows = sqlx::query(&q)
            .bind(company)
            .bind(i64::from(open))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(incident_from).collect()
    }

    /// The incidents of `company` that began in `[from, to)`, oldest first, each with its
    /// complaints (its own orders that are complaints, and the complaints sharing its matter);
    /// at most `limit`.
    pub async fn incidents_begun(
        &self,
        company: i64,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<(IncidentRow, i64)>> {
        let cols = COLS
            .split(", ")
            .map(|c| format!("i.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let q = format!(
            "SELECT {cols}, \
             (SELECT COUNT(*) FROM orders o WHERE o.incident_id = i.id AND o.category = 'complaint') \
             + (SELECT COUNT(*) FROM orders o WHERE o.matter_id = i.matter_id AND o.category = 'complaint' \
                AND (o.incident_id IS NULL OR o.incident_id <> i.id)) AS complaints \
             FROM incidents i WHERE i.company_id = $1 AND i.first_at >= $2 AND i.first_at < $3 \
             ORDER BY i.first_at, i.id LIMIT $4"
        );
        let rows = sqlx::query(&q)
            .bind(company)
            .bind(from)
            .bind(to)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((incident_from(r)?, r.try_get::<i64, _>("complaints")?)))
            .collect()
    }
}
