#!/usr/bin/env bash
# Browser tests of the Rexian web console.
#
#   cargo build -j2 -p rexian          # the binary under test
#   bash tests/browser/run.sh          # every tests/browser/tests/*.mjs
#   bash tests/browser/run.sh tests/browser/tests/login.test.mjs   # some files only
#
# Installs Debian's Chromium (apt-get) and playwright-core (npm ci) when missing, starts
# `rexian serve --demo` on a free loopback port with a fresh data dir, waits for /healthz, runs
# the test files with `node --test`, stops the server. Exits non-zero when a test fails.
#
# Environment:
#   REXIAN_BIN        binary under test (default: <repo>/target/debug/rexian)
#   REXIAN_ARTIFACTS  screenshots and server log (default: tests/browser/artifacts)
#   TEST_TIMEOUT_MS   per-test timeout (default 60000)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CHROMIUM=/usr/bin/chromium
START=$(date +%s)

log() { printf '[browser-tests] %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------
# Chromium from Debian, and a CJK font so that screenshots show Chinese text (and widths are real).
PKGS=()
[ -x "$CHROMIUM" ] || PKGS+=(chromium)
if ! command -v fc-list >/dev/null || [ -z "$(fc-list :lang=zh 2>/dev/null | head -n1)" ]; then PKGS+=(fonts-wqy-microhei); fi
if [ "${#PKGS[@]}" -gt 0 ]; then
  log "installing ${PKGS[*]} with apt-get"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "${PKGS[@]}"
fi
command -v node >/dev/null || { log "node is missing"; exit 2; }
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  log "npm ci"
  (cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

BIN="${REXIAN_BIN:-target/debug/rexian}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
  log "no binary at $BIN: build it with 'cargo build -j2 -p rexian' or set REXIAN_BIN"
  exit 2
fi

# --- test files ----------------------------------------------------------------------------
FILES=()
if [ "$#" -gt 0 ]; then
  for f in "$@"; do
    case "$f" in /*) FILES+=("$f") ;; *) if [ -e "$f" ]; then FILES+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); else FILES+=("$HERE/tests/$f"); fi ;; esac
  done
else
  shopt -s nullglob
  FILES=("$HERE"/tests/*.mjs)
  shopt -u nullglob
fi
if [ "${#FILES[@]}" -eq 0 ]; then log "no test files"; exit 2; fi

# --- server --------------------------------------------------------------------------------
export REXIAN_ARTIFACTS="${REXIAN_ARTIFACTS:-$HERE/artifacts}"
rm -rf "$REXIAN_ARTIFACTS"
mkdir -p "$REXIAN_ARTIFACTS"
SERVER_LOG="$REXIAN_ARTIFACTS/server.log"
DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/rexian-browser.XXXXXX")"
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# One request to /healthz: exit 0 when it answers 200.
healthy() {
  node -e 'fetch(process.argv[1],{signal:AbortSignal.timeout(1000)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "$1/healthz"
}

# The server must use only its fresh SQLite dir: no PostgreSQL, config file or clock from the caller.
unset DATABASE_URL REXIAN_DATABASE_URL REXIAN_CONFIG REXIAN_CLOCK REXIAN_CLOCK_START REXIAN_DATA_DIR REXIAN_LISTEN
export REXIAN_ADMIN_PASSWORD="browser-admin-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
export REXIAN_DEMO_PASSWORD="demo-pass-2026"

# A manual clock at 10:00 Beijing time today: the callback window (08:00–21:00) is open and
# countdowns do not move under the tests, whenever the suite runs.
CLOCK_START="$(TZ=Asia/Shanghai date +%Y-%m-%dT10:00:00+08:00)"

started=""
for attempt in 1 2 3; do
  PORT="$(free_port)"
  export REXIAN_BASE_URL="http://127.0.0.1:$PORT"
  log "starting $BIN on $REXIAN_BASE_URL (data dir $DATA_DIR)"
  # cwd = data dir, so that no ./rexian.toml of the caller is read.
  (cd "$DATA_DIR" && exec "$BIN" serve --demo --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT" --log info \
    --clock manual --clock-start "$CLOCK_START") >>"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  deadline=$(( $(date +%s) + 30 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    if healthy "$REXIAN_BASE_URL"; then started=1; break; fi
    sleep 0.1
  done
  [ -n "$started" ] && break
  log "server did not come up (attempt $attempt); last lines of $SERVER_LOG:"
  tail -n 20 "$SERVER_LOG" >&2 || true
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
done
if [ -z "$started" ]; then log "giving up: the server did not answer /healthz"; exit 1; fi
log "server up after $(( $(date +%s) - START ))s"

# --- tests ---------------------------------------------------------------------------------
set +e
(cd "$HERE" && node --test --test-reporter=spec --test-concurrency=1 \
  --test-timeout="${TEST_TIMEOUT_MS:-60000}" "${FILES[@]}")
rc=$?
set -e

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  log "the server died during the tests; see $SERVER_LOG"
  rc=1
fi
log "done in $(( $(date +%s) - START ))s, exit $rc; screenshots in ${REXIAN_ARTIFACTS#"$ROOT"/}"
exit "$rc"
