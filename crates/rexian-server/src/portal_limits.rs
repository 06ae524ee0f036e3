//! The portal's limits (issue 20), in memory and bounded like the login throttle: demands and
//! verification codes per client address and per phone number, per company, within the
//! company's window (`settings.portal_*` of its policy). Past a limit: 429 with `Retry-After`.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;

use rexian_domain::portal::PortalRules;

use crate::throttle::ClientKey;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counted {
    /// Demands submitted.
    Orders,
    /// Verification codes asked for.
    Codes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Client(ClientKey),
    Phone(u64),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    count: u32,
}

/// The portal's counters of one node.
pub struct PortalLimits {
    hasher: std::collections::hash_map::RandomState,
    max_entries: usize,
    state: Mutex<HashMap<(Counted, i64, Who), Window>>,
}

impl Default for PortalLimits {
    fn default() -> Self {
        PortalLimits::new(100_000)
    }
}

impl PortalLimits {
    /// Counters holding at most `max_entries` windows.
    pub fn new(max_entries: usize) -> PortalLimits {
        PortalLimits {
            hasher: Default::default(),
            max_entries,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one `what` of `company` from `client` for `phone` at `now` (ms) under `rules`;
    /// `Err(seconds)` (nothing counted) when the client or the phone is at its limit. Codes per
    /// phone are limited by [`rexian_domain::portal::CODES_PER_PHONE`].
    pub fn count(
        &self,
        what: Counted,
        company: i64,
        client: ClientKey,
        phone: &str,
        rules: &PortalRules,
        now: i64,
    ) -> Result<(), u64> {
        let per_phone = match what {
            Counted::Orders => rules.per_phone,
            Counted::Codes => rexian_domain::portal::CODES_PER_PHONE,
        };
        let keys = [
            ((what, company, Who::Client(client)), rules.per_client),
            (
                (what, company, Who::Phone(self.hasher.hash_one(phone))),
                per_phone,
            ),
        ];
        let w = rules.window_ms.max(1);
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.len() + 2 > self.max_entries {
            s.retain(|_, v| now < v.start.saturating_add(w));
        }
        let mut wait = 0i64;
        for (k, limit) in &keys {
            if let Some(v) = s.get(k) {
                let end = v.start.saturating_add(w);
                if now < end && now >= v.start && v.count >= *limit {
                    wait = wait.max(end - now);
                }
            }
        }
        if wait == 0 && s.len() + 2 > self.max_entries {
            // Full of live windows: a flood. Everyone waits a window.
            wait = w;
        }
        if wait > 0 {
            return Err(u64::try_from(wait).unwrap_or(0).div_ceil(1000).max(1));
        }
        for (k, _) in keys {
            let v = s.entry(k).or_insert(Window {
                start: now,
                count: 0,
            });
            if now >= v.start.saturating_add(w) || now < v.start {
                *v = Window {
                    start: now,
                    count: 0,
                };
            }
            v.count += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> PortalRules {
        PortalRules {
            per_client: 3,
            per_phone: 2,
            window_ms: 60_000,
            verify_phone: false,
        }
    }

    fn ip(s: &str) -> ClientKey {
        ClientKey::of(Some(s.parse().unwrap()))
    }

    #[test]
    fn phone_and_client_limits_and_their_windows() {
        let l = PortalLimits::new(100);
        let r = rules();
        let a = ip("10.0.0.1");
        assert!(l.count(Counted::Orders, 1, a, "139", &r, 0).is_ok());
        assert!(l.count(Counted::Orders, 1, a, "139", &r, 0).is_ok());
        assert_eq!(l.count(Counted::Orders, 1, a, "139", &r, 10_000), Err(50));
        // Another phone from the same client: its third demand.
        assert!(l.count(Counted::Orders, 1, a, "138", &r, 10_000).is_ok());
        assert_eq!(l.count(Counted::Orders, 1, a, "137", &r, 10_000), Err(50));
        // Another company, and after the window: counted afresh.
        assert!(l.count(Counted::Orders, 2, a, "139", &r, 10_000).is_ok());
        assert!(l.count(Counted::Orders, 1, a, "139", &r, 60_000).is_ok());
    }

    #[test]
    fn bounded() {
        let l = PortalLimits::new(4);
        let r = rules();
        assert!(l
            .count(Counted::Codes, 1, ip("10.0.0.1"), "1", &r, 0)
            .is_ok());
        assert!(l
            .count(Counted::Codes, 1, ip("10.0.0.2"), "2", &r, 0)
            .is_ok());
        assert!(l
            .count(Counted::Codes, 1, ip("10.0.0.3"), "3", &r, 0)
            .is_err());
        assert!(l
            .count(Counted::Codes, 1, ip("10.0.0.3"), "3", &r, 60_000)
            .is_ok());
    }
}
