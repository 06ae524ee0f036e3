//! Temperature measurement on `service`/`temperature` orders (测温, `000:五`, api-v1 "Field
//! services"): each reading is a `measured` event of the order holding the reading, its two
//! validity conditions, the signature or the noted refusal, and whether it is below the
//! policy's standard; a valid reading below it starts the `cause_check` limit and proposes a
//! sample of neighbouring households from the register (`五.6`), listed on the order.

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use rexian_domain::deadline;
use rexian_domain::lifecycle::with_unit;
use rexian_domain::model::{DeadlineKind, Role, Status};
use rexian_domain::policy::Limit;
use rexian_domain::temperature::{
    self, check_signature, check_stage, Conditions, SignRefusal, Stage, TemperatureRules,
};
use rexian_domain::workflow::DeadlineOp;
use rexian_store::orders::{EventRow, NewEvent, OrderChange, OrderFull};
use rexian_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::str::FromStr;

use crate::clock::{from_ms, ms};
use crate::order_state::{policy_for_unit, to_changes};
use crate::orders::{visible, OrderView};
use crate::ser;
use crate::{Actor, App, AppError, AppResult};

/// The event of a reading.
pub const MEASURED: &str = "measured";
/// Most neighbouring households proposed for the sample (`000:五.6` 抽查; a bounded page).
pub const NEIGHBOUR_SAMPLE: i64 = 10;

/// Who takes readings (among those who may see the order).
const MEASURERS: &[Role] = &[
    Role::FieldWorker,
    Role::UnitHandler,
    Role::Supervisor,
    Role::Admin,
];

/// Whether `me` may record readings.
pub fn may_measure(me: &Actor) -> bool {
    MEASURERS.iter().any(|r| me.has(*r))
}

/// Whether the order is a temperature measurement.
pub fn is_temperature(category: &str, subtype: Option<&str>) -> bool {
    category == "service" && subtype == Some("temperature")
}

/// A reading as sent.
#[derive(schemars::JsonSchema, Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct MeasurementInput {
    /// When the reading was taken (default now); must lie in the measuring window.
    pub at: Option<DateTime<Utc>>,
    /// `first`, `confirm`, `recheck` or `third_party`.
    pub stage: Option<String>,
    /// Room temperature, °C.
    pub room_c: Option<f64>,
    /// Outdoor temperature, °C.
    pub outdoor_c: Option<f64>,
    /// The device (model, number).
    pub device: Option<String>,
    /// Doors and windows closed for an hour or more.
    pub doors_windows_closed_1h: Option<bool>,
    /// The device in the middle of the room, 1 m above the floor.
    pub device_centre_1m: Option<bool>,
    /// The customer signed the record.
    pub customer_signed: Option<bool>,
    /// Why the customer refused to sign (required when not signed).
    pub refusal_note: Option<String>,
    /// `at` as a wall-clock time in the company's zone (the order page's form).
    #[serde(skip)]
    pub at_local: Option<chrono::NaiveDateTime>,
}

/// A reading as the order lists it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize, Deserialize)]
pub struct MeasurementView {
    /// The stage.
    pub stage: Stage,
    /// When it was taken.
    pub at: DateTime<Utc>,
    /// Room temperature, °C.
    pub room_c: f64,
    /// Outdoor temperature, °C.
    pub outdoor_c: Option<f64>,
    /// The device.
    pub device: Option<String>,
    /// Doors and windows closed for an hour or more.
    pub doors_windows_closed_1h: bool,
    /// The device in the middle of the room, 1 m above the floor.
    pub device_centre_1m: bool,
    /// Both conditions held.
    pub valid: bool,
    /// Valid and below the standard.
    pub below_standard: bool,
    /// The standard it was compared with, °C.
    pub standard_c: f64,
    /// The customer signed.
    pub customer_signed: bool,
    /// The customer's refusal, noted.
    pub refusal_note: Option<String>,
    /// Who recorded it.
    #[serde(default)]
    #[schemars(with = "Option<ser::IdText>")]
    pub by: Option<String>,
}

/// A neighbouring household proposed for the sample.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize, Deserialize)]
pub struct NeighbourView {
    /// The customer.
    #[schemars(with = "ser::IdText")]
    pub customer_id: String,
    /// Account number.
    pub account_no: String,
    /// Community.
    pub community: Option<String>,
    /// Building.
    pub building: Option<String>,
    /// Unit.
    pub unit_no: Option<String>,
    /// Room.
    pub room: Option<String>,
}

/// The readings of an order, oldest first, from its events.
pub fn of_events(events: &[EventRow]) -> Vec<MeasurementView> {
    events
        .iter()
        .filter(|e| e.kind == MEASURED)
        .filter_map(|e| serde_json::from_str::<MeasurementView>(&e.data).ok())
        .collect()
}

/// The neighbours proposed by the latest below-standard reading of an order.
pub fn sample_of_events(events: &[EventRow]) -> Vec<NeighbourView> {
    events
        .iter()
        .rev()
        .filter(|e| e.kind == MEASURED)
        .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok())
        .find_map(|d| {
            let s = d.get("neighbour_sample")?;
            serde_json::from_value::<Vec<NeighbourView>>(s.clone()).ok()
        })
        .unwrap_or_default()
}

fn need<T>(v: Option<T>, field: &str) -> AppResult<T> {
    v.ok_or_else(|| AppError::invalid(field, format!("{field} is required")))
}

fn celsius(field: &str, v: f64, lo: f64, hi: f64) -> AppResult<f64> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok((v * 10.0).round() / 10.0)
    } else {
        Err(AppError::invalid(
            field,
            format!("{field} must be between {lo} and {hi} °C"),
        ))
    }
}

/// A reading, checked on its own (not yet against the order).
struct Reading {
    at: DateTime<Utc>,
    stage: Stage,
    room_c: f64,
    outdoor_c: Option<f64>,
    device: Option<String>,
    conditions: Conditions,
    signed: bool,
    refusal_note: Option<String>,
}

fn reading(b: MeasurementInput, now: DateTime<Utc>, created: DateTime<Utc>) -> AppResult<Reading> {
    let stage_text = need(b.stage, "stage")?;
    let stage = Stage::from_str(&stage_text).map_err(|_| {
        AppError::invalid(
            "stage",
            "stage must be first, confirm, recheck or third_party",
        )
    })?;
    let room_c = celsius("room_c", need(b.room_c, "room_c")?, -30.0, 50.0)?;
    let outdoor_c = b
        .outdoor_c
        .map(|v| celsius("outdoor_c", v, -60.0, 50.0))
        .transpose()?;
    let device = crate::text::clean("device", b.device, 100)?;
    let refusal_note = crate::text::clean("refusal_note", b.refusal_note, 500)?;
    let conditions = Conditions {
        doors_windows_closed_1h: need(b.doors_windows_closed_1h, "doors_windows_closed_1h")?,
        device_centre_1m: need(b.device_centre_1m, "device_centre_1m")?,
    };
    let signed = need(b.customer_signed, "customer_signed")?;
    check_signature(signed, refusal_note.as_deref()).map_err(|e| match e {
        SignRefusal::Neither => AppError::invalid(
            "refusal_note",
            "the customer signs (customer_signed) or the refusal is noted (refusal_note)",
        ),
        SignRefusal::Both => {
            AppError::invalid("refusal_note", "a signed record carries no refusal note")
        }
    })?;
    let at = b.at.unwrap_or(now);
    if at > now + Duration::minutes(5) || at < created {
        return Err(AppError::invalid(
            "at",
            "at must lie between the request and now",
        ));
    }
    Ok(Reading {
        at,
        stage,
        room_c,
        outdoor_c,
        device,
        conditions,
        signed,
        refusal_note,
    })
}

/// The last reading's stage and whether it was valid.
fn last_stage(full: &OrderFull) -> Option<(Stage, bool)> {
    of_events(&full.events).last().map(|m| (m.stage, m.valid))
}

fn rules_of(policy: &rexian_domain::Policy) -> AppResult<TemperatureRules> {
    policy.temperature.ok_or_else(|| {
        AppError::InvalidTransition(
            "this company's policy has no [temperature] section: it takes no readings".into(),
        )
    })
}

/// Records a reading on order `order_id` and answers the order (the caller that shows it logs
/// the view of the customer's data).
pub async fn record(
    app: &App,
    me: &Actor,
    order_id: i64,
    b: MeasurementInput,
) -> AppResult<OrderView> {
    let mut attempt = 1;
    loop {
        match once(app, me, order_id, b.clone()).await {
            Err(AppError::Conflict { field: None, .. }) if attempt < 3 => attempt += 1,
            other => return other,
        }
    }
}

fn open_for_readings(full: &OrderFull) -> AppResult<()> {
    let o = &full.order;
    if !is_temperature(&o.category, o.subtype.as_deref()) {
        return Err(AppError::InvalidTransition(
            "readings are taken on service/temperature orders only".into(),
        ));
    }
    let status = Status::from_str(&o.status).map_err(|e| AppError::Internal(e.into()))?;
    if !with_unit(status) {
        return Err(AppError::InvalidTransition(format!(
            "the order is {status}: readings are taken while a unit holds it"
        )));
    }
    Ok(())
}

async fn once(app: &App, me: &Actor, order_id: i64, b: MeasurementInput) -> AppResult<OrderView> {
    let full = visible(app, me, order_id).await?;
    if !may_measure(me) {
        return Err(AppError::Forbidden);
    }
    open_for_readings(&full)?;
    let company = app.store.company(full.order.company_id).await?;
    let policy = policy_for_unit(app, &company, full.order.unit_id).await?;
    let rules = rules_of(&policy)?;
    let now = app.clock.now();
    let mut b = b;
    if let (None, Some(l)) = (b.at, b.at_local) {
        let at = company.offset().from_local_datetime(&l).single();
        b.at = Some(
            at.ok_or_else(|| AppError::invalid("at", "at must be a date and time"))?
                .with_timezone(&Utc),
        );
    }
    let r = reading(b, now, from_ms(full.order.created_at))?;
    let local = r.at.with_timezone(&company.offset()).naive_local();
    if !temperature::in_window(&rules, local) {
        return Err(AppError::RefusedField {
            code: "measurement_window",
            field: "at",
            message: format!(
                "readings are taken from {} to {} local time",
                rules.window_start.format("%H:%M"),
                rules.window_end.format("%H:%M")
            ),
        });
    }
    check_stage(last_stage(&full), r.stage).map_err(|e| AppError::RefusedField {
        code: "invalid_transition",
        field: "stage",
        message: e.to_string(),
    })?;
    let valid = r.conditions.valid();
    let below = temperature::below_standard(&rules, r.conditions, r.room_c);
    let mut data = json!({
        "stage": r.stage,
        "at": r.at,
        "room_c": r.room_c,
        "outdoor_c": r.outdoor_c,
        "device": r.device,
        "doors_windows_closed_1h": r.conditions.doors_windows_closed_1h,
        "device_centre_1m": r.conditions.device_centre_1m,
        "valid": valid,
        "below_standard": below,
        "standard_c": rules.standard_c,
        "customer_signed": r.signed,
        "refusal_note": r.refusal_note,
        "by": me.id.to_string(),
    });
    let mut deadlines = Vec::new();
    if below {
        data["neighbour_sample"] = neighbours(app, &full).await?;
        let running = full
            .deadlines
            .iter()
            .any(|d| d.active && d.kind == DeadlineKind::CauseCheck.as_str());
        if !running {
            let limit = Limit::Hours(rules.cause_check_hours);
            let d = deadline::due_at(now, &limit, &app.calendar, company.offset());
            let span = (d.due_at - now).num_milliseconds().max(0) as f64;
            let share = policy.amber_share.clamp(0.0, 1.0);
            deadlines = to_changes(&[DeadlineOp::Start {
                kind: DeadlineKind::CauseCheck,
                unit: full.order.unit_id,
                started_at: now,
                due_at: d.due_at,
                amber_at: now + Duration::milliseconds((span * share) as i64),
                provisional: d.provisional,
            }]);
        }
    }
    let change = OrderChange {
        before_version: full.order.version,
        after: full.order.clone(),
        event: NewEvent {
            kind: MEASURED.into(),
            actor_id: Some(me.id),
            at: ms(now),
            data,
        },
        deadlines,
        callback: None,
        extension: None,
        recheck: None,
    };
    app.store.apply_change(&change).await.map_err(|e| match e {
        StoreError::Conflict(_) => AppError::Conflict {
            field: None,
            message: crate::steps::ORDER_CHANGED.into(),
        },
        other => other.into(),
    })?;
    let full = app.store.order_full(order_id).await?;
    app.notify(&full.order);
    Ok(OrderView::of(me, &full, ms(now)))
}

/// The neighbouring households of the order's customer (bounded), as event data.
async fn neighbours(app: &App, full: &OrderFull) -> AppResult<Value> {
    let o = &full.order;
    let rows = app
        .store
        .neighbours(
            o.company_id,
            o.account_no.as_deref(),
            o.customer_community.as_deref(),
            NEIGHBOUR_SAMPLE,
        )
        .await?;
    let list: Vec<NeighbourView> = rows
        .into_iter()
        .map(|n| NeighbourView {
            customer_id: n.id.to_string(),
            account_no: n.account_no,
            community: n.community,
            building: n.building,
            unit_no: n.unit_no,
            room: n.room,
        })
        .collect();
    serde_json::to_value(list).map_err(|e| AppError::Internal(e.into()))
}

/// What the printed record (测温记录单) shows.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The order as the user may see it, with its readings.
    pub order: OrderView,
    /// The company's name.
    pub company: String,
    /// The company's zone.
    pub offset: FixedOffset,
    /// The policy's standard, °C.
    pub standard_c: Option<f64>,
}

/// The measurement record of order `order_id` (`not_found` unless a temperature order `me`
/// may see).
pub async fn record_sheet(app: &App, me: &Actor, order_id: i64) -> AppResult<Sheet> {
    let (full, _) = crate::orders::open(app, me, order_id).await?;
    if !is_temperature(&full.order.category, full.order.subtype.as_deref()) {
        return Err(AppError::NotFound);
    }
    let company = app.store.company(full.order.company_id).await?;
    let policy = policy_for_unit(app, &company, full.order.unit_id).await?;
    Ok(Sheet {
        order: OrderView::of(me, &full, app.now_ms()),
        company: company.name.clone(),
        offset: company.offset(),
        standard_c: policy.temperature.map(|r| r.standard_c),
    })
}

/// The readings of a temperature order as its page shows them.
#[derive(Debug, Clone)]
pub struct Readings {
    /// Oldest first.
    pub measurements: Vec<MeasurementView>,
    /// The neighbours proposed by the latest reading below the standard.
    pub neighbours: Vec<NeighbourView>,
    /// A unit holds the order (readings may be taken).
    pub open: bool,
}

/// The readings of order `full`, none when it is not a temperature measurement.
pub fn of_order(full: &OrderFull) -> Option<Readings> {
    let o = &full.order;
    if !is_temperature(&o.category, o.subtype.as_deref()) {
        return None;
    }
    Some(Readings {
        measurements: of_events(&full.events),
        neighbours: sample_of_events(&full.events),
        open: Status::from_str(&o.status).is_ok_and(with_unit),
    })
}
