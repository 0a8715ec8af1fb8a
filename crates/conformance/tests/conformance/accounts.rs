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

conformance!(accounts_sessions_and_tokens,);
