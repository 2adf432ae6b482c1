"""Talking to Gatehouse as an OpenID provider: discovery, the token endpoint (refresh) and the
end-session URL. Synchronous httpx; async callers run these in a worker thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from .config import Config
from .errors import GatehouseUnavailableError, UnauthorizedError

Clock = Callable[[], float]


class Provider:
    """The discovery document (fetched once, on first use) and the calls built on it."""

    def __init__(self, config: Config, http: httpx.Client) -> None:
        self.config = config
        self.http = http
        self._metadata: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            with self._lock:
                if self._metadata is None:
                    self._metadata = self._fetch_metadata()
        return self._metadata

    def _fetch_metadata(self) -> dict[str, Any]:
        url = self.config.discovery_url
        try:
            resp = self.http.get(url)
        except httpx.HTTPError as exc:
            raise GatehouseUnavailableError(f"could not fetch {url}: {exc}") from exc
        if resp.status_code != 200:
            raise GatehouseUnavailableError(f"{url} answered {resp.status_code}")
        doc: dict[str, Any] = resp.json()
        if doc.get("issuer") != self.config.issuer:
            raise GatehouseUnavailableError(
                f"the discovery document's issuer {doc.get('issuer')!r} is not the configured issuer "
                f"{self.config.issuer!r}: set GATEHOUSE_ISSUER to exactly Gatehouse's issuer"
            )
        return doc

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Exchanges a refresh token for new tokens (Gatehouse rotates the refresh token).
        Raises UnauthorizedError when the grant is gone (revoked, expired, reused)."""
        if not self.config.client_id:
            raise UnauthorizedError("no client_id configured: cannot refresh")
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        auth = (self.config.client_id, self.config.client_secret or "")
        if not self.config.client_secret:
            data["client_id"] = self.config.client_id
            auth = None  # type: ignore[assignment]
        try:
            resp = self.http.post(self.metadata["token_endpoint"], data=data, auth=auth)
        except httpx.HTTPError as exc:
            raise GatehouseUnavailableError(f"token endpoint unreachable: {exc}") from exc
        if resp.status_code == 200:
            tokens: dict[str, Any] = resp.json()
            return tokens
        if resp.status_code in (400, 401):
            raise UnauthorizedError(f"refresh refused: {resp.json().get('error', resp.status_code)}")
        raise GatehouseUnavailableError(f"token endpoint answered {resp.status_code}")

    def end_session_url(self, id_token_hint: str | None, post_logout_redirect_uri: str | None) -> str:
        """Where to send the browser so Gatehouse ends its own session too (RP-initiated logout)."""
        params: dict[str, str] = {}
        if id_token_hint:
            params["id_token_hint"] = id_token_hint
        if self.config.client_id:
            params["client_id"] = self.config.client_id
        if post_logout_redirect_uri:
            params["post_logout_redirect_uri"] = post_logout_redirect_uri
        endpoint = self.metadata.get("end_session_endpoint") or (self.config.issuer + "/logout")
        return endpoint + ("?" + urlencode(params) if params else "")


def token_expiry(tokens: dict[str, Any], now: float) -> float:
    """When a token response's access token expires (authlib's `expires_at` or `expires_in`)."""
    if "expires_at" in tokens:
        return float(tokens["expires_at"])
    return now + float(tokens.get("expires_in", 0))


def system_clock() -> float:
    return time.time()
