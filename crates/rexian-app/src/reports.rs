//! Reports (SPEC §5): the period of a report, the KPIs with the policy's targets, and the
//! supervision board (督办) with its acknowledgements.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rexian_domain::policy::KpiTargets;
use rexian_domain::reports::Kpi;
use rexian_store::org::Company;
use rexian_store::reports::KpiCounts;
use serde::Serialize;

use crate::ser;
use crate::tenancy::company_policy;
use crate::{Actor, App, AppError, AppResult};

/// A bound of the period: a date (the company's local midnight; `to` is inclusive) or an
/// RFC 3339 instant (exact).
fn bound(field: &str, v: &str, offset: FixedOffset, end: bool) -> AppResult<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc).timestamp_millis());
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, format!("{field} must be YYYY-MM-DD or RFC 3339")))?;
    let d = if end { d.succ_opt().unwrap_or(d) } else { d };
    let t = d
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(offset).single())
        .ok_or_else(|| AppError::invalid(field, "date out of range"))?;
    Ok(t.timestamp_millis())
}

/// The period `[from, to)` in unix ms of a report's `from` and `to`, both required.
pub fn period(company: &Company, from: Option<&str>, to: Option<&str>) -> AppResult<(i64, i64)> {
    let offset = company.offset();
    let from = from
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::invalid("from", "from is required"))?;
    let to = to
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::invalid("to", "to is required"))?;
    let (from, to) = (
        bound("from", from, offset, false)?,
        bound("to", to, offset, true)?,
    );
    if to <= from {
        return Err(AppError::invalid("to", "to must be after from"));
    }
    Ok((from, to))
}

/// The KPIs of a period: rates 0..1, null when undefined.
#[derive(Debug, Clone, Serialize)]
pub struct KpiReport {
    /// Orders accepted (cancelled ones left out).
    pub intake: i64,
    /// Of those, closed.
    pub closed: i64,
    /// Orders that met every limit / orders with limits.
    pub timely_rate: Option<f64>,
    /// Closed / accepted.
    pub resolution_rate: Option<f64>,
    /// (Satisfied + basically satisfied) / rated callbacks.
    pub satisfaction_rate: Option<f64>,
    /// Callbacks done / callbacks required.
    pub callback_rate: Option<f64>,
    /// Still open with a missed limit.
    pub overdue: i64,
    /// The policy's targets (`settings.*_target`, `000:九.7`) beside the rates.
    pub targets: KpiTargets,
}

/// The KPIs of stored counts (the domain's definitions, one owner for every report).
pub fn kpi_of(c: &KpiCounts) -> Kpi {
    rexian_domain::reports::kpi(
        c.intake,
        c.closed,
        c.with_limits,
        c.timely,
        c.overdue,
        c.callback_required,
        c.callback_done,
        c.rated,
        c.satisfied,
    )
}

/// The KPIs of `company` over `[from, to)`, optionally of one unit.
pub async fn kpi(
    app: &App,
    company: &Company,
    (from, to): (i64, i64),
    unit_id: Option<i64>,
) -> AppResult<KpiReport> {
    let k = kpi_of(&app.store.kpi_counts(company.id, unit_id, from, to).await?);
    Ok(KpiReport {
        intake: k.intake,
        closed: k.closed,
        timely_rate: k.timely_rate,
        resolution_rate: k.resolution_rate,
        satisfaction_rate: k.satisfaction_rate,
        callback_rate: k.callback_rate,
        overdue: k.overdue,
        targets: company_policy(company)?.kpi_targets(),
    })
}

/// A line of the supervision board: an order once, at its highest level.
#[derive(Debug, Clone, Serialize)]
pub struct BoardLine {
    /// Notice id.
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Order.
    #[serde(serialize_with = "ser::id")]
    pub order_id: i64,
    /// Order number.
    pub number: String,
    /// The limit supervised.
    pub deadline: String,
    /// Level.
    pub level: i64,
    /// The deadline's unit.
    #[serde(serialize_with = "ser::opt_id")]
    pub unit_id: Option<i64>,
    /// When the level was reached.
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
    /// When acknowledged.
    #[serde(serialize_with = "ser::opt_time")]
    pub acknowledged_at: Option<i64>,
    /// Reminders at the top level.
    pub reminders: i64,
    /// The last reminder.
    #[serde(serialize_with = "ser::opt_time")]
    pub reminded_at: Option<i64>,
}

/// The supervision board of `me`'s company (group staff: of `company`, or every company), each
/// order once with its highest level and reminders, newest first; `open`: unacknowledged only.
pub async fn board(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    open: bool,
) -> AppResult<Vec<BoardLine>> {
    let company = me.company_id.or(company);
    Ok(app
        .store
        .notices(company, open, 500)
        .await?
        .into_iter()
        .map(|n| BoardLine {
            id: n.id,
            order_id: n.order_id,
            number: n.number,
            deadline: n.kind,
            level: n.level,
            unit_id: n.unit_id,
            at: n.at,
            acknowledged_at: n.acknowledged_at,
            reminders: n.reminders,
            reminded_at: n.reminded_at,
        })
        .collect())
}

/// The supervised unit or head acknowledges notice `id`.
pub async fn acknowledge(app: &App, me: &Actor, id: i64) -> AppResult<()> {
    app.store
        .acknowledge_notice(id, me.company_id, me.id, app.now_ms())
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => {
                AppError::InvalidTransition("this notice is already acknowledged".into())
            }
            other => other.into(),
        })?;
    Ok(())
}
