//! Property tests of `BusinessCalendar::add_workdays`.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use rexian_domain::BusinessCalendar;

fn start() -> impl Strategy<Value = NaiveDateTime> {
    // 2023-06-01 .. 2028-01-01, minute resolution: covers known and unknown years.
    (0i64..(5 * 366 * 24 * 60)).prop_map(|m| {
        NaiveDate::from_ymd_opt(2023, 6, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            + Duration::minutes(m)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn result_not_before_start_and_lands_on_workday(t in start(), n in 0u32..40) {
        let c = BusinessCalendar::embedded();
        let s = c.add_workdays(t, n);
        prop_assert!(s.at >= t);
        prop_assert!(c.is_workday(s.at.date()));
        if n > 0 {
            prop_assert!(s.at > t);
        }
    }

    #[test]
    fn zero_from_workday_is_identity(t in start()) {
        let c = BusinessCalendar::embedded();
        prop_assume!(c.is_workday(t.date()));
        prop_assert_eq!(c.add_workdays(t, 0).at, t);
    }

    #[test]
    fn monotone_in_start_and_n(a in start(), b in start(), n in 0u32..30, k in 0u32..5) {
        let c = BusinessCalendar::embedded();
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(c.add_workdays(lo, n).at <= c.add_workdays(hi, n).at);
        prop_assert!(c.add_workdays(lo, n).at <= c.add_workdays(lo, n + k).at);
    }

    #[test]
    fn counts_exactly_n_working_days(t in start(), n in 1u32..30) {
        let c = BusinessCalendar::embedded();
        let s = c.add_workdays(t, n);
        // Working days strictly after the effective start day, up to and including landing day.
        let first = if c.is_workday(t.date()) { t.date() } else { c.next_workday(t.date()) };
        let counted = c.workdays_between(first.succ_opt().unwrap(), s.at.date().succ_opt().unwrap());
        prop_assert_eq!(counted, n);
    }

    #[test]
    fn provisional_iff_unknown_year_touched(t in start(), n in 0u32..30) {
        let c = BusinessCalendar::embedded();
        let s = c.add_workdays(t, n);
        let touched_unknown = (t.date().format("%Y").to_string().parse::<i32>().unwrap()
            ..=s.at.date().format("%Y").to_string().parse::<i32>().unwrap())
            .any(|y| !c.has_year(y));
        prop_assert_eq!(s.provisional, touched_unknown);
    }
}

mod deadline_props {
    use super::*;
    use rexian_domain::policy::china_offset;
    use rexian_domain::{due_at, supervision_level, Limit};

    fn limit() -> impl Strategy<Value = Limit> {
        prop_oneof![
            (1u32..600).prop_map(Limit::Minutes),
            (1u32..100).prop_map(Limit::Hours),
            (1u32..20).prop_map(Limit::Workdays),
            Just(Limit::SameDay),
            Just(Limit::MonthEnd),
        ]
    }

    proptest! {
        #[test]
        fn due_after_start_and_monotone(a in start(), b in start(), l in limit()) {
            let c = BusinessCalendar::embedded();
            let (lo, hi) = if a <= b { (a.and_utc(), b.and_utc()) } else { (b.and_utc(), a.and_utc()) };
            let d_lo = due_at(lo, &l, &c, china_offset()).due_at;
            prop_assert!(d_lo > lo);
            prop_assert!(d_lo <= due_at(hi, &l, &c, china_offset()).due_at);
        }

        #[test]
        fn supervision_level_never_drops(due in start(), m1 in 0i64..100_000, m2 in 0i64..100_000, len in 1i64..10_000, depth in 3u32..8) {
            let due = due.and_utc();
            let (x, y) = (m1.min(m2), m1.max(m2));
            let len = Duration::minutes(len);
            let hi = supervision_level(due, len, due + Duration::minutes(y), depth);
            prop_assert!(supervision_level(due, len, due + Duration::minutes(x), depth) <= hi);
            prop_assert!(hi <= depth, "never above the top of the chain");
            prop_assert_eq!(supervision_level(due, len, due - Duration::minutes(x + 1), depth), 0);
        }
    }
}
