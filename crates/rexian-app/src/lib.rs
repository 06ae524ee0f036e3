//! Rexian's use cases, between the HTTP server and the store: each takes the acting user
//! ([`Actor`]) and typed input, checks access and tenancy once ([`tenancy`]), asks the domain
//! what happens, writes through the store in one transaction and returns a typed result. No
//! HTTP types (but the `http` feature's error mapping) and no SQL here.

use std::sync::Arc;

use rexian_domain::calendar::BusinessCalendar;
use rexian_domain::model::Role;
use rexian_store::Store;

pub mod assessment;
pub mod away;
pub mod calendar;
pub mod callbacks;
pub mod clock;
pub mod contacts;
pub mod customers;
pub mod error;
pub mod halls;
#[cfg(feature = "http")]
mod http;
pub mod idempotency;
pub mod incidents;
pub mod intake;
pub mod kb;
pub mod matters;
pub mod measurements;
pub mod order_state;
pub mod orders;
pub mod org;
pub mod outages;
pub mod password;
pub mod personal;
pub mod photos;
pub mod portal;
pub mod reports;
pub mod roster;
pub mod search;
pub mod ser;
pub mod session;
pub mod shifts;
pub mod steps;
pub mod tenancy;
pub mod text;
pub mod water;
pub mod worklist;

pub use clock::Clock;
pub use error::{AppError, AppResult};

/// What every use case works with.
#[derive(Clone)]
pub struct App {
    /// The database.
    pub store: Store,
    /// The clock (system or manual).
    pub clock: Arc<dyn Clock>,
    /// The business calendar (holidays and adjusted working days).
    pub calendar: Arc<BusinessCalendar>,
    /// This node's full-text index (under `data_dir/search-index`), fed from the outbox.
    pub search: Arc<rexian_search::SearchIndex>,
    /// Order changes on this node, for live queues (SSE).
    pub changes: tokio::sync::broadcast::Sender<OrderChanged>,
    /// The companies' shifts the page header shows, kept a minute.
    pub shift_heads: Arc<roster::HeadCache>,
}

/// An order was created or changed (what live queues listen to).
#[derive(Debug, Clone)]
pub struct OrderChanged {
    /// The order.
    pub order_id: i64,
    /// Its company.
    pub company_id: i64,
    /// The order as changed: each listener is sent only what its user may see.
    pub order: Arc<rexian_store::orders::OrderRow>,
}

impl App {
    /// The app of a node on `store`: the embedded business calendar, the node's search index
    /// under `data_dir/search-index`, and no listener of live changes yet.
    pub fn open(
        store: Store,
        clock: Arc<dyn Clock>,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<App> {
        let dir = data_dir.join("search-index");
        let search = rexian_search::SearchIndex::open(&dir)
            .map_err(|e| anyhow::anyhow!("opening the search index in {}: {e}", dir.display()))?;
        Ok(App {
            store,
            clock,
            calendar: Arc::new(BusinessCalendar::embedded()),
            search: Arc::new(search),
            changes: tokio::sync::broadcast::channel(256).0,
            shift_heads: Arc::default(),
        })
    }

    /// Now, in the store's unit (milliseconds since the epoch).
    pub fn now_ms(&self) -> i64 {
        clock::ms(self.clock.now())
    }

    /// Tells live queues that an order changed (nobody listening is fine).
    pub fn notify(&self, o: &rexian_store::orders::OrderRow) {
        if self.changes.receiver_count() == 0 {
            return;
        }
        let _ = self.changes.send(OrderChanged {
            order_id: o.id,
            company_id: o.company_id,
            order: Arc::new(o.clone()),
        });
    }

    /// Brings this node's search index up to the end of the outbox.
    pub async fn index_catch_up(&self) -> AppResult<usize> {
        self.search
            .catch_up(&self.store)
            .await
            .map_err(|e| AppError::Internal(e.into()))
    }
}

/// The user a use case acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User id.
    pub id: i64,
    /// Roles.
    pub roles: Vec<Role>,
    /// Company (none for group-wide staff).
    pub company_id: Option<i64>,
    /// Unit.
    pub unit_id: Option<i64>,
}

impl Actor {
    /// Whether the user holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}
