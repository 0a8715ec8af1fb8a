//! Logins through an OpenID provider (issue 23): the administrator's invitations (a SIRET must
//! be an establishment of the organisation), a first login of an unknown e-mail creating nothing,
//! an invited one creating its account bound to the provider's subject, a SIRET that is not the
//! invited organisation's refused with the reason, the subject's next logins.

use super::*;
use logis_app::oidc::{Claims, invite, login};
use logis_domain::Role;

fn claims(subject: &str, email: &str, siret: Option<&str>) -> Claims {
    Claims {
        issuer: "https://fournisseur.test".into(),
        subject: subject.into(),
        email: Some(email.into()),
        siret: siret.map(str::to_string),
        given_name: Some("Camille".into()),
        usual_name: Some("Martin".into()),
    }
}

fn invitations_and_openid_logins(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let store = db.store.as_ref();
    // An organisation with its SIREN (La Poste's: 356 000 000, SIRET key by its own rule).
    store
        .add_organisation(
            &actor(),
            &logis_store::NewOrganisation {
                kind: logis_domain::register::vocab::OrgKind::Landlord,
                name: "Habitat Test".into(),
                siren: Some(logis_domain::Siren::parse("356000000").unwrap()),
                commune: None,
            },
        )
        .unwrap();
    let admin = principal(Role::Admin, None);
    let err = |r: logis_app::Result<i64>| r.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        err(invite(
            store,
            &principal(Role::Agent, None),
            &actor(),
            "a@b.fr",
            "lecteur_bailleur",
            "Vilogia",
            ""
        ))
        .contains("administrateur")
    );
    assert!(
        err(invite(
            store,
            &admin,
            &actor(),
            "pas-une-adresse",
            "lecteur_bailleur",
            "Vilogia",
            ""
        ))
        .contains("adresse électronique invalide")
    );
    assert!(
        err(invite(
            store,
            &admin,
            &actor(),
            "a@b.fr",
            "lecteur_bailleur",
            "",
            ""
        ))
        .contains("organisation")
    );
    // A SIRET of another company than the organisation's.
    assert!(
        err(invite(
            store,
            &admin,
            &actor(),
            "a@b.fr",
            "lecteur_bailleur",
            "Habitat Test",
            "73282932000074"
        ))
        .contains("n'est pas un établissement de Habitat Test")
    );
    invite(
        store,
        &admin,
        &actor(),
        "Camille.Martin@habitat.test",
        "lecteur_bailleur",
        "Habitat Test",
        "",
    )
    .unwrap();
    assert!(
        err(invite(
            store,
            &admin,
            &actor(),
            "camille.martin@habitat.test",
            "lecteur_bailleur",
            "Habitat Test",
            ""
        ))
        .contains("déjà invitée")
    );
    invite(
        store,
        &admin,
        &actor(),
        "dominique@habitat.test",
        "editeur_bailleur",
        "Habitat Test",
        "35600000000015",
    )
    .unwrap();
    let users = store.users().unwrap().len();
    // Unknown e-mail: nothing created.
    let r = login(store, &claims("s-0", "inconnu@ailleurs.fr", None)).unwrap();
    assert!(
        r.unwrap_err()
            .contains("un administrateur de logis doit d'abord vous inviter")
    );
    // A SIRET that is not the organisation's: refused, nothing created.
    let r = login(
        store,
        &claims("s-1", "camille.martin@habitat.test", Some("73282932000074")),
    )
    .unwrap();
    assert!(
        r.unwrap_err()
            .contains("n'est pas un établissement de Habitat Test"),
        "SIRET refusé"
    );
    // The invitation's own SIRET: another establishment of the same company is refused too.
    let r = login(
        store,
        &claims("s-2", "dominique@habitat.test", Some("35600000000024")),
    )
    .unwrap();
    assert!(r.unwrap_err().contains("SIRET 35600000000015"));
    assert_eq!(store.users().unwrap().len(), users);
    // Invited: the account is created with the invitation's role, bound to the subject.
    let u = login(
        store,
        &claims("s-1", "camille.martin@habitat.test", Some("35600000000015")),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (u.login.as_str(), u.role, u.display_name.as_str()),
        (
            "camille.martin@habitat.test",
            Role::LandlordReader,
            "Camille Martin"
        )
    );
    assert_eq!(
        store
            .identity_user("https://fournisseur.test", "s-1")
            .unwrap(),
        Some(u.id)
    );
    // Next login: by the subject (the e-mail may have changed).
    let again = login(store, &claims("s-1", "autre@habitat.test", None))
        .unwrap()
        .unwrap();
    assert_eq!(again.id, u.id);
    // The invitation is used: another subject with that e-mail is not let in.
    let r = login(store, &claims("s-9", "camille.martin@habitat.test", None)).unwrap();
    assert!(r.is_err());
    let inv = store.invitations().unwrap();
    assert!(
        inv.iter()
            .any(|i| i.user_id == Some(u.id) && i.used_at.is_some())
    );
}

conformance!(invitations_and_openid_logins);
