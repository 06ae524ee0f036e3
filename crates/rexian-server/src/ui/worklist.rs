//! What the pages over many orders (queues, field jobs, supervisor's screen) share: each
//! company's time zone and unit names, loaded once, and the countdown badge of an order's
//! running limits.

use std::collections::HashMap;

use chrono::FixedOffset;
use rexian_app::org;
use rexian_app::worklist::Limit;

use super::common::Badge;
use crate::error::AppResult;
use crate::i18n::Msgs;
use crate::AppState;

/// Companies' time zones and unit names, each company read once.
#[derive(Default)]
pub struct Places {
    offsets: HashMap<i64, FixedOffset>,
    names: HashMap<i64, String>,
    /// Every unit read, in order: id and name.
    pub units: Vec<(String, String)>,
}

impl Places {
    /// The time zone of company `id` (its units' names are read with it).
    pub async fn offset(&mut self, app: &AppState, id: i64) -> AppResult<FixedOffset> {
        if let Some(o) = self.offsets.get(&id) {
            return Ok(*o);
        }
        let c = org::company(app, id).await?;
        for x in org::units(app, Some(id)).await? {
            self.units.push((x.id.to_string(), x.name.clone()));
            self.names.insert(x.id, x.name);
        }
        self.offsets.insert(id, c.offset);
        Ok(c.offset)
    }

    /// The time zone of company `id` when it was read.
    pub fn known_offset(&self, id: i64) -> Option<FixedOffset> {
        self.offsets.get(&id).copied()
    }

    /// The name of unit `id`, when it was read.
    pub fn unit(&self, id: Option<i64>) -> Option<String> {
        id.and_then(|i| self.names.get(&i).cloned())
    }
}

/// The badge of the most urgent running limit.
pub fn limits_badge(t: &Msgs, limits: &[Limit], now: i64, offset: FixedOffset) -> Badge {
    limits
        .iter()
        .map(|l| Badge::of(t, &l.kind, l.due_at, l.amber_at, false, now, offset))
        .min_by_key(Badge::urgency)
        .unwrap_or_else(|| Badge::none(t))
}
