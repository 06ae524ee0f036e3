//! Who sees which order and how much of its customer (SPEC §1, §7): the rules every order list,
//! detail, search and step applies, in one place.

use rexian_domain::model::Role;
use rexian_store::orders::{OrderFilter, OrderRow, PersonalMatch};
use serde::Serialize;

use crate::Actor;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
        "close" => &[Agent, Dispatcher, CallbackAgent, Supervisor],
        "cancel" | "merge" => &[Agent, Dispatcher, Supervisor],
        "reopen" => &[Agent, Dispatcher, CallbackAgent, Supervisor],
        _ => &[],
    }
}
