//! One integration-test binary; every test runs on SQLite and on Postgres.

mod helpers;

mod abuse;
mod account;
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
mod replicas;
mod token;
mod userinfo_revoke_introspect;
