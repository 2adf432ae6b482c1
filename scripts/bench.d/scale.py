"""`scripts/bench --scale`: Gatehouse with 1,000,000 users, 100,000 orgs and 3,000,000
memberships (one org with 50,000 members), bulk-inserted in SQL (not through the API), on
SQLite and Postgres. Measures the backend API's lookups and listings, then login, client
credentials, the code flow and userinfo, against the same server seeded 1,000 times smaller
("empty"). Goals: p50 within 1.5x of empty; every listing and search p95 < 100 ms.

BENCH_SCALE (default 1.0; --smoke: 0.01) shrinks the big dataset for a quick run.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request

from bench import Target, flows, fmt, log, wrk

BASE_TS = 1_700_000_000


def seed_sql(
    users: int, orgs: int, memberships: int, big: int, sqlite: bool
) -> list[str]:
    """Set-based inserts: a recursive CTE on SQLite, generate_series on Postgres."""

    def series(n: int) -> str:
        if sqlite:
            return f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
        return ""

    def src(n: int) -> str:
        # bigint on Postgres: i * 7919 overflows integer at 1M users.
        return "FROM s" if sqlite else f"FROM generate_series(1::bigint, {n}) AS s(i)"

    uid = "printf('u%08d', {x})" if sqlite else "'u' || lpad(({x})::text, 8, '0')"
    oid = "printf('o%06d', {x})" if sqlite else "'o' || lpad(({x})::text, 6, '0')"
    true = "1" if sqlite else "TRUE"
    rest = memberships - big
    return [
        series(users)
        + "INSERT INTO users (id, email, email_verified, first_name, last_name, username, created_at, updated_at, "
        "last_active_at) SELECT "
        + uid.format(x="i")
        + ", 'user' || i || '@scale.example', "
        + true
        + ", 'First' || i, "
        f"'Last' || i, 'user' || i, {BASE_TS} + i, {BASE_TS} + i, "
        f"CASE WHEN i % 3 = 0 THEN NULL ELSE {BASE_TS} + (i * 7919) % 1000000 END "
        + src(users),
        series(orgs)
        + "INSERT INTO orgs (id, name, url_safe_name, created_at) SELECT "
        + oid.format(x="i")
        + ", 'Org ' || i, "
        f"'org-' || i, {BASE_TS} + i " + src(orgs),
        # The big org: users 1..big.
        series(big)
        + "INSERT INTO org_memberships (org_id, user_id, role, created_at) SELECT "
        + oid.format(x="1")
        + ", "
        + uid.format(x="i")
        + f", CASE WHEN i % 10 = 0 THEN 'Admin' ELSE 'Member' END, {BASE_TS} + i "
        + src(big),
        # The rest: user u in up to three other orgs, 2 + (31u + 33333r) mod (orgs - 1), distinct per r.
        series(rest)
        + "INSERT INTO org_memberships (org_id, user_id, role, created_at) SELECT "
        + oid.format(
            x=f"2 + (((i - 1) % {users} + 1) * 31 + ((i - 1) / {users}) * 33333) % ({orgs} - 1)"
        )
        + ", "
        + uid.format(x=f"(i - 1) % {users} + 1")
        + f", 'Member', {BASE_TS} + i "
        + src(rest),
    ]


def seed(t: Target, factor: float) -> None:
    users, orgs = int(1_000_000 * factor), max(10, int(100_000 * factor))
    memberships, big = int(3_000_000 * factor), max(10, int(50_000 * factor))
    stmts = seed_sql(users, orgs, memberships, big, t.name == "sqlite")
    t0 = time.perf_counter()
    if t.name == "sqlite":
        assert t.tmp is not None
        db = sqlite3.connect(t.tmp / "gatehouse.db", timeout=60)
        for s in stmts:
            db.execute(s)
        db.commit()
        db.execute("ANALYZE")
        db.close()
    else:
        # VACUUM as autovacuum would have by now on a table that grew to a million rows (it sets
        # the visibility map that index-only scans need); a bulk load alone leaves it unset.
        script = ";\n".join(stmts) + ";\nVACUUM ANALYZE;"
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                str(t.pg_db),
                "-v",
                "ON_ERROR_STOP=1",
                "-qAt",
            ],
            input=script.encode(),
            check=True,
        )
    log(
        f"{t.name}: seeded {users} users, {orgs} orgs, {memberships} memberships in {time.perf_counter() - t0:.0f} s"
    )


def timed_get(url: str, key: str, n: int) -> dict[str, float]:
    lat: list[float] = []
    errors = 0
    for _ in range(n):
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
        s = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                r.read()
                ok = r.status == 200
        except Exception:  # noqa: BLE001 - counted, reported
            ok = False
        lat.append((time.perf_counter() - s) * 1000)
        errors += 0 if ok else 1
    lat.sort()
    return {
        "p50_ms": statistics.median(lat),
        "p95_ms": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
        "errors": float(errors),
    }


def measure(
    t: Target, factor: float, n: int, seconds: float
) -> dict[str, dict[str, float]]:
    key = json.loads(t.cli("api-key", "create", "--name", "scale"))["api_key"]
    api = f"{t.url}/api/backend/v1"
    users = int(1_000_000 * factor)
    deep = max(1, users // 20)  # page 50,000 of 10 at full scale (offset 500k)
    mid = max(1, users // 2)
    checks = {
        "user by id": f"/user/u{mid:08d}",
        "user by email": f"/user/email?email=user{mid}%40scale.example",
        "user/query first page": "/user/query?page_size=10",
        "user/query deep page": f"/user/query?page_size=10&page_number={deep}",
        "user/query search %x%": f"/user/query?page_size=10&email_or_username=er{mid}",
        "org members (big org)": "/user/org/o000001?page_size=10",
        "org members, role filter": "/user/org/o000001?page_size=10&role=Admin",
        "org/query first page": "/org/query?page_size=10",
        "org/query deep page": f"/org/query?page_size=10&page_number={max(1, int(100_000 * factor) // 20)}",
        "org/query name search": "/org/query?page_size=10&name=org%2012",
    }
    for order in [
        "CREATED_AT_DESC",
        "LAST_ACTIVE_AT_ASC",
        "LAST_ACTIVE_AT_DESC",
        "EMAIL",
        "USERNAME",
    ]:
        checks[f"user/query order {order}"] = (
            f"/user/query?page_size=10&order_by={order}"
        )
    out = {name: timed_get(api + path, key, n) for name, path in checks.items()}
    out["login (flows/s)"] = flows(t, "login", seconds, 4)
    out["client_credentials (req/s)"] = wrk_cc(t, seconds)
    out["code flow (flows/s)"] = flows(t, "code", seconds, 4)
    out["userinfo (req/s)"] = flows(t, "userinfo", seconds, 4)
    return out


def wrk_cc(t: Target, seconds: float) -> dict[str, float]:
    import base64
    from pathlib import Path

    basic = base64.b64encode(f"{t.client_id}:{t.client_secret}".encode()).decode()
    env = dict(os.environ, BENCH_BASIC_AUTH=basic)
    return wrk(
        f"{t.url}/oauth2/token", seconds, Path(__file__).with_name("token.lua"), env
    )


def main() -> int:
    smoke = "--smoke" in sys.argv
    factor = float(os.environ.get("BENCH_SCALE", "0.01" if smoke else "1"))
    n = int(os.environ.get("BENCH_SCALE_REQUESTS", "5" if smoke else "40"))
    seconds = float(os.environ.get("BENCH_DURATION", "1" if smoke else "5"))
    names = [
        x
        for x in os.environ.get("BENCH_TARGETS", "sqlite,postgres").split(",")
        if x != "peer"
    ]
    report: list[str] = []
    for name in names:
        results: dict[str, dict[str, dict[str, float]]] = {}
        for label, f in [("empty", factor / 1000), ("scale", factor)]:
            t = Target(name)
            try:
                t.start()
                seed(t, f)
                results[label] = measure(t, f, n, seconds)
                assert t.proc is not None
                results[label]["RSS MiB after"] = {
                    "p50_ms": t.rss.get("idle", 0.0),
                    "rss": _rss(t.proc.pid),
                }
            finally:
                t.stop()
        report.append(table(name, factor, results))
    text = "\n".join(report)
    print(text)
    out = os.environ.get("BENCH_OUT", "")
    if out:
        with open(out, "a") as fh:
            fh.write("\n" + text)
    return 0


def _rss(pid: int) -> float:
    from bench import rss_mib

    return rss_mib(pid)


def table(name: str, factor: float, r: dict[str, dict[str, dict[str, float]]]) -> str:
    users = int(1_000_000 * factor)
    lines = [
        (
            f"### {name}: {users:,} users, {int(100_000 * factor):,} orgs, {int(3_000_000 * factor):,} memberships "
            f"vs. 1,000× smaller"
        ),
        "",
        "| | empty p50 / p95 | scale p50 / p95 | p50 ratio | goal |",
        "|---|---|---|---|---|",
    ]
    for check, big in r["scale"].items():
        small = r["empty"].get(check, {})
        if "rate" in big:
            ratio = (
                small.get("rate", 0) / big["rate"] if big.get("rate") else float("nan")
            )
            lines.append(
                f"| {check} | {fmt(small.get('rate'))} | {fmt(big['rate'])} | {ratio:.2f}× slower | ≤ 1.5× |"
            )
        elif "rss" in big:
            lines.append(
                f"| RSS MiB after the run | {fmt(small.get('rss'))} | {fmt(big['rss'])} | | |"
            )
        else:
            ratio = (
                big["p50_ms"] / small["p50_ms"] if small.get("p50_ms") else float("nan")
            )
            ok = (
                "✓"
                if big["p95_ms"] < 100 and ratio <= 1.5
                else ("p95 ✓" if big["p95_ms"] < 100 else "✗")
            )
            errs = f" [{big['errors']:.0f} errors]" if big.get("errors") else ""
            lines.append(
                f"| {check} | {small.get('p50_ms', 0):.1f} / {small.get('p95_ms', 0):.1f} ms | "
                f"{big['p50_ms']:.1f} / {big['p95_ms']:.1f} ms{errs} | {ratio:.1f}× | {ok} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    sys.exit(main())
