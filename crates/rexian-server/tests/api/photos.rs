//! Photos from the field (api-v1 "Photos"): multipart upload with size and type checks, an
//! event per photo, served back only to users who may see the order.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use rexian_testkit::TestApp;
use serde_json::{json, Value};
use tower::ServiceExt;

const BOUNDARY: &str = "rexianphotoboundary";

fn multipart(files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (field, name, bytes) in files {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Vec<u8>>,
) -> (StatusCode, Option<String>, Vec<u8>) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if body.is_some() {
        req = req.header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
    }
    let req = req
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let ctype = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, ctype, bytes)
}

fn json_of(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap_or(Value::Null)
}

const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 0xFF, 0xD9,
];
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRfake";

#[tokio::test]
async fn photos_are_checked_stored_with_an_event_and_scoped() {
    let app = TestApp::new().await;
    let company = app.company("西山燃气", "gas").await;
    let centre = app.unit(&company, None, "客服中心", "centre").await;
    let team = app.unit(&company, None, "城北维修站", "repair_team").await;
    let other = app.unit(&company, None, "城南维修站", "repair_team").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let (_, handler) = app
        .user("handler", &["unit_handler"], Some(&team), None)
        .await;
    let (_, stranger) = app
        .user("stranger", &["unit_handler"], Some(&other), None)
        .await;
    let (_, callback) = app
        .user("callback", &["callback_agent"], Some(&centre), None)
        .await;
    let body = json!({"company_id": company, "category": "repair", "subtype": "leak", "channel": "phone",
        "description": "阀门漏气", "customer": {"name": "李女士", "phone": "13812345678", "address": "城北路12号"}});
    let (s, o) = app.post("/api/v1/orders", &agent, body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_str().unwrap().to_owned();
    let (s, o) = app
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            &agent,
            json!({"unit_id": team}),
        )
        .await;
    assert!(s.is_success(), "{o}");
    let url = format!("/api/v1/orders/{id}/photos");

    // Two photos at once: 201, two rows, two events.
    let (s, _, b) = send(
        &app,
        Method::POST,
        &url,
        &handler,
        Some(multipart(&[
            ("photo", "a.jpg", JPEG),
            ("photo", "b.png", PNG),
        ])),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let v = json_of(&b);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["content_type"], "image/jpeg");
    assert_eq!(items[1]["content_type"], "image/png");
    assert_eq!(items[0]["size"], JPEG.len());
    let (_, o) = app.get(&format!("/api/v1/orders/{id}"), &handler).await;
    let added = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "photo_added")
        .count();
    assert_eq!(added, 2, "{o}");

    // The bytes come back as stored, with their type, to those who may see the order.
    let photo = items[0]["url"].as_str().unwrap().to_owned();
    let (s, ctype, bytes) = send(&app, Method::GET, &photo, &agent, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ctype.as_deref(), Some("image/jpeg"));
    assert_eq!(bytes, JPEG);
    let (s, _, _) = send(&app, Method::GET, &photo, &stranger, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another unit's handler");
    let (s, v) = app.get(&url, &handler).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["items"].as_array().unwrap().len(), 2);

    // Type by magic bytes, not by name: a GIF named .jpg is refused, naming the field.
    let (s, _, b) = send(
        &app,
        Method::POST,
        &url,
        &handler,
        Some(multipart(&[("photo", "x.jpg", b"GIF89a....")])),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&b)["error"]["field"], "photo");
    // Too large.
    let mut big = JPEG.to_vec();
    big.resize(8 * 1024 * 1024 + 1, 0);
    let (s, _, b) = send(
        &app,
        Method::POST,
        &url,
        &handler,
        Some(multipart(&[("photo", "big.jpg", &big)])),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&b)["error"]["field"], "photo");
    // Nothing sent; not multipart at all.
    let (s, _, b) = send(&app, Method::POST, &url, &handler, Some(multipart(&[]))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&b)["error"]["field"], "photo");
    let (s, v) = app.post(&url, &handler, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "photo");
    // A callback agent may look but not add; a stranger does not see the order at all.
    let one = Some(multipart(&[("photo", "a.jpg", JPEG)]));
    let (s, _, _) = send(&app, Method::POST, &url, &callback, one.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = send(&app, Method::POST, &url, &stranger, one).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A photo id of another order is not found under this one.
    let (s, _, _) = send(
        &app,
        Method::GET,
        &format!("/api/v1/orders/{id}/photos/999999"),
        &agent,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
