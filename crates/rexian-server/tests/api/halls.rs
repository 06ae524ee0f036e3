//! Hall checks (issue 18, `004` 营业厅 第四十条 急救药箱, 第四十二条 便民雨伞, 第四十四条 灭火器): items
//! per hall with a period and a due date, every check kept with who and what was found, the
//! overdue ones listed by the company's day, nothing deleted, each company's own.

use axum::http::StatusCode;
use rexian_testkit::Centre;
use serde_json::{json, Value};

/// A hall of the centre's company and an item of it (by the supervisor).
async fn hall(c: &Centre) -> String {
    c.app.unit(&c.company, None, "城区营业厅", "hall").await
}

async fn item(c: &Centre, body: Value) -> Value {
    let (s, v) = c.app.post("/api/v1/halls/items", &c.supervisor, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn hall_items_fall_due_by_their_period_and_each_check_is_kept_004() {
    let c = Centre::new("power").await;
    let h = hall(&c).await;
    // Monday 2026-03-02 09:00 in Beijing.
    let kit = item(
        &c,
        json!({"unit_id": h, "name": "急救药箱药品有效期", "period_days": 30}),
    )
    .await;
    assert_eq!(kit["due_on"], "2026-04-01");
    assert_eq!(kit["overdue"], false);
    assert_eq!(kit["unit_name"], "城区营业厅");
    let ext = item(
        &c,
        json!({"unit_id": h, "name": "灭火器压力检测", "period_days": 30, "due_on": "2026-03-05"}),
    )
    .await;
    let umbrellas = item(
        &c,
        json!({"unit_id": h, "name": "便民雨伞借还", "period_days": 7, "due_on": "2026-03-06"}),
    )
    .await;

    // Four days on: the extinguisher (due the 5th) is overdue; the umbrellas (due today) not yet.
    c.app.advance(4 * 86_400).await;
    let list = format!("/api/v1/halls/items?company_id={}", c.company);
    let (s, v) = c.app.get(&format!("{list}&overdue=true"), &c.agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(names(&v), ["灭火器压力检测"]);
    assert_eq!(v["items"][0]["overdue"], true);
    let (_, all) = c.app.get(&list, &c.agent).await;
    assert_eq!(
        names(&all),
        ["灭火器压力检测", "便民雨伞借还", "急救药箱药品有效期"]
    );

    // A check moves the due date by the period from the check day; one not in order says why.
    let (_, me) = c.app.get("/api/v1/me", &c.agent).await;
    let checks = format!("/api/v1/halls/items/{}/checks", ext["id"].as_str().unwrap());
    let (s, v) = c
        .app
        .post(
            &checks,
            &c.agent,
            json!({"ok": false, "found": "压力指针偏低，已报更换"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["due_on"], "2026-04-05");
    assert_eq!(v["overdue"], false);
    assert_eq!(v["last_ok"], false);
    assert_eq!(v["checks"][0]["checked_by"], me["id"]);
    assert_eq!(v["checks"][0]["found"], "压力指针偏低，已报更换");
    assert_eq!(v["checks"][0]["checked_at"], "2026-03-06T01:00:00Z");
    let (s, _) = c.app.get(&format!("{list}&overdue=true"), &c.agent).await;
    assert_eq!(s, StatusCode::OK);

    // An expiry date given explicitly (the kit's earliest expiry) is the next due date.
    let kit_checks = format!("/api/v1/halls/items/{}/checks", kit["id"].as_str().unwrap());
    let (s, v) = c
        .app
        .post(
            &kit_checks,
            &c.supervisor,
            json!({"ok": true, "next_due_on": "2026-09-30"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["due_on"], "2026-09-30");
    let (s, v) = c
        .app
        .post(&kit_checks, &c.supervisor, json!({"ok": true}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["due_on"], "2026-04-05");
    let (s, v) = c
        .app
        .get(
            &format!("/api/v1/halls/items/{}", kit["id"].as_str().unwrap()),
            &c.handler,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["checks"].as_array().unwrap().len(), 2);
    assert_eq!(v["checks"][1]["next_due_on"], "2026-09-30");

    // Two days later the umbrellas (due the 6th) are overdue.
    c.app.advance(2 * 86_400).await;
    let (_, v) = c.app.get(&format!("{list}&overdue=true"), &c.agent).await;
    assert_eq!(names(&v), ["便民雨伞借还"]);

    // Retired, not deleted: off the list, kept with its checks, every change an event.
    let id = umbrellas["id"].as_str().unwrap();
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/halls/items/{id}/retire"),
            &c.supervisor,
            json!({"reason": "改为自助借伞柜"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["retired_at"].is_string(), "{v}");
    assert_eq!(v["overdue"], false);
    let (_, v) = c.app.get(&format!("{list}&overdue=true"), &c.agent).await;
    assert!(names(&v).is_empty(), "{v}");
    let (s, _) = c
        .app
        .get(&format!("/api/v1/halls/items/{id}"), &c.agent)
        .await;
    assert_eq!(s, StatusCode::OK);
    let ext_id: i64 = ext["id"].as_str().unwrap().parse().unwrap();
    let kinds: Vec<String> = c
        .app
        .state
        .store
        .audit_events("hall_item", ext_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["created", "checked"]);
}

#[tokio::test]
async fn bad_hall_input_is_refused_naming_the_field() {
    let c = Centre::new("water").await;
    let h = hall(&c).await;
    let cases = [
        (
            json!({"unit_id": h, "name": "灭火器", "period_days": 0}),
            "period_days",
        ),
        (
            json!({"unit_id": h, "name": "灭火器", "period_days": 3651}),
            "period_days",
        ),
        (
            json!({"unit_id": h, "name": "灭火器", "period_days": "x"}),
            "period_days",
        ),
        (
            json!({"unit_id": h, "name": " ", "period_days": 30}),
            "name",
        ),
        (
            json!({"unit_id": h, "name": "灭火器", "period_days": 30, "due_on": "March"}),
            "due_on",
        ),
        (
            json!({"unit_id": c.centre, "name": "灭火器", "period_days": 30}),
            "unit_id",
        ),
        (
            json!({"unit_id": "999999", "name": "灭火器", "period_days": 30}),
            "unit_id",
        ),
        (json!({"unit_id": h, "period_days": 30}), "name"),
    ];
    for (body, field) in cases {
        let (s, v) = c
            .app
            .post("/api/v1/halls/items", &c.supervisor, body.clone())
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} {v}");
        assert_eq!(v["error"]["field"], field, "{body}");
    }
    // Only supervisors add items.
    let (s, _) = c
        .app
        .post(
            "/api/v1/halls/items",
            &c.agent,
            json!({"unit_id": h, "name": "灭火器", "period_days": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let it = item(
        &c,
        json!({"unit_id": h, "name": "灭火器压力检测", "period_days": 30}),
    )
    .await;
    let id = it["id"].as_str().unwrap();
    let checks = format!("/api/v1/halls/items/{id}/checks");
    for (body, field) in [
        (json!({"ok": false}), "found"),
        (json!({"ok": false, "found": "  "}), "found"),
        (
            json!({"ok": true, "next_due_on": "2026-03-01"}),
            "next_due_on",
        ),
        (
            json!({"ok": true, "next_due_on": "tomorrow"}),
            "next_due_on",
        ),
        (json!({"ok": "yes"}), "ok"),
    ] {
        let (s, v) = c.app.post(&checks, &c.agent, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} {v}");
        assert_eq!(v["error"]["field"], field, "{body}");
    }
    let (s, v) = c
        .app
        .get(
            &format!("/api/v1/halls/items?company_id={}&overdue=maybe", c.company),
            &c.agent,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "overdue");
    let (s, _) = c.app.get("/api/v1/halls/items/abc", &c.agent).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = c.app.get("/api/v1/halls/items/999999", &c.agent).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A retired item takes no check and is not retired twice.
    let retire = format!("/api/v1/halls/items/{id}/retire");
    let (s, v) = c
        .app
        .post(&retire, &c.supervisor, json!({"reason": ""}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "reason");
    let (s, _) = c.app.post(&retire, &c.agent, json!({"reason": "撤"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = c
        .app
        .post(&retire, &c.supervisor, json!({"reason": "撤"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = c
        .app
        .post(&retire, &c.supervisor, json!({"reason": "撤"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = c.app.post(&checks, &c.agent, json!({"ok": true})).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn hall_items_stay_in_their_company() {
    let c = Centre::new("gas").await;
    let h = hall(&c).await;
    let it = item(
        &c,
        json!({"unit_id": h, "name": "警示标识", "period_days": 30}),
    )
    .await;
    let id = it["id"].as_str().unwrap();
    let other = c.app.company("北江水务", "water").await;
    let other_hall = c.app.unit(&other, None, "北江营业厅", "hall").await;
    let (_, sup2) = c
        .app
        .user("sup2", &["supervisor"], None, Some(&other))
        .await;

    let (s, _) = c.app.get(&format!("/api/v1/halls/items/{id}"), &sup2).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/halls/items/{id}/checks"),
            &sup2,
            json!({"ok": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = c
        .app
        .get(
            &format!("/api/v1/halls/items?company_id={}", c.company),
            &sup2,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Their own list has none of the first company's items.
    let (s, v) = c.app.get("/api/v1/halls/items", &sup2).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(names(&v).is_empty(), "{v}");
    // Nor may the first company's supervisor add to the other's hall.
    let (s, _) = c
        .app
        .post(
            "/api/v1/halls/items",
            &c.supervisor,
            json!({"unit_id": other_hall, "name": "擦鞋机", "period_days": 7}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Field workers see no hall items.
    let (_, field) = c
        .app
        .user("field1", &["field_worker"], Some(&c.team), None)
        .await;
    let (s, _) = c
        .app
        .get(&format!("/api/v1/halls/items/{id}"), &field)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn html(c: &Centre, path: &str, token: &str) -> String {
    let (s, _, body) = c.app.raw("GET", path, Some(token), None, "", &[]).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(s, StatusCode::OK, "{path}: {html}");
    html
}

#[tokio::test]
async fn the_halls_screen_lists_overdue_first_and_the_supervisor_sees_them() {
    let c = Centre::new("heat").await;
    let h = hall(&c).await;
    let later = item(
        &c,
        json!({"unit_id": h, "name": "擦鞋机", "period_days": 7, "due_on": "2026-03-04"}),
    )
    .await;
    let late = item(
        &c,
        json!({"unit_id": h, "name": "灭火器压力检测", "period_days": 30, "due_on": "2026-03-01"}),
    )
    .await;
    let page = html(&c, "/halls", &c.agent).await;
    let (a, b) = (
        page.find("灭火器压力检测").unwrap(),
        page.find("擦鞋机").unwrap(),
    );
    assert!(a < b, "overdue first");
    let row = |i: &Value, class: &str| {
        format!(
            "id=\"hall-item-{}\" class=\"{class}\"",
            i["id"].as_str().unwrap()
        )
    };
    assert!(page.contains(&row(&late, "hall-item overdue")), "{page}");
    assert!(page.contains(&row(&later, "hall-item")), "{page}");
    let sup = html(&c, "/supervise", &c.supervisor).await;
    let section = &sup[sup.find("id=\"sup-halls\"").unwrap()..];
    assert!(
        section.contains("灭火器压力检测"),
        "overdue on the supervisor's screen"
    );
    assert!(!section[..section.find("</section>").unwrap()].contains("擦鞋机"));

    // A check recorded from the screen; one not in order must say what was found.
    let id = late["id"].as_str().unwrap();
    let form = "application/x-www-form-urlencoded";
    let path = format!("/halls/items/{id}/checks");
    let (s, _, _) = c
        .app
        .raw(
            "POST",
            &path,
            Some(&c.agent),
            Some("ok=false".into()),
            form,
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let body = "ok=false&found=%E5%8E%8B%E5%8A%9B%E5%81%8F%E4%BD%8E&next_due_on=";
    let (s, headers, _) = c
        .app
        .raw("POST", &path, Some(&c.agent), Some(body.into()), form, &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(headers["location"].to_str().unwrap().starts_with("/halls"));
    let detail = html(&c, &format!("/halls/items/{id}"), &c.agent).await;
    assert!(
        detail.contains("压力偏低") && detail.contains("2026-04-01"),
        "{detail}"
    );
    let sup = html(&c, "/supervise", &c.supervisor).await;
    assert!(
        sup.contains("没有逾期的检查项目"),
        "checked: no longer overdue"
    );
}
