//! Sign-in: credentials checked against the stored hash, tokens issued, looked up and revoked.
//! The throttle of failed logins is the server's (it lives in one node's memory).

use rand::RngCore;
use rexian_domain::model::Role;
use rexian_store::StoreError;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::org::parse_roles;
use crate::password::verify_password;
use crate::ser;
use crate::{Actor, App, AppError, AppResult};

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

/// The user behind a live token.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who acts.
    pub actor: Actor,
    /// Login.
    pub login: String,
    /// Display name.
    pub name: String,
    /// The token's row (for logout).
    pub token_id: i64,
    /// CSRF secret of a browser session.
    pub csrf: Option<String>,
}

/// The user of `token`, or why there is none (`unauthenticated`).
pub async fn authenticate(app: &App, token: &str) -> AppResult<Session> {
    Ok(authenticate_keyed(app, token, None).await?.0)
}

/// [`authenticate`], and with `key` the answer kept under that idempotency key of the user,
/// found in the same query.
pub async fn authenticate_keyed(
    app: &App,
    token: &str,
    key: Option<&str>,
) -> AppResult<(Session, Option<crate::idempotency::KeptAnswer>)> {
    let (rec, user, answer) = app
        .store
        .live_token_keyed(&token_hash(token), app.now_ms(), key)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("token is unknown, expired or revoked".into()))?;
    if user.disabled {
        return Err(AppError::Unauthenticated("account is disabled".into()));
    }
    let session = Session {
        actor: Actor {
            id: user.id,
            roles: parse_roles(&user.roles),
            company_id: user.company_id,
            unit_id: user.unit_id,
        },
        login: user.login,
        name: user.name,
        token_id: rec.id,
        csrf: rec.csrf,
    };
    Ok((session, answer.map(Into::into)))
}

/// A signed-in user as the login answer shows them.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct SignedIn {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Roles.
    pub roles: Vec<Role>,
}

/// What a login and password were found to be.
#[derive(Debug)]
pub enum Credentials {
    /// Right, and the account is enabled.
    Valid(SignedIn),
    /// Wrong, or the account is disabled; the user when the login names one.
    Refused {
        /// The user the login names, and whether they are disabled.
        user: Option<(i64, bool)>,
    },
}

/// Checks `password` for `login`. Exactly one argon2 verification runs: against the user's
/// hash, or `dummy_hash` for an unknown login.
pub async fn check_credentials(
    app: &App,
    login: &str,
    password: &str,
    dummy_hash: &str,
) -> AppResult<Credentials> {
    let user = match app.store.user_by_login(login).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = user
        .as_ref()
        .map_or_else(|| dummy_hash.to_owned(), |u| u.password_hash.clone());
    let verified = verify_password(password.to_owned(), hash).await;
    Ok(match user {
        Some(u) if verified && !u.disabled => Credentials::Valid(SignedIn {
            id: u.id,
            roles: parse_roles(&u.roles),
            login: u.login,
            name: u.name,
        }),
        other => Credentials::Refused {
            user: other.map(|u| (u.id, u.disabled)),
        },
    })
}

/// Records a failed login of user `user_id` from `client`, off the answer's path.
pub fn record_failure(app: &App, user_id: i64, disabled: bool, client: Option<String>, at: i64) {
    let store = app.store.clone();
    let data = serde_json::json!({"client": client, "disabled": disabled});
    tokio::spawn(async move {
        if let Err(e) = store.record_login_failure(user_id, at, &data).await {
            tracing::warn!(error = %e, user.id = user_id, "login failure not recorded");
        }
    });
}

/// A token issued at sign-in.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The raw token (shown once).
    pub token: String,
    /// CSRF secret of a browser session.
    pub csrf: Option<String>,
}

/// Issues a token of `kind` (`api`, or `web` with a CSRF secret) to `user_id`, living
/// `ttl_minutes` from `now` (ms).
pub async fn issue_token(
    app: &App,
    user_id: i64,
    kind: &str,
    now: i64,
    ttl_minutes: i64,
) -> AppResult<Issued> {
    let token = random_secret();
    let csrf = (kind == "web").then(random_secret);
    app.store
        .create_token(
            user_id,
            &token_hash(&token),
            kind,
            csrf.as_deref(),
            now,
            now + ttl_minutes * 60_000,
        )
        .await?;
    Ok(Issued { token, csrf })
}

/// Revokes token `token_id` of `me` (logout).
pub async fn revoke(app: &App, me: &Actor, token_id: i64) -> AppResult<()> {
    Ok(app
        .store
        .revoke_token(token_id, me.id, app.now_ms())
        .await?)
}

/// Whether the database answers (readiness).
pub async fn ready(app: &App) -> AppResult<()> {
    Ok(app.store.ping().await?)
}
