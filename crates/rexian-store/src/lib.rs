//! Storage for Rexian: schema, migrations and repositories over SQLite or PostgreSQL.
//!
//! One code path serves both databases through sqlx's `Any` driver with a portable SQL subset:
//! `$N` placeholders, `BIGINT` ids and unix-millisecond times, `0/1` for flags, `RETURNING`.
//! The few dialect differences live in [`Backend`]-aware helpers in this crate only.

pub mod audit;
pub mod auth;
pub mod away;
pub mod backup;
mod cache;
pub mod crew;
pub mod customers;
pub(crate) mod db;
mod error;
pub mod halls;
pub mod incidents;
pub mod kb;
pub mod matters;
pub mod measurements;
mod numbers;
pub mod orders;
pub mod org;
pub mod outages;
pub mod photos;
pub mod portal;
pub mod rechecks;
pub mod reports;
pub mod roster;
pub mod search;
pub mod seed;
pub mod shifts;
pub mod supervision;
#[cfg(feature = "testdb")]
pub mod testdb;
pub mod timers;
pub mod water;
mod write;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use error::StoreError;
pub use write::WriteTx;

/// Result of a storage call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A `LIKE` pattern that matches `text` literally (`%`, `_` and `\` escaped), with `%` before
/// (`contains`) and after; use it with `LIKE $n ESCAPE '\'` (both databases).
pub(crate) fn like_pattern(text: &str, contains: bool) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    if contains {
        p.push('%');
    }
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Which database engine the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite in WAL mode with durable commits.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The database handle shared by every repository.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite only: the write lock and group-commit writer (see [`write`]).
    writer: Option<std::sync::Arc<write::Writer>>,
    /// PostgreSQL only: this node's blocks of order numbers (see [`numbers`]).
    blocks: std::sync::Arc<numbers::Blocks>,
    /// PostgreSQL only: companies kept in memory (see [`cache`]).
    companies: std::sync::Arc<cache::Companies>,
    /// PostgreSQL only, when asked for: the group commit's committers (see [`write`]).
    pg_group: std::sync::Arc<std::sync::OnceLock<write::PgGroup>>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) without migrating.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Config(format!(
                "database url must start with sqlite: or postgres://, got scheme of {:?}",
                url.split(':').next().unwrap_or("")
            )));
        };
        let opts = AnyConnectOptions::from_str(url).map_err(StoreError::from)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // Durable commits: WAL with a full sync of the log on every commit.
                            // Reads through a memory map (the OS page cache, no read call per
                            // page: at millions of orders that was most of the CPU) and 8 MiB
                            // of page cache per connection for what is written.
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                                 PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
                                 PRAGMA mmap_size=17179869184; PRAGMA cache_size=-8192;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?
            }
        };
        let writer = match backend {
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let (path, params) = path.split_once('?').unwrap_or((path, ""));
                if path.is_empty() || path == ":memory:" || params.contains("mode=memory") {
                    // The writer opens the file a second time; a memory database would be two.
                    return Err(StoreError::Config(
                        "an in-memory SQLite database is not supported; give a file".into(),
                    ));
                }
                Some(std::sync::Arc::new(write::Writer::start(path)?))
            }
            Backend::Postgres => None,
        };
        let companies = std::sync::Arc::new(cache::Companies::default());
        if backend == Backend::Postgres {
            cache::listen(url, &companies).await;
        }
        Ok(Store {
            pool,
            backend,
            writer,
            blocks: Default::default(),
            companies,
            pg_group: Default::default(),
        })
    }

    /// Opens (creating if needed) the SQLite database in `dir`.
    pub fn sqlite_url(dir: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", dir.join("rexian.db").display())
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<()> {
        let m = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.run(&self.pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        self.catch_up_facts().await?;
        Ok(())
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The underlying pool, for the repositories of this crate.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Joins role names for storage.
pub(crate) fn join_list(items: &[String]) -> String {
    items.join(",")
}

/// Splits a stored list.
pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(super::like_pattern("139", false), "139%");
        assert_eq!(super::like_pattern("1%3_9\\", true), "%1\\%3\\_9\\\\%");
    }
}
