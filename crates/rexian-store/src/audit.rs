//! The audit event log: every change to organisation, staff and sessions is a row here.

use sqlx::{AnyConnection, Row};

use crate::{Result, Store};

/// One recorded change.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Row id.
    pub id: i64,
    /// `company`, `unit`, `user`, `session`…
    pub entity: String,
    /// Id of the entity.
    pub entity_id: i64,
    /// What happened.
    pub kind: String,
    /// Who did it.
    pub actor_id: Option<i64>,
    /// When, unix ms.
    pub at: i64,
    /// Details as JSON.
    pub data: String,
}

/// Writes one event inside the caller's transaction.
pub(crate) async fn record(
    tx: &mut AnyConnection,
    entity: &str,
    entity_id: i64,
    kind: &str,
    actor: Option<i64>,
    at: i64,
    data: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (entity, entity_id, type, actor_id, at, data) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entity)
    .bind(entity_id)
    .bind(kind)
    .bind(actor)
    .bind(at)
    .bind(data.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Store {
    /// Records one event on its own.
    pub async fn audit(
        &self,
        entity: &str,
        entity_id: i64,
        kind: &str,
        actor: Option<i64>,
        at: i64,
        data: &serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        record(&mut tx, entity, entity_id, kind, actor, at, data).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The events of one entity, oldest first.
    pub async fn audit_events(&self, entity: &str, entity_id: i64) -> Result<Vec<AuditEvent>> {
        let rows = sqlx::query(
            "SELECT id, entity, entity_id, type, actor_id, at, data FROM audit_events \
             WHERE entity = $1 AND entity_id = $2 ORDER BY id",
        )
        .bind(entity)
        .bind(entity_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEvent {
                    id: r.try_get("id")?,
                    entity: r.try_get("entity")?,
                    entity_id: r.try_get("entity_id")?,
                    kind: r.try_get("type")?,
                    actor_id: r.try_get("actor_id")?,
                    at: r.try_get("at")?,
                    data: r.try_get("data")?,
                })
            })
            .collect()
    }
}
