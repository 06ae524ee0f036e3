//! Settings: defaults, then `rexian.toml`, then `REXIAN_*` environment, then flags, layered
//! by figment.

use std::path::{Path, PathBuf};

use clap::Args;
use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

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
    /// PostgreSQL: commit many requests' writes in one transaction, with this many committers
    /// [default: 0, each request its own transaction]. See BENCHMARKS.md (issue 22).
    #[arg(long, env = "REXIAN_PG_COMMITTERS")]
    pub pg_committers: Option<u64>,
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the client, comma-separated
    /// [default: none; the connection's address is the client's].
    #[arg(long, env = "REXIAN_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<std::net::IpAddr>>,
}

/// The settings every layer may set: defaults, `rexian.toml`, then `REXIAN_*` and flags (which
/// clap has merged); figment layers them and names the source of a bad value.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Layered {
    listen: String,
    data_dir: PathBuf,
    database_url: Option<String>,
    clock: String,
    log: String,
    token_ttl_minutes: i64,
    session_ttl_minutes: i64,
    lockout_threshold: i64,
    lockout_minutes: i64,
    secure_cookies: bool,
    timer_interval_seconds: u64,
    pg_committers: u64,
    trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Layered {
    fn default() -> Self {
        let d = rexian_server::Settings::default();
        Layered {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("rexian-data"),
            database_url: None,
            clock: "system".into(),
            log: "info".into(),
            token_ttl_minutes: d.token_ttl_minutes,
            session_ttl_minutes: d.session_ttl_minutes,
            lockout_threshold: d.lockout_threshold,
            lockout_minutes: d.lockout_minutes,
            secure_cookies: d.secure_cookies,
            timer_interval_seconds: 5,
            pg_committers: 0,
            trusted_proxies: Vec::new(),
        }
    }
}

/// What the flags and the environment set (clap merged them): only what was given.
#[derive(Debug, Serialize)]
struct Given<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<&'a Path>,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clock: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_ttl_minutes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_ttl_minutes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lockout_threshold: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lockout_minutes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secure_cookies: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timer_interval_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pg_committers: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trusted_proxies: Option<&'a [std::net::IpAddr]>,
}

impl<'a> Given<'a> {
    fn of(a: &'a ServeArgs) -> Self {
        Given {
            listen: a.listen.as_deref(),
            data_dir: a.data_dir.as_deref(),
            database_url: a.database_url.as_deref(),
            clock: a.clock.as_deref(),
            log: a.log.as_deref(),
            token_ttl_minutes: a.token_ttl_minutes,
            session_ttl_minutes: a.session_ttl_minutes,
            lockout_threshold: a.lockout_threshold,
            lockout_minutes: a.lockout_minutes,
            secure_cookies: a.secure_cookies,
            timer_interval_seconds: a.timer_interval_seconds,
            pg_committers: a.pg_committers,
            trusted_proxies: a.trusted_proxies.as_deref(),
        }
    }
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
    /// PostgreSQL group commit's committers (0: off).
    pub pg_committers: usize,
}

/// The layers in order: defaults, the settings file (`--config`, required then; else
/// `./rexian.toml` when it exists), then flags and environment.
fn layered(a: &ServeArgs) -> anyhow::Result<Layered> {
    let mut fig = Figment::from(Serialized::defaults(Layered::default()));
    match a.config.as_deref() {
        Some(p) => {
            anyhow::ensure!(p.is_file(), "settings file {} does not exist", p.display());
            fig = fig.merge(Toml::file_exact(p));
        }
        None if Path::new("rexian.toml").is_file() => {
            fig = fig.merge(Toml::file_exact("rexian.toml"))
        }
        None => {}
    }
    fig.merge(Serialized::defaults(Given::of(a)))
        .extract()
        .map_err(|e| anyhow::anyhow!("settings: {e}"))
}

impl Settings {
    /// Layers defaults, the file, the environment and flags (clap already merged the last two).
    pub fn resolve(a: &ServeArgs) -> anyhow::Result<Settings> {
        let l = layered(a)?;
        let data_dir = l.data_dir;
        let url = l.database_url.filter(|u| !u.is_empty());
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
        let manual_clock = match l.clock.as_str() {
            "system" => false,
            "manual" => true,
            other => anyhow::bail!("clock must be system or manual, got {other:?}"),
        };
        let server = rexian_server::Settings {
            token_ttl_minutes: l.token_ttl_minutes,
            session_ttl_minutes: l.session_ttl_minutes,
            lockout_threshold: l.lockout_threshold,
            lockout_minutes: l.lockout_minutes,
            secure_cookies: l.secure_cookies,
            trusted_proxies: l.trusted_proxies,
            ..rexian_server::Settings::default()
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
            listen: l.listen,
            data_dir,
            database,
            manual_clock,
            log: l.log,
            server,
            timer_interval_seconds: l.timer_interval_seconds.max(1),
            pg_committers: l.pg_committers.min(64) as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn defaults_then_file_then_flags() {
        let s = Settings::resolve(&ServeArgs::default()).unwrap();
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.server.lockout_threshold, 5);
        assert_eq!(s.timer_interval_seconds, 5);

        let f = file("listen = \"0.0.0.0:9000\"\nlockout_threshold = 9\nlog = \"debug\"\n");
        let mut a = ServeArgs {
            config: Some(f.path().to_path_buf()),
            ..ServeArgs::default()
        };
        let s = Settings::resolve(&a).unwrap();
        assert_eq!(
            (
                s.listen.as_str(),
                s.server.lockout_threshold,
                s.log.as_str()
            ),
            ("0.0.0.0:9000", 9, "debug")
        );
        // A flag (or its REXIAN_* variable) wins over the file.
        a.lockout_threshold = Some(3);
        let s = Settings::resolve(&a).unwrap();
        assert_eq!(
            (s.listen.as_str(), s.server.lockout_threshold),
            ("0.0.0.0:9000", 3)
        );
    }

    #[test]
    fn a_bad_file_is_refused_naming_the_key_and_the_file() {
        let f = file("lockout_treshold = 9\n");
        let a = ServeArgs {
            config: Some(f.path().to_path_buf()),
            ..ServeArgs::default()
        };
        let e = Settings::resolve(&a).unwrap_err().to_string();
        assert!(e.contains("lockout_treshold"), "{e}");
        let f = file("lockout_threshold = \"many\"\n");
        let a = ServeArgs {
            config: Some(f.path().to_path_buf()),
            ..ServeArgs::default()
        };
        let e = Settings::resolve(&a).unwrap_err().to_string();
        assert!(e.contains("lockout_threshold"), "{e}");
        assert!(e.contains(&f.path().display().to_string()), "{e}");
        let a = ServeArgs {
            config: Some(PathBuf::from("/nonexistent/rexian.toml")),
            ..ServeArgs::default()
        };
        assert!(Settings::resolve(&a).is_err());
        let a = ServeArgs {
            lockout_minutes: Some(0),
            ..ServeArgs::default()
        };
        let e = Settings::resolve(&a).unwrap_err().to_string();
        assert!(e.contains("lockout_minutes"), "{e}");
    }
}
