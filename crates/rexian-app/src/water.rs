//! Water extended services (seed `003`, api-v1 "Field services"): the steps of the
//! water-quality test, the reminder, leak detection and community service day on their
//! orders, emergency water deliveries on an outage notice, free of charge, and the repair rule
//! of off-hours reports (the arrive limit starts at the next working window).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rexian_domain::lifecycle::with_unit;
use rexian_domain::model::Status;
use rexian_domain::water::{
    check_step, CommunityOrigin, ReminderKind, ServiceRefusal, ServiceSoFar, ServiceStep,
};
use rexian_domain::workflow::DeadlineOp;
use rexian_domain::Policy;
use rexian_store::orders::{EventRow, NewEvent, OrderChange, OrderFull};
use rexian_store::outages::OutageEvent;
use rexian_store::water::DeliveryRow;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::ms;
use crate::orders::{visible, OrderView};
use crate::ser;
use crate::tenancy::company_policy;
use crate::text::clean;
use crate::{Actor, App, AppError, AppResult};

/// `POST /orders/{id}/sample`: the water sample taken (003:3 提取水样).
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleInput {
    /// When it was taken (default now; not in the future).
    pub at: Option<DateTime<Utc>>,
    /// Where: the sampling point (tap, meter, tank ...).
    #[schemars(length(max = 200))]
    pub point: Option<String>,
}

/// `POST /orders/{id}/lab_result`: the lab's result of the sample (水质检测中心化验).
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabResultInput {
    /// When the report was issued (default now; not before the sample, not in the future).
    pub at: Option<DateTime<Utc>>,
    /// Whether the water meets the standard.
    pub passed: Option<bool>,
    /// The lab report's number.
    #[schemars(length(max = 100))]
    pub report_no: Option<String>,
}

/// `POST /orders/{id}/reminder`: a reminder told to the customer, who signs it (003:1.2).
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderInput {
    /// What about.
    #[schemars(with = "Option<ReminderKind>")]
    pub kind: Option<String>,
    /// The customer signed the reminder (用户签字确认); must be true.
    pub signed: Option<bool>,
    /// What was said.
    #[schemars(length(max = 2000))]
    pub note: Option<String>,
}

/// `POST /orders/{id}/leak_result`: the result of leak detection on request (003:2.4).
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakResultInput {
    /// A leak was found.
    pub found: Option<bool>,
    /// What was found and told to the customer.
    #[schemars(length(max = 2000))]
    pub result: Option<String>,
}

/// `POST /orders/{id}/community_report`: the report of a community service day (003:5).
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityInput {
    /// Planned, requested by customers, or proposed by staff (5.2).
    #[schemars(with = "Option<CommunityOrigin>")]
    pub origin: Option<String>,
    /// When it was held (default now; not in the future).
    pub held_at: Option<DateTime<Utc>>,
    /// The report.
    #[schemars(length(max = 4000))]
    pub report: Option<String>,
}

/// One service step's input.
#[derive(Debug, Clone)]
pub enum ServiceInput {
    /// Sample.
    Sample(SampleInput),
    /// Lab result.
    LabResult(LabResultInput),
    /// Reminder.
    Reminder(ReminderInput),
    /// Leak detection result.
    LeakResult(LeakResultInput),
    /// Community report.
    Community(CommunityInput),
}

impl ServiceInput {
    fn step(&self) -> ServiceStep {
        match self {
            ServiceInput::Sample(_) => ServiceStep::Sample,
            ServiceInput::LabResult(_) => ServiceStep::LabResult,
            ServiceInput::Reminder(_) => ServiceStep::Reminder,
            ServiceInput::LeakResult(_) => ServiceStep::LeakResult,
            ServiceInput::Community(_) => ServiceStep::CommunityReport,
        }
    }
}

/// The water-quality test as the order shows it.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Serialize, PartialEq)]
pub struct QualityView {
    /// Sample taken.
    #[schemars(with = "Option<ser::Rfc3339>")]
    pub sampled_at: Option<String>,
    /// Sampling point.
    pub point: Option<String>,
    /// Lab result issued.
    #[schemars(with = "Option<ser::Rfc3339>")]
    pub result_at: Option<String>,
    /// Meets the standard.
    pub passed: Option<bool>,
    /// Report number.
    pub report_no: Option<String>,
}

/// What the water services recorded on an order (each the latest of its kind).
#[derive(schemars::JsonSchema, Debug, Clone, Default, Serialize)]
pub struct WaterFacts {
    /// The order's service is free of charge (003 序言 全程"零收费").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_of_charge: Option<bool>,
    /// The water-quality test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub water_quality: Option<QualityView>,
    /// The signed reminder: `{at, kind, signed, note}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminder: Option<Value>,
    /// Leak detection's result: `{at, found, result}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leak_detection: Option<Value>,
    /// The community service day: `{at, origin, held_at, report}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community: Option<Value>,
}

impl WaterFacts {
    /// What the events record (free of charge is the policy's: see [`fill`]).
    pub fn of_events(events: &[EventRow]) -> WaterFacts {
        let mut w = WaterFacts::default();
        for e in events {
            let Ok(mut d) = serde_json::from_str::<Value>(&e.data) else {
                continue;
            };
            let s = |d: &Value, k: &str| d.get(k).and_then(Value::as_str).map(str::to_owned);
            match e.kind.as_str() {
                "water_sampled" => {
                    w.water_quality = Some(QualityView {
                        sampled_at: s(&d, "at"),
                        point: s(&d, "point"),
                        ..QualityView::default()
                    })
                }
                "water_lab_result" => {
                    let q = w.water_quality.get_or_insert_with(QualityView::default);
                    q.result_at = s(&d, "at");
                    q.passed = d.get("passed").and_then(Value::as_bool);
                    q.report_no = s(&d, "report_no");
                }
                "reminder_signed" | "leak_checked" | "community_reported" => {
                    d["at"] = Value::String(ser::rfc3339(e.at));
                    for k in ["from", "to"] {
                        if let Some(o) = d.as_object_mut() {
                            o.remove(k);
                        }
                    }
                    match e.kind.as_str() {
                        "reminder_signed" => w.reminder = Some(d),
                        "leak_checked" => w.leak_detection = Some(d),
                        _ => w.community = Some(d),
                    }
                }
                _ => {}
            }
        }
        w
    }
}

/// Sets `free_of_charge` on the view of an order of a company whose policy names free services.
pub async fn fill(app: &App, v: &mut OrderView) -> AppResult<()> {
    let company = app.store.company(v.summary.company_id).await?;
    let policy = company_policy(&company)?;
    if let Some(x) = &policy.extended_services {
        if x.is_free(&v.summary.category, v.summary.subtype.as_deref()) {
            v.water.free_of_charge = Some(true);
        }
    }
    Ok(())
}

/// The water services' rules on the generic steps (with `[extended_services]` only): a `reply`
/// with `paid` (费用自理) on a free service is refused (003 序言 全程"零收费"), and a
/// water-quality test is replied only with its lab result (003:3 结果…回复用户).
pub fn before_step(policy: &Policy, full: &OrderFull, step: &str, paid: bool) -> AppResult<()> {
    let Some(x) = &policy.extended_services else {
        return Ok(());
    };
    if step != "reply" {
        return Ok(());
    }
    let (category, subtype) = (&full.order.category, full.order.subtype.as_deref());
    if paid && x.is_free(category, subtype) {
        return Err(AppError::invalid(
            "paid",
            "this service is free of charge (003: 全程零收费); no charge may be recorded",
        ));
    }
    let quality = category == "service" && subtype == Some("water_quality");
    let resulted = WaterFacts::of_events(&full.events)
        .water_quality
        .is_some_and(|q| q.result_at.is_some());
    if quality && !resulted {
        return Err(AppError::InvalidTransition(
            "a water-quality test is replied with its lab result: record lab_result first".into(),
        ));
    }
    Ok(())
}

/// 003:4.3⑶: an `arrive` limit a step starts outside working hours on a repair starts at the
/// next working window; returns that start when it moved (the step's event records it).
pub fn defer_off_hours(
    app: &App,
    policy: &Policy,
    offset: chrono::FixedOffset,
    category: &str,
    ops: &mut [DeadlineOp],
) -> Option<DateTime<Utc>> {
    let hours = policy.extended_services.as_ref()?.working_hours?;
    if category != "repair" {
        return None;
    }
    rexian_domain::water::defer_arrive(ops, &hours, offset, &app.calendar)
}

/// Who takes service steps: those who take `arrive` and `reply`.
fn may_serve(me: &Actor) -> bool {
    crate::steps::may_take(me, "reply")
}

/// A time given for a step: now when none, never in the future.
fn past(field: &str, at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    let at = at.unwrap_or(now);
    if at > now {
        return Err(AppError::invalid(
            field,
            format!("{field} is in the future"),
        ));
    }
    Ok(at)
}

fn need<T>(v: Option<T>, field: &str) -> AppResult<T> {
    v.ok_or_else(|| AppError::invalid(field, format!("{field} is required")))
}

fn need_text(v: Option<String>, field: &str, max: usize) -> AppResult<String> {
    clean(field, v, max)?.ok_or_else(|| AppError::invalid(field, format!("{field} is required")))
}

/// What a service step records: its event's data.
fn decide(input: ServiceInput, full: &OrderFull, now: DateTime<Utc>) -> AppResult<Value> {
    let t = |at: DateTime<Utc>| ser::rfc3339(ms(at));
    Ok(match input {
        ServiceInput::Sample(b) => {
            let at = past("at", b.at, now)?;
            json!({"at": t(at), "point": need_text(b.point, "point", 200)?})
        }
        ServiceInput::LabResult(b) => {
            let at = past("at", b.at, now)?;
            let passed = need(b.passed, "passed")?;
            let report_no = need_text(b.report_no, "report_no", 100)?;
            let sampled = WaterFacts::of_events(&full.events)
                .water_quality
                .and_then(|q| q.sampled_at)
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok());
            if sampled.is_some_and(|s| at < s) {
                return Err(AppError::invalid(
                    "at",
                    "the result is dated before the sample",
                ));
            }
            json!({"at": t(at), "passed": passed, "report_no": report_no})
        }
        ServiceInput::Reminder(b) => {
            let kind = need(b.kind, "kind")?;
            let kind = ReminderKind::from_str(&kind).map_err(|_| {
                AppError::invalid(
                    "kind",
                    "kind is abnormal_use, suspected_leak or safety_hazard",
                )
            })?;
            if b.signed != Some(true) {
                return Err(AppError::invalid(
                    "signed",
                    "the customer signs the reminder (003:1.2): signed must be true",
                ));
            }
            json!({"kind": kind, "signed": true, "note": clean("note", b.note, 2000)?})
        }
        ServiceInput::LeakResult(b) => {
            let found = need(b.found, "found")?;
            json!({"found": found, "result": need_text(b.result, "result", 2000)?})
        }
        ServiceInput::Community(b) => {
            let origin = need(b.origin, "origin")?;
            let origin = CommunityOrigin::from_str(&origin).map_err(|_| {
                AppError::invalid("origin", "origin is planned, requested or staff")
            })?;
            let held = past("held_at", b.held_at, now)?;
            let report = need_text(b.report, "report", 4000)?;
            json!({"origin": origin, "held_at": t(held), "report": report})
        }
    })
}

/// Takes a service step on order `order_id`: checks who and whether the order's service and
/// state allow it, records its event (the order's status stays), answers the order (the API
/// logs the view of the customer's data, as for any step).
pub async fn take(
    app: &App,
    me: &Actor,
    order_id: i64,
    input: ServiceInput,
) -> AppResult<OrderView> {
    let full = visible(app, me, order_id).await?;
    if !may_serve(me) {
        return Err(AppError::Forbidden);
    }
    let step = input.step();
    let status = Status::from_str(&full.order.status).map_err(|e| AppError::Internal(e.into()))?;
    let facts = WaterFacts::of_events(&full.events);
    let q = facts.water_quality.unwrap_or_default();
    let so_far = ServiceSoFar {
        sampled: q.sampled_at.is_some(),
        resulted: q.result_at.is_some(),
        finished: !with_unit(status),
    };
    check_step(
        step,
        &full.order.category,
        full.order.subtype.as_deref(),
        so_far,
    )
    .map_err(|r: ServiceRefusal| AppError::InvalidTransition(r.to_string()))?;
    let now = app.clock.now();
    let mut data = decide(input, &full, now)?;
    data["from"] = json!(status.as_str());
    data["to"] = json!(status.as_str());
    let change = OrderChange {
        before_version: full.order.version,
        after: full.order.clone(),
        event: NewEvent {
            kind: step.event().into(),
            actor_id: Some(me.id),
            at: ms(now),
            data,
        },
        deadlines: Vec::new(),
        callback: None,
        extension: None,
        recheck: None,
    };
    app.store.apply_change(&change).await.map_err(|e| match e {
        rexian_store::StoreError::Conflict(_) => AppError::Conflict {
            field: None,
            message: crate::steps::ORDER_CHANGED.into(),
        },
        other => other.into(),
    })?;
    let full = app.store.order_full(order_id).await?;
    app.notify(&full.order);
    let mut v = OrderView::of(me, &full, ms(now));
    fill(app, &mut v).await?;
    Ok(v)
}

// ---------- emergency water delivery (003:6) ----------

/// `POST /outages/{id}/water_deliveries`: a delivery of water by tanker during an outage.
#[derive(schemars::JsonSchema, Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryInput {
    /// When the tanker served (default now; not in the future).
    pub at: Option<DateTime<Utc>>,
    /// Where (a community, street or building of the outage).
    #[schemars(length(max = 200))]
    pub place: Option<String>,
    /// Litres delivered (at least one of litres and tanks).
    pub litres: Option<u32>,
    /// Tanker loads delivered.
    pub tanks: Option<u32>,
    /// Anything else.
    #[schemars(length(max = 2000))]
    pub note: Option<String>,
}

/// A delivery as listed on the outage.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct DeliveryView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
    /// Where.
    pub place: String,
    /// Litres.
    pub litres: Option<i64>,
    /// Tanker loads.
    pub tanks: Option<i64>,
    /// Note.
    pub note: Option<String>,
    /// Who recorded it.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub recorded_by: i64,
}

impl DeliveryView {
    fn of(r: &DeliveryRow) -> DeliveryView {
        DeliveryView {
            id: r.id,
            at: r.at,
            place: r.place.clone(),
            litres: r.litres,
            tanks: r.tanks,
            note: r.note.clone(),
            recorded_by: r.recorded_by,
        }
    }
}

/// The deliveries of an outage notice, newest first (at most this many).
pub const DELIVERIES_SHOWN: i64 = 200;

/// The deliveries of notice `o` as shown on it: none for a notice without any.
pub(crate) async fn listed(
    app: &App,
    o: &rexian_store::outages::OutageRow,
) -> AppResult<Option<Vec<DeliveryView>>> {
    let rows = app.store.water_deliveries(o.id, DELIVERIES_SHOWN).await?;
    Ok((!rows.is_empty()).then(|| rows.iter().map(DeliveryView::of).collect()))
}

/// Records a delivery on a published notice of a water company (003:6: 停水时间长、面积大).
pub async fn deliver(
    app: &App,
    me: &Actor,
    id: i64,
    b: DeliveryInput,
) -> AppResult<crate::outages::OutageView> {
    if !crate::outages::may_handle(me) {
        return Err(AppError::Forbidden);
    }
    let o = crate::outages::get(app, me, id).await?;
    if !delivers_water(app, o.company_id).await? {
        return Err(AppError::InvalidTransition(
            "emergency water delivery is a water company's service".into(),
        ));
    }
    if o.status != "published" {
        return Err(AppError::InvalidTransition(format!(
            "water is delivered during a published outage, not a {} one",
            o.status
        )));
    }
    let now = app.clock.now();
    let at = past("at", b.at, now)?;
    if ms(at) < o.start_at {
        return Err(AppError::invalid(
            "at",
            "the delivery is before the outage started",
        ));
    }
    let place = need_text(b.place, "place", 200)?;
    let litres = b.litres.filter(|n| *n > 0).map(i64::from);
    let tanks = b.tanks.filter(|n| *n > 0).map(i64::from);
    if litres.is_none() && tanks.is_none() {
        return Err(AppError::invalid(
            "litres",
            "give how much: litres or tanks (more than 0)",
        ));
    }
    let note = clean("note", b.note, 2000)?;
    let row = DeliveryRow {
        id: 0,
        outage_id: o.id,
        at: ms(at),
        place,
        litres,
        tanks,
        note,
        recorded_by: me.id,
    };
    let event = OutageEvent {
        kind: "water_delivered".into(),
        actor_id: Some(me.id),
        at: ms(now),
        data: json!({"at": ser::rfc3339(row.at), "place": row.place, "litres": litres,
            "tanks": tanks}),
    };
    app.store.add_water_delivery(&row, &event).await?;
    crate::outages::get(app, me, id).await
}

// ---------- the order page ----------

/// What the order page shows of the water services.
#[derive(Debug, Clone)]
pub struct WaterPanel {
    /// The order's service (its subtype).
    pub service: String,
    /// Free of charge.
    pub free: bool,
    /// What was recorded.
    pub facts: WaterFacts,
    /// The step form the user may fill next.
    pub next: Option<&'static str>,
}

/// The panel of an order of a company with extended services, when the order is one of them
/// or has recorded any; none otherwise.
pub fn panel(
    me: &Actor,
    company: &rexian_store::org::Company,
    full: &OrderFull,
) -> AppResult<Option<WaterPanel>> {
    let policy = company_policy(company)?;
    let Some(x) = &policy.extended_services else {
        return Ok(None);
    };
    let o = &full.order;
    let facts = WaterFacts::of_events(&full.events);
    let free = x.is_free(&o.category, o.subtype.as_deref());
    let recorded = facts.water_quality.is_some()
        || facts.reminder.is_some()
        || facts.leak_detection.is_some()
        || facts.community.is_some();
    if !free && !recorded {
        return Ok(None);
    }
    let status = Status::from_str(&o.status).map_err(|e| AppError::Internal(e.into()))?;
    let q = facts.water_quality.clone().unwrap_or_default();
    let next = match o.subtype.as_deref() {
        _ if o.category != "service" || !with_unit(status) || !may_serve(me) => None,
        Some("water_quality") if q.sampled_at.is_none() => Some("sample"),
        Some("water_quality") if q.result_at.is_none() => Some("lab_result"),
        Some("reminder") => Some("reminder"),
        Some("leak_detection") => Some("leak_result"),
        Some("community") => Some("community_report"),
        _ => None,
    };
    Ok(Some(WaterPanel {
        service: o.subtype.clone().unwrap_or_default(),
        free,
        facts,
        next,
    }))
}

/// The zone of the company of order `id` (forms give local times).
pub async fn zone(app: &App, me: &Actor, id: i64) -> AppResult<chrono::FixedOffset> {
    let full = visible(app, me, id).await?;
    Ok(app.store.company(full.order.company_id).await?.offset())
}

/// Whether company `id` delivers water in outages (a water company, 003:6).
pub async fn delivers_water(app: &App, id: i64) -> AppResult<bool> {
    let c = app.store.company(id).await?;
    Ok(company_policy(&c)?.utility == rexian_domain::model::Utility::Water)
}
