//! Orders through the API: the lifecycle, deadlines on the business calendar, timers and
//! supervision, extensions, returns, privacy (SPEC §2, §3, §7).

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

/// A gas company with a centre, a division and a repair team, and one user per role.
struct Gas {
    app: TestApp,
    company: String,
    division: String,
    team: String,
    agent: String,
    dispatcher: String,
    handler: String,
    callback: String,
    supervisor: String,
    other_handler: String,
    assessor: String,
}

async fn gas_at(start: &str) -> Gas {
    let app = TestApp::at(start.parse().unwrap()).await;
    let company = app.company("西山燃气", "gas").await;
    let centre = app.unit(&company, None, "客服中心", "centre").await;
    let division = app.unit(&company, None, "城北事业部", "division").await;
    let team = app
        .unit(&company, Some(&division), "城北维修站", "repair_team")
        .await;
    let other = app.unit(&company, None, "城南维修站", "repair_team").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let (_, dispatcher) = app
        .user("dispatcher", &["dispatcher"], Some(&centre), None)
        .await;
    let (_, handler) = app
        .user("handler", &["unit_handler"], Some(&team), None)
        .await;
    let (_, callback) = app
        .user("callback", &["callback_agent"], Some(&centre), None)
        .await;
    let (_, supervisor) = app
        .user("supervisor", &["supervisor"], Some(&centre), None)
        .await;
    let (_, other_handler) = app
        .user("other", &["unit_handler"], Some(&other), None)
        .await;
    let (_, assessor) = app
        .user("assessor", &["assessor"], Some(&centre), None)
        .await;
    Gas {
        app,
        company,
        division,
        team,
        agent,
        dispatcher,
        handler,
        callback,
        supervisor,
        other_handler,
        assessor,
    }
}

async fn gas() -> Gas {
    gas_at("2026-03-02T01:00:00Z").await
}

fn deadline<'a>(o: &'a Value, kind: &str) -> &'a Value {
    o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} deadline in {o}"))
}

impl Gas {
    async fn repair(&self) -> Value {
        let body = json!({"company_id": self.company, "category": "repair", "subtype": "leak", "channel": "phone",
            "description": "厨房燃气表后阀门漏气", "customer": {"name": "李女士", "phone": "13812345678",
            "address": "城北路12号3单元501", "community": "城北小区"}});
        let (s, o) = self.app.post("/api/v1/orders", &self.agent, body).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        o
    }

    async fn step(&self, token: &str, o: &Value, step: &str, body: Value) -> Value {
        let (s, v) = self
            .app
            .post(
                &format!("/api/v1/orders/{}/{step}", o["id"].as_str().unwrap()),
                token,
                body,
            )
            .await;
        assert!(s.is_success(), "{step}: {s} {v}");
        v
    }
}

#[tokio::test]
async fn gas_repair_whole_lifecycle_002_s14_4() {
    let g = gas().await;
    let o = g.repair().await;
    assert_eq!(o["status"], "new");
    assert!(
        o["number"].as_str().unwrap().starts_with("RQ20260302-"),
        "{}",
        o["number"]
    );
    assert_eq!(
        deadline(&o, "dispatch")["due_at"],
        "2026-03-02T01:05:00Z",
        "5 min to dispatch"
    );
    assert!(o["first_responder_id"].is_string());
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    assert_eq!(o["status"], "dispatched");
    assert_eq!(deadline(&o, "dispatch")["state"], "met");
    assert_eq!(
        deadline(&o, "contact")["due_at"],
        "2026-03-02T03:00:00Z",
        "2 h to contact"
    );
    // 3 workdays from Monday 09:00 local: Thursday 09:00 local.
    assert_eq!(deadline(&o, "finish")["due_at"], "2026-03-05T01:00:00Z");
    let o = g.step(&g.handler, &o, "accept", json!({})).await;
    let o = g.step(&g.handler, &o, "arrive", json!({})).await;
    assert_eq!(o["status"], "in_progress");
    let o = g
        .step(
            &g.handler,
            &o,
            "reply",
            json!({"result": "更换阀门，已试压无泄漏", "paid": false}),
        )
        .await;
    assert_eq!(o["status"], "replied");
    assert_eq!(deadline(&o, "finish")["state"], "met");
    // Callback 1 workday after the reply.
    assert_eq!(deadline(&o, "callback")["due_at"], "2026-03-03T01:00:00Z");
    let o = g
        .step(&g.dispatcher, &o, "review", json!({"approved": true}))
        .await;
    assert_eq!(o["status"], "reviewed");
    let o = g
        .step(
            &g.callback,
            &o,
            "callbacks",
            json!({"reached": true, "satisfaction": "satisfied", "matches_reply": true}),
        )
        .await;
    assert_eq!(o["status"], "callback");
    let o = g.step(&g.callback, &o, "close", json!({})).await;
    assert_eq!(o["status"], "closed");
    let types: Vec<&str> = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "created",
            "dispatched",
            "accepted",
            "arrived",
            "replied",
            "reviewed",
            "callback",
            "closed"
        ]
    );
    assert_eq!(o["callbacks"][0]["satisfaction"], "satisfied");
    // Every event has an actor and a time; seq counts from 1.
    for (i, e) in o["events"].as_array().unwrap().iter().enumerate() {
        assert_eq!(e["seq"], i as i64 + 1);
        assert!(e["actor_id"].is_string() && e["at"].is_string());
    }
}

#[tokio::test]
async fn invalid_steps_are_refused() {
    let g = gas().await;
    let o = g.repair().await;
    let id = o["id"].as_str().unwrap();
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/reply"),
            &g.dispatcher,
            json!({"result": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/review"),
            &g.dispatcher,
            json!({"approved": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"]["code"], "invalid_transition");
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            &g.dispatcher,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "unit_id");
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            &g.dispatcher,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "reason");
    let (s, _) = g
        .app
        .post("/api/v1/orders/999999/accept", &g.supervisor, json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/fly"),
            &g.dispatcher,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test]
async fn intake_validation_names_the_field() {
    let g = gas().await;
    for (body, field) in [
        (
            json!({"company_id": g.company, "category": "wish", "channel": "phone", "description": "x"}),
            "category",
        ),
        (
            json!({"company_id": g.company, "category": "repair", "channel": "pigeon", "description": "x"}),
            "channel",
        ),
        (
            json!({"company_id": g.company, "category": "repair", "channel": "phone", "description": " "}),
            "description",
        ),
        (
            json!({"company_id": g.company, "category": "repair", "subtype": "dragon", "channel": "phone", "description": "x"}),
            "subtype",
        ),
        (
            json!({"company_id": g.company, "category": "repair", "channel": "phone", "description": "x", "customer": {"phone": "abc"}}),
            "customer.phone",
        ),
        (
            json!({"company_id": "999", "category": "repair", "channel": "phone", "description": "x"}),
            "company_id",
        ),
        (
            json!({"category": "repair", "channel": "phone", "description": "x"}),
            "company_id",
        ),
        (
            json!({"company_id": g.company, "category": "repair", "channel": "phone", "description": "x", "callback": "maybe"}),
            "callback",
        ),
    ] {
        let (s, v) = g.app.post("/api/v1/orders", &g.agent, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(v["error"]["field"], field, "{body} -> {v}");
    }
}

#[tokio::test]
async fn answered_at_once_is_closed_on_the_spot_002_s14() {
    let g = gas().await;
    let body = json!({"company_id": g.company, "category": "query", "channel": "phone", "description": "询问燃气费缴费方式",
        "resolved_at_once": {"answer": "可通过营业厅、微信公众号缴费"}});
    let (s, o) = g.app.post("/api/v1/orders", &g.agent, body).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(o["status"], "closed");
    assert_eq!(o["deadlines"].as_array().unwrap().len(), 0);
    assert_eq!(o["events"][1]["type"], "closed");
}

#[tokio::test]
async fn idempotency_key_creates_once() {
    let g = gas().await;
    let body = json!({"company_id": g.company, "category": "repair", "channel": "phone", "description": "表不走字"}).to_string();
    let h = [("idempotency-key", "call-42")];
    let (s1, _, b1) = g
        .app
        .raw(
            "POST",
            "/api/v1/orders",
            Some(&g.agent),
            Some(body.clone()),
            "application/json",
            &h,
        )
        .await;
    let (s2, _, b2) = g
        .app
        .raw(
            "POST",
            "/api/v1/orders",
            Some(&g.agent),
            Some(body),
            "application/json",
            &h,
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    let (a, b): (Value, Value) = (
        serde_json::from_slice(&b1).unwrap(),
        serde_json::from_slice(&b2).unwrap(),
    );
    assert_eq!(a["id"], b["id"]);
    let (_, list) = g.app.get("/api/v1/orders", &g.agent).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_intakes_commit_together_and_a_raced_key_creates_once() {
    // Many intakes at once go through the group commit: each gets its own number; eight
    // requests racing with one key make one order and all get its answer.
    let g = gas().await;
    let body = |i: usize| {
        json!({"company_id": g.company, "category": "repair", "channel": "phone",
            "description": format!("并发报修 {i}")})
        .to_string()
    };
    let mut calls = Vec::new();
    for i in 0..40 {
        let key = if i < 8 {
            "same-call".to_string()
        } else {
            format!("call-{i}")
        };
        let app = &g.app;
        let agent = g.agent.clone();
        // The raced key is one request sent eight times (another body under it is refused).
        let b = body(if i < 8 { 0 } else { i });
        calls.push(async move {
            let h = [("idempotency-key", key.as_str())];
            app.raw(
                "POST",
                "/api/v1/orders",
                Some(&agent),
                Some(b),
                "application/json",
                &h,
            )
            .await
        });
    }
    let answers = futures_util::future::join_all(calls).await;
    let mut numbers = std::collections::BTreeSet::new();
    let mut same = std::collections::BTreeSet::new();
    for (i, (status, _, bytes)) in answers.iter().enumerate() {
        assert_eq!(*status, StatusCode::CREATED, "request {i}");
        let v: Value = serde_json::from_slice(bytes).unwrap();
        assert!(v["number"].as_str().unwrap().starts_with("RQ"), "{v}");
        if i < 8 {
            same.insert(v["id"].to_string());
        }
        numbers.insert(v["number"].as_str().unwrap().to_owned());
    }
    assert_eq!(same.len(), 1, "one order for the raced key");
    assert_eq!(numbers.len(), 33, "32 distinct keys plus the raced one");
    let (_, list) = g.app.get("/api/v1/orders?limit=100", &g.agent).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 33);
}

#[tokio::test]
async fn deadline_crosses_national_day_and_lands_on_adjusted_saturday() {
    // Wednesday 2026-09-30 10:00 Beijing; 1–7 October are holidays; Saturday 10 October works.
    let g = gas_at("2026-09-30T02:00:00Z").await;
    let o = g.repair().await;
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    let f = deadline(&o, "finish");
    assert_eq!(
        f["due_at"], "2026-10-10T02:00:00Z",
        "8 Oct, 9 Oct, 10 Oct (调休 Saturday)"
    );
    assert_eq!(f["provisional"], false);
}

#[tokio::test]
async fn year_without_calendar_is_provisional() {
    // 2027 has no calendar block yet: weekends only, deadline marked provisional.
    let g = gas_at("2027-03-01T02:00:00Z").await;
    let o = g.repair().await;
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    assert_eq!(deadline(&o, "finish")["provisional"], true);
    assert_eq!(deadline(&o, "contact")["provisional"], false);
}

#[tokio::test]
async fn missed_limit_starts_supervision_that_climbs_the_unit_chain_000_s8_5_5() {
    let g = gas().await;
    let o = g.repair().await;
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    let id = o["id"].as_str().unwrap();
    // 2 h contact limit: amber at 96 min, red at 120, level 2 at 240, level 3 at 360.
    g.app.advance(100 * 60).await;
    let (_, v) = g
        .app
        .get(&format!("/api/v1/orders/{id}"), &g.supervisor)
        .await;
    assert_eq!(deadline(&v, "contact")["amber"], true);
    g.app.advance(25 * 60).await;
    let (_, v) = g
        .app
        .get(&format!("/api/v1/orders/{id}"), &g.supervisor)
        .await;
    assert_eq!(deadline(&v, "contact")["state"], "missed");
    let (_, overdue) = g
        .app
        .get("/api/v1/orders?overdue=true", &g.supervisor)
        .await;
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
    g.app.advance(4 * 3600).await;
    let (_, sup) = g
        .app
        .get(&format!("/api/v1/orders/{id}/supervision"), &g.supervisor)
        .await;
    let levels: Vec<(i64, String)> = sup["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["level"].as_i64().unwrap() <= 3)
        .map(|n| {
            (
                n["level"].as_i64().unwrap(),
                n["unit_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(levels[0], (1, g.team.clone()), "the unit's handler");
    assert_eq!(levels[1], (2, g.team.clone()), "the unit's head");
    assert_eq!(
        levels[2],
        (3, g.division.clone()),
        "level 3 reaches the parent unit"
    );
    // Each effect exactly once: running the timers again adds nothing.
    let (_, before) = g
        .app
        .get(&format!("/api/v1/orders/{id}"), &g.supervisor)
        .await;
    g.app.advance(0).await;
    g.app.advance(0).await;
    let (_, after) = g
        .app
        .get(&format!("/api/v1/orders/{id}"), &g.supervisor)
        .await;
    assert_eq!(
        before["events"].as_array().unwrap().len(),
        after["events"].as_array().unwrap().len()
    );
    let missed = after["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "deadline_missed")
        .count();
    assert_eq!(missed, 1);
}

#[tokio::test]
async fn return_stops_the_units_clocks_and_redispatch_restarts_them_002_s15_3() {
    let g = gas().await;
    let o = g.repair().await;
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    let o = g
        .step(
            &g.handler,
            &o,
            "return",
            json!({"reason": "地址不在本站辖区"}),
        )
        .await;
    assert_eq!(o["status"], "returned");
    assert!(o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["kind"] != "contact" && d["kind"] != "finish"));
    // The stopped clock never goes red.
    g.app.advance(3 * 3600).await;
    let id = o["id"].as_str().unwrap();
    let (_, v) = g
        .app
        .get(&format!("/api/v1/orders/{id}"), &g.dispatcher)
        .await;
    assert!(!v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "deadline_missed" && e["data"]["deadline"] == "contact"));
    let o = g
        .step(&g.dispatcher, &v, "dispatch", json!({"unit_id": g.team}))
        .await;
    assert_eq!(
        deadline(&o, "contact")["due_at"],
        "2026-03-02T06:00:00Z",
        "fresh 2 h from the new dispatch"
    );
}

#[tokio::test]
async fn extension_moves_the_limit_and_keeps_the_original_002_s15_2() {
    let g = gas().await;
    let o = g.repair().await;
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    let o = g.step(&g.handler, &o, "accept", json!({})).await;
    let id = o["id"].as_str().unwrap();
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/extensions"),
            &g.handler,
            json!({"until": "2026-03-10T01:00:00Z", "reason": "需更换整段管道，等待材料"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let eid = v["extension_id"].as_str().unwrap();
    let (s, _) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/extensions/{eid}/approve"),
            &g.handler,
            json!({}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the unit cannot approve its own extension"
    );
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/extensions/{eid}/approve"),
            &g.supervisor,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let f = deadline(&v, "finish");
    assert_eq!(f["due_at"], "2026-03-10T01:00:00Z");
    assert_eq!(f["original_due_at"], "2026-03-05T01:00:00Z");
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/extensions/{eid}/reject"),
            &g.supervisor,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
}

#[tokio::test]
async fn callback_contradicting_the_reply_sends_it_back_to_the_unit_002_s14_9() {
    let g = gas().await;
    let o = g.repair().await;
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    let o = g.step(&g.handler, &o, "accept", json!({})).await;
    let o = g
        .step(&g.handler, &o, "reply", json!({"result": "已修复"}))
        .await;
    let o = g
        .step(&g.dispatcher, &o, "review", json!({"approved": true}))
        .await;
    let o = g.step(&g.callback, &o, "callbacks", json!({"reached": true, "satisfaction": "unsatisfied", "matches_reply": false, "note": "仍有气味"})).await;
    assert_eq!(o["status"], "dispatched");
    assert_eq!(o["unit_id"], g.team.as_str());
    assert_eq!(
        o["events"].as_array().unwrap().last().unwrap()["type"],
        "reopened"
    );
}

#[tokio::test]
async fn callback_window_and_spacing_and_unreachable_close_002_s14_9() {
    let g = gas().await;
    let o = g.repair().await;
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    let o = g.step(&g.handler, &o, "accept", json!({})).await;
    let o = g
        .step(&g.handler, &o, "reply", json!({"result": "已修复"}))
        .await;
    let o = g
        .step(&g.dispatcher, &o, "review", json!({"approved": true}))
        .await;
    let id = o["id"].as_str().unwrap().to_owned();
    let cb = format!("/api/v1/orders/{id}/callbacks");
    let (s, _) = g
        .app
        .post(&cb, &g.callback, json!({"reached": false}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = g
        .app
        .post(&cb, &g.callback, json!({"reached": false}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["code"], "callback_too_soon");
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/close"),
            &g.callback,
            json!({}),
        )
        .await;
    assert_eq!(v["error"]["code"], "invalid_transition", "{s}");
    g.app.advance(2 * 3600).await; // 11:00 local
    assert_eq!(
        g.app
            .post(&cb, &g.callback, json!({"reached": false}))
            .await
            .0,
        StatusCode::OK
    );
    g.app.advance(10 * 3600).await; // 21:00 local
    let (s, v) = g
        .app
        .post(&cb, &g.callback, json!({"reached": false}))
        .await;
    assert_eq!(v["error"]["code"], "callback_window", "{s}");
    g.app.advance(11 * 3600).await; // 08:00 local next day
    assert_eq!(
        g.app
            .post(&cb, &g.callback, json!({"reached": false}))
            .await
            .0,
        StatusCode::OK
    );
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/close"),
            &g.callback,
            json!({"reason": "三次回访未接通"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "closed");
}

#[tokio::test]
async fn units_see_only_their_orders_and_anonymous_complainants_stay_hidden_002_s13_4() {
    let g = gas().await;
    let body = json!({"company_id": g.company, "category": "complaint", "channel": "phone", "anonymous": true,
        "description": "维修人员态度恶劣", "customer": {"name": "王先生", "phone": "13900001111", "address": "城北路8号", "community": "城北小区"}});
    let (s, o) = g.app.post("/api/v1/orders", &g.agent, body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_str().unwrap();
    assert_eq!(
        o["customer"]["phone"], "13900001111",
        "the centre sees the complainant"
    );
    g.step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    let (s, v) = g.app.get(&format!("/api/v1/orders/{id}"), &g.handler).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v["customer"]["name"].is_null()
            && v["customer"]["phone"].is_null()
            && v["customer"]["address"].is_null(),
        "{v}"
    );
    let (_, list) = g.app.get("/api/v1/orders?q=13900001111", &g.handler).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "not found by phone"
    );
    let (_, list) = g.app.get("/api/v1/orders?q=王先生", &g.handler).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "not found by name"
    );
    let (_, list) = g.app.get("/api/v1/orders", &g.handler).await;
    assert_eq!(list["items"][0]["customer"]["phone"], Value::Null);
    // Another unit sees nothing of it.
    let (s, _) = g
        .app
        .get(&format!("/api/v1/orders/{id}"), &g.other_handler)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = g.app.get("/api/v1/orders", &g.other_handler).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // The assessor sees a masked phone; each view of personal data is logged.
    let r = g.repair().await;
    let (_, v) = g
        .app
        .get(
            &format!("/api/v1/orders/{}", r["id"].as_str().unwrap()),
            &g.assessor,
        )
        .await;
    assert_eq!(v["customer"]["phone"], "138****5678");
    let views = g
        .app
        .state
        .store
        .personal_views(r["id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    assert_eq!(views, 1);
}

#[tokio::test]
async fn list_filters_and_cursor() {
    let g = gas().await;
    for _ in 0..5 {
        g.repair().await;
    }
    let (_, p1) = g
        .app
        .get("/api/v1/orders?limit=2&category=repair", &g.agent)
        .await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = g
        .app
        .get(&format!("/api/v1/orders?limit=2&cursor={cursor}"), &g.agent)
        .await;
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
    let (_, none) = g.app.get("/api/v1/orders?status=closed", &g.agent).await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    let (s, v) = g.app.get("/api/v1/orders?status=flying", &g.agent).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "status");
    let (_, by_q) = g.app.get("/api/v1/orders?q=城北路12号", &g.agent).await;
    assert_eq!(by_q["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn one_call_several_units_one_contact_002_s15_1() {
    let g = gas().await;
    let first = g.repair().await;
    let o = &first;
    let (_, full) = g
        .app
        .get(
            &format!("/api/v1/orders/{}", o["id"].as_str().unwrap()),
            &g.agent,
        )
        .await;
    let contact = full["events"][0]["data"]["contact_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same caller also complains about the bill: another order for another unit, same contact.
    let (s, second) = g
        .app
        .post(
            "/api/v1/orders",
            &g.agent,
            json!({"company_id": g.company, "category": "complaint",
        "channel": "phone", "description": "账单金额异常", "contact_id": contact}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    assert_eq!(second["events"][0]["data"]["contact_id"], contact.as_str());
    assert_ne!(second["number"], first["number"]);
    let (s, v) = g
        .app
        .post(
            "/api/v1/orders",
            &g.agent,
            json!({"company_id": g.company, "category": "repair",
        "channel": "phone", "description": "x", "contact_id": "99999"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "contact_id");
}

#[tokio::test]
async fn calendar_years_and_missing_year_warning() {
    let g = gas_at("2026-12-01T02:00:00Z").await;
    let (s, v) = g.app.get("/api/v1/admin/calendar", &g.supervisor).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["years"], json!([2024, 2025, 2026]));
    assert_eq!(v["missing"], json!([2027]));
    assert!(v["warning"].as_str().unwrap().contains("2027"));
}

#[tokio::test]
async fn field_workers_see_only_orders_assigned_to_them_spec_7() {
    let g = gas().await;
    let (worker_id, worker) = g
        .app
        .user("worker", &["field_worker"], Some(&g.team), None)
        .await;
    let (_, other_worker) = g
        .app
        .user("worker2", &["field_worker"], Some(&g.team), None)
        .await;
    let o = g.repair().await;
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    let id = o["id"].as_str().unwrap().to_owned();
    assert_eq!(
        g.app.get(&format!("/api/v1/orders/{id}"), &worker).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/assign"),
            &g.handler,
            json!({"user_id": g.handler}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let o = g
        .step(&g.handler, &o, "assign", json!({"user_id": worker_id}))
        .await;
    assert_eq!(o["assignee_id"], worker_id.as_str());
    assert_eq!(
        o["events"].as_array().unwrap().last().unwrap()["type"],
        "assigned"
    );
    let (s, _) = g.app.get(&format!("/api/v1/orders/{id}"), &worker).await;
    assert_eq!(s, StatusCode::OK);
    let (_, mine) = g.app.get("/api/v1/orders", &worker).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let (_, theirs) = g.app.get("/api/v1/orders", &other_worker).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    // The assigned worker arrives and replies from the field.
    let o = g.step(&worker, &o, "arrive", json!({})).await;
    let o = g
        .step(
            &worker,
            &o,
            "reply",
            json!({"result": "已更换密封圈", "paid": false}),
        )
        .await;
    assert_eq!(o["status"], "replied");
}

#[tokio::test]
async fn paid_repair_needs_the_customers_consent_000_s4_1() {
    let g = gas().await;
    let o = g.repair().await;
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    let o = g.step(&g.handler, &o, "accept", json!({})).await;
    let id = o["id"].as_str().unwrap();
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/reply"),
            &g.handler,
            json!({"result": "更换户内软管", "paid": true}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "customer_consent");
    let (s, v) = g.app.post(&format!("/api/v1/orders/{id}/reply"), &g.handler, json!({"result": "更换户内软管", "paid": true,
        "customer_consent": true, "fault": "户内软管老化", "materials": "燃气软管1.5米", "labour_minutes": 40,
        "signature": "data:image/png;base64,iVBORw0KGgo="})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let e = v["events"].as_array().unwrap().last().unwrap();
    assert_eq!(e["data"]["paid"], true);
    assert_eq!(e["data"]["materials"], "燃气软管1.5米");
    assert_eq!(e["data"]["labour_minutes"], 40);
}

#[tokio::test]
async fn anonymous_contact_reaches_the_worker_only_with_consent_spec_7() {
    let g = gas().await;
    let (worker_id, worker) = g
        .app
        .user("worker", &["field_worker"], Some(&g.team), None)
        .await;
    for (consent, visible) in [(false, false), (true, true)] {
        let (s, o) = g.app.post("/api/v1/orders", &g.agent, json!({"company_id": g.company, "category": "complaint",
            "channel": "phone", "anonymous": true, "onsite_consent": consent, "description": "表后管道有异味，请上门查看",
            "customer": {"name": "匿名", "phone": "13900002222", "address": "城北路9号"}})).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let o = g
            .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
            .await;
        g.step(&g.handler, &o, "assign", json!({"user_id": worker_id}))
            .await;
        let (_, v) = g
            .app
            .get(
                &format!("/api/v1/orders/{}", o["id"].as_str().unwrap()),
                &worker,
            )
            .await;
        assert_eq!(
            v["customer"]["phone"].is_string(),
            visible,
            "consent {consent}: {v}"
        );
        let (_, h) = g
            .app
            .get(
                &format!("/api/v1/orders/{}", o["id"].as_str().unwrap()),
                &g.handler,
            )
            .await;
        assert!(
            h["customer"]["phone"].is_null(),
            "the unit desk never sees it"
        );
    }
}

#[tokio::test]
async fn unit_asks_for_suspension_and_the_company_approves_000_s8_4() {
    let g = gas().await;
    let o = g.repair().await;
    let o = g
        .step(&g.dispatcher, &o, "dispatch", json!({"unit_id": g.team}))
        .await;
    let id = o["id"].as_str().unwrap();
    let (s, _) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/suspend"),
            &g.handler,
            json!({"reason": "用户要求不合理"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the unit cannot suspend on its own"
    );
    let o = g
        .step(
            &g.handler,
            &o,
            "suspend_request",
            json!({"reason": "用户要求免费更换户内全部管道"}),
        )
        .await;
    assert_eq!(o["status"], "dispatched");
    assert_eq!(
        o["events"].as_array().unwrap().last().unwrap()["type"],
        "suspension_requested"
    );
    let o = g
        .step(
            &g.supervisor,
            &o,
            "suspend",
            json!({"reason": "经公司批准中止"}),
        )
        .await;
    assert_eq!(o["status"], "suspended");
    assert!(
        o["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["kind"] != "finish"),
        "clocks stop"
    );
    let o = g.step(&g.supervisor, &o, "resume", json!({})).await;
    assert_eq!(o["status"], "dispatched");
}

#[tokio::test]
async fn duplicate_call_is_merged_into_the_first_order() {
    let g = gas().await;
    let first = g.repair().await;
    let dup = g.repair().await;
    let id = dup["id"].as_str().unwrap();
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/merge"),
            &g.dispatcher,
            json!({"into": id}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "into");
    let m = g
        .step(&g.dispatcher, &dup, "merge", json!({"into": first["id"]}))
        .await;
    assert_eq!(m["status"], "cancelled");
    let e = m["events"].as_array().unwrap().last().unwrap();
    assert_eq!(e["type"], "merged");
    assert_eq!(e["data"]["into"], first["id"]);
    assert!(
        m["deadlines"].as_array().unwrap().is_empty(),
        "a merged order's clocks stop"
    );
}
