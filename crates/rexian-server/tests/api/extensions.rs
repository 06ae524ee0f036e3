//! Extensions (延期, `002:§15(2)2`, `003:4.3`; issue 15): an extension names the limit it is for
//! (by default the overdue or amber one), moves only that one and never earlier; a later limit
//! that would fall due before it follows.

use axum::http::StatusCode;
pub(crate) use rexian_testkit::deadline;
use rexian_testkit::Centre;
use serde_json::{json, Value};

pub(crate) async fn company(utility: &str) -> Centre {
    Centre::new(utility).await
}

/// A repair dispatched to the team at 01:00 and accepted by it.
pub(crate) async fn accepted_repair(c: &Centre) -> String {
    let body = json!({"company_id": c.company, "category": "repair", "subtype": "leak", "channel": "phone",
        "description": "表前阀门漏水", "customer": {"name": "王先生", "phone": "13812345678",
        "address": "城北路12号3单元501", "community": "城北小区"}});
    let (s, o) = c.app.post("/api/v1/orders", &c.agent, body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_str().unwrap().to_owned();
    c.step(&c.agent, &id, "dispatch", json!({"unit_id": c.team}))
        .await;
    c.step(&c.handler, &id, "accept", json!({})).await;
    id
}

/// Asks an extension and has it approved; answers the order after the approval.
async fn extend(c: &Centre, id: &str, body: Value) -> Value {
    let v = c.step(&c.handler, id, "extensions", body).await;
    let eid = v["extension_id"].as_str().unwrap().to_owned();
    c.step(
        &c.supervisor,
        id,
        &format!("extensions/{eid}/approve"),
        json!({}),
    )
    .await
}

fn events_of(o: &Value, kind: &str, deadline: &str) -> usize {
    o["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind && e["data"]["deadline"] == deadline)
        .count()
}

#[tokio::test]
async fn extension_on_an_overdue_arrival_moves_the_arrival_not_the_finish_issue15() {
    // Water repair (003:4.3): arrive 30 min from dispatch, finish 24 h from acceptance.
    let c = company("water").await;
    let id = accepted_repair(&c).await;
    c.app.advance(40 * 60).await; // 01:40: the arrival is overdue, supervision level 1
    let o = c.get(&id).await;
    assert_eq!(deadline(&o, "arrive")["state"], "missed", "{o}");
    assert_eq!(deadline(&o, "finish")["due_at"], "2026-03-03T01:00:00Z");
    // The unit names no limit: the overdue one, the arrival (customer not at home).
    let o = extend(
        &c,
        &id,
        json!({"until": "2026-03-02T06:00:00Z", "reason": "用户不在家，约定下午上门"}),
    )
    .await;
    let f = deadline(&o, "finish");
    assert_eq!(f["due_at"], "2026-03-03T01:00:00Z", "finish untouched");
    assert_eq!(f["original_due_at"], "2026-03-03T01:00:00Z");
    let a = deadline(&o, "arrive");
    assert_eq!(a["due_at"], "2026-03-02T06:00:00Z");
    assert_eq!(a["original_due_at"], "2026-03-02T01:30:00Z");
    assert_eq!(a["state"], "pending", "no longer overdue");
    assert_eq!(o["extensions"][0]["kind"], "arrive", "{o}");
    // The supervision of the missed arrival stops with the move: its next level (02:00) does
    // not come.
    c.app.advance(60 * 60).await; // 02:40
    let o = c.get(&id).await;
    assert_eq!(events_of(&o, "supervision_escalated", "arrive"), 0, "{o}");
    assert_eq!(deadline(&o, "arrive")["state"], "pending");
    // Missed again against the new time, supervision resumes from there: the level reached
    // stays, the next one comes one limit (30 min) after the new due time times the level.
    c.app.advance(3 * 3600 + 30 * 60).await; // 06:10
    let o = c.get(&id).await;
    assert_eq!(deadline(&o, "arrive")["state"], "missed");
    assert_eq!(deadline(&o, "arrive")["supervision_level"], 1);
    assert_eq!(events_of(&o, "supervision_escalated", "arrive"), 0);
    c.app.advance(25 * 60).await; // 06:35
    let o = c.get(&id).await;
    assert_eq!(deadline(&o, "arrive")["supervision_level"], 2, "{o}");
    assert_eq!(events_of(&o, "supervision_escalated", "arrive"), 1);
}

#[tokio::test]
async fn extension_past_a_later_limit_moves_the_limit_that_depends_on_it_issue15() {
    let c = company("water").await;
    let id = accepted_repair(&c).await;
    c.app.advance(40 * 60).await;
    // The arrival pushed 4 h past the finish: the finish cannot come before it and moves by
    // as much as the arrival (27.5 h).
    let o = extend(&c,
            &id,
            json!({"until": "2026-03-03T05:00:00Z", "reason": "用户出差，明日下午回来", "kind": "arrive"}),
        )
        .await;
    assert_eq!(deadline(&o, "arrive")["due_at"], "2026-03-03T05:00:00Z");
    let f = deadline(&o, "finish");
    assert_eq!(f["due_at"], "2026-03-04T04:30:00Z", "{o}");
    assert_eq!(f["original_due_at"], "2026-03-03T01:00:00Z");
    assert_eq!(f["state"], "pending");
}

#[tokio::test]
async fn extension_by_default_is_for_the_amber_limit_issue15() {
    // Gas repair (002:§14): contact 2 h, amber at 96 min; finish 3 workdays.
    let c = company("gas").await;
    let body = json!({"company_id": c.company, "category": "repair", "subtype": "leak", "channel": "phone",
        "description": "燃气表后阀门漏气", "customer": {"name": "李女士", "phone": "13812345679",
        "address": "城北路12号3单元502", "community": "城北小区"}});
    let (_, o) = c.app.post("/api/v1/orders", &c.agent, body).await;
    let id = o["id"].as_str().unwrap().to_owned();
    c.step(&c.agent, &id, "dispatch", json!({"unit_id": c.team}))
        .await;
    c.app.advance(100 * 60).await; // 02:40
    let o = c.get(&id).await;
    assert_eq!(deadline(&o, "contact")["amber"], true, "{o}");
    let finish_due = deadline(&o, "finish")["due_at"].clone();
    let o = extend(
        &c,
        &id,
        json!({"until": "2026-03-02T05:00:00Z", "reason": "用户电话无人接听"}),
    )
    .await;
    assert_eq!(o["extensions"][0]["kind"], "contact");
    assert_eq!(deadline(&o, "contact")["due_at"], "2026-03-02T05:00:00Z");
    assert_eq!(
        deadline(&o, "finish")["due_at"],
        finish_due,
        "finish untouched"
    );
}

#[tokio::test]
async fn extension_for_no_more_time_than_the_limit_has_is_refused_issue15() {
    let c = company("water").await;
    let id = accepted_repair(&c).await;
    let path = format!("/api/v1/orders/{id}/extensions");
    // Earlier than the finish limit (24 h): refused, the limit unchanged.
    let (s, v) = c
        .app
        .post(
            &path,
            &c.handler,
            json!({"until": "2026-03-02T20:00:00Z", "reason": "等待材料", "kind": "finish"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "until", "{v}");
    let o = c.get(&id).await;
    assert_eq!(deadline(&o, "finish")["due_at"], "2026-03-03T01:00:00Z");
    assert!(o["extensions"].as_array().unwrap().is_empty());
    // A kind that is no running limit of the order: unknown, met (contact: none here) or absent.
    for kind in ["bogus", "callback", "dispatch"] {
        let (s, v) = c
            .app
            .post(
                &path,
                &c.handler,
                json!({"until": "2026-03-04T01:00:00Z", "reason": "等待材料", "kind": kind}),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{kind}: {v}");
        assert_eq!(v["error"]["field"], "kind", "{kind}: {v}");
    }
}

#[tokio::test]
async fn extension_form_names_the_limit_and_the_console_shows_it_issue15() {
    let c = company("water").await;
    let id = accepted_repair(&c).await;
    c.app.advance(40 * 60).await;
    let (s, _, body) = c
        .app
        .raw(
            "GET",
            &format!("/orders/{id}"),
            Some(&c.handler),
            None,
            "",
            &[],
        )
        .await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(r#"<select name="kind" id="ext-kind">"#),
        "{html}"
    );
    assert!(html.contains(r#"<option value="arrive">"#));
    assert!(
        !html.contains(r#"<option value="dispatch">"#),
        "a met limit is not offered"
    );
    // 09:40 local: extend the arrival to 14:00 local.
    let (s, _, body) = c
        .app
        .raw(
            "POST",
            &format!("/orders/{id}/extensions"),
            Some(&c.handler),
            Some("kind=arrive&until=2026-03-02T14%3A00&reason=%E7%94%A8%E6%88%B7%E4%B8%8D%E5%9C%A8%E5%AE%B6".into()),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    assert_eq!(
        s,
        StatusCode::SEE_OTHER,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let o = c.get(&id).await;
    assert_eq!(o["extensions"][0]["kind"], "arrive");
    assert_eq!(o["extensions"][0]["until"], "2026-03-02T06:00:00Z");
    let (_, _, body) = c
        .app
        .raw("GET", "/supervise", Some(&c.supervisor), None, "", &[])
        .await;
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("<td>到场 "),
        "the limit it is for, as it stands: {html}"
    );
}
