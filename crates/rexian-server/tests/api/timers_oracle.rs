//! The timer sweep marks deadlines in SQL, in bulk, for speed; the domain's
//! `deadline::state` is the one rule (issue 16: one owner per rule). On generated orders,
//! steps and clock moves, every active deadline the sweep left behind is in the state the
//! domain gives it at that instant, and its supervision level never passes the chain's top.

use chrono::DateTime;
use rexian_domain::deadline::{self, DeadlineState};
use rexian_testkit::Centre;
use serde_json::{json, Value};

/// A small deterministic generator (the same data on every run and database).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn at(ms: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

async fn check(c: &Centre, ids: &[String]) -> usize {
    let now = c.app.state.clock.now();
    let mut seen = 0;
    for id in ids {
        let full = c
            .app
            .state
            .store
            .order_full(id.parse().unwrap())
            .await
            .unwrap();
        for d in full.deadlines.iter().filter(|d| d.active) {
            let want = deadline::state(
                at(d.due_at),
                now,
                d.met_at.map(at),
                at(d.amber_at),
                d.state == "missed",
            );
            let want = match want {
                DeadlineState::Met => "met",
                DeadlineState::Missed => "missed",
                DeadlineState::Pending | DeadlineState::Amber => "pending",
            };
            assert_eq!(
                d.state, want,
                "{} of order {id} at {now}: stored {d:?}",
                d.kind
            );
            assert!(d.level <= 8, "supervision past any chain's top: {d:?}");
            if d.state == "missed" && d.met_at.is_none() {
                assert!(d.level >= 1, "a miss is supervised: {d:?}");
            }
            seen += 1;
        }
    }
    seen
}

#[tokio::test]
async fn the_sweep_agrees_with_the_domain_on_generated_orders() {
    let c = Centre::new("gas").await;
    let mut r = Lcg(20_261_201);
    let mut ids: Vec<String> = Vec::new();
    let mut checked = 0;
    let categories = [
        ("repair", Some("leak")),
        ("service", Some("install")),
        ("complaint", None),
        ("consult", None),
        ("report", None),
    ];
    for _ in 0..60 {
        match r.below(4) {
            0 | 1 => {
                let (cat, sub) = categories[r.below(categories.len() as u64) as usize];
                let o = c.order(cat, sub).await;
                ids.push(o["id"].as_str().unwrap().to_owned());
            }
            _ if !ids.is_empty() => {
                let id = ids[r.below(ids.len() as u64) as usize].clone();
                let (token, step, body): (&str, &str, Value) = match r.below(4) {
                    0 => (&c.agent, "dispatch", json!({"unit_id": c.team})),
                    1 => (&c.handler, "accept", json!({})),
                    2 => (&c.handler, "arrive", json!({})),
                    _ => (&c.handler, "reply", json!({"result": "已处理"})),
                };
                // Refused steps (wrong status) are part of the data; only answers matter.
                let _ = c
                    .app
                    .post(&format!("/api/v1/orders/{id}/{step}"), token, body)
                    .await;
            }
            _ => {}
        }
        // Minutes to days: ambers, misses and escalations all happen.
        let minutes = [3, 17, 45, 90, 240, 1_440, 4_320][r.below(7) as usize];
        c.app.advance(minutes * 60).await;
        checked += check(&c, &ids).await;
    }
    assert!(checked > 500, "only {checked} deadline states compared");
}
