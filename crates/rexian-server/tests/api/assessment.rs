//! Reports by dimension with CSV and Excel exports, the supervision board, the assessment
//! ledger (rules from policy data, manual entries, reversals, statements) and month-end
//! closing (SPEC §5).

use axum::http::StatusCode;
use rexian_testkit::Centre;
use serde_json::{json, Value};

async fn company(utility: &str) -> Centre {
    Centre::new(utility).await
}

#[tokio::test]
async fn breakdown_by_unit_and_category_exports_csv_and_xlsx_that_read_back() {
    let c = company("gas").await;
    let a = c.order("repair", Some("leak")).await;
    c.step(&c.agent, &a, "dispatch", json!({"unit_id": c.team}))
        .await;
    c.order("consult", None).await;
    let q = format!(
        "/api/v1/reports/kpi/breakdown?company_id={}&from=2026-03-02&to=2026-03-02",
        c.company
    );
    let (s, v) = c.app.get(&format!("{q}&by=category"), &c.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|r| r["intake"] == 1));
    let (_, v) = c.app.get(&format!("{q}&by=unit"), &c.supervisor).await;
    let labels: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"城北维修站") && labels.contains(&"（未派单）"),
        "{labels:?}"
    );
    // CSV with Chinese headers.
    let (s, h, body) = c
        .app
        .raw(
            "GET",
            &format!("{q}&by=category&format=csv"),
            Some(&c.supervisor),
            None,
            "",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = String::from_utf8(body).unwrap();
    assert!(
        csv.starts_with("\u{feff}编码,业务类别,受理量,办结量,及时率"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3);
    // A real Excel workbook that reads back with the same figures.
    let (s, _, body) = c
        .app
        .raw(
            "GET",
            &format!("{q}&by=category&format=xlsx"),
            Some(&c.supervisor),
            None,
            "",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let dir = tempfile_dir();
    let f = dir.join("kpi.xlsx");
    std::fs::write(&f, &body).unwrap();
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&f).unwrap();
    let range = wb.worksheet_range("kpi-category").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][2], "受理量");
    let intake: f64 = rows[1..].iter().map(|r| r[2].parse::<f64>().unwrap()).sum();
    assert_eq!(intake, 2.0);
    assert_eq!(
        c.app
            .state
            .store
            .export_count(
                c.app
                    .state
                    .store
                    .user_by_login("supervisor")
                    .await
                    .unwrap()
                    .id
            )
            .await
            .unwrap(),
        2,
        "exports are logged"
    );
    let (s, v) = c.app.get(&format!("{q}&by=weather"), &c.supervisor).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "by");
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "rexian-xlsx-{}",
        rexian_server::auth::random_secret()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn supervision_board_lists_notices_and_takes_acknowledgements() {
    let c = company("gas").await;
    let a = c.order("repair", Some("leak")).await;
    c.step(&c.agent, &a, "dispatch", json!({"unit_id": c.team}))
        .await;
    c.app.advance(5 * 3600).await; // contact 2 h: level 1 at 2 h, 2 at 4 h
    let (s, v) = c
        .app
        .get("/api/v1/supervision?open=true", &c.supervisor)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["items"].as_array().unwrap();
    // Levels 1 and 2 reached: the board shows the order once, at level 2 (`000:八.5(5)`).
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["level"], 2, "{v}");
    let id = items[0]["id"].as_str().unwrap();
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/supervision/{id}/ack"),
            &c.handler,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/supervision/{id}/ack"),
            &c.handler,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, v) = c
        .app
        .get("/api/v1/supervision?open=true", &c.supervisor)
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), items.len() - 1);
    let (_, o) = c
        .app
        .get(
            &format!("/api/v1/orders/{}", a["id"].as_str().unwrap()),
            &c.supervisor,
        )
        .await;
    assert!(o["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "supervision_acknowledged"));
}

#[tokio::test]
async fn power_deduction_for_a_missed_callback_manual_entries_reversal_statement_001() {
    let c = company("power").await;
    let a = c.order("complaint", None).await;
    c.step(&c.agent, &a, "dispatch", json!({"unit_id": c.team}))
        .await;
    c.step(&c.handler, &a, "accept", json!({})).await;
    c.step(&c.handler, &a, "reply", json!({"result": "已恢复供电"}))
        .await;
    c.step(&c.agent, &a, "review", json!({"approved": true}))
        .await;
    // The callback limit passes: the policy's 20 元 deduction (001 考核7) lands once.
    c.app.advance(5 * 86400).await;
    c.app.advance(0).await;
    let st = format!(
        "/api/v1/assessment/statement?company_id={}&month=2026-03&detail=true",
        c.company
    );
    let (s, v) = c.app.get(&st, &c.assessor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let auto: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule_code"] == "archived_without_callback")
        .collect();
    assert_eq!(auto.len(), 1, "{v}");
    assert_eq!(auto[0]["yuan"], -20.0);
    // A manual entry and its reversal.
    let unit = c.team.clone();
    let (s, e) = c.app.post("/api/v1/assessment/entries", &c.assessor, json!({"company_id": c.company, "month": "2026-03",
        "subject_kind": "unit", "subject_id": unit, "yuan": -100, "rule_code": "attitude_complaint", "reason": "抢修人员态度恶劣被投诉"})).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let eid = e["id"].as_str().unwrap();
    let (s, v) = c
        .app
        .post(
            &format!("/api/v1/assessment/entries/{eid}/reverse"),
            &c.assessor,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "reason");
    let (s, r) = c
        .app
        .post(
            &format!("/api/v1/assessment/entries/{eid}/reverse"),
            &c.assessor,
            json!({"reason": "复核后投诉不属实"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, _) = c
        .app
        .post(
            &format!("/api/v1/assessment/entries/{eid}/reverse"),
            &c.assessor,
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "reversed once");
    let (s, v) = c
        .app
        .post(
            "/api/v1/assessment/entries",
            &c.assessor,
            json!({"company_id": c.company, "month": "2026-3",
        "subject_kind": "unit", "subject_id": unit, "yuan": -1, "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "month");
    let (_, v) = c
        .app
        .get(
            &format!(
                "/api/v1/assessment/statement?company_id={}&month=2026-03",
                c.company
            ),
            &c.assessor,
        )
        .await;
    let team = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject_id"] == unit.as_str())
        .unwrap()
        .clone();
    assert_eq!(team["yuan"], 0.0, "entry and reversal cancel out");
    assert_eq!(team["entries"], 2);
    let (s, h, _) = c
        .app
        .raw(
            "GET",
            &format!(
                "/api/v1/assessment/statement?company_id={}&month=2026-03&format=xlsx",
                c.company
            ),
            Some(&c.assessor),
            None,
            "",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .contains("assessment-2026-03.xlsx"));
}

#[tokio::test]
async fn month_end_closing_lists_open_orders_and_assesses_them_000_s2_5_4() {
    let c = company("heat").await;
    let a = c.order("repair", Some("leak")).await;
    c.step(&c.agent, &a, "dispatch", json!({"unit_id": c.team}))
        .await;
    let b = c.order("query", None).await;
    c.step(&c.agent, &b, "close", json!({})).await;
    let body = json!({"company_id": c.company, "month": "2026-03"});
    let (s, v) = c
        .app
        .post("/api/v1/reports/month_end", &c.supervisor, body.clone())
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the month has not ended: {v}");
    c.app.advance(31 * 86400).await;
    let (s, v) = c
        .app
        .post("/api/v1/reports/month_end", &c.supervisor, body.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let open = v["open_orders"].as_array().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], a["id"]);
    assert_eq!(v["assessment_entries"], 1);
    let (s, _) = c
        .app
        .post("/api/v1/reports/month_end", &c.supervisor, body)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a month closes once");
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
    let codes: Vec<&str> = st["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule_code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"month_end_open"), "{codes:?}");
    assert!(
        codes.contains(&"limit_missed"),
        "the 24 h result limit was missed too: {codes:?}"
    );
}
