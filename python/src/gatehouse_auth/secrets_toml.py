"""The Streamlit `secrets.toml` for Gatehouse (no Streamlit import needed)."""

from __future__ import annotations

import json
import secrets as _random


def _toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def streamlit_secrets(
    issuer: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str = "http://localhost:8501/oauth2callback",
    cookie_secret: str | None = None,
    prompt_login: bool = False,
) -> str:
    kwargs = '{ scope = "openid email profile"' + (', prompt = "login"' if prompt_login else "") + " }"
    lines = [
        "[auth]",
        f"redirect_uri = {_toml(redirect_uri)}",
        f"cookie_secret = {_toml(cookie_secret or _random.token_urlsafe(32))}",
        f"client_id = {_toml(client_id)}",
        f"client_secret = {_toml(client_secret)}",
        f"server_metadata_url = {_toml(issuer.rstrip('/') + '/.well-known/openid-configuration')}",
        '# "access" lets gatehouse_auth.streamlit.current_user() read orgs, roles and permissions',
        'expose_tokens = ["id", "access"]',
        f"client_kwargs = {kwargs}",
        "",
    ]
    return "\n".join(lines)
