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
    if rows
        .iter()
        .any(|c| c.caller_name.is_some() || c.caller_phone.is_some())
    {
        super::personal::shown("dropped_calls", None);
    }
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

/// After an order closes: pick it for a satisfaction re-check when the policy asks —
/// complaints so that at least the policy's share are re-checked each month (`000:九.4`),
/// repairs at random at the policy's rate (`001`).
pub async fn after_close(app: &AppState, o: &rexian_store::orders::OrderRow) -> AppResult<()> {
    let company = app.store.company(o.company_id).await?;
    let policy = company_policy(&company)?;
    let now = app.clock.now();
    let local = now.with_timezone(&offset_of(&company));
    let month_start = chrono::NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&local),
        chrono::Datelike::month(&local),
        1,
    )
    .and_then(|d| d.and_hms_opt(0, 0, 0))
    .and_then(|d| d.and_local_timezone(offset_of(&company)).single())
    .map(|d| d.timestamp_millis())
    .unwrap_or(0);
    match o.category.as_str() {
        "complaint" => {
            if let Some(share) = policy.survey.complaint_recheck_share {
                let (closed, picked) = app
                    .store
                    .recheck_counts(o.company_id, "complaint", "complaint_recheck", month_start)
                    .await?;
                // `closed` already counts this order.
                if rexian_domain::survey::pick_at_least(
                    share,
                    closed.max(1) as u64 - 1,
                    picked as u64,
                ) {
                    app.store
                        .add_recheck(o.company_id, o.id, "complaint_recheck", ms(now))
                        .await?;
                }
            }
        }
        "repair" => {
            if let Some(share) = policy.survey.repair_recheck_share {
                if rexian_domain::survey::pick_random(share, o.id, o.company_id as u64) {
                    app.store
                        .add_recheck(o.company_id, o.id, "repair_survey", ms(now))
                        .await?;
                }
            }
        }
        _ => {}
    }
    Ok(())
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

/// `POST /api/v1/rechecks/{id}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecheckBody {
    reached: bool,
    attitude: Option<String>,
    quality: Option<String>,
    satisfaction: Option<String>,
    suggestion: Option<String>,
}

/// Records a re-check: for repairs the four questions of `001` (attitude, quality,
/// satisfaction, suggestions); for complaints satisfaction and suggestions.
pub async fn finish_recheck(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RecheckBody>,
) -> AppResult<StatusCode> {
    let r = app.store.recheck(parse_id("id", &id)?).await?;
    if me.company_id.is_some_and(|c| c != r.company_id) {
        return Err(AppError::NotFound);
    }
    let grade = |field: &str, v: &Option<String>| -> AppResult<Option<String>> {
        match v.as_deref() {
            None => Ok(None),
            Some(s) => rexian_domain::model::Satisfaction::from_str(s)
                .map(|x| Some(x.as_str().to_owned()))
                .map_err(|e| AppError::invalid(field, e.to_string())),
        }
    };
    let satisfaction = grade("satisfaction", &b.satisfaction)?;
    let attitude = grade("attitude", &b.attitude)?;
    let quality = grade("quality", &b.quality)?;
    if b.reached {
        if satisfaction.is_none() {
            return Err(AppError::invalid(
                "satisfaction",
                "satisfaction is required when the customer was reached",
            ));
        }
        if r.kind == "repair_survey" && attitude.is_none() {
            return Err(AppError::invalid(
                "attitude",
                "a repair survey asks about the staff's attitude",
            ));
        }
        if r.kind == "repair_survey" && quality.is_none() {
            return Err(AppError::invalid(
                "quality",
                "a repair survey asks about the quality of the work",
            ));
        }
    }
    let answers = json!({"attitude": attitude, "quality": quality, "satisfaction": satisfaction,
        "suggestion": clean("suggestion", b.suggestion, 2000)?});
    app.store
        .finish_recheck(
            r.id,
            b.reached,
            &answers.to_string(),
            me.id,
            ms(app.clock.now()),
        )
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => {
                AppError::InvalidTransition("this re-check is already done".into())
            }
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/outreach` body: an outreach (宣传/走访) event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutreachBody {
    company_id: Id,
    title: String,
    starts_on: chrono::NaiveDate,
    ends_on: chrono::NaiveDate,
}

/// Adds an outreach event; its report is due the policy's days after it ends (`000:三.7`).
pub async fn create_outreach(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<OutreachBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let company = app
        .store
        .company(b.company_id.0)
        .await
        .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?;
    if me.company_id.is_some_and(|c| c != company.id) {
        return Err(AppError::Forbidden);
    }
    for (field, d) in [("starts_on", b.starts_on), ("ends_on", b.ends_on)] {
        if !(1..=9999).contains(&chrono::Datelike::year(&d)) {
            return Err(AppError::invalid(
                field,
                format!("{field} must be a date of the years 1 to 9999"),
            ));
        }
    }
    if b.ends_on < b.starts_on {
        return Err(AppError::invalid("ends_on", "ends_on is before starts_on"));
    }
    let title = clean("title", Some(b.title), 200)?
        .ok_or_else(|| AppError::invalid("title", "title is required"))?;
    let days = company_policy(&company)?
        .survey
        .outreach_report_days
        .unwrap_or(7);
    let due = rexian_domain::survey::outreach_report_due(b.ends_on, days);
    let o = rexian_store::rechecks::Outreach {
        id: 0,
        company_id: company.id,
        title,
        starts_on: b.starts_on.to_string(),
        ends_on: b.ends_on.to_string(),
        report_due: due.to_string(),
        report: None,
        reported_at: None,
    };
    let id = app
        .store
        .create_outreach(&o, me.id, ms(app.clock.now()))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id.to_string(), "report_due": due})),
    ))
}

/// `GET /api/v1/outreach`: events with their report state (`overdue` once the due day passed).
pub async fn list_outreach(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<QueueQuery>,
) -> AppResult<Json<Value>> {
    let (company, _) = scope(&me, &q)?;
    let today = app
        .clock
        .now()
        .with_timezone(
            &chrono::FixedOffset::east_opt(8 * 3600)
                .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset")),
        )
        .date_naive()
        .to_string();
    let items: Vec<Value> = app
        .store
        .outreach_events(company)
        .await?
        .iter()
        .map(|o| json!({"id": o.id.to_string(), "company_id": o.company_id.to_string(), "title": o.title,
            "starts_on": o.starts_on, "ends_on": o.ends_on, "report_due": o.report_due, "report": o.report,
            "reported_at": o.reported_at.map(rfc3339), "overdue": o.reported_at.is_none() && o.report_due < today}))
        .collect();
    Ok(Json(json!({"items": items})))
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
    let report = clean("report", Some(b.report), 20_000)?
        .ok_or_else(|| AppError::invalid("report", "report is required"))?;
    app.store
        .report_outreach(
            parse_id("id", &id)?,
            me.company_id,
            &report,
            ms(app.clock.now()),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
