# shellcheck shell=bash
# Secrets scan (issue 11): after a suite ran against a server started by scripts/lib/server.sh,
# no password, token, code, API key, client secret or live link may sit in plain form in the
# server log, the database (SQLite files, or a pg_dump of the Postgres database; the email
# outbox is one of its tables). The scanner (secrets_scan.py) is deterministic: a string is a
# leaked credential when its SHA-256 is among the hashes the database stores, or when it is a
# JWT or a password the suites use (add more with GH_SCAN_SECRETS, one per line).
#
#   source scripts/lib/server.sh scripts/lib/secrets_scan.sh
#   gh_server_start sqlite; ...suites...; gh_secrets_scan; gh_server_stop
#
# gh_secrets_scan must run while the server's data still exists (before gh_server_stop, which
# deletes the data dir and drops the database); it scans the running server's log, its SQLite
# files or a pg_dump of its database, and every tests/output/server-*.log already written.
# Returns 1 when something was found (the findings are printed redacted), 0 otherwise.

GH_SCAN_ROOT=${GH_SCAN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

gh_secrets_scan() {
  local dump_dir files=() hashes=() rc=0 f
  dump_dir=$(mktemp -d "${TMPDIR:-/tmp}/gh-secrets-scan-XXXXXX") || return 1
  if [[ -n ${GH_TMP:-} && -d $GH_TMP ]]; then
    for f in "$GH_TMP"/*.db "$GH_TMP"/*.db-wal "$GH_TMP"/*.db-shm "$GH_TMP"/server.log; do
      [[ -f $f ]] && files+=("$f")
    done
    for f in "$GH_TMP"/*.db; do
      [[ -f $f ]] && hashes+=("$f")
    done
  fi
  if [[ -n ${GH_PG_DB:-} ]]; then
    if pg_dump -h "${GH_PG_HOST:-127.0.0.1}" -p "${GH_PG_PORT:-5432}" -U "${GH_PG_USER:-postgres}" \
      --data-only --no-owner "$GH_PG_DB" >"$dump_dir/$GH_PG_DB.sql" 2>"$dump_dir/pg_dump.err"; then
      files+=("$dump_dir/$GH_PG_DB.sql")
      hashes+=("$dump_dir/$GH_PG_DB.sql")
    else
      echo "secrets scan: pg_dump of $GH_PG_DB failed: $(cat "$dump_dir/pg_dump.err")" >&2
      rc=1
    fi
  fi
  for f in "$GH_SCAN_ROOT"/tests/output/server-*.log; do
    [[ -f $f ]] && files+=("$f")
  done
  if ((${#files[@]} == 0)); then
    echo "secrets scan: nothing to scan (no server data, no tests/output/server-*.log)" >&2
    rm -rf "$dump_dir"
    return 1
  fi
  python3 "$GH_SCAN_ROOT/scripts/lib/secrets_scan.py" --hashes-from "${hashes[@]}" --scan "${files[@]}" || rc=1
  rm -rf "$dump_dir"
  return "$rc"
}
