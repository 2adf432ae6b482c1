"""The same API through the unmodified async client (`AsyncAuth`, httpx), which differs from
the sync one only in error mapping (wire spec §9)."""

from __future__ import annotations

import asyncio
import datetime
import secrets
import uuid

import httpx
import pytest
from propelauth_py import init_base_async_auth
from propelauth_py.errors import (
    BadRequestException,
    CreateUserException,
    EndUserApiKeyNotFoundException,
    FeatureGatedException,
    UserNotFoundException,
)

UNKNOWN = str(uuid.uuid4())


def run(coro):
    return asyncio.run(coro)


def test_async_client_end_to_end(server, api_key):
    async def scenario():
        auth = init_base_async_auth(server.url, api_key)
        tag = secrets.token_hex(4)
        email = f"async-{tag}@example.com"
        created = await auth.create_user(
            email=email,
            email_confirmed=True,
            password="hunter22hunter",
            username=f"a{tag}",
        )
        uid = created.user_id
        with pytest.raises(CreateUserException):
            await auth.create_user(email=email)
        assert (await auth.fetch_user_metadata_by_email(email)).user_id == uid
        assert (await auth.fetch_user_metadata_by_username(f"a{tag}")).user_id == uid
        assert await auth.fetch_user_metadata_by_user_id(UNKNOWN) is None
        assert set(await auth.fetch_batch_user_metadata_by_user_ids([uid])) == {uid}
        assert (
            await auth.fetch_users_by_query(email_or_username=f"a{tag}")
        ).total_users == 1
        with pytest.raises(BadRequestException):
            await auth.fetch_users_by_query(page_size=0)
        assert await auth.update_user_metadata(uid, last_name="Async")
        assert await auth.update_user_metadata(UNKNOWN, last_name="x") is False
        assert (await auth.fetch_user_mfa_methods(uid)).mfa_setup is None
        assert await auth.disable_user(uid) and await auth.enable_user(uid)
        assert await auth.logout_all_user_sessions(uid)
        token = (await auth.create_access_token(uid, 5)).access_token
        assert auth.validate_access_token_and_get_user(f"Bearer {token}").user_id == uid
        with pytest.raises(UserNotFoundException):
            await auth.create_access_token(UNKNOWN, 5)
        org = await auth.create_org(name=f"Async Org {tag}")
        assert await auth.add_user_to_org(uid, org.org_id, "Owner")
        assert (await auth.fetch_org(org.org_id))["name"] == org.name
        assert (await auth.fetch_users_in_org(org.org_id)).total_users == 1
        assert (await auth.fetch_org_by_query(name=f"async org {tag}")).total_orgs == 1
        key = await auth.create_api_key(
            user_id=uid, org_id=org.org_id, metadata={"a": 1}
        )
        v = await auth.validate_org_api_key(key.api_key_token)
        assert v.org.org_id == org.org_id
        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        assert (
            await auth.fetch_api_key_usage(today, api_key_id=key.api_key_id)
        ).count == 1
        assert (
            await auth.fetch_current_api_keys(org_id=org.org_id)
        ).total_api_keys == 1
        assert await auth.delete_api_key(key.api_key_id)
        with pytest.raises(EndUserApiKeyNotFoundException):
            await auth.fetch_api_key(
                key.api_key_id.replace(
                    key.api_key_id[0], "0" if key.api_key_id[0] != "0" else "1"
                )
            )
        assert (await auth.create_magic_link(email)).url.startswith(server.url)
        with pytest.raises(BadRequestException):
            await auth.create_magic_link("not an email")
        with pytest.raises(FeatureGatedException):
            await auth.verify_step_up_totp_challenge(
                "a", uid, "123456", "ONE_TIME_USE", 60
            )
        with pytest.raises(httpx.HTTPStatusError):
            await auth.fetch_employee_by_id(UNKNOWN)
        assert await auth.delete_org(org.org_id)
        assert await auth.delete_user(uid)

    run(scenario())


def test_async_client_rejects_a_bad_key(server):
    with pytest.raises(ValueError, match="integration_api_key is incorrect"):
        init_base_async_auth(server.url, "bad-key")
