//! `rexian backup DEST` and `rexian restore BACKUP`.
//!
//! A backup is a directory: the database (`rexian.db`, a consistent SQLite snapshot taken with
//! `VACUUM INTO` while `serve` runs; or `rexian.pgdump`, `pg_dump --format=custom`), the photo
//! files the database refers to (`photos/…`, each checked against its recorded size and
//! SHA-256), the installed holiday calendar when there is one, and `rexian-backup.toml`, written
//! last (a directory without it is an unfinished backup). The search index is not included: it
//! is rebuilt from the database by `restore` (as `rexian search rebuild` does).
//!
//! Restore goes into an empty (or missing) data dir only, and on PostgreSQL into an empty
//! database; the engine of the backup and of the target must be the same.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::process::Stdio;

use anyhow::{bail, Context};
use rexian_store::backup::PhotoFile;
use rexian_store::Store;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::settings::{Database, Settings};

/// The manifest of a backup directory.
pub const MANIFEST: &str = "rexian-backup.toml";
/// The SQLite database in a backup and in a data dir.
const SQLITE_FILE: &str = "rexian.db";
/// The PostgreSQL dump in a backup.
const PG_FILE: &str = "rexian.pgdump";
/// The version of the backup layout.
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    /// `sqlite` or `postgres`.
    engine: String,
    /// The database file in the backup.
    database: String,
    /// Photo files included.
    photos: usize,
    /// Photo files the database refers to that were missing or damaged in the data dir when
    /// the backup was taken (so not in it; restore accepts their absence).
    #[serde(default)]
    missing_photos: Vec<String>,
    /// Whether `calendar.toml` is included.
    calendar: bool,
    created_at: String,
    rexian_version: String,
}

/// `rexian backup DEST`: see the module doc.
pub async fn backup(s: &Settings, dest: &Path) -> anyhow::Result<()> {
    let created = prepare_empty(dest, "the backup destination")?;
    let lost = match write_backup(s, dest).await {
        Ok(lost) => lost,
        Err(e) => {
            // DEST was empty (or missing): everything in it is this run's.
            if created {
                let _ = std::fs::remove_dir_all(dest);
            } else {
                clear_dir(dest);
            }
            return Err(e);
        }
    };
    if !lost.is_empty() {
        // The backup is complete otherwise (and restorable): keep it, but fail the command.
        bail!(
            "the backup in {} lacks {} photo files that the database refers to, missing or \
             damaged in {}{} (listed in its {MANIFEST}): {}",
            dest.display(),
            lost.len(),
            s.data_dir.display(),
            if matches!(s.database, Database::Postgres(_)) {
                "; with several nodes, photos uploaded through another node are in that node's \
                 data dir"
            } else {
                ""
            },
            lost.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

/// Writes the backup; answers the photo files it could not include.
async fn write_backup(s: &Settings, dest: &Path) -> anyhow::Result<Vec<String>> {
    let started = std::time::Instant::now();
    let (engine, database, photos) = match &s.database {
        Database::Sqlite(dir) => {
            let src = dir.join(SQLITE_FILE);
            let out = dest.join(SQLITE_FILE);
            println!("backing up {} (online snapshot) …", src.display());
            let photos = tokio::task::spawn_blocking(move || {
                rexian_store::backup::sqlite_snapshot(&src, &out)?;
                rexian_store::backup::sqlite_check(&out)?;
                rexian_store::backup::sqlite_photo_files(&out)
            })
            .await
            .context("the snapshot task failed")?
            .context("taking the SQLite snapshot")?;
            ("sqlite", SQLITE_FILE, photos)
        }
        Database::Postgres(url) => {
            let out = dest.join(PG_FILE);
            pg_dump(url.expose_secret(), &out).await?;
            // Rows are never deleted: the photos now in the database cover the dump's.
            let store = Store::connect(url.expose_secret())
                .await
                .context("connecting to DATABASE_URL")?;
            let photos = store.photo_files().await;
            store.close().await;
            ("postgres", PG_FILE, photos.context("listing photos")?)
        }
    };
    let lost = copy_photos(&s.data_dir, dest, &photos)?;
    let calendar = copy_calendar(&s.data_dir, dest)?;
    let manifest = Manifest {
        format: FORMAT,
        engine: engine.into(),
        database: database.into(),
        photos: photos.len() - lost.len(),
        missing_photos: lost.clone(),
        calendar,
        created_at: chrono::Utc::now().to_rfc3339(),
        rexian_version: env!("CARGO_PKG_VERSION").into(),
    };
    let text = toml::to_string(&manifest).context("writing the manifest")?;
    write_synced(&dest.join(MANIFEST), text.as_bytes())?;
    sync_dir(dest);
    println!(
        "backup written to {} in {:.1} s: {engine} database, {} photo files{}; the search index \
         is not included (restore rebuilds it)",
        dest.display(),
        started.elapsed().as_secs_f64(),
        manifest.photos,
        if calendar { ", calendar.toml" } else { "" },
    );
    Ok(lost)
}

/// `rexian restore BACKUP`: see the module doc. BACKUP is a directory written by `rexian
/// backup`, or a bare SQLite database file or `pg_dump --format=custom` file.
pub async fn restore(s: &Settings, backup: &Path) -> anyhow::Result<()> {
    let (engine, db_file, manifest) = read_backup(backup)?;
    let target = &s.data_dir;
    ensure_empty(target)?;
    match (engine.as_str(), &s.database) {
        ("sqlite", Database::Sqlite(_)) | ("postgres", Database::Postgres(_)) => {}
        ("sqlite", Database::Postgres(_)) => bail!(
            "{} is a SQLite backup but DATABASE_URL is set: unset it to restore into --data-dir \
             (moving between SQLite and PostgreSQL is not a restore)",
            backup.display()
        ),
        _ => bail!(
            "{} is a PostgreSQL backup: set DATABASE_URL to an empty PostgreSQL database to \
             restore it (and --data-dir for its photo files)",
            backup.display()
        ),
    }
    let started = std::time::Instant::now();
    let mut pg_photos = Vec::new();
    if let Database::Postgres(url) = &s.database {
        let url = url.expose_secret();
        let store = Store::connect(url)
            .await
            .context("connecting to DATABASE_URL")?;
        let n = store.pg_user_relations().await;
        store.close().await;
        let n = n.context("inspecting the target database")?;
        if n > 0 {
            bail!(
                "the database of DATABASE_URL is not empty ({n} tables, views or sequences): \
                 restore goes into a new, empty database only (e.g. `createdb rexian_restored`)"
            );
        }
        pg_restore(url, &db_file).await?;
        if manifest.is_some() {
            let store = Store::connect(url)
                .await
                .context("connecting to DATABASE_URL")?;
            let list = store.photo_files().await;
            store.close().await;
            pg_photos = list.context("listing the photos of the restored database")?;
        }
    } else {
        let f = db_file.clone();
        tokio::task::spawn_blocking(move || rexian_store::backup::sqlite_check(&f))
            .await
            .context("the check task failed")?
            .with_context(|| format!("checking {}", db_file.display()))?;
    }
    // Files go into a staging dir beside the target, moved into place once complete.
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = target
        .file_name()
        .with_context(|| format!("--data-dir {} has no directory name", target.display()))?;
    let staging = parent.join(format!(
        ".{}.restoring-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let r = stage(
        &engine,
        backup,
        &db_file,
        manifest.as_ref(),
        pg_photos,
        &staging,
    );
    let r = r.and_then(|photos| {
        if target.exists() {
            std::fs::remove_dir(target)
                .with_context(|| format!("replacing the empty {}", target.display()))?;
        }
        std::fs::rename(&staging, target)
            .with_context(|| format!("moving the restored files to {}", target.display()))?;
        sync_dir(&parent);
        Ok(photos)
    });
    let photos = match r {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            if matches!(s.database, Database::Postgres(_)) {
                return Err(e.context(
                    "the database of DATABASE_URL was restored but the data dir was not: drop \
                     and create the database again before another try",
                ));
            }
            return Err(e);
        }
    };
    // Migrations of a newer binary, then this node's search index.
    let store = crate::open_store(s).await?;
    let r = crate::search_rebuild(&store, target).await;
    store.close().await;
    r?;
    println!(
        "restored {} ({engine}, {photos} photo files) into {} in {:.1} s; start it with \
         `rexian serve --data-dir {}`{}",
        backup.display(),
        target.display(),
        started.elapsed().as_secs_f64(),
        target.display(),
        if engine == "postgres" {
            " and DATABASE_URL; the other nodes must rebuild their search index (`rexian search \
             rebuild`)"
        } else {
            ""
        }
    );
    Ok(())
}

/// The engine of a backup, its database file, and its manifest (none for a bare file).
fn read_backup(backup: &Path) -> anyhow::Result<(String, PathBuf, Option<Manifest>)> {
    let meta = std::fs::metadata(backup)
        .with_context(|| format!("reading the backup {}", backup.display()))?;
    if meta.is_file() {
        let mut head = [0u8; 16];
        let n = std::fs::File::open(backup)
            .and_then(|mut f| f.read(&mut head))
            .with_context(|| format!("reading {}", backup.display()))?;
        let engine = if head[..n].starts_with(b"SQLite format 3\0") {
            "sqlite"
        } else if head[..n].starts_with(b"PGDMP") {
            "postgres"
        } else {
            bail!(
                "{} is neither a backup directory, a SQLite database nor a pg_dump custom-format \
                 file",
                backup.display()
            );
        };
        let mut wal = backup.as_os_str().to_owned();
        wal.push("-wal");
        if engine == "sqlite" && Path::new(&wal).exists() {
            bail!(
                "{} has a write-ahead log beside it (a database in use, or not shut down): take a \
                 copy with `rexian backup` instead",
                backup.display()
            );
        }
        return Ok((engine.into(), backup.to_path_buf(), None));
    }
    let mf = backup.join(MANIFEST);
    let text = match std::fs::read_to_string(&mf) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} has no {MANIFEST}: not a backup of `rexian backup`, or an unfinished one",
            backup.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("reading {}", mf.display())),
    };
    let m: Manifest = toml::from_str(&text).with_context(|| format!("reading {}", mf.display()))?;
    if m.format != FORMAT {
        bail!(
            "{}: backup format {} is not known to this rexian (knows {FORMAT})",
            mf.display(),
            m.format
        );
    }
    let expected = match m.engine.as_str() {
        "sqlite" => SQLITE_FILE,
        "postgres" => PG_FILE,
        other => bail!("{}: unknown engine {other:?}", mf.display()),
    };
    if m.database != expected {
        bail!("{}: database must be {expected}", mf.display());
    }
    let db = backup.join(expected);
    if !db.is_file() {
        bail!("{} is missing from the backup", db.display());
    }
    Ok((m.engine.clone(), db, Some(m)))
}

/// Writes the data dir's files into `staging`: the SQLite database when the backup is one, and
/// (from a backup directory) the photo files its database refers to (`pg_photos` on
/// PostgreSQL, read from the restored database) and the calendar. Answers how many photos.
fn stage(
    engine: &str,
    backup: &Path,
    db_file: &Path,
    manifest: Option<&Manifest>,
    pg_photos: Vec<PhotoFile>,
    staging: &Path,
) -> anyhow::Result<usize> {
    let _ = std::fs::remove_dir_all(staging);
    std::fs::create_dir_all(staging).with_context(|| format!("creating {}", staging.display()))?;
    let sqlite = engine == "sqlite";
    let mut photos = pg_photos;
    if sqlite {
        let out = staging.join(SQLITE_FILE);
        std::fs::copy(db_file, &out)
            .with_context(|| format!("copying {} to {}", db_file.display(), out.display()))?;
        std::fs::File::open(&out)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("flushing {}", out.display()))?;
        if manifest.is_some() {
            photos = rexian_store::backup::sqlite_photo_files(&out)
                .context("listing the photos of the backup")?;
        }
    }
    let Some(m) = manifest else {
        sync_dir(staging);
        return Ok(0);
    };
    let lost = copy_photos(backup, staging, &photos)?;
    let unexpected: Vec<&String> = lost
        .iter()
        .filter(|p| !m.missing_photos.contains(p))
        .collect();
    if !unexpected.is_empty() {
        bail!(
            "the backup is damaged: {} photo files that its database refers to are missing or \
             altered: {}",
            unexpected.len(),
            unexpected
                .iter()
                .take(5)
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !lost.is_empty() {
        println!(
            "warning: {} photo files were already missing when the backup was taken (see {MANIFEST})",
            lost.len()
        );
    }
    copy_calendar(backup, staging)?;
    sync_dir(staging);
    Ok(photos.len() - lost.len())
}

/// Copies each photo from `from` to `to` (both dirs holding `photos/…`), checking its size and
/// SHA-256; returns the paths missing or damaged in `from`.
fn copy_photos(from: &Path, to: &Path, photos: &[PhotoFile]) -> anyhow::Result<Vec<String>> {
    let mut lost = Vec::new();
    for p in photos {
        let rel = safe_relative(&p.path)
            .with_context(|| format!("the database names an unsafe photo path {:?}", p.path))?;
        let bytes = match std::fs::read(from.join(&rel)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                lost.push(p.path.clone());
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", p.path)),
        };
        if bytes.len() as i64 != p.size || hex::encode(Sha256::digest(&bytes)) != p.sha256 {
            lost.push(p.path.clone());
            continue;
        }
        let out = to.join(&rel);
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        write_synced(&out, &bytes)?;
    }
    Ok(lost)
}

fn copy_calendar(from: &Path, to: &Path) -> anyhow::Result<bool> {
    let src = from.join(crate::CALENDAR_FILE);
    match std::fs::read(&src) {
        Ok(bytes) => {
            write_synced(&to.join(crate::CALENDAR_FILE), &bytes)?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("reading {}", src.display())),
    }
}

/// A stored photo path as a relative path under `photos/`, with no `..` or root.
fn safe_relative(p: &str) -> Option<PathBuf> {
    let path = Path::new(p);
    let mut parts = path.components();
    if parts.next() != Some(Component::Normal("photos".as_ref())) {
        return None;
    }
    if !parts.all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(path.to_path_buf())
}

fn write_synced(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Flushes a directory's entries (best effort: not every platform allows it).
fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

fn is_empty_dir(dir: &Path) -> anyhow::Result<Option<bool>> {
    match std::fs::read_dir(dir) {
        Ok(mut e) => Ok(Some(e.next().is_none())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

/// Refuses a data dir that holds anything.
fn ensure_empty(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!("--data-dir {} is a file, not a directory", dir.display());
    }
    if is_empty_dir(dir)? == Some(false) {
        bail!(
            "--data-dir {} is not empty: restore goes into an empty or new directory only \
             (nothing was changed)",
            dir.display()
        );
    }
    Ok(())
}

/// Makes `dir` an empty directory (refusing one with contents); true when it was created.
fn prepare_empty(dir: &Path, what: &str) -> anyhow::Result<bool> {
    match is_empty_dir(dir)? {
        Some(true) => Ok(false),
        Some(false) => bail!(
            "{what} {} is not empty: give a new or empty directory",
            dir.display()
        ),
        None if dir.exists() => bail!("{what} {} is a file, not a directory", dir.display()),
        None => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            Ok(true)
        }
    }
}

fn clear_dir(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

/// A PostgreSQL client program: on PATH, else the newest in Debian's /usr/lib/postgresql.
fn pg_tool(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((v, e.path().join("bin").join(name)))
            })
            .filter(|(_, p)| p.is_file())
            .collect();
        dirs.sort();
        dirs.pop().map(|(_, p)| p)
    })
}

/// The URL without its password, and the password (given to libpq as `PGPASSWORD`, so that it
/// shows in no process list).
fn split_password(url: &str) -> anyhow::Result<(String, Option<String>)> {
    let mut u = url::Url::parse(url).context("DATABASE_URL is not a valid URL")?;
    let pw = u.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    if pw.is_some() {
        u.set_password(None)
            .map_err(|()| anyhow::anyhow!("DATABASE_URL: cannot separate the password"))?;
    }
    Ok((u.to_string(), pw))
}

async fn run_pg_tool(name: &str, args: &[&std::ffi::OsStr], url: &str) -> anyhow::Result<()> {
    let manual = match name {
        "pg_dump" => {
            "pg_dump --format=custom --file=FILE \"$DATABASE_URL\" (`rexian restore FILE` \
             takes it; copy DATA_DIR/photos and calendar.toml yourself)"
        }
        _ => {
            "pg_restore --no-owner --no-privileges --single-transaction --exit-on-error \
              --dbname=\"$DATABASE_URL\" FILE"
        }
    };
    let Some(tool) = pg_tool(name) else {
        bail!(
            "{name} not found (looked on PATH and in /usr/lib/postgresql/*/bin): install the \
             PostgreSQL client programs (the server's major version or newer), or run by \
             hand: {manual}"
        );
    };
    let (dbname, password) = split_password(url)?;
    let mut cmd = tokio::process::Command::new(&tool);
    cmd.args(args)
        .arg(format!("--dbname={dbname}"))
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped());
    match password {
        Some(p) => cmd.env("PGPASSWORD", p),
        None => cmd.env_remove("PGPASSWORD"),
    };
    let out = cmd
        .output()
        .await
        .with_context(|| format!("running {}", tool.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed ({}): {}",
            tool.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

async fn pg_dump(url: &str, out: &Path) -> anyhow::Result<()> {
    println!("backing up the PostgreSQL database with pg_dump (custom format) …");
    let file = std::ffi::OsString::from(format!("--file={}", out.display()));
    run_pg_tool(
        "pg_dump",
        &["--format=custom".as_ref(), file.as_os_str()],
        url,
    )
    .await?;
    std::fs::File::open(out)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("flushing {}", out.display()))
}

async fn pg_restore(url: &str, file: &Path) -> anyhow::Result<()> {
    println!("restoring the PostgreSQL database with pg_restore …");
    run_pg_tool(
        "pg_restore",
        &[
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
            "--single-transaction".as_ref(),
            "--exit-on-error".as_ref(),
            file.as_os_str(),
        ],
        url,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_paths_stay_under_photos() {
        assert!(safe_relative("photos/12/ab.jpg").is_some());
        assert!(safe_relative("photos/../rexian.db").is_none());
        assert!(safe_relative("/etc/passwd").is_none());
        assert!(safe_relative("search-index/x").is_none());
    }

    #[test]
    fn password_leaves_the_url() {
        let (u, p) =
            split_password("postgres://rexian:s%40cret@db:5432/rexian?sslmode=require").unwrap();
        assert_eq!(u, "postgres://rexian@db:5432/rexian?sslmode=require");
        assert_eq!(p.as_deref(), Some("s@cret"));
        let (u, p) = split_password("postgres://postgres@127.0.0.1:55432/x").unwrap();
        assert_eq!(u, "postgres://postgres@127.0.0.1:55432/x");
        assert_eq!(p, None);
    }
}
