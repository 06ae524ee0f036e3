//! The `peak` scenario (issue 22): a real peak's mix against one server. An outage notice over
//! one community is published first; then most workers take calls — the intake scenario's
//! category mix, with a fifth of all calls complaints and half of those about the community
//! under the notice (they gather in one matter) — while one worker in eight runs whole repair
//! lifecycles (dispatch, steps, review, callback) beside them. Intake is counted per category.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::data::{self, Rng};
use super::outage::COMMUNITY;
use super::scenarios::{id_of, life_worker, Answer, Org, WorkerOut};

/// One worker in this many runs lifecycles; the others take calls.
pub const LIFE_EVERY: usize = 8;

/// Worker `w` of the peak until `end`: a caller-taker, or every [`LIFE_EVERY`]th a lifecycle
/// worker (whose lifecycles are not counted as intake; their steps' latencies are reported).
pub async fn worker(org: Arc<Org>, w: usize, end: Instant) -> WorkerOut {
    if w % LIFE_EVERY == LIFE_EVERY - 1 {
        let mut out = life_worker(org, w, end).await;
        out.done = 0;
        out.created.clear();
        return out;
    }
    calls(org, w, end).await
}

/// The calls of one agent's line: counted per category as `create <category>`.
async fn calls(org: Arc<Org>, w: usize, end: Instant) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut c = org.conn();
    let mut rng = Rng::new(w as u64 * 6_151 + 11);
    let mut n = 0u64;
    while Instant::now() < end {
        n += 1;
        let (ci, body) = call(&org, &mut rng, w, n);
        let company = &org.companies[ci];
        let op = op_name(body["category"].as_str().unwrap_or("other"));
        let key = format!("{}-p{w}-{n}", org.run);
        let idem = org.idempotency.then_some(key.as_str());
        let t = Instant::now();
        let r = c.call(
            "POST",
            "/api/v1/orders",
            Some(&company.agent),
            Some(&body),
            idem,
        );
        match out.record(op, t, r.await, &[201]).await {
            Answer::Ok(r) => {
                out.done += 1;
                if let Ok(id) = id_of(&r.json()) {
                    out.created.push((ci, id));
                }
            }
            Answer::Failed => {}
            Answer::Down => break,
        }
    }
    out
}

/// The next call: (company index, body). A fifth are complaints; half of those come from the
/// community under the outage notice (company 0), the others from anywhere.
fn call(org: &Org, rng: &mut Rng, w: usize, n: u64) -> (usize, serde_json::Value) {
    let ci = w % org.companies.len();
    let company = &org.companies[ci];
    match rng.below(10) {
        0 => {
            let phone = format!("137{:08}", (w as u64 * 1_000_000 + n) % 100_000_000);
            let home = &org.companies[0];
            let body = json!({"company_id": home.id, "category": "complaint", "channel": "phone",
                "description": format!("{COMMUNITY}停暖一整天了，打了好几次电话也没人来，要求马上恢复供热"),
                "customer": {"phone": phone, "community": COMMUNITY,
                    "address": format!("{COMMUNITY}{}号楼", 1 + rng.below(20))}});
            (0, body)
        }
        1 => (
            ci,
            data::of_category(rng, &company.id, company.utility, "complaint"),
        ),
        // The rest in the intake mix, less its own complaints (a fifth in all).
        _ => loop {
            let body = data::order(rng, &company.id, company.utility);
            if body["category"] != "complaint" {
                break (ci, body);
            }
        },
    }
}

/// The latency key of an intake of `category`.
fn op_name(category: &str) -> &'static str {
    match data::category_name(category) {
        "repair" => "create repair",
        "consult" => "create consult",
        "query" => "create query",
        "service" => "create service",
        "complaint" => "create complaint",
        "report" => "create report",
        "opinion" => "create opinion",
        "suggestion" => "create suggestion",
        "praise" => "create praise",
        _ => "create other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_of_the_mix_has_its_own_latency_key() {
        for c in [
            "repair",
            "consult",
            "query",
            "service",
            "complaint",
            "report",
            "opinion",
        ] {
            assert_eq!(op_name(c), format!("create {c}"));
        }
        assert_eq!(op_name("nonsense"), "create other");
    }
}
