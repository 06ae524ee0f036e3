//! Company policies: categories, subtypes and every time limit, as data (SPEC §3).
//!
//! A policy is a TOML file (see `policies/*.toml`). Each `[[rule]]` names a category and
//! optionally a subtype, complaint grade or heating-season phase, and sets limits for some
//! deadline kinds. For an order, each kind takes its limit from the most specific matching
//! rule that sets it (specificity = how many of subtype/grade/season the rule names; on a
//! tie the later rule wins).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use toml::{Spanned, Table, Value};

use crate::callback::CallbackRules;
use crate::grading::GradingRules;
use crate::model::{Category, DeadlineKind, Grade, Utility};

/// The four shipped presets: (name, TOML text).
pub const PRESETS: [(&str, &str); 4] = [
    ("heat", include_str!("../../../policies/heat.toml")),
    ("power", include_str!("../../../policies/power.toml")),
    ("gas", include_str!("../../../policies/gas.toml")),
    ("water", include_str!("../../../policies/water.toml")),
];

/// The longest time limit a policy may set, in days (10 years).
pub const MAX_LIMIT_DAYS: u32 = 3650;
/// The most minutes a limit may have (10 years).
pub const MAX_LIMIT_MINUTES: u32 = MAX_LIMIT_DAYS * 24 * 60;
/// The most hours a limit may have (10 years).
pub const MAX_LIMIT_HOURS: u32 = MAX_LIMIT_DAYS * 24;
/// The most workdays a limit may have (10 years of about 250 working days).
pub const MAX_LIMIT_WORKDAYS: u32 = 2500;
/// The largest assessment deduction per occurrence, in 元.
pub const MAX_AMOUNT_YUAN: u32 = 100_000;
/// The largest assessment deduction per occurrence, in points.
pub const MAX_POINTS: u32 = 1000;

/// The length of a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Wall-clock minutes.
    Minutes(u32),
    /// Wall-clock hours.
    Hours(u32),
    /// Working days on the business calendar.
    Workdays(u32),
    /// By the end of the local day the clock starts.
    SameDay,
    /// By the end of the local month the clock starts.
    MonthEnd,
}

impl Limit {
    /// The limit as a nominal duration, for escalation steps: minutes and hours exactly,
    /// N workdays as N × 24 h, same day as 24 h, month end as 30 days.
    pub fn nominal(&self) -> Duration {
        match *self {
            Limit::Minutes(n) => Duration::minutes(i64::from(n)),
            Limit::Hours(n) => Duration::hours(i64::from(n)),
            Limit::Workdays(n) => Duration::days(i64::from(n)),
            Limit::SameDay => Duration::days(1),
            Limit::MonthEnd => Duration::days(30),
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Minutes(n) => write!(f, "{n} min"),
            Limit::Hours(n) => write!(f, "{n} h"),
            Limit::Workdays(n) => write!(f, "{n} workdays"),
            Limit::SameDay => f.write_str("same day"),
            Limit::MonthEnd => f.write_str("month end"),
        }
    }
}

/// The event that starts a limit's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The centre accepted the contact (受理).
    Accepted,
    /// The order was dispatched to the unit (派发); restarts on each new dispatch.
    Dispatched,
    /// The unit replied (回复).
    Replied,
    /// The unit arrived on site (到场), e.g. power restored on site before the reply.
    Arrived,
}

impl Anchor {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Anchor::Accepted => "accepted",
            Anchor::Dispatched => "dispatched",
            Anchor::Replied => "replied",
            Anchor::Arrived => "arrived",
        }
    }

    /// The default anchor of a deadline kind (SPEC §3): dispatch and close from
    /// acceptance, the unit's limits from dispatch, callback from the reply.
    /// The named limits: preparation, refusal reply and investigation from dispatch (the
    /// unit's work), the temperature visit arrangement and the media reply from acceptance
    /// (the seeds count them from the customer's request and the exposure).
    pub fn default_for(kind: DeadlineKind) -> Anchor {
        match kind {
            DeadlineKind::Dispatch | DeadlineKind::Close => Anchor::Accepted,
            DeadlineKind::Contact
            | DeadlineKind::Arrive
            | DeadlineKind::Finish
            | DeadlineKind::Prepare
            | DeadlineKind::RefusalReply
            | DeadlineKind::Investigate
            | DeadlineKind::Appointment => Anchor::Dispatched,
            DeadlineKind::CauseCheck => Anchor::Dispatched,
            DeadlineKind::Arrange | DeadlineKind::MediaReply => Anchor::Accepted,
            DeadlineKind::Callback => Anchor::Replied,
        }
    }
}

/// The class of the area a company serves, which picks area-specific limits (e.g. the State
/// Grid repair arrival commitment: urban 45 min, rural 90 min, remote 2 h).
#[derive(
    schemars::JsonSchema, Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AreaClass {
    /// Urban (城区).
    #[default]
    Urban,
    /// Rural (农村).
    Rural,
    /// Remote (特殊边远地区).
    Remote,
}

impl AreaClass {
    /// Every class.
    pub const ALL: [AreaClass; 3] = [AreaClass::Urban, AreaClass::Rural, AreaClass::Remote];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AreaClass::Urban => "urban",
            AreaClass::Rural => "rural",
            AreaClass::Remote => "remote",
        }
    }

    /// The class named `s`, if any.
    pub fn parse(s: &str) -> Option<AreaClass> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Where an order's date falls relative to the heating season start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeasonPhase {
    /// No season start known, or earlier than the pre-season window.
    Off,
    /// Within `pre_days` before the start.
    Pre,
    /// From the start until `settle_days` after it.
    Early,
    /// From `settle_days` after the start.
    Late,
}

/// Heating-season windows (`000:四.5(4)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeasonRules {
    /// Days before the start that count as pre-season (15).
    pub pre_days: u32,
    /// Days after the start until the stricter rule applies (15).
    pub settle_days: u32,
}

impl SeasonRules {
    /// The phase of local date `d` for a season starting on `start`.
    pub fn phase(&self, d: NaiveDate, start: Option<NaiveDate>) -> SeasonPhase {
        let Some(start) = start else {
            return SeasonPhase::Off;
        };
        let days = |n: u32| chrono::Days::new(u64::from(n));
        let pre = start
            .checked_sub_days(days(self.pre_days))
            .unwrap_or(NaiveDate::MIN);
        let settle = start
            .checked_add_days(days(self.settle_days))
            .unwrap_or(NaiveDate::MAX);
        if d < pre {
            SeasonPhase::Off
        } else if d < start {
            SeasonPhase::Pre
        } else if d < settle {
            SeasonPhase::Early
        } else {
            SeasonPhase::Late
        }
    }
}

/// The centre's shifts (`001` 值班: three shifts, or 24 h from 08:00): the local times at which
/// one shift hands over to the next. Without `[shifts]` a shift is the local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shifts {
    /// Start times, sorted, distinct, at least one.
    pub starts: Vec<NaiveTime>,
    /// The incoming shift is due this long before its start (`001`: 20).
    pub handover_early_minutes: Option<u32>,
    /// A handover accepted later than this after the shift start is late (`001`: 5).
    pub handover_max_delay_minutes: Option<u32>,
    /// The shifts' names, one per start (empty: named by their number, see
    /// [`crate::shift::name`]).
    pub names: Vec<String>,
    /// When an order left pending is the shift's fault (`001` 考核6)).
    pub left_pending: Option<LeftPending>,
}

/// What "could have been handled in the shift" means (`001` 考核6) 在班期间能处理掉的工单而未
/// 处理): an order of one of `categories`, still new (untouched) when a shift ends, received at
/// least `minutes` before that end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftPending {
    /// Categories the centre handles itself.
    pub categories: Vec<Category>,
    /// The least age at the shift's end.
    pub minutes: u32,
}

impl Default for Shifts {
    fn default() -> Self {
        Shifts {
            starts: vec![NaiveTime::MIN],
            handover_early_minutes: None,
            handover_max_delay_minutes: None,
            names: Vec::new(),
            left_pending: None,
        }
    }
}

impl Shifts {
    /// The start of the shift that local time `t` falls in.
    pub fn start_of(&self, t: NaiveDateTime) -> NaiveDateTime {
        let (day, time) = (t.date(), t.time());
        match self.starts.iter().rev().find(|s| **s <= time) {
            Some(s) => day.and_time(*s),
            None => day.pred_opt().unwrap_or(day).and_time(self.last()),
        }
    }

    /// The end of the shift that local time `t` falls in: the next start after it.
    pub fn end_of(&self, t: NaiveDateTime) -> NaiveDateTime {
        let (day, time) = (t.date(), t.time());
        match self.starts.iter().find(|s| **s > time) {
            Some(s) => day.and_time(*s),
            None => day.succ_opt().unwrap_or(day).and_time(self.first()),
        }
    }

    /// Whether a handover of the shift starting at `shift_start` accepted at `accepted` is late:
    /// past the allowed delay (none when the policy allows no delay rule).
    pub fn handover_late(&self, shift_start: NaiveDateTime, accepted: NaiveDateTime) -> bool {
        self.handover_max_delay_minutes
            .is_some_and(|m| accepted > shift_start + Duration::minutes(i64::from(m)))
    }

    fn first(&self) -> NaiveTime {
        self.starts.first().copied().unwrap_or(NaiveTime::MIN)
    }

    fn last(&self) -> NaiveTime {
        self.starts.last().copied().unwrap_or(NaiveTime::MIN)
    }
}

/// When many calls about one place make a mass incident (SPEC §6): `orders` orders of one
/// community, category and subtype within `minutes` open one; later ones join it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MassIncidentRules {
    /// Orders that open an incident (preset 10).
    pub orders: u32,
    /// Within this many minutes (preset 60).
    pub minutes: u32,
}

/// Survey and re-check rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SurveyRules {
    /// Share of complaints that get a callback (1.0 = 100 %).
    pub complaint_callback_share: f64,
    /// Least share of complainants re-checked for satisfaction (`000:九.4`: 0.2).
    pub complaint_recheck_share: Option<f64>,
    /// Share of closed repairs that get a random callback on attitude, quality, satisfaction and
    /// suggestions (`001`: "random"; the preset's number is ours).
    pub repair_recheck_share: Option<f64>,
    /// Monthly in-season survey sample, per mille of households, low end (`000:三.2`: 1).
    pub sample_per_mille_min: Option<u32>,
    /// Monthly in-season survey sample, per mille of households, high end (5).
    pub sample_per_mille_max: Option<u32>,
    /// Days after an outreach event its report is due (`000:三.7`: 7).
    pub outreach_report_days: Option<u32>,
}

impl Default for SurveyRules {
    fn default() -> Self {
        Self {
            complaint_callback_share: 1.0,
            complaint_recheck_share: None,
            repair_recheck_share: None,
            sample_per_mille_min: None,
            sample_per_mille_max: None,
            outreach_report_days: None,
        }
    }
}

/// An assessment rule: a deduction per occurrence of an event (e.g. `001` 绩效扣款).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentRule {
    /// Stable code the rest of the product matches events on.
    pub code: String,
    /// What the rule punishes.
    pub description: String,
    /// Deduction in 元 per occurrence.
    pub amount_yuan: Option<u32>,
    /// Deduction in points per occurrence.
    pub points: Option<u32>,
    /// Seed clause.
    pub clause: Option<String>,
    /// The product event that makes an entry by itself: `deadline_missed:<kind>` (the unit or
    /// first responder behind the missed limit), `month_end_open` (an order still open at
    /// month end), `outage_notice_late` (an outage notice not published by the end of the
    /// shift that received it: the user who received it) or `order_left_pending` (an order the
    /// shift could have handled still new at its end, see [`LeftPending`]: the user holding
    /// it). None: entered by an assessor.
    pub on: Option<String>,
}

/// One `[[rule]]`: limits for a category, optionally narrowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Category the rule applies to.
    pub category: Category,
    /// Subtype, when the rule is for one subtype only.
    pub subtype: Option<String>,
    /// Complaint grade, when the rule is for one grade only.
    pub grade: Option<Grade>,
    /// Heating-season phase, when the rule is for one phase only.
    pub season: Option<SeasonPhase>,
    /// Area class, when the rule is for one class of area only.
    pub area: Option<AreaClass>,
    /// Limit and anchor per deadline kind, the named extra limits (`milestones` in the file:
    /// `prepare`, `arrange`, `refusal_reply`, `investigate`, `media_reply`) among them.
    pub limits: BTreeMap<DeadlineKind, (Limit, Anchor)>,
}

impl Rule {
    fn matches(&self, f: &OrderFacts, phase: SeasonPhase, area: AreaClass) -> Option<usize> {
        if self.category != f.category {
            return None;
        }
        let mut score = 0;
        if let Some(s) = &self.subtype {
            if f.subtype.as_deref() != Some(s.as_str()) {
                return None;
            }
            score += 1;
        }
        if let Some(g) = self.grade {
            if f.grade != Some(g) {
                return None;
            }
            score += 1;
        }
        if let Some(p) = self.season {
            if p != phase {
                return None;
            }
            score += 1;
        }
        if let Some(a) = self.area {
            if a != area {
                return None;
            }
            score += 1;
        }
        Some(score)
    }
}

/// What the policy needs to know about an order to plan its deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    /// The order's category.
    pub category: Category,
    /// The order's subtype, if any.
    pub subtype: Option<String>,
    /// Complaint grade, if graded.
    pub grade: Option<Grade>,
    /// When the centre accepted the contact.
    pub accepted_at: DateTime<Utc>,
    /// This heating season's start date (heating companies).
    pub season_start: Option<NaiveDate>,
}

/// One deadline to set on an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePlan {
    /// Which step it covers.
    pub kind: DeadlineKind,
    /// How long.
    pub limit: Limit,
    /// Which event starts the clock.
    pub from: Anchor,
}

/// A named extra limit to set on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestonePlan {
    /// Milestone name from the policy.
    pub name: String,
    /// How long.
    pub limit: Limit,
    /// Which event starts the clock.
    pub from: Anchor,
}

/// The KPI targets a policy sets (`000:九.7`), shown beside the measured rates.
#[derive(schemars::JsonSchema, Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct KpiTargets {
    /// Target timely rate.
    pub timely_rate: Option<f64>,
    /// Target resolution rate.
    pub resolution_rate: Option<f64>,
    /// Target satisfaction rate.
    pub satisfaction_rate: Option<f64>,
}

/// A policy file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{policy}{}: {reason}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    /// The policy (file) name.
    pub policy: String,
    /// 1-based line of the fault, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub reason: String,
}

/// A company's policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Name given at load (preset or file name).
    pub name: String,
    /// Display title.
    pub title: Option<String>,
    /// The utility the policy is for.
    pub utility: Utility,
    /// The company's UTC offset (Asia/Shanghai = +08:00).
    pub utc_offset: FixedOffset,
    /// Share of a limit after which an order turns amber (default 0.8).
    pub amber_share: f64,
    /// The class of the area the company serves (default urban); picks rules with `area`.
    pub area: AreaClass,
    /// Callback rules.
    pub callback: CallbackRules,
    /// Survey rates.
    pub survey: SurveyRules,
    /// Heating-season windows, for heating policies.
    pub heating_season: Option<SeasonRules>,
    /// The centre's shifts.
    pub shifts: Shifts,
    /// Mass incidents; none: calls are not grouped.
    pub mass_incident: Option<MassIncidentRules>,
    /// Temperature measurement (`000:五`); none: the company takes no readings.
    pub temperature: Option<crate::temperature::TemperatureRules>,
    /// Known subtypes per category.
    pub subtypes: BTreeMap<Category, Vec<String>>,
    /// Limit rules.
    pub rules: Vec<Rule>,
    /// Assessment (deduction) rules.
    pub assessment: Vec<AssessmentRule>,
    /// The other numbers of the seeds the product reads (`[settings]`).
    pub settings: Settings,
    /// One-time-notification checklists (一次性告知, `004:第三章`) by subtype.
    pub checklist: BTreeMap<String, Checklist>,
    /// Extended services (water `003`): free of charge, the working window of repairs.
    pub extended_services: Option<crate::water::ExtendedServices>,
    source: Table,
}

/// What an agent tells a customer at once about a service item (一次性告知, `004:第九条`): the
/// materials to bring, the procedure, the promised time limit, the fees and their legal basis.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    /// Name of the service item as read out.
    pub title: String,
    /// Materials to submit (所需材料).
    pub materials: Vec<String>,
    /// Procedure, step by step (办理程序).
    pub procedure: Vec<String>,
    /// Promised time limit (承诺时限).
    pub time_limit: String,
    /// Fees (收费标准).
    pub fees: String,
    /// Basis of the fees and the procedure (依据).
    pub basis: String,
}

/// The `[settings]` of a policy: only keys some part of the product reads. A key nothing reads
/// is refused (`Policy::from_toml`), so every number in a policy file is enforced.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Settings {
    /// Complaints of one customer about one matter that make it grade 1 (`002:§14(6)`: 5).
    pub complaint_grade1_same_customer: Option<u32>,
    /// Distinct complainants in the window that make a matter grade 2 (`002:§14(6)`: 5).
    pub complaint_grade2_complainants: Option<u32>,
    /// The window for distinct complainants, in days (`002:§14(6)` 一个月: 30).
    pub complaint_grade2_window_days: Option<u32>,
    /// Complainants of one collective complaint that make it grade 2 (`002:§14(6)`: 5).
    pub complaint_grade2_collective: Option<u32>,
    /// Target share of orders handled in time, shown beside the KPI (`000:九.7`: 1.0).
    pub timeliness_target: Option<f64>,
    /// Target share of orders resolved, shown beside the KPI (`000:九.7`: 1.0).
    pub resolution_target: Option<f64>,
    /// Target share of satisfied callbacks, shown beside the KPI (`000:九.7`: 1.0).
    pub satisfaction_target: Option<f64>,
    /// Portal: demands taken from one client address per window (SPEC §2, issue 20).
    pub portal_orders_per_client: Option<u32>,
    /// Portal: demands taken for one phone number per window.
    pub portal_orders_per_phone: Option<u32>,
    /// Portal: the counting window of both limits, in minutes.
    pub portal_window_minutes: Option<u32>,
    /// Portal: 1 when a phone verification code must come before a demand is taken (off: 0).
    pub portal_verify_phone: Option<u32>,
}

/// The whole numbers of `[settings]` the product reads, with their bounds.
const BOUNDED_SETTINGS: [(&str, i64, i64); 8] = [
    ("complaint_grade1_same_customer", 1, 10_000),
    ("complaint_grade2_complainants", 1, 10_000),
    ("complaint_grade2_window_days", 1, MAX_LIMIT_DAYS as i64),
    ("complaint_grade2_collective", 1, 10_000),
    ("portal_orders_per_client", 1, 10_000),
    ("portal_orders_per_phone", 1, 10_000),
    ("portal_window_minutes", 1, 10_080),
    ("portal_verify_phone", 0, 1),
];

/// The shares (0..=1) of `[settings]` the product reads: the KPI targets.
const SHARE_SETTINGS: [&str; 3] = [
    "timeliness_target",
    "resolution_target",
    "satisfaction_target",
];

/// Whether some part of the product reads `settings.<key>`.
pub fn known_setting(key: &str) -> bool {
    BOUNDED_SETTINGS.iter().any(|(k, _, _)| *k == key) || SHARE_SETTINGS.contains(&key)
}

fn unread_setting(key: &str) -> String {
    format!(
        "settings.{key}: nothing in the product reads this setting (known: {})",
        BOUNDED_SETTINGS
            .iter()
            .map(|(k, _, _)| *k)
            .chain(SHARE_SETTINGS)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Why a `milestones` entry named `name` is refused, if it is.
fn unknown_milestone(name: &str) -> Option<String> {
    match name.parse::<DeadlineKind>() {
        Ok(k) if k.is_named() => None,
        _ => Some(format!(
            "milestones.{name}: unknown named limit (one of {})",
            DeadlineKind::NAMED
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Why a rule of `category` may not set `kind`, if it may not: a callback limit on a category
/// that takes no callback (SPEC §4, `002:§14(9)`) would never start.
fn kind_refused(category: Category, kind: DeadlineKind) -> Option<String> {
    (kind == DeadlineKind::Callback && !category.needs_callback()).then(|| {
        format!(
            "callback: {category} orders take no callback (002:§14(9)); a reply to the customer \
             after the unit's reply is close = {{ ..., from = \"replied\" }}"
        )
    })
}

// ---------- raw form ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    title: Option<String>,
    utility: Utility,
    utc_offset: Option<Spanned<String>>,
    amber_share: Option<Spanned<f64>>,
    area: Option<AreaClass>,
    callback: Option<Spanned<RawCallback>>,
    survey: Option<Spanned<RawSurvey>>,
    heating_season: Option<Spanned<SeasonRules>>,
    shifts: Option<Spanned<RawShifts>>,
    mass_incident: Option<Spanned<MassIncidentRules>>,
    temperature: Option<Spanned<RawTemperature>>,
    #[serde(default)]
    subtypes: BTreeMap<String, Spanned<Vec<String>>>,
    #[serde(default, rename = "rule")]
    rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    assessment: Vec<Spanned<RawAssessment>>,
    settings: Option<BTreeMap<String, Spanned<Value>>>,
    #[serde(default)]
    checklist: BTreeMap<String, Spanned<Checklist>>,
    extended_services: Option<Spanned<crate::water::RawExtended>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemperature {
    window_start: String,
    window_end: String,
    standard_c: f64,
    cause_check_hours: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCallback {
    window_start: Option<String>,
    window_end: Option<String>,
    min_gap_minutes: Option<u32>,
    max_attempts: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShifts {
    starts: Vec<String>,
    handover_early_minutes: Option<u32>,
    handover_max_delay_minutes: Option<u32>,
    names: Option<Vec<String>>,
    left_pending: Option<RawLeftPending>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLeftPending {
    categories: Vec<Category>,
    minutes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSurvey {
    complaint_callback_share: Option<f64>,
    complaint_recheck_share: Option<f64>,
    repair_recheck_share: Option<f64>,
    sample_per_mille_min: Option<u32>,
    sample_per_mille_max: Option<u32>,
    outreach_report_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssessment {
    code: String,
    description: String,
    amount_yuan: Option<u32>,
    points: Option<u32>,
    clause: Option<String>,
    on: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    category: Category,
    subtype: Option<Spanned<String>>,
    grade: Option<Spanned<u8>>,
    season: Option<SeasonPhase>,
    area: Option<AreaClass>,
    clause: Option<String>,
    dispatch: Option<Spanned<Value>>,
    contact: Option<Spanned<Value>>,
    arrive: Option<Spanned<Value>>,
    finish: Option<Spanned<Value>>,
    callback: Option<Spanned<Value>>,
    close: Option<Spanned<Value>>,
    #[serde(default)]
    milestones: BTreeMap<String, Spanned<Value>>,
}

struct Ctx<'a> {
    name: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, at: Option<std::ops::Range<usize>>, reason: impl Into<String>) -> PolicyError {
        PolicyError {
            policy: self.name.to_string(),
            line: at.map(|r| line_of(self.text, r.start)),
            reason: reason.into(),
        }
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    let end = byte.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn parse_limit(
    cx: &Ctx,
    kind: &str,
    default: Anchor,
    v: &Spanned<Value>,
) -> Result<(Limit, Anchor), PolicyError> {
    let at = Some(v.span());
    let word = |s: &str| match s {
        "same_day" => Ok(Limit::SameDay),
        "month_end" => Ok(Limit::MonthEnd),
        other => Err(cx.err(
            at.clone(),
            format!("{kind}: unknown limit {other:?} (same_day or month_end)"),
        )),
    };
    match v.get_ref() {
        Value::String(s) => Ok((word(s)?, default)),
        Value::Table(t) => {
            let mut limit = None;
            let mut from = default;
            for (k, val) in t {
                let num = |max: u32| -> Result<u32, PolicyError> {
                    match val.as_integer() {
                        Some(n) if n > 0 && n <= i64::from(max) => Ok(n as u32),
                        Some(n) if n > 0 => Err(cx.err(
                            at.clone(),
                            format!(
                                "{kind}.{k}: {n} is more than {max} (limits are at most 10 years)"
                            ),
                        )),
                        _ => Err(cx.err(
                            at.clone(),
                            format!("{kind}.{k}: must be a positive whole number"),
                        )),
                    }
                };
                let l = match k.as_str() {
                    "minutes" => Limit::Minutes(num(MAX_LIMIT_MINUTES)?),
                    "hours" => Limit::Hours(num(MAX_LIMIT_HOURS)?),
                    "workdays" => Limit::Workdays(num(MAX_LIMIT_WORKDAYS)?),
                    "at" => match val.as_str() {
                        Some(s) => word(s)?,
                        None => {
                            return Err(cx.err(at.clone(), format!("{kind}.at: must be a string")))
                        }
                    },
                    "from" => {
                        from = match val.as_str() {
                            Some("accepted") => Anchor::Accepted,
                            Some("dispatched") => Anchor::Dispatched,
                            Some("replied") => Anchor::Replied,
                            Some("arrived") => Anchor::Arrived,
                            _ => {
                                return Err(cx.err(
                                    at.clone(),
                                    format!("{kind}.from: must be accepted, dispatched, arrived or replied, got {val}"),
                                ))
                            }
                        };
                        continue;
                    }
                    other => {
                        return Err(cx.err(at.clone(), format!("{kind}: unknown key {other:?}")))
                    }
                };
                if limit.replace(l).is_some() {
                    return Err(cx.err(
                        at.clone(),
                        format!("{kind}: give one of minutes, hours, workdays, at"),
                    ));
                }
            }
            match limit {
                Some(l) => Ok((l, from)),
                None => Err(cx.err(
                    at,
                    format!("{kind}: no length (minutes, hours, workdays or at)"),
                )),
            }
        }
        _ => Err(cx.err(
            at,
            format!(
                "{kind}: a limit is a table like {{ hours = 2 }} or \"same_day\"/\"month_end\""
            ),
        )),
    }
}

/// The shifts' names: none, or one distinct non-empty name (at most 20 characters) per start.
fn shift_names(
    cx: &Ctx,
    at: std::ops::Range<usize>,
    names: Option<&[String]>,
    starts: usize,
) -> Result<Vec<String>, PolicyError> {
    let Some(names) = names else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = names.iter().map(|n| n.trim().to_string()).collect();
    let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
    if names.len() != starts
        || distinct.len() != starts
        || names.iter().any(|n| n.is_empty() || n.chars().count() > 20)
    {
        return Err(cx.err(
            Some(at),
            "shifts.names: one distinct name (1 to 20 characters) per start",
        ));
    }
    Ok(names)
}

/// `[extended_services]` (water `003`): free subtypes must be known `service` subtypes; the
/// working window, when given, is `working_start < working_end`.
fn parse_extended(
    cx: &Ctx,
    x: &Spanned<crate::water::RawExtended>,
    subtypes: &BTreeMap<String, Spanned<Vec<String>>>,
) -> Result<crate::water::ExtendedServices, PolicyError> {
    let span = x.span();
    let r = x.get_ref();
    let known = subtypes.get("service").map(|s| s.get_ref().clone());
    for f in &r.free_of_charge {
        if !known.as_ref().is_some_and(|k| k.contains(f)) {
            return Err(cx.err(
                Some(span.clone()),
                format!("extended_services.free_of_charge: {f:?} is no service subtype"),
            ));
        }
    }
    let working_hours = match (&r.working_start, &r.working_end) {
        (None, None) => None,
        (Some(s), Some(e)) => {
            let start = parse_time(cx, span.clone(), "extended_services.working_start", s)?;
            let end = parse_time(cx, span.clone(), "extended_services.working_end", e)?;
            if start >= end {
                return Err(cx.err(
                    Some(span),
                    "extended_services: working_start must be before working_end",
                ));
            }
            Some(crate::water::WorkingHours { start, end })
        }
        _ => {
            return Err(cx.err(
                Some(span),
                "extended_services: give both working_start and working_end",
            ))
        }
    };
    Ok(crate::water::ExtendedServices {
        free_of_charge: r.free_of_charge.clone(),
        working_hours,
    })
}

fn parse_time(
    cx: &Ctx,
    at: std::ops::Range<usize>,
    what: &str,
    s: &str,
) -> Result<NaiveTime, PolicyError> {
    NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| cx.err(Some(at), format!("{what}: bad time {s:?} (HH:MM)")))
}

fn share(cx: &Ctx, at: std::ops::Range<usize>, what: &str, x: f64) -> Result<f64, PolicyError> {
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(cx.err(Some(at), format!("{what}: {x} is outside 0..1")))
    }
}

/// Reads `[temperature]`: the measuring window, the standard (5..=30 °C) and the hours of the
/// cause check (1..=720).
fn parse_temperature(
    cx: &Ctx,
    t: Spanned<RawTemperature>,
) -> Result<crate::temperature::TemperatureRules, PolicyError> {
    let span = t.span();
    let t = t.into_inner();
    let start = parse_time(
        cx,
        span.clone(),
        "temperature.window_start",
        &t.window_start,
    )?;
    let end = parse_time(cx, span.clone(), "temperature.window_end", &t.window_end)?;
    if start >= end {
        return Err(cx.err(
            Some(span),
            "temperature: window_start must come before window_end",
        ));
    }
    if !(5.0..=30.0).contains(&t.standard_c) {
        return Err(cx.err(
            Some(span),
            format!("temperature.standard_c: {} is outside 5..=30", t.standard_c),
        ));
    }
    within(
        cx,
        span,
        "temperature.cause_check_hours",
        t.cause_check_hours,
        1,
        720,
    )?;
    Ok(crate::temperature::TemperatureRules {
        window_start: start,
        window_end: end,
        standard_c: t.standard_c,
        cause_check_hours: t.cause_check_hours,
    })
}

/// `n` when it lies in `lo..=hi`, else an error naming `what`.
fn within(
    cx: &Ctx,
    at: std::ops::Range<usize>,
    what: &str,
    n: u32,
    lo: u32,
    hi: u32,
) -> Result<u32, PolicyError> {
    if (lo..=hi).contains(&n) {
        Ok(n)
    } else {
        Err(cx.err(Some(at), format!("{what}: {n} is outside {lo}..={hi}")))
    }
}

/// Reads `[settings]`: every key must be one the product reads, within its bounds; an error
/// names the key and its line.
fn parse_settings(cx: &Ctx, t: &BTreeMap<String, Spanned<Value>>) -> Result<Settings, PolicyError> {
    let mut out = Settings::default();
    for (key, v) in t {
        let at = Some(v.span());
        if let Some((_, lo, hi)) = BOUNDED_SETTINGS.iter().find(|(k, _, _)| k == key) {
            let n = v
                .get_ref()
                .as_integer()
                .filter(|n| (*lo..=*hi).contains(n))
                .ok_or_else(|| {
                    cx.err(
                        at.clone(),
                        format!(
                            "settings.{key}: must be a whole number in {lo}..={hi}, got {}",
                            v.get_ref()
                        ),
                    )
                })? as u32;
            let slot = match key.as_str() {
                "complaint_grade1_same_customer" => &mut out.complaint_grade1_same_customer,
                "complaint_grade2_complainants" => &mut out.complaint_grade2_complainants,
                "complaint_grade2_window_days" => &mut out.complaint_grade2_window_days,
                "portal_orders_per_client" => &mut out.portal_orders_per_client,
                "portal_orders_per_phone" => &mut out.portal_orders_per_phone,
                "portal_window_minutes" => &mut out.portal_window_minutes,
                "portal_verify_phone" => &mut out.portal_verify_phone,
                _ => &mut out.complaint_grade2_collective,
            };
            *slot = Some(n);
        } else if SHARE_SETTINGS.contains(&key.as_str()) {
            let x = match v.get_ref() {
                Value::Float(x) => Some(*x),
                Value::Integer(n) => Some(*n as f64),
                _ => None,
            }
            .filter(|x| (0.0..=1.0).contains(x))
            .ok_or_else(|| {
                cx.err(
                    at.clone(),
                    format!(
                        "settings.{key}: must be a share in 0..1, got {}",
                        v.get_ref()
                    ),
                )
            })?;
            let slot = match key.as_str() {
                "timeliness_target" => &mut out.timeliness_target,
                "resolution_target" => &mut out.resolution_target,
                _ => &mut out.satisfaction_target,
            };
            *slot = Some(x);
        } else {
            return Err(cx.err(at, unread_setting(key)));
        }
    }
    Ok(out)
}

/// Removes from a stored override what an older release accepted and this one refuses: settings
/// nothing reads, unknown named limits, callback limits of categories that take no callback.
/// Returns what was removed, as `settings.<key>`, `rule[i].milestones.<name>`, `rule[i].callback`.
fn prune_unread(over: &mut Table) -> Vec<String> {
    let mut dropped = Vec::new();
    if let Some(Value::Table(t)) = over.get_mut("settings") {
        t.retain(|k, _| {
            let keep = known_setting(k);
            if !keep {
                dropped.push(format!("settings.{k}"));
            }
            keep
        });
    }
    if let Some(Value::Array(rules)) = over.get_mut("rule") {
        for (i, r) in rules.iter_mut().enumerate() {
            let Value::Table(r) = r else { continue };
            let category = r
                .get("category")
                .and_then(Value::as_str)
                .and_then(|c| c.parse::<Category>().ok());
            if category.is_some_and(|c| kind_refused(c, DeadlineKind::Callback).is_some())
                && r.remove("callback").is_some()
            {
                dropped.push(format!("rule[{i}].callback"));
            }
            if let Some(Value::Table(m)) = r.get_mut("milestones") {
                m.retain(|n, _| {
                    let keep = unknown_milestone(n).is_none();
                    if !keep {
                        dropped.push(format!("rule[{i}].milestones.{n}"));
                    }
                    keep
                });
            }
        }
    }
    dropped
}

/// UTC+08:00 (Asia/Shanghai, no DST), the default company zone.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

impl Policy {
    /// Parses and validates a policy; errors carry the line and reason.
    pub fn from_toml(name: &str, text: &str) -> Result<Policy, PolicyError> {
        let cx = Ctx { name, text };
        let source: Table = text
            .parse()
            .map_err(|e: toml::de::Error| cx.err(e.span(), e.message().trim().to_string()))?;
        let raw: RawPolicy =
            toml::from_str(text).map_err(|e| cx.err(e.span(), e.message().trim().to_string()))?;
        let mut p = Policy {
            name: name.to_string(),
            title: raw.title,
            utility: raw.utility,
            utc_offset: china_offset(),
            amber_share: 0.8,
            area: raw.area.unwrap_or_default(),
            callback: CallbackRules::default(),
            survey: SurveyRules::default(),
            heating_season: None,
            shifts: Shifts::default(),
            mass_incident: None,
            temperature: None,
            subtypes: BTreeMap::new(),
            rules: Vec::new(),
            assessment: Vec::new(),
            settings: Settings::default(),
            checklist: BTreeMap::new(),
            extended_services: None,
            source,
        };
        if let Some(h) = raw.heating_season {
            let span = h.span();
            let h = h.into_inner();
            within(
                &cx,
                span.clone(),
                "heating_season.pre_days",
                h.pre_days,
                0,
                366,
            )?;
            within(
                &cx,
                span,
                "heating_season.settle_days",
                h.settle_days,
                0,
                366,
            )?;
            p.heating_season = Some(h);
        }
        if let Some(t) = raw.temperature {
            p.temperature = Some(parse_temperature(&cx, t)?);
        }
        if let Some(t) = raw.settings {
            p.settings = parse_settings(&cx, &t)?;
        }
        if let Some(sh) = raw.shifts {
            let span = sh.span();
            let mut starts = Vec::new();
            for s in &sh.get_ref().starts {
                starts.push(parse_time(&cx, span.clone(), "shifts.starts", s)?);
            }
            starts.sort_unstable();
            starts.dedup();
            if starts.is_empty() || starts.len() != sh.get_ref().starts.len() || starts.len() > 8 {
                return Err(cx.err(
                    Some(span),
                    "shifts.starts: one to eight distinct times (HH:MM)",
                ));
            }
            let raw = sh.get_ref();
            let minutes = |k: &str, v: Option<u32>| -> Result<Option<u32>, PolicyError> {
                v.map(|n| within(&cx, span.clone(), k, n, 0, 240))
                    .transpose()
            };
            let count = starts.len();
            p.shifts = Shifts {
                starts,
                handover_early_minutes: minutes(
                    "shifts.handover_early_minutes",
                    raw.handover_early_minutes,
                )?,
                handover_max_delay_minutes: minutes(
                    "shifts.handover_max_delay_minutes",
                    raw.handover_max_delay_minutes,
                )?,
                names: shift_names(&cx, span.clone(), raw.names.as_deref(), count)?,
                left_pending: raw
                    .left_pending
                    .as_ref()
                    .map(|l| -> Result<LeftPending, PolicyError> {
                        if l.categories.is_empty() {
                            return Err(cx.err(
                                Some(span.clone()),
                                "shifts.left_pending.categories: name at least one category",
                            ));
                        }
                        let what = "shifts.left_pending.minutes";
                        within(&cx, span.clone(), what, l.minutes, 1, 24 * 60)?;
                        Ok(LeftPending {
                            categories: l.categories.clone(),
                            minutes: l.minutes,
                        })
                    })
                    .transpose()?,
            };
        }
        if let Some(x) = &raw.extended_services {
            p.extended_services = Some(parse_extended(&cx, x, &raw.subtypes)?);
        }
        if let Some(m) = raw.mass_incident {
            let span = m.span();
            let m = m.into_inner();
            within(
                &cx,
                span.clone(),
                "mass_incident.orders",
                m.orders,
                2,
                10_000,
            )?;
            within(&cx, span, "mass_incident.minutes", m.minutes, 1, 24 * 60)?;
            p.mass_incident = Some(m);
        }
        if let Some(o) = raw.utc_offset {
            p.utc_offset = parse_offset(o.get_ref()).ok_or_else(|| {
                cx.err(
                    Some(o.span()),
                    format!("utc_offset: bad offset {:?} (like +08:00)", o.get_ref()),
                )
            })?;
        }
        if let Some(a) = raw.amber_share {
            let x = *a.get_ref();
            if !(x > 0.0 && x < 1.0) {
                return Err(cx.err(Some(a.span()), format!("amber_share: {x} is outside 0..1")));
            }
            p.amber_share = x;
        }
        if let Some(c) = raw.callback {
            let span = c.span();
            let c = c.into_inner();
            if let Some(s) = &c.window_start {
                p.callback.window_start =
                    parse_time(&cx, span.clone(), "callback.window_start", s)?;
            }
            if let Some(s) = &c.window_end {
                p.callback.window_end = parse_time(&cx, span.clone(), "callback.window_end", s)?;
            }
            if p.callback.window_start >= p.callback.window_end {
                return Err(cx.err(
                    Some(span),
                    "callback: window_start must be before window_end",
                ));
            }
            if let Some(n) = c.min_gap_minutes {
                p.callback.min_gap_minutes = within(
                    &cx,
                    span.clone(),
                    "callback.min_gap_minutes",
                    n,
                    0,
                    7 * 24 * 60,
                )?;
            }
            if let Some(n) = c.max_attempts {
                if n == 0 {
                    return Err(cx.err(Some(span), "callback.max_attempts: must be at least 1"));
                }
                p.callback.max_attempts = within(&cx, span, "callback.max_attempts", n, 1, 100)?;
            }
        }
        if let Some(s) = raw.survey {
            let span = s.span();
            let s = s.into_inner();
            if let Some(x) = s.complaint_callback_share {
                p.survey.complaint_callback_share =
                    share(&cx, span.clone(), "survey.complaint_callback_share", x)?;
            }
            if let Some(x) = s.complaint_recheck_share {
                p.survey.complaint_recheck_share = Some(share(
                    &cx,
                    span.clone(),
                    "survey.complaint_recheck_share",
                    x,
                )?);
            }
            if let Some(x) = s.repair_recheck_share {
                p.survey.repair_recheck_share =
                    Some(share(&cx, span.clone(), "survey.repair_recheck_share", x)?);
            }
            let bounded = |what: &str, n: Option<u32>, lo: u32, hi: u32| {
                n.map(|n| within(&cx, span.clone(), what, n, lo, hi))
                    .transpose()
            };
            p.survey.sample_per_mille_min = bounded(
                "survey.sample_per_mille_min",
                s.sample_per_mille_min,
                0,
                1000,
            )?;
            p.survey.sample_per_mille_max = bounded(
                "survey.sample_per_mille_max",
                s.sample_per_mille_max,
                0,
                1000,
            )?;
            p.survey.outreach_report_days = bounded(
                "survey.outreach_report_days",
                s.outreach_report_days,
                1,
                366,
            )?;
            if let (Some(lo), Some(hi)) = (s.sample_per_mille_min, s.sample_per_mille_max) {
                if lo > hi || hi > 1000 {
                    return Err(cx.err(
                        Some(span),
                        "survey: need sample_per_mille_min <= sample_per_mille_max <= 1000",
                    ));
                }
            }
        }
        for (cat, list) in raw.subtypes {
            let span = list.span();
            let cat: Category = cat.parse().map_err(|e: crate::model::ParseEnumError| {
                cx.err(Some(span.clone()), format!("subtypes: {e}"))
            })?;
            let list = list.into_inner();
            for (i, s) in list.iter().enumerate() {
                if s.is_empty() || list[..i].contains(s) {
                    return Err(cx.err(
                        Some(span.clone()),
                        format!("subtypes.{cat}: empty or repeated {s:?}"),
                    ));
                }
            }
            p.subtypes.insert(cat, list);
        }
        for (subtype, c) in raw.checklist {
            let span = c.span();
            let c = c.into_inner();
            if !p.subtypes.values().any(|l| l.contains(&subtype)) {
                return Err(cx.err(
                    Some(span),
                    format!("checklist.{subtype}: no category has the subtype {subtype:?}"),
                ));
            }
            let blank = |v: &str| v.trim().is_empty();
            let empty = if blank(&c.title) {
                Some("title")
            } else if c.materials.is_empty() || c.materials.iter().any(|m| blank(m)) {
                Some("materials")
            } else if c.procedure.is_empty() || c.procedure.iter().any(|m| blank(m)) {
                Some("procedure")
            } else if blank(&c.time_limit) {
                Some("time_limit")
            } else if blank(&c.fees) {
                Some("fees")
            } else if blank(&c.basis) {
                Some("basis")
            } else {
                None
            };
            if let Some(f) = empty {
                return Err(cx.err(
                    Some(span),
                    format!("checklist.{subtype}.{f}: must not be empty"),
                ));
            }
            p.checklist.insert(subtype, c);
        }
        for r in raw.rules {
            let span = r.span();
            let r = r.into_inner();
            let subtype = match r.subtype {
                Some(s) => {
                    let known = p
                        .subtypes
                        .get(&r.category)
                        .is_some_and(|l| l.contains(s.get_ref()));
                    if !known {
                        return Err(cx.err(
                            Some(s.span()),
                            format!(
                                "unknown subtype {:?} of {} (add it to [subtypes])",
                                s.get_ref(),
                                r.category
                            ),
                        ));
                    }
                    Some(s.into_inner())
                }
                None => None,
            };
            let grade = match r.grade {
                Some(g) => {
                    if r.category != Category::Complaint {
                        return Err(
                            cx.err(Some(g.span()), "grade: only complaint rules have a grade")
                        );
                    }
                    Some(
                        Grade::new(*g.get_ref())
                            .map_err(|e| cx.err(Some(g.span()), e.to_string()))?,
                    )
                }
                None => None,
            };
            if r.season.is_some() && p.heating_season.is_none() {
                return Err(cx.err(Some(span), "season: rule needs a [heating_season] section"));
            }
            let mut limits = BTreeMap::new();
            let category = r.category;
            let refuse = |kind: DeadlineKind, v: &Spanned<Value>| match kind_refused(category, kind)
            {
                Some(why) => Err(cx.err(Some(v.span()), why)),
                None => Ok(()),
            };
            let kinds = [
                (DeadlineKind::Dispatch, &r.dispatch),
                (DeadlineKind::Contact, &r.contact),
                (DeadlineKind::Arrive, &r.arrive),
                (DeadlineKind::Finish, &r.finish),
                (DeadlineKind::Callback, &r.callback),
                (DeadlineKind::Close, &r.close),
            ];
            for (kind, v) in kinds {
                if let Some(v) = v {
                    refuse(kind, v)?;
                    limits.insert(
                        kind,
                        parse_limit(&cx, kind.as_str(), Anchor::default_for(kind), v)?,
                    );
                }
            }
            // The named extra limits are deadlines of their own kind, planned with the others.
            for (n, v) in &r.milestones {
                if let Some(why) = unknown_milestone(n) {
                    return Err(cx.err(Some(v.span()), why));
                }
                let kind: DeadlineKind = n.parse().map_err(|e: crate::model::ParseEnumError| {
                    cx.err(Some(v.span()), e.to_string())
                })?;
                limits.insert(kind, parse_limit(&cx, n, Anchor::default_for(kind), v)?);
            }
            let _ = r.clause;
            let rule = Rule {
                category: r.category,
                subtype,
                grade,
                season: r.season,
                area: r.area,
                limits,
            };
            if p.rules.iter().any(|o| {
                (o.category, &o.subtype, o.grade, o.season, o.area)
                    == (
                        rule.category,
                        &rule.subtype,
                        rule.grade,
                        rule.season,
                        rule.area,
                    )
            }) {
                return Err(cx.err(
                    Some(span),
                    "a rule for the same category/subtype/grade/season/area is given twice",
                ));
            }
            p.rules.push(rule);
        }
        for a in raw.assessment {
            let span = a.span();
            let a = a.into_inner();
            if a.amount_yuan.is_none() && a.points.is_none() {
                return Err(cx.err(
                    Some(span),
                    format!("assessment {}: needs amount_yuan or points", a.code),
                ));
            }
            if let Some(n) = a.amount_yuan {
                let what = format!("assessment {}: amount_yuan", a.code);
                within(&cx, span.clone(), &what, n, 0, MAX_AMOUNT_YUAN)?;
            }
            if let Some(n) = a.points {
                let what = format!("assessment {}: points", a.code);
                within(&cx, span.clone(), &what, n, 0, MAX_POINTS)?;
            }
            if p.assessment.iter().any(|o| o.code == a.code) {
                return Err(cx.err(
                    Some(span),
                    format!("assessment {}: code given twice", a.code),
                ));
            }
            if let Some(on) = &a.on {
                let ok = on == "month_end_open"
                    || on == "outage_notice_late"
                    || on == "order_left_pending"
                    || on == "handover_late"
                    || on
                        .strip_prefix("deadline_missed:")
                        .is_some_and(|k| k.parse::<DeadlineKind>().is_ok());
                if !ok {
                    return Err(cx.err(
                        Some(span),
                        format!("assessment {}: on must be month_end_open, outage_notice_late, order_left_pending, handover_late or deadline_missed:<kind>, got {on:?}", a.code),
                    ));
                }
            }
            p.assessment.push(AssessmentRule {
                code: a.code,
                description: a.description,
                amount_yuan: a.amount_yuan,
                points: a.points,
                clause: a.clause,
                on: a.on,
            });
        }
        Ok(p)
    }

    /// The assessment rules that fire on a product event (`deadline_missed:<kind>`,
    /// `month_end_open`).
    pub fn assessment_on(&self, event: &str) -> Vec<&AssessmentRule> {
        self.assessment
            .iter()
            .filter(|r| r.on.as_deref() == Some(event))
            .collect()
    }

    /// A shipped preset by name ("heat", "power", "gas", "water").
    pub fn preset(name: &str) -> Option<Policy> {
        PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(n, text)| Policy::from_toml(n, text).ok())
    }

    /// The shipped preset of a utility.
    pub fn preset_for(utility: Utility) -> Option<Policy> {
        Policy::preset(utility.as_str())
    }

    /// The policy as TOML (after any overrides), for storing and showing.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.source).unwrap_or_default()
    }

    /// This policy with a company's partial TOML merged over it. Tables merge key by key;
    /// a `[[rule]]` replaces the fields of the rule with the same category, subtype, grade
    /// and season, or is added; other arrays are replaced.
    pub fn with_overrides(&self, toml_text: &str) -> Result<Policy, PolicyError> {
        let cx = Ctx {
            name: &self.name,
            text: toml_text,
        };
        let over: Table = toml_text
            .parse()
            .map_err(|e: toml::de::Error| cx.err(e.span(), e.message().trim().to_string()))?;
        check_override_limits(&cx, toml_text)?;
        let mut merged = self.source.clone();
        merge_tables(&mut merged, over);
        let text = toml::to_string(&merged).map_err(|e| cx.err(None, e.to_string()))?;
        Policy::from_toml(&self.name, &text)
            .map(|mut p| {
                p.name = self.name.clone();
                p
            })
            .map_err(|e| PolicyError {
                line: None,
                reason: format!("after overrides: {}", e.reason),
                ..e
            })
    }

    /// This policy with a company's stored override, as every request loads it. An override
    /// saved by an older release may hold what this one refuses (a setting nothing reads, an
    /// unknown named limit, a callback limit of a category without callback): those are left
    /// out, named in the answer, instead of failing every request of the company. Saving the
    /// override again ([`Policy::with_overrides`]) refuses them.
    pub fn with_stored_overrides(
        &self,
        toml_text: &str,
    ) -> Result<(Policy, Vec<String>), PolicyError> {
        let Ok(mut over) = toml_text.parse::<Table>() else {
            return self.with_overrides(toml_text).map(|p| (p, Vec::new()));
        };
        let dropped = prune_unread(&mut over);
        if dropped.is_empty() {
            return self.with_overrides(toml_text).map(|p| (p, dropped));
        }
        let text = toml::to_string(&over).map_err(|e| PolicyError {
            policy: self.name.clone(),
            line: None,
            reason: e.to_string(),
        })?;
        self.with_overrides(&text).map(|p| (p, dropped))
    }

    /// The season phase of an order accepted at `accepted_at`.
    pub fn season_phase(
        &self,
        accepted_at: DateTime<Utc>,
        season_start: Option<NaiveDate>,
    ) -> SeasonPhase {
        match self.heating_season {
            Some(s) => s.phase(
                accepted_at.with_timezone(&self.utc_offset).date_naive(),
                season_start,
            ),
            None => SeasonPhase::Off,
        }
    }

    fn best(&self, facts: &OrderFacts) -> Vec<(usize, &Rule)> {
        let phase = self.season_phase(facts.accepted_at, facts.season_start);
        self.rules
            .iter()
            .filter_map(|r| r.matches(facts, phase, self.area).map(|s| (s, r)))
            .collect()
    }

    /// The deadlines to set on an order, one per kind that has a limit, in kind order.
    pub fn deadlines(&self, facts: &OrderFacts) -> Vec<DeadlinePlan> {
        let matching = self.best(facts);
        DeadlineKind::ALL
            .iter()
            .filter_map(|kind| {
                let mut pick: Option<(usize, (Limit, Anchor))> = None;
                for (score, r) in &matching {
                    if let Some(l) = r.limits.get(kind) {
                        if pick.is_none_or(|(s, _)| *score >= s) {
                            pick = Some((*score, *l));
                        }
                    }
                }
                pick.map(|(_, (limit, from))| DeadlinePlan {
                    kind: *kind,
                    limit,
                    from,
                })
            })
            .collect()
    }

    /// The named extra limits for an order (most specific rule per name): the deadlines of
    /// [`DeadlineKind::NAMED`] kinds, as [`Policy::deadlines`] plans them.
    pub fn milestones(&self, facts: &OrderFacts) -> Vec<MilestonePlan> {
        self.deadlines(facts)
            .into_iter()
            .filter(|d| d.kind.is_named())
            .map(|d| MilestonePlan {
                name: d.kind.as_str().to_string(),
                limit: d.limit,
                from: d.from,
            })
            .collect()
    }

    /// The KPI targets of the policy (`settings.*_target`, `000:九.7`).
    pub fn kpi_targets(&self) -> KpiTargets {
        KpiTargets {
            timely_rate: self.settings.timeliness_target,
            resolution_rate: self.settings.resolution_target,
            satisfaction_rate: self.settings.satisfaction_target,
        }
    }

    /// Whether `subtype` is known for `category`.
    pub fn knows_subtype(&self, category: Category, subtype: &str) -> bool {
        self.subtypes
            .get(&category)
            .is_some_and(|l| l.iter().any(|s| s == subtype))
    }

    /// Complaint-grade thresholds: `settings.complaint_grade*` when set, else `002:§14(6)`.
    pub fn grading_rules(&self) -> GradingRules {
        let d = GradingRules::default();
        let s = &self.settings;
        GradingRules {
            same_customer: s.complaint_grade1_same_customer.unwrap_or(d.same_customer),
            complainants: s.complaint_grade2_complainants.unwrap_or(d.complainants),
            window_days: s.complaint_grade2_window_days.unwrap_or(d.window_days),
            collective: s.complaint_grade2_collective.unwrap_or(d.collective),
        }
    }

    /// The assessment rule with `code`.
    pub fn assessment_rule(&self, code: &str) -> Option<&AssessmentRule> {
        self.assessment.iter().find(|a| a.code == code)
    }
}

/// The limits of an override's rules, as far as they can be read alone.
#[derive(Deserialize)]
struct OverrideRules {
    #[serde(default)]
    rule: Vec<OverrideRule>,
    settings: Option<BTreeMap<String, Spanned<Value>>>,
}

#[derive(Deserialize)]
struct OverrideRule {
    category: Option<String>,
    dispatch: Option<Spanned<Value>>,
    contact: Option<Spanned<Value>>,
    arrive: Option<Spanned<Value>>,
    finish: Option<Spanned<Value>>,
    callback: Option<Spanned<Value>>,
    close: Option<Spanned<Value>>,
    #[serde(default)]
    milestones: BTreeMap<String, Spanned<Value>>,
}

/// Checks the limits an override sets before merging, so their errors carry the line in the
/// override's own text. Anything else is checked after the merge.
fn check_override_limits(cx: &Ctx, text: &str) -> Result<(), PolicyError> {
    let Ok(o) = toml::from_str::<OverrideRules>(text) else {
        return Ok(());
    };
    if let Some(t) = &o.settings {
        parse_settings(cx, t)?;
    }
    for r in &o.rule {
        let category = r
            .category
            .as_deref()
            .and_then(|c| c.parse::<Category>().ok());
        let kinds = [
            (DeadlineKind::Dispatch, &r.dispatch),
            (DeadlineKind::Contact, &r.contact),
            (DeadlineKind::Arrive, &r.arrive),
            (DeadlineKind::Finish, &r.finish),
            (DeadlineKind::Callback, &r.callback),
            (DeadlineKind::Close, &r.close),
        ];
        for (kind, v) in kinds {
            if let Some(v) = v {
                if let Some(why) = category.and_then(|c| kind_refused(c, kind)) {
                    return Err(cx.err(Some(v.span()), why));
                }
                parse_limit(cx, kind.as_str(), Anchor::default_for(kind), v)?;
            }
        }
        for (n, v) in &r.milestones {
            if let Some(why) = unknown_milestone(n) {
                return Err(cx.err(Some(v.span()), why));
            }
            parse_limit(cx, n, Anchor::Dispatched, v)?;
        }
    }
    Ok(())
}

fn rule_key(t: &Table) -> [Option<&Value>; 5] {
    [
        t.get("category"),
        t.get("subtype"),
        t.get("grade"),
        t.get("season"),
        t.get("area"),
    ]
}

fn merge_tables(base: &mut Table, over: Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => merge_tables(b, o),
            (Some(Value::Array(b)), Value::Array(o)) if k == "rule" => {
                for item in o {
                    let Value::Table(ot) = item else {
                        b.push(item);
                        continue;
                    };
                    let found = b.iter_mut().find_map(|x| match x {
                        Value::Table(bt) if rule_key(bt) == rule_key(&ot) => Some(bt),
                        _ => None,
                    });
                    match found {
                        Some(bt) => {
                            for (rk, rv) in ot {
                                bt.insert(rk, rv);
                            }
                        }
                        None => b.push(Value::Table(ot)),
                    }
                }
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}
