//! The callback queue (回访, SPEC §4): orders due for a callback with their attempts and when the
//! next attempt is allowed, dropped calls to call back, and unsatisfied results for supervisors.

use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Duration;
use rexian_domain::callback::{check_attempt, CallbackRefusal};
use rexian_domain::model::{Category, Channel};
use rexian_store::orders::NewContact;
use serde::Deserialize;
use serde_json::{json, Value};

use super::orders::{clean, company_policy, offset_of, parse_phone, rfc3339, summary_json};
use super::{parse_id, Id};
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
    Ok(Json(json!({"items": items})))
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
    Ok(Json(
        json!({"items": rows.iter().map(|o| summary_json(&me, o)).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/v1/contacts` body: a contact that made no order, e.g. a dropped call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    company_id: Id,
    channel: String,
    caller_name: Option<String>,
    caller_phone: Option<String>,
    summary: Option<String>,
    #[serde(default)]
    dropped: bool,
}

/// Records a contact in the ledger; a dropped call becomes a call-back task (`000:二.3(4)`).
pub async fn create_contact(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<ContactBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let company = app
        .store
        .company(b.company_id.0)
        .await
        .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?;
    if me.company_id.is_some_and(|c| c != company.id) {
        return Err(AppError::Forbidden);
    }
    let channel =
        Channel::from_str(&b.channel).map_err(|e| AppError::invalid("channel", e.to_string()))?;
    let phone = parse_phone(b.caller_phone.clone())
        .map_err(|_| AppError::invalid("caller_phone", "caller_phone must be digits (5–20)"))?;
    if b.dropped && phone.is_none() {
        return Err(AppError::invalid(
            "caller_phone",
            "a dropped call needs the caller's number to call back",
        ));
    }
    let summary = clean("summary", b.summary, 2000)?.unwrap_or_else(|| {
        if b.dropped {
            "来电中断".into()
        } else {
            String::new()
        }
    });
    let id = app
        .store
        .create_contact(&NewContact {
            company_id: company.id,
            channel: channel.as_str().into(),
            caller_name: clean("caller_name", b.caller_name, 100)?,
            caller_phone: phone,
            summary,
            agent_id: me.id,
            at: ms(app.clock.now()),
            dropped: b.dropped,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id.to_string()}))))
}

/// `GET /api/v1/contacts/dropped`: dropped calls not yet called back.
pub async fn dropped(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Value>> {
    let (company, limit) = scope(&me, &q)?;
    let rows = app.store.dropped_calls(company, limit).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|c| json!({"id": c.id.to_string(), "company_id": c.company_id.to_string(), "channel": c.channel,
            "caller_name": c.caller_name, "caller_phone": c.caller_phone, "summary": c.summary, "at": rfc3339(c.at)}))
        .collect();
    Ok(Json(json!({"items": items})))
}

/// `POST /api/v1/contacts/{id}/handled`: the dropped caller was called back.
pub async fn handled(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let id = parse_id("id", &id)?;
    app.store
        .handle_dropped_call(id, me.company_id, me.id, ms(app.clock.now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
