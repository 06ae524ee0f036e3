//! The pure domain of Rexian: vocabulary, order lifecycle, policies, business calendar,
//! deadline arithmetic, complaint grading and callback rules. No IO, no SQL, no clock.

pub mod model;
