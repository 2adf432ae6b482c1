"""`gatehouse_auth.flask.init_auth`: the decorators on API routes with Bearer tokens."""

from __future__ import annotations

from flask import Flask, g

from gatehouse_auth.flask import init_auth


def make_app(gatehouse):
    app = Flask(__name__)
    auth = init_auth(app, issuer=gatehouse.issuer, api_key=gatehouse.api_key, browser_login=False)

    @app.get("/me")
    @auth.require_user
    def me():
        return {"email": auth.current_user().email}

    @app.get("/hello")
    @auth.optional_user
    def hello():
        user = g.gatehouse_user
        return {"hello": user.first_name if user else "stranger"}

    @app.get("/orgs/<org_id>/billing")
    @auth.require_org_member(permission="can_view_billing")
    def billing(org_id):
        return {"org": g.gatehouse_org.org_name}

    @app.get("/orgs/<org_id>/admin")
    @auth.require_org_member(role="Admin")
    def admin(org_id):
        return {"role": g.gatehouse_org.user_assigned_role}

    @app.get("/orgs/<org_id>/reports")
    @auth.require_org_member()
    def reports(org_id):
        return {"ok": True}

    return app


def test_decorators(gatehouse, world):
    client = make_app(gatehouse).test_client()
    bearer = {
        p: {"Authorization": f"Bearer {gatehouse.access_token(getattr(world, p).user_id)}"}
        for p in ("owner", "admin", "member", "outsider")
    }
    assert client.get("/me").status_code == 401
    assert client.get("/me", headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    assert client.get("/me", headers=bearer["member"]).json == {"email": world.member.email}
    assert client.get("/hello").json == {"hello": "stranger"}
    assert client.get("/hello", headers=bearer["admin"]).json == {"hello": "Admin"}

    org = world.org_id
    assert client.get(f"/orgs/{org}/billing", headers=bearer["admin"]).json == {"org": world.org_name}
    assert client.get(f"/orgs/{org}/billing", headers=bearer["owner"]).status_code == 200
    assert client.get(f"/orgs/{org}/billing", headers=bearer["member"]).status_code == 403
    assert client.get(f"/orgs/{org}/admin", headers=bearer["owner"]).json == {"role": "Owner"}
    assert client.get(f"/orgs/{org}/admin", headers=bearer["member"]).status_code == 403
    assert client.get(f"/orgs/{org}/reports", headers=bearer["member"]).status_code == 200
    assert client.get(f"/orgs/{org}/reports", headers=bearer["outsider"]).status_code == 403
    assert client.get(f"/orgs/{org}/reports").status_code == 401


def test_end_user_api_key(gatehouse, world):
    client = make_app(gatehouse).test_client()
    key = gatehouse.backend("POST", "/end_user_api_keys", json={"user_id": world.admin.user_id}).json()["api_key_token"]
    resp = client.get(f"/orgs/{world.org_id}/admin", headers={"Authorization": f"Bearer {key}"})
    assert resp.json == {"role": "Admin"}
