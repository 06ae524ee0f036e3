//! The roster (issue 18, `001` 值班): shifts by number and name from the policy, who is on which
//! shift by date (a day replaced at a time, history kept), the month view, the current shift
//! across 08:00, the .xlsx import, tenancy, and `order_left_pending` at a shift's end.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use rexian_testkit::{Centre, TestApp, PASSWORD};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The logins on shift `index` of `date` in a month view.
fn on(month: &Value, date: &str, index: usize) -> Vec<String> {
    let day = month["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("no {date} in {month}"));
    day["shifts"][index]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap().to_owned())
        .collect()
}

async fn month(c: &Centre, m: &str) -> Value {
    let path = format!("/api/v1/roster?company_id={}&month={m}", c.company);
    let (s, v) = c.app.get(&path, &c.agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// A user's id by login (admin's view).
async fn user_id(app: &TestApp, login: &str) -> String {
    let (_, v) = app.get("/api/v1/users", &app.admin).await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == login)
        .unwrap_or_else(|| panic!("no {login} in {v}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn put(c: &Centre, token: &str, body: Value) -> (StatusCode, Value) {
    c.app.put("/api/v1/roster", token, body).await
}

#[tokio::test]
async fn a_day_is_replaced_idempotently_and_its_history_kept() {
    let c = Centre::new("power").await;
    let agent = user_id(&c.app, "agent").await;
    let callback = user_id(&c.app, "callback").await;
    let supervisor = user_id(&c.app, "supervisor").await;
    let body = json!({"company_id": c.company, "entries": [
        {"date": "2026-03-02", "shift": 0, "user_id": agent},
        {"date": "2026-03-03", "shift": "全天", "user_id": callback}]});
    let (s, v) = put(&c, &c.supervisor, body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["added"].as_u64(), v["removed"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(v["dates"], json!(["2026-03-02", "2026-03-03"]));

    let m = month(&c, "2026-03").await;
    assert_eq!(m["shift_names"], json!(["全天"]));
    assert_eq!(m["days"].as_array().unwrap().len(), 31);
    assert_eq!(on(&m, "2026-03-02", 0), ["agent"]);
    assert_eq!(on(&m, "2026-03-03", 0), ["callback"]);
    assert!(on(&m, "2026-03-04", 0).is_empty());
    // The power preset's shift: 24 h from 08:00 Beijing (001).
    let day = &m["days"][1]["shifts"][0];
    assert_eq!(day["start"], "2026-03-02T00:00:00Z");
    assert_eq!(day["end"], "2026-03-03T00:00:00Z");
    assert_eq!(day["hours"], "08:00–08:00");

    // The same request again changes nothing.
    let (s, v) = put(&c, &c.supervisor, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["added"].as_u64(), v["removed"].as_u64()),
        (Some(0), Some(0))
    );

    // The 2nd becomes the supervisor's; the 3rd is emptied by naming it in `dates`.
    let body = json!({"company_id": c.company, "dates": ["2026-03-03"], "entries": [
        {"date": "2026-03-02", "shift": 0, "user_id": supervisor}]});
    let (s, v) = put(&c, &c.supervisor, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["added"].as_u64(), v["removed"].as_u64()),
        (Some(1), Some(2))
    );
    let m = month(&c, "2026-03").await;
    assert_eq!(on(&m, "2026-03-02", 0), ["supervisor"]);
    assert!(on(&m, "2026-03-03", 0).is_empty());

    // Nothing is lost: every change is an event.
    let path = format!(
        "/api/v1/roster/history?company_id={}&date=2026-03-02",
        c.company
    );
    let (s, v) = c.app.get(&path, &c.agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kinds: Vec<(&str, &str)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["user_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("added", agent.as_str()),
            ("removed", agent.as_str()),
            ("added", supervisor.as_str())
        ]
    );
}

#[tokio::test]
async fn bad_entries_are_refused_naming_the_field() {
    let c = Centre::new("power").await;
    let agent = user_id(&c.app, "agent").await;
    let cases = [
        (
            json!({"date": "2026-03-02", "shift": 1, "user_id": agent}),
            "entries[0].shift",
        ),
        (
            json!({"date": "2026-03-02", "shift": "夜班", "user_id": agent}),
            "entries[0].shift",
        ),
        (
            json!({"date": "2026-02-30", "shift": 0, "user_id": agent}),
            "entries[0].date",
        ),
        (
            json!({"date": "2026-03-02", "shift": 0, "user_id": "999999"}),
            "entries[0].user_id",
        ),
    ];
    for (entry, field) in cases {
        let body = json!({"company_id": c.company, "entries": [entry]});
        let (s, v) = put(&c, &c.supervisor, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    let (s, v) = put(&c, &c.supervisor, json!({"company_id": c.company})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let path = format!("/api/v1/roster?company_id={}&month=2026-13", c.company);
    let (s, v) = c.app.get(&path, &c.agent).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "month");
    // Agents read the roster; supervisors and administrators set it.
    let body = json!({"company_id": c.company, "entries": []});
    let (s, _) = put(&c, &c.agent, body).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = c
        .app
        .get(
            &format!("/api/v1/roster?company_id={}", c.company),
            &c.handler,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_current_shift_turns_at_0800_and_the_header_shows_it() {
    // 07:59 Beijing on Monday 2026-03-02: still Sunday's shift (001: 08:00 to 08:00).
    let app = TestApp::at("2026-03-01T23:59:00Z".parse().unwrap()).await;
    let c = Centre::on(app, "power").await;
    let agent = user_id(&c.app, "agent").await;
    let callback = user_id(&c.app, "callback").await;
    let body = json!({"company_id": c.company, "entries": [
        {"date": "2026-03-01", "shift": 0, "user_id": callback},
        {"date": "2026-03-02", "shift": 0, "user_id": agent}]});
    let (s, v) = put(&c, &c.supervisor, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let path = format!("/api/v1/shifts/current?company_id={}", c.company);
    let (s, v) = c.app.get(&path, &c.handler).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["date"], &v["index"], &v["name"]),
        (&json!("2026-03-01"), &json!(0), &json!("全天"))
    );
    assert_eq!(
        (&v["start"], &v["end"]),
        (
            &json!("2026-03-01T00:00:00Z"),
            &json!("2026-03-02T00:00:00Z")
        )
    );
    assert_eq!(v["users"][0]["login"], "callback");
    let header = |html: &[u8]| {
        let html = String::from_utf8_lossy(html).to_string();
        let at = html
            .find("id=\"current-shift\"")
            .expect("the header shows the shift");
        html[at..at + 200].to_string()
    };
    let (_, _, html) = c.app.raw("GET", "/", Some(&c.agent), None, "", &[]).await;
    assert!(
        header(&html).contains("全天 03-01 08:00–03-02 08:00"),
        "{}",
        header(&html)
    );

    c.app.advance(60).await;
    let (_, v) = c.app.get(&path, &c.agent).await;
    assert_eq!(v["date"], "2026-03-02");
    assert_eq!(v["start"], "2026-03-02T00:00:00Z");
    assert_eq!(v["users"][0]["login"], "agent");
    let (_, _, html) = c
        .app
        .raw("GET", "/roster", Some(&c.agent), None, "", &[])
        .await;
    assert!(
        header(&html).contains("全天 03-02 08:00–03-03 08:00"),
        "{}",
        header(&html)
    );
    // The month view marks the shift now.
    let html = String::from_utf8_lossy(&html).to_string();
    assert!(
        html.contains("id=\"day-2026-03-02\" class=\"today\""),
        "{html}"
    );
}

/// An .xlsx of `rows` under the header 日期, 班次, 工号/登录名 (a row's date given as a date
/// cell when it parses as one and `dated`).
fn xlsx(rows: &[[&str; 3]], dated: bool) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let fmt = Format::new().set_num_format("yyyy-mm-dd");
    for (i, h) in ["日期", "班次", "工号/登录名"].iter().enumerate() {
        ws.write_string(0, i as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        let parts: Vec<u16> = row[0].split('-').filter_map(|p| p.parse().ok()).collect();
        match (dated, parts.as_slice()) {
            (true, [y, m, d]) => {
                let when = ExcelDateTime::from_ymd(*y, *m as u8, *d as u8).unwrap();
                ws.write_datetime_with_format(r, 0, &when, &fmt).unwrap();
            }
            _ => {
                ws.write_string(r, 0, row[0]).unwrap();
            }
        }
        match row[1].parse::<f64>() {
            Ok(n) => ws.write_number(r, 1, n).unwrap(),
            Err(_) => ws.write_string(r, 1, row[1]).unwrap(),
        };
        ws.write_string(r, 2, row[2]).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

async fn import(c: &Centre, token: &str, company: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/roster/import?company_id={company}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(Body::from(body))
        .unwrap();
    let res = c.app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn an_xlsx_import_sets_every_date_of_the_sheet() {
    let c = Centre::new("power").await;
    let body = json!({"login": "duty7", "name": "值班七", "password": PASSWORD,
        "roles": ["agent"], "unit_id": c.centre, "staff_no": "A007"});
    let (s, v) = c.app.post("/api/v1/users", &c.app.admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Dates as date cells, the shift by name or number from 1, the user by 工号 or login.
    let sheet = xlsx(
        &[
            ["2026-03-05", "全天", "A007"],
            ["2026-03-05", "1", "agent"],
            ["2026-03-06", "1", "callback"],
        ],
        true,
    );
    let (s, v) = import(&c, &c.supervisor, &c.company, sheet).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["added"], 3, "{v}");
    assert_eq!(v["dates"], json!(["2026-03-05", "2026-03-06"]));
    let m = month(&c, "2026-03").await;
    assert_eq!(on(&m, "2026-03-05", 0), ["agent", "duty7"]);
    assert_eq!(on(&m, "2026-03-06", 0), ["callback"]);
    // Dates as text too; a second import replaces what it names.
    let sheet = xlsx(&[["2026-03-05", "全天", "callback"]], false);
    let (s, v) = import(&c, &c.supervisor, &c.company, sheet).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["added"].as_u64(), v["removed"].as_u64()),
        (Some(1), Some(2))
    );
    let m = month(&c, "2026-03").await;
    assert_eq!(on(&m, "2026-03-05", 0), ["callback"]);
    assert_eq!(on(&m, "2026-03-06", 0), ["callback"]);
}

#[tokio::test]
async fn a_bad_import_row_is_named_by_row_and_column_and_nothing_is_written() {
    let c = Centre::new("power").await;
    let good = ["2026-03-10", "全天", "agent"];
    let cases: [([&str; 3], &str, &str); 3] = [
        (
            ["2026-03-32", "全天", "agent"],
            "row 3 日期",
            "column 日期 (A)",
        ),
        (
            ["2026-03-11", "夜班", "agent"],
            "row 3 班次",
            "column 班次 (B)",
        ),
        (
            ["2026-03-11", "全天", "nobody"],
            "row 3 工号/登录名",
            "column 工号/登录名 (C)",
        ),
    ];
    for (bad, field, says) in cases {
        let (s, v) = import(&c, &c.supervisor, &c.company, xlsx(&[good, bad], false)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["field"], field, "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains("row 3") && message.contains(says), "{v}");
    }
    // Nothing of the good row was written.
    let m = month(&c, "2026-03").await;
    assert!(on(&m, "2026-03-10", 0).is_empty(), "{m}");
    let (s, v) = import(&c, &c.supervisor, &c.company, b"not a workbook".to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "body");
    // A sheet without the 班次 column.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "日期").unwrap();
    ws.write_string(0, 1, "工号").unwrap();
    let (s, v) = import(&c, &c.supervisor, &c.company, wb.save_to_buffer().unwrap()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "row 1");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("班次"),
        "{v}"
    );
}

#[tokio::test]
async fn another_company_neither_reads_nor_sets_the_roster() {
    let c = Centre::new("power").await;
    let other = c.app.company("北城供电", "power").await;
    let (_, other_admin) = c
        .app
        .user("other_admin", &["admin"], None, Some(&other))
        .await;
    let (_, other_sup) = c
        .app
        .user("other_sup", &["supervisor"], None, Some(&other))
        .await;
    let agent = user_id(&c.app, "agent").await;
    let entry = json!([{"date": "2026-03-02", "shift": 0, "user_id": agent}]);
    let body = json!({"company_id": c.company, "entries": entry});
    for token in [&other_admin, &other_sup] {
        let (s, v) = put(&c, token, body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let path = format!("/api/v1/roster?company_id={}&month=2026-03", c.company);
        let (s, _) = c.app.get(&path, token).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let path = format!("/api/v1/shifts/current?company_id={}", c.company);
        let (s, _) = c.app.get(&path, token).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let sheet = xlsx(&[["2026-03-02", "全天", "agent"]], false);
        let (s, _) = import(&c, token, &c.company, sheet).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    // Nor does it roster this company's staff on its own days.
    let body = json!({"company_id": other, "entries": entry});
    let (s, v) = put(&c, &other_admin, body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "entries[0].user_id");
    let m = month(&c, "2026-03").await;
    assert!(on(&m, "2026-03-02", 0).is_empty());
}

/// The `order_left_pending` entries of March.
async fn left_pending(c: &Centre) -> Vec<Value> {
    let st = format!(
        "/api/v1/assessment/statement?company_id={}&month=2026-03&detail=true",
        c.company
    );
    let (s, v) = c.app.get(&st, &c.assessor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule_code"] == "order_left_pending")
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_order_left_pending_fires_once_at_the_shift_end_on_its_holder() {
    // Monday 09:00 Beijing: the shift runs to Tuesday 08:00 (001).
    let c = Centre::new("power").await;
    let left = c.order("consult", None).await;
    let _repair = c.order("repair", Some("outage")).await;
    let handled = c.order("consult", None).await;
    c.step(&c.agent, &handled, "close", json!({})).await;
    // Tuesday 07:30: a consultation 30 minutes before the end (less than the preset's 60).
    c.app.advance(22 * 3600 + 30 * 60).await;
    let late_call = c.order("query", None).await;
    c.app.advance(29 * 60).await;
    assert!(left_pending(&c).await.is_empty());

    // 08:01: the shift has ended with the first consultation untouched.
    c.app.advance(2 * 60).await;
    let fired = left_pending(&c).await;
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0]["yuan"], -20.0);
    assert_eq!(fired[0]["subject"], "agent");
    let number = |o: &Value| o["number"].as_str().unwrap().to_owned();
    let reason = fired[0]["reason"].as_str().unwrap();
    assert!(reason.contains(&number(&left)), "{fired:?}");
    let o = c.get(&left).await;
    assert!(
        o["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "left_pending"),
        "{o}"
    );
    let page = format!("/orders/{}", left["id"].as_str().unwrap());
    let (_, _, html) = c
        .app
        .raw("GET", &page, Some(&c.supervisor), None, "", &[])
        .await;
    assert!(String::from_utf8_lossy(&html).contains("在班未处理"));
    // Once, however often the sweep runs.
    c.app.advance(3600).await;
    assert_eq!(left_pending(&c).await.len(), 1);

    // Wednesday 08:01: the late query was the next shift's to handle, and it left it too.
    c.app.advance(23 * 3600).await;
    let fired = left_pending(&c).await;
    assert_eq!(fired.len(), 2, "{fired:?}");
    assert!(
        fired
            .iter()
            .any(|e| e["reason"].as_str().unwrap().contains(&number(&late_call))),
        "{fired:?}"
    );
}
