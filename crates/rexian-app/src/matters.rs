//! Complaint matters (事项): grouping, the proposed match, and grades recomputed as a matter grows
//! (`002:§14(6)`).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rexian_domain::grading::{self, CandidateMatter, MatterKey};
use rexian_domain::model::{Category, Grade, Status};
use rexian_domain::policy::AreaClass;
use rexian_domain::workflow::{self, Env, OrderState};
use rexian_store::matters::{MatterIntake, RegradeTarget};
use rexian_store::orders::{DeadlineChange, OrderRow};
use rexian_store::org::Company;
use serde::Serialize;

use crate::clock::from_ms;
use crate::order_state::{season_start, to_changes};
use crate::ser;
use crate::tenancy::company_policy;
use crate::{Actor, App, AppError, AppResult};

/// The matter a new complaint joins: the proposed match (same subtype and place, or similar
/// text, within 30 days), or a new matter. The agent overrides by passing `matter_id`.
pub async fn propose_or_create(
    app: &App,
    company: &Company,
    subtype: Option<&str>,
    place: Option<&str>,
    description: &str,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let since = now - chrono::Duration::days(grading::MATCH_WINDOW_DAYS);
    let candidates: Vec<CandidateMatter> = app
        .store
        .recent_matters(company.id, since.timestamp_millis())
        .await?
        .into_iter()
        .map(|m| CandidateMatter {
            id: m.id,
            subtype: m.subtype,
            place: m.place,
            text: m.text,
            last_at: from_ms(m.last_at),
        })
        .collect();
    let key = MatterKey {
        subtype: subtype.map(str::to_owned),
        place: place.map(str::to_owned),
        text: description.to_owned(),
    };
    if let Some(m) = grading::propose_match(&key, &candidates, now) {
        return Ok(m);
    }
    let title: String = description.chars().take(40).collect();
    Ok(app
        .store
        .create_matter(company.id, subtype, place, &title, now.timestamp_millis())
        .await?)
}

/// Who complained: the phone, else the account, else the name (None: the order itself).
fn complainant(o: &OrderRow) -> Option<String> {
    o.customer_phone
        .clone()
        .or_else(|| o.account_no.clone())
        .or_else(|| o.customer_name.clone())
}

/// The grade of complaint `this` (not yet stored) joining matter `matter_id`, from the counts
/// kept with the matter, and what the intake's transaction needs to update them and to regrade
/// the matter's open complaints when its grade becomes more severe.
pub async fn join(
    app: &App,
    company: &Company,
    matter_id: i64,
    this: &OrderRow,
) -> AppResult<(Grade, MatterIntake)> {
    let policy = company_policy(company)?;
    let rules = policy.grading_rules();
    let who = complainant(this);
    let at = from_ms(this.created_at);
    let window_from = grading::window_start(at, &rules).timestamp_millis();
    let people = u32::try_from(this.complainants).unwrap_or(u32::MAX);
    let exposed = this.lawsuit || this.media_exposed;
    let counts = app
        .store
        .matter_counts(
            matter_id,
            who.as_deref(),
            window_from,
            &rules,
            people,
            exposed,
        )
        .await?;
    let grade = grading::matter_grade(&counts, &rules);
    let regrade = Regrade {
        policy,
        calendar: app.calendar.clone(),
        offset: company.offset(),
        season_start: season_start(company),
        at,
    };
    Ok((
        grade,
        MatterIntake {
            matter_id,
            complainant: who,
            rules,
            window_from,
            people,
            exposed,
            regrade_limits: Box::new(move |t, g| regrade.limits(t, g)),
        },
    ))
}

/// What the regrade of a matter's open complaints needs, taken at intake.
struct Regrade {
    policy: rexian_domain::Policy,
    calendar: std::sync::Arc<rexian_domain::calendar::BusinessCalendar>,
    offset: chrono::FixedOffset,
    season_start: Option<chrono::NaiveDate>,
    at: DateTime<Utc>,
}

impl Regrade {
    /// The limit changes of open complaint `t` taking grade `g` (none when it was never
    /// dispatched or its row is not understood).
    fn limits(&self, t: &RegradeTarget, g: Grade) -> Vec<DeadlineChange> {
        let (Ok(status), Ok(category), Some(dispatched)) = (
            Status::from_str(&t.status),
            Category::from_str(&t.category),
            t.dispatched_at,
        ) else {
            return Vec::new();
        };
        // The unit's area class picks the area-specific limits.
        let mut policy = self.policy.clone();
        if let Some(a) = t.area.as_deref().and_then(AreaClass::parse) {
            policy.area = a;
        }
        let state = OrderState {
            status,
            category,
            subtype: t.subtype.clone(),
            grade: Some(g),
            unit: t.unit_id,
            callback_declined: false,
            accepted_at: from_ms(t.created_at),
            arrived: false,
            suspended_from: None,
            extension_pending: false,
            attempts: Vec::new(),
            season_start: self.season_start,
        };
        let env = Env {
            policy: &policy,
            calendar: &self.calendar,
            offset: self.offset,
            now: self.at,
        };
        to_changes(&workflow::on_regrade(&state, &env, from_ms(dispatched)))
    }
}

/// An order of a matter.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct MatterOrder {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Order number.
    pub number: String,
    /// Status.
    pub status: String,
    /// Grade (complaints).
    pub grade: Option<i64>,
}

/// A matter with its orders.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct MatterView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Its orders, oldest first.
    pub orders: Vec<MatterOrder>,
}

/// The matter `id` with its orders (not found outside the caller's company).
pub async fn get(app: &App, me: &Actor, id: i64) -> AppResult<MatterView> {
    let orders = app.store.matter_orders(id).await?;
    if orders.is_empty() || me.company_id.is_some_and(|c| c != orders[0].company_id) {
        return Err(AppError::NotFound);
    }
    let orders = orders
        .into_iter()
        .map(|o| MatterOrder {
            id: o.id,
            number: o.number,
            status: o.status,
            grade: o.grade,
        })
        .collect();
    Ok(MatterView { id, orders })
}
