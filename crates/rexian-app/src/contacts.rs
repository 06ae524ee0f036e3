//! Contacts that made no order (a dropped call becomes a call-back task, `000:二.3(4)`),
//! outreach events whose report is due days after they end (`000:三.7`), and the answers of
//! satisfaction re-checks (`000:九.4`, `001`).

use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rexian_domain::model::{Channel, Satisfaction};
use rexian_store::orders::NewContact;
use rexian_store::rechecks::Outreach;
use serde::{Deserialize, Serialize};

use crate::personal::shown;
use crate::ser::{self, Id};
use crate::tenancy::{company_for, company_policy};
use crate::text::{clean, phone, required};
use crate::{Actor, App, AppError, AppResult};

/// What was created.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
#[schemars(rename = "ContactCreated")]
pub struct Created {
    /// Its id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
}

/// A contact that made no order, e.g. a dropped call.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// Company.
    pub company_id: Id,
    /// Channel (phone, ...).
    #[schemars(with = "rexian_domain::model::Channel")]
    pub channel: String,
    /// Caller's name.
    pub caller_name: Option<String>,
    /// Caller's number (needed to call a dropped call back).
    pub caller_phone: Option<String>,
    /// What it was about.
    pub summary: Option<String>,
    /// The call dropped before anything was taken.
    #[serde(default)]
    pub dropped: bool,
}

/// Records a contact in the ledger; a dropped call becomes a call-back task.
pub async fn record_contact(app: &App, me: &Actor, b: ContactInput) -> AppResult<Created> {
    let company = company_for(app, me, "company_id", b.company_id.0).await?;
    let channel =
        Channel::from_str(&b.channel).map_err(|e| AppError::invalid("channel", e.to_string()))?;
    let caller_phone = phone("caller_phone", b.caller_phone)?;
    if b.dropped && caller_phone.is_none() {
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
            caller_phone,
            summary,
            agent_id: me.id,
            at: app.now_ms(),
            dropped: b.dropped,
        })
        .await?;
    Ok(Created { id })
}

/// A dropped call not yet called back.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct DroppedCall {
    /// Contact id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// Channel.
    pub channel: String,
    /// Caller's name.
    pub caller_name: Option<String>,
    /// Caller's number.
    pub caller_phone: Option<String>,
    /// What it was about.
    pub summary: String,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
}

/// Dropped calls not yet called back, of `company` (or every company for group staff).
pub async fn dropped(app: &App, company: Option<i64>, limit: i64) -> AppResult<Vec<DroppedCall>> {
    let rows = app.store.dropped_calls(company, limit).await?;
    if rows
        .iter()
        .any(|c| c.caller_name.is_some() || c.caller_phone.is_some())
    {
        shown("dropped_calls", None);
    }
    Ok(rows
        .into_iter()
        .map(|c| DroppedCall {
            id: c.id,
            company_id: c.company_id,
            channel: c.channel,
            caller_name: c.caller_name,
            caller_phone: c.caller_phone,
            summary: c.summary,
            at: c.at,
        })
        .collect())
}

/// The dropped caller `id` was called back.
pub async fn handled(app: &App, me: &Actor, id: i64) -> AppResult<()> {
    Ok(app
        .store
        .handle_dropped_call(id, me.company_id, me.id, app.now_ms())
        .await?)
}

/// The answers of a re-check.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecheckInput {
    /// Whether the customer was reached.
    pub reached: bool,
    /// The staff's attitude (repairs).
    #[schemars(with = "Option<rexian_domain::model::Satisfaction>")]
    pub attitude: Option<String>,
    /// The quality of the work (repairs).
    #[schemars(with = "Option<rexian_domain::model::Satisfaction>")]
    pub quality: Option<String>,
    /// Satisfaction (required when reached).
    #[schemars(with = "Option<rexian_domain::model::Satisfaction>")]
    pub satisfaction: Option<String>,
    /// Suggestions.
    pub suggestion: Option<String>,
}

/// Records re-check `id`: for repairs the four questions of `001` (attitude, quality,
/// satisfaction, suggestions); for complaints satisfaction and suggestions.
pub async fn finish_recheck(app: &App, me: &Actor, id: i64, b: RecheckInput) -> AppResult<()> {
    let r = app.store.recheck(id).await?;
    if me.company_id.is_some_and(|c| c != r.company_id) {
        return Err(AppError::NotFound);
    }
    let grade = |field: &str, v: &Option<String>| -> AppResult<Option<String>> {
        match v.as_deref() {
            None => Ok(None),
            Some(s) => Satisfaction::from_str(s)
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
    let answers = serde_json::json!({"attitude": attitude, "quality": quality,
        "satisfaction": satisfaction, "suggestion": clean("suggestion", b.suggestion, 2000)?});
    app.store
        .finish_recheck(r.id, b.reached, &answers.to_string(), me.id, app.now_ms())
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => {
                AppError::InvalidTransition("this re-check is already done".into())
            }
            other => other.into(),
        })?;
    Ok(())
}

/// An outreach (宣传/走访) event.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutreachInput {
    /// Company.
    pub company_id: Id,
    /// What.
    pub title: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
}

/// An outreach event made: its report's due day.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct OutreachCreated {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// The report is due on this day.
    pub report_due: NaiveDate,
}

/// Adds an outreach event; its report is due the policy's days after it ends (`000:三.7`).
pub async fn create_outreach(
    app: &App,
    me: &Actor,
    b: OutreachInput,
) -> AppResult<OutreachCreated> {
    let company = company_for(app, me, "company_id", b.company_id.0).await?;
    for (field, d) in [("starts_on", b.starts_on), ("ends_on", b.ends_on)] {
        if !(1..=9999).contains(&d.year()) {
            return Err(AppError::invalid(
                field,
                format!("{field} must be a date of the years 1 to 9999"),
            ));
        }
    }
    if b.ends_on < b.starts_on {
        return Err(AppError::invalid("ends_on", "ends_on is before starts_on"));
    }
    let title = required("title", b.title, 200)?;
    let days = company_policy(&company)?
        .survey
        .outreach_report_days
        .unwrap_or(7);
    let due = rexian_domain::survey::outreach_report_due(b.ends_on, days);
    let o = Outreach {
        id: 0,
        company_id: company.id,
        title,
        starts_on: b.starts_on.to_string(),
        ends_on: b.ends_on.to_string(),
        report_due: due.to_string(),
        report: None,
        reported_at: None,
    };
    let id = app.store.create_outreach(&o, me.id, app.now_ms()).await?;
    Ok(OutreachCreated {
        id,
        report_due: due,
    })
}

/// An outreach event with its report state.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct OutreachView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// What.
    pub title: String,
    /// First day.
    pub starts_on: String,
    /// Last day.
    pub ends_on: String,
    /// The report's due day.
    pub report_due: String,
    /// The report.
    pub report: Option<String>,
    /// When it was filed.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub reported_at: Option<i64>,
    /// Not reported and the due day passed (in the company's zone).
    pub overdue: bool,
}

/// Outreach events of `company` (or every company for group staff) with their report state.
pub async fn outreach(app: &App, company: Option<i64>) -> AppResult<Vec<OutreachView>> {
    let mut offsets = std::collections::HashMap::new();
    let mut out = Vec::new();
    for o in app.store.outreach_events(company).await? {
        let offset = match offsets.get(&o.company_id) {
            Some(x) => *x,
            None => {
                let x = app.store.company(o.company_id).await?.offset();
                offsets.insert(o.company_id, x);
                x
            }
        };
        let today = app
            .clock
            .now()
            .with_timezone(&offset)
            .date_naive()
            .to_string();
        out.push(OutreachView {
            overdue: o.reported_at.is_none() && o.report_due < today,
            id: o.id,
            company_id: o.company_id,
            title: o.title,
            starts_on: o.starts_on,
            ends_on: o.ends_on,
            report_due: o.report_due,
            report: o.report,
            reported_at: o.reported_at,
        });
    }
    Ok(out)
}

/// Files the report of outreach event `id`.
pub async fn report_outreach(app: &App, me: &Actor, id: i64, report: String) -> AppResult<()> {
    let report = required("report", report, 20_000)?;
    Ok(app
        .store
        .report_outreach(id, me.company_id, &report, app.now_ms())
        .await?)
}

/// Whether closing `o` now picks it for a satisfaction re-check, and which: complaints so that
/// at least the policy's share are re-checked each month (`000:九.4`), repairs at random at the
/// policy's rate (`001`). Asked before the close, whose transaction then writes the re-check.
pub async fn recheck_on_close(
    app: &App,
    o: &rexian_store::orders::OrderRow,
) -> AppResult<Option<&'static str>> {
    let company = app.store.company(o.company_id).await?;
    let policy = company_policy(&company)?;
    let offset = company.offset();
    let local = app.clock.now().with_timezone(&offset);
    let month_start = NaiveDate::from_ymd_opt(local.year(), local.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| d.and_local_timezone(offset).single())
        .map(|d| d.timestamp_millis())
        .unwrap_or(0);
    Ok(match o.category.as_str() {
        "complaint" => match policy.survey.complaint_recheck_share {
            Some(share) => {
                // `closed` counts the complaints closed before this one this month.
                let (closed, picked) = app
                    .store
                    .recheck_counts(o.company_id, "complaint", "complaint_recheck", month_start)
                    .await?;
                rexian_domain::survey::pick_at_least(share, closed.max(0) as u64, picked as u64)
                    .then_some("complaint_recheck")
            }
            None => None,
        },
        "repair" => policy
            .survey
            .repair_recheck_share
            .filter(|share| rexian_domain::survey::pick_random(*share, o.id, o.company_id as u64))
            .map(|_| "repair_survey"),
        _ => None,
    })
}
