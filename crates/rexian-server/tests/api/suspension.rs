//! Suspension (`000:八.4`; issue 15): the limits counted from acceptance pause with the order
//! and run on after the resume, later by the time suspended.

use serde_json::json;

use crate::extensions::{accepted_repair, company, deadline};

#[tokio::test]
async fn suspension_pauses_the_limits_counted_from_acceptance_and_resume_adds_the_time_issue15() {
    // Water repair (003:4.3): the 24 h cycle counts from acceptance (01:00 → next day 01:00);
    // the arrival (30 min) from dispatch.
    let c = company("water").await;
    let id = accepted_repair(&c).await;
    c.app.advance(60 * 60).await; // 02:00
    let o = c
        .step(
            &c.supervisor,
            &id,
            "suspend",
            json!({"reason": "用户要求不合理，经公司批准中止"}),
        )
        .await;
    assert_eq!(o["status"], "suspended");
    // 30 h suspended: past the cycle's due time, which is not missed meanwhile.
    c.app.advance(30 * 3600).await; // 2026-03-03 08:00
    let o = c.get(&id).await;
    assert!(
        !o["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "deadline_missed" && e["data"]["deadline"] == "finish"),
        "{o}"
    );
    let o = c.step(&c.supervisor, &id, "resume", json!({})).await;
    let f = deadline(&o, "finish");
    assert_eq!(f["due_at"], "2026-03-04T07:00:00Z", "01:00 + 30 h: {o}");
    assert_eq!(
        f["original_due_at"], "2026-03-03T01:00:00Z",
        "kept on record"
    );
    assert_eq!(
        f["started_at"], "2026-03-02T01:00:00Z",
        "still counted from acceptance"
    );
    assert_eq!(f["state"], "pending");
    assert_eq!(
        deadline(&o, "arrive")["due_at"],
        "2026-03-03T08:30:00Z",
        "the unit's limits from dispatch start afresh"
    );
    // It runs on: missed when the extended time passes.
    c.app.advance(23 * 3600 + 10 * 60).await; // 2026-03-04 07:10
    let o = c.get(&id).await;
    assert_eq!(deadline(&o, "finish")["state"], "missed");
}
