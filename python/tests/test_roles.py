"""Role and permission helpers on tokens issued for an Owner, an Admin and a Member."""

from __future__ import annotations

from gatehouse_auth import GatehouseAuth


def test_owner_admin_member(gatehouse, world):
    auth = GatehouseAuth(issuer=gatehouse.issuer)
    owner, admin, member = (
        auth.validate_access_token(gatehouse.access_token(p.user_id)).get_org(world.org_id)
        for p in (world.owner, world.admin, world.member)
    )
    assert owner.user_assigned_role == "Owner" and owner.user_is_role("Owner")
    assert admin.user_assigned_role == "Admin" and not admin.user_is_role("Owner")
    assert member.user_assigned_role == "Member"

    # The hierarchy: Owner > Admin > Member.
    assert owner.user_is_at_least_role("Admin") and owner.user_is_at_least_role("Member")
    assert admin.user_is_at_least_role("Admin") and not admin.user_is_at_least_role("Owner")
    assert member.user_is_at_least_role("Member") and not member.user_is_at_least_role("Admin")

    # Permissions (an Admin's include every role's below it).
    assert owner.user_has_permission("can_delete_org")
    assert admin.user_has_permission("can_view_billing") and not admin.user_has_permission("can_delete_org")
    assert admin.user_has_permission("can_read_reports")
    assert not member.user_has_permission("can_view_billing")
    assert admin.user_has_all_permissions(["can_view_billing", "gatehouse::can_invite"])
    assert not member.user_has_all_permissions(["can_read_reports", "can_view_billing"])


def test_non_member_has_no_org(gatehouse, world):
    auth = GatehouseAuth(issuer=gatehouse.issuer)
    outsider = auth.validate_access_token(gatehouse.access_token(world.outsider.user_id))
    assert outsider.get_orgs() == []
    assert outsider.get_org(world.org_id) is None
    assert outsider.get_org_by_name(world.org_name) is None
