//! `rexian backup` while `serve` takes orders, then `rexian restore` into a fresh data dir: the
//! restored database equals the backup table by table, row by row; the restored server starts
//! and serves the orders (and the photo) acknowledged before the backup began. SQLite, or
//! PostgreSQL (`pg_dump`/`pg_restore`) with `REXIAN_TEST_DB=postgres`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{
    assert_all_found, backend, intake_load, login, order_body, pg_tool, request, run, setup,
    wait_for, PgDb, Server, Tally, STAFF_PASSWORD,
};

/// A small JPEG-looking file (the server checks the signature only).
const PHOTO: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0backup test photo of a leaking meter\xFF\xD9";

/// Every table of a SQLite file: its schema, and its rows rendered and sorted.
fn sqlite_tables(path: &Path) -> BTreeMap<String, Vec<String>> {
    use rusqlite::types::ValueRef;
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open database");
    let mut tables: Vec<(String, String)> = c
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables.sort();
    let mut out = BTreeMap::new();
    for (name, sql) in tables {
        let mut s = c.prepare(&format!("SELECT * FROM \"{name}\"")).unwrap();
        let n = s.column_count();
        let mut rows: Vec<String> = s
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| match r.get_ref(i).unwrap() {
                        ValueRef::Null => "NULL".to_owned(),
                        ValueRef::Integer(x) => x.to_string(),
                        ValueRef::Real(x) => format!("{x:?}"),
                        ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                        ValueRef::Blob(b) => format!("x'{}'", hex::encode(b)),
                    })
                    .collect();
                Ok(cells.join("|"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        rows.insert(0, format!("schema: {sql}"));
        out.insert(name, rows);
    }
    out
}

/// The data of a plain SQL dump: the rows of each `COPY` block (sorted) and the sequence
/// positions.
fn copy_blocks(sql: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut table: Option<String> = None;
    for line in sql.lines() {
        match &table {
            Some(_) if line == "\\." => table = None,
            Some(t) => out.get_mut(t).expect("block").push(line.to_owned()),
            None if line.starts_with("COPY ") => {
                let head = line.split(" FROM stdin").next().unwrap_or(line).to_owned();
                out.entry(head.clone()).or_default();
                table = Some(head);
            }
            None if line.starts_with("SELECT pg_catalog.setval(") => {
                out.entry("sequences".into())
                    .or_default()
                    .push(line.to_owned());
            }
            None => {}
        }
    }
    for rows in out.values_mut() {
        rows.sort();
    }
    out
}

fn tool_output(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run a PostgreSQL client program");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 dump")
}

/// Compares each table of the backup with the restored database; answers how many orders.
fn assert_same_rows(backup: &Path, restored: &Path, restored_url: Option<&str>) -> usize {
    let (a, b) = match restored_url {
        None => (
            sqlite_tables(&backup.join("rexian.db")),
            sqlite_tables(&restored.join("rexian.db")),
        ),
        Some(url) => {
            let dump = tool_output(
                Command::new(pg_tool("pg_restore").expect("pg_restore"))
                    .args(["--data-only", "--file=-"])
                    .arg(backup.join("rexian.pgdump")),
            );
            let now = tool_output(
                Command::new(pg_tool("pg_dump").expect("pg_dump"))
                    .arg("--data-only")
                    .arg(format!("--dbname={url}")),
            );
            (copy_blocks(&dump), copy_blocks(&now))
        }
    };
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, rows) in &a {
        let other = &b[table];
        assert_eq!(rows.len(), other.len(), "{table}: row count");
        for (x, y) in rows.iter().zip(other) {
            assert_eq!(x, y, "{table}: a row differs");
        }
    }
    let orders = a
        .iter()
        .find(|(t, _)| *t == "orders" || t.starts_with("COPY public.orders "))
        .map(|(_, rows)| rows.len())
        .expect("an orders table");
    assert!(a.len() > 20, "every table compared: {:?}", a.keys());
    orders
}

fn multipart_photo() -> (String, Vec<u8>) {
    let boundary = "rexianbackuptest0123";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"leak.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(PHOTO);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn backup_under_load_restores_every_row() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (data, bk, restored) = (
        tmp.path().join("data"),
        tmp.path().join("backup"),
        tmp.path().join("restored"),
    );
    let s = |p: &Path| p.to_str().expect("utf-8 path").to_owned();
    let pg = (backend() == "postgres").then(PgDb::new);
    let url = pg.as_ref().map(|d| d.url.as_str());
    if url.is_some() && pg_tool("pg_dump").is_none() {
        // No client programs: the command says what to run instead.
        let (ok, out) = run(
            tmp.path(),
            &["backup", &s(&bk), "--data-dir", &s(&data)],
            url,
        );
        assert!(
            !ok && out.contains("pg_dump not found") && out.contains("--format=custom"),
            "{out}"
        );
        return;
    }
    let server = Server::start(&data, url);
    let staff = setup(&server);

    // Acknowledged before the backup begins: orders, one with a photo.
    let mut early = Vec::new();
    for i in 0..10 {
        let (st, v) = server.call(
            "POST",
            "/api/v1/orders",
            Some(&staff.agent),
            Some(&order_body(&staff.company, 900_000 + i)),
        );
        assert_eq!(st, 201, "{v}");
        early.push((
            v["id"].as_str().unwrap().to_owned(),
            v["number"].as_str().unwrap().to_owned(),
        ));
    }
    let photo_order = early[0].0.clone();
    let (st, body) = request(
        &server.addr,
        "POST",
        &format!("/api/v1/orders/{photo_order}/photos"),
        Some(&staff.agent),
        Some(multipart_photo()),
    )
    .expect("upload");
    assert_eq!(st, 201, "{}", String::from_utf8_lossy(&body));
    let photo: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let photo_url = photo["items"][0]["url"].as_str().unwrap().to_owned();
    let photo_path = format!(
        "photos/{photo_order}/{}.jpg",
        photo["items"][0]["sha256"].as_str().unwrap()
    );

    // The backup, taken while concurrent intake runs.
    let tally = Tally::default();
    let workers = intake_load(
        &server.addr,
        &staff.agent,
        &staff.company,
        4,
        5_000,
        Duration::from_secs(60),
        &tally,
    );
    wait_for(&tally.acked, 30, Duration::from_secs(15));
    let mut acked_before = early.clone();
    acked_before.extend(tally.acked.lock().unwrap().iter().cloned());
    let (ok, out) = run(
        tmp.path(),
        &["backup", &s(&bk), "--data-dir", &s(&data)],
        url,
    );
    let during = early.len() + tally.acked.lock().unwrap().len();
    tally.stop.store(true, Ordering::Relaxed);
    let mut refused = Vec::new();
    for w in workers {
        refused.extend(w.join().expect("worker"));
    }
    assert!(ok, "backup failed: {out}");
    assert!(refused.is_empty(), "intake refused: {refused:?}");
    assert!(bk.join("rexian-backup.toml").is_file(), "{out}");
    assert_eq!(
        std::fs::read(bk.join(&photo_path)).expect("photo in the backup"),
        PHOTO
    );
    server.kill();

    // Refusals: a data dir (or database) that holds anything is not a restore target.
    let (ok, out) = run(
        tmp.path(),
        &["restore", &s(&bk), "--data-dir", &s(&data)],
        url,
    );
    assert!(!ok && out.contains("not empty"), "{out}");
    assert!(!out.contains("panicked"), "{out}");
    if let Some(source) = url {
        let (ok, out) = run(
            tmp.path(),
            &["restore", &s(&bk), "--data-dir", &s(&restored)],
            Some(source),
        );
        assert!(!ok && out.contains("not empty"), "{out}");
        assert!(!restored.exists(), "nothing written on refusal");
    }

    let target = url.map(|_| PgDb::new());
    let target_url = target.as_ref().map(|d| d.url.as_str());
    let (ok, out) = run(
        tmp.path(),
        &["restore", &s(&bk), "--data-dir", &s(&restored)],
        target_url,
    );
    assert!(ok, "restore failed: {out}");
    let orders = assert_same_rows(&bk, &restored, target_url);
    assert!(
        orders >= acked_before.len(),
        "{orders} orders in the backup, {} acknowledged before it",
        acked_before.len()
    );
    assert_eq!(
        std::fs::read(restored.join(&photo_path)).expect("restored photo"),
        PHOTO
    );

    // The restored server starts and serves what was acknowledged before the backup.
    let server = Server::start(&restored, target_url);
    let agent = login(&server, "agent-1", STAFF_PASSWORD);
    assert_all_found(&server, &agent, &acked_before);
    let (st, bytes) = request(&server.addr, "GET", &photo_url, Some(&agent), None).expect("photo");
    assert_eq!(st, 200);
    assert_eq!(bytes, PHOTO);
    let (st, v) = server.call(
        "POST",
        "/api/v1/orders",
        Some(&agent),
        Some(&order_body(&staff.company, 999_999)),
    );
    assert_eq!(st, 201, "intake on the restored server: {v}");

    // The bare database file of a backup restores too (without photo files).
    let bare = bk.join(if url.is_some() {
        "rexian.pgdump"
    } else {
        "rexian.db"
    });
    let restored4 = tmp.path().join("restored4");
    let target4 = url.map(|_| PgDb::new());
    let target4_url = target4.as_ref().map(|d| d.url.as_str());
    let (ok, out) = run(
        tmp.path(),
        &["restore", &s(&bare), "--data-dir", &s(&restored4)],
        target4_url,
    );
    assert!(ok, "restore of {}: {out}", bare.display());
    assert_eq!(assert_same_rows(&bk, &restored4, target4_url), orders);

    // A photo file lost from the data dir: the backup says so and fails, but is kept and
    // restores (with a warning).
    std::fs::remove_file(data.join(&photo_path)).unwrap();
    let (bk2, restored2) = (tmp.path().join("backup2"), tmp.path().join("restored2"));
    let (ok, out) = run(
        tmp.path(),
        &["backup", &s(&bk2), "--data-dir", &s(&data)],
        url,
    );
    assert!(
        !ok && out.contains("lacks 1 photo files") && out.contains(&photo_path),
        "{out}"
    );
    assert!(bk2.join("rexian-backup.toml").is_file(), "{out}");
    let target2 = url.map(|_| PgDb::new());
    let (ok, out) = run(
        tmp.path(),
        &["restore", &s(&bk2), "--data-dir", &s(&restored2)],
        target2.as_ref().map(|d| d.url.as_str()),
    );
    assert!(ok && out.contains("already missing"), "{out}");
    // A photo altered in a backup: restore refuses the backup.
    std::fs::write(bk.join(&photo_path), b"\xFF\xD8\xFF altered").unwrap();
    let restored3 = tmp.path().join("restored3");
    let target3 = url.map(|_| PgDb::new());
    let (ok, out) = run(
        tmp.path(),
        &["restore", &s(&bk), "--data-dir", &s(&restored3)],
        target3.as_ref().map(|d| d.url.as_str()),
    );
    assert!(!ok && out.contains("damaged"), "{out}");
    assert!(!restored3.exists(), "no data dir from a damaged backup");

    eprintln!(
        "backup under load: {} orders acknowledged before it, {during} by its end, {orders} in it",
        acked_before.len()
    );
}

#[test]
fn restore_refuses_what_it_cannot_restore() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = |p: &Path| p.to_str().expect("utf-8 path").to_owned();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let target = tmp.path().join("target");
    // Not a backup: no manifest.
    let (ok, out) = run(
        tmp.path(),
        &["restore", &s(&empty), "--data-dir", &s(&target)],
        None,
    );
    assert!(!ok && out.contains("rexian-backup.toml"), "{out}");
    // A file that is neither a database nor a dump.
    let junk = tmp.path().join("junk.bin");
    std::fs::write(&junk, b"hello").unwrap();
    let (ok, out) = run(
        tmp.path(),
        &["restore", &s(&junk), "--data-dir", &s(&target)],
        None,
    );
    assert!(!ok && out.contains("neither"), "{out}");
    // A missing backup.
    let (ok, out) = run(
        tmp.path(),
        &[
            "restore",
            &s(&tmp.path().join("nope")),
            "--data-dir",
            &s(&target),
        ],
        None,
    );
    assert!(!ok && out.contains("nope"), "{out}");
    // Backing up a data dir without a database, or into a non-empty directory.
    let (ok, out) = run(
        tmp.path(),
        &[
            "backup",
            &s(&tmp.path().join("bk")),
            "--data-dir",
            &s(&target),
        ],
        None,
    );
    assert!(!ok && out.contains("no SQLite database"), "{out}");
    assert!(
        !tmp.path().join("bk").exists(),
        "a failed backup leaves nothing"
    );
    let (ok, out) = run(
        tmp.path(),
        &["backup", &s(tmp.path()), "--data-dir", &s(&target)],
        None,
    );
    assert!(!ok && out.contains("not empty"), "{out}");
    assert!(!target.exists(), "nothing created");
    assert!(!out.contains("panicked"), "{out}");
}
