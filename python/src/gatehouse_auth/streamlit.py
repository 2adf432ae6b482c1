"""Streamlit helpers around `st.login()` / `st.user` / `st.logout()`.

`st.logout()` already sends the browser to Gatehouse's end-session endpoint (so the Gatehouse
session ends too) because Gatehouse's discovery document names one. For orgs, roles and
permissions, `current_user()` reads the access token that Streamlit keeps when `secrets.toml`
has `expose_tokens = ["access"]` (`python -m gatehouse_auth streamlit-secrets` writes it), and
falls back to the backend API (GATEHOUSE_API_KEY) when that token has expired.
"""

from __future__ import annotations

import functools
from typing import Any

import streamlit as st

from .core import GatehouseAuth
from .errors import GatehouseAuthError, UnauthorizedError
from .user import User


@functools.lru_cache(maxsize=1)
def _default_auth() -> GatehouseAuth:
    cfg: dict[str, Any] = {}
    try:
        section = st.secrets.get("auth", {})
        url = section.get("server_metadata_url", "")
        if url.endswith("/.well-known/openid-configuration"):
            cfg["issuer"] = url[: -len("/.well-known/openid-configuration")]
        cfg["client_id"] = section.get("client_id")
        cfg["client_secret"] = section.get("client_secret")
    except (FileNotFoundError, KeyError):
        pass
    return GatehouseAuth(**{k: v for k, v in cfg.items() if v})


def _tokens() -> dict[str, str]:
    try:
        return dict(st.user.tokens)
    except (AttributeError, KeyError, st.errors.StreamlitAPIException):
        return {}


def current_user(auth: GatehouseAuth | None = None) -> User | None:
    """The logged-in user with orgs, roles and permissions, or None when nobody is logged in."""
    if not st.user.is_logged_in:
        return None
    auth = auth or _default_auth()
    access = _tokens().get("access")
    picture = st.user.get("picture")
    if access:
        try:
            user = auth.validate_access_token(access)
            return User(**{**user.__dict__, "picture_url": picture})
        except UnauthorizedError:
            pass  # expired (Streamlit does not refresh): ask the backend API below
    sub = str(st.user.get("sub", ""))
    if auth.config.api_key and sub:
        try:
            fetched = auth.fetch_user(sub)
        except GatehouseAuthError:
            fetched = None
        if fetched is not None:
            return fetched
    return User.from_id_token_claims(dict(st.user.to_dict()))


def require_login(auth: GatehouseAuth | None = None, label: str = "Log in with Gatehouse") -> User:
    """Shows a login button and stops the script when nobody is logged in; returns the user."""
    if not st.user.is_logged_in:
        st.button(label, on_click=st.login, type="primary")
        st.stop()
    user = current_user(auth)
    if user is None:  # pragma: no cover - is_logged_in was true a moment ago
        st.stop()
        raise RuntimeError("unreachable: st.stop() ends the script run")
    return user


def logout() -> None:
    """Ends the Streamlit session and Gatehouse's (st.logout goes through the end-session endpoint)."""
    st.logout()


def logout_button(label: str = "Log out") -> None:
    st.button(label, on_click=logout)


def secrets_toml(
    issuer: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str = "http://localhost:8501/oauth2callback",
    cookie_secret: str | None = None,
    prompt_login: bool = False,
) -> str:
    """The `.streamlit/secrets.toml` for `st.login()` against Gatehouse (re-exported from
    `gatehouse_auth.secrets_toml` so the CLI needs no Streamlit)."""
    from .secrets_toml import streamlit_secrets

    return streamlit_secrets(issuer, client_id, client_secret, redirect_uri, cookie_secret, prompt_login)
