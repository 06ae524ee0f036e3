//! Limits counted from acceptance (heating's 24 h result `000:二.5(4)`, water's 24 h cycle
//! `003:4.3`) belong to the unit once the order is dispatched: supervision climbs that unit's
//! chain and a miss is assessed on the unit, not on the agent who took the call (issue 15).

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::extensions::{accepted_repair, company, deadline};

#[tokio::test]
async fn heating_24h_result_000_2_5_4_belongs_to_the_unit_after_dispatch() {
    let c = company("heat").await;
    let id = accepted_repair(&c).await; // accepted and dispatched at 01:00
    let o = c.get(&id).await;
    let f = deadline(&o, "finish");
    assert_eq!(
        f["started_at"], "2026-03-02T01:00:00Z",
        "counted from acceptance: {o}"
    );
    assert_eq!(f["unit_id"], json!(c.team), "the unit's clock now: {o}");

    // Missed: the first supervision notice reaches the unit's handler ...
    c.app.advance(24 * 3600 + 10 * 60).await;
    let o = c.get(&id).await;
    assert_eq!(deadline(&o, "finish")["state"], "missed", "{o}");
    let (s, v) = c
        .app
        .get(&format!("/api/v1/orders/{id}/supervision"), &c.supervisor)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let first = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["deadline"] == "finish")
        .cloned()
        .unwrap_or_else(|| panic!("no finish notice: {v}"));
    assert_eq!(first["to"], "handler", "{v}");
    assert_eq!(first["unit_id"], json!(c.team), "{v}");

    // ... and the heat preset's deduction for a missed result lands on the unit.
    let (s, v) = c
        .app
        .get(
            &format!(
                "/api/v1/assessment/statement?company_id={}&month=2026-03&detail=true",
                c.company
            ),
            &c.supervisor,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let missed: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule_code"] == "limit_missed")
        .collect();
    assert_eq!(missed.len(), 1, "{v}");
    assert_eq!(missed[0]["subject_kind"], "单位", "{v}");
    assert_eq!(missed[0]["subject"], "城北维修站", "{v}");
}

#[tokio::test]
async fn a_return_hands_the_limits_from_acceptance_back_to_the_centre_issue15() {
    let c = company("water").await;
    let id = accepted_repair(&c).await;
    assert_eq!(
        deadline(&c.get(&id).await, "finish")["unit_id"],
        json!(c.team)
    );
    let o = c
        .step(
            &c.handler,
            &id,
            "return",
            json!({"reason": "不属于本站辖区"}),
        )
        .await;
    let f = deadline(&o, "finish");
    assert_eq!(f["unit_id"], Value::Null, "the centre holds it again: {o}");
    assert_eq!(f["state"], "pending", "it runs on: {o}");
    assert_eq!(f["started_at"], "2026-03-02T01:00:00Z", "{o}");
}
