//! The organisation the load runs in, and the workers of each scenario.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::data::{self, Rng};
use super::http::{Conn, Resp, Target};
use super::stats::{merge_ops, OpSamples};

/// Teams (repair units) per company.
pub const TEAMS: usize = 3;

/// Password of the bench's staff.
pub(super) const STAFF_PASSWORD: &str = "bench-pass-2026";

/// One company and the tokens of its staff.
#[derive(Debug, Clone)]
pub struct Company {
    /// Company id.
    pub id: String,
    /// heat, power, gas or water.
    pub utility: &'static str,
    /// Repair teams with the token of each team's handler.
    pub teams: Vec<(String, String)>,
    /// Agent's token (intake).
    pub agent: String,
    /// Dispatcher's token (dispatch, review, reads).
    pub dispatcher: String,
    /// Callback agent's token (callback, close).
    pub callback: String,
}

/// What the scenarios run in.
#[derive(Debug)]
pub struct Org {
    /// The server.
    pub target: Target,
    /// Admin token.
    pub admin: String,
    /// The companies.
    pub companies: Vec<Company>,
    /// A tag unique to this run (logins, idempotency keys).
    pub run: String,
    /// Send an Idempotency-Key with each create, as clients should.
    pub idempotency: bool,
    /// Other nodes on the same database (`--nodes`): connections go to each node in turn.
    pub more: Vec<Target>,
    /// Connections handed out so far.
    pub handed: std::sync::atomic::AtomicUsize,
}

pub(super) async fn expect(
    r: anyhow::Result<Resp>,
    what: &str,
    status: &[u16],
) -> anyhow::Result<Value> {
    let r = r.with_context(|| what.to_owned())?;
    if !status.contains(&r.status) {
        bail!("{what}: HTTP {} {}", r.status, r.snippet());
    }
    Ok(r.json())
}

pub(super) fn id_of(v: &Value) -> anyhow::Result<String> {
    match &v["id"] {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => bail!("no id in {other}"),
    }
}

/// Logs in; returns the token.
pub async fn login(c: &mut Conn, login: &str, password: &str) -> anyhow::Result<String> {
    let v = expect(
        c.call(
            "POST",
            "/api/v1/session",
            None,
            Some(&json!({"login": login, "password": password})),
            None,
        )
        .await,
        &format!("login {login}"),
        &[200],
    )
    .await?;
    v["token"]
        .as_str()
        .map(str::to_owned)
        .context("no token in the session answer")
}

/// Waits until the server answers `/healthz` (at most 30 s).
pub(super) async fn wait_healthy(c: &mut Conn) -> anyhow::Result<()> {
    let t0 = Instant::now();
    loop {
        match c.call("GET", "/healthz", None, None, None).await {
            Ok(r) if r.status == 200 => return Ok(()),
            _ if t0.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Ok(r) => bail!("/healthz answers {}", r.status),
            Err(e) => return Err(e.context("/healthz")),
        }
    }
}

/// Creates the companies, units and staff of the run through the API.
pub async fn setup(
    target: &Target,
    admin_login: &str,
    admin_password: &str,
    idempotency: bool,
) -> anyhow::Result<Org> {
    let mut c = Conn::new(target);
    // The server may still be starting its listener's backlog: wait for health.
    let t0 = Instant::now();
    loop {
        match c.call("GET", "/healthz", None, None, None).await {
            Ok(r) if r.status == 200 => break,
            _ if t0.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Ok(r) => bail!("/healthz answers {}", r.status),
            Err(e) => return Err(e.context("/healthz")),
        }
    }
    let admin = login(&mut c, admin_login, admin_password).await?;
    let run = format!(
        "{:x}",
        (chrono::Utc::now().timestamp_millis() as u64) ^ u64::from(std::process::id())
    );
    let mut companies = Vec::new();
    for (utility, name) in data::UTILITIES {
        let v = expect(
            c.call(
                "POST",
                "/api/v1/companies",
                Some(&admin),
                Some(&json!({"name": format!("{name}{run}"), "utility": utility})),
                None,
            )
            .await,
            "create company",
            &[201],
        )
        .await?;
        let company = id_of(&v)?;
        if *utility == "heat" {
            expect(
                c.call(
                    "PUT",
                    &format!("/api/v1/companies/{company}/season"),
                    Some(&admin),
                    Some(&json!({"start": "2025-11-15", "end": "2026-03-15"})),
                    None,
                )
                .await,
                "set season",
                &[200, 204],
            )
            .await?;
        }
        let centre = create_unit(&mut c, &admin, &company, "客户服务中心".into(), "centre").await?;
        let mut team_ids = Vec::new();
        for t in 0..TEAMS {
            let name = format!("第{}维修班", t + 1);
            team_ids.push(create_unit(&mut c, &admin, &company, name, "repair_team").await?);
        }
        let login = |what: &str| format!("b{run}-{utility}-{what}");
        let agent = create_user(&mut c, &admin, login("agent"), "agent", &centre).await?;
        let dispatcher =
            create_user(&mut c, &admin, login("dispatcher"), "dispatcher", &centre).await?;
        let callback =
            create_user(&mut c, &admin, login("callback"), "callback_agent", &centre).await?;
        let mut teams = Vec::new();
        for (t, team) in team_ids.iter().enumerate() {
            let who = login(&format!("handler{t}"));
            let handler = create_user(&mut c, &admin, who, "unit_handler", team).await?;
            teams.push((team.clone(), handler));
        }
        companies.push(Company {
            id: company,
            utility,
            teams,
            agent,
            dispatcher,
            callback,
        });
    }
    Ok(Org {
        target: target.clone(),
        admin,
        companies,
        run,
        idempotency,
        more: Vec::new(),
        handed: Default::default(),
    })
}

pub(super) async fn create_unit(
    c: &mut Conn,
    admin: &str,
    company: &str,
    name: String,
    kind: &str,
) -> anyhow::Result<String> {
    let body = json!({"company_id": company, "name": name, "kind": kind});
    let r = c
        .call("POST", "/api/v1/units", Some(admin), Some(&body), None)
        .await;
    id_of(&expect(r, "create unit", &[201]).await?)
}

/// Creates a staff member and logs in as them; returns the token.
pub(super) async fn create_user(
    c: &mut Conn,
    admin: &str,
    login: String,
    role: &str,
    unit: &str,
) -> anyhow::Result<String> {
    let body = json!({"login": login, "name": "压测员", "password": STAFF_PASSWORD,
        "roles": [role], "unit_id": unit});
    let r = c
        .call("POST", "/api/v1/users", Some(admin), Some(&body), None)
        .await;
    expect(r, "create user", &[201]).await?;
    self::login(c, &login, STAFF_PASSWORD).await
}

/// What one worker hands back.
#[derive(Debug, Default)]
pub struct WorkerOut {
    /// Latencies by operation.
    pub ops: OpSamples,
    /// Orders it created: (company index, id).
    pub created: Vec<(usize, String)>,
    /// The first few failures, for the report.
    pub failures: Vec<String>,
    /// Units of work completed (orders, lifecycles or reads).
    pub done: u64,
    /// `matter`: each complaint's start and latency (ms).
    pub timeline: Vec<(Instant, f64)>,
    /// `matter`: the matters the complaints landed in.
    pub matters: std::collections::BTreeSet<String>,
    /// Transport failures in a row (the worker gives up at [`MAX_TRANSPORT_FAILURES`]).
    transport: u32,
}

/// What a worker's timed call came to.
pub(super) enum Answer {
    /// The status wanted: the answer.
    Ok(Resp),
    /// Another status, or no connection (counted as a failure).
    Failed,
    /// Too many transport failures in a row: the server is gone, stop.
    Down,
}

impl WorkerOut {
    /// Records call `op` started at `t`: a status in `want` counts its latency and returns the
    /// answer; anything else is a failure, and transport failures pause the worker briefly.
    pub(super) async fn record(
        &mut self,
        op: &'static str,
        t: Instant,
        r: anyhow::Result<Resp>,
        want: &[u16],
    ) -> Answer {
        match r {
            Ok(r) if want.contains(&r.status) => {
                self.ops.entry(op).or_default().ok(t.elapsed());
                self.transport = 0;
                Answer::Ok(r)
            }
            Ok(r) => {
                self.transport = 0;
                self.fail(op, format!("HTTP {} {}", r.status, r.snippet()));
                Answer::Failed
            }
            Err(e) => {
                self.fail(op, format!("{e:#}"));
                self.transport += 1;
                if self.transport >= MAX_TRANSPORT_FAILURES {
                    return Answer::Down;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                Answer::Failed
            }
        }
    }

    pub(super) fn fail(&mut self, op: &'static str, msg: String) {
        self.ops.entry(op).or_default().errors += 1;
        if self.failures.len() < 3 {
            self.failures.push(format!("{op}: {msg}"));
        }
    }
}

/// All workers' results merged, with the wall time they took.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Latencies by operation.
    pub ops: OpSamples,
    /// Orders created.
    pub created: Vec<(usize, String)>,
    /// First failures.
    pub failures: Vec<String>,
    /// Units of work completed.
    pub done: u64,
    /// Wall seconds from start to the last worker's end.
    pub seconds: f64,
    /// `matter`: each complaint's start and latency (ms), in the order they started.
    pub timeline: Vec<(Instant, f64)>,
    /// `matter`: the matters the complaints landed in.
    pub matters: std::collections::BTreeSet<String>,
}

/// Runs `concurrency` workers (each opens its own connection) and merges what they hand back.
pub async fn drive<F, Fut>(concurrency: usize, f: F) -> anyhow::Result<Outcome>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = WorkerOut> + Send + 'static,
{
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for w in 0..concurrency {
        tasks.push(tokio::spawn(f(w)));
    }
    let mut out = Outcome::default();
    for t in tasks {
        let w = t.await.context("a worker panicked")?;
        merge_ops(&mut out.ops, w.ops);
        out.created.extend(w.created);
        if out.failures.len() < 5 {
            out.failures.extend(w.failures);
        }
        out.done += w.done;
        out.timeline.extend(w.timeline);
        out.matters.extend(w.matters);
    }
    out.timeline.sort_by_key(|(at, _)| *at);
    out.seconds = t0.elapsed().as_secs_f64();
    Ok(out)
}

impl Org {
    /// A new connection: to the server, or with several nodes to each in turn.
    pub fn conn(&self) -> Conn {
        let n = self
            .handed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match n % (self.more.len() + 1) {
            0 => Conn::new(&self.target),
            i => Conn::new(&self.more[i - 1]),
        }
    }

    /// One connection to each node.
    pub fn conn_each(&self) -> Vec<Conn> {
        std::iter::once(&self.target)
            .chain(&self.more)
            .map(Conn::new)
            .collect()
    }
}

/// The clock call of the manual clock.
const ADVANCE: &str = "/api/v1/admin/clock/advance";

/// Gives up a worker after this many transport failures in a row (the server is gone).
pub(super) const MAX_TRANSPORT_FAILURES: u32 = 50;

/// Intake: create orders in the usual mix until `end`.
pub async fn intake_worker(org: Arc<Org>, w: usize, end: Instant, limit: Option<u64>) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut c = org.conn();
    let mut rng = Rng::new(w as u64 * 7919 + 1);
    let ci = w % org.companies.len();
    let company = &org.companies[ci];
    let mut n = 0u64;
    while Instant::now() < end && limit.is_none_or(|l| out.done < l) {
        let body = data::order(&mut rng, &company.id, company.utility);
        n += 1;
        let key = format!("{}-i{w}-{n}", org.run);
        let t = Instant::now();
        let idem = org.idempotency.then_some(key.as_str());
        let r = c.call(
            "POST",
            "/api/v1/orders",
            Some(&company.agent),
            Some(&body),
            idem,
        );
        match out.record("create", t, r.await, &[201]).await {
            Answer::Ok(r) => {
                out.done += 1;
                if let Ok(id) = id_of(&r.json()) {
                    out.created.push((ci, id));
                }
            }
            Answer::Failed => {}
            Answer::Down => break,
        }
    }
    out
}

/// The steps of a lifecycle after intake: (name, who, body).
fn steps(company: &Company, team: usize) -> Vec<(&'static str, String, Value)> {
    let (unit, handler) = &company.teams[team];
    vec![
        (
            "dispatch",
            company.dispatcher.clone(),
            json!({"unit_id": unit}),
        ),
        ("accept", handler.clone(), json!({})),
        ("arrive", handler.clone(), json!({})),
        (
            "reply",
            handler.clone(),
            json!({"result": "已到现场处理完毕，更换阀门一个，用户确认恢复正常"}),
        ),
        (
            "review",
            company.dispatcher.clone(),
            json!({"approved": true}),
        ),
        (
            "callbacks",
            company.callback.clone(),
            json!({"reached": true, "satisfaction": "satisfied", "matches_reply": true,
                "note": "用户表示满意"}),
        ),
        ("close", company.callback.clone(), json!({})),
    ]
}

/// Life: whole lifecycles of repair orders until `end`.
pub async fn life_worker(org: Arc<Org>, w: usize, end: Instant) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut c = org.conn();
    let mut rng = Rng::new(w as u64 * 104_729 + 3);
    let ci = w % org.companies.len();
    let company = &org.companies[ci];
    let mut n = 0u64;
    'life: while Instant::now() < end {
        let start = Instant::now();
        let body = data::repair(&mut rng, &company.id, company.utility);
        n += 1;
        let key = format!("{}-l{w}-{n}", org.run);
        let t = Instant::now();
        let idem = org.idempotency.then_some(key.as_str());
        let r = c.call(
            "POST",
            "/api/v1/orders",
            Some(&company.agent),
            Some(&body),
            idem,
        );
        let id = match out.record("create", t, r.await, &[201]).await {
            Answer::Ok(r) => match id_of(&r.json()) {
                Ok(id) => id,
                Err(e) => {
                    out.fail("create", e.to_string());
                    continue;
                }
            },
            Answer::Failed => continue,
            Answer::Down => break,
        };
        out.created.push((ci, id.clone()));
        let team = rng.below(company.teams.len());
        for (step, token, body) in steps(company, team) {
            let t = Instant::now();
            let path = format!("/api/v1/orders/{id}/{step}");
            let r = c.call("POST", &path, Some(&token), Some(&body), None);
            match out.record(step, t, r.await, &[200, 201]).await {
                Answer::Ok(_) => {}
                Answer::Failed => continue 'life,
                Answer::Down => break 'life,
            }
        }
        out.ops.entry("lifecycle").or_default().ok(start.elapsed());
        out.done += 1;
    }
    out
}

/// Read: order detail (4 in 5) and filtered lists (1 in 5) over `orders` until `end`.
pub async fn read_worker(
    org: Arc<Org>,
    orders: Arc<Vec<(usize, String)>>,
    w: usize,
    end: Instant,
) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut c = org.conn();
    let mut rng = Rng::new(w as u64 * 31 + 11);
    while Instant::now() < end {
        let (ci, id) = rng.pick(&orders).clone();
        let company = &org.companies[ci];
        let (op, path) = if rng.below(5) == 0 {
            let team = &rng.pick(&company.teams).0;
            ("list", data::list_query(&mut rng, team))
        } else {
            ("detail", format!("/api/v1/orders/{id}"))
        };
        let t = Instant::now();
        let r = c.call("GET", &path, Some(&company.dispatcher), None, None);
        match out.record(op, t, r.await, &[200]).await {
            Answer::Ok(_) => out.done += 1,
            Answer::Failed => {}
            Answer::Down => break,
        }
    }
    out
}

/// `n` sweeps with nothing due: zero-second advances of the clock, one after another.
pub async fn idle_sweeps(org: &Org, n: usize) -> super::stats::Samples {
    let mut s = super::stats::Samples::default();
    let mut c = org.conn();
    for _ in 0..n {
        let t = Instant::now();
        match c
            .call(
                "POST",
                ADVANCE,
                Some(&org.admin),
                Some(&json!({"seconds": 0})),
                None,
            )
            .await
        {
            Ok(r) if r.status == 200 => s.ok(t.elapsed()),
            _ => s.errors += 1,
        }
    }
    s
}

/// Keeps the manual clock moving with real time, running the timers as the system clock's
/// sweep would (every `every`); returns each sweep's latency when `stop` is set.
pub async fn ticker(
    org: Arc<Org>,
    every: Duration,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> super::stats::Samples {
    let mut s = super::stats::Samples::default();
    let mut conns = org.conn_each();
    let mut last = Instant::now();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if last.elapsed() < every {
            continue;
        }
        let secs = last.elapsed().as_secs_f64().round() as i64;
        last = Instant::now();
        // Every node has its own manual clock: each moves by the same step.
        for c in &mut conns {
            let t = Instant::now();
            let body = json!({"seconds": secs});
            match c
                .call("POST", ADVANCE, Some(&org.admin), Some(&body), None)
                .await
            {
                Ok(r) if r.status == 200 => s.ok(t.elapsed()),
                _ => s.errors += 1,
            }
        }
    }
    s
}

/// Logs in as the staff of a seeded data dir (see `rexian bench seed`).
pub async fn seeded(
    target: &Target,
    m: &super::seed::Manifest,
    idempotency: bool,
) -> anyhow::Result<Org> {
    let mut c = Conn::new(target);
    let t0 = Instant::now();
    loop {
        match c.call("GET", "/healthz", None, None, None).await {
            Ok(r) if r.status == 200 => break,
            _ if t0.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Ok(r) => bail!("/healthz answers {}", r.status),
            Err(e) => return Err(e.context("/healthz")),
        }
    }
    let admin = login(&mut c, &m.admin_login, &m.admin_password).await?;
    let pw = &m.staff_password;
    let mut companies = Vec::new();
    for sc in &m.companies {
        let utility = data::UTILITIES
            .iter()
            .map(|(u, _)| *u)
            .find(|u| *u == sc.utility)
            .with_context(|| format!("unknown utility {} in the manifest", sc.utility))?;
        let mut teams = Vec::new();
        for (unit, who) in &sc.teams {
            teams.push((unit.to_string(), login(&mut c, who, pw).await?));
        }
        anyhow::ensure!(!teams.is_empty(), "company {} has no teams", sc.id);
        companies.push(Company {
            id: sc.id.to_string(),
            utility,
            teams,
            agent: login(&mut c, &sc.agent, pw).await?,
            dispatcher: login(&mut c, &sc.dispatcher, pw).await?,
            callback: login(&mut c, &sc.callback, pw).await?,
        });
    }
    anyhow::ensure!(!companies.is_empty(), "the manifest names no company");
    let run = format!(
        "{:x}",
        (chrono::Utc::now().timestamp_millis() as u64) ^ u64::from(std::process::id())
    );
    Ok(Org {
        target: target.clone(),
        admin,
        companies,
        run,
        idempotency,
        more: Vec::new(),
        handed: Default::default(),
    })
}

/// Up to `n` random seeded orders with their company index.
pub fn sample_orders(m: &super::seed::Manifest, n: usize) -> Vec<(usize, String)> {
    let count = (m.last_order_id - m.first_order_id + 1).max(0) as u64;
    let mut rng = Rng::new(42);
    (0..n.min(count as usize))
        .map(|_| {
            let id = m.first_order_id + (rng.next_u64() % count) as i64;
            (m.company_of(id), id.to_string())
        })
        .collect()
}

/// The `n` whole months (`YYYY-MM`) before the month of `now` (RFC 3339).
pub fn months_before(now: &str, n: u32) -> anyhow::Result<Vec<String>> {
    use chrono::Datelike;
    let t = chrono::DateTime::parse_from_rfc3339(now)
        .with_context(|| format!("bad time {now:?} in the manifest"))?;
    let (mut y, mut mo) = (t.year(), t.month());
    let mut out = Vec::new();
    for _ in 0..n.max(1) {
        if mo == 1 {
            y -= 1;
            mo = 12;
        } else {
            mo -= 1;
        }
        out.push(format!("{y:04}-{mo:02}"));
    }
    Ok(out)
}

/// The `from` and inclusive `to` dates of a `YYYY-MM` month.
fn month_bounds(month: &str) -> Option<(String, String)> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    let last = next.pred_opt()?;
    Some((first.to_string(), last.to_string()))
}

/// Report: the monthly KPI of a random company and month until `end`.
pub async fn report_worker(
    org: Arc<Org>,
    months: Arc<Vec<String>>,
    w: usize,
    end: Instant,
) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut c = org.conn();
    let mut rng = Rng::new(w as u64 * 131 + 5);
    while Instant::now() < end {
        let company = rng.pick(&org.companies);
        let Some((from, to)) = month_bounds(rng.pick::<String>(months.as_slice())) else {
            out.fail("kpi", "bad month".into());
            break;
        };
        let path = format!(
            "/api/v1/reports/kpi?company_id={}&from={from}&to={to}",
            company.id
        );
        let t = Instant::now();
        let r = c.call("GET", &path, Some(&org.admin), None, None);
        match out.record("kpi", t, r.await, &[200]).await {
            Answer::Ok(_) => out.done += 1,
            Answer::Failed => {}
            Answer::Down => break,
        }
    }
    out
}

/// Timers: sweeps with nothing due (zero-second advances of the clock) until `end`.
pub async fn timers_worker(org: Arc<Org>, end: Instant) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut c = org.conn();
    while Instant::now() < end {
        let t = Instant::now();
        let zero = json!({"seconds": 0});
        let r = c.call("POST", ADVANCE, Some(&org.admin), Some(&zero), None);
        match out.record("sweep", t, r.await, &[200]).await {
            Answer::Ok(_) => out.done += 1,
            Answer::Failed => {}
            Answer::Down => break,
        }
    }
    out
}

/// The complaint every `matter` client sends: one community, one text, so that the product
/// proposes one matter for all of them (the mass-failure day).
const MATTER_TEXT: &str = "幸福小区今天全天停暖，多次打电话无人处理，要求尽快恢复供热";

/// Matter: complaints about one community from distinct callers until `end` (or until `left`
/// runs out, when it is given), each latency kept with its start.
pub async fn matter_worker(
    org: Arc<Org>,
    w: usize,
    end: Instant,
    left: Option<Arc<std::sync::atomic::AtomicI64>>,
) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut c = org.conn();
    let company = &org.companies[0];
    let mut n = 0u64;
    while Instant::now() < end {
        if let Some(l) = &left {
            if l.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) <= 0 {
                break;
            }
        }
        n += 1;
        let phone = format!("139{:08}", (w as u64 * 1_000_000 + n) % 100_000_000);
        let body = json!({"company_id": company.id, "category": "complaint", "channel": "phone",
            "description": MATTER_TEXT, "customer": {"phone": phone, "community": "幸福小区"}});
        let key = format!("{}-m{w}-{n}", org.run);
        let t = Instant::now();
        let idem = org.idempotency.then_some(key.as_str());
        let r = c.call(
            "POST",
            "/api/v1/orders",
            Some(&company.agent),
            Some(&body),
            idem,
        );
        match out.record("complaint", t, r.await, &[201]).await {
            Answer::Ok(r) => {
                out.timeline.push((t, t.elapsed().as_secs_f64() * 1000.0));
                out.done += 1;
                if let Some(m) = r.json()["matter_id"].as_str() {
                    out.matters.insert(m.to_owned());
                }
            }
            Answer::Failed => {}
            Answer::Down => break,
        }
    }
    out
}

/// Repair orders that nobody dispatches: `per` from each worker, into `company` (by index) or
/// spread over the companies.
pub async fn neglect_worker(
    org: Arc<Org>,
    w: usize,
    per: u64,
    company: Option<usize>,
) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut c = org.conn();
    let mut rng = Rng::new(w as u64 * 104_729 + 3);
    let ci = company.unwrap_or(w % org.companies.len());
    let company = &org.companies[ci];
    while out.done < per {
        let body = data::repair(&mut rng, &company.id, company.utility);
        let t = Instant::now();
        let r = c.call(
            "POST",
            "/api/v1/orders",
            Some(&company.agent),
            Some(&body),
            None,
        );
        match out.record("create", t, r.await, &[201]).await {
            Answer::Ok(_) => out.done += 1,
            Answer::Failed => {}
            Answer::Down => break,
        }
    }
    out
}

/// Moves the clock `seconds` forward in one call, which runs every timer that fell due;
/// returns the call's time and the effects (events) it applied.
pub async fn advance(org: &Org, seconds: i64) -> anyhow::Result<(Duration, u64)> {
    let mut c = org.conn();
    let t = Instant::now();
    let r = c
        .call(
            "POST",
            "/api/v1/admin/clock/advance",
            Some(&org.admin),
            Some(&json!({"seconds": seconds})),
            None,
        )
        .await;
    let took = t.elapsed();
    let v = expect(r, "advance the clock", &[200]).await?;
    Ok((took, v["applied"].as_u64().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_end_on_their_last_day() {
        assert_eq!(
            month_bounds("2024-02"),
            Some(("2024-02-01".into(), "2024-02-29".into()))
        );
        let m = months_before("2026-01-10T00:00:00Z", 2).unwrap();
        assert_eq!(m, vec!["2025-12".to_owned(), "2025-11".to_owned()]);
    }
}
