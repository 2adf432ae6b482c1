"""`protect_app` on a FastAPI app: anonymous browsers go to the login and API calls get 401,
Bearer access tokens and end-user API keys are accepted, the browser login works end to end,
tokens are refreshed before they expire, and logout ends the Gatehouse session too."""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from gatehouse_server import login_via_form

from gatehouse_auth import GatehouseAuth

APP = "http://testserver"


def make_app(auth: GatehouseAuth) -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict:
        return {"ok": True}

    @app.get("/me")
    def me(request: Request) -> dict:
        user = auth.require_user(request)
        org = user.get_orgs()[0] if user.get_orgs() else None
        return {
            "user_id": user.user_id,
            "email": user.email,
            "role": org.user_assigned_role if org else None,
            "billing": bool(org and org.user_has_permission("can_view_billing")),
            "token": user.access_token,
        }

    auth.protect_app(app, bypass={"/health"})
    return app


@pytest.fixture(scope="module")
def client_creds(gatehouse):
    out = gatehouse.cli(
        "client",
        "create",
        "--name",
        f"pkg-starlette-{secrets.token_hex(3)}",
        "--dev",
        "--redirect-uri",
        f"{APP}/auth/callback",
        "--post-logout-redirect-uri",
        f"{APP}/auth/logged-out",
    )
    return out["client_id"], out["client_secret"]


def new_auth(gatehouse, client_creds, **kw) -> GatehouseAuth:
    cid, secret = client_creds
    return GatehouseAuth(issuer=gatehouse.issuer, client_id=cid, client_secret=secret, api_key=gatehouse.api_key, **kw)


def browser_login(gatehouse, client: TestClient, email: str, password: str, browser: requests.Session) -> None:
    resp = client.get("/me", headers={"Accept": "text/html"}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/auth/login?next=")
    resp = client.get(resp.headers["location"], follow_redirects=False)
    assert resp.status_code == 302
    callback = login_via_form(gatehouse.issuer, resp.headers["location"], email, password, browser)
    assert callback.startswith(f"{APP}/auth/callback?"), callback
    resp = client.get(callback.removeprefix(APP), follow_redirects=False)
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == "/me"


def test_anonymous_requests(gatehouse, client_creds):
    client = TestClient(make_app(new_auth(gatehouse, client_creds)))
    assert client.get("/health").json() == {"ok": True}
    api = client.get("/me")
    assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"
    page = client.get("/me?x=1", headers={"Accept": "text/html,*/*"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/login?next=%2Fme%3Fx%3D1"
    assert client.post("/auth/logout", follow_redirects=False).status_code == 303


def test_bearer_access_token_and_api_key(gatehouse, client_creds, world):
    client = TestClient(make_app(new_auth(gatehouse, client_creds)))
    token = gatehouse.access_token(world.admin.user_id)
    me = client.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["user_id"] == world.admin.user_id and me["role"] == "Admin" and me["billing"] is True

    key = gatehouse.backend("POST", "/end_user_api_keys", json={"user_id": world.member.user_id}).json()
    me = client.get("/me", headers={"Authorization": f"Bearer {key['api_key_token']}"}).json()
    assert me["user_id"] == world.member.user_id and me["role"] == "Member" and me["billing"] is False

    bad = client.get("/me", headers={"Authorization": "Bearer " + "0" * 64})
    assert bad.status_code == 401 and "invalid_token" in bad.headers["www-authenticate"]
    assert client.get("/me", headers={"Authorization": "Basic eDp5"}).status_code == 401
    # A bad credential on a bypassed path is simply ignored.
    assert client.get("/health", headers={"Authorization": "Bearer nope"}).status_code == 200


def test_browser_login_refresh_and_logout(gatehouse, client_creds, world):
    now = [time.time()]
    auth = new_auth(gatehouse, client_creds, clock=lambda: now[0])
    client = TestClient(make_app(auth), base_url=APP)
    browser = requests.Session()
    browser_login(gatehouse, client, world.owner.email, world.owner.password, browser)
    first = client.get("/me").json()
    assert first["email"] == world.owner.email and first["role"] == "Owner"
    assert "gatehouse_session" in client.cookies
    assert len(client.cookies["gatehouse_session"]) < 200, "tokens stay on the server"

    # Shortly before expiry the session is refreshed with the refresh token.
    import jwt

    exp = jwt.decode(first["token"], options={"verify_signature": False})["exp"]
    now[0] = exp - 30
    second = client.get("/me").json()
    assert second["user_id"] == world.owner.user_id
    assert second["token"] != first["token"], "a new access token was fetched"
    assert client.get("/me").json()["token"] == second["token"], "and kept"

    # Logout: the app session ends and the browser is sent to Gatehouse's end-session endpoint.
    resp = client.post("/auth/logout", follow_redirects=False)
    assert resp.status_code == 303
    end = urlsplit(resp.headers["location"])
    q = parse_qs(end.query)
    assert f"{end.scheme}://{end.netloc}" == gatehouse.issuer
    assert q["post_logout_redirect_uri"] == [f"{APP}/auth/logged-out"] and q["id_token_hint"]
    landed = browser.get(resp.headers["location"], allow_redirects=False)
    assert landed.status_code in (302, 303) and landed.headers["location"].startswith(f"{APP}/auth/logged-out")
    assert client.get("/me").status_code == 401
    assert "Log in again" in client.get("/auth/logged-out").text

    # Gatehouse's own session is gone: the next login asks for the password again.
    resp = client.get("/auth/login", follow_redirects=False)
    again = browser.get(resp.headers["location"], allow_redirects=False)
    assert urlsplit(again.headers["location"]).path == "/login"


def test_refresh_refused_ends_the_session(gatehouse, client_creds, world):
    now = [time.time()]
    auth = new_auth(gatehouse, client_creds, clock=lambda: now[0])
    client = TestClient(make_app(auth), base_url=APP)
    browser_login(gatehouse, client, world.member.email, world.member.password, requests.Session())
    token = client.get("/me").json()["token"]
    # Gatehouse logs the user out everywhere (backend API): the refresh token dies with the grant.
    assert gatehouse.backend("POST", f"/user/{world.member.user_id}/logout_all_sessions").status_code == 200
    import jwt

    now[0] = jwt.decode(token, options={"verify_signature": False})["exp"] + 1
    assert client.get("/me").status_code == 401
