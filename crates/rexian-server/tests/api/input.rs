//! Hostile input is refused with `invalid_input` naming the field, never a 500 or a panic:
//! NUL characters anywhere text enters, policy limits beyond 10 years, unbounded assessment
//! amounts, a reused `Idempotency-Key`, and CSV cells a spreadsheet would run as formulas.

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::{json, Value};

struct Co {
    app: TestApp,
    company: String,
    team: String,
    agent: String,
    handler: String,
    assessor: String,
}

async fn company() -> Co {
    let app = TestApp::new().await;
    let company = app.company("测试燃气", "gas").await;
    let centre = app.unit(&company, None, "中心", "centre").await;
    let team = app.unit(&company, None, "一班", "repair_team").await;
    let (_, agent) = app
        .user(
            "agent",
            &["agent", "dispatcher", "callback_agent"],
            Some(&centre),
            None,
        )
        .await;
    let (_, handler) = app
        .user("handler", &["unit_handler"], Some(&team), None)
        .await;
    let (_, assessor) = app
        .user("assessor", &["assessor"], Some(&centre), None)
        .await;
    Co {
        app,
        company,
        team,
        agent,
        handler,
        assessor,
    }
}

fn error_of(s: StatusCode, v: &Value) -> (StatusCode, &str, &str) {
    (
        s,
        v["error"]["code"].as_str().unwrap_or_default(),
        v["error"]["field"].as_str().unwrap_or_default(),
    )
}

#[tokio::test]
async fn nul_in_any_text_is_invalid_input_naming_the_field() {
    let c = company().await;
    let order = |extra: Value| {
        let mut b = json!({"company_id": c.company, "category": "repair", "subtype": "leak",
            "channel": "phone", "description": "厨房漏气", "customer": {"phone": "13800000000"}});
        merge(&mut b, extra);
        b
    };
    // (method, path, token, JSON body, the field named)
    let admin = c.app.admin.clone();
    let cases: Vec<(&str, String, Option<&str>, Value, &str)> = vec![
        (
            "POST",
            "/api/v1/session".into(),
            None,
            json!({"login": "ad\u{0}min", "password": "x"}),
            "login",
        ),
        (
            "POST",
            "/api/v1/session".into(),
            None,
            json!({"login": "admin", "password": "p\u{0}"}),
            "password",
        ),
        (
            "POST",
            "/api/v1/orders".into(),
            Some(&c.agent),
            order(json!({"description": "漏气\u{0}"})),
            "description",
        ),
        (
            "POST",
            "/api/v1/orders".into(),
            Some(&c.agent),
            order(json!({"customer": {"phone": "13800000000", "name": "张\u{0}三"}})),
            "customer.name",
        ),
        (
            "POST",
            "/api/v1/orders".into(),
            Some(&c.agent),
            order(json!({"customer": {"phone": "13800000000", "address": "\u{0}"}})),
            "customer.address",
        ),
        (
            "POST",
            "/api/v1/customers".into(),
            Some(&admin),
            json!({"company_id": c.company, "account_no": "A\u{0}1", "name": "李四"}),
            "account_no",
        ),
        (
            "POST",
            "/api/v1/kb/articles".into(),
            Some(&admin),
            json!({"company_id": c.company, "category": "faq", "title": "收费\u{0}标准",
                "body": "正文"}),
            "title",
        ),
        (
            "POST",
            "/api/v1/kb/articles".into(),
            Some(&admin),
            json!({"company_id": c.company, "category": "faq", "title": "收费标准",
                "body": "正文", "tags": ["a", "b\u{0}"]}),
            "tags[1]",
        ),
    ];
    for (method, path, token, body, field) in cases {
        let (s, v) = c.app.call(method, &path, token, Some(body)).await;
        assert_eq!(
            error_of(s, &v),
            (StatusCode::BAD_REQUEST, "invalid_input", field),
            "{method} {path}: {v}"
        );
    }
    // Query strings and paths.
    for (path, field) in [
        ("/api/v1/orders?q=138%00", "q"),
        ("/api/v1/search?q=%00", "q"),
        ("/api/v1/customers?q=%00", "q"),
        ("/api/v1/orders/1%00", "path"),
    ] {
        let (s, v) = c.app.get(path, &c.agent).await;
        assert_eq!(
            error_of(s, &v),
            (StatusCode::BAD_REQUEST, "invalid_input", field),
            "GET {path}: {v}"
        );
    }
    // Form bodies of the pages: the login form and an editing form.
    for (path, form, field) in [
        ("/login", "login=ad%00min&password=x", "login"),
        (
            "/kb/articles",
            "_csrf=x&category=faq&title=%E6%A0%87%00&body=b",
            "title",
        ),
    ] {
        let (s, _, body) = c
            .app
            .raw(
                "POST",
                path,
                None,
                Some(form.to_owned()),
                "application/x-www-form-urlencoded",
                &[],
            )
            .await;
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        assert_eq!(
            error_of(s, &v),
            (StatusCode::BAD_REQUEST, "invalid_input", field),
            "POST {path}: {v}"
        );
    }
    // Nothing of it was stored; plain text still works.
    let (s, v) = c
        .app
        .post("/api/v1/orders", &c.agent, order(json!({})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        v["number"].as_str().map(|n| n.ends_with("0001")),
        Some(true),
        "{v}"
    );
}

fn merge(base: &mut Value, extra: Value) {
    if let (Value::Object(b), Value::Object(e)) = (base, extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
}

#[tokio::test]
async fn a_policy_limit_beyond_ten_years_is_refused_naming_override() {
    let c = company().await;
    let path = format!("/api/v1/companies/{}/policy", c.company);
    let over = "[[rule]]\ncategory = \"repair\"\ndispatch = { hours = 3000000000 }\n";
    let (s, v) = c
        .app
        .put(&path, &c.app.admin, json!({"override": over}))
        .await;
    assert_eq!(
        error_of(s, &v),
        (StatusCode::BAD_REQUEST, "invalid_input", "override"),
        "{v}"
    );
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(":3:") && msg.contains("dispatch.hours"),
        "{msg}"
    );
    // Nothing was saved: intake still works.
    let (_, p) = c.app.get(&path, &c.app.admin).await;
    assert_eq!(p["override"], Value::Null, "{p}");
    let (s, v) = c
        .app
        .post(
            "/api/v1/orders",
            &c.agent,
            json!({"company_id": c.company,
        "category": "repair", "subtype": "leak", "channel": "phone", "description": "漏气",
        "customer": {"phone": "13800000000"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn the_longest_valid_limits_do_not_break_intake_reply_or_the_order() {
    let c = company().await;
    let path = format!("/api/v1/companies/{}/policy", c.company);
    let over = "[[rule]]\ncategory = \"repair\"\ndispatch = { hours = 87600 }\n\
                contact = { minutes = 5256000 }\nfinish = { workdays = 2500 }\n";
    let (s, v) = c
        .app
        .put(&path, &c.app.admin, json!({"override": over}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, o) = c
        .app
        .post(
            "/api/v1/orders",
            &c.agent,
            json!({"company_id": c.company,
        "category": "repair", "subtype": "leak", "channel": "phone", "description": "漏气",
        "customer": {"phone": "13800000000"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_str().unwrap().to_owned();
    let due = |o: &Value, kind: &str| {
        o["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == kind)
            .and_then(|d| d["due_at"].as_str())
            .map(str::to_owned)
    };
    // 87,600 hours after 2026-03-02 01:00 UTC.
    assert_eq!(
        due(&o, "dispatch").as_deref(),
        Some("2036-02-28T01:00:00Z"),
        "{o}"
    );
    for (token, step, body) in [
        (&c.agent, "dispatch", json!({"unit_id": c.team})),
        (&c.handler, "accept", json!({})),
        (&c.handler, "reply", json!({"result": "已修复"})),
    ] {
        let (s, v) = c
            .app
            .post(&format!("/api/v1/orders/{id}/{step}"), token, body)
            .await;
        assert_eq!(s, StatusCode::OK, "{step}: {v}");
    }
    let (s, o) = c.app.get(&format!("/api/v1/orders/{id}"), &c.agent).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let finish = due(&o, "finish").expect("finish deadline");
    assert!(finish.as_str() > "2035-01-01", "{o}");
}

#[tokio::test]
async fn assessment_amounts_are_bounded() {
    let c = company().await;
    let (_, unit) = (0, c.team.clone());
    let entry = |points: Value, yuan: Value| {
        json!({"company_id": c.company, "month": "2026-03", "subject_kind": "unit",
            "subject_id": unit, "points": points, "yuan": yuan, "reason": "考核"})
    };
    for (points, yuan, field) in [
        (json!(0), json!(1e308), "yuan"),
        (json!(0), json!(-1e308), "yuan"),
        (json!(0), json!(100000.01), "yuan"),
        (json!(0), json!(12.345), "yuan"),
        (json!(1e308), json!(0), "points"),
        (json!(-1000.5), json!(0), "points"),
        (json!(0.001), json!(-20), "points"),
    ] {
        let (s, v) = c
            .app
            .post(
                "/api/v1/assessment/entries",
                &c.assessor,
                entry(points.clone(), yuan.clone()),
            )
            .await;
        assert_eq!(
            error_of(s, &v),
            (StatusCode::BAD_REQUEST, "invalid_input", field),
            "{points} {yuan}: {v}"
        );
    }
    for (points, yuan) in [(json!(0), json!(-100000)), (json!(-2.5), json!(-99999.99))] {
        let (s, v) = c
            .app
            .post(
                "/api/v1/assessment/entries",
                &c.assessor,
                entry(points, yuan),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
}

#[tokio::test]
async fn a_reused_idempotency_key_with_another_body_is_refused() {
    let c = company().await;
    let send = |path: &'static str, key: &'static str, body: String| {
        let app = &c.app;
        let token = c.agent.clone();
        async move {
            let (s, _, b) = app
                .raw(
                    "POST",
                    path,
                    Some(&token),
                    Some(body),
                    "application/json",
                    &[("Idempotency-Key", key)],
                )
                .await;
            (
                s,
                serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null),
            )
        }
    };
    let a = json!({"company_id": c.company, "category": "repair", "subtype": "leak",
        "channel": "phone", "description": "漏气", "customer": {"phone": "13800000000"}});
    let (s, first) = send("/api/v1/orders", "k-1", a.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    // The same request again, written differently: the first answer.
    let spaced = serde_json::to_string_pretty(&a).unwrap();
    let (s, again) = send("/api/v1/orders", "k-1", spaced).await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"]);
    // Another request under the same key: refused, nothing made.
    let mut b = a.clone();
    b["description"] = json!("停气");
    let (s, v) = send("/api/v1/orders", "k-1", b.to_string()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str(), v["error"]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused"),
            Some("Idempotency-Key")
        ),
        "{v}"
    );
    let (_, list) = c.app.get("/api/v1/orders", &c.agent).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    // The same for knowledge-base articles.
    let kb = |title: &str| {
        json!({"company_id": c.company, "category": "faq", "title": title, "body": "正文"})
            .to_string()
    };
    let kb_send = |key: &'static str, body: String| {
        let app = &c.app;
        async move {
            let (s, _, b) = app
                .raw(
                    "POST",
                    "/api/v1/kb/articles",
                    Some(&app.admin),
                    Some(body),
                    "application/json",
                    &[("Idempotency-Key", key)],
                )
                .await;
            (
                s,
                serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null),
            )
        }
    };
    let (s, v) = kb_send("kb-1", kb("收费标准")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, w) = kb_send("kb-1", kb("收费标准")).await;
    assert_eq!((s, &w["id"]), (StatusCode::CREATED, &v["id"]), "{w}");
    let (s, w) = kb_send("kb-1", kb("办理流程")).await;
    assert_eq!(
        (s, w["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused")
        ),
        "{w}"
    );
}

#[tokio::test]
async fn csv_cells_that_look_like_formulas_are_exported_as_text() {
    let c = company().await;
    let reasons = [
        "=HYPERLINK(\"http://evil\",\"x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "正常说明",
    ];
    for r in reasons {
        let (s, v) = c
            .app
            .post(
                "/api/v1/assessment/entries",
                &c.assessor,
                json!({"company_id": c.company,
            "month": "2026-03", "subject_kind": "unit", "subject_id": c.team, "yuan": -20,
            "reason": r}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, _, body) = c
        .app
        .raw(
            "GET",
            &format!(
                "/api/v1/assessment/statement?company_id={}&month=2026-03&detail=true&format=csv",
                c.company
            ),
            Some(&c.assessor),
            None,
            "",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let csv = String::from_utf8(body).unwrap();
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""),
        "{csv}"
    );
    for cell in [",'+1+1,", ",'-2+3,", ",'@SUM(A1),", ",正常说明,"] {
        assert!(csv.contains(cell), "{cell} in {csv}");
    }
    // Numbers stay numbers, negative ones too.
    assert!(csv.contains(",-20,") || csv.contains(",-20.0,"), "{csv}");
    for line in csv.lines().skip(1) {
        for cell in line.split(',') {
            assert!(!cell.starts_with(['=', '+', '@']), "{cell:?} in {line}");
        }
    }
}

#[tokio::test]
async fn outreach_dates_beyond_year_9999_are_refused() {
    let c = company().await;
    let (s, v) = c
        .app
        .post(
            "/api/v1/outreach",
            &c.app.admin,
            json!({"company_id": c.company,
        "title": "入户宣传", "starts_on": "2026-03-02", "ends_on": "+262142-12-31"}),
        )
        .await;
    assert_eq!(
        error_of(s, &v),
        (StatusCode::BAD_REQUEST, "invalid_input", "ends_on"),
        "{v}"
    );
    let (s, v) = c
        .app
        .post(
            "/api/v1/outreach",
            &c.app.admin,
            json!({"company_id": c.company,
        "title": "入户宣传", "starts_on": "2026-03-02", "ends_on": "2026-03-03"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["report_due"], "2026-03-10", "{v}");
}

/// The contract's `maxLength` counts the text as sent: a 201-character title whose first
/// character is whitespace is refused, not trimmed to 200 and taken (schemathesis found it).
#[tokio::test]
async fn text_limits_count_the_text_as_sent() {
    let c = company().await;
    let title = format!("\u{b}{}", "标".repeat(200));
    let (s, v) = c
        .app
        .post(
            "/api/v1/kb/articles",
            &c.app.admin,
            json!({"company_id": c.company, "category": "faq", "title": title, "body": "内容"}),
        )
        .await;
    assert_eq!(
        error_of(s, &v),
        (StatusCode::BAD_REQUEST, "invalid_input", "title"),
        "{v}"
    );
    let (s, v) = c
        .app
        .post(
            "/api/v1/kb/articles",
            &c.app.admin,
            json!({"company_id": c.company, "category": "faq",
                "title": format!(" {} ", "标".repeat(198)), "body": "内容"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["title"], "标".repeat(198), "stored trimmed: {v}");
}

/// An `Idempotency-Key` outside the document's pattern (a tab, a space at either end, over 200
/// characters) is refused naming the header, not taken as a key (schemathesis found the tab).
#[tokio::test]
async fn an_idempotency_key_outside_its_pattern_is_refused() {
    let c = company().await;
    let long = "k".repeat(201);
    let order = json!({"company_id": c.company, "category": "repair", "subtype": "leak",
        "channel": "phone", "description": "厨房漏气", "customer": {"phone": "13800000000"}});
    let kb = json!({"category": "faq", "title": "收费标准", "body": "正文"});
    let cases = [
        ("/api/v1/kb/articles", &c.app.admin, &kb),
        ("/api/v1/orders", &c.agent, &order),
    ];
    for key in ["a\tb", " a", "a ", "\t", long.as_str()] {
        for (path, token, body) in cases {
            let (s, _, b) = c
                .app
                .raw(
                    "POST",
                    path,
                    Some(token),
                    Some(body.to_string()),
                    "application/json",
                    &[("Idempotency-Key", key)],
                )
                .await;
            let v = serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null);
            assert_eq!(
                error_of(s, &v),
                (StatusCode::BAD_REQUEST, "invalid_input", "Idempotency-Key"),
                "{path} {key:?}: {v}"
            );
        }
    }
    let (_, list) = c.app.get("/api/v1/kb/articles", &c.app.admin).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
}

/// An empty body must not clear a company's policy override: `override` is required, null
/// clears it (schemathesis sent a body of one space, which was taken as `{}`).
#[tokio::test]
async fn an_empty_body_does_not_clear_a_policy_override() {
    let c = company().await;
    let path = format!("/api/v1/companies/{}/policy", c.company);
    let (s, v) = c
        .app
        .put(
            &path,
            &c.app.admin,
            json!({"override": "amber_share = 0.7\n"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for body in [" ", "{}"] {
        let (s, _, b) = c
            .app
            .raw(
                "PUT",
                &path,
                Some(&c.app.admin),
                Some(body.into()),
                "application/json",
                &[],
            )
            .await;
        let v = serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null);
        assert_eq!(
            error_of(s, &v),
            (StatusCode::BAD_REQUEST, "invalid_input", "override"),
            "{body:?}: {v}"
        );
    }
    let (_, v) = c.app.get(&path, &c.app.admin).await;
    assert_eq!(v["override"], "amber_share = 0.7\n", "kept: {v}");
    let (s, v) = c
        .app
        .put(&path, &c.app.admin, json!({"override": null}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["override"], Value::Null, "null clears it: {v}");
}

/// A photo upload is not kept under its key, but the key is still checked (schemathesis sent a
/// tab to the multipart upload, which took it).
#[tokio::test]
async fn a_bad_idempotency_key_is_refused_on_a_photo_upload_too() {
    let c = company().await;
    let (s, _, b) = c
        .app
        .raw(
            "POST",
            "/api/v1/orders/1/photos",
            Some(&c.handler),
            Some("--x\r\n\r\n--x--\r\n".into()),
            "multipart/form-data; boundary=x",
            &[("Idempotency-Key", "a\tb")],
        )
        .await;
    let v = serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null);
    assert_eq!(
        error_of(s, &v),
        (StatusCode::BAD_REQUEST, "invalid_input", "Idempotency-Key"),
        "{v}"
    );
}
