//! Shift handover item by item and the duty log (issue 18, `001` 交接班): the product lists what
//! is open, every item must be acknowledged, a late acceptance is assessed once on both sides.

use axum::http::StatusCode;
use rexian_testkit::Centre;
use serde_json::{json, Value};

fn ids(h: &Value) -> Vec<String> {
    h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_handover_lists_what_is_open_and_every_item_is_acknowledged_001() {
    let c = Centre::new("power").await;
    let order = c.order("repair", Some("outage")).await;
    let oid = order["id"].as_str().unwrap().to_owned();
    let (_, n) = c
        .app
        .post(
            "/api/v1/outages",
            &c.agent,
            json!({"company_id": c.company, "kind": "fault",
        "cause": "线路故障", "area": {"communities": ["幸福小区"]},
        "start_at": "2026-03-02T00:30:00Z", "expected_end_at": "2026-03-02T06:00:00Z"}),
        )
        .await;
    let nid = n["id"].as_str().unwrap().to_owned();

    let (s, h) = c
        .app
        .post(
            "/api/v1/handovers",
            &c.agent,
            json!({"company_id": c.company, "note": "3号楼用户下午会再来电"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    // Received Monday 09:00 in Beijing: the power shift runs to 08:00 next day; due 20 min early.
    assert_eq!(h["shift_start"], "2026-03-03T00:00:00Z");
    assert_eq!(h["due_from"], "2026-03-02T23:40:00Z");
    let items = h["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["kind"] == "order" && i["id"] == oid.as_str()),
        "{h}"
    );
    assert!(
        items
            .iter()
            .any(|i| i["kind"] == "outage" && i["id"] == nid.as_str()),
        "{h}"
    );
    let hid = h["id"].as_str().unwrap().to_owned();

    // None may be skipped: the refusal names what is missing.
    let accept = format!("/api/v1/handovers/{hid}/accept");
    let (s, v) = c
        .app
        .post(
            &accept,
            &c.supervisor,
            json!({"acknowledged": [format!("order:{oid}")]}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "acknowledged");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("outage:{nid}")),
        "{v}"
    );
    let (s, v) = c
        .app
        .post(
            &accept,
            &c.supervisor,
            json!({"acknowledged": ids(&h), "note": "已接"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["accepted_at"], "2026-03-02T01:00:00Z");
    assert_eq!(v["late"], false);
    let (s, _) = c
        .app
        .post(&accept, &c.supervisor, json!({"acknowledged": ids(&h)}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Both appear in the day's duty log, with a line of the shift's own.
    let (s, _) = c
        .app
        .post(
            "/api/v1/duty_log",
            &c.agent,
            json!({"company_id": c.company, "text": "10:20 城南线恢复送电"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let path = format!("/api/v1/duty_log?company_id={}&date=2026-03-02", c.company);
    let (s, v) = c.app.get(&path, &c.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kinds: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["handover", "handover_accepted", "entry"]);
    let (s, v) = c
        .app
        .get(
            &format!("/api/v1/duty_log?company_id={}&date=March", c.company),
            &c.agent,
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("date"))
    );
    // Unit staff keep no duty log of the centre.
    let (s, _) = c.app.get(&path, &c.handler).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_handover_accepted_past_five_minutes_is_assessed_once_on_both_sides_001() {
    let c = Centre::new("power").await;
    let (_, h) = c
        .app
        .post(
            "/api/v1/handovers",
            &c.agent,
            json!({"company_id": c.company}),
        )
        .await;
    let hid = h["id"].as_str().unwrap();
    // The shift starts 08:00 next day; accepted at 08:06.
    c.app.advance(23 * 3600 + 6 * 60).await;
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/handovers/{hid}/accept"),
            &c.supervisor,
            json!({"acknowledged": ids(&h)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["late"], true);
    let st = format!(
        "/api/v1/assessment/statement?company_id={}&month=2026-03&detail=true",
        c.company
    );
    let (_, v) = c.app.get(&st, &c.assessor).await;
    let late: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule_code"] == "handover_late")
        .collect();
    let mut who: Vec<&str> = late
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    who.sort_unstable();
    assert_eq!(who, ["agent", "supervisor"], "{v}");
    assert!(late.iter().all(|e| e["yuan"] == -20.0));
}

#[tokio::test]
async fn handovers_are_listed_by_the_company_s_day() {
    let c = Centre::new("power").await;
    let (s, h) = c
        .app
        .post(
            "/api/v1/handovers",
            &c.agent,
            json!({"company_id": c.company, "note": "交班"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let list = |date: &str| format!("/api/v1/handovers?company_id={}&date={date}", c.company);
    // Written Monday 09:00 in Beijing (01:00 UTC): on the 2nd, not the 1st.
    let (s, v) = c.app.get(&list("2026-03-02"), &c.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"][0]["id"], h["id"]);
    assert_eq!(v["items"][0]["note"], "交班");
    let (_, v) = c.app.get(&list("2026-03-01"), &c.supervisor).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0);
    let (s, v) = c.app.get(&list("2.3."), &c.supervisor).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "date");
    let (_, v) = c.app.get("/api/v1/handovers", &c.agent).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
    let other = c.app.company("北江水务", "water").await;
    let (_, a2) = c.app.user("agent2", &["agent"], None, Some(&other)).await;
    let (s, _) = c.app.get(&list("2026-03-02"), &a2).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = c.app.get("/api/v1/handovers", &a2).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_handover_form_refuses_a_missing_item_and_the_queue_shows_what_was_taken_over() {
    let c = Centre::new("water").await;
    let order = c.order("repair", None).await;
    let (_, h) = c
        .app
        .post(
            "/api/v1/handovers",
            &c.agent,
            json!({"company_id": c.company}),
        )
        .await;
    let hid = h["id"].as_str().unwrap();
    let form = "application/x-www-form-urlencoded";
    let path = format!("/handovers/{hid}/accept");
    let (s, _, _) = c
        .app
        .raw(
            "POST",
            &path,
            Some(&c.supervisor),
            Some("note=x".into()),
            form,
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let body = ids(&h)
        .iter()
        .map(|id| format!("ack=order%3A{id}"))
        .collect::<Vec<_>>()
        .join("&");
    let (s, headers, _) = c
        .app
        .raw("POST", &path, Some(&c.supervisor), Some(body), form, &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/queues");
    let (s, _, page) = c
        .app
        .raw("GET", "/queues/mine", Some(&c.supervisor), None, "", &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    let page = String::from_utf8(page).unwrap();
    let block = &page[page.find("id=\"handed-to-me\"").expect("handed-over block")..];
    assert!(block.contains(order["number"].as_str().unwrap()), "{block}");
    let (s, _, print) = c
        .app
        .raw(
            "GET",
            &format!("/handovers/{hid}/print"),
            Some(&c.agent),
            None,
            "",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let print = String::from_utf8(print).unwrap();
    assert!(!print.contains("header class=\"top\""), "no navigation");
    assert!(print.contains(order["number"].as_str().unwrap()));
}
