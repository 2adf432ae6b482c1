"""Protocol edge cases the real clients rely on, driven with plain HTTP (no authlib).

The authorize step still goes through the hosted login page with the same "browser" as
test_authlib.py; the token endpoint is called directly so that wrong inputs can be sent.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import requests

from conftest import RP_BASE, RP_REDIRECT_URI, Client, Gatehouse, User
from test_authlib import Browser, basic, parse_forms, query


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()
    ).rstrip(b"=")
    return verifier, challenge.decode()


def authorize_url(
    gatehouse: Gatehouse,
    client: Client,
    redirect_uri: str = RP_REDIRECT_URI,
    **extra: str,
) -> str:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email profile",
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        **extra,
    }
    return gatehouse.discovery["authorization_endpoint"] + "?" + urlencode(params)


def get_code(
    gatehouse: Gatehouse, user: User, url: str, browser: Browser | None = None
) -> dict:
    browser = browser or Browser(gatehouse)
    outcome = browser.navigate(url)
    if outcome.page is not None:
        outcome = browser.login(outcome.page, user)
    callback = outcome.expect_callback()
    q = query(callback)
    assert q.get("code"), f"no code: {callback}"
    return q


def token_request(
    gatehouse: Gatehouse, data: dict, client: Client | None = None
) -> requests.Response:
    headers = {"Accept": "application/json"}
    if client is not None and client.client_secret:
        headers["Authorization"] = basic(client)
    return requests.post(
        gatehouse.discovery["token_endpoint"], data=data, headers=headers, timeout=10
    )


def assert_oauth_error(resp: requests.Response, error: str) -> None:
    assert resp.status_code in (400, 401), f"{resp.status_code} {resp.text}"
    body = resp.json()
    assert body.get("error") == error, body


def test_code_is_single_use(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    verifier, challenge = pkce_pair()
    q = get_code(
        gatehouse,
        alice,
        authorize_url(
            gatehouse,
            confidential_client,
            code_challenge=challenge,
            code_challenge_method="S256",
        ),
    )
    data = {
        "grant_type": "authorization_code",
        "code": q["code"],
        "redirect_uri": RP_REDIRECT_URI,
        "code_verifier": verifier,
    }
    first = token_request(gatehouse, data, confidential_client)
    assert first.status_code == 200, first.text
    assert "no-store" in first.headers.get("Cache-Control", "")
    assert_oauth_error(
        token_request(gatehouse, data, confidential_client), "invalid_grant"
    )


def test_code_bound_to_redirect_uri_and_verifier(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    verifier, challenge = pkce_pair()
    browser = Browser(gatehouse)
    url = authorize_url(
        gatehouse,
        confidential_client,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    q = get_code(gatehouse, alice, url, browser)
    resp = token_request(
        gatehouse,
        {
            "grant_type": "authorization_code",
            "code": q["code"],
            "redirect_uri": RP_REDIRECT_URI + "x",
            "code_verifier": verifier,
        },
        confidential_client,
    )
    assert_oauth_error(resp, "invalid_grant")

    q = get_code(
        gatehouse,
        alice,
        authorize_url(
            gatehouse,
            confidential_client,
            code_challenge=challenge,
            code_challenge_method="S256",
        ),
        browser,
    )
    resp = token_request(
        gatehouse,
        {
            "grant_type": "authorization_code",
            "code": q["code"],
            "redirect_uri": RP_REDIRECT_URI,
            "code_verifier": secrets.token_urlsafe(48),
        },
        confidential_client,
    )
    assert_oauth_error(resp, "invalid_grant")


def test_public_client_requires_pkce(
    gatehouse: Gatehouse, alice: User, public_client: Client
):
    browser = Browser(gatehouse)
    outcome = browser.navigate(authorize_url(gatehouse, public_client))
    if outcome.page is not None and "login-form" in parse_forms(outcome.page.text):
        outcome = browser.login(outcome.page, alice)
    if outcome.callback is not None:
        q = query(outcome.callback)
        assert q.get("error") == "invalid_request", (
            f"public client without PKCE got: {q}"
        )
    else:
        assert 400 <= outcome.page.status_code < 500, outcome.page.status_code


def test_prompt_none_without_session(gatehouse: Gatehouse, confidential_client: Client):
    url = authorize_url(gatehouse, confidential_client, prompt="none")
    callback = Browser(gatehouse).navigate(url).expect_callback()
    q = query(callback)
    assert q.get("error") == "login_required", q
    assert q.get("state") == query(url)["state"]


def test_gradio_wildcard_query_redirect_uri(gatehouse: Gatehouse, alice: User):
    client = gatehouse.create_client("gradio", [RP_BASE + "/login/callback?*"])
    redirect_uri = RP_BASE + "/login/callback?_target_url=%2F%3Fx%3D1"
    q = get_code(
        gatehouse, alice, authorize_url(gatehouse, client, redirect_uri=redirect_uri)
    )
    assert q.get("_target_url") == "/?x=1", q
    resp = token_request(
        gatehouse,
        {
            "grant_type": "authorization_code",
            "code": q["code"],
            "redirect_uri": redirect_uri,
        },
        client,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["scope"] and body["expires_in"] and body["id_token"]
    # Another path on the same host is not covered by the pattern.
    bad = Browser(gatehouse).navigate(
        authorize_url(gatehouse, client, redirect_uri=RP_BASE + "/other?x=1")
    )
    assert bad.callback is None, f"redirected to an unregistered URI: {bad.callback}"


def test_login_post_without_csrf_token_is_refused(
    gatehouse: Gatehouse, alice: User, confidential_client: Client
):
    browser = Browser(gatehouse)
    page = browser.navigate(authorize_url(gatehouse, confidential_client)).expect_page()
    outcome = browser.submit(
        page,
        "login-form",
        {"email": alice.email, "password": alice.password, "csrf_token": "forged"},
    )
    assert outcome.callback is None, "login accepted with a forged CSRF token"
    assert 400 <= outcome.page.status_code < 500, outcome.page.status_code


def test_userinfo_rejects_bad_token(gatehouse: Gatehouse):
    resp = requests.get(
        gatehouse.discovery["userinfo_endpoint"],
        headers={"Authorization": "Bearer not-a-token"},
        timeout=10,
    )
    assert resp.status_code == 401, resp.text
    assert resp.headers.get("WWW-Authenticate", "").lower().startswith("bearer")


def test_health_and_metrics(gatehouse: Gatehouse):
    assert requests.get(gatehouse.url + "/healthz", timeout=10).status_code == 200
    assert requests.get(gatehouse.url + "/readyz", timeout=10).status_code == 200
    metrics = requests.get(gatehouse.url + "/metrics", timeout=10)
    assert metrics.status_code == 200
    assert metrics.headers.get("Content-Type", "").startswith("text/plain")
