//! Away periods of the A/B roles (issue 18, `004` 第五章 AB角工作制): while A is away A's open
//! work is with B and comes back at `until`; A and B away at once is refused unless forced, and
//! then the work goes to nobody; every move is an order event.

use axum::http::StatusCode;
use rexian_testkit::Centre;
use serde_json::{json, Value};

/// Two users of `unit` with `roles`, A and B of one post.
async fn pair(c: &Centre, roles: &[&str], unit: &str, a: &str, b: &str) -> Pair {
    let (a_id, a_tok) = c.app.user(a, roles, Some(unit), None).await;
    let (b_id, b_tok) = c.app.user(b, roles, Some(unit), None).await;
    let (s, v) = c
        .app
        .put(
            &format!("/api/v1/users/{a_id}/partner"),
            &c.app.admin,
            json!({"partner_id": b_id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    Pair {
        a: a_id,
        a_tok,
        b: b_id,
        b_tok,
    }
}

struct Pair {
    a: String,
    a_tok: String,
    b: String,
    b_tok: String,
}

/// An order dispatched to the team and assigned to `worker`.
async fn assigned(c: &Centre, worker: &str) -> Value {
    let o = c.dispatched("repair", Some("outage")).await;
    c.step(&c.handler, &o, "assign", json!({"user_id": worker}))
        .await
}

fn moves_of(o: &Value, reason: &str) -> Vec<Value> {
    o["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "assignee_changed" && e["data"]["reason"] == reason)
        .cloned()
        .collect()
}

async fn away(c: &Centre, token: &str, user: &str, body: Value) -> (StatusCode, Value) {
    c.app
        .post(&format!("/api/v1/users/{user}/away"), token, body)
        .await
}

async fn orders_of(c: &Centre, token: &str) -> Vec<String> {
    let (s, v) = c.app.get("/api/v1/orders?limit=100", token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_work_moves_to_b_at_from_and_back_to_a_at_until_004() {
    let c = Centre::new("power").await;
    let p = pair(&c, &["field_worker"], &c.team, "wa", "wb").await;
    let o = assigned(&c, &p.a).await;
    let id = o["id"].as_str().unwrap().to_owned();
    assert_eq!(o["assignee_id"], p.a.as_str());

    // Recorded by A at 09:00 Beijing for 10:00 to 10:00 the next day: nothing moves yet.
    let (s, v) = away(
        &c,
        &p.a_tok,
        &p.a,
        json!({"from": "2026-03-02T02:00:00Z", "until": "2026-03-03T02:00:00Z", "reason": "leave",
            "note": "年假"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["id"].as_str().is_some(), "{v}");
    assert_eq!(v["phase"], "upcoming");
    assert_eq!(v["cover_id"], p.b.as_str());
    assert_eq!(c.get(&id).await["assignee_id"], p.a.as_str());
    assert!(!orders_of(&c, &p.b_tok).await.contains(&id));

    // At `from` the timer moves it (the test clock set over HTTP runs the due timers): B holds
    // it and sees it; the order says why.
    let (s, v) = c
        .app
        .put(
            "/api/v1/admin/clock",
            &c.app.admin,
            json!({"now": "2026-03-02T02:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let now = c.get(&id).await;
    assert_eq!(now["assignee_id"], p.b.as_str(), "{now}");
    let m = moves_of(&now, "away");
    assert_eq!(m.len(), 1, "{now}");
    assert_eq!(m[0]["data"]["from"], p.a.as_str());
    assert_eq!(m[0]["data"]["to"], p.b.as_str());
    assert_eq!(m[0]["data"]["duty"], "assignee");
    assert_eq!(m[0]["actor_id"], Value::Null, "the timer moved it");
    assert!(orders_of(&c, &p.b_tok).await.contains(&id));
    assert!(!orders_of(&c, &p.a_tok).await.contains(&id));
    let (s, list) = c
        .app
        .get(&format!("/api/v1/users/{}/away", p.a), &p.a_tok)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let period = &list["items"][0];
    assert_eq!(period["phase"], "away");
    assert_eq!(period["moves"][0]["order_id"], id.as_str());
    assert_eq!(period["moves"][0]["to_user_id"], p.b.as_str());
    // A second timer run moves nothing twice.
    c.app.advance(60).await;
    assert_eq!(moves_of(&c.get(&id).await, "away").len(), 1);

    // At `until` it comes back to A, still open.
    let (s, v) = c
        .app
        .post(
            "/api/v1/admin/clock/advance",
            &c.app.admin,
            json!({"seconds": 24 * 3600}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let back = c.get(&id).await;
    assert_eq!(back["assignee_id"], p.a.as_str(), "{back}");
    assert_eq!(moves_of(&back, "return").len(), 1, "{back}");
    let (_, list) = c
        .app
        .get(&format!("/api/v1/users/{}/away", p.a), &p.a_tok)
        .await;
    let period = &list["items"][0];
    assert_eq!(period["phase"], "over");
    assert_eq!(period["end_kind"], "until");
    assert_eq!(period["moves"][0]["outcome"], "returned");
}

#[tokio::test]
async fn first_responder_follow_ups_move_at_once_and_an_early_end_brings_them_back_004() {
    let c = Centre::new("water").await;
    let p = pair(&c, &["agent", "dispatcher"], &c.centre, "aa", "ab").await;
    let body = json!({"company_id": c.company, "category": "repair", "subtype": "leak",
        "channel": "phone", "description": "楼道漏水", "customer": {"phone": "13800000001"}});
    let (s, o) = c.app.post("/api/v1/orders", &p.a_tok, body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_str().unwrap().to_owned();

    // From now (a supervisor records it): the follow-up is B's at once.
    let (s, v) = away(
        &c,
        &c.supervisor,
        &p.a,
        json!({"from": "2026-03-02T01:00:00Z", "until": "2026-03-05T01:00:00Z", "reason": "sick"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["phase"], "away");
    let aid = v["id"].as_str().unwrap().to_owned();
    let moves = v["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 1, "{v}");
    assert_eq!(moves[0]["order_id"], id.as_str());
    assert_eq!(moves[0]["duty"], "follow_up");
    assert_eq!(moves[0]["to_user_id"], p.b.as_str());
    let o = c.get(&id).await;
    assert_eq!(
        o["first_responder_id"],
        p.a.as_str(),
        "who took the call stays"
    );
    assert_eq!(moves_of(&o, "away")[0]["data"]["duty"], "follow_up");

    // A is back early: the follow-up returns, the period is over, nothing deleted.
    c.app.advance(3600).await;
    let end = format!("/api/v1/users/{}/away/{aid}/end", p.a);
    let (s, v) = c.app.post(&end, &p.a_tok, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["phase"], "over");
    assert_eq!(v["end_kind"], "early");
    assert_eq!(v["ended_at"], "2026-03-02T02:00:00Z");
    assert_eq!(v["moves"][0]["outcome"], "returned");
    let returned = moves_of(&c.get(&id).await, "return");
    assert_eq!(returned.len(), 1);
    assert_eq!(returned[0]["actor_id"], p.a.as_str(), "A ended it");
    let (s, v) = c.app.post(&end, &p.a_tok, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // The timer does not return it a second time at `until`.
    c.app.advance(4 * 24 * 3600).await;
    assert_eq!(moves_of(&c.get(&id).await, "return").len(), 1);
}

#[tokio::test]
async fn a_and_b_away_at_once_is_refused_unless_forced_and_then_nobody_holds_the_work_004() {
    let c = Centre::new("power").await;
    let p = pair(&c, &["field_worker"], &c.team, "wa", "wb").await;
    let o = assigned(&c, &p.a).await;
    let id = o["id"].as_str().unwrap().to_owned();
    let (s, v) = away(
        &c,
        &c.supervisor,
        &p.b,
        json!({"from": "2026-03-03T00:00:00Z", "until": "2026-03-06T00:00:00Z", "reason": "training"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // A overlaps B by a day: refused, naming the rule.
    let a_body = json!({"from": "2026-03-05T00:00:00Z", "until": "2026-03-07T00:00:00Z",
        "reason": "out", "note": "外出培训"});
    let (s, v) = away(&c, &p.a_tok, &p.a, a_body.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "partner_away");
    let mut forced = a_body.clone();
    forced["force"] = json!(true);
    let (s, v) = away(&c, &p.a_tok, &p.a, forced).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["forced"], true);
    assert_eq!(v["cover_id"], Value::Null);

    // The roster's view: both flagged, over the range asked.
    let (s, v) = c
        .app
        .get(
            &format!(
                "/api/v1/away?company_id={}&from=2026-03-02T00:00:00Z&until=2026-03-09T00:00:00Z",
                c.company
            ),
            &c.supervisor,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{v}");
    assert!(items.iter().all(|a| a["both_away"] == true), "{v}");
    // Outside the range: none.
    let (_, v) = c
        .app
        .get(
            &format!(
                "/api/v1/away?company_id={}&from=2026-03-10T00:00:00Z&until=2026-03-11T00:00:00Z",
                c.company
            ),
            &c.supervisor,
        )
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0, "{v}");

    // At A's `from` the order goes to nobody; the supervisor's screen lists it.
    // The roster warns whoever sets it: both of the post away in that month, flagged.
    let (s, _, body) = c
        .app
        .raw(
            "GET",
            "/roster?month=2026-03",
            Some(&c.supervisor),
            None,
            "",
            &[],
        )
        .await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(s, StatusCode::OK, "{html}");
    let warned = html.split("id=\"roster-away\"").nth(1).unwrap_or_default();
    assert_eq!(warned.matches("class=\"away-row\"").count(), 2, "{html}");
    assert_eq!(warned.matches("A、B角同时不在岗").count(), 2, "{html}");

    c.app.advance(3 * 24 * 3600).await;
    let now = c.get(&id).await;
    assert_eq!(now["assignee_id"], Value::Null, "{now}");
    assert_eq!(moves_of(&now, "away")[0]["data"]["to"], Value::Null);
    let (s, _, body) = c
        .app
        .raw("GET", "/supervise", Some(&c.supervisor), None, "", &[])
        .await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(s, StatusCode::OK, "{html}");
    let row = format!(
        "class=\"uncovered-row\" data-number=\"{}\"",
        now["number"].as_str().unwrap()
    );
    assert!(html.contains(&row), "{html}");
    // At A's `until` it comes back to A.
    c.app.advance(2 * 24 * 3600).await;
    assert_eq!(c.get(&id).await["assignee_id"], p.a.as_str());

    // No B at all: `no_partner` unless forced.
    let (lone, lone_tok) = c
        .app
        .user("lone", &["field_worker"], Some(&c.team), None)
        .await;
    let (s, v) = away(
        &c,
        &lone_tok,
        &lone,
        json!({"from": "2026-03-08T00:00:00Z", "until": "2026-03-09T00:00:00Z", "reason": "leave"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "no_partner");
}

#[tokio::test]
async fn only_the_user_and_the_company_s_supervisors_and_admins_record_away_periods() {
    let c = Centre::new("power").await;
    let p = pair(&c, &["field_worker"], &c.team, "wa", "wb").await;
    let body =
        json!({"from": "2026-03-03T00:00:00Z", "until": "2026-03-04T00:00:00Z", "reason": "leave"});
    // B may not record A's leave, nor may an agent; A's own and the supervisor's are fine.
    let (s, _) = away(&c, &p.b_tok, &p.a, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = away(&c, &c.agent, &p.a, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = c
        .app
        .get(&format!("/api/v1/users/{}/away", p.a), &p.b_tok)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // The 请假/外出 screen: A's own, not B's.
    let page = |path: String, tok: String| {
        let app = &c.app;
        async move {
            let (s, _, body) = app.raw("GET", &path, Some(&tok), None, "", &[]).await;
            (s, String::from_utf8(body).unwrap())
        }
    };
    let (s, html) = page("/away".into(), p.a_tok.clone()).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"away-new\""), "{html}");
    let (s, _) = page(format!("/away?user_id={}", p.b), p.a_tok.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Another company's admin and supervisor do not see A at all.
    let other = c.app.company("北岭热力", "heat").await;
    let (_, other_admin) = c.app.user("oadmin", &["admin"], None, Some(&other)).await;
    let (_, other_sup) = c
        .app
        .user("osup", &["supervisor"], None, Some(&other))
        .await;
    for tok in [&other_admin, &other_sup] {
        let (s, v) = away(&c, tok, &p.a, body.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        let (s, _) = c.app.get(&format!("/api/v1/users/{}/away", p.a), tok).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let (s, v) = c
        .app
        .get(
            &format!("/api/v1/away?company_id={}", c.company),
            &other_sup,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // The company's own admin may, and so may the group admin; the end by another company's
    // admin is as unseen as the period.
    let (_, own_admin) = c
        .app
        .user("cadmin", &["admin"], None, Some(&c.company))
        .await;
    let (s, v) = away(&c, &own_admin, &p.a, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let aid = v["id"].as_str().unwrap().to_owned();
    let end = format!("/api/v1/users/{}/away/{aid}/end", p.a);
    let (s, _) = c.app.post(&end, &other_admin, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A period of A is not found under B.
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/users/{}/away/{aid}/end", p.b),
            &c.supervisor,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = c.app.post(&end, &c.app.admin, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["phase"], "over");
}

#[tokio::test]
async fn bad_away_periods_are_refused_naming_the_field() {
    let c = Centre::new("power").await;
    let p = pair(&c, &["field_worker"], &c.team, "wa", "wb").await;
    let cases = [
        (
            json!({"from": "2026-03-04T00:00:00Z", "until": "2026-03-03T00:00:00Z", "reason": "leave"}),
            "until",
        ),
        (
            json!({"from": "2026-03-03T00:00:00Z", "until": "2026-03-03T00:00:00Z", "reason": "leave"}),
            "until",
        ),
        // Over before it is recorded.
        (
            json!({"from": "2026-02-01T00:00:00Z", "until": "2026-02-02T00:00:00Z", "reason": "leave"}),
            "until",
        ),
        // More than 366 days (MAX_AWAY_MS).
        (
            json!({"from": "2026-03-03T00:00:00Z", "until": "2027-03-05T00:00:00Z", "reason": "leave"}),
            "until",
        ),
        (
            json!({"from": "2026-03-03T00:00:00Z", "until": "2026-03-04T00:00:00Z", "reason": "vacation"}),
            "reason",
        ),
        (
            json!({"from": "tomorrow", "until": "2026-03-04T00:00:00Z", "reason": "leave"}),
            "from",
        ),
        (
            json!({"until": "2026-03-04T00:00:00Z", "reason": "leave"}),
            "from",
        ),
        (
            json!({"from": "2026-03-03T00:00:00Z", "until": "2026-03-04T00:00:00Z", "reason": "leave", "force": "yes"}),
            "force",
        ),
    ];
    for (body, field) in cases {
        let (s, v) = away(&c, &p.a_tok, &p.a, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["error"]["field"], field, "{body}: {v}");
    }
    // 366 days exactly is taken.
    let (s, v) = away(
        &c,
        &p.a_tok,
        &p.a,
        json!({"from": "2026-03-03T00:00:00Z", "until": "2027-03-04T00:00:00Z", "reason": "training"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // A second period of A overlapping the first: a conflict on `from`.
    let (s, v) = away(
        &c,
        &p.a_tok,
        &p.a,
        json!({"from": "2026-04-01T00:00:00Z", "until": "2026-04-02T00:00:00Z", "reason": "sick"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["field"], "from");
    // Unknown user and bad ids.
    let (s, _) = away(
        &c,
        &c.supervisor,
        "999999",
        json!({"from": "2026-03-03T00:00:00Z", "until": "2026-03-04T00:00:00Z", "reason": "leave"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/users/{}/away/x/end", p.a),
            &p.a_tok,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "aid");
    for (q, field) in [
        ("from=soon", "from"),
        ("until=later", "until"),
        (
            "from=2026-03-05T00:00:00Z&until=2026-03-04T00:00:00Z",
            "until",
        ),
    ] {
        let (s, v) = c
            .app
            .get(
                &format!("/api/v1/away?company_id={}&{q}", c.company),
                &c.supervisor,
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
        assert_eq!(v["error"]["field"], field, "{q}: {v}");
    }
}

#[tokio::test]
async fn work_reassigned_while_a_is_away_stays_where_it_was_put() {
    let c = Centre::new("power").await;
    let p = pair(&c, &["field_worker"], &c.team, "wa", "wb").await;
    let (other, _) = c
        .app
        .user("wc", &["field_worker"], Some(&c.team), None)
        .await;
    let kept = assigned(&c, &p.a).await;
    let back = assigned(&c, &p.a).await;
    let (s, v) = away(
        &c,
        &p.a_tok,
        &p.a,
        json!({"from": "2026-03-02T01:00:00Z", "until": "2026-03-03T01:00:00Z", "reason": "out"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["moves"].as_array().unwrap().len(), 2, "{v}");
    // The unit gives one to a third worker meanwhile: at `until` it stays with them.
    c.step(&c.handler, &kept, "assign", json!({"user_id": other}))
        .await;
    c.app.advance(24 * 3600).await;
    assert_eq!(c.get(&kept).await["assignee_id"], other.as_str());
    assert_eq!(c.get(&back).await["assignee_id"], p.a.as_str());
    let (_, list) = c
        .app
        .get(&format!("/api/v1/users/{}/away", p.a), &p.a_tok)
        .await;
    let outcome = |o: &Value| {
        list["items"][0]["moves"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["order_id"] == o["id"])
            .map(|m| m["outcome"].clone())
            .unwrap()
    };
    assert_eq!(outcome(&kept), "kept");
    assert_eq!(outcome(&back), "returned");
    assert_eq!(moves_of(&c.get(&kept).await, "return").len(), 0);
}

#[tokio::test]
async fn when_b_goes_away_too_while_covering_a_s_work_comes_back_to_a_on_return() {
    let c = Centre::new("power").await;
    let p = pair(&c, &["field_worker"], &c.team, "wa", "wb").await;
    let o = assigned(&c, &p.a).await;
    let id = o["id"].as_str().unwrap().to_owned();
    let (s, v) = away(
        &c,
        &p.a_tok,
        &p.a,
        json!({"from": "2026-03-02T01:00:00Z", "until": "2026-03-03T01:00:00Z", "reason": "sick"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(c.get(&id).await["assignee_id"], p.b.as_str());
    // B has to go as well (forced): what B holds, A's order included, goes to nobody.
    let (s, v) = away(
        &c,
        &p.b_tok,
        &p.b,
        json!({"from": "2026-03-02T02:00:00Z", "until": "2026-03-05T01:00:00Z",
            "reason": "other", "note": "家中急事", "force": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    c.app.advance(3600).await;
    assert_eq!(c.get(&id).await["assignee_id"], Value::Null);
    // A is back: nobody holds it, so A takes it; B's return later leaves it with A.
    c.app.advance(24 * 3600).await;
    assert_eq!(c.get(&id).await["assignee_id"], p.a.as_str());
    c.app.advance(2 * 24 * 3600).await;
    let o = c.get(&id).await;
    assert_eq!(o["assignee_id"], p.a.as_str(), "{o}");
    assert_eq!(moves_of(&o, "return").len(), 1, "{o}");
}
