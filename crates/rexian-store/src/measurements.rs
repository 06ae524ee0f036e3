//! The neighbours of a temperature-measurement customer (`000:五.6` 对该用户周边用户达标情况进行
//! 抽查): households of the register in the same community and building, a bounded page.

use sqlx::Row;

use crate::{Result, Store};

/// A neighbouring household of the register: where it is, no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    /// Customer id.
    pub id: i64,
    /// Account number (户号).
    pub account_no: String,
    /// Community (小区).
    pub community: Option<String>,
    /// Building (楼).
    pub building: Option<String>,
    /// Unit (单元).
    pub unit_no: Option<String>,
    /// Room (室).
    pub room: Option<String>,
}

const COLS: &str = "id, account_no, community, building, unit_no, room";

fn neighbour(r: &sqlx::any::AnyRow) -> Result<Neighbour> {
    Ok(Neighbour {
        id: r.try_get("id")?,
        account_no: r.try_get("account_no")?,
        community: r.try_get("community")?,
        building: r.try_get("building")?,
        unit_no: r.try_get("unit_no")?,
        room: r.try_get("room")?,
    })
}

impl Store {
    /// At most `limit` households of `company_id` near the customer with `account_no` (same
    /// community and, when the register has one, building; the customer excluded), or when the
    /// register does not know the account, of `community`. Ordered by building, unit, room.
    pub async fn neighbours(
        &self,
        company_id: i64,
        account_no: Option<&str>,
        community: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Neighbour>> {
        let own = match account_no {
            Some(a) => sqlx::query(
                "SELECT id, community, building FROM customers WHERE company_id = $1 AND account_no = $2",
            )
            .bind(company_id)
            .bind(a)
            .fetch_optional(self.pool())
            .await?
            .map(|r| -> Result<(i64, Option<String>, Option<String>)> {
                Ok((r.try_get("id")?, r.try_get("community")?, r.try_get("building")?))
            })
            .transpose()?,
            None => None,
        };
        let (own_id, community, building) = match own {
            Some((id, c, b)) => (id, c, b),
            None => (0, community.map(str::to_owned), None),
        };
        let Some(community) = community else {
            return Ok(Vec::new());
        };
        let rows = match building {
            Some(b) => {
                let q = format!(
                    "SELECT {COLS} FROM customers WHERE company_id = $1 AND community = $2 \
                     AND building = $3 AND id <> $4 ORDER BY unit_no, room, id LIMIT $5"
                );
                sqlx::query(&q)
                    .bind(company_id)
                    .bind(&community)
                    .bind(b)
                    .bind(own_id)
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                let q = format!(
                    "SELECT {COLS} FROM customers WHERE company_id = $1 AND community = $2 \
                     AND id <> $3 ORDER BY building, unit_no, room, id LIMIT $4"
                );
                sqlx::query(&q)
                    .bind(company_id)
                    .bind(&community)
                    .bind(own_id)
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(neighbour).collect()
    }
}
