//! The customer self-service portal (SPEC §1 customer, §2 channel `web`; issue 20): the limits
//! of what one client or one phone may submit, the phone verification code's rules, and what a
//! customer is told of an order's life (a few plain steps, nothing internal).

use crate::policy::Policy;

/// Demands taken from one client address per window when the policy names none.
pub const DEFAULT_PER_CLIENT: u32 = 10;
/// Demands taken for one phone number per window when the policy names none.
pub const DEFAULT_PER_PHONE: u32 = 5;
/// The counting window when the policy names none, minutes.
pub const DEFAULT_WINDOW_MINUTES: u32 = 60;
/// How long a verification code may be used, minutes.
pub const CODE_MINUTES: i64 = 10;
/// Wrong entries of one code before it is spent.
pub const CODE_ATTEMPTS: i64 = 5;
/// Codes sent to one phone per window (the same window as the demands).
pub const CODES_PER_PHONE: u32 = 5;
/// How long a survey or callback link lives when the staff name no other, days.
pub const LINK_DAYS: i64 = 7;

/// The portal's rules of a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortalRules {
    /// Demands per client address per window.
    pub per_client: u32,
    /// Demands per phone per window.
    pub per_phone: u32,
    /// The window, ms.
    pub window_ms: i64,
    /// A verification code must come before a demand is taken.
    pub verify_phone: bool,
}

impl PortalRules {
    /// The rules of `policy` (`settings.portal_*`, else the defaults above).
    pub fn of(policy: &Policy) -> PortalRules {
        let s = &policy.settings;
        PortalRules {
            per_client: s.portal_orders_per_client.unwrap_or(DEFAULT_PER_CLIENT),
            per_phone: s.portal_orders_per_phone.unwrap_or(DEFAULT_PER_PHONE),
            window_ms: i64::from(s.portal_window_minutes.unwrap_or(DEFAULT_WINDOW_MINUTES))
                * 60_000,
            verify_phone: s.portal_verify_phone.unwrap_or(0) == 1,
        }
    }
}

/// What the customer is told of an event of their order (a key of the portal's words), or
/// nothing: internal steps (transfers, extensions, supervision, notes, reviews) are not shown.
pub fn customer_step(event: &str) -> Option<&'static str> {
    Some(match event {
        "created" => "received",
        "dispatched" | "transferred" => "dispatched",
        "accepted" | "assigned" => "handling",
        "arrived" => "arrived",
        "replied" => "replied",
        "callback" => "callback",
        "reopened" => "reopened",
        "closed" => "closed",
        "cancelled" => "cancelled",
        "suspended" => "suspended",
        "resumed" => "handling",
        "portal_answered" => "answered",
        _ => return None,
    })
}

/// What a check of a verification code finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code matches and may be used.
    Good,
    /// Wrong: one more attempt spent.
    Wrong,
    /// Expired, spent, or tried too often.
    Spent,
}

/// Checks a code `entered_ok` (whether its hash matches) of a code issued to expire at
/// `expires_at`, tried `attempts` times before and used at `used_at`, at `now` (ms).
pub fn check_code(
    entered_ok: bool,
    expires_at: i64,
    attempts: i64,
    used: bool,
    now: i64,
) -> CodeCheck {
    if used || now >= expires_at || attempts >= CODE_ATTEMPTS {
        CodeCheck::Spent
    } else if entered_ok {
        CodeCheck::Good
    } else {
        CodeCheck::Wrong
    }
}

/// A link's state at `now` (ms): usable, already answered, or expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// May be answered.
    Open,
    /// Answered before (answered wins over expired: the customer did answer).
    Answered,
    /// Past its time.
    Expired,
}

/// The state of a link expiring at `expires_at`, used at `used_at`.
pub fn link_state(expires_at: i64, used_at: Option<i64>, now: i64) -> LinkState {
    match used_at {
        Some(_) => LinkState::Answered,
        None if now >= expires_at => LinkState::Expired,
        None => LinkState::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_events_are_not_told() {
        assert_eq!(customer_step("created"), Some("received"));
        for e in [
            "extension_asked",
            "supervision_escalated",
            "merged",
            "review_rejected",
        ] {
            assert_eq!(customer_step(e), None, "{e}");
        }
    }

    #[test]
    fn codes_expire_and_wear_out() {
        assert_eq!(check_code(true, 100, 0, false, 50), CodeCheck::Good);
        assert_eq!(check_code(false, 100, 0, false, 50), CodeCheck::Wrong);
        assert_eq!(check_code(true, 100, 0, false, 100), CodeCheck::Spent);
        assert_eq!(
            check_code(true, 100, CODE_ATTEMPTS, false, 50),
            CodeCheck::Spent
        );
        assert_eq!(check_code(true, 100, 0, true, 50), CodeCheck::Spent);
        assert_eq!(link_state(100, None, 99), LinkState::Open);
        assert_eq!(link_state(100, None, 100), LinkState::Expired);
        assert_eq!(link_state(100, Some(5), 200), LinkState::Answered);
    }

    #[test]
    fn presets_name_the_limits() {
        let p = Policy::preset("heat").expect("heat");
        let r = PortalRules::of(&p);
        assert!(r.per_client >= r.per_phone && !r.verify_phone, "{r:?}");
    }
}
