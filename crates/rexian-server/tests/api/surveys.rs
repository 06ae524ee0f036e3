//! Customer register lookups and the monthly satisfaction survey (`000:三.2`).

use axum::http::StatusCode;
use rexian_store::customers::Customer;
use rexian_testkit::TestApp;
use serde_json::json;

async fn heat_with_register() -> (TestApp, String, String, String) {
    let app = TestApp::new().await;
    let c = app.company("北辰热力", "heat").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let (_, supervisor) = app.user("sup", &["supervisor"], Some(&centre), None).await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let cid: i64 = c.parse().unwrap();
    let sizes = [3000usize, 1800, 700, 2500, 1200, 800];
    let mut rows = Vec::new();
    for (k, size) in sizes.iter().enumerate() {
        for i in 0..*size {
            rows.push(Customer {
                company_id: cid,
                account_no: format!("{k}-{i:05}"),
                name: format!("住户{k}{i}"),
                phone: Some(format!("139{k}{i:07}")),
                community: Some(format!("小区{k}")),
                residential: i % 12 != 0,
                ..Default::default()
            });
        }
    }
    app.state
        .store
        .import_customers(&rows, 0, |_| {})
        .await
        .unwrap();
    (app, c, supervisor, agent)
}

#[tokio::test]
async fn survey_sample_is_even_over_communities_and_reproducible_000_s3_2() {
    let (app, c, sup, _) = heat_with_register().await;
    let (s, v) = app
        .post(
            "/api/v1/surveys",
            &sup,
            json!({"company_id": c, "month": "2026-12", "per_mille": 6}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "per_mille");
    let (s, v) = app
        .post(
            "/api/v1/surveys",
            &sup,
            json!({"company_id": c, "month": "2026-12", "per_mille": 5, "seed": 42}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["sample_size"], 50, "5 ‰ of 10,000 households");
    let id = v["id"].as_str().unwrap();
    let (_, survey) = app.get(&format!("/api/v1/surveys/{id}"), &sup).await;
    // Measure of evenness: every community's draw is within one household of its proportional
    // share (sample size × community size / register size).
    for row in survey["spread"].as_array().unwrap() {
        let (n, d) = (
            row["households"].as_f64().unwrap(),
            row["drawn"].as_f64().unwrap(),
        );
        assert!((d - 50.0 * n / 10_000.0).abs() <= 1.0, "{row}");
    }
    let residential = survey["sample"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["customer"]["residential"] == true)
        .count();
    assert!(residential >= 45, "mostly residential: {residential} of 50");
    // Same seed, same sample (another month).
    let (_, again) = app
        .post(
            "/api/v1/surveys",
            &sup,
            json!({"company_id": c, "month": "2027-01", "per_mille": 5, "seed": 42}),
        )
        .await;
    let (_, survey2) = app
        .get(
            &format!("/api/v1/surveys/{}", again["id"].as_str().unwrap()),
            &sup,
        )
        .await;
    let ids = |v: &serde_json::Value| {
        v["sample"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["customer"]["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&survey), ids(&survey2));
    let (s, v) = app
        .post(
            "/api/v1/surveys",
            &sup,
            json!({"company_id": c, "month": "2026-12", "per_mille": 3}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one survey per month: {v}");
    // Answers and results.
    let first = survey["sample"][0]["customer"]["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/surveys/{id}/answers"),
            &sup,
            json!({"customer_id": first, "satisfaction": "satisfied",
        "answers": {"室温": "22度", "服务态度": "好"}}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app
        .post(
            &format!("/api/v1/surveys/{id}/answers"),
            &sup,
            json!({"customer_id": "1", "satisfaction": "satisfied"}),
        )
        .await;
    if first != "1" {
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    let (_, survey) = app.get(&format!("/api/v1/surveys/{id}"), &sup).await;
    assert_eq!(survey["results"]["satisfaction_rate"], 1.0);
    assert_eq!(survey["results"]["counts"]["unanswered"], 49);
}

#[tokio::test]
async fn customer_lookup_by_phone_prefix_shows_their_orders() {
    let (app, c, _, agent) = heat_with_register().await;
    let (_, found) = app.get("/api/v1/customers?q=13900000012", &agent).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    let (_, prefix) = app.get("/api/v1/customers?q=1390000001", &agent).await;
    assert_eq!(prefix["items"].as_array().unwrap().len(), 10);
    let cust = &found["items"][0];
    // Before verification the search shows the account number masked (002:§14(1)).
    assert_eq!(cust["account_no"], "0-***12", "{cust}");
    assert_eq!(cust["verified"], false);
    let (s, _) = app.post("/api/v1/orders", &agent, json!({"company_id": c, "category": "repair", "subtype": "not_warm",
        "channel": "phone", "description": "暖气不热", "customer": {"phone": cust["phone"], "account_no": "0-00012"}})).await;
    assert_eq!(s, StatusCode::CREATED);
    let path = format!("/api/v1/customers/{}", cust["id"].as_str().unwrap());
    // Account information only after the caller's identity is verified (002:§14(1)).
    let (_, detail) = app.get(&path, &agent).await;
    assert_eq!(detail["verified"], false, "{detail}");
    assert!(detail["account_no"] == "0-***12" && detail["orders"].is_null());
    let (_, v) = app
        .post(
            &format!("{path}/verify"),
            &agent,
            json!({"name": cust["name"], "phone": "13999999999"}),
        )
        .await;
    assert_eq!(v["verified"], false);
    assert_eq!(v["mismatched"], json!(["phone"]));
    let (_, v) = app
        .post(
            &format!("{path}/verify"),
            &agent,
            json!({"name": cust["name"], "phone": cust["phone"]}),
        )
        .await;
    assert_eq!(v["verified"], true, "{v}");
    let (_, detail) = app.get(&path, &agent).await;
    assert_eq!(detail["verified"], true);
    assert_eq!(detail["account_no"], "0-00012");
    assert_eq!(detail["orders"].as_array().unwrap().len(), 1);
    app.advance(31 * 60).await;
    let (_, detail) = app.get(&path, &agent).await;
    assert_eq!(detail["verified"], false, "a verification lasts 30 minutes");
    let (s, v) = app
        .post(
            "/api/v1/customers",
            &agent,
            json!({"company_id": c, "account_no": "0-00012", "name": "重复"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"]["field"], "account_no");
    let (s, v) = app
        .post(
            "/api/v1/customers",
            &agent,
            json!({"company_id": c, "account_no": "NEW-1", "name": "新户", "community": "小区9"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}
