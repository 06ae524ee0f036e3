//! Report figures, computed by the database over the orders of a period.

use sqlx::Row;

use crate::{Result, Store};

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
}

impl Store {
    /// Counts the KPIs of orders accepted in `[from, to)` (unix ms) of a company, optionally of one
    /// unit; callbacks are counted by their own time in the period.
    pub async fn kpi_counts(
        &self,
        company_id: i64,
        unit_id: Option<i64>,
        from: i64,
        to: i64,
    ) -> Result<KpiCounts> {
        let missed =
            "EXISTS (SELECT 1 FROM deadlines d WHERE d.order_id = o.id AND d.state = 'missed')";
        let limits = "EXISTS (SELECT 1 FROM deadlines d WHERE d.order_id = o.id)";
        let active_missed = "EXISTS (SELECT 1 FROM deadlines d WHERE d.order_id = o.id AND d.state = 'missed' AND d.active = 1)";
        let cb_limit =
            "EXISTS (SELECT 1 FROM deadlines d WHERE d.order_id = o.id AND d.kind = 'callback')";
        let reached =
            "EXISTS (SELECT 1 FROM callbacks c WHERE c.order_id = o.id AND c.reached = 1)";
        let q = format!(
            "SELECT COUNT(*) AS intake, \
             COALESCE(SUM(CASE WHEN o.status = 'closed' THEN 1 ELSE 0 END), 0) AS closed, \
             COALESCE(SUM(CASE WHEN {limits} THEN 1 ELSE 0 END), 0) AS with_limits, \
             COALESCE(SUM(CASE WHEN {limits} AND NOT {missed} THEN 1 ELSE 0 END), 0) AS timely, \
             COALESCE(SUM(CASE WHEN o.status NOT IN ('closed', 'cancelled') AND {active_missed} THEN 1 ELSE 0 END), 0) AS overdue, \
             COALESCE(SUM(CASE WHEN {cb_limit} THEN 1 ELSE 0 END), 0) AS cb_required, \
             COALESCE(SUM(CASE WHEN {cb_limit} AND {reached} THEN 1 ELSE 0 END), 0) AS cb_done \
             FROM orders o WHERE o.company_id = $1 AND ($2 IS NULL OR o.unit_id = $2) \
             AND o.created_at >= $3 AND o.created_at < $4 AND o.status <> 'cancelled'"
        );
        let r = sqlx::query(&q)
            .bind(company_id)
            .bind(unit_id)
            .bind(from)
            .bind(to)
            .fetch_one(self.pool())
            .await?;
        let c = sqlx::query(
            "SELECT COUNT(*) AS rated, \
             COALESCE(SUM(CASE WHEN c.satisfaction IN ('satisfied', 'basic') THEN 1 ELSE 0 END), 0) AS satisfied \
             FROM callbacks c JOIN orders o ON o.id = c.order_id WHERE o.company_id = $1 AND ($2 IS NULL OR o.unit_id = $2) \
             AND c.satisfaction IS NOT NULL AND c.at >= $3 AND c.at < $4",
        )
        .bind(company_id)
        .bind(unit_id)
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?;
        Ok(KpiCounts {
            intake: r.try_get("intake")?,
            closed: r.try_get("closed")?,
            with_limits: r.try_get("with_limits")?,
            timely: r.try_get("timely")?,
            overdue: r.try_get("overdue")?,
            callback_required: r.try_get("cb_required")?,
            callback_done: r.try_get("cb_done")?,
            rated: c.try_get("rated")?,
            satisfied: c.try_get("satisfied")?,
        })
    }
}
