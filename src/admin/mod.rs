//! Admin services: what the dashboard and the CLI share (figures, and the rules for managing
//! clients, users, orgs, roles, keys, settings and the audit log). Nothing here knows HTTP.

pub mod chart;
pub mod overview;
pub mod setup;

// admin/clients: OAuth clients (shared with `gatehouse client …`).
pub mod client_snippets;
pub mod clients;
// --- admusers: users and orgs ---
pub mod orgs;
pub mod users;

// admconf: API keys, audit log, settings forms
pub mod api_keys;
pub mod audit_log;
pub mod settings;
