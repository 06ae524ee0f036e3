//! Test harness: an in-process app on a fresh database (SQLite or PostgreSQL) with a manual
//! clock, driven through the router with `oneshot`.
//!
//! The backend comes from `REXIAN_TEST_DB`: `sqlite` (default) or `postgres`, with
//! `REXIAN_TEST_PG_URL` naming a server where a fresh database is made per test and dropped after.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use rexian_server::clock::{Clock, ManualClock};
use rexian_server::{AppState, Settings};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The password of every user the harness creates.
pub const PASSWORD: &str = "test-password-1";

/// A running app on its own database.
pub struct TestApp {
    /// The router.
    pub router: Router,
    /// Shared state (store, clock).
    pub state: AppState,
    /// Token of the first admin.
    pub admin: String,
    /// URL of the test database (to open a second node on it).
    pub url: String,
    _db: TestDb,
    _files: tempfile::TempDir,
}

pub use rexian_store::testdb::backend;
use rexian_store::testdb::TestDb;

/// The default start of the manual clock: Monday 2026-03-02 09:00 in Beijing.
pub fn default_start() -> DateTime<Utc> {
    "2026-03-02T01:00:00Z".parse().expect("valid time")
}

impl TestApp {
    /// An app at the default start time.
    pub async fn new() -> TestApp {
        Self::at(default_start()).await
    }

    /// An app whose manual clock starts at `start`, with user `admin` (password [`PASSWORD`]).
    pub async fn at(start: DateTime<Utc>) -> TestApp {
        let (store, db, url) = TestDb::fresh().await;
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(start));
        let files = tempfile::tempdir().expect("tempdir");
        let settings = Settings {
            token_ttl_minutes: 60 * 24 * 60,
            data_dir: files.path().to_owned(),
            ..Settings::default()
        }; // tests move the clock by days
        let core = rexian_app::App::open(store, clock, &settings.data_dir).expect("app");
        let state = AppState::new(core, settings).await.expect("state");
        let hash = rexian_server::auth::hash_password(PASSWORD.into())
            .await
            .expect("hash");
        let admin = rexian_store::org::NewUser {
            login: "admin".into(),
            name: "管理员".into(),
            password_hash: hash,
            roles: vec!["admin".into()],
            company_id: None,
            unit_id: None,
            staff_no: None,
        };
        state
            .store
            .create_user(&admin, None, start.timestamp_millis())
            .await
            .expect("admin");
        let router = rexian_server::router(state.clone());
        let mut app = TestApp {
            router,
            state,
            admin: String::new(),
            url,
            _db: db,
            _files: files,
        };
        app.admin = app.login("admin", PASSWORD).await;
        app
    }

    /// A second node on this app's database: its own connection pool, search index and login
    /// throttle, the same clock. Keep the directory alive as long as the router.
    pub async fn second_node(&self) -> (Router, tempfile::TempDir) {
        self.node(0).await
    }

    /// Another node whose writes share transactions on PostgreSQL, with `committers` committers
    /// (`rexian serve --pg-committers`; 0: off, as [`TestApp::second_node`]).
    pub async fn node(&self, committers: usize) -> (Router, tempfile::TempDir) {
        let store = rexian_store::Store::connect(&self.url)
            .await
            .expect("second pool");
        if committers > 0 {
            store.group_commit_postgres(committers);
        }
        let files = tempfile::tempdir().expect("tempdir");
        let settings = Settings {
            token_ttl_minutes: 60 * 24 * 60,
            data_dir: files.path().to_owned(),
            ..Settings::default()
        };
        let core = rexian_app::App::open(store, self.state.clock.clone(), &settings.data_dir)
            .expect("app");
        let state = AppState::new(core, settings).await.expect("state");
        (rexian_server::router(state), files)
    }

    /// Sends a request; returns the status and the JSON body (Null when empty or not JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let res = self
            .raw(
                method,
                path,
                token,
                body.map(|b| b.to_string()),
                "application/json",
                &[],
            )
            .await;
        let status = res.0;
        (
            status,
            serde_json::from_slice(&res.2).unwrap_or(Value::Null),
        )
    }

    /// Sends a request with a raw body and extra headers; returns status, headers and body bytes.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
        content_type: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .expect("request");
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        (status, headers, bytes)
    }

    /// GET with a token.
    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call("GET", path, Some(token), None).await
    }

    /// POST JSON with a token.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", path, Some(token), Some(body)).await
    }

    /// PUT JSON with a token.
    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call("PUT", path, Some(token), Some(body)).await
    }

    /// Signs in through the API and returns the token; panics on failure.
    pub async fn login(&self, login: &str, password: &str) -> String {
        let (s, v) = self
            .call(
                "POST",
                "/api/v1/session",
                None,
                Some(json!({"login": login, "password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {login}: {v}");
        v["token"].as_str().expect("token").to_owned()
    }

    /// Creates a company; returns its id.
    pub async fn company(&self, name: &str, utility: &str) -> String {
        let (s, v) = self
            .post(
                "/api/v1/companies",
                &self.admin,
                json!({"name": name, "utility": utility}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().expect("id").to_owned()
    }

    /// Creates a unit; returns its id.
    pub async fn unit(
        &self,
        company: &str,
        parent: Option<&str>,
        name: &str,
        kind: &str,
    ) -> String {
        let body = json!({"company_id": company, "parent_id": parent, "name": name, "kind": kind});
        let (s, v) = self.post("/api/v1/units", &self.admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().expect("id").to_owned()
    }

    /// Creates a user with the given roles (password [`PASSWORD`]) and returns (id, token).
    pub async fn user(
        &self,
        login: &str,
        roles: &[&str],
        unit: Option<&str>,
        company: Option<&str>,
    ) -> (String, String) {
        let body = json!({"login": login, "name": login, "password": PASSWORD, "roles": roles,
            "unit_id": unit, "company_id": company});
        let (s, v) = self.post("/api/v1/users", &self.admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().expect("id").to_owned();
        (id, self.login(login, PASSWORD).await)
    }

    /// Moves the manual clock forward, running due timers.
    pub async fn advance(&self, seconds: i64) {
        let next = self.state.clock.now() + chrono::Duration::seconds(seconds);
        self.state.clock.set(next);
        self.state.run_timers().await.expect("timers");
    }
}

/// Sends `req` to `router` with `token`; returns the status and the JSON body (Null when empty
/// or not JSON).
async fn send_to(
    router: &Router,
    req: axum::http::request::Builder,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .expect("request");
    let res = router.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// POSTs JSON to `router` (e.g. a [`TestApp::second_node`]); returns the status and the body.
pub async fn post_to(router: &Router, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    send_to(router, Request::post(path), token, Some(body)).await
}

/// POSTs JSON with an `Idempotency-Key` to `router`; returns the status and the body.
pub async fn post_keyed_to(
    router: &Router,
    path: &str,
    token: &str,
    body: Value,
    key: &str,
) -> (StatusCode, Value) {
    let req = Request::post(path).header("idempotency-key", key);
    send_to(router, req, token, Some(body)).await
}

/// GETs `path` from `router` (e.g. a [`TestApp::second_node`]); returns the status and the body.
pub async fn get_from(router: &Router, path: &str, token: &str) -> (StatusCode, Value) {
    send_to(router, Request::get(path), token, None).await
}

/// A company ready for orders: its hotline centre and a repair team, one user per role, on a
/// fresh app (Monday 2026-03-02 09:00 Beijing unless started elsewhere).
pub struct Centre {
    /// The app.
    pub app: TestApp,
    /// Company id.
    pub company: String,
    /// The hotline centre (unit id).
    pub centre: String,
    /// The repair team 城北维修站 (unit id).
    pub team: String,
    /// Agent and dispatcher of the centre (token).
    pub agent: String,
    /// Callback agent of the centre (token).
    pub callback: String,
    /// Supervisor of the centre (token).
    pub supervisor: String,
    /// Assessor of the centre (token).
    pub assessor: String,
    /// Unit handler of the team (token).
    pub handler: String,
}

impl Centre {
    /// A centre of a company of `utility` on a fresh app.
    pub async fn new(utility: &str) -> Centre {
        Self::on(TestApp::new().await, utility).await
    }

    /// A centre of a company of `utility` on `app`.
    pub async fn on(app: TestApp, utility: &str) -> Centre {
        let company = app.company("南江公用", utility).await;
        let centre = app.unit(&company, None, "热线中心", "centre").await;
        let team = app.unit(&company, None, "城北维修站", "repair_team").await;
        let (_, agent) = app
            .user("agent", &["agent", "dispatcher"], Some(&centre), None)
            .await;
        let (_, callback) = app
            .user("callback", &["callback_agent"], Some(&centre), None)
            .await;
        let (_, supervisor) = app
            .user("supervisor", &["supervisor"], Some(&centre), None)
            .await;
        let (_, assessor) = app
            .user("assessor", &["assessor"], Some(&centre), None)
            .await;
        let (_, handler) = app
            .user("handler", &["unit_handler"], Some(&team), None)
            .await;
        Centre {
            app,
            company,
            centre,
            team,
            agent,
            callback,
            supervisor,
            assessor,
            handler,
        }
    }

    /// Takes a call: an order of `category` (and `subtype`) by the agent, answered 201.
    pub async fn order(&self, category: &str, subtype: Option<&str>) -> Value {
        let body = json!({"company_id": self.company, "category": category, "subtype": subtype,
            "channel": "phone", "description": "测试工单",
            "customer": {"phone": "13800000000", "community": "城南小区"}});
        let (s, o) = self.app.post("/api/v1/orders", &self.agent, body).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        o
    }

    /// A step of `order` by `token`, answered 2xx; the answer (the order after it).
    pub async fn step(
        &self,
        token: &str,
        order: &(impl OrderRef + ?Sized),
        step: &str,
        body: Value,
    ) -> Value {
        let id = order.order_id();
        let (s, v) = self
            .app
            .post(&format!("/api/v1/orders/{id}/{step}"), token, body)
            .await;
        assert!(s.is_success(), "{step}: {s} {v}");
        v
    }

    /// An order of `category` dispatched to the team.
    pub async fn dispatched(&self, category: &str, subtype: Option<&str>) -> Value {
        let o = self.order(category, subtype).await;
        self.step(&self.agent, &o, "dispatch", json!({"unit_id": self.team}))
            .await
    }

    /// The order as the supervisor sees it.
    pub async fn get(&self, order: &(impl OrderRef + ?Sized)) -> Value {
        let id = order.order_id();
        let (s, v) = self
            .app
            .get(&format!("/api/v1/orders/{id}"), &self.supervisor)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }
}

/// The active (latest) deadline of `kind` on an order as the API shows it.
pub fn deadline<'a>(o: &'a Value, kind: &str) -> &'a Value {
    o["deadlines"]
        .as_array()
        .expect("deadlines")
        .iter()
        .rfind(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} deadline in {o}"))
}

/// An order named by its id or given as the API shows it.
pub trait OrderRef {
    /// The order's id.
    fn order_id(&self) -> String;
}

impl OrderRef for str {
    fn order_id(&self) -> String {
        self.to_owned()
    }
}

impl OrderRef for String {
    fn order_id(&self) -> String {
        self.clone()
    }
}

impl OrderRef for Value {
    fn order_id(&self) -> String {
        self["id"].as_str().expect("an order with an id").to_owned()
    }
}

/// `s` percent-encoded for a query string (every byte but ASCII letters and digits).
pub fn enc(s: &str) -> String {
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
