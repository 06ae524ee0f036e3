#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test on SQLite and on PostgreSQL, the browser
# tests, schemathesis against the OpenAPI document and the benchmark smoke run. Installs PostgreSQL and Chromium with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${CARGO_BUILD_JOBS:-2}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*"; }
have_pg() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

step "tools"
have_pg || { echo "installing postgresql"; apt_install postgresql; }
[ -x /usr/bin/chromium ] || { echo "installing chromium"; apt_install chromium; }
command -v node >/dev/null || { echo "installing nodejs"; apt_install nodejs npm; }

step "PostgreSQL: start a throwaway server"
pgbin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
pgdir=$(mktemp -d /tmp/rexian-pg.XXXXXX)
pgport=${REXIAN_TEST_PG_PORT:-55432}
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
run_pg "'$pgbin/initdb' -D '$pgdir/data' -A trust -U postgres --no-sync" >/dev/null
run_pg "'$pgbin/pg_ctl' -D '$pgdir/data' -l '$pgdir/log' -w -o \"-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" start" >/dev/null
cleanup() { run_pg "'$pgbin/pg_ctl' -D '$pgdir/data' -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap cleanup EXIT
export REXIAN_TEST_PG_URL="postgres://postgres@127.0.0.1:$pgport/postgres"
"$pgbin/../bin/postgres" --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy -j"$jobs" --all-targets -- -D warnings

step "cargo machete (no unused dependencies)"
if ! command -v cargo-machete >/dev/null 2>&1; then
  cargo install -j"$jobs" --locked cargo-machete@0.9.2
fi
cargo machete
step "layers (rexian-server names no rexian-store type; no function of 80 lines)"
python3 scripts/layers.py

step "tests on SQLite"
REXIAN_TEST_DB=sqlite cargo test -j"$jobs" --workspace

step "tests on PostgreSQL ($REXIAN_TEST_PG_URL)"
REXIAN_TEST_DB=postgres cargo test -j"$jobs" --workspace

step "browser tests (Chromium)"
cargo build -j"$jobs" -p rexian
if [ -f tests/browser/run.sh ]; then
  REXIAN_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/rexian" bash tests/browser/run.sh
else
  echo "no browser suite yet"; exit 1
fi

step "schemathesis against the OpenAPI document (SQLite and PostgreSQL, bounded time)"
REXIAN_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/rexian" bash scripts/schemathesis.sh

if [ -f scripts/bench-smoke.sh ]; then
  step "benchmark smoke run"
  bash scripts/bench-smoke.sh
fi

step "all green"
