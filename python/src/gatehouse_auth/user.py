"""The signed-in user and their organizations, named the way PropelAuth's `User` and
`OrgMemberInfo` are, so code written for `propelauth_py` moves over unchanged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OrgMemberInfo:
    """The user's membership in one organization (PropelAuth's OrgMemberInfo wire shape)."""

    org_id: str
    org_name: str
    user_assigned_role: str
    user_inherited_roles_plus_current_role: tuple[str, ...] = ()
    user_permissions: tuple[str, ...] = ()
    org_metadata: Mapping[str, Any] = field(default_factory=dict)
    url_safe_org_name: str | None = None
    assigned_additional_roles: tuple[str, ...] = ()

    def user_is_role(self, role: str) -> bool:
        """True when `role` is the role the user was given (or one of their additional roles)."""
        return role == self.user_assigned_role or role in self.assigned_additional_roles

    def user_is_at_least_role(self, role: str) -> bool:
        """True when the user's role is `role` or above it in the org's role hierarchy.

        Gatehouse lists the user's role and every role below it in
        `inherited_user_roles_plus_current_role`, exactly as PropelAuth does.
        """
        return role in self.user_inherited_roles_plus_current_role

    def user_has_permission(self, permission: str) -> bool:
        return permission in self.user_permissions

    def user_has_all_permissions(self, permissions: Iterable[str]) -> bool:
        return all(p in self.user_permissions for p in permissions)

    @classmethod
    def from_claim(cls, info: Mapping[str, Any]) -> OrgMemberInfo:
        """From one value of the access token's `org_id_to_org_member_info` (or the backend API's
        `org_id_to_org_info`)."""
        role = str(info.get("user_role") or "")
        inherited = info.get("inherited_user_roles_plus_current_role") or ([role] if role else [])
        return cls(
            org_id=str(info.get("org_id", "")),
            org_name=str(info.get("org_name", "")),
            user_assigned_role=role,
            user_inherited_roles_plus_current_role=tuple(str(r) for r in inherited),
            user_permissions=tuple(str(p) for p in info.get("user_permissions") or ()),
            org_metadata=dict(info.get("org_metadata") or {}),
            url_safe_org_name=info.get("url_safe_org_name"),
            assigned_additional_roles=tuple(str(r) for r in info.get("additional_roles") or ()),
        )


@dataclass(frozen=True)
class User:
    """A user Gatehouse vouched for: from an access token, an end-user API key or a session."""

    user_id: str
    email: str
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    picture_url: str | None = None
    org_id_to_org_member_info: Mapping[str, OrgMemberInfo] = field(default_factory=dict)
    properties: Mapping[str, Any] = field(default_factory=dict)
    login_method: Mapping[str, Any] = field(default_factory=dict)
    active_org_id: str | None = None
    access_token: str | None = field(default=None, repr=False)
    """The access token the user was recognised by (None for end-user API keys)."""

    @property
    def name(self) -> str:
        """First and last name, else the username, else the email address."""
        full = " ".join(p for p in (self.first_name, self.last_name) if p)
        return full or self.username or self.email

    def get_orgs(self) -> list[OrgMemberInfo]:
        return list(self.org_id_to_org_member_info.values())

    def get_org(self, org_id: str) -> OrgMemberInfo | None:
        return self.org_id_to_org_member_info.get(org_id)

    def get_org_by_name(self, org_name: str) -> OrgMemberInfo | None:
        for org in self.org_id_to_org_member_info.values():
            if org.org_name == org_name or org.url_safe_org_name == org_name:
                return org
        return None

    def get_active_org(self) -> OrgMemberInfo | None:
        return self.get_org(self.active_org_id) if self.active_org_id else None

    def get_active_org_id(self) -> str | None:
        return self.active_org_id

    def get_user_property(self, name: str, default: Any = None) -> Any:
        return self.properties.get(name, default)

    @classmethod
    def from_access_token_claims(
        cls, claims: Mapping[str, Any], token: str | None = None, picture_url: str | None = None
    ) -> User:
        """From a verified Gatehouse (PropelAuth-shaped) access token."""
        orgs_claim: Mapping[str, Any] = claims.get("org_id_to_org_member_info") or {}
        active = claims.get("org_member_info")
        orgs = {oid: OrgMemberInfo.from_claim(info) for oid, info in orgs_claim.items()}
        active_id = None
        if isinstance(active, Mapping):
            info = OrgMemberInfo.from_claim(active)
            orgs[info.org_id] = info
            active_id = info.org_id
        return cls(
            user_id=str(claims.get("user_id") or claims.get("sub")),
            email=str(claims.get("email", "")),
            first_name=claims.get("first_name"),
            last_name=claims.get("last_name"),
            username=claims.get("username"),
            picture_url=picture_url,
            org_id_to_org_member_info=orgs,
            properties=dict(claims.get("properties") or {}),
            login_method=dict(claims.get("login_method") or {}),
            active_org_id=active_id,
            access_token=token,
        )

    @classmethod
    def from_backend_user(cls, data: Mapping[str, Any]) -> User:
        """From a backend API user object (`fetch_user_metadata_*`, end-user API key validation)."""
        orgs_data: Mapping[str, Any] = data.get("org_id_to_org_info") or {}
        return cls(
            user_id=str(data["user_id"]),
            email=str(data.get("email", "")),
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
            username=data.get("username"),
            picture_url=data.get("picture_url"),
            org_id_to_org_member_info={oid: OrgMemberInfo.from_claim(i) for oid, i in orgs_data.items()},
            properties=dict(data.get("properties") or {}),
        )

    @classmethod
    def from_id_token_claims(cls, claims: Mapping[str, Any]) -> User:
        """From ID token claims only (no organizations): the last resort when no access token
        or backend API key is at hand."""
        return cls(
            user_id=str(claims.get("sub")),
            email=str(claims.get("email", "")),
            first_name=claims.get("given_name"),
            last_name=claims.get("family_name"),
            username=claims.get("preferred_username"),
            picture_url=claims.get("picture"),
        )
