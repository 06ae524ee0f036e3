//! Snapshots of the contract's answers (issue 16): an order through intake, dispatch and its
//! page, the order list, the KPIs and the supervision board, on a fresh database at a fixed
//! manual time, so that any change to a field of api-v1's answers shows up in review as a diff
//! of `tests/api/snapshots/`. Ids and times are the same on SQLite and PostgreSQL.

use rexian_testkit::Centre;
use serde_json::json;

#[tokio::test]
async fn the_answers_of_an_order_s_first_hours() {
    let c = Centre::new("gas").await;
    let o = c.order("repair", Some("leak")).await;
    insta::assert_json_snapshot!("intake", o);
    let o = c
        .step(&c.agent, &o, "dispatch", json!({"unit_id": c.team}))
        .await;
    insta::assert_json_snapshot!("dispatched", o);
    // Three hours on: the 2 h contact limit is missed and supervised.
    c.app.advance(3 * 3600).await;
    insta::assert_json_snapshot!("order_after_3h", c.get(&o).await);
    let (_, list) = c.app.get("/api/v1/orders", &c.supervisor).await;
    insta::assert_json_snapshot!("order_list", list);
    let path = format!(
        "/api/v1/reports/kpi?company_id={}&from=2026-03-02&to=2026-03-02",
        c.company
    );
    let (_, kpi) = c.app.get(&path, &c.supervisor).await;
    insta::assert_json_snapshot!("kpi", kpi);
    let (_, board) = c.app.get("/api/v1/supervision", &c.supervisor).await;
    insta::assert_json_snapshot!("supervision_board", board);
}
