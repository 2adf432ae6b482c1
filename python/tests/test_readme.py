"""The README's "Protect your Gradio / Streamlit app" snippets run as printed (only the
placeholders are filled in) and behave as the text says."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def snippets() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Protect your Gradio / Streamlit app") :]
    section = section[: section.index("\n## ", 10)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def run(code: str, gatehouse, cid: str, secret: str) -> dict:
    code = (
        code.replace("http://localhost:8080", gatehouse.issuer)
        .replace("<client_id>", cid)
        .replace("<client_secret>", secret)
        .replace("<api_key>", gatehouse.api_key)
    )
    namespace: dict = {"__name__": f"readme_{secrets.token_hex(3)}"}
    exec(compile(code, str(README), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def creds(gatehouse):
    out = gatehouse.cli("client", "create", "--name", "readme", "--redirect-uri", "http://localhost:7860/auth/callback")
    return out["client_id"], out["client_secret"]


def test_gradio_snippet(gatehouse, world, creds):
    pytest.importorskip("gradio")
    from fastapi.testclient import TestClient

    gradio_code = next(s for s in snippets() if "mount_gradio_app" in s)
    app = run(gradio_code, gatehouse, *creds)["app"]
    client = TestClient(app)
    assert client.get("/health").json() == {"ok": True}
    page = client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/auth/login")
    assert client.get("/config").status_code == 401
    bearer = {"Authorization": "Bearer " + gatehouse.access_token(world.admin.user_id)}
    assert client.get("/config", headers=bearer).status_code == 200


def test_flask_snippet(gatehouse, world, creds, monkeypatch):
    monkeypatch.setenv("GATEHOUSE_ISSUER", gatehouse.issuer)
    monkeypatch.setenv("GATEHOUSE_CLIENT_ID", creds[0])
    monkeypatch.setenv("GATEHOUSE_CLIENT_SECRET", creds[1])
    flask_code = next(s for s in snippets() if "init_auth" in s)
    client = run(flask_code, gatehouse, *creds)["app"].test_client()
    url = f"/api/orgs/{world.org_id}/billing"
    admin = {"Authorization": "Bearer " + gatehouse.access_token(world.admin.user_id)}
    member = {"Authorization": "Bearer " + gatehouse.access_token(world.member.user_id)}
    assert client.get(url, headers=admin).json == {"org": world.org_name, "you": world.admin.email}
    assert client.get(url, headers=member).status_code == 403
    assert client.get(url).status_code == 401


def test_streamlit_snippet_compiles():
    code = next(s for s in snippets() if "require_login" in s)
    compile(code, str(README), "exec")
