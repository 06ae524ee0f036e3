//! Latency figures and process readings from /proc.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// Latencies of one operation, in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    /// Each successful call's latency.
    pub micros: Vec<u64>,
    /// Failed calls.
    pub errors: u64,
}

impl Samples {
    /// Records one successful call.
    pub fn ok(&mut self, d: Duration) {
        self.micros.push(d.as_micros() as u64);
    }

    /// Adds another worker's samples.
    pub fn merge(&mut self, o: Samples) {
        self.micros.extend(o.micros);
        self.errors += o.errors;
    }

    /// The summary over `seconds` of wall time.
    pub fn summary(&self, seconds: f64) -> Summary {
        let mut v = self.micros.clone();
        v.sort_unstable();
        let q = |p: f64| -> f64 {
            if v.is_empty() {
                return 0.0;
            }
            // Nearest rank.
            let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
            v[rank - 1] as f64 / 1000.0
        };
        let mean = if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<u64>() as f64 / v.len() as f64 / 1000.0
        };
        Summary {
            count: v.len() as u64,
            errors: self.errors,
            per_second: if seconds > 0.0 {
                round3(v.len() as f64 / seconds)
            } else {
                0.0
            },
            mean_ms: round3(mean),
            p50_ms: round3(q(0.50)),
            p99_ms: round3(q(0.99)),
            max_ms: round3(v.last().map(|x| *x as f64 / 1000.0).unwrap_or(0.0)),
        }
    }
}

/// Per-operation samples of one worker or one scenario.
pub type OpSamples = BTreeMap<&'static str, Samples>;

/// Merges `b` into `a`.
pub fn merge_ops(a: &mut OpSamples, b: OpSamples) {
    for (k, v) in b {
        a.entry(k).or_default().merge(v);
    }
}

/// Throughput and latency of one operation.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Successful calls.
    pub count: u64,
    /// Failed calls.
    pub errors: u64,
    /// Successful calls per second of wall time.
    pub per_second: f64,
    /// Mean latency.
    pub mean_ms: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// Largest latency.
    pub max_ms: f64,
}

/// Rounds to three decimals (for readable JSON).
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Readings of a process from /proc (Linux); None elsewhere or when it is gone.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ProcReading {
    /// Peak resident set (VmHWM), MiB.
    pub peak_rss_mib: f64,
    /// Current resident set (VmRSS), MiB.
    pub rss_mib: f64,
    /// Of it, anonymous memory (RssAnon), MiB: the heap. The rest is mapped files — SQLite's
    /// memory map of the database and the search index, the OS page cache, reclaimable.
    pub anon_mib: f64,
    /// User + system CPU time so far, seconds.
    pub cpu_seconds: f64,
}

/// Reads `/proc/PID/status` and `/proc/PID/stat`.
pub fn read_proc(pid: u32) -> Option<ProcReading> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |name: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|x| x.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name in parentheses; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // USER_HZ is 100 on every Linux ABI the product runs on.
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    Some(ProcReading {
        peak_rss_mib: round3(kb("VmHWM:") / 1024.0),
        rss_mib: round3(kb("VmRSS:") / 1024.0),
        anon_mib: round3(kb("RssAnon:") / 1024.0),
        cpu_seconds: cpu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut s = Samples::default();
        for ms in 1..=100u64 {
            s.ok(Duration::from_millis(ms));
        }
        s.errors = 2;
        let x = s.summary(2.0);
        assert_eq!(x.count, 100);
        assert_eq!(x.errors, 2);
        assert_eq!(x.p50_ms, 50.0);
        assert_eq!(x.p99_ms, 99.0);
        assert_eq!(x.max_ms, 100.0);
        assert_eq!(x.per_second, 50.0);
    }

    #[test]
    fn empty_samples_give_zeros() {
        let x = Samples::default().summary(1.0);
        assert_eq!((x.count, x.p99_ms, x.max_ms), (0, 0.0, 0.0));
    }

    #[test]
    fn reads_this_process() {
        if let Some(r) = read_proc(std::process::id()) {
            assert!(r.peak_rss_mib > 0.0);
            assert!(r.peak_rss_mib >= r.rss_mib);
        }
    }
}
