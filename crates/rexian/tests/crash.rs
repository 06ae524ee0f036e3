//! Crash safety of the real binary: during concurrent intake `serve` is killed with SIGKILL,
//! restarted on the same data, and every order it acknowledged (201) is found by id with its
//! number — three cycles. SQLite, or PostgreSQL with `REXIAN_TEST_DB=postgres`.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{assert_all_found, backend, intake_load, setup, wait_for, PgDb, Server, Tally};

#[test]
fn acknowledged_orders_survive_kill_9_during_intake() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let pg = (backend() == "postgres").then(PgDb::new);
    let url = pg.as_ref().map(|d| d.url.as_str());
    let first = Server::start(&dir, url);
    let staff = setup(&first);
    let mut server = Some(first);
    let tally = Tally::default();
    let mut refused = Vec::new();
    for cycle in 0..3 {
        let s = server.take().expect("a running server");
        tally.stop.store(false, Ordering::Relaxed);
        let before = tally.acked.lock().unwrap().len();
        let workers = intake_load(
            &s.addr,
            &staff.agent,
            &staff.company,
            6,
            5_000,
            // Longer than the wait below: the kill always lands during intake.
            Duration::from_secs(30),
            &tally,
        );
        // Kill with requests in flight, once this cycle has some orders acknowledged.
        wait_for(&tally.acked, before + 100, Duration::from_secs(15));
        s.kill();
        tally.stop.store(true, Ordering::Relaxed);
        for w in workers {
            refused.extend(w.join().expect("worker"));
        }
        let acked = tally.acked.lock().unwrap().clone();
        assert!(
            acked.len() > before,
            "cycle {cycle}: no order acknowledged before the kill"
        );
        let s = Server::start(&dir, url);
        assert_all_found(&s, &staff.agent, &acked);
        server = Some(s);
    }
    assert!(refused.is_empty(), "intake refused: {refused:?}");
    eprintln!(
        "{} orders acknowledged around 3 kills, all found ({:.1} s)",
        tally.acked.lock().unwrap().len(),
        started.elapsed().as_secs_f64()
    );
}
