//! Write transactions.
//!
//! SQLite allows one writer at a time; left to itself, every other writer sleeps in the busy
//! handler (1, 2, 5 … 100 ms) and a durable commit costs one `fsync` each. So on SQLite every
//! write of this process queues on one lock (FIFO, no sleeping), and the hot writes (intake,
//! order steps, views of personal data) go to a writer thread as *units* of a group commit: the
//! writer takes what is queued, runs each unit inside its own `SAVEPOINT` (a failing unit rolls
//! back alone and gets its own error), commits once — one `fsync` for the batch — and then
//! answers every unit. The writer owns a connection of its own and runs the units' statements
//! directly on its thread (see [`crate::db`]).
//!
//! On PostgreSQL a unit is a plain transaction, or with [`Store::group_commit_postgres`] a
//! unit of a shared transaction as on SQLite: a few committer tasks, each on a connection of
//! its own, take what is queued (at most [`PG_MAX_BATCH`]), run each unit inside a
//! `SAVEPOINT`, commit once and answer every unit (issue 22; see BENCHMARKS.md for which is
//! faster on this machine).

use std::sync::Arc;

use futures_core::future::BoxFuture;
use sqlx::{AnyConnection, Transaction};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use crate::db::{lite_error, Db};
use crate::{Result, Store, StoreError};

/// Most units committed together.
const MAX_BATCH: usize = 512;

/// How long the writer, under load, waits for more units after the first of a batch arrives.
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

/// Most units in one PostgreSQL transaction: each savepoint that writes takes a subtransaction
/// id, and past 64 of them a backend's snapshot overflows into `pg_subtrans` for everyone.
pub const PG_MAX_BATCH: usize = 32;

/// What a unit leaves to do once the batch's commit is known.
type Finish = Box<dyn FnOnce(Result<()>) + Send>;
/// A write unit: runs on the writer's connection and says whether it succeeded.
type Unit = Box<dyn for<'c, 'd> FnOnce(&'c mut Db<'d>) -> BoxFuture<'c, (bool, Finish)> + Send>;

/// The SQLite writer: the lock every write takes, and the queue of group-commit units.
#[derive(Debug)]
pub(crate) struct Writer {
    lock: Arc<Mutex<()>>,
    units: std::sync::mpsc::Sender<Unit>,
}

impl Writer {
    /// Opens the writer's connection to the database file at `path` and starts its thread.
    pub(crate) fn start(path: &str) -> Result<Writer> {
        let conn = rusqlite::Connection::open(path).map_err(lite_error)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; \
             PRAGMA busy_timeout=10000; PRAGMA mmap_size=17179869184; PRAGMA cache_size=-8192;",
        )
        .map_err(lite_error)?;
        conn.set_prepared_statement_cache_capacity(256);
        let lock = Arc::new(Mutex::new(()));
        let (units, rx) = std::sync::mpsc::channel();
        let l = lock.clone();
        std::thread::Builder::new()
            .name("rexian-writer".into())
            .spawn(move || run(conn, l, rx))
            .map_err(|e| StoreError::Config(format!("starting the writer thread: {e}")))?;
        Ok(Writer { lock, units })
    }
}

/// Runs a unit's future to its end. On the writer's connection every statement completes at
/// once, so this never waits.
fn finish_now<T>(f: BoxFuture<'_, T>) -> T {
    futures_executor::block_on(f)
}

fn run(mut conn: rusqlite::Connection, lock: Arc<Mutex<()>>, rx: std::sync::mpsc::Receiver<Unit>) {
    let mut batch: Vec<Unit> = Vec::new();
    let mut busy = false;
    while let Ok(first) = rx.recv() {
        batch.push(first);
        // Under load (the last batch held more than one unit), gather for a moment: every
        // commit makes each reader connection drop its page cache and memory map (SQLite's rule
        // for a changed database), so fewer, larger commits keep the readers' pages warm, and
        // each costs one flush. A lone writer does not wait.
        if busy {
            std::thread::sleep(GATHER);
        }
        let _guard = lock.blocking_lock();
        // Whatever queued while the lock was busy joins this batch.
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(u) => batch.push(u),
                Err(_) => break,
            }
        }
        busy = batch.len() > 1;
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping the units drops their answer channels: each caller gets an error.
            tracing::error!(error = %e, units = batch.len(), "writer could not begin");
            batch.clear();
            continue;
        }
        if batch.len() == 1 {
            // A unit alone is the whole transaction: no savepoint, and a failure rolls back.
            let Some(unit) = batch.pop() else { continue };
            let (ok, finish) = finish_now(unit(&mut Db::Lite(&mut conn)));
            if ok {
                commit(&conn, vec![finish]);
            } else {
                if let Err(e) = conn.execute_batch("ROLLBACK") {
                    tracing::error!(error = %e, "writer could not roll back a unit");
                }
                // The unit's own error is its answer.
                finish(Ok(()));
            }
            continue;
        }
        let mut finishes = Vec::with_capacity(batch.len());
        for unit in batch.drain(..) {
            if conn.execute_batch("SAVEPOINT unit").is_err() {
                continue;
            }
            let (ok, finish) = finish_now(unit(&mut Db::Lite(&mut conn)));
            let end = if ok {
                "RELEASE unit"
            } else {
                "ROLLBACK TO unit; RELEASE unit"
            };
            match conn.execute_batch(end) {
                Ok(()) => finishes.push(finish),
                Err(e) => tracing::error!(error = %e, "writer could not end a unit"),
            }
        }
        commit(&conn, finishes);
    }
}

/// Commits the batch, then answers each unit with the outcome.
fn commit(conn: &rusqlite::Connection, finishes: Vec<Finish>) {
    match conn.execute_batch("COMMIT") {
        Ok(()) => {
            for f in finishes {
                f(Ok(()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "group commit failed");
            let _ = conn.execute_batch("ROLLBACK");
            let msg = e.to_string();
            for f in finishes {
                f(Err(StoreError::Db(sqlx::Error::Protocol(format!(
                    "group commit failed: {msg}"
                )))));
            }
        }
    }
}

/// PostgreSQL's committers: the queue they share.
#[derive(Debug)]
pub(crate) struct PgGroup {
    units: tokio::sync::mpsc::UnboundedSender<Unit>,
}

impl PgGroup {
    /// Starts `committers` tasks on `pool`.
    pub(crate) fn start(pool: sqlx::AnyPool, committers: usize) -> PgGroup {
        let (units, rx) = tokio::sync::mpsc::unbounded_channel();
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..committers.max(1) {
            tokio::spawn(pg_committer(pool.clone(), rx.clone()));
        }
        PgGroup { units }
    }
}

type PgQueue = Arc<Mutex<tokio::sync::mpsc::UnboundedReceiver<Unit>>>;

async fn pg_committer(pool: sqlx::AnyPool, rx: PgQueue) {
    let mut batch: Vec<Unit> = Vec::with_capacity(PG_MAX_BATCH);
    loop {
        {
            let mut q = rx.lock().await;
            match q.recv().await {
                Some(u) => batch.push(u),
                None => return,
            }
            while batch.len() < PG_MAX_BATCH {
                match q.try_recv() {
                    Ok(u) => batch.push(u),
                    Err(_) => break,
                }
            }
        }
        let mut tx = match pool.begin().await {
            Ok(tx) => tx,
            Err(e) => {
                // Dropping the units drops their answer channels: each caller gets an error.
                tracing::error!(error = %e, units = batch.len(), "committer could not begin");
                batch.clear();
                continue;
            }
        };
        let lone = batch.len() == 1;
        let mut finishes = Vec::with_capacity(batch.len());
        let mut refused = None;
        for unit in batch.drain(..) {
            if !lone
                && sqlx::query("SAVEPOINT unit")
                    .execute(&mut *tx)
                    .await
                    .is_err()
            {
                continue;
            }
            let (ok, finish) = unit(&mut Db::Any(&mut tx)).await;
            let end: &[&str] = match (lone, ok) {
                (true, _) => &[],
                (false, true) => &["RELEASE unit"],
                (false, false) => &["ROLLBACK TO unit", "RELEASE unit"],
            };
            let mut ended = true;
            for stmt in end {
                if let Err(e) = sqlx::query(stmt).execute(&mut *tx).await {
                    tracing::error!(error = %e, "committer could not end a unit");
                    ended = false;
                    break;
                }
            }
            if !ended {
                continue;
            }
            if lone && !ok {
                refused = Some(finish);
                break;
            }
            finishes.push(finish);
        }
        if let Some(finish) = refused {
            // A unit alone is the whole transaction: its own error is its answer.
            let _ = tx.rollback().await;
            finish(Ok(()));
            continue;
        }
        if finishes.is_empty() {
            continue;
        }
        let outcome = tx.commit().await;
        let msg = outcome.as_ref().err().map(|e| e.to_string());
        for f in finishes {
            f(match &msg {
                None => Ok(()),
                Some(m) => Err(StoreError::Db(sqlx::Error::Protocol(format!(
                    "group commit failed: {m}"
                )))),
            });
        }
    }
}

/// A write transaction: on SQLite it holds the process's write lock until it ends.
pub struct WriteTx {
    tx: Transaction<'static, sqlx::Any>,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// Commits, then lets the next writer in.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// Held while a single-statement write runs outside a transaction.
pub(crate) struct WriteGuard(#[allow(dead_code)] Option<OwnedMutexGuard<()>>);

/// The SQLite writer's queue and PostgreSQL's committers' queue, one way to send.
trait Queue {
    fn put(&self, u: Unit) -> bool;
}

impl Queue for std::sync::mpsc::Sender<Unit> {
    fn put(&self, u: Unit) -> bool {
        self.send(u).is_ok()
    }
}

impl Queue for tokio::sync::mpsc::UnboundedSender<Unit> {
    fn put(&self, u: Unit) -> bool {
        self.send(u).is_ok()
    }
}

fn send(q: &dyn Queue, u: Unit) -> Result<()> {
    if q.put(u) {
        Ok(())
    } else {
        Err(StoreError::Config("the writer has stopped".into()))
    }
}

impl Store {
    /// PostgreSQL: from now on, units of [`Store::grouped`] share transactions, run by
    /// `committers` tasks (a no-op on SQLite, which always groups). Call once, at start.
    pub fn group_commit_postgres(&self, committers: usize) {
        if self.writer.is_none() {
            let _ = self
                .pg_group
                .set(PgGroup::start(self.pool().clone(), committers));
        }
    }

    /// Begins a write transaction (queued behind the other writers on SQLite).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx> {
        let guard = self.write_guard().await;
        let tx = self.pool().begin().await?;
        Ok(WriteTx {
            tx,
            _guard: guard.0,
        })
    }

    /// Takes the write lock for a single statement (a no-op on PostgreSQL).
    pub(crate) async fn write_guard(&self) -> WriteGuard {
        match &self.writer {
            Some(w) => WriteGuard(Some(w.lock.clone().lock_owned().await)),
            None => WriteGuard(None),
        }
    }

    /// Runs `f` as one unit of a group commit; its result is returned once it is durable.
    /// An error of `f` rolls back only what `f` wrote.
    pub(crate) async fn grouped<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c, 'd> FnOnce(&'c mut Db<'d>) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let queue = match (&self.writer, self.pg_group.get()) {
            (Some(w), _) => &w.units as &dyn Queue,
            (None, Some(g)) => &g.units as &dyn Queue,
            (None, None) => {
                let mut tx = self.pool().begin().await?;
                let v = f(&mut Db::Any(&mut tx)).await?;
                tx.commit().await?;
                return Ok(v);
            }
        };
        let (answer, rx) = oneshot::channel::<Result<T>>();
        let unit: Unit = Box::new(move |conn| {
            Box::pin(async move {
                let r = f(conn).await;
                let ok = r.is_ok();
                let finish: Finish = Box::new(move |commit| {
                    let _ = answer.send(commit.and(r));
                });
                (ok, finish)
            })
        });
        send(queue, unit)?;
        rx.await.map_err(|_| {
            StoreError::Db(sqlx::Error::Protocol(
                "the writer dropped the change (see the log)".into(),
            ))
        })?
    }
}
