"""Every §7.1–7.3 and §7.5 method of the unmodified, synchronous propelauth-py 4.4.0 `Auth`,
against Gatehouse reached as https://propelauth-api.com (set-up 2), success and error paths."""

from __future__ import annotations

import re
import secrets
import uuid

import argon2
import bcrypt
import pytest
import requests
from propelauth_py import init_base_auth
from propelauth_py.errors import (
    BadRequestException,
    CreateUserException,
    EndUserApiKeyException,
    EndUserApiKeyNotFoundException,
    FeatureGatedException,
    UnauthorizedException,
    UpdateUserEmailException,
    UpdateUserMetadataException,
    UpdateUserPasswordException,
    UserNotFoundException,
)

UNKNOWN = str(uuid.uuid4())


def hosted_login(server, email: str, password: str) -> int:
    """Logs in through the hosted login form; returns the status of the form POST."""
    s = requests.Session()
    page = s.get(f"{server.url}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    token = token.replace("&#x2d;", "-").replace("&#x5f;", "_").replace("&amp;", "&")
    res = s.post(
        f"{server.url}/login",
        data={"csrf_token": token, "email": email, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    return res.status_code


def test_startup_fetches_the_verifier_key_and_rejects_a_bad_key(server):
    with pytest.raises(ValueError, match="integration_api_key is incorrect"):
        init_base_auth(server.url, "not-a-key")
    revoked = server.cli("api-key", "create", "--name", "to-revoke")
    server.cli("api-key", "revoke", "--id", revoked["api_key_id"])
    with pytest.raises(ValueError, match="integration_api_key is incorrect"):
        init_base_auth(server.url, revoked["api_key"])
    listed = server.cli("api-key", "list")["api_keys"]
    assert any(
        k["api_key_id"] == revoked["api_key_id"] and k["revoked_at"] for k in listed
    )


def test_user_reads(auth, make_user):
    user_id, email, username = make_user(properties={"favorite": "blue"})
    u = auth.fetch_user_metadata_by_user_id(user_id, include_orgs=True)
    assert (u.email, u.username, u.first_name, u.email_confirmed, u.has_password) == (
        email,
        username,
        "Una",
        True,
        True,
    )
    assert u.properties == {"favorite": "blue"} and u.org_id_to_org_info == {}
    assert auth.fetch_user_metadata_by_email(email).user_id == user_id
    assert auth.fetch_user_metadata_by_username(username).user_id == user_id
    assert auth.fetch_user_metadata_by_user_id(UNKNOWN) is None
    assert auth.fetch_user_metadata_by_email("nobody@example.com") is None
    assert auth.fetch_user_metadata_by_username("nobody-at-all") is None
    assert (
        auth.fetch_user_signup_query_params_by_user_id(
            user_id
        ).user_signup_query_parameters
        == {}
    )
    assert auth.fetch_user_signup_query_params_by_user_id(UNKNOWN) is None
    assert set(auth.fetch_batch_user_metadata_by_user_ids([user_id, UNKNOWN])) == {
        user_id
    }
    assert set(auth.fetch_batch_user_metadata_by_emails([email])) == {email}
    assert set(
        auth.fetch_batch_user_metadata_by_usernames([username], include_orgs=True)
    ) == {username}
    page = auth.fetch_users_by_query(
        page_size=5, email_or_username=username, include_orgs=True
    )
    assert page.total_users == 1 and page.users[0].user_id == user_id
    assert auth.fetch_users_by_query(order_by="EMAIL").total_users >= 1
    with pytest.raises(ValueError, match="Bad request"):
        auth.fetch_users_by_query(page_size=0)
    assert auth.fetch_user_mfa_methods(user_id).mfa_setup is None
    assert auth.fetch_user_mfa_methods(UNKNOWN) is None


def test_user_creation_errors(auth, make_user):
    _, email, username = make_user()
    with pytest.raises(CreateUserException) as e:
        auth.create_user(email=email)
    assert e.value.field_to_errors == {"email": ["Email already in use"]}
    with pytest.raises(CreateUserException) as e:
        auth.create_user(
            email=f"x-{secrets.token_hex(3)}@example.com", password="short"
        )
    assert "password" in e.value.field_to_errors


def test_user_mutations(server, auth, make_user):
    user_id, email, _ = make_user()
    other_id, other_email, _ = make_user()
    assert auth.update_user_metadata(
        user_id,
        first_name="Al",
        metadata={"x": 1},
        properties={"y": 2},
        picture_url="https://p.example/x.png",
        legacy_user_id="L1",
    )
    u = auth.fetch_user_metadata_by_user_id(user_id)
    assert (u.first_name, u.metadata, u.properties, u.legacy_user_id) == (
        "Al",
        {"x": 1},
        {"y": 2},
        "L1",
    )
    assert auth.fetch_users_by_query(legacy_user_id="L1").users[0].user_id == user_id
    assert auth.update_user_metadata(UNKNOWN, first_name="x") is False
    with pytest.raises(UpdateUserMetadataException):
        auth.update_user_metadata(user_id, metadata="not an object")
    with pytest.raises(UpdateUserEmailException):
        auth.update_user_email(user_id, other_email, require_email_confirmation=False)
    new_email = f"renamed-{secrets.token_hex(3)}@example.com"
    assert auth.update_user_email(user_id, new_email, require_email_confirmation=False)
    assert auth.update_user_email(UNKNOWN, new_email, False) is False
    assert auth.update_user_password(user_id, "a brand new password")
    assert hosted_login(server, new_email, "a brand new password") == 303
    with pytest.raises(UpdateUserPasswordException):
        auth.update_user_password(user_id, "short")
    assert auth.update_user_password(UNKNOWN, "whatever whatever") is False
    assert auth.clear_user_password(user_id)
    assert auth.fetch_user_metadata_by_user_id(user_id).has_password is False
    assert auth.clear_user_password(UNKNOWN) is False
    assert (
        auth.disable_user(other_id)
        and auth.fetch_user_metadata_by_user_id(other_id).enabled is False
    )
    assert (
        auth.enable_user(other_id)
        and auth.fetch_user_metadata_by_user_id(other_id).enabled is True
    )
    assert auth.disable_user(UNKNOWN) is False and auth.enable_user(UNKNOWN) is False
    assert auth.disable_user_can_create_orgs(other_id)
    assert auth.fetch_user_metadata_by_user_id(other_id).can_create_orgs is False
    assert auth.enable_user_can_create_orgs(other_id)
    assert (
        auth.enable_user_can_create_orgs(UNKNOWN) is False
        and auth.disable_user_can_create_orgs(UNKNOWN) is False
    )
    assert auth.disable_user_2fa(other_id) and auth.disable_user_2fa(UNKNOWN) is False
    assert (
        auth.logout_all_user_sessions(other_id)
        and auth.logout_all_user_sessions(UNKNOWN) is False
    )
    with pytest.raises(ValueError, match="already confirmed"):
        auth.resend_email_confirmation(other_id)
    assert auth.resend_email_confirmation(UNKNOWN) is False
    assert auth.delete_user(other_id)
    assert auth.delete_user(other_id) is False
    assert auth.fetch_user_metadata_by_user_id(other_id) is None


def test_access_tokens_validate_with_the_sdk(server, auth, make_user):
    user_id, email, _ = make_user(properties={"favorite": "blue"})
    token = auth.create_access_token(user_id, 10).access_token
    user = auth.validate_access_token_and_get_user(f"Bearer {token}")
    assert (user.user_id, user.email, user.properties) == (
        user_id,
        email,
        {"favorite": "blue"},
    )
    assert type(user.login_method).__name__ == "GeneratedFromBackendApiLoginMethod"
    with pytest.raises(UnauthorizedException):
        auth.validate_access_token_and_get_user(f"Bearer {token}x")
    with pytest.raises(UserNotFoundException):
        auth.create_access_token(UNKNOWN, 10)
    with pytest.raises(BadRequestException):
        auth.create_access_token(user_id, 0)


def test_migrating_users_with_bcrypt_and_argon2_hashes(server, auth):
    for kind, hashed in [
        (
            "bcrypt",
            bcrypt.hashpw(b"old system password", bcrypt.gensalt(rounds=4)).decode(),
        ),
        (
            "argon2",
            argon2.PasswordHasher(time_cost=1, memory_cost=8192).hash(
                "old system password"
            ),
        ),
    ]:
        email = f"migrated-{kind}-{secrets.token_hex(3)}@example.com"
        created = auth.migrate_user_from_external_source(
            email=email,
            email_confirmed=True,
            existing_user_id=f"old-{kind}",
            existing_password_hash=hashed,
            first_name="Mig",
            properties={"k": kind},
        )
        u = auth.fetch_user_metadata_by_user_id(created.user_id)
        assert (u.legacy_user_id, u.has_password, u.properties) == (
            f"old-{kind}",
            True,
            {"k": kind},
        )
        assert hosted_login(server, email, "wrong password") != 303
        assert hosted_login(server, email, "old system password") == 303
        assert hosted_login(server, email, "old system password") == 303, (
            "still works after the argon2id upgrade"
        )
    with pytest.raises(BadRequestException) as e:
        auth.migrate_user_from_external_source(
            email=f"bad-{secrets.token_hex(3)}@example.com",
            email_confirmed=True,
            existing_password_hash="md5$abc",
        )
    assert "existing_password_hash" in e.value.field_to_errors
    # migrate_user_password on an existing user.
    email = f"mp-{secrets.token_hex(3)}@example.com"
    uid = auth.migrate_user_from_external_source(
        email=email, email_confirmed=True
    ).user_id
    assert auth.fetch_user_metadata_by_user_id(uid).has_password is False
    auth.migrate_user_password(
        uid, bcrypt.hashpw(b"second password", bcrypt.gensalt(rounds=4)).decode()
    )
    assert hosted_login(server, email, "second password") == 303
    with pytest.raises(BadRequestException):
        auth.migrate_user_password(uid, "plain-text")
    # An imported TOTP secret: the SDK then reports TOTP, and disable_user_2fa resets it.
    mfa_user = auth.migrate_user_from_external_source(
        email=f"totp-{secrets.token_hex(3)}@example.com",
        email_confirmed=True,
        existing_mfa_base32_encoded_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    ).user_id
    assert auth.fetch_user_mfa_methods(mfa_user).is_totp()
    assert auth.disable_user_2fa(mfa_user) is True
    assert auth.fetch_user_mfa_methods(mfa_user).mfa_setup is None
    with pytest.raises(BadRequestException) as e:
        auth.migrate_user_from_external_source(
            email=f"bad-totp-{secrets.token_hex(3)}@example.com",
            email_confirmed=True,
            existing_mfa_base32_encoded_secret="not base32!",
        )
    assert "existing_mfa_base32_encoded_secret" in e.value.field_to_errors


def test_organizations(auth, make_user):
    owner, _, _ = make_user()
    member, member_email, _ = make_user()
    org = auth.create_org(
        name=f"Acme {secrets.token_hex(3)}",
        domain="example.com",
        max_users=10,
        legacy_org_id="LO1",
    )
    o = auth.fetch_org(org.org_id)
    assert (o["name"], o["domain"], o["max_users"]) == (org.name, "example.com", 10)
    assert auth.fetch_org(UNKNOWN) is None
    assert (
        auth.fetch_org_by_query(name=org.name.lower(), order_by="NAME").total_orgs == 1
    )
    with pytest.raises(BadRequestException):
        auth.create_org(name="")
    assert auth.update_org_metadata(
        org.org_id,
        metadata={"a": 1},
        can_join_on_email_domain_match=True,
        extra_domains=["example.io"],
        require_2fa_by="2030-01-01T00:00:00Z",
    )
    assert auth.fetch_org(org.org_id)["metadata"] == {"a": 1}
    assert auth.update_org_metadata(UNKNOWN, name="x") is False
    with pytest.raises(UpdateUserMetadataException):
        auth.update_org_metadata(org.org_id, max_users=0)
    assert auth.subscribe_org_to_role_mapping(org.org_id, "Default")
    with pytest.raises(UpdateUserMetadataException):
        auth.subscribe_org_to_role_mapping(org.org_id, "No Such Mapping")
    mappings = auth.fetch_custom_role_mappings().custom_role_mappings
    assert any(m.custom_role_mapping_name == "Default" for m in mappings)
    assert auth.add_user_to_org(owner, org.org_id, "Owner")
    assert auth.add_user_to_org(member, org.org_id, "Member")
    assert auth.add_user_to_org(UNKNOWN, org.org_id, "Member") is False
    with pytest.raises(BadRequestException):
        auth.add_user_to_org(member, org.org_id, "Member")
    assert auth.change_user_role_in_org(member, org.org_id, "Admin")
    with pytest.raises(BadRequestException):
        auth.change_user_role_in_org(member, org.org_id, "Emperor")
    page = auth.fetch_users_in_org(org.org_id, include_orgs=True, role="Admin")
    assert [u.user_id for u in page.users] == [member]
    info = page.users[0].org_id_to_org_info[org.org_id]
    assert (
        info.user_is_role("Admin")
        and info.user_is_at_least_role("Member")
        and not info.user_is_at_least_role("Owner")
    )
    token = auth.create_access_token(member, 5).access_token
    user = auth.validate_access_token_and_get_user_with_org_by_minimum_role(
        f"Bearer {token}", org.org_id, "Member"
    )
    assert user.org_member_info.user_assigned_role == "Admin"
    token = auth.create_access_token(member, 5, active_org_id=org.org_id).access_token
    assert (
        auth.validate_access_token_and_get_user(f"Bearer {token}").active_org_id
        == org.org_id
    )
    assert auth.invite_user_to_org(
        f"inv-{secrets.token_hex(3)}@example.com", org.org_id, "Member"
    )
    outsider, _, _ = make_user()
    assert auth.invite_user_to_org_by_user_id(outsider, org.org_id, "Member")
    assert auth.invite_user_to_org("x@example.com", UNKNOWN, "Member") is False
    invites = auth.fetch_pending_invites(org_id=org.org_id)
    assert invites.total_invites == 2 and invites.invites[0].org_name == org.name
    assert (
        auth.revoke_pending_org_invite(org.org_id, invites.invites[0].invitee_email)
        == {}
    )
    assert auth.fetch_pending_invites(org_id=org.org_id).total_invites == 1
    with pytest.raises(BadRequestException):
        auth.revoke_pending_org_invite(org.org_id, "never-invited@example.com")
    assert auth.remove_user_from_org(member, org.org_id)
    assert auth.remove_user_from_org(member, org.org_id) is False
    assert (
        auth.allow_org_to_setup_saml_connection(org.org_id)
        and auth.fetch_org(org.org_id)["can_setup_saml"] is True
    )
    assert auth.disallow_org_to_setup_saml_connection(org.org_id)
    assert auth.delete_org(org.org_id) and auth.delete_org(org.org_id) is False


def test_end_user_api_keys(auth, make_user):
    user_id, email, _ = make_user()
    personal = auth.create_api_key(
        user_id=user_id, metadata={"m": 1}, display_name="k1"
    )
    assert len(personal.api_key_id) == 32
    v = auth.validate_api_key(f"Bearer {personal.api_key_token}")
    assert (v.metadata, v.user.user_id, v.org) == ({"m": 1}, user_id, None)
    assert auth.validate_personal_api_key(personal.api_key_token).user.email == email
    with pytest.raises(EndUserApiKeyException):
        auth.validate_org_api_key(personal.api_key_token)
    with pytest.raises(EndUserApiKeyNotFoundException):
        auth.validate_api_key("definitely-not-a-key")
    org = auth.create_org(name=f"Keys {secrets.token_hex(3)}")
    auth.add_user_to_org(user_id, org.org_id, "Owner")
    org_key = auth.create_api_key(org_id=org.org_id, user_id=user_id)
    ov = auth.validate_org_api_key(org_key.api_key_token)
    assert ov.org.org_name == org.name and ov.user_in_org.user_assigned_role == "Owner"
    with pytest.raises(EndUserApiKeyException):
        auth.create_api_key(org_id=UNKNOWN)
    assert auth.fetch_api_key(personal.api_key_id).display_name == "k1"
    with pytest.raises(EndUserApiKeyNotFoundException):
        auth.fetch_api_key("0123456789abcdef0123456789abcdef")
    page = auth.fetch_current_api_keys(
        user_email=email, api_key_type="personal", page_size=5
    )
    assert [k.api_key_id for k in page.api_keys] == [personal.api_key_id]
    assert auth.fetch_current_api_keys(org_id=org.org_id).total_api_keys == 1
    assert auth.update_api_key(
        personal.api_key_id, metadata={"m": 2}, expires_at_seconds=4102444800
    )
    assert auth.fetch_api_key(personal.api_key_id).expires_at_seconds == 4102444800
    assert auth.update_api_key(personal.api_key_id, set_to_never_expire=True)
    assert auth.fetch_api_key(personal.api_key_id).expires_at_seconds is None
    with pytest.raises(EndUserApiKeyNotFoundException):
        auth.update_api_key("0123456789abcdef0123456789abcdef", metadata={"m": 3})
    with pytest.raises(EndUserApiKeyException):
        auth.update_api_key(personal.api_key_id, expires_at_seconds=1)
    assert auth.delete_api_key(personal.api_key_id)
    with pytest.raises(EndUserApiKeyNotFoundException):
        auth.delete_api_key(personal.api_key_id)
    with pytest.raises(EndUserApiKeyNotFoundException):
        auth.validate_api_key(personal.api_key_token)
    assert personal.api_key_id in [
        k.api_key_id for k in auth.fetch_archived_api_keys(user_id=user_id).api_keys
    ]
    imported = auth.import_api_key(
        f"legacy-{secrets.token_hex(8)}", user_id=user_id, metadata={"src": "old"}
    )
    token = [k for k in [imported]][0]
    assert token.api_key_id
    with pytest.raises(EndUserApiKeyException):
        auth.import_api_key("short", user_id=user_id)


def test_imported_keys_validate_only_as_imported(auth, make_user):
    user_id, _, _ = make_user()
    raw = f"legacy-{secrets.token_hex(8)}"
    auth.import_api_key(raw, user_id=user_id)
    assert auth.validate_imported_api_key(raw).user.user_id == user_id
    with pytest.raises(EndUserApiKeyNotFoundException):
        auth.validate_api_key(raw)


def test_magic_links(server, auth, make_user):
    _, email, _ = make_user()
    url = auth.create_magic_link(
        email,
        redirect_to_url="https://app.example/after",
        expires_in_hours=4,
        create_new_user_if_one_doesnt_exist=False,
        expire_after_first_use=True,
    ).url
    assert url.startswith(server.url + "/")
    assert requests.get(url, allow_redirects=False, timeout=10).status_code in (
        200,
        302,
        303,
    )
    new_email = f"ml-{secrets.token_hex(3)}@example.com"
    new_url = auth.create_magic_link(
        new_email, user_signup_query_parameters={"utm": "a"}
    ).url
    assert new_url.startswith(server.url)
    assert auth.fetch_user_metadata_by_email(new_email) is None, (
        "the link creates its user when used"
    )
    assert requests.get(new_url, allow_redirects=False, timeout=10).status_code == 303
    new_user = auth.fetch_user_metadata_by_email(new_email)
    assert auth.fetch_user_signup_query_params_by_user_id(
        new_user.user_id
    ).user_signup_query_parameters == {"utm": "a"}
    with pytest.raises(BadRequestException) as e:
        auth.create_magic_link(new_email, user_signup_query_parameters={"utm": 1})
    assert "user_signup_query_parameters" in e.value.field_to_errors
    with pytest.raises(BadRequestException) as e:
        auth.create_magic_link(
            f"nobody-{secrets.token_hex(3)}@example.com",
            create_new_user_if_one_doesnt_exist=False,
        )
    assert "email" in e.value.field_to_errors
    with pytest.raises(BadRequestException):
        auth.create_magic_link(email, expires_in_hours=100000)


def test_features_not_offered_raise_clear_errors(auth, make_user):
    user_id, email, _ = make_user()
    with pytest.raises(FeatureGatedException):
        auth.verify_step_up_totp_challenge(
            "delete", user_id, "123456", "ONE_TIME_USE", 300
        )
    with pytest.raises(ValueError, match="not available in Gatehouse"):
        auth.fetch_user_oauth_tokens(user_id)
    with pytest.raises(RuntimeError):
        auth.fetch_employee_by_id(UNKNOWN)
    with pytest.raises(BadRequestException):
        auth.set_saml_idp_metadata(
            UNKNOWN,
            __import__("propelauth_py").SamlIdpMetadata(
                "e", "https://sso", "cert", "Okta"
            ),
        )
