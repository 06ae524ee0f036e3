//! Shift handover item by item and the duty log (`001` 交接班, 值班日志): the outgoing shift's
//! handover lists what the product knows is open; the incoming shift acknowledges every item;
//! a handover accepted past the policy's delay assesses both sides once.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeZone, Utc};
use rexian_domain::model::Role;
use rexian_store::orders::OrderFilter;
use rexian_store::org::Company;
use rexian_store::reports::Entry;
use rexian_store::shifts::{Handover, HandoverItem, NewDutyEntry};
use serde::{Deserialize, Serialize};

use crate::clock::from_ms;
use crate::ser::{self, Id};
use crate::tenancy::{chosen_company, company_for, company_policy};
use crate::{text, Actor, App, AppError, AppResult};

/// Orders with the centre (not with a unit): new, returned, waiting for review or callback.
const CENTRE_STATUSES: [&str; 5] = ["new", "returned", "replied", "reviewed", "callback"];
/// Items of one kind at the most in a handover.
const MAX_ITEMS: i64 = 200;

/// Who hands over and takes over: the centre's staff.
fn may_hand_over(me: &Actor) -> bool {
    [
        Role::Agent,
        Role::Dispatcher,
        Role::CallbackAgent,
        Role::Supervisor,
        Role::Admin,
    ]
    .iter()
    .any(|r| me.has(*r))
}

/// `POST /handovers`.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewHandover {
    /// Company.
    pub company_id: Id,
    /// Free notes.
    pub note: Option<String>,
}

/// `POST /handovers/{id}/accept`.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    /// Every item, by its id (`5`) or kind and id (`order:5`).
    pub acknowledged: Vec<String>,
    /// Notes of the incoming shift.
    pub note: Option<String>,
}

/// An item as shown.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct ItemView {
    /// `order`, `outage` or `supervision`.
    pub kind: String,
    /// The thing's id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// What it is.
    pub summary: String,
}

/// A handover as shown.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct HandoverView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// Start of the incoming shift.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub shift_start: i64,
    /// The incoming shift is due from (start less the policy's early minutes).
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub due_from: i64,
    /// Written by.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub created_by: i64,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub created_at: i64,
    /// Notes of the outgoing shift.
    pub note: Option<String>,
    /// Accepted by.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub accepted_by: Option<i64>,
    /// When.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub accepted_at: Option<i64>,
    /// Notes of the incoming shift.
    pub accept_note: Option<String>,
    /// Accepted past the allowed delay.
    pub late: bool,
    /// What the incoming shift takes over.
    pub items: Vec<ItemView>,
}

fn view(h: Handover, c: &Company) -> AppResult<HandoverView> {
    let shifts = company_policy(c)?.shifts;
    let early = i64::from(shifts.handover_early_minutes.unwrap_or(0)) * 60_000;
    let local = |ms: i64| from_ms(ms).with_timezone(&c.offset()).naive_local();
    let late = h
        .accepted_at
        .is_some_and(|a| shifts.handover_late(local(h.shift_start), local(a)));
    Ok(HandoverView {
        id: h.id,
        company_id: h.company_id,
        shift_start: h.shift_start,
        due_from: h.shift_start - early,
        created_by: h.created_by,
        created_at: h.created_at,
        note: h.note,
        accepted_by: h.accepted_by,
        accepted_at: h.accepted_at,
        accept_note: h.accept_note,
        late,
        items: h
            .items
            .into_iter()
            .map(|i| ItemView {
                kind: i.kind,
                id: i.ref_id,
                summary: i.summary,
            })
            .collect(),
    })
}

/// The local day of `ms` in the company's zone.
fn day_of(c: &Company, ms: i64) -> String {
    from_ms(ms)
        .with_timezone(&c.offset())
        .date_naive()
        .to_string()
}

/// Everything still open that the incoming shift must take over.
async fn open_items(app: &App, company: i64) -> AppResult<Vec<HandoverItem>> {
    let mut items = Vec::new();
    for status in CENTRE_STATUSES {
        let f = OrderFilter {
            company_id: Some(company),
            status: Some(status.into()),
            limit: MAX_ITEMS,
            ..OrderFilter::default()
        };
        for o in app.store.list_orders(&f).await? {
            let text: String = o.description.chars().take(40).collect();
            items.push(HandoverItem {
                kind: "order".into(),
                ref_id: o.id,
                summary: format!("{} [{}] {}", o.number, o.status, text),
            });
        }
    }
    for n in app
        .store
        .outages(Some(company), Some("draft"), MAX_ITEMS)
        .await?
    {
        items.push(HandoverItem {
            kind: "outage".into(),
            ref_id: n.id,
            summary: format!("停供通知待发布: {}", n.cause),
        });
    }
    for n in app.store.notices(Some(company), true, MAX_ITEMS).await? {
        items.push(HandoverItem {
            kind: "supervision".into(),
            ref_id: n.id,
            summary: format!("督办 {} {} 第{}级", n.number, n.kind, n.level),
        });
    }
    Ok(items)
}

/// The outgoing shift hands over: the items the product lists, and its notes.
pub async fn create(app: &App, me: &Actor, b: NewHandover) -> AppResult<HandoverView> {
    if !may_hand_over(me) {
        return Err(AppError::Forbidden);
    }
    let company = company_for(app, me, "company_id", b.company_id.0).await?;
    let note = text::clean("note", b.note, 2000)?;
    let now = app.now_ms();
    let offset = company.offset();
    let end = company_policy(&company)?
        .shifts
        .end_of(from_ms(now).with_timezone(&offset).naive_local());
    let shift_start = offset
        .from_local_datetime(&end)
        .single()
        .map(|t| t.with_timezone(&Utc).timestamp_millis())
        .unwrap_or(now);
    let mut h = Handover {
        id: 0,
        company_id: company.id,
        shift_start,
        created_by: me.id,
        created_at: now,
        note,
        accepted_by: None,
        accepted_at: None,
        accept_note: None,
        items: open_items(app, company.id).await?,
    };
    let line = NewDutyEntry {
        company_id: company.id,
        day: day_of(&company, now),
        at: now,
        author_id: me.id,
        kind: "handover".into(),
        text: format!(
            "交班: {} 项{}",
            h.items.len(),
            h.note
                .as_deref()
                .map(|n| format!("; {n}"))
                .unwrap_or_default()
        ),
    };
    h.id = app.store.create_handover(&h, &line).await?;
    view(h, &company)
}

/// A handover `me` may see, with its company.
async fn visible(app: &App, me: &Actor, id: i64) -> AppResult<(Handover, Company)> {
    if !may_hand_over(me) {
        return Err(AppError::Forbidden);
    }
    let h = match app.store.handover(id).await {
        Err(rexian_store::StoreError::NotFound) => return Err(AppError::NotFound),
        r => r?,
    };
    if me.company_id.is_some_and(|c| c != h.company_id) {
        return Err(AppError::NotFound);
    }
    let company = app.store.company(h.company_id).await?;
    Ok((h, company))
}

/// One handover.
pub async fn get(app: &App, me: &Actor, id: i64) -> AppResult<HandoverView> {
    let (h, c) = visible(app, me, id).await?;
    view(h, &c)
}

/// The items of `h` that `acknowledged` leaves out, as `kind:id`.
fn missing(h: &Handover, acknowledged: &[String]) -> Vec<String> {
    let given: BTreeSet<&str> = acknowledged.iter().map(|s| s.trim()).collect();
    h.items
        .iter()
        .map(|i| (i.ref_id.to_string(), format!("{}:{}", i.kind, i.ref_id)))
        .filter(|(id, key)| !given.contains(id.as_str()) && !given.contains(key.as_str()))
        .map(|(_, key)| key)
        .collect()
}

/// The incoming shift accepts, acknowledging every item; past the allowed delay the company's
/// `handover_late` rules fire once for the outgoing and the incoming user.
pub async fn accept(app: &App, me: &Actor, id: i64, b: Accept) -> AppResult<HandoverView> {
    let (h, company) = visible(app, me, id).await?;
    if h.accepted_at.is_some() {
        return Err(AppError::InvalidTransition(
            "this handover is accepted already".into(),
        ));
    }
    let left = missing(&h, &b.acknowledged);
    if !left.is_empty() {
        return Err(AppError::invalid(
            "acknowledged",
            format!(
                "every item must be acknowledged; missing: {}",
                left.join(", ")
            ),
        ));
    }
    let note = text::clean("note", b.note, 2000)?;
    let now = app.now_ms();
    let policy = company_policy(&company)?;
    let local = |ms: i64| from_ms(ms).with_timezone(&company.offset()).naive_local();
    let late = policy
        .shifts
        .handover_late(local(h.shift_start), local(now));
    let month = from_ms(h.shift_start)
        .with_timezone(&company.offset())
        .format("%Y-%m")
        .to_string();
    let entries: Vec<Entry> = if late {
        let rules = policy.assessment_on("handover_late");
        [h.created_by, me.id]
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .flat_map(|user| {
                rules
                    .iter()
                    .map(move |rule| (user, *rule))
                    .collect::<Vec<_>>()
            })
            .map(|(user, rule)| Entry {
                company_id: company.id,
                month: month.clone(),
                subject_kind: "user".into(),
                subject_id: user,
                rule_code: Some(rule.code.clone()),
                points: -f64::from(rule.points.unwrap_or(0)),
                yuan: -f64::from(rule.amount_yuan.unwrap_or(0)),
                source_key: Some(format!("handover:{}:{user}:{}", h.id, rule.code)),
                reason: format!("{} (交接班 {})", rule.description, h.id),
                created_at: now,
                ..Default::default()
            })
            .collect()
    } else {
        Vec::new()
    };
    let line = NewDutyEntry {
        company_id: company.id,
        day: day_of(&company, now),
        at: now,
        author_id: me.id,
        kind: "handover_accepted".into(),
        text: format!(
            "接班: {} 项已确认{}",
            h.items.len(),
            note.as_deref()
                .map(|n| format!("; {n}"))
                .unwrap_or_default()
        ),
    };
    app.store
        .accept_handover(id, me.id, now, note.as_deref(), &line, &entries)
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => {
                AppError::InvalidTransition("this handover is accepted already".into())
            }
            e => e.into(),
        })?;
    get(app, me, id).await
}

/// `POST /duty_log`.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// Company.
    pub company_id: Id,
    /// What happened.
    pub text: String,
}

/// A duty-log line as shown.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct EntryView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
    /// Who.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub author_id: i64,
    /// `entry`, `handover` or `handover_accepted`.
    pub kind: String,
    /// What.
    pub text: String,
    /// The handover it is about.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub handover_id: Option<i64>,
}

/// Writes a line in the duty log of today (the company's local day).
pub async fn log(app: &App, me: &Actor, b: NewEntry) -> AppResult<EntryView> {
    if !may_hand_over(me) {
        return Err(AppError::Forbidden);
    }
    let company = company_for(app, me, "company_id", b.company_id.0).await?;
    let text = text::required("text", b.text, 2000)?;
    let now = app.now_ms();
    let e = NewDutyEntry {
        company_id: company.id,
        day: day_of(&company, now),
        at: now,
        author_id: me.id,
        kind: "entry".into(),
        text,
    };
    let id = app.store.add_duty_entry(&e).await?;
    Ok(EntryView {
        id,
        at: e.at,
        author_id: e.author_id,
        kind: e.kind,
        text: e.text,
        handover_id: None,
    })
}

/// The duty log of a local day (`date`, default today) of the company.
pub async fn day(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    date: Option<&str>,
) -> AppResult<Vec<EntryView>> {
    if !may_hand_over(me) {
        return Err(AppError::Forbidden);
    }
    let company = chosen_company(app, me, "company_id", company).await?;
    let day = match date.filter(|d| !d.is_empty()) {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| AppError::invalid("date", "date is YYYY-MM-DD"))?
            .to_string(),
        None => day_of(&company, app.now_ms()),
    };
    Ok(app
        .store
        .duty_log(company.id, &day)
        .await?
        .into_iter()
        .map(|e| EntryView {
            id: e.id,
            at: e.at,
            author_id: e.author_id,
            kind: e.kind,
            text: e.text,
            handover_id: e.handover_id,
        })
        .collect())
}

/// Handovers of one list at the most.
const MAX_LIST: i64 = 100;

/// The handovers of a company (the caller's own; group staff name one), newest first; with
/// `date` (`YYYY-MM-DD`), those written on that local day.
pub async fn list(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    date: Option<&str>,
) -> AppResult<Vec<HandoverView>> {
    if !may_hand_over(me) {
        return Err(AppError::Forbidden);
    }
    let company = chosen_company(app, me, "company_id", company).await?;
    let range = match date.map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => {
            let day = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| AppError::invalid("date", "date is YYYY-MM-DD"))?;
            let start = |d: NaiveDate| {
                company
                    .offset()
                    .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
                    .single()
                    .map(|t| t.with_timezone(&Utc).timestamp_millis())
                    .ok_or_else(|| AppError::invalid("date", "date is out of range"))
            };
            let next = day
                .succ_opt()
                .ok_or_else(|| AppError::invalid("date", "date is out of range"))?;
            Some((start(day)?, start(next)?))
        }
    };
    app.store
        .handovers(company.id, range, MAX_LIST)
        .await?
        .into_iter()
        .map(|h| view(h, &company))
        .collect()
}

/// The handovers `me` accepted in the last day, newest first: what the incoming shift sees
/// first in its queue.
pub async fn handed_to_me(app: &App, me: &Actor) -> AppResult<Vec<HandoverView>> {
    if !may_hand_over(me) {
        return Ok(Vec::new());
    }
    let since = app.now_ms() - 24 * 3_600_000;
    let mut out = Vec::new();
    for h in app.store.handovers_accepted_by(me.id, since, 5).await? {
        let company = app.store.company(h.company_id).await?;
        out.push(view(h, &company)?);
    }
    Ok(out)
}

/// The company's zone and local day of `date` (default today), for the duty-log screen.
pub async fn day_of_company(
    app: &App,
    me: &Actor,
    company: Option<i64>,
) -> AppResult<(Company, String)> {
    if !may_hand_over(me) {
        return Err(AppError::Forbidden);
    }
    let c = match (me.company_id, company) {
        (None, None) => app
            .store
            .companies()
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::invalid("company_id", "no company yet"))?,
        (_, asked) => chosen_company(app, me, "company_id", asked).await?,
    };
    let today = day_of(&c, app.now_ms());
    Ok((c, today))
}

/// What a handover written now would list (the outgoing shift's screen).
pub async fn preview(app: &App, me: &Actor, company: i64) -> AppResult<Vec<ItemView>> {
    if !may_hand_over(me) {
        return Err(AppError::Forbidden);
    }
    let company = company_for(app, me, "company_id", company).await?;
    Ok(open_items(app, company.id)
        .await?
        .into_iter()
        .map(|i| ItemView {
            kind: i.kind,
            id: i.ref_id,
            summary: i.summary,
        })
        .collect())
}

/// The display names of users (handovers and the duty log show who).
pub async fn user_names(
    app: &App,
    ids: impl IntoIterator<Item = i64>,
) -> AppResult<std::collections::BTreeMap<i64, String>> {
    let mut out = std::collections::BTreeMap::new();
    for id in ids.into_iter().collect::<BTreeSet<_>>() {
        let name = match app.store.user(id).await {
            Ok(u) => u.name,
            Err(rexian_store::StoreError::NotFound) => id.to_string(),
            Err(e) => return Err(e.into()),
        };
        out.insert(id, name);
    }
    Ok(out)
}
