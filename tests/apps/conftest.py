"""Runs the examples (and the two PropelAuth-guide patterns) as real processes against a
Gatehouse, and drives each with headless Chromium (tests/browser/python_apps.spec.mjs).

Environment: GATEHOUSE_URL (+ the server's settings) for an already running server, else one is
started (python/tests/gatehouse_server.py); CHROMIUM_PATH; OUTPUT_DIR (default tests/output);
GH_SDK_BACKEND names the log of the HTTPS Gatehouse of the authlib guide pattern (SQLite).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python" / "tests"))

import gatehouse_server  # noqa: E402
from gatehouse_server import Gatehouse, World, make_world  # noqa: E402

OUTPUT = Path(os.environ.get("OUTPUT_DIR", REPO / "tests" / "output"))
LABEL = os.environ.get("GATEHOUSE_TEST_LABEL", "default")


@pytest.fixture(scope="session")
def gatehouse() -> Iterator[Gatehouse]:
    server = gatehouse_server.start()
    yield server
    gatehouse_server.stop(server)


@pytest.fixture(scope="session")
def world(gatehouse: Gatehouse, tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(gatehouse.cli, tmp_path_factory.mktemp("roles"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(name: str, cmd: list[str], env: dict[str, str], cwd: Path, url: str) -> Iterator[None]:
    """Starts an app process and waits (bounded) until `url` answers; stops it afterwards."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    log_path = OUTPUT / f"app-{name}-{LABEL}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, f"{name} exited early:\n{log_path.read_text()[-3000:]}"
                try:
                    if requests.get(url, timeout=2, allow_redirects=False).status_code < 500:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, f"{name} did not start:\n{log_path.read_text()[-3000:]}"
                time.sleep(0.2)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def browser(kind: str, url: str, users: list[dict], logout: str = "gatehouse") -> None:
    env = {
        **os.environ,
        "APP_KIND": kind,
        "APP_URL": url,
        "APP_USERS": json.dumps(users),
        "APP_LOGOUT": logout,
        "OUTPUT_DIR": str(OUTPUT),
        "GATEHOUSE_TEST_LABEL": LABEL,
    }
    proc = subprocess.run(
        ["node", str(REPO / "tests" / "browser" / "python_apps.spec.mjs")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


def app_env(**extra: str) -> dict[str, str]:
    """The environment for an app process: the test's, minus the Gatehouse server's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "GH_"))}
    env.update({"PYTHONUNBUFFERED": "1", "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"})
    env.update(extra)
    return env
