//! Who a supervision (督办) notice reaches (SPEC §3, issue 18): the post of its level (the
//! domain's [`supervision_post`]) resolved, when the notice is written and in its transaction,
//! to the active users holding it. A unit's head is a user with the `supervisor` role in that
//! unit (SPEC §1: supervisors are the centre and unit heads); a unit's handler a user with the
//! `unit_handler` role in it; the company level the company's supervisors. A post nobody holds
//! is stored with no person, so the board shows it vacant.

use rexian_domain::deadline::{supervision_post, SupervisionPost};
use sqlx::Row;

use crate::reports::Notice;
use crate::{Result, Store};

/// Staff read for one post at the most (a unit's or a company's).
const HOLDERS_MAX: i64 = 500;

/// Units above `unit` in its tree at the most (as the chain's depth counts them).
const CHAIN_MAX: usize = 16;

/// The units from `unit` up to its root, the unit first; `None` without a unit.
pub(crate) async fn unit_chain(
    c: &mut sqlx::AnyConnection,
    unit: Option<i64>,
) -> Result<Option<Vec<i64>>> {
    let Some(mut cur) = unit else {
        return Ok(None);
    };
    let mut chain = vec![cur];
    while chain.len() <= CHAIN_MAX {
        let parent: Option<Option<i64>> =
            sqlx::query_scalar("SELECT parent_id FROM units WHERE id = $1")
                .bind(cur)
                .fetch_optional(&mut *c)
                .await?;
        match parent.flatten() {
            Some(p) => {
                chain.push(p);
                cur = p;
            }
            None => break,
        }
    }
    Ok(Some(chain))
}

/// Active users of a unit (`by_unit`) or a company holding `role`.
async fn holders(
    c: &mut sqlx::AnyConnection,
    by_unit: bool,
    id: i64,
    role: &str,
) -> Result<Vec<i64>> {
    let q = if by_unit {
        "SELECT id, roles FROM users WHERE unit_id = $1 AND disabled = 0 ORDER BY id LIMIT $2"
    } else {
        "SELECT id, roles FROM users WHERE company_id = $1 AND disabled = 0 ORDER BY id LIMIT $2"
    };
    let rows = sqlx::query(q)
        .bind(id)
        .bind(HOLDERS_MAX)
        .fetch_all(&mut *c)
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let roles: String = r.try_get("roles")?;
        if crate::split_list(&roles).iter().any(|x| x == role) {
            out.push(r.try_get("id")?);
        }
    }
    Ok(out)
}

/// Writes who notice `notice_id` (of `order_id`, at `level`, on the limit of `unit`) reaches.
pub(crate) async fn address_notice(
    c: &mut sqlx::AnyConnection,
    notice_id: i64,
    order_id: i64,
    level: i64,
    unit: Option<i64>,
) -> Result<()> {
    let chain = unit_chain(c, unit).await?;
    let ancestors = chain
        .as_ref()
        .map(|v| u32::try_from(v.len().saturating_sub(1)).unwrap_or(u32::MAX));
    let post = supervision_post(u32::try_from(level.max(0)).unwrap_or(u32::MAX), ancestors);
    let r = sqlx::query(
        "SELECT o.company_id, o.first_responder_id, u.unit_id AS agent_unit FROM orders o \
         JOIN users u ON u.id = o.first_responder_id WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_one(&mut *c)
    .await?;
    let company: i64 = r.try_get("company_id")?;
    let agent: i64 = r.try_get("first_responder_id")?;
    let agent_unit: Option<i64> = r.try_get("agent_unit")?;
    let chain = chain.unwrap_or_default();
    let (post_unit, users) = match post {
        SupervisionPost::UnitHandler => match chain.first() {
            Some(u) => (Some(*u), holders(c, true, *u, "unit_handler").await?),
            None => (None, Vec::new()),
        },
        SupervisionPost::Head(n) => {
            let at = usize::try_from(n)
                .unwrap_or(usize::MAX)
                .min(chain.len().saturating_sub(1));
            match chain.get(at) {
                Some(u) => (Some(*u), holders(c, true, *u, "supervisor").await?),
                None => (None, Vec::new()),
            }
        }
        SupervisionPost::Agent => (agent_unit, vec![agent]),
        SupervisionPost::CentreSupervisor => match agent_unit {
            Some(u) => (Some(u), holders(c, true, u, "supervisor").await?),
            None => (None, holders(c, false, company, "supervisor").await?),
        },
        SupervisionPost::Company => (None, holders(c, false, company, "supervisor").await?),
    };
    let users: Vec<Option<i64>> = if users.is_empty() {
        vec![None]
    } else {
        users.into_iter().map(Some).collect()
    };
    for user in users {
        sqlx::query(
            "INSERT INTO supervision_addressees (notice_id, post, unit_id, user_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(notice_id)
        .bind(post.as_str())
        .bind(post_unit)
        .bind(user)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Who a notice reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    /// The notice.
    pub notice_id: i64,
    /// The post (`unit_handler`, `unit_head`, `division_head`, `agent`, `centre_supervisor`,
    /// `company`).
    pub post: String,
    /// The unit whose post it is.
    pub unit_id: Option<i64>,
    /// The person holding it; `None`: nobody holds it.
    pub user_id: Option<i64>,
    /// Their name.
    pub name: Option<String>,
}

impl Store {
    /// Who notices `ids` reach, by notice and then as written.
    pub async fn notice_addressees(&self, ids: &[i64]) -> Result<Vec<Addressee>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let q = format!(
            "SELECT a.notice_id, a.post, a.unit_id, a.user_id, u.name FROM supervision_addressees a \
             LEFT JOIN users u ON u.id = a.user_id WHERE a.notice_id IN ({}) ORDER BY a.notice_id, a.id",
            crate::search::placeholders(ids.len())
        );
        let mut query = sqlx::query(&q);
        for id in ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(Addressee {
                    notice_id: r.try_get("notice_id")?,
                    post: r.try_get("post")?,
                    unit_id: r.try_get("unit_id")?,
                    user_id: r.try_get("user_id")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    /// The notices addressed to user `user_id`, newest first (every level that reached them,
    /// not only an order's highest); optionally only unacknowledged ones.
    pub async fn notices_of_user(
        &self,
        user_id: i64,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<Notice>> {
        let rows = sqlx::query(
            "SELECT n.id, n.order_id, o.number, d.kind, n.level, n.unit_id, n.at, n.acknowledged_at, \
             n.reminders, n.reminded_at \
             FROM supervision_addressees a JOIN supervision_notices n ON n.id = a.notice_id \
             JOIN orders o ON o.id = n.order_id JOIN deadlines d ON d.id = n.deadline_id \
             WHERE a.user_id = $1 AND ($2 = 0 OR n.acknowledged_at IS NULL) \
             ORDER BY a.notice_id DESC LIMIT $3",
        )
        .bind(user_id)
        .bind(i64::from(open_only))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(crate::reports::notice_from).collect()
    }
}
