"""`gatehouse_auth.streamlit.current_user`: from the exposed access token while it is valid, from
the backend API once it has expired (Streamlit never refreshes), from the ID token claims last."""

from __future__ import annotations

from types import SimpleNamespace

import jwt
import pytest

pytest.importorskip("streamlit")

from gatehouse_auth import GatehouseAuth
from gatehouse_auth import streamlit as gh_st


class FakeUser(dict):
    """Stands in for `st.user`: a mapping of ID token claims plus is_logged_in and tokens."""

    def __init__(self, claims: dict, tokens: dict) -> None:
        super().__init__(claims)
        self.is_logged_in = True
        self.tokens = tokens

    def to_dict(self) -> dict:
        return dict(self)


@pytest.fixture()
def fake_st(monkeypatch):
    def install(claims: dict, tokens: dict) -> None:
        fake = SimpleNamespace(user=FakeUser(claims, tokens), errors=gh_st.st.errors)
        monkeypatch.setattr(gh_st, "st", fake)

    return install


def claims_of(world_person) -> dict:
    return {"sub": world_person.user_id, "email": world_person.email, "given_name": "Admin", "picture": "p.png"}


def test_from_the_access_token(gatehouse, world, fake_st):
    token = gatehouse.access_token(world.admin.user_id)
    fake_st(claims_of(world.admin), {"access": token})
    user = gh_st.current_user(GatehouseAuth(issuer=gatehouse.issuer))
    assert user.user_id == world.admin.user_id and user.picture_url == "p.png"
    assert user.get_org(world.org_id).user_has_permission("can_view_billing")


def test_expired_token_falls_back_to_the_backend_api(gatehouse, world, fake_st):
    token = gatehouse.access_token(world.admin.user_id, minutes=1)
    later = jwt.decode(token, options={"verify_signature": False})["exp"] + 120
    fake_st(claims_of(world.admin), {"access": token})
    auth = GatehouseAuth(issuer=gatehouse.issuer, api_key=gatehouse.api_key, clock=lambda: later)
    user = gh_st.current_user(auth)
    assert user.access_token is None, "not from the token"
    assert user.get_org(world.org_id).user_assigned_role == "Admin"


def test_without_token_or_api_key_only_the_claims(gatehouse, world, fake_st, monkeypatch):
    monkeypatch.delenv("GATEHOUSE_API_KEY", raising=False)
    fake_st(claims_of(world.admin), {})
    user = gh_st.current_user(GatehouseAuth(issuer=gatehouse.issuer, api_key=None))
    assert (user.user_id, user.email, user.first_name) == (world.admin.user_id, world.admin.email, "Admin")
    assert user.get_orgs() == []


def test_logged_out(fake_st):
    fake_st({}, {})
    gh_st.st.user.is_logged_in = False
    assert gh_st.current_user(GatehouseAuth(issuer="http://localhost:8080")) is None
