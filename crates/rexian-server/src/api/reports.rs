//! Reports: `GET /api/v1/reports/kpi` (api-v1 "Reports", SPEC §5).

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rexian_app::reports;
use rexian_store::reports::Dimension;
use serde::Deserialize;
use serde_json::{json, Value};

use super::parse_id;
use crate::auth::CurrentUser;
use crate::clock::ms;
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

/// `GET /api/v1/reports/kpi?company_id=&from=&to=&unit_id=`: intake, closed, timeliness,
/// resolution, satisfaction and callback rates (0..1, null when undefined), overdue.
pub async fn kpi(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<KpiQuery>,
) -> AppResult<Json<reports::KpiReport>> {
    let company = report_company(&app, &me, q.company_id.as_deref()).await?;
    let period = reports::period(&company, q.from.as_deref(), q.to.as_deref())?;
    let unit_id = q
        .unit_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| parse_id("unit_id", s))
        .transpose()?;
    Ok(Json(reports::kpi(&app, &company, period, unit_id).await?))
}

/// A table of figures with Chinese headers, rendered as JSON, CSV or an Excel workbook.
pub struct Table {
    /// Sheet / file name.
    pub name: String,
    /// Column keys (JSON) and Chinese headers (CSV, Excel).
    pub columns: Vec<(&'static str, &'static str)>,
    /// Rows of values.
    pub rows: Vec<Vec<Value>>,
}

/// Text a spreadsheet shows as text: a leading `'` before what it would run as a formula.
fn defuse(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

impl Table {
    fn json(&self) -> Value {
        let items: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                Value::Object(
                    self.columns
                        .iter()
                        .zip(r)
                        .map(|((k, _), v)| ((*k).to_owned(), v.clone()))
                        .collect(),
                )
            })
            .collect();
        json!({"items": items})
    }

    fn cell_text(v: &Value) -> String {
        match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
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
        for r in &self.rows {
            w.write_record(r.iter().map(|v| match v {
                Value::String(t) => defuse(t).into_owned(),
                other => Self::cell_text(other),
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
        for (r, row) in self.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match v {
                    Value::Number(n) => {
                        ws.write_number(r, c, n.as_f64().unwrap_or(0.0))
                            .map_err(err)?;
                    }
                    Value::Null => {}
                    other => {
                        ws.write_string(r, c, Self::cell_text(other)).map_err(err)?;
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
        let what = self.name.clone();
        let file = |ext: &str| {
            format!(
                "attachment; filename=\"{}.{ext}\"",
                self.name.replace('"', "")
            )
        };
        match format.unwrap_or("json") {
            "json" => Ok(Json(self.json()).into_response()),
            "csv" => {
                app.store
                    .log_export(
                        me.id,
                        &what,
                        "csv",
                        self.rows.len() as i64,
                        ms(app.clock.now()),
                    )
                    .await?;
                let body = self.csv()?;
                Ok((
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                        (header::CONTENT_DISPOSITION, file("csv")),
                    ],
                    body,
                )
                    .into_response())
            }
            "xlsx" => {
                app.store
                    .log_export(
                        me.id,
                        &what,
                        "xlsx",
                        self.rows.len() as i64,
                        ms(app.clock.now()),
                    )
                    .await?;
                let body = self.xlsx()?;
                let ct =
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned();
                Ok((
                    [
                        (header::CONTENT_TYPE, ct),
                        (header::CONTENT_DISPOSITION, file("xlsx")),
                    ],
                    body,
                )
                    .into_response())
            }
            other => Err(AppError::invalid(
                "format",
                format!("format must be json, csv or xlsx, got {other:?}"),
            )),
        }
    }
}

/// The company of a report: the one asked for, within the caller's own.
pub(crate) async fn report_company(
    app: &AppState,
    me: &CurrentUser,
    asked: Option<&str>,
) -> AppResult<rexian_store::org::Company> {
    let asked = asked
        .filter(|s| !s.is_empty())
        .map(|s| parse_id("company_id", s))
        .transpose()?;
    rexian_app::tenancy::chosen_company(app, me, "company_id", asked).await
}

/// Query of the breakdown.
#[derive(Debug, Deserialize)]
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
    let company = report_company(&app, &me, q.company_id.as_deref()).await?;
    let (from, to) = reports::period(&company, q.from.as_deref(), q.to.as_deref())?;
    let (by, label_header) = match q.by.as_deref().unwrap_or("unit") {
        "unit" => (Dimension::Unit, "单位"),
        "person" => (Dimension::Person, "首问责任人"),
        "category" => (Dimension::Category, "业务类别"),
        "subtype" => (Dimension::Subtype, "诉求事项"),
        "channel" => (Dimension::Channel, "渠道"),
        other => {
            return Err(AppError::invalid(
                "by",
                format!("by must be unit, person, category, subtype or channel, got {other:?}"),
            ))
        }
    };
    let rows = app.store.kpi_breakdown(company.id, by, from, to).await?;
    let units: std::collections::HashMap<String, String> = app
        .store
        .units(Some(company.id))
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    let users: std::collections::HashMap<String, String> = app
        .store
        .users(Some(company.id))
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    let mut out = Vec::new();
    for (key, c) in rows {
        let label = match by {
            Dimension::Unit => units.get(&key).cloned().unwrap_or_else(|| {
                if key.is_empty() {
                    "（未派单）".into()
                } else {
                    key.clone()
                }
            }),
            Dimension::Person => users.get(&key).cloned().unwrap_or_else(|| key.clone()),
            _ => key.clone(),
        };
        let k = rexian_app::reports::kpi_of(&c);
        out.push(vec![
            Value::String(key),
            Value::String(label),
            json!(k.intake),
            json!(k.closed),
            json!(k.timely_rate),
            json!(k.resolution_rate),
            json!(k.satisfaction_rate),
            json!(k.callback_rate),
            json!(k.overdue),
            json!(c.repeat_complaints),
        ]);
    }
    let table = Table {
        name: format!("kpi-{}", q.by.as_deref().unwrap_or("unit")),
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
        rows: out,
    };
    table.respond(&app, &me, q.format.as_deref()).await
}

/// Query of the top matters.
#[derive(Debug, Deserialize)]
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
    let company = report_company(&app, &me, q.company_id.as_deref()).await?;
    let (from, to) = reports::period(&company, q.from.as_deref(), q.to.as_deref())?;
    let limit = match q.limit.as_deref().filter(|s| !s.is_empty()) {
        None => 10,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| AppError::invalid("limit", "limit must be 1 to 1000"))?,
    };
    let rows = app.store.top_matters(company.id, from, to, limit).await?;
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
        rows: rows
            .into_iter()
            .map(|m| {
                vec![
                    Value::String(m.matter_id.to_string()),
                    Value::String(m.title),
                    json!(m.subtype),
                    json!(m.place),
                    json!(m.complaints),
                    json!(m.repeats),
                    json!(m.open),
                ]
            })
            .collect(),
    };
    table.respond(&app, &me, q.format.as_deref()).await
}

/// Query of the supervision board.
#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    company_id: Option<String>,
    open: Option<String>,
}

/// `GET /api/v1/supervision`: the supervision board (督办), each order once with its highest
/// level and the reminders at it, newest first.
pub async fn board(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<BoardQuery>,
) -> AppResult<Json<Value>> {
    let company = q
        .company_id
        .as_deref()
        .filter(|s| !s.is_empty() && me.company_id.is_none())
        .map(|s| parse_id("company_id", s))
        .transpose()?;
    let items = reports::board(&app, &me, company, q.open.as_deref() == Some("true")).await?;
    Ok(Json(json!({ "items": items })))
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
