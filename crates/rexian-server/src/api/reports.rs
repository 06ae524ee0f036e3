//! Reports: `GET /api/v1/reports/kpi` (api-v1 "Reports", SPEC §5).

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rexian_app::reports;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::org::Items;
use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// An optional query id (empty is none).
pub(crate) fn opt_id(field: &str, v: Option<&str>) -> AppResult<Option<i64>> {
    v.filter(|s| !s.is_empty())
        .map(|s| parse_id(field, s))
        .transpose()
}

/// Query of the KPI call.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct KpiQuery {
    company_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    unit_id: Option<String>,
}

/// The company and period of a report's query.
fn scope(
    company_id: Option<&str>,
    from: Option<String>,
    to: Option<String>,
) -> AppResult<reports::Scope> {
    Ok(reports::Scope {
        company_id: opt_id("company_id", company_id)?,
        from,
        to,
    })
}

/// `GET /api/v1/reports/kpi?company_id=&from=&to=&unit_id=`: intake, closed, timeliness,
/// resolution, satisfaction and callback rates (0..1, null when undefined), overdue.
pub async fn kpi(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<KpiQuery>,
) -> AppResult<Json<reports::KpiReport>> {
    let scope = scope(q.company_id.as_deref(), q.from, q.to)?;
    let unit_id = opt_id("unit_id", q.unit_id.as_deref())?;
    Ok(Json(reports::kpi(&app, &me, &scope, unit_id).await?))
}

/// A table of typed rows with Chinese headers, rendered as JSON, CSV or an Excel workbook.
pub struct Table<T> {
    /// Sheet / file name.
    pub name: String,
    /// The rows' field names (in the CSV and Excel columns' order) and Chinese headers.
    pub columns: Vec<(&'static str, &'static str)>,
    /// The rows.
    pub rows: Vec<T>,
}

/// Text a spreadsheet shows as text: a leading `'` before what it would run as a formula.
fn defuse(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl<T: Serialize> Table<T> {
    /// Each row's cells in the columns' order, as its JSON values.
    fn cells(&self) -> AppResult<Vec<Vec<Value>>> {
        self.rows
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("table row: {e}")))?;
                Ok(self
                    .columns
                    .iter()
                    .map(|(k, _)| v.get_mut(*k).map(Value::take).unwrap_or(Value::Null))
                    .collect())
            })
            .collect()
    }

    /// CSV text (the `csv` crate quotes): a text cell that a spreadsheet would take for a
    /// formula (starting with `= + - @`, a tab or a CR) is written with a leading `'`; numbers
    /// are written as numbers.
    fn csv(&self) -> AppResult<String> {
        let err = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing csv: {e}"));
        // A BOM so Excel opens the Chinese headers as UTF-8.
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer("\u{feff}".as_bytes().to_vec());
        w.write_record(self.columns.iter().map(|(_, h)| *h))
            .map_err(err)?;
        for r in self.cells()? {
            w.write_record(r.iter().map(|v| match v {
                Value::String(t) => defuse(t).into_owned(),
                other => cell_text(other),
            }))
            .map_err(err)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing csv: {e}")))?;
        String::from_utf8(bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))
    }

    fn xlsx(&self) -> AppResult<Vec<u8>> {
        let err = |e: rust_xlsxwriter::XlsxError| {
            AppError::Internal(anyhow::anyhow!("writing xlsx: {e}"))
        };
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(&self.name).map_err(err)?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (c, (_, h)) in self.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)
                .map_err(err)?;
        }
        for (r, row) in self.cells()?.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match v {
                    Value::Number(n) => {
                        ws.write_number(r, c, n.as_f64().unwrap_or(0.0))
                            .map_err(err)?;
                    }
                    Value::Null => {}
                    other => {
                        ws.write_string(r, c, cell_text(other)).map_err(err)?;
                    }
                }
            }
        }
        wb.save_to_buffer().map_err(err)
    }

    /// The response in `format` (`json`, `csv` or `xlsx`); exports are logged (SPEC §7).
    pub async fn respond(
        self,
        app: &AppState,
        me: &CurrentUser,
        format: Option<&str>,
    ) -> AppResult<Response> {
        let file = |ext: &str| {
            format!(
                "attachment; filename=\"{}.{ext}\"",
                self.name.replace('"', "")
            )
        };
        let (content_type, body) = match format.unwrap_or("json") {
            "json" => return Ok(Json(Items { items: self.rows }).into_response()),
            "csv" => ("text/csv; charset=utf-8", self.csv()?.into_bytes()),
            "xlsx" => (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                self.xlsx()?,
            ),
            other => {
                return Err(AppError::invalid(
                    "format",
                    format!("format must be json, csv or xlsx, got {other:?}"),
                ))
            }
        };
        let ext = format.unwrap_or_default();
        reports::log_export(app, me, &self.name, ext, self.rows.len()).await?;
        Ok((
            [
                (header::CONTENT_TYPE, content_type.to_owned()),
                (header::CONTENT_DISPOSITION, file(ext)),
            ],
            body,
        )
            .into_response())
    }
}

/// Query of the breakdown.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct BreakdownQuery {
    company_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/reports/kpi/breakdown?by=unit|person|category|channel&format=json|csv|xlsx`:
/// the KPIs of each unit, person (first responder), category or channel of a period.
pub async fn breakdown(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<BreakdownQuery>,
) -> AppResult<Response> {
    let scope = scope(q.company_id.as_deref(), q.from, q.to)?;
    let by = reports::By::parse(q.by.as_deref().unwrap_or("unit"))?;
    let label_header = match by {
        reports::By::Unit => "单位",
        reports::By::Person => "首问责任人",
        reports::By::Category => "业务类别",
        reports::By::Subtype => "诉求事项",
        reports::By::Channel => "渠道",
    };
    let table = Table {
        name: format!("kpi-{}", by.as_str()),
        columns: vec![
            ("key", "编码"),
            ("label", label_header),
            ("intake", "受理量"),
            ("closed", "办结量"),
            ("timely_rate", "及时率"),
            ("resolution_rate", "解决率"),
            ("satisfaction_rate", "满意率"),
            ("callback_rate", "回访率"),
            ("overdue", "超期工单"),
            ("repeat_complaints", "重复投诉"),
        ],
        rows: reports::breakdown(&app, &me, &scope, by).await?,
    };
    table.respond(&app, &me, q.format.as_deref()).await
}

/// Query of the top matters.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct MattersQuery {
    company_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/reports/matters?company_id=&from=&to=&limit=&format=json|csv|xlsx`: the complaint
/// matters (事项) with the most complaints of the period, with their repeat complaints.
pub async fn matters(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<MattersQuery>,
) -> AppResult<Response> {
    let scope = scope(q.company_id.as_deref(), q.from, q.to)?;
    let limit = match q.limit.as_deref().filter(|s| !s.is_empty()) {
        None => 10,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| AppError::invalid("limit", "limit must be 1 to 1000"))?,
    };
    let table = Table {
        name: "top-matters".into(),
        columns: vec![
            ("matter_id", "事项编号"),
            ("title", "事项"),
            ("subtype", "诉求类型"),
            ("place", "地点"),
            ("complaints", "投诉量"),
            ("repeat_complaints", "重复投诉"),
            ("open", "未办结"),
        ],
        rows: reports::top_matters(&app, &me, &scope, limit).await?,
    };
    table.respond(&app, &me, q.format.as_deref()).await
}

/// Query of the supervision board.
#[derive(schemars::JsonSchema, Debug, Deserialize)]
pub struct BoardQuery {
    company_id: Option<String>,
    open: Option<String>,
    mine: Option<String>,
}

/// `GET /api/v1/supervision`: the supervision board (督办): outage notices late for
/// publication, then each order once with its highest level, whom it reaches and the reminders
/// at it, newest first; `mine=true`: the notices addressed to the caller.
pub async fn board(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<BoardQuery>,
) -> AppResult<Json<Items<reports::BoardItem>>> {
    let company = opt_id(
        "company_id",
        q.company_id.as_deref().filter(|_| me.company_id.is_none()),
    )?;
    let flag = |v: &Option<String>| v.as_deref() == Some("true");
    let items = reports::board(&app, &me, company, flag(&q.open), flag(&q.mine)).await?;
    Ok(Json(Items { items }))
}

/// `POST /api/v1/supervision/{id}/ack`: the supervised unit or head acknowledges a notice.
pub async fn acknowledge(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    reports::acknowledge(&app, &me, parse_id("id", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
