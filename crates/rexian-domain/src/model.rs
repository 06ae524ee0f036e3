//! The vocabulary of the product: utilities, categories, channels, statuses, roles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A value that is not one of an enum's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownName {
    /// What was being parsed.
    pub kind: &'static str,
    /// The bad value.
    pub value: String,
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $kind:literal, { $($(#[$vm:meta])* $var:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                match s {
                    $($s => Ok($name::$var),)+
                    _ => Err(UnknownName { kind: $kind, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(
    /// The kind of utility a company runs.
    Utility, "utility", {
    /// District heating 供热.
    Heat = "heat",
    /// Electricity 供电 (95598).
    Power = "power",
    /// Gas 燃气.
    Gas = "gas",
    /// Water 供水.
    Water = "water",
});

named_enum!(
    /// A staff role (SPEC §1).
    Role, "role", {
    /// 座席员: takes calls and visits.
    Agent = "agent",
    /// 派单员: dispatches and reviews.
    Dispatcher = "dispatcher",
    /// 责任单位处理人.
    UnitHandler = "unit_handler",
    /// 现场人员, on a phone.
    FieldWorker = "field_worker",
    /// 回访员.
    CallbackAgent = "callback_agent",
    /// 值班长/班组长/主任.
    Supervisor = "supervisor",
    /// 考核/质检.
    Assessor = "assessor",
    /// IT administrator.
    Admin = "admin",
});
