//! Water extended services (issue 19, seed `003`): the water-quality test (sample → lab result
//! → reply → callback, 3), reminders the customer signs (1.2), leak detection (2), community
//! service days (5), emergency water deliveries on an outage notice (6), all free of charge
//! (序言 全程"零收费": `extended_services.free_of_charge`), and off-hours repairs whose arrive
//! limit starts at the next working window (4.3⑵⑶: `extended_services.working_start` 08:00 /
//! `working_end` 17:30, arrive 30 min). The default start is Monday 2026-03-02 09:00 Beijing.

use axum::http::StatusCode;
use rexian_testkit::{deadline, Centre, TestApp};
use serde_json::{json, Value};

async fn post(c: &Centre, token: &str, o: &Value, step: &str, body: Value) -> (StatusCode, Value) {
    let id = o["id"].as_str().unwrap();
    c.app
        .post(&format!("/api/v1/orders/{id}/{step}"), token, body)
        .await
}

fn refused(s: StatusCode, v: &Value, code: &str, field: Option<&str>) {
    assert!(s.is_client_error(), "{s} {v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    if let Some(f) = field {
        assert_eq!(v["error"]["field"], f, "{v}");
    }
}

fn types(o: &Value) -> Vec<String> {
    o["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_water_quality_test_is_sampled_then_resulted_then_replied_free_of_charge_003_3() {
    let c = Centre::new("water").await;
    let o = c.dispatched("service", Some("water_quality")).await;
    assert_eq!(c.get(&o).await["free_of_charge"], true, "003 序言 零收费");
    // The result before the sample: refused.
    let (s, v) = post(
        &c,
        &c.handler,
        &o,
        "lab_result",
        json!({"passed": true, "report_no": "SZ-2026-001"}),
    )
    .await;
    refused(s, &v, "invalid_transition", None);
    assert_eq!(s, StatusCode::CONFLICT);
    let o = c.step(&c.handler, &o, "accept", json!({})).await;
    // The sample needs its point; the agent may not take it.
    let (s, v) = post(&c, &c.handler, &o, "sample", json!({})).await;
    refused(s, &v, "invalid_input", Some("point"));
    let (s, v) = post(&c, &c.agent, &o, "sample", json!({"point": "厨房龙头"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = post(
        &c,
        &c.handler,
        &o,
        "sample",
        json!({"point": "厨房龙头", "at": "2026-03-02T02:00:00Z"}),
    )
    .await;
    refused(s, &v, "invalid_input", Some("at"));
    let o = c
        .step(&c.handler, &o, "sample", json!({"point": "厨房龙头"}))
        .await;
    assert_eq!(o["water_quality"]["point"], "厨房龙头", "{o}");
    assert_eq!(o["water_quality"]["sampled_at"], "2026-03-02T01:00:00Z");
    assert_eq!(o["status"], "accepted", "a service step keeps the status");
    // A reply before the lab result: refused.
    let (s, v) = post(&c, &c.handler, &o, "reply", json!({"result": "已取样"})).await;
    refused(s, &v, "invalid_transition", None);
    c.app.advance(3 * 3600).await;
    let (s, v) = post(&c, &c.handler, &o, "lab_result", json!({"passed": true})).await;
    refused(s, &v, "invalid_input", Some("report_no"));
    let (s, v) = post(
        &c,
        &c.handler,
        &o,
        "lab_result",
        json!({"passed": true, "report_no": "SZ-1", "at": "2026-03-02T00:00:00Z"}),
    )
    .await;
    refused(s, &v, "invalid_input", Some("at"));
    let o = c
        .step(
            &c.handler,
            &o,
            "lab_result",
            json!({"passed": true, "report_no": "SZ-2026-001"}),
        )
        .await;
    let q = &o["water_quality"];
    assert_eq!(
        (
            q["passed"].as_bool(),
            q["report_no"].as_str(),
            q["result_at"].as_str()
        ),
        (
            Some(true),
            Some("SZ-2026-001"),
            Some("2026-03-02T04:00:00Z")
        ),
        "{o}"
    );
    let (s, v) = post(
        &c,
        &c.handler,
        &o,
        "lab_result",
        json!({"passed": false, "report_no": "SZ-2"}),
    )
    .await;
    refused(s, &v, "invalid_transition", None);
    let (s, v) = post(&c, &c.handler, &o, "sample", json!({"point": "水表"})).await;
    refused(s, &v, "invalid_transition", None);
    // Free of charge: a paid reply is refused, naming the field.
    let (s, v) = post(
        &c,
        &c.handler,
        &o,
        "reply",
        json!({"result": "水质合格", "paid": true, "customer_consent": true}),
    )
    .await;
    refused(s, &v, "invalid_input", Some("paid"));
    let o = c
        .step(
            &c.handler,
            &o,
            "reply",
            json!({"result": "水质合格，报告 SZ-2026-001"}),
        )
        .await;
    assert_eq!(o["status"], "replied");
    let o = c
        .step(&c.agent, &o, "review", json!({"approved": true}))
        .await;
    let o = c
        .step(
            &c.callback,
            &o,
            "callbacks",
            json!({"reached": true, "satisfaction": "satisfied", "matches_reply": true}),
        )
        .await;
    assert_eq!(o["status"], "callback");
    let t = types(&o);
    let at = |k: &str| {
        t.iter()
            .position(|x| x == k)
            .unwrap_or_else(|| panic!("{k}: {t:?}"))
    };
    assert!(at("water_sampled") < at("water_lab_result") && at("water_lab_result") < at("replied"));
    // The generic detail shows the test and the free service.
    let o = c.get(&o).await;
    assert_eq!(o["water_quality"]["report_no"], "SZ-2026-001");
    assert_eq!(o["free_of_charge"], true);
}

#[tokio::test]
async fn service_steps_belong_to_their_service_and_a_paid_repair_stays_possible() {
    let c = Centre::new("water").await;
    let o = c.dispatched("service", Some("install")).await;
    let (s, v) = post(&c, &c.handler, &o, "sample", json!({"point": "龙头"})).await;
    refused(s, &v, "invalid_transition", None);
    assert!(
        c.get(&o).await.get("free_of_charge").is_none(),
        "install is charged"
    );
    // A repair is not in free_of_charge (materials are the customer's, 003:4.2): paid allowed.
    let r = c.dispatched("repair", Some("leak")).await;
    let r = c.step(&c.handler, &r, "accept", json!({})).await;
    let r = c
        .step(
            &c.handler,
            &r,
            "reply",
            json!({"result": "更换阀门", "paid": true, "customer_consent": true}),
        )
        .await;
    assert_eq!(r["status"], "replied");
    // Another preset has no free services.
    let g = Centre::new("gas").await;
    let o = g.dispatched("service", None).await;
    assert!(g.get(&o).await.get("free_of_charge").is_none());
}

#[tokio::test]
async fn a_reminder_is_signed_leak_detection_and_community_days_are_reported_003_1_2_5() {
    let c = Centre::new("water").await;
    let o = c.dispatched("service", Some("reminder")).await;
    let (s, v) = post(
        &c,
        &c.handler,
        &o,
        "reminder",
        json!({"kind": "flood", "signed": true}),
    )
    .await;
    refused(s, &v, "invalid_input", Some("kind"));
    let (s, v) = post(
        &c,
        &c.handler,
        &o,
        "reminder",
        json!({"kind": "suspected_leak", "signed": false}),
    )
    .await;
    refused(s, &v, "invalid_input", Some("signed"));
    let o = c
        .step(
            &c.handler,
            &o,
            "reminder",
            json!({"kind": "suspected_leak", "signed": true, "note": "夜间水表走字"}),
        )
        .await;
    assert_eq!(o["reminder"]["kind"], "suspected_leak", "{o}");
    assert_eq!(o["reminder"]["signed"], true);
    assert_eq!(c.get(&o).await["free_of_charge"], true);
    assert!(types(&o).contains(&"reminder_signed".to_owned()));

    let l = c.dispatched("service", Some("leak_detection")).await;
    let (s, v) = post(&c, &c.handler, &l, "leak_result", json!({"found": true})).await;
    refused(s, &v, "invalid_input", Some("result"));
    let l = c
        .step(
            &c.handler,
            &l,
            "leak_result",
            json!({"found": true, "result": "卫生间暗管渗漏，已告知维修方式"}),
        )
        .await;
    assert_eq!(l["leak_detection"]["found"], true, "{l}");

    let m = c.dispatched("service", Some("community")).await;
    let (s, v) = post(
        &c,
        &c.handler,
        &m,
        "community_report",
        json!({"origin": "planned"}),
    )
    .await;
    refused(s, &v, "invalid_input", Some("report"));
    let (s, v) = post(
        &c,
        &c.handler,
        &m,
        "community_report",
        json!({"origin": "whim", "report": "x"}),
    )
    .await;
    refused(s, &v, "invalid_input", Some("origin"));
    let m = c
        .step(
            &c.handler,
            &m,
            "community_report",
            json!({"origin": "requested", "report": "城南小区便民服务日：检查表井12处"}),
        )
        .await;
    assert_eq!(m["community"]["origin"], "requested", "{m}");
    assert_eq!(m["community"]["held_at"], "2026-03-02T01:00:00Z");
    // Finished orders take no more service steps.
    let m = c.step(&c.handler, &m, "accept", json!({})).await;
    let m = c
        .step(&c.handler, &m, "reply", json!({"result": "已完成"}))
        .await;
    let (s, v) = post(
        &c,
        &c.handler,
        &m,
        "community_report",
        json!({"origin": "requested", "report": "再报"}),
    )
    .await;
    refused(s, &v, "invalid_transition", None);
}

fn notice(c: &Centre) -> Value {
    json!({"company_id": c.company, "kind": "fault", "cause": "DN600主管爆管抢修",
        "area": {"communities": ["幸福小区", "城南小区"]},
        "start_at": "2026-03-02T00:30:00Z", "expected_end_at": "2026-03-03T06:00:00Z"})
}

#[tokio::test]
async fn emergency_water_is_delivered_during_a_published_outage_and_listed_on_it_003_6() {
    let c = Centre::new("water").await;
    let (s, n) = c.app.post("/api/v1/outages", &c.agent, notice(&c)).await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    let id = n["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/outages/{id}/water_deliveries");
    let body = json!({"place": "幸福小区东门", "tanks": 2, "litres": 16000});
    let (s, v) = c.app.post(&path, &c.agent, body.clone()).await;
    refused(s, &v, "invalid_transition", None); // a draft: not yet published
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/outages/{id}/publish"),
            &c.agent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = c.app.post(&path, &c.agent, json!({"tanks": 1})).await;
    refused(s, &v, "invalid_input", Some("place"));
    let (s, v) = c
        .app
        .post(&path, &c.agent, json!({"place": "城南小区"}))
        .await;
    refused(s, &v, "invalid_input", Some("litres"));
    let (s, v) = c
        .app
        .post(
            &path,
            &c.agent,
            json!({"place": "城南小区", "tanks": 1, "at": "2026-03-01T00:00:00Z"}),
        )
        .await;
    refused(s, &v, "invalid_input", Some("at"));
    let (s, v) = c.app.post(&path, &c.handler, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = c.app.post(&path, &c.agent, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let d = &v["water_deliveries"][0];
    assert_eq!(
        (
            d["place"].as_str(),
            d["tanks"].as_i64(),
            d["litres"].as_i64()
        ),
        (Some("幸福小区东门"), Some(2), Some(16000)),
        "{v}"
    );
    assert_eq!(d["at"], "2026-03-02T01:00:00Z");
    let (s, v) = c
        .app
        .get(&format!("/api/v1/outages/{id}"), &c.supervisor)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["water_deliveries"].as_array().unwrap().len(), 1, "{v}");
    // A power company delivers no water.
    let p = Centre::new("power").await;
    let (_, n) = p.app.post("/api/v1/outages", &p.agent, notice(&p)).await;
    let pid = n["id"].as_str().unwrap();
    p.app
        .post(
            &format!("/api/v1/outages/{pid}/publish"),
            &p.agent,
            json!({}),
        )
        .await;
    let (s, v) = p
        .app
        .post(
            &format!("/api/v1/outages/{pid}/water_deliveries"),
            &p.agent,
            json!({"place": "x", "tanks": 1}),
        )
        .await;
    refused(s, &v, "invalid_transition", None);
}

#[tokio::test]
async fn an_off_hours_repair_is_on_site_30_min_after_the_next_working_window_opens_003_4_3() {
    // Monday 2026-03-02 22:00 Beijing: outside working_start 08:00 – working_end 17:30.
    let app = TestApp::at("2026-03-02T14:00:00Z".parse().unwrap()).await;
    let c = Centre::on(app, "water").await;
    let o = c.dispatched("repair", Some("leak")).await;
    let a = deadline(&o, "arrive");
    assert_eq!(
        a["started_at"], "2026-03-03T00:00:00Z",
        "Tuesday 08:00: {o}"
    );
    assert_eq!(a["due_at"], "2026-03-03T00:30:00Z", "30 min after: {o}");
    let ev = o["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        ev["data"]["arrive_from"], "2026-03-03T00:00:00Z",
        "recorded: {ev}"
    );
    // Not missed overnight.
    c.app.advance(9 * 3600 + 60).await; // Tue 07:01
    assert_eq!(deadline(&c.get(&o).await, "arrive")["state"], "pending");
    c.app.advance(60 * 60).await; // Tue 08:01, 17:31 the window closes
    let o = c.get(&o).await;
    assert_eq!(deadline(&o, "arrive")["state"], "pending");
    // Friday 17:30 (the end itself is off hours) waits for Monday 08:00.
    let app = TestApp::at("2026-03-06T09:30:00Z".parse().unwrap()).await;
    let c = Centre::on(app, "water").await;
    let o = c.dispatched("repair", Some("leak")).await;
    assert_eq!(
        deadline(&o, "arrive")["due_at"],
        "2026-03-09T00:30:00Z",
        "{o}"
    );
    // In working hours (Monday 09:00) the 30 min run at once.
    let c = Centre::new("water").await;
    let o = c.dispatched("repair", Some("leak")).await;
    assert_eq!(
        deadline(&o, "arrive")["due_at"],
        "2026-03-02T01:30:00Z",
        "{o}"
    );
    // Another preset has no such window.
    let app = TestApp::at("2026-03-02T14:00:00Z".parse().unwrap()).await;
    let g = Centre::on(app, "gas").await;
    let o = g.dispatched("repair", None).await;
    if let Some(d) = o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "arrive")
    {
        assert_eq!(d["started_at"], "2026-03-02T14:00:00Z", "{o}");
    }
}
