//! Order numbers (issue 22): unique across two nodes on one database under concurrent intake,
//! readable (`XX20260302-0001`), increasing per node within a day.

use std::collections::HashSet;

use axum::http::StatusCode;
use axum::Router;
use rexian_testkit::{post_to, Centre};
use serde_json::json;

async fn intake(router: &Router, token: &str, company: &str, i: usize) -> String {
    let body = json!({"company_id": company, "category": "repair", "channel": "phone",
        "description": format!("暖气漏水 {i}"), "customer": {"phone": format!("1390000{i:04}")}});
    let (status, v) = post_to(router, "/api/v1/orders", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["number"].as_str().unwrap().to_owned()
}

/// The day's sequence of a number `XX20260302-0042` → 42.
fn seq(number: &str) -> i64 {
    number.rsplit('-').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn numbers_are_unique_across_two_nodes_under_concurrent_intake() {
    let c = Centre::new("heat").await;
    let (other, _dir) = c.app.second_node().await;
    let nodes = [c.app.router.clone(), other];
    let per_node = 40;
    let mut tasks = Vec::new();
    for (n, router) in nodes.iter().enumerate() {
        // Each node takes its intakes one after another in a few concurrent streams.
        for stream in 0..4 {
            let (router, token, company) = (router.clone(), c.agent.clone(), c.company.clone());
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for k in 0..per_node / 4 {
                    let i = n * 1000 + stream * 100 + k;
                    got.push(intake(&router, &token, &company, i).await);
                }
                (n, got)
            }));
        }
    }
    let mut all = HashSet::new();
    for t in tasks {
        let (_, got) = t.await.unwrap();
        // Within one stream of one node, numbers increase.
        let seqs: Vec<i64> = got.iter().map(|n| seq(n)).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        for number in got {
            assert!(number.contains("20260302-"), "readable number: {number}");
            assert!(all.insert(number.clone()), "number {number} given twice");
        }
    }
    assert_eq!(all.len(), 2 * per_node);
    // Numbers stay small: gaps are at most one block per node.
    let max = all.iter().map(|n| seq(n)).max().unwrap();
    assert!(max <= 2 * per_node as i64 + 2 * 64, "max {max}");
}

#[tokio::test]
async fn a_quiet_centre_numbers_without_gaps() {
    let c = Centre::new("gas").await;
    let mut seqs = Vec::new();
    for _ in 0..3 {
        let o = c.order("repair", None).await;
        seqs.push(seq(o["number"].as_str().unwrap()));
        // Calls a few seconds apart: the block stays at one number.
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    }
    assert_eq!(seqs, vec![1, 2, 3]);
}
