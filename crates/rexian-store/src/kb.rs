//! Knowledge base: articles, their versions (every edit a new row) and their events.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::search::outbox;
use crate::{Result, Store, StoreError};

/// An article's identity.
#[derive(Debug, Clone)]
pub struct ArticleRow {
    /// Row id.
    pub id: i64,
    /// Company, or `None` for every company.
    pub company_id: Option<i64>,
    /// Stable key of seeded articles.
    pub slug: Option<String>,
    /// Who created it.
    pub created_by: Option<i64>,
    /// When, unix ms.
    pub created_at: i64,
}

/// One version of an article.
#[derive(Debug, Clone)]
pub struct VersionRow {
    /// Article.
    pub article_id: i64,
    /// Version number, 1 first.
    pub version: i64,
    /// Category name.
    pub category: String,
    /// Title.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Tags, comma-separated.
    pub tags: String,
    /// State name.
    pub state: String,
    /// Author.
    pub author_id: Option<i64>,
    /// Written at, unix ms.
    pub created_at: i64,
    /// Who published or rejected it.
    pub reviewer_id: Option<i64>,
    /// Last state change, unix ms.
    pub state_at: i64,
}

/// An event of an article.
#[derive(Debug, Clone)]
pub struct KbEventRow {
    /// Version it concerns.
    pub version: i64,
    /// Event type.
    pub kind: String,
    /// Who.
    pub actor_id: Option<i64>,
    /// When, unix ms.
    pub at: i64,
    /// Comment or reason.
    pub comment: Option<String>,
}

/// The content of a new version.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// Category name.
    pub category: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Tags, comma-separated.
    pub tags: String,
}

/// A state change of a version.
#[derive(Debug, Clone)]
pub struct VersionChange {
    /// Article.
    pub article_id: i64,
    /// Version.
    pub version: i64,
    /// State it must be in.
    pub from: String,
    /// State it goes to.
    pub to: String,
    /// Event type.
    pub event: String,
    /// Who.
    pub actor_id: i64,
    /// Reason or comment.
    pub comment: Option<String>,
    /// When, unix ms.
    pub at: i64,
}

const VCOLS: &str = "article_id, version, category, title, body, tags, state, author_id, created_at, reviewer_id, state_at";

pub(crate) fn version_from(r: &AnyRow) -> Result<VersionRow> {
    Ok(VersionRow {
        article_id: r.try_get("article_id")?,
        version: r.try_get("version")?,
        category: r.try_get("category")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        tags: r.try_get("tags")?,
        state: r.try_get("state")?,
        author_id: r.try_get("author_id")?,
        created_at: r.try_get("created_at")?,
        reviewer_id: r.try_get("reviewer_id")?,
        state_at: r.try_get("state_at")?,
    })
}

fn article_from(r: &AnyRow) -> Result<ArticleRow> {
    Ok(ArticleRow {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        slug: r.try_get("slug")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

async fn event(
    tx: &mut AnyConnection,
    article_id: i64,
    version: i64,
    kind: &str,
    actor: Option<i64>,
    at: i64,
    comment: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO kb_events (article_id, version, type, actor_id, at, comment) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(article_id)
    .bind(version)
    .bind(kind)
    .bind(actor)
    .bind(at)
    .bind(comment)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn insert_version(
    tx: &mut AnyConnection,
    article_id: i64,
    version: i64,
    v: &NewVersion,
    state: &str,
    author: Option<i64>,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO kb_versions (article_id, version, category, title, body, tags, state, author_id, created_at, state_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(article_id)
    .bind(version)
    .bind(&v.category)
    .bind(&v.title)
    .bind(&v.body)
    .bind(&v.tags)
    .bind(state)
    .bind(author)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Store {
    /// Creates an article with its first version in `state` (`draft`, or `published` for
    /// seeded texts) and a `created` event; returns its id. A second article with the same
    /// `slug` gives `Conflict("kb_articles.slug")`.
    pub async fn create_article(
        &self,
        company_id: Option<i64>,
        slug: Option<&str>,
        v: &NewVersion,
        state: &str,
        author: Option<i64>,
        at: i64,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO kb_articles (company_id, created_by, created_at, slug) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(company_id)
        .bind(author)
        .bind(at)
        .bind(slug)
        .fetch_one(&mut *tx)
        .await?;
        insert_version(&mut tx, id, 1, v, state, author, at).await?;
        event(&mut tx, id, 1, "created", author, at, None).await?;
        if state == "published" {
            event(&mut tx, id, 1, "published", author, at, Some("seeded")).await?;
        }
        outbox(&mut crate::db::Db::Any(&mut tx), "article", id, at).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a draft version after the latest; returns its number.
    pub async fn add_version(
        &self,
        article_id: i64,
        v: &NewVersion,
        author: i64,
        at: i64,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM kb_versions WHERE article_id = $1")
                .bind(article_id)
                .fetch_one(&mut *tx)
                .await?;
        let n = last.ok_or(StoreError::NotFound)? + 1;
        insert_version(&mut tx, article_id, n, v, "draft", Some(author), at).await?;
        event(&mut tx, article_id, n, "edited", Some(author), at, None).await?;
        outbox(&mut crate::db::Db::Any(&mut tx), "article", article_id, at).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Moves a version from one state to another with its event; publishing retires the
    /// article's earlier published version (event `superseded`). A version no longer in
    /// `from` gives `Conflict("kb_versions.state")`.
    pub async fn change_version(&self, c: &VersionChange) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let reviewer = (c.to == "published" || c.event == "rejected").then_some(c.actor_id);
        let n = sqlx::query(
            "UPDATE kb_versions SET state = $1, state_at = $2, reviewer_id = COALESCE($3, reviewer_id) \
             WHERE article_id = $4 AND version = $5 AND state = $6",
        )
        .bind(&c.to)
        .bind(c.at)
        .bind(reviewer)
        .bind(c.article_id)
        .bind(c.version)
        .bind(&c.from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("kb_versions.state".into()));
        }
        if c.to == "published" {
            let older: Vec<i64> = sqlx::query_scalar(
                "SELECT version FROM kb_versions WHERE article_id = $1 AND state = 'published' AND version <> $2",
            )
            .bind(c.article_id)
            .bind(c.version)
            .fetch_all(&mut *tx)
            .await?;
            for v in older {
                sqlx::query(
                    "UPDATE kb_versions SET state = 'retired', state_at = $1 WHERE article_id = $2 AND version = $3",
                )
                .bind(c.at)
                .bind(c.article_id)
                .bind(v)
                .execute(&mut *tx)
                .await?;
                let why = format!("replaced by version {}", c.version);
                event(
                    &mut tx,
                    c.article_id,
                    v,
                    "superseded",
                    Some(c.actor_id),
                    c.at,
                    Some(&why),
                )
                .await?;
            }
        }
        event(
            &mut tx,
            c.article_id,
            c.version,
            &c.event,
            Some(c.actor_id),
            c.at,
            c.comment.as_deref(),
        )
        .await?;
        outbox(
            &mut crate::db::Db::Any(&mut tx),
            "article",
            c.article_id,
            c.at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One article.
    pub async fn article(&self, id: i64) -> Result<ArticleRow> {
        let r = sqlx::query(
            "SELECT id, company_id, slug, created_by, created_at FROM kb_articles WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        article_from(&r)
    }

    /// The article seeded under `slug`, if any.
    pub async fn article_by_slug(&self, slug: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM kb_articles WHERE slug = $1")
                .bind(slug)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Every version of an article, oldest first.
    pub async fn article_versions(&self, id: i64) -> Result<Vec<VersionRow>> {
        let q = format!("SELECT {VCOLS} FROM kb_versions WHERE article_id = $1 ORDER BY version");
        let rows = sqlx::query(&q).bind(id).fetch_all(self.pool()).await?;
        rows.iter().map(version_from).collect()
    }

    /// The events of an article, oldest first.
    pub async fn article_events(&self, id: i64) -> Result<Vec<KbEventRow>> {
        let rows = sqlx::query(
            "SELECT version, type, actor_id, at, comment FROM kb_events WHERE article_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KbEventRow {
                    version: r.try_get("version")?,
                    kind: r.try_get("type")?,
                    actor_id: r.try_get("actor_id")?,
                    at: r.try_get("at")?,
                    comment: r.try_get("comment")?,
                })
            })
            .collect()
    }

    /// Articles a company's staff may read (its own and the shared ones; every article when
    /// `company_id` is `None`), each with its published version (`published_only`) or its
    /// latest version, newest change first.
    pub async fn list_articles(
        &self,
        company_id: Option<i64>,
        published_only: bool,
        category: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(ArticleRow, VersionRow)>> {
        let pick = if published_only {
            "v.state = 'published'"
        } else {
            "v.version = (SELECT MAX(x.version) FROM kb_versions x WHERE x.article_id = a.id)"
        };
        let q = format!(
            "SELECT a.id, a.company_id, a.slug, a.created_by, a.created_at AS a_created_at, {} \
             FROM kb_articles a JOIN kb_versions v ON v.article_id = a.id \
             WHERE {pick} AND ($1 IS NULL OR a.company_id IS NULL OR a.company_id = $1) \
             AND ($2 IS NULL OR v.category = $2) ORDER BY v.category, a.id LIMIT $3",
            VCOLS
                .split(", ")
                .map(|c| format!("v.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = sqlx::query(&q)
            .bind(company_id)
            .bind(category)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    ArticleRow {
                        id: r.try_get("id")?,
                        company_id: r.try_get("company_id")?,
                        slug: r.try_get("slug")?,
                        created_by: r.try_get("created_by")?,
                        created_at: r.try_get("a_created_at")?,
                    },
                    version_from(r)?,
                ))
            })
            .collect()
    }
}
