//! KPIs against a hand-computed fixture (SPEC §5, api-v1 "Reports").

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn kpi_equals_the_hand_computed_fixture() {
    let app = TestApp::new().await; // Monday 2026-03-02 09:00 Beijing
    let c = app.company("西山燃气", "gas").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let team = app.unit(&c, None, "维修站", "repair_team").await;
    let (_, agent) = app
        .user("agent", &["agent", "dispatcher"], Some(&centre), None)
        .await;
    let (_, handler) = app
        .user("handler", &["unit_handler"], Some(&team), None)
        .await;
    let (_, cb) = app
        .user("cb", &["callback_agent"], Some(&centre), None)
        .await;
    let (_, sup) = app.user("sup", &["supervisor"], Some(&centre), None).await;
    let create = |category: &str, extra: Value| {
        let mut body = json!({"company_id": c, "category": category, "channel": "phone", "description": "测试",
            "customer": {"phone": "13800000000"}});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let step = |id: String, tok: String, s: &'static str, b: Value| {
        let app = &app;
        async move {
            let (st, v) = app.post(&format!("/api/v1/orders/{id}/{s}"), &tok, b).await;
            assert_eq!(st, StatusCode::OK, "{s}: {v}");
        }
    };
    let mut ids = Vec::new();
    for (cat, extra) in [
        ("repair", json!({})), // 1: closed, satisfied
        ("repair", json!({})), // 2: contact missed, overdue
        ("query", json!({"resolved_at_once": {"answer": "已答复"}})), // 3: closed at once, no limits
        ("consult", json!({})),                                       // 4: open, on time
        ("complaint", json!({})),                                     // 5: cancelled, left out
        ("repair", json!({})),                                        // 6: closed, unsatisfied
    ] {
        let (s, o) = app.post("/api/v1/orders", &agent, create(cat, extra)).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        ids.push(o["id"].as_str().unwrap().to_owned());
    }
    for i in [0, 1, 3, 5] {
        step(
            ids[i].clone(),
            agent.clone(),
            "dispatch",
            json!({"unit_id": team}),
        )
        .await;
    }
    for (i, sat) in [(0, "satisfied"), (5, "unsatisfied")] {
        step(ids[i].clone(), handler.clone(), "accept", json!({})).await;
        step(
            ids[i].clone(),
            handler.clone(),
            "reply",
            json!({"result": "已修复"}),
        )
        .await;
        step(
            ids[i].clone(),
            agent.clone(),
            "review",
            json!({"approved": true}),
        )
        .await;
        step(
            ids[i].clone(),
            cb.clone(),
            "callbacks",
            json!({"reached": true, "satisfaction": sat, "matches_reply": true}),
        )
        .await;
        step(ids[i].clone(), cb.clone(), "close", json!({})).await;
    }
    step(
        ids[4].clone(),
        agent.clone(),
        "cancel",
        json!({"reason": "重复来电"}),
    )
    .await;
    app.advance(3 * 3600).await; // 12:00: order 2's 2 h contact limit is missed
    let day = format!("/api/v1/reports/kpi?company_id={c}&from=2026-03-02&to=2026-03-02");
    let (s, k) = app.get(&day, &sup).await;
    assert_eq!(s, StatusCode::OK, "{k}");
    assert_eq!(
        k,
        json!({"intake": 5, "closed": 3, "timely_rate": 0.75, "resolution_rate": 0.6,
        "satisfaction_rate": 0.5, "callback_rate": 1.0, "overdue": 1,
        "targets": {"timely_rate": null, "resolution_rate": null, "satisfaction_rate": null}})
    );
    // Tuesday 12:00: the consultation's 1-workday limit (Tuesday 09:00) has passed too; an order
    // of Tuesday stays outside Monday's figures.
    app.advance(24 * 3600).await;
    let (s, _) = app
        .post("/api/v1/orders", &agent, create("repair", json!({})))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, k) = app.get(&day, &sup).await;
    assert_eq!(
        k,
        json!({"intake": 5, "closed": 3, "timely_rate": 0.5, "resolution_rate": 0.6,
        "satisfaction_rate": 0.5, "callback_rate": 1.0, "overdue": 2,
        "targets": {"timely_rate": null, "resolution_rate": null, "satisfaction_rate": null}})
    );
    // One unit: the order answered at once has no unit.
    let (_, k) = app
        .get(
            &format!(
                "/api/v1/reports/kpi?company_id={c}&from=2026-03-02&to=2026-03-02&unit_id={team}"
            ),
            &sup,
        )
        .await;
    assert_eq!(k["intake"], 4);
    assert_eq!(k["closed"], 2);
    assert_eq!(k["resolution_rate"], 0.5);
    // An empty period: rates are null.
    let (_, k) = app
        .get(
            &format!("/api/v1/reports/kpi?company_id={c}&from=2026-01-01&to=2026-01-31"),
            &sup,
        )
        .await;
    assert_eq!(
        k,
        json!({"intake": 0, "closed": 0, "timely_rate": null, "resolution_rate": null,
        "satisfaction_rate": null, "callback_rate": null, "overdue": 0,
        "targets": {"timely_rate": null, "resolution_rate": null, "satisfaction_rate": null}})
    );
    let (s, v) = app
        .get(
            &format!("/api/v1/reports/kpi?company_id={c}&from=March&to=2026-03-02"),
            &sup,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "from");
    let (s, _) = app
        .get(
            &format!("/api/v1/reports/kpi?company_id={c}&from=2026-03-02&to=2026-03-02"),
            &handler,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn repeat_complaints_and_top_matters() {
    let app = TestApp::new().await; // Monday 2026-03-02 09:00 Beijing
    let c = app.company("西山燃气", "gas").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let (_, sup) = app.user("sup", &["supervisor"], Some(&centre), None).await;
    let complaint = |phone: &'static str, description: &'static str| {
        let app = &app;
        let (c, agent) = (c.clone(), agent.clone());
        async move {
            let body = json!({"company_id": c, "category": "complaint", "channel": "phone",
                "description": description, "customer": {"phone": phone, "community": "城北小区"}});
            let (s, o) = app.post("/api/v1/orders", &agent, body).await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            o["matter_id"].as_str().unwrap().to_owned()
        }
    };
    let road = "城北小区燃气管道施工后路面长期未恢复，出行困难";
    // One matter: the same caller twice (one repeat), a neighbour once.
    let m1 = complaint("13800000001", road).await;
    assert_eq!(complaint("13800000001", road).await, m1);
    assert_eq!(complaint("13800000002", road).await, m1);
    // Another matter, one complaint.
    let m2 = complaint("13900000009", "营业厅工作人员态度恶劣，拒绝办理过户").await;
    assert_ne!(m1, m2);
    let q = format!("company_id={c}&from=2026-03-02&to=2026-03-02");
    let (s, v) = app.get(&format!("/api/v1/reports/matters?{q}"), &sup).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{v}");
    assert_eq!(items[0]["matter_id"], m1.as_str());
    assert_eq!(items[0]["complaints"], 3);
    assert_eq!(items[0]["repeat_complaints"], 1);
    assert_eq!(items[0]["open"], 3);
    assert_eq!(items[1]["matter_id"], m2.as_str());
    assert_eq!(items[1]["repeat_complaints"], 0);
    let (_, v) = app
        .get(&format!("/api/v1/reports/matters?{q}&limit=1"), &sup)
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (s, v) = app
        .get(&format!("/api/v1/reports/matters?{q}&limit=0"), &sup)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "limit");
    // The breakdown counts the repeat against the category.
    let (s, v) = app
        .get(
            &format!("/api/v1/reports/kpi/breakdown?{q}&by=category"),
            &sup,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"][0]["key"], "complaint");
    assert_eq!(v["items"][0]["intake"], 4);
    assert_eq!(v["items"][0]["repeat_complaints"], 1);
    // By subtype, every order is counted once.
    let (s, v) = app
        .get(
            &format!("/api/v1/reports/kpi/breakdown?{q}&by=subtype"),
            &sup,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let total: i64 = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["intake"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 4);
}
