"""Configuration, import hygiene and the `streamlit-secrets` command."""

from __future__ import annotations

import subprocess
import sys

import pytest
import tomllib

from gatehouse_auth import ConfigError, GatehouseAuth


def test_no_framework_is_imported_with_the_package():
    code = (
        "import sys, gatehouse_auth; "
        "print(sorted(m for m in ('starlette','fastapi','flask','streamlit','gradio') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_environment_fallbacks(monkeypatch):
    monkeypatch.setenv("GATEHOUSE_ISSUER", "http://localhost:8080/")
    monkeypatch.setenv("GATEHOUSE_CLIENT_ID", "cid")
    monkeypatch.setenv("GATEHOUSE_CLIENT_SECRET", "secret")
    monkeypatch.setenv("GATEHOUSE_API_KEY", "key")
    auth = GatehouseAuth()
    assert (auth.config.issuer, auth.config.client_id, auth.config.client_secret, auth.config.api_key) == (
        "http://localhost:8080",
        "cid",
        "secret",
        "key",
    )
    assert GatehouseAuth(client_id="other").config.client_id == "other"
    monkeypatch.delenv("GATEHOUSE_ISSUER")
    with pytest.raises(ConfigError, match="GATEHOUSE_ISSUER"):
        GatehouseAuth()


def test_streamlit_secrets_command():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatehouse_auth",
            "streamlit-secrets",
            "--issuer",
            "http://localhost:8080",
            "--client-id",
            "cid",
            "--client-secret",
            'se"cret',
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    auth = tomllib.loads(out)["auth"]
    assert auth["server_metadata_url"] == "http://localhost:8080/.well-known/openid-configuration"
    assert auth["client_id"] == "cid" and auth["client_secret"] == 'se"cret'
    assert auth["redirect_uri"] == "http://localhost:8501/oauth2callback"
    assert len(auth["cookie_secret"]) >= 32 and auth["expose_tokens"] == ["id", "access"]
    missing = subprocess.run(
        [sys.executable, "-m", "gatehouse_auth", "streamlit-secrets"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin"},
    )
    assert missing.returncode == 2 and "--issuer" in missing.stderr


def test_builds_a_typed_wheel(tmp_path):
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("gatehouse_auth-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gatehouse_auth/py.typed" in names and "gatehouse_auth/streamlit.py" in names
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    for dep in ("authlib", "httpx", "pyjwt[crypto]"):
        assert f"Requires-Dist: {dep}" in meta
    assert "Provides-Extra: gradio" in meta and "Provides-Extra: streamlit" in meta
