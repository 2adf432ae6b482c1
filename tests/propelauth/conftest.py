"""Fixtures: one HTTPS Gatehouse per session (harness.py), reached through the SDK's own host."""

from __future__ import annotations

import secrets

import pytest

import harness


@pytest.fixture(scope="session")
def server():
    s = harness.start()
    harness.trust(s)
    harness.resolve_sdk_host_to(s.ip)
    yield s
    harness.stop(s)


@pytest.fixture(scope="session")
def api_key(server) -> str:
    return server.integration_key()


@pytest.fixture(scope="session")
def auth(server, api_key):
    from propelauth_py import init_base_auth

    # No TokenVerificationMetadata: the SDK fetches it from propelauth-api.com, i.e. from us.
    return init_base_auth(server.url, api_key)


@pytest.fixture()
def make_user(auth):
    def _make(**extra):
        tag = secrets.token_hex(4)
        created = auth.create_user(
            email=f"u-{tag}@example.com",
            email_confirmed=True,
            password="hunter22hunter",
            username=f"u{tag}",
            first_name="Una",
            last_name="User",
            **extra,
        )
        return created.user_id, f"u-{tag}@example.com", f"u{tag}"

    return _make
