//! The social housing stock's routes: « Parc social » and its downloads, read by everyone who
//! reads reports (aggregates only); a bad scale or vintage refused in French.

use super::*;

/// One small vintage of the complete layout (landlords, occupancy, rents).
pub(crate) fn world(s: &dyn logis_store::Store) {
    let file = "DEPCOM;QPV_CODE;NBPIECE;SURFHAB;CONSTRUCT;LOCAT;FINAN_CODE;MODE;BAIL;REMLOCDATE;LOYERPRINC;DPEENERGIE;DPESERRE;SIRET;RS
59183;QN05904M;3;60;1970;1971;52;1;03/2024;;380;F;E;47850160700012;Partenord Habitat
59183;;2;45;2010;2011;13;2;;05/2024;9999;C;C;30048543900046;Vilogia
59271;QN05905M;4;80;1975;1976;52;1;01/2015;;420;G;G;30048543900046;Vilogia";
    let admin = logis_domain::Principal {
        user_id: 0,
        login: "cli".into(),
        role: Role::Admin,
        organisation_id: None,
        commune: None,
    };
    let r = logis_app::stock::import_rpls(
        s,
        &admin,
        &actor(),
        logis_io::open_bytes(file.as_bytes().to_vec()).unwrap(),
        &logis_app::stock::RplsOptions {
            vintage: 2025,
            commit: true,
            keep_valid: false,
            source: "rpls.csv".into(),
        },
        &mut |_, _, _| {},
        &mut |_| {},
    )
    .unwrap();
    assert!(r.committed, "{}", r.render_fr());
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
        get("/parc", "AAAAAAAAAA"),
        get("/parc?echelle=bailleur&millesime=2025", "AAAAAAAAAA"),
        get("/parc?echelle=epci", "AAAAAAAAAA"),
        get("/parc?echelle=canton", "RRRRRRRRRR"),
        get("/parc?millesime=1999", "RRRRRRRRRR"),
        get("/parc?millesime=deux-mille", "RRRRRRRRRR"),
        get("/parc/export?format=csv&echelle=qpv", "AAAAAAAAAA"),
        get("/parc/export?format=xlsx&echelle=region", "AAAAAAAAAA"),
        get("/parc/export?format=pdf", "RRRRRRRRRR"),
        get("/parc/export?format=csv&rapport=sru", "AAAAAAAAAA"),
        get("/parc/export?format=csv&rapport=loyer", "RRRRRRRRRR"),
        get("/parc/export?format=xlsx&rapport=loyers", "AAAAAAAAAA"),
        get("/parc?echelle=epci&code=245900428", "AAAAAAAAAA"),
        get("/parc?echelle=commune&code=99999", "RRRRRRRRRR"),
        get("/parc/erbm", "AAAAAAAAAA"),
        get("/parc/erbm?format=csv", "AAAAAAAAAA"),
        get("/parc/erbm?format=pdf", "RRRRRRRRRR"),
        // The dwellings one by one: the EPCI's and the landlords' users only.
        get("/parc/logements", "AAAAFFFFFF"),
        get(
            "/parc/logements?commune=Dunkerque&millesime=2025",
            "AAAAFFFFFF",
        ),
        get("/parc/logements?commune=Nulle-part", "RRRRFFFFFF"),
        get("/parc/logements?commune=59183&millesime=1990", "RRRRFFFFFF"),
    ]
}

pub(crate) async fn checks(w: &World) {
    let user = |login: &str| w.users.iter().find(|u| u.login == login).unwrap();
    let (_, page) = call(w, user("observateur"), Auth::Cookie, "GET", "/parc", "").await;
    assert!(
        page.contains("Parc locatif social au 1er janvier 2025"),
        "{page}"
    );
    assert!(
        page.contains("Dunkerque") && page.contains("Par période de construction"),
        "{page}"
    );
    let (_, csv) = call(
        w,
        user("commune"),
        Auth::Cookie,
        "GET",
        "/parc/export?format=csv&echelle=commune",
        "",
    )
    .await;
    assert!(
        csv.starts_with("\u{feff}millesime;echelle;code;libelle;logements;en_qpv"),
        "{csv}"
    );
    assert!(csv.contains("2025;commune;59183;Dunkerque;2;1;"), "{csv}");
    let (status, page) = call(
        w,
        user("agent"),
        Auth::Cookie,
        "GET",
        "/parc?echelle=canton",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("échelle « canton » inconnue"), "{page}");
}
