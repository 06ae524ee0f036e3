//! Complaint grades and matters (`002:§14(6)`): the proposed match and the grades of a growing
//! matter; and timers on two nodes sharing one database.

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

async fn complaint(app: &TestApp, token: &str, company: &str, phone: &str, extra: Value) -> Value {
    let mut body = json!({"company_id": company, "category": "complaint", "channel": "phone",
        "description": "城北小区燃气管道施工后路面长期未恢复，出行困难", "customer": {"phone": phone, "community": "城北小区"}});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let (s, o) = app.post("/api/v1/orders", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    o
}

#[tokio::test]
async fn growing_matter_changes_grades_3_2_1_002_s14_6() {
    let app = TestApp::new().await;
    let c = app.company("西山燃气", "gas").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let team = app.unit(&c, None, "城北事业部", "division").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let first = complaint(&app, &agent, &c, "13800000001", json!({})).await;
    assert_eq!(first["grade"], 3, "one complaint: 轻度");
    let finish = |o: &Value| -> String {
        o["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == "finish")
            .unwrap()["due_at"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (s, d) = app
        .post(
            &format!("/api/v1/orders/{}/dispatch", first["id"].as_str().unwrap()),
            &agent,
            json!({"unit_id": team}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(
        finish(&d),
        "2026-03-02T04:00:00Z",
        "grade 3: handled within 3 h"
    );
    let matter = first["matter_id"].as_str().unwrap().to_owned();
    // Grade 3 complaints are handled within 3 h.
    let (_, o) = app
        .get(
            &format!("/api/v1/orders/{}", first["id"].as_str().unwrap()),
            &agent,
        )
        .await;
    assert!(o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["kind"] == "dispatch"));
    let mut last = first.clone();
    for i in 2..=5 {
        last = complaint(&app, &agent, &c, &format!("1380000000{i}"), json!({})).await;
        assert_eq!(
            last["matter_id"],
            matter.as_str(),
            "the product proposes the same matter"
        );
    }
    assert_eq!(
        last["grade"], 2,
        "5 different complainants within a month: 一般"
    );
    let (_, o1) = app
        .get(
            &format!("/api/v1/orders/{}", first["id"].as_str().unwrap()),
            &agent,
        )
        .await;
    assert_eq!(
        o1["grade"], 2,
        "earlier open complaints of the matter are regraded"
    );
    assert!(o1["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "regraded" && e["data"]["to"] == 2));
    let media = complaint(
        &app,
        &agent,
        &c,
        "13800000009",
        json!({"media_exposed": true}),
    )
    .await;
    assert_eq!(media["grade"], 1, "media exposure: 重大");
    let (_, o1) = app
        .get(
            &format!("/api/v1/orders/{}", first["id"].as_str().unwrap()),
            &agent,
        )
        .await;
    assert_eq!(o1["grade"], 1);
    let (_, m) = app.get(&format!("/api/v1/matters/{matter}"), &agent).await;
    assert_eq!(m["orders"].as_array().unwrap().len(), 6);
    // A collective complaint of 5 people is grade 2 on its own; a different text starts a new matter.
    let coll = complaint(
        &app,
        &agent,
        &c,
        "13900000000",
        json!({"complainants": 6, "description": "物业代收燃气费后迟迟不交，导致停气"}),
    )
    .await;
    assert_ne!(coll["matter_id"], matter.as_str());
    assert_eq!(coll["grade"], 2);
    // The agent can override the proposal by naming the matter.
    let joined = complaint(
        &app,
        &agent,
        &c,
        "13900000001",
        json!({"matter_id": matter, "description": "别的描述"}),
    )
    .await;
    assert_eq!(joined["matter_id"], matter.as_str());
    let (s, v) = app
        .post(
            "/api/v1/orders",
            &agent,
            json!({"company_id": c, "category": "complaint", "channel": "phone",
        "description": "x", "matter_id": "424242"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "matter_id");
}

#[tokio::test]
async fn same_customer_five_times_is_grade_1_002_s14_6() {
    let app = TestApp::new().await;
    let c = app.company("西山燃气", "gas").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let mut last = Value::Null;
    for _ in 0..5 {
        last = complaint(&app, &agent, &c, "13700000000", json!({})).await;
    }
    assert_eq!(last["grade"], 1);
}

#[tokio::test]
async fn two_nodes_apply_each_timer_effect_once() {
    let app = TestApp::new().await;
    let c = app.company("西山燃气", "gas").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let team = app.unit(&c, None, "维修站", "repair_team").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let (_, o) = app
            .post(
                "/api/v1/orders",
                &agent,
                json!({"company_id": c, "category": "repair", "channel": "phone",
            "description": format!("漏气 {i}")}),
            )
            .await;
        let id = o["id"].as_str().unwrap().to_owned();
        let (s, _) = app
            .post(
                &format!("/api/v1/orders/{id}/dispatch"),
                &agent,
                json!({"unit_id": team}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        ids.push(id);
    }
    // A second node: its own connection pool on the same database.
    let other = rexian_store::Store::connect(&app.url).await.unwrap();
    let now = app.state.clock.now() + chrono::Duration::hours(7);
    let (a, b) = tokio::join!(
        rexian_jobs::run_due(&app.state.store, now, 7),
        rexian_jobs::run_due(&other, now, 7),
    );
    let applied = a.unwrap() + b.unwrap();
    app.state.clock.set(now);
    let mut events = 0;
    for id in &ids {
        let (_, o) = app.get(&format!("/api/v1/orders/{id}"), &agent).await;
        let evs = o["events"].as_array().unwrap();
        let missed = evs
            .iter()
            .filter(|e| e["type"] == "deadline_missed" && e["data"]["deadline"] == "contact")
            .count();
        assert_eq!(missed, 1, "order {id}: {evs:?}");
        events += evs
            .iter()
            .filter(|e| e["data"]["level"].is_number())
            .count() as u64;
    }
    assert_eq!(applied, events, "every effect applied by exactly one node");
    // 7 h past dispatch with a 2 h contact limit: levels 1, 2, 3 each once per order.
    let (_, sup) = app
        .get(&format!("/api/v1/orders/{}/supervision", ids[0]), &agent)
        .await;
    let contact_levels = sup["items"].as_array().unwrap().len();
    assert!(contact_levels >= 3, "{sup}");
}

fn finish_due(o: &Value) -> Option<String> {
    o["deadlines"]
        .as_array()?
        .iter()
        .rev()
        .find(|d| d["kind"] == "finish")
        .and_then(|d| d["due_at"].as_str())
        .map(str::to_owned)
}

fn regraded(o: &Value) -> Vec<(Value, Value)> {
    o["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "regraded")
        .map(|e| (e["data"]["from"].clone(), e["data"]["to"].clone()))
        .collect()
}

#[tokio::test]
async fn complaint_002_14_6_undispatched_complaints_are_regraded() {
    let app = TestApp::new().await;
    let c = app.company("西山燃气", "gas").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let team = app.unit(&c, None, "城北事业部", "division").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    // Four complaints, ten minutes apart; the first is dispatched (its finish limit runs:
    // grade 3, 3 h), the others wait.
    let mut early = Vec::new();
    for i in 1..=4 {
        if i > 1 {
            let now = app.state.clock.now() + chrono::Duration::minutes(10);
            app.state.clock.set(now);
        }
        let o = complaint(&app, &agent, &c, &format!("1360000000{i}"), json!({})).await;
        assert_eq!(o["grade"], 3);
        early.push(o["id"].as_str().unwrap().to_owned());
        if i == 1 {
            let (s, d) = app
                .post(
                    &format!("/api/v1/orders/{}/dispatch", early[0]),
                    &agent,
                    json!({"unit_id": team}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{d}");
            assert_eq!(finish_due(&d).as_deref(), Some("2026-03-02T04:00:00Z"));
        }
    }
    let now = app.state.clock.now() + chrono::Duration::minutes(10);
    app.state.clock.set(now);
    let fifth = complaint(&app, &agent, &c, "13600000005", json!({})).await;
    assert_eq!(fifth["grade"], 2, "5 complainants within a month: 一般");
    for id in &early {
        let (_, o) = app.get(&format!("/api/v1/orders/{id}"), &agent).await;
        assert_eq!(o["grade"], 2, "open complaint {id} is regraded: {o}");
        assert_eq!(regraded(&o), [(json!(3), json!(2))], "one event: {o}");
    }
    let (_, o) = app
        .get(&format!("/api/v1/orders/{}", early[0]), &agent)
        .await;
    assert_eq!(
        finish_due(&o).as_deref(),
        Some("2026-03-03T01:00:00Z"),
        "grade 2: 24 h from the dispatch"
    );
    // Media exposure: every open complaint, dispatched or not, becomes grade 1 (48 h).
    let media = complaint(
        &app,
        &agent,
        &c,
        "13600000006",
        json!({"media_exposed": true}),
    )
    .await;
    assert_eq!(media["grade"], 1);
    for id in early
        .iter()
        .chain([fifth["id"].as_str().unwrap().to_owned()].iter())
    {
        let (_, o) = app.get(&format!("/api/v1/orders/{id}"), &agent).await;
        assert_eq!(o["grade"], 1, "{o}");
        assert_eq!(regraded(&o).last(), Some(&(json!(2), json!(1))));
    }
    let (_, o) = app
        .get(&format!("/api/v1/orders/{}", early[0]), &agent)
        .await;
    assert_eq!(finish_due(&o).as_deref(), Some("2026-03-04T01:00:00Z"));
    // A later complaint joins at the matter's grade; nothing is regraded again.
    let later = complaint(&app, &agent, &c, "13600000007", json!({})).await;
    assert_eq!(later["grade"], 1);
    let (_, o) = app
        .get(&format!("/api/v1/orders/{}", early[1]), &agent)
        .await;
    assert_eq!(regraded(&o).len(), 2, "{o}");
}

#[tokio::test]
async fn complaint_002_14_6_regrade_moves_the_finish_limit_by_the_units_area_class() {
    let app = TestApp::new().await;
    let c = app.company("西山燃气", "gas").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    // Grade 2 complaints held by a remote unit get 36 h (the company's own area: 24 h).
    let (s, v) = app
        .put(
            &format!("/api/v1/companies/{c}/policy"),
            &app.admin,
            json!({"override": "[[rule]]\ncategory = \"complaint\"\ngrade = 2\narea = \"remote\"\nclause = \"test\"\nfinish = { hours = 36 }\n"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut teams = Vec::new();
    for (name, area) in [("城区站", Value::Null), ("山区站", json!("remote"))] {
        let body = json!({"company_id": c, "name": name, "kind": "division", "area": area});
        let (s, v) = app.post("/api/v1/units", &app.admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        teams.push(v["id"].as_str().unwrap().to_owned());
    }
    let mut ids = Vec::new();
    for (i, team) in teams.iter().enumerate() {
        let o = complaint(&app, &agent, &c, &format!("1350000000{i}"), json!({})).await;
        let id = o["id"].as_str().unwrap().to_owned();
        let (s, d) = app
            .post(
                &format!("/api/v1/orders/{id}/dispatch"),
                &agent,
                json!({"unit_id": team}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        ids.push(id);
    }
    for i in 2..5 {
        complaint(&app, &agent, &c, &format!("1350000000{i}"), json!({})).await;
    }
    let due = |id: &str| {
        let app = &app;
        let agent = agent.clone();
        let id = id.to_owned();
        async move {
            let (_, o) = app.get(&format!("/api/v1/orders/{id}"), &agent).await;
            assert_eq!(o["grade"], 2, "{o}");
            finish_due(&o)
        }
    };
    assert_eq!(due(&ids[0]).await.as_deref(), Some("2026-03-03T01:00:00Z"));
    assert_eq!(
        due(&ids[1]).await.as_deref(),
        Some("2026-03-03T13:00:00Z"),
        "the remote unit's limit"
    );
}

#[tokio::test]
async fn complaint_002_14_6_matter_counts_are_kept_with_the_matter_not_recounted() {
    let app = TestApp::new().await;
    let c = app.company("西山燃气", "gas").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    // 30 complaints from 6 complainants, each of them five times.
    let mut ids = Vec::new();
    for i in 0..30 {
        let phone = format!("1340000{:04}", (i * 5) % 6);
        let o = complaint(&app, &agent, &c, &phone, json!({})).await;
        ids.push((o["id"].as_str().unwrap().to_owned(), phone));
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/orders/{}/cancel", ids[3].0),
            &agent,
            json!({"reason": "重复录入"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, first) = app
        .get(&format!("/api/v1/orders/{}", ids[0].0), &agent)
        .await;
    let matter: i64 = first["matter_id"].as_str().unwrap().parse().unwrap();
    // Recount from the orders themselves.
    let mut complaints = 0;
    let mut who = std::collections::BTreeMap::<String, i64>::new();
    let mut regrades = 0;
    for (id, phone) in &ids {
        let (_, o) = app.get(&format!("/api/v1/orders/{id}"), &agent).await;
        assert_eq!(o["matter_id"], first["matter_id"]);
        regrades = regrades.max(regraded(&o).len());
        if o["status"] != "cancelled" {
            complaints += 1;
            *who.entry(phone.clone()).or_default() += 1;
        }
    }
    let kept = app.state.store.matter_row(matter).await.unwrap();
    assert_eq!(kept.complaints, complaints);
    assert_eq!(kept.complainants, who.len() as i64);
    assert_eq!(kept.grade, Some(1), "a complainant 5 times or more: 重大");
    // Grade 3 → 2 → 1: no complaint is regraded more than twice, however many join.
    assert!(regrades <= 2, "{regrades}");
}
