//! Console screens of the supervisor, the admin's policies and calendar, the assessment ledger
//! and month-end closing: pages render what the API knows, and their forms take the real steps.

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

const FORM: &str = "application/x-www-form-urlencoded";

struct Co {
    app: TestApp,
    company: String,
    team: String,
    other: String,
    agent: String,
    handler: String,
    supervisor: String,
    assessor: String,
}

async fn heat() -> Co {
    let app = TestApp::new().await;
    let company = app.company("控制台测试", "heat").await;
    let centre = app.unit(&company, None, "热线中心", "centre").await;
    let team = app.unit(&company, None, "第一换热站", "station").await;
    let other = app.unit(&company, None, "第二换热站", "station").await;
    let (_, agent) = app
        .user("c-agent", &["agent", "dispatcher"], Some(&centre), None)
        .await;
    let (_, handler) = app
        .user("c-handler", &["unit_handler"], Some(&team), None)
        .await;
    let (_, supervisor) = app
        .user("c-supervisor", &["supervisor"], Some(&centre), None)
        .await;
    let (_, assessor) = app
        .user("c-assessor", &["assessor"], Some(&centre), None)
        .await;
    Co {
        app,
        company,
        team,
        other,
        agent,
        handler,
        supervisor,
        assessor,
    }
}

impl Co {
    /// A leak order dispatched to the team: returns (id, number).
    async fn dispatched_leak(&self) -> (String, String) {
        let (s, o) = self.app.post("/api/v1/orders", &self.agent, json!({"company_id": self.company, "category": "repair",
            "subtype": "leak", "channel": "phone", "description": "楼道暖气管漏水", "customer": {"phone": "13800000001"}})).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let id = o["id"].as_str().unwrap().to_owned();
        let (s, v) = self
            .app
            .post(
                &format!("/api/v1/orders/{id}/dispatch"),
                &self.agent,
                json!({"unit_id": self.team}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        (id, o["number"].as_str().unwrap().to_owned())
    }

    async fn page(&self, path: &str, token: &str) -> String {
        let (s, _, body) = self.app.raw("GET", path, Some(token), None, "", &[]).await;
        let html = String::from_utf8(body).unwrap();
        assert_eq!(s, StatusCode::OK, "{path}: {html}");
        html
    }

    /// Posts a form; returns the status, the Location header and the body.
    async fn form(&self, path: &str, token: &str, form: &str) -> (StatusCode, String, String) {
        let (s, h, body) = self
            .app
            .raw("POST", path, Some(token), Some(form.to_owned()), FORM, &[])
            .await;
        let loc = h
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (s, loc, String::from_utf8(body).unwrap())
    }

    async fn order(&self, id: &str) -> Value {
        let (s, v) = self
            .app
            .get(&format!("/api/v1/orders/{id}"), &self.supervisor)
            .await;
        assert_eq!(s, StatusCode::OK);
        v
    }
}

fn events(o: &Value) -> Vec<String> {
    o["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn supervisor_sees_overdue_by_unit_and_decides_extensions_returns_and_suspensions() {
    let c = heat().await;
    let (a, number_a) = c.dispatched_leak().await;
    // Leaks: on site within 30 min (000:四.5(4)); 40 minutes later the order is overdue.
    c.app.advance(40 * 60).await;
    let html = c.page("/supervise", &c.supervisor).await;
    assert!(html.contains(&number_a), "overdue order listed");
    assert!(
        html.contains(&format!("data-unit=\"{}\"", c.team)),
        "grouped under its unit"
    );
    assert!(html.contains("badge cd red"), "red countdown badge");

    // An extension asked by the unit is approved from the screen, back to the screen.
    let until = (c.app.state.clock.now() + chrono::Duration::hours(5)).to_rfc3339();
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/orders/{a}/extensions"),
            &c.handler,
            json!({"until": until, "reason": "需要更换主管道阀门"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let eid = v["extension_id"].as_str().unwrap().to_owned();
    let html = c.page("/supervise", &c.supervisor).await;
    assert!(html.contains(&format!("sup-ext-approve-{eid}")));
    assert!(html.contains("需要更换主管道阀门"));
    let (s, loc, _) = c
        .form(
            &format!("/orders/{a}/extensions/{eid}/approve"),
            &c.supervisor,
            "_back=%2Fsupervise",
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/supervise?done=extension_approve");
    assert!(events(&c.order(&a).await).contains(&"extension_approved".to_owned()));
    let html = c.page(&loc, &c.supervisor).await;
    assert!(!html.contains(&format!("sup-ext-approve-{eid}")));
    // Only the console's own screens are a place to go back to.
    let (s, loc, _) = c
        .form(
            &format!("/orders/{a}/accept"),
            &c.handler,
            "_back=%2F%2Fevil",
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, format!("/orders/{a}?done=accept"));

    // A suspension request: listed, refused with a reason (an event), then gone.
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/orders/{a}/suspend_request"),
            &c.handler,
            json!({"reason": "用户拒绝入户"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let html = c.page("/supervise", &c.supervisor).await;
    assert!(html.contains(&format!("sup-suspend-refuse-{a}")));
    let (s, _, body) = c
        .form(
            &format!("/orders/{a}/suspend_refuse"),
            &c.supervisor,
            "_back=%2Fsupervise&reason=",
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a refusal needs a reason");
    assert!(body.contains("reason"), "{body}");
    let (s, loc, _) = c
        .form(
            &format!("/orders/{a}/suspend_refuse"),
            &c.supervisor,
            "_back=%2Fsupervise&reason=%E5%BA%94%E7%BB%A7%E7%BB%AD%E5%A4%84%E7%90%86",
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/supervise?done=suspend_refuse");
    let o = c.order(&a).await;
    assert!(events(&o).contains(&"suspension_refused".to_owned()));
    assert_eq!(
        o["status"], "accepted",
        "a refusal leaves the order as it was"
    );
    let html = c.page("/supervise", &c.supervisor).await;
    assert!(!html.contains(&format!("sup-suspend-refuse-{a}")));
    // Nothing pending: a second refusal is not a step the order allows.
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/orders/{a}/suspend_refuse"),
            &c.supervisor,
            json!({"reason": "再次"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    // A return: listed with its reason; accepting it dispatches to another unit.
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/orders/{a}/return"),
            &c.handler,
            json!({"reason": "不属于本站管辖"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let html = c.page("/supervise", &c.supervisor).await;
    assert!(html.contains(&format!("sup-return-redispatch-{a}")));
    assert!(html.contains("不属于本站管辖"));
    let (s, loc, _) = c
        .form(
            &format!("/orders/{a}/dispatch"),
            &c.supervisor,
            &format!("_back=%2Fsupervise&unit_id={}", c.other),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/supervise?done=dispatch");
    let o = c.order(&a).await;
    assert_eq!(o["status"], "dispatched");
    assert_eq!(o["unit_id"], c.other.as_str());

    // Unit staff and agents have no supervisor's screen.
    let (s, _, _) = c
        .app
        .raw("GET", "/supervise", Some(&c.handler), None, "", &[])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_order_page_asks_an_extension_until_a_local_time_of_the_company() {
    let c = heat().await;
    let (a, _) = c.dispatched_leak().await;
    c.app.advance(40 * 60).await;
    // A `datetime-local` field means the company's wall clock (UTC+8), not UTC.
    let until = c.app.state.clock.now() + chrono::Duration::hours(5);
    let local = until.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let field = local.format("%Y-%m-%dT%H:%M").to_string();
    let path = format!("/orders/{a}/extensions");
    let (s, _, body) = c
        .form(
            &path,
            &c.handler,
            "until=tomorrow&reason=%E6%8D%A2%E9%98%80",
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("until"), "{body}");
    let (s, loc, _) = c
        .form(
            &path,
            &c.handler,
            &format!("until={field}&reason=%E6%8D%A2%E9%98%80"),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, format!("/orders/{a}?done=extensions"));
    let o = c.order(&a).await;
    let asked = o["extensions"][0]["until"].as_str().unwrap().to_owned();
    let expected = until.format("%Y-%m-%dT%H:%M:00Z").to_string();
    assert_eq!(asked, expected, "{o}");
    assert_eq!(o["extensions"][0]["reason"], "换阀");
}

#[tokio::test]
async fn supervision_notices_are_acknowledged_from_the_screen() {
    let c = heat().await;
    let (a, number) = c.dispatched_leak().await;
    c.app.advance(3 * 3600).await;
    let (_, board) = c.app.get("/api/v1/supervision", &c.supervisor).await;
    let notice = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["order_id"] == a.as_str())
        .cloned()
        .expect("a supervision notice for the overdue order");
    let nid = notice["id"].as_str().unwrap();
    let html = c.page("/supervise", &c.supervisor).await;
    assert!(html.contains(&format!("sup-ack-{nid}")), "{number}");
    let (s, loc, _) = c
        .form(&format!("/supervise/notices/{nid}/ack"), &c.supervisor, "")
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/supervise?done=ack");
    assert!(events(&c.order(&a).await).contains(&"supervision_acknowledged".to_owned()));
    let html = c.page("/supervise", &c.supervisor).await;
    assert!(!html.contains(&format!("sup-ack-{nid}")));
    let (s, _, _) = c
        .form(&format!("/supervise/notices/{nid}/ack"), &c.supervisor, "")
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a notice is acknowledged once");
}

#[tokio::test]
async fn admin_checks_a_policy_override_with_line_and_reason_and_saves_a_good_one() {
    let c = heat().await;
    let admin = c.app.admin.clone();
    let html = c.page("/admin/policies", &admin).await;
    assert!(html.contains(&format!("override-{}", c.company)));
    assert!(html.contains("amber_share"), "the effective policy as text");
    // A TOML fault: its line and reason, and the text kept.
    let bad = "# 覆盖\namber_share = = 0.7\n";
    let (s, _, body) = c
        .form(
            &format!("/admin/policies/{}", c.company),
            &admin,
            &format!("action=check&override={}", urlenc(bad)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("第 2 行："), "{body}");
    assert!(body.contains("amber_share = = 0.7"), "the text is kept");
    // Saving a bad one is refused the same way and stores nothing.
    let (s, _, body) = c
        .form(
            &format!("/admin/policies/{}", c.company),
            &admin,
            &format!("action=save&override={}", urlenc(bad)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("第 2 行："), "{body}");
    let (_, p) = c
        .app
        .get(&format!("/api/v1/companies/{}/policy", c.company), &admin)
        .await;
    assert!(p["override"].is_null(), "{p}");
    // A good one checks and saves.
    let good = "amber_share = 0.7\n";
    let (s, _, _) = c
        .form(
            &format!("/admin/policies/{}", c.company),
            &admin,
            &format!("action=check&override={}", urlenc(good)),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, body) = c
        .form(
            &format!("/admin/policies/{}", c.company),
            &admin,
            &format!("action=save&override={}", urlenc(good)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, p) = c
        .app
        .get(&format!("/api/v1/companies/{}/policy", c.company), &admin)
        .await;
    assert_eq!(p["override"], good);
    // Unknown action: a 400 naming the field.
    let (s, _, body) = c
        .form(
            &format!("/admin/policies/{}", c.company),
            &admin,
            "action=drop&override=",
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("action"), "{body}");
}

#[tokio::test]
async fn calendar_screen_warns_of_a_missing_year_and_checks_a_file() {
    let c = heat().await;
    let admin = c.app.admin.clone();
    // The clock is in 2026; the embedded calendar has no 2027 yet.
    let html = c.page("/admin/calendar", &admin).await;
    assert!(html.contains("id=\"cal-warning\""), "{html}");
    assert!(html.contains("2027"));
    assert!(html.contains("<li>2026</li>"));
    let bad = "[[year]]\nyear = 2027\nholidays = [\"2027-13-01\"]\nworkdays = []\n";
    let (s, _, body) = c
        .form(
            "/admin/calendar",
            &admin,
            &format!("action=check&calendar={}", urlenc(bad)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("year 2027"), "{body}");
    let good = "[[year]]\nyear = 2027\nholidays = [\"2027-01-01\"]\nworkdays = []\n";
    let (s, _, body) = c
        .form(
            "/admin/calendar",
            &admin,
            &format!("action=check&calendar={}", urlenc(good)),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("检查通过，包含年份：2027"), "{body}");
    let (s, _, _) = c
        .app
        .raw("GET", "/admin/calendar", Some(&c.supervisor), None, "", &[])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ledger_takes_manual_entries_and_reversals_with_a_reason() {
    let c = heat().await;
    let html = c.page("/ledger?month=2026-03", &c.assessor).await;
    assert!(html.contains("id=\"entry-form\""));
    let (s, _, body) = c
        .form(
            "/ledger/entries",
            &c.assessor,
            &format!("month=2026-03&subject=unit:{}&points=-2&reason=", c.team),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a reason is required");
    assert!(body.contains("reason"), "{body}");
    let (s, _, body) = c
        .form(
            "/ledger/entries",
            &c.assessor,
            "month=2026-03&subject=unit:x&points=-2&reason=a",
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("subject"), "{body}");
    let (s, loc, _) = c
        .form(
            "/ledger/entries",
            &c.assessor,
            &format!(
                "month=2026-03&subject=unit:{}&points=-2&yuan=&reason={}",
                c.team,
                urlenc("抢修迟到")
            ),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/ledger?month=2026-03&done=entry");
    let (_, st) = c
        .app
        .get(
            &format!(
                "/api/v1/assessment/statement?company_id={}&month=2026-03&detail=true",
                c.company
            ),
            &c.assessor,
        )
        .await;
    let id = st["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(st["items"][0]["points"], -2.0);
    let html = c.page(&loc, &c.assessor).await;
    assert!(html.contains("抢修迟到") && html.contains(&format!("reverse-{id}")));
    let (s, loc, _) = c
        .form(
            &format!("/ledger/entries/{id}/reverse"),
            &c.assessor,
            &format!("reason={}", urlenc("核实为用户原因")),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/ledger?month=2026-03&done=reverse");
    let html = c.page(&loc, &c.assessor).await;
    assert!(html.contains("核实为用户原因"));
    assert!(
        !html.contains(&format!("id=\"reverse-{id}\"")),
        "reversed once"
    );
    let (_, st) = c
        .app
        .get(
            &format!(
                "/api/v1/assessment/statement?company_id={}&month=2026-03",
                c.company
            ),
            &c.assessor,
        )
        .await;
    assert_eq!(st["items"][0]["points"], 0.0, "{st}");
    assert_eq!(st["items"][0]["entries"], 2);
    // The supervisor reads the ledger but does not write it.
    let html = c.page("/ledger?month=2026-03", &c.supervisor).await;
    assert!(!html.contains("id=\"entry-form\""));
    let (s, _, _) = c
        .form(
            "/ledger/entries",
            &c.supervisor,
            "month=2026-03&subject=unit:1&points=1&reason=x",
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = c
        .app
        .raw(
            "GET",
            "/ledger?month=2026-3",
            Some(&c.assessor),
            None,
            "",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn month_end_screen_closes_a_month_once_and_lists_its_open_orders() {
    let c = heat().await;
    let (_, number) = c.dispatched_leak().await;
    let html = c.page("/month_end", &c.supervisor).await;
    assert!(html.contains("value=\"2026-02\""), "last month by default");
    let (s, _, body) = c.form("/month_end", &c.supervisor, "month=2026-03").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "not ended yet");
    assert!(body.contains("month"), "{body}");
    c.app.advance(31 * 86400).await;
    let html = c.page("/month_end?month=2026-03", &c.supervisor).await;
    assert!(html.contains("id=\"month-end-run\""), "not closed yet");
    let (s, loc, _) = c.form("/month_end", &c.supervisor, "month=2026-03").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/month_end?month=2026-03&done=1");
    let body = c.page(&loc, &c.supervisor).await;
    assert!(body.contains(&number), "the open order is listed");
    assert!(
        body.contains("class=\"supervision\">第"),
        "its supervision level: {body}"
    );
    assert!(!body.contains("id=\"month-end-run\""), "closed");
    assert!(
        body.contains("href=\"/month_end?month=2026-03\""),
        "in the closed months"
    );
    assert!(body.contains("id=\"month-end-open\">1<"), "{body}");
    assert!(body.contains("id=\"month-end-entries\">1<"), "{body}");
    let (s, _, _) = c.form("/month_end", &c.supervisor, "month=2026-03").await;
    assert_eq!(s, StatusCode::CONFLICT, "a month closes once");
    let html = c.page("/ledger?month=2026-03", &c.assessor).await;
    assert!(html.contains("month_end_open"));
}

/// Percent-encodes a form value.
fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
