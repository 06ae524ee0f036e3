//! Order intake (受理): an agent records a demand of a call as a new order, or closes it at once
//! when it was answered on the call. A complaint joins a matter (the one named, the proposed
//! match, or a new one) and takes its grade. With an idempotency key the answer is stored in the
//! transaction that creates the order, so that a retry, even after a crash, gets the same order.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Utc};
use rexian_domain::model::{Category, Channel, Grade, Role, Status};
use rexian_domain::workflow::{self, Env, OrderState};
use rexian_domain::Policy;
use rexian_store::orders::{
    Idempotency, IdempotentAnswer, NewContact, NewEvent, NewOrder, OrderRow,
};
use rexian_store::org::Company;
use rexian_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::customers::CustomerView;
use crate::order_state::{season_start, to_changes};
use crate::orders::{ListInput, OrderSummary, OrderView};
use crate::ser::Id;
use crate::tenancy::{company_for, company_policy};
use crate::text::{clean, phone};
use crate::{Actor, App, AppError, AppResult};

/// The customer fields of an intake.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerFields {
    /// Name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Community (小区).
    pub community: Option<String>,
    /// Account number.
    pub account_no: Option<String>,
}

/// `{answer}` of an order answered at once.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtOnce {
    /// The answer given on the call.
    pub answer: String,
    /// The outage notice the call was answered with (linked and counted).
    pub outage_id: Option<Id>,
}

/// A new order as the agent gives it (`POST /api/v1/orders`).
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrderInput {
    /// The company.
    pub company_id: Id,
    /// Category.
    #[schemars(with = "rexian_domain::model::Category")]
    pub category: String,
    /// Subtype of the company's policy.
    pub subtype: Option<String>,
    /// Channel.
    #[schemars(with = "rexian_domain::model::Channel")]
    pub channel: String,
    /// What the customer said.
    pub description: String,
    /// The customer.
    #[serde(default)]
    pub customer: CustomerFields,
    /// An anonymous complaint or report.
    #[serde(default)]
    pub anonymous: bool,
    /// `required` (default) or `declined`.
    #[schemars(extend("enum" = ["required", "declined", null]))]
    pub callback: Option<String>,
    /// How many complained together (default 1).
    pub complainants: Option<i64>,
    /// The media reported it.
    #[serde(default)]
    pub media_exposed: bool,
    /// A lawsuit was threatened or filed.
    #[serde(default)]
    pub lawsuit: bool,
    /// The matter a complaint joins (else the proposed match or a new one).
    pub matter_id: Option<Id>,
    /// Answered on the call: the order is closed at once.
    pub resolved_at_once: Option<AtOnce>,
    /// Another demand of the same call: its contact.
    pub contact_id: Option<Id>,
    /// 约时回访: the time the customer asked to be called back.
    pub callback_at: Option<DateTime<Utc>>,
    /// The order during whose callback this new demand was raised.
    pub linked_order_id: Option<Id>,
    /// An anonymous complainant agrees that the worker on site sees their contact.
    #[serde(default)]
    pub onsite_consent: bool,
}

impl NewOrderInput {
    /// An intake of `company_id` with everything else left to its default.
    pub fn new(company_id: i64, category: &str, channel: &str, description: &str) -> Self {
        NewOrderInput {
            company_id: Id(company_id),
            category: category.to_owned(),
            subtype: None,
            channel: channel.to_owned(),
            description: description.to_owned(),
            customer: CustomerFields::default(),
            anonymous: false,
            callback: None,
            complainants: None,
            media_exposed: false,
            lawsuit: false,
            matter_id: None,
            resolved_at_once: None,
            contact_id: None,
            callback_at: None,
            linked_order_id: None,
            onsite_consent: false,
        }
    }
}

/// The idempotency key of an intake and the fingerprint of its request.
#[derive(Debug, Clone)]
pub struct Key {
    /// The key (its form is checked by the caller).
    pub key: String,
    /// The request's fingerprint, compared when the key comes again (None: not compared).
    pub request_hash: Option<String>,
}

/// What an intake answered.
#[derive(Debug)]
pub enum Intake {
    /// A new order, as the agent sees it, with the notices covering the caller.
    Created(Box<Created>),
    /// The key was answered before (a retry, or a request with the same key that won a race).
    Replayed(Replay),
}

/// A new order and the published outage notices covering the caller's community or address
/// (what the agent tells the caller).
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
#[schemars(rename = "OrderCreated")]
pub struct Created {
    /// The order.
    #[serde(flatten)]
    pub order: OrderView,
    /// The notices.
    pub outages: Vec<crate::outages::Told>,
}

/// The answer kept under an idempotency key.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The answer as stored: status, body and the fingerprint of the request it answered.
    pub answer: IdempotentAnswer,
    /// The order it created, when the answer names one.
    pub order_id: Option<i64>,
}

/// Who takes calls: the roles that may create orders.
pub const TAKERS: &[Role] = &[Role::Agent, Role::Dispatcher, Role::Supervisor, Role::Admin];

/// The answer stored under `key` by an earlier request of `me`, if any.
pub async fn answered(app: &App, me: &Actor, key: &str) -> AppResult<Option<Replay>> {
    #[derive(schemars::JsonSchema, Deserialize)]
    struct Named {
        id: Id,
    }
    Ok(app
        .store
        .idempotent_answer(me.id, key)
        .await?
        .map(|answer| {
            let order_id = serde_json::from_str::<Named>(&answer.body)
                .ok()
                .map(|n| n.id.0);
            Replay { answer, order_id }
        }))
}

/// Checks an intake and stores the order (closed at once when answered on the call), in one
/// transaction with its contact, first events, limits, its matter's counts and, with `key`, the
/// answer kept under the key.
pub async fn create(
    app: &App,
    me: &Actor,
    input: NewOrderInput,
    key: Option<Key>,
) -> AppResult<Intake> {
    if !TAKERS.iter().any(|r| me.has(*r)) {
        return Err(AppError::Forbidden);
    }
    let company = company_for(app, me, "company_id", input.company_id.0).await?;
    let policy = company_policy(&company)?;
    let mut c = check(&policy, input)?;
    references(app, &company, &mut c).await?;
    let now = app.clock.now();
    if c.category == Category::Complaint && c.matter_id.is_none() {
        // Complaints of one mass incident share its matter.
        c.matter_id = crate::incidents::matter_of(
            app,
            &policy,
            company.id,
            c.customer.community.as_deref(),
            c.category.as_str(),
            c.subtype.as_deref(),
        )
        .await?;
    }
    if c.category == Category::Complaint && c.matter_id.is_none() {
        let m = crate::matters::propose_or_create(
            app,
            &company,
            c.subtype.as_deref(),
            c.customer.community.as_deref(),
            &c.description,
            now,
        );
        c.matter_id = Some(m.await?);
    }
    let told = crate::outages::told(
        app,
        company.id,
        c.customer.community.as_deref(),
        c.customer.address.as_deref(),
        c.outage_id,
    )
    .await?;
    let new = decide(app, me, &company, &policy, c, now).await?;
    write(app, me, new, key, told, crate::clock::ms(now)).await
}

/// The caller's customer fields, checked.
#[derive(Debug, Default)]
struct Customer {
    name: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    community: Option<String>,
    account_no: Option<String>,
}

/// An intake after its checks.
#[derive(Debug)]
struct Checked {
    category: Category,
    channel: Channel,
    subtype: Option<String>,
    description: String,
    callback_declined: bool,
    complainants: i64,
    answer: Option<String>,
    /// The notice the call was answered with.
    outage_id: Option<i64>,
    customer: Customer,
    anonymous: bool,
    media_exposed: bool,
    lawsuit: bool,
    onsite_consent: bool,
    callback_at: Option<DateTime<Utc>>,
    contact_id: Option<i64>,
    /// A complaint's matter (none for other categories).
    matter_id: Option<i64>,
    linked_order_id: Option<i64>,
}

impl Checked {
    /// New, or closed when answered at once.
    fn status(&self) -> Status {
        if self.answer.is_some() {
            Status::Closed
        } else {
            Status::New
        }
    }
}

/// The fields of an intake, checked in the order their errors are named.
fn check(policy: &Policy, b: NewOrderInput) -> AppResult<Checked> {
    let category = Category::from_str(&b.category)
        .map_err(|e| AppError::invalid("category", e.to_string()))?;
    let channel =
        Channel::from_str(&b.channel).map_err(|e| AppError::invalid("channel", e.to_string()))?;
    let subtype = clean("subtype", b.subtype, 40)?;
    if let Some(s) = &subtype {
        if !policy.knows_subtype(category, s) {
            return Err(AppError::invalid(
                "subtype",
                format!("the policy has no subtype {s:?} for {category}"),
            ));
        }
    }
    let description = clean("description", Some(b.description), 4000)?
        .ok_or_else(|| AppError::invalid("description", "description must not be empty"))?;
    let callback_declined = match b.callback.as_deref() {
        None | Some("required") => false,
        Some("declined") => true,
        Some(other) => {
            return Err(AppError::invalid(
                "callback",
                format!("callback must be required or declined, got {other:?}"),
            ))
        }
    };
    let complainants = b.complainants.unwrap_or(1);
    if !(1..=100_000).contains(&complainants) {
        let m = "complainants must be at least 1";
        return Err(AppError::invalid("complainants", m));
    }
    if b.anonymous && category != Category::Complaint && category != Category::Report {
        let m = "only complaints and reports may be anonymous";
        return Err(AppError::invalid("anonymous", m));
    }
    let (answer, outage_id) = match b.resolved_at_once {
        Some(a) => (
            Some(
                clean("resolved_at_once.answer", Some(a.answer), 4000)?.ok_or_else(|| {
                    AppError::invalid("resolved_at_once.answer", "give the answer")
                })?,
            ),
            a.outage_id.map(|i| i.0),
        ),
        None => (None, None),
    };
    Ok(Checked {
        category,
        channel,
        subtype,
        description,
        callback_declined,
        complainants,
        answer,
        outage_id,
        customer: customer(b.customer)?,
        anonymous: b.anonymous,
        media_exposed: b.media_exposed,
        lawsuit: b.lawsuit,
        onsite_consent: b.anonymous && b.onsite_consent,
        callback_at: b.callback_at,
        contact_id: b.contact_id.map(|i| i.0),
        matter_id: b
            .matter_id
            .filter(|_| category == Category::Complaint)
            .map(|i| i.0),
        linked_order_id: b.linked_order_id.map(|i| i.0),
    })
}

/// The customer fields, checked.
fn customer(c: CustomerFields) -> AppResult<Customer> {
    Ok(Customer {
        phone: phone("customer.phone", c.phone)?,
        name: clean("customer.name", c.name, 100)?,
        address: clean("customer.address", c.address, 300)?,
        community: clean("customer.community", c.community, 100)?,
        account_no: clean("customer.account_no", c.account_no, 40)?,
    })
}

/// The contact, matter and linked order an intake names must be the company's; a declined
/// callback takes no appointment.
async fn references(app: &App, company: &Company, c: &mut Checked) -> AppResult<()> {
    if let Some(id) = c.contact_id {
        // Another demand of the same call: the contact must be this company's.
        if app.store.contact_company(id).await? != Some(company.id) {
            let m = "contact_id names no contact of this company";
            return Err(AppError::invalid("contact_id", m));
        }
    }
    if let Some(m) = c.matter_id {
        if !app.store.matter_exists(company.id, m).await? {
            let m = "matter_id names no matter of this company";
            return Err(AppError::invalid("matter_id", m));
        }
    }
    if let Some(l) = c.linked_order_id {
        let linked =
            app.store.order(l).await.map_err(|_| {
                AppError::invalid("linked_order_id", "linked_order_id names no order")
            })?;
        if linked.company_id != company.id {
            let m = "linked order belongs to another company";
            return Err(AppError::invalid("linked_order_id", m));
        }
    }
    if c.callback_at.is_some() && c.callback_declined {
        let m = "a declined callback takes no appointment";
        return Err(AppError::invalid("callback_at", m));
    }
    Ok(())
}

/// The order row of a checked intake (its grade comes from its matter).
fn order_row(me: &Actor, company: &Company, c: &Checked, now_ms: i64) -> OrderRow {
    let resolved = c.answer.is_some();
    let k = &c.customer;
    OrderRow {
        company_id: company.id,
        contact_id: c.contact_id,
        category: c.category.as_str().into(),
        subtype: c.subtype.clone(),
        channel: c.channel.as_str().into(),
        status: c.status().as_str().into(),
        matter_id: c.matter_id,
        first_responder_id: me.id,
        customer_name: k.name.clone(),
        customer_phone: k.phone.clone(),
        customer_address: k.address.clone(),
        customer_community: k.community.clone(),
        account_no: k.account_no.clone(),
        anonymous: c.anonymous,
        description: c.description.clone(),
        callback_pref: if c.callback_declined {
            "declined"
        } else {
            "required"
        }
        .into(),
        complainants: c.complainants,
        media_exposed: c.media_exposed,
        lawsuit: c.lawsuit,
        created_at: now_ms,
        updated_at: now_ms,
        closed_at: resolved.then_some(now_ms),
        callback_at: c.callback_at.map(crate::clock::ms),
        linked_order_id: c.linked_order_id,
        onsite_consent: c.onsite_consent,
        ..Default::default()
    }
}

/// What the intake writes: the order (graded by its matter), its contact when new, its first
/// events and the limits the workflow starts.
async fn decide(
    app: &App,
    me: &Actor,
    company: &Company,
    policy: &Policy,
    c: Checked,
    now: DateTime<Utc>,
) -> AppResult<NewOrder> {
    let now_ms = crate::clock::ms(now);
    let mut row = order_row(me, company, &c, now_ms);
    let matter = match c.matter_id {
        Some(m) => {
            let (g, intake) = crate::matters::join(app, company, m, &row).await?;
            row.grade = Some(i64::from(g.get()));
            Some(intake)
        }
        None => None,
    };
    let state = OrderState {
        status: c.status(),
        category: c.category,
        subtype: c.subtype.clone(),
        grade: row.grade.and_then(|g| Grade::new(g as u8).ok()),
        unit: None,
        callback_declined: c.callback_declined,
        accepted_at: now,
        arrived: false,
        suspended_from: None,
        extension_pending: false,
        attempts: Vec::new(),
        season_start: season_start(company),
    };
    let offset: FixedOffset = company.offset();
    let env = Env {
        policy,
        calendar: &app.calendar,
        offset,
        now,
    };
    let deadlines = to_changes(&workflow::on_create(&state, &env));
    let local_date = now.with_timezone(&offset).date_naive();
    let prefix = company.number_prefix.clone();
    Ok(NewOrder {
        contact: new_contact(me, company, &c, now_ms),
        events: first_events(me.id, &c, row.grade, now_ms),
        row,
        day: local_date.to_string(),
        number_of: Box::new(move |seq| workflow::order_number(&prefix, local_date, seq)),
        deadlines,
        idempotency: None,
        matter,
        incident: crate::incidents::intake(policy, c.customer.community.as_deref(), now_ms),
        outage: c.outage_id,
    })
}

/// The contact of the call, unless the intake is another demand of a recorded one.
fn new_contact(me: &Actor, company: &Company, c: &Checked, now_ms: i64) -> Option<NewContact> {
    c.contact_id.is_none().then(|| NewContact {
        company_id: company.id,
        channel: c.channel.as_str().into(),
        caller_name: c.customer.name.clone(),
        caller_phone: c.customer.phone.clone(),
        summary: c.description.clone(),
        agent_id: me.id,
        at: now_ms,
        dropped: false,
    })
}

/// `created` (and `closed` when answered at once), given the contact's id.
type FirstEvents = Box<dyn FnOnce(Option<i64>) -> Vec<NewEvent> + Send>;

/// The order's first events: `created`, and `closed` when answered at once.
fn first_events(me_id: i64, c: &Checked, grade: Option<i64>, now_ms: i64) -> FirstEvents {
    let id = |v: Option<i64>| v.map(|x| x.to_string());
    let created = json!({"category": c.category, "subtype": c.subtype, "channel": c.channel,
        "matter_id": id(c.matter_id), "grade": grade,
        "linked_order_id": id(c.linked_order_id), "callback_at": c.callback_at});
    let answer = c.answer.clone();
    Box::new(move |contact_id: Option<i64>| {
        let mut data = created;
        data["contact_id"] = json!(id(contact_id));
        let event = |kind: &str, data| NewEvent {
            kind: kind.into(),
            actor_id: Some(me_id),
            at: now_ms,
            data,
        };
        let mut events = vec![event("created", data)];
        if let Some(a) = answer {
            events.push(event("closed", json!({"answered_at_once": a})));
        }
        events
    })
}

/// Stores the order with the answer kept under `key`; a key another request stored first is
/// answered as that request was.
async fn write(
    app: &App,
    me: &Actor,
    mut new: NewOrder,
    key: Option<Key>,
    told: Vec<crate::outages::Told>,
    now_ms: i64,
) -> AppResult<Intake> {
    let name = key.as_ref().map(|k| k.key.clone());
    let told_kept = told.clone();
    new.idempotency = key.map(|k| {
        let viewer = me.clone();
        Idempotency {
            user_id: me.id,
            key: k.key,
            status: 201,
            request_hash: k.request_hash,
            render: Box::new(move |full| {
                let created = Created {
                    order: OrderView::of(&viewer, full, now_ms),
                    outages: told_kept,
                };
                json!(created).to_string()
            }),
        }
    });
    match app.store.create_order(new).await {
        Ok((full, _)) => {
            app.notify(&full.order);
            Ok(Intake::Created(Box::new(Created {
                order: OrderView::of(me, &full, now_ms),
                outages: told,
            })))
        }
        Err(StoreError::Conflict(c)) if c.starts_with("idempotency_keys") => {
            let raced = match &name {
                Some(k) => answered(app, me, k).await?,
                None => None,
            };
            raced
                .map(Intake::Replayed)
                .ok_or_else(|| AppError::Conflict {
                    field: Some("Idempotency-Key".into()),
                    message: "this Idempotency-Key was used by another request".into(),
                })
        }
        Err(e) => Err(e.into()),
    }
}

/// The subtypes `company`'s policy knows for `category` (none for an unknown category).
pub async fn subtypes(
    app: &App,
    me: &Actor,
    company_id: i64,
    category: &str,
) -> AppResult<Vec<String>> {
    let Ok(category) = Category::from_str(category) else {
        return Ok(Vec::new());
    };
    let company = company_for(app, me, "company_id", company_id).await?;
    let policy = company_policy(&company)?;
    Ok(policy.subtypes.get(&category).cloned().unwrap_or_default())
}

/// The offset of `me`'s company from UTC (China's for group staff), for local times.
pub async fn local_offset(app: &App, me: &Actor) -> AppResult<FixedOffset> {
    Ok(match me.company_id {
        Some(c) => company_for(app, me, "company_id", c).await?.offset(),
        None => rexian_domain::policy::china_offset(),
    })
}

/// What the intake screen shows of a caller, found by phone or account number.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct CallerLookup {
    /// The register entries matching (account numbers masked unless `me` verified the caller).
    pub customers: Vec<CustomerView>,
    /// Earlier orders of the customers among them `me` verified, newest first per customer.
    pub orders: Vec<OrderSummary>,
    /// Earlier orders not shown because no customer is verified.
    pub withheld: usize,
}

/// The register entries matching `key`, and the earlier orders of those among them `me`
/// verified (`002:§14(1)`): until then the orders are withheld, and only counted.
pub async fn lookup(app: &App, me: &Actor, key: &str) -> AppResult<CallerLookup> {
    let customers = match crate::customers::find(app, me, None, key, 5).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "intake lookup could not read the customer register");
            Vec::new()
        }
    };
    // Orders by the verified customers' phone (or account), as the customer detail finds them.
    let mut keys: Vec<String> = customers
        .iter()
        .filter(|c| c.verified == Some(true))
        .map(|c| {
            c.phone
                .clone()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| c.account_no.clone())
        })
        .collect();
    keys.dedup();
    let by = |k: &str| ListInput {
        q: Some(k.to_owned()),
        limit: Some("30".into()),
        ..ListInput::default()
    };
    let mut seen = std::collections::HashSet::new();
    let mut orders = Vec::new();
    for k in &keys {
        let found = crate::orders::list(app, me, &by(k)).await?.items;
        orders.extend(found.into_iter().filter(|o| seen.insert(o.id)));
    }
    // Not verified: say that the caller has earlier orders, but not which.
    let withheld = if keys.is_empty() {
        crate::orders::list(app, me, &by(key)).await?.items.len()
    } else {
        0
    };
    Ok(CallerLookup {
        customers,
        orders,
        withheld,
    })
}
