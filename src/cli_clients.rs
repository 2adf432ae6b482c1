//! `gatehouse client …`: the operator's lifecycle for OAuth clients. Every command calls the
//! same service functions as the admin dashboard (`crate::admin::clients`), is audited with
//! actor `cli`, and prints exactly one JSON document.

use crate::admin::clients::{self as service, Actor, AdminClientError, ClientView, Grace};
use crate::cli::CliError;
use crate::oidc::registration::{self, ClientInput};
use crate::settings::Settings;
use crate::startup;
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client; prints its id and, for a confidential client, its secret (once).
    Create(ClientCreate),
    /// List every client with its settings (never a secret).
    List,
    /// Show one client's settings.
    Show {
        /// The client's id.
        #[arg(long)]
        client_id: String,
    },
    /// Change a client: only the flags given change; prints the client as it is now.
    Update(ClientUpdate),
    /// Create a new secret, printed once; the old one stops at once or after --grace.
    RotateSecret {
        /// The client's id.
        #[arg(long)]
        client_id: String,
        /// How long the old secret keeps working: none, 1h, 24h or 7d.
        #[arg(long, default_value = "none", value_parser = ["none", "1h", "24h", "7d"])]
        grace: String,
    },
    /// Delete a client with its grants and tokens; apps using it stop working.
    Delete {
        /// The client's id.
        #[arg(long)]
        client_id: String,
    },
}

#[derive(Args, Debug)]
pub struct ClientCreate {
    /// Display name (shown on the consent screen and in the dashboard).
    #[arg(long)]
    name: String,
    /// Exact redirect URI; end it with `?*` to allow any query on that path. Repeatable.
    #[arg(long = "redirect-uri", required = true)]
    redirect_uris: Vec<String>,
    /// Where the client may send users after logout (exact match). Repeatable.
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// A public client (no secret; PKCE required).
    #[arg(long)]
    public: bool,
    /// Show a consent screen before the first login.
    #[arg(long)]
    require_consent: bool,
    /// Development client: allow http:// redirect URIs on any host.
    #[arg(long)]
    dev: bool,
    /// An allowed grant type (authorization_code, refresh_token, client_credentials); repeatable.
    /// Default: all three for a confidential client, the first two for a public one.
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// Access token lifetime (900, 15m, 1h); default: the instance's.
    #[arg(long)]
    access_token_lifetime: Option<String>,
    /// Refresh token lifetime (12h, 30d); default: the instance's.
    #[arg(long)]
    refresh_token_lifetime: Option<String>,
    /// A scope the client may ask for with the client_credentials grant (repeatable).
    #[arg(long = "client-credentials-scope")]
    client_credentials_scopes: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ClientUpdate {
    /// The client's id.
    #[arg(long)]
    client_id: String,
    /// A new display name.
    #[arg(long)]
    name: Option<String>,
    /// Register one more redirect URI. Repeatable.
    #[arg(long = "add-redirect-uri")]
    add_redirect_uris: Vec<String>,
    /// Unregister a redirect URI (its exact text). Repeatable.
    #[arg(long = "remove-redirect-uri")]
    remove_redirect_uris: Vec<String>,
    /// Register one more post-logout redirect URI. Repeatable.
    #[arg(long = "add-post-logout-redirect-uri")]
    add_post_logout_redirect_uris: Vec<String>,
    /// Unregister a post-logout redirect URI (its exact text). Repeatable.
    #[arg(long = "remove-post-logout-redirect-uri")]
    remove_post_logout_redirect_uris: Vec<String>,
    /// Show a consent screen before the first login: true or false.
    #[arg(long)]
    require_consent: Option<bool>,
    /// Development client (http:// redirect URIs on any host): true or false.
    #[arg(long)]
    dev: Option<bool>,
    /// Replace the allowed grant types with these (repeatable): authorization_code, refresh_token, client_credentials.
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// Access token lifetime (900, 15m, 1h), or `default` for the instance's.
    #[arg(long)]
    access_token_lifetime: Option<String>,
    /// Refresh token lifetime (12h, 30d), or `default` for the instance's.
    #[arg(long)]
    refresh_token_lifetime: Option<String>,
    /// Enable (true) or disable (false) the client; a disabled client cannot sign users in or get tokens.
    #[arg(long)]
    enabled: Option<bool>,
}

/// Adds and removes entries; removing one that is not there is an error (a typo would
/// otherwise leave the URI registered).
fn edit_list(list: &mut Vec<String>, add: &[String], remove: &[String], what: &str) -> Result<(), CliError> {
    for r in remove {
        let before = list.len();
        list.retain(|u| u != r.trim());
        if list.len() == before {
            return Err(CliError(format!("`{r}` is not a registered {what}; registered: {}", list.join(", "))));
        }
    }
    for a in add.iter().map(|a| a.trim()) {
        if !list.iter().any(|u| u == a) {
            list.push(a.to_string());
        }
    }
    Ok(())
}

fn lifetime(flag: Option<String>, current: String) -> String {
    match flag {
        Some(v) if v.trim() == "default" => String::new(),
        Some(v) => v,
        None => current,
    }
}

/// The stored settings with the flags applied.
fn updated_input(current: ClientInput, u: ClientUpdate) -> Result<ClientInput, CliError> {
    let mut input = current;
    if let Some(name) = u.name {
        input.name = name;
    }
    edit_list(&mut input.redirect_uris, &u.add_redirect_uris, &u.remove_redirect_uris, "redirect URI")?;
    edit_list(
        &mut input.post_logout_redirect_uris,
        &u.add_post_logout_redirect_uris,
        &u.remove_post_logout_redirect_uris,
        "post-logout redirect URI",
    )?;
    input.require_consent = u.require_consent.unwrap_or(input.require_consent);
    input.dev = u.dev.unwrap_or(input.dev);
    if !u.grant_types.is_empty() {
        input.grant_types = u.grant_types;
    }
    input.access_token_lifetime = lifetime(u.access_token_lifetime, input.access_token_lifetime);
    input.refresh_token_lifetime = lifetime(u.refresh_token_lifetime, input.refresh_token_lifetime);
    Ok(input)
}

fn cli_error(e: AdminClientError) -> CliError {
    CliError(e.to_string())
}

fn print(value: serde_json::Value) {
    println!("{value}");
}

pub async fn run(settings: Settings, cmd: ClientCommand) -> Result<(), CliError> {
    let state = startup::build_cli_state(settings).await?;
    let now = state.clock.now();
    match cmd {
        ClientCommand::Create(a) => {
            let input = ClientInput {
                grant_types: if a.grant_types.is_empty() { registration::default_grant_types(a.public) } else { a.grant_types },
                name: a.name,
                redirect_uris: a.redirect_uris,
                post_logout_redirect_uris: a.post_logout_redirect_uris,
                public: a.public,
                dev: a.dev,
                require_consent: a.require_consent,
                access_token_lifetime: a.access_token_lifetime.unwrap_or_default(),
                refresh_token_lifetime: a.refresh_token_lifetime.unwrap_or_default(),
                client_credentials_scopes: a.client_credentials_scopes,
            };
            let same_name = state.store.client_ids_named(input.name.trim()).await?;
            let created = service::create(&state, Actor::CLI, &input).await.map_err(cli_error)?;
            crate::cli::warn_duplicate_name("client", "client_id", &same_name);
            match created.secret {
                Some(secret) => print(json!({ "client_id": created.client.id, "client_secret": secret })),
                None => print(json!({ "client_id": created.client.id })),
            }
        }
        ClientCommand::List => {
            let clients = service::list(&state).await.map_err(cli_error)?;
            let views: Vec<ClientView> = clients.iter().map(|c| ClientView::of(c, now)).collect();
            print(json!({ "clients": views }));
        }
        ClientCommand::Show { client_id } => {
            let c = service::get(&state, &client_id).await.map_err(cli_error)?;
            print(json!({ "client": ClientView::of(&c, now) }));
        }
        ClientCommand::Update(u) => {
            let current = service::get(&state, &u.client_id).await.map_err(cli_error)?;
            let client_id = current.id.clone();
            let enabled = u.enabled;
            let input = updated_input(service::input_of(&current), u)?;
            service::update(&state, Actor::CLI, &client_id, &input).await.map_err(cli_error)?;
            if let Some(on) = enabled {
                service::set_enabled(&state, Actor::CLI, &client_id, on).await.map_err(cli_error)?;
            }
            let c = service::get(&state, &client_id).await.map_err(cli_error)?;
            print(json!({ "client": ClientView::of(&c, now) }));
        }
        ClientCommand::RotateSecret { client_id, grace } => {
            let grace = Grace::parse(&grace).ok_or_else(|| CliError("--grace must be none, 1h, 24h or 7d".into()))?;
            let (c, secret) = service::rotate_secret(&state, Actor::CLI, &client_id, grace).await.map_err(cli_error)?;
            let until = ClientView::of(&c, now).previous_secret_valid_until;
            print(json!({ "client_id": c.id, "client_secret": secret, "previous_secret_valid_until": until }));
        }
        ClientCommand::Delete { client_id } => {
            let c = service::delete(&state, Actor::CLI, &client_id).await.map_err(cli_error)?;
            print(json!({ "ok": true, "client_id": c.id }));
        }
    }
    Ok(())
}
