//! Outage notices (停电/停水/停气/停热, SPEC §6, `001`): received by the centre, published in the
//! same shift (the deadline is the end of the receiving shift; a late one is assessed by the
//! timer sweep), updated, restored; and found by a caller's address or community.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rexian_domain::model::Role;
use rexian_domain::outage::{self, Area, OutageKind, OutageStatus, OutageStep};
use rexian_store::outages::{OutageChange, OutageEvent, OutageRow, Place};
use serde::{Deserialize, Serialize};

use crate::clock::ms;
use crate::ser::{self, Id};
use crate::tenancy::{company_for, company_policy};
use crate::{text, Actor, App, AppError, AppResult};

/// Places of one area at the most, and characters of one place.
const MAX_PLACES: usize = 200;
const MAX_PLACE_CHARS: usize = 100;

/// Who works with notices: the centre's staff.
pub fn may_handle(me: &Actor) -> bool {
    [Role::Agent, Role::Dispatcher, Role::Supervisor, Role::Admin]
        .iter()
        .any(|r| me.has(*r))
}

/// `POST /outages`: a notice as received.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOutage {
    /// Company.
    pub company_id: Id,
    /// `planned` or `fault`.
    #[schemars(with = "rexian_domain::outage::OutageKind")]
    pub kind: String,
    /// Cause.
    pub cause: String,
    /// Where.
    pub area: Area,
    /// Supply off from.
    pub start_at: DateTime<Utc>,
    /// Expected back.
    pub expected_end_at: DateTime<Utc>,
}

/// `POST /outages/{id}/update`.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageUpdate {
    /// New expected end.
    pub expected_end_at: Option<DateTime<Utc>>,
    /// New cause.
    pub cause: Option<String>,
}

/// `POST /outages/{id}/restore`.
#[derive(schemars::JsonSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restore {
    /// When supply came back.
    pub restored_at: DateTime<Utc>,
}

/// An order answered with a notice.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Linked {
    /// The order.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub order_id: i64,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
}

/// A notice as staff see it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct OutageView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Company.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub company_id: i64,
    /// `planned` or `fault`.
    pub kind: String,
    /// Cause.
    pub cause: String,
    /// Where.
    pub area: Area,
    /// Supply off from.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub start_at: i64,
    /// Expected back.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub expected_end_at: i64,
    /// `draft`, `published`, `restored`.
    pub status: String,
    /// When the centre received it.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub received_at: i64,
    /// The end of the receiving shift.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub publish_due_at: i64,
    /// Published.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub published_at: Option<i64>,
    /// Restored.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub restored_at: Option<i64>,
    /// Not published by its deadline.
    pub late: bool,
    /// Orders answered with it.
    pub contacts: Vec<Linked>,
    /// Emergency water deliveries during it (003:6), newest first; shown on one notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub water_deliveries: Option<Vec<crate::water::DeliveryView>>,
}

fn area_of(o: &OutageRow) -> Area {
    serde_json::from_str(&o.area).unwrap_or_default()
}

impl OutageView {
    fn of(o: &OutageRow, links: Vec<(i64, i64)>) -> OutageView {
        OutageView {
            id: o.id,
            company_id: o.company_id,
            kind: o.kind.clone(),
            cause: o.cause.clone(),
            area: area_of(o),
            start_at: o.start_at,
            expected_end_at: o.expected_end_at,
            status: o.status.clone(),
            received_at: o.received_at,
            publish_due_at: o.publish_due_at,
            published_at: o.published_at,
            restored_at: o.restored_at,
            late: o.late_noted,
            contacts: links
                .into_iter()
                .map(|(order_id, at)| Linked { order_id, at })
                .collect(),
            water_deliveries: None,
        }
    }
}

/// The area as given, checked: at least one place, each a real name within bounds.
fn checked_area(a: Area) -> AppResult<(Area, Vec<Place>)> {
    let lists = [
        ("area.communities", &a.communities),
        ("area.streets", &a.streets),
        ("area.buildings", &a.buildings),
        ("area.stations", &a.stations),
    ];
    let mut n = 0;
    for (field, list) in lists {
        for p in list {
            n += 1;
            if p.chars().count() > MAX_PLACE_CHARS {
                return Err(AppError::invalid(
                    field,
                    format!("a place has at most {MAX_PLACE_CHARS} characters"),
                ));
            }
            if outage::normalise(p).chars().count() < outage::MIN_KEY_CHARS {
                return Err(AppError::invalid(
                    field,
                    format!("{p:?} is not a place name (two characters at least)"),
                ));
            }
        }
    }
    if n == 0 || n > MAX_PLACES {
        return Err(AppError::invalid(
            "area",
            format!("the area names 1 to {MAX_PLACES} places"),
        ));
    }
    let places = a
        .keys()
        .into_iter()
        .map(|k| Place {
            head: outage::head(&k),
            place: k,
        })
        .collect();
    Ok((a, places))
}

/// Records a received notice as a draft, due for publication at the end of this shift.
pub async fn create(app: &App, me: &Actor, n: NewOutage) -> AppResult<OutageView> {
    if !may_handle(me) {
        return Err(AppError::Forbidden);
    }
    let company = company_for(app, me, "company_id", n.company_id.0).await?;
    let kind: OutageKind = n
        .kind
        .parse()
        .map_err(|_| AppError::invalid("kind", "kind is planned or fault"))?;
    let cause = text::required("cause", n.cause, 500)?;
    if n.expected_end_at < n.start_at {
        return Err(AppError::invalid(
            "expected_end_at",
            "expected_end_at is before start_at",
        ));
    }
    let (area, places) = checked_area(n.area)?;
    let now = app.clock.now();
    let offset = company.offset();
    let due_local = outage::publish_due(
        now.with_timezone(&offset).naive_local(),
        &company_policy(&company)?.shifts,
    );
    let due = due_local
        .and_local_timezone(offset)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now);
    let mut row = OutageRow {
        id: 0,
        company_id: company.id,
        kind: kind.as_str().into(),
        cause,
        area: serde_json::to_string(&area).map_err(|e| AppError::Internal(e.into()))?,
        start_at: ms(n.start_at),
        expected_end_at: ms(n.expected_end_at),
        status: OutageStatus::Draft.as_str().into(),
        received_at: ms(now),
        publish_due_at: ms(due),
        published_at: None,
        restored_at: None,
        late_noted: false,
        created_by: me.id,
        version: 1,
    };
    let event = OutageEvent {
        kind: "created".into(),
        actor_id: Some(me.id),
        at: row.received_at,
        data: serde_json::json!({"kind": row.kind, "cause": row.cause, "area": area}),
    };
    row.id = app.store.create_outage(&row, &places, &event).await?;
    Ok(OutageView::of(&row, Vec::new()))
}

/// A notice `me` may see.
async fn visible(app: &App, me: &Actor, id: i64) -> AppResult<OutageRow> {
    if !may_handle(me) {
        return Err(AppError::Forbidden);
    }
    let o = match app.store.outage(id).await {
        Err(rexian_store::StoreError::NotFound) => return Err(AppError::NotFound),
        r => r?,
    };
    if me.company_id.is_some_and(|c| c != o.company_id) {
        return Err(AppError::NotFound);
    }
    Ok(o)
}

/// One notice with the orders answered with it.
pub async fn get(app: &App, me: &Actor, id: i64) -> AppResult<OutageView> {
    let o = visible(app, me, id).await?;
    let links = app.store.outage_links(o.id).await?;
    let mut v = OutageView::of(&o, links);
    v.water_deliveries = crate::water::listed(app, &o).await?;
    Ok(v)
}

/// What staff do to a notice, with what they give.
#[derive(Debug, Clone)]
pub enum Action {
    /// Publish it.
    Publish,
    /// Change the cause or the expected end.
    Update(OutageUpdate),
    /// Supply is back.
    Restore(Restore),
}

/// Publishes, updates or restores a notice.
pub async fn step(app: &App, me: &Actor, id: i64, action: Action) -> AppResult<OutageView> {
    let o = visible(app, me, id).await?;
    let now = ms(app.clock.now());
    let mut after = o.clone();
    let (s, data) = match action {
        Action::Publish => {
            after.published_at = Some(now);
            (OutageStep::Publish, serde_json::json!({}))
        }
        Action::Update(u) => {
            if let Some(c) = u.cause {
                after.cause = text::required("cause", c, 500)?;
            }
            if let Some(e) = u.expected_end_at {
                if ms(e) < o.start_at {
                    return Err(AppError::invalid(
                        "expected_end_at",
                        "expected_end_at is before start_at",
                    ));
                }
                after.expected_end_at = ms(e);
            }
            let data = serde_json::json!({"cause": after.cause,
                "expected_end_at": ser::rfc3339(after.expected_end_at)});
            (OutageStep::Update, data)
        }
        Action::Restore(r) => {
            after.restored_at = Some(ms(r.restored_at));
            let data = serde_json::json!({"restored_at": r.restored_at});
            (OutageStep::Restore, data)
        }
    };
    let from: OutageStatus = o
        .status
        .parse()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("outage {id} has a bad status")))?;
    let to = outage::next(from, s).ok_or_else(|| {
        AppError::InvalidTransition(format!("a {from} notice cannot take this step"))
    })?;
    after.status = to.as_str().into();
    let change = OutageChange {
        before_version: o.version,
        after: after.clone(),
        event: OutageEvent {
            kind: match s {
                OutageStep::Publish => "published",
                OutageStep::Update => "updated",
                OutageStep::Restore => "restored",
            }
            .into(),
            actor_id: Some(me.id),
            at: now,
            data,
        },
    };
    app.store
        .change_outage(&change)
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::Conflict(_) => AppError::Conflict {
                field: None,
                message: "the notice changed meanwhile; reload and retry".into(),
            },
            e => e.into(),
        })?;
    after.version += 1;
    let links = app.store.outage_links(id).await?;
    Ok(OutageView::of(&after, links))
}

/// Filters of the list.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
pub struct ListInput {
    /// Company (group staff).
    pub company_id: Option<String>,
    /// `draft`, `published`, `restored`.
    pub status: Option<String>,
    /// Keeps the notices whose area covers it.
    pub address: Option<String>,
}

/// Notices newest first; with `address`, those not restored whose area covers it.
pub async fn list(app: &App, me: &Actor, q: ListInput) -> AppResult<Vec<OutageView>> {
    if !may_handle(me) {
        return Err(AppError::Forbidden);
    }
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let asked = nonempty(q.company_id)
        .map(|s| ser::parse_id("company_id", &s))
        .transpose()?;
    let company = crate::tenancy::visible_company(me, asked)?;
    let status = nonempty(q.status);
    if let Some(s) = &status {
        s.parse::<OutageStatus>()
            .map_err(|_| AppError::invalid("status", "status is draft, published or restored"))?;
    }
    let rows = match nonempty(q.address) {
        Some(address) => {
            let Some(company) = company else {
                return Err(AppError::invalid("company_id", "choose a company"));
            };
            if address.chars().count() > 200 {
                return Err(AppError::invalid("address", "at most 200 characters"));
            }
            let mut rows = covering(app, company, &address).await?;
            rows.retain(|o| status.as_deref().is_none_or(|s| o.status == s));
            rows
        }
        None => app.store.outages(company, status.as_deref(), 200).await?,
    };
    let mut out = Vec::with_capacity(rows.len());
    for o in rows {
        let links = app.store.outage_links(o.id).await?;
        out.push(OutageView::of(&o, links));
    }
    Ok(out)
}

/// The notices of `company`, not restored, whose area covers `address`, newest first: looked
/// up by the address's index heads, then each place checked in the address.
pub async fn covering(app: &App, company: i64, address: &str) -> AppResult<Vec<OutageRow>> {
    let heads = outage::heads(address);
    let normal = outage::normalise(address);
    let ids: BTreeSet<i64> = app
        .store
        .outage_places(company, &heads)
        .await?
        .into_iter()
        .filter(|(_, place)| normal.contains(place.as_str()))
        .map(|(id, _)| id)
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids.into_iter().rev() {
        out.push(app.store.outage(id).await?);
    }
    Ok(out)
}

/// The published notices covering a caller (community and address) at `now`: what intake
/// tells the agent.
pub async fn for_caller(
    app: &App,
    company: i64,
    community: Option<&str>,
    address: Option<&str>,
) -> AppResult<Vec<OutageRow>> {
    let text = [community, address]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("|"); // a separator normalising keeps: no place spans the two
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = covering(app, company, &text).await?;
    rows.retain(|o| o.status == OutageStatus::Published.as_str());
    Ok(rows)
}

/// A notice as the public sees it: nothing internal.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct PublicNotice {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// `planned` or `fault`.
    pub kind: String,
    /// Cause.
    pub cause: String,
    /// Where.
    pub area: Area,
    /// Supply off from.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub start_at: i64,
    /// Expected back.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub expected_end_at: i64,
}

/// Query of the public notices.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
pub struct PublicQuery {
    /// Company.
    #[schemars(required)]
    pub company_id: Option<String>,
    /// The address to look up.
    #[schemars(required)]
    pub address: Option<String>,
}

/// The published, unrestored notices of a company covering an address, for anyone (no login).
pub async fn public(app: &App, q: PublicQuery) -> AppResult<Vec<PublicNotice>> {
    let company = q
        .company_id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::invalid("company_id", "company_id is required"))
        .and_then(|s| ser::parse_id("company_id", &s))?;
    let address = q
        .address
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| AppError::invalid("address", "address is required"))?;
    if address.chars().count() > 200 {
        return Err(AppError::invalid("address", "at most 200 characters"));
    }
    let rows = for_caller(app, company, None, Some(&address)).await?;
    Ok(rows.iter().map(PublicNotice::of).collect())
}

impl PublicNotice {
    /// Notice `o` as anyone may read it.
    pub fn of(o: &OutageRow) -> PublicNotice {
        PublicNotice {
            id: o.id,
            kind: o.kind.clone(),
            cause: o.cause.clone(),
            area: area_of(o),
            start_at: o.start_at,
            expected_end_at: o.expected_end_at,
        }
    }
}

/// What the notices screen shows: the company, its zone, its notices, and the companies group
/// staff may switch to.
#[derive(Debug, Clone)]
pub struct Board {
    /// The company shown.
    pub company_id: i64,
    /// Its name.
    pub company_name: String,
    /// Its zone (times on screen and in forms).
    pub offset: chrono::FixedOffset,
    /// Its notices, newest first.
    pub items: Vec<OutageView>,
    /// `(id, name)` of the companies to choose from (one for company staff).
    pub companies: Vec<(i64, String)>,
}

/// The notices screen of `company` (the user's own, or one group staff chose).
pub async fn board(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    status: Option<String>,
) -> AppResult<Board> {
    if !may_handle(me) {
        return Err(AppError::Forbidden);
    }
    let all = app.store.companies().await?;
    let company = match (me.company_id, company) {
        (None, None) => match all.first() {
            Some(c) => c.clone(),
            None => return Err(AppError::invalid("company_id", "no company yet")),
        },
        (_, asked) => crate::tenancy::chosen_company(app, me, "company_id", asked).await?,
    };
    let q = ListInput {
        company_id: Some(company.id.to_string()),
        status,
        address: None,
    };
    let items = list(app, me, q).await?;
    let companies = all
        .into_iter()
        .filter(|c| me.company_id.is_none_or(|own| own == c.id))
        .map(|c| (c.id, c.name))
        .collect();
    Ok(Board {
        company_id: company.id,
        company_name: company.name.clone(),
        offset: company.offset(),
        items,
        companies,
    })
}

/// The zone of company `id` as `me` acts in it (forms give local times).
pub async fn zone(app: &App, me: &Actor, id: i64) -> AppResult<chrono::FixedOffset> {
    Ok(company_for(app, me, "company_id", id).await?.offset())
}

/// A notice in the report.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct ReportLine {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// `planned` or `fault`.
    pub kind: String,
    /// Cause.
    pub cause: String,
    /// Received.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub received_at: i64,
    /// Published.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub published_at: Option<i64>,
    /// Minutes from receipt to publication.
    pub minutes_to_publish: Option<i64>,
    /// Not published by the end of the receiving shift.
    pub late: bool,
    /// Orders answered with it.
    pub calls: i64,
}

/// The outage report of a period: every notice received, how fast it was published, the late
/// ones, and the calls answered with each.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Report {
    /// Notices received.
    pub notices: usize,
    /// Of them published late (or still unpublished past the deadline).
    pub late: usize,
    /// Median minutes from receipt to publication, of the published ones.
    pub median_minutes_to_publish: Option<i64>,
    /// Calls answered with a notice.
    pub calls: i64,
    /// The notices, oldest first.
    pub items: Vec<ReportLine>,
    /// The mass incidents that began in the period, oldest first.
    pub incidents: Vec<IncidentReportLine>,
}

/// A mass incident in the report: its calls and complaints, when, its notice, whether closed.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct IncidentReportLine {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Community.
    pub community: String,
    /// Category of its orders.
    pub category: String,
    /// Subtype of its orders.
    pub subtype: String,
    /// Calls: the orders in it.
    pub orders: i64,
    /// Complaints: its orders that are complaints, and the complaints sharing its matter.
    pub complaints: i64,
    /// First call.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub first_at: i64,
    /// Latest call.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub last_at: i64,
    /// The notice it is linked to.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub outage_id: Option<i64>,
    /// That notice's cause.
    pub outage_cause: Option<String>,
    /// Closed (with its orders).
    pub closed: bool,
    /// When closed.
    #[schemars(with = "Option<ser::Rfc3339>")]
    #[serde(serialize_with = "ser::opt_time")]
    pub closed_at: Option<i64>,
}

/// Notices at the most in one report.
const REPORT_LIMIT: i64 = 5000;

/// Who reads the outage report: the roles of the reports.
fn may_report(me: &Actor) -> bool {
    [
        Role::Supervisor,
        Role::Assessor,
        Role::Admin,
        Role::Dispatcher,
    ]
    .iter()
    .any(|r| me.has(*r))
}

/// The outage report of the company `me` acts for (group staff name one) over `from`..`to`
/// (local dates, both days included).
pub async fn report(
    app: &App,
    me: &Actor,
    company: Option<i64>,
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<Report> {
    if !may_report(me) {
        return Err(AppError::Forbidden);
    }
    let company = crate::tenancy::chosen_company(app, me, "company_id", company).await?;
    let (from, to) = crate::reports::period(&company, from, to)?;
    let now = ms(app.clock.now());
    let rows = app
        .store
        .outages_received(company.id, from, to, REPORT_LIMIT)
        .await?;
    let items: Vec<ReportLine> = rows
        .into_iter()
        .map(|(o, calls)| ReportLine {
            minutes_to_publish: o.published_at.map(|p| (p - o.received_at) / 60_000),
            late: o.late_noted || (o.status == "draft" && o.publish_due_at <= now),
            id: o.id,
            kind: o.kind,
            cause: o.cause,
            received_at: o.received_at,
            published_at: o.published_at,
            calls,
        })
        .collect();
    let mut minutes: Vec<i64> = items.iter().filter_map(|l| l.minutes_to_publish).collect();
    minutes.sort_unstable();
    let incidents = incident_lines(app, company.id, from, to).await?;
    Ok(Report {
        incidents,
        notices: items.len(),
        late: items.iter().filter(|l| l.late).count(),
        median_minutes_to_publish: minutes.get(minutes.len() / 2).copied(),
        calls: items.iter().map(|l| l.calls).sum(),
        items,
    })
}

/// The incidents of `company` that began in `[from, to)`, with their notices' causes.
async fn incident_lines(
    app: &App,
    company: i64,
    from: i64,
    to: i64,
) -> AppResult<Vec<IncidentReportLine>> {
    let rows = app
        .store
        .incidents_begun(company, from, to, REPORT_LIMIT)
        .await?;
    let mut ids: Vec<i64> = rows.iter().filter_map(|(i, _)| i.outage_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let causes: std::collections::HashMap<i64, String> = app
        .store
        .outages_by_ids(&ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o.cause))
        .collect();
    Ok(rows
        .into_iter()
        .map(|(i, complaints)| IncidentReportLine {
            outage_cause: i.outage_id.and_then(|o| causes.get(&o).cloned()),
            closed: i.status == "closed",
            id: i.id,
            community: i.community,
            category: i.category,
            subtype: i.subtype,
            orders: i.orders,
            complaints,
            first_at: i.first_at,
            last_at: i.last_at,
            outage_id: i.outage_id,
            closed_at: i.closed_at,
        })
        .collect())
}

/// A notice as intake tells it: what the agent reads to the caller.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct Told {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Cause.
    pub cause: String,
    /// Expected back.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub expected_end_at: i64,
}

/// The published notices of `company` covering a caller, for intake; with `answered_with`, the
/// notice a call is closed with must be one of the company's published notices
/// (`resolved_at_once.outage_id` names it otherwise).
pub async fn told(
    app: &App,
    company: i64,
    community: Option<&str>,
    address: Option<&str>,
    answered_with: Option<i64>,
) -> AppResult<Vec<Told>> {
    if let Some(id) = answered_with {
        let ok = app
            .store
            .outage(id)
            .await
            .ok()
            .is_some_and(|o| o.company_id == company && o.status == "published");
        if !ok {
            return Err(AppError::invalid(
                "resolved_at_once.outage_id",
                "outage_id names no published notice of this company",
            ));
        }
    }
    Ok(for_caller(app, company, community, address)
        .await?
        .into_iter()
        .map(|o| Told {
            id: o.id,
            cause: o.cause,
            expected_end_at: o.expected_end_at,
        })
        .collect())
}

/// The notices still waiting for publication (of `me`'s company, or every company for group
/// staff), oldest deadline first: what the supervisor watches.
pub async fn unpublished(app: &App, me: &Actor) -> AppResult<Vec<OutageView>> {
    if !may_handle(me) {
        return Err(AppError::Forbidden);
    }
    let mut rows = app.store.outages(me.company_id, Some("draft"), 100).await?;
    rows.sort_by_key(|o| o.publish_due_at);
    Ok(rows.iter().map(|o| OutageView::of(o, Vec::new())).collect())
}
