//! The customer register (热用户/客户档案) and identity before account data (`002:§14(1)`):
//! the account number and a customer's orders are shown to an agent only for 30 minutes after
//! that agent verified the caller against the register; the ID number is always masked.

use std::collections::HashSet;

use rexian_domain::identity::{
    check, mask_account, mask_id_number, parse_id_number, Claim, Record, Verdict,
};
use rexian_store::customers::Customer;
use rexian_store::orders::{OrderFilter, OrderRow, PersonalMatch};
use serde::{Deserialize, Serialize};

use crate::personal::shown;
use crate::ser::{self, Id};
use crate::tenancy::company_for;
use crate::text::{clean, phone, required};
use crate::{Actor, App, AppError, AppResult};

/// How long a verified caller stays verified for the agent who checked them: one call with its
/// follow-up (writing the order, a transfer) fits in 30 minutes; a later call is verified again.
pub const VERIFIED_FOR_MS: i64 = 30 * 60_000;

/// A customer as shown: the ID number always masked; the account number in full only when
/// `verified`.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    /// Id.
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
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
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// Id.
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
#[derive(Debug, Clone)]
pub struct CustomerDetail {
    /// The customer.
    pub customer: CustomerView,
    /// Their orders, found by their phone or account; none until verified.
    pub orders: Option<Vec<OrderRow>>,
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
        Some(
            app.store
                .list_orders(&OrderFilter {
                    company_id: Some(c.company_id),
                    q: Some(key),
                    // The verified customer's own orders, found by their phone or account.
                    personal: PersonalMatch::All,
                    limit: 100,
                    ..Default::default()
                })
                .await?,
        )
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
