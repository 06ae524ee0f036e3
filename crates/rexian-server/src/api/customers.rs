//! The customer register (热用户/客户档案) and monthly satisfaction surveys (`000:三.2`).

use std::collections::BTreeMap;
use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rexian_app::customers::{self, CustomerView};
use rexian_domain::identity::Claim;
use rexian_domain::model::Satisfaction;
use rexian_domain::survey::{draw_sample, Household, SampleSpec};
use rexian_store::customers::{Customer, Survey};
use serde::Deserialize;
use serde_json::{json, Value};

use super::orders::{clean, summary_json};
use super::{parse_id, Id};
use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::AppState;

/// A sampled household for the survey's outbound calls (see [`CustomerView::called`]).
fn sample_customer_json(c: &Customer) -> Value {
    json!(CustomerView::called(c))
}

fn own_company(me: &CurrentUser, company_id: i64) -> AppResult<()> {
    if me.company_id.is_some_and(|c| c != company_id) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Adds one customer to the register.
pub async fn create(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<customers::CustomerInput>,
) -> AppResult<(StatusCode, Json<customers::Created>)> {
    Ok((
        StatusCode::CREATED,
        Json(customers::create(&app, &me, b).await?),
    ))
}

/// Query of the register.
#[derive(Debug, Deserialize)]
pub struct FindQuery {
    company_id: Option<String>,
    q: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/customers?q=`: by phone or account (prefix), name or address text.
pub async fn find(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Query(q): Query<FindQuery>,
) -> AppResult<Json<Value>> {
    let company = match q.company_id.as_deref().filter(|s| !s.is_empty()) {
        Some(s) if me.company_id.is_none() => Some(parse_id("company_id", s)?),
        _ => None,
    };
    let limit = q
        .limit
        .as_deref()
        .and_then(|l| l.parse::<i64>().ok())
        .filter(|n| (1..=500).contains(n))
        .unwrap_or(50);
    let items = customers::find(&app, &me, company, &q.q.unwrap_or_default(), limit).await?;
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/customers/{id}`: the customer; the account number and their orders (account
/// information) only once this agent verified the caller's identity in the last 30 minutes
/// (`002:§14(1)`).
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let d = customers::detail(&app, &me, parse_id("id", &id)?).await?;
    let mut v = json!(d.customer);
    // Withheld (null) until verified; `account_no` is masked until then too.
    v["orders"] = match d.orders {
        Some(orders) => Value::Array(orders.iter().map(|o| summary_json(&me, o)).collect()),
        None => Value::Null,
    };
    Ok(Json(v))
}

/// `POST /api/v1/customers/{id}/verify` body: what the caller says about themselves.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    name: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    id_number: Option<String>,
}

/// Checks the caller's identity against the register: two matching fields and no wrong one.
/// Every attempt is recorded.
pub async fn verify(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VerifyBody>,
) -> AppResult<Json<Value>> {
    let claim = Claim {
        name: b.name,
        phone: b.phone,
        address: b.address,
        id_number: b.id_number,
    };
    let verdict = customers::verify(&app, &me, parse_id("id", &id)?, &claim).await?;
    Ok(Json(
        json!({"verified": verdict.verified(), "matched": verdict.matched, "mismatched": verdict.mismatched}),
    ))
}

/// `POST /api/v1/surveys` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyBody {
    company_id: Id,
    month: String,
    per_mille: f64,
    residential_share: Option<f64>,
    seed: Option<i64>,
    title: Option<String>,
}

/// Draws a month's survey sample from the register and stores it.
pub async fn create_survey(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(b): ApiJson<SurveyBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let company = app
        .store
        .company(b.company_id.0)
        .await
        .map_err(|_| AppError::invalid("company_id", "company_id names no company"))?;
    own_company(&me, company.id)?;
    let month_ok = b.month.len() == 7
        && chrono::NaiveDate::parse_from_str(&format!("{}-01", b.month), "%Y-%m-%d").is_ok();
    if !month_ok {
        return Err(AppError::invalid("month", "month must be YYYY-MM"));
    }
    let policy = super::orders::company_policy(&company)?;
    // The policy's rate (heating: 1–5 ‰); presets without one allow the same range.
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
    let seed = b.seed.unwrap_or_else(|| ms(app.clock.now()));
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
    let sample = draw_sample(
        &hh,
        &SampleSpec {
            per_mille: b.per_mille,
            residential_share: share,
            seed: seed as u64,
        },
    );
    let s = Survey {
        id: 0,
        company_id: company.id,
        month: b.month.clone(),
        title: clean("title", b.title, 200)?.unwrap_or_else(|| format!("{} 满意度调查", b.month)),
        per_mille: b.per_mille,
        residential_share: share,
        seed,
        population: hh.len() as i64,
    };
    let id = app
        .store
        .create_survey(&s, &sample, me.id, ms(app.clock.now()))
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => AppError::Conflict {
                field: Some("month".into()),
                message: "this month already has a survey".into(),
            },
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id.to_string(), "sample_size": sample.len(), "seed": seed})),
    ))
}

/// `GET /api/v1/surveys/{id}`: the sample, its spread over communities, and the results.
pub async fn get_survey(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let s = app.store.survey(parse_id("id", &id)?).await?;
    if me.company_id.is_some_and(|c| c != s.company_id) {
        return Err(AppError::NotFound);
    }
    let rows = app.store.survey_samples(s.id).await?;
    if !rows.is_empty() {
        super::personal::shown("survey_sample", None);
    }
    let mut spread: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (_, stratum, _) in app.store.households(s.company_id).await? {
        spread.entry(stratum).or_default().0 += 1;
    }
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        let stratum = r
            .customer
            .community
            .clone()
            .or_else(|| r.customer.station.clone())
            .unwrap_or_default();
        spread.entry(stratum).or_default().1 += 1;
        *counts
            .entry(
                r.satisfaction
                    .clone()
                    .unwrap_or_else(|| "unanswered".into()),
            )
            .or_default() += 1;
    }
    let rated = counts
        .iter()
        .filter(|(k, _)| k.as_str() != "unanswered")
        .map(|(_, v)| v)
        .sum::<i64>();
    let good =
        counts.get("satisfied").copied().unwrap_or(0) + counts.get("basic").copied().unwrap_or(0);
    Ok(Json(json!({
        "id": s.id.to_string(), "company_id": s.company_id.to_string(), "month": s.month, "title": s.title,
        "per_mille": s.per_mille, "residential_share": s.residential_share, "seed": s.seed, "population": s.population,
        "sample": rows.iter().map(|r| json!({"customer": sample_customer_json(&r.customer), "satisfaction": r.satisfaction,
            "answers": r.answers.as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok())})).collect::<Vec<_>>(),
        "spread": spread.iter().map(|(k, (n, d))| json!({"stratum": k, "households": n, "drawn": d})).collect::<Vec<_>>(),
        "results": {"counts": counts, "satisfaction_rate": if rated > 0 { Some(good as f64 / rated as f64) } else { None }},
    })))
}

/// `POST /api/v1/surveys/{id}/answers` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    customer_id: Id,
    satisfaction: String,
    #[serde(default)]
    answers: Value,
}

/// Records a sampled household's answer.
pub async fn answer(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> AppResult<StatusCode> {
    let s = app.store.survey(parse_id("id", &id)?).await?;
    own_company(&me, s.company_id)?;
    let sat = Satisfaction::from_str(&b.satisfaction)
        .map_err(|e| AppError::invalid("satisfaction", e.to_string()))?;
    app.store
        .answer_survey(
            s.id,
            b.customer_id.0,
            sat.as_str(),
            &b.answers.to_string(),
            me.id,
            ms(app.clock.now()),
        )
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::NotFound => {
                AppError::invalid("customer_id", "the customer is not in this survey's sample")
            }
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}
