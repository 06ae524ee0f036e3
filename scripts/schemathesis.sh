#!/usr/bin/env bash
# Property-based API tests: schemathesis (pinned, from PyPI, in a venv this script makes) drives
# the OpenAPI document against `rexian serve --clock manual` for a bounded time, on SQLite and,
# when REXIAN_TEST_PG_URL is set, on a fresh PostgreSQL database. Fails on any 5xx, any status
# code or content type the document does not list, any answer that breaks its schema, and any
# request that breaks the document's schema yet is accepted.
#
#   bash scripts/schemathesis.sh            # REXIAN_ST_SECONDS (default 90) per database
#
# Requests whose business rules go beyond the schema (a season that ends before it starts, a
# policy override that is not valid TOML) are answered 400 by design, so schema-valid requests
# being refused is not a failure here. Calls that would end the run's own session (sign-out,
# the admin's password and disabling) or move the shared test clock are left out, and so is the
# roster import, whose body is an .xlsx workbook schemathesis cannot make (tests/api/roster.rs
# drives it with real workbooks).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="${REXIAN_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/rexian}"
seconds=${REXIAN_ST_SECONDS:-90}
venv=${REXIAN_ST_VENV:-${CARGO_TARGET_DIR:-$root/target}/schemathesis-venv}
version=4.32.5

if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi
[ -x "$bin" ] || cargo build -j"${CARGO_BUILD_JOBS:-2}" -p rexian

work=$(mktemp -d /tmp/rexian-st.XXXXXX)
server=""
pgdb=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  if [ -n "$pgdb" ]; then psql -q "$REXIAN_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

run_on() {
  local name=$1 url=$2
  local port password=st-admin-pass-2026 token
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$work/$name"
  if [ -n "$url" ]; then
    DATABASE_URL=$url REXIAN_ADMIN_PASSWORD=$password "$bin" serve --listen "127.0.0.1:$port" \
      --data-dir "$work/$name" --clock manual >"$work/$name.log" 2>&1 &
  else
    env -u DATABASE_URL REXIAN_ADMIN_PASSWORD=$password "$bin" serve --listen "127.0.0.1:$port" \
      --data-dir "$work/$name" --clock manual >"$work/$name.log" 2>&1 &
  fi
  server=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  token=$(curl -fsS -X POST "http://127.0.0.1:$port/api/v1/session" -H 'content-type: application/json' \
    -d "{\"login\":\"admin\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  echo "schemathesis on $name for ${seconds}s"
  local rc=0
  # From the scratch dir: schemathesis keeps state in the working directory.
  st_run() {
    (cd "$work" && "$venv/bin/schemathesis" --no-color run "http://127.0.0.1:$port/api/v1/openapi.json" \
      -H "Authorization: Bearer $token" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
      --exclude-name 'DELETE /api/v1/session' \
      --exclude-name 'PUT /api/v1/admin/clock' --exclude-name 'POST /api/v1/admin/clock/advance' \
      --exclude-name 'PUT /api/v1/users/{id}/password' --exclude-name 'PUT /api/v1/users/{id}/disabled' \
      --exclude-name 'POST /api/v1/roster/import' \
      --max-time "$seconds" -w 2 --suppress-health-check all --generation-database none \
      --seed "${REXIAN_ST_SEED:-$RANDOM}") 2>&1 | tee "$work/$name.st"
    return "${PIPESTATUS[0]}"
  }
  st_run || rc=$?
  # A crash inside schemathesis itself (a "Runtime Error" with no failure of the API) is the
  # tool's, not the product's: run once more with another seed; a second one fails the run.
  if [ "$rc" != 0 ] && grep -q "Runtime Error" "$work/$name.st" && ! grep -q "=== FAILURES ===" "$work/$name.st"; then
    echo "schemathesis itself crashed (no API failure): once more with another seed"
    rc=0; st_run || rc=$?
  fi
  if grep -q "panicked" "$work/$name.log"; then
    echo "the server panicked:"; grep -A5 "panicked" "$work/$name.log" | head -40; rc=1
  fi
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  if [ "$rc" != 0 ]; then
    echo "schemathesis on $name failed (server log: last lines)"; tail -n 20 "$work/$name.log"
    return "$rc"
  fi
}

run_on sqlite ""
if [ -n "${REXIAN_TEST_PG_URL:-}" ]; then
  pgdb="rexian_st_$$"
  psql -q "$REXIAN_TEST_PG_URL" -c "CREATE DATABASE $pgdb" >/dev/null
  run_on postgres "${REXIAN_TEST_PG_URL%/*}/$pgdb"
fi
echo "schemathesis: ok"
