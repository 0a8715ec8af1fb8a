//! The landlords' strategic plans' routes (« Plans de patrimoine »): the cross-analysis read by
//! everyone, a landlord's residences one by one only by that landlord, the EPCI and the members of
//! a partnership it shares its plan with.

use super::*;

const PSP: &str =
    "residence;commune;quartier;logements;annee_construction;dpe;strategie;annee_debut;annee_fin
Les Glacis;Dunkerque;Glacis;120;1962;F;rehabiliter;2027;2029
Carré de la Vieille;Dunkerque;;45;1995;D;maintenir;;";

/// Vilogia's plan (not shared yet), a partnership of Vilogia and Partenord and an action Vilogia
/// leads in it: its id.
pub(crate) fn world(s: &dyn logis_store::Store) -> i64 {
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
    logis_app::plans::create_partnership(
        s,
        &admin,
        &actor(),
        "Charte matrice",
        "245900428",
        &["Vilogia".into(), "Partenord Habitat".into()],
    )
    .unwrap();
    logis_app::plans::actions::save_action(s, &admin, &actor(), None, &action_fields())
        .unwrap()
        .unwrap()
}

fn action_fields() -> logis_app::plans::actions::ActionFields {
    logis_app::plans::actions::ActionFields {
        title: "Réhabiliter Les Glacis".into(),
        kind: "rehabilitation_coordonnee".into(),
        partnership: "Charte matrice".into(),
        lead: "Vilogia".into(),
        residences: "Les Glacis, Dunkerque".into(),
        first_year: "2027".into(),
        last_year: "2029".into(),
        ..Default::default()
    }
}

pub(crate) fn routes(w: &World) -> Vec<Route> {
    let get = |uri: &str, expected: &'static str| {
        (
            Auth::Cookie,
            "GET",
            uri.to_string(),
            String::new(),
            expected,
        )
    };
    let post = |uri: &str, body: &str, expected: &'static str| {
        (
            Auth::Cookie,
            "POST",
            uri.to_string(),
            body.to_string(),
            expected,
        )
    };
    let action = format!("/psp/actions/{}", w.plan_action);
    let good = "titre=R%C3%A9habiliter+Les+Glacis&type=rehabilitation_coordonnee&partenariat=Charte+matrice&pilote=Vilogia&residences=Les+Glacis%2C+Dunkerque&annee_debut=2027&annee_fin=2029";
    vec![
        get("/psp", "AAAAAAAAAA"),
        get("/psp?partenariat=Charte+matrice", "AAAAAAAAAA"),
        get("/psp?partenariat=Inconnu", "RRRRRRRRRR"),
        get("/psp/versions", "AAAAAAAAAA"),
        get("/psp/partenariats", "AAAAAAAAAA"),
        // Uploads: the EPCI and landlords' editors.
        get("/psp/import", "AAAFFFFFFF"),
        get("/psp/import?bailleur=Vilogia&version=2027", "AAAFFFFFFF"),
        // Partnerships: created by the administrator; a landlord's editor shares its plan.
        post(
            "/psp/partenariats",
            "nom=Partenariat+matrice&territoire=245900428&membres=Vilogia&membres=Partenord+Habitat",
            "AFFFFFFFFF",
        ),
        post(
            "/psp/partenariats",
            "nom=Seul&territoire=245900428&membres=Vilogia",
            "RFFFFFFFFF",
        ),
        post(
            "/psp/partenariats",
            "nom=Ailleurs&territoire=dep%3A99&membres=Vilogia&membres=Partenord+Habitat",
            "RFFFFFFFFF",
        ),
        post(
            "/psp/partage",
            "partenariat=Charte+matrice&partage=0",
            "FFAFFFFFFF",
        ),
        post(
            "/psp/partage",
            "partenariat=Inconnu&partage=1",
            "FFRFFFFFFF",
        ),
        // The joint action plan: read by the EPCI and the partnership's members.
        get("/psp/actions", "AAAAAAAAAA"),
        get(
            "/psp/actions?constat=lacune&bailleur=Vilogia&residence=Les+Glacis&commune=Dunkerque",
            "AAAAAAAAAA",
        ),
        get("/psp/actions/comite.xlsx", "AAAAAAAAAA"),
        get("/psp/actions/comite.xlsx?partenariat=Inconnu", "RRRRRRRRRR"),
        get(&action, "AAAANNNNNN"),
        get("/psp/actions/999999", "NNNNNNNNNN"),
        post("/psp/actions", good, "AAAFFFFFFF"),
        post(
            "/psp/actions",
            &good.replace("rehabilitation_coordonnee", "peinture"),
            "RRRFFFFFFF",
        ),
        post(&action, good, "AAAFFFFFFF"),
        post("/psp/actions/999999", good, "NNNFFFFFFF"),
        post(
            &format!("{action}/decision"),
            "date=01%2F10%2F2026&decision=Examin%C3%A9e",
            "AAFFFFFFFF",
        ),
        post(
            &format!("{action}/decision"),
            "date=01%2F10%2F2099&decision=Trop+t%C3%B4t",
            "RRFFFFFFFF",
        ),
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
    // The action's page names its residence for the members; the others read counts only.
    let page = |login: &'static str, uri: String| async move {
        call(w, user(login), Auth::Cookie, "GET", &uri, "").await.1
    };
    let action = format!("/psp/actions/{}", w.plan_action);
    assert!(
        page("lecteur", action)
            .await
            .contains("Les Glacis (Dunkerque), Vilogia")
    );
    // The exposed dwellings per landlord and year: an aggregate everyone reads.
    let cross = page("observateur", "/psp".into()).await;
    assert!(
        cross.contains("Logements exposés à l'interdiction de louer")
            && !cross.contains("Les Glacis"),
        "{cross}"
    );
    let list = page("observateur", "/psp/actions".into()).await;
    assert!(
        list.contains("Réhabilitation") && !list.contains("Réhabiliter Les Glacis"),
        "{list}"
    );
}
