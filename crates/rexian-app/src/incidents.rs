//! Mass incidents (SPEC §6): what an intake gives the store to group its order, and the
//! incident board of a company.

use chrono::Duration;
use rexian_domain::outage::normalise;
use rexian_domain::Policy;
use rexian_store::incidents::{IncidentIntake, IncidentRow};
use serde::Serialize;

use crate::ser;
use crate::{Actor, App, AppError, AppResult};

/// The grouping of an order of `community` accepted at `now` (ms) under `policy`: none when
/// the policy groups no calls or the order names no community.
pub fn intake(policy: &Policy, community: Option<&str>, now: i64) -> Option<IncidentIntake> {
    let rules = policy.mass_incident?;
    let community = community.map(str::trim).filter(|c| !c.is_empty())?;
    let key = normalise(community);
    (key.chars().count() >= rexian_domain::outage::MIN_KEY_CHARS).then(|| IncidentIntake {
        community: community.to_owned(),
        key,
        since: now - Duration::minutes(i64::from(rules.minutes)).num_milliseconds(),
        threshold: i64::from(rules.orders),
    })
}

/// The matter of the open incident an order of `community`, `category` and `subtype` joins,
/// if it has one (its complaints share it).
pub async fn matter_of(
    app: &App,
    policy: &Policy,
    company: i64,
    community: Option<&str>,
    category: &str,
    subtype: Option<&str>,
) -> AppResult<Option<i64>> {
    let (Some(i), Some(subtype)) = (intake(policy, community, 0), subtype) else {
        return Ok(None);
    };
    Ok(app
        .store
        .open_incident(company, &i.key, category, subtype)
        .await?
        .and_then(|i| i.matter_id))
}

/// An incident on the board.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct IncidentView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// Community.
    pub community: String,
    /// Category of its orders.
    pub category: String,
    /// Subtype of its orders.
    pub subtype: String,
    /// Orders in it.
    pub orders: i64,
    /// First order.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub first_at: i64,
    /// Latest order.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub last_at: i64,
    /// The matter its complaints share.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub matter_id: Option<i64>,
    /// The outage notice it is linked to.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub outage_id: Option<i64>,
    /// `open` or `closed`.
    pub status: String,
}

impl IncidentView {
    /// The view of row `i`.
    pub fn of(i: IncidentRow) -> IncidentView {
        IncidentView {
            id: i.id,
            company_id: i.company_id,
            community: i.community,
            category: i.category,
            subtype: i.subtype,
            orders: i.orders,
            first_at: i.first_at,
            last_at: i.last_at,
            matter_id: i.matter_id,
            outage_id: i.outage_id,
            status: i.status,
        }
    }
}

/// The incidents of the company `me` works for (group staff: the one asked, or all), newest
/// first; only open ones when `open`.
pub async fn list(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    open: bool,
) -> AppResult<Vec<IncidentView>> {
    if !crate::outages::may_handle(me) {
        return Err(AppError::Forbidden);
    }
    let company = crate::tenancy::visible_company(me, company)?;
    Ok(app
        .store
        .incidents(company, open, 200)
        .await?
        .into_iter()
        .map(IncidentView::of)
        .collect())
}

/// An incident `me` may act on.
async fn visible(app: &App, me: &Actor, id: i64) -> AppResult<IncidentRow> {
    if !crate::outages::may_handle(me) {
        return Err(AppError::Forbidden);
    }
    let i = match app.store.incident(id).await {
        Err(rexian_store::StoreError::NotFound) => return Err(AppError::NotFound),
        r => r?,
    };
    if me.company_id.is_some_and(|c| c != i.company_id) {
        return Err(AppError::NotFound);
    }
    Ok(i)
}

/// Links incident `id` to an outage notice of its company.
pub async fn link(app: &App, me: &Actor, id: i64, outage: i64) -> AppResult<IncidentView> {
    let i = visible(app, me, id).await?;
    let notice = crate::outages::get(app, me, outage)
        .await
        .map_err(|_| AppError::invalid("outage_id", "outage_id names no notice of this company"))?;
    if notice.company_id != i.company_id {
        return Err(AppError::invalid(
            "outage_id",
            "outage_id names no notice of this company",
        ));
    }
    app.store.link_incident(id, outage).await?;
    Ok(IncidentView::of(app.store.incident(id).await?))
}

/// What closing an incident did.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Closed {
    /// The incident, closed.
    pub incident: IncidentView,
    /// Its new orders answered at once with the one answer (each its own `closed` event).
    pub closed_orders: usize,
}

/// Closes incident `id`: every order of it still new is answered at once with `answer` (the
/// order's own close step and event; callbacks follow each order's policy), then the incident
/// is closed. Orders already with a unit go on as they are.
pub async fn close(app: &App, me: &Actor, id: i64, answer: String) -> AppResult<Closed> {
    let i = visible(app, me, id).await?;
    if i.status != "open" {
        return Err(AppError::InvalidTransition(
            "the incident is closed already".into(),
        ));
    }
    let answer = crate::text::required("answer", answer, 2000)?;
    let mut closed_orders = 0;
    for order in app.store.incident_new_orders(id).await? {
        let input = crate::steps::StepInput {
            reason: Some(answer.clone()),
            ..Default::default()
        };
        match crate::steps::take(app, me, order, "close", None, input).await {
            Ok(_) => closed_orders += 1,
            // Taken meanwhile by someone else: it goes on as it is.
            Err(AppError::InvalidTransition(_)) => {}
            Err(e) => return Err(e),
        }
    }
    app.store
        .close_incident(id, app.now_ms())
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => {
                AppError::InvalidTransition("the incident is closed already".into())
            }
            e => e.into(),
        })?;
    Ok(Closed {
        incident: IncidentView::of(app.store.incident(id).await?),
        closed_orders,
    })
}
