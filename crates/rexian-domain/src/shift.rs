//! The shifts of a day by number and name (`001` 值班: three shifts 早班/中班/夜班, or 24 h
//! from 08:00): which shift holds an instant, when it starts and ends, and the order-left-pending
//! cutoff. A shift belongs to the local date it starts on. Pure: times are local, given.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::policy::Shifts;

/// One shift of one local date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The local date the shift starts on (the roster's date).
    pub date: NaiveDate,
    /// Its number in the day, from 0.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// Local start.
    pub start: NaiveDateTime,
    /// Local end: the next shift's start.
    pub end: NaiveDateTime,
}

/// The name of shift `index`: the policy's, else by how many shifts a day has: one is 全天, two
/// are 白班 and 夜班, three are 早班, 中班 and 夜班; more are 第N班.
pub fn name(s: &Shifts, index: usize) -> String {
    if let Some(n) = s.names.get(index) {
        return n.clone();
    }
    let by_count: &[&str] = match s.starts.len() {
        1 => &["全天"],
        2 => &["白班", "夜班"],
        3 => &["早班", "中班", "夜班"],
        _ => &[],
    };
    by_count
        .get(index)
        .map(|n| n.to_string())
        .unwrap_or_else(|| format!("第{}班", index + 1))
}

/// Shift `index` of local date `date`, if the day has it.
pub fn slot(s: &Shifts, date: NaiveDate, index: usize) -> Option<Slot> {
    let start = date.and_time(*s.starts.get(index)?);
    Some(Slot {
        date,
        index,
        name: name(s, index),
        start,
        end: s.end_of(start),
    })
}

/// The shifts of local date `date`, in order.
pub fn of_day(s: &Shifts, date: NaiveDate) -> Vec<Slot> {
    (0..s.starts.len())
        .filter_map(|i| slot(s, date, i))
        .collect()
}

/// The shift local time `t` falls in.
pub fn containing(s: &Shifts, t: NaiveDateTime) -> Slot {
    let start = s.start_of(t);
    let index = s
        .starts
        .iter()
        .position(|x| *x == start.time())
        .unwrap_or(0);
    Slot {
        date: start.date(),
        index,
        name: name(s, index),
        start,
        end: s.end_of(t),
    }
}

/// The shift named `text`: its name (`早班`) or its number from 1 (`1`).
pub fn index_of(s: &Shifts, text: &str) -> Option<usize> {
    let text = text.trim();
    if let Some(i) = (0..s.starts.len()).find(|i| name(s, *i) == text) {
        return Some(i);
    }
    match text.parse::<usize>() {
        Ok(n) if (1..=s.starts.len()).contains(&n) => Some(n - 1),
        _ => None,
    }
}

/// At local time `now`, orders received at or before the returned time and still untouched
/// were left pending by a shift that has ended (`001` 考核6)): the last shift end (the start of
/// the shift holding `now`) less the policy's `minutes`. None without the rule.
pub fn left_pending_cutoff(s: &Shifts, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let rule = s.left_pending.as_ref()?;
    Some(s.start_of(now) - Duration::minutes(i64::from(rule.minutes)))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;

    use super::*;
    use crate::policy::LeftPending;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn one_shift_from_0800_belongs_to_the_day_it_starts_001() {
        let s = Shifts {
            starts: vec![t(8, 0)],
            ..Shifts::default()
        };
        let before = containing(&s, at("2026-03-02 07:59"));
        assert_eq!(before.date, day("2026-03-01"));
        assert_eq!(before.name, "全天");
        assert_eq!(before.start, at("2026-03-01 08:00"));
        assert_eq!(before.end, at("2026-03-02 08:00"));
        let after = containing(&s, at("2026-03-02 08:00"));
        assert_eq!(after.date, day("2026-03-02"));
        assert_eq!(after.end, at("2026-03-03 08:00"));
        assert_eq!(of_day(&s, day("2026-03-02")), vec![after]);
    }

    #[test]
    fn three_shifts_are_named_early_middle_night() {
        let s = Shifts {
            starts: vec![t(0, 0), t(8, 0), t(16, 0)],
            ..Shifts::default()
        };
        let names: Vec<String> = of_day(&s, day("2026-03-02"))
            .into_iter()
            .map(|x| x.name)
            .collect();
        assert_eq!(names, ["早班", "中班", "夜班"]);
        let night = containing(&s, at("2026-03-02 23:00"));
        assert_eq!((night.index, night.end), (2, at("2026-03-03 00:00")));
        assert_eq!(index_of(&s, "中班"), Some(1));
        assert_eq!(index_of(&s, "3"), Some(2));
        assert_eq!(index_of(&s, "4"), None);
        assert_eq!(index_of(&s, "白班"), None);
        let named = Shifts {
            names: vec!["A".into(), "B".into(), "C".into()],
            ..s
        };
        assert_eq!(name(&named, 1), "B");
        assert_eq!(index_of(&named, "C"), Some(2));
    }

    #[test]
    fn the_left_pending_cutoff_is_the_last_shift_end_less_the_minutes() {
        let mut s = Shifts {
            starts: vec![t(8, 0)],
            ..Shifts::default()
        };
        assert_eq!(left_pending_cutoff(&s, at("2026-03-02 09:00")), None);
        s.left_pending = Some(LeftPending {
            categories: vec![crate::model::Category::Consult],
            minutes: 60,
        });
        assert_eq!(
            left_pending_cutoff(&s, at("2026-03-02 09:00")),
            Some(at("2026-03-02 07:00"))
        );
        assert_eq!(
            left_pending_cutoff(&s, at("2026-03-02 07:59")),
            Some(at("2026-03-01 07:00"))
        );
    }
}
