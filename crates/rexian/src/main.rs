//! `rexian`: the hotline and work-order product in one binary.

mod backup;
mod bench;
mod demo;
mod import;
mod search_bench;
mod settings;

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use rexian_server::clock::{Clock, ManualClock, SystemClock};
use rexian_store::Store;

use settings::{ServeArgs, Settings};

/// Rexian (热线): customer-service hotline and work orders for public utilities.
#[derive(Debug, Parser)]
#[command(name = "rexian", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API, the web console and the timers.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(ServeArgs),
    /// Manage staff accounts from the command line.
    User {
        #[command(subcommand)]
        action: UserAction,
        #[command(flatten)]
        db: ServeArgs,
    },
    /// Import data into the register.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Validate policy files.
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
    /// Check or load the holiday calendar.
    Calendar {
        #[command(subcommand)]
        action: CalendarAction,
    },
    /// Load a server over HTTP and measure throughput, latency and memory (see BENCHMARKS.md).
    Bench(bench::BenchArgs),
    /// Back up the database, the photo files and the calendar into a new directory DEST, while
    /// `serve` runs (SQLite: a consistent snapshot; PostgreSQL: `pg_dump --format=custom`).
    Backup {
        /// New or empty directory for the backup.
        dest: std::path::PathBuf,
        #[command(flatten)]
        db: Box<ServeArgs>,
    },
    /// Restore a backup into an empty data dir (and, with DATABASE_URL, an empty PostgreSQL
    /// database); rebuilds the search index. BACKUP: a directory of `rexian backup`, or a bare
    /// SQLite file or pg_dump custom-format file.
    Restore {
        /// The backup directory or file.
        backup: std::path::PathBuf,
        #[command(flatten)]
        db: Box<ServeArgs>,
    },
    /// The full-text search index of this node.
    Search {
        #[command(subcommand)]
        action: SearchAction,
    },
    /// Print the OpenAPI document of the JSON API (as `GET /api/v1/openapi.json` serves it).
    Openapi,
}

#[derive(Debug, Subcommand)]
enum SearchAction {
    /// Rebuild this node's index (DATA_DIR/search-index) from the database, with a progress
    /// bar. Stop `serve` on this node first: the index is held by the running server.
    Rebuild {
        #[command(flatten)]
        db: Box<ServeArgs>,
    },
    /// Measure search latency on an index of synthetic orders (in a temp dir).
    Bench {
        /// Synthetic orders to index.
        #[arg(long, default_value_t = 200_000)]
        orders: u64,
        /// Times each query is run per scope.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Rank all orders together instead of recent ones first (as the server does).
        #[arg(long)]
        all_together: bool,
        /// Keep the index in this directory and reuse it on the next run.
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ImportWhat {
    /// Customers (热用户/客户档案) from CSV or Excel: 户号, 姓名, 电话, 区, 小区, 楼, 单元, 室,
    /// 换热站, 居民, 身份证号 (optional, checked; English headers work too). Any bad row: nothing
    /// is imported.
    Customers {
        /// CSV or .xlsx file.
        file: std::path::PathBuf,
        /// Company id.
        #[arg(long)]
        company: i64,
        #[command(flatten)]
        db: ServeArgs,
    },
}

#[derive(Debug, Subcommand)]
enum PolicyAction {
    /// Check policy files (full presets, or company overrides with --over PRESET); reports the
    /// line and reason of the first problem of each file.
    Check {
        /// Policy TOML files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// Check FILE as an override of this preset (heat, power, gas, water).
        #[arg(long)]
        over: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum CalendarAction {
    /// Check a calendar file (the format of calendars/cn-mainland.toml) [default: the one in use].
    Check {
        /// Calendar TOML file.
        file: Option<std::path::PathBuf>,
        #[command(flatten)]
        db: ServeArgs,
    },
    /// Validate a calendar file and install it in the data dir; `serve` uses it from the next
    /// start, without a rebuild (e.g. when the State Council publishes a new year).
    Load {
        /// Calendar TOML file.
        file: std::path::PathBuf,
        #[command(flatten)]
        db: ServeArgs,
    },
}

#[derive(Debug, Subcommand)]
enum UserAction {
    /// Set a user's password (clears a lockout). Reads the password from REXIAN_NEW_PASSWORD.
    Passwd {
        /// Login name.
        login: String,
    },
    /// Disable a user (revokes every session and token).
    Disable {
        /// Login name.
        login: String,
    },
    /// List users.
    List,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(a) => serve(a).await,
        Command::Openapi => {
            use std::io::Write;
            let text = rexian_server::api::doc::document_pretty();
            match std::io::stdout().lock().write_all(text.as_bytes()) {
                // A reader that stopped early (`| head`) is no failure.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.map_err(Into::into),
            }
        }
        Command::Migrate(a) => {
            let s = Settings::resolve(&a)?;
            init_logging(&s.log);
            let store = open_store(&s).await?;
            store.close().await;
            println!("migrations applied ({:?})", s.database);
            Ok(())
        }
        Command::User { action, db } => user(action, db).await,
        Command::Bench(a) => bench::run(a).await,
        Command::Backup { dest, db } => {
            let s = Settings::resolve(&db)?;
            init_logging("warn");
            backup::backup(&s, &dest).await
        }
        Command::Restore { backup, db } => {
            let s = Settings::resolve(&db)?;
            init_logging("warn");
            backup::restore(&s, &backup).await
        }
        Command::Search {
            action: SearchAction::Rebuild { db },
        } => {
            let s = Settings::resolve(&db)?;
            init_logging("warn");
            let store = open_store(&s).await?;
            let r = search_rebuild(&store, &s.data_dir).await;
            store.close().await;
            r
        }
        Command::Search {
            action:
                SearchAction::Bench {
                    orders,
                    rounds,
                    all_together,
                    keep,
                },
        } => {
            anyhow::ensure!(
                orders > 0 && rounds > 0,
                "--orders and --rounds must be positive"
            );
            search_bench::run(orders, rounds, !all_together, keep.as_deref()).await
        }
        Command::Import {
            what: ImportWhat::Customers { file, company, db },
        } => {
            let s = Settings::resolve(&db)?;
            init_logging("warn");
            let store = open_store(&s).await?;
            let r = import::customers(&store, company, &file, Utc::now().timestamp_millis()).await;
            store.close().await;
            r.map(|_| ())
        }
        Command::Policy {
            action: PolicyAction::Check { files, over },
        } => {
            let mut failed = 0;
            for file in &files {
                if let Err(e) = check_policy(file, over.as_deref()) {
                    eprintln!("{e:#}");
                    failed += 1;
                }
            }
            if failed > 0 {
                anyhow::bail!("{failed} of {} policy files failed", files.len());
            }
            Ok(())
        }
        Command::Calendar {
            action: CalendarAction::Check { file, db },
        } => {
            let cal = match &file {
                Some(f) => read_calendar(f)?,
                None => load_calendar(&Settings::resolve(&db)?.data_dir)?,
            };
            println!("calendar ok: years {:?}", cal.years());
            let year = chrono::Datelike::year(&Utc::now());
            let missing = cal.missing_years(year, year + 1);
            if !missing.is_empty() {
                println!("warning: no holiday data for {missing:?}; deadlines there are provisional (weekends only)");
            }
            Ok(())
        }
        Command::Calendar {
            action: CalendarAction::Load { file, db },
        } => {
            let cal = read_calendar(&file)?;
            let dir = Settings::resolve(&db)?.data_dir;
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let dest = dir.join(CALENDAR_FILE);
            std::fs::copy(&file, &dest).with_context(|| format!("writing {}", dest.display()))?;
            println!(
                "calendar with years {:?} installed as {}; restart serve to use it",
                cal.years(),
                dest.display()
            );
            Ok(())
        }
    }
}

/// `rexian search rebuild`: every record of the database into a fresh index, with a progress
/// bar; the cursor becomes the end of the outbox at the start.
async fn search_rebuild(store: &Store, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let dir = data_dir.join("search-index");
    let index = rexian_search::SearchIndex::open(&dir).with_context(|| {
        format!(
            "opening the search index in {} (is `rexian serve` running on this data dir? stop it first)",
            dir.display()
        )
    })?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let n = index
        .rebuild(store, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await
        .context("rebuilding the search index")?;
    bar.finish();
    println!(
        "search index rebuilt: {n} records in {:.1} s, cursor at outbox row {}",
        started.elapsed().as_secs_f64(),
        index.cursor().await
    );
    Ok(())
}

/// File name of an installed calendar in the data dir.
const CALENDAR_FILE: &str = rexian_server::CALENDAR_FILE;

fn read_calendar(f: &std::path::Path) -> anyhow::Result<rexian_domain::calendar::BusinessCalendar> {
    let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
    rexian_domain::calendar::BusinessCalendar::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))
}

/// The calendar in use: the one installed in the data dir by `calendar load`, else the embedded.
fn load_calendar(
    data_dir: &std::path::Path,
) -> anyhow::Result<rexian_domain::calendar::BusinessCalendar> {
    let f = data_dir.join(CALENDAR_FILE);
    if f.exists() {
        read_calendar(&f)
    } else {
        Ok(rexian_domain::calendar::BusinessCalendar::embedded())
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

async fn open_store(s: &Settings) -> anyhow::Result<Store> {
    if let settings::Database::Sqlite(dir) = &s.database {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating data dir {}", dir.display()))?;
    }
    let store = Store::connect(&s.database.url())
        .await
        .with_context(|| format!("connecting to {:?}", s.database))?;
    store.migrate().await.context("applying migrations")?;
    if s.pg_committers > 0 {
        store.group_commit_postgres(s.pg_committers);
    }
    Ok(store)
}

async fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let s = Settings::resolve(&a)?;
    init_logging(&s.log);
    let store = open_store(&s).await?;
    tracing::info!(database = ?s.database, data_dir = %s.data_dir.display(), "database ready");
    let clock: Arc<dyn Clock> = if s.manual_clock {
        let start = match &a.clock_start {
            Some(t) => DateTime::parse_from_rfc3339(t)
                .context("--clock-start must be RFC 3339")?
                .with_timezone(&Utc),
            None => Utc::now(),
        };
        tracing::warn!("manual clock: for tests and demos only");
        Arc::new(ManualClock::new(start))
    } else {
        Arc::new(SystemClock)
    };
    let server = rexian_server::Settings {
        data_dir: s.data_dir.clone(),
        ..s.server.clone()
    };
    let core = rexian_app::App::open(store.clone(), clock.clone(), &server.data_dir)?;
    let mut state = rexian_server::AppState::new(core, server).await?;
    let calendar = load_calendar(&s.data_dir)?;
    let year = chrono::Datelike::year(&clock.now());
    let missing = calendar.missing_years(year, year + 1);
    if !missing.is_empty() {
        tracing::warn!(years = ?missing, "no holiday calendar for these years: deadlines there are provisional (weekends only); load one with `rexian calendar load`");
    }
    state.core.calendar = Arc::new(calendar);
    ensure_admin(&state, a.admin_password.as_deref()).await?;
    let demo_logins = if a.demo {
        Some(demo::seed(&state).await?)
    } else {
        None
    };

    let listener = tokio::net::TcpListener::bind(&s.listen)
        .await
        .with_context(|| format!("binding {}", s.listen))?;
    let addr = listener.local_addr()?;
    println!("Rexian 热线 listening on http://{addr}/");
    if let Some(logins) = demo_logins {
        println!("Demo logins (password for all: {}):", demo::PASSWORD);
        for (login, what) in logins {
            println!("  {login:<18} {what}");
        }
    }
    if !s.manual_clock {
        let st = state.clone();
        let every = std::time::Duration::from_secs(s.timer_interval_seconds);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = st.run_timers().await {
                    tracing::error!(error = format!("{e:#}"), "timer sweep failed");
                }
            }
        });
    }
    {
        // This node's index follows the outbox; searches also catch up before answering.
        let st = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Err(e) = st.index_catch_up().await {
                    tracing::error!(error = %e, "search index could not read the outbox");
                }
            }
        });
    }
    let app =
        rexian_server::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .context("serving")?;
    store.close().await;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
    rexian_server::ui::live::close_streams();
}

/// First start with no users: creates `admin` with the given or a generated password.
async fn ensure_admin(
    state: &rexian_server::AppState,
    password: Option<&str>,
) -> anyhow::Result<()> {
    if state.store.user_count().await? > 0 {
        return Ok(());
    }
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => {
            rexian_server::auth::check_password_rule(p)
                .map_err(|m| anyhow::anyhow!("REXIAN_ADMIN_PASSWORD: {m}"))?;
            (p.to_owned(), false)
        }
        None => (rexian_server::auth::random_secret()[..16].to_owned(), true),
    };
    let hash = rexian_server::auth::hash_password(password.clone()).await?;
    let now = state.clock.now().timestamp_millis();
    let admin = rexian_store::org::NewUser {
        login: "admin".into(),
        name: "系统管理员".into(),
        password_hash: hash,
        roles: vec!["admin".into()],
        company_id: None,
        unit_id: None,
        staff_no: None,
    };
    state.store.create_user(&admin, None, now).await?;
    if generated {
        println!("First start: created user admin with password {password} (shown once)");
    } else {
        println!("First start: created user admin with the password from REXIAN_ADMIN_PASSWORD");
    }
    Ok(())
}

async fn user(action: UserAction, db: ServeArgs) -> anyhow::Result<()> {
    let s = Settings::resolve(&db)?;
    init_logging("warn");
    let store = open_store(&s).await?;
    let now = Utc::now().timestamp_millis();
    match action {
        UserAction::Passwd { login } => {
            let pw = std::env::var("REXIAN_NEW_PASSWORD").context("set REXIAN_NEW_PASSWORD")?;
            rexian_server::auth::check_password_rule(&pw)
                .map_err(|m| anyhow::anyhow!("REXIAN_NEW_PASSWORD: {m}"))?;
            let u = store
                .user_by_login(&login)
                .await
                .with_context(|| format!("no user {login}"))?;
            let hash = rexian_server::auth::hash_password(pw).await?;
            store.set_password(u.id, &hash, None, now).await?;
            println!("password of {login} set");
        }
        UserAction::Disable { login } => {
            let u = store
                .user_by_login(&login)
                .await
                .with_context(|| format!("no user {login}"))?;
            store.set_user_disabled(u.id, true, None, now).await?;
            println!("{login} disabled");
        }
        UserAction::List => {
            for u in store.users(None).await? {
                println!(
                    "{:>5} {:<18} {:<12} {}",
                    u.id,
                    u.login,
                    u.name,
                    u.roles.join(",")
                );
            }
        }
    }
    store.close().await;
    Ok(())
}

/// Checks one policy file, as a full preset or as an override of `over`.
fn check_policy(file: &std::path::Path, over: Option<&str>) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("policy");
    let checked = match over {
        Some(preset) => rexian_domain::policy::Policy::preset(preset)
            .with_context(|| format!("no preset named {preset}"))?
            .with_overrides(&text),
        None => rexian_domain::policy::Policy::from_toml(name, &text),
    };
    match checked {
        Ok(_) => {
            println!("{}: ok", file.display());
            Ok(())
        }
        Err(e) => anyhow::bail!(
            "{}:{}: {}",
            file.display(),
            e.line.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
            e.reason
        ),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        super::Cli::command().debug_assert();
    }
}
