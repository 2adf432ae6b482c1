# shellcheck shell=bash
# Helpers to run a throw-away Gatehouse server for end-to-end tests and benchmarks.
#
# Source this file, then:
#   gh_server_start sqlite|postgres   # starts a server, exports GATEHOUSE_* and GH_* variables
#   gh_cli user create --email ...    # runs the CLI against the same database/data dir
#   gh_server_stop                    # stops the server, drops its database, removes its data dir
#
# The functions never rely on `set -e` (callers may use them in `if`), they return non-zero instead.
#
# Inputs (optional):
#   GATEHOUSE_BIN   binary to run (default: <repo>/target/debug/gatehouse)
#   GH_PG_URL_BASE  Postgres server for fresh databases (default: postgres://postgres@127.0.0.1:5432)
#   GH_PIDFILE      file to which started server pids are appended (lets an outer trap clean up)
#   GH_LOG_DIR      where the server log is copied on stop (default: <repo>/tests/output)
#   GATEHOUSE_KEY_PUBLISH_DELAY / GATEHOUSE_KEY_REFRESH_SECONDS  default to 0 / 1 here, so that
#                   `gatehouse keys rotate` takes effect at once in tests
# Outputs (exported after gh_server_start):
#   GATEHOUSE_URL, GATEHOUSE_ISSUER, GATEHOUSE_LISTEN, GATEHOUSE_DATA_DIR, GATEHOUSE_DATABASE_URL,
#   GH_BACKEND, GH_PID, GH_PORT, GH_TMP, GH_PG_DB, GH_SERVER_LOG

GH_ROOT=${GH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
GATEHOUSE_BIN=${GATEHOUSE_BIN:-$GH_ROOT/target/debug/gatehouse}
case $GATEHOUSE_BIN in /*) ;; *) GATEHOUSE_BIN=$PWD/$GATEHOUSE_BIN ;; esac
GH_PG_HOST=${GH_PG_HOST:-127.0.0.1}
GH_PG_PORT=${GH_PG_PORT:-5432}
GH_PG_USER=${GH_PG_USER:-postgres}
GH_PG_URL_BASE=${GH_PG_URL_BASE:-postgres://$GH_PG_USER@$GH_PG_HOST:$GH_PG_PORT}
GH_LOG_DIR=${GH_LOG_DIR:-$GH_ROOT/tests/output}
GH_PID=${GH_PID:-}
GH_PG_DB=${GH_PG_DB:-}
GH_TMP=${GH_TMP:-}

gh_log() { printf '[server.sh] %s\n' "$*" >&2; }

# Prints a TCP port on 127.0.0.1 that was free a moment ago.
gh_free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Prints 16 random lowercase hex characters.
gh_rand_hex() {
  od -An -N8 -tx1 /dev/urandom | tr -d ' \n'
}

# gh_json_get KEY  (reads one JSON object on stdin, prints the value of KEY; fails if missing)
gh_json_get() {
  python3 -c 'import json, sys
obj = json.loads(sys.stdin.read())
if not isinstance(obj, dict) or sys.argv[1] not in obj:
    sys.exit("expected a JSON object with key %r, got %r" % (sys.argv[1], obj))
print(obj[sys.argv[1]])' "$1"
}

# Runs the binary in the server's data dir (so no stray ./gatehouse.toml is picked up) and without
# the harness's own GATEHOUSE_* variables (which are not settings and would only cause warnings).
gh_exec() {
  (
    cd "${GH_TMP:-.}" || exit 1
    exec env -u GATEHOUSE_URL -u GATEHOUSE_BIN NO_COLOR=1 "$GATEHOUSE_BIN" "$@"
  )
}

# Runs the Gatehouse CLI with the environment of the running test server.
gh_cli() {
  gh_exec "$@"
}

gh_psql() {
  psql -h "$GH_PG_HOST" -p "$GH_PG_PORT" -U "$GH_PG_USER" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

# Waits until GET $1 answers 200, while process $2 is alive. $3 = timeout in seconds (default 60).
gh_wait_http_200() {
  local url=$1 pid=$2 timeout=${3:-60} code deadline
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      gh_log "server process $pid exited before $url answered"
      return 1
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)
    if [[ $code == 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  gh_log "timed out after ${timeout}s waiting for 200 from $url (last status: ${code:-none})"
  return 1
}

# gh_server_start BACKEND   (BACKEND = sqlite | postgres)
gh_server_start() {
  local backend=${1:?backend (sqlite|postgres) required}
  if [[ -n $GH_PID ]]; then
    gh_log "a server is already running (pid $GH_PID); stop it first"
    return 1
  fi
  if [[ ! -x $GATEHOUSE_BIN ]]; then
    gh_log "binary not found: $GATEHOUSE_BIN (run: cargo build --bin gatehouse)"
    return 1
  fi
  GH_BACKEND=$backend
  GH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gh-e2e-$backend-XXXXXX") || return 1
  GH_PORT=$(gh_free_port) || return 1
  GH_SERVER_LOG=$GH_TMP/server.log

  case $backend in
    sqlite)
      GH_PG_DB=
      GATEHOUSE_DATABASE_URL="sqlite://$GH_TMP/gatehouse.db"
      ;;
    postgres)
      GH_PG_DB="gh_e2e_$(gh_rand_hex)"
      if ! gh_psql -c "CREATE DATABASE $GH_PG_DB"; then
        gh_log "could not create Postgres database $GH_PG_DB on $GH_PG_URL_BASE"
        GH_PG_DB=
        return 1
      fi
      GATEHOUSE_DATABASE_URL="$GH_PG_URL_BASE/$GH_PG_DB"
      ;;
    *)
      gh_log "unknown backend: $backend (expected sqlite or postgres)"
      return 1
      ;;
  esac

  # Always 127.0.0.1, never localhost: cookies are bound to the host name the browser used.
  GATEHOUSE_DATA_DIR=$GH_TMP
  GATEHOUSE_LISTEN="127.0.0.1:$GH_PORT"
  GATEHOUSE_ISSUER="http://127.0.0.1:$GH_PORT"
  GATEHOUSE_URL=$GATEHOUSE_ISSUER
  # Key rotation takes effect at once in tests (the defaults are 60 s / 30 s).
  GATEHOUSE_KEY_PUBLISH_DELAY=${GATEHOUSE_KEY_PUBLISH_DELAY:-0}
  GATEHOUSE_KEY_REFRESH_SECONDS=${GATEHOUSE_KEY_REFRESH_SECONDS:-1}
  export GATEHOUSE_DATA_DIR GATEHOUSE_LISTEN GATEHOUSE_ISSUER GATEHOUSE_DATABASE_URL GATEHOUSE_URL
  export GATEHOUSE_KEY_PUBLISH_DELAY GATEHOUSE_KEY_REFRESH_SECONDS
  export GATEHOUSE_BIN GH_BACKEND GH_PORT GH_TMP GH_PG_DB GH_SERVER_LOG
  # Settings from the developer's shell must not leak into the throw-away server.
  unset GATEHOUSE_CONFIG GATEHOUSE_TLS_CERT GATEHOUSE_TLS_KEY GATEHOUSE_SMTP_URL \
    GATEHOUSE_MASTER_KEY GATEHOUSE_MASTER_KEY_FILE

  # A test SMTP sink (scripts/test starts one) replaces the dev outbox.
  if [[ -n ${GH_SMTP_URL:-} ]]; then
    export GATEHOUSE_SMTP_URL=$GH_SMTP_URL
  fi

  gh_log "starting $backend server on $GATEHOUSE_URL (data: $GH_TMP${GH_PG_DB:+, db: $GH_PG_DB})"
  # One subshell that execs (via env) into the server, so $! is the server's own pid.
  (
    cd "$GH_TMP" || exit 1
    exec env -u GATEHOUSE_URL -u GATEHOUSE_BIN NO_COLOR=1 "$GATEHOUSE_BIN" serve
  ) >"$GH_SERVER_LOG" 2>&1 </dev/null &
  GH_PID=$!
  export GH_PID
  if [[ -n ${GH_PIDFILE:-} ]]; then
    echo "$GH_PID" >>"$GH_PIDFILE"
  fi

  if ! gh_wait_http_200 "$GATEHOUSE_URL/healthz" "$GH_PID" "${GH_START_TIMEOUT:-60}"; then
    gh_log "server failed to become healthy; last log lines:"
    tail -n 40 "$GH_SERVER_LOG" >&2 || true
    return 1
  fi
  gh_log "server ready (pid $GH_PID)"
}

# Stops the server started by gh_server_start and removes what it created.
gh_server_stop() {
  local i
  if [[ -n $GH_PID ]]; then
    if kill -0 "$GH_PID" 2>/dev/null; then
      kill -TERM "$GH_PID" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do
        kill -0 "$GH_PID" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$GH_PID" 2>/dev/null; then
        gh_log "server $GH_PID did not stop on SIGTERM within 10s; killing it"
        kill -KILL "$GH_PID" 2>/dev/null || true
      fi
    fi
    wait "$GH_PID" 2>/dev/null || true
    GH_PID=
  fi
  if [[ -n $GH_TMP && -d $GH_TMP ]]; then
    if [[ -f $GH_TMP/server.log ]]; then
      if mkdir -p "$GH_LOG_DIR"; then
        cp "$GH_TMP/server.log" "$GH_LOG_DIR/server-${GH_BACKEND:-unknown}.log" || true
      fi
    fi
    rm -rf "$GH_TMP"
  fi
  GH_TMP=
  if [[ -n $GH_PG_DB ]]; then
    gh_psql -c "DROP DATABASE IF EXISTS $GH_PG_DB WITH (FORCE)" || gh_log "could not drop database $GH_PG_DB"
    GH_PG_DB=
  fi
  return 0
}
