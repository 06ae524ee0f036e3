//! Business calendar: China mainland working days (weekends, public holidays, 调休).
//!
//! Reading of SPEC §3 "N workdays after t" implemented by [`BusinessCalendar::add_workdays`]:
//! - if `t` falls on a working day, the result is the same clock time on the N-th working
//!   day after `t`'s day (N = 0 gives `t` itself);
//! - if `t` falls on a non-working day, the count starts at 00:00 of the next working day
//!   `W`, and the result is 00:00 of the N-th working day after `W` (N = 0 gives `W` 00:00).
//!
//! So the landing day is always a working day, and the time counted is exactly N full
//! working days of clock time. Years without data count Mon–Fri as working days and mark
//! the result provisional.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::Deserialize;

/// The China mainland calendar shipped with the product.
pub const EMBEDDED_CALENDAR: &str = include_str!("../../../calendars/cn-mainland.toml");

/// The last year workday counting goes to; a longer count stops there.
const LAST_YEAR: i32 = 9999;

/// A calendar file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", year.map(|y| format!("year {y}: ")).unwrap_or_default())]
pub struct CalendarError {
    /// The year block at fault, when known.
    pub year: Option<i32>,
    /// What is wrong.
    pub reason: String,
}

impl CalendarError {
    fn new(year: Option<i32>, reason: impl Into<String>) -> Self {
        Self {
            year,
            reason: reason.into(),
        }
    }
}

/// A deadline instant and whether a year without calendar data was involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The computed local instant.
    pub at: NaiveDateTime,
    /// True when any year touched by the computation has no calendar data.
    pub provisional: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct YearData {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

/// Working days per year: holidays off, adjusted Saturdays/Sundays on, else Mon–Fri.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessCalendar {
    years: BTreeMap<i32, YearData>,
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    year: Vec<RawYear>,
}

#[derive(Deserialize)]
struct RawYear {
    year: i32,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

fn parse_dates(year: i32, list: &str, raw: &[String]) -> Result<Vec<NaiveDate>, CalendarError> {
    raw.iter()
        .map(|s| {
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| CalendarError::new(Some(year), format!("{list}: bad date {s:?}")))?;
            if d.year() != year {
                return Err(CalendarError::new(
                    Some(year),
                    format!("{list}: {d} is not in year {year}"),
                ));
            }
            Ok(d)
        })
        .collect()
}

fn sorted_unique(year: i32, list: &str, dates: &[NaiveDate]) -> Result<(), CalendarError> {
    for w in dates.windows(2) {
        if w[0] == w[1] {
            return Err(CalendarError::new(
                Some(year),
                format!("{list}: {} listed twice", w[0]),
            ));
        }
        if w[0] > w[1] {
            return Err(CalendarError::new(
                Some(year),
                format!("{list}: not sorted ({} before {})", w[0], w[1]),
            ));
        }
    }
    Ok(())
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The last instant (23:59:59) of the day of `t`.
pub fn end_of_day(t: NaiveDateTime) -> NaiveDateTime {
    t.date().and_time(last_second())
}

/// Deadline for a "same day" limit: the last instant (23:59:59) of the day of `t`.
pub fn same_day(t: NaiveDateTime) -> NaiveDateTime {
    end_of_day(t)
}

/// The last instant (23:59:59) of the month of `t`.
pub fn month_end(t: NaiveDateTime) -> NaiveDateTime {
    let d = t.date();
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    let first_next = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX);
    let last = first_next.pred_opt().unwrap_or(d);
    last.and_time(last_second())
}

fn last_second() -> NaiveTime {
    NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)
}

impl BusinessCalendar {
    /// Parses and validates a calendar in the `[[year]]` format of `calendars/cn-mainland.toml`.
    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| CalendarError::new(None, e.message().to_string()))?;
        let mut years = BTreeMap::new();
        for y in raw.year {
            let holidays = parse_dates(y.year, "holidays", &y.holidays)?;
            let workdays = parse_dates(y.year, "workdays", &y.workdays)?;
            sorted_unique(y.year, "holidays", &holidays)?;
            sorted_unique(y.year, "workdays", &workdays)?;
            for w in &workdays {
                if !is_weekend(*w) {
                    return Err(CalendarError::new(
                        Some(y.year),
                        format!(
                            "workdays: {w} is a {:?}, not a Saturday or Sunday",
                            w.weekday()
                        ),
                    ));
                }
                if holidays.binary_search(w).is_ok() {
                    return Err(CalendarError::new(
                        Some(y.year),
                        format!("{w} is both a holiday and a workday"),
                    ));
                }
            }
            let data = YearData {
                holidays: holidays.into_iter().collect(),
                workdays: workdays.into_iter().collect(),
            };
            if years.insert(y.year, data).is_some() {
                return Err(CalendarError::new(Some(y.year), "year block given twice"));
            }
        }
        Ok(Self { years })
    }

    /// The calendar built from the embedded `calendars/cn-mainland.toml`.
    pub fn embedded() -> Self {
        // The embedded file is checked by a unit test; an error here is a build defect.
        Self::from_toml(EMBEDDED_CALENDAR).unwrap_or_default()
    }

    /// Years with data, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Whether `year` has data.
    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// Years in `from..=to` without data (for the admin warning).
    pub fn missing_years(&self, from: i32, to: i32) -> Vec<i32> {
        (from..=to).filter(|y| !self.has_year(*y)).collect()
    }

    /// Whether `d` is a working day. Years without data: Mon–Fri.
    pub fn is_workday(&self, d: NaiveDate) -> bool {
        match self.years.get(&d.year()) {
            Some(y) if y.holidays.contains(&d) => false,
            Some(y) if y.workdays.contains(&d) => true,
            _ => !is_weekend(d),
        }
    }

    /// The first working day strictly after `d`.
    pub fn next_workday(&self, d: NaiveDate) -> NaiveDate {
        let mut d = d;
        loop {
            match d.succ_opt() {
                Some(n) => d = n,
                None => return d,
            }
            if self.is_workday(d) {
                return d;
            }
        }
    }

    /// N workdays after `start` (see the module doc for the exact reading).
    pub fn add_workdays(&self, start: NaiveDateTime, n: u32) -> Span {
        let mut provisional = !self.has_year(start.year());
        let (mut day, time) = if self.is_workday(start.date()) {
            (start.date(), start.time())
        } else {
            (self.next_workday(start.date()), NaiveTime::MIN)
        };
        for _ in 0..n {
            let next = self.next_workday(day);
            if next == day || next.year() > LAST_YEAR {
                break; // end of the range deadlines are computed in
            }
            day = next;
        }
        for y in start.year()..=day.year() {
            provisional |= !self.has_year(y);
        }
        Span {
            at: day.and_time(time),
            provisional,
        }
    }

    /// Number of working days in `from..to` (end exclusive).
    pub fn workdays_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            if self.is_workday(d) {
                n += 1;
            }
            d += Duration::days(1);
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn embedded_calendar_loads_2024_to_2026() {
        let c = BusinessCalendar::embedded();
        assert_eq!(c.years(), vec![2024, 2025, 2026]);
        assert_eq!(c.missing_years(2025, 2027), vec![2027]);
        assert!(BusinessCalendar::from_toml(EMBEDDED_CALENDAR).is_ok());
    }

    #[test]
    fn workday_flags_2026() {
        let c = BusinessCalendar::embedded();
        assert!(!c.is_workday(d("2026-10-01")), "National Day");
        assert!(c.is_workday(d("2026-10-10")), "adjusted Saturday");
        assert!(c.is_workday(d("2026-02-14")), "adjusted Saturday");
        assert!(!c.is_workday(d("2026-02-23")), "Spring Festival Monday");
        assert!(!c.is_workday(d("2026-03-01")), "ordinary Sunday");
        assert!(c.is_workday(d("2027-01-04")), "unknown year Monday");
        assert!(!c.is_workday(d("2027-01-02")), "unknown year Saturday");
    }

    #[test]
    fn deadline_crosses_national_day_2026_lands_on_adjusted_saturday() {
        let c = BusinessCalendar::embedded();
        // Wed 2026-09-30 10:00; Oct 1–7 off, Thu 8, Fri 9, Sat 10 (adjusted) working.
        let s = c.add_workdays(dt("2026-09-30 10:00"), 3);
        assert_eq!(s.at, dt("2026-10-10 10:00"));
        assert!(!s.provisional);
        let s = c.add_workdays(dt("2026-09-30 10:00"), 1);
        assert_eq!(s.at, dt("2026-10-08 10:00"));
    }

    #[test]
    fn deadline_from_holiday_starts_next_workday_midnight() {
        let c = BusinessCalendar::embedded();
        // Reported on a National Day holiday: count starts Thu 2026-10-08 00:00.
        let s = c.add_workdays(dt("2026-10-03 15:30"), 1);
        assert_eq!(s.at, dt("2026-10-09 00:00"));
        let s = c.add_workdays(dt("2026-10-03 15:30"), 0);
        assert_eq!(s.at, dt("2026-10-08 00:00"));
    }

    #[test]
    fn deadline_across_spring_festival_2026() {
        let c = BusinessCalendar::embedded();
        // Fri 2026-02-13 09:00, 3 workdays: Sat 14 (adjusted), Tue 24, Wed 25.
        let s = c.add_workdays(dt("2026-02-13 09:00"), 3);
        assert_eq!(s.at, dt("2026-02-25 09:00"));
        // 7 workdays from Sat 14: 24,25,26,27,28(adjusted Sat),Mar 2,3.
        let s = c.add_workdays(dt("2026-02-14 09:00"), 7);
        assert_eq!(s.at, dt("2026-03-03 09:00"));
    }

    #[test]
    fn unknown_year_is_provisional() {
        let c = BusinessCalendar::embedded();
        let s = c.add_workdays(dt("2026-12-31 10:00"), 1);
        assert_eq!(s.at, dt("2027-01-01 10:00"));
        assert!(s.provisional);
        assert!(!c.add_workdays(dt("2026-12-01 10:00"), 1).provisional);
    }

    #[test]
    fn month_end_and_same_day() {
        assert_eq!(
            month_end(dt("2026-02-10 08:00")),
            dt("2026-02-28 23:59") + Duration::seconds(59)
        );
        assert_eq!(month_end(dt("2024-02-10 08:00")).date(), d("2024-02-29"));
        assert_eq!(month_end(dt("2026-12-31 23:00")).date(), d("2026-12-31"));
        assert_eq!(
            same_day(dt("2026-05-06 08:00")),
            dt("2026-05-06 23:59") + Duration::seconds(59)
        );
    }

    fn err(text: &str) -> CalendarError {
        BusinessCalendar::from_toml(text).unwrap_err()
    }

    #[test]
    fn validation_errors_name_year_and_reason() {
        let e = err("[[year]]\nyear = 2030\nholidays = [\"2031-01-01\"]\n");
        assert_eq!(e.year, Some(2030));
        assert!(e.reason.contains("not in year"), "{e}");
        let e = err("[[year]]\nyear = 2030\nholidays = [\"2030-01-02\", \"2030-01-01\"]\n");
        assert!(e.reason.contains("not sorted"), "{e}");
        let e = err("[[year]]\nyear = 2030\nholidays = [\"2030-01-01\", \"2030-01-01\"]\n");
        assert!(e.reason.contains("twice"), "{e}");
        // 2030-01-07 is a Monday.
        let e = err("[[year]]\nyear = 2030\nworkdays = [\"2030-01-07\"]\n");
        assert!(e.reason.contains("not a Saturday"), "{e}");
        // 2030-01-05 is a Saturday.
        let e = err(
            "[[year]]\nyear = 2030\nholidays = [\"2030-01-05\"]\nworkdays = [\"2030-01-05\"]\n",
        );
        assert!(e.reason.contains("both"), "{e}");
        let e = err("[[year]]\nyear = 2030\nholidays = [\"2030-13-01\"]\n");
        assert!(e.reason.contains("bad date"), "{e}");
        assert!(e.to_string().starts_with("year 2030: "));
        let e = err("[[year]]\nyear = 2030\n[[year]]\nyear = 2030\n");
        assert!(e.reason.contains("twice"), "{e}");
    }
}
