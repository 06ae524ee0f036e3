//! The electricity and water presets' limits through the API (issue 15): the State Grid repair
//! arrival by area class, the 95598 subtype limits, the water service/complaint/consult limits
//! and the free extended services of seed 003. The default start is Monday 2026-03-02 09:00
//! Beijing (01:00 UTC); workdays count on the business calendar (Saturday and Sunday off).

use axum::http::StatusCode;
use rexian_testkit::Centre;
use serde_json::{json, Value};

async fn company(utility: &str) -> Centre {
    Centre::new(utility).await
}

/// The deadline of `kind` on the order: (due_at, state).
fn deadline(o: &Value, kind: &str) -> Option<(String, String)> {
    o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .map(|d| {
            (
                d["due_at"].as_str().unwrap().to_owned(),
                d["state"].as_str().unwrap().to_owned(),
            )
        })
}

fn due(o: &Value, kind: &str) -> String {
    deadline(o, kind)
        .unwrap_or_else(|| panic!("no {kind}: {o}"))
        .0
}

fn kinds(o: &Value) -> Vec<String> {
    let mut k: Vec<String> = o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect();
    k.sort();
    k
}

#[tokio::test]
async fn power_repair_arrival_urban_45_min_by_default_rural_90_remote_2_h() {
    let c = company("power").await;
    let o = c.dispatched("repair", Some("outage")).await;
    assert_eq!(kinds(&o), ["arrive"]);
    assert_eq!(due(&o, "arrive"), "2026-03-02T01:45:00Z");
    let path = format!("/api/v1/companies/{}/policy", c.company);
    for (area, want) in [
        ("rural", "2026-03-02T02:30:00Z"),
        ("remote", "2026-03-02T03:00:00Z"),
    ] {
        let (s, v) = c
            .app
            .put(
                &path,
                &c.app.admin,
                json!({"override": format!("area = \"{area}\"\n")}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let o = c.dispatched("repair", Some("outage")).await;
        assert_eq!(due(&o, "arrive"), want, "{area}");
    }
    // An unknown area class is refused, naming the override.
    let (s, v) = c
        .app
        .put(
            &path,
            &c.app.admin,
            json!({"override": "area = \"suburb\"\n"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "override");
}

#[tokio::test]
async fn power_95598_subtype_deadlines_on_the_business_calendar() {
    let c = company("power").await;
    // Damaged appliances: on site within 24 h of dispatch; the claim itself follows the
    // 5-workday limit of service applications (next Monday).
    let o = c.dispatched("service", Some("appliance_damage")).await;
    assert_eq!(kinds(&o), ["arrive", "finish"]);
    assert_eq!(due(&o, "arrive"), "2026-03-03T01:00:00Z");
    assert_eq!(due(&o, "finish"), "2026-03-09T01:00:00Z");
    // Abnormal meter: 4 workdays (Friday); abnormal meter reading: 6 workdays (over the
    // weekend to Tuesday); any other service application: 5 workdays (next Monday).
    for (subtype, want) in [
        ("meter_fault", "2026-03-06T01:00:00Z"),
        ("meter_reading", "2026-03-10T01:00:00Z"),
        ("install", "2026-03-09T01:00:00Z"),
        ("other", "2026-03-09T01:00:00Z"),
    ] {
        let o = c.dispatched("service", Some(subtype)).await;
        assert_eq!(kinds(&o), ["finish"], "{subtype}");
        assert_eq!(due(&o, "finish"), want, "{subtype}");
    }
    // Power restored: on site within 24 h; the reply within 1 workday of the restoration.
    let o = c.dispatched("service", Some("reconnect")).await;
    assert_eq!(kinds(&o), ["arrive"]);
    assert_eq!(due(&o, "arrive"), "2026-03-03T01:00:00Z");
    // Restored on Friday 16:00 Beijing (after the 24 h): the reply is due Monday 16:00.
    c.app.advance(4 * 24 * 3600 + 7 * 3600).await;
    let o = c.step(&c.handler, &o, "arrive", json!({})).await;
    assert_eq!(
        deadline(&o, "arrive"),
        Some(("2026-03-03T01:00:00Z".into(), "missed".into()))
    );
    assert_eq!(
        deadline(&o, "finish"),
        Some(("2026-03-09T08:00:00Z".into(), "pending".into()))
    );
    let o = c
        .step(&c.handler, &o, "reply", json!({"result": "已恢复送电"}))
        .await;
    assert_eq!(deadline(&o, "finish").unwrap().1, "met");
    // 001's complaint limits are kept: 120 h from acceptance (Friday 16:00 Beijing).
    let o = c.order("complaint", None).await;
    assert_eq!(due(&o, "finish"), "2026-03-11T08:00:00Z");
}

#[tokio::test]
async fn a_power_repair_whose_arrival_is_missed_is_not_timely_in_the_kpi() {
    let c = company("power").await;
    let late = c.dispatched("repair", Some("outage")).await;
    let ok = c.dispatched("repair", Some("outage")).await;
    c.app.advance(30 * 60).await;
    c.step(&c.handler, &ok, "arrive", json!({})).await;
    c.app.advance(20 * 60).await; // 09:50: the 45 min arrival of `late` has passed
    let (_, o) = c
        .app
        .get(
            &format!("/api/v1/orders/{}", late["id"].as_str().unwrap()),
            &c.supervisor,
        )
        .await;
    assert_eq!(deadline(&o, "arrive").unwrap().1, "missed", "{o}");
    let day = format!(
        "/api/v1/reports/kpi?company_id={}&from=2026-03-02&to=2026-03-02",
        c.company
    );
    let (s, k) = c.app.get(&day, &c.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{k}");
    assert_eq!(k["intake"], 2, "{k}");
    assert_eq!(k["timely_rate"], 0.5, "{k}");
    assert_eq!(k["overdue"], 1, "{k}");
}

#[tokio::test]
async fn water_service_complaint_and_consult_orders_get_limits() {
    let c = company("water").await;
    // Service: dispatch 20 min, finish 7 workdays (Wednesday of next week).
    let o = c.order("service", Some("water_quality")).await;
    assert_eq!(due(&o, "dispatch"), "2026-03-02T01:20:00Z");
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await;
    assert_eq!(due(&o, "finish"), "2026-03-11T01:00:00Z");
    // Consult: dispatch 20 min, finish 1 workday.
    let o = c.order("consult", None).await;
    assert_eq!(due(&o, "dispatch"), "2026-03-02T01:20:00Z");
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await;
    assert_eq!(due(&o, "finish"), "2026-03-03T01:00:00Z");
    // Complaint: dispatch 5 min, finish 2 workdays, callback 1 workday after the reply.
    let o = c.order("complaint", None).await;
    assert_eq!(due(&o, "dispatch"), "2026-03-02T01:05:00Z");
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await;
    assert_eq!(due(&o, "finish"), "2026-03-04T01:00:00Z");
    c.app.advance(3600).await;
    c.step(&c.handler, &o, "accept", json!({})).await;
    let o = c
        .step(&c.handler, &o, "reply", json!({"result": "已核实处理"}))
        .await;
    assert_eq!(deadline(&o, "finish").unwrap().1, "met");
    assert_eq!(due(&o, "callback"), "2026-03-03T02:00:00Z");
}

#[tokio::test]
async fn water_extended_services_are_free_003() {
    let c = company("water").await;
    let (s, v) = c.app.get("/api/v1/kb/checklists", &c.agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for item in ["water_quality", "leak_detection"] {
        let fees = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["subtype"] == item)
            .unwrap_or_else(|| panic!("no {item}: {v}"))["fees"]
            .as_str()
            .unwrap();
        assert!(fees.starts_with("免费"), "{item}: {fees}");
        assert!(!fees.contains("收取"), "{item}: {fees}");
    }
}

#[tokio::test]
async fn power_repair_arrival_follows_the_area_class_of_the_unit_it_is_dispatched_to() {
    let c = company("power").await;
    let unit = |name: &'static str, area: Value| {
        let app = &c.app;
        let company = c.company.clone();
        async move {
            let body =
                json!({"company_id": company, "name": name, "kind": "repair_team", "area": area});
            let (s, v) = app.post("/api/v1/units", &app.admin, body).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            v["id"].as_str().unwrap().to_owned()
        }
    };
    let rural = unit("乡镇供电所", json!("rural")).await;
    let remote = unit("山区供电所", json!("remote")).await;
    let (s, v) = c
        .app
        .post(
            "/api/v1/units",
            &c.app.admin,
            json!({"company_id": c.company, "name": "x", "kind": "repair_team", "area": "suburb"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "area");
    let (_, units) = c
        .app
        .get(
            &format!("/api/v1/units?company_id={}", c.company),
            &c.app.admin,
        )
        .await;
    let area_of = |id: &str| {
        units["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{units}"))
            .iter()
            .find(|u| u["id"] == id)
            .unwrap()["area"]
            .clone()
    };
    assert_eq!(area_of(&rural), "rural");
    assert_eq!(area_of(&c.team), Value::Null);
    // The unit without a class follows the company policy (urban, 45 min).
    let o = c.dispatched("repair", Some("outage")).await;
    assert_eq!(due(&o, "arrive"), "2026-03-02T01:45:00Z");
    // Rural unit: 90 min from dispatch.
    let o = c.order("repair", Some("outage")).await;
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": rural}))
        .await;
    assert_eq!(due(&o, "arrive"), "2026-03-02T02:30:00Z");
    // Transferred after 10 min to a remote unit: 2 h from the transfer.
    c.app.advance(600).await;
    let o = c
        .step(
            &c.agent,
            &o,
            "transfer",
            json!({"unit_id": remote, "reason": "山区线路"}),
        )
        .await;
    let pending: Vec<&Value> = o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "arrive" && d["state"] == "pending")
        .collect();
    assert_eq!(pending.len(), 1, "{o}");
    assert_eq!(pending[0]["due_at"], "2026-03-02T03:10:00Z");
}

#[tokio::test]
async fn a_units_area_class_can_be_changed_and_later_dispatches_follow_it() {
    let c = company("power").await;
    // Another company's administrator may not touch it, on the API or the page.
    let other = c.app.company("东湖供电", "power").await;
    let (_, other_admin) = c
        .app
        .user("other-admin", &["admin"], None, Some(&other))
        .await;
    let path = format!("/api/v1/units/{}/area", c.team);
    let (s, v) = c
        .app
        .put(&path, &other_admin, json!({"area": "remote"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _, _) = c
        .app
        .raw(
            "POST",
            &format!("/admin/units/{}/area", c.team),
            Some(&other_admin),
            Some("area=remote".into()),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A class that does not exist, or none given, is refused, naming the field.
    for body in [json!({"area": "suburb"}), json!({})] {
        let (s, v) = c.app.put(&path, &c.app.admin, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["field"], "area");
    }
    // The company admin makes the team remote: shown in the list, on the page, and the next
    // dispatch gives it 2 h to arrive.
    let (s, v) = c
        .app
        .put(&path, &c.app.admin, json!({"area": "remote"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["area"], "remote");
    let (_, units) = c
        .app
        .get(
            &format!("/api/v1/units?company_id={}", c.company),
            &c.app.admin,
        )
        .await;
    let team = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == c.team.as_str())
        .unwrap();
    assert_eq!(team["area"], "remote", "{units}");
    let (s, _, body) = c
        .app
        .raw("GET", "/admin/units", Some(&c.app.admin), None, "", &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains(&format!("action=\"/admin/units/{}/area\"", c.team))
            && html.contains("value=\"remote\" selected"),
        "{html}"
    );
    let o = c.dispatched("repair", Some("outage")).await;
    assert_eq!(due(&o, "arrive"), "2026-03-02T03:00:00Z");
    // Back to the company's class (urban, 45 min) from the page.
    let (s, _, _) = c
        .app
        .raw(
            "POST",
            &format!("/admin/units/{}/area", c.team),
            Some(&c.app.admin),
            Some("area=".into()),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let o = c.dispatched("repair", Some("outage")).await;
    assert_eq!(due(&o, "arrive"), "2026-03-02T01:45:00Z");
}
