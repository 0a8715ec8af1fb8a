//! Logins through an OpenID provider: written once in `logis_store::oidc` on the store's
//! transactions (`tx.rs`); nothing of its own here.

use super::*;

impl logis_store::OidcStore for PostgresStore {}
