//! Report figures, computed by the database over the orders of a period.

use sqlx::Row;

use crate::{Result, Store, StoreError};

/// The raw counts behind the KPIs of one company (or unit) and period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KpiCounts {
    /// Orders accepted in the period.
    pub intake: i64,
    /// Of those, closed.
    pub closed: i64,
    /// Of those, with at least one time limit.
    pub with_limits: i64,
    /// Of those with limits, none missed.
    pub timely: i64,
    /// Of those, still open with a missed limit.
    pub overdue: i64,
    /// Of those, with a callback limit (a callback was required).
    pub callback_required: i64,
    /// Of those, with the customer reached.
    pub callback_done: i64,
    /// Callbacks in the period with a satisfaction.
    pub rated: i64,
    /// Of those, satisfied or basically satisfied.
    pub satisfied: i64,
    /// Complaints whose complainant had complained of the same matter before.
    pub repeat_complaints: i64,
}

/// A dimension reports are broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The unit handling the order.
    Unit,
    /// The first responder.
    Person,
    /// The category.
    Category,
    /// The subtype (what the demand was about: the top matters).
    Subtype,
    /// The channel.
    Channel,
}

impl Dimension {
    fn column(self) -> &'static str {
        match self {
            Dimension::Unit => "f.unit_id",
            Dimension::Person => "f.first_responder_id",
            Dimension::Category => "f.category",
            Dimension::Subtype => "f.subtype",
            Dimension::Channel => "f.channel",
        }
    }
}

/// A supervision notice on the board.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Row id.
    pub id: i64,
    /// Order.
    pub order_id: i64,
    /// Order number.
    pub number: String,
    /// Deadline kind.
    pub kind: String,
    /// Level.
    pub level: i64,
    /// Unit of the deadline.
    pub unit_id: Option<i64>,
    /// When.
    pub at: i64,
    /// Acknowledged at.
    pub acknowledged_at: Option<i64>,
    /// Reminders sent at the top level (folded into this notice).
    pub reminders: i64,
    /// The last reminder.
    pub reminded_at: Option<i64>,
}

/// A notice row of the board's columns.
pub(crate) fn notice_from(r: &sqlx::any::AnyRow) -> Result<Notice> {
    Ok(Notice {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        number: r.try_get("number")?,
        kind: r.try_get("kind")?,
        level: r.try_get("level")?,
        unit_id: r.try_get("unit_id")?,
        at: r.try_get("at")?,
        acknowledged_at: r.try_get("acknowledged_at")?,
        reminders: r.try_get("reminders")?,
        reminded_at: r.try_get("reminded_at")?,
    })
}

/// An assessment entry.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// Row id (0 before insert).
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Month `YYYY-MM`.
    pub month: String,
    /// `user` or `unit`.
    pub subject_kind: String,
    /// User or unit id.
    pub subject_id: i64,
    /// Rule behind it (none for a manual entry).
    pub rule_code: Option<String>,
    /// Points.
    pub points: f64,
    /// 元.
    pub yuan: f64,
    /// Order behind it.
    pub order_id: Option<i64>,
    /// What caused it, unique per company so an automatic entry is made once.
    pub source_key: Option<String>,
    /// Why.
    pub reason: String,
    /// The entry this one reverses.
    pub reversal_of: Option<i64>,
    /// Who made it (none for a rule).
    pub created_by: Option<i64>,
    /// When.
    pub created_at: i64,
}

/// A recorded month-end closing.
#[derive(Debug, Clone)]
pub struct Closing {
    /// Row id.
    pub id: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// Number of orders open at the month's end.
    pub open_orders: i64,
    /// Who closed it.
    pub closed_by: Option<i64>,
    /// When, unix ms.
    pub closed_at: i64,
}

/// An order open at a month's end, as the closing recorded it.
#[derive(Debug, Clone)]
pub struct ClosingOrder {
    /// Order.
    pub order_id: i64,
    /// Its number.
    pub number: String,
    /// Its status at the closing.
    pub status: String,
    /// The unit holding it then.
    pub unit_id: Option<i64>,
}

fn closing_from(r: &sqlx::any::AnyRow) -> Result<Closing> {
    Ok(Closing {
        id: r.try_get("id")?,
        month: r.try_get("month")?,
        open_orders: r.try_get("open_orders")?,
        closed_by: r.try_get("closed_by")?,
        closed_at: r.try_get("closed_at")?,
    })
}

fn entry_from(r: &sqlx::any::AnyRow) -> Result<Entry> {
    Ok(Entry {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        month: r.try_get("month")?,
        subject_kind: r.try_get("subject_kind")?,
        subject_id: r.try_get("subject_id")?,
        rule_code: r.try_get("rule_code")?,
        points: r.try_get("points")?,
        yuan: r.try_get("yuan")?,
        order_id: r.try_get("order_id")?,
        source_key: r.try_get("source_key")?,
        reason: r.try_get("reason")?,
        reversal_of: r.try_get("reversal_of")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

const ENTRY_COLS: &str = "id, company_id, month, subject_kind, subject_id, rule_code, points, yuan, order_id, source_key, \
    reason, reversal_of, created_by, created_at";

impl Store {
    /// The KPI counts of each value of `by` (as text; empty for none), for orders accepted in
    /// `[from, to)`, busiest first.
    pub async fn kpi_breakdown(
        &self,
        company_id: i64,
        by: Dimension,
        from: i64,
        to: i64,
    ) -> Result<Vec<(String, KpiCounts)>> {
        let col = by.column();
        let q = format!(
            "SELECT COALESCE(CAST({col} AS TEXT), '') AS k, {KPI_SUMS} FROM order_facts f \
             WHERE f.company_id = $1 AND f.created_at >= $2 AND f.created_at < $3 AND f.status <> 'cancelled' \
             GROUP BY {col} ORDER BY COUNT(*) DESC"
        );
        let rows = sqlx::query(&q)
            .bind(company_id)
            .bind(from)
            .bind(to)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("k")?, kpi_from(r)?)))
            .collect()
    }

    /// The supervision board of a company: each order once, by its highest notice (the top
    /// level any of its deadlines reached), newest first; optionally only unacknowledged ones.
    pub async fn notices(
        &self,
        company_id: Option<i64>,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<Notice>> {
        let rows = sqlx::query(
            "SELECT n.id, n.order_id, o.number, d.kind, n.level, n.unit_id, n.at, n.acknowledged_at, \
             n.reminders, n.reminded_at \
             FROM supervision_notices n JOIN orders o ON o.id = n.order_id JOIN deadlines d ON d.id = n.deadline_id \
             WHERE ($1 IS NULL OR o.company_id = $1) AND ($2 = 0 OR n.acknowledged_at IS NULL) \
             AND NOT EXISTS (SELECT 1 FROM supervision_notices h WHERE h.order_id = n.order_id \
                 AND (h.level > n.level OR (h.level = n.level AND h.id > n.id))) \
             ORDER BY n.id DESC LIMIT $3",
        )
        .bind(company_id)
        .bind(i64::from(open_only))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(notice_from).collect()
    }

    /// Acknowledges a supervision notice (once) with an event on its order.
    pub async fn acknowledge_notice(
        &self,
        id: i64,
        company_id: Option<i64>,
        user_id: i64,
        at: i64,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let order_id: Option<i64> = sqlx::query_scalar(
            "SELECT n.order_id FROM supervision_notices n JOIN orders o ON o.id = n.order_id \
             WHERE n.id = $1 AND ($2 IS NULL OR o.company_id = $2)",
        )
        .bind(id)
        .bind(company_id)
        .fetch_optional(&mut *tx)
        .await?;
        let order_id = order_id.ok_or(StoreError::NotFound)?;
        let n = sqlx::query("UPDATE supervision_notices SET acknowledged_at = $1 WHERE id = $2 AND acknowledged_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict(
                "supervision_notices.acknowledged".into(),
            ));
        }
        let version: i64 = sqlx::query_scalar("SELECT version FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE orders SET version = $1, updated_at = $2 WHERE id = $3 AND version = $4",
        )
        .bind(version + 1)
        .bind(at)
        .bind(order_id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        let e = crate::orders::NewEvent {
            kind: "supervision_acknowledged".into(),
            actor_id: Some(user_id),
            at,
            data: serde_json::json!({"notice_id": id.to_string()}),
        };
        crate::orders::insert_event(&mut crate::db::Db::Any(&mut tx), order_id, version + 1, &e)
            .await?;
        tx.commit().await?;
        Ok(order_id)
    }

    /// Adds an assessment entry; an automatic one with a `source_key` already there is skipped.
    /// Returns the id, or `None` when skipped.
    pub async fn add_entry(&self, e: &Entry) -> Result<Option<i64>> {
        let _w = self.write_guard().await;
        let mut c = self.pool().acquire().await?;
        insert_entry(&mut c, e).await
    }

    /// One entry.
    pub async fn entry(&self, id: i64) -> Result<Entry> {
        let q = format!("SELECT {ENTRY_COLS} FROM assessment_entries WHERE id = $1");
        let r = sqlx::query(&q).bind(id).fetch_optional(self.pool()).await?;
        entry_from(&r.ok_or(StoreError::NotFound)?)
    }

    /// The entries of a company's month, oldest first.
    pub async fn entries(&self, company_id: i64, month: &str) -> Result<Vec<Entry>> {
        let q = format!("SELECT {ENTRY_COLS} FROM assessment_entries WHERE company_id = $1 AND month = $2 ORDER BY id");
        let rows = sqlx::query(&q)
            .bind(company_id)
            .bind(month)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(entry_from).collect()
    }

    /// Orders of a company not closed or cancelled at `at` (accepted before it).
    pub async fn open_orders_at(
        &self,
        company_id: i64,
        at: i64,
    ) -> Result<Vec<(i64, String, String, Option<i64>, i64)>> {
        let rows = sqlx::query(
            "SELECT id, number, status, unit_id, first_responder_id FROM orders WHERE company_id = $1 AND created_at < $2 \
             AND (closed_at IS NULL OR closed_at >= $2) ORDER BY id",
        )
        .bind(company_id)
        .bind(at)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("number")?,
                    r.try_get("status")?,
                    r.try_get("unit_id")?,
                    r.try_get("first_responder_id")?,
                ))
            })
            .collect()
    }

    /// Records a month-end closing and its open orders (once per company and month).
    pub async fn record_month_end(
        &self,
        company_id: i64,
        month: &str,
        open: &[(i64, String, Option<i64>)],
        entries: &[Entry],
        by: i64,
        at: i64,
    ) -> Result<(i64, usize)> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO month_end_closings (company_id, month, open_orders, closed_by, closed_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(company_id)
        .bind(month)
        .bind(open.len() as i64)
        .bind(by)
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        for (order_id, status, unit) in open {
            sqlx::query("INSERT INTO month_end_orders (closing_id, order_id, status, unit_id) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(order_id)
                .bind(status)
                .bind(unit)
                .execute(&mut *tx)
                .await?;
        }
        let mut added = 0;
        for e in entries {
            if insert_entry(&mut tx, e).await?.is_some() {
                added += 1;
            }
        }
        tx.commit().await?;
        Ok((id, added))
    }

    /// The month-end closings of a company, newest month first.
    pub async fn closings(&self, company_id: i64) -> Result<Vec<Closing>> {
        let rows = sqlx::query(
            "SELECT id, month, open_orders, closed_by, closed_at FROM month_end_closings \
             WHERE company_id = $1 ORDER BY month DESC",
        )
        .bind(company_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(closing_from).collect()
    }

    /// One month's closing and the orders it found open, if the month is closed.
    pub async fn closing(
        &self,
        company_id: i64,
        month: &str,
    ) -> Result<Option<(Closing, Vec<ClosingOrder>)>> {
        let r = sqlx::query(
            "SELECT id, month, open_orders, closed_by, closed_at FROM month_end_closings \
             WHERE company_id = $1 AND month = $2",
        )
        .bind(company_id)
        .bind(month)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = r else {
            return Ok(None);
        };
        let c = closing_from(&r)?;
        let rows = sqlx::query(
            "SELECT m.order_id, o.number, m.status, m.unit_id FROM month_end_orders m \
             JOIN orders o ON o.id = m.order_id WHERE m.closing_id = $1 ORDER BY m.order_id",
        )
        .bind(c.id)
        .fetch_all(self.pool())
        .await?;
        let orders = rows
            .iter()
            .map(|r| {
                Ok(ClosingOrder {
                    order_id: r.try_get("order_id")?,
                    number: r.try_get("number")?,
                    status: r.try_get("status")?,
                    unit_id: r.try_get("unit_id")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((c, orders)))
    }

    /// Logs an export (SPEC §7: every export is logged).
    pub async fn log_export(
        &self,
        user_id: i64,
        what: &str,
        format: &str,
        rows: i64,
        at: i64,
    ) -> Result<()> {
        let _w = self.write_guard().await;
        sqlx::query("INSERT INTO exports (user_id, what, format, row_count, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(what)
            .bind(format)
            .bind(rows)
            .bind(at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Number of logged exports of a user.
    pub async fn export_count(&self, user_id: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM exports WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Counts the KPIs of orders accepted in `[from, to)` (unix ms) of a company, optionally of one
    /// unit, from their facts.
    pub async fn kpi_counts(
        &self,
        company_id: i64,
        unit_id: Option<i64>,
        from: i64,
        to: i64,
    ) -> Result<KpiCounts> {
        let q = format!(
            "SELECT {KPI_SUMS} FROM order_facts f WHERE f.company_id = $1 AND f.created_at >= $2 \
             AND f.created_at < $3 AND f.status <> 'cancelled' AND ($4 IS NULL OR f.unit_id = $4)"
        );
        let r = sqlx::query(&q)
            .bind(company_id)
            .bind(from)
            .bind(to)
            .bind(unit_id)
            .fetch_one(self.pool())
            .await?;
        kpi_from(&r)
    }
}

impl Store {
    /// The complaint matters (事项) with the most complaints accepted in `[from, to)`, with how
    /// many of those were repeats; most complaints first.
    pub async fn top_matters(
        &self,
        company_id: i64,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<MatterCount>> {
        let rows = sqlx::query(
            "SELECT t.matter_id, m.title, m.subtype, m.place, t.complaints, t.repeats, t.open FROM \
             (SELECT f.matter_id, COUNT(*) AS complaints, \
              CAST(COALESCE(SUM(f.repeat_complaint), 0) AS BIGINT) AS repeats, \
              CAST(COALESCE(SUM(CASE WHEN f.status = 'closed' THEN 0 ELSE 1 END), 0) AS BIGINT) AS open \
              FROM order_facts f WHERE f.company_id = $1 AND f.created_at >= $2 AND f.created_at < $3 \
              AND f.status <> 'cancelled' AND f.matter_id IS NOT NULL GROUP BY f.matter_id \
              ORDER BY COUNT(*) DESC, f.matter_id LIMIT $4) t \
             JOIN matters m ON m.id = t.matter_id ORDER BY t.complaints DESC, t.matter_id",
        )
        .bind(company_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MatterCount {
                    matter_id: r.try_get("matter_id")?,
                    title: r.try_get("title")?,
                    subtype: r.try_get("subtype")?,
                    place: r.try_get("place")?,
                    complaints: r.try_get("complaints")?,
                    repeats: r.try_get("repeats")?,
                    open: r.try_get("open")?,
                })
            })
            .collect()
    }
}

/// A complaint matter with its complaints of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatterCount {
    /// Matter.
    pub matter_id: i64,
    /// Its title.
    pub title: String,
    /// Its subtype.
    pub subtype: Option<String>,
    /// Its place.
    pub place: Option<String>,
    /// Complaints accepted in the period.
    pub complaints: i64,
    /// Of those, repeats by an earlier complainant.
    pub repeats: i64,
    /// Of those, not closed.
    pub open: i64,
}

/// The sums behind [`KpiCounts`] over `order_facts f`.
const KPI_SUMS: &str = "COUNT(*) AS intake, \
    CAST(COALESCE(SUM(CASE WHEN f.status = 'closed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS closed, \
    CAST(COALESCE(SUM(f.has_limits), 0) AS BIGINT) AS with_limits, \
    CAST(COALESCE(SUM(f.has_limits * (1 - f.missed)), 0) AS BIGINT) AS timely, \
    CAST(COALESCE(SUM(CASE WHEN f.status NOT IN ('closed', 'cancelled') THEN f.missed_active ELSE 0 END), 0) AS BIGINT) AS overdue, \
    CAST(COALESCE(SUM(f.callback_required), 0) AS BIGINT) AS cb_required, \
    CAST(COALESCE(SUM(f.callback_required * f.callback_reached), 0) AS BIGINT) AS cb_done, \
    CAST(COALESCE(SUM(f.rated), 0) AS BIGINT) AS rated, \
    CAST(COALESCE(SUM(f.satisfied), 0) AS BIGINT) AS satisfied, \
    CAST(COALESCE(SUM(f.repeat_complaint), 0) AS BIGINT) AS repeats";

fn kpi_from(r: &sqlx::any::AnyRow) -> Result<KpiCounts> {
    Ok(KpiCounts {
        intake: r.try_get("intake")?,
        closed: r.try_get("closed")?,
        with_limits: r.try_get("with_limits")?,
        timely: r.try_get("timely")?,
        overdue: r.try_get("overdue")?,
        callback_required: r.try_get("cb_required")?,
        callback_done: r.try_get("cb_done")?,
        rated: r.try_get("rated")?,
        satisfied: r.try_get("satisfied")?,
        repeat_complaints: r.try_get("repeats")?,
    })
}

/// Recomputes the report facts (`order_facts`) of the orders with ids in `[lo, hi]` from the
/// orders, their deadlines and their callbacks. Each subquery is constrained by the order alone:
/// with `state = 'missed' AND active = 1` as well, SQLite chose the index on
/// `(active, state, due_at)` and read every missed deadline of the database for each order. Every write unit that changes an order, its
/// deadlines or its callbacks calls it before committing, so the facts never lag the orders.
pub(crate) async fn refresh_facts(c: &mut crate::db::Db<'_>, lo: i64, hi: i64) -> Result<()> {
    const SQL: &str = "INSERT INTO order_facts (company_id, created_at, order_id, unit_id, \
        first_responder_id, category, subtype, channel, status, matter_id, has_limits, missed, \
        missed_active, callback_required, callback_reached, rated, satisfied, repeat_complaint) \
        SELECT o.company_id, o.created_at, o.id, o.unit_id, o.first_responder_id, o.category, \
        o.subtype, o.channel, o.status, o.matter_id, \
        CASE WHEN EXISTS (SELECT 1 FROM deadlines d WHERE d.order_id = o.id) THEN 1 ELSE 0 END, \
        (SELECT COALESCE(MAX(CASE WHEN d.state = 'missed' THEN 1 ELSE 0 END), 0) FROM deadlines d WHERE d.order_id = o.id), \
        (SELECT COALESCE(MAX(CASE WHEN d.state = 'missed' AND d.active = 1 THEN 1 ELSE 0 END), 0) FROM deadlines d WHERE d.order_id = o.id), \
        (SELECT COALESCE(MAX(CASE WHEN d.kind = 'callback' THEN 1 ELSE 0 END), 0) FROM deadlines d WHERE d.order_id = o.id), \
        (SELECT COALESCE(MAX(CASE WHEN cb.reached = 1 THEN 1 ELSE 0 END), 0) FROM callbacks cb WHERE cb.order_id = o.id), \
        (SELECT COUNT(cb.satisfaction) FROM callbacks cb WHERE cb.order_id = o.id), \
        (SELECT COALESCE(SUM(CASE WHEN cb.satisfaction IN ('satisfied', 'basic') THEN 1 ELSE 0 END), 0) FROM callbacks cb WHERE cb.order_id = o.id), \
        CASE WHEN o.category = 'complaint' AND o.matter_id IS NOT NULL AND EXISTS (SELECT 1 FROM orders p \
            WHERE p.matter_id = o.matter_id AND p.id < o.id AND p.status <> 'cancelled' \
            AND p.complainant = o.complainant) \
            THEN 1 ELSE 0 END \
        FROM orders o WHERE o.id BETWEEN $1 AND $2 \
        ON CONFLICT (order_id) DO UPDATE SET unit_id = excluded.unit_id, \
        first_responder_id = excluded.first_responder_id, category = excluded.category, \
        subtype = excluded.subtype, channel = excluded.channel, status = excluded.status, \
        matter_id = excluded.matter_id, has_limits = excluded.has_limits, missed = excluded.missed, \
        missed_active = excluded.missed_active, callback_required = excluded.callback_required, \
        callback_reached = excluded.callback_reached, rated = excluded.rated, \
        satisfied = excluded.satisfied, repeat_complaint = excluded.repeat_complaint";
    crate::db::query(SQL).bind(lo).bind(hi).execute(c).await?;
    Ok(())
}

/// Orders per transaction when the facts catch up with the orders.
const FACTS_BATCH: i64 = 20_000;

impl Store {
    /// Writes the facts of every order above the highest one that has them: after the migration
    /// that made the table, and after a bulk load that wrote orders only. Cheap when up to date.
    pub async fn catch_up_facts(&self) -> Result<u64> {
        let done: Option<i64> = sqlx::query_scalar("SELECT MAX(order_id) FROM order_facts")
            .fetch_one(self.pool())
            .await?;
        let top: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM orders")
            .fetch_one(self.pool())
            .await?;
        let (mut lo, top) = (done.unwrap_or(0) + 1, top.unwrap_or(0));
        let mut n = 0;
        while lo <= top {
            let hi = (lo + FACTS_BATCH - 1).min(top);
            let mut tx = self.begin_write().await?;
            refresh_facts(&mut crate::db::Db::Any(&mut tx), lo, hi).await?;
            tx.commit().await?;
            n += (hi - lo + 1) as u64;
            lo = hi + 1;
        }
        Ok(n)
    }
}

/// Inserts an entry unless one with its source key exists; its id when inserted.
pub(crate) async fn insert_entry(c: &mut sqlx::AnyConnection, e: &Entry) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO assessment_entries (company_id, month, subject_kind, subject_id, rule_code, points, yuan, order_id, \
         source_key, reason, reversal_of, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (company_id, source_key) DO NOTHING RETURNING id",
    )
    .bind(e.company_id)
    .bind(&e.month)
    .bind(&e.subject_kind)
    .bind(e.subject_id)
    .bind(&e.rule_code)
    .bind(e.points)
    .bind(e.yuan)
    .bind(e.order_id)
    .bind(&e.source_key)
    .bind(&e.reason)
    .bind(e.reversal_of)
    .bind(e.created_by)
    .bind(e.created_at)
    .fetch_optional(&mut *c)
    .await?)
}
