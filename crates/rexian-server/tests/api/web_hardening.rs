//! Issue 14, findings 3 (panics answer 500) and 9: `/lang` stays on the site, the live stream
//! sends only visible orders, no caching and no referrer leaks, CSRF never in the URL and on the
//! login form too, `HEAD`, request ids, and refusals that keep the connection usable.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;
use rexian_testkit::{TestApp, PASSWORD};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

async fn send(router: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let res = router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, headers, body)
}

fn csrf_of(html: &[u8]) -> String {
    String::from_utf8_lossy(html)
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// Signs `login` in through the login page; returns the session cookie and its CSRF secret.
async fn web_session(app: &TestApp, login: &str) -> (String, String) {
    let (_, h, body) = send(
        &app.router,
        Request::get("/login").body(Body::empty()).unwrap(),
    )
    .await;
    let login_cookie = h[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let form = format!("_csrf={}&login={login}&password={PASSWORD}", csrf_of(&body));
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, login_cookie)
        .body(Body::from(form))
        .unwrap();
    let (s, h, _) = send(&app.router, req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let session = h
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("rexian_session="))
        .unwrap();
    let session = session.split(';').next().unwrap().to_owned();
    let req = Request::get("/")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .unwrap();
    let (s, _, body) = send(&app.router, req).await;
    assert_eq!(s, StatusCode::OK);
    (session, csrf_of(&body))
}

#[tokio::test]
async fn lang_switch_redirects_only_within_the_site() {
    let app = TestApp::new().await;
    let switch = |referer: &str| {
        Request::post("/lang")
            .header(header::HOST, "rexian.example")
            .header(header::REFERER, referer)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("lang=en"))
            .unwrap()
    };
    for (referer, to) in [
        (
            "http://rexian.example/orders?status=new",
            "/orders?status=new",
        ),
        ("https://rexian.example/queues", "/queues"),
        // Protocol-relative paths would leave the site.
        ("http://rexian.example//evil.example/login", "/"),
        ("http://rexian.example/\\evil.example/", "/"),
        ("https://evil.example/orders", "/"),
        ("javascript:alert(1)", "/"),
    ] {
        let (s, h, _) = send(&app.router, switch(referer)).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{referer}");
        assert_eq!(h[header::LOCATION], to, "{referer}");
    }
}

async fn next_event(
    body: &mut (impl futures_util::Stream<Item = Result<bytes::Bytes, axum::Error>> + Unpin),
) -> Option<String> {
    match tokio::time::timeout(Duration::from_secs(3), body.next()).await {
        Ok(Some(Ok(b))) => Some(String::from_utf8_lossy(&b).into_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn live_stream_sends_unit_staff_only_their_orders() {
    let app = TestApp::new().await;
    let company = app.company("西山燃气", "gas").await;
    let centre = app.unit(&company, None, "客服中心", "centre").await;
    let team = app.unit(&company, None, "城北维修站", "repair_team").await;
    let other = app.unit(&company, None, "城南维修站", "repair_team").await;
    let (_, agent) = app.user("agent", &["agent"], Some(&centre), None).await;
    let (_, handler) = app
        .user("handler", &["unit_handler"], Some(&team), None)
        .await;
    let req = Request::get("/queues/stream")
        .header(header::AUTHORIZATION, format!("Bearer {handler}"))
        .header(header::ACCEPT, "text/event-stream")
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body().into_data_stream();
    assert!(next_event(&mut body).await.unwrap().contains("live"));
    let order = |unit: String| {
        let agent = agent.clone();
        let company = company.clone();
        let app = &app;
        async move {
            let body = json!({"company_id": company, "category": "repair", "subtype": "leak",
                "channel": "phone", "description": "阀门漏气",
                "customer": {"name": "李女士", "phone": "13812345678", "address": "城北路12号"}});
            let (s, o) = app.post("/api/v1/orders", &agent, body).await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            let id = o["id"].as_str().unwrap().to_owned();
            let (s, o) = app
                .post(
                    &format!("/api/v1/orders/{id}/dispatch"),
                    &agent,
                    json!({"unit_id": unit}),
                )
                .await;
            assert!(s.is_success(), "{o}");
            id
        }
    };
    let elsewhere = order(other).await;
    let mine = order(team).await;
    let mut seen = String::new();
    while let Some(e) = next_event(&mut body).await {
        seen.push_str(&e);
        if seen.contains(&format!("data: {mine}\n")) {
            break;
        }
    }
    assert!(seen.contains(&format!("data: {mine}\n")), "{seen}");
    assert!(
        !seen.contains(&format!("data: {elsewhere}\n")),
        "another unit's order: {seen}"
    );
}

#[tokio::test]
async fn answers_are_not_cached_and_send_no_referrer_off_site() {
    let app = TestApp::new().await;
    for path in ["/api/v1/me", "/login", "/healthz"] {
        let req = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.admin))
            .body(Body::empty())
            .unwrap();
        let (s, h, _) = send(&app.router, req).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert_eq!(h[header::CACHE_CONTROL], "no-store", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin", "{path}");
    }
    let (_, h, _) = send(
        &app.router,
        Request::get("/assets/app.css").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(h[header::CACHE_CONTROL], "public, max-age=3600");
}

#[tokio::test]
async fn csrf_secret_is_refused_in_the_url() {
    let app = TestApp::new().await;
    let (session, csrf) = web_session(&app, "admin").await;
    let logout = |uri: String, form: String| {
        Request::post(uri)
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap()
    };
    let (s, _, _) = send(
        &app.router,
        logout(format!("/logout?_csrf={csrf}"), String::new()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = send(
        &app.router,
        logout(format!("/logout?_csrf={csrf}"), "x=1".into()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, h, _) = send(
        &app.router,
        logout("/logout".into(), format!("_csrf={csrf}")),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/login");
}

const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 0xFF, 0xD9,
];

#[tokio::test]
async fn photo_form_carries_its_csrf_secret_in_the_body() {
    let app = TestApp::new().await;
    let company = app.company("西山燃气", "gas").await;
    let body = json!({"company_id": company, "category": "repair", "subtype": "leak",
        "channel": "phone", "description": "阀门漏气",
        "customer": {"name": "李女士", "phone": "13812345678", "address": "城北路12号"}});
    let (s, o) = app.post("/api/v1/orders", &app.admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_str().unwrap().to_owned();
    let (session, csrf) = web_session(&app, "admin").await;
    // The order page's photo form: the secret is a field of the form, not in the URL.
    let req = Request::get(format!("/orders/{id}"))
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .unwrap();
    let (_, _, page) = send(&app.router, req).await;
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains("id=\"form-photo\"") && !page.contains("_csrf="),
        "photo form"
    );
    let b = "rexianboundary";
    let multipart = |with_csrf: bool| {
        let mut m = Vec::new();
        if with_csrf {
            m.extend_from_slice(
                format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n"
                )
                .as_bytes(),
            );
        }
        m.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
        );
        m.extend_from_slice(JPEG);
        m.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
        m
    };
    let upload = |uri: String, body: Vec<u8>| {
        Request::post(uri)
            .header(header::COOKIE, &session)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={b}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    let url = format!("/orders/{id}/photos");
    let (s, _, _) = send(
        &app.router,
        upload(format!("{url}?_csrf={csrf}"), multipart(false)),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = send(&app.router, upload(url.clone(), multipart(false))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = send(&app.router, upload(url, multipart(true))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, o) = app
        .get(&format!("/api/v1/orders/{id}/photos"), &app.admin)
        .await;
    assert_eq!(o["items"].as_array().map(Vec::len), Some(1), "{o}");
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_secret() {
    let app = TestApp::new().await;
    let form = format!("login=admin&password={PASSWORD}");
    let post = |cookie: Option<&str>, form: String| {
        let mut r = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        r.body(Body::from(form)).unwrap()
    };
    // Another site posting the form: no cookie, no secret.
    let (s, h, _) = send(&app.router, post(None, form.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(!h
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("rexian_session=")));
    // A secret that is not the cookie's.
    let cookie = format!("rexian_login_csrf={}", "a".repeat(64));
    let (s, _, _) = send(
        &app.router,
        post(Some(&cookie), format!("_csrf={}&{form}", "b".repeat(64))),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = send(
        &app.router,
        post(Some(&cookie), format!("_csrf={}&{form}", "a".repeat(64))),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn head_follows_the_get_rule() {
    let app = TestApp::new().await;
    let (s, _, _) = send(
        &app.router,
        Request::head("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = send(
        &app.router,
        Request::head("/api/v1/me").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_well_formed_client_request_ids_are_kept() {
    let app = TestApp::new().await;
    let id_for = |sent: String| {
        let router = app.router.clone();
        async move {
            let req = Request::get("/healthz")
                .header("x-request-id", &sent)
                .body(Body::empty())
                .unwrap();
            let (_, h, _) = send(&router, req).await;
            h["x-request-id"].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(id_for("abc-123.X_y".into()).await, "abc-123.X_y");
    for bad in [
        "two words".to_owned(),
        "a".repeat(65),
        "x;y".to_owned(),
        "<script>".to_owned(),
    ] {
        let got = id_for(bad.clone()).await;
        assert_ne!(got, bad);
        assert_eq!(got.len(), 36, "a generated UUID: {got}");
    }
}

/// Reads one HTTP/1.1 response (with a Content-Length) from `conn`: status line, head, body.
async fn read_response(conn: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(10), conn.read(&mut byte)).await {
            Ok(Ok(1)) => buf.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).await.ok()?;
    Some((head, String::from_utf8_lossy(&body).into_owned()))
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    addr
}

#[tokio::test]
async fn a_refusal_before_the_body_is_read_keeps_the_connection() {
    let app = TestApp::new().await;
    let (_, agent) = app.user("agent", &["agent"], None, None).await;
    let addr = serve(app.router.clone()).await;
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = json!({"name": "某公司", "utility": "gas"}).to_string();
    for token in ["", agent.as_str()] {
        // The head first, the body a moment later (as many clients send them).
        let auth = if token.is_empty() {
            String::new()
        } else {
            format!("Authorization: Bearer {token}\r\n")
        };
        let head = format!(
            "POST /api/v1/companies HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        conn.write_all(body.as_bytes()).await.unwrap();
        let (head, _) = read_response(&mut conn).await.expect("a response");
        let want = if token.is_empty() { "401" } else { "403" };
        assert!(head.starts_with(&format!("http/1.1 {want}")), "{head}");
        assert!(!head.contains("connection: close"), "{head}");
    }
    // The same connection still answers.
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (head, body) = read_response(&mut conn)
        .await
        .expect("the connection was closed");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(body, "ok");
}

fn panicking_router() -> Router {
    let boom = || async {
        if std::hint::black_box(true) {
            panic!("boom from a test route");
        }
        "unreachable"
    };
    rexian_server::layers(
        Router::new()
            .route("/api/v1/boom", get(boom))
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "ok" })),
    )
}

#[tokio::test]
async fn a_panic_answers_500_with_the_request_id() {
    let r = panicking_router();
    let (s, h, b) = send(
        &r,
        Request::get("/api/v1/boom")
            .header("x-request-id", "trace-42")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(h["x-request-id"], "trace-42");
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["error"]["code"], "internal");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("trace-42"),
        "{v}"
    );
    // A page gets a short page, with the generated id.
    let (s, h, b) = send(&r, Request::get("/boom").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(h[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let id = h["x-request-id"].to_str().unwrap();
    assert!(String::from_utf8(b).unwrap().contains(id));

    // Over a connection: the panic is answered and the connection serves the next request.
    let addr = serve(r).await;
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /api/v1/boom HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (head, _) = read_response(&mut conn)
        .await
        .expect("an answer to the panic");
    assert!(head.starts_with("http/1.1 500"), "{head}");
    conn.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (head, body) = read_response(&mut conn)
        .await
        .expect("the connection was closed");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(body, "ok");
}
