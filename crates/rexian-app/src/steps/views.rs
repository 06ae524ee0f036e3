//! What is read around the steps: the order's detail, its page (with the steps the user may
//! take now), its supervision notices and its callback form (回访单).

use rexian_domain::lifecycle::{with_unit, Step};
use rexian_domain::model::Role;
use rexian_domain::workflow::{self, Env, Running};
use rexian_store::orders::{EventRow, OrderFull};
use rexian_store::org::{Company, Unit, User};
use rexian_store::photos::PhotoRow;
use serde::Serialize;
use serde_json::Value;

use super::may_take;
use crate::clock::from_ms;
use crate::order_state::{pending_suspension, running_limits, state_of};
use crate::orders::{customer_shown, open, visible, CustomerShown, OrderView};
use crate::org::parse_roles;
use crate::personal::shown;
use crate::ser;
use crate::tenancy::company_policy;
use crate::{Actor, App, AppError, AppResult};

/// `GET /orders/{id}`: the order as `me` may see it (the view of personal data is logged).
pub async fn detail(app: &App, me: &Actor, id: i64) -> AppResult<OrderView> {
    let (full, _) = open(app, me, id).await?;
    let mut v = OrderView::of(me, &full, app.now_ms());
    crate::water::fill(app, &mut v).await?;
    Ok(v)
}

/// The steps the order page may offer, in the order its forms appear.
pub const FORM_STEPS: &[&str] = &[
    "dispatch",
    "accept",
    "assign",
    "arrive",
    "reply",
    "review",
    "callbacks",
    "close",
    "extensions",
    "return",
    "transfer",
    "suspend_request",
    "suspend",
    "suspend_refuse",
    "resume",
    "reopen",
    "cancel",
];

/// The domain step used to ask whether a form makes sense now (ids do not matter for that).
fn trial(step: &str) -> Option<Step> {
    Some(match step {
        "dispatch" => Step::Dispatch { unit: 0 },
        "transfer" => Step::Transfer { unit: 0 },
        "accept" => Step::Accept,
        "return" => Step::Return,
        "arrive" => Step::Arrive,
        "reply" => Step::Reply,
        "review" => Step::Review { approved: true },
        "callbacks" => Step::Callback {
            reached: false,
            contradicts: false,
        },
        "close" => Step::Close,
        "cancel" => Step::Cancel,
        "reopen" => Step::Reopen,
        "suspend" | "suspend_request" => Step::Suspend,
        "resume" => Step::Resume,
        "extensions" => Step::ExtensionAsk,
        _ => return None,
    })
}

/// The steps of [`FORM_STEPS`] `me` may take on the order now (role, then the workflow).
pub fn allowed_steps(
    app: &App,
    me: &Actor,
    full: &OrderFull,
    company: &Company,
) -> AppResult<Vec<String>> {
    let policy = company_policy(company)?;
    let state = state_of(full, company)?;
    let env = Env {
        policy: &policy,
        calendar: &app.calendar,
        offset: company.offset(),
        now: app.clock.now(),
    };
    let now_possible = |step: &str| match step {
        "assign" => with_unit(state.status),
        // Arrived once in this dispatch: the reply is what comes next.
        "arrive" if state.arrived => false,
        "suspend_refuse" => pending_suspension(full).is_some(),
        other => trial(other).is_some_and(|t| workflow::apply(&state, &t, &env, None).is_ok()),
    };
    Ok(FORM_STEPS
        .iter()
        .filter(|s| may_take(me, s) && now_possible(s))
        .map(|s| (*s).to_owned())
        .collect())
}

/// Everything the order page shows.
pub struct OrderPage {
    /// The order.
    pub full: OrderFull,
    /// Its customer as the user may see them.
    pub customer: CustomerShown,
    /// Its company.
    pub company: Company,
    /// The company's units.
    pub units: Vec<Unit>,
    /// The company's staff.
    pub users: Vec<User>,
    /// The order's photos.
    pub photos: Vec<PhotoRow>,
    /// The steps the user may take now ([`allowed_steps`]).
    pub steps: Vec<String>,
    /// The limits still counting (what an extension may be for).
    pub running: Vec<Running>,
    /// Published outage notices covering the order's place, while it is open.
    pub outages: Vec<crate::outages::PublicNotice>,
    /// The mass incident the order belongs to.
    pub incident: Option<crate::incidents::IncidentView>,
}

impl OrderPage {
    /// The limits still counting, for the page's countdown badge.
    pub fn limits(&self) -> Vec<crate::worklist::Limit> {
        crate::worklist::Limit::running(&self.full)
    }

    /// The units an order may be dispatched to: any of the company's but the centre itself.
    pub fn dispatch_units(&self) -> impl Iterator<Item = &Unit> {
        self.units.iter().filter(|x| x.kind != "centre")
    }

    /// The active field workers of the unit holding the order: whom it may be assigned to.
    pub fn workers(&self) -> impl Iterator<Item = &User> {
        let unit = self.full.order.unit_id;
        self.users.iter().filter(move |x| {
            !x.disabled
                && x.unit_id.is_some()
                && x.unit_id == unit
                && parse_roles(&x.roles).contains(&Role::FieldWorker)
        })
    }
}

/// Order `id` opened on its page by `me` (the view of personal data is logged).
pub async fn page(app: &App, me: &Actor, id: i64) -> AppResult<OrderPage> {
    let (full, customer) = open(app, me, id).await?;
    let company = app.store.company(full.order.company_id).await?;
    let steps = allowed_steps(app, me, &full, &company)?;
    let o = &full.order;
    let outages = if matches!(o.status.as_str(), "closed" | "cancelled") {
        Vec::new()
    } else {
        let (community, address) = (
            o.customer_community.as_deref(),
            o.customer_address.as_deref(),
        );
        crate::outages::for_caller(app, company.id, community, address)
            .await?
            .iter()
            .map(crate::outages::PublicNotice::of)
            .collect()
    };
    let incident = match o.incident_id {
        Some(i) => Some(crate::incidents::IncidentView::of(
            app.store.incident(i).await?,
        )),
        None => None,
    };
    Ok(OrderPage {
        outages,
        incident,
        units: app.store.units(Some(company.id)).await?,
        users: app.store.users(Some(company.id)).await?,
        photos: app.store.photos(full.order.id).await?,
        running: running_limits(&full),
        steps,
        customer,
        company,
        full,
    })
}

/// A supervision notice of an order.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct NoticeView {
    /// The limit's kind.
    pub deadline: String,
    /// The level reached.
    pub level: i64,
    /// Whom the level reaches (`handler`, `head`, `unit`, `company`, …).
    pub to: &'static str,
    /// The unit it reaches.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub unit_id: Option<i64>,
    /// When the level was reached.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
    /// Reminders at the top level.
    pub reminders: i64,
    /// The last reminder.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub reminded_at: Option<i64>,
}

/// The supervision notices of an order.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Notices {
    /// By level.
    pub items: Vec<NoticeView>,
}

/// The supervision notices of order `id`, by level, with who each level reaches (the
/// deadline's unit handler and head, then up its chain, the company at the top).
pub async fn supervision(app: &App, me: &Actor, id: i64) -> AppResult<Notices> {
    let full = visible(app, me, id).await?;
    let notices = app.store.supervision_notices_full(full.order.id).await?;
    let mut items = Vec::new();
    for n in notices {
        let mut chain = Vec::new();
        let mut cur = n.unit_id;
        while let Some(u) = cur {
            if chain.len() > 16 {
                break;
            }
            chain.push(u);
            cur = app.store.unit(u).await.ok().and_then(|x| x.parent_id);
        }
        let (to, unit_id) =
            workflow::supervision_target(&chain, n.level.max(0) as u32).unwrap_or(("", None));
        items.push(NoticeView {
            deadline: n.deadline,
            level: n.level,
            to,
            unit_id,
            at: n.at,
            reminders: n.reminders,
            reminded_at: n.reminded_at,
        });
    }
    Ok(Notices { items })
}

/// The callback form (回访单, `000:附件`) of an order's latest callback.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct CallbackForm {
    pub company: String,
    pub form_number: String,
    pub customer: Option<String>,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
    pub customer_head: Option<String>,
    pub customer_head_phone: Option<String>,
    pub address: Option<String>,
    /// Local time of the callback, `YYYY-MM-DD HH:MM`.
    pub time: String,
    pub method: String,
    pub content: String,
    pub demand: String,
    pub handling_and_result: Option<String>,
    pub remaining_issues: Option<String>,
    pub customer_opinion: Option<String>,
    pub satisfaction: Option<String>,
    pub customer_signature: Option<String>,
    pub callback_staff: Option<String>,
    /// Signed on paper.
    pub department_head: Option<String>,
}

fn data(e: &EventRow) -> Value {
    serde_json::from_str(&e.data).unwrap_or(Value::Null)
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// The callback form of order `id`'s latest callback, every field of the seed's form.
pub async fn callback_form(app: &App, me: &Actor, id: i64) -> AppResult<CallbackForm> {
    let full = visible(app, me, id).await?;
    let o = &full.order;
    let company = app.store.company(o.company_id).await?;
    let callbacks: Vec<&EventRow> = full
        .events
        .iter()
        .filter(|e| {
            matches!(e.kind.as_str(), "callback" | "reopened") && data(e)["reached"].is_boolean()
        })
        .collect();
    let last = callbacks.last().ok_or(AppError::NotFound)?;
    let cb = data(last);
    let form = &cb["form"];
    let reply = full
        .events
        .iter()
        .rev()
        .find(|e| e.kind == "replied")
        .map(data);
    let agent = match last.actor_id {
        Some(a) => app.store.user(a).await.ok().map(|u| u.name),
        None => None,
    };
    let customer = customer_shown(me, o);
    if customer.is_personal() {
        shown("callback_form", Some(o.id));
    }
    let time = from_ms(last.at).with_timezone(&company.offset());
    Ok(CallbackForm {
        company: company.name,
        form_number: format!("{}-HF{}", o.number, callbacks.len()),
        contact_person: text(&form["contact_person"]).or_else(|| customer.name.clone()),
        customer: customer.name,
        contact_phone: customer.phone,
        customer_head: text(&form["customer_head"]),
        customer_head_phone: text(&form["customer_head_phone"]),
        address: customer.address,
        time: time.format("%Y-%m-%d %H:%M").to_string(),
        method: text(&form["method"]).unwrap_or_else(|| "phone".into()),
        content: text(&form["content"]).unwrap_or_else(|| format!("{} 处理情况回访", o.number)),
        demand: o.description.clone(),
        handling_and_result: reply.and_then(|r| text(&r["result"])),
        remaining_issues: text(&form["remaining_issues"]),
        customer_opinion: text(&form["customer_opinion"]),
        satisfaction: text(&cb["satisfaction"]),
        customer_signature: text(&form["customer_signature"]),
        callback_staff: agent,
        department_head: None,
    })
}
