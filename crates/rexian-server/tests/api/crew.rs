//! The crew on its way (`001`: 客户问询抢修人员何时到现场时，不允许回答“我们已经派了”… 告知预计
//! 达到时间) and visit appointments (上门预约, `000:一.4`, `四.2(5)`, `四.5(1)`; issue 19): the
//! assigned worker reports set off (with the expected arrival), on site (the arrive step: it
//! meets the arrive limit as that step does) and done, only in that order; a visit booked for
//! the customer's time makes the arrive limit count to it and is its own limit, whose miss is
//! `appointment_missed`; the next visit is booked from the order, the history kept.

use axum::http::StatusCode;
use rexian_testkit::{deadline, Centre};
use serde_json::{json, Value};

/// A heating leak repair (arrive 30 min, preparation 10 min from the dispatch) dispatched at
/// 09:00 Beijing, accepted and assigned to a field worker of the team; (centre, order id,
/// worker token, worker id).
async fn assigned() -> (Centre, String, String, String) {
    let c = Centre::new("heat").await;
    let (worker_id, worker) = c
        .app
        .user("liuqiang", &["field_worker"], Some(&c.team), None)
        .await;
    let body = json!({"company_id": c.company, "category": "repair", "subtype": "leak",
        "channel": "phone", "description": "暖气片接口漏水",
        "customer": {"name": "王先生", "phone": "13812345678",
            "address": "和平里小区3号楼2单元502室", "community": "和平里小区"}});
    let (s, o) = c.app.post("/api/v1/orders", &c.agent, body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_str().unwrap().to_owned();
    c.step(&c.agent, &id, "dispatch", json!({"unit_id": c.team}))
        .await;
    c.step(&c.handler, &id, "accept", json!({})).await;
    c.step(&c.handler, &id, "assign", json!({"user_id": worker_id}))
        .await;
    (c, id, worker, worker_id)
}

async fn crew(c: &Centre, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    c.app
        .post(&format!("/api/v1/orders/{id}/crew"), token, body)
        .await
}

async fn book(c: &Centre, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    c.app
        .post(&format!("/api/v1/orders/{id}/appointment"), token, body)
        .await
}

fn events(o: &Value, kind: &str) -> Vec<Value> {
    o["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_crew_sets_off_with_an_eta_arrives_and_is_done_and_the_agent_sees_it_001() {
    let (c, id, worker, worker_id) = assigned().await;
    let o = c.get(&id).await;
    assert_eq!(o["crew"]["state"], "assigned", "{o}");
    assert_eq!(o["crew"]["worker"], worker_id.as_str());
    // 09:05 the worker sets off and expects to be there at 09:25 (Beijing).
    c.app.advance(5 * 60).await;
    let (s, o) = crew(
        &c,
        &worker,
        &id,
        json!({"state": "set_off", "eta": "2026-03-02T01:25:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["crew"]["state"], "set_off");
    assert_eq!(o["crew"]["eta"], "2026-03-02T01:25:00Z");
    assert_eq!(o["crew"]["at"], "2026-03-02T01:05:00Z");
    // Setting off is the crew's preparation (000:四.2(5)); the arrival still counts.
    assert_eq!(deadline(&o, "prepare")["state"], "met", "{o}");
    assert_eq!(deadline(&o, "arrive")["state"], "pending");
    assert_eq!(events(&o, "crew_set_off").len(), 1);
    // The agent asked "where is the crew?" sees the state and the expected arrival.
    let (s, seen) = c.app.get(&format!("/api/v1/orders/{id}"), &c.agent).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(seen["crew"]["state"], "set_off");
    assert_eq!(seen["crew"]["eta"], "2026-03-02T01:25:00Z");
    // Held up: a revised arrival.
    let (s, o) = crew(
        &c,
        &worker,
        &id,
        json!({"state": "set_off", "eta": "2026-03-02T01:28:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["crew"]["eta"], "2026-03-02T01:28:00Z");
    // 09:27 on site: the order's arrive step, meeting the arrive limit.
    c.app.advance(22 * 60).await;
    let (s, o) = crew(&c, &worker, &id, json!({"state": "on_site"})).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["status"], "in_progress");
    assert_eq!(o["crew"]["state"], "on_site");
    assert_eq!(deadline(&o, "arrive")["state"], "met", "{o}");
    assert_eq!(
        events(&o, "arrived").len(),
        1,
        "one arrival, not a second notion"
    );
    assert_eq!(events(&o, "arrived")[0]["data"]["state"], "on_site");
    let (s, o) = crew(
        &c,
        &worker,
        &id,
        json!({"state": "done", "note": "已更换垫片"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["crew"]["state"], "done");
    assert_eq!(
        o["status"], "in_progress",
        "the unit's reply is still to come"
    );
    assert_eq!(events(&o, "crew_done").len(), 1);
}

#[tokio::test]
async fn crew_states_only_in_order_and_only_by_the_assigned_worker_or_the_unit_001() {
    let (c, id, worker, _) = assigned().await;
    // On site or done before setting off: 409 naming `state`.
    for state in ["on_site", "done"] {
        let (s, e) = crew(&c, &worker, &id, json!({"state": state})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{state}: {e}");
        assert_eq!(e["error"]["code"], "invalid_transition");
        assert_eq!(e["error"]["field"], "state");
    }
    let (s, e) = crew(&c, &worker, &id, json!({"state": "set_off"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "eta");
    let (s, e) = crew(&c, &worker, &id, json!({"state": "parked"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "state");
    let (s, e) = crew(
        &c,
        &worker,
        &id,
        json!({"state": "set_off", "eta": "2026-03-02T00:30:00Z"}),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "an arrival before setting off: {e}"
    );
    assert_eq!(e["error"]["field"], "eta");
    // The unit handler may report for the crew; another worker of the team does not see it.
    let (_, other) = c
        .app
        .user("zhangwei", &["field_worker"], Some(&c.team), None)
        .await;
    let (s, _) = crew(
        &c,
        &other,
        &id,
        json!({"state": "set_off", "eta": "2026-03-02T01:20:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = crew(&c, &c.agent, &id, json!({"state": "on_site"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, o) = crew(
        &c,
        &c.handler,
        &id,
        json!({"state": "set_off", "eta": "2026-03-02T01:20:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    // Sent late from a phone without signal: the time pressed is kept; a time before the
    // crew's present state is refused.
    c.app.advance(30 * 60).await; // 09:30
    let (s, e) = crew(
        &c,
        &worker,
        &id,
        json!({"state": "on_site", "at": "2026-03-02T00:59:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "at");
    let (s, o) = crew(
        &c,
        &worker,
        &id,
        json!({"state": "on_site", "at": "2026-03-02T01:18:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["crew"]["at"], "2026-03-02T01:18:00Z");
    let (s, e) = crew(
        &c,
        &worker,
        &id,
        json!({"state": "set_off", "eta": "2026-03-02T02:00:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "on site: not setting off: {e}");
    assert_eq!(e["error"]["field"], "state");
    // No crew without an assignment: a dispatched order no worker holds.
    let fresh = c.dispatched("repair", Some("leak")).await;
    let fresh = fresh["id"].as_str().unwrap();
    let (s, e) = crew(
        &c,
        &c.handler,
        fresh,
        json!({"state": "set_off", "eta": "2026-03-02T02:00:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["field"], "state");
    assert_eq!(c.get(fresh).await["crew"], Value::Null);
}

#[tokio::test]
async fn the_arrive_limit_counts_to_the_appointment_and_a_missed_one_fires_000_s1_4() {
    let (c, id, worker, _) = assigned().await;
    // The customer is at work: the visit is booked for 14:00 Beijing.
    let (s, o) = book(
        &c,
        &c.agent,
        &id,
        json!({"for_time": "2026-03-02T06:00:00Z", "note": "业主下午两点后在家"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(
        deadline(&o, "arrive")["due_at"],
        "2026-03-02T06:00:00Z",
        "{o}"
    );
    assert_eq!(
        deadline(&o, "appointment")["due_at"],
        "2026-03-02T06:00:00Z"
    );
    assert_eq!(o["appointment"]["for_time"], "2026-03-02T06:00:00Z");
    assert_eq!(o["appointment"]["state"], "pending");
    assert_eq!(o["appointment"]["bookings"], 1);
    assert_eq!(events(&o, "appointment_booked").len(), 1);
    // 09:40: the 30-minute limit from the dispatch would have passed; the appointment holds it.
    c.app.advance(40 * 60).await;
    let o = c.get(&id).await;
    assert_eq!(deadline(&o, "arrive")["state"], "pending", "{o}");
    // 14:05: the crew is not there: the appointment is missed, its own event.
    c.app.advance(4 * 3600 + 25 * 60).await;
    let o = c.get(&id).await;
    assert_eq!(deadline(&o, "appointment")["state"], "missed", "{o}");
    assert_eq!(o["appointment"]["state"], "missed");
    assert_eq!(events(&o, "appointment_missed").len(), 1, "{o}");
    assert_eq!(
        events(&o, "appointment_missed")[0]["data"]["deadline"],
        "appointment"
    );
    // The next visit is booked from the order; the first stays in its history.
    let (s, o) = book(
        &c,
        &c.handler,
        &id,
        json!({"for_time": "2026-03-03T01:00:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let rebooked = events(&o, "appointment_rebooked");
    assert_eq!(rebooked.len(), 1);
    assert_eq!(rebooked[0]["data"]["previous"], "2026-03-02T06:00:00Z");
    assert_eq!(o["appointment"]["bookings"], 2);
    assert_eq!(o["appointment"]["state"], "pending");
    assert_eq!(
        deadline(&o, "appointment")["due_at"],
        "2026-03-03T01:00:00Z"
    );
    assert_eq!(deadline(&o, "arrive")["due_at"], "2026-03-03T01:00:00Z");
    // The crew keeps it: on site meets both the arrival and the appointment.
    c.app.advance(18 * 3600).await; // 08:05 next day
    let (s, _) = crew(
        &c,
        &worker,
        &id,
        json!({"state": "set_off", "eta": "2026-03-03T00:50:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    c.app.advance(40 * 60).await; // 08:45
    let (s, o) = crew(&c, &worker, &id, json!({"state": "on_site"})).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(deadline(&o, "appointment")["state"], "met", "{o}");
    assert_eq!(deadline(&o, "arrive")["state"], "met");
    assert_eq!(o["appointment"]["state"], "met");
    assert_eq!(events(&o, "appointment_missed").len(), 1, "no second miss");
}

#[tokio::test]
async fn an_appointment_needs_a_future_time_and_a_unit_holding_the_order_000_s1_4() {
    let (c, id, worker, _) = assigned().await;
    let (s, e) = book(
        &c,
        &c.agent,
        &id,
        json!({"for_time": "2026-03-02T00:30:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "for_time");
    let (s, e) = book(&c, &c.agent, &id, json!({"note": "x"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "for_time");
    // The worker on the order books the next visit too (000:四.5(1) 约定下次维修时间).
    let (s, o) = book(
        &c,
        &worker,
        &id,
        json!({"for_time": "2026-03-02T08:00:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    // An order no unit holds yet takes no visit.
    let o = c.order("repair", Some("leak")).await;
    let (s, e) = book(
        &c,
        &c.agent,
        o["id"].as_str().unwrap(),
        json!({"for_time": "2026-03-02T08:00:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "invalid_transition");
    let (s, _) = book(
        &c,
        &c.callback,
        &id,
        json!({"for_time": "2026-03-02T08:00:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_caller_lookup_says_where_the_crew_is_in_words_001() {
    let (c, id, worker, _) = assigned().await;
    let (s, v) = c
        .app
        .post(
            "/api/v1/customers",
            &c.agent,
            json!({"company_id": c.company, "account_no": "HX-0502", "name": "王先生",
                "phone": "13812345678", "community": "和平里小区"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let customer = v["id"].as_str().unwrap().to_owned();
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/customers/{customer}/verify"),
            &c.agent,
            json!({"name": "王先生", "phone": "13812345678"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let lookup = || async {
        let (s, _, body) = c
            .app
            .raw(
                "GET",
                "/intake/lookup?phone=13812345678",
                Some(&c.agent),
                None,
                "",
                &[],
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        String::from_utf8(body).unwrap()
    };
    let page = lookup().await;
    assert!(page.contains(&format!("/orders/{id}\"")), "{page}");
    assert!(page.contains("已指派，尚未出发"), "{page}");
    let (s, _) = crew(
        &c,
        &worker,
        &id,
        json!({"state": "set_off", "eta": "2026-03-02T01:40:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let page = lookup().await;
    assert!(page.contains("已出发，预计 09:40 到达"), "{page}");
}
