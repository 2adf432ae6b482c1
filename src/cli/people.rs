//! `user list|show|disable|enable|delete|reset-mfa|set-admin` and `org list|show|delete`:
//! the operator's lifecycle commands, on the same service functions as the admin dashboard
//! (`crate::admin::users`, `crate::admin::orgs`), audited with the actor `cli`. Each prints
//! one JSON document.

use super::{CliError, print};
use crate::admin::orgs::{self as admin_orgs, OrgReport, OrgSummary};
use crate::admin::users::{self as admin_users, By, PAGE_SIZE, UserReport, UserSummary};
use crate::settings::Settings;
use crate::startup;
use crate::state::AppState;
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum UserLifecycle {
    /// List users, newest first: `{"users": [...], "next": "<cursor>" | null}`.
    List(ListArgs),
    /// Show a user: profile, orgs and roles, MFA, sessions, lockout.
    Show(UserRef),
    /// Disable a user: they cannot sign in, their sessions end and their tokens are revoked.
    Disable(UserRef),
    /// Enable a disabled user again.
    Enable(UserRef),
    /// Delete a user with their sessions, tokens and memberships (the last admin cannot be deleted).
    Delete(UserRef),
    /// Remove a user's authenticator, recovery codes and remembered devices.
    ResetMfa(UserRef),
    /// Make a user an instance admin, or with `--off` take it away (not from the last admin).
    SetAdmin(SetAdmin),
}

#[derive(Subcommand, Debug)]
pub enum OrgLifecycle {
    /// List organizations, newest first: `{"orgs": [...], "next": "<cursor>" | null}`.
    List(ListArgs),
    /// Show an organization: settings, members with their roles, pending invitations.
    Show(OrgRef),
    /// Delete an organization with its memberships and invitations (its users stay).
    Delete(OrgRef),
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Search: an id, an email address, or part of an email, username or name (orgs: name or domain).
    #[arg(long, default_value = "")]
    query: String,
    /// Continue after this cursor (the `next` of the previous page).
    #[arg(long)]
    after: Option<String>,
    /// Rows per page (1 to 500).
    #[arg(long, default_value_t = PAGE_SIZE, value_parser = clap::value_parser!(i64).range(1..=500))]
    limit: i64,
}

/// A user, by id or by email address.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct UserRef {
    /// The user's id.
    #[arg(long)]
    id: Option<String>,
    /// The user's email address.
    #[arg(long)]
    email: Option<String>,
}

#[derive(Args, Debug)]
pub struct SetAdmin {
    #[command(flatten)]
    user: UserRef,
    /// Take the admin flag away instead of giving it.
    #[arg(long)]
    off: bool,
}

#[derive(Args, Debug)]
pub struct OrgRef {
    /// The organization's id.
    #[arg(long)]
    id: String,
}

async fn state(settings: Settings) -> Result<AppState, CliError> {
    Ok(startup::build_cli_state(settings).await?)
}

/// The user's id, looked up by email address when given one.
async fn user_id(state: &AppState, r: &UserRef) -> Result<String, CliError> {
    match (&r.id, &r.email) {
        (Some(id), _) => Ok(admin_users::require(&state.store, id.trim()).await?.id),
        (None, Some(email)) => {
            let email = crate::users::normalize_email(email)?;
            let user = state.store.user_by_email(&email).await?;
            Ok(user.ok_or_else(|| CliError(format!("there is no user with the email address {email}")))?.id)
        }
        (None, None) => Err(CliError("give --id or --email".into())),
    }
}

pub async fn user(settings: Settings, cmd: UserLifecycle) -> Result<(), CliError> {
    let state = state(settings).await?;
    let by = By::CLI;
    match cmd {
        UserLifecycle::List(a) => {
            let found = admin_users::search(&state.store, &a.query, a.after.as_deref(), a.limit).await?;
            let users: Vec<UserSummary> = found.rows.iter().map(UserSummary::from).collect();
            print(json!({ "users": users, "next": found.next }));
        }
        UserLifecycle::Show(r) => {
            let detail = admin_users::detail(&state, &user_id(&state, &r).await?).await?;
            print(serde_json::to_value(UserReport::from(&detail))?);
        }
        UserLifecycle::Disable(r) => {
            let id = user_id(&state, &r).await?;
            admin_users::set_enabled(&state, by, &id, false).await?;
            print(json!({ "ok": true, "user_id": id, "enabled": false }));
        }
        UserLifecycle::Enable(r) => {
            let id = user_id(&state, &r).await?;
            admin_users::set_enabled(&state, by, &id, true).await?;
            print(json!({ "ok": true, "user_id": id, "enabled": true }));
        }
        UserLifecycle::Delete(r) => {
            let id = user_id(&state, &r).await?;
            admin_users::delete(&state, by, &id).await?;
            print(json!({ "ok": true, "user_id": id, "deleted": true }));
        }
        UserLifecycle::ResetMfa(r) => {
            let id = user_id(&state, &r).await?;
            let had_mfa = admin_users::reset_mfa(&state, by, &id).await?;
            print(json!({ "ok": true, "user_id": id, "had_mfa": had_mfa }));
        }
        UserLifecycle::SetAdmin(a) => {
            let id = user_id(&state, &a.user).await?;
            admin_users::set_admin(&state, by, &id, !a.off).await?;
            print(json!({ "ok": true, "user_id": id, "is_admin": !a.off }));
        }
    }
    Ok(())
}

pub async fn org(state: &AppState, cmd: OrgLifecycle) -> Result<(), CliError> {
    match cmd {
        OrgLifecycle::List(a) => {
            let found = admin_orgs::search(&state.store, &a.query, a.after.as_deref(), a.limit).await?;
            let orgs: Vec<OrgSummary> = found.rows.iter().map(|(o, n)| OrgSummary::new(o, *n)).collect();
            print(json!({ "orgs": orgs, "next": found.next }));
        }
        OrgLifecycle::Show(r) => {
            let detail = admin_orgs::detail(state, r.id.trim()).await?;
            print(serde_json::to_value(OrgReport::from(&detail))?);
        }
        OrgLifecycle::Delete(r) => {
            admin_orgs::delete(state, By::CLI, r.id.trim()).await?;
            print(json!({ "ok": true, "org_id": r.id.trim(), "deleted": true }));
        }
    }
    Ok(())
}
