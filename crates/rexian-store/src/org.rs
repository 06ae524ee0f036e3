//! Companies, units and staff.

use sqlx::Row;
use std::collections::HashMap;

use crate::{audit, join_list, split_list, Result, Store, StoreError};

/// A utility company with its policy preset.
#[derive(Debug, Clone)]
pub struct Company {
    /// Row id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// `heat`, `power`, `gas` or `water`.
    pub utility: String,
    /// Policy preset name.
    pub policy: String,
    /// The company's override of its preset (TOML), if any.
    pub policy_override: Option<String>,
    /// Prefix of order numbers.
    pub number_prefix: String,
    /// Offset of the company's zone from UTC, minutes (Asia/Shanghai = 480).
    pub tz_offset_minutes: i64,
    /// Heating season start (YYYY-MM-DD).
    pub season_start: Option<String>,
    /// Heating season end (YYYY-MM-DD).
    pub season_end: Option<String>,
    /// Creation time, unix ms.
    pub created_at: i64,
}

impl Company {
    /// The company's policy: its preset with its override merged over it.
    pub fn policy(
        &self,
    ) -> std::result::Result<rexian_domain::policy::Policy, rexian_domain::policy::PolicyError>
    {
        // Parsing TOML on every request showed in the profile: keep what was parsed, keyed
        // by its source (a changed override is a new key).
        type Key = (String, Option<String>);
        static PARSED: std::sync::Mutex<Option<HashMap<Key, rexian_domain::policy::Policy>>> =
            std::sync::Mutex::new(None);
        let key = (self.policy.clone(), self.policy_override.clone());
        if let Some(p) = PARSED
            .lock()
            .ok()
            .and_then(|m| m.as_ref().and_then(|m| m.get(&key).cloned()))
        {
            return Ok(p);
        }
        let p = self.parse_policy()?;
        if let Ok(mut m) = PARSED.lock() {
            let m = m.get_or_insert_with(HashMap::new);
            if m.len() > 256 {
                m.clear();
            }
            m.insert(key, p.clone());
        }
        Ok(p)
    }

    fn parse_policy(
        &self,
    ) -> std::result::Result<rexian_domain::policy::Policy, rexian_domain::policy::PolicyError>
    {
        let base = rexian_domain::policy::Policy::preset(&self.policy).ok_or_else(|| {
            rexian_domain::policy::PolicyError {
                policy: self.policy.clone(),
                line: None,
                reason: format!(
                    "company {} names unknown policy preset {}",
                    self.id, self.policy
                ),
            }
        })?;
        // Tolerant: an override saved by an older release may hold a key this one refuses
        // (a setting nothing reads); it is left out rather than failing every request.
        match &self.policy_override {
            Some(o) => base.with_stored_overrides(o).map(|(p, _)| p),
            None => Ok(base),
        }
    }

    /// The company's zone as an offset from UTC.
    pub fn offset(&self) -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt((self.tz_offset_minutes * 60) as i32)
            .unwrap_or_else(|| chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset"))
    }
}

/// Fields of a new company.
#[derive(Debug, Clone)]
pub struct NewCompany {
    /// Display name.
    pub name: String,
    /// Utility kind.
    pub utility: String,
    /// Policy preset name.
    pub policy: String,
    /// Prefix of order numbers.
    pub number_prefix: String,
}

/// A unit in a company's tree.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Row id.
    pub id: i64,
    /// Owning company.
    pub company_id: i64,
    /// Parent unit, none at the top.
    pub parent_id: Option<i64>,
    /// Display name.
    pub name: String,
    /// Kind (division, station, repair_team…).
    pub kind: String,
    /// Area class (urban, rural, remote); none: the company policy's.
    pub area: Option<String>,
}

/// A staff account.
#[derive(Debug, Clone)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Company the user works for (none for a group-wide admin).
    pub company_id: Option<i64>,
    /// Unit the user belongs to.
    pub unit_id: Option<i64>,
    /// Staff number (工号).
    pub staff_no: Option<String>,
    /// A/B partner covering this user's post.
    pub partner_id: Option<i64>,
    /// Locked out by an admin.
    pub disabled: bool,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// Locked until this time (unix ms) after repeated failures.
    pub locked_until: Option<i64>,
}

/// Fields of a new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Company.
    pub company_id: Option<i64>,
    /// Unit.
    pub unit_id: Option<i64>,
    /// Staff number.
    pub staff_no: Option<String>,
}

const COMPANY_COLS: &str = "id, name, utility, policy, policy_override, number_prefix, \
    tz_offset_minutes, season_start, season_end, created_at";
pub(crate) const USER_COLS: &str =
    "id, login, name, password_hash, roles, company_id, unit_id, staff_no, \
    partner_id, disabled, failed_logins, locked_until";

fn company_from(r: &sqlx::any::AnyRow) -> Result<Company> {
    Ok(Company {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        utility: r.try_get("utility")?,
        policy: r.try_get("policy")?,
        policy_override: r.try_get("policy_override")?,
        number_prefix: r.try_get("number_prefix")?,
        tz_offset_minutes: r.try_get("tz_offset_minutes")?,
        season_start: r.try_get("season_start")?,
        season_end: r.try_get("season_end")?,
        created_at: r.try_get("created_at")?,
    })
}

fn unit_from(r: &sqlx::any::AnyRow) -> Result<Unit> {
    Ok(Unit {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        parent_id: r.try_get("parent_id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        area: r.try_get("area")?,
    })
}

pub(crate) fn user_from(r: &sqlx::any::AnyRow) -> Result<User> {
    let roles: String = r.try_get("roles")?;
    Ok(User {
        id: r.try_get("id")?,
        login: r.try_get("login")?,
        name: r.try_get("name")?,
        password_hash: r.try_get("password_hash")?,
        roles: split_list(&roles),
        company_id: r.try_get("company_id")?,
        unit_id: r.try_get("unit_id")?,
        staff_no: r.try_get("staff_no")?,
        partner_id: r.try_get("partner_id")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get("locked_until")?,
    })
}

impl Store {
    /// Creates a company and records the event.
    pub async fn create_company(
        &self,
        c: &NewCompany,
        actor: Option<i64>,
        now: i64,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO companies (name, utility, policy, number_prefix, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&c.name)
        .bind(&c.utility)
        .bind(&c.policy)
        .bind(&c.number_prefix)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let data = serde_json::json!({"name": c.name, "utility": c.utility, "policy": c.policy});
        audit::record(&mut tx, "company", id, "created", actor, now, &data).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One company.
    /// On PostgreSQL from memory when it has not changed (see [`crate::cache`]).
    pub async fn company(&self, id: i64) -> Result<Company> {
        if let Some(c) = self.companies.get(id) {
            return Ok(c);
        }
        let seen = self.companies.generation();
        let q = format!("SELECT {COMPANY_COLS} FROM companies WHERE id = $1");
        let row = sqlx::query(&q).bind(id).fetch_optional(self.pool()).await?;
        let c = company_from(&row.ok_or(StoreError::NotFound)?)?;
        self.companies.fill(seen, &c);
        Ok(c)
    }

    /// Every company, by id.
    pub async fn companies(&self) -> Result<Vec<Company>> {
        let q = format!("SELECT {COMPANY_COLS} FROM companies ORDER BY id");
        let rows = sqlx::query(&q).fetch_all(self.pool()).await?;
        rows.iter().map(company_from).collect()
    }

    /// Sets a company's heating season.
    pub async fn set_season(
        &self,
        id: i64,
        start: &str,
        end: &str,
        actor: Option<i64>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n =
            sqlx::query("UPDATE companies SET season_start = $1, season_end = $2 WHERE id = $3")
                .bind(start)
                .bind(end)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let data = serde_json::json!({"start": start, "end": end});
        audit::record(&mut tx, "company", id, "season_set", actor, now, &data).await?;
        tx.commit().await?;
        self.companies.drop_row(Some(id));
        Ok(())
    }

    /// Sets or clears a company's policy override (already validated by the caller).
    pub async fn set_policy_override(
        &self,
        id: i64,
        policy_override: Option<&str>,
        actor: Option<i64>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE companies SET policy_override = $1 WHERE id = $2")
            .bind(policy_override)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let data = serde_json::json!({"policy_override": policy_override});
        audit::record(
            &mut tx,
            "company",
            id,
            "policy_overridden",
            actor,
            now,
            &data,
        )
        .await?;
        tx.commit().await?;
        self.companies.drop_row(Some(id));
        Ok(())
    }

    /// Creates a unit (`area`: its area class, when it has its own).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_unit(
        &self,
        company_id: i64,
        parent_id: Option<i64>,
        name: &str,
        kind: &str,
        area: Option<&str>,
        actor: Option<i64>,
        now: i64,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO units (company_id, parent_id, name, kind, area, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(company_id)
        .bind(parent_id)
        .bind(name)
        .bind(kind)
        .bind(area)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let data = serde_json::json!({"company_id": company_id, "parent_id": parent_id,
            "name": name, "kind": kind, "area": area});
        audit::record(&mut tx, "unit", id, "created", actor, now, &data).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Sets a unit's area class (none: the company policy's), with its event.
    pub async fn set_unit_area(
        &self,
        id: i64,
        area: Option<&str>,
        actor: Option<i64>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let before: Option<Option<String>> =
            sqlx::query_scalar("SELECT area FROM units WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let before = before.ok_or(StoreError::NotFound)?;
        if before.as_deref() == area {
            return Ok(());
        }
        sqlx::query("UPDATE units SET area = $1 WHERE id = $2")
            .bind(area)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let data = serde_json::json!({"from": before, "to": area});
        audit::record(&mut tx, "unit", id, "area_changed", actor, now, &data).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One unit.
    pub async fn unit(&self, id: i64) -> Result<Unit> {
        let row = sqlx::query(
            "SELECT id, company_id, parent_id, name, kind, area FROM units WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        unit_from(&row.ok_or(StoreError::NotFound)?)
    }

    /// The units of a company (or of every company), by id.
    pub async fn units(&self, company_id: Option<i64>) -> Result<Vec<Unit>> {
        let rows = sqlx::query(
            "SELECT id, company_id, parent_id, name, kind, area FROM units \
             WHERE ($1 IS NULL OR company_id = $1) ORDER BY id",
        )
        .bind(company_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(unit_from).collect()
    }

    /// Creates a user.
    pub async fn create_user(&self, u: &NewUser, actor: Option<i64>, now: i64) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (login, name, password_hash, roles, company_id, unit_id, staff_no, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&u.login)
        .bind(&u.name)
        .bind(&u.password_hash)
        .bind(join_list(&u.roles))
        .bind(u.company_id)
        .bind(u.unit_id)
        .bind(&u.staff_no)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let data = serde_json::json!({"login": u.login, "name": u.name, "roles": u.roles,
            "company_id": u.company_id, "unit_id": u.unit_id, "staff_no": u.staff_no});
        audit::record(&mut tx, "user", id, "created", actor, now, &data).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One user by id.
    pub async fn user(&self, id: i64) -> Result<User> {
        let q = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        let row = sqlx::query(&q).bind(id).fetch_optional(self.pool()).await?;
        user_from(&row.ok_or(StoreError::NotFound)?)
    }

    /// One user by login name.
    pub async fn user_by_login(&self, login: &str) -> Result<User> {
        let q = format!("SELECT {USER_COLS} FROM users WHERE login = $1");
        let row = sqlx::query(&q)
            .bind(login)
            .fetch_optional(self.pool())
            .await?;
        user_from(&row.ok_or(StoreError::NotFound)?)
    }

    /// Every user, optionally of one company, by id.
    pub async fn users(&self, company_id: Option<i64>) -> Result<Vec<User>> {
        let q = format!(
            "SELECT {USER_COLS} FROM users WHERE ($1 IS NULL OR company_id = $1) ORDER BY id"
        );
        let rows = sqlx::query(&q)
            .bind(company_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from).collect()
    }

    /// Number of users.
    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(self.pool())
            .await?)
    }

    /// Disables or re-enables a user; disabling revokes every token of theirs.
    pub async fn set_user_disabled(
        &self,
        id: i64,
        disabled: bool,
        actor: Option<i64>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        if disabled {
            sqlx::query(
                "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let kind = if disabled { "disabled" } else { "enabled" };
        audit::record(
            &mut tx,
            "user",
            id,
            kind,
            actor,
            now,
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the A/B partner of a user's post (both directions).
    pub async fn set_partner(
        &self,
        id: i64,
        partner_id: Option<i64>,
        actor: Option<i64>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Clear old pairings of either side, then pair both ways.
        sqlx::query("UPDATE users SET partner_id = NULL WHERE partner_id = $1 OR id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if let Some(p) = partner_id {
            sqlx::query("UPDATE users SET partner_id = NULL WHERE partner_id = $1 OR id = $1")
                .bind(p)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("UPDATE users SET partner_id = $1 WHERE id = $2")
                .bind(p)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let m = sqlx::query("UPDATE users SET partner_id = $1 WHERE id = $2")
                .bind(id)
                .bind(p)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 || m == 0 {
                return Err(StoreError::NotFound);
            }
        }
        let data = serde_json::json!({"partner_id": partner_id});
        audit::record(&mut tx, "user", id, "partner_set", actor, now, &data).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a user's password hash, clears any lockout and ends every session and token of
    /// the user (whoever knew the old password is signed out).
    pub async fn set_password(
        &self,
        id: i64,
        hash: &str,
        actor: Option<i64>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2",
        )
        .bind(hash)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let revoked = sqlx::query(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let data = serde_json::json!({"tokens_revoked": revoked});
        audit::record(&mut tx, "user", id, "password_set", actor, now, &data).await?;
        tx.commit().await?;
        Ok(())
    }
}
