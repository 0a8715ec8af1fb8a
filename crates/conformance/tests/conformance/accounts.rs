//! Accounts: users, passwords, sessions, API tokens.

use super::*;

fn accounts_sessions_and_tokens(kind: Kind) {
    use logis_app::accounts as auth;
    use logis_domain::Role;
    let db = TestDb::with_landlords(kind);
    let store = db.store.as_ref();
    let orgs = store.organisations().unwrap();
    let vilogia = orgs.iter().find(|o| o.name == "Vilogia").unwrap().id;
    let admin = actor();
    // A landlord role needs a landlord organisation.
    assert!(auth::add_user(store, &admin, "x", "", Role::LandlordEditor, None).is_err());
    assert!(auth::add_user(store, &admin, "é", "", Role::Observer, None).is_err());
    let u = auth::add_user(
        store,
        &admin,
        " Marie.Dupont ",
        "Marie Dupont",
        Role::LandlordEditor,
        Some(vilogia),
    )
    .unwrap();
    assert_eq!(u.login, "marie.dupont");
    assert_eq!(u.organisation.as_deref(), Some("Vilogia"));
    assert!(!u.has_password);
    assert!(matches!(
        auth::add_user(store, &admin, "marie.dupont", "", Role::Observer, None),
        Err(logis_app::AppError::Store(StoreError::Conflict(_)))
    ));
    // No password yet: no login.
    assert!(
        auth::login(store, "marie.dupont", "n'importe quoi", "10.0.0.1")
            .unwrap()
            .is_err()
    );
    // A reset link sets it, once.
    let secret = auth::reset_link(store, &admin, u.id).unwrap();
    assert!(auth::use_reset(store, &secret, "court").is_err());
    let set = auth::use_reset(store, &secret, "un mot de passe assez long").unwrap();
    assert_eq!(set.map(|u| u.id), Some(u.id));
    assert!(
        auth::use_reset(store, &secret, "un autre mot de passe long")
            .unwrap()
            .is_none()
    );
    // Login, session, CSRF token, logout.
    let s = auth::login(
        store,
        "Marie.Dupont",
        "un mot de passe assez long",
        "10.0.0.1",
    )
    .unwrap()
    .unwrap();
    let (who, csrf) = auth::session(store, &s.cookie).unwrap().unwrap();
    assert_eq!(who.id, u.id);
    assert_eq!(csrf, s.csrf);
    assert!(auth::session(store, "inconnu").unwrap().is_none());
    auth::logout(store, &s.cookie).unwrap();
    assert!(auth::session(store, &s.cookie).unwrap().is_none());
    // Throttling: five failures lock the login, whatever the password.
    for _ in 0..5 {
        assert!(
            auth::login(store, "marie.dupont", "mauvais mot de passe", "10.0.0.2")
                .unwrap()
                .is_err()
        );
    }
    let refused = auth::login(
        store,
        "marie.dupont",
        "un mot de passe assez long",
        "10.0.0.3",
    )
    .unwrap();
    assert!(refused.err().is_some_and(|m| m.contains("trop d'essais")));
    // The lock's message says to ask the administrator for a reset: a new password lifts it.
    let secret = auth::reset_link(store, &admin, u.id).unwrap();
    auth::use_reset(store, &secret, "un nouveau mot de passe")
        .unwrap()
        .unwrap();
    let s = auth::login(store, "marie.dupont", "un nouveau mot de passe", "10.0.0.3").unwrap();
    assert!(s.is_ok(), "{:?}", s.err());
    for _ in 0..5 {
        let _ = auth::login(store, "marie.dupont", "mauvais mot de passe", "10.0.0.4").unwrap();
    }
    auth::set_password(store, &admin, u.id, "encore un autre mot de passe").unwrap();
    let s = auth::login(
        store,
        "marie.dupont",
        "encore un autre mot de passe",
        "10.0.0.4",
    );
    assert!(s.unwrap().is_ok());
    // API tokens: stored hashed, revocable by their owner only.
    let me = auth::actor(&u, logis_store::Via::Web);
    let (tok, secret) = auth::create_token(store, &me, u.id, "tableur").unwrap();
    assert!(secret.starts_with(&tok.prefix));
    assert_eq!(
        auth::token_user(store, &secret).unwrap().map(|u| u.id),
        Some(u.id)
    );
    assert!(!store.revoke_api_token(&me, u.id + 1000, tok.id).unwrap());
    assert!(store.revoke_api_token(&me, u.id, tok.id).unwrap());
    assert!(auth::token_user(store, &secret).unwrap().is_none());
    // Disabling ends sessions and tokens.
    let (_, secret2) = auth::create_token(store, &me, u.id, "second").unwrap();
    store.set_user_disabled(&admin, u.id, true).unwrap();
    assert!(auth::token_user(store, &secret2).unwrap().is_none());
    // Every account write is in the audit trail, without any secret.
    let trail = store
        .audit(&logis_store::AuditFilter {
            entity: Some("utilisateur".into()),
            entity_id: Some(u.id.to_string()),
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<&str> = trail.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "creation",
            "lien_reinitialisation",
            "mot_de_passe",
            "lien_reinitialisation",
            "mot_de_passe",
            "mot_de_passe",
            "desactivation"
        ]
    );
    for e in &trail {
        let text = format!("{:?}{:?}", e.before, e.after);
        assert!(
            !text.contains("argon2") && !text.contains(&secret),
            "{text}"
        );
    }
}

/// Simultaneous wrong passwords for one login are each counted against those before them: of
/// 15 at once, 5 are checked and 10 refused by the throttle, not 15 checked.
fn login_throttle_holds_under_simultaneous_attempts(kind: Kind) {
    use logis_app::accounts as auth;
    use logis_domain::Role;
    let db = TestDb::with_landlords(kind);
    let store = db.store.as_ref();
    let admin = actor();
    let u = auth::add_user(store, &admin, "cible", "Cible", Role::Observer, None).unwrap();
    auth::set_password(store, &admin, u.id, "le vrai mot de passe").unwrap();
    let start = std::sync::Barrier::new(15);
    let answers: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..15)
            .map(|i| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    auth::login(store, "cible", "mauvais", &format!("10.1.0.{i}"))
                        .unwrap()
                        .err()
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = answers.iter().filter(|m| m.contains("incorrect")).count();
    let throttled = answers
        .iter()
        .filter(|m| m.contains("trop d'essais"))
        .count();
    assert_eq!((checked, throttled), (5, 10), "{answers:?}");
    // And the right password is refused too while the lock lasts.
    let late = auth::login(store, "cible", "le vrai mot de passe", "10.1.1.1").unwrap();
    assert!(late.err().is_some_and(|m| m.contains("trop d'essais")));
}

conformance!(
    accounts_sessions_and_tokens,
    login_throttle_holds_under_simultaneous_attempts,
);
