//! The ceiling: the raw durable insert rate of the same database on the same machine, with the
//! product's settings (SQLite: WAL, synchronous=FULL; PostgreSQL: the server's own, fsync and
//! synchronous_commit as configured), into a tiny table, one INSERT per commit.
//!
//! This is a measuring instrument, not product storage: it talks to the engine directly so that
//! the figure holds no product code at all.

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Executor};

use super::stats::{Samples, Summary};

/// Rows of one group-commit transaction in the batched figure.
pub const BATCH: usize = 64;

/// The ceiling figures.
#[derive(Debug, Clone, Serialize)]
pub struct Ceiling {
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// One INSERT per commit on one connection.
    pub single: Summary,
    /// One INSERT per commit on `connections` connections at once (PostgreSQL only: SQLite
    /// has one writer at a time).
    pub concurrent: Option<Summary>,
    /// Connections of the concurrent figure.
    pub connections: usize,
    /// Rows per second with `BATCH` INSERTs per commit: what group commit can reach.
    pub batched_rows_per_second: f64,
    /// The best per-commit rate above: the ceiling intake is compared with.
    pub commits_per_second: f64,
}

const ROW: &str = "热线工单 ceiling row";

/// Measures SQLite in `dir` for about `seconds` per figure.
pub async fn sqlite(dir: &Path, seconds: f64) -> anyhow::Result<Ceiling> {
    let opts = SqliteConnectOptions::new()
        .filename(dir.join("ceiling.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let mut c = opts.connect().await?;
    c.execute(
        "CREATE TABLE IF NOT EXISTS ceiling (id INTEGER PRIMARY KEY, at BIGINT NOT NULL, note TEXT NOT NULL)",
    )
    .await?;
    // Steady state first: a new WAL grows with every commit, and each growth costs the file
    // system a metadata journal commit on top of the data sync. A server that has run a while
    // rewrites its WAL in place after each checkpoint; so grow this one past the auto-checkpoint
    // size once, checkpoint, and measure the rewrites.
    {
        let filler = "满".repeat(1000);
        let mut tx = c.begin().await?;
        for _ in 0..1500 {
            sqlx::query("INSERT INTO ceiling (at, note) VALUES (0, $1)")
                .bind(&filler)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        c.execute("PRAGMA wal_checkpoint(RESTART)").await?;
    }
    let single = {
        let mut s = Samples::default();
        let end = Instant::now() + Duration::from_secs_f64(seconds);
        let t0 = Instant::now();
        while Instant::now() < end {
            let t = Instant::now();
            sqlx::query("INSERT INTO ceiling (at, note) VALUES ($1, $2)")
                .bind(t0.elapsed().as_micros() as i64)
                .bind(ROW)
                .execute(&mut c)
                .await?;
            s.ok(t.elapsed());
        }
        s.summary(t0.elapsed().as_secs_f64())
    };
    let batched = {
        let end = Instant::now() + Duration::from_secs_f64(seconds);
        let t0 = Instant::now();
        let mut rows = 0usize;
        while Instant::now() < end {
            let mut tx = c.begin().await?;
            for _ in 0..BATCH {
                sqlx::query("INSERT INTO ceiling (at, note) VALUES ($1, $2)")
                    .bind(t0.elapsed().as_micros() as i64)
                    .bind(ROW)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            rows += BATCH;
        }
        rows as f64 / t0.elapsed().as_secs_f64()
    };
    c.close().await?;
    let _ = std::fs::remove_file(dir.join("ceiling.db"));
    let _ = std::fs::remove_file(dir.join("ceiling.db-wal"));
    let _ = std::fs::remove_file(dir.join("ceiling.db-shm"));
    Ok(Ceiling {
        engine: "sqlite".into(),
        commits_per_second: single.per_second,
        single,
        concurrent: None,
        connections: 1,
        batched_rows_per_second: super::stats::round3(batched),
    })
}

/// Measures PostgreSQL at `url` (a table of its own, dropped after) with one connection and
/// with `connections` at once.
pub async fn postgres(url: &str, seconds: f64, connections: usize) -> anyhow::Result<Ceiling> {
    let table = format!("rexian_bench_ceiling_{}", std::process::id());
    let opts = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(connections.max(1) as u32)
        .connect_with(opts)
        .await?;
    pool.execute(
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, note TEXT NOT NULL)"
        )
        .as_str(),
    )
    .await?;
    let insert = format!("INSERT INTO {table} (at, note) VALUES ($1, $2)");
    let run = |workers: usize| {
        let pool = pool.clone();
        let insert = insert.clone();
        async move {
            let end = Instant::now() + Duration::from_secs_f64(seconds);
            let t0 = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..workers {
                let pool = pool.clone();
                let insert = insert.clone();
                tasks.push(tokio::spawn(async move {
                    let mut s = Samples::default();
                    let mut c = pool.acquire().await?;
                    while Instant::now() < end {
                        let t = Instant::now();
                        sqlx::query(&insert)
                            .bind(t0.elapsed().as_micros() as i64)
                            .bind(ROW)
                            .execute(&mut *c)
                            .await?;
                        s.ok(t.elapsed());
                    }
                    Ok::<_, anyhow::Error>(s)
                }));
            }
            let mut all = Samples::default();
            for t in tasks {
                all.merge(t.await??);
            }
            Ok::<_, anyhow::Error>(all.summary(t0.elapsed().as_secs_f64()))
        }
    };
    let single = run(1).await?;
    let concurrent = if connections > 1 {
        Some(run(connections).await?)
    } else {
        None
    };
    let batched = {
        let mut c = pool.acquire().await?;
        let end = Instant::now() + Duration::from_secs_f64(seconds);
        let t0 = Instant::now();
        let mut rows = 0usize;
        while Instant::now() < end {
            let mut tx = c.begin().await?;
            for _ in 0..BATCH {
                sqlx::query(&insert)
                    .bind(t0.elapsed().as_micros() as i64)
                    .bind(ROW)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            rows += BATCH;
        }
        rows as f64 / t0.elapsed().as_secs_f64()
    };
    pool.execute(format!("DROP TABLE IF EXISTS {table}").as_str())
        .await?;
    pool.close().await;
    let best = concurrent
        .as_ref()
        .map(|c| c.per_second)
        .unwrap_or(0.0)
        .max(single.per_second);
    Ok(Ceiling {
        engine: "postgres".into(),
        single,
        concurrent,
        connections,
        batched_rows_per_second: super::stats::round3(batched),
        commits_per_second: best,
    })
}

/// A fresh database for one bench run next to the one `url` names: (its URL, its name).
pub async fn pg_create_database(url: &str) -> anyhow::Result<(String, String)> {
    // A run may make two (the replay has its own).
    static MADE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!(
        "rexian_bench_{}_{}_{n}",
        std::process::id(),
        chrono::Utc::now().timestamp()
    );
    let mut c = PgConnectOptions::from_str(url)?.connect().await?;
    c.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    c.close().await?;
    Ok((replace_db(url, &name), name))
}

/// Drops a database made by [`pg_create_database`].
pub async fn pg_drop_database(url: &str, name: &str) -> anyhow::Result<()> {
    let mut c = PgConnectOptions::from_str(url)?.connect().await?;
    c.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await?;
    c.close().await?;
    Ok(())
}

/// `url` with its database name replaced by `db`.
pub fn replace_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_db;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            replace_db("postgres://u@h:5432/postgres", "b"),
            "postgres://u@h:5432/b"
        );
        assert_eq!(
            replace_db("postgres://u:p@h/x?sslmode=disable", "b"),
            "postgres://u:p@h/b?sslmode=disable"
        );
        assert_eq!(replace_db("postgres://h:1", "b"), "postgres://h:1/b");
    }

    #[tokio::test]
    async fn sqlite_ceiling_runs() {
        let dir = tempfile::tempdir().unwrap();
        let c = super::sqlite(dir.path(), 0.05).await.unwrap();
        assert!(c.single.count > 0);
        assert!(c.batched_rows_per_second > 0.0);
    }
}
