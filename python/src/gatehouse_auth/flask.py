"""Flask: `init_auth(app, ...)` gives `require_user`, `optional_user` and
`require_org_member(role=..., permission=...)` decorators (Bearer access tokens or end-user API
keys for APIs, the browser session otherwise) and the browser routes `/auth/login`,
`/auth/callback`, `POST /auth/logout`."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import quote

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, g, jsonify, redirect, request, session

from .core import GatehouseAuth
from .errors import ConfigError, GatehouseUnavailableError, UnauthorizedError
from .starlette import LOGGED_OUT_PAGE, SID_KEY, _safe_next
from .user import OrgMemberInfo, User

F = TypeVar("F", bound=Callable[..., Any])

_UNSET = object()


def _unauthorized(detail: str = "Not authenticated", invalid: bool = False) -> Any:
    if not invalid and request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
        return redirect("/auth/login?next=" + quote(request.full_path.rstrip("?"), safe=""), code=303)
    resp = jsonify({"detail": detail})
    resp.status_code = 401
    resp.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if invalid else "Bearer"
    return resp


def _forbidden(detail: str) -> Any:
    resp = jsonify({"detail": detail})
    resp.status_code = 403
    return resp


class FlaskAuth:
    def __init__(self, auth: GatehouseAuth, browser_login: bool) -> None:
        self.auth = auth
        self.browser_login = browser_login

    def _user(self) -> User | None:
        """Raises UnauthorizedError for a bad credential; None when there is none."""
        cached = g.get("gatehouse_user", _UNSET)
        if cached is not _UNSET:
            return cast("User | None", cached)
        authorization = request.headers.get("Authorization")
        if authorization:
            user = self.auth.user_from_authorization(authorization)
        else:
            sid = session.get(SID_KEY) if self.browser_login else None
            user = self.auth.session_user(sid)
            if sid and user is None:
                session.pop(SID_KEY, None)
        g.gatehouse_user = user
        return user

    def current_user(self) -> User | None:
        """The user of the current request (after one of the decorators ran, or on demand)."""
        try:
            return self._user()
        except UnauthorizedError:
            return None

    def require_user(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                user = self._user()
            except UnauthorizedError as exc:
                return _unauthorized(str(exc), invalid=True)
            except GatehouseUnavailableError:
                return jsonify({"detail": "authentication service unavailable"}), 503
            if user is None:
                return _unauthorized()
            return fn(*args, **kwargs)

        return cast(F, wrapper)

    def optional_user(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                self._user()
            except (UnauthorizedError, GatehouseUnavailableError):
                g.gatehouse_user = None
            return fn(*args, **kwargs)

        return cast(F, wrapper)

    def require_org_member(
        self, role: str | None = None, permission: str | None = None, org_id_arg: str = "org_id"
    ) -> Callable[[F], F]:
        """The org id comes from the view argument `org_id` (or the `org_id` query parameter);
        the user must be a member, at least `role` when given, and hold `permission` when given.
        The membership is in `g.gatehouse_org`."""

        def decorator(fn: F) -> F:
            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    user = self._user()
                except UnauthorizedError as exc:
                    return _unauthorized(str(exc), invalid=True)
                if user is None:
                    return _unauthorized()
                org_id = kwargs.get(org_id_arg) or request.args.get(org_id_arg)
                org: OrgMemberInfo | None = user.get_org(org_id) if org_id else None
                if org is None:
                    return _forbidden("not a member of this organization")
                if role and not org.user_is_at_least_role(role):
                    return _forbidden(f"requires the role {role} or above")
                if permission and not org.user_has_permission(permission):
                    return _forbidden(f"requires the permission {permission}")
                g.gatehouse_org = org
                return fn(*args, **kwargs)

            return cast(F, wrapper)

        return decorator

    def _register_routes(self, app: Flask, after_login: str, after_logout: str) -> None:
        cfg = self.auth.config
        if not cfg.client_id:
            raise ConfigError("browser login needs client_id (GATEHOUSE_CLIENT_ID) and client_secret")
        oauth = OAuth(app)
        client = oauth.register(
            "gatehouse",
            client_id=cfg.client_id,
            client_secret=cfg.client_secret,
            server_metadata_url=cfg.discovery_url,
            client_kwargs={"scope": cfg.scope, "code_challenge_method": "S256"},
        )

        def absolute(path: str) -> str:
            return (cfg.app_url or request.host_url.rstrip("/")) + path

        @app.get("/auth/login", endpoint="gatehouse_login")
        def login() -> Any:
            session["gatehouse_next"] = _safe_next(request.args.get("next"), after_login)
            return client.authorize_redirect(absolute("/auth/callback"))

        @app.get("/auth/callback", endpoint="gatehouse_callback")
        def callback() -> Any:
            try:
                token = client.authorize_access_token()
            except OAuthError as exc:
                return f"Login failed: {exc.description or exc.error}", 400
            old = session.pop(SID_KEY, None)
            if old:
                self.auth.end_session(old)
            session[SID_KEY] = self.auth.start_session(dict(token))
            return redirect(_safe_next(session.pop("gatehouse_next", None), after_login), code=303)

        @app.post("/auth/logout", endpoint="gatehouse_logout")
        def logout() -> Any:
            id_token = self.auth.end_session(session.pop(SID_KEY, None))
            session.clear()
            try:
                url = self.auth.logout_url(id_token, absolute(after_logout))
            except GatehouseUnavailableError:
                url = absolute(after_logout)
            return redirect(url, code=303)

        @app.get("/auth/logged-out", endpoint="gatehouse_logged_out")
        def logged_out() -> Any:
            return LOGGED_OUT_PAGE.format(
                message="You have been signed out of this app and of Gatehouse.", login="/auth/login"
            )


def init_auth(
    app: Flask,
    issuer: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    api_key: str | None = None,
    *,
    browser_login: bool = True,
    after_login: str = "/",
    after_logout: str = "/auth/logged-out",
    auth: GatehouseAuth | None = None,
    **kwargs: Any,
) -> FlaskAuth:
    """Configures Gatehouse for a Flask app (arguments, else GATEHOUSE_* variables). With
    `browser_login=False` only Bearer credentials are accepted and no routes are added."""
    auth = auth or GatehouseAuth(issuer, client_id, client_secret, api_key, **kwargs)
    if browser_login and not app.secret_key:
        app.secret_key = auth.config.session_secret or secrets.token_urlsafe(32)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    fauth = FlaskAuth(auth, browser_login)
    if browser_login:
        fauth._register_routes(app, after_login, after_logout)
    return fauth
