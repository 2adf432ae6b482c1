"""`GatehouseAuth`: one object per app that knows Gatehouse, verifies tokens, keeps sessions
fresh and hands out typed users. The framework glue (`protect_app`, Flask, Streamlit) lives in
its own modules, imported only when used."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import httpx

from .backend import BackendApi
from .config import Config, load_config
from .errors import GatehouseUnavailableError, UnauthorizedError
from .provider import Provider, system_clock, token_expiry
from .sessions import MemorySessionStore, SessionStore, SessionTokens, new_session_id
from .tokens import TokenVerifier
from .user import User

if TYPE_CHECKING:
    from starlette.types import ASGIApp

# Refresh this many seconds before the access token expires.
REFRESH_MARGIN = 60.0


class GatehouseAuth:
    """Configuration from the arguments, else from GATEHOUSE_ISSUER, GATEHOUSE_CLIENT_ID,
    GATEHOUSE_CLIENT_SECRET and GATEHOUSE_API_KEY."""

    def __init__(
        self,
        issuer: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        api_key: str | None = None,
        *,
        app_url: str | None = None,
        session_secret: str | None = None,
        scope: str | None = None,
        session_store: SessionStore | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = system_clock,
    ) -> None:
        self.config: Config = load_config(issuer, client_id, client_secret, api_key, app_url, session_secret, scope)
        self.http = http or httpx.Client(timeout=10.0)
        self.clock = clock
        self.provider = Provider(self.config, self.http)
        self.verifier = TokenVerifier(
            self.config, self.http, lambda: self.provider.metadata["jwks_uri"], clock=lambda: self.clock()
        )
        self.backend = BackendApi(self.config, self.http)
        self.sessions: SessionStore = session_store or MemorySessionStore()
        # One refresh at a time per session (a fixed pool: sessions hash onto these locks).
        self._refresh_locks = [threading.Lock() for _ in range(64)]

    # -- tokens and API keys ------------------------------------------------------------------

    def validate_access_token(self, token: str) -> User:
        """The user of a Gatehouse access token (verified locally); UnauthorizedError if not valid."""
        claims = self.verifier.verify(token)
        if "user_id" not in claims:
            raise UnauthorizedError("not a user access token (client credentials token?)")
        return User.from_access_token_claims(claims, token=token)

    def validate_api_key(self, api_key: str) -> User:
        """The user of an end-user API key, validated through the backend API."""
        return self.backend.validate_end_user_api_key(api_key)

    def user_from_authorization(self, header: str | None) -> User | None:
        """`Authorization: Bearer <access token | end-user API key>` → the user; None without the
        header; UnauthorizedError when it is present but not valid."""
        if not header:
            return None
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise UnauthorizedError("expected Authorization: Bearer <token>")
        if credential.count(".") == 2:
            return self.validate_access_token(credential)
        if not self.config.api_key:
            raise UnauthorizedError("not an access token (and no api_key is configured to check API keys)")
        return self.validate_api_key(credential)

    # -- browser sessions ---------------------------------------------------------------------

    def start_session(self, token: dict[str, Any]) -> str:
        """Stores the tokens of a completed login; returns the new session id for the cookie."""
        sid = new_session_id()
        userinfo = token.get("userinfo") or {}
        self.sessions.put(
            sid,
            SessionTokens(
                access_token=token["access_token"],
                expires_at=token_expiry(token, self.clock()),
                refresh_token=token.get("refresh_token"),
                id_token=token.get("id_token"),
                picture_url=userinfo.get("picture"),
            ),
        )
        return sid

    def _lock_for(self, sid: str) -> threading.Lock:
        return self._refresh_locks[hash(sid) % len(self._refresh_locks)]

    def session_user(self, sid: str | None) -> User | None:
        """The user of a browser session, refreshing its tokens shortly before they expire.
        None when there is no such session or Gatehouse ended it (refresh refused)."""
        if not sid:
            return None
        tokens = self.sessions.get(sid)
        if tokens is None:
            return None
        if tokens.expires_at - REFRESH_MARGIN <= self.clock():
            with self._lock_for(sid):
                tokens = self.sessions.get(sid)
                if tokens is None:
                    return None
                if tokens.expires_at - REFRESH_MARGIN <= self.clock():
                    tokens = self._refresh(sid, tokens)
                    if tokens is None:
                        return None
        try:
            claims = self.verifier.verify(tokens.access_token)
        except UnauthorizedError:
            self.end_session(sid)
            return None
        return User.from_access_token_claims(claims, token=tokens.access_token, picture_url=tokens.picture_url)

    def _refresh(self, sid: str, tokens: SessionTokens) -> SessionTokens | None:
        if not tokens.refresh_token:
            self.sessions.delete(sid)
            return None
        try:
            fresh = self.provider.refresh(tokens.refresh_token)
        except UnauthorizedError:
            self.sessions.delete(sid)
            return None
        except GatehouseUnavailableError:
            # Keep the session; the still-valid (or leeway) token decides.
            return tokens
        updated = SessionTokens(
            access_token=fresh["access_token"],
            expires_at=token_expiry(fresh, self.clock()),
            refresh_token=fresh.get("refresh_token") or tokens.refresh_token,
            id_token=fresh.get("id_token") or tokens.id_token,
            picture_url=tokens.picture_url,
        )
        self.sessions.put(sid, updated)
        return updated

    def end_session(self, sid: str | None) -> str | None:
        """Forgets a browser session; returns its ID token (for the end-session `id_token_hint`)."""
        if not sid:
            return None
        tokens = self.sessions.get(sid)
        self.sessions.delete(sid)
        return tokens.id_token if tokens else None

    def logout_url(self, id_token: str | None, post_logout_redirect_uri: str | None) -> str:
        """Gatehouse's end-session URL: ends the Gatehouse session, then lands on
        `post_logout_redirect_uri` (it must be registered for the client)."""
        return self.provider.end_session_url(id_token, post_logout_redirect_uri)

    # -- backend API --------------------------------------------------------------------------

    def fetch_user(self, user_id: str) -> User | None:
        return self.backend.fetch_user(user_id)

    def create_magic_link(self, email: str, redirect_to_url: str | None = None, expires_in_hours: int = 24) -> str:
        return self.backend.create_magic_link(email, redirect_to_url, expires_in_hours)

    # -- Starlette / FastAPI / Gradio ---------------------------------------------------------

    def protect_app(
        self,
        app: ASGIApp,
        *,
        bypass: Iterable[str] = (),
        after_login: str = "/",
        after_logout: str = "/auth/logged-out",
        https_only: bool | None = None,
    ) -> None:
        """Adds the session middleware, `/auth/login`, `/auth/callback`, `POST /auth/logout` and
        `/auth/logged-out` to a Starlette or FastAPI app, and turns away every request without a
        user, except the `bypass` paths (exact, or a prefix when it ends with `/`): browsers go to
        the login, API-style requests get 401."""
        from .starlette import protect_app

        protect_app(self, app, bypass=bypass, after_login=after_login, after_logout=after_logout, https_only=https_only)

    def get_user(self, request: Any) -> User | None:
        """The user of a Starlette/FastAPI request or a `gr.Request` (None when anonymous)."""
        from .starlette import get_user

        return get_user(self, request)

    def require_user(self, request: Any) -> User:
        """Like `get_user`, but raises UnauthorizedError when there is no user."""
        user = self.get_user(request)
        if user is None:
            raise UnauthorizedError("not logged in")
        return user

    def auth_dependency(self, request: Any) -> str | None:
        """For `gr.mount_gradio_app(..., auth_dependency=auth.auth_dependency)`: the user's email
        (Gradio's `request.username`), or None so Gradio answers 401."""
        user = self.get_user(request)
        return user.email if user else None
