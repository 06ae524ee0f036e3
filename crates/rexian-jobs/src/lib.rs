//! Timers of Rexian: sweeps that act on what fell due, safe with several nodes.
//!
//! Each sweep takes the cutoff time as a parameter and claims due rows in bounded batches; a
//! conditional update and a unique key on the supervision notice make every timer effect happen
//! exactly once, however many `rexian serve` processes share the database.

use chrono::{DateTime, Utc};
use rexian_store::timers::Sweep;
use rexian_store::{Store, StoreError};

/// Runs every sweep for what is due at `now`, in batches of `batch`; returns how many effects
/// this node applied.
pub async fn run_due(store: &Store, now: DateTime<Utc>, batch: i64) -> anyhow::Result<u64> {
    let now = now.timestamp_millis();
    let mut applied = 0;
    // Missed before escalation, so a long jump of the clock climbs level by level.
    for kind in [Sweep::Amber, Sweep::Missed, Sweep::Escalate] {
        loop {
            let ids = store.due_deadlines(kind, now, batch).await?;
            if ids.is_empty() {
                break;
            }
            let mut progressed = 0;
            for id in &ids {
                match store.fire_deadline(kind, *id, now).await {
                    Ok(Some(f)) => {
                        progressed += 1;
                        tracing::info!(order.id = f.order_id, deadline.kind = %f.kind, level = f.level, sweep = ?kind, "timer fired");
                    }
                    Ok(None) => {}
                    // A user step changed the order at the same moment: the next sweep retries.
                    Err(StoreError::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            applied += progressed;
            if progressed == 0 || (ids.len() as i64) < batch {
                // Escalation may need several levels for one deadline: loop while it moves.
                if kind != Sweep::Escalate || progressed == 0 {
                    break;
                }
            }
        }
    }
    Ok(applied)
}
