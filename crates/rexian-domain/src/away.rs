//! A/B roles while someone is away (`004` 第五章 AB角工作制): an away period (事假, 病假, 培训,
//! 外出) from `from` to `until`; meanwhile A's open work is with B (第十九、二十条); A and B
//! must not be away at the same time (第二十一条), and when they are (forced), the work goes
//! to nobody and the centre head assigns it.
//!
//! Times are milliseconds; periods are half-open `[from, until)`.

use std::fmt;
use std::str::FromStr;

/// The longest away period taken (a year): a longer absence is a change of posts (第二十一条:
/// 调离或分工调整), not an away period.
pub const MAX_AWAY_MS: i64 = 366 * 24 * 3_600_000;

/// Why someone is away (第十九条: 因事、病请假或外出).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwayReason {
    /// 事假/休假: leave.
    Leave,
    /// 病假: sick.
    Sick,
    /// 培训: training.
    Training,
    /// 外出: out on business.
    Out,
    /// 其他: anything else (the note says what).
    Other,
}

impl AwayReason {
    /// Every reason, in the order forms list them.
    pub const ALL: [AwayReason; 5] = [
        AwayReason::Leave,
        AwayReason::Sick,
        AwayReason::Training,
        AwayReason::Out,
        AwayReason::Other,
    ];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            AwayReason::Leave => "leave",
            AwayReason::Sick => "sick",
            AwayReason::Training => "training",
            AwayReason::Out => "out",
            AwayReason::Other => "other",
        }
    }
}

impl fmt::Display for AwayReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AwayReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        AwayReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("reason is one of leave, sick, training, out, other; got {s:?}"))
    }
}

/// What is wrong with a period's times: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPeriod {
    /// `from` or `until`.
    pub field: &'static str,
    /// Why.
    pub message: &'static str,
}

/// Checks a new period at `now`: `from < until`, `until` still ahead, at most [`MAX_AWAY_MS`].
pub fn check_period(from: i64, until: i64, now: i64) -> Result<(), BadPeriod> {
    let bad = |field, message| Err(BadPeriod { field, message });
    if until <= from {
        return bad("until", "until must be after from");
    }
    if until <= now {
        return bad("until", "until is past: the period is over already");
    }
    if until - from > MAX_AWAY_MS {
        return bad("until", "an away period is at most 366 days");
    }
    Ok(())
}

/// Whether `[a_from, a_until)` and `[b_from, b_until)` share a moment.
pub fn overlaps(a_from: i64, a_until: i64, b_from: i64, b_until: i64) -> bool {
    a_from < b_until && b_from < a_until
}

/// The end of a period as it stands: `until`, or the earlier moment it was ended at.
pub fn effective_until(until: i64, ended_at: Option<i64>) -> i64 {
    ended_at.map_or(until, |e| e.min(until))
}

/// Where a period is at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not begun: nothing has moved yet.
    Upcoming,
    /// A is away: the work is with B (or with nobody).
    Away,
    /// Over (at `until` or ended early): the work came back.
    Over,
}

impl Phase {
    /// The code shown (`upcoming`, `away`, `over`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Upcoming => "upcoming",
            Phase::Away => "away",
            Phase::Over => "over",
        }
    }
}

/// The phase of `[from, until)` ended at `ended_at` (if it was), at `now`.
pub fn phase(from: i64, until: i64, ended_at: Option<i64>, now: i64) -> Phase {
    if now >= effective_until(until, ended_at) {
        Phase::Over
    } else if now < from {
        Phase::Upcoming
    } else {
        Phase::Away
    }
}

/// Who handles A's work while A is away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// B, A's partner (第二十条).
    Partner(i64),
    /// Nobody: the centre head assigns it (第二十一条).
    Nobody,
}

/// Why a period is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoverRefusal {
    /// B is away at an overlapping time (第二十一条: A and B not out at once).
    PartnerAway,
    /// A's post has no B.
    NoPartner,
}

/// Who covers A: B when there is a B who is not away at an overlapping time; else, only when
/// forced, nobody.
pub fn cover(partner: Option<i64>, partner_away: bool, force: bool) -> Result<Cover, CoverRefusal> {
    match (partner, partner_away, force) {
        (Some(b), false, _) => Ok(Cover::Partner(b)),
        (_, _, true) => Ok(Cover::Nobody),
        (Some(_), true, false) => Err(CoverRefusal::PartnerAway),
        (None, _, false) => Err(CoverRefusal::NoPartner),
    }
}

/// Whether an order moved away from A goes back to A at the end: when it is still open and
/// still with whom it was moved to (nobody reassigned it meanwhile), or with nobody (B went
/// away too, forced, and B's work went nowhere: A is back, so A takes it).
pub fn returns(open: bool, holder_now: Option<i64>, moved_to: Option<i64>) -> bool {
    open && (holder_now == moved_to || holder_now.is_none())
}

/// Whether A and B of one post are away at one moment: `a` and `b` are `(from, until)`.
pub fn both_away(a: (i64, i64), b: (i64, i64)) -> bool {
    overlaps(a.0, a.1, b.0, b.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn periods_are_half_open() {
        assert!(overlaps(0, 10, 5, 15));
        assert!(overlaps(5, 15, 0, 10));
        assert!(overlaps(0, 10, 2, 3));
        // One ends when the other starts: no moment in common.
        assert!(!overlaps(0, 10, 10, 20));
        assert!(!overlaps(10, 20, 0, 10));
        assert!(both_away((0, 10), (9, 11)));
    }

    #[test]
    fn a_period_needs_from_before_until_ahead_and_at_most_366_days() {
        assert_eq!(check_period(10 * H, 5 * H, 0).unwrap_err().field, "until");
        assert_eq!(check_period(10 * H, 10 * H, 0).unwrap_err().field, "until");
        assert_eq!(check_period(0, 2 * H, 3 * H).unwrap_err().field, "until");
        assert!(check_period(0, 2 * H, H).is_ok());
        assert!(check_period(0, MAX_AWAY_MS, 0).is_ok());
        assert_eq!(
            check_period(0, MAX_AWAY_MS + 1, 0).unwrap_err().field,
            "until"
        );
        assert_eq!(MAX_AWAY_MS, 366 * 24 * H);
    }

    #[test]
    fn phases_follow_the_clock_and_an_early_end() {
        assert_eq!(phase(10, 20, None, 5), Phase::Upcoming);
        assert_eq!(phase(10, 20, None, 10), Phase::Away);
        assert_eq!(phase(10, 20, None, 20), Phase::Over);
        assert_eq!(phase(10, 20, Some(15), 16), Phase::Over);
        // Ended before it began: never away.
        assert_eq!(phase(10, 20, Some(5), 12), Phase::Over);
        assert_eq!(effective_until(20, Some(30)), 20);
    }

    #[test]
    fn b_covers_unless_away_and_then_only_when_forced() {
        assert_eq!(cover(Some(7), false, false), Ok(Cover::Partner(7)));
        assert_eq!(cover(Some(7), false, true), Ok(Cover::Partner(7)));
        assert_eq!(cover(Some(7), true, false), Err(CoverRefusal::PartnerAway));
        assert_eq!(cover(Some(7), true, true), Ok(Cover::Nobody));
        assert_eq!(cover(None, false, false), Err(CoverRefusal::NoPartner));
        assert_eq!(cover(None, false, true), Ok(Cover::Nobody));
    }

    #[test]
    fn work_returns_only_when_open_and_untouched() {
        assert!(returns(true, Some(7), Some(7)));
        assert!(returns(true, None, None));
        assert!(!returns(false, Some(7), Some(7)));
        assert!(!returns(true, Some(8), Some(7)));
        // B went away too and B's work went to nobody: back to A.
        assert!(returns(true, None, Some(7)));
        assert!(!returns(false, None, Some(7)));
    }

    #[test]
    fn reasons_parse_their_codes_only() {
        for r in AwayReason::ALL {
            assert_eq!(r.as_str().parse::<AwayReason>(), Ok(r));
        }
        assert!("vacation".parse::<AwayReason>().is_err());
    }
}
