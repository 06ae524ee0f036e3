//! Heating preset through the API: season phases of 暖气不热, leaks, the 48 h callback
//! (`000:四.5(4)`, `000:四.4(7)`).

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

struct Heat {
    app: TestApp,
    company: String,
    station: String,
    agent: String,
    dispatcher: String,
    handler: String,
}

async fn heat_at(start: &str) -> Heat {
    let app = TestApp::at(start.parse().unwrap()).await;
    let company = app.company("北辰热力", "heat").await;
    let (s, v) = app
        .put(
            &format!("/api/v1/companies/{company}/season"),
            &app.admin,
            json!({"start": "2026-11-15", "end": "2027-03-15"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let centre = app.unit(&company, None, "客服中心", "centre").await;
    let station = app.unit(&company, None, "和平里换热站", "station").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let (_, dispatcher) = app
        .user("dispatcher", &["dispatcher"], Some(&centre), None)
        .await;
    let (_, handler) = app
        .user("handler", &["unit_handler"], Some(&station), None)
        .await;
    Heat {
        app,
        company,
        station,
        agent,
        dispatcher,
        handler,
    }
}

fn due(o: &Value, kind: &str) -> String {
    o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}: {o}"))["due_at"]
        .as_str()
        .unwrap()
        .to_owned()
}

impl Heat {
    async fn repair(&self, subtype: &str) -> Value {
        let body = json!({"company_id": self.company, "category": "repair", "subtype": subtype, "channel": "phone",
            "description": "暖气不热", "customer": {"phone": "13811112222", "community": "和平里"}});
        let (s, o) = self.app.post("/api/v1/orders", &self.agent, body).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let (s, o) = self
            .app
            .post(
                &format!("/api/v1/orders/{}/dispatch", o["id"].as_str().unwrap()),
                &self.dispatcher,
                json!({"unit_id": self.station}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{o}");
        o
    }
}

#[tokio::test]
async fn not_warm_after_settling_visit_4h_finish_24h_000_s4_5_4() {
    // 2026-12-05 10:00 Beijing: more than 15 days after the 15 November start.
    let h = heat_at("2026-12-05T02:00:00Z").await;
    let o = h.repair("not_warm").await;
    assert_eq!(due(&o, "arrive"), "2026-12-05T06:00:00Z");
    assert_eq!(due(&o, "finish"), "2026-12-06T02:00:00Z");
}

#[tokio::test]
async fn not_warm_before_season_visit_within_12h_000_s4_5_4() {
    // 2026-11-05: within the 15 days before the start.
    let h = heat_at("2026-11-05T02:00:00Z").await;
    let o = h.repair("not_warm").await;
    assert_eq!(due(&o, "arrive"), "2026-11-05T14:00:00Z");
}

#[tokio::test]
async fn leak_on_site_within_30_minutes_000_s4_5_4() {
    let h = heat_at("2026-12-05T02:00:00Z").await;
    let o = h.repair("leak").await;
    assert_eq!(due(&o, "arrive"), "2026-12-05T02:30:00Z");
    // Every order's result is back within 24 h of acceptance (000:二.5(4)); closed by month end.
    assert_eq!(due(&o, "finish"), "2026-12-06T02:00:00Z");
    assert_eq!(due(&o, "close"), "2026-12-31T15:59:59Z");
}

#[tokio::test]
async fn repair_callback_48h_after_reply_000_s4_4_7() {
    let h = heat_at("2026-12-05T02:00:00Z").await;
    let o = h.repair("leak").await;
    let id = o["id"].as_str().unwrap();
    let (s, _) = h
        .app
        .post(
            &format!("/api/v1/orders/{id}/accept"),
            &h.handler,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, o) = h
        .app
        .post(
            &format!("/api/v1/orders/{id}/reply"),
            &h.handler,
            json!({"result": "已紧固阀门"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(due(&o, "callback"), "2026-12-07T02:00:00Z");
}

#[tokio::test]
async fn a_return_keeps_the_24h_result_limit_counted_from_acceptance_000_s2_5_4() {
    let h = heat_at("2026-12-05T02:00:00Z").await;
    let o = h.repair("leak").await;
    let id = o["id"].as_str().unwrap();
    let (s, o) = h
        .app
        .post(
            &format!("/api/v1/orders/{id}/return"),
            &h.handler,
            json!({"reason": "不属本站"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(
        due(&o, "finish"),
        "2026-12-06T02:00:00Z",
        "the 24 h from acceptance runs on"
    );
    assert!(
        o["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["kind"] != "arrive"),
        "the unit's clock stopped"
    );
}
