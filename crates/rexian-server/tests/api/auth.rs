//! Login, tokens, sessions, lockout and CSRF.

use axum::http::StatusCode;
use rexian_testkit::{TestApp, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn login_returns_token_and_user() {
    let app = TestApp::new().await;
    let (s, v) = app
        .call(
            "POST",
            "/api/v1/session",
            None,
            Some(json!({"login": "admin", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["user"]["login"], "admin");
    assert_eq!(v["user"]["roles"], json!(["admin"]));
    assert!(v["user"]["id"].is_string());
    let (s, me) = app.get("/api/v1/me", v["token"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["login"], "admin");
}

#[tokio::test]
async fn bad_credentials_are_401_with_envelope() {
    let app = TestApp::new().await;
    let (s, v) = app
        .call(
            "POST",
            "/api/v1/session",
            None,
            Some(json!({"login": "admin", "password": "nope-nope"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["code"], "unauthenticated");
    let (s, v) = app
        .call(
            "POST",
            "/api/v1/session",
            None,
            Some(json!({"login": "ghost", "password": "whatever1"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["code"], "unauthenticated");
}

#[tokio::test]
async fn missing_field_is_named() {
    let app = TestApp::new().await;
    let (s, v) = app
        .call(
            "POST",
            "/api/v1/session",
            None,
            Some(json!({"login": "admin"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "invalid_input");
    assert_eq!(v["error"]["field"], "password");
    let (s, _, body) = app
        .raw(
            "POST",
            "/api/v1/session",
            None,
            Some("{not json".into()),
            "application/json",
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "invalid_input");
}

#[tokio::test]
async fn no_token_is_401_and_logout_revokes() {
    let app = TestApp::new().await;
    let (s, v) = app.call("GET", "/api/v1/companies", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["code"], "unauthenticated");
    let token = app.login("admin", PASSWORD).await;
    assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);
    let (s, _) = app
        .call("DELETE", "/api/v1/session", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
}

#[tokio::test]
async fn tokens_expire() {
    let app = TestApp::new().await;
    let token = app.login("admin", PASSWORD).await;
    app.advance(59 * 86400).await;
    assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);
    app.advance(2 * 86400).await;
    assert_eq!(
        app.get("/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn disabled_user_is_locked_out_at_once() {
    let app = TestApp::new().await;
    let (id, token) = app.user("agent1", &["agent"], None, None).await;
    assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);
    let (s, v) = app
        .put(
            &format!("/api/v1/users/{id}/disabled"),
            &app.admin,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        app.get("/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, v) = app
        .call(
            "POST",
            "/api/v1/session",
            None,
            Some(json!({"login": "agent1", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The same answer as a wrong password: a disabled account is not revealed.
    assert_eq!(v["error"]["message"], "login or password is wrong");
    // Re-enabled, the user can sign in again.
    app.put(
        &format!("/api/v1/users/{id}/disabled"),
        &app.admin,
        json!({"disabled": false}),
    )
    .await;
    app.login("agent1", PASSWORD).await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let app = TestApp::new().await;
    app.user("agent2", &["agent"], None, None).await;
    let bad = json!({"login": "agent2", "password": "wrong-password"});
    for _ in 0..5 {
        let (s, _) = app
            .call("POST", "/api/v1/session", None, Some(bad.clone()))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password is refused.
    let good = json!({"login": "agent2", "password": PASSWORD});
    let (s, v) = app
        .call("POST", "/api/v1/session", None, Some(good.clone()))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["error"]["code"], "locked");
    app.advance(16 * 60).await;
    let (s, _) = app.call("POST", "/api/v1/session", None, Some(good)).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id() {
    let app = TestApp::new().await;
    let u = app.state.store.user_by_login("admin").await.unwrap();
    assert!(
        u.password_hash.starts_with("$argon2id$"),
        "{}",
        u.password_hash
    );
}

#[tokio::test]
async fn browser_session_cookie_and_csrf() {
    let app = TestApp::new().await;
    // The login form carries its own CSRF secret, also set as a cookie (double submit).
    let (s, h, body) = app.raw("GET", "/login", None, None, "", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let login_cookie = h.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(
        login_cookie.starts_with("rexian_login_csrf=") && login_cookie.contains("HttpOnly"),
        "{login_cookie}"
    );
    let login_cookie = login_cookie.split(';').next().unwrap().to_owned();
    let login_csrf = String::from_utf8(body)
        .unwrap()
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (s, h, _) = app
        .raw(
            "POST",
            "/login",
            None,
            Some(format!(
                "_csrf={login_csrf}&login=admin&password={PASSWORD}"
            )),
            "application/x-www-form-urlencoded",
            &[("cookie", &login_cookie)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let cookie = h
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("rexian_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    // The page renders with the session and carries a CSRF token in its forms.
    let (s, _, body) = app
        .raw(
            "GET",
            "/admin/companies",
            None,
            None,
            "",
            &[("cookie", &session)],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(csrf.len(), 64);
    // A form post without the token is refused; with it, it works.
    let form = "name=测试热力&utility=heat&number_prefix=".to_owned();
    let (s, _, _) = app
        .raw(
            "POST",
            "/admin/companies",
            None,
            Some(form.clone()),
            "application/x-www-form-urlencoded",
            &[("cookie", &session)],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let with = format!("_csrf={csrf}&{form}");
    let (s, _, _) = app
        .raw(
            "POST",
            "/admin/companies",
            None,
            Some(with),
            "application/x-www-form-urlencoded",
            &[("cookie", &session)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, v) = app.get("/api/v1/companies", &app.admin).await;
    assert_eq!(v["items"][0]["name"], "测试热力");
    // Pages without a session go to the login page.
    let (s, h, _) = app.raw("GET", "/", None, None, "", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get("location").unwrap(), "/login");
}

#[tokio::test]
async fn login_page_is_chinese_first() {
    let app = TestApp::new().await;
    let (s, _, body) = app.raw("GET", "/login", None, None, "", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("lang=\"zh-CN\"") && html.contains("登录"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no outside URL in a page"
    );
    let (_, _, body) = app
        .raw("GET", "/login", None, None, "", &[("cookie", "lang=en")])
        .await;
    assert!(String::from_utf8(body).unwrap().contains("Sign in"));
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    assert_eq!(
        app.call("GET", "/healthz", None, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.call("GET", "/readyz", None, None).await.0,
        StatusCode::OK
    );
    let (_, h, _) = app.raw("GET", "/healthz", None, None, "", &[]).await;
    assert!(
        h.get("x-request-id").is_some(),
        "every response carries its request id"
    );
}

#[tokio::test]
async fn openapi_document_lists_the_contract() {
    let app = TestApp::new().await;
    let (s, v) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["openapi"], "3.1.0");
    for p in [
        "/api/v1/session",
        "/api/v1/orders",
        "/api/v1/orders/{id}/dispatch",
        "/api/v1/admin/clock/advance",
        "/api/v1/callbacks/queue",
        "/api/v1/search",
        "/api/v1/kb/articles",
        "/api/v1/kb/articles/{id}/{action}",
        "/api/v1/kb/suggest",
    ] {
        assert!(v["paths"][p].is_object(), "{p} missing");
    }
}

/// Finding 6 of issue 14: a password reset ends every session and token of the user.
#[tokio::test]
async fn password_reset_ends_every_session_and_token() {
    let app = TestApp::new().await;
    let (id, token) = app.user("agent3", &["agent"], None, None).await;
    let second = app.login("agent3", PASSWORD).await;
    assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);
    let (s, v) = app
        .put(
            &format!("/api/v1/users/{id}/password"),
            &app.admin,
            json!({"password": "brand-new-password"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    for t in [&token, &second] {
        let (s, v) = app.get("/api/v1/me", t).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    }
    // The admin's own token is untouched; the new password works, the old one does not.
    assert_eq!(app.get("/api/v1/me", &app.admin).await.0, StatusCode::OK);
    let fresh = app.login("agent3", "brand-new-password").await;
    assert_eq!(app.get("/api/v1/me", &fresh).await.0, StatusCode::OK);
    let events = app
        .state
        .store
        .audit_events("user", id.parse().unwrap())
        .await
        .unwrap();
    let set = events
        .iter()
        .find(|e| e.kind == "password_set")
        .expect("password_set event");
    assert!(set.data.contains("\"tokens_revoked\":2"), "{}", set.data);
}
