//! The land bank's routes: the list and map, a site's page (proposed, or only identified: the
//! EPCI's own), the report and its download, the import page, the EPCI's decisions, a
//! landlord's interest, rattaching an operation; then what each role sees.

use super::*;

const SITES: &str = "foncier;libelle;commune;parcelles;proprietaire;capacite_logements;statut;date_statut;bailleur;motif
CUD-F-001;Friche du Môle;Dunkerque;AB 123;EPCI;120;proposé;;;
CUD-F-002;Terrain secret;Grande-Synthe;BC 12;commune;60;identifié;;;
CUD-F-003;Îlot Vilogia;Dunkerque;AB 300;EPCI;40;attribué;01/02/2025;Vilogia;offre retenue";

/// The sites of the world: [proposed, identified, allocated to Vilogia].
pub(crate) fn sites(s: &dyn logis_store::Store) -> [i64; 3] {
    let src = logis_io::open_bytes(SITES.as_bytes().to_vec()).unwrap();
    let r = logis_app::land::import_sites(s, &actor(), src, true).unwrap();
    assert!(r.committed, "{:?}", r.problems);
    let tenders = "appel;coordinateur;membres;nature_travaux;lot;bailleur;operation;estimation;montant_attribue;attributaire_siret
AOG-M;Vilogia;Vilogia|Partenord Habitat;construction;Lot 1;Vilogia;OP-1;1 000 000;900 000;73282932000074
AOG-M;Vilogia;;construction;Lot 1;Partenord Habitat;OP-2;2 000 000;1 700 000;73282932000074";
    let src = logis_io::open_bytes(tenders.as_bytes().to_vec()).unwrap();
    let r = logis_app::land::tenders::import_tenders(s, &actor(), src, true).unwrap();
    assert!(r.committed, "{:?}", r.problems);
    ["CUD-F-001", "CUD-F-002", "CUD-F-003"].map(|x| s.site_id(x).unwrap().unwrap())
}

pub(crate) fn routes(w: &World) -> Vec<Route> {
    let [proposed, identified, held] = w.sites;
    let vilogia = w.vilogia;
    vec![
        (
            Auth::Cookie,
            "GET",
            "/foncier".into(),
            String::new(),
            "AAAAAAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/foncier?statut=propose".into(),
            String::new(),
            "AAAAAAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/foncier/{proposed}"),
            String::new(),
            "AAAAAAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/foncier/{identified}"),
            String::new(),
            "AANNNNFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/foncier/999999".into(),
            String::new(),
            "NNNNNNFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/foncier/rapport".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/foncier/rapport/export?format=csv".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/foncier/rapport/export?format=xlsx".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/foncier/import".into(),
            String::new(),
            "AAFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            format!("/foncier/{proposed}/interet"),
            "logements=30&produits=PLUS".into(),
            "FFAFFFFFFF",
        ),
        (
            Auth::CookieWithoutCsrf,
            "POST",
            format!("/foncier/{proposed}/interet"),
            "logements=30".into(),
            "FFFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            format!("/foncier/{identified}/interet"),
            "logements=30".into(),
            "FFNFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            format!("/foncier/{identified}/decision"),
            "decision=propose".into(),
            "ARFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            format!("/foncier/{held}/operations"),
            "operation=OP-1".into(),
            "AAAFFFFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/appels-offres".into(),
            String::new(),
            "AAAAFAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/appels-offres/couts".into(),
            String::new(),
            "AAAAFAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/appels-offres/couts/export?format=csv".into(),
            String::new(),
            "AAAAFAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/appels-offres/couts/export?format=xlsx".into(),
            String::new(),
            "AAAAFAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/appels-offres/import".into(),
            String::new(),
            "AAAFFFFFFF",
        ),
        // (The row added by the first role is already in the lot for the next ones.)
        (
            Auth::Cookie,
            "POST",
            "/appels-offres".into(),
            format!(
                "appel=AOG-M&coordinateur={vilogia}&nature_travaux=construction&lot=Lot+2&bailleur={vilogia}&operation=OP-1&estimation=10000&montant_attribue=9000&attributaire_siret=73282932000074"
            ),
            "ARRFFFFFFF",
        ),
    ]
}

pub(crate) async fn checks(w: &World) {
    let [proposed, identified, held] = w.sites;
    let user = |login: &str| w.users.iter().find(|u| u.login == login).unwrap();
    let get = |login: &'static str, uri: String| async move {
        call(w, user(login), Auth::Cookie, "GET", &uri, "").await
    };
    // The EPCI's own sites (identified, not yet proposed: CUD-F-002 was proposed by the matrix)
    // are not in a landlord's list; every partner sees those proposed.
    let (_, list) = get("lecteur", "/foncier".into()).await;
    assert!(
        list.contains("CUD-F-001") && list.contains("CUD-F-003"),
        "{list}"
    );
    let (_, page) = get("editeur", format!("/foncier/{proposed}")).await;
    assert!(page.contains("Intérêts des bailleurs"), "{page}");
    assert!(page.contains("Vilogia"), "the interest expressed shows");
    assert!(
        !page.contains("Décision de l'EPCI"),
        "no decision form for a landlord"
    );
    let (_, page) = get("admin", format!("/foncier/{proposed}")).await;
    assert!(page.contains("Décision de l'EPCI"), "{page}");
    // The operation rattached by the holder shows on the site, and the site is launched.
    let (_, page) = get("lecteur", format!("/foncier/{held}")).await;
    assert!(
        page.contains("OP-1") && page.contains("Opération lancée"),
        "{page}"
    );
    // A landlord reader cannot rattach; a landlord editor only to the sites it holds.
    let (status, page) = call(
        w,
        user("editeur"),
        Auth::Cookie,
        "POST",
        &format!("/foncier/{proposed}/operations"),
        "operation=OP-1",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("seul son attributaire y rattache"), "{page}");
    // A second allocation, by the form: refused in French, nothing written.
    let (status, page) = call(
        w,
        user("admin"),
        Auth::Cookie,
        "POST",
        &format!("/foncier/{held}/decision"),
        &format!("decision=attribuer&bailleur={}&motif=essai", w.partenord),
    )
    .await;
    assert!(
        status == StatusCode::BAD_REQUEST || status == StatusCode::CONFLICT,
        "{status}"
    );
    assert!(page.contains("Rien n'a été enregistré"), "{page}");
    assert!(
        page.contains("est déjà attribué à Vilogia depuis le 01/02/2025"),
        "{page}"
    );
    // A decision without its reason, a decision that does not exist.
    for body in [
        "decision=abandonne&motif=",
        "decision=vendre",
        "decision=attribuer&bailleur=x",
    ] {
        let (status, _) = call(
            w,
            user("admin"),
            Auth::Cookie,
            "POST",
            &format!("/foncier/{proposed}/decision"),
            body,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    // The report counts the identified sites for the EPCI only; the observer gets the report.
    let (_, csv) = get("observateur", "/foncier/rapport/export?format=csv".into()).await;
    assert!(
        csv.starts_with("\u{feff}code_commune;commune;statut;fonciers;capacite_logements"),
        "{csv}"
    );
    let _ = identified;
    // Tenders: a member sees its tender and the savings of each member; a landlord's cost
    // report has its own operations only.
    let (_, page) = get("lecteur", "/appels-offres".into()).await;
    assert!(
        page.contains("Économie de AOG-M")
            && page.contains("<th scope=\"row\">Partenord Habitat</th>"),
        "{page}"
    );
    let (_, csv) = get("editeur", "/appels-offres/couts/export?format=csv".into()).await;
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.starts_with("Vilogia;")),
        "{csv}"
    );
    let (_, csv) = get("admin", "/appels-offres/couts/export?format=csv".into()).await;
    assert!(
        csv.contains("Partenord Habitat;") && csv.contains(";oui;"),
        "{csv}"
    );
    let (status, _) = get("admin", "/appels-offres/couts/export?format=pdf".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A landlord's editor imports only the tenders it coordinates.
    let body = "appel;coordinateur;nature_travaux;lot;bailleur;operation\r\nAOG-X;Partenord Habitat;chauffage;Lot 1;Partenord Habitat;OP-2\r\n";
    let multipart = format!(
        "--b\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n{body}\r\n--b--\r\n"
    );
    let editor = user("editeur");
    let req = Request::builder()
        .method("POST")
        .uri(format!("/appels-offres/import?csrf={}", editor.csrf))
        .header(header::COOKIE, format!("logis_session={}", editor.cookie))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=b")
        .body(Body::from(multipart))
        .unwrap();
    let res = w.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let text = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains("que Vilogia coordonne"), "{text}");
}
