"""The real, unmodified propelauth-py and propelauth-flask validate access tokens that
Gatehouse issued through an ordinary OIDC login (contract §9.1: TokenVerificationMetadata,
no network calls), and gate on org roles and permissions correctly."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import flask
import pytest
import requests
from jwt.algorithms import RSAAlgorithm
from propelauth_flask import current_org, current_user
from propelauth_flask import init_auth as init_flask_auth
from propelauth_py import TokenVerificationMetadata, init_base_auth
from propelauth_py.errors import ForbiddenException, UnauthorizedException

from conftest import RP_REDIRECT_URI, Gatehouse


def _form_value(html: str, name: str) -> str | None:
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), html)
    return unescape(m.group(1)) if m else None


def oidc_tokens(
    gatehouse: Gatehouse, client, email: str, password: str, **extra: str
) -> dict:
    """Authorization code + PKCE, the login form submitted like a browser would."""
    browser = requests.Session()
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": RP_REDIRECT_URI,
        "scope": "openid email profile",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    resp = browser.get(
        gatehouse.discovery["authorization_endpoint"],
        params=params,
        allow_redirects=False,
    )
    location = urljoin(gatehouse.url, resp.headers["Location"])
    if urlsplit(location).path == "/login":
        page = browser.get(location)
        form = {
            "csrf_token": _form_value(page.text, "csrf_token"),
            "request": _form_value(page.text, "request"),
            "email": email,
            "password": password,
        }
        resp = browser.post(gatehouse.url + "/login", data=form, allow_redirects=False)
        assert resp.status_code == 303, resp.text[:500]
        resp = browser.get(
            urljoin(gatehouse.url, resp.headers["Location"]), allow_redirects=False
        )
        location = resp.headers["Location"]
    assert location.startswith(RP_REDIRECT_URI), location
    query = parse_qs(urlsplit(location).query)
    assert "code" in query, query
    token = requests.post(
        gatehouse.discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": RP_REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(client.client_id, client.client_secret),
    )
    assert token.status_code == 200, token.text
    return token.json()


@pytest.fixture(scope="module")
def verifier_pem(gatehouse: Gatehouse) -> str:
    jwks = requests.get(gatehouse.discovery["jwks_uri"]).json()
    key = RSAAlgorithm.from_jwk(json.dumps(jwks["keys"][0]))
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture(scope="module")
def world(gatehouse: Gatehouse):
    """Owner Olga of Acme; Mike is a Member of Acme and Admin of Beta."""
    tag = secrets.token_hex(3)
    olga = gatehouse.create_user(
        f"olga-{tag}@example.com", "olga password 1", "Olga", "Owner", f"olga{tag}"
    )
    mike = gatehouse.create_user(
        f"mike-{tag}@example.com", "mike password 1", "Mike", "Member", f"mike{tag}"
    )
    acme = gatehouse.cli(
        "org", "create", "--name", f"Acme {tag}", "--owner-email", olga.email
    )["org_id"]
    beta = gatehouse.cli(
        "org", "create", "--name", f"Beta {tag}", "--owner-email", olga.email
    )["org_id"]
    gatehouse.cli(
        "org", "add-member", "--org-id", acme, "--email", mike.email, "--role", "Member"
    )
    gatehouse.cli(
        "org", "add-member", "--org-id", beta, "--email", mike.email, "--role", "Admin"
    )
    client = gatehouse.create_client(f"propelauth-{tag}", [RP_REDIRECT_URI])
    return {"olga": olga, "mike": mike, "acme": acme, "beta": beta, "client": client}


def _auth(gatehouse: Gatehouse, pem: str):
    meta = TokenVerificationMetadata(verifier_key=pem, issuer=gatehouse.issuer)
    return init_base_auth(
        gatehouse.issuer, "integration-key-unused", token_verification_metadata=meta
    )


def test_sdk_reads_orgs_roles_and_permissions(gatehouse, verifier_pem, world):
    auth = _auth(gatehouse, verifier_pem)
    tokens = oidc_tokens(
        gatehouse, world["client"], world["mike"].email, world["mike"].password
    )
    user = auth.validate_access_token_and_get_user("Bearer " + tokens["access_token"])
    assert user.user_id == world["mike"].user_id
    assert user.email == world["mike"].email
    assert user.first_name == "Mike"
    acme = user.get_org(world["acme"])
    beta = user.get_org(world["beta"])
    assert acme.org_name.startswith("Acme") and beta.org_name.startswith("Beta")
    assert acme.user_is_role("Member") and not acme.user_is_role("Admin")
    assert acme.user_is_at_least_role("Member") and not acme.user_is_at_least_role(
        "Admin"
    )
    assert not acme.user_has_permission("gatehouse::can_invite")
    assert beta.user_is_role("Admin")
    assert beta.user_is_at_least_role("Member") and beta.user_is_at_least_role("Admin")
    assert not beta.user_is_at_least_role("Owner")
    assert beta.user_has_permission("gatehouse::can_invite")
    assert beta.user_has_all_permissions(
        ["gatehouse::can_invite", "gatehouse::can_change_roles"]
    )
    assert user.get_org("00000000-0000-4000-8000-000000000000") is None
    # The SDK's own org checks.
    got = auth.validate_access_token_and_get_user_with_org_by_minimum_role(
        "Bearer " + tokens["access_token"], world["beta"], "Admin"
    )
    assert got.org_member_info.org_id == world["beta"]
    with pytest.raises(ForbiddenException):
        auth.validate_access_token_and_get_user_with_org_by_minimum_role(
            "Bearer " + tokens["access_token"], world["acme"], "Admin"
        )
    with pytest.raises(ForbiddenException):
        auth.validate_access_token_and_get_user_with_org_by_permission(
            "Bearer " + tokens["access_token"], world["acme"], "gatehouse::can_invite"
        )
    # A tampered token is refused.
    head, body, sig = tokens["access_token"].split(".")
    with pytest.raises(UnauthorizedException):
        auth.validate_access_token_and_get_user(
            "Bearer " + ".".join([head, body, sig[::-1]])
        )


def test_active_org_tokens(gatehouse, verifier_pem, world):
    auth = _auth(gatehouse, verifier_pem)
    tokens = oidc_tokens(
        gatehouse,
        world["client"],
        world["mike"].email,
        world["mike"].password,
        org_id=world["beta"],
    )
    user = auth.validate_access_token_and_get_user("Bearer " + tokens["access_token"])
    assert user.get_active_org_id() == world["beta"]
    assert user.get_active_org().user_is_role("Admin")
    assert user.get_org(world["acme"]) is None, (
        "an active-org token carries that org only"
    )


def test_flask_decorators_allow_and_refuse(gatehouse, verifier_pem, world):
    meta = TokenVerificationMetadata(verifier_key=verifier_pem, issuer=gatehouse.issuer)
    auth = init_flask_auth(
        gatehouse.issuer, "integration-key-unused", token_verification_metadata=meta
    )
    app = flask.Flask(__name__)

    @app.route("/orgs/<org_id>/admin")
    @auth.require_org_member_with_minimum_role("Admin")
    def admin_area(org_id):
        return {"user": current_user.user_id, "role": current_org.user_assigned_role}

    @app.route("/orgs/<org_id>/invite")
    @auth.require_org_member_with_permission("gatehouse::can_invite")
    def invite(org_id):
        return {"ok": True}

    @app.route("/me")
    @auth.require_user
    def me():
        return {"user": current_user.user_id}

    mike = oidc_tokens(
        gatehouse, world["client"], world["mike"].email, world["mike"].password
    )["access_token"]
    olga = oidc_tokens(
        gatehouse, world["client"], world["olga"].email, world["olga"].password
    )["access_token"]
    web = app.test_client()
    bearer = lambda t: {"Authorization": "Bearer " + t}  # noqa: E731
    assert web.get("/me").status_code == 401
    assert web.get("/me", headers=bearer(mike)).json == {"user": world["mike"].user_id}
    assert (
        web.get(f"/orgs/{world['beta']}/admin", headers=bearer(mike)).json["role"]
        == "Admin"
    )
    assert (
        web.get(f"/orgs/{world['acme']}/admin", headers=bearer(mike)).status_code == 403
    )
    assert (
        web.get(f"/orgs/{world['acme']}/admin", headers=bearer(olga)).json["role"]
        == "Owner"
    )
    assert (
        web.get(f"/orgs/{world['acme']}/invite", headers=bearer(mike)).status_code
        == 403
    )
    assert (
        web.get(f"/orgs/{world['beta']}/invite", headers=bearer(mike)).status_code
        == 200
    )
    assert (
        web.get(
            f"/orgs/{world['acme']}/invite", headers=bearer("not-a-token")
        ).status_code
        == 401
    )
