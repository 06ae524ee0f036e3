//! Sampled re-checks (`000:九.4` at least 20 % of complainants; `001` random repair callbacks
//! with four questions) and outreach reports due 7 days after the event (`000:三.7`).

use axum::http::StatusCode;
use rexian_testkit::Centre;
use serde_json::{json, Value};

async fn company(utility: &str) -> Centre {
    Centre::new(utility).await
}

/// The steps these tests repeat.
trait Flow {
    async fn close_one(&self, category: &str, subtype: Option<&str>, phone: &str) -> String;
    async fn rechecks(&self) -> Vec<Value>;
}

impl Flow for Centre {
    /// Takes one order of `category` from intake to closed.
    async fn close_one(&self, category: &str, subtype: Option<&str>, phone: &str) -> String {
        let (s, o) = self.app.post("/api/v1/orders", &self.agent, json!({"company_id": self.company, "category": category,
            "subtype": subtype, "channel": "phone", "description": format!("{category} {phone}"), "customer": {"phone": phone}})).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let id = o["id"].as_str().unwrap().to_owned();
        for (tok, step, b) in [
            (&self.agent, "dispatch", json!({"unit_id": self.team})),
            (&self.handler, "accept", json!({})),
            (&self.handler, "reply", json!({"result": "已处理"})),
            (&self.agent, "review", json!({"approved": true})),
            (
                &self.callback,
                "callbacks",
                json!({"reached": true, "satisfaction": "satisfied", "matches_reply": true}),
            ),
            (&self.callback, "close", json!({})),
        ] {
            let (s, v) = self
                .app
                .post(&format!("/api/v1/orders/{id}/{step}"), tok, b)
                .await;
            assert_eq!(s, StatusCode::OK, "{step}: {v}");
        }
        id
    }

    async fn rechecks(&self) -> Vec<Value> {
        let (s, v) = self
            .app
            .get("/api/v1/callbacks/rechecks", &self.callback)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["items"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn at_least_a_fifth_of_heating_complainants_are_rechecked_000_s9_4() {
    let c = company("heat").await;
    for i in 0..10 {
        c.close_one("complaint", Some("general"), &format!("1380000{i:04}"))
            .await;
    }
    let r = c.rechecks().await;
    assert!(r.len() >= 2, "at least 20 % of 10: {}", r.len());
    assert_eq!(r[0]["kind"], "complaint_recheck");
    let id = r[0]["id"].as_str().unwrap();
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/rechecks/{id}"),
            &c.callback,
            json!({"reached": true}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "satisfaction");
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/rechecks/{id}"),
            &c.callback,
            json!({"reached": true, "satisfaction": "basic"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/rechecks/{id}"),
            &c.callback,
            json!({"reached": true, "satisfaction": "basic"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "done once");
    assert_eq!(c.rechecks().await.len(), r.len() - 1);
}

#[tokio::test]
async fn power_repairs_get_random_callbacks_with_four_questions_001() {
    let c = company("power").await;
    for i in 0..12 {
        c.close_one("repair", Some("outage"), &format!("1370000{i:04}"))
            .await;
    }
    let r = c.rechecks().await;
    assert!(!r.is_empty() && r.len() < 12, "a random share: {}", r.len());
    assert_eq!(r[0]["kind"], "repair_survey");
    assert_eq!(
        r[0]["questions"],
        json!(["attitude", "quality", "satisfaction", "suggestion"])
    );
    let id = r[0]["id"].as_str().unwrap();
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/rechecks/{id}"),
            &c.callback,
            json!({"reached": true, "satisfaction": "satisfied"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "attitude");
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/rechecks/{id}"),
            &c.callback,
            json!({"reached": true, "attitude": "satisfied",
        "quality": "basic", "satisfaction": "satisfied", "suggestion": "希望提前告知到达时间"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn outreach_report_due_seven_days_after_the_event_000_s3_7() {
    let c = company("heat").await;
    let (s, v) = c
        .app
        .post(
            "/api/v1/outreach",
            &c.supervisor,
            json!({"company_id": c.company, "title": "供暖季入户宣传",
        "starts_on": "2026-03-02", "ends_on": "2026-03-05"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["report_due"], "2026-03-12");
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = c
        .app
        .post(
            "/api/v1/outreach",
            &c.supervisor,
            json!({"company_id": c.company, "title": "x",
        "starts_on": "2026-03-05", "ends_on": "2026-03-02"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "ends_on");
    c.app.advance(11 * 86400).await;
    let (_, list) = c.app.get("/api/v1/outreach", &c.supervisor).await;
    assert_eq!(list["items"][0]["overdue"], true);
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/outreach/{id}/report"),
            &c.supervisor,
            json!({"report": "走访120户，收集意见8条"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = c.app.get("/api/v1/outreach", &c.supervisor).await;
    assert_eq!(list["items"][0]["overdue"], false);
}
