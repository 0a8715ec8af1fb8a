//! Accounts and sessions: argon2id password hashes, random session / API / reset tokens stored
//! as SHA-256 hashes, login throttling per login and per address, and the principal a user acts
//! as. The web layer and the CLI call these; the access decisions live in
//! [`logis_domain::accounts`].

use crate::{AppError, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use logis_domain::accounts::{self, Principal, Role};
use logis_store::audit::now;
use logis_store::{Actor, ApiToken, NewUser, Store, User, Via};
use sha2::{Digest, Sha256};

/// A session lasts 12 hours.
pub const SESSION_SECS: i64 = 12 * 3600;
/// A password reset link works for 48 hours, once.
pub const RESET_SECS: i64 = 48 * 3600;

/// An argon2id hash (PHC string) of `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| AppError::Invalid(format!("aléa indisponible : {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Invalid(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Invalid(format!("hachage du mot de passe impossible : {e}")))
}

/// Whether `password` matches the stored hash (false for an unreadable hash).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the login is unknown, so that an unknown login takes as long
/// as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<Option<String>> =
    std::sync::LazyLock::new(|| hash_password("logis: compte inexistant").ok());

/// 32 random bytes, URL-safe base64 (43 characters).
pub fn random_token() -> Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| AppError::Invalid(format!("aléa indisponible : {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// What the store keeps of a secret token.
pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time comparison of two secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The principal a user acts as.
pub fn principal(user: &User) -> Principal {
    Principal {
        user_id: user.id,
        login: user.login.clone(),
        role: user.role,
        organisation_id: user.organisation_id,
        commune: user.commune.clone(),
    }
}

/// The audit actor of a user's request.
pub fn actor(user: &User, via: Via) -> Actor {
    Actor {
        user_id: Some(user.id),
        name: user.login.clone(),
        organisation_id: user.organisation_id,
        via,
    }
}

/// A new session: the cookie value (given to the browser, never stored) and the CSRF token
/// its forms carry.
pub struct NewSession {
    pub user: User,
    pub cookie: String,
    pub csrf: String,
}

/// Check a login and open a session. `Ok(Err(message))` is a refusal to show the user
/// (always the same message for an unknown login and a wrong password).
pub fn login(
    store: &dyn Store,
    login: &str,
    password: &str,
    address: &str,
) -> Result<std::result::Result<NewSession, String>> {
    const REFUSED: &str = "identifiant ou mot de passe incorrect";
    let login = login.trim().to_lowercase();
    let since = now() - accounts::THROTTLE_WINDOW_SECS;
    // The count and this attempt's record are one step: simultaneous attempts are each counted
    // against those before them.
    let attempt = match store.claim_login_attempt(&login, address, since, &|l, a| {
        accounts::throttle(l, a).is_some()
    })? {
        Ok(id) => id,
        Err((by_login, by_address)) => {
            let why = accounts::throttle(by_login, by_address).unwrap_or(REFUSED);
            return Ok(Err(why.to_string()));
        }
    };
    let found = store.user_credentials(&login)?;
    let ok = match &found {
        Some((user, Some(hash))) => verify_password(hash, password) && !user.disabled,
        _ => {
            if let Some(h) = DUMMY_HASH.as_deref() {
                let _ = verify_password(h, password);
            }
            false
        }
    };
    if ok {
        store.login_succeeded(attempt)?;
    }
    let Some((user, _)) = found.filter(|_| ok) else {
        return Ok(Err(REFUSED.to_string()));
    };
    Ok(Ok(open_session(store, user)?))
}

/// Open a session for a user whose login was checked (a password, or an OpenID provider).
pub fn open_session(store: &dyn Store, user: User) -> Result<NewSession> {
    let cookie = random_token()?;
    let csrf = random_token()?;
    store.add_session(&token_hash(&cookie), user.id, &csrf, now() + SESSION_SECS)?;
    Ok(NewSession { user, cookie, csrf })
}

/// The user of a session cookie and the session's CSRF token.
pub fn session(store: &dyn Store, cookie: &str) -> Result<Option<(User, String)>> {
    Ok(store.session_user(&token_hash(cookie))?)
}

pub fn logout(store: &dyn Store, cookie: &str) -> Result<()> {
    Ok(store.delete_session(&token_hash(cookie))?)
}

/// Create an account after checking its login and that its role fits its organisation.
pub fn add_user(
    store: &dyn Store,
    actor: &Actor,
    login: &str,
    display_name: &str,
    role: Role,
    organisation_id: Option<i64>,
) -> Result<User> {
    let login = accounts::normalise_login(login).map_err(AppError::Invalid)?;
    let org = match organisation_id {
        None => None,
        Some(id) => Some(
            store
                .organisations()?
                .into_iter()
                .find(|o| o.id == id)
                .ok_or_else(|| AppError::Invalid(format!("organisation {id} inconnue")))?,
        ),
    };
    role.check_organisation(
        org.as_ref().map(|o| o.kind),
        org.as_ref().is_some_and(|o| o.commune.is_some()),
    )
    .map_err(|e| AppError::Invalid(e.0))?;
    let display_name = display_name.trim();
    Ok(store.add_user(
        actor,
        &NewUser {
            login: login.clone(),
            display_name: if display_name.is_empty() {
                login
            } else {
                display_name.chars().take(120).collect()
            },
            role,
            organisation_id,
        },
    )?)
}

/// A one-time link secret to choose a password (the path is `/reinitialiser/<secret>`).
pub fn reset_link(store: &dyn Store, actor: &Actor, user_id: i64) -> Result<String> {
    let secret = random_token()?;
    store.add_password_reset(actor, user_id, &token_hash(&secret), now() + RESET_SECS)?;
    Ok(secret)
}

/// Use a reset link to choose a password. `Ok(None)`: the link is unknown, used or expired.
pub fn use_reset(store: &dyn Store, secret: &str, password: &str) -> Result<Option<User>> {
    let hash = checked_hash(password)?;
    Ok(store.use_password_reset(&token_hash(secret), &hash)?)
}

/// Set a password directly (CLI, first administrator).
pub fn set_password(store: &dyn Store, actor: &Actor, user_id: i64, password: &str) -> Result<()> {
    let hash = checked_hash(password)?;
    Ok(store.set_password(actor, user_id, &hash)?)
}

/// The hash of a password users may choose ([`accounts::check_password`]), or why not.
fn checked_hash(password: &str) -> Result<String> {
    accounts::check_password(password).map_err(AppError::Invalid)?;
    hash_password(password)
}

/// A user changes their own password, proving the current one.
pub fn change_password(
    store: &dyn Store,
    user: &User,
    current: &str,
    new: &str,
) -> Result<std::result::Result<(), String>> {
    let ok = store
        .user_credentials(&user.login)?
        .and_then(|(_, h)| h)
        .is_some_and(|h| verify_password(&h, current));
    if !ok {
        return Ok(Err("le mot de passe actuel est incorrect".into()));
    }
    if let Err(e) = accounts::check_password(new) {
        return Ok(Err(e));
    }
    let hash = hash_password(new)?;
    store.set_password(&actor(user, Via::Web), user.id, &hash)?;
    Ok(Ok(()))
}

/// A new API token for `user`: the stored record and the secret, shown once.
pub fn create_token(
    store: &dyn Store,
    actor: &Actor,
    user_id: i64,
    name: &str,
) -> Result<(ApiToken, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::Invalid(
            "donnez au jeton un nom de 1 à 80 caractères (par exemple « tableur du service »)"
                .into(),
        ));
    }
    let secret = format!("logis_{}", random_token()?);
    let prefix: String = secret.chars().take(12).collect();
    let token = store.add_api_token(actor, user_id, name, &token_hash(&secret), &prefix)?;
    Ok((token, secret))
}

/// The user of an API token secret.
pub fn token_user(store: &dyn Store, secret: &str) -> Result<Option<User>> {
    Ok(store.token_user(&token_hash(secret))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("un mot de passe assez long").unwrap_or_default();
        let b = hash_password("un mot de passe assez long").unwrap_or_default();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "random salt");
        assert!(verify_password(&a, "un mot de passe assez long"));
        assert!(!verify_password(&a, "un autre mot de passe"));
        assert!(!verify_password("pas un hachage", "x"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token().unwrap_or_default();
        let b = random_token().unwrap_or_default();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret("ab", "abc"));
    }
}
