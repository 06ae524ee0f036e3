//! Passwords, tokens, sessions, and the one authorisation mechanism every route goes through.

use argon2::password_hash::{
    self, rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use rexian_domain::model::Role;
use sha2::{Digest, Sha256};

use crate::access::{rule_for, Access};
use crate::clock::ms;
use crate::error::AppError;
use crate::AppState;

/// Name of the browser session cookie.
pub const SESSION_COOKIE: &str = "rexian_session";

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// User id.
    pub id: i64,
    /// Login.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Company (none for group-wide staff).
    pub company_id: Option<i64>,
    /// Unit.
    pub unit_id: Option<i64>,
    /// The token row of this request (for logout).
    pub token_id: i64,
    /// CSRF secret when signed in through the browser.
    pub csrf: Option<String>,
}

impl CurrentUser {
    /// Whether the user holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Runs `f` on one of the password-hashing threads, with that thread's argon2 memory.
///
/// argon2 takes 19 MiB per hash. Left to malloc (on tokio's blocking pool), the heap grew by
/// 19.5 MiB with each of the first logins and kept it (250 MiB after 10 logins, 317 MiB in the
/// peak-day replay). Two dedicated threads, each reusing one block of memory, bound it to two
/// hashes' worth for the life of the process.
async fn on_hasher<T: Send + 'static>(
    f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> Option<T> {
    use std::sync::{mpsc, Arc, Mutex, OnceLock};
    type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;
    const THREADS: usize = 2;
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..THREADS {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("rexian-hash-{i}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password-hashing thread");
            }
        }
        // With no thread started, the receiver is gone and every send below fails.
        Mutex::new(tx)
    });
    let (answer, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |memory| {
        let _ = answer.send(f(memory));
    });
    queue.lock().ok()?.send(job).ok()?;
    rx.await.ok()
}

/// `memory` sized for `params`: grown once, then reused.
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    &mut memory[..params.block_count()]
}

/// The `len`-byte argon2 output of `password` and `salt`, computed in `memory`.
fn output(
    memory: &mut Vec<Block>,
    argon: &Argon2,
    password: &[u8],
    salt: password_hash::Salt,
    len: usize,
) -> password_hash::Result<Output> {
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf)?;
    Output::init_with(len, |out| {
        Ok(argon.hash_password_into_with_memory(
            password,
            salt_bytes,
            out,
            blocks(memory, argon.params()),
        )?)
    })
}

/// argon2id with the default parameters, as a PHC string.
fn hash_with(memory: &mut Vec<Block>, password: &[u8]) -> password_hash::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let argon = Argon2::new(Algorithm::default(), Version::default(), params.clone());
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let hash = output(memory, &argon, password, salt.as_salt(), len)?;
    Ok(PasswordHash {
        algorithm: Algorithm::default().ident(),
        version: Some(Version::default().into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    }
    .to_string())
}

/// Whether `password` matches the PHC string `phc` (any argon2 variant and parameters).
fn verify_with(memory: &mut Vec<Block>, password: &[u8], phc: &str) -> bool {
    let mut check = || -> password_hash::Result<bool> {
        let h = PasswordHash::new(phc)?;
        let (Some(salt), Some(expected)) = (h.salt, h.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(h.algorithm)?;
        let version = h
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let argon = Argon2::new(algorithm, version, Params::try_from(&h)?);
        let computed = output(memory, &argon, password, salt, expected.len())?;
        // `Output`'s equality is constant-time.
        Ok(computed == expected)
    };
    check().unwrap_or(false)
}

/// Hashes a password with argon2id (off the async threads).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    on_hasher(move |memory| {
        hash_with(memory, password.as_bytes()).map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await
    .unwrap_or_else(|| Err(anyhow::anyhow!("no password-hashing thread is running")))
}

/// Checks a password against a stored argon2 hash (off the async threads).
pub async fn verify_password(password: String, hash: String) -> bool {
    on_hasher(move |memory| verify_with(memory, password.as_bytes(), &hash))
        .await
        .unwrap_or(false)
}

/// A fresh random secret, hex-encoded.
pub fn random_secret() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Parses the role names of a stored user, skipping unknown ones.
pub fn parse_roles(names: &[String]) -> Vec<Role> {
    names.iter().filter_map(|n| n.parse().ok()).collect()
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Reads the token of a request: bearer header first, then the session cookie.
fn request_token(headers: &HeaderMap) -> Option<(&str, bool)> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return v.strip_prefix("Bearer ").map(|t| (t.trim(), false));
    }
    cookie(headers, SESSION_COOKIE).map(|t| (t, true))
}

/// Resolves the user behind a token, or why there is none.
pub async fn authenticate(app: &AppState, token: &str) -> Result<CurrentUser, AppError> {
    let now = ms(app.clock.now());
    let (rec, user) = app
        .store
        .live_token(&token_hash(token), now)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("token is unknown, expired or revoked".into()))?;
    if user.disabled {
        return Err(AppError::Unauthenticated("account is disabled".into()));
    }
    Ok(CurrentUser {
        id: user.id,
        login: user.login,
        name: user.name,
        roles: parse_roles(&user.roles),
        company_id: user.company_id,
        unit_id: user.unit_id,
        token_id: rec.id,
        csrf: rec.csrf,
    })
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The authorisation middleware: looks up the route's rule in the access table, authenticates,
/// checks roles and CSRF, and hands the user to the handler. No handler checks roles itself.
pub async fn authorize(
    State(app): State<AppState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = matched
        .as_ref()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let api = is_api(req.uri().path());
    let Some(rule) = rule_for(req.method(), &path) else {
        tracing::error!(route.path = %path, method = %req.method(), "route has no access rule");
        return AppError::Forbidden.into_response();
    };
    if let Access::Public = rule {
        return next.run(req).await;
    }
    let Some((token, from_cookie)) = request_token(req.headers()) else {
        return unauthenticated(api, "sign in first");
    };
    let user = match authenticate(&app, token).await {
        Ok(u) => u,
        Err(AppError::Unauthenticated(m)) => return unauthenticated(api, &m),
        Err(e) => return e.into_response(),
    };
    if let Access::Roles(roles) = rule {
        if !roles.iter().any(|r| user.has(*r)) {
            if api {
                return AppError::Forbidden.into_response();
            }
            let t = crate::i18n::Msgs {
                lang: crate::i18n::Lang::from_headers(req.headers()),
            };
            return crate::ui::error_page(t, &user, AppError::Forbidden);
        }
    }
    if from_cookie && !matches!(*req.method(), Method::GET | Method::HEAD) {
        match check_csrf(req, user.csrf.as_deref()).await {
            Ok(r) => req = r,
            Err(e) => return e.into_response(),
        }
    }
    req.extensions_mut().insert(user);
    next.run(req).await
}

fn unauthenticated(api: bool, msg: &str) -> Response {
    if api {
        AppError::Unauthenticated(msg.to_owned()).into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

/// Checks the CSRF secret of a cookie-authenticated write: `X-CSRF-Token` header, `_csrf` in the
/// query, or `_csrf` in a url-encoded form body (the body is buffered and put back).
async fn check_csrf(req: Request, expected: Option<&str>) -> Result<Request, AppError> {
    let bad = || AppError::Forbidden;
    let expected = expected.ok_or_else(bad)?;
    let matches = |v: &str| constant_eq(v.as_bytes(), expected.as_bytes());
    if let Some(v) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if matches(v) { Ok(req) } else { Err(bad()) };
    }
    if let Some(q) = req.uri().query() {
        if let Some(v) = form_value(q.as_bytes(), "_csrf") {
            return if matches(&v) { Ok(req) } else { Err(bad()) };
        }
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(bad());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .map_err(|_| AppError::invalid("body", "form body too large"))?;
    match form_value(&bytes, "_csrf") {
        Some(v) if matches(&v) => Ok(Request::from_parts(parts, axum::body::Body::from(bytes))),
        _ => Err(bad()),
    }
}

fn form_value(body: &[u8], key: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The outcome of a login attempt.
pub struct Login {
    /// The raw token to hand to the client (shown once).
    pub token: String,
    /// CSRF secret for a browser session.
    pub csrf: Option<String>,
    /// The user.
    pub user: rexian_store::org::User,
}

/// Checks credentials, applying the slow-down and lockout rules, and issues a token of `kind`
/// (`api` or `web`).
pub async fn login(
    app: &AppState,
    login: &str,
    password: &str,
    kind: &str,
) -> Result<Login, AppError> {
    let bad = || AppError::Unauthenticated("login or password is wrong".into());
    let now = app.clock.now();
    let user = match app.store.user_by_login(login).await {
        Ok(u) => u,
        Err(rexian_store::StoreError::NotFound) => {
            // Spend the same time as a real check so logins cannot be probed by timing.
            let _ = verify_password(password.to_owned(), app.dummy_hash.clone()).await;
            return Err(bad());
        }
        Err(e) => return Err(e.into()),
    };
    if user.disabled {
        return Err(AppError::Unauthenticated("account is disabled".into()));
    }
    if let Some(until) = user.locked_until {
        if until > ms(now) {
            return Err(AppError::Locked(
                "too many failed logins; the account is locked for a while".into(),
            ));
        }
    }
    if !verify_password(password.to_owned(), user.password_hash.clone()).await {
        let s = &app.settings;
        let lock_until = ms(now) + s.lockout_minutes * 60_000;
        let failures = app
            .store
            .record_login_failure(user.id, s.lockout_threshold, lock_until, ms(now))
            .await?;
        // Slow down repeated failures: 200 ms per earlier failure, capped at 2 s.
        let delay = (failures.saturating_sub(1) * 200).min(2000) as u64;
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        return Err(bad());
    }
    let token = random_secret();
    let csrf = (kind == "web").then(random_secret);
    let ttl = if kind == "web" {
        app.settings.session_ttl_minutes
    } else {
        app.settings.token_ttl_minutes
    };
    let expires = ms(now) + ttl * 60_000;
    app.store
        .create_token(
            user.id,
            &token_hash(&token),
            kind,
            csrf.as_deref(),
            ms(now),
            expires,
        )
        .await?;
    Ok(Login { token, csrf, user })
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_agree_with_the_argon2_crate_and_reuse_memory() {
        let mut memory = Vec::new();
        let ours = hash_with(&mut memory, b"s3cret pass").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"s3cret pass", &parsed)
            .is_ok());
        assert!(verify_with(&mut memory, b"s3cret pass", &ours));
        assert!(!verify_with(&mut memory, b"s3cret pasS", &ours));
        let len = memory.len();
        assert_eq!(len, Params::default().block_count());

        // A hash made elsewhere, with other parameters and variant, verifies too.
        let salt = SaltString::generate(&mut OsRng);
        let other = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(8 * 1024, 3, 1, Some(24)).unwrap(),
        )
        .hash_password(b"old one", &salt)
        .unwrap()
        .to_string();
        assert!(verify_with(&mut memory, b"old one", &other));
        assert!(!verify_with(&mut memory, b"old two", &other));
        assert!(!verify_with(&mut memory, b"old one", "not a hash"));
        // The larger block stays allocated; a smaller hash does not shrink or regrow it.
        assert_eq!(memory.len(), len);
    }
}
