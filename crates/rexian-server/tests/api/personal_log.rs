//! Every answer that shows a customer's personal data is logged (SPEC §7, `001`; issue 14
//! finding 5): the API's lists and details and the console pages built on them, one log entry
//! per answer; answers without personal data, and refused ones, are not logged.

use axum::http::StatusCode;
use rexian_store::customers::Customer;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

struct World {
    app: TestApp,
    agent: String,
    handler: String,
    handler_id: i64,
    callback: String,
    supervisor: String,
    supervisor_id: i64,
    team: String,
    company: String,
}

impl World {
    /// An order of `category` for a named customer, taken through `steps` (and its id).
    async fn order(&self, category: &str, phone: &str, callback: Option<Value>) -> String {
        let (s, o) = self
            .app
            .post(
                "/api/v1/orders",
                &self.agent,
                json!({"company_id": self.company,
            "category": category, "channel": "phone", "description": "暖气不热",
            "customer": {"name": "赵女士", "phone": phone, "address": "和平里3号楼"}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let id = o["id"].as_str().unwrap().to_owned();
        let mut steps = vec![
            (&self.agent, "dispatch", json!({"unit_id": self.team})),
            (&self.handler, "accept", json!({})),
            (&self.handler, "reply", json!({"result": "已修复"})),
            (&self.agent, "review", json!({"approved": true})),
        ];
        if let Some(cb) = callback {
            steps.push((&self.callback, "callbacks", cb));
        }
        for (tok, step, b) in steps {
            let (s, v) = self
                .app
                .post(&format!("/api/v1/orders/{id}/{step}"), tok, b)
                .await;
            assert_eq!(s, StatusCode::OK, "{step}: {v}");
        }
        id
    }

    async fn log(&self, user: i64) -> Vec<(Option<i64>, String)> {
        self.app.state.store.personal_views_by(user).await.unwrap()
    }
}

async fn world() -> World {
    let app = TestApp::new().await;
    let company = app.company("北辰热力", "heat").await;
    let centre = app.unit(&company, None, "客服中心", "centre").await;
    let team = app.unit(&company, None, "和平里换热站", "station").await;
    let (_, agent) = app
        .user("agent", &["agent", "dispatcher"], Some(&centre), None)
        .await;
    let (handler_id, handler) = app
        .user("handler", &["unit_handler"], Some(&team), None)
        .await;
    let (_, callback) = app
        .user("callback", &["callback_agent"], Some(&centre), None)
        .await;
    let (supervisor_id, supervisor) = app
        .user("supervisor", &["supervisor"], Some(&centre), None)
        .await;
    World {
        app,
        agent,
        handler,
        handler_id: handler_id.parse().unwrap(),
        callback,
        supervisor,
        supervisor_id: supervisor_id.parse().unwrap(),
        team,
        company,
    }
}

#[tokio::test]
async fn every_answer_with_personal_data_is_logged_spec_7_issue14_5() {
    let w = world().await;
    // Waiting for its callback.
    let waiting = w.order("repair", "13600000001", None).await;
    // Unsatisfied (supervisor's review list).
    let unsatisfied = w
        .order(
            "repair",
            "13600000002",
            Some(json!({"reached": true, "satisfaction": "unsatisfied", "matches_reply": true})),
        )
        .await;
    // Closed complaint: picked for a re-check (heating: at least a fifth of complainants).
    let closed = w
        .order(
            "complaint",
            "13600000003",
            Some(json!({"reached": true, "satisfaction": "satisfied", "matches_reply": true})),
        )
        .await;
    let (s, v) = w
        .app
        .post(
            &format!("/api/v1/orders/{closed}/close"),
            &w.callback,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A dropped call.
    let (s, v) = w
        .app
        .post(
            "/api/v1/contacts",
            &w.agent,
            json!({"company_id": w.company, "channel": "phone",
        "caller_name": "钱先生", "caller_phone": "13512345678", "dropped": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The register and a month's survey sample.
    let cid: i64 = w.company.parse().unwrap();
    let rows: Vec<Customer> = (0..1000)
        .map(|i| Customer {
            company_id: cid,
            account_no: format!("R-{i:05}"),
            name: format!("住户{i}"),
            phone: Some(format!("1390000{i:04}")),
            community: Some(format!("小区{}", i % 4)),
            residential: true,
            ..Default::default()
        })
        .collect();
    w.app
        .state
        .store
        .import_customers(&rows, 0, |_| {})
        .await
        .unwrap();
    let (s, survey) = w
        .app
        .post(
            "/api/v1/surveys",
            &w.supervisor,
            json!({"company_id": w.company, "month": "2026-03", "per_mille": 5, "seed": 7}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{survey}");
    let (_, found) = w
        .app
        .get("/api/v1/customers?q=13900000001", &w.supervisor)
        .await;
    let customer = found["items"][0]["id"].as_str().unwrap().to_owned();

    let waiting_id: i64 = waiting.parse().unwrap();
    let unsatisfied_id: i64 = unsatisfied.parse().unwrap();
    let checks: Vec<(String, &str, Option<i64>)> = vec![
        ("/api/v1/callbacks/queue".into(), "callback_queue", None),
        ("/api/v1/callbacks/unsatisfied".into(), "unsatisfied", None),
        ("/api/v1/contacts/dropped".into(), "dropped_calls", None),
        ("/api/v1/callbacks/rechecks".into(), "rechecks", None),
        (
            format!("/api/v1/surveys/{}", survey["id"].as_str().unwrap()),
            "survey_sample",
            None,
        ),
        ("/api/v1/search?q=13600000001".into(), "search", None),
        ("/api/v1/orders".into(), "order_list", None),
        ("/api/v1/orders?q=1360000".into(), "order_search", None),
        (
            format!("/api/v1/orders/{waiting}"),
            "order_detail",
            Some(waiting_id),
        ),
        (
            format!("/api/v1/orders/{unsatisfied}/callback_form"),
            "callback_form",
            Some(unsatisfied_id),
        ),
        (
            "/api/v1/customers?q=1390000".into(),
            "customer_search",
            None,
        ),
        (
            format!("/api/v1/customers/{customer}"),
            "customer_detail",
            None,
        ),
        // Pages.
        ("/queues/callbacks".into(), "callback_queue", None),
        ("/queues/callbacks/rows".into(), "callback_queue", None),
        ("/queues/mine".into(), "order_list", None),
        ("/search?q=13600000001".into(), "search", None),
        ("/search/results?q=13600000001".into(), "search", None),
        (
            format!("/orders/{waiting}"),
            "order_detail",
            Some(waiting_id),
        ),
    ];
    for (path, what, order) in checks {
        let before = w.log(w.supervisor_id).await.len();
        let (s, _, body) = w
            .app
            .raw("GET", &path, Some(&w.supervisor), None, "", &[])
            .await;
        assert_eq!(
            s,
            StatusCode::OK,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
        let log = w.log(w.supervisor_id).await;
        assert_eq!(
            log[before..],
            [(order, what.to_owned())],
            "{path} logs one view"
        );
    }
    // The answer of a step shows the customer too.
    let before = w.log(w.handler_id).await.len();
    let o = w.order("repair", "13600000004", None).await;
    let log = w.log(w.handler_id).await;
    let steps: Vec<_> = log[before..]
        .iter()
        .map(|(_, what)| what.as_str())
        .collect();
    assert_eq!(steps, ["order_step", "order_step"], "accept and reply");
    assert_eq!(log.last().unwrap().0, Some(o.parse().unwrap()));
    // No personal data, or no answer: nothing logged.
    let before = w.log(w.supervisor_id).await.len();
    for (path, tok, status) in [
        ("/api/v1/kb/articles", &w.supervisor, StatusCode::OK),
        (
            "/api/v1/search?q=没有这样的词",
            &w.supervisor,
            StatusCode::OK,
        ),
        (
            "/api/v1/callbacks/queue?limit=0",
            &w.supervisor,
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (s, v) = w.app.get(path, tok).await;
        assert_eq!(s, status, "{path}: {v}");
    }
    assert_eq!(w.log(w.supervisor_id).await.len(), before);
}
