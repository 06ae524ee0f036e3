//! Supervision (督办) is bounded (SPEC §3, `000:八.5(5)`): a missed limit climbs its chain —
//! unit handler → unit head → division → company, or for a limit of the centre agent → centre
//! supervisor → company — once per level however far the clock jumps, then reminds the top
//! level at most once a workday, folded into the top-level notice.

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

/// A gas company (dispatch 5 min, contact 2 h) with a centre, a division and its repair team.
struct Gas {
    app: TestApp,
    company: String,
    team: String,
    division: String,
    agent: String,
    dispatcher: String,
    supervisor: String,
}

async fn gas() -> Gas {
    // Monday 2026-03-02 09:00 in Beijing.
    let app = TestApp::at("2026-03-02T01:00:00Z".parse().unwrap()).await;
    let company = app.company("西山燃气", "gas").await;
    let centre = app.unit(&company, None, "客服中心", "centre").await;
    let division = app.unit(&company, None, "城北事业部", "division").await;
    let team = app
        .unit(&company, Some(&division), "城北维修站", "repair_team")
        .await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let (_, dispatcher) = app
        .user("dispatcher", &["dispatcher"], Some(&centre), None)
        .await;
    let (_, supervisor) = app
        .user("supervisor", &["supervisor"], Some(&centre), None)
        .await;
    Gas {
        app,
        company,
        team,
        division,
        agent,
        dispatcher,
        supervisor,
    }
}

impl Gas {
    /// A gas repair, left undispatched.
    async fn repair(&self) -> String {
        let body = json!({"company_id": self.company, "category": "repair", "subtype": "leak", "channel": "phone",
            "description": "厨房燃气表后阀门漏气", "customer": {"name": "李女士", "phone": "13812345678",
            "address": "城北路12号3单元501", "community": "城北小区"}});
        let (s, o) = self.app.post("/api/v1/orders", &self.agent, body).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        o["id"].as_str().unwrap().to_owned()
    }

    /// A gas repair dispatched to the team in time, then neglected by it.
    async fn dispatched_repair(&self) -> String {
        let id = self.repair().await;
        let (s, v) = self
            .app
            .post(
                &format!("/api/v1/orders/{id}/dispatch"),
                &self.dispatcher,
                json!({"unit_id": self.team}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        id
    }

    async fn order(&self, id: &str) -> Value {
        let (s, o) = self
            .app
            .get(&format!("/api/v1/orders/{id}"), &self.supervisor)
            .await;
        assert_eq!(s, StatusCode::OK, "{o}");
        o
    }

    /// The order's events of `kind` about deadline `deadline`.
    async fn events(&self, id: &str, kind: &str, deadline: &str) -> Vec<Value> {
        self.order(id).await["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == kind && e["data"]["deadline"] == deadline)
            .cloned()
            .collect()
    }

    async fn notices(&self, id: &str) -> Vec<Value> {
        let (s, v) = self
            .app
            .get(
                &format!("/api/v1/orders/{id}/supervision"),
                &self.supervisor,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["items"].as_array().unwrap().clone()
    }

    /// The order's lines on the supervision board.
    async fn board(&self, id: &str) -> Vec<Value> {
        let (s, v) = self.app.get("/api/v1/supervision", &self.supervisor).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["order_id"] == id)
            .cloned()
            .collect()
    }
}

fn deadline(o: &Value, kind: &str) -> Value {
    o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} deadline in {o}"))
}

#[tokio::test]
async fn neglected_for_30_days_climbs_each_level_once_000_s8_5_5() {
    let g = gas().await;
    let centre_order = g.repair().await;
    let unit_order = g.dispatched_repair().await;
    // Six weeks' worth of limits in one jump of the clock (downtime, or a clock change).
    g.app.advance(30 * 86_400).await;

    // No unit: agent → centre supervisor → company, 3 levels, each once.
    let o = g.order(&centre_order).await;
    assert_eq!(deadline(&o, "dispatch")["supervision_level"], 3, "{o}");
    assert_eq!(
        g.events(&centre_order, "deadline_missed", "dispatch")
            .await
            .len(),
        1
    );
    assert_eq!(
        g.events(&centre_order, "supervision_escalated", "dispatch")
            .await
            .len(),
        2
    );
    assert_eq!(
        g.events(&centre_order, "supervision_reminded", "dispatch")
            .await
            .len(),
        0
    );
    let to: Vec<(i64, String)> = g
        .notices(&centre_order)
        .await
        .iter()
        .map(|n| {
            (
                n["level"].as_i64().unwrap(),
                n["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        to,
        vec![
            (1, "agent".into()),
            (2, "supervisor".into()),
            (3, "company".into())
        ]
    );

    // The team under its division: handler → head → division → company, 4 levels.
    let o = g.order(&unit_order).await;
    assert_eq!(deadline(&o, "contact")["supervision_level"], 4, "{o}");
    assert_eq!(
        g.events(&unit_order, "deadline_missed", "contact")
            .await
            .len(),
        1
    );
    assert_eq!(
        g.events(&unit_order, "supervision_escalated", "contact")
            .await
            .len(),
        3
    );
    let contact: Vec<(i64, String, Value)> = g
        .notices(&unit_order)
        .await
        .iter()
        .filter(|n| n["deadline"] == "contact")
        .map(|n| {
            (
                n["level"].as_i64().unwrap(),
                n["to"].as_str().unwrap().to_owned(),
                n["unit_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        contact,
        vec![
            (1, "handler".into(), json!(g.team)),
            (2, "head".into(), json!(g.team)),
            (3, "unit".into(), json!(g.division)),
            (4, "company".into(), Value::Null),
        ]
    );
    // Both missed limits (contact 2 h, finish 3 workdays) at the top, 4 notices each; the
    // order's whole history: created, dispatched, and 2 × (missed + 3 escalations).
    assert_eq!(deadline(&o, "finish")["supervision_level"], 4, "{o}");
    assert_eq!(g.notices(&unit_order).await.len(), 8);
    assert_eq!(o["events"].as_array().unwrap().len(), 2 + 2 * 4, "{o}");
    assert_eq!(
        g.order(&centre_order).await["events"]
            .as_array()
            .unwrap()
            .len(),
        1 + 3
    );

    // The board shows each order once, at its top level.
    let line = g.board(&centre_order).await;
    assert_eq!(line.len(), 1, "{line:?}");
    assert_eq!(line[0]["level"], 3);
    assert_eq!(line[0]["reminders"], 0);
    let line = g.board(&unit_order).await;
    assert_eq!(line.len(), 1, "{line:?}");
    assert_eq!(line[0]["level"], 4);

    // One workday later (Wed 1 April → Thu 2 April): one reminder to the top, in the same notice.
    g.app.advance(86_400).await;
    g.app.advance(0).await;
    let reminded = g
        .events(&centre_order, "supervision_reminded", "dispatch")
        .await;
    assert_eq!(reminded.len(), 1, "{reminded:?}");
    assert_eq!(reminded[0]["data"]["level"], 3);
    assert_eq!(reminded[0]["data"]["reminders"], 1);
    assert_eq!(
        g.notices(&centre_order).await.len(),
        3,
        "no notice row per reminder"
    );
    let line = g.board(&centre_order).await;
    assert_eq!(line.len(), 1);
    assert_eq!(
        (line[0]["level"].clone(), line[0]["reminders"].clone()),
        (json!(3), json!(1))
    );
    assert_eq!(line[0]["reminded_at"], "2026-04-02T01:00:00Z");
}

#[tokio::test]
async fn top_level_is_reminded_once_a_workday_not_more_000_s8_5_5() {
    let g = gas().await;
    let id = g.repair().await;
    // Hour by hour for a week, from Monday 09:00: the top (level 3) at 10:00 Monday, then one
    // reminder on each of Tuesday, Wednesday, Thursday, Friday and Monday, none at the weekend.
    for _ in 0..=(7 * 24) {
        g.app.advance(3600).await;
    }
    let reminded = g.events(&id, "supervision_reminded", "dispatch").await;
    let at: Vec<&str> = reminded.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert_eq!(
        at,
        vec![
            "2026-03-03T02:00:00Z",
            "2026-03-04T02:00:00Z",
            "2026-03-05T02:00:00Z",
            "2026-03-06T02:00:00Z",
            "2026-03-09T02:00:00Z",
        ]
    );
    assert_eq!(
        g.events(&id, "supervision_escalated", "dispatch")
            .await
            .len(),
        2
    );
    let notices = g.notices(&id).await;
    assert_eq!(notices.len(), 3, "{notices:?}");
    assert_eq!(notices[2]["reminders"], 5);
    assert_eq!(notices[2]["reminded_at"], "2026-03-09T02:00:00Z");
    assert_eq!(notices[0]["reminders"], 0);
    let line = g.board(&id).await;
    assert_eq!(line.len(), 1, "{line:?}");
    assert_eq!(line[0]["level"], 3);
    assert_eq!(line[0]["reminders"], 5);
    // The supervision page: the order once, at its level, with its reminders.
    let (s, _, body) = g
        .app
        .raw("GET", "/supervise", Some(&g.supervisor), None, "", &[])
        .await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(s, StatusCode::OK, "{html}");
    let number = g.order(&id).await["number"].as_str().unwrap().to_owned();
    let rows = html
        .matches(&format!("class=\"notice-row\" data-number=\"{number}\""))
        .count();
    assert_eq!(rows, 1, "{html}");
    assert!(html.contains("第3级 · 已提醒5次"), "{html}");
}

#[tokio::test]
async fn a_met_limit_is_supervised_no_further_000_s8_5_5() {
    let g = gas().await;
    let id = g.repair().await;
    g.app.advance(6 * 60).await; // dispatch missed at 5 min: level 1
    let (s, v) = g
        .app
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            &g.dispatcher,
            json!({"unit_id": g.team}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    g.app.advance(3 * 86_400).await;
    assert_eq!(
        g.events(&id, "supervision_escalated", "dispatch")
            .await
            .len(),
        0
    );
    assert_eq!(
        g.events(&id, "supervision_reminded", "dispatch")
            .await
            .len(),
        0
    );
    assert_eq!(
        deadline(&g.order(&id).await, "dispatch")["supervision_level"],
        1
    );
}

/// The order's notices addressed to the holder of `token` (`mine=true`): (level, posts).
async fn mine(g: &Gas, token: &str, order: &str) -> Vec<(i64, Vec<String>)> {
    let (s, v) = g.app.get("/api/v1/supervision?mine=true", token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut out: Vec<(i64, Vec<String>)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "order" && n["order_id"] == order)
        .map(|n| {
            let posts = n["addressees"].as_array().unwrap().iter();
            let posts = posts.map(|a| a["post"].as_str().unwrap().to_owned());
            (n["level"].as_i64().unwrap(), posts.collect())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn each_level_reaches_its_post_handler_unit_head_division_head_company_000_s8_5_5() {
    let g = gas().await;
    let (handler_id, handler) = g
        .app
        .user("handler", &["unit_handler"], Some(&g.team), None)
        .await;
    let (head_id, head) = g
        .app
        .user("teamhead", &["supervisor"], Some(&g.team), None)
        .await;
    let (division_head_id, division_head) = g
        .app
        .user("divhead", &["supervisor"], Some(&g.division), None)
        .await;
    let unit_order = g.dispatched_repair().await;
    let centre_order = g.repair().await;
    g.app.advance(30 * 86_400).await;

    // The team under its division: 1 the team's handler, 2 the team's head, 3 the division's
    // head, 4 the company's supervisors; each person finds their own level among their notices.
    let one = |post: &str| vec![post.to_owned()];
    assert_eq!(
        mine(&g, &handler, &unit_order).await,
        [(1, one("unit_handler"))]
    );
    assert_eq!(
        mine(&g, &head, &unit_order).await,
        [(2, one("unit_head")), (4, vec!["company".to_owned(); 3])]
    );
    assert_eq!(
        mine(&g, &division_head, &unit_order).await,
        [
            (3, one("division_head")),
            (4, vec!["company".to_owned(); 3])
        ]
    );
    // The board shows each notice with whom it reaches, by name and unit.
    let notices = g.notices(&unit_order).await;
    assert!(notices.iter().any(|n| n["level"] == 4), "{notices:?}");
    let (s, v) = g.app.get("/api/v1/supervision?mine=true", &handler).await;
    assert_eq!(s, StatusCode::OK);
    let first = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["order_id"] == unit_order)
        .unwrap()
        .clone();
    assert_eq!(first["addressees"][0]["user_id"], handler_id.as_str());
    assert_eq!(first["addressees"][0]["unit_id"], g.team.as_str());
    assert_eq!(first["addressees"][0]["name"], "handler");
    let top = g.board(&unit_order).await;
    let to: Vec<&str> = top[0]["addressees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(top[0]["level"], 4, "{top:?}");
    assert!(
        to.contains(&head_id.as_str()) && to.contains(&division_head_id.as_str()),
        "{top:?}"
    );

    // Each sees their own on their queue screen, with the post they hold.
    let number = g.order(&unit_order).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    for (token, post) in [(&handler, "责任单位处理人"), (&head, "单位负责人")] {
        let (s, _, body) = g
            .app
            .raw("GET", "/queues/unit/rows", Some(token), None, "", &[])
            .await;
        assert_eq!(s, StatusCode::OK);
        let html = String::from_utf8(body).unwrap();
        let mine = &html[html.find("id=\"my-notices\"").expect("my notices")..];
        assert!(
            mine.contains(&format!("data-number=\"{number}\"")) && mine.contains(post),
            "{html}"
        );
    }

    // A limit of the centre: 1 the agent who took the call, 2 the centre's supervisors.
    assert_eq!(mine(&g, &g.agent, &centre_order).await, [(1, one("agent"))]);
    let centre = mine(&g, &g.supervisor, &centre_order).await;
    assert_eq!(centre[0], (2, one("centre_supervisor")), "{centre:?}");
    // The agent reads only their own notices, even without `mine`.
    let (s, v) = g.app.get("/api/v1/supervision", &g.agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let orders: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["order_id"].as_str().unwrap())
        .collect();
    assert!(
        !orders.is_empty() && orders.iter().all(|o| *o == centre_order),
        "{v}"
    );
}

#[tokio::test]
async fn a_post_nobody_holds_is_shown_vacant() {
    let g = gas().await;
    // No handler, no head in the team.
    let order = g.dispatched_repair().await;
    g.app.advance(3 * 3600).await;
    let (s, v) = g.app.get("/api/v1/supervision", &g.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let line = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["order_id"] == order)
        .cloned()
        .unwrap_or_else(|| panic!("no notice of {order} in {v}"));
    let to = &line["addressees"][0];
    assert_eq!(to["user_id"], Value::Null, "{line}");
    assert_eq!(to["unit_id"], g.team.as_str(), "{line}");
    let (_, _, html) = g
        .app
        .raw("GET", "/supervise", Some(&g.supervisor), None, "", &[])
        .await;
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("岗位空缺"), "{html}");
}
