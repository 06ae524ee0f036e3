//! Core enums of the work-order domain.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A value that does not name a known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct ParseEnumError {
    /// The enum being parsed, e.g. "category".
    pub kind: &'static str,
    /// The offending text.
    pub value: String,
}

/// Former name of [`ParseEnumError`], kept for callers.
pub type UnknownName = ParseEnumError;

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident, $kind:literal { $($(#[$vm:meta])* $var:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(schemars::JsonSchema, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vm])* $var),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The snake_case name used in data files and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok($name::$var),)+
                    _ => Err(ParseEnumError { kind: $kind, value: s.to_string() }),
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

str_enum!(
    /// The utility a company runs.
    Utility, "utility" {
        /// District heating 供热.
        Heat => "heat",
        /// Electricity 供电.
        Power => "power",
        /// Gas 燃气.
        Gas => "gas",
        /// Water 供水.
        Water => "water",
    }
);

str_enum!(
    /// Business category 业务分类 (`002:§6, §14`).
    Category, "category" {
        /// 信息查询.
        Query => "query",
        /// 业务咨询.
        Consult => "consult",
        /// 报警.
        Emergency => "emergency",
        /// 故障报修.
        Repair => "repair",
        /// 服务申请.
        Service => "service",
        /// 投诉.
        Complaint => "complaint",
        /// 举报.
        Report => "report",
        /// 意见.
        Opinion => "opinion",
        /// 建议.
        Suggestion => "suggestion",
        /// 表扬.
        Praise => "praise",
    }
);

impl Category {
    /// Rank for "the highest category" of one order with several demands (`002:§15(1)3`);
    /// higher is more serious. The seed gives no order; ours: complaint > emergency >
    /// repair > service > report > opinion > consult > suggestion > query > praise
    /// (shortest seed limits and harm first, then what needs handling, then the rest).
    pub fn rank(self) -> u8 {
        match self {
            Category::Complaint => 10,
            Category::Emergency => 9,
            Category::Repair => 8,
            Category::Service => 7,
            Category::Report => 6,
            Category::Opinion => 5,
            Category::Consult => 4,
            Category::Suggestion => 3,
            Category::Query => 2,
            Category::Praise => 1,
        }
    }

    /// The highest-ranked category of several demands, if any.
    pub fn highest(cats: &[Category]) -> Option<Category> {
        cats.iter().copied().max_by_key(|c| c.rank())
    }

    /// Whether orders of this category get a callback (SPEC §4, `002:§14(9)`):
    /// all except query, consult, suggestion and praise.
    pub fn needs_callback(self) -> bool {
        !matches!(
            self,
            Category::Query | Category::Consult | Category::Suggestion | Category::Praise
        )
    }
}

str_enum!(
    /// Where a contact came from.
    Channel, "channel" {
        /// Telephone hotline.
        Phone => "phone",
        /// Walk-in at the hall.
        WalkIn => "walk_in",
        /// Web self-service.
        Web => "web",
        /// Mobile app.
        App => "app",
        /// WeChat.
        Wechat => "wechat",
        /// Letter.
        Letter => "letter",
        /// 12345 government platform.
        Gov12345 => "gov12345",
        /// Media.
        Media => "media",
    }
);

str_enum!(
    /// Work-order status (SPEC §2).
    Status, "status" {
        /// Accepted by the centre (受理), not yet dispatched.
        New => "new",
        /// Sent to a unit (派发).
        Dispatched => "dispatched",
        /// Taken by the unit (接单).
        Accepted => "accepted",
        /// Field worker arrived, working.
        InProgress => "in_progress",
        /// Unit replied (回复).
        Replied => "replied",
        /// Reply reviewed and approved by the centre (审核).
        Reviewed => "reviewed",
        /// Callback under way (回访).
        Callback => "callback",
        /// Closed (办结).
        Closed => "closed",
        /// Cancelled as duplicate or invalid.
        Cancelled => "cancelled",
        /// Returned to the centre by the unit (回退).
        Returned => "returned",
        /// Suspended with company approval (`000:八.4`).
        Suspended => "suspended",
    }
);

impl Status {
    /// Whether the order is still open (not closed or cancelled).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Closed | Status::Cancelled)
    }
}

str_enum!(
    /// Which step a time limit covers.
    DeadlineKind, "deadline kind" {
        /// Centre dispatches to a unit.
        Dispatch => "dispatch",
        /// Unit contacts the customer.
        Contact => "contact",
        /// Worker arrives on site.
        Arrive => "arrive",
        /// Unit finishes and replies.
        Finish => "finish",
        /// Centre calls the customer back.
        Callback => "callback",
        /// Order closed.
        Close => "close",
        /// The repair crew is ready (`000:四.2(5)` 维修人员在10分钟内完成准备工作): counted from the
        /// dispatch; the crew's first step on the order (taking it, 接单, setting off, arriving)
        /// or its reply meets it.
        Prepare => "prepare",
        /// The temperature visit is arranged (`000:五.1` 半小时内安排人员上门测温): counted from
        /// acceptance; the visit is arranged when the unit takes the order and so contacts the
        /// customer (接单, as for contact), or arrives, or replies.
        Arrange => "arrange",
        /// A refused service application is answered with reasons (`002:§14(5)` 不予受理的
        /// 在2个工作日内反馈结果): counted from the dispatch; met when the unit takes the order
        /// (it is not refused) or replies (a refusal is a reply with reasons).
        RefusalReply => "refusal_reply",
        /// The complaint is investigated, verified and answered (`002:§14(6)`
        /// 2个工作日内完成调查、核实和处理并反馈结果): counted from the dispatch; met by the
        /// unit's reply.
        Investigate => "investigate",
        /// A media-exposed complaint is verified and answered to the media (`000:八.5(4)`
        /// 2个工作日内核实并向媒体反馈): counted from acceptance; met by the unit's reply.
        MediaReply => "media_reply",
        /// A visit booked for a time the customer chose (上门预约, `000:一.4`, `四.2(5)`
        /// 与客户约定时间，准时到达): started by the booking, met when the crew is on site;
        /// missed, it is the order's `appointment_missed` ([`crate::crew`]).
        Appointment => "appointment",
        /// The cause of a valid temperature reading below the standard is found (`000:五.6`
        /// 不达标 现场查明原因): started by the reading, counted by the policy's
        /// `[temperature] cause_check_hours`; met by the unit's reply.
        CauseCheck => "cause_check",
    }
);

impl DeadlineKind {
    /// The named extra limits a policy sets under `milestones` (not one of the six steps).
    pub const NAMED: [DeadlineKind; 5] = [
        DeadlineKind::Prepare,
        DeadlineKind::Arrange,
        DeadlineKind::RefusalReply,
        DeadlineKind::Investigate,
        DeadlineKind::MediaReply,
    ];

    /// Whether this is a named extra limit (`milestones` in a policy).
    pub fn is_named(self) -> bool {
        Self::NAMED.contains(&self)
    }

    /// The order event a timer writes when a limit of kind `kind` passes unmet: a missed
    /// appointment is its own event (`appointment_missed`), every other limit
    /// `deadline_missed`.
    pub fn missed_event(kind: &str) -> &'static str {
        match kind {
            "appointment" => "appointment_missed",
            _ => "deadline_missed",
        }
    }
}

str_enum!(
    /// Staff roles (SPEC §1).
    Role, "role" {
        /// Hotline agent 座席员.
        Agent => "agent",
        /// Dispatcher 派单员.
        Dispatcher => "dispatcher",
        /// Unit handler 责任单位处理人.
        UnitHandler => "unit_handler",
        /// Field worker.
        FieldWorker => "field_worker",
        /// Callback agent 回访员.
        CallbackAgent => "callback_agent",
        /// Supervisor 值班长/主任.
        Supervisor => "supervisor",
        /// Assessor 考核/质检.
        Assessor => "assessor",
        /// IT admin.
        Admin => "admin",
    }
);

str_enum!(
    /// Callback satisfaction scale (SPEC §4).
    Satisfaction, "satisfaction" {
        /// 满意.
        Satisfied => "satisfied",
        /// 基本满意.
        Basic => "basic",
        /// 不满意.
        Unsatisfied => "unsatisfied",
    }
);

/// Complaint grade (`002:§14(6)`): 1 重大, 2 一般, 3 轻度.
#[derive(
    schemars::JsonSchema,
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
)]
#[serde(try_from = "u8", into = "u8")]
pub struct Grade(u8);

/// A grade outside 1..=3.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("grade must be 1, 2 or 3, got {0}")]
pub struct GradeError(pub u8);

impl Grade {
    /// Grade 1 重大 (most serious).
    pub const MAJOR: Grade = Grade(1);
    /// Grade 2 一般.
    pub const GENERAL: Grade = Grade(2);
    /// Grade 3 轻度.
    pub const MINOR: Grade = Grade(3);

    /// A grade in 1..=3.
    pub fn new(n: u8) -> Result<Self, GradeError> {
        if (1..=3).contains(&n) {
            Ok(Grade(n))
        } else {
            Err(GradeError(n))
        }
    }

    /// The number 1..=3.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Grade {
    type Error = GradeError;
    fn try_from(n: u8) -> Result<Self, GradeError> {
        Grade::new(n)
    }
}

impl From<Grade> for u8 {
    fn from(g: Grade) -> u8 {
        g.0
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_enum() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), *c);
            assert_eq!(
                serde_json::to_string(c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), *s);
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), *c);
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
        }
        for k in DeadlineKind::ALL {
            assert_eq!(k.as_str().parse::<DeadlineKind>().unwrap(), *k);
        }
        for u in Utility::ALL {
            assert_eq!(u.as_str().parse::<Utility>().unwrap(), *u);
        }
        for s in Satisfaction::ALL {
            assert_eq!(s.as_str().parse::<Satisfaction>().unwrap(), *s);
        }
        assert_eq!(
            serde_json::to_string(&Channel::WalkIn).unwrap(),
            "\"walk_in\""
        );
        assert_eq!(Status::InProgress.as_str(), "in_progress");
    }

    #[test]
    fn parse_error_names_bad_value() {
        let e = "complain".parse::<Category>().unwrap_err();
        assert_eq!(e.to_string(), "unknown category \"complain\"");
    }

    #[test]
    fn callback_needed_except_query_consult_suggestion_praise_002_s14_9() {
        let no: Vec<_> = Category::ALL
            .iter()
            .filter(|c| !c.needs_callback())
            .copied()
            .collect();
        assert_eq!(
            no,
            vec![
                Category::Query,
                Category::Consult,
                Category::Suggestion,
                Category::Praise
            ]
        );
    }

    #[test]
    fn highest_category_of_several_demands_002_s15_1_3() {
        let h = Category::highest(&[Category::Consult, Category::Repair, Category::Query]);
        assert_eq!(h, Some(Category::Repair));
        let h = Category::highest(&[Category::Repair, Category::Complaint]);
        assert_eq!(h, Some(Category::Complaint));
        assert_eq!(Category::highest(&[]), None);
        let mut ranks: Vec<u8> = Category::ALL.iter().map(|c| c.rank()).collect();
        ranks.sort_unstable();
        ranks.dedup();
        assert_eq!(ranks.len(), Category::ALL.len(), "ranks are distinct");
    }

    #[test]
    fn grade_range_checked() {
        assert!(Grade::new(0).is_err());
        assert!(Grade::new(4).is_err());
        assert_eq!(Grade::new(2).unwrap(), Grade::GENERAL);
        assert_eq!(serde_json::to_string(&Grade::MAJOR).unwrap(), "1");
        assert!(serde_json::from_str::<Grade>("5").is_err());
        assert_eq!(serde_json::from_str::<Grade>("3").unwrap(), Grade::MINOR);
    }
}
