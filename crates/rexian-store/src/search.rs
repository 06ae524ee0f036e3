//! The search outbox and what the search index reads: changed records by id, and every record
//! in pages for a rebuild.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::customers::{customer_from, Customer, COLS as CUSTOMER_COLS};
use crate::kb::{version_from, VersionRow};
use crate::orders::{contact_from, order_from, ContactRow, OrderRow, ORDER_COLS};
use crate::{Result, Store};

/// One outbox row: a record of `kind` (`order`, `customer`, `contact`, `article`, `outage`)
/// changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Row id (the cursor).
    pub id: i64,
    /// Record kind.
    pub kind: String,
    /// Record id.
    pub entity_id: i64,
}

/// A published article as the index keeps it.
#[derive(Debug, Clone)]
pub struct ArticleDoc {
    /// Article id.
    pub id: i64,
    /// Company, or `None` for every company.
    pub company_id: Option<i64>,
    /// The published version, if any.
    pub published: Option<VersionRow>,
}

/// Writes an outbox row inside the change's transaction.
pub(crate) async fn outbox(
    tx: &mut crate::db::Db<'_>,
    kind: &str,
    entity_id: i64,
    at: i64,
) -> Result<()> {
    crate::db::query("INSERT INTO search_outbox (kind, entity_id, at) VALUES ($1, $2, $3)")
        .bind(kind)
        .bind(entity_id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Several outbox rows in one statement, in the order given.
pub(crate) async fn outbox_many(
    tx: &mut crate::db::Db<'_>,
    rows: &[(&str, i64, i64)],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let values = (0..rows.len())
        .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let q = format!("INSERT INTO search_outbox (kind, entity_id, at) VALUES {values}");
    let mut query = crate::db::query(&q);
    for (kind, id, at) in rows {
        query = query.bind(*kind).bind(*id).bind(*at);
    }
    query.execute(&mut *tx).await?;
    Ok(())
}

pub(crate) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn outbox_from(r: &sqlx::any::AnyRow) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        entity_id: r.try_get("entity_id")?,
    })
}

impl Store {
    /// The newest outbox id (0 when empty).
    pub async fn outbox_max(&self) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM search_outbox")
            .fetch_one(self.pool())
            .await?;
        Ok(v.unwrap_or(0))
    }

    /// Outbox rows after `cursor`, oldest first.
    pub async fn outbox_after(&self, cursor: i64, limit: i64) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query(
            "SELECT id, kind, entity_id FROM search_outbox WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(cursor)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(outbox_from).collect()
    }

    /// The outbox rows among `ids` that exist now (ids skipped earlier because their
    /// transaction had not committed yet).
    pub async fn outbox_rows(&self, ids: &[i64]) -> Result<Vec<OutboxRow>> {
        self.by_ids(
            "SELECT id, kind, entity_id FROM search_outbox WHERE id IN ({}) ORDER BY id",
            ids,
            outbox_from,
        )
        .await
    }

    /// Orders by id (missing ids are left out).
    pub async fn orders_by_ids(&self, ids: &[i64]) -> Result<Vec<OrderRow>> {
        let q = format!("SELECT {ORDER_COLS} FROM orders WHERE id IN ({{}})");
        self.by_ids(&q, ids, order_from).await
    }

    /// Customers by id.
    pub async fn customers_by_ids(&self, ids: &[i64]) -> Result<Vec<Customer>> {
        let q = format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id IN ({{}})");
        self.by_ids(&q, ids, customer_from).await
    }

    /// Contacts by id.
    pub async fn contacts_by_ids(&self, ids: &[i64]) -> Result<Vec<ContactRow>> {
        self.by_ids(
            "SELECT id, company_id, channel, caller_name, caller_phone, summary, agent_id, at, dropped, handled_at \
             FROM contacts WHERE id IN ({})",
            ids,
            contact_from,
        )
        .await
    }

    /// The rows of `sql` (whose `{}` becomes the placeholders of `ids`), each read by `from`.
    async fn by_ids<T>(
        &self,
        sql: &str,
        ids: &[i64],
        from: impl Fn(&AnyRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let q = sql.replacen("{}", &placeholders(ids.len()), 1);
        let mut query = sqlx::query(&q);
        for id in ids {
            query = query.bind(*id);
        }
        query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(from)
            .collect()
    }

    /// Articles by id, each with its published version if it has one.
    pub async fn article_docs(&self, ids: &[i64]) -> Result<Vec<ArticleDoc>> {
        let q = "SELECT a.id AS a_id, a.company_id AS a_company, v.article_id, v.version, v.category, v.title, v.body, \
             v.tags, v.state, v.author_id, v.created_at, v.reviewer_id, v.state_at \
             FROM kb_articles a LEFT JOIN kb_versions v ON v.article_id = a.id AND v.state = 'published' \
             WHERE a.id IN ({})";
        self.by_ids(q, ids, |r| {
            let version: Option<i64> = r.try_get("version")?;
            Ok(ArticleDoc {
                id: r.try_get("a_id")?,
                company_id: r.try_get("a_company")?,
                published: match version {
                    Some(_) => Some(version_from(r)?),
                    None => None,
                },
            })
        })
        .await
    }

    /// Ids of one kind of record after `after`, ascending (a page of a rebuild).
    pub async fn record_ids(&self, kind: &str, after: i64, limit: i64) -> Result<Vec<i64>> {
        let table = match kind {
            "order" => "orders",
            "customer" => "customers",
            "contact" => "contacts",
            "article" => "kb_articles",
            "outage" => "outages",
            _ => return Ok(Vec::new()),
        };
        let q = format!("SELECT id FROM {table} WHERE id > $1 ORDER BY id LIMIT $2");
        Ok(sqlx::query_scalar(&q)
            .bind(after)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// How many records of every searchable kind there are (the length of a rebuild).
    pub async fn searchable_count(&self) -> Result<i64> {
        let mut n = 0;
        for t in ["orders", "customers", "contacts", "kb_articles", "outages"] {
            let c: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}"))
                .fetch_one(self.pool())
                .await?;
            n += c;
        }
        Ok(n)
    }
}
