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
    /// Count the failed logins since `since` for this login and from this address and, unless
    /// `refused(by_login, by_address)`, record this attempt as a failure, in one step that
    /// simultaneous attempts cannot interleave (the count of each includes those before it).
    /// Returns the attempt's id, or the counts that refused it.
    fn claim_login_attempt(
        &self,
        login: &str,
        address: &str,
        since: i64,
        refused: &dyn Fn(u64, u64) -> bool,
    ) -> Result<std::result::Result<i64, (u64, u64)>>;
    /// The claimed attempt `attempt_id` succeeded.
    fn login_succeeded(&self, attempt_id: i64) -> Result<()>;
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

/// This capability's SQL that both dialects read alike, written once (`$N` parameters in
/// order of first appearance: see [`crate::parameters_in_order`]).
/// A query of users with their columns in the order the adapters read them (id, login,
/// display name, role, organisation id and name, its commune, disabled, has a password,
/// created at), `$extra` columns after them, then the rest of the query.
macro_rules! users_query {
    ($extra:literal, $rest:literal) => {
        concat!(
            "SELECT u.id, u.login, u.display_name, u.role, u.organisation_id, org.name, org.commune_code,
    u.disabled_at IS NOT NULL, u.password_hash IS NOT NULL, u.created_at",
            $extra,
            " FROM users u LEFT JOIN organisations org ON org.id = u.organisation_id",
            $rest
        )
    };
}

pub mod sql {
    pub const INSERT_USER: &str = "INSERT INTO users (login, display_name, role, organisation_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
    pub const DELETE_SESSIONS_BY_USER_ID: &str = "DELETE FROM sessions WHERE user_id = $1";
    pub const INSERT_PASSWORD_RESET: &str = "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    pub const DELETE_LOGIN_ATTEMPTS_BEFORE: &str = "DELETE FROM login_attempts WHERE at < $1";
    pub const RECENT_FAILURES: &str = "SELECT (SELECT count(*) FROM login_attempts WHERE login = $1 AND at >= $2 AND success = 0),
        (SELECT count(*) FROM login_attempts WHERE address = $3 AND at >= $2 AND success = 0)";
    pub const CLAIM_LOGIN_ATTEMPT: &str = "INSERT INTO login_attempts (login, address, at, success) VALUES ($1, $2, $3, 0) RETURNING id";
    pub const LOGIN_SUCCEEDED: &str = "UPDATE login_attempts SET success = 1 WHERE id = $1";
    /// A new password lifts the lock of its login (the lock's message says to ask for one).
    pub const FORGET_FAILURES_OF_USER: &str = "DELETE FROM login_attempts WHERE success = 0 AND login = (SELECT login FROM users WHERE id = $1)";
    pub const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= $1";
    pub const INSERT_SESSION: &str = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
    pub const DELETE_SESSIONS_BY_TOKEN_HASH: &str = "DELETE FROM sessions WHERE token_hash = $1";
    pub const INSERT_API_TOKEN: &str = "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING id, user_id, name, prefix, created_at, last_used_at, revoked_at";
    pub const API_TOKENS: &str =
        "SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens
                 WHERE user_id = $1 ORDER BY id";

    /// Users (then their order: the dialects sort texts apart).
    pub const USERS: &str = users_query!("", "");
    pub const USER_BY_ID: &str = users_query!("", " WHERE u.id = $1");
    /// A user and its password hash (the 11th column).
    pub const USER_CREDENTIALS: &str = users_query!(", u.password_hash", " WHERE u.login = $1");
    pub const ENABLED_USER_BY_ID: &str =
        users_query!("", " WHERE u.id = $1 AND u.disabled_at IS NULL");
    /// The enabled user of an unexpired session (hash, now) and its CSRF token.
    pub const SESSION_USER: &str = users_query!(
        ", s.csrf_token",
        " JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL"
    );
    /// The enabled user of an unrevoked token and the token's id.
    pub const TOKEN_USER: &str = users_query!(
        ", t.id",
        " JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL"
    );

    /// Disable (`$1` true, at `$2`, kept if already disabled) or enable account `$3`.
    pub const SET_DISABLED: &str = "UPDATE users SET disabled_at = CASE WHEN $1 THEN coalesce(disabled_at, $2) ELSE NULL END WHERE id = $3";
    pub const SET_PASSWORD: &str = "UPDATE users SET password_hash = $1 WHERE id = $2";
    /// A new reset link retires the user's unused ones (at `$1`).
    pub const RETIRE_RESETS_OF_USER: &str =
        "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL";
    /// Use an unexpired, unused link (at `$1`): its user.
    pub const USE_RESET: &str = "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id";
    /// Revoke (at `$1`) token `$2` of user `$3`, when not revoked yet.
    pub const REVOKE_TOKEN: &str = "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL";

    /// Every text above, for the test of their parameters' order.
    pub const ALL: &[&str] = &[
        USERS,
        USER_BY_ID,
        USER_CREDENTIALS,
        ENABLED_USER_BY_ID,
        SESSION_USER,
        TOKEN_USER,
        INSERT_USER,
        DELETE_SESSIONS_BY_USER_ID,
        INSERT_PASSWORD_RESET,
        DELETE_LOGIN_ATTEMPTS_BEFORE,
        RECENT_FAILURES,
        CLAIM_LOGIN_ATTEMPT,
        LOGIN_SUCCEEDED,
        FORGET_FAILURES_OF_USER,
        DELETE_EXPIRED_SESSIONS,
        INSERT_SESSION,
        DELETE_SESSIONS_BY_TOKEN_HASH,
        INSERT_API_TOKEN,
        API_TOKENS,
    ];
}

/// The French messages of this capability's refusals, written once for both adapters.
pub mod messages {
    use crate::StoreError;

    /// An account with this login exists.
    pub fn account_exists(login: &str) -> StoreError {
        StoreError::Conflict(format!("un compte « {login} » existe déjà"))
    }

    /// The account names no organisation logis holds.
    pub fn unknown_organisation() -> StoreError {
        StoreError::Invalid("organisation inconnue".into())
    }

    /// No account has this id.
    pub fn account_not_found(user_id: i64) -> StoreError {
        StoreError::NotFound(format!("compte {user_id} introuvable"))
    }
}

/// What the audit trail records of each account event, the same from both adapters (never a
/// secret: a password's change is recorded, not the password).
pub mod changes {
    use crate::audit::Change;

    pub fn disabled(user_id: i64, disabled: bool) -> Change<'static> {
        let action = if disabled {
            "desactivation"
        } else {
            "reactivation"
        };
        Change::event(
            "utilisateur",
            user_id,
            action,
            serde_json::json!({ "desactive": disabled }),
        )
    }

    /// A password set by the user or an administrator.
    pub fn password_set(user_id: i64) -> Change<'static> {
        Change::event(
            "utilisateur",
            user_id,
            "mot_de_passe",
            serde_json::json!({ "mot_de_passe": "changé" }),
        )
    }

    pub fn reset_link(user_id: i64, expires_at: i64) -> Change<'static> {
        Change::event(
            "utilisateur",
            user_id,
            "lien_reinitialisation",
            serde_json::json!({ "expire": expires_at }),
        )
    }

    /// A password chosen through a one-time link.
    pub fn password_by_link(user_id: i64) -> Change<'static> {
        Change::event(
            "utilisateur",
            user_id,
            "mot_de_passe",
            serde_json::json!({ "mot_de_passe": "choisi par lien" }),
        )
    }

    pub fn token_revoked(token_id: i64) -> Change<'static> {
        Change::event(
            "jeton_api",
            token_id,
            "revocation",
            serde_json::json!({ "revoque": true }),
        )
    }
}
