//! The customer self-service portal (issue 20, api-v1 "Customer self-service"): a demand
//! without login, tracked by number and phone with the same 404 for a wrong phone as for an
//! unknown number and nothing internal shown; the limits per client and per phone
//! (`settings.portal_orders_per_client`, `portal_orders_per_phone`, `portal_window_minutes`)
//! answer 429 with `Retry-After`; the company's verification code
//! (`settings.portal_verify_phone`); single-use, expiring callback links.

use axum::http::StatusCode;
use rexian_testkit::{enc, Centre};
use serde_json::{json, Value};

const PHONE: &str = "13912345678";

fn demand(c: &Centre, phone: &str) -> Value {
    json!({"company_id": c.company, "category": "repair", "description": "暖气不热，家里只有15度",
        "customer": {"name": "李女士", "phone": phone, "address": "城南小区3号楼2单元501"}})
}

async fn submit(c: &Centre, body: Value) -> (StatusCode, Value) {
    c.app
        .call("POST", "/api/v1/public/orders", None, Some(body))
        .await
}

async fn track(c: &Centre, number: &str, phone: &str) -> (StatusCode, Vec<u8>) {
    let path = format!("/api/v1/public/orders/{}?phone={}", enc(number), enc(phone));
    let (s, _, b) = c.app.raw("GET", &path, None, None, "", &[]).await;
    (s, b)
}

/// The order the number names, as the agent finds it.
async fn order_of(c: &Centre, number: &str) -> Value {
    let (s, v) = c
        .app
        .get(&format!("/api/v1/orders?q={}", enc(number)), &c.agent)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = v["items"][0]["id"].as_str().expect("found").to_owned();
    c.get(&id).await
}

async fn set_policy(c: &Centre, text: &str) {
    let path = format!("/api/v1/companies/{}/policy", c.company);
    let (s, v) = c
        .app
        .put(&path, &c.app.admin, json!({"override": text}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

fn company_id(c: &Centre) -> i64 {
    c.company.parse().unwrap()
}

#[tokio::test]
async fn a_demand_is_taken_tracked_by_phone_and_shows_nothing_internal() {
    let c = Centre::new("heat").await;
    let (s, v) = submit(&c, demand(&c, PHONE)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let number = v["number"].as_str().unwrap().to_owned();
    assert_eq!(v.as_object().unwrap().len(), 1, "only the number: {v}");
    let o = order_of(&c, &number).await;
    assert_eq!(
        (o["channel"].as_str(), o["status"].as_str()),
        (Some("web"), Some("new"))
    );
    assert_eq!(o["customer"]["phone"], PHONE);

    // Staff work on it: the customer sees plain steps, never the unit or the staff.
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await;
    let o = c.step(&c.handler, &o, "accept", json!({})).await;
    c.step(
        &c.handler,
        &o,
        "reply",
        json!({"result": "内部备注：阀门坏，张三已换"}),
    )
    .await;
    let (s, body) = track(&c, &number, "139-1234-5678").await;
    assert_eq!(s, StatusCode::OK);
    let t: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(t["number"], number.as_str());
    assert_eq!(t["status"], "replied");
    let whats: Vec<&str> = t["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["what"].as_str().unwrap())
        .collect();
    assert_eq!(
        whats,
        ["已受理您的诉求", "已安排处理", "正在处理", "已处理完毕"],
        "{t}"
    );
    assert!(t["steps"][0]["at"].as_str().unwrap().ends_with('Z'), "{t}");
    let text = String::from_utf8(body).unwrap();
    for internal in [
        "城北维修站",
        "热线中心",
        "handler",
        "agent",
        "张三",
        "内部",
        "unit",
        "actor",
    ] {
        assert!(!text.contains(internal), "{internal} shown: {text}");
    }

    // A wrong phone and an unknown number: the same 404, byte for byte.
    let (s1, wrong_phone) = track(&c, &number, "13900000000").await;
    let (s2, unknown) = track(&c, "X20260302-9999", PHONE).await;
    assert_eq!((s1, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(wrong_phone, unknown);
    // No phone at all names the field.
    let (s, v) = c
        .app
        .call(
            "GET",
            &format!("/api/v1/public/orders/{number}"),
            None,
            None,
        )
        .await;
    assert!(
        s.is_client_error() && v["error"]["field"] == "phone",
        "{s} {v}"
    );
}

#[tokio::test]
async fn bad_demands_name_their_field() {
    let c = Centre::new("water").await;
    for (change, field) in [
        (json!({"category": "gossip"}), "category"),
        (json!({"description": "  "}), "description"),
        (json!({"customer": {"name": "李"}}), "customer.phone"),
        (json!({"customer": {"phone": "call me"}}), "customer.phone"),
        (json!({"company_id": "999999"}), "company_id"),
    ] {
        let mut b = demand(&c, PHONE);
        for (k, v) in change.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (s, v) = submit(&c, b).await;
        assert!(s.is_client_error(), "{field}: {s} {v}");
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    let (s, v) = c
        .app
        .call("POST", "/api/v1/public/orders", None, Some(json!({"x": 1})))
        .await;
    assert!(s.is_client_error(), "{v}");
}

#[tokio::test]
async fn limits_per_phone_and_per_client_answer_429_with_retry_after() {
    let c = Centre::new("gas").await;
    // The defaults: 5 per phone within 60 minutes.
    for i in 0..5 {
        let (s, v) = submit(&c, demand(&c, PHONE)).await;
        assert_eq!(s, StatusCode::CREATED, "{i}: {v}");
    }
    let (s, v) = submit(&c, demand(&c, PHONE)).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");

    // The company's own numbers: 2 per phone, 3 per client, within 30 minutes.
    set_policy(
        &c,
        "[settings]\nportal_orders_per_phone = 2\nportal_orders_per_client = 3\nportal_window_minutes = 30\n",
    )
    .await;
    c.app.advance(3600).await;
    let call = |phone: &'static str| {
        let body = demand(&c, phone);
        let app = &c.app;
        async move {
            app.raw(
                "POST",
                "/api/v1/public/orders",
                None,
                Some(body.to_string()),
                "application/json",
                &[],
            )
            .await
        }
    };
    assert_eq!(call("13700000001").await.0, StatusCode::CREATED);
    assert_eq!(call("13700000001").await.0, StatusCode::CREATED);
    let (s, h, _) = call("13700000001").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "per phone");
    assert_eq!(h["retry-after"], "1800");
    // Another phone from the same client: the client's third, then refused.
    assert_eq!(call("13700000002").await.0, StatusCode::CREATED);
    c.app.advance(600).await;
    let (s, h, body) = call("13700000003").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "per client");
    assert_eq!(h["retry-after"], "1200");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "locked", "{v}");
    // After the window, taken again.
    c.app.advance(1200).await;
    assert_eq!(call("13700000003").await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn a_verification_code_when_the_company_asks_for_one() {
    let c = Centre::new("power").await;
    // Off by default: no code is sent, none is needed.
    let verify = |phone: &str| {
        let body = json!({"company_id": c.company, "phone": phone});
        let app = &c.app;
        async move {
            app.call("POST", "/api/v1/public/verify", None, Some(body))
                .await
        }
    };
    let (s, v) = verify(PHONE).await;
    assert!(
        s.is_client_error() && v["error"]["field"] == "company_id",
        "{v}"
    );
    // Every attempt counts against the limits: room for the wrong codes below.
    let on = "[settings]\nportal_verify_phone = 1\nportal_orders_per_phone = 20\nportal_orders_per_client = 20\n";
    set_policy(&c, on).await;

    let (s, v) = submit(&c, demand(&c, PHONE)).await;
    assert!(
        s.is_client_error() && v["error"]["field"] == "code",
        "{s} {v}"
    );
    let (s, v) = verify(PHONE).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["expires_at"], "2026-03-02T01:10:00Z");
    // The code waits for the sender as a message; read it through the app.
    let sent = rexian_app::portal::messages(&c.app.state, company_id(&c), PHONE)
        .await
        .unwrap();
    assert_eq!(sent[0].template, "portal_code");
    let code = sent[0].params["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6);
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let with = |code: &str| {
        let mut b = demand(&c, PHONE);
        b["code"] = json!(code);
        b
    };
    let (s, v) = submit(&c, with(wrong)).await;
    assert!(s.is_client_error() && v["error"]["field"] == "code", "{v}");
    let (s, v) = submit(&c, with(&code)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Used once only.
    let (s, v) = submit(&c, with(&code)).await;
    assert!(s.is_client_error() && v["error"]["field"] == "code", "{v}");

    // A fresh code expires after 10 minutes, and 5 wrong entries spend it.
    verify(PHONE).await;
    let sent = rexian_app::portal::messages(&c.app.state, company_id(&c), PHONE)
        .await
        .unwrap();
    let code = sent[0].params["code"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        submit(&c, with(if code == "000000" { "111111" } else { "000000" })).await;
    }
    let (s, v) = submit(&c, with(&code)).await;
    assert!(
        s.is_client_error() && v["error"]["field"] == "code",
        "spent: {v}"
    );
    verify(PHONE).await;
    let sent = rexian_app::portal::messages(&c.app.state, company_id(&c), PHONE)
        .await
        .unwrap();
    let code = sent[0].params["code"].as_str().unwrap().to_owned();
    c.app.advance(10 * 60).await;
    let (s, v) = submit(&c, with(&code)).await;
    assert!(
        s.is_client_error() && v["error"]["field"] == "code",
        "expired: {v}"
    );
}

/// An order of the portal taken to `reviewed`, ready for its callback.
async fn reviewed(c: &Centre) -> Value {
    let (s, v) = submit(c, demand(c, PHONE)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let o = order_of(c, v["number"].as_str().unwrap()).await;
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await;
    let o = c.step(&c.handler, &o, "accept", json!({})).await;
    let o = c
        .step(&c.handler, &o, "reply", json!({"result": "已修复"}))
        .await;
    c.step(&c.agent, &o, "review", json!({"approved": true}))
        .await
}

async fn link(c: &Centre, o: &Value, body: Value) -> (StatusCode, Value) {
    let id = o["id"].as_str().unwrap();
    c.app
        .post(
            &format!("/api/v1/orders/{id}/portal_link"),
            &c.callback,
            body,
        )
        .await
}

async fn page(c: &Centre, method: &str, url: &str, form: Option<&str>) -> (StatusCode, String) {
    let (s, _, b) = c
        .app
        .raw(
            method,
            url,
            None,
            form.map(str::to_owned),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    (s, String::from_utf8(b).unwrap())
}

#[tokio::test]
async fn a_callback_link_is_answered_once_and_expires() {
    let c = Centre::new("heat").await;
    let o = reviewed(&c).await;
    let (s, l) = link(&c, &o, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    assert_eq!(l["expires_at"], "2026-03-09T01:00:00Z", "7 days: {l}");
    let url = l["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/p/s/") && url.len() == 5 + 64, "{url}");
    // Its SMS waits for the sender, carrying the link.
    let sent = rexian_app::portal::messages(&c.app.state, company_id(&c), PHONE)
        .await
        .unwrap();
    assert_eq!(
        (sent[0].template.as_str(), sent[0].params["url"].as_str()),
        ("portal_link", Some(url.as_str()))
    );

    let (s, html) = page(&c, "GET", &url, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("portal-survey") && html.contains(o["number"].as_str().unwrap()));
    // Late in the evening: the customer answers themself (no calling hours apply).
    c.app.advance(13 * 3600).await;
    let (s, html) = page(
        &c,
        "POST",
        &url,
        Some("satisfaction=satisfied&matches_reply=yes&note=%E5%BE%88%E5%A5%BD"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("感谢您的评价"), "{html}");
    let after = c.get(&o).await;
    let cb = after["events"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["type"] == "callback")
        .expect("callback event");
    assert_eq!(cb["data"]["satisfaction"], "satisfied", "{cb}");
    assert_eq!(cb["data"]["via"], "portal_link", "{cb}");
    assert_eq!(after["callbacks"][0]["reached"], true, "{after}");

    // Used once: a second answer finds it answered and records nothing.
    let (s, html) = page(&c, "POST", &url, Some("satisfaction=unsatisfied")).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("portal-answered"), "{html}");
    let (_, html) = page(&c, "GET", &url, None).await;
    assert!(html.contains("portal-answered"), "{html}");
    let again = c.get(&o).await;
    assert_eq!(
        again["events"].as_array().unwrap().len(),
        after["events"].as_array().unwrap().len()
    );

    // Expired: a link of one day, a day later.
    let o2 = reviewed(&c).await;
    let (_, l2) = link(&c, &o2, json!({"days": 1})).await;
    let url2 = l2["url"].as_str().unwrap().to_owned();
    c.app.advance(86_400).await;
    let (s, html) = page(&c, "GET", &url2, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("portal-expired"), "{html}");
    let (s, html) = page(&c, "POST", &url2, Some("satisfaction=satisfied")).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("portal-expired"), "{html}");
    assert!(!c.get(&o2).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "callback"));
    // A made-up token is no link; a new order takes none yet.
    let (s, _) = page(&c, "GET", &format!("/p/s/{}", "a".repeat(64)), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = submit(&c, demand(&c, "13811112222")).await;
    let fresh = order_of(&c, v["number"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = link(&c, &fresh, json!({})).await;
    assert!(s.is_client_error(), "{v}");
    let (s, v) = link(&c, &o2, json!({"days": 0})).await;
    assert!(s.is_client_error() && v["error"]["field"] == "days", "{v}");
}

#[tokio::test]
async fn the_portal_pages_take_a_demand_and_track_it_without_javascript() {
    let c = Centre::new("heat").await;
    let (s, html) = page(&c, "GET", "/p", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("南江公用"), "the chooser: {html}");
    let (s, html) = page(&c, "GET", &format!("/p?company_id={}", c.company), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("portal-submit") && !html.contains("<script"),
        "{html}"
    );
    let form = format!(
        "company_id={}&category=repair&description={}&name=&phone={PHONE}&address=",
        c.company,
        enc("楼道灯不亮")
    );
    let (s, html) = page(&c, "POST", "/p/orders", Some(&form)).await;
    assert_eq!(s, StatusCode::CREATED, "{html}");
    let number = html
        .split("id=\"portal-number\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let (s, html) = page(
        &c,
        "GET",
        &format!("/p/track?number={number}&phone={PHONE}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("已受理您的诉求"), "{html}");
    let (s, html) = page(
        &c,
        "GET",
        &format!("/p/track?number={number}&phone=13000000000"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("没有找到该工单"), "{html}");
    let bad = format!(
        "company_id={}&category=repair&description=&phone={PHONE}",
        c.company
    );
    let (s, html) = page(&c, "POST", "/p/orders", Some(&bad)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("请检查填写：问题描述"), "{html}");
}
