//! Gatehouse: a self-hosted OpenID Connect provider.
//!
//! Layers (outer to inner): `web` (the only actix code) → services (`oidc`, `auth`,
//! `users`, `keys`) → `store` (all SQL) → sqlx. `settings`, `clock` and `crypto` are
//! shared plumbing; `startup` wires them into a running server.

pub mod admin;
pub mod admin_settings;
pub mod auth;
pub mod backend_api;
pub mod cli;
pub mod cli_clients;
pub mod clock;
pub mod crypto;
pub mod email;
pub mod jobs;
pub mod keys;
pub mod lifetimes;
pub mod net;
pub mod oidc;
pub mod orgs;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod threads;
pub mod users;
pub mod web;
