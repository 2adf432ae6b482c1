//! Admin services: what the dashboard and the CLI share (figures, and the rules for managing
//! clients, users, orgs, roles, keys, settings and the audit log). Nothing here knows HTTP.

pub mod chart;
pub mod overview;

// admconf: API keys, audit log, settings forms
pub mod api_keys;
pub mod audit_log;
pub mod settings;
