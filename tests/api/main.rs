//! One integration-test binary; every test runs on SQLite and on Postgres.

mod helpers;

mod abuse;
mod account;
mod admin;
mod admin_audit; // admconf
mod admin_clients;
mod admin_conf; // admconf
mod authorize;
mod backend_api;
mod backend_api_snapshots;
mod cli;
mod discovery_and_keys;
mod end_session;
// perf: password hashing caps and the bounded hashing pool
mod hashing;
mod hosted_signup_reset;
mod magic_links;
mod mfa;
mod orgs;
mod pages;
mod polish;
mod replicas;
mod token;
mod userinfo_revoke_introspect;

// Issue 11 (sec2): security fixes.
mod address_proof;
mod credential_lifecycle;
mod disabled_users;
mod email_validation;
mod org_keys;
mod org_safety;
mod properties;
mod token_boundaries;
// sec1 (issue 11): outbox sealing, database outages, lockout per client.
mod hardening;
mod lockout;
mod outage;
mod outbox;
// --- admusers ---
mod admin_orgs;
mod admin_users;
