//! Passwords, tokens, sessions, and the one authorisation mechanism every route goes through.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rexian_app::session::{self, Credentials, SignedIn};
use rexian_app::Actor;

use crate::access::{rule_for, Access};
use crate::clock::ms;
use crate::error::AppError;
use crate::AppState;

/// Name of the browser session cookie.
pub const SESSION_COOKIE: &str = "rexian_session";

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// Who acts: id, roles, company and unit (what the use cases see).
    pub actor: Actor,
    /// Login.
    pub login: String,
    /// Display name.
    pub name: String,
    /// The token row of this request (for logout).
    pub token_id: i64,
    /// CSRF secret when signed in through the browser.
    pub csrf: Option<String>,
    /// The shift now of the user's company, for the page header (pages only).
    pub shift: Option<String>,
}

impl std::ops::Deref for CurrentUser {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.actor
    }
}

pub use rexian_app::password::{
    check_password_rule, hash_password, verify_password, MIN_PASSWORD_CHARS,
};

pub use rexian_app::session::{random_secret, token_hash};

pub use rexian_app::org::parse_roles;

/// The value of cookie `name` of a request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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
    Ok(authenticate_keyed(app, token, None).await?.0)
}

/// [`authenticate`], and the answer kept under idempotency key `key` of the user.
async fn authenticate_keyed(
    app: &AppState,
    token: &str,
    key: Option<&str>,
) -> Result<(CurrentUser, Option<rexian_app::idempotency::KeptAnswer>), AppError> {
    let (s, answer) = session::authenticate_keyed(app, token, key).await?;
    let user = CurrentUser {
        actor: s.actor,
        login: s.login,
        name: s.name,
        token_id: s.token_id,
        csrf: s.csrf,
        shift: None,
    };
    Ok((user, answer))
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
    // HEAD is a GET without the body: it follows the GET's rule.
    let rule = rule_for(req.method(), &path).or_else(|| {
        (req.method() == Method::HEAD)
            .then(|| rule_for(&Method::GET, &path))
            .flatten()
    });
    let Some(rule) = rule else {
        tracing::error!(route.path = %path, method = %req.method(), "route has no access rule");
        return AppError::Forbidden.into_response();
    };
    if let Access::Public = rule {
        return next.run(req).await;
    }
    let Some((token, from_cookie)) = request_token(req.headers()) else {
        return unauthenticated(api, "sign in first");
    };
    let key = crate::idempotency::key_to_prefetch(&req);
    let mut user = match authenticate_keyed(&app, token, key.as_deref()).await {
        Ok((u, answer)) => {
            if let Some(key) = key {
                let p = crate::idempotency::Prefetched { key, answer };
                req.extensions_mut().insert(p);
            }
            u
        }
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
    if !api {
        // Cached a minute per company: no query on most pages.
        user.shift = rexian_app::roster::header(&app, &user).await;
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

/// Checks the CSRF secret of a cookie-authenticated write: the `X-CSRF-Token` header, or `_csrf`
/// in a url-encoded form body (buffered and put back), or `_csrf` as the first part of a
/// multipart form (read up to the end of that part, then put back in front of the rest). Never
/// in the URL, where it would end up in logs, history and `Referer`s.
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
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if let Some(boundary) = multipart_boundary(&ctype) {
        let (parts, body) = req.into_parts();
        let (value, body) = first_multipart_field(body, &boundary, "_csrf").await?;
        return match value {
            Some(v) if matches(&v) => Ok(Request::from_parts(parts, body)),
            _ => Err(bad()),
        };
    }
    if !ctype.starts_with("application/x-www-form-urlencoded") {
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

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(ctype: &str) -> Option<String> {
    let mut params = ctype.split(';');
    if !params
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    params
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

/// Reads a multipart body up to the end of its first part; when that part is the text field
/// `name`, returns its value. The body comes back whole (the bytes read, then the rest).
async fn first_multipart_field(
    body: axum::body::Body,
    boundary: &str,
    name: &str,
) -> Result<(Option<String>, axum::body::Body), AppError> {
    use futures_util::StreamExt;
    const MOST: usize = 16 * 1024;
    let delimiter = format!("\r\n--{boundary}");
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let value = loop {
        if let Some(v) = parse_first_part(&head, boundary, &delimiter, name) {
            break v;
        }
        if head.len() > MOST {
            break None;
        }
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(_)) => {
                return Err(AppError::invalid("body", "the form body could not be read"))
            }
            None => break None,
        }
    };
    let first = futures_util::stream::iter([Ok::<_, axum::Error>(bytes::Bytes::from(head))]);
    Ok((value, axum::body::Body::from_stream(first.chain(stream))))
}

/// `Some(value)` once `head` holds the whole first part (`Some(None)` when it is not `name`);
/// `None` while more bytes are needed.
fn parse_first_part(
    head: &[u8],
    boundary: &str,
    delimiter: &str,
    name: &str,
) -> Option<Option<String>> {
    let opening = format!("--{boundary}\r\n");
    if head.len() < opening.len() {
        return None;
    }
    if !head.starts_with(opening.as_bytes()) {
        return Some(None);
    }
    let rest = &head[opening.len()..];
    let end_of_headers = find(rest, b"\r\n\r\n")?;
    let headers = std::str::from_utf8(&rest[..end_of_headers]).ok();
    let wanted = format!("name=\"{name}\"");
    let is_field = headers.is_some_and(|h| {
        h.lines().any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("content-disposition:")
                && l.split(';').any(|p| p.trim() == wanted)
                && !l.contains("filename")
        })
    });
    if !is_field {
        return Some(None);
    }
    let value = &rest[end_of_headers + 4..];
    let end = find(value, delimiter.as_bytes())?;
    Some(std::str::from_utf8(&value[..end]).ok().map(str::to_owned))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn form_value(body: &[u8], key: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The outcome of a login attempt.
pub struct Login {
    /// The raw token to hand to the client (shown once).
    pub token: String,
    /// CSRF secret for a browser session.
    pub csrf: Option<String>,
    /// The user.
    pub user: SignedIn,
}

/// Why a login failed. Unknown login, disabled account and wrong password are one case:
/// the answer and the work done tell them apart to nobody.
#[derive(Debug)]
pub enum LoginError {
    /// Login or password is wrong (or the account is disabled).
    Refused,
    /// Too many failures: from this address for this login, from this address, or overall.
    Throttled {
        /// Seconds until the client may try again.
        retry_after: u64,
    },
    /// A failure of ours.
    Other(AppError),
}

impl LoginError {
    /// The message shown to the client.
    pub const REFUSED: &'static str = "login or password is wrong";

    /// The API answer: 401, or 429 with `Retry-After`.
    pub fn into_api_response(self) -> Response {
        match self {
            LoginError::Refused => AppError::Unauthenticated(Self::REFUSED.into()).into_response(),
            LoginError::Throttled { retry_after } => (
                [(header::RETRY_AFTER, retry_after.to_string())],
                AppError::Locked("too many failed logins; try again later".into()),
            )
                .into_response(),
            LoginError::Other(e) => e.into_response(),
        }
    }
}

impl From<AppError> for LoginError {
    fn from(e: AppError) -> Self {
        LoginError::Other(e)
    }
}

/// The client's address: the connection's peer, or, when the peer is a trusted reverse proxy,
/// the last address in `X-Forwarded-For` that is not a trusted proxy. `None` when unknown (an
/// in-process request).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl ClientAddr {
    /// The client address of a request's parts.
    pub fn of(
        extensions: &axum::http::Extensions,
        headers: &HeaderMap,
        trusted: &[std::net::IpAddr],
    ) -> ClientAddr {
        use axum::extract::ConnectInfo;
        let peer = extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let Some(mut addr) = peer else {
            return ClientAddr(None);
        };
        if !trusted.contains(&addr) {
            return ClientAddr(Some(addr));
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            match hop.parse::<std::net::IpAddr>() {
                Ok(ip) if trusted.contains(&ip) => addr = ip,
                Ok(ip) => return ClientAddr(Some(ip)),
                // A hop we cannot read: the proxy before it is as far as we can trust.
                Err(_) => break,
            }
        }
        ClientAddr(Some(addr))
    }
}

impl axum::extract::FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(
            &parts.extensions,
            &parts.headers,
            &app.settings.trusted_proxies,
        ))
    }
}

/// Checks credentials under the throttle (per client and login, per client, overall) and issues
/// a token of `kind` (`api` or `web`). Every attempt that passes the throttle runs exactly one
/// argon2 verification: against the user's hash, or a fixed dummy hash for unknown logins.
pub async fn login(
    app: &AppState,
    client: ClientAddr,
    login: &str,
    password: &str,
    kind: &str,
) -> Result<Login, LoginError> {
    use crate::throttle::{ClientKey, Refusal};
    let now = app.clock.now();
    let client_key = ClientKey::of(client.0);
    if let Err(r) = app.login_guard.check(client_key, login, ms(now)) {
        let (Refusal::Locked { retry_after } | Refusal::Throttled { retry_after }) = r;
        tracing::warn!(client = ?client.0, refusal = ?r, "login refused by the throttle");
        return Err(LoginError::Throttled { retry_after });
    }
    let user = match session::check_credentials(app, login, password, &app.dummy_hash).await? {
        Credentials::Valid(u) => u,
        Credentials::Refused { user } => {
            let delay = app.login_guard.failed(client_key, login, ms(now));
            if let Some((id, disabled)) = user {
                // Recorded off the answer's path: an unknown login has no row to write to.
                let client = client.0.map(|a| a.to_string());
                session::record_failure(app, id, disabled, client, ms(now));
            }
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            return Err(LoginError::Refused);
        }
    };
    app.login_guard.succeeded(client_key, login);
    let ttl = if kind == "web" {
        app.settings.session_ttl_minutes
    } else {
        app.settings.token_ttl_minutes
    };
    let issued = session::issue_token(app, user.id, kind, ms(now), ttl).await?;
    Ok(Login {
        token: issued.token,
        csrf: issued.csrf,
        user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_address_trusts_forwarded_for_only_from_trusted_proxies() {
        use axum::extract::ConnectInfo;
        let of = |peer: Option<&str>, xff: Option<&str>, trusted: &[&str]| {
            let mut ext = axum::http::Extensions::new();
            if let Some(p) = peer {
                let a: std::net::SocketAddr = format!("{p}:1234").parse().unwrap();
                ext.insert(ConnectInfo(a));
            }
            let mut h = HeaderMap::new();
            if let Some(x) = xff {
                h.insert("x-forwarded-for", x.parse().unwrap());
            }
            let trusted: Vec<std::net::IpAddr> =
                trusted.iter().map(|t| t.parse().unwrap()).collect();
            ClientAddr::of(&ext, &h, &trusted).0.map(|a| a.to_string())
        };
        assert_eq!(of(None, Some("1.2.3.4"), &[]), None);
        assert_eq!(
            of(Some("9.9.9.9"), Some("1.2.3.4"), &[]).as_deref(),
            Some("9.9.9.9")
        );
        let proxies = ["10.0.0.1", "10.0.0.2"];
        assert_eq!(
            of(
                Some("10.0.0.1"),
                Some("6.6.6.6, 1.2.3.4, 10.0.0.2"),
                &proxies
            )
            .as_deref(),
            Some("1.2.3.4")
        );
        assert_eq!(
            of(Some("10.0.0.1"), None, &proxies).as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(
            of(Some("10.0.0.1"), Some("junk, 10.0.0.2"), &proxies).as_deref(),
            Some("10.0.0.2")
        );
    }

    #[test]
    fn the_first_multipart_part_gives_the_csrf_field() {
        let d = "\r\n--b";
        let part = |name: &str, extra: &str| {
            format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"{extra}\r\n\r\nsecret\r\n--b\r\n")
        };
        let ok = part("_csrf", "");
        assert_eq!(
            parse_first_part(ok.as_bytes(), "b", d, "_csrf"),
            Some(Some("secret".into()))
        );
        // Not complete yet: more bytes are needed.
        assert_eq!(
            parse_first_part(&ok.as_bytes()[..40], "b", d, "_csrf"),
            None
        );
        assert_eq!(
            parse_first_part(part("photo", "").as_bytes(), "b", d, "_csrf"),
            Some(None)
        );
        assert_eq!(
            parse_first_part(
                part("_csrf", "; filename=\"x\"").as_bytes(),
                "b",
                d,
                "_csrf"
            ),
            Some(None)
        );
        assert_eq!(
            parse_first_part(b"garbage-garbage", "b", d, "_csrf"),
            Some(None)
        );
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"abc\"").as_deref(),
            Some("abc")
        );
        assert_eq!(multipart_boundary("text/plain; boundary=abc"), None);
    }
}
