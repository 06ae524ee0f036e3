//! `rexian bench`: HTTP load on a server it starts itself (or on `--url`), with the database's
//! own durable insert rate measured in the same run as the ceiling. See BENCHMARKS.md.

mod ceiling;
mod data;
mod http;
mod outage;
mod peak;
mod replay;
mod scenarios;
mod seed;
mod server;
mod stats;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;

use ceiling::Ceiling;
use scenarios::Outcome;
use stats::{ProcReading, Summary};

/// Flags of `rexian bench`.
#[derive(Debug, Args, Clone)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub action: Option<BenchAction>,
    /// Scenarios to run, in order (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "intake,life,read")]
    pub scenarios: Vec<Scenario>,
    /// Clients sending at once, each on its own keep-alive connection.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of each ceiling figure (0: no ceiling).
    #[arg(long, default_value_t = 3.0)]
    pub ceiling_seconds: f64,
    /// Orders that must exist before `read` (created unmeasured when the earlier scenarios made
    /// fewer).
    #[arg(long, default_value_t = 2000)]
    pub read_orders: u64,
    /// Load an already running server instead of starting one (`http://host:port`); needs the
    /// admin's --login and --password.
    #[arg(long)]
    pub url: Option<String>,
    /// Admin login on --url.
    #[arg(long, default_value = "admin")]
    pub login: String,
    /// Admin password on --url.
    #[arg(long, env = "REXIAN_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Process id of the --url server, to read its memory and CPU.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// PostgreSQL (`postgres://…`): the bench makes a fresh database next to the one named,
    /// runs the server and the ceiling on it, and drops it after. Never printed.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Data dir of the started server [default: a temp dir, removed after].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The `rexian` binary to start [default: this one].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Seconds between timer sweeps (the bench moves the server's clock and runs its timers).
    #[arg(long, default_value_t = 5)]
    pub tick_seconds: u64,
    /// Create orders without an Idempotency-Key (clients should send one; this shows its cost).
    #[arg(long)]
    pub no_idempotency_key: bool,
    /// Servers to start on the one PostgreSQL database (issue 22: several nodes); clients are
    /// spread over them in turn. More than one needs `DATABASE_URL` and no `--url`.
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// Write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// `replay`: simulated seconds per real second.
    #[arg(long, default_value_t = 100.0)]
    pub replay_speed: f64,
    /// `replay`: repair calls in the day (the share in the 07:00-09:00 peak is kept).
    #[arg(long, default_value_t = replay::DAY_CALLS)]
    pub replay_calls: u64,
    /// `replay`: seed of the call schedule.
    #[arg(long, default_value_t = 20_261_115)]
    pub replay_seed: u64,
    /// `outage`: calls of the burst (at `--replay-speed` x the peak's two hours).
    #[arg(long, default_value_t = outage::PEAK_CALLS)]
    pub outage_calls: u64,
    /// `matter`: stop after this many complaints (0: run for --duration).
    #[arg(long, default_value_t = 0)]
    pub matter_complaints: u64,
    /// `timers`: repair orders left undispatched before the clock jumps 30 days, to time the
    /// catch-up (0: no catch-up).
    #[arg(long, default_value_t = 10_000)]
    pub neglected: u64,
}

/// Subcommands of `rexian bench`.
#[derive(Debug, clap::Subcommand, Clone)]
pub enum BenchAction {
    /// Generate realistic orders straight into a data dir (or DATABASE_URL), for runs at scale.
    Seed(seed::SeedArgs),
}

/// A load scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// Create orders in the usual category mix.
    Intake,
    /// Whole repair lifecycles: create, dispatch, accept, arrive, reply, review, callback, close.
    Life,
    /// Order detail (4 in 5) and filtered lists (1 in 5).
    Read,
    /// The monthly KPI of a company (a random month of the data).
    Report,
    /// Timer sweeps with nothing due, one after another; then the catch-up of a 30-day clock
    /// jump over `--neglected` orders nobody dispatched.
    Timers,
    /// Complaints about one community from distinct callers, all in one matter (the
    /// mass-failure day): mean latency of the first and last 100, and their ratio.
    Matter,
    /// The first day of Beijing's heating season (8,814 repair calls, 3,724 in two hours) at
    /// `--replay-speed` x real time, every step and timer on the simulated clock, on a server of
    /// its own.
    Replay,
    /// A published outage notice over one community, then the peak's calls from it (a fifth
    /// complaints) at `--replay-speed` x: intake during the burst, answers that told the
    /// notice, publish-to-first-answer time, the incident's count against the calls.
    Outage,
    /// A real peak's mix (issue 22): an outage notice over one community, then the intake mix
    /// with a fifth complaints (half about that community, in one matter) while one worker in
    /// eight runs repair lifecycles; intake per category.
    Peak,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Intake => "intake",
            Scenario::Life => "life",
            Scenario::Read => "read",
            Scenario::Report => "report",
            Scenario::Timers => "timers",
            Scenario::Matter => "matter",
            Scenario::Replay => "replay",
            Scenario::Outage => "outage",
            Scenario::Peak => "peak",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Scenario::Intake => "orders",
            Scenario::Life => "lifecycles",
            Scenario::Read => "reads",
            Scenario::Report => "reports",
            Scenario::Timers => "sweeps",
            Scenario::Matter => "complaints",
            Scenario::Replay => "lifecycles",
            Scenario::Outage => "calls",
            Scenario::Peak => "orders",
        }
    }
}

/// The machine the figures come from.
#[derive(Debug, Serialize)]
struct Machine {
    cores: usize,
    cpu: String,
    kernel: String,
    memory_gib: f64,
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|x| x.parse::<f64>().ok())
        .unwrap_or(0.0);
    Machine {
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        cpu,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        memory_gib: stats::round3(mem / 1024.0 / 1024.0),
    }
}

/// One scenario's figures.
#[derive(Debug, Serialize)]
struct ScenarioReport {
    name: &'static str,
    concurrency: usize,
    seconds: f64,
    /// What `throughput` counts.
    unit: &'static str,
    /// Units per second.
    throughput: f64,
    /// HTTP calls per second (all operations).
    requests_per_second: f64,
    errors: u64,
    ops: BTreeMap<&'static str, Summary>,
    first_errors: Vec<String>,
    /// The server after the scenario (peak RSS is since its start).
    server: Option<ProcReading>,
    /// Server CPU during the scenario, in cores (of `machine.cores`).
    server_cpu_cores: Option<f64>,
    /// Server CPU per unit, milliseconds.
    server_cpu_ms_per_unit: Option<f64>,
    /// The bench's own CPU during the scenario, in cores (it shares the machine).
    bench_cpu_cores: Option<f64>,
    /// The replay's own figures (calls, lag, deadlines missed).
    #[serde(skip_serializing_if = "Option::is_none")]
    replay: Option<replay::Figures>,
    /// `matter`: how latency grows with the matter.
    #[serde(skip_serializing_if = "Option::is_none")]
    matter: Option<MatterFigures>,
    /// `outage`: the burst from one community under a notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    outage: Option<outage::OutageFigures>,
    /// `timers`: the catch-up of a 30-day jump over neglected orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    catch_up: Option<CatchUp>,
}

/// The `matter` scenario's figures.
#[derive(Debug, Clone, Serialize)]
struct MatterFigures {
    complaints: u64,
    /// Distinct matters the complaints landed in (1: all proposed into one).
    matters: usize,
    /// Mean latency of the first 100 complaints (by start), ms.
    first_100_mean_ms: f64,
    /// Mean latency of the last 100, ms.
    last_100_mean_ms: f64,
    /// Last over first (target ≤ 1.5 at 5,000 complaints).
    ratio: f64,
    complaints_per_second: f64,
    /// Mean latency of each tenth of the complaints (by start), ms.
    tenths_mean_ms: Vec<f64>,
    /// Repair intake right after, into the same company on as many connections, orders/s.
    repairs_per_second: f64,
    /// Complaints/s over repairs/s (target ≥ 0.5).
    over_repairs: f64,
}

impl MatterFigures {
    fn of(o: &Outcome) -> MatterFigures {
        let mean = |xs: &[(Instant, f64)]| {
            if xs.is_empty() {
                0.0
            } else {
                xs.iter().map(|(_, ms)| ms).sum::<f64>() / xs.len() as f64
            }
        };
        let n = o.timeline.len();
        let first = mean(&o.timeline[..n.min(100)]);
        let last = mean(&o.timeline[n.saturating_sub(100)..]);
        MatterFigures {
            complaints: o.done,
            matters: o.matters.len(),
            first_100_mean_ms: stats::round3(first),
            last_100_mean_ms: stats::round3(last),
            ratio: if first > 0.0 {
                stats::round3(last / first)
            } else {
                0.0
            },
            complaints_per_second: stats::round3(o.done as f64 / o.seconds.max(1e-9)),
            tenths_mean_ms: (0..10)
                .map(|i| stats::round3(mean(&o.timeline[n * i / 10..n * (i + 1) / 10])))
                .collect(),
            repairs_per_second: 0.0,
            over_repairs: 0.0,
        }
    }
}

/// The `timers` scenario's catch-up figures.
#[derive(Debug, Clone, Serialize)]
struct CatchUp {
    /// Repair orders created and never dispatched.
    neglected: u64,
    /// Seconds to create them.
    create_seconds: f64,
    /// Days the clock jumped.
    days: i64,
    /// The jump's call, which runs every timer that fell due, ms.
    sweep_ms: f64,
    /// Timer effects it applied (each an event on an order; a supervision level's event comes
    /// with its notice).
    events: u64,
    /// Events per neglected order.
    events_per_order: f64,
}

/// The whole run's figures (`--json`).
#[derive(Debug, Serialize)]
struct Report {
    date: String,
    command: Vec<String>,
    machine: Machine,
    database: &'static str,
    server: String,
    concurrency: usize,
    idempotency_key: bool,
    ceiling: Option<Ceiling>,
    /// Intake orders/s over the ceiling's commits/s.
    intake_over_ceiling: Option<f64>,
    scenarios: Vec<ScenarioReport>,
    /// Timer sweeps run during the scenarios (`POST /admin/clock/advance`, which runs every due
    /// timer before it answers).
    timer_sweeps: Option<Summary>,
    /// Timer sweeps with nothing due after the scenarios (HTTP round trip of a zero-second
    /// advance, auth included), on the data the run left.
    idle_timer_sweeps: Option<Summary>,
    /// The server once the organisation is set up, before any load.
    server_after_setup: Option<ProcReading>,
    /// Peak RSS of the server over the whole run, MiB.
    server_peak_rss_mib: Option<f64>,
}

/// Runs `rexian bench`.
pub async fn run(a: BenchArgs) -> anyhow::Result<()> {
    if let Some(BenchAction::Seed(s)) = a.action.clone() {
        return seed::run(s).await;
    }
    anyhow::ensure!(a.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(a.duration > 0.0, "--duration must be positive");
    anyhow::ensure!(a.nodes >= 1, "--nodes must be at least 1");
    let pg = a
        .database_url
        .clone()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
    if a.database_url.as_deref().is_some_and(|u| !u.is_empty()) && pg.is_none() {
        anyhow::bail!("DATABASE_URL must be a postgres:// URL");
    }
    let manifest = match &a.data_dir {
        Some(d) if a.url.is_none() => seed::Manifest::read(d)?,
        _ => None,
    };
    if a.nodes > 1 && (pg.is_none() || a.url.is_some()) {
        anyhow::bail!("--nodes above 1 needs DATABASE_URL (PostgreSQL) and no --url");
    }
    if manifest.is_some() && pg.is_some() {
        anyhow::bail!(
            "a seeded data dir runs on its SQLite database: unset DATABASE_URL (seeded PostgreSQL runs are not supported yet)"
        );
    }
    let m = machine();
    println!(
        "rexian bench: {} cores ({}), {} GiB, {}; concurrency {}, {} s per scenario",
        m.cores, m.cpu, m.memory_gib, m.kernel, a.concurrency, a.duration
    );
    // The data dir and, on PostgreSQL, a database of the run's own.
    let temp = if a.data_dir.is_none() && a.url.is_none() {
        Some(tempfile::Builder::new().prefix("rexian-bench.").tempdir()?)
    } else {
        None
    };
    let data_dir = a
        .data_dir
        .clone()
        .or_else(|| temp.as_ref().map(|t| t.path().to_path_buf()));
    if let Some(d) = &data_dir {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let pg_db = match (&pg, &a.url) {
        (Some(u), None) => Some(ceiling::pg_create_database(u).await?),
        _ => None,
    };
    let result = run_with(
        &a,
        &m,
        data_dir.as_deref(),
        pg.as_deref(),
        pg_db.as_ref(),
        manifest.as_ref(),
    )
    .await;
    if let (Some(u), Some((_, name))) = (&pg, &pg_db) {
        if let Err(e) = ceiling::pg_drop_database(u, name).await {
            eprintln!("warning: could not drop the bench database {name}: {e:#}");
        }
    }
    let report = result?;
    if let Some(f) = &a.json {
        std::fs::write(f, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("writing {}", f.display()))?;
        println!("figures written to {}", f.display());
    }
    drop(temp);
    Ok(())
}

async fn run_with(
    a: &BenchArgs,
    m: &Machine,
    data_dir: Option<&std::path::Path>,
    pg_admin_url: Option<&str>,
    pg_db: Option<&(String, String)>,
    manifest: Option<&seed::Manifest>,
) -> anyhow::Result<Report> {
    let database = if pg_admin_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    // The ceiling first, on an idle machine and the same disk or server.
    let ceiling = if a.ceiling_seconds > 0.0 {
        let c = match (pg_db, pg_admin_url, data_dir) {
            (Some((url, _)), _, _) => {
                Some(ceiling::postgres(url, a.ceiling_seconds, a.concurrency.min(16)).await?)
            }
            (None, Some(url), _) => {
                Some(ceiling::postgres(url, a.ceiling_seconds, a.concurrency.min(16)).await?)
            }
            (None, None, Some(dir)) if a.url.is_none() => {
                Some(ceiling::sqlite(dir, a.ceiling_seconds).await?)
            }
            _ => {
                println!(
                    "ceiling: skipped (SQLite of a --url server: give no --url to measure it)"
                );
                None
            }
        };
        if let Some(c) = &c {
            print_ceiling(c);
        }
        c
    } else {
        None
    };

    // The server.
    let admin_password = format!("bench-admin-{}", std::process::id());
    let regular: Vec<Scenario> = a
        .scenarios
        .iter()
        .copied()
        .filter(|s| *s != Scenario::Replay)
        .collect();
    let with_replay = a.scenarios.contains(&Scenario::Replay);
    if with_replay {
        anyhow::ensure!(
            a.url.is_none(),
            "the replay scenario needs a server the bench starts (no --url)"
        );
        anyhow::ensure!(
            manifest.is_none(),
            "the replay scenario runs on a fresh data dir of its own: give no seeded --data-dir"
        );
    }
    let bin = match &a.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe().context("locating the rexian binary")?,
    };
    let mut loaded = Loaded {
        scenarios: Vec::new(),
        sweeps: None,
        idle_sweeps: None,
        after_setup: None,
    };
    let mut peak: Option<f64> = None;
    if !regular.is_empty() {
        let mut child = match &a.url {
            Some(_) => None,
            None => {
                let dir = data_dir.context("no data dir")?;
                let s = server::ChildServer::start(
                    &bin,
                    dir,
                    pg_db.map(|(u, _)| u.as_str()),
                    &admin_password,
                    manifest.map_or(server::CLOCK_START, |m| m.now.as_str()),
                )
                .await?;
                println!(
                    "server: pid {} at {} on {} (log {})",
                    s.pid,
                    s.url,
                    database,
                    s.log.display()
                );
                Some(s)
            }
        };
        let url = match (&a.url, &child) {
            (Some(u), _) => u.clone(),
            (None, Some(s)) => s.url.clone(),
            (None, None) => unreachable!("a child is started when no --url is given"),
        };
        let pid = child.as_ref().map(|s| s.pid).or(a.server_pid);
        let more = more_nodes(a, &bin, data_dir, pg_db, &admin_password).await?;
        let more_urls: Vec<String> = more.iter().map(|s| s.url.clone()).collect();
        let result = load(
            a,
            &regular,
            (&url, &more_urls),
            pid,
            child.is_some(),
            &admin_password,
            manifest,
        )
        .await;
        for s in more {
            s.stop().await;
        }
        if let Some(s) = &mut child {
            if !s.running() {
                eprintln!(
                    "the server stopped during the run; its log:\n{}",
                    server::tail(&s.log)
                );
            }
        }
        let final_proc = pid.and_then(stats::read_proc);
        if let Some(s) = child {
            s.stop().await;
        }
        loaded = result?;
        peak = final_proc.map(|p| p.peak_rss_mib).or_else(|| {
            loaded
                .scenarios
                .iter()
                .filter_map(|s| s.server.map(|p| p.peak_rss_mib))
                .reduce(f64::max)
        });
    }
    if with_replay {
        // On a fresh server (and database) of its own, its clock at the day's start: the other
        // scenarios' open orders would otherwise fall due all at once when the clock jumps.
        let base = data_dir.context("no data dir")?;
        let dir = if regular.is_empty() {
            base.to_path_buf()
        } else {
            base.join("replay")
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let extra_db = match pg_admin_url {
            Some(u) if !regular.is_empty() => Some(ceiling::pg_create_database(u).await?),
            _ => None,
        };
        let db = extra_db.as_ref().or(pg_db).map(|(u, _)| u.as_str());
        let result = run_replay(a, &bin, &dir, db, &admin_password, database).await;
        if let (Some(u), Some((_, name))) = (pg_admin_url, &extra_db) {
            if let Err(e) = ceiling::pg_drop_database(u, name).await {
                eprintln!("warning: could not drop the replay database {name}: {e:#}");
            }
        }
        let (r, after_setup) = result?;
        if let Some(p) = r.server.map(|p| p.peak_rss_mib) {
            peak = Some(peak.map_or(p, |q| q.max(p)));
        }
        if loaded.after_setup.is_none() {
            loaded.after_setup = after_setup;
        }
        loaded.scenarios.push(r);
    }
    let Loaded {
        scenarios,
        sweeps,
        idle_sweeps,
        after_setup,
    } = loaded;
    let intake = scenarios
        .iter()
        .find(|s| s.name == "intake")
        .map(|s| s.throughput);
    let ratio = match (&ceiling, intake) {
        (Some(c), Some(i)) if c.commits_per_second > 0.0 => {
            Some(stats::round3(i / c.commits_per_second))
        }
        _ => None,
    };
    if let (Some(r), Some(c)) = (ratio, &ceiling) {
        println!(
            "intake / ceiling: {:.0} orders/s over {:.0} commits/s = {:.3}",
            intake.unwrap_or(0.0),
            c.commits_per_second,
            r
        );
    }
    let matter = scenarios.iter().find(|s| s.name == "matter");
    if let (Some(i), Some(m)) = (intake, matter) {
        if i > 0.0 {
            println!(
                "matter / intake: {:.1} complaints/s over {:.1} orders/s = {:.3}",
                m.throughput,
                i,
                m.throughput / i
            );
        }
    }
    if let Some(p) = peak {
        println!("server peak RSS (VmHWM): {p:.1} MiB");
    }
    Ok(Report {
        date: chrono::Utc::now().to_rfc3339(),
        command: std::env::args().collect(),
        machine: Machine {
            cores: m.cores,
            cpu: m.cpu.clone(),
            kernel: m.kernel.clone(),
            memory_gib: m.memory_gib,
        },
        database,
        server: if a.url.is_some() {
            "external".into()
        } else {
            "child".into()
        },
        concurrency: a.concurrency,
        idempotency_key: !a.no_idempotency_key,
        ceiling,
        intake_over_ceiling: ratio,
        scenarios,
        timer_sweeps: sweeps,
        idle_timer_sweeps: idle_sweeps,
        server_after_setup: after_setup,
        server_peak_rss_mib: peak,
    })
}

/// Runs the replay on a server of its own; returns its report and the server after setup.
async fn run_replay(
    a: &BenchArgs,
    bin: &std::path::Path,
    dir: &std::path::Path,
    database_url: Option<&str>,
    admin_password: &str,
    database: &str,
) -> anyhow::Result<(ScenarioReport, Option<ProcReading>)> {
    let mut s =
        server::ChildServer::start(bin, dir, database_url, admin_password, replay::DAY_START)
            .await?;
    println!(
        "\nreplay server: pid {} at {} on {} (log {})",
        s.pid,
        s.url,
        database,
        s.log.display()
    );
    let settings = replay::Settings {
        calls: a.replay_calls,
        speed: a.replay_speed,
        seed: a.replay_seed,
        connections: a.concurrency,
    };
    let result = replay::run(&s.url, admin_password, Some(s.pid), settings).await;
    if !s.running() {
        eprintln!(
            "the replay server stopped during the run; its log:\n{}",
            server::tail(&s.log)
        );
    }
    let end = stats::read_proc(s.pid);
    s.stop().await;
    let ran = result?;
    let mut r = report(
        Scenario::Replay,
        a.concurrency,
        &ran.outcome,
        ran.server_before,
        ran.server_after,
        ran.me_before,
        ran.me_after,
    );
    // Peak RSS over the whole replay, the read-back included.
    if let (Some(p), Some(e)) = (&mut r.server, end) {
        p.peak_rss_mib = p.peak_rss_mib.max(e.peak_rss_mib);
    }
    r.replay = Some(ran.figures);
    print_scenario(&r);
    Ok((r, ran.after_setup))
}

fn print_ceiling(c: &Ceiling) {
    println!(
        "ceiling ({}): one INSERT per commit, 1 connection: {:.0}/s (p50 {:.2} ms, p99 {:.2} ms)",
        c.engine, c.single.per_second, c.single.p50_ms, c.single.p99_ms
    );
    if let Some(x) = &c.concurrent {
        println!(
            "ceiling ({}): one INSERT per commit, {} connections: {:.0}/s (p50 {:.2} ms, p99 {:.2} ms)",
            c.engine, c.connections, x.per_second, x.p50_ms, x.p99_ms
        );
    }
    println!(
        "ceiling ({}): {} INSERTs per commit (group commit): {:.0} rows/s",
        c.engine,
        ceiling::BATCH,
        c.batched_rows_per_second
    );
}

/// The servers after the first of `--nodes`, on the same PostgreSQL database, each with a data
/// dir of its own.
async fn more_nodes(
    a: &BenchArgs,
    bin: &std::path::Path,
    data_dir: Option<&std::path::Path>,
    pg_db: Option<&(String, String)>,
    admin_password: &str,
) -> anyhow::Result<Vec<server::ChildServer>> {
    let mut more = Vec::new();
    for n in 2..=a.nodes {
        let dir = data_dir.context("no data dir")?.join(format!("node{n}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let url = pg_db.map(|(u, _)| u.as_str());
        let s =
            server::ChildServer::start(bin, &dir, url, admin_password, server::CLOCK_START).await?;
        println!("node {n}: pid {} at {}", s.pid, s.url);
        more.push(s);
    }
    Ok(more)
}

/// Sets up the organisation and runs the scenarios.
async fn load(
    a: &BenchArgs,
    scenario_list: &[Scenario],
    (url, more_urls): (&str, &[String]),
    pid: Option<u32>,
    own_server: bool,
    admin_password: &str,
    manifest: Option<&seed::Manifest>,
) -> anyhow::Result<Loaded> {
    let target = http::Target::parse(url).await?;
    let (login, password) = if own_server {
        ("admin".to_owned(), admin_password.to_owned())
    } else {
        (
            a.login.clone(),
            a.password
                .clone()
                .context("--url needs the admin password (--password or REXIAN_ADMIN_PASSWORD)")?,
        )
    };
    let t = Instant::now();
    let mut created: Vec<(usize, String)> = Vec::new();
    let mut months = vec![server::CLOCK_START[..7].to_owned()];
    let org = match manifest {
        Some(m) => {
            let org = scenarios::seeded(&target, m, !a.no_idempotency_key).await?;
            created = scenarios::sample_orders(m, 100_000);
            months = scenarios::months_before(&m.now, m.months)?;
            println!(
                "seeded data: {} companies, orders {}..={}, staff logged in ({:.1} s)",
                org.companies.len(),
                m.first_order_id,
                m.last_order_id,
                t.elapsed().as_secs_f64()
            );
            org
        }
        None => {
            let org = scenarios::setup(&target, &login, &password, !a.no_idempotency_key).await?;
            println!(
                "setup: {} companies, {} teams each, staff logged in ({:.1} s)",
                org.companies.len(),
                scenarios::TEAMS,
                t.elapsed().as_secs_f64()
            );
            org
        }
    };
    let mut org = org;
    for u in more_urls {
        org.more.push(http::Target::parse(u).await?);
    }
    let org = Arc::new(org);
    let months = Arc::new(months);
    let after_setup = pid.and_then(stats::read_proc);
    if let Some(p) = after_setup {
        println!(
            "server after setup: RSS {:.1} MiB, peak {:.1} MiB",
            p.rss_mib, p.peak_rss_mib
        );
    }
    // Time moves and timers run while the load runs (only on a server the bench started: its
    // clock is manual so that callbacks fall in the allowed hours).
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = own_server.then(|| {
        tokio::spawn(scenarios::ticker(
            org.clone(),
            Duration::from_secs(a.tick_seconds.max(1)),
            stop.clone(),
        ))
    });
    let mut reports = Vec::new();
    let result = async {
        for s in scenario_list {
            if *s == Scenario::Read && (created.len() as u64) < a.read_orders {
                let missing = a.read_orders - created.len() as u64;
                let t = Instant::now();
                let per = missing.div_ceil(a.concurrency as u64);
                let org2 = org.clone();
                let far = Instant::now() + Duration::from_secs(3600);
                let o = scenarios::drive(a.concurrency, move |w| {
                    scenarios::intake_worker(org2.clone(), w, far, Some(per))
                })
                .await?;
                created.extend(o.created);
                println!(
                    "read: {} orders created first ({:.1} s)",
                    o.done,
                    t.elapsed().as_secs_f64()
                );
            }
            let before = pid.and_then(stats::read_proc);
            let me_before = stats::read_proc(std::process::id());
            let end = Instant::now() + Duration::from_secs_f64(a.duration);
            let org2 = org.clone();
            let mut published = None;
            let outcome = match s {
                Scenario::Intake => {
                    scenarios::drive(a.concurrency, move |w| {
                        scenarios::intake_worker(org2.clone(), w, end, None)
                    })
                    .await?
                }
                Scenario::Life => {
                    scenarios::drive(a.concurrency, move |w| {
                        scenarios::life_worker(org2.clone(), w, end)
                    })
                    .await?
                }
                Scenario::Read => {
                    anyhow::ensure!(!created.is_empty(), "no orders to read");
                    let orders = Arc::new(created.clone());
                    scenarios::drive(a.concurrency, move |w| {
                        scenarios::read_worker(org2.clone(), orders.clone(), w, end)
                    })
                    .await?
                }
                Scenario::Report => {
                    let months = months.clone();
                    scenarios::drive(a.concurrency, move |w| {
                        scenarios::report_worker(org2.clone(), months.clone(), w, end)
                    })
                    .await?
                }
                Scenario::Timers => {
                    anyhow::ensure!(
                        own_server,
                        "the timers scenario needs a server the bench starts (no --url)"
                    );
                    // Sweeps run one at a time on a node, whatever the concurrency.
                    scenarios::drive(1, move |_| scenarios::timers_worker(org2.clone(), end))
                        .await?
                }
                Scenario::Matter => {
                    let left = (a.matter_complaints > 0).then(|| {
                        Arc::new(std::sync::atomic::AtomicI64::new(
                            i64::try_from(a.matter_complaints).unwrap_or(i64::MAX),
                        ))
                    });
                    let end = if left.is_some() {
                        Instant::now() + Duration::from_secs(3600)
                    } else {
                        end
                    };
                    // The matter's first complaint alone (unmeasured): the others are proposed into it.
                    let first = Some(Arc::new(std::sync::atomic::AtomicI64::new(1)));
                    let o = scenarios::matter_worker(org.clone(), 0, end, first).await;
                    anyhow::ensure!(
                        o.done == 1,
                        "the matter's first complaint: {:?}",
                        o.failures
                    );
                    scenarios::drive(a.concurrency, move |w| {
                        scenarios::matter_worker(org2.clone(), w + 1, end, left.clone())
                    })
                    .await?
                }
                Scenario::Replay => anyhow::bail!("the replay runs on a server of its own"),
                Scenario::Peak => {
                    outage::publish_notice(&org).await?;
                    scenarios::drive(a.concurrency, move |w| peak::worker(org2.clone(), w, end))
                        .await?
                }
                Scenario::Outage => {
                    let (_, at) = outage::publish_notice(&org).await?;
                    published = Some(at);
                    let (calls, workers) = (a.outage_calls, a.concurrency);
                    let gap = outage::spacing(calls, a.replay_speed);
                    let start = Instant::now() + Duration::from_millis(100);
                    scenarios::drive(workers, move |w| {
                        outage::caller(org2.clone(), w, workers, calls, start, gap)
                    })
                    .await?
                }
            };
            let after = pid.and_then(stats::read_proc);
            let me_after = stats::read_proc(std::process::id());
            let mut r = report(
                *s,
                a.concurrency,
                &outcome,
                before,
                after,
                me_before,
                me_after,
            );
            if *s == Scenario::Matter {
                let mut f = MatterFigures::of(&outcome);
                // The baseline: as many repair orders into the same company, same connections.
                let workers = a.concurrency;
                let per = outcome.done.div_ceil(workers as u64).max(1);
                let org3 = org.clone();
                let repairs = scenarios::drive(workers, move |w| {
                    scenarios::neglect_worker(org3.clone(), w, per, Some(0))
                })
                .await?;
                f.repairs_per_second =
                    stats::round3(repairs.done as f64 / repairs.seconds.max(1e-9));
                if f.repairs_per_second > 0.0 {
                    f.over_repairs = stats::round3(f.complaints_per_second / f.repairs_per_second);
                }
                r.matter = Some(f);
            }
            if let (Scenario::Outage, Some(at)) = (*s, published) {
                let f = outage::figures(&org, &outcome, a.outage_calls, at, a.replay_speed);
                r.outage = Some(f.await?);
            }
            print_scenario(&r);
            created.extend(outcome.created);
            reports.push(r);
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    stop.store(true, Ordering::Relaxed);
    let sweeps = match ticker {
        Some(t) => {
            let s = t.await.context("the ticker panicked")?;
            let seconds = a.duration * scenario_list.len() as f64;
            let sum = s.summary(seconds);
            if sum.count > 0 || sum.errors > 0 {
                println!(
                    "timer sweeps under load: {} (p50 {:.1} ms, max {:.1} ms, {} failed)",
                    sum.count, sum.p50_ms, sum.max_ms, sum.errors
                );
            }
            Some(sum)
        }
        None => None,
    };
    result?;
    // The sweep with nothing due, on the data the scenarios left: the ticker has just run every
    // due timer, and a zero-second advance makes nothing new due.
    let idle_sweeps = if own_server {
        let s = scenarios::idle_sweeps(&org, 20).await;
        let sum = s.summary(0.0);
        println!(
            "timer sweep with nothing due: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} sweeps, {} failed)",
            sum.p50_ms, sum.p99_ms, sum.max_ms, sum.count, sum.errors
        );
        Some(sum)
    } else {
        None
    };
    // Last: the clock's jump expires the staff's sessions and makes every open order due.
    if own_server && a.neglected > 0 {
        if let Some(r) = reports.iter_mut().find(|r| r.name == "timers") {
            let c = catch_up(&org, a.neglected, a.concurrency).await?;
            print_catch_up(&c);
            r.catch_up = Some(c);
        }
    }
    Ok(Loaded {
        scenarios: reports,
        sweeps,
        idle_sweeps,
        after_setup,
    })
}

/// What [`load`] measured.
struct Loaded {
    scenarios: Vec<ScenarioReport>,
    sweeps: Option<Summary>,
    idle_sweeps: Option<Summary>,
    after_setup: Option<ProcReading>,
}

fn report(
    s: Scenario,
    concurrency: usize,
    o: &Outcome,
    before: Option<ProcReading>,
    after: Option<ProcReading>,
    me_before: Option<ProcReading>,
    me_after: Option<ProcReading>,
) -> ScenarioReport {
    let ops: BTreeMap<&'static str, Summary> = o
        .ops
        .iter()
        .map(|(k, v)| (*k, v.summary(o.seconds)))
        .collect();
    let requests: u64 = ops
        .iter()
        .filter(|(k, _)| **k != "lifecycle")
        .map(|(_, v)| v.count)
        .sum();
    let errors = ops.values().map(|v| v.errors).sum();
    let cpu = match (before, after) {
        (Some(b), Some(a)) => Some(a.cpu_seconds - b.cpu_seconds),
        _ => None,
    };
    let me_cpu = match (me_before, me_after) {
        (Some(b), Some(a)) => Some(a.cpu_seconds - b.cpu_seconds),
        _ => None,
    };
    ScenarioReport {
        name: s.name(),
        concurrency,
        seconds: stats::round3(o.seconds),
        unit: s.unit(),
        throughput: stats::round3(o.done as f64 / o.seconds),
        requests_per_second: stats::round3(requests as f64 / o.seconds),
        errors,
        ops,
        first_errors: o.failures.clone(),
        server: after,
        server_cpu_cores: cpu.map(|c| stats::round3(c / o.seconds)),
        server_cpu_ms_per_unit: cpu
            .filter(|_| o.done > 0)
            .map(|c| stats::round3(c * 1000.0 / o.done as f64)),
        bench_cpu_cores: me_cpu.map(|c| stats::round3(c / o.seconds)),
        replay: None,
        matter: None,
        outage: None,
        catch_up: None,
    }
}

/// A repair order's lifecycle, step by step; index 0 is the intake (the replay walks it too).
pub(crate) const LIFECYCLE: [&str; 8] = [
    "create",
    "dispatch",
    "accept",
    "arrive",
    "reply",
    "review",
    "callbacks",
    "close",
];

/// Where an operation is printed: the lifecycle's steps first, then these.
const OTHER_OPS: &[&str] = &["lifecycle", "detail", "list", "kpi", "sweep"];

fn op_rank(op: &str) -> usize {
    LIFECYCLE
        .iter()
        .chain(OTHER_OPS)
        .position(|o| *o == op)
        .unwrap_or(usize::MAX)
}

fn print_scenario(r: &ScenarioReport) {
    println!(
        "\n{}: {:.1} {}/s ({:.0} requests/s) over {:.1} s at concurrency {}, {} errors",
        r.name, r.throughput, r.unit, r.requests_per_second, r.seconds, r.concurrency, r.errors
    );
    let mut ops: Vec<_> = r.ops.iter().collect();
    ops.sort_by_key(|(op, _)| op_rank(op));
    for (op, s) in ops {
        println!(
            "  {:<10} {:>8} ok {:>5} err  {:>9.1}/s  p50 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms",
            op, s.count, s.errors, s.per_second, s.p50_ms, s.p99_ms, s.max_ms
        );
    }
    if let (Some(p), Some(c)) = (r.server, r.server_cpu_cores) {
        println!(
            "  server: peak RSS {:.1} MiB (now {:.1}, of which {:.1} heap), CPU {:.2} cores, {:.2} ms CPU per {}; bench CPU {:.2} cores",
            p.peak_rss_mib,
            p.rss_mib,
            p.anon_mib,
            c,
            r.server_cpu_ms_per_unit.unwrap_or(0.0),
            r.unit.trim_end_matches('s'),
            r.bench_cpu_cores.unwrap_or(0.0)
        );
    }
    for e in &r.first_errors {
        println!("  error: {e}");
    }
    if let Some(f) = &r.replay {
        replay::print(f);
    }
    if let Some(f) = &r.outage {
        println!(
            "  outage: {} calls ({} repairs, {} complaints) planned over {:.1} s; {} answers told the notice, the first {} ms after publishing; the repairs' incident holds {} orders ({} incidents)",
            f.calls, f.repairs, f.complaints, f.planned_seconds, f.told,
            f.publish_to_first_answer_ms.map_or("-".to_owned(), |m| format!("{m:.1}")),
            f.incident_orders, f.incidents
        );
    }
    if let Some(m) = &r.matter {
        println!(
            "  matter: {} complaints in {} matter(s), {:.1}/s; mean latency first 100 {:.2} ms, last 100 {:.2} ms, ratio {:.2}",
            m.complaints, m.matters, m.complaints_per_second, m.first_100_mean_ms, m.last_100_mean_ms, m.ratio
        );
        let tenths: Vec<String> = m.tenths_mean_ms.iter().map(|x| format!("{x:.1}")).collect();
        println!("  matter: mean latency by tenth, ms: {}", tenths.join(" "));
        println!(
            "  matter: repair intake into the same company on as many connections: {:.1}/s; complaints over repairs {:.2}",
            m.repairs_per_second, m.over_repairs
        );
    }
}

fn print_catch_up(c: &CatchUp) {
    println!(
        "timers catch-up: {} neglected orders (created in {:.1} s), then the clock +{} days in one call: {:.0} ms, {} events ({:.2} per neglected order; the earlier scenarios' open orders fall due too)",
        c.neglected, c.create_seconds, c.days, c.sweep_ms, c.events, c.events_per_order
    );
}

/// Days the catch-up moves the clock.
const CATCH_UP_DAYS: i64 = 30;

/// Creates `n` repair orders nobody dispatches, moves the clock 30 days in one call and times
/// the catch-up it runs (supervision is bounded: at most the chain's depth of levels per order).
async fn catch_up(
    org: &Arc<scenarios::Org>,
    n: u64,
    concurrency: usize,
) -> anyhow::Result<CatchUp> {
    let t = Instant::now();
    let workers = concurrency.min(n as usize).max(1);
    let per = n.div_ceil(workers as u64);
    let org2 = org.clone();
    let o = scenarios::drive(workers, move |w| {
        let mine = per.min(n.saturating_sub(per * w as u64));
        scenarios::neglect_worker(org2.clone(), w, mine, None)
    })
    .await?;
    if let Some(e) = o.failures.first() {
        anyhow::bail!("creating the neglected orders: {e}");
    }
    let create_seconds = t.elapsed().as_secs_f64();
    let (took, events) = scenarios::advance(org, CATCH_UP_DAYS * 86_400).await?;
    Ok(CatchUp {
        neglected: o.done,
        create_seconds: stats::round3(create_seconds),
        days: CATCH_UP_DAYS,
        sweep_ms: stats::round3(took.as_secs_f64() * 1000.0),
        events,
        events_per_order: stats::round3(events as f64 / o.done.max(1) as f64),
    })
}
