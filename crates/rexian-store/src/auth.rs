//! Login tokens (API bearer tokens and browser sessions), stored hashed, and login failures.

use crate::orders::IdempotentAnswer;
use sqlx::Row;

use crate::{audit, Result, Store, StoreError};

/// A live token with its user.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Token row id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// `api` or `web`.
    pub kind: String,
    /// CSRF secret of a browser session.
    pub csrf: Option<String>,
    /// Expiry, unix ms.
    pub expires_at: i64,
}

impl Store {
    /// Stores a new token by its hash.
    pub async fn create_token(
        &self,
        user_id: i64,
        token_hash: &str,
        kind: &str,
        csrf: Option<&str>,
        now: i64,
        expires_at: i64,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO auth_tokens (user_id, token_hash, kind, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user_id)
        .bind(token_hash)
        .bind(kind)
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let data = serde_json::json!({"kind": kind, "token_id": id});
        audit::record(&mut tx, "user", user_id, "login", Some(user_id), now, &data).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The live (unexpired, unrevoked) token with this hash and its user, in one query (every
    /// request asks this).
    pub async fn live_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(TokenRecord, crate::org::User)>> {
        Ok(self
            .live_token_keyed(token_hash, now, None)
            .await?
            .map(|(t, u, _)| (t, u)))
    }

    /// [`Store::live_token`], and with `key` the answer kept under that idempotency key of the
    /// token's user, in the same query (issue 22: one round trip in front of a keyed write).
    pub async fn live_token_keyed(
        &self,
        token_hash: &str,
        now: i64,
        key: Option<&str>,
    ) -> Result<Option<(TokenRecord, crate::org::User, Option<IdempotentAnswer>)>> {
        use std::sync::OnceLock;
        static Q: OnceLock<(String, String)> = OnceLock::new();
        let (plain, keyed) = Q.get_or_init(|| {
            let user_cols = crate::org::USER_COLS
                .split(',')
                .map(|c| format!("u.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ");
            let cols = format!(
                "t.id AS token_id, t.kind AS token_kind, t.csrf AS token_csrf, \
                 t.expires_at AS token_expires_at, {user_cols}"
            );
            let from = "FROM auth_tokens t JOIN users u ON u.id = t.user_id";
            let live = "t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2";
            (
                format!("SELECT {cols} {from} WHERE {live}"),
                format!(
                    "SELECT {cols}, k.status AS k_status, k.body AS k_body, \
                     k.request_hash AS k_hash {from} \
                     LEFT JOIN idempotency_keys k ON k.user_id = t.user_id AND k.key = $3 \
                     WHERE {live}"
                ),
            )
        });
        let q = match key {
            Some(k) => sqlx::query(keyed).bind(token_hash).bind(now).bind(k),
            None => sqlx::query(plain).bind(token_hash).bind(now),
        };
        let row = q.fetch_optional(self.pool()).await?;
        row.map(|r| {
            let user = crate::org::user_from(&r)?;
            let answer = match key {
                Some(_) => r
                    .try_get::<Option<i64>, _>("k_status")?
                    .map(|status| -> Result<IdempotentAnswer> {
                        Ok(IdempotentAnswer {
                            status,
                            body: r.try_get("k_body")?,
                            request_hash: r.try_get("k_hash")?,
                        })
                    })
                    .transpose()?,
                None => None,
            };
            Ok((
                TokenRecord {
                    id: r.try_get("token_id")?,
                    user_id: user.id,
                    kind: r.try_get("token_kind")?,
                    csrf: r.try_get("token_csrf")?,
                    expires_at: r.try_get("token_expires_at")?,
                },
                user,
                answer,
            ))
        })
        .transpose()
    }

    /// Revokes one token (logout).
    pub async fn revoke_token(&self, id: i64, user_id: i64, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let data = serde_json::json!({"token_id": id});
        audit::record(
            &mut tx,
            "user",
            user_id,
            "logout",
            Some(user_id),
            now,
            &data,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts a failed login of an existing user and records it. Locking is not done here: the
    /// server throttles per client address and login, so that nobody can lock another user out.
    pub async fn record_login_failure(
        &self,
        user_id: i64,
        now: i64,
        data: &serde_json::Value,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let n: i64 = sqlx::query_scalar(
            "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
        )
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        let mut data = data.clone();
        data["failures"] = n.into();
        audit::record(&mut tx, "user", user_id, "login_failed", None, now, &data).await?;
        tx.commit().await?;
        Ok(n)
    }
}
