//! Who sees which order and how much of its customer (SPEC §1, §7): the rules every order list,
//! detail, search and step applies, in one place.

use std::str::FromStr;

use rexian_domain::model::{Category, Role, Status};
use rexian_store::orders::{OrderFilter, OrderFull, OrderRow, PersonalMatch};
use serde::{Deserialize, Serialize};

use crate::personal::shown;
use crate::ser::{self, parse_id};
use crate::{Actor, App, AppError, AppResult};

/// Whether the user works in the centre of the order's company (or is a group-wide admin).
pub fn same_company(u: &Actor, company_id: i64) -> bool {
    u.company_id.is_none_or(|c| c == company_id)
}

/// Unit staff (unit handlers and field workers with no role of the centre) see only their
/// unit's orders; everyone sees only their company's.
pub fn unit_staff(u: &Actor) -> bool {
    (u.has(Role::UnitHandler) || u.has(Role::FieldWorker))
        && ![
            Role::Agent,
            Role::Dispatcher,
            Role::CallbackAgent,
            Role::Supervisor,
            Role::Assessor,
            Role::Admin,
        ]
        .iter()
        .any(|r| u.has(*r))
}

/// Field workers (with no other role of a unit or the centre) see only what is assigned to them.
fn field_only(u: &Actor) -> bool {
    unit_staff(u) && !u.has(Role::UnitHandler)
}

/// Whether `u` may see order `o` at all.
pub fn can_see(u: &Actor, o: &OrderRow) -> bool {
    same_company(u, o.company_id)
        && (!unit_staff(u) || (o.unit_id.is_some() && o.unit_id == u.unit_id))
        && (!field_only(u) || o.assignee_id == Some(u.id))
}

/// Narrows an order filter to what the user may see: their company; unit staff their unit;
/// field workers their assigned orders. False when nothing can match.
pub fn scope_filter(me: &Actor, f: &mut OrderFilter) -> bool {
    if let Some(c) = me.company_id {
        if f.company_id.is_some_and(|x| x != c) {
            return false;
        }
        f.company_id = Some(c);
    }
    if field_only(me) {
        f.assignee_id = Some(me.id);
    }
    if unit_staff(me) {
        match me.unit_id {
            Some(u) if f.unit_id.is_none_or(|x| x == u) => f.unit_id = Some(u),
            _ => return false,
        }
    }
    true
}

/// Whether the user sees customers' phones unmasked (the roles that call customers).
fn sees_phone(u: &Actor) -> bool {
    [
        Role::Agent,
        Role::Dispatcher,
        Role::CallbackAgent,
        Role::Supervisor,
        Role::UnitHandler,
        Role::FieldWorker,
    ]
    .iter()
    .any(|r| u.has(*r))
}

fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (&chars[..3], &chars[chars.len() - 4..]);
    format!(
        "{}****{}",
        head.iter().collect::<String>(),
        tail.iter().collect::<String>()
    )
}

/// Which customer columns a search term of this user may match: no more than
/// [`customer_shown`] shows, so that what an answer hides cannot be found by probing (unit
/// staff: not of anonymous complainants, even the consented worker's; masked phones: not the
/// phone).
pub fn personal_match(u: &Actor) -> PersonalMatch {
    if unit_staff(u) {
        PersonalMatch::NotAnonymous
    } else if sees_phone(u) {
        PersonalMatch::All
    } else {
        PersonalMatch::NoPhone
    }
}

/// An order's customer as a user may see it.
#[derive(schemars::JsonSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerShown {
    /// Name.
    pub name: Option<String>,
    /// Phone (masked for roles that do not call customers).
    pub phone: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Community (always: it places the work).
    pub community: Option<String>,
    /// Account number.
    pub account_no: Option<String>,
    /// An anonymous complainant hidden from the unit.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

impl CustomerShown {
    /// Whether it shows any personal data (a name, phone, address or account number).
    pub fn is_personal(&self) -> bool {
        [&self.name, &self.phone, &self.address, &self.account_no]
            .iter()
            .any(|v| v.as_deref().is_some_and(|s| !s.is_empty()))
    }
}

/// The customer of `o` as `u` may see them (SPEC §7): anonymous complainants are hidden from
/// units (`002:§13(4)`, `000:八.5(8)`), but for on-site work the assigned worker sees them with
/// the customer's consent; phones are masked for roles that do not call customers.
pub fn customer_shown(u: &Actor, o: &OrderRow) -> CustomerShown {
    let consented_worker = o.onsite_consent && o.assignee_id == Some(u.id);
    if o.anonymous && unit_staff(u) && !consented_worker {
        return CustomerShown {
            name: None,
            phone: None,
            address: None,
            community: o.customer_community.clone(),
            account_no: None,
            hidden: true,
        };
    }
    CustomerShown {
        name: o.customer_name.clone(),
        phone: o.customer_phone.as_deref().map(|p| {
            if sees_phone(u) {
                p.to_owned()
            } else {
                mask_phone(p)
            }
        }),
        address: o.customer_address.clone(),
        community: o.customer_community.clone(),
        account_no: o.account_no.clone(),
        hidden: false,
    }
}

/// Which roles may take each step; the access table admits the union, this narrows per step.
/// The web console uses it to choose which forms to offer.
pub fn step_roles(step: &str) -> &'static [Role] {
    use Role::*;
    match step {
        "dispatch" | "transfer" => &[Agent, Dispatcher, Supervisor],
        "accept" | "return" | "assign" => &[UnitHandler, Supervisor],
        "arrive" | "reply" => &[UnitHandler, FieldWorker, Supervisor],
        "extensions" => &[UnitHandler, Supervisor],
        "extension_decide" | "suspend" | "resume" | "suspend_refuse" => &[Supervisor],
        "suspend_request" => &[UnitHandler, Supervisor],
        "review" => &[Dispatcher, Supervisor],
        "callbacks" | "callback_appointment" => &[CallbackAgent, Supervisor],
        "unsatisfied_review" => &[Supervisor],
        // The crew on its way and visit appointments (steps::crew).
        "crew" => &[UnitHandler, FieldWorker, Supervisor],
        "appointment" => &[Agent, Dispatcher, UnitHandler, FieldWorker, Supervisor],
        "close" => &[Agent, Dispatcher, CallbackAgent, Supervisor],
        "cancel" | "merge" => &[Agent, Dispatcher, Supervisor],
        "reopen" => &[Agent, Dispatcher, CallbackAgent, Supervisor],
        _ => &[],
    }
}

/// An order in lists, as a user may see it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct OrderSummary {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Number (`GR20260302-0001`).
    pub number: String,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// Category.
    pub category: String,
    /// Subtype.
    pub subtype: Option<String>,
    /// Channel.
    pub channel: String,
    /// Status.
    pub status: String,
    /// Complaint grade.
    pub grade: Option<i64>,
    /// Complaint matter.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub matter_id: Option<i64>,
    /// The unit holding it.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub unit_id: Option<i64>,
    /// Who took the call.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub first_responder_id: i64,
    /// The customer as the user may see them.
    pub customer: CustomerShown,
    /// The field worker it is assigned to.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub assignee_id: Option<i64>,
    /// 约时回访: when the customer asked to be called back.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub callback_at: Option<i64>,
    /// The order during whose callback it was raised.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub linked_order_id: Option<i64>,
    /// An anonymous complainant.
    pub anonymous: bool,
    /// What the customer said.
    pub description: String,
    /// Accepted.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub created_at: i64,
    /// The mass incident it belongs to (SPEC §6).
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub incident_id: Option<i64>,
}

impl OrderSummary {
    /// Order `o` as `u` may see it.
    pub fn of(u: &Actor, o: &OrderRow) -> OrderSummary {
        OrderSummary {
            id: o.id,
            number: o.number.clone(),
            company_id: o.company_id,
            category: o.category.clone(),
            subtype: o.subtype.clone(),
            channel: o.channel.clone(),
            status: o.status.clone(),
            grade: o.grade,
            matter_id: o.matter_id,
            unit_id: o.unit_id,
            first_responder_id: o.first_responder_id,
            customer: customer_shown(u, o),
            assignee_id: o.assignee_id,
            callback_at: o.callback_at,
            linked_order_id: o.linked_order_id,
            anonymous: o.anonymous,
            description: o.description.clone(),
            created_at: o.created_at,
            incident_id: o.incident_id,
        }
    }
}

/// Filters of the order list, as given (empty means not given).
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
pub struct ListInput {
    /// Status.
    pub status: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Unit.
    pub unit_id: Option<String>,
    /// Company (group staff).
    pub company_id: Option<String>,
    /// Complaint matter.
    pub matter_id: Option<String>,
    /// Only orders with a missed limit (`true`/`false`).
    pub overdue: Option<String>,
    /// Words, number, phone, address.
    pub q: Option<String>,
    /// At most this many, 1–500 (50).
    pub limit: Option<String>,
    /// Orders older than this id (`next_cursor` of the page before).
    pub cursor: Option<String>,
}

/// A page of the order list.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct OrderPage {
    /// The orders, newest first.
    pub items: Vec<OrderSummary>,
    /// The cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

/// The order list: newest first, scoped to what `me` may see; a search in customers' data and
/// a list that shows any are views of personal data.
pub async fn list(app: &App, me: &Actor, q: &ListInput) -> AppResult<OrderPage> {
    let nonempty = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let mut f = OrderFilter {
        limit: 50,
        ..Default::default()
    };
    if let Some(s) = nonempty(&q.status) {
        Status::from_str(&s).map_err(|e| AppError::invalid("status", e.to_string()))?;
        f.status = Some(s);
    }
    if let Some(s) = nonempty(&q.category) {
        Category::from_str(&s).map_err(|e| AppError::invalid("category", e.to_string()))?;
        f.category = Some(s);
    }
    f.unit_id = nonempty(&q.unit_id)
        .map(|s| parse_id("unit_id", &s))
        .transpose()?;
    f.company_id = nonempty(&q.company_id)
        .map(|s| parse_id("company_id", &s))
        .transpose()?;
    f.matter_id = nonempty(&q.matter_id)
        .map(|s| parse_id("matter_id", &s))
        .transpose()?;
    f.before_id = nonempty(&q.cursor)
        .map(|s| parse_id("cursor", &s))
        .transpose()?;
    f.overdue = match nonempty(&q.overdue).as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(AppError::invalid(
                "overdue",
                "overdue must be true or false",
            ))
        }
    };
    f.q = nonempty(&q.q);
    f.personal = personal_match(me);
    if let Some(l) = nonempty(&q.limit) {
        f.limit = l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| AppError::invalid("limit", "limit must be 1–500"))?;
    }
    if !scope_filter(me, &mut f) {
        return Ok(OrderPage {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let limit = f.limit;
    f.limit = limit + 1;
    let mut rows = app.store.list_orders(&f).await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|o| o.id.to_string())
    } else {
        None
    };
    let items: Vec<OrderSummary> = rows.iter().map(|o| OrderSummary::of(me, o)).collect();
    if f.q.is_some() && f.personal != PersonalMatch::None {
        shown("order_search", None);
    } else if items.iter().any(|o| o.customer.is_personal()) {
        shown("order_list", None);
    }
    Ok(OrderPage { items, next_cursor })
}

/// Order `id` with everything on its page, when `me` may see it (`NotFound` otherwise, as for
/// an order that does not exist).
pub async fn visible(app: &App, me: &Actor, id: i64) -> AppResult<OrderFull> {
    let full = app.store.order_full(id).await?;
    if !can_see(me, &full.order) {
        return Err(AppError::NotFound);
    }
    Ok(full)
}

/// Order `id` opened by `me` (its page or its API detail): the order and its customer as `me`
/// may see them; a view of the customer's data is logged.
pub async fn open(app: &App, me: &Actor, id: i64) -> AppResult<(OrderFull, CustomerShown)> {
    let full = visible(app, me, id).await?;
    let customer = customer_shown(me, &full.order);
    if customer.is_personal() {
        shown("order_detail", Some(full.order.id));
    }
    Ok((full, customer))
}

/// A limit of an order as the detail shows it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct DeadlineView {
    /// Kind (`accept`, `arrive`, …).
    pub kind: String,
    /// Due.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub due_at: i64,
    /// `pending`, `met` or `missed` ([`rexian_domain::deadline::state`]).
    pub state: &'static str,
    /// Started from a provisional anchor.
    pub provisional: bool,
    /// Started.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub started_at: i64,
    /// Due before any extension.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub original_due_at: i64,
    /// Pending and past its amber time.
    pub amber: bool,
    /// Supervision level reached.
    pub supervision_level: i64,
    /// The unit it belongs to.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub unit_id: Option<i64>,
}

/// An event of an order.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct EventView {
    /// Sequence within the order.
    pub seq: i64,
    /// Type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Who.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub actor_id: Option<i64>,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
    /// What it recorded.
    pub data: serde_json::Value,
}

/// A callback attempt.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct CallbackView {
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
    /// Customer reached.
    pub reached: bool,
    /// Satisfaction given.
    pub satisfaction: Option<String>,
    /// Whether the reply matched what happened.
    pub matches_reply: Option<bool>,
    /// Note.
    pub note: Option<String>,
}

/// An extension request.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct ExtensionView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Asked until.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(rename = "until", serialize_with = "ser::time")]
    pub until_at: i64,
    /// The limit it is for.
    pub kind: String,
    /// Why.
    pub reason: String,
    /// `pending`, `approved`, `rejected`.
    pub status: String,
}

/// The whole order as api-v1 shows it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct OrderView {
    /// The summary.
    #[serde(flatten)]
    pub summary: OrderSummary,
    /// Active limits.
    pub deadlines: Vec<DeadlineView>,
    /// Every event.
    pub events: Vec<EventView>,
    /// Callback attempts.
    pub callbacks: Vec<CallbackView>,
    /// Extension requests.
    pub extensions: Vec<ExtensionView>,
    /// The crew on its way (`001`): none until a field worker is assigned.
    pub crew: Option<crate::steps::CrewView>,
    /// The visit booked for the customer's time (上门预约), the latest booking.
    pub appointment: Option<crate::steps::AppointmentView>,
    /// What the water extended services recorded (003), when anything.
    #[serde(flatten)]
    pub water: crate::water::WaterFacts,
    /// Temperature readings (`service`/`temperature` orders), oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<crate::measurements::MeasurementView>,
    /// Neighbouring households proposed for a sample after a reading below the standard.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub neighbour_sample: Vec<crate::measurements::NeighbourView>,
}

impl OrderView {
    /// Order `f` as `u` may see it at `now` (ms).
    pub fn of(u: &Actor, f: &OrderFull, now: i64) -> OrderView {
        use rexian_domain::deadline::{self, DeadlineState};
        let t = crate::clock::from_ms;
        let deadlines = f
            .deadlines
            .iter()
            .filter(|d| d.active)
            .map(|d| {
                let shown = deadline::state(
                    t(d.due_at),
                    t(now),
                    d.met_at.map(t),
                    t(d.amber_at),
                    d.state == "missed",
                );
                let (state, amber) = match shown {
                    DeadlineState::Met => ("met", false),
                    DeadlineState::Missed => ("missed", false),
                    DeadlineState::Amber => ("pending", true),
                    DeadlineState::Pending => ("pending", false),
                };
                DeadlineView {
                    kind: d.kind.clone(),
                    due_at: d.due_at,
                    state,
                    provisional: d.provisional,
                    started_at: d.started_at,
                    original_due_at: d.original_due_at,
                    amber,
                    supervision_level: d.level,
                    unit_id: d.unit_id,
                }
            })
            .collect();
        let events = f
            .events
            .iter()
            .map(|e| EventView {
                seq: e.seq,
                kind: e.kind.clone(),
                actor_id: e.actor_id,
                at: e.at,
                data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
            })
            .collect();
        let callbacks = f
            .callbacks
            .iter()
            .map(|c| CallbackView {
                at: c.at,
                reached: c.reached,
                satisfaction: c.satisfaction.clone(),
                matches_reply: c.matches_reply,
                note: c.note.clone(),
            })
            .collect();
        let extensions = f
            .extensions
            .iter()
            .map(|x| ExtensionView {
                id: x.id,
                until_at: x.until_at,
                kind: x.kind.clone(),
                reason: x.reason.clone(),
                status: x.status.clone(),
            })
            .collect();
        OrderView {
            summary: OrderSummary::of(u, &f.order),
            deadlines,
            events,
            callbacks,
            extensions,
            crew: crate::steps::CrewView::of_order(f),
            appointment: crate::steps::AppointmentView::of_order(f),
            water: crate::water::WaterFacts::of_events(&f.events),
            measurements: crate::measurements::of_events(&f.events),
            neighbour_sample: crate::measurements::sample_of_events(&f.events),
        }
    }
}
