"""A Gatehouse for the package's tests: the one scripts/test started (GATEHOUSE_URL and the
server's GATEHOUSE_DATABASE_URL / GATEHOUSE_DATA_DIR in the environment), or a throw-away one
started here from GATEHOUSE_BIN (default: <repo>/target/debug/gatehouse) on SQLite, or on
Postgres when GH_TEST_BACKEND=postgres."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

REPO = Path(__file__).resolve().parents[2]
HARNESS_VARS = {"GATEHOUSE_URL", "GATEHOUSE_BIN"}


@dataclass
class Gatehouse:
    url: str
    bin: str
    env: dict[str, str]
    cwd: str
    proc: subprocess.Popen | None = None
    tmp: str | None = None
    pg_db: str | None = None
    _api_key: str | None = field(default=None, repr=False)

    @property
    def issuer(self) -> str:
        return self.url

    def cli(self, *args: str) -> dict:
        proc = subprocess.run(
            [self.bin, *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == 0, f"gatehouse {' '.join(args)}: {proc.stderr}"
        return json.loads(proc.stdout)

    @property
    def api_key(self) -> str:
        if self._api_key is None:
            self._api_key = self.cli("api-key", "create", "--name", f"pkg-tests-{secrets.token_hex(3)}")["api_key"]
        return self._api_key

    def backend(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}/api/backend/v1{path}",
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30,
            **kwargs,
        )

    def access_token(self, user_id: str, minutes: int = 10) -> str:
        resp = self.backend("POST", "/access_token", json={"user_id": user_id, "duration_in_minutes": minutes})
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    def create_user(self, first: str, last: str = "Tester") -> tuple[str, str, str]:
        tag = secrets.token_hex(4)
        email = f"{first.lower()}-{tag}@example.com"
        password = f"pw {tag} {secrets.token_hex(6)}"
        uid = self.cli(
            "user",
            "create",
            "--email",
            email,
            "--password",
            password,
            "--first-name",
            first,
            "--last-name",
            last,
            "--username",
            f"{first.lower()}{tag}",
            "--email-verified",
        )["user_id"]
        return uid, email, password

    def jwks_kids(self) -> set[str]:
        return {k["kid"] for k in requests.get(self.url + "/.well-known/jwks.json", timeout=10).json()["keys"]}


def login_via_form(issuer: str, authorize_url: str, email: str, password: str, browser: requests.Session) -> str:
    """Follows an authorize URL like a browser (logging in on the hosted form when asked) and
    returns the redirect back to the app (…/auth/callback?code=…&state=…)."""
    resp = browser.get(authorize_url, allow_redirects=False)
    location = urljoin(issuer, resp.headers["Location"])
    if urlsplit(location).path == "/login":
        page = browser.get(location).text

        def field_value(name: str) -> str | None:
            m = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
            return unescape(m.group(1)) if m else None

        form = {
            "csrf_token": field_value("csrf_token"),
            "request": field_value("request"),
            "email": email,
            "password": password,
        }
        resp = browser.post(issuer + "/login", data=form, allow_redirects=False)
        assert resp.status_code == 303, resp.text[:500]
        resp = browser.get(urljoin(issuer, resp.headers["Location"]), allow_redirects=False)
        location = resp.headers["Location"]
    return location


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _psql(sql: str) -> None:
    base = os.environ.get("GH_PG_URL_BASE", "postgres://postgres@127.0.0.1:5432")
    subprocess.run(
        ["psql", f"{base}/postgres", "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, capture_output=True, timeout=60
    )


def start() -> Gatehouse:
    binary = os.environ.get("GATEHOUSE_BIN", str(REPO / "target" / "debug" / "gatehouse"))
    if os.environ.get("GATEHOUSE_URL"):
        env = {k: v for k, v in os.environ.items() if k not in HARNESS_VARS}
        server = Gatehouse(
            url=os.environ["GATEHOUSE_URL"].rstrip("/"),
            bin=binary,
            env=env,
            cwd=os.environ.get("GATEHOUSE_DATA_DIR") or ".",
        )
        _lift_rate_limits(server)
        return server
    tmp = tempfile.mkdtemp(prefix="gh-pkg-")
    port = _free_port()
    pg_db = None
    if os.environ.get("GH_TEST_BACKEND") == "postgres":
        pg_db = f"gh_e2e_{secrets.token_hex(6)}"
        _psql(f"CREATE DATABASE {pg_db}")
        db_url = os.environ.get("GH_PG_URL_BASE", "postgres://postgres@127.0.0.1:5432") + "/" + pg_db
    else:
        db_url = f"sqlite://{tmp}/gatehouse.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update(
        {
            "GATEHOUSE_ISSUER": f"http://127.0.0.1:{port}",
            "GATEHOUSE_LISTEN": f"127.0.0.1:{port}",
            "GATEHOUSE_DATABASE_URL": db_url,
            "GATEHOUSE_DATA_DIR": tmp,
            "GATEHOUSE_LOG": "warn",
            "GATEHOUSE_KEY_PUBLISH_DELAY": "0",
            "GATEHOUSE_KEY_REFRESH_SECONDS": "1",
        }
    )
    proc = subprocess.Popen(
        [binary, "serve"],
        env=env,
        cwd=tmp,
        stdout=open(Path(tmp) / "server.log", "w"),  # noqa: SIM115 - the server outlives this function
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    server = Gatehouse(url=f"http://127.0.0.1:{port}", bin=binary, env=env, cwd=tmp, proc=proc, tmp=tmp, pg_db=pg_db)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError("gatehouse exited: " + (Path(tmp) / "server.log").read_text())
        try:
            if requests.get(server.url + "/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            stop(server)
            raise RuntimeError("gatehouse did not become healthy")
        time.sleep(0.1)
    _lift_rate_limits(server)
    return server


def _lift_rate_limits(server: Gatehouse) -> None:
    # The suites log the same users in many times a minute from one address (as scripts/test does).
    for key in ("rate_limit_ip_per_minute", "rate_limit_account_per_minute"):
        server.cli("settings", "set", key, "100000")


def stop(server: Gatehouse) -> None:
    if server.proc is not None and server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
    if server.pg_db:
        _psql(f"DROP DATABASE IF EXISTS {server.pg_db} WITH (FORCE)")
    if server.tmp:
        shutil.rmtree(server.tmp, ignore_errors=True)


ROLES = {
    "name": "Default",
    "multi_role": False,
    "roles": [
        {
            "name": "Owner",
            "permissions": [
                "gatehouse::can_invite",
                "gatehouse::can_change_roles",
                "gatehouse::can_remove_users",
                "gatehouse::can_manage_org",
                "can_view_billing",
                "can_delete_org",
            ],
        },
        {
            "name": "Admin",
            "permissions": [
                "gatehouse::can_invite",
                "gatehouse::can_change_roles",
                "gatehouse::can_remove_users",
                "gatehouse::can_manage_org",
                "can_view_billing",
            ],
        },
        {"name": "Member", "permissions": ["can_read_reports"]},
    ],
}


@dataclass(frozen=True)
class Person:
    user_id: str
    email: str
    password: str


@dataclass(frozen=True)
class World:
    org_id: str
    org_name: str
    owner: Person
    admin: Person
    member: Person
    outsider: Person


def make_world(cli, tmp: Path) -> World:
    """An org with an Owner, an Admin and a Member (and an outsider), under a role structure in
    which Owners and Admins may `can_view_billing`. `cli` runs a Gatehouse CLI command."""
    roles = tmp / "roles.json"
    roles.write_text(json.dumps(ROLES))
    cli("roles", "set", "--file", str(roles))
    people = {}
    for name in ("owner", "admin", "member", "outsider"):
        tag = secrets.token_hex(4)
        email, password = f"{name}-{tag}@example.com", f"pw {tag} {secrets.token_hex(6)}"
        uid = cli(
            "user",
            "create",
            "--email",
            email,
            "--password",
            password,
            "--first-name",
            name.capitalize(),
            "--last-name",
            "Tester",
            "--username",
            f"{name}{tag}",
            "--email-verified",
        )["user_id"]
        people[name] = Person(uid, email, password)
    org_name = f"Acme {secrets.token_hex(3)}"
    org_id = cli("org", "create", "--name", org_name, "--owner-email", people["owner"].email)["org_id"]
    cli("org", "add-member", "--org-id", org_id, "--email", people["admin"].email, "--role", "Admin")
    cli("org", "add-member", "--org-id", org_id, "--email", people["member"].email, "--role", "Member")
    return World(org_id, org_name, **people)
