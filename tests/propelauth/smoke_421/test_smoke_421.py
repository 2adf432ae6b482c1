"""The smoke path with the older SDK (propelauth-py 4.2.1, set-up 3)."""

from __future__ import annotations

import secrets
import uuid
from importlib.metadata import version

import pytest
from propelauth_py import init_base_auth
from propelauth_py.errors import (
    CreateUserException,
    EndUserApiKeyNotFoundException,
    UserNotFoundException,
)


def test_sdk_version_is_421():
    assert version("propelauth-py") == "4.2.1"


def test_smoke(server):
    key = server.integration_key()
    with pytest.raises(ValueError):
        init_base_auth(server.url, "bad-key")
    auth = init_base_auth(server.url, key)
    tag = secrets.token_hex(4)
    email = f"old-{tag}@example.com"
    uid = auth.create_user(
        email=email, email_confirmed=True, password="hunter22hunter", username=f"o{tag}"
    ).user_id
    with pytest.raises(CreateUserException):
        auth.create_user(email=email)
    assert auth.fetch_user_metadata_by_email(email).user_id == uid
    assert auth.fetch_user_metadata_by_user_id(str(uuid.uuid4())) is None
    assert auth.update_user_metadata(uid, first_name="Old")
    org = auth.create_org(name=f"Old SDK {tag}")
    assert auth.add_user_to_org(uid, org.org_id, "Owner")
    token = auth.create_access_token(uid, 5).access_token
    user = auth.validate_access_token_and_get_user(f"Bearer {token}")
    assert user.user_id == uid and org.org_id in user.org_id_to_org_member_info
    with pytest.raises(UserNotFoundException):
        auth.create_access_token(str(uuid.uuid4()), 5)
    api_key = auth.create_api_key(user_id=uid)
    assert auth.validate_personal_api_key(api_key.api_key_token).user.user_id == uid
    assert auth.delete_api_key(api_key.api_key_id)
    with pytest.raises(EndUserApiKeyNotFoundException):
        auth.validate_api_key(api_key.api_key_token)
    assert auth.logout_all_user_sessions(uid)
    assert auth.delete_org(org.org_id) and auth.delete_user(uid)
