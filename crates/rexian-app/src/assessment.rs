//! The assessment ledger (考核台账) and month-end closing (SPEC §5): manual entries by an
//! assessor, reversals (nothing is deleted), and the month-end closing that lists the orders
//! still open and enters the policy's `month_end_open` deductions in the same transaction.

use chrono::{Datelike, NaiveDate};
use rexian_domain::policy::{MAX_AMOUNT_YUAN, MAX_POINTS};
use rexian_store::reports::Entry;
use serde::{Deserialize, Serialize};

use crate::ser::{self, Id};
use crate::tenancy::{company_for, company_policy};
use crate::text::required;
use crate::{Actor, App, AppError, AppResult};

/// The first day of a `YYYY-MM` month, or `invalid_input` naming `field`.
pub fn month_of(field: &str, s: &str) -> AppResult<NaiveDate> {
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

/// A manual entry by an assessor.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    /// Company.
    pub company_id: Id,
    /// `YYYY-MM`.
    pub month: String,
    /// `user` or `unit`.
    pub subject_kind: String,
    /// The person or unit.
    pub subject_id: Id,
    /// Points (a deduction is negative).
    #[serde(default)]
    pub points: f64,
    /// 元 (a deduction is negative).
    #[serde(default)]
    pub yuan: f64,
    /// The policy's assessment rule it applies.
    pub rule_code: Option<String>,
    /// The order it concerns.
    pub order_id: Option<Id>,
    /// Why.
    pub reason: String,
}

/// An entry made.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// Its id.
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
}

/// Adds a manual entry (person or unit of the company, points or 元, with a reason).
pub async fn add_entry(app: &App, me: &Actor, b: EntryInput) -> AppResult<Created> {
    let company = company_for(app, me, "company_id", b.company_id.0).await?;
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
    let reason = required("reason", b.reason, 2000)?;
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
        created_at: app.now_ms(),
        ..Default::default()
    };
    let id = app
        .store
        .add_entry(&e)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("entry not stored")))?;
    Ok(Created { id })
}

/// Reverses entry `id` with a reason: a new entry of the opposite amounts.
pub async fn reverse(app: &App, me: &Actor, id: i64, reason: String) -> AppResult<Created> {
    let e = app.store.entry(id).await?;
    if me.company_id.is_some_and(|c| c != e.company_id) {
        return Err(AppError::NotFound);
    }
    if e.reversal_of.is_some() {
        return Err(AppError::InvalidTransition(
            "a reversal is not reversed; add a new entry".into(),
        ));
    }
    let reason = required("reason", reason, 2000)?;
    let r = Entry {
        points: -e.points,
        yuan: -e.yuan,
        reason,
        reversal_of: Some(e.id),
        source_key: None,
        created_by: Some(me.id),
        created_at: app.now_ms(),
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
    Ok(Created { id })
}

/// The month to close.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthEndInput {
    /// Company.
    pub company_id: Id,
    /// `YYYY-MM`, ended.
    pub month: String,
}

/// An order still open at the month's end.
#[derive(Debug, Clone, Serialize)]
pub struct OpenOrder {
    /// Order id.
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Its number.
    pub number: String,
    /// Its status then.
    pub status: String,
    /// The unit holding it.
    #[serde(serialize_with = "ser::opt_id")]
    pub unit_id: Option<i64>,
}

/// A closed month.
#[derive(Debug, Clone, Serialize)]
pub struct MonthEnd {
    /// The closing's id.
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// The month.
    pub month: String,
    /// The orders open at its end.
    pub open_orders: Vec<OpenOrder>,
    /// The deductions entered.
    pub assessment_entries: usize,
}

/// Closes a month once: lists the orders still open at its end and applies the policy's
/// `month_end_open` rules to each (an entry for the unit holding it, else its first
/// responder), all in one transaction: a crash leaves either the whole closing or none.
pub async fn month_end(app: &App, me: &Actor, b: MonthEndInput) -> AppResult<MonthEnd> {
    let company = company_for(app, me, "company_id", b.company_id.0).await?;
    let first = month_of("month", &b.month)?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(|| AppError::invalid("month", "month out of range"))?;
    let end = next
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(company.offset()).single())
        .ok_or_else(|| AppError::invalid("month", "month out of range"))?;
    let now = app.now_ms();
    if now < end.timestamp_millis() {
        return Err(AppError::invalid("month", "the month has not ended yet"));
    }
    let open = app
        .store
        .open_orders_at(company.id, end.timestamp_millis())
        .await?;
    let policy = company_policy(&company)?;
    let rules = policy.assessment_on("month_end_open");
    let mut entries = Vec::new();
    for (id, number, _, unit, responder) in &open {
        for rule in &rules {
            let (kind, subject) = match unit {
                Some(u) => ("unit", *u),
                None => ("user", *responder),
            };
            entries.push(Entry {
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
                created_at: now,
                ..Default::default()
            });
        }
    }
    let rows: Vec<(i64, String, Option<i64>)> = open
        .iter()
        .map(|(id, _, status, unit, _)| (*id, status.clone(), *unit))
        .collect();
    let (closing, added) = app
        .store
        .record_month_end(company.id, &b.month, &rows, &entries, me.id, now)
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => AppError::Conflict {
                field: Some("month".into()),
                message: "this month is already closed".into(),
            },
            other => other.into(),
        })?;
    Ok(MonthEnd {
        id: closing,
        month: b.month,
        open_orders: open
            .into_iter()
            .map(|(id, number, status, unit_id, _)| OpenOrder {
                id,
                number,
                status,
                unit_id,
            })
            .collect(),
        assessment_entries: added,
    })
}
