//! Order numbers on PostgreSQL without a hot row (issue 22).
//!
//! Every intake of a company on one day used to update the same `order_counters` row inside the
//! order's transaction, so concurrent intakes queued on that row lock for the whole
//! transaction. Here a node takes a *block* of numbers from the counter in a statement of its own
//! (autocommit, the lock held for that statement only) and hands them out from memory.
//!
//! The block adapts to the rate: it starts at one number (a quiet centre gets gap-free numbers,
//! as before) and doubles, up to [`MAX_BLOCK`], while refills come less than [`BURST`] apart.
//! Numbers stay unique across nodes (blocks are disjoint ranges of one counter) and increase
//! within a day per node. Gaps: numbers of a block not used when the node stops, and of an
//! intake that failed after taking its number. With several nodes, numbers interleave by node
//! rather than strictly by time.
//!
//! SQLite has one writer: there the number is taken in the order's own unit of the group commit
//! (see `orders::insert_order`) and numbers have no gaps.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::db::{query, Db};
use crate::{Result, Store};

/// The largest block a node takes at once.
pub const MAX_BLOCK: i64 = 64;
/// Refills closer together than this double the next block; slower ones reset it to one.
pub const BURST: Duration = Duration::from_millis(500);

#[derive(Debug)]
struct Block {
    next: i64,
    end: i64,
    size: i64,
    refilled: Instant,
}

/// The blocks this node holds, per company and day.
#[derive(Debug, Default)]
pub(crate) struct Blocks {
    held: Mutex<HashMap<(i64, String), Block>>,
}

/// The size of the next block after one of `size` refilled `since` ago.
pub(crate) fn next_size(size: i64, since: Duration) -> i64 {
    if since < BURST {
        (size * 2).min(MAX_BLOCK)
    } else {
        1
    }
}

impl Store {
    /// The next number of a company's day for an order about to be written (PostgreSQL).
    pub(crate) async fn take_number(&self, company_id: i64, day: &str) -> Result<i64> {
        let mut held = self.blocks.held.lock().await;
        // Days past are never numbered again: drop their blocks.
        held.retain(|(_, d), _| d.as_str() >= day);
        let key = (company_id, day.to_string());
        if let Some(b) = held.get_mut(&key) {
            if b.next <= b.end {
                b.next += 1;
                return Ok(b.next - 1);
            }
        }
        let size = held
            .get(&key)
            .map_or(1, |b| next_size(b.size, b.refilled.elapsed()));
        let end = self.reserve(company_id, day, size).await?;
        held.insert(
            key,
            Block {
                next: end - size + 2,
                end,
                size,
                refilled: Instant::now(),
            },
        );
        Ok(end - size + 1)
    }

    /// Moves the counter on by `size` in a statement of its own; returns the block's last number.
    async fn reserve(&self, company_id: i64, day: &str, size: i64) -> Result<i64> {
        let mut conn = self.pool().acquire().await?;
        query(
            "INSERT INTO order_counters (company_id, day, seq) VALUES ($1, $2, $3) \
             ON CONFLICT (company_id, day) DO UPDATE SET seq = order_counters.seq + $3 RETURNING seq",
        )
        .bind(company_id)
        .bind(day)
        .bind(size)
        .scalar(&mut Db::Any(&mut conn))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_grow_under_load_and_shrink_when_quiet() {
        assert_eq!(next_size(1, Duration::from_millis(10)), 2);
        assert_eq!(next_size(32, Duration::from_millis(10)), 64);
        assert_eq!(next_size(MAX_BLOCK, Duration::ZERO), MAX_BLOCK);
        assert_eq!(next_size(64, BURST), 1);
    }
}
