//! Issue 14, finding 8: login answers the same for unknown, disabled and wrong, and throttles by
//! client address (and account) and overall, so that nobody can lock another user out.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use rexian_server::{AppState, Settings};
use rexian_testkit::{TestApp, PASSWORD};
use serde_json::{json, Value};
use tower::ServiceExt;

/// Sends a request as if from `addr` (the connection's address).
async fn send(
    router: &Router,
    addr: &str,
    mut req: Request<Body>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let addr: SocketAddr = format!("{addr}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, headers, body)
}

async fn api_login(
    router: &Router,
    addr: &str,
    login: &str,
    password: &str,
) -> (StatusCode, HeaderMap, Value) {
    let req = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"login": login, "password": password}).to_string(),
        ))
        .unwrap();
    let (s, h, b) = send(router, addr, req).await;
    (s, h, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// The login form's CSRF cookie and token.
async fn login_form(router: &Router, addr: &str) -> (String, String) {
    let req = Request::get("/login").body(Body::empty()).unwrap();
    let (s, h, b) = send(router, addr, req).await;
    assert_eq!(s, StatusCode::OK);
    let cookie = h
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("rexian_login_csrf="))
        .expect("login CSRF cookie");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let html = String::from_utf8(b).unwrap();
    let token = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    (cookie, token)
}

async fn web_login(
    router: &Router,
    addr: &str,
    csrf: &(String, String),
    login: &str,
    password: &str,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &csrf.0)
        .body(Body::from(format!(
            "_csrf={}&login={login}&password={password}",
            csrf.1
        )))
        .unwrap();
    send(router, addr, req).await
}

#[tokio::test]
async fn unknown_disabled_and_wrong_password_get_the_same_answer() {
    let app = TestApp::new().await;
    let (id, _) = app.user("gone", &["agent"], None, None).await;
    app.user("here", &["agent"], None, None).await;
    let (s, v) = app
        .put(
            &format!("/api/v1/users/{id}/disabled"),
            &app.admin,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &app.router;
    let unknown = api_login(r, "10.1.0.1", "nobody", PASSWORD).await;
    let disabled = api_login(r, "10.1.0.2", "gone", PASSWORD).await;
    let wrong = api_login(r, "10.1.0.3", "here", "wrong-password").await;
    assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
    for other in [&disabled, &wrong] {
        assert_eq!(other.0, unknown.0);
        assert_eq!(other.2, unknown.2, "the bodies differ");
    }
    assert_eq!(unknown.2["error"]["message"], "login or password is wrong");

    // The login page too: same status, same page.
    let csrf = login_form(r, "10.1.0.4").await;
    let pages = [
        web_login(r, "10.1.0.4", &csrf, "nobody", PASSWORD).await,
        web_login(r, "10.1.0.4", &csrf, "gone", PASSWORD).await,
        web_login(r, "10.1.0.4", &csrf, "here", "wrong-password").await,
    ];
    for p in &pages {
        assert_eq!(p.0, StatusCode::UNAUTHORIZED);
        assert_eq!(p.2, pages[0].2, "the pages differ");
    }
    // Failures of real accounts are still recorded as events, without locking the account.
    let gone: i64 = id.parse().unwrap();
    let mut recorded = false;
    for _ in 0..100 {
        let events = app.state.store.audit_events("user", gone).await.unwrap();
        if events.iter().any(|e| e.kind == "login_failed") {
            recorded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(recorded, "login_failed event of the disabled account");
}

#[tokio::test]
async fn a_lockout_from_one_address_does_not_lock_the_owner_out_elsewhere() {
    let app = TestApp::new().await;
    let r = &app.router;
    for _ in 0..5 {
        let (s, _, _) = api_login(r, "10.2.0.1", "admin", "guess-guess").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // The attacker's address is locked for `admin`, even with the right password…
    let (s, h, v) = api_login(r, "10.2.0.1", "admin", PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["error"]["code"], "locked");
    let wait: u64 = h[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    // …the owner at another address signs in (API and page).
    let (s, _, v) = api_login(r, "10.2.0.2", "admin", PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let csrf = login_form(r, "10.2.0.3").await;
    let (s, _, _) = web_login(r, "10.2.0.3", &csrf, "admin", PASSWORD).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // An unknown login locks the same way: the lock tells nothing about which logins exist.
    for _ in 0..5 {
        api_login(r, "10.2.0.1", "ghost", "guess-guess").await;
    }
    let (s, _, _) = api_login(r, "10.2.0.1", "ghost", "guess-guess").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // The lock ends after the lockout time.
    app.state
        .clock
        .set(app.state.clock.now() + chrono::Duration::minutes(16));
    let (s, _, _) = api_login(r, "10.2.0.1", "admin", PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn an_address_and_everyone_together_are_throttled_with_retry_after() {
    let app = TestApp::new().await;
    let files = tempfile::tempdir().unwrap();
    let settings = Settings {
        login_failures_per_client: 3,
        login_failures_global: 6,
        data_dir: files.path().to_owned(),
        ..Settings::default()
    };
    let core = rexian_app::App::open(
        app.state.store.clone(),
        Arc::clone(&app.state.clock),
        &settings.data_dir,
    )
    .unwrap();
    let state = AppState::new(core, settings).await.unwrap();
    let r = &rexian_server::router(state);
    // Three failures from A, each against another login (no pair reaches its lockout).
    for login in ["a1", "a2", "admin"] {
        let (s, _, _) = api_login(r, "10.3.0.1", login, "guess-guess").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, h, v) = api_login(r, "10.3.0.1", "admin", PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(h.contains_key(header::RETRY_AFTER));
    // The page answers the same way.
    let csrf = login_form(r, "10.3.0.1").await;
    let (s, h, _) = web_login(r, "10.3.0.1", &csrf, "admin", PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(h.contains_key(header::RETRY_AFTER));
    // Another address is not throttled…
    let (s, _, _) = api_login(r, "10.3.0.2", "admin", PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
    // …until failures from everywhere reach the global limit.
    for (i, addr) in ["10.3.0.3", "10.3.0.4", "10.3.0.5"].iter().enumerate() {
        let (s, _, _) = api_login(r, addr, &format!("b{i}"), "guess-guess").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, h, v) = api_login(r, "10.3.0.6", "admin", PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    let wait: u64 = h[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!(wait >= 1);
    // After the window, logins work again.
    app.state
        .clock
        .set(app.state.clock.now() + chrono::Duration::minutes(16));
    let (s, _, _) = api_login(r, "10.3.0.6", "admin", PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    let app = TestApp::new().await;
    let files = tempfile::tempdir().unwrap();
    let settings = Settings {
        trusted_proxies: vec!["10.4.0.100".parse().unwrap()],
        data_dir: files.path().to_owned(),
        ..Settings::default()
    };
    let core = rexian_app::App::open(
        app.state.store.clone(),
        Arc::clone(&app.state.clock),
        &settings.data_dir,
    )
    .unwrap();
    let state = AppState::new(core, settings).await.unwrap();
    let r = &rexian_server::router(state);
    let via = |from: &str, forwarded: &str, password: &str| {
        let req = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-forwarded-for", forwarded)
            .body(Body::from(
                json!({"login": "admin", "password": password}).to_string(),
            ))
            .unwrap();
        let from = from.to_owned();
        async move { send(r, &from, req).await.0 }
    };
    for _ in 0..5 {
        assert_eq!(
            via("10.4.0.100", "10.4.0.1", "guess-guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked for the forwarded client, not for the proxy's other clients.
    assert_eq!(
        via("10.4.0.100", "10.4.0.1", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        via("10.4.0.100", "10.4.0.2", PASSWORD).await,
        StatusCode::OK
    );
    // A client that is not a trusted proxy cannot choose its address by the header.
    for _ in 0..5 {
        via("10.4.0.50", "10.4.0.9", "guess-guess").await;
    }
    assert_eq!(
        via("10.4.0.50", "10.4.0.77", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        via("10.4.0.100", "10.4.0.9", PASSWORD).await,
        StatusCode::OK
    );
}
