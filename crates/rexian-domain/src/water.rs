//! Water extended services (延伸服务, seed `003`): reminders the customer signs (1.2), leak
//! detection on request (2), the water-quality test (3: sample → lab → result → reply), community
//! service days (5), emergency water delivery during outages (6), all free of charge (序言
//! 全程"零收费"); and the repair rule of 4.3⑵⑶: on site within 30 min in working hours, a report
//! outside them recorded and its on-site limit started at the next working window.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use serde::Deserialize;

use crate::calendar::BusinessCalendar;
use crate::model::{DeadlineKind, ParseEnumError};
use crate::workflow::DeadlineOp;

/// `[extended_services]` of a policy (the water preset).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtendedServices {
    /// The `service` subtypes done free of charge (003 序言: 全程"零收费").
    pub free_of_charge: Vec<String>,
    /// The working window of working days (003:4.3⑵ 正常工作时间); none: no off-hours rule.
    pub working_hours: Option<WorkingHours>,
}

impl ExtendedServices {
    /// Whether an order of `category`/`subtype` is free of charge.
    pub fn is_free(&self, category: &str, subtype: Option<&str>) -> bool {
        category == "service" && subtype.is_some_and(|s| self.free_of_charge.iter().any(|f| f == s))
    }
}

/// The raw `[extended_services]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtended {
    /// Subtypes of `service` done free of charge.
    pub free_of_charge: Vec<String>,
    /// Start of the working window, `HH:MM` local.
    pub working_start: Option<String>,
    /// End of the working window, `HH:MM` local.
    pub working_end: Option<String>,
}

/// The working window of a working day, local times, `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    /// Opens.
    pub start: NaiveTime,
    /// Closes (exclusive).
    pub end: NaiveTime,
}

impl WorkingHours {
    /// `at` when it falls in a working window, else the start of the next one (a working day
    /// of `cal` in zone `offset`).
    pub fn window_from(
        &self,
        at: DateTime<Utc>,
        offset: FixedOffset,
        cal: &BusinessCalendar,
    ) -> DateTime<Utc> {
        let local = at.with_timezone(&offset).naive_local();
        let (day, time) = (local.date(), local.time());
        let open = if cal.is_workday(day) && time < self.end {
            if time >= self.start {
                return at;
            }
            day
        } else {
            cal.next_workday(day)
        };
        offset
            .from_local_datetime(&open.and_time(self.start))
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(at)
    }

    /// Whether `at` falls in a working window.
    pub fn is_open(&self, at: DateTime<Utc>, offset: FixedOffset, cal: &BusinessCalendar) -> bool {
        self.window_from(at, offset, cal) == at
    }
}

/// 003:4.3⑶: an `arrive` limit started outside working hours starts at the next working
/// window instead (due and amber move with it). Returns the window's start when it moved.
pub fn defer_arrive(
    ops: &mut [DeadlineOp],
    hours: &WorkingHours,
    offset: FixedOffset,
    cal: &BusinessCalendar,
) -> Option<DateTime<Utc>> {
    let mut moved = None;
    for op in ops.iter_mut() {
        if let DeadlineOp::Start {
            kind: DeadlineKind::Arrive,
            started_at,
            due_at,
            amber_at,
            ..
        } = op
        {
            let open = hours.window_from(*started_at, offset, cal);
            if open > *started_at {
                let shift: Duration = open - *started_at;
                *started_at = open;
                *due_at += shift;
                *amber_at += shift;
                moved = Some(open);
            }
        }
    }
    moved
}

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The wire name.
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
        }
        impl FromStr for $name {
            type Err = ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($s => Ok($name::$v),)+ _ => Err(ParseEnumError { kind: $what, value: s.into() }) }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

text_enum!(
    /// What a reminder is about (003:1.2).
    ReminderKind, "reminder kind", {
        /// 用水量异常.
        AbnormalUse = "abnormal_use",
        /// 存在漏水疑点.
        SuspectedLeak = "suspected_leak",
        /// 供水安全隐患.
        SafetyHazard = "safety_hazard",
    }
);

text_enum!(
    /// How a community service day came about (003:5.2).
    CommunityOrigin, "community origin", {
        /// ⑴ the year's plan.
        Planned = "planned",
        /// ⑵ asked for by customers.
        Requested = "requested",
        /// ⑶ proposed by staff who found a problem.
        Staff = "staff",
    }
);

/// A step of an extended service on an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceStep {
    /// The water sample is taken (003:3 提取水样).
    Sample,
    /// The lab's result (交水质检测中心化验).
    LabResult,
    /// A reminder told and signed (1.2).
    Reminder,
    /// The leak detection's result (2.4).
    LeakResult,
    /// The community service day's report (5).
    CommunityReport,
}

impl ServiceStep {
    /// The `service` subtype the step belongs to.
    pub fn subtype(self) -> &'static str {
        match self {
            ServiceStep::Sample | ServiceStep::LabResult => "water_quality",
            ServiceStep::Reminder => "reminder",
            ServiceStep::LeakResult => "leak_detection",
            ServiceStep::CommunityReport => "community",
        }
    }

    /// The order event the step writes.
    pub fn event(self) -> &'static str {
        match self {
            ServiceStep::Sample => "water_sampled",
            ServiceStep::LabResult => "water_lab_result",
            ServiceStep::Reminder => "reminder_signed",
            ServiceStep::LeakResult => "leak_checked",
            ServiceStep::CommunityReport => "community_reported",
        }
    }
}

/// What the order has done of its service so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceSoFar {
    /// A sample was taken.
    pub sampled: bool,
    /// The lab result is in.
    pub resulted: bool,
    /// The order's status takes no more work (replied, closed, cancelled ...).
    pub finished: bool,
}

/// Why a service step is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceRefusal {
    /// The order is not of the step's subtype.
    WrongService(&'static str),
    /// The step does not fit what was done (`invalid_transition`).
    Order(&'static str),
}

impl fmt::Display for ServiceRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceRefusal::WrongService(s) => {
                write!(f, "this step is for service/{s} orders")
            }
            ServiceRefusal::Order(m) => f.write_str(m),
        }
    }
}

/// Whether `step` may be taken on a `category`/`subtype` order that has done `so_far`.
pub fn check_step(
    step: ServiceStep,
    category: &str,
    subtype: Option<&str>,
    so_far: ServiceSoFar,
) -> Result<(), ServiceRefusal> {
    if category != "service" || subtype != Some(step.subtype()) {
        return Err(ServiceRefusal::WrongService(step.subtype()));
    }
    if so_far.finished {
        return Err(ServiceRefusal::Order(
            "the order is finished; reopen it first",
        ));
    }
    match step {
        ServiceStep::Sample if so_far.resulted => Err(ServiceRefusal::Order(
            "the lab result is in; no new sample on this order",
        )),
        ServiceStep::LabResult if !so_far.sampled => Err(ServiceRefusal::Order(
            "take the water sample before the lab result",
        )),
        ServiceStep::LabResult if so_far.resulted => {
            Err(ServiceRefusal::Order("the lab result is already recorded"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours() -> WorkingHours {
        WorkingHours {
            start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(17, 30, 0).unwrap(),
        }
    }

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_window_is_the_time_itself_inside_and_the_next_opening_outside() {
        let cal = BusinessCalendar::embedded();
        let h = hours();
        // Mon 2026-03-02 10:00 local: open.
        let at = utc("2026-03-02T02:00:00Z");
        assert_eq!(h.window_from(at, cst(), &cal), at);
        // Mon 06:00 local: the same day's 08:00.
        assert_eq!(
            h.window_from(utc("2026-03-01T22:00:00Z"), cst(), &cal),
            utc("2026-03-02T00:00:00Z")
        );
        // Mon 22:00 local: Tue 08:00.
        assert_eq!(
            h.window_from(utc("2026-03-02T14:00:00Z"), cst(), &cal),
            utc("2026-03-03T00:00:00Z")
        );
        // Fri 18:00 local: Mon 08:00.
        assert_eq!(
            h.window_from(utc("2026-03-06T10:00:00Z"), cst(), &cal),
            utc("2026-03-09T00:00:00Z")
        );
        // 17:30 itself is closed.
        assert!(!h.is_open(utc("2026-03-02T09:30:00Z"), cst(), &cal));
    }

    #[test]
    fn an_off_hours_arrive_limit_moves_to_the_window() {
        let cal = BusinessCalendar::embedded();
        let s = utc("2026-03-02T14:00:00Z");
        let mut ops = vec![DeadlineOp::Start {
            kind: DeadlineKind::Arrive,
            unit: None,
            started_at: s,
            due_at: s + Duration::minutes(30),
            amber_at: s + Duration::minutes(24),
            provisional: false,
        }];
        let moved = defer_arrive(&mut ops, &hours(), cst(), &cal);
        assert_eq!(moved, Some(utc("2026-03-03T00:00:00Z")));
        match &ops[0] {
            DeadlineOp::Start { due_at, .. } => {
                assert_eq!(*due_at, utc("2026-03-03T00:30:00Z"))
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_lab_result_needs_a_sample_and_comes_once() {
        let so = ServiceSoFar::default();
        let c = |st, so| check_step(st, "service", Some("water_quality"), so);
        assert!(matches!(
            c(ServiceStep::LabResult, so),
            Err(ServiceRefusal::Order(_))
        ));
        assert!(c(ServiceStep::Sample, so).is_ok());
        let sampled = ServiceSoFar {
            sampled: true,
            ..so
        };
        assert!(c(ServiceStep::LabResult, sampled).is_ok());
        let done = ServiceSoFar {
            resulted: true,
            ..sampled
        };
        assert!(c(ServiceStep::LabResult, done).is_err());
        assert!(c(ServiceStep::Sample, done).is_err());
        assert_eq!(
            check_step(ServiceStep::Sample, "repair", None, so),
            Err(ServiceRefusal::WrongService("water_quality"))
        );
    }
}
