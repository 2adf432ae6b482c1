"""Local verification of Gatehouse access tokens against its JWKS (cached; fetched again when
a token names a key id the cache does not know, e.g. after `gatehouse keys rotate`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import jwt
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from .config import Config
from .errors import GatehouseUnavailableError, UnauthorizedError

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384"]


class TokenVerifier:
    """Checks signature (kid from the JWKS), `iss`, `exp` (with `leeway` seconds), and `aud`
    when the token has one (it must name this app's client id)."""

    def __init__(
        self,
        config: Config,
        http: httpx.Client,
        jwks_uri: Callable[[], str],
        clock: Callable[[], float],
        leeway: float = 60.0,
    ) -> None:
        self.config = config
        self.http = http
        self._jwks_uri = jwks_uri
        self.clock = clock
        self.leeway = leeway
        self._keys: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.fetch_count = 0

    def _fetch(self) -> None:
        uri = self._jwks_uri()
        try:
            resp = self.http.get(uri)
        except httpx.HTTPError as exc:
            raise GatehouseUnavailableError(f"could not fetch the JWKS at {uri}: {exc}") from exc
        if resp.status_code != 200:
            raise GatehouseUnavailableError(f"the JWKS at {uri} answered {resp.status_code}")
        keys: dict[str, Any] = {}
        for jwk in resp.json().get("keys", []):
            kid = jwk.get("kid")
            if not kid or jwk.get("use", "sig") != "sig":
                continue
            if jwk.get("kty") == "RSA":
                keys[kid] = RSAAlgorithm.from_jwk(json.dumps(jwk))
            elif jwk.get("kty") == "EC":
                keys[kid] = ECAlgorithm.from_jwk(json.dumps(jwk))
        self._keys = keys
        self.fetch_count += 1

    def _key(self, kid: str) -> Any:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            if kid not in self._keys:
                self._fetch()
        key = self._keys.get(kid)
        if key is None:
            raise UnauthorizedError(f"the token was signed by an unknown key ({kid})")
        return key

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims when it is a valid access token from this issuer; else
        UnauthorizedError (GatehouseUnavailableError when the JWKS can't be fetched)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise UnauthorizedError(f"not a JWT: {exc}") from exc
        kid = header.get("kid")
        if not isinstance(kid, str) or header.get("alg") not in ALGORITHMS:
            raise UnauthorizedError("the token has no kid or an unsupported alg")
        key = self._key(kid)
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            audience = self.config.client_id if "aud" in unverified else None
            claims = jwt.decode(
                token,
                key,
                algorithms=[header["alg"]],
                issuer=self.config.issuer,
                audience=audience,
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_aud": audience is not None,
                    "require": ["iss", "exp"],
                },
            )
        except jwt.InvalidAudienceError as exc:
            raise UnauthorizedError(f"the token is for another audience: {exc}") from exc
        except jwt.PyJWTError as exc:
            raise UnauthorizedError(f"invalid token: {exc}") from exc
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp + self.leeway < self.clock():
            raise UnauthorizedError("the token has expired")
        return claims
