//! Every number of the presets is enforced (issue 15): the named extra limits are deadlines of
//! their own kind (heating repair preparation `000:四.2(5)`, temperature visit arranged
//! `000:五.1`, media reply `000:八.5(4)`; gas refusal reply `002:§14(5)`, complaint investigation
//! `002:§14(6)`), the gas consult/report/opinion/suggestion reply limits start (`002:§14(2)(7)`),
//! `[settings]` holds only keys the product reads, and the KPI shows the policy's targets.
//! The default start is Monday 2026-03-02 09:00 Beijing (01:00 UTC).

use axum::http::StatusCode;
use rexian_testkit::Centre;
use serde_json::{json, Value};

async fn company(utility: &str) -> Centre {
    Centre::new(utility).await
}

/// The active deadline of `kind` on the order.
fn dl(o: &Value, kind: &str) -> Value {
    o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind}: {o}"))
}

fn has(o: &Value, kind: &str) -> bool {
    o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["kind"] == kind)
}

/// The KPI of March as the supervisor sees it.
async fn kpi(c: &Centre) -> Value {
    let path = format!(
        "/api/v1/reports/kpi?company_id={}&from=2026-03-01&to=2026-03-31",
        c.company
    );
    let (s, k) = c.app.get(&path, &c.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{k}");
    k
}

#[tokio::test]
async fn heat_repair_preparation_10_min_is_a_deadline_met_when_the_crew_takes_it_000_s4_2_5() {
    let c = company("heat").await;
    let o = c.dispatched("repair", Some("leak")).await;
    let p = dl(&o, "prepare");
    assert_eq!(p["due_at"], "2026-03-02T01:10:00Z", "{o}");
    assert_eq!(p["state"], "pending");
    assert_eq!(p["unit_id"], c.team.as_str(), "the crew's limit: {p}");
    // A second repair the crew leaves alone.
    let late = c.dispatched("repair", Some("leak")).await;
    c.app.advance(8 * 60 + 30).await; // past 80 % of 10 min: amber
    assert_eq!(dl(&c.get(&late).await, "prepare")["amber"], true);
    let o = c.step(&c.handler, &o, "accept", json!({})).await;
    assert_eq!(dl(&o, "prepare")["state"], "met", "{o}");
    c.app.advance(2 * 60).await; // 09:10:30: the other one is overdue and supervised
    let late = c.get(&late).await;
    let p = dl(&late, "prepare");
    assert_eq!(p["state"], "missed", "{late}");
    assert_eq!(p["supervision_level"], 1, "{late}");
    let (s, board) = c.app.get("/api/v1/supervision", &c.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{board}");
    assert!(
        board["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["order_id"] == late["id"] && n["deadline"] == "prepare"),
        "{board}"
    );
    // Counted like the others: one of two orders with limits missed one.
    let k = kpi(&c).await;
    assert_eq!(k["overdue"], 1, "{k}");
    assert_eq!(k["timely_rate"], 0.5, "{k}");
}

#[tokio::test]
async fn heat_temperature_visit_arranged_within_30_min_of_the_request_000_s5_1() {
    let c = company("heat").await;
    let o = c.order("service", Some("temperature")).await;
    let a = dl(&o, "arrange");
    assert_eq!(a["due_at"], "2026-03-02T01:30:00Z", "{o}");
    assert_eq!(dl(&o, "arrive")["due_at"], "2026-03-03T01:00:00Z");
    c.app.advance(10 * 60).await;
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await;
    assert_eq!(
        dl(&o, "arrange")["state"],
        "pending",
        "dispatching alone arranges nothing"
    );
    c.app.advance(5 * 60).await;
    let o = c.step(&c.handler, &o, "accept", json!({})).await;
    assert_eq!(dl(&o, "arrange")["state"], "met", "{o}");
    assert_eq!(dl(&o, "arrive")["state"], "pending");
}

#[tokio::test]
async fn heat_media_exposed_complaint_answered_within_2_workdays_000_s8_5_4() {
    let c = company("heat").await;
    let o = c.order("complaint", Some("media")).await;
    // From acceptance: Monday 09:00 + 2 workdays = Wednesday 09:00.
    assert_eq!(
        dl(&o, "media_reply")["due_at"],
        "2026-03-04T01:00:00Z",
        "{o}"
    );
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await;
    let o = c.step(&c.handler, &o, "accept", json!({})).await;
    assert_eq!(
        dl(&o, "media_reply")["state"],
        "pending",
        "taking it answers nobody"
    );
    let o = c
        .step(
            &c.handler,
            &o,
            "reply",
            json!({"result": "已核实并向媒体反馈"}),
        )
        .await;
    assert_eq!(dl(&o, "media_reply")["state"], "met", "{o}");
    // A general complaint has no media limit.
    assert!(!has(
        &c.order("complaint", Some("general")).await,
        "media_reply"
    ));
}

#[tokio::test]
async fn gas_complaint_investigated_and_answered_within_2_workdays_002_s14_6() {
    let c = company("gas").await;
    let o = c.dispatched("complaint", None).await;
    assert_eq!(
        dl(&o, "investigate")["due_at"],
        "2026-03-04T01:00:00Z",
        "{o}"
    );
    assert_eq!(dl(&o, "investigate")["unit_id"], c.team.as_str());
    // Missed on Wednesday 09:00 when nobody answers.
    let late = c.dispatched("complaint", None).await;
    let o = c.step(&c.handler, &o, "accept", json!({})).await;
    let o = c
        .step(&c.handler, &o, "reply", json!({"result": "已调查核实处理"}))
        .await;
    assert_eq!(dl(&o, "investigate")["state"], "met", "{o}");
    c.app.advance(2 * 86_400).await;
    assert_eq!(dl(&c.get(&late).await, "investigate")["state"], "missed");
}

#[tokio::test]
async fn gas_service_refusal_answered_within_2_workdays_002_s14_5() {
    let c = company("gas").await;
    // Dispatched on Friday 09:00 (after 4 days): due Tuesday 09:00 over the weekend.
    c.app.advance(4 * 86_400).await;
    let o = c.dispatched("service", Some("install")).await;
    let r = dl(&o, "refusal_reply");
    assert_eq!(r["due_at"], "2026-03-10T01:00:00Z", "{o}");
    // A return stops it with the unit's other limits; a new dispatch starts it afresh.
    let o = c
        .step(&c.handler, &o, "return", json!({"reason": "不属于本单位"}))
        .await;
    assert!(!has(&o, "refusal_reply"), "{o}");
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await;
    assert_eq!(dl(&o, "refusal_reply")["state"], "pending");
    // The unit takes the service: nothing is refused.
    let o = c.step(&c.handler, &o, "accept", json!({})).await;
    assert_eq!(dl(&o, "refusal_reply")["state"], "met", "{o}");
    assert_eq!(dl(&o, "finish")["state"], "pending");
}

/// A gas order of `category` through dispatch and reply: dispatch 20 min, finish `finish_due`
/// after the dispatch, then the reply limit 1 workday after the unit's reply (Monday 10:00 →
/// Tuesday 10:00): `answer_kind` is `callback` for categories that take a callback survey,
/// `close` (the centre answers and closes) for the others (002:§14(9)).
async fn gas_reply_limits(category: &str, finish_due: &str, answer_kind: &str) {
    let c = company("gas").await;
    let o = c.order(category, None).await;
    assert_eq!(dl(&o, "dispatch")["due_at"], "2026-03-02T01:20:00Z", "{o}");
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await;
    assert_eq!(dl(&o, "finish")["due_at"], finish_due, "{o}");
    c.app.advance(3600).await;
    c.step(&c.handler, &o, "accept", json!({})).await;
    let o = c
        .step(&c.handler, &o, "reply", json!({"result": "已答复"}))
        .await;
    assert_eq!(dl(&o, "finish")["state"], "met");
    let a = dl(&o, answer_kind);
    assert_eq!(a["due_at"], "2026-03-03T02:00:00Z", "{category}: {o}");
    assert_eq!(a["state"], "pending");
    let other = if answer_kind == "close" {
        "callback"
    } else {
        "close"
    };
    assert!(!has(&o, other), "{category}: {o}");
    if answer_kind == "close" {
        let o = c
            .step(&c.agent, &o, "review", json!({"approved": true}))
            .await;
        let o = c.step(&c.agent, &o, "close", json!({})).await;
        assert_eq!(o["status"], "closed");
        assert_eq!(dl(&o, "close")["state"], "met", "{o}");
    }
}

#[tokio::test]
async fn gas_consult_answered_1_workday_after_the_reply_002_s14_2() {
    gas_reply_limits("consult", "2026-03-03T01:00:00Z", "close").await;
}

#[tokio::test]
async fn gas_report_called_back_1_workday_after_the_reply_002_s14_7() {
    gas_reply_limits("report", "2026-03-09T01:00:00Z", "callback").await;
}

#[tokio::test]
async fn gas_opinion_called_back_1_workday_after_the_reply_002_s14_7() {
    gas_reply_limits("opinion", "2026-03-09T01:00:00Z", "callback").await;
}

#[tokio::test]
async fn gas_suggestion_answered_1_workday_after_the_reply_002_s14_7() {
    gas_reply_limits("suggestion", "2026-03-09T01:00:00Z", "close").await;
}

#[tokio::test]
async fn an_override_with_a_setting_nothing_reads_is_refused_with_its_line() {
    let c = company("heat").await;
    let path = format!("/api/v1/companies/{}/policy", c.company);
    let body = json!({"override": "title = \"x\"\n[settings]\nanswer_within_rings = 3\n"});
    let (s, v) = c.app.put(&path, &c.app.admin, body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "override");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains(":3:"), "{msg}");
    assert!(msg.contains("settings.answer_within_rings"), "{msg}");
    // A named limit the product does not know, likewise.
    let body = json!({"override": "[[rule]]\ncategory = \"repair\"\nmilestones = { tidy_up = { minutes = 5 } }\n"});
    let (s, v) = c.app.put(&path, &c.app.admin, body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("milestones.tidy_up"),
        "{v}"
    );
    // A known one is taken and planned.
    let body = json!({"override": "[settings]\ntimeliness_target = 0.95\n"});
    let (s, v) = c.app.put(&path, &c.app.admin, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn a_stored_override_with_a_now_unread_setting_does_not_break_the_company() {
    let c = company("gas").await;
    // Saved by an earlier release, which took any setting.
    let stored =
        "[settings]\nlocal_stricter_limits_win = true\ncomplaint_grade2_complainants = 3\n";
    let id: i64 = c.company.parse().unwrap();
    c.app
        .state
        .store
        .set_policy_override(id, Some(stored), None, 0)
        .await
        .unwrap();
    // Orders still work, the company's policy applies without the unread key.
    let o = c.dispatched("repair", Some("leak")).await;
    assert_eq!(dl(&o, "contact")["due_at"], "2026-03-02T03:00:00Z", "{o}");
    let path = format!("/api/v1/companies/{}/policy", c.company);
    let (s, v) = c.app.get(&path, &c.app.admin).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["ignored"],
        json!(["settings.local_stricter_limits_win"]),
        "{v}"
    );
    let effective = v["effective"].as_str().unwrap();
    assert!(
        effective.contains("complaint_grade2_complainants = 3"),
        "{effective}"
    );
    assert!(
        !effective.contains("local_stricter_limits_win"),
        "{effective}"
    );
}

#[tokio::test]
async fn the_kpi_shows_the_policy_targets_beside_the_rates_000_s9_7() {
    let c = company("heat").await;
    c.order("consult", None).await;
    let k = kpi(&c).await;
    assert_eq!(
        k["targets"],
        json!({"timely_rate": 1.0, "resolution_rate": 1.0, "satisfaction_rate": 1.0}),
        "{k}"
    );
    // The reports page shows them too.
    let (s, _, body) = c
        .app
        .raw(
            "GET",
            "/reports?from=2026-03-01&to=2026-03-31",
            Some(&c.supervisor),
            None,
            "",
            &[],
        )
        .await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"target-timely\""), "{html}");
    assert!(html.contains("目标 100.0%"), "{html}");
    // The gas preset sets no targets.
    let g = company("gas").await;
    let k = kpi(&g).await;
    assert_eq!(k["targets"]["timely_rate"], Value::Null, "{k}");
}
