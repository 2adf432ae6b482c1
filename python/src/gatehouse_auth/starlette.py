"""`protect_app` for Starlette, FastAPI and Gradio mounted in FastAPI: session middleware,
the login / callback / logout routes, and a middleware that turns away anonymous requests."""

from __future__ import annotations

import html
import json
import logging
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio.to_thread
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.starlette_client import OAuth
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ConfigError, GatehouseUnavailableError, UnauthorizedError
from .user import User

if TYPE_CHECKING:
    from .core import GatehouseAuth

log = logging.getLogger("gatehouse_auth")

SID_KEY = "gatehouse_sid"
NEXT_KEY = "gatehouse_next"
USER_SCOPE_KEY = "gatehouse.user"
SESSION_COOKIE = "gatehouse_session"
AUTH_PREFIX = "/auth/"


def _safe_next(value: str | None, default: str) -> str:
    """Only same-site paths: `/x`, never `//host` or `https://host`."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def _bypassed(path: str, bypass: frozenset[str]) -> bool:
    if path.startswith(AUTH_PREFIX):
        return True
    return any(path == b or (b.endswith("/") and path.startswith(b)) for b in bypass)


def _wants_html(conn: HTTPConnection) -> bool:
    return "text/html" in conn.headers.get("accept", "")


class GatehouseMiddleware:
    """Resolves the user (Bearer token or API key, else the session), puts it in the ASGI scope
    for `get_user`, and answers for anonymous requests to protected paths."""

    def __init__(self, app: ASGIApp, auth: GatehouseAuth, bypass: frozenset[str]) -> None:
        self.app = app
        self.auth = auth
        self.bypass = bypass

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        bypassed = _bypassed(scope["path"], self.bypass)
        authorization = conn.headers.get("authorization")
        sid = conn.session.get(SID_KEY)
        try:
            user = await anyio.to_thread.run_sync(self._resolve, authorization, sid)
        except UnauthorizedError as exc:
            if bypassed:
                user = None
            else:
                await self._refuse(scope, receive, send, str(exc), invalid=True)
                return
        except GatehouseUnavailableError as exc:
            log.warning("gatehouse unavailable: %s", exc)
            if bypassed:
                user = None
            else:
                await JSONResponse({"detail": "authentication service unavailable"}, 503)(scope, receive, send)
                return
        if sid and user is None and not authorization:
            conn.session.pop(SID_KEY, None)
        scope[USER_SCOPE_KEY] = user
        if user is None and not bypassed:
            await self._refuse(scope, receive, send, "Not authenticated", invalid=False)
            return
        await self.app(scope, receive, send)

    def _resolve(self, authorization: str | None, sid: str | None) -> User | None:
        if authorization:
            return self.auth.user_from_authorization(authorization)
        return self.auth.session_user(sid)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, detail: str, invalid: bool) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        conn = HTTPConnection(scope)
        if not invalid and scope.get("method") == "GET" and _wants_html(conn):
            target = scope.get("root_path", "") + scope["path"]
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            login = scope.get("root_path", "") + "/auth/login?next=" + quote(target, safe="")
            await RedirectResponse(login, status_code=303)(scope, receive, send)
            return
        header = 'Bearer error="invalid_token"' if invalid else "Bearer"
        body = {"detail": detail}
        await JSONResponse(body, 401, headers={"WWW-Authenticate": header})(scope, receive, send)


LOGGED_OUT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Logged out</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328}}
a{{color:#0550ae}}</style></head>
<body><h1>You are logged out</h1><p>{message}</p><p><a id="login-again" href="{login}">Log in again</a></p></body></html>
"""


def _absolute(auth: GatehouseAuth, request: Request, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    base = auth.config.app_url or (str(request.base_url).rstrip("/"))
    return base + path


def protect_app(
    auth: GatehouseAuth,
    app: Any,
    *,
    bypass: Iterable[str] = (),
    after_login: str = "/",
    after_logout: str = "/auth/logged-out",
    https_only: bool | None = None,
) -> None:
    if not auth.config.client_id:
        raise ConfigError("protect_app needs client_id (GATEHOUSE_CLIENT_ID) and client_secret")
    oauth = OAuth()
    oauth.register(
        "gatehouse",
        client_id=auth.config.client_id,
        client_secret=auth.config.client_secret,
        server_metadata_url=auth.config.discovery_url,
        client_kwargs={"scope": auth.config.scope, "code_challenge_method": "S256"},
    )
    client = oauth.create_client("gatehouse")

    async def login(request: Request) -> Response:
        request.session[NEXT_KEY] = _safe_next(request.query_params.get("next"), after_login)
        redirect_uri = _absolute(auth, request, request.scope.get("root_path", "") + "/auth/callback")
        response: Response = await client.authorize_redirect(request, redirect_uri)
        return response

    async def callback(request: Request) -> Response:
        try:
            token = await client.authorize_access_token(request)
        except OAuthError as exc:
            log.info("login failed: %s", exc)
            page = (
                "<!doctype html><title>Login failed</title><h1>Login failed</h1>"
                f"<p>{html.escape(exc.description or exc.error or 'error')}</p>"
                '<p><a href="/auth/login">Try again</a></p>'
            )
            return HTMLResponse(page, status_code=400)
        old = request.session.pop(SID_KEY, None)
        if old:
            auth.end_session(old)
        request.session[SID_KEY] = auth.start_session(dict(token))
        return RedirectResponse(_safe_next(request.session.pop(NEXT_KEY, None), after_login), status_code=303)

    async def logout(request: Request) -> Response:
        id_token = auth.end_session(request.session.pop(SID_KEY, None))
        request.session.clear()
        target = _absolute(auth, request, after_logout)
        try:
            url = await anyio.to_thread.run_sync(auth.logout_url, id_token, target)
        except GatehouseUnavailableError:
            url = target
        return RedirectResponse(url, status_code=303)

    async def logged_out(request: Request) -> Response:
        login_url = request.scope.get("root_path", "") + "/auth/login"
        page = LOGGED_OUT_PAGE.format(
            message="You have been signed out of this app and of Gatehouse.", login=html.escape(login_url)
        )
        return HTMLResponse(page)

    app.add_route("/auth/login", login, methods=["GET"], name="gatehouse_login")
    app.add_route("/auth/callback", callback, methods=["GET"], name="gatehouse_callback")
    app.add_route("/auth/logout", logout, methods=["POST"], name="gatehouse_logout")
    app.add_route("/auth/logged-out", logged_out, methods=["GET"], name="gatehouse_logged_out")

    # Middleware added last runs first: the session must be decoded before our middleware.
    app.add_middleware(GatehouseMiddleware, auth=auth, bypass=frozenset(bypass))
    secret = auth.config.session_secret or secrets.token_urlsafe(32)
    secure = https_only if https_only is not None else (auth.config.app_url or "").startswith("https://")
    app.add_middleware(
        SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE, same_site="lax", https_only=secure
    )


def _connection_of(request: Any) -> HTTPConnection | None:
    if isinstance(request, HTTPConnection):
        return request
    inner = getattr(request, "request", None)  # gr.Request wraps the FastAPI request
    if isinstance(inner, HTTPConnection):
        return inner
    return None


def get_user(auth: GatehouseAuth, request: Any) -> User | None:
    """The user the middleware found for this request; without the middleware (or for a
    `gr.Request` rebuilt from a dict) the Authorization header and the session are read here."""
    conn = _connection_of(request)
    if conn is not None:
        if USER_SCOPE_KEY in conn.scope:
            found: User | None = conn.scope[USER_SCOPE_KEY]
            return found
        authorization = conn.headers.get("authorization")
        sid = conn.session.get(SID_KEY) if "session" in conn.scope else None
    else:
        headers = getattr(request, "headers", None) or {}
        if not isinstance(headers, dict):
            headers = json.loads(json.dumps(dict(headers)))
        authorization = {k.lower(): v for k, v in headers.items()}.get("authorization")
        sid = None
    try:
        if authorization:
            return auth.user_from_authorization(authorization)
        return auth.session_user(sid)
    except UnauthorizedError:
        return None
