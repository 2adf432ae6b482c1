//! Command line (contract §3). Every command reads the same configuration as `serve`;
//! commands that create something print exactly one JSON object on stdout.

use crate::clock::Clock;
use crate::settings::Settings;
use crate::startup::{self, Application};
use crate::{auth, orgs, users};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::path::PathBuf;

// --- admusers: user and org lifecycle commands ---
mod people;

#[derive(Parser, Debug)]
#[command(name = "gatehouse", version, about = "Self-hosted OpenID Connect identity provider")]
pub struct Cli {
    /// Configuration file (default: ./gatehouse.toml if present, or GATEHOUSE_CONFIG).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Data directory: the SQLite database `gatehouse.db`, the generated master key and the
    /// dev mail outbox (overrides GATEHOUSE_DATA_DIR; default ./data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (migrations are applied at start).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage OAuth clients: create, list, show, update, rotate-secret, delete.
    #[command(subcommand)]
    Client(crate::cli_clients::ClientCommand),
    /// Manage integration API keys for the backend API.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Admin settings stored in the database (signup policy, MFA, lockout, Look & Feel).
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Show or replace the org role structure (roles, their order and permissions).
    #[command(subcommand)]
    Roles(RolesCommand),
    // admconf
    /// Read the audit log, newest first, as one JSON object: {"entries": [...], "next": cursor}.
    Audit(AuditArgs),
}

#[derive(Subcommand, Debug)]
pub enum SettingsCommand {
    /// Print every setting with its effective value as one JSON object.
    Show,
    /// Set one setting; prints `{"key": ..., "value": ...}`.
    #[command(after_help = settings_help())]
    Set { key: String, value: String },
    /// Return one setting to its default.
    Unset { key: String },
}

fn settings_help() -> String {
    format!("Settings:\n{}", crate::admin_settings::describe())
}

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    // --- admusers ---
    #[command(flatten)]
    Lifecycle(people::OrgLifecycle),
    /// Create an organization; prints {"org_id": "…"}.
    Create {
        /// The organization's name (names may repeat: the id tells them apart).
        #[arg(long)]
        name: String,
        /// Existing user who becomes the org's first Owner.
        #[arg(long)]
        owner_email: Option<String>,
    },
    /// Add an existing user to an organization with a role; prints {"ok": true}.
    AddMember {
        /// The organization's id.
        #[arg(long)]
        org_id: String,
        /// The user's email address.
        #[arg(long)]
        email: String,
        /// A role of the org's role structure (any case, e.g. Member).
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RolesCommand {
    /// Print a role structure as JSON.
    Show {
        /// The role structure's name.
        #[arg(long, default_value = orgs::DEFAULT_MAPPING)]
        mapping: String,
    },
    /// Replace a role structure from a JSON file:
    /// {"name": "Default", "multi_role": false, "roles": [{"name": "Owner", "permissions": ["…"]}, …]} (highest role first).
    Set {
        /// The JSON file to read.
        #[arg(long)]
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; prints {"user_id": "…"}.
    Create(UserCreate),
    // --- admusers ---
    #[command(flatten)]
    Lifecycle(people::UserLifecycle),
    /// Lift a login lockout (audited).
    Unlock {
        /// The locked account's email address.
        #[arg(long)]
        email: String,
    },
}

#[derive(Args)]
pub struct UserCreate {
    /// Email address (also the sign-in name).
    #[arg(long)]
    email: String,
    /// Password (it appears in the shell history: prefer --password-stdin). Without either, the
    /// user signs in with a magic link or sets a password through a reset.
    #[arg(long, conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    password_stdin: bool,
    /// Given name.
    #[arg(long)]
    first_name: Option<String>,
    /// Family name.
    #[arg(long)]
    last_name: Option<String>,
    /// Unique username (no spaces, at most 64 characters).
    #[arg(long)]
    username: Option<String>,
    /// Mark the email address as verified (no confirmation email).
    #[arg(long)]
    email_verified: bool,
    /// Make the user an instance admin (the admin dashboard at /admin).
    #[arg(long)]
    admin: bool,
}

impl std::fmt::Debug for UserCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCreate").field("email", &self.email).finish_non_exhaustive()
    }
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create a key; it is printed once and stored only as a hash.
    Create {
        /// A name to recognise the key by (e.g. the app that uses it).
        #[arg(long)]
        name: String,
    },
    /// List keys (never their values) with their last use.
    List,
    /// Revoke a key: every backend API call with it gets 401 from then on.
    Revoke {
        /// The key's id (`api_key_id` from create or list).
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a new signing key; the previous one stays published until its tokens expire.
    Rotate,
    /// List the signing keys as one JSON object: {"keys": [{kid, alg, created_at, activates_at,
    /// retired_at, published_until, state}]}, where state is next, current or retiring.
    List,
}

// admconf
/// Filters for `gatehouse audit` (the same as the admin dashboard's audit log).
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Only events by this actor: a user's email or id, `cli`, `backend-api` or `system`.
    #[arg(long)]
    actor: Option<String>,
    /// Only this action (`api_key.created`), or a family ending in `*` (`login.*`).
    #[arg(long)]
    action: Option<String>,
    /// Only events about this target (a user, client, org or key id, a setting name).
    #[arg(long)]
    target: Option<String>,
    /// First day to include, YYYY-MM-DD (UTC).
    #[arg(long)]
    from: Option<String>,
    /// Last day to include, YYYY-MM-DD (UTC).
    #[arg(long)]
    to: Option<String>,
    /// How many entries to print (1 to 1000).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=1000))]
    limit: i64,
    /// Continue after a previous page: the `next` value it printed.
    #[arg(long)]
    before: Option<String>,
}

/// What the CLI records as the actor of its changes.
fn cli_event(action: &str) -> auth::audit::Event<'_> {
    auth::audit::Event { actor: "cli", action, subject: "", ip: None }
}

/// A failure worth one line on stderr.
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

fn print(value: serde_json::Value) {
    println!("{value}");
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let mut env: std::collections::BTreeMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with("GATEHOUSE_")).collect();
    if let Some(dir) = &cli.data_dir {
        env.insert("GATEHOUSE_DATA_DIR".into(), dir.display().to_string());
    }
    let settings = Settings::from_sources(cli.config.as_deref(), &env)?;
    crate::telemetry::init(&settings);
    if let Some(name) = management_command_name(&cli.command) {
        startup::require_existing_database(&settings, &name).await?;
    }
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            startup::open_store(&settings).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::User(UserCommand::Create(args)) => {
            let state = startup::build_cli_state(settings).await?;
            let password = if args.password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_string())
            } else {
                args.password
            };
            let input = users::CreateUser {
                email: args.email,
                password,
                first_name: args.first_name,
                last_name: args.last_name,
                username: args.username,
                email_verified: args.email_verified,
                is_admin: args.admin,
                ..Default::default()
            };
            let id = users::create(&state.store, &state.hasher, &state.clock, input).await?;
            print(json!({ "user_id": id }));
            Ok(())
        }
        // --- admusers ---
        Command::User(UserCommand::Lifecycle(cmd)) => people::user(settings, cmd).await,
        Command::User(UserCommand::Unlock { email }) => {
            let state = startup::build_cli_state(settings).await?;
            let email = users::normalize_email(&email)?;
            if state.store.user_by_email(&email).await?.is_none() {
                return Err(CliError(format!("no user has the email {email}; nothing to unlock")));
            }
            let was_locked = auth::abuse::unlock(&state, "cli", &email).await?;
            print(json!({ "ok": true, "was_locked": was_locked }));
            Ok(())
        }
        Command::Settings(cmd) => {
            let store = startup::open_store(&settings).await?;
            let clock = Clock::system();
            match cmd {
                SettingsCommand::Show => print(crate::admin_settings::show(&store).await?),
                SettingsCommand::Set { key, value } => {
                    let value = crate::admin_settings::set(&store, &clock, cli_event("settings.set"), &key, &value).await?;
                    print(json!({ "key": key, "value": value }));
                }
                SettingsCommand::Unset { key } => {
                    crate::admin_settings::unset(&store, &clock, &key).await?;
                    print(json!({ "ok": true }));
                }
            }
            Ok(())
        }
        Command::Client(cmd) => crate::cli_clients::run(settings, cmd).await,
        Command::ApiKey(ApiKeyCommand::Create { name }) => {
            let store = startup::open_store(&settings).await?;
            let created = crate::admin::api_keys::create(&store, &Clock::system(), cli_event("api_key.created"), &name).await?;
            print(json!({ "api_key_id": created.id, "api_key": created.key }));
            Ok(())
        }
        Command::ApiKey(ApiKeyCommand::List) => {
            let store = startup::open_store(&settings).await?;
            let keys = auth::api_keys::list(&store).await?;
            let keys: Vec<_> = keys
                .iter()
                .map(|k| {
                    json!({ "api_key_id": k.id, "name": k.name, "created_at": k.created_at,
                            "last_used_at": k.last_used_at, "revoked_at": k.revoked_at })
                })
                .collect();
            print(json!({ "api_keys": keys }));
            Ok(())
        }
        Command::ApiKey(ApiKeyCommand::Revoke { id }) => {
            let store = startup::open_store(&settings).await?;
            crate::admin::api_keys::revoke(&store, &Clock::system(), cli_event("api_key.revoked"), &id)
                .await
                .map_err(|e| CliError(format!("{e}: {}", id.trim())))?;
            print(json!({ "ok": true }));
            Ok(())
        }
        Command::Org(cmd) => org_command(settings, cmd).await,
        Command::Roles(cmd) => roles_command(settings, cmd).await,
        Command::Keys(KeysCommand::Rotate) => {
            let state = startup::build_cli_state(settings).await?;
            let kid = state.keys.rotate_recorded(cli_event("signing_key.rotated")).await?;
            print(json!({ "kid": kid }));
            Ok(())
        }
        // admconf
        Command::Keys(KeysCommand::List) => {
            let state = startup::build_cli_state(settings).await?;
            print(json!({ "keys": state.keys.list().await? }));
            Ok(())
        }
        Command::Audit(args) => {
            let store = startup::open_store(&settings).await?;
            let q = crate::admin::audit_log::AuditQuery {
                actor: args.actor,
                action: args.action,
                target: args.target,
                from: args.from,
                to: args.to,
                before: args.before,
            };
            print(serde_json::to_value(crate::admin::audit_log::search(&store, &q, args.limit).await?)?);
            Ok(())
        }
    }
}

/// Names may repeat; the operator is told on stderr (stdout stays one JSON object).
pub(crate) fn warn_duplicate_name(what: &str, id_field: &str, existing: &[String]) {
    if !existing.is_empty() {
        eprintln!(
            "warning: another {what} already has this name ({id_field} {}); both are kept: tell them apart by {id_field}",
            existing.join(", ")
        );
    }
}

/// `None` for `serve` and `migrate`, which may create the database; the command's name otherwise.
fn management_command_name(command: &Command) -> Option<String> {
    let name = match command {
        Command::Serve | Command::Migrate => return None,
        Command::User(_) => "user",
        Command::Client(_) => "client",
        Command::ApiKey(_) => "api-key",
        Command::Keys(_) => "keys",
        Command::Settings(_) => "settings",
        Command::Org(_) => "org",
        Command::Roles(_) => "roles",
        Command::Audit(_) => "audit",
    };
    Some(format!("gatehouse {name}"))
}

async fn org_command(settings: Settings, cmd: OrgCommand) -> Result<(), CliError> {
    let state = startup::build_cli_state(settings).await?;
    match cmd {
        // --- admusers ---
        OrgCommand::Lifecycle(cmd) => people::org(&state, cmd).await?,
        OrgCommand::Create { name, owner_email } => {
            let owner = match owner_email {
                Some(email) => {
                    let email = users::normalize_email(&email)?;
                    Some(state.store.user_by_email(&email).await?.ok_or_else(|| CliError(format!("no user has the email {email}")))?.id)
                }
                None => None,
            };
            let same_name = state.store.org_ids_named(name.trim()).await?;
            let org = orgs::membership::create(&state, orgs::membership::NewOrg { name, ..Default::default() }, owner.as_deref()).await?;
            warn_duplicate_name("organization", "org_id", &same_name);
            print(json!({ "org_id": org.id }));
        }
        OrgCommand::AddMember { org_id, email, role } => {
            let email = users::normalize_email(&email)?;
            let user = state.store.user_by_email(&email).await?.ok_or_else(|| CliError(format!("no user has the email {email}")))?;
            let org =
                state.store.org_by_id(org_id.trim()).await?.ok_or_else(|| CliError(format!("no organization has the id {org_id}")))?;
            let structure = orgs::structure_of(&state.store, &org).await?;
            let role = structure
                .resolve(&role)
                .ok_or_else(|| CliError(format!("`{role}` is not a role in this organization; its roles are {}", structure.names())))?
                .to_string();
            orgs::membership::add_member(&state, &org.id, &user.id, &role, &[]).await?;
            print(json!({ "ok": true }));
        }
    }
    Ok(())
}

async fn roles_command(settings: Settings, cmd: RolesCommand) -> Result<(), CliError> {
    let state = startup::build_cli_state(settings).await?;
    match cmd {
        RolesCommand::Show { mapping } => {
            let structure =
                orgs::load_structure(&state.store, &mapping).await?.ok_or_else(|| CliError(format!("no role mapping named {mapping}")))?;
            print(serde_json::to_value(&structure)?);
        }
        RolesCommand::Set { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| CliError(format!("cannot read {}: {e}", file.display())))?;
            let structure: orgs::roles::RoleStructure =
                serde_json::from_str(&text).map_err(|e| CliError(format!("{} is not a valid role structure: {e}", file.display())))?;
            orgs::set_structure(&state, &structure).await?;
            print(serde_json::to_value(&structure)?);
        }
    }
    Ok(())
}

async fn serve(settings: Settings) -> Result<(), CliError> {
    let app = Application::build(settings).await?;
    let scheme = if app.state.settings.tls_cert.is_some() { "https" } else { "http" };
    let host = app.state.settings.listen.rsplit_once(':').map(|(h, _)| h.to_string()).unwrap_or_default();
    tracing::info!(
        issuer = %app.state.settings.issuer,
        database = app.state.store.backend_name(),
        "listening on {scheme}://{host}:{}", app.port()
    );
    if let Some(link) = crate::web::setup_link(&app.state).await? {
        // Printed, not only logged: the operator needs it once, on the console.
        eprintln!("\nNo admin account exists yet. Create one with this one-time link (valid 24 hours):\n\n    {link}\n");
    }
    app.run_until_stopped().await?;
    Ok(())
}
