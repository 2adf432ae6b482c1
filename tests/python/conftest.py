"""Fixtures for the real-client suite.

The suite runs against an already running Gatehouse server (see scripts/test and
scripts/lib/server.sh). It needs:

  GATEHOUSE_URL   base URL of the server, e.g. http://127.0.0.1:43121 (also the issuer)
  GATEHOUSE_BIN   the gatehouse binary (default: <repo>/target/debug/gatehouse)

plus the same GATEHOUSE_DATABASE_URL / GATEHOUSE_DATA_DIR the server uses, so that fixtures
(users, clients) created with the CLI land in the server's database.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]

# The relying party under test lives at this origin (Starlette's TestClient default host).
RP_BASE = os.environ.get("GATEHOUSE_TEST_RP_BASE", "http://testserver")
RP_REDIRECT_URI = RP_BASE + "/auth"

ALICE_PASSWORD = "correct horse battery"

LOOPBACK = {"localhost", "127.0.0.1", "::1"}

# Variables the test harness uses that are not Gatehouse settings.
HARNESS_VARS = {"GATEHOUSE_URL", "GATEHOUSE_BIN", "GATEHOUSE_TEST_RP_BASE"}


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    password: str
    first_name: str
    last_name: str
    username: str


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str | None


@dataclass(frozen=True)
class Gatehouse:
    url: str
    bin: str
    discovery: dict

    @property
    def issuer(self) -> str:
        return self.discovery["issuer"]

    def cli(self, *args: str) -> dict:
        """Run a CLI command that creates something; it must print exactly one JSON object."""
        # Same settings as the server; none of the harness's own GATEHOUSE_* variables, and run
        # from the data dir so that a stray ./gatehouse.toml is not picked up.
        env = {k: v for k, v in os.environ.items() if k not in HARNESS_VARS}
        proc = subprocess.run(
            [self.bin, *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=os.environ.get("GATEHOUSE_DATA_DIR") or None,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == 0, (
            f"gatehouse {' '.join(args)} exited {proc.returncode}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
        try:
            obj = json.loads(proc.stdout)
        except ValueError as exc:  # pragma: no cover - failure path
            raise AssertionError(
                f"gatehouse {' '.join(args)} did not print one JSON object on stdout: {proc.stdout!r}"
            ) from exc
        assert isinstance(obj, dict), f"expected a JSON object, got {obj!r}"
        return obj

    def create_user(
        self,
        email: str,
        password: str,
        first_name: str,
        last_name: str,
        username: str,
    ) -> User:
        out = self.cli(
            "user",
            "create",
            "--email",
            email,
            "--password",
            password,
            "--first-name",
            first_name,
            "--last-name",
            last_name,
            "--username",
            username,
            "--email-verified",
        )
        assert set(out) == {"user_id"}, out
        return User(out["user_id"], email, password, first_name, last_name, username)

    def create_client(
        self, name: str, redirect_uris: list[str], public: bool = False
    ) -> Client:
        args = ["client", "create", "--name", name]
        for uri in redirect_uris:
            args += ["--redirect-uri", uri]
        if public:
            args.append("--public")
        if any(
            urlsplit(u).scheme == "http" and urlsplit(u).hostname not in LOOPBACK
            for u in redirect_uris
        ):
            # http:// redirect URIs off loopback (http://testserver) need a development client.
            args.append("--dev")
        out = self.cli(*args)
        assert out.get("client_id"), out
        if public:
            assert not out.get("client_secret"), (
                f"a public client must not get a secret: {out}"
            )
            return Client(out["client_id"], None)
        assert out.get("client_secret"), out
        return Client(out["client_id"], out["client_secret"])


@pytest.fixture(scope="session")
def gatehouse() -> Gatehouse:
    url = os.environ.get("GATEHOUSE_URL", "").rstrip("/")
    if not url:
        pytest.fail(
            "GATEHOUSE_URL is not set: start a server first (scripts/test does this)"
        )
    binary = os.environ.get(
        "GATEHOUSE_BIN", str(REPO / "target" / "debug" / "gatehouse")
    )
    if not os.access(binary, os.X_OK):
        pytest.fail(f"gatehouse binary not found at {binary} (set GATEHOUSE_BIN)")
    resp = requests.get(url + "/.well-known/openid-configuration", timeout=10)
    assert resp.status_code == 200, f"discovery: {resp.status_code} {resp.text[:500]}"
    return Gatehouse(url=url, bin=binary, discovery=resp.json())


@pytest.fixture(scope="session")
def alice(gatehouse: Gatehouse) -> User:
    return gatehouse.create_user(
        "alice@example.com", ALICE_PASSWORD, "Alice", "Liddell", "alice"
    )


@pytest.fixture()
def make_user(gatehouse: Gatehouse):
    """A fresh user per call, for tests that may upset a user's state (failed logins)."""

    def _make(first_name: str = "Dave", last_name: str = "Tester") -> User:
        tag = secrets.token_hex(4)
        return gatehouse.create_user(
            f"{first_name.lower()}-{tag}@example.com",
            f"pw {secrets.token_urlsafe(12)}",
            first_name,
            last_name,
            f"{first_name.lower()}{tag}",
        )

    return _make


@pytest.fixture(scope="session")
def confidential_client(gatehouse: Gatehouse) -> Client:
    return gatehouse.create_client("demo", [RP_REDIRECT_URI])


@pytest.fixture(scope="session")
def public_client(gatehouse: Gatehouse) -> Client:
    return gatehouse.create_client("demo-public", [RP_REDIRECT_URI], public=True)
