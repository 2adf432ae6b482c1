"""The PropelAuth-guide pattern, as written there, with only the issuer, client and key changed:
authlib's Starlette client registered at the discovery URL, Starlette sessions holding
token["userinfo"], and propelauth_py.init_base_auth(issuer, api_key) for the backend calls.

Environment: AUTH_URL (Gatehouse's issuer), CLIENT_ID, CLIENT_SECRET, API_KEY, SESSION_SECRET.
"""

import html
import os

from authlib.integrations.starlette_client import OAuth
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from propelauth_py import init_base_auth
from starlette.middleware.sessions import SessionMiddleware

AUTH_URL = os.environ["AUTH_URL"]
auth = init_base_auth(AUTH_URL, os.environ["API_KEY"])

oauth = OAuth()
oauth.register(
    name="propelauth",
    client_id=os.environ["CLIENT_ID"],
    client_secret=os.environ["CLIENT_SECRET"],
    server_metadata_url=f"{AUTH_URL}/.well-known/openid-configuration",
    client_kwargs={"scope": "openid email profile"},
)

app = FastAPI()
app.add_middleware(SessionMiddleware, secret_key=os.environ.get("SESSION_SECRET", "dev-secret"))


@app.get("/")
def home(request: Request):
    user = request.session.get("user")
    if not user:
        return HTMLResponse('<h1>Guide app</h1><a href="/login">Log in</a>')
    user_id = user["sub"]
    # The SDK's own calls: mint a token for the user, validate it, read orgs, create a magic link.
    token = auth.create_access_token(user_id, 10)
    sdk_user = auth.validate_access_token_and_get_user("Bearer " + token.access_token)
    orgs = ", ".join(f"{o.org_name} ({o.user_assigned_role})" for o in sdk_user.get_orgs()) or "none"
    link = auth.create_magic_link(user["email"], expires_in_hours=1)
    return HTMLResponse(
        f"<h1>Hello, {html.escape(user['email'])}</h1>"
        f"<p id='sdk-user'>SDK user: {html.escape(sdk_user.email)}</p>"
        f"<p id='orgs'>Orgs: {html.escape(orgs)}</p>"
        f"<p id='magic'>Magic link created: {'yes' if link.url.startswith('http') else 'no'}</p>"
        '<a href="/logout">Log out</a>'
    )


@app.get("/login")
async def login(request: Request):
    return await oauth.propelauth.authorize_redirect(request, request.url_for("auth_callback"))


@app.get("/auth")
async def auth_callback(request: Request):
    token = await oauth.propelauth.authorize_access_token(request)
    request.session["user"] = token["userinfo"]
    return RedirectResponse("/")


@app.get("/logout")
def logout(request: Request):
    user = request.session.pop("user", None)
    if user:
        auth.logout_all_user_sessions(user["sub"])
    return RedirectResponse("/")
