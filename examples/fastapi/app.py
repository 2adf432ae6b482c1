"""A FastAPI API (and a small page) protected by Gatehouse.

Run:  GATEHOUSE_ISSUER=... GATEHOUSE_CLIENT_ID=... GATEHOUSE_CLIENT_SECRET=... GATEHOUSE_API_KEY=... \
      uvicorn app:app --port 8000
"""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse
from gatehouse_auth import GatehouseAuth, User

from fastapi import FastAPI, HTTPException, Request

auth = GatehouseAuth()
app = FastAPI()


@app.get("/health")
def health() -> dict[str, bool]:
    return {"ok": True}


def org_lines(user: User) -> list[str]:
    lines = []
    for org in user.get_orgs():
        billing = "can view billing" if org.user_has_permission("can_view_billing") else "cannot view billing"
        lines.append(f"{org.org_name}: {org.user_assigned_role}, {billing}")
    return lines


@app.get("/", response_class=HTMLResponse)
def home(request: Request) -> str:
    user = auth.require_user(request)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in org_lines(user))
    return f"""<!doctype html><title>Gatehouse + FastAPI</title>
<h1 id="welcome">Welcome, {html.escape(user.email)}</h1><ul id="orgs">{items}</ul>
<form method="post" action="/auth/logout"><button id="logout">Log out</button></form>"""


@app.get("/api/me")
def me(request: Request) -> dict:
    user = auth.require_user(request)
    return {"user_id": user.user_id, "email": user.email, "orgs": org_lines(user)}


@app.get("/api/orgs/{org_id}/billing")
def billing(org_id: str, request: Request) -> dict:
    org = auth.require_user(request).get_org(org_id)
    if org is None or not org.user_has_permission("can_view_billing"):
        raise HTTPException(403, "you cannot view billing in this organization")
    return {"org": org.org_name, "plan": "Team", "seats": 25}


auth.protect_app(app, bypass={"/health"})
