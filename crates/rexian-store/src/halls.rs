//! Hall checks (`004` 营业厅): the items of a hall with their due date, each check kept, every
//! change an audit event (entity `hall_item`) in the same transaction. Items are retired, never
//! deleted.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit;
use crate::{Result, Store, StoreError};

/// An item of a hall as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HallItem {
    /// Id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// The hall (a unit).
    pub unit_id: i64,
    /// What is checked.
    pub name: String,
    /// Days between checks.
    pub period_days: i64,
    /// Next check due on (local day, `YYYY-MM-DD`).
    pub due_on: String,
    /// Last checked.
    pub last_checked_at: Option<i64>,
    /// Whether the last check found it in order.
    pub last_ok: Option<bool>,
    /// Created by.
    pub created_by: i64,
    /// When.
    pub created_at: i64,
    /// Retired (no longer checked).
    pub retired_at: Option<i64>,
}

/// A check as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HallCheck {
    /// Id.
    pub id: i64,
    /// The item.
    pub item_id: i64,
    /// Who checked.
    pub checked_by: i64,
    /// When.
    pub checked_at: i64,
    /// In order.
    pub ok: bool,
    /// What was found.
    pub found: String,
    /// The due date it set.
    pub next_due_on: String,
}

const COLS: &str = "id, company_id, unit_id, name, period_days, due_on, last_checked_at, \
                    last_ok, created_by, created_at, retired_at";

fn item_from(r: &AnyRow) -> Result<HallItem> {
    let last_ok: Option<i64> = r.try_get("last_ok")?;
    Ok(HallItem {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        unit_id: r.try_get("unit_id")?,
        name: r.try_get("name")?,
        period_days: r.try_get("period_days")?,
        due_on: r.try_get("due_on")?,
        last_checked_at: r.try_get("last_checked_at")?,
        last_ok: last_ok.map(|v| v != 0),
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        retired_at: r.try_get("retired_at")?,
    })
}

impl Store {
    /// Writes a new item (its `id` ignored) with its `created` event; returns its id.
    pub async fn create_hall_item(&self, i: &HallItem) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO hall_items (company_id, unit_id, name, period_days, due_on, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(i.company_id)
        .bind(i.unit_id)
        .bind(&i.name)
        .bind(i.period_days)
        .bind(&i.due_on)
        .bind(i.created_by)
        .bind(i.created_at)
        .fetch_one(&mut *tx)
        .await?;
        let data = serde_json::json!({"unit_id": i.unit_id, "name": i.name,
            "period_days": i.period_days, "due_on": i.due_on});
        audit::record(
            &mut tx,
            "hall_item",
            id,
            "created",
            Some(i.created_by),
            i.created_at,
            &data,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One item.
    pub async fn hall_item(&self, id: i64) -> Result<HallItem> {
        let q = format!("SELECT {COLS} FROM hall_items WHERE id = $1");
        let r = sqlx::query(&q).bind(id).fetch_optional(self.pool()).await?;
        item_from(&r.ok_or(StoreError::NotFound)?)
    }

    /// The live items of `company` (every company when none), by due date; with `due_before`,
    /// only those due before that day (the overdue ones).
    pub async fn hall_items(
        &self,
        company: Option<i64>,
        due_before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<HallItem>> {
        let q = format!(
            "SELECT {COLS} FROM hall_items WHERE retired_at IS NULL \
             AND ($1 IS NULL OR company_id = $1) AND ($2 IS NULL OR due_on < $2) \
             ORDER BY due_on, id LIMIT $3"
        );
        let rows = sqlx::query(&q)
            .bind(company)
            .bind(due_before)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(item_from).collect()
    }

    /// The checks of an item, newest first.
    pub async fn hall_checks(&self, item: i64, limit: i64) -> Result<Vec<HallCheck>> {
        let rows = sqlx::query(
            "SELECT id, item_id, checked_by, checked_at, ok, found, next_due_on FROM hall_checks \
             WHERE item_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(item)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let ok: i64 = r.try_get("ok")?;
                Ok(HallCheck {
                    id: r.try_get("id")?,
                    item_id: r.try_get("item_id")?,
                    checked_by: r.try_get("checked_by")?,
                    checked_at: r.try_get("checked_at")?,
                    ok: ok != 0,
                    found: r.try_get("found")?,
                    next_due_on: r.try_get("next_due_on")?,
                })
            })
            .collect()
    }

    /// Records a check (its `id` ignored) and moves the item's due date, with the `checked`
    /// event; `Conflict` when the item was retired meanwhile. Returns the check's id.
    pub async fn add_hall_check(&self, c: &HallCheck) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE hall_items SET due_on = $1, last_checked_at = $2, last_ok = $3 \
             WHERE id = $4 AND retired_at IS NULL",
        )
        .bind(&c.next_due_on)
        .bind(c.checked_at)
        .bind(i64::from(c.ok))
        .bind(c.item_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("hall_items.retired_at".into()));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO hall_checks (item_id, checked_by, checked_at, ok, found, next_due_on) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(c.item_id)
        .bind(c.checked_by)
        .bind(c.checked_at)
        .bind(i64::from(c.ok))
        .bind(&c.found)
        .bind(&c.next_due_on)
        .fetch_one(&mut *tx)
        .await?;
        let data = serde_json::json!({"check_id": id, "ok": c.ok, "found": c.found,
            "next_due_on": c.next_due_on});
        audit::record(
            &mut tx,
            "hall_item",
            c.item_id,
            "checked",
            Some(c.checked_by),
            c.checked_at,
            &data,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Retires an item (kept, no longer due), with the `retired` event; `Conflict` when it was
    /// retired already.
    pub async fn retire_hall_item(&self, id: i64, by: i64, at: i64, reason: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE hall_items SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("hall_items.retired_at".into()));
        }
        let data = serde_json::json!({"reason": reason});
        audit::record(&mut tx, "hall_item", id, "retired", Some(by), at, &data).await?;
        tx.commit().await?;
        Ok(())
    }
}
