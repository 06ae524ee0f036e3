//! Outage notices (issue 17, SPEC §6, `001`): received as drafts due by the end of the shift,
//! published, updated, restored; found by a caller's address in its usual spellings; a notice
//! left unpublished past its shift assessed once on the user who received it.

use axum::http::StatusCode;
use rexian_testkit::{enc, Centre};
use serde_json::{json, Value};

fn notice(c: &Centre) -> Value {
    json!({"company_id": c.company, "kind": "fault", "cause": "10kV城南线故障跳闸",
        "area": {"communities": ["幸福小区"], "buildings": ["和平里３栋"]},
        "start_at": "2026-03-02T00:30:00Z", "expected_end_at": "2026-03-02T06:00:00Z"})
}

async fn covering(c: &Centre, address: &str) -> Vec<String> {
    let path = format!(
        "/api/v1/outages?company_id={}&address={}",
        c.company,
        enc(address)
    );
    let (s, v) = c.app.get(&path, &c.agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_notice_is_due_in_its_shift_published_found_and_restored() {
    let c = Centre::new("power").await;
    // Received Monday 09:00 in Beijing: the power preset's shift runs 24 h from 08:00 (001).
    let (s, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    assert_eq!(n["status"], "draft");
    assert_eq!(n["publish_due_at"], "2026-03-03T00:00:00Z");
    assert_eq!(n["area"]["buildings"], json!(["和平里３栋"]));
    let id = n["id"].as_str().unwrap().to_owned();

    // Addresses in their usual spellings find it; a neighbour does not.
    assert_eq!(
        covering(&c, "建设路12号 幸福小区5号楼2单元").await,
        vec![id.clone()]
    );
    assert_eq!(covering(&c, "和平里3号楼101").await, vec![id.clone()]);
    assert_eq!(covering(&c, "和平里3幢101").await, vec![id.clone()]);
    assert!(covering(&c, "和平里4号楼101").await.is_empty());

    let step = |s: &'static str, body: Value| {
        let path = format!("/api/v1/outages/{id}/{s}");
        let c = &c;
        async move { c.app.post(&path, &c.agent, body).await }
    };
    let (s, v) = step("publish", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["late"].as_bool()),
        (Some("published"), Some(false))
    );
    assert_eq!(v["published_at"], "2026-03-02T01:00:00Z");
    let (s, v) = step("publish", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "invalid_transition");

    let (s, v) = step("update", json!({"expected_end_at": "2026-03-02T08:00:00Z"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["expected_end_at"], "2026-03-02T08:00:00Z");
    let (s, v) = step("update", json!({"expected_end_at": "2026-03-01T08:00:00Z"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "expected_end_at");

    let (s, v) = step("restore", json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "restored_at");
    let (s, v) = step("restore", json!({"restored_at": "2026-03-02T07:40:00Z"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "restored");
    // Restored: callers from the area are no longer told about it.
    assert!(covering(&c, "幸福小区5号楼").await.is_empty());
    let (s, v) = step("update", json!({"cause": "线路故障"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    // The list by status, and the notice itself.
    let path = format!("/api/v1/outages?company_id={}&status=restored", c.company);
    let (s, v) = c.app.get(&path, &c.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (s, v) = c.app.get(&format!("/api/v1/outages/{id}"), &c.agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["restored_at"], "2026-03-02T07:40:00Z");
    assert_eq!(v["contacts"], json!([]));
}

#[tokio::test]
async fn bad_notices_are_refused_naming_the_field() {
    let c = Centre::new("power").await;
    let with = |key: &str, value: Value| {
        let mut b = notice(&c);
        b[key] = value;
        b
    };
    for (body, field) in [
        (with("kind", json!("rumour")), "kind"),
        (with("cause", json!("  ")), "cause"),
        (with("area", json!({"communities": []})), "area"),
        (
            with("area", json!({"communities": ["东"]})),
            "area.communities",
        ),
        (
            with(
                "area",
                json!({"communities": ["幸福小区"], "stations": ["站".repeat(101)]}),
            ),
            "area.stations",
        ),
        (
            with("expected_end_at", json!("2026-03-01T00:00:00Z")),
            "expected_end_at",
        ),
        (with("company_id", json!("999999")), "company_id"),
    ] {
        let (s, v) = c.app.post("/api/v1/outages", &c.agent, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{field}: {v}");
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    // Unit staff do not handle notices.
    let (s, _) = c.app.post("/api/v1/outages", &c.handler, notice(&c)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_company_neither_sees_nor_files_notices() {
    let c = Centre::new("power").await;
    let other_company = c.app.company("北方燃气", "gas").await;
    let other_centre = c.app.unit(&other_company, None, "燃气热线", "centre").await;
    let (_, other_agent) = c
        .app
        .user("gas_agent", &["agent"], Some(&other_centre), None)
        .await;
    let (s, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    let id = n["id"].as_str().unwrap();
    let (s, _) = c
        .app
        .get(&format!("/api/v1/outages/{id}"), &other_agent)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/outages/{id}/publish"),
            &other_agent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = c
        .app
        .post("/api/v1/outages", &other_agent, notice(&c))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let path = format!("/api/v1/outages?company_id={}", other_company);
    let (s, v) = c.app.get(&path, &other_agent).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["items"], json!([]));
}

#[tokio::test]
async fn a_notice_left_to_the_next_shift_is_assessed_once_001() {
    let c = Centre::new("power").await;
    let (_, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let id = n["id"].as_str().unwrap().to_owned();
    let (_, published) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let pid = published["id"].as_str().unwrap();
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/outages/{pid}/publish"),
            &c.agent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Still a draft at 08:00 next morning: late, once, however often the sweep runs.
    c.app.advance(23 * 3600 - 60).await;
    let (_, v) = c.app.get(&format!("/api/v1/outages/{id}"), &c.agent).await;
    assert_eq!(v["late"], false, "{v}");
    c.app.advance(120).await;
    c.app.advance(3600).await;
    let (_, v) = c.app.get(&format!("/api/v1/outages/{id}"), &c.agent).await;
    assert_eq!(v["late"], true, "{v}");
    let st = format!(
        "/api/v1/assessment/statement?company_id={}&month=2026-03&detail=true",
        c.company
    );
    let (s, v) = c.app.get(&st, &c.assessor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let late: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule_code"] == "outage_notice_late")
        .collect();
    assert_eq!(late.len(), 1, "{v}");
    assert_eq!(late[0]["yuan"], -20.0);
    // On the agent who received it.
    assert_eq!(
        (
            late[0]["subject_kind"].as_str(),
            late[0]["subject"].as_str()
        ),
        (Some("人员"), Some("agent")),
        "{v}"
    );
    // The supervisor's screen lists it, late, until it is published.
    let (_, _, html) = c
        .app
        .raw("GET", "/supervise", Some(&c.supervisor), None, "", &[])
        .await;
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("sup-outages") && html.contains("超时未发布"),
        "{html}"
    );
    // Published late still counts as published.
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/outages/{id}/publish"),
            &c.agent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["late"].as_bool()),
        (Some("published"), Some(true))
    );
}

#[tokio::test]
async fn the_public_reads_published_notices_by_address_without_login() {
    let c = Centre::new("power").await;
    let (_, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let id = n["id"].as_str().unwrap().to_owned();
    let path = format!(
        "/api/v1/public/outages?company_id={}&address={}",
        c.company,
        enc("幸福小区５栋")
    );
    // A draft is not public yet.
    let (s, v) = c.app.call("GET", &path, None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"], json!([]));
    c.app
        .post(
            &format!("/api/v1/outages/{id}/publish"),
            &c.agent,
            json!({}),
        )
        .await;
    let (s, v) = c.app.call("GET", &path, None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let item = &v["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["cause"], "10kV城南线故障跳闸");
    assert_eq!(item["expected_end_at"], "2026-03-02T06:00:00Z");
    // Nothing internal: who received it, deadlines, linked orders.
    let mut keys: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["area", "cause", "expected_end_at", "id", "kind", "start_at"]
    );
    let (s, v) = c
        .app
        .call(
            "GET",
            &format!("/api/v1/public/outages?company_id={}", c.company),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "address");
}

#[tokio::test]
async fn the_screen_records_publishes_and_restores_a_notice() {
    const FORM: &str = "application/x-www-form-urlencoded";
    let c = Centre::new("power").await;
    assert!(screen(&c).await.contains("暂无停供通知"));
    let form = format!(
        "company_id={}&kind=planned&cause={}&communities={}&streets=&buildings=&stations=&start_at=2026-03-03T08:00&expected_end_at=2026-03-03T18:00",
        c.company,
        enc("线路检修"),
        enc("幸福小区、和平里\n建设新村")
    );
    let (s, h, _) = c
        .app
        .raw("POST", "/outages", Some(&c.agent), Some(form), FORM, &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(h["location"].to_str().unwrap().starts_with("/outages"));
    let html = screen(&c).await;
    assert!(
        html.contains("线路检修") && html.contains("幸福小区、和平里、建设新村"),
        "{html}"
    );
    assert!(html.contains("计划停供") && html.contains("待发布"));

    let path = format!("/api/v1/outages?company_id={}", c.company);
    let (_, v) = c.app.get(&path, &c.agent).await;
    let n = &v["items"][0];
    assert_eq!(
        n["start_at"], "2026-03-03T00:00:00Z",
        "local 08:00 in Beijing"
    );
    assert_eq!(
        n["area"]["communities"],
        json!(["幸福小区", "和平里", "建设新村"])
    );
    let id = n["id"].as_str().unwrap();
    for (step, form) in [
        ("publish", String::new()),
        ("restore", "restored_at=2026-03-03T17:30".to_owned()),
    ] {
        let (s, _, _) = c
            .app
            .raw(
                "POST",
                &format!("/outages/{id}/{step}"),
                Some(&c.agent),
                Some(form),
                FORM,
                &[],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{step}");
    }
    let (_, n) = c.app.get(&format!("/api/v1/outages/{id}"), &c.agent).await;
    assert_eq!(n["status"], "restored");
    assert_eq!(n["restored_at"], "2026-03-03T09:30:00Z");
    // A bad time is refused naming its field, and nothing changes.
    let (s, _, body) = c
        .app
        .raw("POST", "/outages", Some(&c.agent), Some(format!("company_id={}&kind=fault&cause=x&communities=%E4%B8%9C%E5%8C%BA&start_at=soon&expected_end_at=", c.company)), FORM, &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8(body).unwrap().contains("start_at"));
    // Unit staff have no such screen.
    let (s, _, _) = c
        .app
        .raw("GET", "/outages", Some(&c.handler), None, "", &[])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn screen(c: &Centre) -> String {
    let (s, _, body) = c
        .app
        .raw("GET", "/outages", Some(&c.agent), None, "", &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    String::from_utf8(body).unwrap()
}

#[tokio::test]
async fn notices_are_found_by_cause_and_place_by_the_centre_only() {
    let c = Centre::new("power").await;
    let (_, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let id = n["id"].as_str().unwrap().to_owned();
    for q in ["城南线", "幸福小区"] {
        let path = format!("/api/v1/search?q={}&kind=outage", enc(q));
        let (s, v) = c.app.get(&path, &c.agent).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["items"][0]["id"], id.as_str(), "{q}: {v}");
        assert_eq!(v["items"][0]["kind"], "outage");
        assert_eq!(v["items"][0]["title"], "10kV城南线故障跳闸");
    }
    // The restored notice is found with its new state; unit staff do not search notices.
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/outages/{id}/update"),
            &c.agent,
            json!({"cause": "城南线雷击跳闸"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = c
        .app
        .get(&format!("/api/v1/search?q={}", enc("雷击")), &c.agent)
        .await;
    assert_eq!(v["items"][0]["id"], id.as_str(), "{v}");
    let (_, v) = c
        .app
        .get(&format!("/api/v1/search?q={}", enc("幸福小区")), &c.handler)
        .await;
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["kind"] != "outage"),
        "{v}"
    );
}

#[tokio::test]
async fn the_report_shows_time_to_publish_and_late_notices() {
    let c = Centre::new("power").await;
    let (_, a) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let (_, b) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    c.app.advance(30 * 60).await;
    let a = a["id"].as_str().unwrap();
    let (s, _) = c
        .app
        .post(&format!("/api/v1/outages/{a}/publish"), &c.agent, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    // b is left to the next shift.
    c.app.advance(24 * 3600).await;
    let path = format!(
        "/api/v1/reports/outages?company_id={}&from=2026-03-01&to=2026-03-31",
        c.company
    );
    let (s, v) = c.app.get(&path, &c.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["notices"].as_u64(), v["late"].as_u64()),
        (Some(2), Some(1)),
        "{v}"
    );
    assert_eq!(v["median_minutes_to_publish"], 30);
    let late: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["late"] == true)
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(late, [b["id"].as_str().unwrap()]);
    let (s, _) = c.app.get(&path, &c.handler).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = c
        .app
        .get(
            &format!("/api/v1/reports/outages?company_id={}", c.company),
            &c.supervisor,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "from");
}

async fn call_from(c: &Centre, community: &str, subtype: &str, n: usize) {
    for i in 0..n {
        let body = json!({"company_id": c.company, "category": "repair", "subtype": subtype,
            "channel": "phone", "description": "家里停电了",
            "customer": {"phone": format!("1390000{i:04}"), "community": community}});
        let (s, v) = c.app.post("/api/v1/orders", &c.agent, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
}

async fn incidents(c: &Centre) -> Vec<Value> {
    let path = format!("/api/v1/incidents?company_id={}", c.company);
    let (s, v) = c.app.get(&path, &c.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn ten_calls_from_one_community_in_an_hour_are_one_incident_spec_6() {
    let c = Centre::new("power").await;
    // Nine in the hour: no incident yet; the tenth (spelt otherwise) opens it with all ten.
    call_from(&c, "幸福小区", "outage", 9).await;
    assert!(incidents(&c).await.is_empty());
    c.app.advance(50 * 60).await;
    call_from(&c, "幸福 小区", "outage", 1).await;
    let found = incidents(&c).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["orders"], 10);
    assert_eq!(found[0]["subtype"], "outage");
    assert_eq!(found[0]["first_at"], "2026-03-02T01:00:00Z");
    // Later calls join it, however late; another subtype or community does not.
    c.app.advance(3 * 3600).await;
    call_from(&c, "幸福小区", "outage", 2).await;
    call_from(&c, "幸福小区", "meter", 3).await;
    call_from(&c, "和平里", "outage", 3).await;
    let found = incidents(&c).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["orders"], 12);
    assert_eq!(found[0]["last_at"], "2026-03-02T04:50:00Z");
    // The notices screen shows the incident with its count.
    let (s, _, body) = c
        .app
        .raw(
            "GET",
            &format!("/outages/incidents?company_id={}", c.company),
            Some(&c.agent),
            None,
            "",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("幸福小区") && html.contains("<strong>12</strong>"),
        "{html}"
    );
    assert!(screen(&c).await.contains("incident-board"));
    // Unit staff have no incident board.
    let path = format!("/api/v1/incidents?company_id={}", c.company);
    assert_eq!(c.app.get(&path, &c.handler).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn calls_spread_over_more_than_the_window_open_no_incident() {
    let c = Centre::new("power").await;
    for _ in 0..4 {
        call_from(&c, "幸福小区", "outage", 3).await;
        c.app.advance(25 * 60).await;
    }
    // 12 calls, but never 10 within 60 minutes.
    assert!(incidents(&c).await.is_empty());
}

#[tokio::test]
async fn an_incident_is_linked_to_its_notice_and_closed_with_one_answer() {
    let c = Centre::new("power").await;
    call_from(&c, "幸福小区", "outage", 10).await;
    let found = incidents(&c).await;
    let id = found[0]["id"].as_str().unwrap().to_owned();
    // One of them is already with a unit: it goes on as it is.
    let path = format!("/api/v1/orders?company_id={}", c.company);
    let (_, list) = c.app.get(&path, &c.agent).await;
    let first = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/orders/{first}/dispatch"),
            &c.agent,
            json!({"unit_id": c.team}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let step = |s: &str| format!("/api/v1/incidents/{id}/{s}");
    let (s, v) = c
        .app
        .post(&step("link"), &c.supervisor, json!({"outage_id": n["id"]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["outage_id"], n["id"]);
    let (s, v) = c
        .app
        .post(&step("link"), &c.supervisor, json!({"outage_id": "999"}))
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("outage_id"))
    );

    let answer = "城南线故障抢修中，预计14:00恢复送电";
    let (s, v) = c
        .app
        .post(&step("close"), &c.supervisor, json!({"answer": answer}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["closed_orders"], 9);
    assert_eq!(v["incident"]["status"], "closed");
    let (_, list) = c.app.get(&path, &c.agent).await;
    let statuses: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == "closed").count(),
        9,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == "dispatched").count(), 1);
    // Each closed order has its own event with the answer.
    let closed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["status"] == "closed")
        .unwrap();
    let (_, o) = c
        .app
        .get(
            &format!("/api/v1/orders/{}", closed["id"].as_str().unwrap()),
            &c.agent,
        )
        .await;
    let ev = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "closed")
        .unwrap();
    assert_eq!(ev["data"]["reason"], answer);
    // Closed once; the next calls open a new incident only when ten come again.
    let (s, v) = c
        .app
        .post(&step("close"), &c.supervisor, json!({"answer": answer}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    call_from(&c, "幸福小区", "outage", 1).await;
    let open = c
        .app
        .get(
            &format!("/api/v1/incidents?company_id={}&open=true", c.company),
            &c.agent,
        )
        .await
        .1;
    assert_eq!(open["items"], json!([]));
}

#[tokio::test]
async fn the_order_page_of_a_caller_in_the_area_shows_the_notice() {
    let c = Centre::new("power").await;
    let (_, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let id = n["id"].as_str().unwrap();
    c.app
        .post(
            &format!("/api/v1/outages/{id}/publish"),
            &c.agent,
            json!({}),
        )
        .await;
    let body = json!({"company_id": c.company, "category": "repair", "subtype": "outage",
        "channel": "phone", "description": "家里没电了",
        "customer": {"phone": "13900000001", "address": "和平里３幢2单元"}});
    let (_, o) = c.app.post("/api/v1/orders", &c.agent, body).await;
    let page = format!("/orders/{}", o["id"].as_str().unwrap());
    let (s, _, html) = c.app.raw("GET", &page, Some(&c.agent), None, "", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("outage-notice") && html.contains("10kV城南线故障跳闸"),
        "{html}"
    );
    assert!(
        html.contains("2026-03-02 14:00"),
        "expected end in Beijing time"
    );
}

#[tokio::test]
async fn intake_tells_the_notice_and_closes_the_call_with_it() {
    let c = Centre::new("power").await;
    let (_, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let id = n["id"].as_str().unwrap().to_owned();
    let call = |address: &str, at_once: Option<Value>| {
        let mut b = json!({"company_id": c.company, "category": "consult", "channel": "phone",
            "description": "为什么停电了", "customer": {"phone": "13900000002", "address": address}});
        if let Some(a) = at_once {
            b["resolved_at_once"] = a;
        }
        b
    };
    // A draft is not told yet.
    let (s, v) = c
        .app
        .post("/api/v1/orders", &c.agent, call("幸福小区5号楼", None))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["outages"], json!([]));
    c.app
        .post(
            &format!("/api/v1/outages/{id}/publish"),
            &c.agent,
            json!({}),
        )
        .await;
    let (_, v) = c
        .app
        .post("/api/v1/orders", &c.agent, call("幸福小区5栋", None))
        .await;
    assert_eq!(
        v["outages"],
        json!([{"id": id, "cause": "10kV城南线故障跳闸", "expected_end_at": "2026-03-02T06:00:00Z"}])
    );
    // Answered and closed with it: linked and counted.
    let at_once = json!({"answer": "线路故障抢修中，预计14:00恢复", "outage_id": id});
    let (s, v) = c
        .app
        .post(
            "/api/v1/orders",
            &c.agent,
            call("和平里3号楼", Some(at_once)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "closed");
    let (_, n) = c.app.get(&format!("/api/v1/outages/{id}"), &c.agent).await;
    assert_eq!(n["contacts"].as_array().unwrap().len(), 1, "{n}");
    assert_eq!(n["contacts"][0]["order_id"], v["id"]);
    // Only a published notice of the company may close a call.
    let bad = json!({"answer": "停电了", "outage_id": "999"});
    let (s, v) = c
        .app
        .post("/api/v1/orders", &c.agent, call("和平里3号楼", Some(bad)))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "resolved_at_once.outage_id");
}

#[tokio::test]
async fn the_intake_screen_shows_the_notice_and_closes_the_call_in_one_click() {
    const FORM: &str = "application/x-www-form-urlencoded";
    let c = Centre::new("power").await;
    let (_, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let id = n["id"].as_str().unwrap().to_owned();
    c.app
        .post(
            &format!("/api/v1/outages/{id}/publish"),
            &c.agent,
            json!({}),
        )
        .await;
    let banner = format!("/intake/outages?community=&address={}", enc("幸福小区5栋"));
    let (s, _, html) = c
        .app
        .raw("GET", &banner, Some(&c.agent), None, "", &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("10kV城南线故障跳闸") && html.contains("answer_outage"),
        "{html}"
    );
    // The agent typed the phone and the address, and pressed the notice's button.
    let form = format!(
        "phone=13900000003&address={}&category=consult&channel=phone&description=&answer=&answer_outage={id}",
        enc("幸福小区5栋")
    );
    let (s, h, body) = c
        .app
        .raw("POST", "/intake", Some(&c.agent), Some(form), FORM, &[])
        .await;
    assert_eq!(
        s,
        StatusCode::SEE_OTHER,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let order = h["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/orders/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (_, o) = c
        .app
        .get(&format!("/api/v1/orders/{order}"), &c.agent)
        .await;
    assert_eq!(o["status"], "closed");
    assert!(
        o["description"]
            .as_str()
            .unwrap()
            .contains("10kV城南线故障跳闸"),
        "{o}"
    );
    let (_, n) = c.app.get(&format!("/api/v1/outages/{id}"), &c.agent).await;
    assert_eq!(n["contacts"][0]["order_id"], order.as_str());
}

#[tokio::test]
async fn complaints_of_one_incident_share_its_matter_spec_6() {
    let c = Centre::new("heat").await;
    let complain = |i: usize, text: &str| {
        json!({"company_id": c.company, "category": "complaint", "subtype": "repair",
            "channel": "phone", "description": text,
            "customer": {"phone": format!("1380000{i:04}"), "community": "幸福小区"}})
    };
    // Ten complaints in the hour open an incident; their words differ too much for the matter
    // proposal to group them, but the incident's matter takes the later ones.
    let texts = [
        "抢修太慢",
        "客服态度不好",
        "停电一天了",
        "没人接电话",
        "冰箱里东西坏了",
    ];
    let mut matters = std::collections::BTreeSet::new();
    for i in 0..14 {
        let (s, v) = c
            .app
            .post("/api/v1/orders", &c.agent, complain(i, texts[i % 5]))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        if i >= 10 {
            matters.insert(v["matter_id"].as_str().unwrap().to_owned());
        }
    }
    let found = incidents(&c).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["orders"], 14);
    let m = found[0]["matter_id"]
        .as_str()
        .expect("the incident has a matter")
        .to_owned();
    assert_eq!(matters, std::collections::BTreeSet::from([m]));
}

/// The outage items of the supervision board as `token` reads it (`query` appended).
async fn board_outages(c: &Centre, token: &str, query: &str) -> Vec<Value> {
    let (s, v) = c
        .app
        .get(&format!("/api/v1/supervision{query}"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "outage")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_late_notice_is_on_the_supervision_board_until_published_001() {
    let c = Centre::new("power").await;
    let (_, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let id = n["id"].as_str().unwrap().to_owned();
    // Within its shift: not on the board.
    c.app.advance(22 * 3600).await;
    assert!(board_outages(&c, &c.supervisor, "").await.is_empty());
    // Past the end of the shift (08:00 next morning) still a draft: on the board, for the
    // company's supervisors, among their own too.
    c.app.advance(2 * 3600).await;
    let late = board_outages(&c, &c.supervisor, "").await;
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0]["id"], id.as_str());
    assert_eq!(late[0]["cause"], "10kV城南线故障跳闸");
    assert_eq!(late[0]["publish_due_at"], "2026-03-03T00:00:00Z");
    assert_eq!(late[0]["outage_kind"], "fault");
    assert_eq!(
        board_outages(&c, &c.supervisor, "?mine=true").await.len(),
        1
    );
    // Not for a unit's handler, nor for another company's supervisor.
    assert!(board_outages(&c, &c.handler, "").await.is_empty());
    let company = c.app.company("东湖供电", "power").await;
    let unit = c.app.unit(&company, None, "客服中心", "centre").await;
    let (_, other) = c
        .app
        .user("other-sup", &["supervisor"], Some(&unit), None)
        .await;
    assert!(board_outages(&c, &other, "").await.is_empty());
    // Published: off the board.
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/outages/{id}/publish"),
            &c.agent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(board_outages(&c, &c.supervisor, "").await.is_empty());
}

/// The page at `path` as `token` sees it.
async fn page(c: &Centre, path: &str, token: &str) -> String {
    let (s, _, body) = c.app.raw("GET", path, Some(token), None, "", &[]).await;
    assert_eq!(s, StatusCode::OK, "{path}");
    String::from_utf8(body).unwrap()
}

#[tokio::test]
async fn the_queues_show_open_incidents_with_their_count_and_each_order_its_incident() {
    let c = Centre::new("power").await;
    call_from(&c, "和平里", "outage", 2).await;
    call_from(&c, "幸福小区", "outage", 10).await;
    let id = incidents(&c).await[0]["id"].as_str().unwrap().to_owned();
    // The order list and the order carry the incident; an order outside it has none.
    let (s, v) = c.app.get("/api/v1/orders?limit=50", &c.agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["items"].as_array().unwrap();
    let (with, without): (Vec<&Value>, Vec<&Value>) =
        items.iter().partition(|o| o["incident_id"] == id.as_str());
    assert_eq!((with.len(), without.len()), (10, 2), "{v}");
    assert!(without.iter().all(|o| o["incident_id"].is_null()), "{v}");
    let one = with[0]["id"].as_str().unwrap().to_owned();
    let (_, o) = c.app.get(&format!("/api/v1/orders/{one}"), &c.agent).await;
    assert_eq!(o["incident_id"], id.as_str(), "{o}");

    // The queue shows the incident with its count, linked to the board, and tags its orders.
    let rows = page(&c, "/queues/mine/rows", &c.agent).await;
    assert!(
        rows.contains(&format!("id=\"queue-incident-{id}\"")),
        "{rows}"
    );
    assert!(
        rows.contains(&format!("href=\"/outages#incident-{id}\"")),
        "{rows}"
    );
    assert!(
        rows.contains("<span class=\"incident-count\">10</span>"),
        "{rows}"
    );
    assert_eq!(
        rows.matches("class=\"tag incident-tag\"").count(),
        10,
        "{rows}"
    );
    // A later call joins it: the queue's next refresh counts it.
    call_from(&c, "幸福小区", "outage", 1).await;
    let rows = page(&c, "/queues/dispatch/rows", &c.supervisor).await;
    assert!(
        rows.contains("<span class=\"incident-count\">11</span>"),
        "{rows}"
    );
    // The order page says it belongs to the incident.
    let html = page(&c, &format!("/orders/{one}"), &c.agent).await;
    assert!(
        html.contains(&format!("id=\"order-incident\" data-incident=\"{id}\"")),
        "{html}"
    );
    assert!(html.contains("幸福小区 · "), "{html}");
    // Unit staff have no incident board: no panel on their queue.
    let rows = page(&c, "/queues/unit/rows", &c.handler).await;
    assert!(!rows.contains("queue-incidents"), "{rows}");
}

#[tokio::test]
async fn the_report_gives_each_incident_its_calls_complaints_notice_and_state() {
    let c = Centre::new("heat").await;
    let call = |i: usize, category: &str, subtype: &str, community: &str| {
        json!({"company_id": c.company, "category": category, "subtype": subtype,
            "channel": "phone", "description": "暖气漏水，楼道里都是水",
            "customer": {"phone": format!("1380000{i:04}"), "community": community}})
    };
    for i in 0..10 {
        let (s, v) = c
            .app
            .post(
                "/api/v1/orders",
                &c.agent,
                call(i, "repair", "leak", "幸福小区"),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    for i in 0..12 {
        let body = call(100 + i, "complaint", "repair", "和平里");
        let (s, v) = c.app.post("/api/v1/orders", &c.agent, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let found = incidents(&c).await;
    let id_of = |community: &str| {
        found
            .iter()
            .find(|i| i["community"] == community)
            .and_then(|i| i["id"].as_str())
            .unwrap()
            .to_owned()
    };
    let (repairs, complaints) = (id_of("幸福小区"), id_of("和平里"));
    // The repairs' incident is linked to a notice and closed.
    let (_, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    let step = |s: &str| format!("/api/v1/incidents/{repairs}/{s}");
    let (s, v) = c
        .app
        .post(&step("link"), &c.supervisor, json!({"outage_id": n["id"]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = c
        .app
        .post(
            &step("close"),
            &c.supervisor,
            json!({"answer": "管线抢修完毕"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let report = |from: &str, to: &str| {
        format!(
            "/api/v1/reports/outages?company_id={}&from={from}&to={to}",
            c.company
        )
    };
    let (s, v) = c
        .app
        .get(&report("2026-03-01", "2026-03-31"), &c.supervisor)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let lines = v["incidents"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{v}");
    let line = |id: &str| lines.iter().find(|l| l["id"] == id).unwrap().clone();
    let r = line(&repairs);
    assert_eq!(
        (
            r["community"].as_str(),
            r["subtype"].as_str(),
            r["orders"].as_i64()
        ),
        (Some("幸福小区"), Some("leak"), Some(10)),
        "{r}"
    );
    assert_eq!(r["complaints"], 0, "{r}");
    assert_eq!(r["outage_id"], n["id"], "{r}");
    assert_eq!(r["outage_cause"], "10kV城南线故障跳闸", "{r}");
    assert_eq!(
        (r["closed"].as_bool(), r["first_at"].as_str()),
        (Some(true), Some("2026-03-02T01:00:00Z"))
    );
    let k = line(&complaints);
    assert_eq!(
        (k["orders"].as_i64(), k["complaints"].as_i64()),
        (Some(12), Some(12)),
        "{k}"
    );
    assert_eq!(
        (k["closed"].as_bool(), k["outage_id"].is_null()),
        (Some(false), true),
        "{k}"
    );
    // Another period has none of them.
    let (_, v) = c
        .app
        .get(&report("2026-02-01", "2026-02-28"), &c.supervisor)
        .await;
    assert_eq!(v["incidents"], json!([]), "{v}");
    // The report screen shows them.
    let html = page(&c, "/reports?from=2026-03-01&to=2026-03-31", &c.supervisor).await;
    assert!(html.contains("id=\"report-incidents\""), "{html}");
    assert!(
        html.contains(&format!("data-incident=\"{repairs}\"")),
        "{html}"
    );
    assert!(html.contains("<td class=\"complaints\">12</td>"), "{html}");
}
