//! One integration-test binary; every test runs on SQLite and on Postgres.

mod helpers;

mod abuse;
mod account;
mod admin;
mod admin_audit; // admconf
mod admin_conf; // admconf
mod authorize;
mod backend_api;
mod backend_api_snapshots;
mod cli;
mod discovery_and_keys;
mod end_session;
mod hosted_signup_reset;
mod magic_links;
mod mfa;
mod orgs;
mod pages;
mod replicas;
mod token;
mod userinfo_revoke_introspect;
