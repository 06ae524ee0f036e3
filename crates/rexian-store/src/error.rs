//! Storage errors, reduced to what callers can act on.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference constraint refused the change; holds the constraint name.
    #[error("constraint {0} refused the change")]
    Conflict(String),
    /// The database URL or settings are wrong.
    #[error("database configuration: {0}")]
    Config(String),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() || db.is_foreign_key_violation() {
                    let name = db
                        .constraint()
                        .map(str::to_owned)
                        .unwrap_or_else(|| constraint_from_message(db.message()));
                    StoreError::Conflict(name)
                } else {
                    StoreError::Db(e)
                }
            }
            _ => StoreError::Db(e),
        }
    }
}

/// SQLite does not report constraint names; derive one from the message
/// (`UNIQUE constraint failed: users.login` → `users.login`).
fn constraint_from_message(msg: &str) -> String {
    msg.rsplit(": ").next().unwrap_or(msg).to_owned()
}
