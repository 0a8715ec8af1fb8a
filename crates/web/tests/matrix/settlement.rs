//! The settlement observatory's routes (« Peuplement »): occupancy, attribution targets and
//! demand read by everyone as aggregates (small counts hidden), a landlord's own figures by that
//! landlord only, imports by the EPCI and landlords' editors, thresholds, the rule and charters
//! by the EPCI; bad values refused in French.

use super::*;
use logis_domain::Principal;

fn admin() -> Principal {
    Principal {
        user_id: 0,
        login: "cli".into(),
        role: Role::Admin,
        organisation_id: None,
        commune: None,
    }
}

/// A survey of Vilogia (20 households, 8 in the QPV) and Partenord (3 in « Centre »), a
/// threshold, two leases, SNE demand and a charter (its id).
pub(crate) fn world(s: &dyn logis_store::Store) -> i64 {
    let mut file = String::from(
        "bailleur;commune;qpv;quartier;personnes;enfants;composition;age_titulaire;ressources_pct_plafond;aide_logement;emploi;emmenage_recent\n",
    );
    for i in 0..20 {
        let qpv = if i < 8 { "QN05904M" } else { "non" };
        file.push_str(&format!(
            "Vilogia;59183;{qpv};;3;1;monoparentale;{};{};oui;non;non\n",
            30 + i,
            if i < 8 { 15 } else { 70 }
        ));
    }
    for _ in 0..3 {
        file.push_str("Partenord Habitat;59271;non;Centre;1;0;personne_seule;70;50;oui;non;oui\n");
    }
    let src = |t: &str| logis_io::open_bytes(t.as_bytes().to_vec()).unwrap();
    let r = logis_app::settlement::occupancy::import_occupancy(
        s,
        &admin(),
        &actor(),
        src(&file),
        2025,
        true,
    )
    .unwrap();
    assert!(r.committed, "{:?}", r.problems);
    logis_app::settlement::set_threshold(s, &admin(), &actor(), 2025, "10 250", None).unwrap();
    let leases = "bail;date_bail;bailleur;commune;qpv;reservataire;ressources_uc;dalo
B-1;15/03/2025;Vilogia;Dunkerque;non;action_logement;7 900;non
B-2;02/05/2025;Partenord Habitat;Grande-Synthe;QN05904M;etat;12 000;oui";
    let r = logis_app::settlement::import_attributions(s, &admin(), &actor(), src(leases), true)
        .unwrap();
    assert!(r.committed, "{:?}", r.problems);
    let demand = "commune;annee;demandes;demandes_mutation;attributions;delai_depasse\n59183;2025;4200;1500;600;310\n";
    assert_eq!(
        logis_app::settlement::occupancy::import_demand(s, &admin(), &actor(), src(demand), true)
            .unwrap(),
        Ok(1)
    );
    logis_app::settlement::occupancy::save_charter(
        s,
        &admin(),
        &actor(),
        None,
        &logis_domain::settlement::charter::CharterForm {
            commune: "59183",
            quartier: "QN05904M",
            title: "Charte de peuplement de l'Île Jeanty",
            status: "en_cours",
            ..Default::default()
        },
    )
    .unwrap()
    .unwrap()
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
    let charter = format!("/peuplement/chartes/{}", w.charter);
    let good = "commune=59183&quartier=QN05904M&titre=Charte&statut=signee&signature=12%2F06%2F2025&indicateurs=sous_20_pct";
    vec![
        get("/peuplement", "AAAAAAAAAA"),
        get("/peuplement?population=recents&enquete=2025", "AAAAAAAAAA"),
        get("/peuplement?format=csv", "AAAAAAAAAA"),
        get("/peuplement?format=xlsx&population=recents", "AAAAAAAAAA"),
        get("/peuplement?format=pdf", "RRRRRRRRRR"),
        get("/peuplement?population=tous", "RRRRRRRRRR"),
        get("/peuplement?enquete=1990", "RRRRRRRRRR"),
        get("/peuplement?enquete=deux", "RRRRRRRRRR"),
        // A landlord's own figures: its users only.
        get("/peuplement?donnees=miennes", "FFAAFFFFFF"),
        get("/peuplement?donnees=autres", "RRRRRRRRRR"),
        get("/peuplement/attributions", "AAAAAAAAAA"),
        get("/peuplement/attributions?format=csv", "AAAAAAAAAA"),
        get("/peuplement/attributions?format=doc", "RRRRRRRRRR"),
        get("/peuplement/demande", "AAAAAAAAAA"),
        get("/peuplement/demande?format=xlsx", "AAAAAAAAAA"),
        get("/peuplement/demande?format=ods", "RRRRRRRRRR"),
        // Imports: the EPCI and landlords' editors.
        get("/peuplement/import", "AAAFFFFFFF"),
        get("/peuplement/import?enquete=2023", "AAAFFFFFFF"),
        get("/peuplement/import?enquete=x", "RRRFFFFFFF"),
        // Thresholds and the rule: the EPCI.
        get("/peuplement/parametres", "AAFFFFFFFF"),
        post(
            "/peuplement/seuils",
            "annee=2024&montant=10+100",
            "AAFFFFFFFF",
        ),
        post("/peuplement/seuils", "annee=2024&montant=-5", "RRFFFFFFFF"),
        post("/peuplement/seuils", "annee=vingt&montant=10", "RRFFFFFFFF"),
        post(
            "/peuplement/seuils",
            "annee=2024&montant=10&epci=123",
            "RRFFFFFFFF",
        ),
        post(
            "/peuplement/regle",
            "indice=1%2C3&indicateurs=3",
            "AAFFFFFFFF",
        ),
        post(
            "/peuplement/regle",
            "indice=0%2C5&indicateurs=3",
            "RRFFFFFFFF",
        ),
        post(
            "/peuplement/regle",
            "indice=1%2C3&indicateurs=12",
            "RRFFFFFFFF",
        ),
        // Charters: read by everyone, kept by the EPCI.
        get("/peuplement/chartes", "AAAAAAAAAA"),
        get(&charter, "AAAAAAAAAA"),
        get("/peuplement/chartes/999999", "NNNNNNNNNN"),
        post("/peuplement/chartes", good, "AAFFFFFFFF"),
        post(
            "/peuplement/chartes",
            "commune=59183&quartier=&titre=Charte&statut=signee",
            "RRFFFFFFFF",
        ),
        post(
            "/peuplement/chartes",
            "commune=Nulle-part&quartier=Q&titre=Charte&statut=promise",
            "RRFFFFFFFF",
        ),
        post(&charter, good, "AAFFFFFFFF"),
        post("/peuplement/chartes/999999", good, "NNFFFFFFFF"),
    ]
}

pub(crate) async fn checks(w: &World) {
    let user = |login: &str| w.users.iter().find(|u| u.login == login).unwrap();
    // Everyone else: Partenord's 3 households hidden.
    let (_, csv) = call(
        w,
        user("observateur"),
        Auth::Cookie,
        "GET",
        "/peuplement?format=csv",
        "",
    )
    .await;
    assert!(
        csv.starts_with("\u{feff}enquete;population;echelle;code;libelle;epci;menages;indicateur;part;indice_concentration"),
        "{csv}"
    );
    assert!(
        csv.contains("2025;ensemble;quartier;59271/Centre;Centre (Grande-Synthe);245900428;< 5;aide_logement;secret;"),
        "{csv}"
    );
    // Partenord reads its own exactly; Vilogia's own figures never show Partenord's quartier.
    let (_, own) = call(
        w,
        user("lecteur"),
        Auth::Cookie,
        "GET",
        "/peuplement?format=csv&donnees=miennes",
        "",
    )
    .await;
    assert!(
        own.contains("2025;ensemble;quartier;59271/Centre;Centre (Grande-Synthe);245900428;3;aide_logement;100,0;"),
        "{own}"
    );
    let (_, vilogia) = call(
        w,
        user("editeur"),
        Auth::Cookie,
        "GET",
        "/peuplement?format=csv&donnees=miennes",
        "",
    )
    .await;
    assert!(!vilogia.contains("Centre"), "{vilogia}");
    assert!(vilogia.contains(";20;"), "{vilogia}");
    let (status, page) = call(
        w,
        user("agent"),
        Auth::Cookie,
        "POST",
        "/peuplement/regle",
        "indice=0%2C5&indicateurs=3",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("un nombre entre 1 et 10 attendu"), "{page}");
    let (_, page) = call(w, user("commune"), Auth::Cookie, "GET", "/peuplement", "").await;
    assert!(page.contains("Quartiers sensibles"), "{page}");
    assert!(page.contains("QN05904M (Dunkerque)"), "{page}");
}
