//! Settings: defaults, then `rexian.toml`, then `REXIAN_*` environment, then flags.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Flags of `rexian serve` (and `migrate`); each also reads its `REXIAN_*` variable.
#[derive(Debug, Args, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "REXIAN_LISTEN")]
    pub listen: Option<String>,
    /// Directory of the embedded SQLite database and local files [default: ./rexian-data].
    #[arg(long, env = "REXIAN_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (`postgres://…`); when set, PostgreSQL is used instead of SQLite.
    /// Never printed.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Clock: `system`, or `manual` for tests and demos (adds the test clock API).
    #[arg(long, env = "REXIAN_CLOCK")]
    pub clock: Option<String>,
    /// Start time of the manual clock (RFC 3339) [default: the system time].
    #[arg(long, env = "REXIAN_CLOCK_START")]
    pub clock_start: Option<String>,
    /// Seed demo companies, units, staff and orders on first start and print the logins.
    #[arg(long, env = "REXIAN_DEMO")]
    pub demo: bool,
    /// Settings file [default: ./rexian.toml when it exists].
    #[arg(long, env = "REXIAN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Password of the first `admin` (only used when no user exists). Never printed.
    #[arg(long, env = "REXIAN_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Log filter, e.g. `info` or `rexian=debug` [default: info].
    #[arg(long, env = "REXIAN_LOG")]
    pub log: Option<String>,
    /// API token lifetime in minutes [default: 720].
    #[arg(long, env = "REXIAN_TOKEN_TTL_MINUTES")]
    pub token_ttl_minutes: Option<i64>,
    /// Browser session lifetime in minutes [default: 720].
    #[arg(long, env = "REXIAN_SESSION_TTL_MINUTES")]
    pub session_ttl_minutes: Option<i64>,
    /// Failed logins in a row that lock an account [default: 5].
    #[arg(long, env = "REXIAN_LOCKOUT_THRESHOLD")]
    pub lockout_threshold: Option<i64>,
    /// Minutes an account stays locked [default: 15].
    #[arg(long, env = "REXIAN_LOCKOUT_MINUTES")]
    pub lockout_minutes: Option<i64>,
    /// Mark session cookies Secure (serve behind HTTPS) [default: false].
    #[arg(long, env = "REXIAN_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,
    /// Seconds between timer sweeps with the system clock [default: 5].
    #[arg(long, env = "REXIAN_TIMER_INTERVAL_SECONDS")]
    pub timer_interval_seconds: Option<u64>,
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the client, comma-separated
    /// [default: none; the connection's address is the client's].
    #[arg(long, env = "REXIAN_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<std::net::IpAddr>>,
}

/// The same settings as read from `rexian.toml`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    clock: Option<String>,
    log: Option<String>,
    token_ttl_minutes: Option<i64>,
    session_ttl_minutes: Option<i64>,
    lockout_threshold: Option<i64>,
    lockout_minutes: Option<i64>,
    secure_cookies: Option<bool>,
    timer_interval_seconds: Option<u64>,
    trusted_proxies: Option<Vec<std::net::IpAddr>>,
}

/// Where the data lives.
pub enum Database {
    /// Embedded SQLite in this directory.
    Sqlite(PathBuf),
    /// PostgreSQL at this URL.
    Postgres(SecretString),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "sqlite in {}", p.display()),
            Database::Postgres(_) => write!(f, "postgres (url hidden)"),
        }
    }
}

impl Database {
    /// The connection URL (secret; do not log).
    pub fn url(&self) -> String {
        match self {
            Database::Sqlite(dir) => rexian_store::Store::sqlite_url(dir),
            Database::Postgres(u) => u.expose_secret().to_owned(),
        }
    }
}

/// Resolved settings.
#[derive(Debug)]
pub struct Settings {
    /// Listen address.
    pub listen: String,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database.
    pub database: Database,
    /// Manual test clock.
    pub manual_clock: bool,
    /// Log filter.
    pub log: String,
    /// Handler settings.
    pub server: rexian_server::Settings,
    /// Seconds between timer sweeps.
    pub timer_interval_seconds: u64,
}

fn read_file(path: Option<&Path>) -> anyhow::Result<FileSettings> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("rexian.toml"), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .with_context(|| format!("reading settings file {}", path.display())),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            Ok(FileSettings::default())
        }
        Err(e) => Err(e).with_context(|| format!("reading settings file {}", path.display())),
    }
}

impl Settings {
    /// Layers defaults, the file, the environment and flags (clap already merged the last two).
    pub fn resolve(a: &ServeArgs) -> anyhow::Result<Settings> {
        let f = read_file(a.config.as_deref())?;
        let d = rexian_server::Settings::default();
        let data_dir = a
            .data_dir
            .clone()
            .or(f.data_dir)
            .unwrap_or_else(|| PathBuf::from("rexian-data"));
        let url = a
            .database_url
            .clone()
            .or(f.database_url)
            .filter(|u| !u.is_empty());
        let database = match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Database::Postgres(SecretString::from(u))
            }
            Some(u) if u.starts_with("sqlite:") => {
                anyhow::bail!(
                    "DATABASE_URL: use --data-dir for SQLite; DATABASE_URL takes postgres:// URLs"
                )
            }
            Some(_) => anyhow::bail!("DATABASE_URL must be a postgres:// URL"),
            None => Database::Sqlite(data_dir.clone()),
        };
        let clock = a
            .clock
            .clone()
            .or(f.clock)
            .unwrap_or_else(|| "system".into());
        let manual_clock = match clock.as_str() {
            "system" => false,
            "manual" => true,
            other => anyhow::bail!("clock must be system or manual, got {other:?}"),
        };
        let server = rexian_server::Settings {
            token_ttl_minutes: a
                .token_ttl_minutes
                .or(f.token_ttl_minutes)
                .unwrap_or(d.token_ttl_minutes),
            session_ttl_minutes: a
                .session_ttl_minutes
                .or(f.session_ttl_minutes)
                .unwrap_or(d.session_ttl_minutes),
            lockout_threshold: a
                .lockout_threshold
                .or(f.lockout_threshold)
                .unwrap_or(d.lockout_threshold),
            lockout_minutes: a
                .lockout_minutes
                .or(f.lockout_minutes)
                .unwrap_or(d.lockout_minutes),
            secure_cookies: a
                .secure_cookies
                .or(f.secure_cookies)
                .unwrap_or(d.secure_cookies),
            trusted_proxies: a
                .trusted_proxies
                .clone()
                .or(f.trusted_proxies)
                .unwrap_or_default(),
            ..d
        };
        for (name, v) in [
            ("token_ttl_minutes", server.token_ttl_minutes),
            ("session_ttl_minutes", server.session_ttl_minutes),
            ("lockout_threshold", server.lockout_threshold),
            ("lockout_minutes", server.lockout_minutes),
        ] {
            anyhow::ensure!(v > 0, "{name} must be positive, got {v}");
        }
        Ok(Settings {
            listen: a
                .listen
                .clone()
                .or(f.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            data_dir,
            database,
            manual_clock,
            log: a.log.clone().or(f.log).unwrap_or_else(|| "info".into()),
            server,
            timer_interval_seconds: a
                .timer_interval_seconds
                .or(f.timer_interval_seconds)
                .unwrap_or(5)
                .max(1),
        })
    }
}
