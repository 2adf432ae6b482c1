"""propelauth-flask and propelauth-fastapi, initialised against Gatehouse (the startup fetch
goes to propelauth-api.com), protecting routes with tokens minted by the backend API."""

from __future__ import annotations

import secrets

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from flask import Flask


def _user_and_token(auth):
    tag = secrets.token_hex(4)
    uid = auth.create_user(
        email=f"fw-{tag}@example.com", email_confirmed=True, password="hunter22hunter"
    ).user_id
    org = auth.create_org(name=f"Framework {tag}")
    auth.add_user_to_org(uid, org.org_id, "Admin")
    return uid, org.org_id, auth.create_access_token(uid, 5).access_token


def test_flask(server, api_key, auth):
    from propelauth_flask import current_org, current_user, init_auth

    fauth = init_auth(server.url, api_key)
    app = Flask(__name__)

    @app.get("/me")
    @fauth.require_user
    def me():
        return {"user_id": current_user.user_id}

    @app.get("/org/<org_id>")
    @fauth.require_org_member_with_minimum_role("Member")
    def org(org_id):
        return {"role": current_org.user_assigned_role}

    @app.get("/owners/<org_id>")
    @fauth.require_org_member_with_minimum_role("Owner")
    def owners(org_id):
        return {}

    uid, org_id, token = _user_and_token(auth)
    client = app.test_client()
    assert client.get("/me").status_code == 401
    assert client.get("/me", headers={"Authorization": f"Bearer {token}"}).json == {
        "user_id": uid
    }
    assert client.get(
        f"/org/{org_id}", headers={"Authorization": f"Bearer {token}"}
    ).json == {"role": "Admin"}
    assert (
        client.get(
            f"/owners/{org_id}", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 403
    )
    assert fauth.fetch_user_metadata_by_user_id(uid).user_id == uid


def test_fastapi(server, api_key, auth):
    from propelauth_fastapi import User, init_auth

    fauth = init_auth(server.url, api_key)
    app = FastAPI()

    @app.get("/me")
    def me(user: User = Depends(fauth.require_user)):
        return {"user_id": user.user_id}

    @app.get("/org/{org_id}")
    def org(org_id: str, user: User = Depends(fauth.require_user)):
        info = fauth.require_org_member_with_minimum_role(user, org_id, "Member")
        return {"role": info.user_assigned_role}

    uid, org_id, token = _user_and_token(auth)
    client = TestClient(app)
    assert client.get("/me").status_code == 401
    assert client.get("/me", headers={"Authorization": f"Bearer {token}"}).json() == {
        "user_id": uid
    }
    assert client.get(
        f"/org/{org_id}", headers={"Authorization": f"Bearer {token}"}
    ).json() == {"role": "Admin"}
    assert (
        client.get(
            "/org/" + "0" * 8, headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 403
    )
