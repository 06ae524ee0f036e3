//! A fresh, migrated database per test (feature `testdb`), on the backend the environment
//! names: `REXIAN_TEST_DB=postgres` with `REXIAN_TEST_PG_URL` (a database is made per test and
//! dropped after), else SQLite in a temporary directory.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::Store;

/// Keeps a test database alive; dropping it removes it.
pub enum TestDb {
    /// SQLite in a temporary directory.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// A PostgreSQL database on the test server.
    Postgres {
        /// URL of the server's maintenance database.
        base: String,
        /// The test database.
        name: String,
    },
}

/// Which backend the tests run on: `postgres` or `sqlite` (default).
pub fn backend() -> &'static str {
    match std::env::var("REXIAN_TEST_DB").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    }
}

fn unique_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "rexian_test_{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDb {
    /// Opens a fresh, migrated database: the store, its keeper and its URL.
    pub async fn fresh() -> (Store, TestDb, String) {
        if backend() == "postgres" {
            use sqlx::Connection;
            let base = std::env::var("REXIAN_TEST_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = unique_name();
            let mut c = sqlx::PgConnection::connect(&base)
                .await
                .expect("connect to REXIAN_TEST_PG_URL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .expect("create test database");
            let url = match base.rfind('/') {
                Some(i) => format!("{}/{name}", &base[..i]),
                None => panic!("REXIAN_TEST_PG_URL needs a database path"),
            };
            let store = Store::connect(&url).await.expect("connect test database");
            store.migrate().await.expect("migrate");
            (store, TestDb::Postgres { base, name }, url)
        } else {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = Store::sqlite_url(dir.path());
            let store = Store::connect(&url).await.expect("open sqlite");
            store.migrate().await.expect("migrate");
            (store, TestDb::Sqlite(dir), url)
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { base, name } = self {
            let (base, name) = (base.clone(), name.clone());
            // Drop the database from a thread with its own runtime: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        use sqlx::Connection;
                        if let Ok(mut c) = sqlx::PgConnection::connect(&base).await {
                            let q = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            let _ = sqlx::query(&q).execute(&mut c).await;
                        }
                    });
                }
            })
            .join();
        }
    }
}
