//! Complaint matters (事项) and the counts kept with them (`002:§14(6)`): each intake updates
//! its matter's counts in its own transaction, the domain grades the matter from them, and a
//! change of grade regrades the matter's open complaints set-based. Grading one complaint reads
//! and writes a bounded number of rows however large its matter is.

use rexian_domain::grading::{self, GradingRules, MatterCounts};
use rexian_domain::model::Grade;

use crate::db::{query, Db};
use crate::orders::{DeadlineChange, EventRow};
use crate::{Result, Store};

/// How far a matter's indexed `active_at` may lag its latest complaint (ms): an hour.
const ACTIVE_STEP_MS: i64 = 3_600_000;

/// A complaint joining its matter, as the intake's transaction needs it.
pub struct MatterIntake {
    /// The matter.
    pub matter_id: i64,
    /// Who complained (phone, account or name); None: the order itself (`order:<id>`).
    pub complainant: Option<String>,
    /// The company's grading thresholds.
    pub rules: GradingRules,
    /// Start of the month window (ms), ending at the complaint.
    pub window_from: i64,
    /// People behind the complaint.
    pub people: u32,
    /// Lawsuit filed or media exposure.
    pub exposed: bool,
    /// The finish-limit changes of an open complaint held by a unit when its grade changes
    /// (the domain's regrade step, with the unit's area class).
    pub regrade_limits: RegradeLimits,
}

/// The domain's finish-limit changes for a complaint whose grade changes.
pub type RegradeLimits = Box<dyn Fn(&RegradeTarget, Grade) -> Vec<DeadlineChange> + Send + Sync>;

/// An open complaint held by a unit whose grade changes with its matter.
#[derive(Debug, Clone)]
pub struct RegradeTarget {
    /// The order.
    pub order_id: i64,
    /// Its status.
    pub status: String,
    /// Its category.
    pub category: String,
    /// Its subtype.
    pub subtype: Option<String>,
    /// Accepted (ms).
    pub created_at: i64,
    /// The unit holding it.
    pub unit_id: Option<i64>,
    /// That unit's area class (urban | rural | remote), if set.
    pub area: Option<String>,
    /// The latest dispatch, transfer or reopening (ms).
    pub dispatched_at: Option<i64>,
}

/// A matter that a new complaint could join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentMatter {
    /// Matter id.
    pub id: i64,
    /// Subtype.
    pub subtype: Option<String>,
    /// Place.
    pub place: Option<String>,
    /// The text of its latest complaint.
    pub text: String,
    /// Its latest complaint (ms).
    pub last_at: i64,
}

/// A matter's counts as kept on its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatterRow {
    /// Valid complaints.
    pub complaints: i64,
    /// Distinct complainants.
    pub complainants: i64,
    /// The matter's grade.
    pub grade: Option<i64>,
}

/// Distinct complainants of a matter with a valid complaint since `from`, counted up to `cap`:
/// the latest `cap` rows of the index `(matter_id, last_at)`, read backwards (the order by
/// keeps PostgreSQL from a bitmap scan of the whole matter when its statistics are stale).
async fn window_count(c: &mut Db<'_>, matter_id: i64, from: i64, cap: u32) -> Result<u32> {
    let n: i64 = query(
        "SELECT COUNT(*) FROM (SELECT 1 FROM matter_complainants WHERE matter_id = $1 \
         AND last_at >= $2 AND complaints > 0 ORDER BY last_at DESC LIMIT $3) w",
    )
    .bind(matter_id)
    .bind(from)
    .bind(i64::from(cap.max(1)))
    .scalar(c)
    .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

fn grade_of(g: Option<i64>) -> Option<Grade> {
    g.and_then(|g| u8::try_from(g).ok())
        .and_then(|g| Grade::new(g).ok())
}

impl Store {
    /// The counts grading needs if a complaint of `complainant` joined matter `matter_id` now
    /// (this complaint included); read before the intake to grade the new order.
    pub async fn matter_counts(
        &self,
        matter_id: i64,
        complainant: Option<&str>,
        window_from: i64,
        rules: &GradingRules,
        people: u32,
        exposed: bool,
    ) -> Result<MatterCounts> {
        let mut conn = self.pool().acquire().await?;
        let c = &mut Db::Any(&mut conn);
        let grade: Option<i64> = query("SELECT grade FROM matters WHERE id = $1")
            .bind(matter_id)
            .scalar(c)
            .await?;
        let mine = match complainant {
            Some(k) => query(
                "SELECT complaints, last_at FROM matter_complainants WHERE matter_id = $1 AND complainant = $2",
            )
            .bind(matter_id)
            .bind(k)
            .fetch_all(c)
            .await?
            .first()
            .map(|r| Ok::<_, crate::StoreError>((r.try_get::<i64>("complaints")?, r.try_get::<i64>("last_at")?)))
            .transpose()?,
            None => None,
        };
        let (before, counted) = match mine {
            Some((n, at)) => (n, n > 0 && at >= window_from),
            None => (0, false),
        };
        let others = window_count(c, matter_id, window_from, rules.complainants).await?;
        Ok(MatterCounts {
            grade: grade_of(grade),
            repeats: u32::try_from(before + 1).unwrap_or(u32::MAX),
            complainants_in_window: others + u32::from(!counted),
            exposed,
            people,
        })
    }

    /// Matters of a company with a complaint since `since`, latest first (for proposing one).
    pub async fn recent_matters(&self, company_id: i64, since: i64) -> Result<Vec<RecentMatter>> {
        let rows = sqlx::query(
            "SELECT id, subtype, place, COALESCE(last_text, title) AS text, last_at \
             FROM matters WHERE company_id = $1 AND active_at >= $2 AND last_at >= $3 \
             ORDER BY active_at DESC LIMIT 500",
        )
        .bind(company_id)
        .bind(since - ACTIVE_STEP_MS)
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        use sqlx::Row;
        rows.iter()
            .map(|r| {
                Ok(RecentMatter {
                    id: r.try_get("id")?,
                    subtype: r.try_get("subtype")?,
                    place: r.try_get("place")?,
                    text: r.try_get("text")?,
                    last_at: r.try_get("last_at")?,
                })
            })
            .collect()
    }

    /// The counts kept on a matter's row.
    pub async fn matter_row(&self, matter_id: i64) -> Result<MatterRow> {
        use sqlx::Row;
        let r = sqlx::query("SELECT complaints, complainants, grade FROM matters WHERE id = $1")
            .bind(matter_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(crate::StoreError::NotFound)?;
        Ok(MatterRow {
            complaints: r.try_get("complaints")?,
            complainants: r.try_get("complainants")?,
            grade: r.try_get("grade")?,
        })
    }
}

/// What joining a matter did to the new order: its grade when a concurrent complaint made the
/// matter more severe than the grade it was taken with, and the event that says so.
pub(crate) struct Joined {
    pub grade: i64,
    pub event: Option<EventRow>,
}

/// Adds complaint `order_id` (taken with `grade`, at `at`, text `text`) to its matter's counts
/// and, when the matter's grade becomes more severe, regrades the matter's open complaints:
/// one statement for their events, one for their rows, and the finish limits of those a unit
/// holds. Runs in the intake's transaction.
pub(crate) async fn join(
    c: &mut Db<'_>,
    m: &MatterIntake,
    order_id: i64,
    version: i64,
    grade: Option<i64>,
    at: i64,
    text: &str,
) -> Result<Joined> {
    // The order was inserted with its complainant; one without is its own.
    let key = match &m.complainant {
        Some(k) => k.clone(),
        None => {
            let k = format!("order:{order_id}");
            query("UPDATE orders SET complainant = $1 WHERE id = $2")
                .bind(&k)
                .bind(order_id)
                .execute(c)
                .await?;
            k
        }
    };
    let repeats: i64 = query(
        "INSERT INTO matter_complainants (matter_id, complainant, complaints, last_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (matter_id, complainant) DO UPDATE SET complaints = matter_complainants.complaints + 1, \
         last_at = CASE WHEN excluded.last_at > matter_complainants.last_at THEN excluded.last_at \
         ELSE matter_complainants.last_at END RETURNING complaints",
    )
    .bind(m.matter_id)
    .bind(&key)
    .bind(at)
    .scalar(c)
    .await?;
    let before: Option<i64> = query(
        "UPDATE matters SET complaints = complaints + 1, complainants = complainants + $1, \
         last_at = $2, last_text = $3, active_at = CASE WHEN active_at IS NULL OR active_at < $2 - $5 \
         THEN $2 ELSE active_at END WHERE id = $4 RETURNING grade",
    )
    .bind(i64::from(repeats == 1))
    .bind(at)
    .bind(text)
    .bind(m.matter_id)
    .bind(ACTIVE_STEP_MS)
    .scalar(c)
    .await?;
    let counts = MatterCounts {
        grade: grade_of(before),
        repeats: u32::try_from(repeats).unwrap_or(u32::MAX),
        complainants_in_window: window_count(c, m.matter_id, m.window_from, m.rules.complainants)
            .await?,
        exposed: m.exposed,
        people: m.people,
    };
    let g = i64::from(grading::matter_grade(&counts, &m.rules).get());
    if before != Some(g) {
        query("UPDATE matters SET grade = $1 WHERE id = $2")
            .bind(g)
            .bind(m.matter_id)
            .execute(c)
            .await?;
    }
    // Every open complaint already has the matter's grade unless the grade just became more
    // severe (or a concurrent complaint made it so after this one was graded).
    let changed = before.is_some_and(|b| g < b) || grade.is_none_or(|o| g < o);
    if !changed {
        return Ok(Joined {
            grade: g,
            event: None,
        });
    }
    regrade(c, m, g, at).await?;
    let event = if grade.is_none_or(|o| g < o) {
        let data: String = query("SELECT data FROM order_events WHERE order_id = $1 AND seq = $2")
            .bind(order_id)
            .bind(version + 1)
            .scalar(c)
            .await?;
        Some(EventRow {
            seq: version + 1,
            kind: "regraded".into(),
            actor_id: None,
            at,
            data,
        })
    } else {
        None
    };
    Ok(Joined { grade: g, event })
}

/// The open complaints of matter `m` less severe than grade `g` (SQL condition on `o`).
const LESS_SEVERE: &str = "o.matter_id = $1 AND o.status NOT IN ('closed', 'cancelled') \
    AND o.category = 'complaint' AND (o.grade IS NULL OR o.grade > $2)";

/// Sets grade `g` on every open complaint of the matter less severe than it, each with its
/// `regraded` event, and moves the finish limits of those a unit holds.
async fn regrade(c: &mut Db<'_>, m: &MatterIntake, g: i64, at: i64) -> Result<()> {
    let rows = query(format!(
        "SELECT o.id, o.status, o.category, o.subtype, o.created_at, o.unit_id, u.area, \
         (SELECT MAX(e.at) FROM order_events e WHERE e.order_id = o.id \
          AND e.type IN ('dispatched', 'transferred', 'reopened')) AS dispatched_at \
         FROM orders o LEFT JOIN units u ON u.id = o.unit_id WHERE {LESS_SEVERE} AND o.unit_id IS NOT NULL"
    ))
    .bind(m.matter_id)
    .bind(g)
    .fetch_all(c)
    .await?;
    let targets = rows
        .iter()
        .map(|r| {
            Ok(RegradeTarget {
                order_id: r.try_get("id")?,
                status: r.try_get("status")?,
                category: r.try_get("category")?,
                subtype: r.try_get("subtype")?,
                created_at: r.try_get("created_at")?,
                unit_id: r.try_get("unit_id")?,
                area: r.try_get("area")?,
                dispatched_at: r.try_get("dispatched_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let size: i64 = query("SELECT complaints FROM matters WHERE id = $1")
        .bind(m.matter_id)
        .scalar(c)
        .await?;
    // The event data is JSON: {"from": <old grade or null>, "to": g, "matter_id": "<id>", "size": n}.
    let tail = format!(
        ",\"to\":{g},\"matter_id\":\"{}\",\"size\":{size}}}",
        m.matter_id
    );
    query(format!(
        "INSERT INTO order_events (order_id, seq, type, actor_id, at, data) \
         SELECT o.id, o.version + 1, 'regraded', NULL, $3, \
         '{{\"from\":' || COALESCE(CAST(o.grade AS TEXT), 'null') || $4 FROM orders o WHERE {LESS_SEVERE}"
    ))
    .bind(m.matter_id)
    .bind(g)
    .bind(at)
    .bind(tail.as_str())
    .execute(c)
    .await?;
    query(format!(
        "UPDATE orders SET grade = $2, version = version + 1, updated_at = $3 \
         WHERE id IN (SELECT o.id FROM orders o WHERE {LESS_SEVERE})"
    ))
    .bind(m.matter_id)
    .bind(g)
    .bind(at)
    .execute(c)
    .await?;
    let grade = Grade::new(g as u8).unwrap_or(Grade::MINOR);
    for t in &targets {
        let changes = (m.regrade_limits)(t, grade);
        if changes.is_empty() {
            continue;
        }
        crate::orders::apply_deadlines(c, t.order_id, &changes).await?;
        crate::reports::refresh_facts(c, t.order_id, t.order_id).await?;
    }
    Ok(())
}

/// A complaint of the matter was cancelled or merged: it no longer counts.
pub(crate) async fn leave(c: &mut Db<'_>, order_id: i64, matter_id: i64) -> Result<()> {
    let rows = query(
        "UPDATE matter_complainants SET complaints = complaints - 1 WHERE matter_id = $1 \
         AND complainant = (SELECT complainant FROM orders WHERE id = $2) AND complaints > 0 \
         RETURNING complaints",
    )
    .bind(matter_id)
    .bind(order_id)
    .fetch_all(c)
    .await?;
    let Some(r) = rows.first() else {
        return Ok(());
    };
    let left: i64 = r.try_get("complaints")?;
    query(
        "UPDATE matters SET complaints = complaints - 1, complainants = complainants - $1 WHERE id = $2",
    )
    .bind(i64::from(left == 0))
    .bind(matter_id)
    .execute(c)
    .await?;
    Ok(())
}
