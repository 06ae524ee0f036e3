//! Reports: `GET /api/v1/reports/kpi` (api-v1 "Reports", SPEC §5).

use axum::extract::{Query, State};
use axum::{Extension, Json};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::orders::offset_of;
use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// Query of the KPI call.
#[derive(Debug, Deserialize)]
pub struct KpiQuery {
    company_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    unit_id: Option<String>,
}

/// A bound of the period: a date (the company's local midnight; `to` is inclusive) or an
/// RFC 3339 instant (exact).
fn bound(field: &str, v: &str, offset: chrono::FixedOffset, end: bool) -> AppResult<i64> {
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

/// `GET /api/v1/reports/kpi?company_id=&from=&to=&unit_id=`: intake, closed, timeliness,
/// resolution, satisfaction and callback rates (0..1, null when undefined), overdue.
pub async fn kpi(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<KpiQuery>,
) -> AppResult<Json<Value>> {
    let company_id = match (
        q.company_id.as_deref().filter(|s| !s.is_empty()),
        me.company_id,
    ) {
        (Some(s), mine) => {
            let c = parse_id("company_id", s)?;
            if mine.is_some_and(|m| m != c) {
                return Err(AppError::Forbidden);
            }
            c
        }
        (None, Some(m)) => m,
        (None, None) => return Err(AppError::invalid("company_id", "company_id is required")),
    };
    let company = app
        .store
        .company(company_id)
        .await
        .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?;
    let offset = offset_of(&company);
    let from = q
        .from
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::invalid("from", "from is required"))?;
    let to =
        q.to.as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AppError::invalid("to", "to is required"))?;
    let (from, to) = (
        bound("from", from, offset, false)?,
        bound("to", to, offset, true)?,
    );
    if to <= from {
        return Err(AppError::invalid("to", "to must be after from"));
    }
    let unit_id = q
        .unit_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| parse_id("unit_id", s))
        .transpose()?;
    let c = app.store.kpi_counts(company.id, unit_id, from, to).await?;
    let k = rexian_domain::reports::kpi(
        c.intake,
        c.closed,
        c.with_limits,
        c.timely,
        c.overdue,
        c.callback_required,
        c.callback_done,
        c.rated,
        c.satisfied,
    );
    Ok(Json(json!({
        "intake": k.intake, "closed": k.closed, "timely_rate": k.timely_rate, "resolution_rate": k.resolution_rate,
        "satisfaction_rate": k.satisfaction_rate, "callback_rate": k.callback_rate, "overdue": k.overdue,
    })))
}
