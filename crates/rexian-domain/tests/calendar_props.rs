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
