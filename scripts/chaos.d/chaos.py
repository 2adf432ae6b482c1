"""Load, fault timing and verification for scripts/chaos (standard library only).

Modes:
  load      mixed traffic (logins, code exchanges, refreshes, backend-API writes) for a while;
            every acknowledged write goes to an append-only JSON-lines file
  verify    checks every acknowledged write against the API and the database
  outage    traffic while the database is stopped and started; measures time to fast 503s
            and to recovery
  replicas  flows across two replicas behind nginx; lockout, rate-limit and key rotation agree

Every mode prints one JSON object (its figures) on the last line of stdout.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import http.client
import json
import re
import secrets
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

PASSWORD = "chaos horse battery staple"
REDIRECT = "http://127.0.0.1:9/cb"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> dict:
        return json.loads(self.body or b"{}")


class Browser:
    """One client: keeps cookies, never follows redirects, a fresh connection per request."""

    def __init__(self, base: str, forwarded_for: str | None = None) -> None:
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.cookies: dict[str, str] = {}
        self.forwarded_for = forwarded_for

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 15.0,
    ) -> Response:
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.forwarded_for:
            h["X-Forwarded-For"] = self.forwarded_for
        started = time.monotonic()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=h)
            res = conn.getresponse()
            data = res.read()
            for k, v in res.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    value = rest.split(";", 1)[0]
                    if "Max-Age=0" in v or value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = value
            headers_out = {k.lower(): v for k, v in res.getheaders()}
            return Response(res.status, headers_out, data, time.monotonic() - started)
        finally:
            conn.close()

    def form(
        self, path: str, fields: dict[str, str], auth: tuple[str, str] | None = None
    ) -> Response:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth:
            headers["Authorization"] = (
                "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            )
        return self.request(
            "POST", path, urllib.parse.urlencode(fields).encode(), headers
        )

    def api(
        self, method: str, path: str, key: str, payload: dict | None = None
    ) -> Response:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        body = json.dumps(payload).encode() if payload is not None else None
        return self.request(method, path, body, headers)


def form_value(page: str, name: str) -> str | None:
    m = re.search(rf'name="{name}" value="([^"]*)"', page)
    return html.unescape(m.group(1)) if m else None


def location(res: Response) -> str:
    return res.headers.get("location", "")


def login(
    b: Browser, email: str, password: str, login_path: str = "/login"
) -> Response:
    page = b.request("GET", login_path)
    if page.status != 200:
        return page
    text = page.body.decode()
    fields = {
        "csrf_token": form_value(text, "csrf_token") or "",
        "email": email,
        "password": password,
    }
    request = form_value(text, "request")
    if request:
        fields["request"] = request
    return b.form("/login", fields)


def code_flow(
    base: str, client: tuple[str, str], email: str, forwarded_for: str | None = None
) -> dict | None:
    """The whole authorization-code flow with PKCE; the token response, or None."""
    b = Browser(base, forwarded_for)
    verifier = secrets.token_urlsafe(40)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    q = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client[0],
            "redirect_uri": REDIRECT,
            "scope": "openid email offline_access",
            "state": "s",
            "nonce": "n",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    res = b.request("GET", f"/oauth2/authorize?{q}")
    if res.status != 302 or not location(res).startswith("/login"):
        return None
    res = login(b, email, PASSWORD, location(res))
    if res.status != 303:
        return None
    res = b.request("GET", location(res))
    if res.status != 302 or not location(res).startswith(REDIRECT):
        return None
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location(res)).query)["code"][0]
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    res = b.form("/oauth2/token", fields, client)
    return res.json() if res.status == 200 else None


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    answered: int = 0
    refused: int = 0
    by_status: dict[int, int] = field(default_factory=dict)

    def count(self, status: int | None) -> None:
        with self.lock:
            self.requests += 1
            if status is None:
                self.refused += 1
            else:
                self.answered += 1
                self.by_status[status] = self.by_status.get(status, 0) + 1


# ----------------------------------------------------------------------------------------------
# load
# ----------------------------------------------------------------------------------------------


def run_load(args: argparse.Namespace) -> dict:
    client = (args.client_id, args.client_secret)
    tally = Tally()
    acks = open(args.acks, "a", buffering=1)
    ack_lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def ack(record: dict) -> None:
        with ack_lock:
            acks.write(json.dumps(record) + "\n")

    def guarded(fn, *a):
        try:
            return fn(*a)
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            tally.count(None)
            time.sleep(0.05)
            return None

    def tokens_ack(kind: str, body: dict, chain: str) -> None:
        ack(
            {
                "kind": kind,
                "chain": chain,
                "jti": jwt_claims(body["access_token"])["jti"],
                "refresh_hash": sha256_hex(body["refresh_token"]),
            }
        )

    def worker(n: int) -> None:
        email = args.users[n % len(args.users)]
        refresh: str | None = None
        chain = f"w{n}"
        created: list[str] = []
        i = 0
        while time.monotonic() < deadline:
            i += 1
            step = i % 4
            if step == 0:
                res = guarded(login, Browser(args.url), email, PASSWORD)
                if res is not None:
                    tally.count(res.status)
            elif step == 1:
                body = guarded(code_flow, args.url, client, email)
                tally.count(200 if body else 0)
                if body:
                    refresh = body["refresh_token"]
                    chain = f"w{n}-{i}"
                    tokens_ack("code", body, chain)
            elif step == 2 and refresh:
                fields = {"grant_type": "refresh_token", "refresh_token": refresh}
                res = guarded(Browser(args.url).form, "/oauth2/token", fields, client)
                if res is not None:
                    tally.count(res.status)
                    if res.status == 200:
                        body = res.json()
                        refresh = body["refresh_token"]
                        tokens_ack("refresh", body, chain)
            else:
                if created and i % 8 == 3:
                    uid = created[-1]
                    name = f"v{i}"
                    res = guarded(
                        Browser(args.url).api,
                        "PUT",
                        f"/api/backend/v1/user/{uid}",
                        args.key,
                        {"first_name": name},
                    )
                    if res is not None:
                        tally.count(res.status)
                        if res.status == 200:
                            ack(
                                {
                                    "kind": "update",
                                    "user_id": uid,
                                    "first_name": name,
                                    "seq": i,
                                }
                            )
                    continue
                addr = f"chaos-{n}-{i}-{secrets.token_hex(3)}@example.com"
                res = guarded(
                    Browser(args.url).api,
                    "POST",
                    "/api/backend/v1/user/",
                    args.key,
                    {"email": addr},
                )
                if res is not None:
                    tally.count(res.status)
                    if res.status == 200:
                        uid = res.json()["user_id"]
                        created.append(uid)
                        ack({"kind": "user", "user_id": uid, "email": addr})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acks.close()
    return {
        "requests": tally.requests,
        "answered": tally.answered,
        "refused": tally.refused,
        "by_status": tally.by_status,
    }


# ----------------------------------------------------------------------------------------------
# verify
# ----------------------------------------------------------------------------------------------


def psql(db_url: str, sql: str) -> list[list[str]]:
    out = subprocess.run(
        ["psql", db_url, "-qAtF", "\t", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def run_verify(args: argparse.Namespace) -> dict:
    records = [json.loads(line) for line in open(args.acks) if line.strip()]
    users = {r[0]: r[1] for r in psql(args.db, "SELECT id, email FROM users")}
    first_names = {
        r[0]: r[1]
        for r in psql(args.db, "SELECT id, COALESCE(first_name, '') FROM users")
    }
    jtis = {r[0] for r in psql(args.db, "SELECT jti FROM access_tokens")}
    refresh = {r[0] for r in psql(args.db, "SELECT token_hash FROM refresh_tokens")}
    lost: list[dict] = []
    last_update: dict[str, dict] = {}
    api = Browser(args.url)
    checked_api = 0
    for r in records:
        if r["kind"] == "user":
            if users.get(r["user_id"]) != r["email"]:
                lost.append(r)
            elif checked_api < 200:
                checked_api += 1
                if (
                    api.api(
                        "GET", f"/api/backend/v1/user/{r['user_id']}", args.key
                    ).status
                    != 200
                ):
                    lost.append(r)
        elif r["kind"] in ("code", "refresh"):
            if r["jti"] not in jtis or r["refresh_hash"] not in refresh:
                lost.append(r)
        elif r["kind"] == "update":
            prev = last_update.get(r["user_id"])
            if prev is None or r["seq"] > prev["seq"]:
                last_update[r["user_id"]] = r
    for uid, r in last_update.items():
        if first_names.get(uid) != r["first_name"]:
            lost.append(r)
    # Half-done work: a row that cannot exist without its parent, a token response on record
    # in part only (an access token without the grant's refresh token, or the reverse).
    orphans = int(
        psql(
            args.db,
            "SELECT (SELECT COUNT(*) FROM access_tokens a LEFT JOIN grants g ON g.id = a.grant_id WHERE g.id IS NULL)"
            " + (SELECT COUNT(*) FROM refresh_tokens r LEFT JOIN grants g ON g.id = r.grant_id WHERE g.id IS NULL)",
        )[0][0]
    )
    spent_codes = int(
        psql(
            args.db,
            "SELECT COUNT(*) FROM authorization_codes c WHERE c.used_at IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = c.grant_id)",
        )[0][0]
    )
    return {
        "acknowledged": len(records),
        "lost": len(lost),
        "lost_examples": lost[:5],
        "orphans": orphans,
        "codes_spent_without_tokens": spent_codes,
        "checked_via_api": checked_api,
    }


# ----------------------------------------------------------------------------------------------
# outage
# ----------------------------------------------------------------------------------------------


def run_outage(args: argparse.Namespace) -> dict:
    client = (args.client_id, args.client_secret)
    events: list[tuple[float, str, int | None, float]] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    stop_at, start_at, end_at = (
        args.stop_after,
        args.stop_after + args.down_for,
        args.stop_after + args.down_for + args.after,
    )
    marks: dict[str, float] = {}

    def record(kind: str, res: Response | None, started: float) -> None:
        with lock:
            events.append(
                (
                    started - t0,
                    kind,
                    res.status if res else None,
                    res.seconds if res else time.monotonic() - started,
                )
            )

    def traffic(kind: str) -> None:
        while time.monotonic() - t0 < end_at:
            started = time.monotonic()
            try:
                if kind == "token":
                    res = Browser(args.url).form(
                        "/oauth2/token", {"grant_type": "client_credentials"}, client
                    )
                elif kind == "api":
                    res = Browser(args.url).api(
                        "POST",
                        "/api/backend/v1/user/",
                        args.key,
                        {"email": f"o-{secrets.token_hex(6)}@example.com"},
                    )
                elif kind == "page":
                    res = Browser(args.url).request("GET", "/login")
                else:
                    res = Browser(args.url).request("GET", "/readyz")
            except (OSError, http.client.HTTPException):
                res = None
            record(kind, res, started)
            time.sleep(0.05)

    threads = [
        threading.Thread(target=traffic, args=(k,))
        for k in ("token", "api", "api", "page", "ready")
    ]
    for t in threads:
        t.start()
    time.sleep(stop_at)
    marks["stop_begin"] = time.monotonic() - t0
    subprocess.run(args.stop_cmd, shell=True, check=True, capture_output=True)
    marks["stopped"] = time.monotonic() - t0
    time.sleep(max(0.0, start_at - (time.monotonic() - t0)))
    marks["start_begin"] = time.monotonic() - t0
    subprocess.run(args.start_cmd, shell=True, check=True, capture_output=True)
    marks["started"] = time.monotonic() - t0
    for t in threads:
        t.join()

    def first(pred) -> float | None:
        hits = [e[0] for e in events if pred(e)]
        return min(hits) if hits else None

    down, up = marks["stop_begin"], marks["started"]
    fast_503 = first(
        lambda e: e[0] >= down and e[2] == 503 and e[3] < 1.0 and e[1] != "ready"
    )
    ready_503 = first(lambda e: e[0] >= down and e[1] == "ready" and e[2] == 503)
    recovered = first(lambda e: e[0] >= up and e[1] == "api" and e[2] == 200)
    ready_again = first(lambda e: e[0] >= up and e[1] == "ready" and e[2] == 200)
    during = [e for e in events if down <= e[0] < up]
    slowest_ready = max((e[3] for e in during if e[1] == "ready"), default=0.0)
    return {
        "requests": len(events),
        "during_outage": len(during),
        "during_outage_by_status": {
            str(s): sum(1 for e in during if e[2] == s) for s in {e[2] for e in during}
        },
        "server_errors_other_than_503": sum(
            1 for e in events if e[2] is not None and e[2] >= 500 and e[2] != 503
        ),
        "seconds_to_first_fast_503": None
        if fast_503 is None
        else round(fast_503 - down, 2),
        "seconds_to_readyz_503": None
        if ready_503 is None
        else round(ready_503 - down, 2),
        "slowest_readyz_during_outage": round(slowest_ready, 2),
        "slowest_response_during_outage": round(
            max((e[3] for e in during), default=0.0), 2
        ),
        "seconds_to_first_write_after_restart": None
        if recovered is None
        else round(recovered - up, 2),
        "seconds_to_ready_after_restart": None
        if ready_again is None
        else round(ready_again - up, 2),
        "postgres_stop_took": round(marks["stopped"] - marks["stop_begin"], 2),
    }


# ----------------------------------------------------------------------------------------------
# replicas
# ----------------------------------------------------------------------------------------------


def run_replicas(args: argparse.Namespace) -> dict:
    client = (args.client_id, args.client_secret)
    out: dict = {"requests": 0}

    def count(n: int = 1) -> None:
        out["requests"] += n

    # Every flow across the two replicas (nginx alternates them request by request).
    flows_ok = 0
    for _ in range(args.flows):
        body = code_flow(args.url, client, args.users[0])
        count(5)
        if body:
            res = Browser(args.url).form(
                "/oauth2/token",
                {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                client,
            )
            count()
            ui = Browser(args.url).request(
                "GET",
                "/oauth2/userinfo",
                headers={"Authorization": f"Bearer {body['access_token']}"},
            )
            count()
            flows_ok += int(res.status == 200 and ui.status == 200)
    out["flows"] = args.flows
    out["flows_ok"] = flows_ok

    # Lockout: wrong passwords alternate replicas; the lock comes at the shared threshold.
    attempts_to_lock = None
    for n in range(1, 3 * args.threshold):
        res = login(
            Browser(args.url, forwarded_for="203.0.113.50"),
            args.users[1],
            "wrong password",
        )
        count(2)
        if res.status == 429 and b"Too many failed sign-in attempts" in res.body:
            attempts_to_lock = n
            break
    out["lockout_threshold"] = args.threshold
    out["attempts_until_locked"] = attempts_to_lock

    # Backend API rate limit per key and minute, counted in the database.
    while time.time() % 60 > 45:  # stay inside one window
        time.sleep(0.5)
    ok = 0
    for _ in range(args.rate_limit + 10):
        res = Browser(args.url).api(
            "GET",
            f"/api/backend/v1/user/email?email={urllib.parse.quote(args.users[0])}",
            args.key,
        )
        count()
        ok += int(res.status == 200)
    out["rate_limit"] = args.rate_limit
    out["rate_limited_calls_allowed"] = ok

    # A key rotation on one replica is seen by the other.
    def kids(base: str) -> set[str]:
        return {
            k["kid"]
            for k in Browser(base)
            .request("GET", "/.well-known/jwks.json")
            .json()["keys"]
        }

    before = kids(args.replica_a)
    subprocess.run(args.rotate_cmd, shell=True, check=True, capture_output=True)
    count()
    seen_by_both = False
    signed_kid = None
    for _ in range(100):
        a, b = kids(args.replica_a), kids(args.replica_b)
        count(2)
        new = (a - before) & (b - before)
        if new:
            res = Browser(args.replica_a).form(
                "/oauth2/token", {"grant_type": "client_credentials"}, client
            )
            count()
            signed_kid = json.loads(
                base64.urlsafe_b64decode(
                    res.json()["access_token"].split(".")[0] + "=="
                )
            )["kid"]
            if signed_kid in b:
                seen_by_both = True
                break
        time.sleep(0.2)
    out["rotated_key_seen_by_both"] = seen_by_both
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["load", "verify", "outage", "replicas"])
    p.add_argument("--url", required=True)
    p.add_argument("--key", default="")
    p.add_argument("--client-id", default="")
    p.add_argument("--client-secret", default="")
    p.add_argument("--users", default="", type=lambda s: [u for u in s.split(",") if u])
    p.add_argument("--acks", default="")
    p.add_argument("--db", default="")
    p.add_argument("--threads", type=int, default=6)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--stop-cmd", default="")
    p.add_argument("--start-cmd", default="")
    p.add_argument("--stop-after", type=float, default=4)
    p.add_argument("--down-for", type=float, default=8)
    p.add_argument("--after", type=float, default=6)
    p.add_argument("--replica-a", default="")
    p.add_argument("--replica-b", default="")
    p.add_argument("--rotate-cmd", default="")
    p.add_argument("--flows", type=int, default=10)
    p.add_argument("--threshold", type=int, default=5)
    p.add_argument("--rate-limit", type=int, default=20)
    args = p.parse_args()
    run = {
        "load": run_load,
        "verify": run_verify,
        "outage": run_outage,
        "replicas": run_replicas,
    }[args.mode]
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
