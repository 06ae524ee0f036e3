//! Emergency water deliveries (003:6) on an outage notice, each with the notice's event.

use sqlx::Row;

use crate::outages::OutageEvent;
use crate::{Result, Store};

/// A delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    /// Id (set on insert).
    pub id: i64,
    /// The outage notice.
    pub outage_id: i64,
    /// When the tanker served.
    pub at: i64,
    /// Where.
    pub place: String,
    /// Litres.
    pub litres: Option<i64>,
    /// Tanker loads.
    pub tanks: Option<i64>,
    /// Note.
    pub note: Option<String>,
    /// Who recorded it.
    pub recorded_by: i64,
}

impl Store {
    /// Records a delivery and the notice's event in one transaction; returns its id.
    pub async fn add_water_delivery(&self, d: &DeliveryRow, e: &OutageEvent) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO water_deliveries (outage_id, at, place, litres, tanks, note, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(d.outage_id)
        .bind(d.at)
        .bind(&d.place)
        .bind(d.litres)
        .bind(d.tanks)
        .bind(&d.note)
        .bind(d.recorded_by)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO outage_events (outage_id, type, actor_id, at, data) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(d.outage_id)
        .bind(&e.kind)
        .bind(e.actor_id)
        .bind(e.at)
        .bind(e.data.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The deliveries of notice `outage_id`, newest first, at most `limit`.
    pub async fn water_deliveries(&self, outage_id: i64, limit: i64) -> Result<Vec<DeliveryRow>> {
        let rows = sqlx::query(
            "SELECT id, outage_id, at, place, litres, tanks, note, recorded_by \
             FROM water_deliveries WHERE outage_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(outage_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeliveryRow {
                    id: r.try_get("id")?,
                    outage_id: r.try_get("outage_id")?,
                    at: r.try_get("at")?,
                    place: r.try_get("place")?,
                    litres: r.try_get("litres")?,
                    tanks: r.try_get("tanks")?,
                    note: r.try_get("note")?,
                    recorded_by: r.try_get("recorded_by")?,
                })
            })
            .collect()
    }
}
