//! The customer register and survey campaigns.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Result, Store, StoreError};

/// A customer (热用户/客户) of the register.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customer {
    /// Row id (0 before insert).
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Account number (户号), unique per company.
    pub account_no: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// District (区).
    pub district: Option<String>,
    /// Community (小区).
    pub community: Option<String>,
    /// Building (楼).
    pub building: Option<String>,
    /// Unit (单元).
    pub unit_no: Option<String>,
    /// Room (室).
    pub room: Option<String>,
    /// Heat station or feeder.
    pub station: Option<String>,
    /// Residential household.
    pub residential: bool,
    /// ID number (身份证号), normalised; shown only masked.
    pub id_number: Option<String>,
}

pub(crate) const COLS: &str = "id, company_id, account_no, name, phone, district, community, building, unit_no, room, station, residential, id_number";

pub(crate) fn customer_from(r: &AnyRow) -> Result<Customer> {
    Ok(Customer {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        account_no: r.try_get("account_no")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        district: r.try_get("district")?,
        community: r.try_get("community")?,
        building: r.try_get("building")?,
        unit_no: r.try_get("unit_no")?,
        room: r.try_get("room")?,
        station: r.try_get("station")?,
        residential: r.try_get::<i64, _>("residential")? != 0,
        id_number: r.try_get("id_number")?,
    })
}

/// A survey campaign.
#[derive(Debug, Clone)]
pub struct Survey {
    /// Row id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// Month, `YYYY-MM`.
    pub month: String,
    /// Title.
    pub title: String,
    /// Sample size per thousand households.
    pub per_mille: f64,
    /// Residential share of the sample.
    pub residential_share: f64,
    /// Seed of the draw.
    pub seed: i64,
    /// Households in the register when drawn.
    pub population: i64,
}

/// One sampled household with its answer.
#[derive(Debug, Clone)]
pub struct SampleRow {
    /// The customer.
    pub customer: Customer,
    /// Satisfaction given.
    pub satisfaction: Option<String>,
    /// Answers (JSON text).
    pub answers: Option<String>,
}

impl Store {
    /// Inserts customers in one transaction: all or nothing. `progress` is told how many rows
    /// are done after each batch.
    pub async fn import_customers(
        &self,
        rows: &[Customer],
        at: i64,
        mut progress: impl FnMut(usize),
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        for (i, c) in rows.iter().enumerate() {
            let id = sqlx::query(
                "INSERT INTO customers (company_id, account_no, name, phone, district, community, building, unit_no, \
                 room, station, residential, created_at, id_number) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 RETURNING id",
            )
            .bind(c.company_id)
            .bind(&c.account_no)
            .bind(&c.name)
            .bind(&c.phone)
            .bind(&c.district)
            .bind(&c.community)
            .bind(&c.building)
            .bind(&c.unit_no)
            .bind(&c.room)
            .bind(&c.station)
            .bind(i64::from(c.residential))
            .bind(at)
            .bind(&c.id_number)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = id.try_get(0)?;
            crate::search::outbox(&mut crate::db::Db::Any(&mut tx), "customer", id, at).await?;
            if (i + 1) % 500 == 0 {
                progress(i + 1);
            }
        }
        tx.commit().await?;
        progress(rows.len());
        Ok(rows.len())
    }

    /// Account numbers of a company already in the register.
    pub async fn account_numbers(&self, company_id: i64) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT account_no FROM customers WHERE company_id = $1")
                .bind(company_id)
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// The newest customer of a company with this exact account number.
    pub async fn customer_by_account(&self, company_id: i64, account_no: &str) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT id FROM customers WHERE company_id = $1 AND account_no = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(company_id)
        .bind(account_no)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// One customer.
    pub async fn customer(&self, id: i64) -> Result<Customer> {
        let q = format!("SELECT {COLS} FROM customers WHERE id = $1");
        let r = sqlx::query(&q).bind(id).fetch_optional(self.pool()).await?;
        customer_from(&r.ok_or(StoreError::NotFound)?)
    }

    /// Customers of a company matching a phone prefix, account number prefix, name or address text.
    pub async fn find_customers(
        &self,
        company_id: Option<i64>,
        q: &str,
        limit: i64,
    ) -> Result<Vec<Customer>> {
        let sql = format!(
            "SELECT {COLS} FROM customers WHERE ($1 IS NULL OR company_id = $1) AND (phone LIKE $2 ESCAPE '\\' \
             OR account_no LIKE $2 ESCAPE '\\' OR name LIKE $3 ESCAPE '\\' OR community LIKE $3 ESCAPE '\\' \
             OR building LIKE $3 ESCAPE '\\') ORDER BY id LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(company_id)
            .bind(crate::like_pattern(q, false))
            .bind(crate::like_pattern(q, true))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(customer_from).collect()
    }

    /// Every household of a company: (id, community or station, residential).
    pub async fn households(&self, company_id: i64) -> Result<Vec<(i64, String, bool)>> {
        let rows = sqlx::query(
            "SELECT id, COALESCE(community, station, '') AS stratum, residential FROM customers WHERE company_id = $1 ORDER BY id",
        )
        .bind(company_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("stratum")?,
                    r.try_get::<i64, _>("residential")? != 0,
                ))
            })
            .collect()
    }

    /// Stores a survey and its sample in one transaction; returns its id.
    pub async fn create_survey(&self, s: &Survey, sample: &[i64], by: i64, at: i64) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO surveys (company_id, month, title, per_mille, residential_share, seed, population, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(s.company_id)
        .bind(&s.month)
        .bind(&s.title)
        .bind(s.per_mille)
        .bind(s.residential_share)
        .bind(s.seed)
        .bind(s.population)
        .bind(by)
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        for c in sample {
            sqlx::query("INSERT INTO survey_samples (survey_id, customer_id) VALUES ($1, $2)")
                .bind(id)
                .bind(c)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// A survey.
    pub async fn survey(&self, id: i64) -> Result<Survey> {
        let r = sqlx::query(
            "SELECT id, company_id, month, title, per_mille, residential_share, seed, population FROM surveys WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(Survey {
            id: r.try_get("id")?,
            company_id: r.try_get("company_id")?,
            month: r.try_get("month")?,
            title: r.try_get("title")?,
            per_mille: r.try_get("per_mille")?,
            residential_share: r.try_get("residential_share")?,
            seed: r.try_get("seed")?,
            population: r.try_get("population")?,
        })
    }

    /// The sample of a survey with answers.
    pub async fn survey_samples(&self, id: i64) -> Result<Vec<SampleRow>> {
        let cols = COLS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let q = format!(
            "SELECT {cols}, s.satisfaction, s.answers FROM survey_samples s JOIN customers c ON c.id = s.customer_id \
             WHERE s.survey_id = $1 ORDER BY c.id"
        );
        let rows = sqlx::query(&q).bind(id).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(SampleRow {
                    customer: customer_from(r)?,
                    satisfaction: r.try_get("satisfaction")?,
                    answers: r.try_get("answers")?,
                })
            })
            .collect()
    }

    /// Records a sampled household's answer; `NotFound` when it is not in the sample.
    pub async fn answer_survey(
        &self,
        survey_id: i64,
        customer_id: i64,
        satisfaction: &str,
        answers: &str,
        by: i64,
        at: i64,
    ) -> Result<()> {
        let _w = self.write_guard().await;
        let n = sqlx::query(
            "UPDATE survey_samples SET satisfaction = $1, answers = $2, answered_by = $3, answered_at = $4 \
             WHERE survey_id = $5 AND customer_id = $6",
        )
        .bind(satisfaction)
        .bind(answers)
        .bind(by)
        .bind(at)
        .bind(survey_id)
        .bind(customer_id)
        .execute(self.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Records an identity check of a caller against customer `customer_id` by `user_id`: its
    /// event (`identity_verified` or `identity_check_failed` with `data`) and, when it
    /// succeeded, the verification (`matched` fields), in one transaction.
    pub async fn record_identity_check(
        &self,
        customer_id: i64,
        user_id: i64,
        verified: Option<&str>,
        at: i64,
        data: &serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if let Some(matched) = verified {
            sqlx::query("INSERT INTO customer_verifications (customer_id, user_id, matched, at) VALUES ($1, $2, $3, $4)")
                .bind(customer_id)
                .bind(user_id)
                .bind(matched)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        let kind = if verified.is_some() {
            "identity_verified"
        } else {
            "identity_check_failed"
        };
        crate::audit::record(
            &mut tx,
            "customer",
            customer_id,
            kind,
            Some(user_id),
            at,
            data,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Of `customer_ids`, those `user_id` verified at or after `since`.
    pub async fn verified_customers(
        &self,
        user_id: i64,
        customer_ids: &[i64],
        since: i64,
    ) -> Result<Vec<i64>> {
        if customer_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = customer_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        Ok(sqlx::query_scalar(&format!(
            "SELECT DISTINCT customer_id FROM customer_verifications WHERE user_id = $1 AND at >= $2 \
             AND customer_id IN ({list})"
        ))
        .bind(user_id)
        .bind(since)
        .fetch_all(self.pool())
        .await?)
    }
}
