"""Every example in examples/, and the two PropelAuth-guide patterns, in headless Chromium:
log in as an Owner, an Admin and a Member, see what each may see, log out, and find that the
next visit asks for the password again."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
import requests

from conftest import REPO, World, app_env, browser, free_port, running

PY = sys.executable
EXAMPLES = REPO / "examples"


def client(gatehouse, name: str, redirect: str, post_logout: str | None = None) -> tuple[str, str]:
    args = ["client", "create", "--name", f"{name}-{secrets.token_hex(3)}", "--redirect-uri", redirect]
    if post_logout:
        args += ["--post-logout-redirect-uri", post_logout]
    out = gatehouse.cli(*args)
    return out["client_id"], out["client_secret"]


def gatehouse_env(gatehouse, cid: str, secret: str) -> dict[str, str]:
    return app_env(
        GATEHOUSE_ISSUER=gatehouse.issuer,
        GATEHOUSE_CLIENT_ID=cid,
        GATEHOUSE_CLIENT_SECRET=secret,
        GATEHOUSE_API_KEY=gatehouse.api_key,
        GATEHOUSE_SESSION_SECRET=secrets.token_urlsafe(32),
    )


def person(w: World, role: str, expect: list[str], absent: list[str] = (), clicks: list[dict] = ()) -> dict:
    p = getattr(w, role)
    return {
        "label": role,
        "email": p.email,
        "password": p.password,
        "expect": expect,
        "absent": list(absent),
        "clicks": list(clicks),
    }


def article(role: str) -> str:
    return "an" if role[0] in "AEIOU" else "a"


def test_gradio_mounted_in_fastapi(gatehouse, world):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cid, secret = client(gatehouse, "gradio", f"{base}/auth/callback", f"{base}/auth/logged-out")
    env = gatehouse_env(gatehouse, cid, secret)
    cmd = [PY, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)]
    with running("gradio", cmd, env, EXAMPLES / "gradio", f"{base}/health"):
        users = []
        for role, billing in (
            ("owner", "You can view billing"),
            ("admin", "You can view billing"),
            ("member", "You cannot view billing"),
        ):
            r = role.capitalize()
            clicks = (
                [{"selector": "#magic-link", "expect": "Created a one-hour sign-in link"}] if role == "admin" else []
            )
            users.append(
                person(
                    world,
                    role,
                    [
                        f"Welcome, {getattr(world, role).email}",
                        f"You are {article(r)} {r} in org {world.org_name}",
                        billing,
                    ],
                    clicks=clicks,
                )
            )
        browser("gradio", base, users)

        # A script calls the protected app through gradio_client with a Bearer token.
        script = str(EXAMPLES / "gradio" / "call_with_gradio_client.py")
        token = gatehouse.access_token(world.admin.user_id)
        ok = subprocess.run(
            [PY, script],
            env=app_env(GRADIO_URL=base, GATEHOUSE_TOKEN=token),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.strip() == f"{world.admin.email} (1 orgs)"
        key = gatehouse.backend("POST", "/end_user_api_keys", json={"user_id": world.member.user_id}).json()
        ok = subprocess.run(
            [PY, script],
            env=app_env(GRADIO_URL=base, GATEHOUSE_TOKEN=key["api_key_token"]),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ok.returncode == 0 and ok.stdout.strip() == f"{world.member.email} (1 orgs)", ok.stderr
        refused = subprocess.run(
            [PY, script], env=app_env(GRADIO_URL=base), capture_output=True, text=True, timeout=120
        )
        assert refused.returncode == 1 and "refused" in refused.stderr
        assert requests.get(f"{base}/config").status_code == 401


@pytest.mark.parametrize("kind", ["fastapi", "flask"])
def test_api_examples(gatehouse, world, kind):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cid, secret = client(gatehouse, kind, f"{base}/auth/callback", f"{base}/auth/logged-out")
    env = gatehouse_env(gatehouse, cid, secret)
    if kind == "fastapi":
        cmd = [PY, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)]
        health = f"{base}/health"
    else:
        cmd = [PY, "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1", "--port", str(port)]
        health = f"{base}/api/hello"
    with running(kind, cmd, env, EXAMPLES / kind, health):
        org = world.org_name
        browser(
            kind,
            base,
            [
                person(world, "owner", [f"Welcome, {world.owner.email}", f"{org}: Owner, can view billing"]),
                person(world, "admin", [f"Welcome, {world.admin.email}", f"{org}: Admin, can view billing"]),
                person(world, "member", [f"Welcome, {world.member.email}", f"{org}: Member, cannot view billing"]),
            ],
        )
        # The script that gets a token and calls the API.
        call = subprocess.run(
            [PY, str(EXAMPLES / kind / "call_api.py"), world.admin.email],
            env=app_env(API_URL=base, GATEHOUSE_ISSUER=gatehouse.issuer, GATEHOUSE_API_KEY=gatehouse.api_key),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert call.returncode == 0 and world.admin.email in call.stdout, call.stdout + call.stderr
        # Permission checks on the API.
        billing = f"{base}/api/orgs/{world.org_id}/billing"
        bearer = {
            r: {"Authorization": "Bearer " + gatehouse.access_token(getattr(world, r).user_id)}
            for r in ("admin", "member")
        }
        assert requests.get(billing, headers=bearer["admin"]).json()["org"] == org
        assert requests.get(billing, headers=bearer["member"]).status_code == 403
        assert requests.get(billing).status_code == 401


def streamlit_cmd(app: str, port: int) -> list[str]:
    return [
        PY,
        "-m",
        "streamlit",
        "run",
        app,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def test_streamlit(gatehouse, world, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cid, secret = client(gatehouse, "streamlit", f"{base}/oauth2callback")
    toml = subprocess.run(
        [
            PY,
            "-m",
            "gatehouse_auth",
            "streamlit-secrets",
            "--issuer",
            gatehouse.issuer,
            "--client-id",
            cid,
            "--client-secret",
            secret,
            "--redirect-uri",
            f"{base}/oauth2callback",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(toml)
    env = app_env(GATEHOUSE_API_KEY=gatehouse.api_key)
    with running(
        "streamlit",
        streamlit_cmd(str(EXAMPLES / "streamlit" / "app.py"), port),
        env,
        tmp_path,
        f"{base}/_stcore/health",
    ):
        users = []
        for role, billing in (
            ("owner", "You can view billing"),
            ("admin", "You can view billing"),
            ("member", "You cannot view billing"),
        ):
            r = role.capitalize()
            users.append(
                person(
                    world,
                    role,
                    [
                        f"Welcome, {getattr(world, role).email}",
                        f"You are {article(r)} {r} in org {world.org_name}",
                        billing,
                    ],
                )
            )
        browser("streamlit", base, users)


def test_guide_streamlit_st_login(gatehouse, world, tmp_path):
    """README quickstart / PropelAuth guide: st.login() with client_kwargs prompt=login, st.logout()."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cid, secret = client(gatehouse, "guide-streamlit", f"{base}/oauth2callback")
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f"""[auth]
redirect_uri = "{base}/oauth2callback"
cookie_secret = "{secrets.token_urlsafe(32)}"
client_id = "{cid}"
client_secret = "{secret}"
server_metadata_url = "{gatehouse.issuer}/.well-known/openid-configuration"
client_kwargs = {{ "prompt" = "login" }}
""")
    app = str(REPO / "tests" / "apps" / "guide_streamlit" / "app.py")
    with running("guide-streamlit", streamlit_cmd(app, port), app_env(), tmp_path, f"{base}/_stcore/health"):
        browser(
            "guide-streamlit",
            base,
            [
                person(world, "member", [f"Hello, Member Tester ({world.member.email})"]),
            ],
        )


def test_gradio_login_button(gatehouse, world):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cid, secret = client(gatehouse, "gradio-login-button", f"{base}/login/callback?*")
    env = app_env(
        SYSTEM="spaces",
        SPACE_ID="local/gatehouse-demo",
        OAUTH_CLIENT_ID=cid,
        OAUTH_CLIENT_SECRET=secret,
        OAUTH_SCOPES="openid profile email",
        OPENID_PROVIDER_URL=gatehouse.issuer,
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
    )
    with running("gradio-login-button", [PY, "app.py"], env, EXAMPLES / "gradio-login-button", f"{base}/config"):
        # Gradio's /logout only clears its own cookie (documented caveat), so no password re-check.
        # A user without orgs: Gradio keeps the whole token response in its session cookie, which
        # with an org's claims in the access token passes 4 KB and is dropped (documented caveat).
        browser("login-button", base, [person(world, "outsider", ["Hello, Outsider Tester"])], logout="local")


def test_guide_authlib_with_propelauth_py(world, tmp_path):
    """The PropelAuth guide's authlib + propelauth_py app, unchanged, against an HTTPS Gatehouse
    reached as the SDK's API host (contract §9 set-up 2)."""
    sys.path.insert(0, str(REPO / "tests" / "propelauth"))
    import harness
    from gatehouse_server import make_world

    # SQLite: this step's main Gatehouse already runs on Postgres, and the SDK's backend calls are
    # covered on both databases by tests/propelauth.
    server = harness.start(backend="sqlite")
    try:
        w = make_world(server.cli, tmp_path)
        api_key = server.integration_key()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        out = server.cli("client", "create", "--name", "guide-authlib", "--redirect-uri", f"{base}/auth")
        env = app_env(
            AUTH_URL=server.url,
            CLIENT_ID=out["client_id"],
            CLIENT_SECRET=out["client_secret"],
            API_KEY=api_key,
            SESSION_SECRET=secrets.token_urlsafe(32),
            REQUESTS_CA_BUNDLE=str(server.ca),
            SSL_CERT_FILE=str(server.ca),
        )
        cmd = [PY, "serve.py", server.ip, str(port)]
        with running("guide-authlib", cmd, env, REPO / "tests" / "apps" / "guide_authlib", base + "/"):
            browser(
                "guide-authlib",
                base,
                [
                    person(
                        w,
                        "owner",
                        [
                            f"Hello, {w.owner.email}",
                            f"SDK user: {w.owner.email}",
                            f"Orgs: {w.org_name} (Owner)",
                            "Magic link created: yes",
                        ],
                    ),
                    person(w, "admin", [f"Orgs: {w.org_name} (Admin)"]),
                    person(w, "member", [f"Orgs: {w.org_name} (Member)"]),
                ],
            )
    finally:
        harness.stop(server)
