//! Shared pieces of the console's work screens: local times, countdown badges, labels and
//! url-encoded forms.

use axum::http::HeaderMap;
use chrono::FixedOffset;

use crate::clock::from_ms;
use crate::i18n::{Lang, Msgs};

/// A url-encoded form as its pairs (repeated keys kept).
pub type Fields = Vec<(String, String)>;

/// The value of `k` in a form, or "".
pub fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The messages of the request's language.
pub fn msgs(headers: &HeaderMap) -> Msgs {
    Msgs {
        lang: Lang::from_headers(headers),
    }
}

/// `YYYY-MM-DD HH:MM` in the company's zone.
pub fn local_time(at_ms: i64, offset: FixedOffset) -> String {
    from_ms(at_ms)
        .with_timezone(&offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A duration as the catalogue spells it: `2天3时` / `2d3h`, `1时05分` / `1h05m`, `7分` / `7m`.
pub fn span(t: &Msgs, ms: i64) -> String {
    let mins = ms.abs() / 60_000;
    let (d, h, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    let (sd, sh, sm) = (t.get("cd.d"), t.get("cd.h"), t.get("cd.m"));
    if d > 0 {
        format!("{d}{sd}{h}{sh}")
    } else if h > 0 {
        format!("{h}{sh}{m:02}{sm}")
    } else {
        format!("{m}{sm}")
    }
}

/// A countdown badge: colour, text, and the times the page's script needs to keep it live.
#[derive(Debug, Clone)]
pub struct Badge {
    /// `green`, `amber`, `red`, `met` or `none`.
    pub class: &'static str,
    /// What the badge says now.
    pub text: String,
    /// Deadline kind label (派单, 到场…).
    pub kind: String,
    /// Due time, ms since the epoch (0 when there is none).
    pub due: i64,
    /// Amber time, ms since the epoch.
    pub amber: i64,
    /// Due time shown in the company's zone.
    pub due_local: String,
}

impl Badge {
    /// The badge of a deadline at `now`.
    pub fn of(
        t: &Msgs,
        kind: &str,
        due: i64,
        amber: i64,
        met: bool,
        now: i64,
        offset: FixedOffset,
    ) -> Self {
        let (class, text) = if met {
            ("met", t.get("cd.met"))
        } else if due <= now {
            (
                "red",
                format!(
                    "{}{}{}",
                    t.get("cd.over_pre"),
                    span(t, now - due),
                    t.get("cd.over_post")
                ),
            )
        } else {
            (
                if amber <= now { "amber" } else { "green" },
                format!(
                    "{}{}{}",
                    t.get("cd.left_pre"),
                    span(t, due - now),
                    t.get("cd.left_post")
                ),
            )
        };
        Badge {
            class,
            text,
            kind: t.get(&format!("deadline.{kind}")),
            due: if met { 0 } else { due },
            amber,
            due_local: local_time(due, offset),
        }
    }

    /// No open deadline.
    pub fn none(t: &Msgs) -> Self {
        Badge {
            class: "none",
            text: t.get("cd.none"),
            kind: String::new(),
            due: 0,
            amber: 0,
            due_local: String::new(),
        }
    }

    /// Sort key: the most urgent first (red before amber before green; then by due time).
    pub fn urgency(&self) -> (u8, i64) {
        let rank = match self.class {
            "red" => 0,
            "amber" => 1,
            "green" => 2,
            _ => 3,
        };
        (rank, if self.due == 0 { i64::MAX } else { self.due })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn east8() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn badges_turn_amber_then_red() {
        let t = Msgs { lang: Lang::En };
        let g = Badge::of(&t, "arrive", 10 * 60_000, 8 * 60_000, false, 0, east8());
        assert_eq!(g.class, "green");
        let a = Badge::of(
            &t,
            "arrive",
            10 * 60_000,
            8 * 60_000,
            false,
            9 * 60_000,
            east8(),
        );
        assert_eq!(a.class, "amber");
        let r = Badge::of(
            &t,
            "arrive",
            10 * 60_000,
            8 * 60_000,
            false,
            75 * 60_000,
            east8(),
        );
        assert_eq!(r.class, "red");
        assert!(r.text.contains("1h05m"), "{}", r.text);
        assert!(r.urgency() < a.urgency() && a.urgency() < g.urgency());
    }
}
