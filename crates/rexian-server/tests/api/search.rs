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

#[tokio::test]
async fn two_nodes_keep_their_own_index_from_the_shared_outbox() {
    let app = TestApp::new().await;
    let c = app.company("北辰热力", "heat").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let new_order = |desc: &'static str| {
        let (app, c, agent) = (&app, c.clone(), agent.clone());
        async move {
            let (s, o) = app
                .post(
                    "/api/v1/orders",
                    &agent,
                    json!({"company_id": c, "category": "repair", "channel": "phone", "description": desc}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            o["id"].as_str().unwrap().parse::<i64>().unwrap()
        }
    };
    let first = new_order("客厅暖气片漏水，地板泡了").await;
    // Node B: its own connection pool on the same database and its own index directory.
    let store_b = rexian_store::Store::connect(&app.url).await.unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let scope = rexian_search::Scope {
        company: Some(c.parse().unwrap()),
        ..Default::default()
    };
    let ids = |hits: Vec<rexian_search::Hit>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
    {
        let b = rexian_search::SearchIndex::open(dir_b.path()).unwrap();
        assert!(
            b.catch_up(&store_b).await.unwrap() >= 1,
            "B reads the outbox from the start"
        );
        assert_eq!(
            ids(b.search("漏水", &["order"], &scope, 10).unwrap()),
            vec![first]
        );
    }
    // A change written through node A reaches B's index; A's own index has it too.
    let second = new_order("楼道暖气管道漏水").await;
    let (s, v) = app.get("/api/v1/search?q=漏水&kind=order", &agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 2, "{v}");
    // B restarts: its cursor was kept in its own directory, so it reads only what is new.
    let b = rexian_search::SearchIndex::open(dir_b.path()).unwrap();
    let before = b.cursor().await;
    assert!(before > 0);
    assert!(b.catch_up(&store_b).await.unwrap() >= 1);
    assert!(b.cursor().await > before);
    let mut found = ids(b.search("漏水", &["order"], &scope, 10).unwrap());
    found.sort_unstable();
    assert_eq!(found, vec![first, second]);
    assert_eq!(
        b.catch_up(&store_b).await.unwrap(),
        0,
        "nothing new: nothing read"
    );
}
