//! The server under test: `rexian serve` started as a child process on a temp or seeded data
//! dir.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running child server.
pub struct ChildServer {
    child: Child,
    /// Its process id.
    pub pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Where its log goes.
    pub log: PathBuf,
}

/// Monday 2 March 2026, 10:00 in Beijing: a working day inside the heating season and inside the
/// callback hours, so that every step of a lifecycle is allowed whenever the bench runs.
pub const CLOCK_START: &str = "2026-03-02T02:00:00Z";

impl ChildServer {
    /// Starts `bin serve` on a free port with the SQLite data in `data_dir`, or on PostgreSQL
    /// when `database_url` is given; waits until it listens.
    pub async fn start(
        bin: &Path,
        data_dir: &Path,
        database_url: Option<&str>,
        admin_password: &str,
        clock_start: &str,
    ) -> anyhow::Result<ChildServer> {
        let log = data_dir.join("server.log");
        let log_file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--clock")
            .arg("manual")
            .arg("--clock-start")
            .arg(clock_start)
            .arg("--log")
            .arg("warn")
            // No rexian.toml of the caller's directory.
            .current_dir(data_dir)
            .env("REXIAN_ADMIN_PASSWORD", admin_password)
            .env_remove("REXIAN_DEMO")
            .env_remove("REXIAN_CONFIG")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true);
        match database_url {
            Some(u) => cmd.env("DATABASE_URL", u),
            None => cmd.env_remove("DATABASE_URL"),
        };
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().context("child has no pid")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let wait = async {
            while let Some(l) = lines.next_line().await? {
                if let Some(rest) = l.split("listening on ").nth(1) {
                    return Ok::<_, anyhow::Error>(Some(
                        rest.trim().trim_end_matches('/').to_owned(),
                    ));
                }
            }
            Ok(None)
        };
        let url = match tokio::time::timeout(Duration::from_secs(120), wait).await {
            Ok(Ok(Some(u))) => u,
            Ok(Ok(None)) | Ok(Err(_)) => {
                let _ = child.wait().await;
                bail!(
                    "the server stopped before listening; its log: {}\n{}",
                    log.display(),
                    tail(&log)
                );
            }
            Err(_) => bail!(
                "the server did not listen within 120 s; log {}",
                log.display()
            ),
        };
        // Keep draining its stdout so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(ChildServer {
            child,
            pid,
            url,
            log,
        })
    }

    /// Stops the server (SIGTERM through `kill`, then a hard kill after 10 s).
    pub async fn stop(mut self) {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// The last lines of a log file.
pub fn tail(p: &Path) -> String {
    let text = std::fs::read_to_string(p).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
