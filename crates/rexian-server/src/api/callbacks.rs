//! The callback queue (回访, SPEC §4): orders due for a callback with their attempts and when the
//! next attempt is allowed, dropped calls to call back, and unsatisfied results for supervisors.

use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Duration;
use rexian_app::contacts;
use rexian_domain::callback::{check_attempt, CallbackRefusal};
use rexian_domain::model::Category;
use serde::Deserialize;
use serde_json::{json, Value};

use super::orders::{company_policy, offset_of, rfc3339, summary_json};
use super::parse_id;
use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::AppState;

/// Query of the queues.
#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    company_id: Option<String>,
    limit: Option<String>,
}

fn scope(me: &CurrentUser, q: &QueueQuery) -> AppResult<(Option<i64>, i64)> {
    let asked = q
        .company_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| parse_id("company_id", s))
        .transpose()?;
    let company = match (me.company_id, asked) {
        (Some(mine), Some(a)) if a != mine => return Err(AppError::Forbidden),
        (Some(mine), _) => Some(mine),
        (None, a) => a,
    };
    let limit = match q.limit.as_deref().filter(|s| !s.is_empty()) {
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| AppError::invalid("limit", "limit must be 1–500"))?,
        None => 100,
    };
    Ok((company, limit))
}

/// `GET /api/v1/callbacks/queue`: orders waiting for a callback, appointments first by time,
/// each with its due time, attempts, and whether a call may be made now (window and spacing).
pub async fn queue(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Value>> {
    let (company, limit) = scope(&me, &q)?;
    let now = app.clock.now();
    let rows = app.store.callback_queue(company, limit).await?;
    let mut items = Vec::new();
    let mut companies = std::collections::HashMap::new();
    for r in rows {
        let Ok(category) = Category::from_str(&r.order.category) else {
            continue;
        };
        if !category.needs_callback() {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(e) = companies.entry(r.order.company_id) {
            e.insert(app.store.company(r.order.company_id).await?);
        }
        let c = &companies[&r.order.company_id];
        let policy = company_policy(c)?;
        let rules = policy.callback;
        let local = now.with_timezone(&offset_of(c)).naive_local();
        let last = r.last_unreached.map(crate::clock::from_ms);
        let (allowed, next_at) = match check_attempt(local, last, now, &rules) {
            Ok(()) => (true, None),
            Err(CallbackRefusal::TooSoon) => (
                false,
                last.map(|l| rfc3339(ms(l + Duration::minutes(i64::from(rules.min_gap_minutes))))),
            ),
            Err(CallbackRefusal::Window) => (false, None),
        };
        let mut v = summary_json(&me, &r.order);
        v["callback_due_at"] = json!(r.due_at.map(rfc3339));
        v["attempts"] = json!(r.attempts);
        v["may_call_now"] = json!(allowed);
        v["next_attempt_at"] = json!(next_at);
        v["unreachable_close_allowed"] = json!(r.attempts >= i64::from(rules.max_attempts));
        items.push(v);
    }
    shown_in(&items, "callback_queue", |v| &v["customer"]);
    Ok(Json(json!({"items": items})))
}

/// Records a view of personal data when any of `items` shows some (in the block `customer`).
fn shown_in(items: &[Value], what: &'static str, customer: impl Fn(&Value) -> &Value) {
    if items
        .iter()
        .any(|v| super::personal::in_customer(customer(v)))
    {
        super::personal::shown(what, None);
    }
}

/// `GET /api/v1/callbacks/unsatisfied`: orders whose callback found the customer unsatisfied,
/// for a supervisor's review (`POST /orders/{id}/unsatisfied_review` takes one off the list).
pub async fn unsatisfied(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Value>> {
    let (company, limit) = scope(&me, &q)?;
    let rows = app.store.unsatisfied_orders(company, limit).await?;
    let items: Vec<Value> = rows.iter().map(|o| summary_json(&me, o)).collect();
    shown_in(&items, "unsatisfied", |v| &v["customer"]);
    Ok(Json(json!({ "items": items })))
}

/// Records a contact in the ledger; a dropped call becomes a call-back task (`000:二.3(4)`).
pub async fn create_contact(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<contacts::ContactInput>,
) -> AppResult<(StatusCode, Json<contacts::Created>)> {
    Ok((
        StatusCode::CREATED,
        Json(contacts::record_contact(&app, &me, b).await?),
    ))
}

/// `GET /api/v1/contacts/dropped`: dropped calls not yet called back.
pub async fn dropped(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Value>> {
    let (company, limit) = scope(&me, &q)?;
    let items = contacts::dropped(&app, company, limit).await?;
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/v1/contacts/{id}/handled`: the dropped caller was called back.
pub async fn handled(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    contacts::handled(&app, &me, parse_id("id", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn recheck_json(
    me: &CurrentUser,
    r: &rexian_store::rechecks::Recheck,
    o: &rexian_store::orders::OrderRow,
) -> Value {
    let questions: &[&str] = if r.kind == "repair_survey" {
        &["attitude", "quality", "satisfaction", "suggestion"]
    } else {
        &["satisfaction", "suggestion"]
    };
    json!({"id": r.id.to_string(), "kind": r.kind, "created_at": rfc3339(r.created_at), "questions": questions,
        "order": summary_json(me, o)})
}

/// `GET /api/v1/callbacks/rechecks`: open satisfaction re-checks with their questions.
pub async fn rechecks(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Value>> {
    let (company, limit) = scope(&me, &q)?;
    let mut items = Vec::new();
    for r in app.store.open_rechecks(company, limit).await? {
        let o = app.store.order(r.order_id).await?;
        items.push(recheck_json(&me, &r, &o));
    }
    shown_in(&items, "rechecks", |v| &v["order"]["customer"]);
    Ok(Json(json!({"items": items})))
}

/// Records a re-check: for repairs the four questions of `001` (attitude, quality,
/// satisfaction, suggestions); for complaints satisfaction and suggestions.
pub async fn finish_recheck(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<contacts::RecheckInput>,
) -> AppResult<StatusCode> {
    contacts::finish_recheck(&app, &me, parse_id("id", &id)?, b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds an outreach event; its report is due the policy's days after it ends (`000:三.7`).
pub async fn create_outreach(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<contacts::OutreachInput>,
) -> AppResult<(StatusCode, Json<contacts::OutreachCreated>)> {
    Ok((
        StatusCode::CREATED,
        Json(contacts::create_outreach(&app, &me, b).await?),
    ))
}

/// `GET /api/v1/outreach`: events with their report state (`overdue` once the due day passed).
pub async fn list_outreach(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Value>> {
    let (company, _) = scope(&me, &q)?;
    let items = contacts::outreach(&app, company).await?;
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/v1/outreach/{id}/report` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    report: String,
}

/// Files an outreach event's report.
pub async fn report_outreach(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReportBody>,
) -> AppResult<StatusCode> {
    contacts::report_outreach(&app, &me, parse_id("id", &id)?, b.report).await?;
    Ok(StatusCode::NO_CONTENT)
}
