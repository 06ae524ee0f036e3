//! Callback (回访) rules: time window, spacing of attempts, unreachable close
//! (SPEC §4, `002:§14(9)`).

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// A company's callback rules (policy `[callback]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackRules {
    /// First local time a call may start (08:00).
    pub window_start: NaiveTime,
    /// Local time from which calls are not allowed (21:00).
    pub window_end: NaiveTime,
    /// Least gap after an unreached attempt, minutes (120).
    pub min_gap_minutes: u32,
    /// Unreached attempts needed before closing as unreachable (3).
    pub max_attempts: u32,
}

impl Default for CallbackRules {
    /// The numbers of `002:§14(9)`: 08:00–21:00, 2 h apart, 3 attempts.
    fn default() -> Self {
        Self {
            window_start: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            window_end: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or(NaiveTime::MIN),
            min_gap_minutes: 120,
            max_attempts: 3,
        }
    }
}

/// Why a callback attempt may not be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackRefusal {
    /// Outside the callback window (no calls 21:00–08:00).
    #[error("outside the callback hours")]
    Window,
    /// Too soon after the last unreached attempt.
    #[error("too soon after the last unreached attempt")]
    TooSoon,
}

/// One recorded callback attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When the call was made.
    pub at: DateTime<Utc>,
    /// Whether the customer was reached.
    pub reached: bool,
}

/// Whether a callback attempt may be made at `now` (`now_local` is the same instant in
/// the company's zone). The window is `[window_start, window_end)`.
pub fn check_attempt(
    now_local: NaiveDateTime,
    last_unreached: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    rules: &CallbackRules,
) -> Result<(), CallbackRefusal> {
    let t = now_local.time();
    if t < rules.window_start || t >= rules.window_end {
        return Err(CallbackRefusal::Window);
    }
    if let Some(last) = last_unreached {
        if now - last < Duration::minutes(i64::from(rules.min_gap_minutes)) {
            return Err(CallbackRefusal::TooSoon);
        }
    }
    Ok(())
}

/// Whether the order may be closed as unreachable under the default rules
/// (≥ 3 unreached attempts, each ≥ 2 h after the previous counted one).
pub fn unreachable_close_allowed(attempts: &[Attempt]) -> bool {
    unreachable_close_allowed_with(attempts, &CallbackRules::default())
}

/// [`unreachable_close_allowed`] with a company's rules. Only unreached attempts after
/// the last reached one count; attempts closer than the gap to the previous counted
/// attempt are not counted.
pub fn unreachable_close_allowed_with(attempts: &[Attempt], rules: &CallbackRules) -> bool {
    let mut sorted: Vec<&Attempt> = attempts.iter().collect();
    sorted.sort_by_key(|a| a.at);
    let after_reached = match sorted.iter().rposition(|a| a.reached) {
        Some(i) => &sorted[i + 1..],
        None => &sorted[..],
    };
    let gap = Duration::minutes(i64::from(rules.min_gap_minutes));
    let mut counted = 0u32;
    let mut last: Option<DateTime<Utc>> = None;
    for a in after_reached {
        if last.is_none_or(|l| a.at - l >= gap) {
            counted += 1;
            last = Some(a.at);
        }
    }
    counted >= rules.max_attempts.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }
    fn local(h: u32, m: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }
    fn miss(h: u32, m: u32) -> Attempt {
        Attempt {
            at: utc(h, m),
            reached: false,
        }
    }

    #[test]
    fn no_callback_between_21_and_08_002_s14_9() {
        let r = CallbackRules::default();
        let now = utc(0, 0);
        assert_eq!(
            check_attempt(local(7, 59), None, now, &r),
            Err(CallbackRefusal::Window)
        );
        assert_eq!(check_attempt(local(8, 0), None, now, &r), Ok(()));
        assert_eq!(check_attempt(local(20, 59), None, now, &r), Ok(()));
        assert_eq!(
            check_attempt(local(21, 0), None, now, &r),
            Err(CallbackRefusal::Window)
        );
        assert_eq!(
            check_attempt(local(23, 30), None, now, &r),
            Err(CallbackRefusal::Window)
        );
    }

    #[test]
    fn attempts_at_least_2_hours_apart_002_s14_9() {
        let r = CallbackRules::default();
        let last = Some(utc(2, 0));
        assert_eq!(
            check_attempt(local(11, 0), last, utc(3, 59), &r),
            Err(CallbackRefusal::TooSoon)
        );
        assert_eq!(check_attempt(local(12, 0), last, utc(4, 0), &r), Ok(()));
    }

    #[test]
    fn unreachable_close_after_3_attempts_2h_apart_002_s14_9() {
        assert!(!unreachable_close_allowed(&[]));
        assert!(!unreachable_close_allowed(&[miss(1, 0), miss(3, 0)]));
        assert!(unreachable_close_allowed(&[
            miss(5, 0),
            miss(1, 0),
            miss(3, 0)
        ]));
        // Third attempt only 1 h after the second: not counted.
        assert!(!unreachable_close_allowed(&[
            miss(1, 0),
            miss(3, 0),
            miss(4, 0)
        ]));
        assert!(unreachable_close_allowed(&[
            miss(1, 0),
            miss(3, 0),
            miss(4, 0),
            miss(5, 0)
        ]));
        // A reached attempt resets the count.
        let reached = Attempt {
            at: utc(4, 0),
            reached: true,
        };
        assert!(!unreachable_close_allowed(&[
            miss(1, 0),
            miss(3, 0),
            reached,
            miss(6, 0)
        ]));
    }

    #[test]
    fn company_rules_change_the_count() {
        let r = CallbackRules {
            max_attempts: 2,
            min_gap_minutes: 30,
            ..CallbackRules::default()
        };
        assert!(unreachable_close_allowed_with(
            &[miss(1, 0), miss(1, 30)],
            &r
        ));
        assert!(!unreachable_close_allowed_with(
            &[miss(1, 0), miss(1, 29)],
            &r
        ));
    }
}
