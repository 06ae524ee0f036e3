//! Companies kept in memory (issue 22): every intake reads its company, and the row changes a
//! few times a year (season, policy override). A cached row is dropped when it changes:
//!
//! - on this node, by the store call that changed it (after its commit);
//! - on other nodes of one PostgreSQL, by a trigger on `companies` that notifies the channel
//!   [`CHANNEL`]; each node listens on a connection of its own. While that connection is down the
//!   cache is off (every read goes to the database) and it starts empty again once the node
//!   listens anew, so no change is missed.
//!
//! On SQLite the cache stays off: a read costs no round trip there, and other processes (the
//! command line) may change the file without telling this one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};

use crate::org::Company;

/// The PostgreSQL channel a changed company's id is sent on (migration 0043's trigger).
pub const CHANNEL: &str = "rexian_company_changed";

/// The companies this node holds.
#[derive(Debug, Default)]
pub(crate) struct Companies {
    rows: RwLock<HashMap<i64, Company>>,
    /// Bumped by every drop: a read that began before a drop does not fill the cache.
    generation: AtomicU64,
    /// On only while this node listens for changes.
    on: AtomicBool,
}

impl Companies {
    /// The cached row of company `id`.
    pub(crate) fn get(&self, id: i64) -> Option<Company> {
        if !self.on.load(Ordering::SeqCst) {
            return None;
        }
        self.rows.read().ok()?.get(&id).cloned()
    }

    /// The generation to hand to [`Companies::fill`] after reading from the database.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps `c`, read from the database when the generation was `seen`, unless something
    /// changed since.
    pub(crate) fn fill(&self, seen: u64, c: &Company) {
        if !self.on.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(mut rows) = self.rows.write() {
            if self.generation.load(Ordering::SeqCst) == seen {
                rows.insert(c.id, c.clone());
            }
        }
    }

    /// Drops company `id` (every company with `None`).
    pub(crate) fn drop_row(&self, id: Option<i64>) {
        if let Ok(mut rows) = self.rows.write() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            match id {
                Some(id) => {
                    rows.remove(&id);
                }
                None => rows.clear(),
            }
        }
    }

    fn switch(&self, on: bool) {
        self.drop_row(None);
        self.on.store(on, Ordering::SeqCst);
    }
}

/// Listens for changed companies on PostgreSQL at `url` and drops them from `cache`, until the
/// cache is gone. Returns once the first `LISTEN` is in place (or failed: the cache stays off).
pub(crate) async fn listen(url: &str, cache: &Arc<Companies>) {
    use sqlx::postgres::PgListener;
    let mut l = match PgListener::connect(url).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "company cache off: cannot connect a listener");
            return;
        }
    };
    if let Err(e) = l.listen(CHANNEL).await {
        tracing::warn!(error = %e, "company cache off: LISTEN failed");
        return;
    }
    cache.switch(true);
    let weak: Weak<Companies> = Arc::downgrade(cache);
    tokio::spawn(async move {
        loop {
            // Wake now and then to see whether the store is gone.
            let next = tokio::time::timeout(std::time::Duration::from_secs(5), l.try_recv()).await;
            let Some(cache) = weak.upgrade() else { return };
            match next {
                Err(_elapsed) => {}
                Ok(Ok(Some(n))) => cache.drop_row(n.payload().parse().ok()),
                // The connection dropped: notifications may have been lost. Off until the next
                // `try_recv` has reconnected and listens again.
                Ok(Ok(None)) | Ok(Err(_)) => {
                    cache.switch(false);
                    // A statement reconnects, and the listener listens again on reconnecting.
                    if sqlx::query("SELECT 1").execute(&mut l).await.is_ok() {
                        cache.switch(true);
                    } else {
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        }
    });
}
