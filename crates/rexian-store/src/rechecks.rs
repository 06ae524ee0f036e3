//! Re-checks of closed orders and outreach events.

use sqlx::Row;

use crate::{Result, Store, StoreError};

/// A re-check task.
#[derive(Debug, Clone)]
pub struct Recheck {
    /// Row id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Order.
    pub order_id: i64,
    /// `complaint_recheck` or `repair_survey`.
    pub kind: String,
    /// Created at.
    pub created_at: i64,
    /// Done at.
    pub done_at: Option<i64>,
    /// Customer reached.
    pub reached: Option<bool>,
    /// Answers (JSON text).
    pub answers: Option<String>,
}

/// An outreach event.
#[derive(Debug, Clone)]
pub struct Outreach {
    /// Row id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Title.
    pub title: String,
    /// First day.
    pub starts_on: String,
    /// Last day.
    pub ends_on: String,
    /// Report due date.
    pub report_due: String,
    /// Report text.
    pub report: Option<String>,
    /// Reported at.
    pub reported_at: Option<i64>,
}

fn recheck_from(r: &sqlx::any::AnyRow) -> Result<Recheck> {
    Ok(Recheck {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        order_id: r.try_get("order_id")?,
        kind: r.try_get("kind")?,
        created_at: r.try_get("created_at")?,
        done_at: r.try_get("done_at")?,
        reached: r.try_get::<Option<i64>, _>("reached")?.map(|v| v != 0),
        answers: r.try_get("answers")?,
    })
}

impl Store {
    /// How many orders of a category a company closed since `since`, and how many of them got a
    /// re-check of `kind`.
    pub async fn recheck_counts(
        &self,
        company_id: i64,
        category: &str,
        kind: &str,
        since: i64,
    ) -> Result<(i64, i64)> {
        let closed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM orders WHERE company_id = $1 AND category = $2 AND status = 'closed' AND closed_at >= $3",
        )
        .bind(company_id)
        .bind(category)
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        let picked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rechecks WHERE company_id = $1 AND kind = $2 AND created_at >= $3")
            .bind(company_id)
            .bind(kind)
            .bind(since)
            .fetch_one(self.pool())
            .await?;
        Ok((closed, picked))
    }

    /// Open re-checks, oldest first.
    pub async fn open_rechecks(&self, company_id: Option<i64>, limit: i64) -> Result<Vec<Recheck>> {
        let rows = sqlx::query(
            "SELECT id, company_id, order_id, kind, created_at, done_at, reached, answers FROM rechecks \
             WHERE done_at IS NULL AND ($1 IS NULL OR company_id = $1) ORDER BY id LIMIT $2",
        )
        .bind(company_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(recheck_from).collect()
    }

    /// One re-check.
    pub async fn recheck(&self, id: i64) -> Result<Recheck> {
        let r = sqlx::query("SELECT id, company_id, order_id, kind, created_at, done_at, reached, answers FROM rechecks WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        recheck_from(&r.ok_or(StoreError::NotFound)?)
    }

    /// Records a re-check's result (once).
    pub async fn finish_recheck(
        &self,
        id: i64,
        reached: bool,
        answers: &str,
        by: i64,
        at: i64,
    ) -> Result<()> {
        let _w = self.write_guard().await;
        let n = sqlx::query(
            "UPDATE rechecks SET done_at = $1, done_by = $2, reached = $3, answers = $4 WHERE id = $5 AND done_at IS NULL",
        )
        .bind(at)
        .bind(by)
        .bind(i64::from(reached))
        .bind(answers)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("rechecks.done".into()));
        }
        Ok(())
    }

    /// Adds an outreach event; returns its id.
    pub async fn create_outreach(&self, o: &Outreach, by: i64, at: i64) -> Result<i64> {
        let _w = self.write_guard().await;
        Ok(sqlx::query_scalar(
            "INSERT INTO outreach_events (company_id, title, starts_on, ends_on, report_due, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(o.company_id)
        .bind(&o.title)
        .bind(&o.starts_on)
        .bind(&o.ends_on)
        .bind(&o.report_due)
        .bind(by)
        .bind(at)
        .fetch_one(self.pool())
        .await?)
    }

    /// Outreach events of a company, newest first.
    pub async fn outreach_events(&self, company_id: Option<i64>) -> Result<Vec<Outreach>> {
        let rows = sqlx::query(
            "SELECT id, company_id, title, starts_on, ends_on, report_due, report, reported_at FROM outreach_events \
             WHERE ($1 IS NULL OR company_id = $1) ORDER BY id DESC LIMIT 500",
        )
        .bind(company_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Outreach {
                    id: r.try_get("id")?,
                    company_id: r.try_get("company_id")?,
                    title: r.try_get("title")?,
                    starts_on: r.try_get("starts_on")?,
                    ends_on: r.try_get("ends_on")?,
                    report_due: r.try_get("report_due")?,
                    report: r.try_get("report")?,
                    reported_at: r.try_get("reported_at")?,
                })
            })
            .collect()
    }

    /// Files the report of an outreach event (once); `NotFound` when not of the company.
    pub async fn report_outreach(
        &self,
        id: i64,
        company_id: Option<i64>,
        report: &str,
        at: i64,
    ) -> Result<()> {
        let _w = self.write_guard().await;
        let n = sqlx::query(
            "UPDATE outreach_events SET report = $1, reported_at = $2 WHERE id = $3 AND reported_at IS NULL \
             AND ($4 IS NULL OR company_id = $4)",
        )
        .bind(report)
        .bind(at)
        .bind(id)
        .bind(company_id)
        .execute(self.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
