"""Set-up 3: propelauth-py 4.2.1 talks to https://<auth_url host>/api/... directly, so Gatehouse
only needs HTTPS (any port) and the client must trust its CA. No resolver override here."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import harness  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    s = harness.start(port=_free_port())
    harness.trust(s)
    yield s
    harness.stop(s)
