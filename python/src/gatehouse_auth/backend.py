"""The few Gatehouse backend API calls the package makes (`<issuer>/api/backend/v1/...`,
authenticated with an integration API key from `gatehouse api-key create`)."""

from __future__ import annotations

from typing import Any

import httpx

from .config import Config
from .errors import ConfigError, GatehouseUnavailableError, UnauthorizedError
from .user import OrgMemberInfo, User


class BackendApi:
    def __init__(self, config: Config, http: httpx.Client) -> None:
        self.config = config
        self.http = http

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self.config.api_key:
            raise ConfigError("no api_key configured (GATEHOUSE_API_KEY): backend API calls need one")
        url = f"{self.config.issuer}/api/backend/v1{path}"
        headers = {"Authorization": f"Bearer {self.config.api_key}"}
        try:
            resp = self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise GatehouseUnavailableError(f"backend API unreachable: {exc}") from exc
        if resp.status_code == 401:
            raise GatehouseUnavailableError("the backend API refused the integration API key (401)")
        return resp

    def validate_end_user_api_key(self, api_key: str) -> User:
        """The user an end-user API key belongs to (with their orgs); UnauthorizedError when the
        key is unknown, expired or archived, or belongs to an org rather than a user."""
        resp = self._call("POST", "/end_user_api_keys/validate", json={"api_key_token": api_key})
        if resp.status_code in (400, 404):
            raise UnauthorizedError("invalid API key")
        if resp.status_code != 200:
            raise GatehouseUnavailableError(f"API key validation answered {resp.status_code}")
        body = resp.json()
        data = body.get("user")
        if not data:
            raise UnauthorizedError("the API key belongs to an organization, not a user")
        user = User.from_backend_user(data)
        in_org = body.get("user_in_org")
        if in_org and not user.org_id_to_org_member_info:
            info = OrgMemberInfo.from_claim(in_org)
            user = User(**{**user.__dict__, "org_id_to_org_member_info": {info.org_id: info}})
        return user

    def fetch_user(self, user_id: str) -> User | None:
        """The user with their orgs, or None when there is no such user."""
        resp = self._call("GET", f"/user/{user_id}", params={"include_orgs": "true"})
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise GatehouseUnavailableError(f"fetching the user answered {resp.status_code}")
        return User.from_backend_user(resp.json())

    def create_magic_link(self, email: str, redirect_to_url: str | None = None, expires_in_hours: int = 24) -> str:
        """A one-time login link for `email` (PropelAuth's `create_magic_link`)."""
        body: dict[str, Any] = {"email": email, "expires_in_hours": expires_in_hours}
        if redirect_to_url:
            body["redirect_to_url"] = redirect_to_url
        resp = self._call("POST", "/magic_link", json=body)
        if resp.status_code != 200:
            raise GatehouseUnavailableError(f"create_magic_link answered {resp.status_code}: {resp.text[:200]}")
        return str(resp.json()["url"])
