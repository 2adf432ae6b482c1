//! Invitations: an emailed single-use link that adds the invitee with a role, creating
//! their account when needed.

use super::membership::{check_capacity, check_roles, require_at_or_above, require_permission};
use super::roles::CAN_INVITE;
use super::{Actor, OrgError, structure_of};
use crate::crypto;
use crate::state::AppState;
use crate::store::{InviteRow, OrgRow};

pub const INVITE_TTL: i64 = 7 * 24 * 3600;
pub const ACCEPT_PATH: &str = "/orgs/invites/accept";

pub struct SentInvite {
    pub invite: InviteRow,
    /// The link in the email; shown once.
    pub link: String,
    /// The role of the pending invitation this one replaced, when it was another role (the
    /// inviter is told the pending role changed).
    pub replaced_role: Option<String>,
}

impl std::fmt::Debug for SentInvite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentInvite").field("email", &self.invite.email).finish_non_exhaustive()
    }
}

pub async fn invite(
    state: &AppState,
    actor: Actor<'_>,
    org_id: &str,
    email: &str,
    role: &str,
    additional: &[String],
) -> Result<SentInvite, OrgError> {
    let email = crate::users::normalize_email(email).map_err(|e| OrgError::Invalid(e.to_string()))?;
    let org = state.store.org_by_id(org_id).await?.ok_or(OrgError::OrgNotFound)?;
    let structure = structure_of(&state.store, &org).await?;
    check_roles(&structure, role, additional)?;
    let mut inviter_email = None;
    let inviter_id = match actor {
        Actor::System => None,
        Actor::User(actor_id) => {
            let me = require_permission(state, &structure, org_id, actor_id, CAN_INVITE, "invite members").await?;
            require_at_or_above(&structure, &me, role, "invite someone with")?;
            inviter_email = state.store.user_by_id(actor_id).await?.map(|u| u.email);
            Some(actor_id.to_string())
        }
    };
    if let Some(existing) = state.store.user_by_email(&email).await?
        && state.store.membership(org_id, &existing.id).await?.is_some()
    {
        return Err(OrgError::Invalid(format!("{email} is already a member of this organization")));
    }
    if !org.email_allowed(&email) {
        return Err(OrgError::Invalid("this organization only accepts members from its own email domain".into()));
    }
    let now = state.clock.now();
    // A new invite replaces an older pending one for the same address.
    let replaced_role =
        state.store.pending_invites(org_id, now).await?.into_iter().find(|i| i.email == email).map(|i| i.role).filter(|r| r != role);
    state.store.revoke_invites(org_id, &email, now).await?;
    let pending = state.store.pending_invites(org_id, now).await?.len() as i64;
    check_capacity(state, &org, pending).await?;
    let token = crypto::random_secret();
    let invite = InviteRow {
        token_hash: crypto::sha256_hex(&token),
        org_id: org_id.into(),
        email: email.clone(),
        role: role.into(),
        additional_roles: serde_json::to_string(additional).unwrap_or_else(|_| "[]".into()),
        inviter_user_id: inviter_id,
        created_at: now,
        expires_at: now + INVITE_TTL,
        accepted_at: None,
        revoked_at: None,
    };
    state.store.insert_invite(&invite).await?;
    let link = format!("{}{ACCEPT_PATH}?token={token}", state.settings.issuer);
    if let Err(e) = send_email(state, &org, &email, inviter_email.as_deref(), role, &link).await {
        // No invitation without its email: withdraw it so a retry starts clean.
        state.store.revoke_invites(org_id, &email, now).await?;
        return Err(e);
    }
    Ok(SentInvite { invite, link, replaced_role })
}

/// The invitation behind a link, if it can still be accepted.
pub async fn pending_by_token(state: &AppState, token: &str) -> Result<(InviteRow, OrgRow), OrgError> {
    let invite = state.store.invite_by_hash(&crypto::sha256_hex(token)).await?.ok_or(OrgError::InviteInvalid)?;
    if invite.accepted_at.is_some() || invite.revoked_at.is_some() || invite.expires_at <= state.clock.now() {
        return Err(OrgError::InviteInvalid);
    }
    let org = state.store.org_by_id(&invite.org_id).await?.ok_or(OrgError::InviteInvalid)?;
    Ok((invite, org))
}

/// Accepts an invitation for `user_id`, whose email must be the invited one.
pub async fn accept(state: &AppState, token: &str, user_id: &str) -> Result<OrgRow, OrgError> {
    let (invite, org) = pending_by_token(state, token).await?;
    let user = state.store.user_by_id(user_id).await?.ok_or(OrgError::UserNotFound)?;
    if user.email != invite.email {
        return Err(OrgError::Forbidden(format!("this invitation is for {}; sign in with that address to accept it", invite.email)));
    }
    if state.store.membership(&org.id, user_id).await?.is_some() {
        state.store.accept_invite(&invite.token_hash, state.clock.now()).await?;
        return Ok(org);
    }
    if !state.store.accept_invite(&invite.token_hash, state.clock.now()).await? {
        return Err(OrgError::InviteInvalid);
    }
    super::membership::add_member(state, &org.id, user_id, &invite.role, &super::parse_list(&invite.additional_roles)).await?;
    Ok(org)
}

pub async fn revoke(state: &AppState, actor: Actor<'_>, org_id: &str, email: &str) -> Result<(), OrgError> {
    let org = state.store.org_by_id(org_id).await?.ok_or(OrgError::OrgNotFound)?;
    let email = email.trim().to_lowercase();
    if let Actor::User(actor_id) = actor {
        let structure = structure_of(&state.store, &org).await?;
        let me = require_permission(state, &structure, org_id, actor_id, CAN_INVITE, "manage invitations").await?;
        // As with inviting: only invitations for a role at or below your own.
        let pending = state.store.pending_invites(org_id, state.clock.now()).await?;
        if let Some(invite) = pending.iter().find(|i| i.email == email) {
            require_at_or_above(&structure, &me, &invite.role, "revoke an invitation for")?;
        }
    }
    if state.store.revoke_invites(org_id, &email, state.clock.now()).await? == 0 {
        return Err(OrgError::Invalid(format!("there is no pending invitation for {email}")));
    }
    Ok(())
}

/// Queues the invitation email (SMTP in production, the dev outbox otherwise).
async fn send_email(state: &AppState, org: &OrgRow, to: &str, inviter: Option<&str>, role: &str, link: &str) -> Result<(), OrgError> {
    let who = inviter.map(|i| format!("{i} invited you")).unwrap_or_else(|| "You have been invited".into());
    // Orgs named before names were checked may hold anything: the subject gets printable text.
    let name = crate::users::printable(&org.name, 100);
    let content = crate::email::action_email(
        &format!("You are invited to join {name}"),
        &[&format!("{who} to join {name} as {role}.")],
        "Accept the invitation",
        link,
        "The link is valid for 7 days. If you did not expect this invitation, ignore this email.",
    );
    Ok(crate::email::enqueue(state, to, &content).await?)
}

/// Why accepting an invitation with a new account failed.
#[derive(Debug, thiserror::Error)]
pub enum SignupAcceptError {
    /// The form was refused (no password, a weak one, …); the invitation is still open.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error(transparent)]
    User(crate::users::UserError),
}

/// Accepts an invitation for an address that has no account yet: creates the account (the
/// emailed link proves the address) and the membership. The caller still runs the login steps
/// (MFA rules apply before a session exists).
pub async fn accept_with_signup(
    state: &AppState,
    token: &str,
    first_name: Option<String>,
    last_name: Option<String>,
    password: Option<String>,
) -> Result<(OrgRow, crate::store::UserRow), SignupAcceptError> {
    use crate::users::{self, CreateUser, UserError};
    let (invite, _) = pending_by_token(state, token).await?;
    if password.as_deref().unwrap_or("").is_empty() {
        return Err(SignupAcceptError::Refused("Choose a password.".into()));
    }
    let input = CreateUser { email: invite.email.clone(), password, first_name, last_name, email_verified: true, ..Default::default() };
    let id = match users::create(&state.store, &state.hasher, &state.clock, input).await {
        Ok(id) => id,
        Err(e @ (UserError::Invalid(_) | UserError::WeakPassword(_) | UserError::EmailTaken | UserError::UsernameTaken)) => {
            return Err(SignupAcceptError::Refused(e.to_string()));
        }
        Err(e @ (UserError::Password(_) | UserError::Store(_))) => return Err(SignupAcceptError::User(e)),
    };
    let org = accept(state, token, &id).await?;
    let user = state.store.user_by_id(&id).await.map_err(OrgError::from)?.ok_or(OrgError::UserNotFound)?;
    Ok((org, user))
}
