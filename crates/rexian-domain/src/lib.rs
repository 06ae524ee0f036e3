//! Rexian domain: types, order lifecycle, policies, business calendar, deadlines,
//! complaint grading and callback rules. Pure: no IO, no clock.

#![warn(missing_docs)]

pub mod calendar;
pub mod model;

pub use calendar::{BusinessCalendar, CalendarError, Span};
pub use model::{
    Category, Channel, DeadlineKind, Grade, GradeError, ParseEnumError, Role, Satisfaction, Status,
    Utility,
};
pub mod lifecycle;
pub use lifecycle::{InvalidTransition, Step, StepKind};
pub mod callback;
pub use callback::{check_attempt, unreachable_close_allowed, CallbackRefusal, CallbackRules};
pub mod policy;
pub use policy::{Anchor, DeadlinePlan, Limit, OrderFacts, Policy, PolicyError};
pub mod deadline;
pub use deadline::{due_at, state, supervision_level, DeadlineState, Due};
pub mod grading;
pub mod workflow;
pub use grading::{grade, propose_match, CandidateMatter, ComplaintFacts, MatterFacts, MatterKey};
