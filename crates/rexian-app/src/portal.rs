//! The customer self-service portal (api-v1 "Customer self-service", issue 20): a demand
//! submitted without login (channel `web`), tracking by number and phone, a phone verification
//! code when the company asks for one, and signed single-use links a customer answers a
//! callback with. Nothing internal (staff, units, notes) leaves here.
//!
//! Links and codes are random and only their SHA-256 is stored: a copy of the database opens
//! no link and reveals no code, there is no signing key to keep or rotate, and single use needs
//! the row anyway. What is sent to the customer (the code, the link) is written as a message in
//! the same transaction, for the notifier's outbox to send.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rand::Rng;
use rexian_domain::model::{Category, Role};
use rexian_domain::portal::{self as rules, CodeCheck, LinkState, PortalRules};
use rexian_store::org::Company;
use rexian_store::portal::{NewCode, NewLink, NewMessage};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::from_ms;
use crate::intake::{self, CustomerFields, Intake, NewOrderInput};
use crate::ser::{self, Id};
use crate::session::random_secret;
use crate::steps::StepInput;
use crate::tenancy::company_policy;
use crate::text::{clean, phone};
use crate::{Actor, App, AppError, AppResult};

/// The customer of a demand.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicCustomer {
    /// Name.
    #[schemars(length(max = 100))]
    pub name: Option<String>,
    /// Phone (required: the demand is tracked with it).
    #[schemars(length(max = 20))]
    pub phone: Option<String>,
    /// Address.
    #[schemars(length(max = 300))]
    pub address: Option<String>,
}

/// A demand submitted on the portal.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicOrder {
    /// The company.
    pub company_id: Id,
    /// Category.
    #[schemars(with = "rexian_domain::model::Category")]
    pub category: String,
    /// What is wrong.
    #[schemars(length(max = 4000))]
    pub description: String,
    /// The customer.
    #[serde(default)]
    pub customer: PublicCustomer,
    /// The verification code sent to the phone (when the company asks for one).
    pub code: Option<String>,
}

/// The answer to a demand.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Submitted {
    /// The order number the customer tracks it by.
    pub number: String,
}

/// A demand after its checks: the company's rules and the phone the limits count.
#[derive(Debug)]
pub struct Checked {
    /// The company.
    pub company: Company,
    /// Its portal rules.
    pub rules: PortalRules,
    /// The phone, normalised.
    pub phone: String,
    input: PublicOrder,
}

/// The company `id` names (an `invalid_input` on `field` otherwise) and its portal rules.
pub async fn company_rules(app: &App, field: &str, id: i64) -> AppResult<(Company, PortalRules)> {
    let company = app
        .store
        .company(id)
        .await
        .map_err(|_| AppError::invalid(field, format!("{field} names no company")))?;
    let policy = company_policy(&company)?;
    Ok((company, PortalRules::of(&policy)))
}

/// Checks a demand's fields (each error names its field) before the limits count it.
pub async fn check(app: &App, b: PublicOrder) -> AppResult<Checked> {
    let (company, rules) = company_rules(app, "company_id", b.company_id.0).await?;
    Category::from_str(&b.category).map_err(|e| AppError::invalid("category", e.to_string()))?;
    clean("description", Some(b.description.clone()), 4000)?
        .ok_or_else(|| AppError::invalid("description", "description is required"))?;
    clean("customer.name", b.customer.name.clone(), 100)?;
    clean("customer.address", b.customer.address.clone(), 300)?;
    let phone = phone("customer.phone", b.customer.phone.clone())?
        .ok_or_else(|| AppError::invalid("customer.phone", "customer.phone is required"))?;
    Ok(Checked {
        company,
        rules,
        phone,
        input: b,
    })
}

/// Takes a checked demand (the limits have counted it): with the company's verification on,
/// its code first; then the order, channel `web`, taken by the portal's service user.
pub async fn submit(app: &App, c: Checked) -> AppResult<Submitted> {
    if c.rules.verify_phone {
        let code = c
            .input
            .code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AppError::invalid("code", "a verification code is required"))?;
        use_code(app, c.company.id, &c.phone, code).await?;
    }
    let me = portal_actor(app, &c.company).await?;
    let b = c.input;
    let mut input = NewOrderInput::new(c.company.id, &b.category, "web", &b.description);
    input.customer = CustomerFields {
        name: b.customer.name,
        phone: Some(c.phone),
        address: b.customer.address,
        ..CustomerFields::default()
    };
    match intake::create(app, &me, input, None).await? {
        Intake::Created(created) => Ok(Submitted {
            number: created.order.summary.number.clone(),
        }),
        Intake::Replayed(_) => Err(AppError::Internal(anyhow::anyhow!(
            "a replay without a key"
        ))),
    }
}

/// The portal's service user of `company` as an actor: it takes demands and records the
/// answers of links; nobody signs in as it.
async fn portal_actor(app: &App, company: &Company) -> AppResult<Actor> {
    let login = format!("portal.{}", company.id);
    let id = app
        .store
        .portal_user(company.id, &login, "网上自助", "!", app.now_ms())
        .await?;
    Ok(Actor {
        id,
        roles: vec![Role::Agent, Role::CallbackAgent],
        company_id: Some(company.id),
        unit_id: None,
    })
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Checks a code entered for `phone` and spends it when good.
async fn use_code(app: &App, company: i64, phone: &str, entered: &str) -> AppResult<()> {
    let now = app.now_ms();
    let bad = || AppError::invalid("code", "the verification code is wrong or expired");
    let Some(code) = app.store.latest_portal_code(company, phone).await? else {
        return Err(bad());
    };
    let ok = same(&digest(&[&code.salt, entered]), &code.code_hash);
    match rules::check_code(
        ok,
        code.expires_at,
        code.attempts,
        code.used_at.is_some(),
        now,
    ) {
        CodeCheck::Good if app.store.mark_portal_code(code.id, true, now).await? => Ok(()),
        CodeCheck::Wrong => {
            app.store.mark_portal_code(code.id, false, now).await?;
            Err(bad())
        }
        _ => Err(bad()),
    }
}

/// `POST /api/v1/public/verify` body.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyInput {
    /// The company.
    pub company_id: Id,
    /// The phone to send the code to.
    #[schemars(length(max = 20))]
    pub phone: String,
}

/// A code was sent.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct CodeSent {
    /// Until when the code may be used.
    #[serde(serialize_with = "ser::time")]
    #[schemars(with = "ser::Rfc3339")]
    pub expires_at: i64,
}

/// Checks a request for a code: the company must ask for codes; the phone normalised.
pub async fn check_verify(app: &App, b: &VerifyInput) -> AppResult<(Company, PortalRules, String)> {
    let (company, rules) = company_rules(app, "company_id", b.company_id.0).await?;
    let phone = phone("phone", Some(b.phone.clone()))?
        .ok_or_else(|| AppError::invalid("phone", "phone is required"))?;
    if !rules.verify_phone {
        let m = "this company takes demands without a verification code";
        return Err(AppError::invalid("company_id", m));
    }
    Ok((company, rules, phone))
}

/// Issues a code for `phone` (the limits have counted it): stored hashed, its message written
/// for the sender.
pub async fn issue_code(app: &App, company: &Company, phone: &str) -> AppResult<CodeSent> {
    let now = app.now_ms();
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000u32));
    let salt = random_secret();
    let expires_at = now + rules::CODE_MINUTES * 60_000;
    let message = NewMessage {
        company_id: company.id,
        phone: phone.to_owned(),
        template: "portal_code".into(),
        params: serde_json::json!({"code": code, "minutes": rules::CODE_MINUTES}),
        order_id: None,
        created_at: now,
    };
    let hash = digest(&[&salt, &code]);
    let new = NewCode {
        company_id: company.id,
        phone: phone.to_owned(),
        code_hash: hash,
        salt,
        created_at: now,
        expires_at,
    };
    app.store.create_portal_code(&new, &message).await?;
    Ok(CodeSent { expires_at })
}

/// A step of an order as the customer is told it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct CustomerStep {
    /// When.
    #[serde(serialize_with = "ser::time")]
    #[schemars(with = "ser::Rfc3339")]
    pub at: i64,
    /// What happened: a key of the portal's words (`received`, `dispatched`, `handling`,
    /// `arrived`, `replied`, `callback`, `closed`, …); the server says it in words.
    pub what: String,
}

/// An order as its customer sees it.
#[derive(Debug, Clone)]
pub struct Tracking {
    /// Number.
    pub number: String,
    /// Status.
    pub status: String,
    /// Its steps, oldest first.
    pub steps: Vec<CustomerStep>,
}

/// The order `number` when `phone` is its customer's; `NotFound` the same way otherwise (one
/// query either way, the phone compared in constant time).
pub async fn track(app: &App, number: &str, phone_given: Option<String>) -> AppResult<Tracking> {
    let phone = phone("phone", phone_given)?
        .ok_or_else(|| AppError::invalid("phone", "phone is required"))?;
    if number.chars().count() > 40 {
        return Err(AppError::NotFound);
    }
    let t = app.store.tracked(number).await?;
    let ok = match &t {
        Some(t) => same(t.phone.as_deref().unwrap_or(""), &phone),
        None => same("", &phone),
    };
    let Some(t) = t.filter(|_| ok) else {
        return Err(AppError::NotFound);
    };
    let full = app.store.order_full(t.id).await?;
    let mut steps: Vec<CustomerStep> = Vec::new();
    for e in &full.events {
        let Some(what) = rules::customer_step(&e.kind) else {
            continue;
        };
        if steps.last().is_some_and(|s| s.what == what) {
            continue;
        }
        steps.push(CustomerStep {
            at: e.at,
            what: what.to_owned(),
        });
    }
    Ok(Tracking {
        number: full.order.number,
        status: full.order.status,
        steps,
    })
}

/// `POST /api/v1/orders/{id}/portal_link` body.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// `callback` (the default): the customer answers the callback (satisfaction).
    #[schemars(extend("enum" = ["callback", null]))]
    pub purpose: Option<String>,
    /// Days the link lives (1–30, default 7).
    #[schemars(range(min = 1, max = 30))]
    pub days: Option<i64>,
}

/// A link made.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct LinkMade {
    /// The link's path (`/p/s/{token}`); the server makes it a URL.
    pub url: String,
    /// Until when it may be answered.
    #[serde(serialize_with = "ser::time")]
    #[schemars(with = "ser::Rfc3339")]
    pub expires_at: i64,
}

/// Statuses in which a customer may answer a callback.
const ANSWERABLE: [&str; 3] = ["replied", "reviewed", "callback"];

/// Makes a link for the customer of order `id` to answer its callback; the message carrying
/// it is written for the sender. `base` is prefixed to the link's path.
pub async fn make_link(
    app: &App,
    me: &Actor,
    id: i64,
    b: LinkInput,
    base: &str,
) -> AppResult<LinkMade> {
    let full = crate::orders::visible(app, me, id).await?;
    let purpose = match b.purpose.as_deref() {
        None | Some("callback") => "callback",
        Some(p) => {
            return Err(AppError::invalid(
                "purpose",
                format!("purpose must be callback, got {p:?}"),
            ))
        }
    };
    let days = b.days.unwrap_or(rules::LINK_DAYS);
    if !(1..=30).contains(&days) {
        return Err(AppError::invalid("days", "days must be 1 to 30"));
    }
    if !ANSWERABLE.contains(&full.order.status.as_str()) {
        return Err(AppError::InvalidTransition(
            "a callback link is for a replied order".into(),
        ));
    }
    let token = random_secret();
    let now = app.now_ms();
    let expires_at = now + days * 86_400_000;
    let url = format!("{base}/p/s/{token}");
    let o = &full.order;
    let message = o.customer_phone.clone().map(|phone| NewMessage {
        company_id: o.company_id,
        phone,
        template: "portal_link".into(),
        params: serde_json::json!({"url": url, "number": o.number, "expires_at": ser::rfc3339(expires_at)}),
        order_id: Some(o.id),
        created_at: now,
    });
    let link = NewLink {
        company_id: o.company_id,
        order_id: o.id,
        token_hash: digest(&[&token]),
        purpose: purpose.into(),
        created_by: me.id,
        created_at: now,
        expires_at,
        message,
    };
    app.store.create_portal_link(&link).await?;
    Ok(LinkMade { url, expires_at })
}

/// A link as its page shows it.
#[derive(Debug, Clone)]
pub struct LinkView {
    /// Open, answered or expired.
    pub state: LinkState,
    /// The order's number.
    pub number: String,
}

async fn link_of(app: &App, token: &str) -> AppResult<rexian_store::portal::PortalLink> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    app.store
        .portal_link(&digest(&[token]))
        .await?
        .ok_or(AppError::NotFound)
}

/// The link of `token` (`NotFound` for none).
pub async fn link(app: &App, token: &str) -> AppResult<LinkView> {
    let l = link_of(app, token).await?;
    let o = app.store.order(l.order_id).await?;
    Ok(LinkView {
        state: rules::link_state(l.expires_at, l.used_at, app.now_ms()),
        number: o.number,
    })
}

/// The customer's answer on a link.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LinkAnswer {
    /// `satisfied`, `basic` or `unsatisfied`.
    pub satisfaction: Option<String>,
    /// Whether the matter was handled as the reply says (`yes`/`no`).
    pub matches_reply: Option<String>,
    /// A word of the customer's.
    pub note: Option<String>,
}

/// Answers the link of `token` once: the answer is the order's callback event, reached, with
/// the customer's satisfaction. A second answer finds it answered; a late one, expired.
pub async fn answer(app: &App, token: &str, a: LinkAnswer) -> AppResult<LinkState> {
    let l = link_of(app, token).await?;
    let now = app.now_ms();
    let state = rules::link_state(l.expires_at, l.used_at, now);
    if state != LinkState::Open {
        return Ok(state);
    }
    let satisfaction = a
        .satisfaction
        .filter(|s| ["satisfied", "basic", "unsatisfied"].contains(&s.as_str()))
        .ok_or_else(|| AppError::invalid("satisfaction", "choose how satisfied you are"))?;
    let matches_reply = match a.matches_reply.as_deref() {
        None | Some("") => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(_) => return Err(AppError::invalid("matches_reply", "yes or no")),
    };
    let note = clean("note", a.note, 500)?;
    if !app.store.claim_portal_link(l.id, now).await? {
        let again = app.store.portal_link(&digest(&[token])).await?;
        return Ok(again.map_or(LinkState::Expired, |l| {
            rules::link_state(l.expires_at, l.used_at, now)
        }));
    }
    let company = app.store.company(l.company_id).await?;
    let me = portal_actor(app, &company).await?;
    let input = StepInput {
        reached: Some(true),
        satisfaction: Some(satisfaction),
        matches_reply,
        note,
        via_portal: true,
        ..StepInput::default()
    };
    if let Err(e) = crate::steps::take(app, &me, l.order_id, "callbacks", None, input).await {
        app.store.release_portal_link(l.id, app.now_ms()).await?;
        return Err(e);
    }
    Ok(LinkState::Answered)
}

/// A message waiting for the sender, as the tests and the notifier read it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Template (`portal_code`, `portal_link`).
    pub template: String,
    /// Its parameters (`code`, `url`, …).
    pub params: serde_json::Value,
    /// Written at.
    pub at: DateTime<Utc>,
}

/// The newest messages written for `phone` of `company` (at most 20), newest first.
pub async fn messages(app: &App, company: i64, phone: &str) -> AppResult<Vec<Outgoing>> {
    Ok(app
        .store
        .portal_messages(company, phone, 20)
        .await?
        .into_iter()
        .map(|m| Outgoing {
            template: m.template,
            params: m.params,
            at: from_ms(m.created_at),
        })
        .collect())
}

/// Every company as the portal's chooser lists it: id and name.
pub async fn companies(app: &App) -> AppResult<Vec<(i64, String)>> {
    Ok(app
        .store
        .companies()
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}
