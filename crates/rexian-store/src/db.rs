//! The connection a write unit runs on, and a query builder over both kinds.
//!
//! On PostgreSQL (and outside the SQLite writer) a unit runs on an sqlx connection. On SQLite
//! the group-commit writer owns one connection of its own and runs each unit on its own thread
//! with direct SQLite calls: through sqlx every statement is a command sent to the connection's
//! thread and a result sent back, and those hand-offs were most of intake's CPU. The SQL is the
//! same portable text (`$N` parameters) either way.

use std::borrow::Cow;

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{Result, StoreError};

/// The connection of a write unit.
pub enum Db<'c> {
    /// An sqlx connection (PostgreSQL, or SQLite outside the writer).
    Any(&'c mut AnyConnection),
    /// The SQLite writer's own connection, inside its transaction.
    Lite(&'c mut rusqlite::Connection),
}

/// A bound value. Nulls keep their type: PostgreSQL checks a parameter's type against its column.
#[derive(Debug, Clone)]
pub enum Val {
    /// An integer.
    Int(i64),
    /// A real.
    Real(f64),
    /// Text.
    Text(String),
    /// A null integer.
    NullInt,
    /// A null real.
    NullReal,
    /// A null text.
    NullText,
}

/// A value that can be bound.
pub trait Bind {
    /// As a bound value.
    fn val(self) -> Val;
}

impl Bind for i64 {
    fn val(self) -> Val {
        Val::Int(self)
    }
}
impl Bind for &i64 {
    fn val(self) -> Val {
        Val::Int(*self)
    }
}
impl Bind for &Option<i64> {
    fn val(self) -> Val {
        (*self).val()
    }
}
impl Bind for Option<i64> {
    fn val(self) -> Val {
        self.map_or(Val::NullInt, Val::Int)
    }
}
impl Bind for f64 {
    fn val(self) -> Val {
        Val::Real(self)
    }
}
impl Bind for Option<f64> {
    fn val(self) -> Val {
        self.map_or(Val::NullReal, Val::Real)
    }
}
impl Bind for &str {
    fn val(self) -> Val {
        Val::Text(self.to_owned())
    }
}
impl Bind for String {
    fn val(self) -> Val {
        Val::Text(self)
    }
}
impl Bind for &String {
    fn val(self) -> Val {
        Val::Text(self.clone())
    }
}
impl Bind for Option<&str> {
    fn val(self) -> Val {
        self.map_or(Val::NullText, |s| Val::Text(s.to_owned()))
    }
}
impl Bind for Option<String> {
    fn val(self) -> Val {
        self.map_or(Val::NullText, Val::Text)
    }
}
impl Bind for &Option<String> {
    fn val(self) -> Val {
        self.as_deref().val()
    }
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Val::Real(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Val::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Val::NullInt | Val::NullReal | Val::NullText => ToSqlOutput::Owned(Value::Null),
        })
    }
}

/// A column type a row can give.
pub trait Col: Sized + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> {
    /// From an SQLite value.
    fn from_lite(v: ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self>;
}

macro_rules! col {
    ($t:ty) => {
        impl Col for $t {
            fn from_lite(v: ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                rusqlite::types::FromSql::column_result(v)
            }
        }
    };
}
col!(i64);
col!(Option<i64>);
col!(f64);
col!(Option<f64>);
col!(String);
col!(Option<String>);

/// A result row.
pub enum DbRow {
    /// From sqlx.
    Any(AnyRow),
    /// From the SQLite writer: column names and values.
    Lite(std::sync::Arc<[String]>, Vec<Value>),
}

impl DbRow {
    /// The column `name`.
    pub fn try_get<T: Col>(&self, name: &str) -> Result<T> {
        match self {
            DbRow::Any(r) => Ok(r.try_get(name)?),
            DbRow::Lite(names, vals) => {
                let i = names
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| StoreError::Db(sqlx::Error::ColumnNotFound(name.to_owned())))?;
                T::from_lite(ValueRef::from(&vals[i])).map_err(|e| {
                    StoreError::Db(sqlx::Error::Decode(format!("column {name}: {e}").into()))
                })
            }
        }
    }
}

/// A statement with its bound values.
pub struct Query<'q> {
    sql: Cow<'q, str>,
    args: Vec<Val>,
}

/// Starts a statement.
pub fn query<'q>(sql: impl Into<Cow<'q, str>>) -> Query<'q> {
    Query {
        sql: sql.into(),
        args: Vec::new(),
    }
}

impl<'q> Query<'q> {
    /// Binds the next `$N`.
    pub fn bind(mut self, v: impl Bind) -> Self {
        self.args.push(v.val());
        self
    }

    fn sqlx(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.sql);
        for a in &self.args {
            q = match a {
                Val::Int(v) => q.bind(*v),
                Val::Real(v) => q.bind(*v),
                Val::Text(v) => q.bind(v.as_str()),
                Val::NullInt => q.bind(None::<i64>),
                Val::NullReal => q.bind(None::<f64>),
                Val::NullText => q.bind(None::<String>),
            };
        }
        q
    }

    /// Prepares (cached) and binds on the writer's connection; `$N` is bound by its number.
    fn lite<'c>(&self, c: &'c rusqlite::Connection) -> Result<rusqlite::CachedStatement<'c>> {
        let mut st = c.prepare_cached(&self.sql).map_err(lite_error)?;
        for i in 1..=st.parameter_count() {
            let n = st
                .parameter_name(i)
                .and_then(|p| p.strip_prefix('$'))
                .and_then(|p| p.parse::<usize>().ok())
                .filter(|n| (1..=self.args.len()).contains(n))
                .ok_or_else(|| {
                    StoreError::Db(sqlx::Error::Protocol(format!(
                        "parameter {i} of a statement is not one of $1..${}",
                        self.args.len()
                    )))
                })?;
            st.raw_bind_parameter(i, &self.args[n - 1])
                .map_err(lite_error)?;
        }
        Ok(st)
    }

    /// Runs it; returns the rows changed.
    pub async fn execute(self, db: &mut Db<'_>) -> Result<u64> {
        match db {
            Db::Any(c) => Ok(self.sqlx().execute(&mut **c).await?.rows_affected()),
            Db::Lite(c) => Ok(self.lite(c)?.raw_execute().map_err(lite_error)? as u64),
        }
    }

    /// Every row.
    pub async fn fetch_all(self, db: &mut Db<'_>) -> Result<Vec<DbRow>> {
        match db {
            Db::Any(c) => Ok(self
                .sqlx()
                .fetch_all(&mut **c)
                .await?
                .into_iter()
                .map(DbRow::Any)
                .collect()),
            Db::Lite(c) => {
                let mut st = self.lite(c)?;
                let names: std::sync::Arc<[String]> =
                    st.column_names().into_iter().map(str::to_owned).collect();
                let width = names.len();
                let mut rows = st.raw_query();
                let mut out = Vec::new();
                while let Some(r) = rows.next().map_err(lite_error)? {
                    let vals = (0..width)
                        .map(|i| r.get::<_, Value>(i))
                        .collect::<rusqlite::Result<Vec<_>>>()
                        .map_err(lite_error)?;
                    out.push(DbRow::Lite(names.clone(), vals));
                }
                Ok(out)
            }
        }
    }

    /// The first column of the one row.
    pub async fn scalar<T: Col>(self, db: &mut Db<'_>) -> Result<T> {
        match db {
            Db::Any(c) => {
                let r = self.sqlx().fetch_one(&mut **c).await?;
                Ok(r.try_get(0)?)
            }
            Db::Lite(c) => {
                let mut st = self.lite(c)?;
                let mut rows = st.raw_query();
                let r = rows
                    .next()
                    .map_err(lite_error)?
                    .ok_or(StoreError::NotFound)?;
                T::from_lite(r.get_ref(0).map_err(lite_error)?).map_err(|e| {
                    StoreError::Db(sqlx::Error::Decode(format!("first column: {e}").into()))
                })
            }
        }
    }
}

/// A SQLite error as the store reports it, as [`StoreError::from`] does for sqlx's: a unique or
/// reference violation is a `Conflict` naming the constraint.
pub(crate) fn lite_error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        use rusqlite::ffi;
        let code = f.extended_code;
        if code == ffi::SQLITE_CONSTRAINT_UNIQUE
            || code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            || code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY
        {
            let m = msg.as_deref().unwrap_or("");
            return StoreError::Conflict(m.rsplit(": ").next().unwrap_or(m).to_owned());
        }
    }
    StoreError::Db(sqlx::Error::Protocol(format!("sqlite: {e}")))
}
