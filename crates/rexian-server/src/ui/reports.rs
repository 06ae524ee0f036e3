//! The report screen: the month's KPIs with server-drawn SVG charts (no chart library, nothing
//! from outside), broken down by unit, person, category, subtype or channel, with the top
//! complaint matters and CSV and Excel exports.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use chrono::Datelike;
use serde::Deserialize;

use super::common::msgs;
use super::{error_page, render, PageUser};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Report routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/reports", get(page))
}

/// One bar of a chart, in SVG user units.
struct Bar {
    label: String,
    value: String,
    y: u32,
    w: u32,
}

/// A horizontal bar chart.
struct Chart {
    title: String,
    bars: Vec<Bar>,
    height: u32,
}

fn chart(title: String, items: &[(String, f64, String)]) -> Chart {
    let max = items.iter().map(|(_, v, _)| *v).fold(0.0_f64, f64::max);
    let bars = items
        .iter()
        .enumerate()
        .map(|(i, (label, v, text))| Bar {
            label: label.clone(),
            value: text.clone(),
            y: i as u32 * 28,
            w: if max > 0.0 {
                ((v / max) * 420.0).round() as u32
            } else {
                0
            },
        })
        .collect::<Vec<_>>();
    Chart {
        title,
        height: (bars.len() as u32 * 28).max(28),
        bars,
    }
}

struct Row {
    label: String,
    intake: i64,
    closed: i64,
    timely: String,
    resolution: String,
    satisfaction: String,
    callback: String,
    overdue: i64,
    repeats: i64,
}

/// The dimensions a report is broken down by.
const DIMS: [&str; 5] = ["unit", "person", "category", "subtype", "channel"];

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    company_id: String,
    from: String,
    to: String,
    by: String,
    dims: Vec<(String, String)>,
    total: Row,
    /// The policy's targets of the timely, resolution and satisfaction rates (`000:九.7`),
    /// empty where the policy sets none.
    targets: [String; 3],
    rows: Vec<Row>,
    charts: Vec<Chart>,
    matters: Vec<rexian_store::reports::MatterCount>,
}

#[derive(Deserialize)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
}

fn pct(r: Option<f64>) -> String {
    r.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let t = msgs(&headers);
    match build(&app, t, &u, q).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}

async fn build(app: &AppState, t: Msgs, u: &CurrentUser, q: ReportQuery) -> AppResult<ReportPage> {
    let company_id = match u.company_id {
        Some(c) => c,
        None => app
            .store
            .companies()
            .await?
            .first()
            .map(|c| c.id)
            .ok_or(AppError::NotFound)?,
    };
    let company = app.store.company(company_id).await?;
    let today = app
        .clock
        .now()
        .with_timezone(&company.offset())
        .date_naive();
    let first = today.with_day(1).unwrap_or(today);
    let from = q
        .from
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| first.to_string());
    let to =
        q.to.filter(|s| !s.is_empty())
            .unwrap_or_else(|| today.to_string());
    let by =
        q.by.filter(|s| DIMS.contains(&s.as_str()))
            .unwrap_or_else(|| "unit".into());
    let parse = |field: &str, s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| AppError::invalid(field, format!("{field} must be YYYY-MM-DD")))
    };
    let (f, tday) = (parse("from", &from)?, parse("to", &to)?);
    let at = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|x| x.and_local_timezone(company.offset()).single())
            .map(|x| x.timestamp_millis())
    };
    let (from_ms, to_ms) = (
        at(f).unwrap_or(0),
        at(tday.succ_opt().unwrap_or(tday)).unwrap_or(0),
    );
    let dim = match by.as_str() {
        "person" => rexian_store::reports::Dimension::Person,
        "category" => rexian_store::reports::Dimension::Category,
        "subtype" => rexian_store::reports::Dimension::Subtype,
        "channel" => rexian_store::reports::Dimension::Channel,
        _ => rexian_store::reports::Dimension::Unit,
    };
    let units: std::collections::HashMap<String, String> = app
        .store
        .units(Some(company.id))
        .await?
        .into_iter()
        .map(|x| (x.id.to_string(), x.name))
        .collect();
    let users: std::collections::HashMap<String, String> = app
        .store
        .users(Some(company.id))
        .await?
        .into_iter()
        .map(|x| (x.id.to_string(), x.name))
        .collect();
    let label = |k: &str| match by.as_str() {
        "unit" => units
            .get(k)
            .cloned()
            .unwrap_or_else(|| t.get("report.no_unit")),
        "person" => users.get(k).cloned().unwrap_or_else(|| k.to_owned()),
        "category" => t.get(&format!("category.{k}")),
        "subtype" if k.is_empty() => t.get("report.no_subtype"),
        "subtype" => k.to_owned(),
        _ => t.get(&format!("channel.{k}")),
    };
    let row = |l: String, c: &rexian_store::reports::KpiCounts| {
        let k = rexian_app::reports::kpi_of(c);
        (
            Row {
                label: l,
                intake: k.intake,
                closed: k.closed,
                timely: pct(k.timely_rate),
                resolution: pct(k.resolution_rate),
                satisfaction: pct(k.satisfaction_rate),
                callback: pct(k.callback_rate),
                overdue: k.overdue,
                repeats: c.repeat_complaints,
            },
            k,
        )
    };
    let totals = app
        .store
        .kpi_counts(company.id, None, from_ms, to_ms)
        .await?;
    let (total, _) = row(t.get("report.total"), &totals);
    let goal = crate::api::orders::company_policy(&company)?.kpi_targets();
    let target = |r: Option<f64>| r.map(|v| pct(Some(v))).unwrap_or_default();
    let targets = [
        target(goal.timely_rate),
        target(goal.resolution_rate),
        target(goal.satisfaction_rate),
    ];
    let groups = app
        .store
        .kpi_breakdown(company.id, dim, from_ms, to_ms)
        .await?;
    let mut rows = Vec::new();
    let mut intake_bars = Vec::new();
    let mut timely_bars = Vec::new();
    for (key, c) in &groups {
        let (r, k) = row(label(key), c);
        intake_bars.push((r.label.clone(), k.intake as f64, k.intake.to_string()));
        timely_bars.push((
            r.label.clone(),
            k.timely_rate.unwrap_or(0.0),
            pct(k.timely_rate),
        ));
        rows.push(r);
    }
    let charts = vec![
        chart(t.get("report.chart_intake"), &intake_bars),
        chart(t.get("report.chart_timely"), &timely_bars),
    ];
    let matters = app
        .store
        .top_matters(company.id, from_ms, to_ms, 10)
        .await?;
    let dims = DIMS
        .iter()
        .map(|d| ((*d).to_owned(), t.get(&format!("report.by_{d}"))))
        .collect();
    Ok(ReportPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash: None,
        company_id: company.id.to_string(),
        from,
        to,
        by,
        dims,
        total,
        targets,
        rows,
        charts,
        matters,
    })
}
