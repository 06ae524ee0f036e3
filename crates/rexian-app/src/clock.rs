//! The clock. The domain never reads time; the use cases pass `now` down.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
    /// Sets the time; only the manual clock accepts it.
    fn set(&self, _now: DateTime<Utc>) -> bool {
        false
    }
    /// Whether this is the manual test clock.
    fn is_manual(&self) -> bool {
        false
    }
}

/// Wall-clock time.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (`serve --clock manual`, tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A manual clock starting at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(start))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn set(&self, now: DateTime<Utc>) -> bool {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = now;
        true
    }
    fn is_manual(&self) -> bool {
        true
    }
}

/// Milliseconds since the epoch, the store's time unit.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant of a stored millisecond value.
pub fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}
