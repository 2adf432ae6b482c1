"""A Flask app protected by Gatehouse: browser login for the page, Bearer tokens for the API.

Run:  GATEHOUSE_ISSUER=... GATEHOUSE_CLIENT_ID=... GATEHOUSE_CLIENT_SECRET=... GATEHOUSE_API_KEY=... \
      flask --app app run --port 5000
"""

from __future__ import annotations

from gatehouse_auth.flask import init_auth
from markupsafe import escape

from flask import Flask, g

app = Flask(__name__)
auth = init_auth(app)  # GATEHOUSE_ISSUER, GATEHOUSE_CLIENT_ID, GATEHOUSE_CLIENT_SECRET, GATEHOUSE_API_KEY


@app.get("/")
@auth.require_user
def home():
    user = g.gatehouse_user
    items = []
    for org in user.get_orgs():
        billing = "can view billing" if org.user_has_permission("can_view_billing") else "cannot view billing"
        items.append(f"<li>{escape(org.org_name)}: {escape(org.user_assigned_role)}, {billing}</li>")
    return f"""<!doctype html><title>Gatehouse + Flask</title>
<h1 id="welcome">Welcome, {escape(user.email)}</h1><ul id="orgs">{"".join(items)}</ul>
<form method="post" action="/auth/logout"><button id="logout">Log out</button></form>"""


@app.get("/api/me")
@auth.require_user
def me():
    user = g.gatehouse_user
    return {"user_id": user.user_id, "email": user.email, "orgs": [o.org_name for o in user.get_orgs()]}


@app.get("/api/hello")
@auth.optional_user
def hello():
    user = g.gatehouse_user
    return {"hello": user.first_name if user else "stranger"}


@app.get("/api/orgs/<org_id>/billing")
@auth.require_org_member(permission="can_view_billing")
def billing(org_id):
    return {"org": g.gatehouse_org.org_name, "plan": "Team", "seats": 25}


@app.get("/api/orgs/<org_id>/members")
@auth.require_org_member(role="Admin")
def members(org_id):
    return {"org": g.gatehouse_org.org_name, "you_are": g.gatehouse_org.user_assigned_role}
