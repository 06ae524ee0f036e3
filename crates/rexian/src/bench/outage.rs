//! The `outage` scenario: a notice over one large community is published, then the calls of
//! the heating peak's two hours (3,724 calls by default) come from that community at
//! `--replay-speed` x real time, a fifth of them complaints. It measures intake during the
//! burst, how many answers told the caller the notice, the time from publishing to the first
//! such answer, and the incident the calls made against the calls sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use super::data::Rng;
use super::scenarios::{expect, id_of, Answer, Org, WorkerOut};
use super::stats;

/// The community the notice covers and every call comes from.
pub const COMMUNITY: &str = "阳光花园";
/// The peak's calls in two hours (the first heating day, 07:00-09:00).
pub const PEAK_CALLS: u64 = 3_724;
const PEAK_SECONDS: f64 = 7_200.0;

/// The scenario's own figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutageFigures {
    /// Calls sent (repairs and complaints).
    pub calls: u64,
    /// Repair calls sent.
    pub repairs: u64,
    /// Complaints sent.
    pub complaints: u64,
    /// Answers that carried the notice.
    pub told: u64,
    /// From the publish call's start to the first answer carrying the notice, ms.
    pub publish_to_first_answer_ms: Option<f64>,
    /// Orders in the repairs' incident (should equal the repairs answered).
    pub incident_orders: i64,
    /// Incidents the calls opened (one for repairs, one for complaints).
    pub incidents: usize,
    /// Seconds the burst was planned to take.
    pub planned_seconds: f64,
}

/// Records a notice over [`COMMUNITY`] as the company's agent and publishes it; returns its id
/// and when the publish call started.
pub async fn publish_notice(org: &Org) -> anyhow::Result<(String, Instant)> {
    let company = &org.companies[0];
    let mut c = org.conn();
    let now = chrono::Utc::now();
    let body = json!({"company_id": company.id, "kind": "fault", "cause": "一次网主管线爆管抢修",
        "area": {"communities": [COMMUNITY]}, "start_at": now.to_rfc3339(),
        "expected_end_at": (now + chrono::Duration::hours(8)).to_rfc3339()});
    let r = c
        .call(
            "POST",
            "/api/v1/outages",
            Some(&company.agent),
            Some(&body),
            None,
        )
        .await;
    let id = id_of(&expect(r, "record the outage notice", &[201]).await?)?;
    let t = Instant::now();
    let r = c
        .call(
            "POST",
            &format!("/api/v1/outages/{id}/publish"),
            Some(&company.agent),
            Some(&json!({})),
            None,
        )
        .await;
    expect(r, "publish the outage notice", &[200]).await?;
    Ok((id, t))
}

/// One caller of the burst: calls `k` with `k % workers == w`, each at its time in the plan.
pub async fn caller(
    org: Arc<Org>,
    w: usize,
    workers: usize,
    calls: u64,
    start: Instant,
    spacing: Duration,
) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut c = org.conn();
    let company = &org.companies[0];
    let mut rng = Rng::new(w as u64 * 6_151 + 17);
    let mut k = w as u64;
    while k < calls {
        let at = start + spacing.mul_f64(k as f64);
        tokio::time::sleep_until(at.into()).await;
        let complaint = k % 5 == 4;
        let building = 1 + rng.below(40);
        let (category, subtype, op, text) = if complaint {
            (
                "complaint",
                "general",
                "complaint",
                "停暖一上午了还没人来修，要求尽快处理",
            )
        } else {
            ("repair", "not_warm", "repair", "家里暖气不热了")
        };
        let spelling = match rng.below(3) {
            0 => format!("{COMMUNITY}{building}号楼2单元"),
            1 => format!("{COMMUNITY} {building}栋"),
            _ => format!("{COMMUNITY}{building}幢301"),
        };
        let body = json!({"company_id": company.id, "category": category, "subtype": subtype,
            "channel": "phone", "description": text,
            "customer": {"phone": format!("137{:08}", k), "community": COMMUNITY, "address": spelling}});
        let key = format!("{}-o{k}", org.run);
        let t = Instant::now();
        let idem = org.idempotency.then_some(key.as_str());
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
                if r.json()["outages"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty())
                {
                    out.timeline.push((Instant::now(), 1.0));
                }
            }
            Answer::Failed => {}
            Answer::Down => break,
        }
        k += workers as u64;
    }
    out
}

/// The plan of a burst of `calls` at `speed` x real time: the gap between two calls.
pub fn spacing(calls: u64, speed: f64) -> Duration {
    Duration::from_secs_f64(PEAK_SECONDS / speed.max(1.0) / calls.max(1) as f64)
}

/// The figures of a finished burst: answers that told the notice, the first of them after
/// `published`, and the incidents the company has now.
pub async fn figures(
    org: &Org,
    o: &super::scenarios::Outcome,
    calls: u64,
    published: Instant,
    speed: f64,
) -> anyhow::Result<OutageFigures> {
    let company = &org.companies[0];
    let mut c = org.conn();
    let r = c
        .call(
            "GET",
            &format!("/api/v1/incidents?company_id={}", company.id),
            Some(&company.agent),
            None,
            None,
        )
        .await;
    let v = expect(r, "read the incidents", &[200]).await?;
    let items = v["items"].as_array().cloned().unwrap_or_default();
    let incident_orders = items
        .iter()
        .filter(|i| i["subtype"] == "not_warm")
        .map(|i| i["orders"].as_i64().unwrap_or(0))
        .max()
        .unwrap_or(0);
    let first = o.timeline.first().map(|(at, _)| *at);
    Ok(OutageFigures {
        calls,
        repairs: calls - calls / 5,
        complaints: calls / 5,
        told: o.timeline.len() as u64,
        publish_to_first_answer_ms: first
            .map(|f| stats::round3(f.duration_since(published).as_secs_f64() * 1000.0)),
        incident_orders,
        incidents: items.len(),
        planned_seconds: stats::round3(PEAK_SECONDS / speed.max(1.0)),
    })
}
