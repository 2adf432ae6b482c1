"""Local access-token verification: signature against the JWKS, issuer, expiry, audience, and
key rotation (`gatehouse keys rotate`, then a token signed by the new key)."""

from __future__ import annotations

import time

import jwt
import pytest

from gatehouse_auth import GatehouseAuth, UnauthorizedError


def test_verifies_a_token_and_reads_the_user(gatehouse, world):
    auth = GatehouseAuth(issuer=gatehouse.issuer)
    user = auth.validate_access_token(gatehouse.access_token(world.admin.user_id))
    assert user.user_id == world.admin.user_id
    assert user.email == world.admin.email
    assert user.first_name == "Admin" and user.last_name == "Tester"
    assert [o.org_id for o in user.get_orgs()] == [world.org_id]
    assert user.get_org(world.org_id).org_name == world.org_name


def test_refuses_tampered_foreign_and_garbage_tokens(gatehouse, world):
    auth = GatehouseAuth(issuer=gatehouse.issuer)
    token = gatehouse.access_token(world.member.user_id)
    head, body, sig = token.split(".")
    with pytest.raises(UnauthorizedError):
        auth.validate_access_token(".".join([head, body, sig[::-1]]))
    with pytest.raises(UnauthorizedError):
        auth.validate_access_token("not-a-token")
    # The same token, but the app expects another issuer.
    other = GatehouseAuth(issuer=gatehouse.issuer + "/other", http=auth.http)
    other.provider._metadata = auth.provider.metadata  # same keys, other expected `iss`
    with pytest.raises(UnauthorizedError, match="issuer"):
        other.validate_access_token(token)


def test_expired_tokens_are_refused(gatehouse, world):
    now = [time.time()]
    auth = GatehouseAuth(issuer=gatehouse.issuer, clock=lambda: now[0])
    token = gatehouse.access_token(world.member.user_id, minutes=1)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    now[0] = exp + 30  # inside the 60 s leeway
    assert auth.validate_access_token(token).user_id == world.member.user_id
    now[0] = exp + 61
    with pytest.raises(UnauthorizedError, match="expired"):
        auth.validate_access_token(token)


def test_key_rotation_refetches_the_jwks_once(gatehouse, world):
    auth = GatehouseAuth(issuer=gatehouse.issuer)
    old_token = gatehouse.access_token(world.owner.user_id)
    auth.validate_access_token(old_token)
    fetches = auth.verifier.fetch_count
    new_kid = gatehouse.cli("keys", "rotate")["kid"]
    # The server reloads its keys every second in tests (GATEHOUSE_KEY_REFRESH_SECONDS=1): wait
    # until it signs with the new key, bounded.
    deadline = time.monotonic() + 20
    while True:
        token = gatehouse.access_token(world.owner.user_id)
        if jwt.get_unverified_header(token)["kid"] == new_kid:
            break
        assert time.monotonic() < deadline, "the server never signed with the rotated key"
        time.sleep(0.2)
    assert auth.validate_access_token(token).user_id == world.owner.user_id
    assert auth.verifier.fetch_count == fetches + 1, "an unknown kid fetches the JWKS again, once"
    # Tokens signed by the previous key stay valid while it is published; no further fetch.
    assert auth.validate_access_token(old_token).user_id == world.owner.user_id
    assert auth.validate_access_token(token).user_id == world.owner.user_id
    assert auth.verifier.fetch_count == fetches + 1


def test_audience_is_checked_when_present(gatehouse, world):
    # Gatehouse's access tokens carry no `aud`; a token that names another audience must fail.
    # Built with a key we control and served to the verifier as its JWKS.
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": "test-kid", "use": "sig", "alg": "RS256"}
    auth = GatehouseAuth(issuer=gatehouse.issuer, client_id="app-1")
    auth.verifier._keys = {"test-kid": RSAAlgorithm.from_jwk(jwk)}
    claims = {"iss": gatehouse.issuer, "exp": time.time() + 60, "user_id": "u1", "email": "u@example.com"}
    mine = jwt.encode(claims | {"aud": "app-1"}, key, "RS256", headers={"kid": "test-kid"})
    theirs = jwt.encode(claims | {"aud": "app-2"}, key, "RS256", headers={"kid": "test-kid"})
    assert auth.validate_access_token(mine).user_id == "u1"
    with pytest.raises(UnauthorizedError, match="audience"):
        auth.validate_access_token(theirs)
