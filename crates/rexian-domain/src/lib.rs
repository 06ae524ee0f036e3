//! Rexian domain: types, order lifecycle, policies, business calendar, deadlines,
//! complaint grading and callback rules. Pure: no IO, no clock (time is a parameter).

#![warn(missing_docs)]

pub mod away;
pub mod calendar;
pub mod callback;
pub mod crew;
pub mod deadline;
pub mod grading;
pub mod hall;
pub mod lifecycle;
pub mod model;
pub mod outage;
pub mod policy;
pub mod portal;
pub mod shift;

pub use calendar::{BusinessCalendar, CalendarError, Span};
pub use callback::{
    check_attempt, unreachable_close_allowed, Attempt, CallbackRefusal, CallbackRules,
};
pub use deadline::{
    due_at, next_supervision_at, state, supervision_depth, supervision_level, DeadlineState, Due,
};
pub use grading::{
    grade, propose_match, CandidateMatter, ComplaintFacts, GradingRules, MatterFacts, MatterKey,
};
pub use lifecycle::{next, Ctx as LifecycleCtx, InvalidTransition, Step, StepKind};
pub use model::{
    Category, Channel, DeadlineKind, Grade, GradeError, ParseEnumError, Role, Satisfaction, Status,
    Utility,
};
pub use policy::{
    Anchor, DeadlinePlan, Limit, MilestonePlan, OrderFacts, Policy, PolicyError, SeasonPhase,
};
pub mod identity;
pub mod kb;
pub mod reports;
pub mod search;
pub mod survey;
pub mod temperature;
pub mod water;
pub mod workflow;
