//! The roster (排班, `001` 值班): who is on which shift of which local date, changed a day at a
//! time; a replaced entry keeps its row (`removed_at`) and every change is a roster event. Also
//! the sweep of orders left pending at a shift's end (`001` 考核6)).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::orders::{order_from, OrderRow, ORDER_COLS};
use crate::reports::{insert_entry, Entry};
use crate::search::placeholders;
use crate::{Result, Store};

/// An entry of the roster as it stands, with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// Local date (`YYYY-MM-DD`) the shift starts on.
    pub day: String,
    /// The shift's number in the day, from 0.
    pub shift: i64,
    /// Who.
    pub user_id: i64,
    /// Their login.
    pub login: String,
    /// Their name.
    pub name: String,
    /// Their staff number (工号).
    pub staff_no: Option<String>,
}

/// One entry to set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RosterSet {
    /// Local date.
    pub day: String,
    /// Shift number.
    pub shift: i64,
    /// Who.
    pub user_id: i64,
}

/// A change of the roster, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEvent {
    /// Id.
    pub id: i64,
    /// Local date.
    pub day: String,
    /// Shift number.
    pub shift: i64,
    /// Who was added or removed.
    pub user_id: i64,
    /// `added` or `removed`.
    pub kind: String,
    /// `api`, `import`, `form` or `demo`.
    pub source: String,
    /// Who changed it.
    pub actor_id: Option<i64>,
    /// When.
    pub at: i64,
}

/// What a replacement changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RosterChanges {
    /// Entries added.
    pub added: usize,
    /// Entries removed.
    pub removed: usize,
}

fn entry_from(r: &AnyRow) -> Result<RosterEntry> {
    Ok(RosterEntry {
        day: r.try_get("day")?,
        shift: r.try_get("shift")?,
        user_id: r.try_get("user_id")?,
        login: r.try_get("login")?,
        name: r.try_get("name")?,
        staff_no: r.try_get("staff_no")?,
    })
}

const ENTRY_SELECT: &str = "SELECT r.day, r.shift, r.user_id, u.login, u.name, u.staff_no \
    FROM roster r JOIN users u ON u.id = r.user_id \
    WHERE r.company_id = $1 AND r.removed_at IS NULL";

async fn event(
    c: &mut sqlx::AnyConnection,
    company_id: i64,
    s: &RosterSet,
    kind: &str,
    source: &str,
    actor: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO roster_events (company_id, day, shift, user_id, type, source, actor_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(company_id)
    .bind(&s.day)
    .bind(s.shift)
    .bind(s.user_id)
    .bind(kind)
    .bind(source)
    .bind(actor)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

impl Store {
    /// The roster of the company's local dates `from..=to`, by date, shift and entry.
    pub async fn roster(&self, company_id: i64, from: &str, to: &str) -> Result<Vec<RosterEntry>> {
        let q =
            format!("{ENTRY_SELECT} AND r.day >= $2 AND r.day <= $3 ORDER BY r.day, r.shift, r.id");
        let rows = sqlx::query(&q)
            .bind(company_id)
            .bind(from)
            .bind(to)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(entry_from).collect()
    }

    /// Who is on shift `shift` of local date `day`.
    pub async fn roster_slot(
        &self,
        company_id: i64,
        day: &str,
        shift: i64,
    ) -> Result<Vec<RosterEntry>> {
        let q = format!("{ENTRY_SELECT} AND r.day = $2 AND r.shift = $3 ORDER BY r.id");
        let rows = sqlx::query(&q)
            .bind(company_id)
            .bind(day)
            .bind(shift)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(entry_from).collect()
    }

    /// The changes of the roster of local date `day`, oldest first.
    pub async fn roster_events(&self, company_id: i64, day: &str) -> Result<Vec<RosterEvent>> {
        let rows = sqlx::query(
            "SELECT id, day, shift, user_id, type, source, actor_id, at FROM roster_events \
             WHERE company_id = $1 AND day = $2 ORDER BY id",
        )
        .bind(company_id)
        .bind(day)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RosterEvent {
                    id: r.try_get("id")?,
                    day: r.try_get("day")?,
                    shift: r.try_get("shift")?,
                    user_id: r.try_get("user_id")?,
                    kind: r.try_get("type")?,
                    source: r.try_get("source")?,
                    actor_id: r.try_get("actor_id")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Makes the roster of each of `days` exactly the `entries` of that day, in one transaction:
    /// entries no longer wanted are marked removed, new ones added, each change an event;
    /// unchanged ones are left alone, so the same call twice changes nothing.
    pub async fn replace_roster(
        &self,
        company_id: i64,
        days: &BTreeSet<String>,
        entries: &[RosterSet],
        source: &str,
        actor: Option<i64>,
        now: i64,
    ) -> Result<RosterChanges> {
        let mut wanted: BTreeMap<&str, BTreeSet<&RosterSet>> =
            days.iter().map(|d| (d.as_str(), BTreeSet::new())).collect();
        for e in entries {
            wanted.entry(e.day.as_str()).or_default().insert(e);
        }
        let mut changes = RosterChanges::default();
        let mut tx = self.begin_write().await?;
        for (day, want) in &wanted {
            let rows = sqlx::query(
                "SELECT id, shift, user_id FROM roster \
                 WHERE company_id = $1 AND day = $2 AND removed_at IS NULL",
            )
            .bind(company_id)
            .bind(*day)
            .fetch_all(&mut *tx)
            .await?;
            let mut have = BTreeSet::new();
            for r in &rows {
                let s = RosterSet {
                    day: day.to_string(),
                    shift: r.try_get("shift")?,
                    user_id: r.try_get("user_id")?,
                };
                if want.contains(&s) && !have.contains(&s) {
                    have.insert(s);
                    continue;
                }
                sqlx::query("UPDATE roster SET removed_at = $2, removed_by = $3 WHERE id = $1")
                    .bind(r.try_get::<i64, _>("id")?)
                    .bind(now)
                    .bind(actor)
                    .execute(&mut *tx)
                    .await?;
                event(&mut tx, company_id, &s, "removed", source, actor, now).await?;
                changes.removed += 1;
            }
            for s in want.iter().filter(|s| !have.contains(*s)) {
                sqlx::query(
                    "INSERT INTO roster (company_id, day, shift, user_id, added_at, added_by) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(company_id)
                .bind(&s.day)
                .bind(s.shift)
                .bind(s.user_id)
                .bind(now)
                .bind(actor)
                .execute(&mut *tx)
                .await?;
                event(&mut tx, company_id, s, "added", source, actor, now).await?;
                changes.added += 1;
            }
        }
        tx.commit().await?;
        Ok(changes)
    }

    /// Orders of the company, of `categories`, still new and not yet noted, received at or
    /// before `cutoff` (bounded batch, oldest first; the partial index `orders_left_pending`).
    pub async fn left_pending_orders(
        &self,
        company_id: i64,
        categories: &[String],
        cutoff: i64,
        limit: i64,
    ) -> Result<Vec<i64>> {
        if categories.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = placeholders(categories.len() + 3)
            .split(", ")
            .skip(3)
            .map(str::to_string)
            .collect();
        let q = format!(
            "SELECT id FROM orders WHERE company_id = $1 AND status = 'new' \
             AND left_pending_at IS NULL AND created_at <= $2 AND category IN ({}) \
             ORDER BY created_at LIMIT $3",
            list.join(", ")
        );
        let mut query = sqlx::query_scalar(&q)
            .bind(company_id)
            .bind(cutoff)
            .bind(limit);
        for c in categories {
            query = query.bind(c.as_str());
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// Notes once that order `id` was left pending (still new, received at or before
    /// `cutoff`): its `left_pending` event and the entries `assess` gives, in one transaction.
    /// `None` when it was handled or noted meanwhile.
    pub async fn note_left_pending(
        &self,
        id: i64,
        cutoff: i64,
        now: i64,
        assess: &(dyn Fn(&OrderRow) -> Vec<Entry> + Sync),
    ) -> Result<Option<OrderRow>> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE orders SET left_pending_at = $2, version = version + 1 \
             WHERE id = $1 AND status = 'new' AND left_pending_at IS NULL AND created_at <= $3",
        )
        .bind(id)
        .bind(now)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(None);
        }
        let q = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1");
        let row = order_from(&sqlx::query(&q).bind(id).fetch_one(&mut *tx).await?)?;
        let data = serde_json::json!({ "holder_id": row.assignee_id.unwrap_or(row.first_responder_id).to_string() });
        sqlx::query(
            "INSERT INTO order_events (order_id, seq, type, actor_id, at, data) \
             VALUES ($1, $2, 'left_pending', NULL, $3, $4)",
        )
        .bind(id)
        .bind(row.version)
        .bind(now)
        .bind(data.to_string())
        .execute(&mut *tx)
        .await?;
        for e in assess(&row) {
            insert_entry(&mut tx, &e).await?;
        }
        tx.commit().await?;
        Ok(Some(row))
    }
}
