//! Accounts, sessions and API tokens, as the store keeps them. Secrets never reach the store in
//! clear: sessions, tokens and reset links are stored as SHA-256 hashes, passwords as argon2id
//! PHC strings (hashed by `logis-app`).

use crate::Result;
use crate::audit::Actor;
use logis_domain::{CommuneCode, Role};
use serde::Serialize;

/// A user account (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
    /// The commune of the user's organisation (commune readers).
    pub commune: Option<CommuneCode>,
    pub disabled: bool,
    pub has_password: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
}

/// An API token as listed to its owner (the secret is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Accounts, their sessions, password resets, login attempts and API tokens.
pub trait AccountStore: Send + Sync {
    fn add_user(&self, actor: &Actor, user: &NewUser) -> Result<User>;
    fn users(&self) -> Result<Vec<User>>;
    fn user(&self, id: i64) -> Result<Option<User>>;
    /// The user of `login` (normalised) and its password hash, if one is set.
    fn user_credentials(&self, login: &str) -> Result<Option<(User, Option<String>)>>;
    /// Disable or enable an account; disabling ends its sessions.
    fn set_user_disabled(&self, actor: &Actor, user_id: i64, disabled: bool) -> Result<()>;
    /// Set a password hash; ends the user's sessions.
    fn set_password(&self, actor: &Actor, user_id: i64, hash: &str) -> Result<()>;
    fn add_password_reset(
        &self,
        actor: &Actor,
        user_id: i64,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()>;
    /// Use a one-time reset link: when it exists, is unused and unexpired, set the password,
    /// mark the link used (audited as the user) and return the user.
    fn use_password_reset(&self, token_hash: &str, new_hash: &str) -> Result<Option<User>>;
    fn record_login(&self, login: &str, address: &str, success: bool) -> Result<()>;
    /// Failed logins since `since` for this login and from this address.
    fn recent_failures(&self, login: &str, address: &str, since: i64) -> Result<(u64, u64)>;
    fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()>;
    /// The enabled user of an unexpired session, and the session's CSRF token.
    fn session_user(&self, token_hash: &str) -> Result<Option<(User, String)>>;
    fn delete_session(&self, token_hash: &str) -> Result<()>;
    fn add_api_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        token_hash: &str,
        prefix: &str,
    ) -> Result<ApiToken>;
    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>>;
    /// Revoke one of `user_id`'s tokens; false when it is not theirs or already revoked.
    fn revoke_api_token(&self, actor: &Actor, user_id: i64, token_id: i64) -> Result<bool>;
    /// The enabled user of an unrevoked token (and note its use).
    fn token_user(&self, token_hash: &str) -> Result<Option<User>>;
}
