//! Knowledge base (issue 8): articles, versions, the review workflow with a reviewer other
//! than the author, events, roles, search and intake suggestions, checklists.

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::json;

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn articles_are_reviewed_versioned_and_found() {
    let app = TestApp::new().await;
    let c = app.company("北辰供电", "power").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let st = app.unit(&c, None, "城东供电所", "office").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let (_, handler) = app.user("h1", &["unit_handler"], Some(&st), None).await;
    let (sup_a_id, sup_a) = app
        .user("sup_a", &["supervisor"], Some(&centre), None)
        .await;
    let (sup_b_id, sup_b) = app
        .user("sup_b", &["supervisor"], Some(&centre), None)
        .await;

    // Only writers create; bad input names its field.
    let body = json!({"category": "faq", "title": "停电时如何答复用户",
        "body": "先查询停电公告，告知用户停电原因和预计恢复送电时间。", "tags": "停电,抢修"});
    let (s, _) = app.post("/api/v1/kb/articles", &agent, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (bad, field) in [
        (
            json!({"category": "x", "title": "t", "body": "b"}),
            "category",
        ),
        (
            json!({"category": "faq", "title": " ", "body": "b"}),
            "title",
        ),
        (json!({"category": "faq", "title": "t", "body": ""}), "body"),
    ] {
        let (s, v) = app.post("/api/v1/kb/articles", &sup_a, bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["field"], field);
    }
    let (s, a) = app.post("/api/v1/kb/articles", &sup_a, body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["state"], "draft");
    assert_eq!(a["tags"], json!(["停电", "抢修"]));
    let id = a["id"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/kb/articles/{id}");

    // A draft is not for agents, nor found.
    assert_eq!(app.get(&url, &agent).await.0, StatusCode::NOT_FOUND);
    let find = |tok: String, q: &'static str| {
        let app = &app;
        async move {
            let (s, v) = app
                .get(&format!("/api/v1/search?kind=article&q={}", enc(q)), &tok)
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["items"].as_array().unwrap().clone()
        }
    };
    assert!(find(agent.clone(), "停电").await.is_empty());

    // Review: the author cannot approve; another supervisor can.
    let (s, v) = app.post(&format!("{url}/approve"), &sup_a, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "cannot approve a draft: {v}");
    assert_eq!(v["error"]["code"], "invalid_transition");
    let (s, _) = app.post(&format!("{url}/submit"), &sup_a, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app.post(&format!("{url}/approve"), &sup_a, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["field"], "reviewer");
    let (s, _) = app.post(&format!("{url}/approve"), &agent, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app.post(&format!("{url}/approve"), &sup_b, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "published");
    assert_eq!(v["reviewer_id"], sup_b_id.as_str());

    // Agents and units read it; search and intake suggestions find it, synonyms too.
    let (s, v) = app.get(&url, &agent).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v.get("events").is_none(),
        "readers see the text, not the history"
    );
    assert_eq!(app.get(&url, &handler).await.0, StatusCode::OK);
    assert_eq!(find(agent.clone(), "停电").await[0]["id"], id.as_str());
    assert_eq!(find(agent.clone(), "没电").await[0]["id"], id.as_str());
    let (s, v) = app
        .get(
            &format!(
                "/api/v1/kb/suggest?q={}",
                enc("用户说家里没电了，邻居也没电")
            ),
            &agent,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"][0]["id"], id.as_str());
    let (s, v) = app.get("/api/v1/kb/suggest?q=", &agent).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "q");

    // A new version is a new row; agents keep reading the published one until it is approved.
    let (s, v) = app
        .put(
            &url,
            &sup_b,
            json!({"category": "faq", "title": "停电时如何答复用户（修订）",
            "body": "先查询停电公告；没有公告的，受理故障报修。", "tags": ["停电"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    assert_eq!(v["state"], "draft");
    assert_eq!(app.get(&url, &agent).await.1["version"], 1);
    app.post(&format!("{url}/submit"), &sup_b, json!({})).await;
    let (s, v) = app.post(&format!("{url}/reject"), &sup_a, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a reason is required: {v}");
    assert_eq!(v["error"]["field"], "reason");
    let (s, _) = app.post(&format!("{url}/approve"), &sup_a, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app.get(&url, &agent).await;
    assert_eq!(v["version"], 2);
    assert_eq!(v["title"], "停电时如何答复用户（修订）");
    let (_, v) = app.get(&url, &sup_a).await;
    let states: Vec<_> = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(states, ["retired", "published"]);
    let kinds: Vec<_> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "submitted",
            "published",
            "edited",
            "submitted",
            "superseded",
            "published"
        ]
    );
    assert_eq!(v["events"][0]["actor_id"], sup_a_id.as_str());

    // Retired: nobody reads or finds it any more, and its versions stay on record.
    let (s, _) = app
        .post(
            &format!("{url}/retire"),
            &sup_a,
            json!({"reason": "政策调整"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.get(&url, &agent).await.0, StatusCode::NOT_FOUND);
    assert!(find(agent.clone(), "停电").await.is_empty());
    let (_, v) = app.get(&format!("{url}/versions/1"), &sup_a).await;
    assert_eq!(v["title"], "停电时如何答复用户");
    let (_, v) = app.get(&url, &sup_a).await;
    assert_eq!(
        v["events"].as_array().unwrap().last().unwrap()["comment"],
        "政策调整"
    );

    // Another company's staff never see it.
    let c2 = app.company("南郊热力", "heat").await;
    let u2 = app.unit(&c2, None, "中心", "centre").await;
    let (_, other) = app.user("agent2", &["agent"], Some(&u2), None).await;
    assert_eq!(app.get(&url, &other).await.0, StatusCode::NOT_FOUND);

    // The one-time-notification checklists of the company's policy are listed.
    let (s, v) = app.get("/api/v1/kb/checklists", &agent).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["items"].is_array());
    let (s, v) = app.get("/api/v1/kb/checklists", &app.admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "company_id");
}

#[tokio::test]
async fn knowledge_screens_render() {
    let app = TestApp::new().await;
    let c = app.company("北辰燃气", "gas").await;
    let centre = app.unit(&c, None, "客服中心", "centre").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let (_, sup) = app.user("sup", &["supervisor"], Some(&centre), None).await;
    let (_, a) = app
        .post(
            "/api/v1/kb/articles",
            &sup,
            json!({"category": "faq", "title": "闻到燃气味怎么办", "body": "立即关闭燃气总阀，开窗通风。"}),
        )
        .await;
    let id = a["id"].as_str().unwrap();
    for path in [
        "/kb".to_owned(),
        format!("/kb/{id}"),
        "/kb/new".to_owned(),
        "/kb/checklists".to_owned(),
        format!("/search?q={}", enc("燃气")),
        format!("/search/results?q={}", enc("燃气")),
        format!("/intake/suggest?description={}", enc("家里有煤气味")),
    ] {
        let (s, _, body) = app.raw("GET", &path, Some(&sup), None, "", &[]).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let html = String::from_utf8(body).unwrap();
        assert!(!html.contains("kb."), "{path} shows a raw key");
    }
    let (s, _, _) = app.raw("GET", "/kb/new", Some(&agent), None, "", &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
