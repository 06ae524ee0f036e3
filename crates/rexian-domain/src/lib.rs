//! Rexian domain: types, order lifecycle, policies, business calendar, deadlines,
//! complaint grading and callback rules. Pure: no IO, no clock.

pub mod calendar;
pub mod model;

pub use calendar::{BusinessCalendar, CalendarError, Span};
pub use model::{
    Category, Channel, DeadlineKind, Grade, GradeError, ParseEnumError, Role, Satisfaction, Status,
    Utility,
};
