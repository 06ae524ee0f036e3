//! Deadline arithmetic: due instants, traffic-light state, supervision level (SPEC §3).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{month_end, same_day, BusinessCalendar};
use crate::policy::Limit;

/// A computed due instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// When the limit expires.
    pub due_at: DateTime<Utc>,
    /// True when a year without calendar data was used (weekends only).
    pub provisional: bool,
}

/// The latest due instant ever computed (9999-12-31 23:59:59 UTC): a limit that would end
/// later ends then, far inside what dates can show in any zone.
pub fn latest_due() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| t.and_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn to_utc(local: NaiveDateTime, offset: FixedOffset) -> DateTime<Utc> {
    // A fixed offset has exactly one mapping.
    match offset.from_local_datetime(&local).single() {
        Some(t) => t.with_timezone(&Utc),
        None => local
            .checked_sub_signed(Duration::seconds(i64::from(offset.local_minus_utc())))
            .map(|t| Utc.from_utc_datetime(&t))
            .unwrap_or_else(latest_due),
    }
}

/// When a limit started at `start` expires. Minutes and hours are wall-clock; workdays,
/// same day and month end are computed on the company's local time (`offset`). No input
/// panics: a due instant past [`latest_due`] is [`latest_due`].
pub fn due_at(
    start: DateTime<Utc>,
    limit: &Limit,
    cal: &BusinessCalendar,
    offset: FixedOffset,
) -> Due {
    let latest = latest_due();
    let start = start.min(latest);
    let local = start
        .naive_utc()
        .checked_add_signed(Duration::seconds(i64::from(offset.local_minus_utc())))
        .unwrap_or(start.naive_utc());
    let wall = |d: Duration| start.checked_add_signed(d).unwrap_or(latest);
    let (due_at, provisional) = match *limit {
        Limit::Minutes(n) => (wall(Duration::minutes(i64::from(n))), false),
        Limit::Hours(n) => (wall(Duration::hours(i64::from(n))), false),
        Limit::Workdays(n) => {
            let s = cal.add_workdays(local, n);
            (to_utc(s.at, offset), s.provisional)
        }
        Limit::SameDay => (to_utc(same_day(local), offset), false),
        Limit::MonthEnd => (to_utc(month_end(local), offset), false),
    };
    Due {
        due_at: due_at.min(latest),
        provisional,
    }
}

/// Traffic-light state of one deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    /// Running, less than the amber share used.
    Pending,
    /// Running, at or past the amber share (default 80 %).
    Amber,
    /// Step done at or before the due instant.
    Met,
    /// Due instant reached without the step, or step done late (red).
    Missed,
}

/// The instant a deadline turns amber: `started_at + share × (due_at − started_at)`.
pub fn amber_at(
    started_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    amber_share: f64,
) -> DateTime<Utc> {
    let total = (due_at - started_at).num_milliseconds().max(0) as f64;
    let share = amber_share.clamp(0.0, 1.0);
    started_at + Duration::milliseconds((total * share).round() as i64)
}

/// The state of a deadline at `now`, the one rule for it: a step done by the due instant
/// (exactly at it included) is met, later it is missed; an open deadline is missed from the
/// due instant (red) and amber from `amber_at` (see [`amber_at`]). A miss already recorded
/// (`missed`) stays a miss when a resume moves the due time on; an approved extension clears
/// it in the store before. The timer sweep's SQL marks the same states in bulk; a test holds
/// it to this function.
pub fn state(
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    met_at: Option<DateTime<Utc>>,
    amber_at: DateTime<Utc>,
    missed: bool,
) -> DeadlineState {
    match met_at {
        Some(m) if m <= due_at && !missed => DeadlineState::Met,
        Some(_) => DeadlineState::Missed,
        None if missed || now >= due_at => DeadlineState::Missed,
        None if now >= amber_at => DeadlineState::Amber,
        None => DeadlineState::Pending,
    }
}

/// Depth of the supervision (督办) chain of a deadline, which is also its top level
/// (SPEC §3, `000:八.5(5)`: unit handler → unit head → division → company).
///
/// With a unit (`unit_ancestors = Some(n)`, `n` the number of units above it in the tree):
/// level 1 is the unit's handler, 2 the unit's head, then one level per ancestor unit (the
/// division, …, nearest first), and the company last: `3 + n`. Without a unit (a limit of the
/// centre, e.g. dispatch, `None`): 1 the agent, 2 the centre supervisor, 3 the company.
pub fn supervision_depth(unit_ancestors: Option<u32>) -> u32 {
    match unit_ancestors {
        Some(n) => n.saturating_add(3),
        None => 3,
    }
}

/// Who a supervision (督办) level is addressed to (SPEC §3, `000:八.5(5)`), the chain of
/// [`supervision_depth`] by post: the store resolves a post to the persons holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupervisionPost {
    /// Level 1 of a unit's limit: the unit's handler (the order's assignee, else the unit's
    /// handlers).
    UnitHandler,
    /// The head of the unit `n` steps up from the order's unit: 0 the unit's own head (level 2),
    /// 1 its division (level 3), and so on.
    Head(u32),
    /// Level 1 of a limit of the centre: the agent who took the call.
    Agent,
    /// Level 2 of a limit of the centre: the supervisors of the agent's centre.
    CentreSupervisor,
    /// The top of every chain: the company's supervisors.
    Company,
}

impl SupervisionPost {
    /// The post's name as stored and shown: `unit_handler`, `unit_head`, `division_head`,
    /// `agent`, `centre_supervisor`, `company`.
    pub fn as_str(self) -> &'static str {
        match self {
            SupervisionPost::UnitHandler => "unit_handler",
            SupervisionPost::Head(0) => "unit_head",
            SupervisionPost::Head(_) => "division_head",
            SupervisionPost::Agent => "agent",
            SupervisionPost::CentreSupervisor => "centre_supervisor",
            SupervisionPost::Company => "company",
        }
    }
}

/// The post supervision `level` (1 ..= [`supervision_depth`]) is addressed to; a level past the
/// top is the top's (the company).
pub fn supervision_post(level: u32, unit_ancestors: Option<u32>) -> SupervisionPost {
    let depth = supervision_depth(unit_ancestors);
    if level >= depth {
        return SupervisionPost::Company;
    }
    match (unit_ancestors, level) {
        (Some(_), 0 | 1) => SupervisionPost::UnitHandler,
        (Some(_), l) => SupervisionPost::Head(l - 2),
        (None, 0 | 1) => SupervisionPost::Agent,
        (None, _) => SupervisionPost::CentreSupervisor,
    }
}

/// Supervision (督办) level at `now` (SPEC §3, `000:八.5(5)`): 0 before the due instant,
/// 1 from it, and one more each time a further `limit_len` passes, up to the top of the
/// chain (`depth`, see [`supervision_depth`]) where it stays.
pub fn supervision_level(
    due_at: DateTime<Utc>,
    limit_len: Duration,
    now: DateTime<Utc>,
    depth: u32,
) -> u32 {
    if now < due_at {
        return 0;
    }
    let len = limit_len.num_milliseconds();
    if len <= 0 {
        return 1;
    }
    let over = (now - due_at).num_milliseconds() / len;
    u32::try_from(over)
        .unwrap_or(u32::MAX - 1)
        .saturating_add(1)
        .min(depth.max(1))
}

/// When the next supervision step of a deadline at `level` falls due, or `None` when nothing
/// follows (not missed yet, or no limit length to repeat).
///
/// Below the top (`level < depth`): the next level, one further limit length after the last
/// (`due_at + level × limit_len`, the instant [`supervision_level`] reaches `level + 1`). At the
/// top: a reminder to the top level one workday after `last` (the last notice or reminder
/// actually sent) on the company's calendar, so that a clock jump or downtime gives one
/// reminder, never one per workday missed, and there is never more than one a workday.
pub fn next_supervision_at(
    due_at: DateTime<Utc>,
    limit_len: Duration,
    level: u32,
    depth: u32,
    last: DateTime<Utc>,
    cal: &BusinessCalendar,
    offset: FixedOffset,
) -> Option<DateTime<Utc>> {
    if level == 0 || limit_len <= Duration::zero() {
        return None;
    }
    if level < depth {
        let next = limit_len
            .checked_mul(i32::try_from(level).unwrap_or(i32::MAX))
            .and_then(|d| due_at.checked_add_signed(d))
            .unwrap_or_else(latest_due);
        return Some(next.min(latest_due()));
    }
    Some(self::due_at(last, &Limit::Workdays(1), cal, offset).due_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::china_offset;

    fn utc(s: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
    }
    /// Local Beijing time to UTC.
    fn bj(s: &str) -> DateTime<Utc> {
        to_utc(
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
            china_offset(),
        )
    }

    #[test]
    fn gas_repair_3_workdays_over_national_day_2026_002_s14_4() {
        let cal = BusinessCalendar::embedded();
        // Dispatched Wed 2026-09-30 16:00 Beijing; due Sat 2026-10-10 16:00 (adjusted workday).
        let d = due_at(
            bj("2026-09-30 16:00"),
            &Limit::Workdays(3),
            &cal,
            china_offset(),
        );
        assert_eq!(d.due_at, bj("2026-10-10 16:00"));
        assert!(!d.provisional);
    }

    #[test]
    fn workdays_use_local_day_not_utc_day() {
        let cal = BusinessCalendar::embedded();
        // Fri 2026-03-06 23:30 UTC is Sat 07:30 Beijing: counting starts Mon 00:00 local.
        let d = due_at(
            utc("2026-03-06 23:30"),
            &Limit::Workdays(1),
            &cal,
            china_offset(),
        );
        assert_eq!(d.due_at, bj("2026-03-10 00:00"));
    }

    #[test]
    fn wall_clock_minutes_and_hours() {
        let cal = BusinessCalendar::embedded();
        let s = utc("2026-10-01 01:00");
        assert_eq!(
            due_at(s, &Limit::Minutes(5), &cal, china_offset()).due_at,
            utc("2026-10-01 01:05")
        );
        assert_eq!(
            due_at(s, &Limit::Hours(48), &cal, china_offset()).due_at,
            utc("2026-10-03 01:00")
        );
    }

    #[test]
    fn month_end_closing_in_local_time_000_s2_5_4() {
        let cal = BusinessCalendar::embedded();
        // 2026-03-31 17:00 UTC is already April 1st in Beijing.
        let d = due_at(
            utc("2026-03-31 17:00"),
            &Limit::MonthEnd,
            &cal,
            china_offset(),
        );
        assert_eq!(d.due_at, bj("2026-04-30 23:59") + Duration::seconds(59));
        let d = due_at(
            bj("2026-02-03 10:00"),
            &Limit::MonthEnd,
            &cal,
            china_offset(),
        );
        assert_eq!(d.due_at, bj("2026-02-28 23:59") + Duration::seconds(59));
    }

    #[test]
    fn same_day_temperature_complaint_000_s8_5_2() {
        let cal = BusinessCalendar::embedded();
        let d = due_at(
            bj("2026-12-01 09:00"),
            &Limit::SameDay,
            &cal,
            china_offset(),
        );
        assert_eq!(d.due_at, bj("2026-12-01 23:59") + Duration::seconds(59));
    }

    #[test]
    fn provisional_in_year_without_data() {
        let cal = BusinessCalendar::embedded();
        let d = due_at(
            bj("2027-03-01 10:00"),
            &Limit::Workdays(1),
            &cal,
            china_offset(),
        );
        assert!(d.provisional);
        assert_eq!(d.due_at, bj("2027-03-02 10:00"));
    }

    #[test]
    fn amber_at_80_percent_then_red() {
        let start = utc("2026-03-02 00:00");
        let due = utc("2026-03-02 10:00");
        assert_eq!(
            state(
                due,
                utc("2026-03-02 07:59"),
                None,
                amber_at(start, due, 0.8),
                false
            ),
            DeadlineState::Pending
        );
        assert_eq!(
            state(
                due,
                utc("2026-03-02 08:00"),
                None,
                amber_at(start, due, 0.8),
                false
            ),
            DeadlineState::Amber
        );
        assert_eq!(
            state(
                due,
                utc("2026-03-02 10:00"),
                None,
                amber_at(start, due, 0.8),
                false
            ),
            DeadlineState::Missed
        );
        let on_time = Some(due);
        assert_eq!(
            state(
                due,
                utc("2026-03-05 00:00"),
                on_time,
                amber_at(start, due, 0.8),
                false
            ),
            DeadlineState::Met
        );
        let late = Some(utc("2026-03-02 10:01"));
        assert_eq!(
            state(
                due,
                utc("2026-03-02 10:01"),
                late,
                amber_at(start, due, 0.8),
                false
            ),
            DeadlineState::Missed
        );
    }

    #[test]
    fn supervision_one_level_per_further_limit_000_s8_5_5() {
        let due = utc("2026-03-02 10:00");
        let len = Duration::hours(3);
        assert_eq!(supervision_level(due, len, utc("2026-03-02 09:59"), 4), 0);
        assert_eq!(supervision_level(due, len, due, 4), 1);
        assert_eq!(supervision_level(due, len, utc("2026-03-02 12:59"), 4), 1);
        assert_eq!(supervision_level(due, len, utc("2026-03-02 13:00"), 4), 2);
        assert_eq!(supervision_level(due, len, utc("2026-03-02 19:00"), 4), 4);
        assert_eq!(
            supervision_level(due, Duration::zero(), utc("2026-03-09 00:00"), 4),
            1
        );
    }

    #[test]
    fn supervision_stops_at_the_top_of_the_chain_000_s8_5_5() {
        // Handler, head, division, company.
        assert_eq!(supervision_depth(Some(1)), 4);
        assert_eq!(supervision_depth(Some(0)), 3);
        // Agent, centre supervisor, company.
        assert_eq!(supervision_depth(None), 3);
        let due = utc("2026-03-02 10:00");
        let len = Duration::minutes(5);
        assert_eq!(supervision_level(due, len, utc("2026-04-13 10:00"), 4), 4);
        use crate::workflow::supervision_target as to;
        let chain = [7, 3]; // a team, its division
        assert_eq!(to(&chain, 1), Some(("handler", Some(7))));
        assert_eq!(to(&chain, 2), Some(("head", Some(7))));
        assert_eq!(to(&chain, 3), Some(("unit", Some(3))));
        assert_eq!(to(&chain, 4), Some(("company", None)));
        assert_eq!(to(&[], 2), Some(("supervisor", None)));
        assert_eq!(to(&[], 9), Some(("company", None)));
        assert_eq!(to(&chain, 0), None);
    }

    #[test]
    fn next_step_climbs_then_reminds_once_a_workday_000_s8_5_5() {
        let cal = BusinessCalendar::embedded();
        let due = bj("2026-03-02 10:00"); // Monday
        let len = Duration::minutes(5);
        let now = bj("2026-03-02 10:07");
        let next =
            |level, last| next_supervision_at(due, len, level, 4, last, &cal, china_offset());
        assert_eq!(next(0, now), None);
        assert_eq!(next(1, now), Some(bj("2026-03-02 10:05")));
        assert_eq!(next(3, now), Some(bj("2026-03-02 10:15")));
        // At the top: one workday after the last reminder, counted from when it was sent.
        assert_eq!(next(4, now), Some(bj("2026-03-03 10:07")));
        assert_eq!(
            next(4, bj("2026-03-06 18:00")),
            Some(bj("2026-03-09 18:00"))
        );
        assert_eq!(
            next(4, bj("2026-03-07 12:00")),
            Some(bj("2026-03-10 00:00"))
        );
        assert_eq!(
            next_supervision_at(due, Duration::zero(), 1, 4, now, &cal, china_offset()),
            None
        );
    }
    #[test]
    fn each_level_has_its_post_unit_handler_head_division_company_000_s8_5_5() {
        use SupervisionPost::*;
        // A team under a division: handler, team head, division head, company.
        let posts: Vec<_> = (1..=5).map(|l| supervision_post(l, Some(1))).collect();
        assert_eq!(posts, [UnitHandler, Head(0), Head(1), Company, Company]);
        assert_eq!(Head(0).as_str(), "unit_head");
        assert_eq!(Head(1).as_str(), "division_head");
        assert_eq!(Head(2).as_str(), "division_head");
        // A top unit: handler, head, company.
        let posts: Vec<_> = (1..=3).map(|l| supervision_post(l, Some(0))).collect();
        assert_eq!(posts, [UnitHandler, Head(0), Company]);
        // A limit of the centre: agent, centre supervisor, company.
        let posts: Vec<_> = (1..=3).map(|l| supervision_post(l, None)).collect();
        assert_eq!(posts, [Agent, CentreSupervisor, Company]);
    }
}
