//! The customer portal's storage: its service user per company, signed links (hashes only),
//! phone verification codes (salted hashes), and the messages waiting for a sender.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit;
use crate::{Result, Store, StoreError};

/// A link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalLink {
    /// Id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// The order it answers.
    pub order_id: i64,
    /// `callback`.
    pub purpose: String,
    /// Expires at (ms).
    pub expires_at: i64,
    /// Answered at (ms).
    pub used_at: Option<i64>,
}

/// A new link with the message that carries it to the customer.
#[derive(Debug, Clone)]
pub struct NewLink {
    /// Company.
    pub company_id: i64,
    /// Order.
    pub order_id: i64,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// `callback`.
    pub purpose: String,
    /// Who made it.
    pub created_by: i64,
    /// When.
    pub created_at: i64,
    /// Until.
    pub expires_at: i64,
    /// The message to send (none when the order has no phone).
    pub message: Option<NewMessage>,
}

/// A message for the notifier's outbox.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Company.
    pub company_id: i64,
    /// To.
    pub phone: String,
    /// Template (`portal_code`, `portal_link`).
    pub template: String,
    /// Its parameters, JSON.
    pub params: serde_json::Value,
    /// The order it is about.
    pub order_id: Option<i64>,
    /// When written.
    pub created_at: i64,
}

/// A message waiting or sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Id.
    pub id: i64,
    /// To.
    pub phone: String,
    /// Template.
    pub template: String,
    /// Parameters.
    pub params: serde_json::Value,
    /// The order.
    pub order_id: Option<i64>,
    /// Written.
    pub created_at: i64,
}

/// A verification code as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalCode {
    /// Id.
    pub id: i64,
    /// SHA-256 of salt and code.
    pub code_hash: String,
    /// Salt.
    pub salt: String,
    /// Until.
    pub expires_at: i64,
    /// Wrong entries so far.
    pub attempts: i64,
    /// Used.
    pub used_at: Option<i64>,
}

/// A new verification code.
#[derive(Debug, Clone)]
pub struct NewCode {
    /// Company.
    pub company_id: i64,
    /// To.
    pub phone: String,
    /// SHA-256 of salt and code, hex.
    pub code_hash: String,
    /// Salt.
    pub salt: String,
    /// Issued at.
    pub created_at: i64,
    /// Until.
    pub expires_at: i64,
}

/// The fields of an order tracking reads: the same one query whether or not the phone matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// Order id.
    pub id: i64,
    /// The customer's phone.
    pub phone: Option<String>,
}

async fn insert_message(tx: &mut crate::WriteTx, m: &NewMessage) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO portal_messages (company_id, phone, template, params, order_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(m.company_id)
    .bind(&m.phone)
    .bind(&m.template)
    .bind(m.params.to_string())
    .bind(m.order_id)
    .bind(m.created_at)
    .fetch_one(&mut **tx)
    .await?)
}

fn message_from(r: &AnyRow) -> Result<Message> {
    let params: String = r.try_get("params")?;
    Ok(Message {
        id: r.try_get("id")?,
        phone: r.try_get("phone")?,
        template: r.try_get("template")?,
        params: serde_json::from_str(&params).unwrap_or_default(),
        order_id: r.try_get("order_id")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// The id of the portal's service user `login` of `company` (disabled: nobody signs in as
    /// it), created with `hash` on first use.
    pub async fn portal_user(
        &self,
        company: i64,
        login: &str,
        name: &str,
        hash: &str,
        now: i64,
    ) -> Result<i64> {
        let q = "SELECT id FROM users WHERE login = $1";
        if let Some(id) = sqlx::query_scalar::<_, i64>(q)
            .bind(login)
            .fetch_optional(self.pool())
            .await?
        {
            return Ok(id);
        }
        let mut tx = self.begin_write().await?;
        let made: Result<i64> = sqlx::query_scalar(
            "INSERT INTO users (login, name, password_hash, roles, company_id, disabled, \
             created_at) VALUES ($1, $2, $3, '', $4, 1, $5) RETURNING id",
        )
        .bind(login)
        .bind(name)
        .bind(hash)
        .bind(company)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(Into::into);
        match made {
            Ok(id) => {
                let data = serde_json::json!({"login": login, "service": "portal"});
                audit::record(&mut tx, "user", id, "created", None, now, &data).await?;
                tx.commit().await?;
                Ok(id)
            }
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                Ok(sqlx::query_scalar::<_, i64>(q)
                    .bind(login)
                    .fetch_one(self.pool())
                    .await?)
            }
            Err(e) => Err(e),
        }
    }

    /// The order numbered `number` (any company) with its customer's phone.
    pub async fn tracked(&self, number: &str) -> Result<Option<Tracked>> {
        let r = sqlx::query("SELECT id, customer_phone FROM orders WHERE number = $1 LIMIT 1")
            .bind(number)
            .fetch_optional(self.pool())
            .await?;
        r.map(|r| {
            Ok(Tracked {
                id: r.try_get("id")?,
                phone: r.try_get("customer_phone")?,
            })
        })
        .transpose()
    }

    /// Stores a link and its message in one transaction; returns the link's id.
    pub async fn create_portal_link(&self, l: &NewLink) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO portal_links (company_id, order_id, token_hash, purpose, created_by, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(l.company_id)
        .bind(l.order_id)
        .bind(&l.token_hash)
        .bind(&l.purpose)
        .bind(l.created_by)
        .bind(l.created_at)
        .bind(l.expires_at)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(m) = &l.message {
            insert_message(&mut tx, m).await?;
        }
        let data = serde_json::json!({"order_id": l.order_id.to_string(), "purpose": l.purpose,
            "expires_at": l.expires_at});
        audit::record(
            &mut tx,
            "portal_link",
            id,
            "created",
            Some(l.created_by),
            l.created_at,
            &data,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The link whose token hashes to `hash`.
    pub async fn portal_link(&self, hash: &str) -> Result<Option<PortalLink>> {
        let r = sqlx::query(
            "SELECT id, company_id, order_id, purpose, expires_at, used_at FROM portal_links \
             WHERE token_hash = $1",
        )
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        r.map(|r| {
            Ok(PortalLink {
                id: r.try_get("id")?,
                company_id: r.try_get("company_id")?,
                order_id: r.try_get("order_id")?,
                purpose: r.try_get("purpose")?,
                expires_at: r.try_get("expires_at")?,
                used_at: r.try_get("used_at")?,
            })
        })
        .transpose()
    }

    /// Claims link `id` at `now` if nobody used it and it is unexpired; false otherwise (the one
    /// claim of a single-use link).
    pub async fn claim_portal_link(&self, id: i64, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE portal_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL \
             AND expires_at > $1",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            let data = serde_json::json!({});
            audit::record(&mut tx, "portal_link", id, "used", None, now, &data).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Gives a claimed link back (its answer could not be recorded), with an audit event.
    pub async fn release_portal_link(&self, id: i64, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE portal_links SET used_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let data = serde_json::json!({});
        audit::record(&mut tx, "portal_link", id, "released", None, now, &data).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a code with its message; returns the code's id.
    pub async fn create_portal_code(&self, c: &NewCode, message: &NewMessage) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO portal_codes (company_id, phone, code_hash, salt, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(c.company_id)
        .bind(&c.phone)
        .bind(&c.code_hash)
        .bind(&c.salt)
        .bind(c.created_at)
        .bind(c.expires_at)
        .fetch_one(&mut *tx)
        .await?;
        insert_message(&mut tx, message).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The newest code issued to `phone` of `company`.
    pub async fn latest_portal_code(
        &self,
        company: i64,
        phone: &str,
    ) -> Result<Option<PortalCode>> {
        let r = sqlx::query(
            "SELECT id, code_hash, salt, expires_at, attempts, used_at FROM portal_codes \
             WHERE company_id = $1 AND phone = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(company)
        .bind(phone)
        .fetch_optional(self.pool())
        .await?;
        r.map(|r| {
            Ok(PortalCode {
                id: r.try_get("id")?,
                code_hash: r.try_get("code_hash")?,
                salt: r.try_get("salt")?,
                expires_at: r.try_get("expires_at")?,
                attempts: r.try_get("attempts")?,
                used_at: r.try_get("used_at")?,
            })
        })
        .transpose()
    }

    /// Counts a wrong entry of code `id`, or (`used`) marks it used, unless used before; true
    /// when this call changed it.
    pub async fn mark_portal_code(&self, id: i64, used: bool, now: i64) -> Result<bool> {
        let _g = self.write_guard().await;
        let q = if used {
            "UPDATE portal_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL"
        } else {
            "UPDATE portal_codes SET attempts = attempts + 1 WHERE id = $1 AND used_at IS NULL \
             AND $2 > 0"
        };
        let n = sqlx::query(q)
            .bind(id)
            .bind(now)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// The newest messages to `phone` of `company`, newest first (at most `limit`).
    pub async fn portal_messages(
        &self,
        company: i64,
        phone: &str,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let rows = sqlx::query(
            "SELECT id, phone, template, params, order_id, created_at FROM portal_messages \
             WHERE company_id = $1 AND phone = $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(company)
        .bind(phone)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(message_from).collect()
    }
}
