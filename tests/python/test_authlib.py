"""Gatehouse against the real authlib Starlette client.

This is the code path Streamlit's st.login and the Gradio/FastAPI recipes use. The relying
party is a small Starlette app driven through Starlette's TestClient (at http://testserver);
the "browser" talking to Gatehouse is a requests.Session that follows redirects by hand,
parses the hosted login form and posts it like a browser would.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from conftest import HARNESS_VARS, RP_BASE, RP_REDIRECT_URI, Client, Gatehouse, User

MAX_HOPS = 10


# ------------------------------------------------------------------------------------------
# The relying party: a Starlette app using authlib exactly as the Streamlit/Gradio recipes do
# ------------------------------------------------------------------------------------------
def make_rp(
    gatehouse: Gatehouse,
    client: Client,
    *,
    scope: str = "openid email profile",
    pkce: bool = True,
    auth_method: str | None = None,
) -> TestClient:
    client_kwargs: dict = {"scope": scope}
    if pkce:
        client_kwargs["code_challenge_method"] = "S256"
    if auth_method:
        client_kwargs["token_endpoint_auth_method"] = auth_method

    oauth = OAuth()
    oauth.register(
        "gh",
        client_id=client.client_id,
        client_secret=client.client_secret,
        server_metadata_url=gatehouse.url + "/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )

    async def login(request: Request):
        # Extra query parameters (e.g. prompt=login) are passed on to the authorize request.
        return await oauth.gh.authorize_redirect(
            request, RP_REDIRECT_URI, **dict(request.query_params)
        )

    async def auth(request: Request):
        try:
            token = await oauth.gh.authorize_access_token(request)
        except OAuthError as exc:
            return JSONResponse(
                {"error": exc.error, "error_description": exc.description},
                status_code=400,
            )
        userinfo = await oauth.gh.userinfo(token=token)
        id_claims = dict(token.pop("userinfo"))
        return JSONResponse(
            {
                "token": dict(token),
                "id_token_claims": id_claims,
                "userinfo": dict(userinfo),
            }
        )

    async def refresh(request: Request):
        try:
            token = await oauth.gh.fetch_access_token(
                grant_type="refresh_token",
                refresh_token=request.query_params["refresh_token"],
            )
        except OAuthError as exc:
            return JSONResponse(
                {"error": exc.error, "error_description": exc.description},
                status_code=400,
            )
        return JSONResponse(dict(token))

    async def logout(request: Request):
        return await oauth.gh.logout_redirect(
            request,
            post_logout_redirect_uri=RP_REDIRECT_URI,
            id_token_hint=request.query_params["id_token_hint"],
        )

    app = Starlette(
        routes=[
            Route("/login", login),
            Route("/auth", auth),
            Route("/refresh", refresh),
            Route("/logout", logout),
        ],
        middleware=[
            Middleware(SessionMiddleware, secret_key=secrets.token_urlsafe(32))
        ],
    )
    return TestClient(app, base_url=RP_BASE, follow_redirects=False)


# ------------------------------------------------------------------------------------------
# The "browser" on the Gatehouse side
# ------------------------------------------------------------------------------------------
class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict] = {}
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._current = {"attrs": a, "inputs": [], "buttons": []}
            self.forms[a.get("id", f"form{len(self.forms)}")] = self._current
        elif self._current is not None and tag in ("input", "textarea", "select"):
            self._current["inputs"].append(a)
        elif self._current is not None and tag == "button":
            self._current["buttons"].append(a)

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def parse_forms(html: str) -> dict[str, dict]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def page_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", html))


@dataclass
class Outcome:
    """Where a navigation ended: at the relying party's callback, or on a Gatehouse page."""

    callback: str | None = None
    page: requests.Response | None = None
    trail: list[str] | None = None

    def expect_page(self) -> requests.Response:
        assert self.page is not None, (
            f"expected a Gatehouse page, got redirected to {self.callback}"
        )
        return self.page

    def expect_callback(self) -> str:
        if self.callback is None:
            page = self.page
            detail = (
                f"{page.status_code} {page.url}\n{page_text(page.text)[:800]}"
                if page
                else "?"
            )
            raise AssertionError(
                f"expected a redirect to the client, ended on a page: {detail}"
            )
        return self.callback


class Browser:
    def __init__(self, gatehouse: Gatehouse) -> None:
        self.gatehouse = gatehouse
        self.session = requests.Session()
        self.session.headers["User-Agent"] = (
            "Mozilla/5.0 (X11; Linux x86_64) gatehouse-e2e"
        )
        self.session.headers["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8"

    def _follow(self, resp: requests.Response, trail: list[str]) -> Outcome:
        for _ in range(MAX_HOPS):
            if resp.status_code not in (301, 302, 303, 307, 308):
                return Outcome(page=resp, trail=trail)
            location = urljoin(resp.url, resp.headers["Location"])
            trail.append(f"{resp.status_code} -> {location}")
            if location.startswith(RP_BASE + "/"):
                return Outcome(callback=location, trail=trail)
            assert location.startswith(self.gatehouse.url + "/"), (
                f"unexpected redirect off Gatehouse: {location} (trail: {trail})"
            )
            assert resp.status_code in (301, 302, 303), (
                f"{resp.status_code} redirect after {resp.request.method} not expected here"
            )
            resp = self.session.get(location, allow_redirects=False, timeout=15)
        raise AssertionError(f"too many redirects: {trail}")

    def navigate(self, url: str) -> Outcome:
        resp = self.session.get(url, allow_redirects=False, timeout=15)
        return self._follow(resp, [f"GET {url}"])

    def submit(
        self, page: requests.Response, form_id: str, fields: dict[str, str]
    ) -> Outcome:
        forms = parse_forms(page.text)
        assert form_id in forms, (
            f"no <form id={form_id!r}> on {page.url}: {list(forms)}"
        )
        form = forms[form_id]
        method = form["attrs"].get("method", "get").lower()
        assert method == "post", f"form {form_id} uses method {method!r}"
        action = urljoin(page.url, form["attrs"].get("action") or page.url)
        data = {}
        for inp in form["inputs"]:
            name = inp.get("name")
            if not name or inp.get("type", "text").lower() in (
                "submit",
                "button",
                "image",
            ):
                continue
            if (
                inp.get("type", "").lower() in ("checkbox", "radio")
                and "checked" not in inp
            ):
                continue
            data[name] = inp.get("value", "")
        data.update(fields)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
        resp = self.session.post(
            action,
            data=data,
            headers={"Origin": origin, "Referer": page.url},
            allow_redirects=False,
            timeout=15,
        )
        return self._follow(resp, [f"POST {action}"])

    def login(
        self, page: requests.Response, user: User, password: str | None = None
    ) -> Outcome:
        return self.submit(
            page,
            "login-form",
            {
                "email": user.email,
                "password": user.password if password is None else password,
            },
        )


# ------------------------------------------------------------------------------------------
# Flow helpers
# ------------------------------------------------------------------------------------------
def start_login(rp: TestClient, **params: str) -> str:
    resp = rp.get("/login", params=params)
    assert resp.status_code == 302, resp.text
    return resp.headers["location"]


def query(url: str) -> dict[str, str]:
    return {
        k: v[0]
        for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()
    }


def check_callback(gatehouse: Gatehouse, authorize_url: str, callback: str) -> None:
    assert callback.startswith(RP_REDIRECT_URI + "?"), callback
    q = query(callback)
    assert "error" not in q, f"authorization error: {q}"
    assert q.get("code"), f"no code in {callback}"
    assert q.get("state") == query(authorize_url)["state"], "state not echoed unchanged"
    assert q.get("iss") == gatehouse.issuer, (
        f"iss in callback {q.get('iss')!r} != issuer"
    )


def finish_login(
    rp: TestClient, gatehouse: Gatehouse, authorize_url: str, callback: str
) -> dict:
    check_callback(gatehouse, authorize_url, callback)
    resp = rp.get(callback)
    assert resp.status_code == 200, (
        f"RP callback failed: {resp.status_code} {resp.text}"
    )
    return resp.json()


def full_login(
    rp: TestClient, browser: Browser, gatehouse: Gatehouse, user: User, **params
) -> dict:
    authorize_url = start_login(rp, **params)
    assert authorize_url.startswith(gatehouse.discovery["authorization_endpoint"] + "?")
    page = browser.navigate(authorize_url).expect_page()
    assert page.status_code == 200, f"login page: {page.status_code}"
    callback = browser.login(page, user).expect_callback()
    return finish_login(rp, gatehouse, authorize_url, callback)


def assert_alice_claims(
    gatehouse: Gatehouse, client: Client, user: User, result: dict
) -> None:
    claims = result["id_token_claims"]
    assert claims["iss"] == gatehouse.issuer
    assert claims["sub"] == user.user_id
    assert claims["aud"] == client.client_id
    assert claims["email"] == user.email
    assert claims["email_verified"] is True
    assert claims["name"] == f"{user.first_name} {user.last_name}"
    assert claims["given_name"] == user.first_name
    assert claims["family_name"] == user.last_name
    assert claims["preferred_username"] == user.username
    assert isinstance(claims["exp"], int) and isinstance(claims["iat"], int)
    userinfo = result["userinfo"]
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["email"] == user.email
    token = result["token"]
    assert token["token_type"].lower() == "bearer"
    assert isinstance(token["expires_in"], int) and token["expires_in"] > 0
    assert set(token["scope"].split()) >= {"openid", "email", "profile"}


def basic(client: Client) -> str:
    return (
        "Basic "
        + base64.b64encode(
            f"{client.client_id}:{client.client_secret}".encode()
        ).decode()
    )


# ------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------
FORBIDDEN_DISCOVERY_KEYS = {
    "client_id",
    "client_secret",
    "prompt",
    "login_hint",
    "response_mode",
    "nonce",
    "response_type",
    "grant_type",
    "scope",
    "redirect_uri",
    "token_endpoint_auth_method",
    "code_challenge_method",
    "timeout",
    "verify",
    "headers",
    "proxy",
    "proxies",
    "base_url",
    "auth",
    "cookies",
    "params",
}


def test_discovery_document(gatehouse: Gatehouse):
    d = gatehouse.discovery
    assert d["issuer"] == gatehouse.url
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "userinfo_endpoint",
        "end_session_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
    ):
        assert d.get(key, "").startswith(gatehouse.url + "/"), f"{key}: {d.get(key)!r}"
    assert "S256" in d["code_challenge_methods_supported"]
    assert d.get("id_token_signing_alg_values_supported", ["RS256"]) == ["RS256"]
    assert set(d["token_endpoint_auth_methods_supported"]) >= {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
    leaked = FORBIDDEN_DISCOVERY_KEYS & set(d)
    assert not leaked, (
        f"non-standard singular keys leak into authlib's client: {leaked}"
    )
    jwks = requests.get(d["jwks_uri"], timeout=10).json()
    assert jwks["keys"], jwks
    for key in jwks["keys"]:
        assert key["kty"] == "RSA" and key.get("kid")
        assert key.get("alg", "RS256") == "RS256" and key.get("use", "sig") == "sig"
        assert "d" not in key, "private key material in the JWKS"


def test_login_form_hooks(gatehouse: Gatehouse, confidential_client: Client):
    rp = make_rp(gatehouse, confidential_client)
    page = (
        Browser(gatehouse)
        .navigate(start_login(rp, login_hint="hint@example.com"))
        .expect_page()
    )
    forms = parse_forms(page.text)
    assert "login-form" in forms, f"no login form on {page.url}"
    form = forms["login-form"]
    inputs = {i.get("name"): i for i in form["inputs"]}
    assert (
        inputs["email"].get("id") == "email" and inputs["email"].get("type") == "email"
    )
    assert inputs["email"].get("autocomplete") == "username"
    assert inputs["email"].get("value") == "hint@example.com", (
        "login_hint must pre-fill the email"
    )
    assert inputs["password"].get("id") == "password"
    assert inputs["password"].get("type") == "password"
    assert inputs["password"].get("autocomplete") == "current-password"
    assert inputs.get("csrf_token", {}).get("type") == "hidden", (
        "hidden csrf_token input expected"
    )
    assert any(b.get("id") == "login-submit" for b in form["buttons"]), form["buttons"]


def test_login_confidential_pkce_basic(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    rp = make_rp(gatehouse, confidential_client)
    result = full_login(rp, Browser(gatehouse), gatehouse, alice)
    assert_alice_claims(gatehouse, confidential_client, alice, result)
    assert result["token"].get("id_token")
    assert "nonce" in result["id_token_claims"]


def test_login_without_pkce_client_secret_basic(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    rp = make_rp(gatehouse, confidential_client, pkce=False)
    authorize_url = start_login(rp)
    assert "code_challenge" not in query(authorize_url)
    browser = Browser(gatehouse)
    callback = browser.login(
        browser.navigate(authorize_url).expect_page(), alice
    ).expect_callback()
    assert_alice_claims(
        gatehouse,
        confidential_client,
        alice,
        finish_login(rp, gatehouse, authorize_url, callback),
    )


def test_login_client_secret_post(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    rp = make_rp(gatehouse, confidential_client, auth_method="client_secret_post")
    result = full_login(rp, Browser(gatehouse), gatehouse, alice)
    assert_alice_claims(gatehouse, confidential_client, alice, result)


def test_login_public_client_pkce(
    gatehouse: Gatehouse, alice: User, public_client: Client
):
    rp = make_rp(gatehouse, public_client, pkce=True, auth_method="none")
    result = full_login(rp, Browser(gatehouse), gatehouse, alice)
    assert_alice_claims(gatehouse, public_client, alice, result)


def test_wrong_secret_is_refused(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    bad = Client(confidential_client.client_id, "not-the-secret")
    rp = make_rp(gatehouse, bad)
    authorize_url = start_login(rp)
    browser = Browser(gatehouse)
    callback = browser.login(
        browser.navigate(authorize_url).expect_page(), alice
    ).expect_callback()
    resp = rp.get(callback)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_client", resp.json()


def test_wrong_password_shows_login_again(
    gatehouse: Gatehouse, make_user, confidential_client: Client
):
    user = make_user()
    rp = make_rp(gatehouse, confidential_client)
    authorize_url = start_login(rp)
    browser = Browser(gatehouse)
    first = browser.navigate(authorize_url).expect_page()
    wrong = "definitely-wrong-password-123"
    outcome = browser.login(first, user, password=wrong)
    page = outcome.expect_page()
    assert 200 <= page.status_code < 500, page.status_code
    assert "login-form" in parse_forms(page.text), "login form not shown again"
    text = page_text(page.text)
    assert re.search(r"(?i)invalid|incorrect|wrong|not match|failed", text), (
        f"no error message on the re-shown login page: {text[:600]}"
    )
    assert wrong not in page.text, "the submitted password is echoed back into the page"
    # The re-shown form is usable: the right password now completes the flow.
    callback = browser.login(page, user).expect_callback()
    result = finish_login(rp, gatehouse, authorize_url, callback)
    assert result["id_token_claims"]["sub"] == user.user_id


def test_unregistered_redirect_uri_is_not_followed(
    gatehouse: Gatehouse, confidential_client: Client
):
    url = (
        gatehouse.discovery["authorization_endpoint"]
        + "?"
        + requests.compat.urlencode(
            {
                "response_type": "code",
                "client_id": confidential_client.client_id,
                "redirect_uri": "http://evil.example/cb",
                "scope": "openid",
                "state": "s1",
            }
        )
    )
    resp = requests.get(url, allow_redirects=False, timeout=10)
    assert 400 <= resp.status_code < 500, (
        f"{resp.status_code} {resp.headers.get('Location')}"
    )
    assert "evil.example" not in resp.headers.get("Location", "")


def test_sso_session_and_prompt_login(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    rp = make_rp(gatehouse, confidential_client)
    browser = Browser(gatehouse)
    first = full_login(rp, browser, gatehouse, alice)

    # With a Gatehouse session, a second authorize goes straight back to the client.
    authorize_url = start_login(rp)
    callback = browser.navigate(authorize_url).expect_callback()
    second = finish_login(rp, gatehouse, authorize_url, callback)
    assert second["id_token_claims"]["sub"] == alice.user_id

    # prompt=login forces the login form again despite the session.
    authorize_url = start_login(rp, prompt="login")
    assert query(authorize_url)["prompt"] == "login"
    page = browser.navigate(authorize_url).expect_page()
    assert "login-form" in parse_forms(page.text), (
        "prompt=login must show the login form"
    )
    callback = browser.login(page, alice).expect_callback()
    third = finish_login(rp, gatehouse, authorize_url, callback)
    assert third["id_token_claims"]["sub"] == alice.user_id
    if "auth_time" in first["id_token_claims"]:
        assert (
            third["id_token_claims"]["auth_time"]
            >= first["id_token_claims"]["auth_time"]
        )


@pytest.mark.parametrize("prompt", ["select_account", ""])
def test_streamlit_prompt_values_accepted(
    gatehouse: Gatehouse, alice: User, confidential_client: Client, prompt: str
):
    rp = make_rp(gatehouse, confidential_client)
    result = full_login(rp, Browser(gatehouse), gatehouse, alice, prompt=prompt)
    assert result["id_token_claims"]["sub"] == alice.user_id


def test_refresh_token_rotation(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    rp = make_rp(gatehouse, confidential_client, scope="openid offline_access email")
    result = full_login(rp, Browser(gatehouse), gatehouse, alice)
    token = result["token"]
    old_rt = token.get("refresh_token")
    assert old_rt, f"no refresh_token with offline_access: {sorted(token)}"

    resp = rp.get("/refresh", params={"refresh_token": old_rt})
    assert resp.status_code == 200, resp.text
    new = resp.json()
    assert new["access_token"] and new["token_type"].lower() == "bearer"
    new_rt = new.get("refresh_token")
    assert new_rt and new_rt != old_rt, "refresh tokens must rotate on every use"

    # The rotated token is refused (scripts/test runs this suite's server with the reuse grace
    # period off; the grace period itself is proven in tests/api/token.rs with a moved clock) ...
    resp = rp.get("/refresh", params={"refresh_token": old_rt})
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_grant", resp.json()
    # ... and presenting it revoked the whole grant, so the newest one is dead too.
    resp = rp.get("/refresh", params={"refresh_token": new_rt})
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_grant", resp.json()


def test_logout_ends_session(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    rp = make_rp(gatehouse, confidential_client)
    browser = Browser(gatehouse)
    result = full_login(rp, browser, gatehouse, alice)
    id_token = result["token"]["id_token"]

    resp = rp.get("/logout", params={"id_token_hint": id_token})
    assert resp.status_code == 302, resp.text
    logout_url = resp.headers["location"]
    assert logout_url.startswith(gatehouse.discovery["end_session_endpoint"] + "?")
    outcome = browser.navigate(logout_url)
    landed = outcome.expect_callback()
    assert landed.startswith(RP_REDIRECT_URI), landed
    assert query(landed).get("state") == query(logout_url)["state"], (
        "logout state not echoed"
    )

    # The Gatehouse session is gone: the next authorize shows the login page again.
    page = browser.navigate(start_login(rp)).expect_page()
    assert "login-form" in parse_forms(page.text), "still logged in after logout"


def test_streamlit_style_logout(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    """st.logout(): client_id + post_logout_redirect_uri + id_token_hint, no state."""
    rp = make_rp(gatehouse, confidential_client)
    browser = Browser(gatehouse)
    id_token = full_login(rp, browser, gatehouse, alice)["token"]["id_token"]
    url = (
        gatehouse.discovery["end_session_endpoint"]
        + "?"
        + requests.compat.urlencode(
            {
                "client_id": confidential_client.client_id,
                "post_logout_redirect_uri": RP_REDIRECT_URI,
                "id_token_hint": id_token,
            }
        )
    )
    assert browser.navigate(url).expect_callback().startswith(RP_REDIRECT_URI)
    page = browser.navigate(start_login(rp)).expect_page()
    assert "login-form" in parse_forms(page.text), "still logged in after logout"


def test_client_credentials(gatehouse: Gatehouse, confidential_client: Client):
    resp = requests.post(
        gatehouse.discovery["token_endpoint"],
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(confidential_client)},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["access_token"] and body["token_type"].lower() == "bearer"
    assert "no-store" in resp.headers.get("Cache-Control", "")


def jose_header(jwt: str) -> dict:
    head = jwt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def test_cli_migrate_is_idempotent(gatehouse: Gatehouse):
    proc = subprocess.run(
        [gatehouse.bin, "migrate"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k not in HARNESS_VARS},
        cwd=os.environ.get("GATEHOUSE_DATA_DIR") or None,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"migrate printed on stdout: {proc.stdout!r}"


def test_key_rotation_is_picked_up_by_authlib(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    """`gatehouse keys rotate`: the new key is published, then signs; a relying party that cached
    the old JWKS re-fetches it on the unknown kid, and the old key stays published.

    Needs a server started with GATEHOUSE_KEY_PUBLISH_DELAY=0 and a short
    GATEHOUSE_KEY_REFRESH_SECONDS (scripts/lib/server.sh does this)."""
    rp = make_rp(gatehouse, confidential_client)
    browser = Browser(gatehouse)
    before = full_login(rp, browser, gatehouse, alice)
    old_kid = jose_header(before["token"]["id_token"])["kid"]

    new_kid = gatehouse.cli("keys", "rotate")["kid"]
    assert new_kid and new_kid != old_kid
    refresh = int(os.environ.get("GATEHOUSE_KEY_REFRESH_SECONDS", "30"))
    deadline = time.monotonic() + refresh + 15
    while True:
        kids = {
            k["kid"]
            for k in requests.get(gatehouse.discovery["jwks_uri"], timeout=10).json()[
                "keys"
            ]
        }
        if new_kid in kids:
            break
        assert time.monotonic() < deadline, f"new kid {new_kid} not published: {kids}"
        time.sleep(0.2)
    assert old_kid in kids, (
        "the previous key must stay published until its tokens expire"
    )

    # Same RP instance: its JWKS cache only knows the old key.
    deadline = time.monotonic() + refresh + 15
    while True:
        after = full_login(rp, Browser(gatehouse), gatehouse, alice)
        kid = jose_header(after["token"]["id_token"])["kid"]
        if kid == new_kid or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert kid == new_kid, f"still signing with {kid} after rotating to {new_kid}"
    assert after["id_token_claims"]["sub"] == alice.user_id
