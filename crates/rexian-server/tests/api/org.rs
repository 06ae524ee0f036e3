//! Companies, units, users and A/B partners (SPEC §1, §3 "Every company").

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::json;

#[tokio::test]
async fn company_defaults_to_its_utility_preset() {
    let app = TestApp::new().await;
    let (s, v) = app
        .post(
            "/api/v1/companies",
            &app.admin,
            json!({"name": "西山燃气", "utility": "gas"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = v["id"].as_str().unwrap();
    let (_, c) = app
        .get(&format!("/api/v1/companies/{id}"), &app.admin)
        .await;
    assert_eq!(c["policy"], "gas");
    assert_eq!(c["number_prefix"], "RQ");
    let (s, v) = app
        .post(
            "/api/v1/companies",
            &app.admin,
            json!({"name": "x", "utility": "oil"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "utility");
    let (s, v) = app
        .post(
            "/api/v1/companies",
            &app.admin,
            json!({"name": "x", "utility": "heat", "policy": "nope"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "policy");
    let (s, v) = app
        .post(
            "/api/v1/companies",
            &app.admin,
            json!({"name": "  ", "utility": "heat"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "name");
}

#[tokio::test]
async fn heating_season_is_set_per_company() {
    let app = TestApp::new().await;
    let c = app.company("北辰热力", "heat").await;
    let path = format!("/api/v1/companies/{c}/season");
    let (s, v) = app
        .put(
            &path,
            &app.admin,
            json!({"start": "2026-11-15", "end": "2027-03-15"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, c2) = app.get(&format!("/api/v1/companies/{c}"), &app.admin).await;
    assert_eq!(c2["season"]["start"], "2026-11-15");
    let (s, v) = app
        .put(
            &path,
            &app.admin,
            json!({"start": "2026-11-15", "end": "2026-11-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "end");
    let (s, v) = app
        .put(
            &path,
            &app.admin,
            json!({"start": "15/11/2026", "end": "2027-03-15"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "start");
    let (s, v) = app
        .put(
            "/api/v1/companies/999/season",
            &app.admin,
            json!({"start": "2026-11-15", "end": "2027-03-15"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "not_found");
}

#[tokio::test]
async fn units_form_a_tree_within_one_company() {
    let app = TestApp::new().await;
    let c = app.company("北辰热力", "heat").await;
    let other = app.company("东湖供电", "power").await;
    let div = app.unit(&c, None, "城东分公司", "division").await;
    let st = app.unit(&c, Some(&div), "和平里换热站", "station").await;
    let (_, v) = app
        .get(&format!("/api/v1/units?company_id={c}"), &app.admin)
        .await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["id"], st.as_str());
    assert_eq!(items[1]["parent_id"], div.as_str());
    // A parent from another company is refused, naming the field.
    let (s, v) = app
        .post(
            "/api/v1/units",
            &app.admin,
            json!({"company_id": other, "parent_id": div, "name": "x", "kind": "y"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "parent_id");
    let (s, v) = app
        .post(
            "/api/v1/units",
            &app.admin,
            json!({"company_id": "77", "name": "x", "kind": "y"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "company_id");
    let (s, v) = app
        .post(
            "/api/v1/units",
            &app.admin,
            json!({"company_id": true, "name": "x", "kind": "y"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "company_id");
}

#[tokio::test]
async fn users_have_roles_unit_staff_no_and_unique_login() {
    let app = TestApp::new().await;
    let c = app.company("西山燃气", "gas").await;
    let unit = app.unit(&c, None, "城北维修站", "repair_team").await;
    let body = json!({"login": "zhangwei", "name": "张伟", "password": "longenough1", "roles": ["unit_handler"],
        "unit_id": unit, "staff_no": "RQ001"});
    let (s, v) = app.post("/api/v1/users", &app.admin, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap();
    let (_, u) = app.get(&format!("/api/v1/users/{id}"), &app.admin).await;
    assert_eq!(u["company_id"], c.as_str(), "company follows the unit");
    assert_eq!(u["staff_no"], "RQ001");
    assert_eq!(u["roles"], json!(["unit_handler"]));
    assert!(u.get("password_hash").is_none());
    let (s, v) = app.post("/api/v1/users", &app.admin, body).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"]["code"], "conflict");
    assert_eq!(v["error"]["field"], "login");
    for (bad, field) in [
        (
            json!({"login": "a b", "name": "x", "password": "longenough1", "roles": ["agent"]}),
            "login",
        ),
        (
            json!({"login": "ab", "name": "x", "password": "short", "roles": ["agent"]}),
            "password",
        ),
        (
            json!({"login": "ab", "name": "x", "password": "longenough1", "roles": ["king"]}),
            "roles",
        ),
        (
            json!({"login": "ab", "name": "x", "password": "longenough1", "roles": []}),
            "roles",
        ),
        (
            json!({"login": "ab", "name": "x", "password": "longenough1", "roles": ["field_worker"]}),
            "unit_id",
        ),
        (
            json!({"login": "ab", "name": "x", "password": "longenough1", "roles": ["agent"], "unit_id": "999"}),
            "unit_id",
        ),
        (
            json!({"login": "ab", "name": "x", "roles": ["agent"]}),
            "password",
        ),
        (
            json!({"login": "ab", "name": "x", "password": "longenough1", "roles": ["agent"], "extra": 1}),
            "extra",
        ),
    ] {
        let (s, v) = app.post("/api/v1/users", &app.admin, bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(v["error"]["code"], "invalid_input");
        assert_eq!(v["error"]["field"], field, "{bad} -> {v}");
    }
}

#[tokio::test]
async fn ab_partners_pair_both_ways_and_every_change_is_an_event() {
    let app = TestApp::new().await;
    let c = app.company("南江供水", "water").await;
    let centre = app.unit(&c, None, "供水热线", "centre").await;
    let (a, _) = app.user("a-post", &["agent"], Some(&centre), None).await;
    let (b, _) = app.user("b-post", &["agent"], Some(&centre), None).await;
    let (s, v) = app
        .put(
            &format!("/api/v1/users/{a}/partner"),
            &app.admin,
            json!({"partner_id": b}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["partner_id"], b.as_str());
    let (_, vb) = app.get(&format!("/api/v1/users/{b}"), &app.admin).await;
    assert_eq!(vb["partner_id"], a.as_str());
    let (s, v) = app
        .put(
            &format!("/api/v1/users/{a}/partner"),
            &app.admin,
            json!({"partner_id": a}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "partner_id");
    let events = app
        .state
        .store
        .audit_events("user", a.parse().unwrap())
        .await
        .unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains(&"created") && kinds.contains(&"partner_set") && kinds.contains(&"login"),
        "{kinds:?}"
    );
}
