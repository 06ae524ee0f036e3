//! Temperature measurement (测温, `000:五`): a reading's validity (doors and windows closed an
//! hour, the device in the middle of the room 1 m above the floor, `五.3`), whether it is below
//! the policy's standard, the measuring window (`五.1` 每天8点到21点), the order of the five
//! stages (`五.7` 申请测温→首次测温→确认结果→争议复测→委托第三方测温: the request is the
//! order itself, the readings are the other four), and the customer's signature or the noted
//! refusal (`五.4`). Pure: the caller passes the time in the company's zone.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// A company's temperature-measurement rules (`[temperature]` of its policy).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TemperatureRules {
    /// The first local time a reading may be taken (`000:五.1`: 08:00).
    pub window_start: NaiveTime,
    /// The local time from which no reading may be taken (`000:五.1`: 21:00; the window is
    /// `[window_start, window_end]`, 21:00 itself still inside).
    pub window_end: NaiveTime,
    /// The standard room temperature, °C (heat preset 18): a valid reading below it is
    /// below standard.
    pub standard_c: f64,
    /// Hours to find the cause of a valid below-standard reading (`cause_check`).
    pub cause_check_hours: u32,
}

/// A stage of the measurement (`000:五.7`), in order.
#[derive(
    schemars::JsonSchema,
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The first measurement (首次测温).
    First,
    /// The result confirmed (确认结果).
    Confirm,
    /// The disputed re-measurement (争议复测).
    Recheck,
    /// The measurement by a third party (委托第三方测温).
    ThirdParty,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 4] = [
        Stage::First,
        Stage::Confirm,
        Stage::Recheck,
        Stage::ThirdParty,
    ];

    /// The name in the API and the events.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::First => "first",
            Stage::Confirm => "confirm",
            Stage::Recheck => "recheck",
            Stage::ThirdParty => "third_party",
        }
    }
}

impl FromStr for Stage {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two conditions of a valid reading (`000:五.3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conditions {
    /// Doors and windows normally closed for an hour or more.
    pub doors_windows_closed_1h: bool,
    /// The device in the middle of the room, 1 m above the floor.
    pub device_centre_1m: bool,
}

impl Conditions {
    /// A reading is valid only with both conditions; without them it is kept, not valid.
    pub fn valid(self) -> bool {
        self.doors_windows_closed_1h && self.device_centre_1m
    }
}

/// Whether a reading of `room_c` taken under `c` is valid and below the standard.
pub fn below_standard(rules: &TemperatureRules, c: Conditions, room_c: f64) -> bool {
    c.valid() && room_c < rules.standard_c
}

/// Whether a reading may be taken at `local` (the company's local time of the reading).
pub fn in_window(rules: &TemperatureRules, local: NaiveDateTime) -> bool {
    let t = local.time();
    t >= rules.window_start && t <= rules.window_end
}

/// Why a reading's stage is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageRefusal {
    /// The first reading of an order must be the first measurement.
    FirstFirst,
    /// A stage before the last reading's (the stages only go forward).
    Backwards {
        /// The last reading's stage.
        last: Stage,
    },
    /// A stage skipping the one after the last reading's.
    Skips {
        /// The stage that comes next.
        next: Stage,
    },
    /// The same stage again after a valid reading (a new reading of a stage is for a reading
    /// that was not valid: `000:五.3` 暂时不予测温, measured again later).
    Repeated {
        /// The stage.
        stage: Stage,
    },
}

impl fmt::Display for StageRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StageRefusal::FirstFirst => f.write_str("the first reading must be stage first"),
            StageRefusal::Backwards { last } => {
                write!(f, "stage cannot go back: the last reading was {last}")
            }
            StageRefusal::Skips { next } => write!(f, "the next stage is {next}"),
            StageRefusal::Repeated { stage } => write!(
                f,
                "stage {stage} already has a valid reading; the next stage follows"
            ),
        }
    }
}

/// Whether a reading of `stage` may follow the order's last reading (its stage and whether it
/// was valid): the stages go forward one at a time (first → confirm → recheck →
/// third_party); the same stage again only after a reading that was not valid.
pub fn check_stage(last: Option<(Stage, bool)>, stage: Stage) -> Result<(), StageRefusal> {
    let Some((last, last_valid)) = last else {
        return if stage == Stage::First {
            Ok(())
        } else {
            Err(StageRefusal::FirstFirst)
        };
    };
    let at = |s: Stage| Stage::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let (l, s) = (at(last), at(stage));
    if s < l {
        Err(StageRefusal::Backwards { last })
    } else if s == l && last_valid {
        Err(StageRefusal::Repeated { stage })
    } else if s > l + 1 {
        Err(StageRefusal::Skips {
            next: Stage::ALL[l + 1],
        })
    } else {
        Ok(())
    }
}

/// Why the signature part of a reading is refused: the customer signs (`000:五.4` 请用户签字)
/// or refuses and the refusal is noted (拒绝签字确认的, 可在记录表上注明), one of the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignRefusal {
    /// Neither signed nor a refusal noted.
    Neither,
    /// Signed and a refusal noted.
    Both,
}

/// Checks that the record is either signed or carries a refusal note.
pub fn check_signature(signed: bool, refusal_note: Option<&str>) -> Result<(), SignRefusal> {
    let noted = refusal_note.is_some_and(|n| !n.trim().is_empty());
    match (signed, noted) {
        (true, false) | (false, true) => Ok(()),
        (false, false) => Err(SignRefusal::Neither),
        (true, true) => Err(SignRefusal::Both),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn rules() -> TemperatureRules {
        TemperatureRules {
            window_start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            window_end: NaiveTime::from_hms_opt(21, 0, 0).unwrap(),
            standard_c: 18.0,
            cause_check_hours: 24,
        }
    }

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    const BOTH: Conditions = Conditions {
        doors_windows_closed_1h: true,
        device_centre_1m: true,
    };

    #[test]
    fn window_08_to_21_000_s5_1() {
        let r = rules();
        assert!(!in_window(&r, at(7, 59)));
        assert!(in_window(&r, at(8, 0)));
        assert!(in_window(&r, at(21, 0)));
        assert!(!in_window(&r, at(21, 1)));
    }

    #[test]
    fn valid_needs_both_conditions_and_below_standard_only_when_valid_000_s5_3() {
        let r = rules();
        let one = Conditions {
            doors_windows_closed_1h: true,
            device_centre_1m: false,
        };
        assert!(!one.valid());
        assert!(BOTH.valid());
        assert!(below_standard(&r, BOTH, 17.9));
        assert!(!below_standard(&r, BOTH, 18.0));
        assert!(!below_standard(&r, one, 12.0));
    }

    #[test]
    fn stages_go_forward_one_at_a_time_000_s5_7() {
        use Stage::*;
        assert_eq!(check_stage(None, First), Ok(()));
        assert_eq!(check_stage(None, Confirm), Err(StageRefusal::FirstFirst));
        assert_eq!(check_stage(Some((First, true)), Confirm), Ok(()));
        assert_eq!(check_stage(Some((First, false)), First), Ok(()));
        assert!(check_stage(Some((First, true)), First).is_err());
        assert!(check_stage(Some((First, true)), Recheck).is_err());
        assert!(check_stage(Some((Recheck, true)), Confirm).is_err());
        assert_eq!(check_stage(Some((Recheck, true)), ThirdParty), Ok(()));
    }

    #[test]
    fn signed_or_refusal_noted_000_s5_4() {
        assert!(check_signature(true, None).is_ok());
        assert!(check_signature(false, Some("不认可结果")).is_ok());
        assert_eq!(
            check_signature(false, Some("  ")),
            Err(SignRefusal::Neither)
        );
        assert_eq!(check_signature(true, Some("x")), Err(SignRefusal::Both));
    }
}
