#!/usr/bin/env bash
# Benchmarks the admin dashboard's user and org search at scale: a fresh database per backend
# is bulk-seeded in SQL (1,000,000 users, 100,000 orgs, 100,000 memberships), then a signed-in
# admin's browser asks /admin/users and /admin/orgs over HTTP: the first and a deep keyset
# page, exact id and email, a short prefix, email and name parts, a substring, nothing found.
# Prints p50/p95/max per query (target: p95 < 100 ms). Runs on its own:
#
#   scripts/bench.d/admin_search.sh              # SQLite and Postgres
#   scripts/bench.d/admin_search.sh sqlite       # one backend
#   BENCH_USERS=100000 BENCH_ORGS=10000 BENCH_REPEAT=50 scripts/bench.d/admin_search.sh
#
# GATEHOUSE_BIN=<path> uses that binary; otherwise target/release/gatehouse is built.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
USERS=${BENCH_USERS:-1000000}
ORGS=${BENCH_ORGS:-100000}
REPEAT=${BENCH_REPEAT:-100}
backends=("$@")
((${#backends[@]})) || backends=(sqlite postgres)

if [[ -z ${GATEHOUSE_BIN:-} ]]; then
  cargo build --release --bin gatehouse
  export GATEHOUSE_BIN=$ROOT/target/release/gatehouse
fi
export GATEHOUSE_LOG=${GATEHOUSE_LOG:-warn}
GH_LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gh-bench-logs-XXXXXX")
export GH_LOG_DIR
# shellcheck source=SCRIPTDIR/../lib/server.sh
source "$ROOT/scripts/lib/server.sh"
trap 'gh_server_stop >/dev/null 2>&1 || true' EXIT

# The same rows on both databases: user i has id <8 hex of i>-0000-4000-8000-<12 hex of i>,
# email user<i>@<one of 8 domains>, one of 16 first names, a numbered surname, created 30 s apart.
sqlite_seed() {
  sqlite3 "$GH_TMP/gatehouse.db" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
PRAGMA busy_timeout = 10000;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS)
INSERT INTO users (id, email, email_verified, first_name, last_name, username, created_at, updated_at)
SELECT printf('%08x-0000-4000-8000-%012x', i, i),
       'user' || i || '@' || (CASE i % 8 WHEN 0 THEN 'example.com' WHEN 1 THEN 'acme.test' WHEN 2 THEN 'globex.test'
         WHEN 3 THEN 'initech.test' WHEN 4 THEN 'umbrella.test' WHEN 5 THEN 'hooli.test' WHEN 6 THEN 'stark.test' ELSE 'wayne.test' END),
       1,
       (CASE i % 16 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Grace' WHEN 2 THEN 'Alan' WHEN 3 THEN 'Edsger' WHEN 4 THEN 'Barbara'
         WHEN 5 THEN 'Donald' WHEN 6 THEN 'Frances' WHEN 7 THEN 'John' WHEN 8 THEN 'Margaret' WHEN 9 THEN 'Ken'
         WHEN 10 THEN 'Radia' WHEN 11 THEN 'Dennis' WHEN 12 THEN 'Sophie' WHEN 13 THEN 'Linus' WHEN 14 THEN 'Katherine' ELSE 'Tim' END),
       'Surname' || (i % 50000),
       CASE WHEN i % 3 = 0 THEN 'handle' || i END,
       1600000000 + i * 30, 1600000000 + i * 30
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ORGS)
INSERT INTO orgs (id, name, url_safe_name, created_at, domain)
SELECT printf('%08x-0000-4000-9000-%012x', i, i), 'Company ' || (i % 20000), 'company-' || i, 1600000000 + i * 300,
       CASE WHEN i % 4 = 0 THEN 'company' || i || '.test' END
FROM n;
INSERT INTO org_memberships (org_id, user_id, role, created_at)
SELECT o.id, printf('%08x-0000-4000-8000-%012x', o.rowid * 7, o.rowid * 7), 'Owner', o.created_at FROM orgs o WHERE o.rowid * 7 <= $USERS;
COMMIT;
ANALYZE;
SQL
}

postgres_seed() {
  local db=$GH_PG_DB defs
  # Indexes are dropped for the bulk insert and built again after it (far faster).
  defs=$(gh_psql -d "$db" -c "SELECT indexdef || ';' FROM pg_indexes WHERE schemaname = current_schema() \
    AND tablename IN ('users', 'orgs') AND indexname NOT LIKE '%pkey' AND indexname NOT LIKE '%\_key'")
  gh_psql -d "$db" -c "SELECT 'DROP INDEX ' || indexname || ';' FROM pg_indexes WHERE schemaname = current_schema() \
    AND tablename IN ('users', 'orgs') AND indexname NOT LIKE '%pkey' AND indexname NOT LIKE '%\_key'" | gh_psql -d "$db"
  gh_psql -d "$db" <<SQL
INSERT INTO users (id, email, email_verified, first_name, last_name, username, created_at, updated_at)
SELECT lpad(to_hex(i), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
       'user' || i || '@' || (ARRAY['example.com', 'acme.test', 'globex.test', 'initech.test', 'umbrella.test', 'hooli.test',
         'stark.test', 'wayne.test'])[i % 8 + 1],
       TRUE,
       (ARRAY['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Ken', 'Radia', 'Dennis',
         'Sophie', 'Linus', 'Katherine', 'Tim'])[i % 16 + 1],
       'Surname' || (i % 50000),
       CASE WHEN i % 3 = 0 THEN 'handle' || i END,
       1600000000 + i * 30, 1600000000 + i * 30
FROM generate_series(1, $USERS) AS i;
INSERT INTO orgs (id, name, url_safe_name, created_at, domain)
SELECT lpad(to_hex(i), 8, '0') || '-0000-4000-9000-' || lpad(to_hex(i), 12, '0'), 'Company ' || (i % 20000), 'company-' || i,
       1600000000 + i * 300, CASE WHEN i % 4 = 0 THEN 'company' || i || '.test' END
FROM generate_series(1, $ORGS) AS i;
INSERT INTO org_memberships (org_id, user_id, role, created_at)
SELECT lpad(to_hex(i), 8, '0') || '-0000-4000-9000-' || lpad(to_hex(i), 12, '0'),
       lpad(to_hex(i * 7), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i * 7), 12, '0'), 'Owner', 1600000000 + i * 300
FROM generate_series(1, $ORGS) AS i WHERE i * 7 <= $USERS;
SET maintenance_work_mem = '256MB';
$defs
ANALYZE;
SQL
}

uid() { printf '%08x-0000-4000-8000-%012x' "$1" "$1"; }
oid() { printf '%08x-0000-4000-9000-%012x' "$1" "$1"; }

SUMMARY=()
for backend in "${backends[@]}"; do
  echo "=== $backend: $USERS users, $ORGS orgs"
  gh_server_start "$backend"
  gh_cli user create --email bench-admin@example.com --password 'bench admin password' --admin --email-verified >/dev/null
  start=$SECONDS
  "${backend}_seed"
  echo "seeded in $((SECONDS - start)) s"
  mid=$((USERS / 2))
  deep_user="$((1600000000 + mid * 30)).$(uid "$mid")"
  deep_org="$((1600000000 + ORGS / 2 * 300)).$(oid $((ORGS / 2)))"
  out=$(python3 "$ROOT/scripts/bench.d/admin_search.py" "$GATEHOUSE_URL" bench-admin@example.com 'bench admin password' "$REPEAT" \
    "users: first page=/admin/users" \
    "users: deep page (keyset)=/admin/users?after=$deep_user" \
    "users: exact id=/admin/users?q=$(uid 777777)" \
    "users: exact email=/admin/users?q=user777777%40acme.test" \
    "users: 2-char prefix=/admin/users?q=us" \
    "users: email prefix=/admin/users?q=user7777" \
    "users: email prefix, page 2=NEXT" \
    "users: first name (dense)=/admin/users?q=katherine" \
    "users: full name=/admin/users?q=ada%20surname4200" \
    "users: substring=/admin/users?q=er12345" \
    "users: username=/admin/users?q=handle99999" \
    "users: no match=/admin/users?q=zzqqxx" \
    "orgs: first page=/admin/orgs" \
    "orgs: deep page (keyset)=/admin/orgs?after=$deep_org" \
    "orgs: exact id=/admin/orgs?q=$(oid 4242)" \
    "orgs: name=/admin/orgs?q=company%201234" \
    "orgs: domain=/admin/orgs?q=company4244.test" \
    "orgs: 2-char prefix=/admin/orgs?q=co")
  echo "$out"
  while IFS= read -r line; do SUMMARY+=("$(printf '%-9s %s' "$backend" "$line")"); done <<<"$out"
  gh_server_stop
done

echo
echo "=== summary ($REPEAT requests each, one client, $(nproc) cores; target p95 < 100 ms)"
printf '%s\n' "${SUMMARY[@]}"
