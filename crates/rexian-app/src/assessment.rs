//! The assessment ledger (考核台账) and month-end closing (SPEC §5): manual entries by an
//! assessor, reversals (nothing is deleted), and the month-end closing that lists the orders
//! still open and enters the policy's `month_end_open` deductions in the same transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rexian_domain::policy::{MAX_AMOUNT_YUAN, MAX_POINTS};
use rexian_store::reports::Entry;
use serde::{Deserialize, Serialize};

use crate::reports::{home, unit_names, user_names, Home};
use crate::ser::{self, Id};
use crate::tenancy::{chosen_company, company_for, company_policy};
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
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    /// Company.
    pub company_id: Id,
    /// `YYYY-MM`.
    pub month: String,
    /// `user` or `unit`.
    #[schemars(extend("enum" = ["user", "unit"]))]
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
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
#[schemars(rename = "EntryCreated")]
pub struct Created {
    /// Its id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Its month (`YYYY-MM`).
    #[serde(skip)]
    pub month: String,
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
    Ok(Created { id, month: e.month })
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
    let month = e.month.clone();
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
    Ok(Created { id, month })
}

/// The month to close.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthEndInput {
    /// Company.
    pub company_id: Id,
    /// `YYYY-MM`, ended.
    pub month: String,
}

/// An order still open at the month's end.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct OpenOrder {
    /// Order id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Its number.
    pub number: String,
    /// Its status then.
    pub status: String,
    /// The unit holding it.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub unit_id: Option<i64>,
}

/// A closed month.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct MonthEnd {
    /// The closing's id.
    #[schemars(with = "ser::IdText")]
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

/// An entry of a month, with the names of its subject and author.
#[derive(Debug, Clone)]
pub struct EntryLine {
    /// Id.
    pub id: i64,
    /// `user` or `unit`.
    pub subject_kind: String,
    /// The person or unit.
    pub subject_id: i64,
    /// Their name (none when it is gone).
    pub subject: Option<String>,
    /// The rule applied.
    pub rule_code: Option<String>,
    /// Points.
    pub points: f64,
    /// 元.
    pub yuan: f64,
    /// The order it concerns.
    pub order_id: Option<i64>,
    /// Why.
    pub reason: String,
    /// The entry it reverses.
    pub reversal_of: Option<i64>,
    /// Who made it (none for a rule, or a user gone).
    pub by: Option<String>,
    /// When.
    pub at: i64,
}

impl EntryLine {
    fn of(e: Entry, subject: Option<String>, by: Option<String>) -> EntryLine {
        EntryLine {
            id: e.id,
            subject_kind: e.subject_kind,
            subject_id: e.subject_id,
            subject,
            rule_code: e.rule_code,
            points: e.points,
            yuan: e.yuan,
            order_id: e.order_id,
            reason: e.reason,
            reversal_of: e.reversal_of,
            by,
            at: e.created_at,
        }
    }
}

/// A person's or unit's totals of a month.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct TotalRow {
    /// `user` or `unit`.
    pub subject_kind: String,
    /// The person or unit.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub subject_id: i64,
    /// Their name.
    pub subject: String,
    /// Points.
    pub points: f64,
    /// 元.
    pub yuan: f64,
    /// Entries.
    pub entries: i64,
}

/// An entry as the detailed statement lists it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct DetailRow {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// `单位` or `人员`.
    pub subject_kind: &'static str,
    /// The person's or unit's name.
    pub subject: String,
    /// The rule applied.
    pub rule_code: Option<String>,
    /// Points.
    pub points: f64,
    /// 元.
    pub yuan: f64,
    /// Why.
    pub reason: String,
    /// The entry it reverses.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub reversal_of: Option<i64>,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
}

impl DetailRow {
    /// Line `l` of the statement.
    pub fn of(e: &EntryLine) -> DetailRow {
        DetailRow {
            id: e.id,
            subject_kind: if e.subject_kind == "unit" {
                "单位"
            } else {
                "人员"
            },
            subject: e.subject.clone().unwrap_or_default(),
            rule_code: e.rule_code.clone(),
            points: e.points,
            yuan: e.yuan,
            reason: e.reason.clone(),
            reversal_of: e.reversal_of,
            at: e.at,
        }
    }
}

/// A company's month: its entries, oldest first, and each person's and unit's totals.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The company.
    pub company_id: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// The entries.
    pub entries: Vec<EntryLine>,
    /// The totals, by kind and id.
    pub totals: Vec<TotalRow>,
}

/// The statement of `company` (the caller's own; group-level staff name one) for `month`.
pub async fn statement(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    month: Option<&str>,
) -> AppResult<Statement> {
    let company = chosen_company(app, me, "company_id", company).await?;
    let month = month.ok_or_else(|| AppError::invalid("month", "month is required"))?;
    month_of("month", month)?;
    let entries = app.store.entries(company.id, month).await?;
    let units = unit_names(app, company.id).await?;
    let users = user_names(app, company.id).await?;
    let name = |kind: &str, id: i64| {
        if kind == "unit" {
            units.get(&id)
        } else {
            users.get(&id)
        }
        .cloned()
    };
    let mut totals: BTreeMap<(String, i64), (f64, f64, i64)> = BTreeMap::new();
    for e in &entries {
        let t = totals
            .entry((e.subject_kind.clone(), e.subject_id))
            .or_default();
        t.0 += e.points;
        t.1 += e.yuan;
        t.2 += 1;
    }
    Ok(Statement {
        company_id: company.id,
        month: month.to_owned(),
        totals: totals
            .into_iter()
            .map(|((kind, id), (points, yuan, entries))| TotalRow {
                subject: name(&kind, id).unwrap_or_default(),
                subject_kind: kind,
                subject_id: id,
                points,
                yuan,
                entries,
            })
            .collect(),
        entries: entries
            .into_iter()
            .map(|e| {
                let subject = name(&e.subject_kind, e.subject_id);
                let by = e.created_by.and_then(|b| users.get(&b).cloned());
                EntryLine::of(e, subject, by)
            })
            .collect(),
    })
}

/// A person or unit an entry may be about.
#[derive(Debug, Clone)]
pub struct Subject {
    /// `user` or `unit`.
    pub kind: &'static str,
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// A person's login.
    pub login: Option<String>,
}

/// The ledger screen of `me`'s company: the month's statement (by default this month), the
/// numbers of the orders its entries concern, and the subjects and rules of a new entry.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// The company.
    pub home: Home,
    /// The statement.
    pub statement: Statement,
    /// Order numbers by id.
    pub order_numbers: HashMap<i64, String>,
    /// Units, then people still active.
    pub subjects: Vec<Subject>,
    /// The policy's assessment rules: code and description.
    pub rules: Vec<(String, String)>,
}

/// The ledger of `me`'s company for `month` (none: this month).
pub async fn ledger(app: &App, me: &Actor, month: Option<&str>) -> AppResult<Ledger> {
    let home = home(app, me).await?;
    let month = month
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| home.month(0));
    let statement = statement(app, me, Some(home.id), Some(&month)).await?;
    let mut order_numbers = HashMap::new();
    for o in statement.entries.iter().filter_map(|l| l.order_id) {
        if let std::collections::hash_map::Entry::Vacant(v) = order_numbers.entry(o) {
            v.insert(
                app.store
                    .order(o)
                    .await
                    .map(|x| x.number)
                    .unwrap_or_default(),
            );
        }
    }
    let mut subjects: Vec<Subject> = app
        .store
        .units(Some(home.id))
        .await?
        .into_iter()
        .map(|u| Subject {
            kind: "unit",
            id: u.id,
            name: u.name,
            login: None,
        })
        .collect();
    subjects.extend(
        app.store
            .users(Some(home.id))
            .await?
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| Subject {
                kind: "user",
                id: u.id,
                name: u.name,
                login: Some(u.login),
            }),
    );
    let company = app.store.company(home.id).await?;
    let rules = company_policy(&company)?
        .assessment
        .iter()
        .map(|r| (r.code.clone(), r.description.clone()))
        .collect();
    Ok(Ledger {
        home,
        statement,
        order_numbers,
        subjects,
        rules,
    })
}

/// An order open at a closed month's end, then and now.
#[derive(Debug, Clone)]
pub struct ClosingLine {
    /// The order.
    pub order_id: i64,
    /// Its number.
    pub number: String,
    /// Its status at the closing.
    pub status: String,
    /// Its status now.
    pub status_now: String,
    /// The unit holding it then.
    pub unit: Option<String>,
    /// The highest supervision (督办) level it reached.
    pub supervision: Option<i64>,
}

/// A closed month: who closed it, the orders open at its end and the deductions it entered.
#[derive(Debug, Clone)]
pub struct ClosingDetail {
    /// `YYYY-MM`.
    pub month: String,
    /// Who closed it.
    pub by: Option<String>,
    /// When.
    pub at: i64,
    /// The orders open at its end.
    pub orders: Vec<ClosingLine>,
    /// The entries it made.
    pub entries: usize,
}

/// A closed month in the list.
#[derive(Debug, Clone)]
pub struct ClosedMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Orders open at its end.
    pub open_orders: i64,
    /// When it was closed.
    pub at: i64,
}

/// The closing screen of `me`'s company.
#[derive(Debug, Clone)]
pub struct Closings {
    /// The company.
    pub home: Home,
    /// The month asked for.
    pub month: String,
    /// Its closing, when it is closed.
    pub closing: Option<ClosingDetail>,
    /// Every closed month, newest first.
    pub closed: Vec<ClosedMonth>,
}

/// The closing of `month` (none: last month) of `me`'s company, and every closed month.
pub async fn closings(app: &App, me: &Actor, month: Option<&str>) -> AppResult<Closings> {
    let home = home(app, me).await?;
    let month = match month.filter(|m| !m.is_empty()) {
        Some(m) => month_of("month", m).map(|_| m.to_owned())?,
        None => home.month(1),
    };
    let closing = closing_detail(app, home.id, &month).await?;
    let closed = app
        .store
        .closings(home.id)
        .await?
        .into_iter()
        .map(|c| ClosedMonth {
            month: c.month,
            open_orders: c.open_orders,
            at: c.closed_at,
        })
        .collect();
    Ok(Closings {
        home,
        month,
        closing,
        closed,
    })
}

async fn closing_detail(app: &App, company: i64, month: &str) -> AppResult<Option<ClosingDetail>> {
    let Some((c, orders)) = app.store.closing(company, month).await? else {
        return Ok(None);
    };
    let units = unit_names(app, company).await?;
    let mut lines = Vec::new();
    for o in orders {
        let status_now = app.store.order(o.order_id).await?.status;
        let supervision = app
            .store
            .supervision_notices(o.order_id)
            .await?
            .iter()
            .map(|(level, _, _)| *level)
            .max();
        lines.push(ClosingLine {
            order_id: o.order_id,
            number: o.number,
            status: o.status,
            status_now,
            unit: o.unit_id.and_then(|x| units.get(&x).cloned()),
            supervision,
        });
    }
    let prefix = format!("month_end:{month}:");
    let entries = app
        .store
        .entries(company, month)
        .await?
        .iter()
        .filter(|e| {
            e.source_key
                .as_deref()
                .is_some_and(|k| k.starts_with(&prefix))
        })
        .count();
    let by = match c.closed_by {
        Some(id) => app.store.user(id).await.ok().map(|x| x.name),
        None => None,
    };
    Ok(Some(ClosingDetail {
        month: c.month,
        by,
        at: c.closed_at,
        orders: lines,
        entries,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detail_row_shows_the_kind_in_chinese_ids_as_strings_and_rfc3339_time() {
        let e = EntryLine {
            id: 12,
            subject_kind: "unit".into(),
            subject_id: 3,
            subject: None,
            rule_code: None,
            points: -2.0,
            yuan: 0.0,
            order_id: Some(5),
            reason: "r".into(),
            reversal_of: Some(11),
            by: None,
            at: 0,
        };
        let v = serde_json::to_value(DetailRow::of(&e)).unwrap();
        assert_eq!(v["id"], "12");
        assert_eq!(v["subject_kind"], "单位");
        assert_eq!(v["subject"], "");
        assert_eq!(v["reversal_of"], "11");
        assert_eq!(v["at"], "1970-01-01T00:00:00Z");
        assert_eq!(v["points"], -2.0);
        let user = EntryLine {
            subject_kind: "user".into(),
            ..e
        };
        assert_eq!(DetailRow::of(&user).subject_kind, "人员");
    }
}
