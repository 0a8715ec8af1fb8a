//! The landlords' strategic plans' routes (« Plans de patrimoine »): the cross-analysis read by
//! everyone, a landlord's residences one by one only by that landlord, the EPCI and the members of
//! a partnership it shares its plan with.

use super::*;

const PSP: &str =
    "residence;commune;quartier;logements;annee_construction;dpe;strategie;annee_debut;annee_fin
Les Glacis;Dunkerque;Glacis;120;1962;F;rehabiliter;2027;2029
Carré de la Vieille;Dunkerque;;45;1995;D;maintenir;;";

/// Vilogia's plan (not shared yet).
pub(crate) fn world(s: &dyn logis_store::Store) {
    let admin = logis_domain::Principal {
        user_id: 0,
        login: "cli".into(),
        role: Role::Admin,
        organisation_id: None,
        commune: None,
    };
    let r = logis_app::plans::import_psp(
        s,
        &admin,
        &actor(),
        logis_io::open_bytes(PSP.as_bytes().to_vec()).unwrap(),
        &logis_app::plans::PspOptions {
            landlord: "Vilogia".into(),
            version: 2026,
            commit: true,
            source: "psp.csv".into(),
        },
    )
    .unwrap();
    assert!(r.committed, "{:?}", r.problems);
}

pub(crate) fn routes(_w: &World) -> Vec<Route> {
    let get = |uri: &str, expected: &'static str| {
        (
            Auth::Cookie,
            "GET",
            uri.to_string(),
            String::new(),
            expected,
        )
    };
    vec![
        get("/psp", "AAAAAAAAAA"),
        get("/psp?format=csv", "AAAAAAAAAA"),
        get("/psp?format=xlsx", "AAAAAAAAAA"),
        get("/psp?format=pdf", "RRRRRRRRRR"),
    ]
}

pub(crate) async fn checks(w: &World) {
    let user = |login: &str| w.users.iter().find(|u| u.login == login).unwrap();
    let csv = |login: &'static str| async move {
        call(w, user(login), Auth::Cookie, "GET", "/psp?format=csv", "")
            .await
            .1
    };
    for (login, sees) in [
        ("admin", true),
        ("editeur", true),
        ("lecteur", false),
        ("observateur", false),
        ("commune", false),
    ] {
        let text = csv(login).await;
        assert!(
            text.contains("strategie;Vilogia;;Dunkerque"),
            "{login}: {text}"
        );
        assert_eq!(text.contains("Les Glacis"), sees, "{login}: {text}");
    }
    // Shared with a partnership Partenord is a member of: Partenord's reader sees it.
    let (vilogia, partenord) = (w.vilogia, w.partenord);
    w.read(move |s| {
        let p = s
            .create_partnership(
                &actor(),
                "Charte Dunkerque 2030",
                "245900428",
                &[vilogia, partenord],
            )
            .unwrap();
        s.set_share(&actor(), vilogia, p, true).unwrap();
    })
    .await;
    assert!(csv("lecteur").await.contains("lacune;Vilogia;Les Glacis"));
    assert!(!csv("observateur").await.contains("Les Glacis"));
}
