"""Runs the guide app unchanged, in a process set up as contract §9 set-up 2 describes: the SDK's
fixed API host resolves to the test Gatehouse, whose test CA is trusted (REQUESTS_CA_BUNDLE and
SSL_CERT_FILE in the environment). Usage: python serve.py <gatehouse-ip> <port>"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "propelauth"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import uvicorn

harness.resolve_sdk_host_to(sys.argv[1])

from app import app  # noqa: E402

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
