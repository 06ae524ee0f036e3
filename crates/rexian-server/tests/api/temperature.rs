//! Temperature measurement (测温, seed 000 §五; api-v1 "Field services") on `service` /
//! `temperature` orders of the heat preset: the measuring window 08:00–21:00
//! (`measurement_window`), a reading valid only with both conditions, a valid reading below
//! `standard_c = 18` starts the `cause_check` limit (`cause_check_hours = 24`) and proposes the
//! neighbouring households of the register (at most 10), the stages in order, the signature or
//! the noted refusal. The default start is Monday 2026-03-02 09:00 Beijing (01:00 UTC).

use axum::http::StatusCode;
use rexian_testkit::{deadline, Centre, TestApp};
use serde_json::{json, Value};

/// A reading taken now: `stage`, `room_c`, both conditions as given, signed.
fn reading(stage: &str, room_c: f64, conditions: bool) -> Value {
    json!({"stage": stage, "room_c": room_c, "outdoor_c": -3.5, "device": "TES-1310 #7",
        "doors_windows_closed_1h": conditions, "device_centre_1m": conditions,
        "customer_signed": true})
}

async fn measure(c: &Centre, o: &Value, body: Value) -> (StatusCode, Value) {
    let id = o["id"].as_str().unwrap();
    c.app
        .post(
            &format!("/api/v1/orders/{id}/measurements"),
            &c.handler,
            body,
        )
        .await
}

async fn measured(c: &Centre, o: &Value, body: Value) -> Value {
    let (s, v) = measure(c, o, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// A temperature order of customer `account_no` (when given), dispatched to the team.
async fn temperature_order(c: &Centre, account_no: Option<&str>) -> Value {
    let body = json!({"company_id": c.company, "category": "service", "subtype": "temperature",
        "channel": "phone", "description": "申请入户测温",
        "customer": {"phone": "13800000001", "community": "城南小区", "account_no": account_no}});
    let (s, o) = c.app.post("/api/v1/orders", &c.agent, body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    c.step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await
}

fn has(o: &Value, kind: &str) -> bool {
    o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["kind"] == kind)
}

#[tokio::test]
async fn reading_outside_08_to_21_is_refused_measurement_window_000_s5_1() {
    // Monday 21:30 Beijing.
    let app = TestApp::at("2026-03-02T13:30:00Z".parse().unwrap()).await;
    let c = Centre::on(app, "heat").await;
    let o = temperature_order(&c, None).await;
    let (s, v) = measure(&c, &o, reading("first", 19.0, true)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "measurement_window", "{v}");
    assert_eq!(v["error"]["field"], "at", "{v}");
    // 21:00 itself is still inside (每天8点到21点), 21:01 is not.
    let mut at = reading("first", 19.0, true);
    at["at"] = json!("2026-03-02T13:00:00Z");
    let (s, v) = measure(&c, &o, at.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "before the request: {v}");
    assert_eq!(v["error"]["field"], "at");
    // Tuesday 07:59 refused, 08:00 taken.
    c.app.advance(10 * 3600 + 29 * 60).await;
    let (s, v) = measure(&c, &o, reading("first", 19.0, true)).await;
    assert_eq!(v["error"]["code"], "measurement_window", "{s} {v}");
    c.app.advance(60).await;
    let v = measured(&c, &o, reading("first", 19.0, true)).await;
    assert_eq!(v["measurements"][0]["stage"], "first", "{v}");
    // The visit limits of the preset stay those of the service/temperature rule: arranged
    // within 30 min, on site within 24 h (000:五.1).
    assert!(has(&v, "arrange") && has(&v, "arrive"), "{v}");
}

#[tokio::test]
async fn reading_at_21_00_is_inside_the_window_000_s5_1() {
    let app = TestApp::at("2026-03-02T12:50:00Z".parse().unwrap()).await;
    let c = Centre::on(app, "heat").await;
    let o = temperature_order(&c, None).await;
    c.app.advance(10 * 60).await; // 21:00 Beijing
    let v = measured(&c, &o, reading("first", 19.0, true)).await;
    assert_eq!(v["measurements"][0]["valid"], true, "{v}");
    c.app.advance(60).await; // 21:01
    let (s, v) = measure(&c, &o, reading("first", 19.0, true)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "measurement_window");
}

/// The register of 城南小区: the customer T-01 in building 3 with 12 neighbours there, and one
/// household in building 4.
async fn register(c: &Centre) {
    let mut rows = vec![("T-01", "3", "1", "101")];
    let rooms: Vec<String> = (2..=13).map(|i| format!("{}", 100 + i)).collect();
    let accounts: Vec<String> = (2..=13).map(|i| format!("T-{i:02}")).collect();
    for (a, r) in accounts.iter().zip(&rooms) {
        rows.push((a, "3", "2", r));
    }
    rows.push(("T-99", "4", "1", "101"));
    for (account, building, unit, room) in rows {
        let (s, v) = c
            .app
            .post(
                "/api/v1/customers",
                &c.agent,
                json!({"company_id": c.company, "account_no": account, "name": "住户",
                    "community": "城南小区", "building": building, "unit": unit, "room": room}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
}

#[tokio::test]
async fn valid_only_with_both_conditions_below_standard_18_starts_cause_check_24_h_and_proposes_neighbours_000_s5_3_s5_6(
) {
    let c = Centre::new("heat").await;
    register(&c).await;
    let o = temperature_order(&c, Some("T-01")).await;
    // Windows open: kept, not valid, not judged against the standard.
    let mut open = reading("first", 12.0, true);
    open["doors_windows_closed_1h"] = json!(false);
    let v = measured(&c, &o, open).await;
    let m = &v["measurements"][0];
    assert_eq!(
        (&m["valid"], &m["below_standard"]),
        (&json!(false), &json!(false)),
        "{v}"
    );
    assert!(!has(&v, "cause_check"), "{v}");
    assert!(v["neighbour_sample"].is_null(), "{v}");
    // Device on the floor: not valid either.
    let mut floor = reading("first", 12.0, true);
    floor["device_centre_1m"] = json!(false);
    let v = measured(&c, &o, floor).await;
    assert_eq!(v["measurements"][1]["valid"], false, "{v}");
    // Measured again properly: 16.5 °C is below 18.
    c.app.advance(3600).await; // 10:00
    let v = measured(&c, &o, reading("first", 16.5, true)).await;
    let m = &v["measurements"][2];
    assert_eq!(
        (&m["valid"], &m["below_standard"]),
        (&json!(true), &json!(true)),
        "{v}"
    );
    assert_eq!(m["room_c"], 16.5);
    assert_eq!(m["standard_c"], 18.0);
    let d = deadline(&v, "cause_check");
    assert_eq!(
        d["due_at"], "2026-03-03T02:00:00Z",
        "24 h from the reading: {d}"
    );
    assert_eq!(d["state"], "pending");
    assert_eq!(d["unit_id"], c.team.as_str(), "the unit's limit: {d}");
    // The neighbours of building 3, at most 10, the customer and building 4 left out.
    let n = v["neighbour_sample"].as_array().unwrap();
    assert_eq!(n.len(), 10, "{v}");
    assert!(
        n.iter()
            .all(|x| x["building"] == "3" && x["account_no"] != "T-01"),
        "{v}"
    );
    assert_eq!(n[0]["account_no"], "T-02", "{v}");
    // The order lists them too, and each reading is an event.
    let g = c.get(&o).await;
    assert_eq!(g["measurements"].as_array().unwrap().len(), 3, "{g}");
    assert_eq!(g["neighbour_sample"].as_array().unwrap().len(), 10, "{g}");
    let events = g["events"].as_array().unwrap();
    assert_eq!(events.iter().filter(|e| e["type"] == "measured").count(), 3);
    // 18.0 exactly meets the standard: no new limit; the running one is not restarted.
    let v = measured(&c, &o, reading("confirm", 18.0, true)).await;
    assert_eq!(v["measurements"][3]["below_standard"], false, "{v}");
    assert_eq!(
        deadline(&v, "cause_check")["due_at"],
        "2026-03-03T02:00:00Z"
    );
    // Missed after 24 h, met by the unit's reply otherwise.
    c.app.advance(24 * 3600).await;
    assert_eq!(deadline(&c.get(&o).await, "cause_check")["state"], "missed");
}

#[tokio::test]
async fn cause_check_is_met_by_the_units_reply_000_s5_6() {
    let c = Centre::new("heat").await;
    let o = temperature_order(&c, None).await;
    let v = measured(&c, &o, reading("first", 15.0, true)).await;
    assert_eq!(deadline(&v, "cause_check")["state"], "pending");
    // Without the register the sample is the order's community (none registered here).
    assert!(v["neighbour_sample"].is_null(), "{v}");
    c.step(&c.handler, &o, "accept", json!({})).await;
    let v = c
        .step(
            &c.handler,
            &o,
            "reply",
            json!({"result": "户内阀门未全开，已调整"}),
        )
        .await;
    assert_eq!(deadline(&v, "cause_check")["state"], "met", "{v}");
}

#[tokio::test]
async fn stages_go_first_confirm_recheck_third_party_in_order_000_s5_7() {
    let c = Centre::new("heat").await;
    let o = temperature_order(&c, None).await;
    let refused = |v: &Value| {
        assert_eq!(v["error"]["code"], "invalid_transition", "{v}");
        assert_eq!(v["error"]["field"], "stage", "{v}");
    };
    let (s, v) = measure(&c, &o, reading("confirm", 19.0, true)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    refused(&v);
    measured(&c, &o, reading("first", 19.0, true)).await;
    // A valid first reading is not taken again; recheck skips the confirmation.
    let (s, v) = measure(&c, &o, reading("first", 19.0, true)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    refused(&v);
    let (_, v) = measure(&c, &o, reading("recheck", 19.0, true)).await;
    refused(&v);
    measured(&c, &o, reading("confirm", 19.0, true)).await;
    let (_, v) = measure(&c, &o, reading("first", 19.0, true)).await;
    refused(&v);
    measured(&c, &o, reading("recheck", 19.0, true)).await;
    let v = measured(&c, &o, reading("third_party", 19.0, true)).await;
    let stages: Vec<&str> = v["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["first", "confirm", "recheck", "third_party"]);
    let (s, v) = measure(&c, &o, reading("second", 19.0, true)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "stage");
}

#[tokio::test]
async fn the_customer_signs_or_the_refusal_is_noted_000_s5_4() {
    let c = Centre::new("heat").await;
    let o = temperature_order(&c, None).await;
    let mut unsigned = reading("first", 17.0, true);
    unsigned["customer_signed"] = json!(false);
    let (s, v) = measure(&c, &o, unsigned.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "refusal_note", "{v}");
    let mut both = reading("first", 17.0, true);
    both["refusal_note"] = json!("不认可");
    let (s, v) = measure(&c, &o, both).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "refusal_note");
    unsigned["refusal_note"] = json!("用户认为读数偏高，拒绝签字，约定复测");
    let v = measured(&c, &o, unsigned).await;
    let m = &v["measurements"][0];
    assert_eq!(m["customer_signed"], false, "{v}");
    assert_eq!(m["refusal_note"], "用户认为读数偏高，拒绝签字，约定复测");
    // Required fields are named.
    let (s, v) = measure(&c, &o, json!({"stage": "confirm", "room_c": 17.0})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "doors_windows_closed_1h", "{v}");
    let (s, v) = measure(&c, &o, json!({"stage": "confirm"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "room_c", "{v}");
}

#[tokio::test]
async fn readings_only_on_temperature_orders_held_by_a_unit_by_its_people() {
    let c = Centre::new("heat").await;
    let repair = c.dispatched("repair", Some("leak")).await;
    let (s, v) = measure(&c, &repair, reading("first", 19.0, true)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "invalid_transition");
    // Not yet dispatched (the unit does not see it; the supervisor is refused).
    let new = c.order("service", Some("temperature")).await;
    let (s, _) = measure(&c, &new, reading("first", 19.0, true)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let id = new["id"].as_str().unwrap();
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/orders/{id}/measurements"),
            &c.supervisor,
            reading("first", 19.0, true),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // The callback agent takes no readings.
    let o = temperature_order(&c, None).await;
    let id = o["id"].as_str().unwrap();
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/orders/{id}/measurements"),
            &c.callback,
            reading("first", 19.0, true),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_policy_without_a_temperature_section_takes_no_readings() {
    let c = Centre::new("water").await;
    let o = temperature_order(&c, None).await;
    let (s, v) = measure(&c, &o, reading("first", 19.0, true)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("[temperature]"),
        "{v}"
    );
}
