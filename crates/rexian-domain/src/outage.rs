//! Outage notices (停电/停水/停气/停热, SPEC §6, `001`): their states, the publish deadline (the
//! end of the shift in which the notice was received), and how a caller's address is matched to
//! a notice's area: by normalised address parts, so that `幸福小区３栋` finds `幸福小区3号楼`.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::policy::Shifts;

/// Planned work or a fault.
#[derive(schemars::JsonSchema, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageKind {
    /// Announced ahead (计划停电).
    Planned,
    /// A fault (故障停电).
    Fault,
}

/// Where a notice is in its life.
#[derive(schemars::JsonSchema, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageStatus {
    /// Received, not yet published.
    Draft,
    /// Published: callers from the area are told.
    Published,
    /// Supply is back.
    Restored,
}

/// What staff do to a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutageStep {
    /// Publish it.
    Publish,
    /// Change the cause or the expected end.
    Update,
    /// Record that supply is back.
    Restore,
}

macro_rules! names {
    ($t:ty { $($v:ident = $s:literal),+ }) => {
        impl $t {
            /// The name in the API and the store.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
        }
        impl FromStr for $t {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($s => Ok(Self::$v),)+ _ => Err(()) }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names!(OutageKind { Planned = "planned", Fault = "fault" });
names!(OutageStatus { Draft = "draft", Published = "published", Restored = "restored" });

/// The state after `step`, or `None` when the step is not allowed from `from`: a draft is
/// published, a published notice is restored, and either may be updated.
pub fn next(from: OutageStatus, step: OutageStep) -> Option<OutageStatus> {
    use OutageStatus::*;
    match (from, step) {
        (Draft, OutageStep::Publish) => Some(Published),
        (Published, OutageStep::Restore) => Some(Restored),
        (Draft | Published, OutageStep::Update) => Some(from),
        _ => None,
    }
}

/// When a notice received at local time `received` must be published: the end of that shift.
pub fn publish_due(received: NaiveDateTime, shifts: &Shifts) -> NaiveDateTime {
    shifts.end_of(received)
}

/// The area a notice covers; each entry is a place name as staff typed or picked it.
#[derive(schemars::JsonSchema, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// Communities (小区).
    pub communities: Vec<String>,
    /// Streets.
    #[serde(default)]
    pub streets: Vec<String>,
    /// Buildings.
    #[serde(default)]
    pub buildings: Vec<String>,
    /// Stations (heat exchange, substations, pumping stations).
    #[serde(default)]
    pub stations: Vec<String>,
}

/// The shortest place name that matches (one character would match half the city).
pub const MIN_KEY_CHARS: usize = 2;

impl Area {
    /// Every place of the area, normalised, distinct, each at least [`MIN_KEY_CHARS`] long.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = [
            &self.communities,
            &self.streets,
            &self.buildings,
            &self.stations,
        ]
        .into_iter()
        .flatten()
        .map(|p| normalise(p))
        .filter(|k| k.chars().count() >= MIN_KEY_CHARS)
        .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// A place name or address in the one spelling matching compares: full-width digits and
/// letters made half-width, letters lower case, spaces dropped, and a building written
/// `3栋`, `3幢`, `3号栋` or `3 号楼` as `3号楼`.
pub fn normalise(s: &str) -> String {
    let half: String = s
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let chars: Vec<char> = half.chars().collect();
    let mut out = String::with_capacity(half.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        out.push(c);
        i += 1;
        if c.is_ascii_digit() && chars.get(i).is_none_or(|n| !n.is_ascii_digit()) {
            let rest = &chars[i..];
            for (from, len) in [("号楼", 2), ("号栋", 2), ("栋", 1), ("幢", 1)] {
                if rest.iter().take(len).copied().eq(from.chars()) {
                    out.push_str("号楼");
                    i += len;
                    break;
                }
            }
        }
    }
    out
}

/// The index heads of an address: every pair of adjacent characters of its normalised form.
/// A place name matches only when its head (first two characters, [`head`]) is among them, so
/// the store looks notices up by head and [`covers`] decides.
pub fn heads(address: &str) -> Vec<String> {
    let chars: Vec<char> = normalise(address).chars().collect();
    let mut out: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
    out.sort();
    out.dedup();
    out
}

/// The index head of a normalised place name.
pub fn head(key: &str) -> String {
    key.chars().take(MIN_KEY_CHARS).collect()
}

/// Whether normalised place `key` appears in `address`.
pub fn covers(key: &str, address: &str) -> bool {
    !key.is_empty() && normalise(address).contains(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn spellings_of_one_building_are_one() {
        for s in [
            "幸福小区3号楼",
            "幸福小区 3 号楼",
            "幸福小区３栋",
            "幸福小区3幢",
            "幸福小区3号栋",
        ] {
            assert_eq!(normalise(s), "幸福小区3号楼", "{s}");
        }
        assert_eq!(normalise("ＡＢ路１２号"), "ab路12号");
        // A house number is not a building.
        assert_eq!(normalise("建设路12号"), "建设路12号");
    }

    #[test]
    fn a_place_covers_the_addresses_it_appears_in() {
        let area = Area {
            communities: vec!["幸福小区".into()],
            buildings: vec!["和平里３栋".into()],
            ..Area::default()
        };
        let keys = area.keys();
        assert_eq!(keys, vec!["和平里3号楼".to_string(), "幸福小区".into()]);
        let hit = |addr: &str| {
            keys.iter()
                .any(|k| heads(addr).contains(&head(k)) && covers(k, addr))
        };
        assert!(hit("建设路12号幸福 小区5号楼2单元"));
        assert!(hit("和平里3幢101"));
        assert!(!hit("和平里4号楼101"));
        assert!(!hit("幸运小区"));
    }

    #[test]
    fn one_character_places_are_not_keys() {
        let area = Area {
            communities: vec!["X".into(), " ".into(), "东区".into()],
            ..Area::default()
        };
        assert_eq!(area.keys(), vec!["东区".to_string()]);
    }

    #[test]
    fn a_draft_is_published_then_restored() {
        use OutageStatus::*;
        assert_eq!(next(Draft, OutageStep::Publish), Some(Published));
        assert_eq!(next(Published, OutageStep::Publish), None);
        assert_eq!(next(Draft, OutageStep::Restore), None);
        assert_eq!(next(Published, OutageStep::Restore), Some(Restored));
        assert_eq!(next(Restored, OutageStep::Update), None);
        assert_eq!(next(Published, OutageStep::Update), Some(Published));
    }

    #[test]
    fn the_publish_deadline_is_the_end_of_the_shift() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        // 24 h from 08:00 (001 供电所).
        let day = Shifts {
            starts: vec![t(8, 0)],
            ..Shifts::default()
        };
        assert_eq!(
            publish_due(at("2026-03-02 09:30"), &day),
            at("2026-03-03 08:00")
        );
        assert_eq!(
            publish_due(at("2026-03-02 07:59"), &day),
            at("2026-03-02 08:00")
        );
        assert_eq!(day.start_of(at("2026-03-02 07:59")), at("2026-03-01 08:00"));
        // Three shifts.
        let three = Shifts {
            starts: vec![t(0, 0), t(8, 0), t(16, 0)],
            ..Shifts::default()
        };
        assert_eq!(
            publish_due(at("2026-03-02 15:59"), &three),
            at("2026-03-02 16:00")
        );
        assert_eq!(
            publish_due(at("2026-03-02 16:00"), &three),
            at("2026-03-03 00:00")
        );
        assert_eq!(
            three.start_of(at("2026-03-02 16:00")),
            at("2026-03-02 16:00")
        );
        // No [shifts]: the local day.
        let none = Shifts::default();
        assert_eq!(
            publish_due(at("2026-03-02 23:00"), &none),
            at("2026-03-03 00:00")
        );
    }
}
