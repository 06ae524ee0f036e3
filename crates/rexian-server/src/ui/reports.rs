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
use rexian_app::reports::{self, By};
use serde::Deserialize;

use super::common::msgs;
use super::{error_page, render, PageUser};
use crate::auth::CurrentUser;
use crate::error::AppResult;
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
    matters: Vec<reports::MatterLine>,
    outages: OutageSection,
}

/// The outage report of the period (SPEC §6): the notices, and each mass incident.
struct OutageSection {
    notices: usize,
    late: usize,
    median_minutes: String,
    calls: i64,
    incidents: Vec<IncidentLine>,
}

/// A mass incident of the period.
struct IncidentLine {
    id: String,
    community: String,
    subtype: String,
    orders: i64,
    complaints: i64,
    first: String,
    last: String,
    notice: String,
    closed: bool,
}

/// The outage report of company `home` over `from`..`to`.
async fn outage_section(
    app: &AppState,
    t: &Msgs,
    u: &CurrentUser,
    home: &reports::Home,
    from: &str,
    to: &str,
) -> AppResult<OutageSection> {
    let r = rexian_app::outages::report(app, u, Some(home.id), Some(from), Some(to)).await?;
    let at = |ms| super::common::local_time(ms, home.offset);
    Ok(OutageSection {
        notices: r.notices,
        late: r.late,
        median_minutes: r
            .median_minutes_to_publish
            .map(|m| m.to_string())
            .unwrap_or_else(|| "—".into()),
        calls: r.calls,
        incidents: r
            .incidents
            .into_iter()
            .map(|i| IncidentLine {
                id: i.id.to_string(),
                subtype: t.get(&format!("subtype.{}", i.subtype)),
                first: at(i.first_at),
                last: at(i.last_at),
                notice: i.outage_cause.unwrap_or_default(),
                closed: i.closed,
                community: i.community,
                orders: i.orders,
                complaints: i.complaints,
            })
            .collect(),
    })
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

/// The label of a breakdown line on the screen.
fn label(t: &Msgs, by: By, l: &reports::BreakdownLine) -> String {
    let k = l.key.as_str();
    match by {
        By::Unit => l.name.clone().unwrap_or_else(|| t.get("report.no_unit")),
        By::Person => l.label.clone(),
        By::Category => t.get(&format!("category.{k}")),
        By::Subtype if k.is_empty() => t.get("report.no_subtype"),
        By::Subtype => k.to_owned(),
        By::Channel => t.get(&format!("channel.{k}")),
    }
}

fn row(label: String, k: &reports::Figures, repeats: i64) -> Row {
    Row {
        label,
        intake: k.intake,
        closed: k.closed,
        timely: pct(k.timely_rate),
        resolution: pct(k.resolution_rate),
        satisfaction: pct(k.satisfaction_rate),
        callback: pct(k.callback_rate),
        overdue: k.overdue,
        repeats,
    }
}

async fn build(app: &AppState, t: Msgs, u: &CurrentUser, q: ReportQuery) -> AppResult<ReportPage> {
    let home = reports::home(app, u).await?;
    let first = home.today.with_day(1).unwrap_or(home.today);
    let from = q
        .from
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| first.to_string());
    let to =
        q.to.filter(|s| !s.is_empty())
            .unwrap_or_else(|| home.today.to_string());
    let by = q.by.and_then(|b| By::parse(&b).ok()).unwrap_or(By::Unit);
    let scope = reports::Scope {
        company_id: Some(home.id),
        from: Some(from.clone()),
        to: Some(to.clone()),
    };
    let k = reports::kpi(app, u, &scope, None).await?;
    let total = row(t.get("report.total"), &k.figures, k.repeat_complaints);
    let target = |r: Option<f64>| r.map(|v| pct(Some(v))).unwrap_or_default();
    let targets = [
        target(k.targets.timely_rate),
        target(k.targets.resolution_rate),
        target(k.targets.satisfaction_rate),
    ];
    let lines = reports::breakdown(app, u, &scope, by).await?;
    let rows: Vec<Row> = lines
        .iter()
        .map(|l| row(label(&t, by, l), &l.figures, l.repeat_complaints))
        .collect();
    let intake_bars: Vec<_> = rows
        .iter()
        .map(|r| (r.label.clone(), r.intake as f64, r.intake.to_string()))
        .collect();
    let timely_bars: Vec<_> = rows
        .iter()
        .zip(&lines)
        .map(|(r, l)| {
            (
                r.label.clone(),
                l.figures.timely_rate.unwrap_or(0.0),
                r.timely.clone(),
            )
        })
        .collect();
    let charts = vec![
        chart(t.get("report.chart_intake"), &intake_bars),
        chart(t.get("report.chart_timely"), &timely_bars),
    ];
    let matters = reports::top_matters(app, u, &scope, 10).await?;
    let outages = outage_section(app, &t, u, &home, &from, &to).await?;
    let dims = By::ALL
        .iter()
        .map(|d| {
            (
                d.as_str().to_owned(),
                t.get(&format!("report.by_{}", d.as_str())),
            )
        })
        .collect();
    Ok(ReportPage {
        t,
        user: Some(PageUser::of(u, &t)),
        flash: None,
        company_id: home.id.to_string(),
        from,
        to,
        by: by.as_str().to_owned(),
        dims,
        total,
        targets,
        rows,
        charts,
        matters,
        outages,
    })
}
