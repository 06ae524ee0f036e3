//! Answers kept under an `Idempotency-Key` (per user): a retry of the same request gets the
//! first answer; the same key with another request is refused.

use rexian_store::orders::IdempotentAnswer;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{App, AppError, AppResult};

/// The fingerprint of a request for its idempotency key: SHA-256 of the method, the path and
/// the JSON body in one canonical form (keys sorted, no spacing), so that the same request
/// written differently is the same request and the key sent to another route is another
/// request; a body that is not JSON by its bytes.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<Value>(body)
        .map(|v| v.to_string().into_bytes())
        .unwrap_or_else(|_| body.to_vec());
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(canonical);
    hex::encode(h.finalize())
}

/// An answer kept under a key.
#[derive(Debug, Clone)]
pub struct KeptAnswer {
    /// Its HTTP status.
    pub status: i64,
    /// Its body (JSON).
    pub body: String,
    request_hash: Option<String>,
}

impl From<IdempotentAnswer> for KeptAnswer {
    fn from(a: IdempotentAnswer) -> Self {
        KeptAnswer {
            status: a.status,
            body: a.body,
            request_hash: a.request_hash,
        }
    }
}

impl KeptAnswer {
    /// The answer for the request of fingerprint `hash`: `idempotency_key_reused` when the key
    /// first answered another request.
    pub fn for_request(self, hash: &str) -> AppResult<KeptAnswer> {
        if self.request_hash.as_deref().is_some_and(|h| h != hash) {
            return Err(AppError::IdempotencyKeyReused(
                "Idempotency-Key was already used for a different request".to_owned(),
            ));
        }
        Ok(self)
    }
}

/// The answer kept under `key` of user `user_id`, if any.
pub async fn kept(app: &App, user_id: i64, key: &str) -> AppResult<Option<KeptAnswer>> {
    Ok(app
        .store
        .idempotent_answer(user_id, key)
        .await?
        .map(Into::into))
}

/// Keeps answer `status`/`body` to the request of fingerprint `hash` under `key`.
pub async fn keep(
    app: &App,
    user_id: i64,
    key: &str,
    status: u16,
    body: &str,
    hash: &str,
) -> AppResult<()> {
    Ok(app
        .store
        .save_idempotent_response(
            user_id,
            key,
            i64::from(status),
            body,
            app.now_ms(),
            Some(hash),
        )
        .await?)
}
