//! What `rexian backup` and `rexian restore` ask of the database: a consistent copy of the
//! SQLite file while the server writes, checks of a copy, the photo files a database refers
//! to, and whether a PostgreSQL database is empty.

use std::path::Path;

use rusqlite::OpenFlags;
use sqlx::Row;

use crate::db::lite_error;
use crate::{Backend, Result, Store, StoreError};

/// A photo file the database refers to (path relative to the data dir).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoFile {
    /// Path under the data dir, e.g. `photos/12/<sha256>.jpg`.
    pub path: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| StoreError::Config(format!("path {} is not UTF-8", p.display())))
}

/// Writes a consistent snapshot of the SQLite database `src` into the new file `dest`.
///
/// `VACUUM INTO` reads the whole database in one read transaction: the copy is the database as
/// of one commit, and the server's writer goes on meanwhile (WAL). The copy is flushed to disk
/// before this returns.
pub fn sqlite_snapshot(src: &Path, dest: &Path) -> Result<()> {
    if !src.is_file() {
        return Err(StoreError::Config(format!(
            "no SQLite database at {}",
            src.display()
        )));
    }
    let conn = rusqlite::Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(lite_error)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(lite_error)?;
    conn.execute("VACUUM INTO ?1", [path_str(dest)?])
        .map_err(lite_error)?;
    drop(conn);
    std::fs::File::open(dest)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::Config(format!("flushing {}: {e}", dest.display())))?;
    Ok(())
}

fn open_read_only(path: &Path) -> Result<rusqlite::Connection> {
    if !path.is_file() {
        return Err(StoreError::Config(format!(
            "no SQLite database at {}",
            path.display()
        )));
    }
    rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(lite_error)
}

/// Checks a SQLite copy (not in use by a server): page structure and references are intact.
pub fn sqlite_check(path: &Path) -> Result<()> {
    let conn = open_read_only(path)?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(lite_error)?;
    if problems != ["ok"] {
        return Err(StoreError::Config(format!(
            "{} is damaged: {}",
            path.display(),
            problems.join("; ")
        )));
    }
    let dangling: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(lite_error)?;
    if dangling > 0 {
        return Err(StoreError::Config(format!(
            "{} has {dangling} rows that refer to missing rows",
            path.display()
        )));
    }
    Ok(())
}

/// The photo files a SQLite copy refers to.
pub fn sqlite_photo_files(path: &Path) -> Result<Vec<PhotoFile>> {
    let conn = open_read_only(path)?;
    let mut s = conn
        .prepare("SELECT path, size, sha256 FROM order_photos ORDER BY id")
        .map_err(lite_error)?;
    let rows = s
        .query_map([], |r| {
            Ok(PhotoFile {
                path: r.get(0)?,
                size: r.get(1)?,
                sha256: r.get(2)?,
            })
        })
        .map_err(lite_error)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(lite_error)?;
    Ok(rows)
}

impl Store {
    /// The photo files this database refers to.
    pub async fn photo_files(&self) -> Result<Vec<PhotoFile>> {
        let rows = sqlx::query("SELECT path, size, sha256 FROM order_photos ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PhotoFile {
                    path: r.try_get("path")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                })
            })
            .collect()
    }

    /// PostgreSQL: how many tables, views and sequences the database holds outside the system
    /// schemas (0 for a fresh database, the only kind a restore goes into).
    pub async fn pg_user_relations(&self) -> Result<i64> {
        if self.backend() != Backend::Postgres {
            return Err(StoreError::Config("not a PostgreSQL database".into()));
        }
        let n: i64 = sqlx::query(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
             AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' \
             AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')",
        )
        .fetch_one(self.pool())
        .await?
        .try_get(0)?;
        Ok(n)
    }
}
