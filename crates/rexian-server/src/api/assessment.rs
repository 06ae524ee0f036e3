//! The assessment ledger (考核台账) and month-end closing (SPEC §5).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use chrono::{Datelike, NaiveDate};
use rexian_domain::policy::{MAX_AMOUNT_YUAN, MAX_POINTS};
use rexian_store::reports::Entry;
use serde::Deserialize;
use serde_json::{json, Value};

use super::orders::{clean, company_policy, offset_of, rfc3339};
use super::reports::Table;
use super::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::AppState;

fn month_of(field: &str, s: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 7)
        .ok_or_else(|| AppError::invalid(field, format!("{field} must be YYYY-MM")))
}

/// Checks an entry's points or 元: at most `max` either way, at most 2 decimals.
fn amount(field: &str, x: f64, max: f64) -> AppResult<()> {
    let cents = x * 100.0;
    if !x.is_finite() || x.abs() > max || (cents - cents.round()).abs() > 1e-6 {
        return Err(AppError::invalid(
            field,
            format!("{field} must be between -{max} and {max} with at most 2 decimals"),
        ));
    }
    Ok(())
}

/// `POST /api/v1/assessment/entries` body: a manual entry by an assessor.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    company_id: Id,
    month: String,
    subject_kind: String,
    subject_id: Id,
    #[serde(default)]
    points: f64,
    #[serde(default)]
    yuan: f64,
    rule_code: Option<String>,
    order_id: Option<Id>,
    reason: String,
}

/// Adds a manual entry (person or unit, points or 元, with a reason).
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<EntryBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let company = app
        .store
        .company(b.company_id.0)
        .await
        .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?;
    if me.company_id.is_some_and(|c| c != company.id) {
        return Err(AppError::Forbidden);
    }
    month_of("month", &b.month)?;
    match b.subject_kind.as_str() {
        "user" => {
            let u = app
                .store
                .user(b.subject_id.0)
                .await
                .map_err(|_| AppError::invalid("subject_id", "subject_id names no user"))?;
            if u.company_id != Some(company.id) {
                return Err(AppError::invalid(
                    "subject_id",
                    "the user works for another company",
                ));
            }
        }
        "unit" => {
            let u = app
                .store
                .unit(b.subject_id.0)
                .await
                .map_err(|_| AppError::invalid("subject_id", "subject_id names no unit"))?;
            if u.company_id != company.id {
                return Err(AppError::invalid(
                    "subject_id",
                    "the unit belongs to another company",
                ));
            }
        }
        other => {
            return Err(AppError::invalid(
                "subject_kind",
                format!("subject_kind must be user or unit, got {other:?}"),
            ))
        }
    }
    amount("points", b.points, f64::from(MAX_POINTS))?;
    amount("yuan", b.yuan, f64::from(MAX_AMOUNT_YUAN))?;
    if b.points == 0.0 && b.yuan == 0.0 {
        return Err(AppError::invalid(
            "points",
            "give points or yuan (a deduction is negative)",
        ));
    }
    if let Some(code) = &b.rule_code {
        if company_policy(&company)?.assessment_rule(code).is_none() {
            return Err(AppError::invalid(
                "rule_code",
                format!("the policy has no assessment rule {code:?}"),
            ));
        }
    }
    let reason = clean("reason", Some(b.reason), 2000)?
        .ok_or_else(|| AppError::invalid("reason", "reason is required"))?;
    let e = Entry {
        company_id: company.id,
        month: b.month,
        subject_kind: b.subject_kind,
        subject_id: b.subject_id.0,
        rule_code: b.rule_code,
        points: b.points,
        yuan: b.yuan,
        order_id: b.order_id.map(|o| o.0),
        reason,
        created_by: Some(me.id),
        created_at: ms(app.clock.now()),
        ..Default::default()
    };
    let id = app
        .store
        .add_entry(&e)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("entry not stored")))?;
    Ok((StatusCode::CREATED, Json(json!({"id": id.to_string()}))))
}

/// `POST /api/v1/assessment/entries/{id}/reverse` body.
#[derive(Debug, Deserialize)]
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
) -> AppResult<(StatusCode, Json<Value>)> {
    let e = app.store.entry(parse_id("id", &id)?).await?;
    if me.company_id.is_some_and(|c| c != e.company_id) {
        return Err(AppError::NotFound);
    }
    if e.reversal_of.is_some() {
        return Err(AppError::InvalidTransition(
            "a reversal is not reversed; add a new entry".into(),
        ));
    }
    let reason = clean("reason", Some(b.reason), 2000)?
        .ok_or_else(|| AppError::invalid("reason", "reason is required"))?;
    let r = Entry {
        points: -e.points,
        yuan: -e.yuan,
        reason,
        reversal_of: Some(e.id),
        source_key: None,
        created_by: Some(me.id),
        created_at: ms(app.clock.now()),
        id: 0,
        ..e
    };
    let id = app.store.add_entry(&r).await.map_err(|err| match err {
        rexian_store::StoreError::Conflict(_) => {
            AppError::InvalidTransition("this entry is already reversed".into())
        }
        other => other.into(),
    })?;
    let id = id.ok_or_else(|| AppError::Internal(anyhow::anyhow!("reversal not stored")))?;
    Ok((StatusCode::CREATED, Json(json!({"id": id.to_string()}))))
}

/// Query of the statement.
#[derive(Debug, Deserialize)]
pub struct StatementQuery {
    company_id: Option<String>,
    month: Option<String>,
    format: Option<String>,
    detail: Option<String>,
}

/// `GET /api/v1/assessment/statement?month=&format=json|csv|xlsx[&detail=true]`: the monthly
/// statement per person and unit (totals of points and 元), or every entry with `detail=true`.
pub async fn statement(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<StatementQuery>,
) -> AppResult<Response> {
    let company = super::reports::report_company(&app, &me, q.company_id.as_deref()).await?;
    let month = q
        .month
        .as_deref()
        .ok_or_else(|| AppError::invalid("month", "month is required"))?;
    month_of("month", month)?;
    let entries = app.store.entries(company.id, month).await?;
    let units: BTreeMap<i64, String> = app
        .store
        .units(Some(company.id))
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let users: BTreeMap<i64, String> = app
        .store
        .users(Some(company.id))
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let name = |kind: &str, id: i64| match kind {
        "unit" => units.get(&id).cloned().unwrap_or_default(),
        _ => users.get(&id).cloned().unwrap_or_default(),
    };
    let kind_label = |k: &str| if k == "unit" { "单位" } else { "人员" };
    if q.detail.as_deref() == Some("true") {
        let rows = entries
            .iter()
            .map(|e| {
                vec![
                    json!(e.id.to_string()),
                    json!(kind_label(&e.subject_kind)),
                    json!(name(&e.subject_kind, e.subject_id)),
                    json!(e.rule_code),
                    json!(e.points),
                    json!(e.yuan),
                    json!(e.reason),
                    json!(e.reversal_of.map(|r| r.to_string())),
                    json!(rfc3339(e.created_at)),
                ]
            })
            .collect();
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
            rows,
        };
        return t.respond(&app, &me, q.format.as_deref()).await;
    }
    let mut totals: BTreeMap<(String, i64), (f64, f64, i64)> = BTreeMap::new();
    for e in &entries {
        let t = totals
            .entry((e.subject_kind.clone(), e.subject_id))
            .or_default();
        t.0 += e.points;
        t.1 += e.yuan;
        t.2 += 1;
    }
    let rows = totals
        .iter()
        .map(|((k, id), (p, y, n))| {
            vec![
                json!(k),
                json!(id.to_string()),
                json!(name(k, *id)),
                json!(p),
                json!(y),
                json!(n),
            ]
        })
        .collect();
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
        rows,
    };
    t.respond(&app, &me, q.format.as_deref()).await
}

/// `POST /api/v1/reports/month_end` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthEndBody {
    company_id: Id,
    month: String,
}

/// Closes a month (once): lists the orders still open at its end, and applies the policy's
/// `month_end_open` rules to each (an entry for the unit holding it, else its first responder).
pub async fn month_end(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<MonthEndBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let company = app
        .store
        .company(b.company_id.0)
        .await
        .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?;
    if me.company_id.is_some_and(|c| c != company.id) {
        return Err(AppError::Forbidden);
    }
    let first = month_of("month", &b.month)?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(|| AppError::invalid("month", "month out of range"))?;
    let end = next
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(offset_of(&company)).single())
        .ok_or_else(|| AppError::invalid("month", "month out of range"))?;
    let now = app.clock.now();
    if now < end {
        return Err(AppError::invalid("month", "the month has not ended yet"));
    }
    let open = app
        .store
        .open_orders_at(company.id, end.timestamp_millis())
        .await?;
    let rows: Vec<(i64, String, Option<i64>)> = open
        .iter()
        .map(|(id, _, status, unit, _)| (*id, status.clone(), *unit))
        .collect();
    let closing = app
        .store
        .record_month_end(company.id, &b.month, &rows, me.id, ms(now))
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => AppError::Conflict {
                field: Some("month".into()),
                message: "this month is already closed".into(),
            },
            other => other.into(),
        })?;
    let policy = company_policy(&company)?;
    let rules = policy.assessment_on("month_end_open");
    let mut entries = 0;
    for (id, number, _, unit, responder) in &open {
        for rule in &rules {
            let (kind, subject) = match unit {
                Some(u) => ("unit", *u),
                None => ("user", *responder),
            };
            let e = Entry {
                company_id: company.id,
                month: b.month.clone(),
                subject_kind: kind.into(),
                subject_id: subject,
                rule_code: Some(rule.code.clone()),
                points: -f64::from(rule.points.unwrap_or(0)),
                yuan: -f64::from(rule.amount_yuan.unwrap_or(0)),
                order_id: Some(*id),
                source_key: Some(format!("month_end:{}:{id}:{}", b.month, rule.code)),
                reason: format!("{} ({number})", rule.description),
                created_by: Some(me.id),
                created_at: ms(now),
                ..Default::default()
            };
            if app.store.add_entry(&e).await?.is_some() {
                entries += 1;
            }
        }
    }
    let items: Vec<Value> = open
        .iter()
        .map(|(id, number, status, unit, _)| json!({"id": id.to_string(), "number": number, "status": status, "unit_id": unit.map(|u| u.to_string())}))
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": closing.to_string(), "month": b.month, "open_orders": items, "assessment_entries": entries}),
        ),
    ))
}
