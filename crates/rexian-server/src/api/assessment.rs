//! The assessment ledger (考核台账) and month-end closing (SPEC §5).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use serde::Deserialize;

use rexian_app::assessment;

use super::parse_id;
use super::reports::Table;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::AppState;

/// `POST /api/v1/assessment/entries`: a manual entry (person or unit, points or 元, with a
/// reason).
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<assessment::EntryInput>,
) -> AppResult<(StatusCode, Json<assessment::Created>)> {
    Ok((
        StatusCode::CREATED,
        Json(assessment::add_entry(&app, &me, b).await?),
    ))
}

/// `POST /api/v1/assessment/entries/{id}/reverse` body.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReverseBody {
    reason: String,
}

/// Reverses an entry with a reason: a new entry of the opposite amounts (nothing is deleted).
pub async fn reverse(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReverseBody>,
) -> AppResult<(StatusCode, Json<assessment::Created>)> {
    let id = parse_id("id", &id)?;
    Ok((
        StatusCode::CREATED,
        Json(assessment::reverse(&app, &me, id, b.reason).await?),
    ))
}

/// Query of the statement.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct StatementQuery {
    company_id: Option<String>,
    /// The month, `YYYY-MM`.
    #[schemars(required)]
    month: Option<String>,
    /// `json` (the default), `csv` or `xlsx`.
    #[schemars(extend("enum" = ["json", "csv", "xlsx"]))]
    format: Option<String>,
    /// `true`: every entry instead of the totals.
    detail: Option<String>,
}

/// What the statement answers as JSON: the totals, or every entry with `detail=true` (a
/// schema only; `reports::Table` writes it).
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum StatementAnswer {
    /// Per person and unit.
    Totals(super::Items<rexian_app::assessment::TotalRow>),
    /// Every entry.
    Detail(super::Items<rexian_app::assessment::DetailRow>),
}

/// `GET /api/v1/assessment/statement?month=&format=json|csv|xlsx[&detail=true]`: the monthly
/// statement per person and unit (totals of points and 元), or every entry with `detail=true`.
pub async fn statement(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<StatementQuery>,
) -> AppResult<Response> {
    let company = super::reports::opt_id("company_id", q.company_id.as_deref())?;
    let st = assessment::statement(&app, &me, company, q.month.as_deref()).await?;
    let month = &st.month;
    if q.detail.as_deref() == Some("true") {
        let t = Table {
            name: format!("assessment-{month}-detail"),
            columns: vec![
                ("id", "编号"),
                ("subject_kind", "对象类型"),
                ("subject", "对象"),
                ("rule_code", "考核规则"),
                ("points", "分值"),
                ("yuan", "金额（元）"),
                ("reason", "事由"),
                ("reversal_of", "冲销编号"),
                ("at", "时间"),
            ],
            rows: st.entries.iter().map(assessment::DetailRow::of).collect(),
        };
        return t.respond(&app, &me, q.format.as_deref()).await;
    }
    let t = Table {
        name: format!("assessment-{month}"),
        columns: vec![
            ("subject_kind", "对象类型"),
            ("subject_id", "对象编码"),
            ("subject", "对象"),
            ("points", "分值合计"),
            ("yuan", "金额合计（元）"),
            ("entries", "条数"),
        ],
        rows: st.totals,
    };
    t.respond(&app, &me, q.format.as_deref()).await
}

/// `POST /api/v1/reports/month_end`: closes a month once (see [`assessment::month_end`]).
pub async fn month_end(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<assessment::MonthEndInput>,
) -> AppResult<(StatusCode, Json<assessment::MonthEnd>)> {
    Ok((
        StatusCode::CREATED,
        Json(assessment::month_end(&app, &me, b).await?),
    ))
}
