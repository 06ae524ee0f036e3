//! The water services' panel of the order page (seed `003`): free of charge, what was recorded
//! (the water-quality test, the reminder, leak detection, the community day) and the next step
//! form, phone-sized; the forms post to `/orders/{id}/water/{step}`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Form, Router};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use rexian_app::steps::views::OrderPage as PageData;
use rexian_app::water::{
    self, CommunityInput, LabResultInput, LeakResultInput, ReminderInput, SampleInput, ServiceInput,
};
use rexian_domain::water::{CommunityOrigin, ReminderKind};
use serde_json::Value;

use super::common::{field, local_time, msgs, Fields};
use super::error_page;
use crate::api::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Msgs;
use crate::AppState;

/// The panel's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders/{id}/water/{step}", post(step))
        .route("/outages/{id}/water_deliveries", post(deliver))
}

/// The panel as the page shows it.
pub struct WaterSection {
    /// Title (the service's label).
    pub title: String,
    /// Free of charge.
    pub free: bool,
    /// What was recorded: (label, value).
    pub facts: Vec<(String, String)>,
    /// The next step's form: `sample`, `lab_result`, `reminder`, `leak_result`,
    /// `community_report`, or empty.
    pub next: String,
    /// Options of the reminder's kind and the community day's origin: (code, label).
    pub kinds: Vec<(String, String)>,
    /// Origins of a community day.
    pub origins: Vec<(String, String)>,
}

/// The panel of the order on `p`, if the order has one.
pub fn section(t: &Msgs, u: &CurrentUser, p: &PageData) -> AppResult<Option<WaterSection>> {
    let Some(w) = water::panel(u, &p.company, &p.full)? else {
        return Ok(None);
    };
    let facts = facts_of(t, &w.facts, p.company.offset());
    let opts = |prefix: &str, codes: Vec<&str>| -> Vec<(String, String)> {
        codes
            .into_iter()
            .map(|c| (c.to_owned(), t.get(&format!("{prefix}.{c}"))))
            .collect()
    };
    Ok(Some(WaterSection {
        title: t.get(&format!("subtype.{}", w.service)),
        free: w.free,
        facts,
        next: w.next.unwrap_or("").to_owned(),
        kinds: opts(
            "water_kind",
            ReminderKind::ALL.iter().map(|k| k.as_str()).collect(),
        ),
        origins: opts(
            "water_origin",
            CommunityOrigin::ALL.iter().map(|k| k.as_str()).collect(),
        ),
    }))
}

/// What was recorded, as (label, value) lines; empty values left out.
fn facts_of(t: &Msgs, w: &water::WaterFacts, offset: FixedOffset) -> Vec<(String, String)> {
    let mut facts = Vec::new();
    let yes_no = |b: Option<bool>, y: &str, n: &str| match b {
        Some(true) => t.get(y),
        Some(false) => t.get(n),
        None => String::new(),
    };
    if let Some(q) = &w.water_quality {
        let when = |s: &Option<String>| {
            s.as_deref()
                .map(|s| rfc_local(s, offset))
                .unwrap_or_default()
        };
        facts.push((t.get("water.sampled_at"), when(&q.sampled_at)));
        facts.push((t.get("water.point"), q.point.clone().unwrap_or_default()));
        if q.result_at.is_some() {
            facts.push((t.get("water.result_at"), when(&q.result_at)));
            facts.push((
                t.get("water.passed"),
                yes_no(q.passed, "water.pass", "water.fail"),
            ));
            facts.push((
                t.get("water.report_no"),
                q.report_no.clone().unwrap_or_default(),
            ));
        }
    }
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    if let Some(r) = &w.reminder {
        facts.push((
            t.get("water.kind"),
            t.get(&format!("water_kind.{}", text(r, "kind"))),
        ));
        facts.push((t.get("water.signed"), t.get("water.signed_yes")));
        facts.push((t.get("water.note"), text(r, "note")));
    }
    if let Some(l) = &w.leak_detection {
        let found = l.get("found").and_then(Value::as_bool);
        facts.push((
            t.get("water.found"),
            yes_no(found, "water.found_yes", "water.found_no"),
        ));
        facts.push((t.get("water.result"), text(l, "result")));
    }
    if let Some(c) = &w.community {
        facts.push((
            t.get("water.origin"),
            t.get(&format!("water_origin.{}", text(c, "origin"))),
        ));
        facts.push((
            t.get("water.held_at"),
            rfc_local(&text(c, "held_at"), offset),
        ));
        facts.push((t.get("water.report"), text(c, "report")));
    }
    facts.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

fn rfc_local(s: &str, offset: FixedOffset) -> String {
    DateTime::parse_from_rfc3339(s)
        .map(|t| local_time(t.timestamp_millis(), offset))
        .unwrap_or_default()
}

fn text(f: &Fields, k: &str) -> Option<String> {
    Some(field(f, k).trim().to_owned()).filter(|s| !s.is_empty())
}

fn yes(f: &Fields, k: &str) -> Option<bool> {
    text(f, k).map(|v| matches!(v.as_str(), "true" | "on" | "1" | "yes"))
}

/// A `datetime-local` field read in the company's zone (none when empty).
fn when(f: &Fields, k: &str, offset: FixedOffset) -> AppResult<Option<DateTime<Utc>>> {
    let Some(v) = text(f, k) else {
        return Ok(None);
    };
    let bad = || AppError::invalid(k, format!("{k} must be a date and time"));
    let local = chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M").map_err(|_| bad())?;
    let at = offset
        .from_local_datetime(&local)
        .single()
        .ok_or_else(bad)?;
    Ok(Some(at.with_timezone(&Utc)))
}

/// A form as the step's input.
fn input(step: &str, f: &Fields, offset: FixedOffset) -> AppResult<ServiceInput> {
    Ok(match step {
        "sample" => ServiceInput::Sample(SampleInput {
            at: when(f, "at", offset)?,
            point: text(f, "point"),
        }),
        "lab_result" => ServiceInput::LabResult(LabResultInput {
            at: when(f, "at", offset)?,
            passed: yes(f, "passed"),
            report_no: text(f, "report_no"),
        }),
        "reminder" => ServiceInput::Reminder(ReminderInput {
            kind: text(f, "kind"),
            signed: yes(f, "signed"),
            note: text(f, "note"),
        }),
        "leak_result" => ServiceInput::LeakResult(LeakResultInput {
            found: yes(f, "found"),
            result: text(f, "result"),
        }),
        "community_report" => ServiceInput::Community(CommunityInput {
            origin: text(f, "origin"),
            held_at: when(f, "held_at", offset)?,
            report: text(f, "report"),
        }),
        _ => return Err(AppError::NotFound),
    })
}

async fn step(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path((id, step)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let r = async {
        let oid = parse_id("id", &id)?;
        let offset = water::zone(&app, &u, oid).await?;
        water::take(&app, &u, oid, input(&step, &f, offset)?).await
    }
    .await;
    match r {
        Ok(_) => Redirect::to(&format!("/orders/{id}?done={step}")).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}

/// A whole number field (none when empty).
fn count(f: &Fields, k: &str) -> AppResult<Option<u32>> {
    text(f, k)
        .map(|v| {
            v.parse::<u32>()
                .map_err(|_| AppError::invalid(k, format!("{k} must be a whole number")))
        })
        .transpose()
}

/// The delivery form of the outage board.
async fn deliver(
    State(app): State<AppState>,
    headers: HeaderMap,
    Extension(u): Extension<CurrentUser>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let t = msgs(&headers);
    let r = async {
        let id = parse_id("id", &id)?;
        let input = rexian_app::water::DeliveryInput {
            at: None,
            place: text(&f, "place"),
            litres: count(&f, "litres")?,
            tanks: count(&f, "tanks")?,
            note: text(&f, "note"),
        };
        water::deliver(&app, &u, id, input).await
    }
    .await;
    match r {
        Ok(v) => Redirect::to(&format!("/outages?company_id={}", v.company_id)).into_response(),
        Err(e) => error_page(t, &u, e),
    }
}
