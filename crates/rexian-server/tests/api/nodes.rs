//! Several nodes on one database (issue 22): what one node keeps in memory follows what another
//! changes, and an idempotency key answers the same on every node.

use std::time::Duration;

use axum::http::StatusCode;
use rexian_testkit::{get_from, post_keyed_to, post_to, Centre};
use serde_json::json;

/// Reads company `id` on `router` until its season starts on `start` (a change on another node
/// reaches this one's memory through the database's notification; bounded wait, no timing
/// assertion).
async fn season_seen(router: &axum::Router, token: &str, id: &str, start: &str) -> bool {
    for _ in 0..100 {
        let (s, v) = get_from(router, &format!("/api/v1/companies/{id}"), token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if v["season"]["start"] == start {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_company_changed_on_one_node_is_seen_on_the_other() {
    let c = Centre::new("heat").await;
    let (other, _dir) = c.app.second_node().await;
    let path = format!("/api/v1/companies/{}/season", c.company);
    for start in ["2026-11-15", "2026-11-01"] {
        // The other node reads (and may keep) the company, then this node changes it.
        let (s, _) = get_from(
            &other,
            &format!("/api/v1/companies/{}", c.company),
            &c.app.admin,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let body = json!({"start": start, "end": "2027-03-15"});
        let (s, v) = c.app.put(&path, &c.app.admin, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // This node at once; the other as soon as the change reaches it.
        let (_, v) = c
            .app
            .get(&format!("/api/v1/companies/{}", c.company), &c.app.admin)
            .await;
        assert_eq!(v["season"]["start"], start);
        assert!(
            season_seen(&other, &c.app.admin, &c.company, start).await,
            "{start}"
        );
    }
}

#[tokio::test]
async fn an_idempotency_key_answers_the_same_on_both_nodes() {
    let c = Centre::new("water").await;
    let (other, _dir) = c.app.second_node().await;
    let body = json!({"company_id": c.company, "category": "repair", "channel": "phone",
        "description": "水管漏水", "customer": {"phone": "13900001111"}});
    let key = "nodes-key-1";
    let (s1, first) =
        post_keyed_to(&c.app.router, "/api/v1/orders", &c.agent, body.clone(), key).await;
    assert_eq!(s1, StatusCode::CREATED, "{first}");
    let (s2, again) = post_keyed_to(&other, "/api/v1/orders", &c.agent, body.clone(), key).await;
    assert_eq!(s2, StatusCode::CREATED, "{again}");
    assert_eq!(again["number"], first["number"]);
    // The same key with another body is refused on either node.
    let mut changed = body.clone();
    changed["description"] = json!("水表坏了");
    let (s3, v) = post_keyed_to(&other, "/api/v1/orders", &c.agent, changed, key).await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "idempotency_key_reused");
    // Without a key, a new order each time.
    let (s4, v) = post_to(&c.app.router, "/api/v1/orders", &c.agent, body).await;
    assert_eq!(s4, StatusCode::CREATED, "{v}");
    assert_ne!(v["number"], first["number"]);
}

#[tokio::test]
async fn writes_sharing_transactions_keep_each_request_whole() {
    // PostgreSQL with group commit (`--pg-committers`): concurrent intakes share transactions;
    // a refused one (a reused key with another body) rolls back alone. On SQLite writes always
    // share the writer's transactions.
    let c = Centre::new("gas").await;
    let (node, _dir) = c.app.node(2).await;
    let order = |i: usize| {
        json!({"company_id": c.company, "category": "repair", "channel": "phone",
            "description": format!("燃气表不走字 {i}"), "customer": {"phone": format!("1380000{i:04}")}})
    };
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (node, token, body) = (node.clone(), c.agent.clone(), order(i));
        tasks.push(tokio::spawn(async move {
            // Every fourth request sends its key twice: once with its body, once with another.
            let key = format!("grouped-{i}");
            let (s, v) = post_keyed_to(&node, "/api/v1/orders", &token, body.clone(), &key).await;
            let refused = if i % 4 == 0 {
                let mut other = body;
                other["description"] = json!("另一件事");
                let (s2, v2) = post_keyed_to(&node, "/api/v1/orders", &token, other, &key).await;
                Some((s2, v2))
            } else {
                None
            };
            (s, v, refused)
        }));
    }
    let mut numbers = std::collections::HashSet::new();
    for t in tasks {
        let (s, v, refused) = t.await.unwrap();
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert!(
            numbers.insert(v["number"].as_str().unwrap().to_owned()),
            "{v}"
        );
        if let Some((s2, v2)) = refused {
            assert_eq!(s2, StatusCode::UNPROCESSABLE_ENTITY, "{v2}");
        }
        // Every order is whole: read back with its first event.
        let id = v["id"].as_str().unwrap();
        let (s, full) = get_from(&node, &format!("/api/v1/orders/{id}"), &c.agent).await;
        assert_eq!(s, StatusCode::OK, "{full}");
        assert_eq!(full["number"], v["number"]);
        assert!(!full["events"].as_array().unwrap().is_empty(), "{full}");
    }
    assert_eq!(numbers.len(), 24);
    // The same key and body sent twice at once: one order, the same answer to both (when both
    // land in one transaction, the second's conflict is answered after the commit).
    for i in 0..4 {
        let key = format!("grouped-twice-{i}");
        let body = order(100 + i);
        let a = post_keyed_to(&node, "/api/v1/orders", &c.agent, body.clone(), &key);
        let b = post_keyed_to(&node, "/api/v1/orders", &c.agent, body, &key);
        let ((s1, v1), (s2, v2)) = tokio::join!(a, b);
        assert_eq!(
            (s1, s2),
            (StatusCode::CREATED, StatusCode::CREATED),
            "{v1} {v2}"
        );
        assert_eq!(v1["number"], v2["number"]);
    }
}
