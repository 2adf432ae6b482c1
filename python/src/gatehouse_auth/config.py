"""Settings for one app registered with Gatehouse: from arguments, else from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import ConfigError

ENV_ISSUER = "GATEHOUSE_ISSUER"
ENV_CLIENT_ID = "GATEHOUSE_CLIENT_ID"
ENV_CLIENT_SECRET = "GATEHOUSE_CLIENT_SECRET"
ENV_API_KEY = "GATEHOUSE_API_KEY"
ENV_APP_URL = "GATEHOUSE_APP_URL"
ENV_SESSION_SECRET = "GATEHOUSE_SESSION_SECRET"

DEFAULT_SCOPE = "openid email profile offline_access"


@dataclass(frozen=True)
class Config:
    """What the package needs to know about Gatehouse and about the app.

    `issuer` is Gatehouse's public URL (its discovery document lives at
    `<issuer>/.well-known/openid-configuration`). `client_id` / `client_secret` come from
    `gatehouse client create`; `api_key` (from `gatehouse api-key create`) is only needed for
    end-user API keys and backend API calls. `app_url` is the app's public base URL when it runs
    behind a proxy (otherwise the request's own URL is used to build the redirect URI).
    """

    issuer: str
    client_id: str | None = None
    client_secret: str | None = None
    api_key: str | None = None
    app_url: str | None = None
    session_secret: str | None = None
    scope: str = DEFAULT_SCOPE

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"


def _pick(value: str | None, env: str) -> str | None:
    if value is not None and value != "":
        return value
    found = os.environ.get(env, "").strip()
    return found or None


def load_config(
    issuer: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    api_key: str | None = None,
    app_url: str | None = None,
    session_secret: str | None = None,
    scope: str | None = None,
) -> Config:
    """Arguments win; each missing one falls back to its GATEHOUSE_* environment variable."""
    iss = _pick(issuer, ENV_ISSUER)
    if iss is None:
        raise ConfigError(f"no issuer: pass issuer=... or set {ENV_ISSUER} (e.g. http://localhost:8080)")
    if not iss.startswith(("http://", "https://")):
        raise ConfigError(f"issuer must start with http:// or https://, got {iss!r}")
    app = _pick(app_url, ENV_APP_URL)
    return Config(
        issuer=iss.rstrip("/"),
        client_id=_pick(client_id, ENV_CLIENT_ID),
        client_secret=_pick(client_secret, ENV_CLIENT_SECRET),
        api_key=_pick(api_key, ENV_API_KEY),
        app_url=app.rstrip("/") if app else None,
        session_secret=_pick(session_secret, ENV_SESSION_SECRET),
        scope=scope or DEFAULT_SCOPE,
    )
