//! `GET /api/v1/search` (api-v1 "Search"): Chinese words, phone prefix, order number, address
//! fragments; best first; only what the caller may see.

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::json;

#[tokio::test]
async fn search_finds_by_words_phone_number_and_address_within_access() {
    let app = TestApp::new().await;
    let c = app.company("北辰热力", "heat").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let st1 = app.unit(&c, None, "和平里换热站", "station").await;
    let st2 = app.unit(&c, None, "幸福里换热站", "station").await;
    let (_, agent) = app
        .user("agent", &["agent", "dispatcher"], Some(&centre), None)
        .await;
    let (_, h1) = app.user("h1", &["unit_handler"], Some(&st1), None).await;
    let (_, h2) = app.user("h2", &["unit_handler"], Some(&st2), None).await;
    let mk = |desc: &str, phone: &str, addr: &str, anon: bool, cat: &str| {
        json!({"company_id": c, "category": cat, "channel": "phone", "description": desc, "anonymous": anon,
            "customer": {"name": "孙先生", "phone": phone, "address": addr, "community": "和平里"}})
    };
    let (_, a) = app
        .post(
            "/api/v1/orders",
            &agent,
            mk(
                "卧室暖气不热，温度只有十五度",
                "13811110001",
                "和平里东街3号楼2单元301",
                false,
                "repair",
            ),
        )
        .await;
    let (_, b) = app
        .post(
            "/api/v1/orders",
            &agent,
            mk(
                "维修工态度恶劣",
                "13911110002",
                "和平里西街5号楼",
                true,
                "complaint",
            ),
        )
        .await;
    for (o, unit) in [(&a, &st1), (&b, &st1)] {
        let (s, v) = app
            .post(
                &format!("/api/v1/orders/{}/dispatch", o["id"].as_str().unwrap()),
                &agent,
                json!({"unit_id": unit}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let search = |tok: String, q: &'static str| {
        let app = &app;
        async move {
            let (s, v) = app
                .get(&format!("/api/v1/search?q={}", urlencode(q)), &tok)
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["items"].as_array().unwrap().clone()
        }
    };
    // Multi-character Chinese words, as typed.
    let r = search(agent.clone(), "暖气不热").await;
    assert_eq!(r[0]["id"], a["id"]);
    assert_eq!(r[0]["kind"], "order");
    assert!(r[0]["snippet"].as_str().unwrap().contains("暖气不热"));
    // Phone prefix and whole number, order number, address fragment.
    assert_eq!(search(agent.clone(), "1381111").await[0]["id"], a["id"]);
    let number: &'static str = Box::leak(a["number"].as_str().unwrap().to_owned().into_boxed_str());
    assert_eq!(search(agent.clone(), number).await[0]["id"], a["id"]);
    assert_eq!(search(agent.clone(), "3号楼2单元").await[0]["id"], a["id"]);
    // The contact ledger is searchable too (each intake is a contact).
    assert!(search(agent.clone(), "13911110002")
        .await
        .iter()
        .any(|h| h["kind"] == "contact"));
    // A unit finds its orders, never an anonymous complainant by phone; another unit nothing.
    assert_eq!(search(h1.clone(), "暖气").await.len(), 1);
    assert!(search(h1.clone(), "13911110002").await.is_empty());
    assert_eq!(
        search(h1.clone(), "态度恶劣").await.len(),
        1,
        "found by its words, not by the person"
    );
    assert!(search(h2.clone(), "暖气").await.is_empty());
    let (s, v) = app.get("/api/v1/search?q=", &agent).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "q");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
