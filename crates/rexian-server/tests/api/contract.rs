//! The server answers as its OpenAPI document says (issue 14, finding 10); schemathesis drives
//! the whole document in `scripts/schemathesis.sh`, these are the cases it found.

use axum::http::StatusCode;
use rexian_testkit::TestApp;
use serde_json::Value;

/// axum's own rejections (a path segment that is not UTF-8, a method the route lacks) come back
/// in the API's JSON envelope, not as plain text.
#[tokio::test]
async fn every_api_error_is_the_json_envelope() {
    let app = TestApp::new().await;
    for (method, path) in [
        ("GET", "/api/v1/orders/%FF"),
        ("GET", "/api/v1/companies/%C3%28"),
        ("GET", "/api/v1/no-such-route"),
    ] {
        let (s, h, body) = app.raw(method, path, Some(&app.admin), None, "", &[]).await;
        assert!(s.is_client_error(), "{method} {path} -> {s}");
        assert_eq!(
            h.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{method} {path}"
        );
        let v: Value = serde_json::from_slice(&body).expect("JSON");
        assert!(v["error"]["code"].is_string(), "{method} {path}: {v}");
    }
}

/// A body is an object: serde would take a struct from an array (`[null]` was a valid
/// `reason`-less step).
#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    let app = TestApp::new().await;
    for body in ["[null]", "[]", "null", "1", "\"x\""] {
        let (s, _, bytes) = app
            .raw(
                "POST",
                "/api/v1/units",
                Some(&app.admin),
                Some(body.to_owned()),
                "application/json",
                &[],
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["error"]["field"], "body", "{body}: {v}");
    }
}

/// The document says what the checks need: ids are digits, optional fields may be null,
/// health checks are plain text.
#[tokio::test]
async fn the_document_is_precise_where_the_server_is() {
    let app = TestApp::new().await;
    let (_, d) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(d["openapi"], "3.1.0");
    let health = &d["paths"]["/healthz"]["get"]["responses"]["200"]["content"];
    assert!(health["text/plain"].is_object(), "{health}");
    let body = resolve(
        &d,
        &d["paths"]["/api/v1/companies"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"],
    );
    let prefix = &body["properties"]["number_prefix"]["type"];
    assert_eq!(prefix, &serde_json::json!(["string", "null"]));
    assert_eq!(body["additionalProperties"], false, "{body}");
    let mut ids = 0;
    for (path, ops) in d["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" && p["name"].as_str().is_some_and(|n| n == "id" || n == "eid")
                {
                    assert_eq!(p["schema"]["pattern"], "^[0-9]+$", "{method} {path}");
                    ids += 1;
                }
            }
        }
    }
    assert!(ids > 30, "{ids} id parameters");
}

/// The schema `s` points at (a `$ref` into `components.schemas`), or `s`.
fn resolve<'a>(d: &'a Value, s: &'a Value) -> &'a Value {
    match s["$ref"].as_str() {
        Some(r) => &d["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => s,
    }
}

/// Every route of the API is in the OpenAPI document with its method (issue 16): the access
/// table lists every routed path (a test checks that), so a path missing here is a route the
/// document forgot (add its entry to `api::operations`). The generic step and decision routes
/// are documented one by one.
#[tokio::test]
async fn every_api_route_is_in_the_document() {
    let app = TestApp::new().await;
    let (_, d) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    let mut missing = Vec::new();
    for (method, path, _) in rexian_server::access::RULES {
        if !path.starts_with("/api/v1/")
            || *path == "/api/v1/openapi.json"
            || *path == "/api/v1/orders/{id}/{step}"
            || *path == "/api/v1/orders/{id}/extensions/{eid}/{decision}"
        {
            continue;
        }
        if d["paths"][*path][method.to_lowercase()].is_null() {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:#?}"
    );
    for step in ["dispatch", "accept", "arrive", "reply", "close", "assign"] {
        let p = format!("/api/v1/orders/{{id}}/{step}");
        assert!(d["paths"][&p]["post"].is_object(), "{p}");
    }
    for decision in ["approve", "reject"] {
        let p = format!("/api/v1/orders/{{id}}/extensions/{{eid}}/{decision}");
        assert!(d["paths"][&p]["post"].is_object(), "{p}");
    }
}

/// A new customer's answer is its own id: the handler looked the new row up by a search, which
/// found an older customer whose account number starts with the new one first.
#[tokio::test]
async fn a_new_customer_is_answered_with_its_own_id() {
    let app = TestApp::new().await;
    let company = app.company("北辰热力", "heat").await;
    let centre = app.unit(&company, None, "客服中心", "centre").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let mut ids = Vec::new();
    for (account, name) in [("G-10012", "王伟"), ("G-1001", "李娜")] {
        let (s, v) = app
            .post(
                "/api/v1/customers",
                &agent,
                serde_json::json!({"company_id": company, "account_no": account, "name": name}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_str().expect("an id").to_owned());
    }
    assert_ne!(ids[0], ids[1]);
    let (s, v) = app
        .get(&format!("/api/v1/customers/{}", ids[1]), &agent)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "李娜", "{v}");
}

/// Calls that create answer 201 and the document says so (an extension request and a survey
/// were documented 200, which no client gets).
#[tokio::test]
async fn the_document_answers_201_where_the_server_creates() {
    let app = TestApp::new().await;
    let (_, d) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    for path in [
        "/api/v1/orders/{id}/extensions",
        "/api/v1/surveys",
        "/api/v1/customers",
        "/api/v1/outreach",
        "/api/v1/orders/{id}/photos",
        "/api/v1/reports/month_end",
        "/api/v1/assessment/entries",
        "/api/v1/assessment/entries/{id}/reverse",
    ] {
        let r = &d["paths"][path]["post"]["responses"];
        assert!(r["201"].is_object() && r["200"].is_null(), "{path}: {r}");
    }
}

/// The document is generated from the handlers' types: every operation it lists is a route
/// of the access table, every `$ref` names a schema it holds, and the answers are typed (an
/// order's detail names its fields, ids as digit strings).
#[tokio::test]
async fn the_generated_document_holds_together() {
    let app = TestApp::new().await;
    let (s, d) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d, *rexian_server::api::doc::document());
    let routes: Vec<(&str, Vec<&str>)> = rexian_server::access::RULES
        .iter()
        .map(|(m, p, _)| (*m, p.split('/').collect()))
        .collect();
    let mut strays = Vec::new();
    for (path, ops) in d["paths"].as_object().unwrap() {
        let segs: Vec<&str> = path.split('/').collect();
        for method in ops.as_object().unwrap().keys() {
            let routed = routes.iter().any(|(m, p)| {
                m.eq_ignore_ascii_case(method)
                    && p.len() == segs.len()
                    && p.iter()
                        .zip(&segs)
                        .all(|(a, b)| a == b || a.starts_with('{'))
            });
            if !routed {
                strays.push(format!("{method} {path}"));
            }
        }
    }
    assert!(strays.is_empty(), "documented but not routed: {strays:#?}");
    let text = d.to_string();
    let schemas = d["components"]["schemas"].as_object().unwrap();
    for r in text.split("\"$ref\":\"").skip(1) {
        let target = &r[..r.find('"').unwrap()];
        if let Some(name) = target.strip_prefix("#/components/schemas/") {
            assert!(schemas.contains_key(name), "dangling {target}");
        }
    }
    assert!(schemas.len() > 100, "{} schemas", schemas.len());
    let order = resolve(
        &d,
        &d["paths"]["/api/v1/orders/{id}"]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"],
    );
    assert_eq!(order["properties"]["id"]["pattern"], "^[0-9]+$", "{order}");
    assert!(order["required"]
        .as_array()
        .is_some_and(|r| r.iter().any(|f| f == "status")));
}
