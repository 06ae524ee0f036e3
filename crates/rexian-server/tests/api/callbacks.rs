//! The callback queue, appointments, unsatisfied review, new demands raised in a callback and
//! dropped calls (SPEC §4, `002:§14(9)`, `000:二.3(4)`).

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

struct World {
    app: TestApp,
    company: String,
    team: String,
    agent: String,
    dispatcher: String,
    handler: String,
    callback: String,
    supervisor: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let company = app.company("西山燃气", "gas").await;
    let centre = app.unit(&company, None, "供水热线", "centre").await;
    let team = app.unit(&company, None, "第一维修班", "repair_team").await;
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
    World {
        app,
        company,
        team,
        agent,
        dispatcher,
        handler,
        callback,
        supervisor,
    }
}

impl World {
    /// An order taken to `reviewed`, ready for its callback.
    async fn reviewed(&self, category: &str, extra: Value) -> Value {
        let mut body = json!({"company_id": self.company, "category": category, "channel": "phone",
            "description": "楼道水管漏水", "customer": {"name": "赵女士", "phone": "13600001234"}});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, o) = self.app.post("/api/v1/orders", &self.agent, body).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let id = o["id"].as_str().unwrap().to_owned();
        for (tok, step, b) in [
            (&self.dispatcher, "dispatch", json!({"unit_id": self.team})),
            (&self.handler, "accept", json!({})),
            (&self.handler, "reply", json!({"result": "已修复"})),
            (&self.dispatcher, "review", json!({"approved": true})),
        ] {
            let (s, v) = self
                .app
                .post(&format!("/api/v1/orders/{id}/{step}"), tok, b)
                .await;
            assert_eq!(s, StatusCode::OK, "{step}: {v}");
        }
        let (_, o) = self
            .app
            .get(&format!("/api/v1/orders/{id}"), &self.agent)
            .await;
        o
    }

    async fn queue(&self) -> Vec<Value> {
        let (s, v) = self
            .app
            .get("/api/v1/callbacks/queue", &self.callback)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["items"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn queue_lists_orders_needing_a_callback_spec_4() {
    let w = world().await;
    let repair = w.reviewed("repair", json!({})).await;
    let consult = w.reviewed("consult", json!({})).await;
    let declined = w.reviewed("repair", json!({"callback": "declined"})).await;
    let q = w.queue().await;
    let ids: Vec<&str> = q.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&repair["id"].as_str().unwrap()));
    assert!(
        !ids.contains(&consult["id"].as_str().unwrap()),
        "consultations take no callback"
    );
    assert!(
        !ids.contains(&declined["id"].as_str().unwrap()),
        "the customer declined"
    );
    assert_eq!(q[0]["attempts"], 0);
    assert_eq!(q[0]["may_call_now"], true);
    assert!(q[0]["callback_due_at"].is_string());
    // A declined callback closes straight from review.
    let (s, v) = w
        .app
        .post(
            &format!("/api/v1/orders/{}/close", declined["id"].as_str().unwrap()),
            &w.callback,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // An unreached attempt: still queued, next attempt 2 h later; reached: off the queue.
    let id = repair["id"].as_str().unwrap();
    w.app
        .post(
            &format!("/api/v1/orders/{id}/callbacks"),
            &w.callback,
            json!({"reached": false}),
        )
        .await;
    let q = w.queue().await;
    assert_eq!(q[0]["attempts"], 1);
    assert_eq!(q[0]["may_call_now"], false);
    assert_eq!(q[0]["next_attempt_at"], "2026-03-02T03:00:00Z");
    w.app.advance(2 * 3600).await;
    w.app
        .post(
            &format!("/api/v1/orders/{id}/callbacks"),
            &w.callback,
            json!({"reached": true, "satisfaction": "basic", "matches_reply": true}),
        )
        .await;
    assert!(w.queue().await.is_empty());
}

#[tokio::test]
async fn appointment_orders_the_queue() {
    let w = world().await;
    let a = w.reviewed("repair", json!({})).await;
    let b = w
        .reviewed("repair", json!({"callback_at": "2026-03-02T02:00:00Z"}))
        .await;
    let q = w.queue().await;
    assert_eq!(
        q[0]["id"], b["id"],
        "the appointment (10:00) comes before the 1-workday limit"
    );
    assert_eq!(q[0]["callback_at"], "2026-03-02T02:00:00Z");
    let (s, v) = w
        .app
        .post(
            &format!(
                "/api/v1/orders/{}/callback_appointment",
                a["id"].as_str().unwrap()
            ),
            &w.callback,
            json!({"until": "2026-03-02T01:30:00Z", "note": "客户要求9点半后回电"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(w.queue().await[0]["id"], a["id"]);
    let (s, v) = w
        .app
        .post(
            &format!(
                "/api/v1/orders/{}/callback_appointment",
                a["id"].as_str().unwrap()
            ),
            &w.callback,
            json!({"until": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "until");
}

#[tokio::test]
async fn unsatisfied_results_go_to_a_supervisor_review_list() {
    let w = world().await;
    let o = w.reviewed("repair", json!({})).await;
    let id = o["id"].as_str().unwrap();
    let (s, _) = w.app.post(&format!("/api/v1/orders/{id}/callbacks"), &w.callback,
        json!({"reached": true, "satisfaction": "unsatisfied", "matches_reply": true, "note": "上门太慢"})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = w
        .app
        .get("/api/v1/callbacks/unsatisfied", &w.supervisor)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/orders/{id}/unsatisfied_review"),
            &w.callback,
            json!({"comment": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = w
        .app
        .post(
            &format!("/api/v1/orders/{id}/unsatisfied_review"),
            &w.supervisor,
            json!({"comment": "已约谈维修班长"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, list) = w
        .app
        .get("/api/v1/callbacks/unsatisfied", &w.supervisor)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn new_demand_in_a_callback_becomes_a_linked_order_spec_4() {
    let w = world().await;
    let o = w.reviewed("repair", json!({})).await;
    let id = o["id"].as_str().unwrap();
    let (s, n) = w.app.post("/api/v1/orders", &w.agent, json!({"company_id": w.company, "category": "service",
        "subtype": "water_quality", "channel": "phone", "description": "回访时客户提出水质化验申请", "linked_order_id": id})).await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    assert_eq!(n["linked_order_id"], id);
    // The old one is finished first: its callback and close go on as before.
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/orders/{id}/callbacks"),
            &w.callback,
            json!({"reached": true, "satisfaction": "satisfied", "matches_reply": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = w
        .app
        .post(
            &format!("/api/v1/orders/{id}/close"),
            &w.callback,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn dropped_call_is_a_call_back_task_000_s2_3_4() {
    let w = world().await;
    let (s, v) = w
        .app
        .post(
            "/api/v1/contacts",
            &w.agent,
            json!({"company_id": w.company, "channel": "phone", "dropped": true}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "caller_phone");
    let (s, v) = w
        .app
        .post(
            "/api/v1/contacts",
            &w.agent,
            json!({"company_id": w.company, "channel": "phone",
        "caller_phone": "13512345678", "dropped": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let cid = v["id"].as_str().unwrap().to_owned();
    let (_, list) = w.app.get("/api/v1/contacts/dropped", &w.callback).await;
    assert_eq!(list["items"][0]["caller_phone"], "13512345678");
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/contacts/{cid}/handled"),
            &w.callback,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = w.app.get("/api/v1/contacts/dropped", &w.callback).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/contacts/{cid}/handled"),
            &w.callback,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "handled once");
}

#[tokio::test]
async fn callback_form_has_every_field_of_the_seed_form_000_appendix() {
    let w = world().await;
    let o = w.reviewed("repair", json!({})).await;
    let id = o["id"].as_str().unwrap();
    let (s, _) = w
        .app
        .get(&format!("/api/v1/orders/{id}/callback_form"), &w.callback)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no callback yet");
    let (s, v) = w
        .app
        .post(
            &format!("/api/v1/orders/{id}/callbacks"),
            &w.callback,
            json!({"reached": true, "satisfaction": "satisfied",
        "matches_reply": true, "method": "fax"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "method");
    let (s, v) = w.app.post(&format!("/api/v1/orders/{id}/callbacks"), &w.callback, json!({"reached": true, "satisfaction": "satisfied",
        "matches_reply": true, "method": "on_site", "remaining_issues": "无", "customer_opinion": "维修及时"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, f) = w
        .app
        .get(&format!("/api/v1/orders/{id}/callback_form"), &w.callback)
        .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    for field in [
        "customer",
        "form_number",
        "contact_person",
        "contact_phone",
        "customer_head",
        "customer_head_phone",
        "address",
        "time",
        "method",
        "content",
        "demand",
        "handling_and_result",
        "remaining_issues",
        "customer_opinion",
        "customer_signature",
        "callback_staff",
        "department_head",
    ] {
        assert!(f.get(field).is_some(), "{field} missing from {f}");
    }
    assert_eq!(f["method"], "on_site");
    assert_eq!(f["handling_and_result"], "已修复");
    assert_eq!(f["customer_opinion"], "维修及时");
    assert_eq!(f["contact_phone"], "13600001234");
    assert_eq!(f["callback_staff"], "callback");
    assert_eq!(f["time"], "2026-03-02 09:00");
}
