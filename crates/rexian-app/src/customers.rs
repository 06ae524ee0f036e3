//! The customer register (热用户/客户档案) and identity before account data (`002:§14(1)`):
//! the account number and a customer's orders are shown to an agent only for 30 minutes after
//! that agent verified the caller against the register; the ID number is always masked.

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

use rexian_domain::identity::{
    check, mask_account, mask_id_number, parse_id_number, Claim, Record, Verdict,
};
use rexian_domain::model::Satisfaction;
use rexian_domain::survey::{draw_sample, Household, SampleSpec};
use rexian_store::customers::{Customer, Survey};
use rexian_store::orders::{OrderFilter, PersonalMatch};
use rexian_store::org::Company;
use rexian_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::assessment::month_of;
use crate::orders::OrderSummary;
use crate::personal::shown;
use crate::ser::{self, Id};
use crate::tenancy::{company_for, company_policy};
use crate::text::{clean, phone, required};
use crate::{Actor, App, AppError, AppResult};

/// How long a verified caller stays verified for the agent who checked them: one call with its
/// follow-up (writing the order, a transfer) fits in 30 minutes; a later call is verified again.
pub const VERIFIED_FOR_MS: i64 = 30 * 60_000;

/// A customer as shown: the ID number always masked; the account number in full only when
/// `verified`.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct CustomerView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// Account number (masked until verified).
    pub account_no: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// District.
    pub district: Option<String>,
    /// Community.
    pub community: Option<String>,
    /// Building.
    pub building: Option<String>,
    /// Unit (of the building).
    pub unit: Option<String>,
    /// Room.
    pub room: Option<String>,
    /// Station.
    pub station: Option<String>,
    /// A household (not a business).
    pub residential: bool,
    /// ID number, masked.
    pub id_number: Option<String>,
    /// Whether this agent verified the caller in the last 30 minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

impl CustomerView {
    /// The customer as shown to someone who verified them or not.
    pub fn of(c: &Customer, verified: bool) -> CustomerView {
        CustomerView {
            verified: Some(verified),
            account_no: if verified {
                c.account_no.clone()
            } else {
                mask_account(&c.account_no)
            },
            ..Self::called(c)
        }
    }

    /// A household the centre calls (a survey sample): no caller to verify; the account in
    /// full, the ID number masked.
    pub fn called(c: &Customer) -> CustomerView {
        CustomerView {
            id: c.id,
            company_id: c.company_id,
            account_no: c.account_no.clone(),
            name: c.name.clone(),
            phone: c.phone.clone(),
            district: c.district.clone(),
            community: c.community.clone(),
            building: c.building.clone(),
            unit: c.unit_no.clone(),
            room: c.room.clone(),
            station: c.station.clone(),
            residential: c.residential,
            id_number: c.id_number.as_deref().map(mask_id_number),
            verified: None,
        }
    }
}

/// Of `customers`, the ids `me` verified within [`VERIFIED_FOR_MS`].
pub async fn verified_ids(
    app: &App,
    me: &Actor,
    customers: &[Customer],
) -> AppResult<HashSet<i64>> {
    let ids: Vec<i64> = customers.iter().map(|c| c.id).collect();
    let since = app.now_ms() - VERIFIED_FOR_MS;
    Ok(app
        .store
        .verified_customers(me.id, &ids, since)
        .await?
        .into_iter()
        .collect())
}

/// A new customer (also the shape of one imported row).
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// Company.
    pub company_id: Id,
    /// Account number, unique in the company.
    pub account_no: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// District.
    pub district: Option<String>,
    /// Community.
    pub community: Option<String>,
    /// Building.
    pub building: Option<String>,
    /// Unit (of the building).
    pub unit: Option<String>,
    /// Room.
    pub room: Option<String>,
    /// Station.
    pub station: Option<String>,
    /// A household (default) or a business.
    pub residential: Option<bool>,
    /// ID number (身份证号).
    pub id_number: Option<String>,
}

/// The new customer's id.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
#[schemars(rename = "CustomerCreated")]
pub struct Created {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
}

/// Adds one customer to the register.
pub async fn create(app: &App, me: &Actor, b: CustomerInput) -> AppResult<Created> {
    let company = company_for(app, me, "company_id", b.company_id.0).await?;
    let c = Customer {
        id: 0,
        company_id: company.id,
        account_no: required("account_no", b.account_no, 40)?,
        name: required("name", b.name, 100)?,
        phone: phone("phone", b.phone)?,
        district: clean("district", b.district, 60)?,
        community: clean("community", b.community, 100)?,
        building: clean("building", b.building, 40)?,
        unit_no: clean("unit", b.unit, 40)?,
        room: clean("room", b.room, 40)?,
        station: clean("station", b.station, 100)?,
        residential: b.residential.unwrap_or(true),
        id_number: b
            .id_number
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_id_number(&s))
            .transpose()
            .map_err(|e| AppError::invalid("id_number", e))?,
    };
    if app
        .store
        .account_numbers(company.id)
        .await?
        .contains(&c.account_no)
    {
        return Err(AppError::Conflict {
            field: Some("account_no".into()),
            message: "account_no is already in the register".into(),
        });
    }
    app.store
        .import_customers(std::slice::from_ref(&c), app.now_ms(), |_| {})
        .await?;
    // By the exact account number: a search would find an older customer whose account
    // starts with it (or whose name holds it) first.
    let id = app
        .store
        .customer_by_account(company.id, &c.account_no)
        .await?;
    Ok(Created { id })
}

/// Customers by phone or account (prefix), name or address text: of `me`'s company, or (for
/// group-level staff) of `company` or every company.
pub async fn find(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    q: &str,
    limit: i64,
) -> AppResult<Vec<CustomerView>> {
    let company = me.company_id.or(company);
    let rows = app.store.find_customers(company, q.trim(), limit).await?;
    if !rows.is_empty() {
        shown("customer_search", None);
    }
    let verified = verified_ids(app, me, &rows).await?;
    Ok(rows
        .iter()
        .map(|c| CustomerView::of(c, verified.contains(&c.id)))
        .collect())
}

/// A customer with their orders (account information) when `me` verified the caller.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct CustomerDetail {
    /// The customer.
    #[serde(flatten)]
    pub customer: CustomerView,
    /// Their orders, found by their phone or account; null until verified.
    pub orders: Option<Vec<OrderSummary>>,
}

/// Customer `id` as `me` may see them (`NotFound` for another company's).
pub async fn detail(app: &App, me: &Actor, id: i64) -> AppResult<CustomerDetail> {
    let c = app.store.customer(id).await?;
    if me.company_id.is_some_and(|x| x != c.company_id) {
        return Err(AppError::NotFound);
    }
    let verified = verified_ids(app, me, std::slice::from_ref(&c))
        .await?
        .contains(&c.id);
    shown("customer_detail", None);
    let orders = if verified {
        let key = c.phone.clone().unwrap_or_else(|| c.account_no.clone());
        let rows = app
            .store
            .list_orders(&OrderFilter {
                company_id: Some(c.company_id),
                q: Some(key),
                // The verified customer's own orders, found by their phone or account.
                personal: PersonalMatch::All,
                limit: 100,
                ..Default::default()
            })
            .await?;
        Some(rows.iter().map(|o| OrderSummary::of(me, o)).collect())
    } else {
        None
    };
    Ok(CustomerDetail {
        customer: CustomerView::of(&c, verified),
        orders,
    })
}

/// Checks a caller's claim against customer `id` for `me`: two matching fields and no wrong
/// one. Every attempt is an event; a success is `me`'s verification, in the same transaction.
pub async fn verify(app: &App, me: &Actor, id: i64, claim: &Claim) -> AppResult<Verdict> {
    let c = app.store.customer(id).await?;
    if me.company_id.is_some_and(|x| x != c.company_id) {
        return Err(AppError::NotFound);
    }
    let record = Record {
        name: c.name.clone(),
        phone: c.phone.clone(),
        address: [&c.community, &c.building, &c.unit_no, &c.room]
            .iter()
            .filter_map(|p| (*p).clone())
            .collect(),
        id_number: c.id_number.clone(),
    };
    let verdict = check(claim, &record);
    let data = serde_json::json!({"matched": verdict.matched, "mismatched": verdict.mismatched});
    let matched = verdict.matched.join(",");
    app.store
        .record_identity_check(
            c.id,
            me.id,
            verdict.verified().then_some(matched.as_str()),
            app.now_ms(),
            &data,
        )
        .await?;
    Ok(verdict)
}

/// The answer to an identity check.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Verification {
    /// Fields that matched.
    pub matched: Vec<&'static str>,
    /// Fields given that did not match.
    pub mismatched: Vec<&'static str>,
    /// Two matched and none wrong.
    pub verified: bool,
}

impl From<Verdict> for Verification {
    fn from(v: Verdict) -> Self {
        Verification {
            verified: v.verified(),
            matched: v.matched,
            mismatched: v.mismatched,
        }
    }
}

/// A month's satisfaction survey to draw (`000:三.2`).
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyInput {
    /// Company.
    pub company_id: Id,
    /// `YYYY-MM`.
    pub month: String,
    /// Households drawn per thousand (the policy's rate).
    pub per_mille: f64,
    /// Share of households (default 0.9).
    pub residential_share: Option<f64>,
    /// The draw's seed (default: now).
    pub seed: Option<i64>,
    /// Title (default `YYYY-MM 满意度调查`).
    pub title: Option<String>,
}

/// A survey drawn.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct SurveyCreated {
    /// Its id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Households drawn.
    pub sample_size: usize,
    /// The draw's seed.
    pub seed: i64,
}

/// The policy's survey rate (heating: 1–5 ‰; presets without one allow the same range) and a
/// mostly residential share.
fn check_rates(company: &Company, b: &SurveyInput) -> AppResult<f64> {
    let policy = company_policy(company)?;
    let lo = f64::from(policy.survey.sample_per_mille_min.unwrap_or(1));
    let hi = f64::from(policy.survey.sample_per_mille_max.unwrap_or(5));
    if !(lo..=hi).contains(&b.per_mille) {
        return Err(AppError::invalid(
            "per_mille",
            format!("per_mille must be {lo}–{hi} (the policy's survey rate)"),
        ));
    }
    let share = b.residential_share.unwrap_or(0.9);
    if !(0.5..=1.0).contains(&share) {
        return Err(AppError::invalid(
            "residential_share",
            "residential_share must be 0.5–1 (mostly residential)",
        ));
    }
    Ok(share)
}

/// Draws a month's survey sample from the register and stores it.
pub async fn create_survey(app: &App, me: &Actor, b: SurveyInput) -> AppResult<SurveyCreated> {
    let company = company_for(app, me, "company_id", b.company_id.0).await?;
    month_of("month", &b.month)?;
    let share = check_rates(&company, &b)?;
    let seed = b.seed.unwrap_or_else(|| app.now_ms());
    let hh: Vec<Household> = app
        .store
        .households(company.id)
        .await?
        .into_iter()
        .map(|(id, stratum, residential)| Household {
            id,
            stratum,
            residential,
        })
        .collect();
    if hh.is_empty() {
        return Err(AppError::invalid(
            "company_id",
            "the company's customer register is empty",
        ));
    }
    let spec = SampleSpec {
        per_mille: b.per_mille,
        residential_share: share,
        seed: seed as u64,
    };
    let sample = draw_sample(&hh, &spec);
    let s = Survey {
        id: 0,
        company_id: company.id,
        title: clean("title", b.title, 200)?.unwrap_or_else(|| format!("{} 满意度调查", b.month)),
        month: b.month,
        per_mille: b.per_mille,
        residential_share: share,
        seed,
        population: hh.len() as i64,
    };
    let id = app
        .store
        .create_survey(&s, &sample, me.id, app.now_ms())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AppError::Conflict {
                field: Some("month".into()),
                message: "this month already has a survey".into(),
            },
            other => other.into(),
        })?;
    Ok(SurveyCreated {
        id,
        sample_size: sample.len(),
        seed,
    })
}

/// A sampled household with its answer.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct SampleLine {
    /// The answers given (free JSON).
    pub answers: Option<serde_json::Value>,
    /// The household.
    pub customer: CustomerView,
    /// Its satisfaction, once asked.
    pub satisfaction: Option<String>,
}

/// A community's (or station's) households and how many were drawn.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Stratum {
    /// Drawn.
    pub drawn: i64,
    /// Households in the register.
    pub households: i64,
    /// The community or station.
    pub stratum: String,
}

/// The results so far.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct SurveyResults {
    /// Answers by satisfaction (`unanswered` for none yet).
    pub counts: BTreeMap<String, i64>,
    /// (Satisfied + basically satisfied) / rated; null before any rating.
    pub satisfaction_rate: Option<f64>,
}

impl SurveyResults {
    fn of(counts: BTreeMap<String, i64>) -> SurveyResults {
        let rated: i64 = counts
            .iter()
            .filter(|(k, _)| k.as_str() != "unanswered")
            .map(|(_, v)| v)
            .sum();
        let good = ["satisfied", "basic"]
            .iter()
            .map(|k| counts.get(*k).copied().unwrap_or(0))
            .sum::<i64>();
        SurveyResults {
            satisfaction_rate: (rated > 0).then(|| good as f64 / rated as f64),
            counts,
        }
    }
}

/// A survey with its sample, the sample's spread over communities, and the results.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct SurveyView {
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// The rate drawn.
    pub per_mille: f64,
    /// Households in the register when drawn.
    pub population: i64,
    /// The residential share.
    pub residential_share: f64,
    /// The results.
    pub results: SurveyResults,
    /// The households drawn.
    pub sample: Vec<SampleLine>,
    /// The draw's seed.
    pub seed: i64,
    /// Per community (or station).
    pub spread: Vec<Stratum>,
    /// Title.
    pub title: String,
}

/// Survey `id` (`NotFound` for another company's).
pub async fn survey(app: &App, me: &Actor, id: i64) -> AppResult<SurveyView> {
    let s = app.store.survey(id).await?;
    if me.company_id.is_some_and(|c| c != s.company_id) {
        return Err(AppError::NotFound);
    }
    let rows = app.store.survey_samples(s.id).await?;
    if !rows.is_empty() {
        shown("survey_sample", None);
    }
    let mut spread: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (_, stratum, _) in app.store.households(s.company_id).await? {
        spread.entry(stratum).or_default().0 += 1;
    }
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        let c = &r.customer;
        let stratum = c.community.clone().or_else(|| c.station.clone());
        spread.entry(stratum.unwrap_or_default()).or_default().1 += 1;
        let answer = r.satisfaction.as_deref().unwrap_or("unanswered");
        *counts.entry(answer.to_owned()).or_default() += 1;
    }
    Ok(SurveyView {
        company_id: s.company_id,
        id: s.id,
        month: s.month,
        per_mille: s.per_mille,
        population: s.population,
        residential_share: s.residential_share,
        results: SurveyResults::of(counts),
        sample: rows
            .into_iter()
            .map(|r| SampleLine {
                answers: r
                    .answers
                    .as_deref()
                    .and_then(|a| serde_json::from_str(a).ok()),
                customer: CustomerView::called(&r.customer),
                satisfaction: r.satisfaction,
            })
            .collect(),
        seed: s.seed,
        spread: spread
            .into_iter()
            .map(|(stratum, (households, drawn))| Stratum {
                drawn,
                households,
                stratum,
            })
            .collect(),
        title: s.title,
    })
}

/// A sampled household's answer.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// The household.
    pub customer_id: Id,
    /// `satisfied`, `basic` or `unsatisfied`.
    #[schemars(with = "rexian_domain::model::Satisfaction")]
    pub satisfaction: String,
    /// The answers (free JSON).
    #[serde(default)]
    pub answers: serde_json::Value,
}

/// Records a sampled household's answer to survey `id`.
pub async fn answer(app: &App, me: &Actor, id: i64, b: AnswerInput) -> AppResult<()> {
    let s = app.store.survey(id).await?;
    if me.company_id.is_some_and(|c| c != s.company_id) {
        return Err(AppError::Forbidden);
    }
    let sat = Satisfaction::from_str(&b.satisfaction)
        .map_err(|e| AppError::invalid("satisfaction", e.to_string()))?;
    app.store
        .answer_survey(
            s.id,
            b.customer_id.0,
            sat.as_str(),
            &b.answers.to_string(),
            me.id,
            app.now_ms(),
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                AppError::invalid("customer_id", "the customer is not in this survey's sample")
            }
            other => other.into(),
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survey_satisfaction_counts_satisfied_and_basic_over_the_rated() {
        let counts: BTreeMap<String, i64> = [
            ("satisfied", 2),
            ("basic", 1),
            ("unsatisfied", 1),
            ("unanswered", 6),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(SurveyResults::of(counts).satisfaction_rate, Some(0.75));
        let none = BTreeMap::from([("unanswered".to_owned(), 3)]);
        assert_eq!(SurveyResults::of(none).satisfaction_rate, None);
    }

    #[test]
    fn a_verification_answers_verified_with_what_matched() {
        let v = Verification::from(Verdict {
            matched: vec!["name", "phone"],
            mismatched: vec![],
        });
        assert!(v.verified);
        let v = Verification::from(Verdict {
            matched: vec!["name", "phone"],
            mismatched: vec!["address"],
        });
        assert!(!v.verified && v.mismatched == ["address"]);
    }
}
