//! Temperature measurement (测温, `000:五`) on the order page: the readings in words (valid or
//! not, below the standard or not), the neighbours proposed for a sample, the phone-sized form
//! of a reading, and the printable measurement record (测温记录单) at
//! `/orders/{id}/measurements/print`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use chrono::{FixedOffset, NaiveDateTime};
use rexian_app::measurements::{self, may_measure, MeasurementInput, MeasurementView};

use super::common::{local_time, msgs, Fields};
use super::{error_page, render, PageUser};
use crate::api::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// Measurement routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders/{id}/measurements", post(submit))
        .route("/orders/{id}/measurements/print", get(print))
}

/// One reading as the page shows it, in words.
pub struct ReadingLine {
    pub(super) stage: String,
    pub(super) at: String,
    pub(super) room: String,
    pub(super) outdoor: String,
    pub(super) device: String,
    pub(super) doors: String,
    pub(super) centre: String,
    pub(super) valid: String,
    pub(super) valid_code: &'static str,
    pub(super) below: String,
    pub(super) below_code: &'static str,
    pub(super) signature: String,
}

/// The measurement panel of a temperature order.
pub struct MeasurePanel {
    pub(super) readings: Vec<ReadingLine>,
    pub(super) neighbours: Vec<String>,
    pub(super) stages: Vec<(String, String)>,
    pub(super) next_stage: String,
    pub(super) can_record: bool,
    pub(super) now_local: String,
}

fn yes_no(t: &Msgs, v: bool) -> String {
    t.get(if v { "measure.yes" } else { "measure.no" })
}

fn line(t: &Msgs, m: &MeasurementView, offset: FixedOffset) -> ReadingLine {
    let at = crate::clock::ms(m.at);
    ReadingLine {
        stage: t.get(&format!("measure.stage_{}", m.stage.as_str())),
        at: local_time(at, offset),
        room: format!("{:.1} °C", m.room_c),
        outdoor: m
            .outdoor_c
            .map(|c| format!("{c:.1} °C"))
            .unwrap_or_default(),
        device: m.device.clone().unwrap_or_default(),
        doors: yes_no(t, m.doors_windows_closed_1h),
        centre: yes_no(t, m.device_centre_1m),
        valid: t.get(if m.valid {
            "measure.valid"
        } else {
            "measure.invalid"
        }),
        valid_code: if m.valid { "valid" } else { "invalid" },
        below: if !m.valid {
            t.get("measure.not_judged")
        } else if m.below_standard {
            format!("{} {:.0} °C", t.get("measure.below"), m.standard_c)
        } else {
            t.get("measure.meets")
        },
        below_code: if m.below_standard { "below" } else { "meets" },
        signature: match &m.refusal_note {
            Some(n) if !m.customer_signed => format!("{}: {n}", t.get("measure.refused")),
            _ => t.get("measure.signed"),
        },
    }
}

/// The measurement panel of order page `p` for `u` (none: not a temperature order).
pub fn panel(
    t: &Msgs,
    u: &CurrentUser,
    p: &rexian_app::steps::views::OrderPage,
    now: i64,
) -> Option<MeasurePanel> {
    let r = measurements::of_order(&p.full)?;
    let offset = p.company.offset();
    let views = &r.measurements;
    let next = rexian_domain::temperature::Stage::ALL
        .into_iter()
        .find(|s| match views.last() {
            None => true,
            Some(l) => (l.stage == *s && !l.valid) || *s > l.stage,
        })
        .unwrap_or(rexian_domain::temperature::Stage::ThirdParty);
    Some(MeasurePanel {
        readings: views.iter().map(|m| line(t, m, offset)).collect(),
        neighbours: r
            .neighbours
            .into_iter()
            .map(|n| {
                let place = [n.community, n.building, n.unit_no, n.room]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                format!("{} · {place}", n.account_no)
            })
            .collect(),
        stages: rexian_domain::temperature::Stage::ALL
            .iter()
            .map(|s| {
                let code = s.as_str().to_owned();
                (code.clone(), t.get(&format!("measure.stage_{code}")))
            })
            .collect(),
        next_stage: next.as_str().to_owned(),
        can_record: r.open && may_measure(u),
        now_local: crate::clock::from_ms(now)
            .with_timezone(&offset)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
    })
}

/// A form field: the trimmed value, none when empty.
fn field(f: &Fields, name: &str) -> Option<String> {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn number(f: &Fields, name: &str) -> AppResult<Option<f64>> {
    field(f, name)
        .map(|v| {
            v.parse::<f64>()
                .map_err(|_| AppError::invalid(name, format!("{name} must be a number")))
        })
        .transpose()
}

/// The form as the reading's input; `at` a local time of the company's zone.
fn input(f: &Fields) -> AppResult<MeasurementInput> {
    let at_local = field(f, "at")
        .map(|v| {
            NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M")
                .map_err(|_| AppError::invalid("at", "at must be a date and time"))
        })
        .transpose()?;
    let checked = |name: &str| Some(field(f, name).is_some_and(|v| v == "true" || v == "on"));
    let refusal_note = field(f, "refusal_note");
    Ok(MeasurementInput {
        at: None,
        at_local,
        stage: field(f, "stage"),
        room_c: number(f, "room_c")?,
        outdoor_c: number(f, "outdoor_c")?,
        device: field(f, "device"),
        doors_windows_closed_1h: checked("doors_windows_closed_1h"),
        device_centre_1m: checked("device_centre_1m"),
        customer_signed: Some(field(f, "signature").as_deref() == Some("signed")),
        refusal_note: refusal_note.filter(|_| field(f, "signature").as_deref() == Some("refused")),
    })
}

async fn submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let r = async {
        let oid = parse_id("id", &id)?;
        measurements::record(&app, &u, oid, input(&f)?).await
    }
    .await;
    match r {
        Ok(_) => Redirect::to(&format!("/orders/{id}?done=measurements#measure")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

#[derive(Template)]
#[template(path = "measure_print.html")]
struct PrintPage {
    t: Msgs,
    user: Option<PageUser>,
    flash: Option<String>,
    id: String,
    number: String,
    company: String,
    customer: String,
    phone: String,
    address: String,
    account: String,
    created: String,
    standard: String,
    readings: Vec<ReadingLine>,
    neighbours: Vec<String>,
}

async fn print_page(app: &AppState, t: Msgs, u: &CurrentUser, id: &str) -> AppResult<PrintPage> {
    let oid = parse_id("id", id)?;
    let sheet = measurements::record_sheet(app, u, oid).await?;
    let (view, offset) = (&sheet.order, sheet.offset);
    let c = &view.summary.customer;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(PrintPage {
        user: Some(PageUser::of(u, &t)),
        flash: None,
        id: id.to_owned(),
        number: view.summary.number.clone(),
        company: sheet.company.clone(),
        customer: if c.hidden {
            t.get("order.anonymous")
        } else {
            text(&c.name)
        },
        phone: if c.hidden {
            String::new()
        } else {
            text(&c.phone)
        },
        address: [text(&c.address), text(&c.community)]
            .join(" ")
            .trim()
            .to_owned(),
        account: text(&c.account_no),
        created: local_time(view.summary.created_at, offset),
        standard: sheet
            .standard_c
            .map(|c| format!("{c:.0} °C"))
            .unwrap_or_default(),
        readings: view
            .measurements
            .iter()
            .map(|m| line(&t, m, offset))
            .collect(),
        neighbours: view
            .neighbour_sample
            .iter()
            .map(|n| {
                let place = [&n.community, &n.building, &n.unit_no, &n.room]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ");
                format!("{} · {place}", n.account_no)
            })
            .collect(),
        t,
    })
}

async fn print(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> Response {
    let t = msgs(&headers);
    match print_page(&app, t, &u, &id).await {
        Ok(p) => render(&p),
        Err(e) => error_page(t, &u, e),
    }
}
