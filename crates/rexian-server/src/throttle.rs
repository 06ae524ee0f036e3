//! Failed-login throttling, in memory and bounded: per client address and account (the lockout),
//! per client address, and over all clients. Unknown and real logins count the same, so the
//! throttle tells nothing about which logins exist; and since a lockout is per address, whoever
//! fails from one address cannot lock the account's owner out at another.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;

/// Limits of the throttle (counts of failed logins within `window_ms`).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Failures from one address against one login that lock that pair.
    pub pair_failures: u32,
    /// How long a pair stays locked, ms.
    pub lock_ms: i64,
    /// Failures from one address (any logins) before the address is refused.
    pub client_failures: u32,
    /// Failures from everywhere before every login is refused.
    pub global_failures: u32,
    /// Length of the counting window, ms.
    pub window_ms: i64,
    /// Most pairs and addresses tracked; past it, logins are refused until entries expire.
    pub max_entries: usize,
}

/// Where a login attempt comes from: an IPv4 address, an IPv6 /64 network, or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(Option<IpAddr>);

impl ClientKey {
    /// The key of an address (IPv6 addresses of one /64 share one key: one host has them all).
    pub fn of(addr: Option<IpAddr>) -> ClientKey {
        ClientKey(addr.map(|a| match a {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
            v4 => v4,
        }))
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start: i64,
    count: u32,
}

impl Window {
    fn current(&mut self, now: i64, window_ms: i64) -> &mut Self {
        if now >= self.start.saturating_add(window_ms) || now < self.start {
            *self = Window {
                start: now,
                count: 0,
            };
        }
        self
    }

    /// The ms until the window ends when it is full.
    fn full_for(&self, now: i64, limit: u32, window_ms: i64) -> Option<i64> {
        let end = self.start.saturating_add(window_ms);
        (self.count >= limit && now < end).then(|| end - now)
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Pair {
    window: Window,
    locked_until: i64,
}

#[derive(Default)]
struct State {
    global: Window,
    clients: HashMap<ClientKey, Window>,
    pairs: HashMap<(ClientKey, u64), Pair>,
}

/// The throttle of one server (shared by the API and the login page).
pub struct LoginGuard {
    limits: Limits,
    hasher: std::collections::hash_map::RandomState,
    state: Mutex<State>,
}

/// Why an attempt is refused before the password is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This address has failed too often for this login.
    Locked {
        /// Seconds until it may try again.
        retry_after: u64,
    },
    /// This address, or everyone together, failed too often.
    Throttled {
        /// Seconds until it may try again.
        retry_after: u64,
    },
}

fn secs(ms: i64) -> u64 {
    u64::try_from(ms.max(0)).unwrap_or(0).div_ceil(1000).max(1)
}

impl LoginGuard {
    /// A throttle with these limits.
    pub fn new(limits: Limits) -> LoginGuard {
        LoginGuard {
            limits,
            hasher: Default::default(),
            state: Mutex::new(State::default()),
        }
    }

    fn login_key(&self, login: &str) -> u64 {
        self.hasher.hash_one(login)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every update is one assignment.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether an attempt from `client` for `login` may be checked at all at `now` (unix ms).
    pub fn check(&self, client: ClientKey, login: &str, now: i64) -> Result<(), Refusal> {
        let l = &self.limits;
        let key = (client, self.login_key(login));
        let mut s = self.lock();
        if let Some(ms) =
            s.global
                .current(now, l.window_ms)
                .full_for(now, l.global_failures, l.window_ms)
        {
            return Err(Refusal::Throttled {
                retry_after: secs(ms),
            });
        }
        if let Some(w) = s.clients.get_mut(&client) {
            if let Some(ms) =
                w.current(now, l.window_ms)
                    .full_for(now, l.client_failures, l.window_ms)
            {
                return Err(Refusal::Throttled {
                    retry_after: secs(ms),
                });
            }
        }
        if let Some(p) = s.pairs.get(&key) {
            if p.locked_until > now {
                return Err(Refusal::Locked {
                    retry_after: secs(p.locked_until - now),
                });
            }
        }
        Ok(())
    }

    /// Counts a failed attempt; returns how long to hold the answer back (ms), longer with each
    /// failure of the pair in a row.
    pub fn failed(&self, client: ClientKey, login: &str, now: i64) -> u64 {
        let l = self.limits.clone();
        let key = (client, self.login_key(login));
        let mut s = self.lock();
        s.global.current(now, l.window_ms).count += 1;
        let expired = |w: &Window| now >= w.start.saturating_add(l.window_ms);
        if s.clients.len() >= l.max_entries && !s.clients.contains_key(&client) {
            s.clients.retain(|_, w| !expired(w));
        }
        if s.pairs.len() >= l.max_entries && !s.pairs.contains_key(&key) {
            s.pairs
                .retain(|_, p| p.locked_until > now || !expired(&p.window));
        }
        if (s.clients.len() >= l.max_entries && !s.clients.contains_key(&client))
            || (s.pairs.len() >= l.max_entries && !s.pairs.contains_key(&key))
        {
            // Full of live entries: a flood from many addresses. Refuse everyone for a while.
            tracing::warn!("login throttle is full: refusing every login for a window");
            s.global.count = s.global.count.max(l.global_failures);
            return 0;
        }
        s.clients
            .entry(client)
            .or_default()
            .current(now, l.window_ms)
            .count += 1;
        let pair = s.pairs.entry(key).or_default();
        let w = pair.window.current(now, l.window_ms);
        w.count += 1;
        let failures = w.count;
        if failures >= l.pair_failures {
            pair.locked_until = now.saturating_add(l.lock_ms);
            pair.window = Window::default();
        }
        // 200 ms per earlier failure in a row, at most 2 s.
        (u64::from(failures.saturating_sub(1)) * 200).min(2000)
    }

    /// A successful login clears the pair's failures (not the address's: an attacker must not
    /// reset its count by signing in to an account of its own).
    pub fn succeeded(&self, client: ClientKey, login: &str) {
        let key = (client, self.login_key(login));
        self.lock().pairs.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(max_entries: usize) -> LoginGuard {
        LoginGuard::new(Limits {
            pair_failures: 3,
            lock_ms: 60_000,
            client_failures: 5,
            global_failures: 8,
            window_ms: 60_000,
            max_entries,
        })
    }

    fn ip(s: &str) -> ClientKey {
        ClientKey::of(Some(s.parse().unwrap()))
    }

    #[test]
    fn a_pair_locks_for_its_address_only() {
        let g = guard(100);
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        for _ in 0..3 {
            assert!(g.check(a, "admin", 0).is_ok());
            g.failed(a, "admin", 0);
        }
        assert_eq!(
            g.check(a, "admin", 1000),
            Err(Refusal::Locked { retry_after: 59 })
        );
        assert!(g.check(b, "admin", 1000).is_ok());
        assert!(g.check(a, "other", 1000).is_ok());
        assert!(g.check(a, "admin", 60_000).is_ok());
    }

    #[test]
    fn an_address_and_everyone_are_throttled() {
        let g = guard(100);
        let a = ip("10.0.0.1");
        for i in 0..5 {
            g.failed(a, &format!("u{i}"), 0);
        }
        assert_eq!(
            g.check(a, "fresh", 10_000),
            Err(Refusal::Throttled { retry_after: 50 })
        );
        assert!(g.check(ip("10.0.0.2"), "fresh", 10_000).is_ok());
        for i in 0..3 {
            g.failed(ip("10.0.0.3"), &format!("v{i}"), 10_000);
        }
        assert!(matches!(
            g.check(ip("10.0.0.4"), "fresh", 10_000),
            Err(Refusal::Throttled { .. })
        ));
        assert!(g.check(ip("10.0.0.4"), "fresh", 60_000).is_ok());
    }

    #[test]
    fn ipv6_hosts_count_by_network_and_memory_is_bounded() {
        assert_eq!(ip("2001:db8::1"), ip("2001:db8::2"));
        assert_ne!(ip("2001:db8::1"), ip("2001:db8:0:1::1"));
        assert_eq!(ip("::ffff:10.0.0.1"), ip("10.0.0.1"));
        let g = guard(4);
        for i in 0..4 {
            g.failed(ip(&format!("10.0.1.{i}")), "x", 0);
        }
        // A fifth address does not fit: everyone waits for the window instead.
        g.failed(ip("10.0.2.1"), "x", 0);
        assert!(g.lock().clients.len() <= 4 && g.lock().pairs.len() <= 4);
        assert!(matches!(
            g.check(ip("10.0.3.1"), "y", 1),
            Err(Refusal::Throttled { .. })
        ));
        // After the window, expired entries make room again.
        g.failed(ip("10.0.2.1"), "x", 70_000);
        assert!(g.lock().clients.contains_key(&ip("10.0.2.1")));
    }
}
