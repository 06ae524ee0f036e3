//! Rexian's use cases, between the HTTP server and the store: each takes the acting user
//! ([`Actor`]) and typed input, checks access and tenancy once ([`tenancy`]), asks the domain
//! what happens, writes through the store in one transaction and returns a typed result. No
//! HTTP types (but the `http` feature's error mapping) and no SQL here.

use std::sync::Arc;

use rexian_domain::calendar::BusinessCalendar;
use rexian_domain::model::Role;
use rexian_store::Store;

pub mod assessment;
pub mod callbacks;
pub mod clock;
pub mod contacts;
pub mod customers;
pub mod error;
#[cfg(feature = "http")]
mod http;
pub mod kb;
pub mod order_state;
pub mod orders;
pub mod org;
pub mod password;
pub mod personal;
pub mod reports;
pub mod search;
pub mod ser;
pub mod tenancy;
pub mod text;

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
}

impl App {
    /// Now, in the store's unit (milliseconds since the epoch).
    pub fn now_ms(&self) -> i64 {
        clock::ms(self.clock.now())
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
