//! One `Idempotency-Key` layer for every POST of the API (issue 16): a retry with the same key
//! and body gets the first answer and makes nothing twice; another body under the key is
//! refused; a refused request is not kept, so it can be corrected under its key.

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

async fn send(
    app: &TestApp,
    token: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let (s, _, b) = app
        .raw(
            "POST",
            path,
            Some(token),
            Some(body.to_string()),
            "application/json",
            &[("Idempotency-Key", key)],
        )
        .await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

async fn count(app: &TestApp, token: &str, path: &str) -> usize {
    let (s, v) = app.get(path, token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn every_creating_post_is_answered_once_per_key() {
    let app = TestApp::new().await;
    let company = app.company("南江燃气", "gas").await;
    let centre = app.unit(&company, None, "热线中心", "centre").await;
    let (_, agent) = app
        .user("agent", &["agent", "dispatcher"], Some(&centre), None)
        .await;
    let admin = app.admin.clone();
    let cases: Vec<(&str, &str, Value, String)> = vec![
        (
            "/api/v1/units",
            &admin,
            json!({"company_id": company, "name": "城东站", "kind": "station"}),
            format!("/api/v1/units?company_id={company}"),
        ),
        (
            "/api/v1/customers",
            &admin,
            json!({"company_id": company, "account_no": "G-1001", "name": "李四",
                "phone": "13800000001", "community": "城东小区"}),
            format!("/api/v1/customers?company_id={company}&q=G-1001"),
        ),
        (
            "/api/v1/kb/articles",
            &admin,
            json!({"company_id": company, "category": "faq", "title": "燃气费怎么交",
                "body": "营业厅或网上缴费"}),
            "/api/v1/kb/articles".to_owned(),
        ),
        (
            "/api/v1/contacts",
            &agent,
            json!({"company_id": company, "channel": "phone", "caller_phone": "13800000002",
                "dropped": true}),
            format!("/api/v1/contacts/dropped?company_id={company}"),
        ),
    ];
    for (i, (path, token, body, list)) in cases.iter().enumerate() {
        let key = format!("retry-{i}");
        let before = count(&app, token, list).await;
        let (s, first) = send(&app, token, path, &key, body).await;
        assert!(s.is_success(), "{path}: {s} {first}");
        let (s2, again) = send(&app, token, path, &key, body).await;
        assert_eq!((s2, &again), (s, &first), "{path}: the first answer again");
        assert_eq!(
            count(&app, token, list).await,
            before + 1,
            "{path}: made once"
        );
        let mut other = body.clone();
        other["name"] = json!("另一个");
        let (s, v) = send(&app, token, path, &key, &other).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {v}");
        assert_eq!(v["error"]["code"], "idempotency_key_reused", "{path}");
    }
}

#[tokio::test]
async fn a_retried_step_gets_its_first_answer_and_a_refused_request_is_not_kept() {
    let app = TestApp::new().await;
    let company = app.company("南江燃气", "gas").await;
    let centre = app.unit(&company, None, "热线中心", "centre").await;
    let team = app.unit(&company, None, "一班", "repair_team").await;
    let (_, agent) = app
        .user("agent", &["agent", "dispatcher"], Some(&centre), None)
        .await;
    // Refused (no description), then corrected under the same key: taken.
    let mut order = json!({"company_id": company, "category": "repair", "subtype": "leak",
        "channel": "phone", "customer": {"phone": "13800000000"}});
    let (s, v) = send(&app, &agent, "/api/v1/orders", "intake-1", &order).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    order["description"] = json!("厨房漏气");
    let (s, o) = send(&app, &agent, "/api/v1/orders", "intake-1", &order).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_str().unwrap();
    // A dispatch whose answer was lost is sent again: the same answer, not a 409.
    let path = format!("/api/v1/orders/{id}/dispatch");
    let body = json!({"unit_id": team});
    let (s, first) = send(&app, &agent, &path, "dispatch-1", &body).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let (s, again) = send(&app, &agent, &path, "dispatch-1", &body).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["status"], "dispatched");
    assert_eq!(again["version"], first["version"], "not dispatched twice");
    // Without a key the step is refused as before.
    let (s, v) = app.post(&path, &agent, body).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // A key that is too long is refused, naming the header.
    let long = "k".repeat(201);
    let (s, v) = send(&app, &agent, "/api/v1/orders", &long, &order).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "Idempotency-Key");
}

/// A key is bound to its route: the same key and the same (empty) body sent to another route
/// is another request, refused, never answered with the first route's answer (schemathesis).
#[tokio::test]
async fn a_key_sent_to_another_route_is_refused_not_replayed() {
    let c = rexian_testkit::Centre::new("gas").await;
    let o = c.dispatched("repair", Some("leak")).await;
    let id = o["id"].as_str().unwrap();
    let (s, first) = send(
        &c.app,
        &c.handler,
        &format!("/api/v1/orders/{id}/accept"),
        "same-key",
        &json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let (s, v) = send(
        &c.app,
        &c.handler,
        &format!("/api/v1/orders/{id}/arrive"),
        "same-key",
        &json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "idempotency_key_reused");
}
