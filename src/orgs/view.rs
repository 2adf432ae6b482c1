//! What a member may see and do on an org's page: the members with the actions open to the
//! viewer on each (change role, remove), the roles they may assign, and whether they may
//! invite or manage. The hosted page renders this; the rules are the membership rules.

use super::{OrgError, parse_list, roles, structure_of};
use crate::state::AppState;
use crate::store::{InviteRow, MemberRow, MembershipRow, OrgRow};

pub struct MemberView {
    pub member: MemberRow,
    pub can_change: bool,
    pub can_remove: bool,
}

pub struct OrgView {
    pub org: OrgRow,
    pub me: MembershipRow,
    pub members: Vec<MemberView>,
    /// Roles the viewer may give (at or below their own).
    pub assignable: Vec<String>,
    pub default_role: String,
    pub can_invite: bool,
    pub can_manage: bool,
    /// Pending invitations (only for those who may invite).
    pub invites: Vec<InviteRow>,
}

/// The org as `user_id` sees it. Non-members learn nothing, not even that it exists.
pub async fn for_member(state: &AppState, org_id: &str, user_id: &str) -> Result<OrgView, OrgError> {
    let org = state.store.org_by_id(org_id).await?.ok_or(OrgError::OrgNotFound)?;
    let me = state.store.membership(org_id, user_id).await?.ok_or(OrgError::OrgNotFound)?;
    let structure = structure_of(&state.store, &org).await?;
    let my_additional = parse_list(&me.additional_roles);
    let perms = structure.permissions(&me.role, &my_additional);
    let has = |p: &str| perms.iter().any(|x| x == p);
    let assignable =
        structure.roles.iter().map(|r| r.name.clone()).filter(|r| structure.at_or_above(&me.role, &my_additional, r)).collect();
    let members = state
        .store
        .members_of_org(org_id)
        .await?
        .into_iter()
        .map(|m| {
            let below = structure.at_or_above(&me.role, &my_additional, &m.role);
            let is_me = m.user_id == user_id;
            MemberView {
                can_change: has(roles::CAN_CHANGE_ROLES) && below && !is_me,
                can_remove: has(roles::CAN_REMOVE_USERS) && below && !is_me,
                member: m,
            }
        })
        .collect();
    let can_invite = has(roles::CAN_INVITE);
    let invites = if can_invite { state.store.pending_invites(org_id, state.clock.now()).await? } else { Vec::new() };
    Ok(OrgView {
        default_role: structure.bottom_role().to_string(),
        can_invite,
        can_manage: has(roles::CAN_MANAGE_ORG),
        invites,
        members,
        assignable,
        me,
        org,
    })
}
