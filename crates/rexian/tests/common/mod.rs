//! Drives the real `rexian` binary: `serve` on a port of its own (read from what it prints),
//! plain HTTP/1.1 calls, and fresh PostgreSQL databases when `REXIAN_TEST_DB=postgres`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The password of the first `admin`.
pub const ADMIN_PASSWORD: &str = "admin-pass-2026";
/// The password of the staff the tests create.
pub const STAFF_PASSWORD: &str = "staff-pass-2026";

/// `postgres` when `REXIAN_TEST_DB=postgres`, else `sqlite`.
pub fn backend() -> &'static str {
    match std::env::var("REXIAN_TEST_DB").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// A `rexian` command with none of the caller's settings (config file, database, clock).
pub fn rexian(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rexian"));
    c.current_dir(cwd);
    for v in [
        "DATABASE_URL",
        "REXIAN_CONFIG",
        "REXIAN_CLOCK",
        "REXIAN_CLOCK_START",
        "REXIAN_DATA_DIR",
        "REXIAN_LISTEN",
        "REXIAN_DEMO",
        "REXIAN_LOG",
    ] {
        c.env_remove(v);
    }
    c
}

/// Runs `rexian ARGS` (with `DATABASE_URL` when given): success and stdout + stderr.
pub fn run(cwd: &Path, args: &[&str], database_url: Option<&str>) -> (bool, String) {
    let mut c = rexian(cwd);
    c.args(args);
    if let Some(u) = database_url {
        c.env("DATABASE_URL", u);
    }
    let out = c.output().expect("run rexian");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A running `rexian serve`; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    log: PathBuf,
}

impl Server {
    /// Starts `serve` on `data_dir` (and PostgreSQL at `database_url` when given) and waits
    /// until `/healthz` answers 200 (at most 90 s).
    pub fn start(data_dir: &Path, database_url: Option<&str>) -> Server {
        std::fs::create_dir_all(data_dir).expect("data dir");
        let log = data_dir.with_extension(format!("log-{}", unique()));
        let err = std::fs::File::create(&log).expect("server log");
        let mut c = rexian(data_dir);
        c.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log",
            "warn",
            "--data-dir",
        ])
        .arg(data_dir)
        .env("REXIAN_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(err);
        if let Some(u) = database_url {
            c.env("DATABASE_URL", u);
        }
        let mut child = c.spawn().expect("start rexian serve");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Reads every line (the pipe must not fill), reporting the address once.
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(rest.trim_end_matches('/').to_owned());
                }
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            log,
        };
        match rx.recv_timeout(Duration::from_secs(90)) {
            Ok(a) => server.addr = a,
            Err(_) => panic!("serve did not start: {}", server.log_tail()),
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = request(&server.addr, "GET", "/healthz", None, None) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no /healthz: {}",
                server.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// `kill -9`, and waits for the process to end.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The end of the server's log (for failure messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// `method path` with a JSON body: status and JSON answer.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        match json_call(&self.addr, method, path, token, body) {
            Ok(r) => r,
            Err(e) => panic!("{method} {path}: {e}; server log: {}", self.log_tail()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )
}

/// One JSON call on a fresh connection.
pub fn json_call(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let body = body.map(|b| ("application/json".to_owned(), b.to_string().into_bytes()));
    let (status, bytes) = request(addr, method, path, token, body)?;
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
    };
    Ok((status, v))
}

/// One HTTP/1.1 request (`Connection: close`): status and body bytes. Bounded by timeouts.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(String, Vec<u8>)>,
) -> Result<(u16, Vec<u8>), String> {
    let sock = addr
        .parse()
        .map_err(|e| format!("bad address {addr}: {e}"))?;
    let mut s = TcpStream::connect_timeout(&sock, Duration::from_secs(5))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .and_then(|()| s.set_write_timeout(Some(Duration::from_secs(30))))
        .map_err(|e| e.to_string())?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n"
    );
    if let Some(t) = token {
        req += &format!("Authorization: Bearer {t}\r\n");
    }
    let payload = match body {
        Some((ctype, bytes)) => {
            req += &format!(
                "Content-Type: {ctype}\r\nContent-Length: {}\r\n",
                bytes.len()
            );
            bytes
        }
        None => Vec::new(),
    };
    req += "\r\n";
    let mut all = req.into_bytes();
    all.extend_from_slice(&payload);
    s.write_all(&all).map_err(|e| format!("send: {e}"))?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)
        .map_err(|e| format!("receive: {e}"))?;
    let end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no complete answer ({} bytes)", resp.len()))?;
    let head = String::from_utf8_lossy(&resp[..end]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line: {head}"))?;
    let mut body = resp[end + 4..].to_vec();
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Ok((status, body))
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").ok_or("bad chunk")?;
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("bad chunk size: {e}"))?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if b.len() < size + 2 {
            return Err("short chunk".into());
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// The staff of a test: a water company, its centre and an agent.
pub struct Staff {
    /// Admin token.
    pub admin: String,
    /// Agent token.
    pub agent: String,
    /// Company id.
    pub company: String,
}

/// Logs in: the token.
pub fn login(server: &Server, login: &str, password: &str) -> String {
    let (st, v) = server.call(
        "POST",
        "/api/v1/session",
        None,
        Some(&json!({"login": login, "password": password})),
    );
    assert_eq!(st, 200, "login {login}: {v}");
    v["token"].as_str().expect("token").to_owned()
}

/// Creates a company, a centre and an agent on a fresh server.
pub fn setup(server: &Server) -> Staff {
    let admin = login(server, "admin", ADMIN_PASSWORD);
    let (st, v) = server.call(
        "POST",
        "/api/v1/companies",
        Some(&admin),
        Some(&json!({"name": "清源水务", "utility": "water"})),
    );
    assert_eq!(st, 201, "company: {v}");
    let company = v["id"].as_str().expect("company id").to_owned();
    let (st, v) = server.call(
        "POST",
        "/api/v1/units",
        Some(&admin),
        Some(&json!({"company_id": company, "name": "客户服务中心", "kind": "centre"})),
    );
    assert_eq!(st, 201, "unit: {v}");
    let unit = v["id"].as_str().expect("unit id").to_owned();
    let (st, v) = server.call(
        "POST",
        "/api/v1/users",
        Some(&admin),
        Some(
            &json!({"login": "agent-1", "name": "话务员一", "password": STAFF_PASSWORD,
            "roles": ["agent"], "unit_id": unit}),
        ),
    );
    assert_eq!(st, 201, "user: {v}");
    let agent = login(server, "agent-1", STAFF_PASSWORD);
    Staff {
        admin,
        agent,
        company,
    }
}

/// The body of a new repair order, number `i` of a test.
pub fn order_body(company: &str, i: u64) -> Value {
    json!({
        "company_id": company, "category": "repair", "subtype": "leak", "channel": "phone",
        "description": format!("水表井漏水，第{i}单"),
        "customer": {"name": format!("住户{i}"), "phone": format!("1390000{:04}", i % 10_000),
            "address": format!("清源小区{}号楼{}室", 1 + i % 30, 101 + i % 8)},
    })
}

/// What intake workers share: a stop flag and the acknowledged orders as (id, number).
#[derive(Clone, Default)]
pub struct Tally {
    /// Set to stop the workers.
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Orders answered 201.
    pub acked: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

/// Intake load: `threads` workers post orders until the tally's stop flag, `per_thread` orders
/// each or `limit` passes; each acknowledged order (201) goes into the tally. A worker stops at
/// its first failed connection (the server is gone). Each handle answers the refusals it saw.
pub fn intake_load(
    addr: &str,
    token: &str,
    company: &str,
    threads: u64,
    per_thread: u64,
    limit: Duration,
    tally: &Tally,
) -> Vec<std::thread::JoinHandle<Vec<String>>> {
    use std::sync::atomic::Ordering;
    let start = Instant::now();
    (0..threads)
        .map(|t| {
            let (addr, token, company) = (addr.to_owned(), token.to_owned(), company.to_owned());
            let tally = tally.clone();
            std::thread::spawn(move || {
                let mut refused = Vec::new();
                for i in 0..per_thread {
                    if tally.stop.load(Ordering::Relaxed) || start.elapsed() > limit {
                        break;
                    }
                    let body = order_body(&company, t * 1_000_000 + i);
                    match json_call(&addr, "POST", "/api/v1/orders", Some(&token), Some(&body)) {
                        Ok((201, v)) => {
                            let id = v["id"].as_str().unwrap_or_default().to_owned();
                            let number = v["number"].as_str().unwrap_or_default().to_owned();
                            assert!(!id.is_empty() && !number.is_empty(), "201 without id: {v}");
                            tally.acked.lock().unwrap().push((id, number));
                        }
                        Ok((st, v)) => refused.push(format!("{st}: {v}")),
                        Err(_) => break,
                    }
                }
                refused
            })
        })
        .collect()
}

/// Waits (at most `limit`) until `acked` holds at least `n` orders; false when it did not.
pub fn wait_for(
    acked: &std::sync::Mutex<Vec<(String, String)>>,
    n: usize,
    limit: Duration,
) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if acked.lock().unwrap().len() >= n {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Checks that every order in `acked` is found by id, with its number.
pub fn assert_all_found(server: &Server, token: &str, acked: &[(String, String)]) {
    for (id, number) in acked {
        let (st, v) = server.call("GET", &format!("/api/v1/orders/{id}"), Some(token), None);
        assert_eq!(st, 200, "acknowledged order {id} ({number}) lost: {v}");
        assert_eq!(v["number"].as_str(), Some(number.as_str()), "order {id}");
    }
}

/// A fresh, empty PostgreSQL database on `REXIAN_TEST_PG_URL`, dropped with this value.
pub struct PgDb {
    base: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl PgDb {
    /// Creates it.
    pub fn new() -> PgDb {
        let base = std::env::var("REXIAN_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("rexian_cli_{}", unique().replace('-', "_"));
        pg_exec(&base, &format!("CREATE DATABASE {name}"));
        let i = base
            .rfind('/')
            .expect("REXIAN_TEST_PG_URL needs a database path");
        let url = format!("{}/{name}", &base[..i]);
        PgDb { base, name, url }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        pg_exec(
            &self.base,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Runs one statement on `url` (its own runtime: callers are plain threads).
pub fn pg_exec(url: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(url)
            .await
            .expect("connect to REXIAN_TEST_PG_URL");
        sqlx::query(sql).execute(&mut c).await.expect(sql);
    });
}

/// A PostgreSQL client program as `rexian` finds it (PATH, then /usr/lib/postgresql/*/bin).
pub fn pg_tool(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((v, e.path().join("bin").join(name)))
            })
            .filter(|(_, p)| p.is_file())
            .collect();
        found.sort();
        found.pop().map(|(_, p)| p)
    })
}
