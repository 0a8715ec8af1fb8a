//! Proximity management's and mobility's routes: sites, reports (a partner reads those its
//! organisation made or was given, others' answer 404), a report's photo, the queue, steps and
//! sharing, committees, conciergeries, the committees' report, the mobility page, its imports
//! and forms; then what each role sees.

use super::*;
use logis_store::ProximityRecords;

pub(crate) struct Proximity {
    site: i64,
    /// Made by the conciergerie, given to the commune (green spaces).
    r1: i64,
    /// Made by the CUD, given to Vilogia (common parts), and that assignment.
    r2: i64,
    a2: i64,
    concierge: i64,
    cud: i64,
}

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0xFF, 0xD9];

pub(crate) fn world(s: &dyn logis_store::Store, cud: i64, gs: i64, concierge: i64) -> Proximity {
    let table = "site;commune;theme;partenaire
Europe;Grande-Synthe;dechets;CUD
Europe;Grande-Synthe;espaces verts;Ville de Grande-Synthe
Europe;Grande-Synthe;parties communes;Vilogia
Europe;Grande-Synthe;ascenseurs;Partenord Habitat";
    let src = logis_io::open_bytes(table.as_bytes().to_vec()).unwrap();
    let r = logis_app::proximity::import_competences(s, &actor(), src, true).unwrap();
    assert!(r.committed, "{:?}", r.problems);
    let reports = "signalement;site;theme;date;description;organisation;adresse
C-2;Europe;ascenseurs;02/03/2026;Ascenseur en panne;Conciergerie de l'Europe;Tour A
M-1;Europe;parties communes;03/03/2026;Porte du hall B cassée;CUD;Hall B";
    let src = logis_io::open_bytes(reports.as_bytes().to_vec()).unwrap();
    let r = logis_app::proximity::import_reports(s, &actor(), src, true, None).unwrap();
    assert!(r.committed, "{:?}", r.problems);
    let today = chrono::Local::now().date_naive();
    let form = logis_app::proximity::forms::ReportForm {
        site: "Europe".into(),
        theme: "espaces verts".into(),
        description: "Haie qui déborde".into(),
        address: "Place de l'Europe".into(),
        ..Default::default()
    };
    let r1 = logis_app::proximity::forms::new_report(
        s,
        &actor(),
        concierge,
        &form,
        &[JPEG.to_vec()],
        today,
    )
    .unwrap()
    .unwrap();
    let r2 = s
        .reports(&logis_store::proximity::ReportFilter {
            seen_by: Some(cud),
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .find(|r| r.reference == "M-1")
        .unwrap()
        .id;
    let a2 = s.report(r2).unwrap().unwrap().assignments[0].id;
    assert_eq!(s.open_count(gs).unwrap(), 1);
    Proximity {
        site: s.proximity_sites().unwrap()[0].id,
        r1,
        r2,
        a2,
        concierge,
        cud,
    }
}

pub(crate) fn routes(w: &World) -> Vec<Route> {
    let p = &w.proximity;
    let get =
        |uri: String, expected: &'static str| (Auth::Cookie, "GET", uri, String::new(), expected);
    let post = |uri: String, body: String, expected: &'static str| {
        (Auth::Cookie, "POST", uri, body, expected)
    };
    vec![
        get("/proximite".into(), "AAAAAAFAFF"),
        get(format!("/proximite/sites/{}", p.site), "AAAAAAFAFF"),
        get("/proximite/sites/999999".into(), "NNNNNNFNFF"),
        get("/proximite/signalements".into(), "AAAAAAFAFF"),
        get(format!("/proximite/signalements/{}", p.r1), "AANNANFAFF"),
        get(format!("/proximite/signalements/{}", p.r2), "AAANNNFNFF"),
        get(format!("/proximite/signalements/{}/photos/1", p.r1), "AANNANFAFF"),
        get(format!("/proximite/signalements/{}/photos/2", p.r1), "NNNNNNFNFF"),
        get("/proximite/signalements/nouveau".into(), "AAAFAFFAFF"),
        get("/proximite/a-traiter".into(), "AAAFAFFAFF"),
        get("/proximite/rapport".into(), "AAAAAAAAAA"),
        get(format!("/proximite/rapport?site={}", p.site), "AAAAAAAAAA"),
        get("/proximite/rapport/export?format=csv".into(), "AAAAAAAAAA"),
        get("/proximite/rapport/export?format=xlsx".into(), "AAAAAAAAAA"),
        get("/proximite/import".into(), "AAAFAFFAFF"),
        get("/proximite/conciergeries".into(), "AAAAAAFAFF"),
        get("/mobilite".into(), "AAAAAAAAAA"),
        get("/mobilite/export?format=csv".into(), "AAAAAAAAAA"),
        get("/mobilite/import".into(), "AAAFFFFFFF"),
        // The admin records today's committee; the agent's second one the same day is refused.
        post(
            format!("/proximite/sites/{}/comite", p.site),
            "compte_rendu=premier+comit%C3%A9".into(),
            "ARFFFFFFFF",
        ),
        // Only Vilogia, given the report, moves its assignment; it is unknown to the others.
        post(
            format!("/proximite/signalements/{}/etape", p.r2),
            format!("affectation={}&statut=pris_en_compte", p.a2),
            "NNAFNFFNFF",
        ),
        // The EPCI gives the conciergerie's report to the CUD too (the second time: refused);
        // the commune, given it, may share it too (the CUD has it already); the reporter may not.
        post(
            format!("/proximite/signalements/{}/partage", p.r1),
            format!("partenaire={}", p.cud),
            "ARNFRFFRFF",
        ),
        post(
            "/mobilite/saisie".into(),
            "fichier=offre&offre=MOB-M&bailleur=Vilogia&commune=Dunkerque&logements=4&lits=6&debut=2026-03".into(),
            "AAAFFFFFFF",
        ),
        post(
            "/mobilite/saisie".into(),
            "fichier=besoins&employeur_siret=73282932000074&employeur=Chantiers&commune=Dunkerque&mois=2026-04&salaries=5".into(),
            "AAFFFFFFFF",
        ),
        // A new site with seed 003's split (the second time: it exists); a theme given to
        // another partner.
        post(
            "/proximite".into(),
            format!(
                "site=Nouveau+quartier&commune=Grande-Synthe&bailleur={}",
                w.vilogia
            ),
            "ARFFFFFFFF",
        ),
        post(
            format!("/proximite/sites/{}/competence", p.site),
            format!("theme=ascenseurs&partenaire={}&delai=1", p.concierge),
            "AAFFFFFFFF",
        ),
        post(
            "/proximite/conciergeries/participations".into(),
            format!(
                "conciergerie={}&annee=2026&partenaire={}&montant=1000",
                p.concierge, p.cud
            ),
            "AAFFFFFFFF",
        ),
    ]
}

pub(crate) async fn checks(w: &World) {
    let p = &w.proximity;
    let user = |login: &str| w.users.iter().find(|u| u.login == login).unwrap();
    let get = |login: &'static str, uri: String| async move {
        call(w, user(login), Auth::Cookie, "GET", &uri, "").await
    };
    // The header counts what the commune has to handle; the conciergerie's list is its own.
    let (_, page) = get("commune", "/proximite".into()).await;
    assert!(
        page.contains("À traiter <span class=\"count\">1</span>"),
        "{page}"
    );
    let (_, page) = get("conciergerie", "/proximite/signalements".into()).await;
    assert!(page.contains("C-2") && page.contains("SIG-"), "{page}");
    assert!(!page.contains("M-1"), "another's report: {page}");
    let (_, page) = get("editeur", "/proximite/signalements".into()).await;
    assert!(page.contains("M-1") && !page.contains("C-2"), "{page}");
    // Vilogia's step is on the report's page, with its history.
    let (_, page) = get("editeur", format!("/proximite/signalements/{}", p.r2)).await;
    assert!(page.contains("Vilogia — Pris en compte"), "{page}");
    // A filter that does not exist: a French refusal, not an empty list.
    let (status, page) = get("admin", "/proximite/signalements?etat=perdu".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("État : « perdu » inconnu"), "{page}");
    // The photo is served as the image it is.
    let req = Request::builder()
        .uri(format!("/proximite/signalements/{}/photos/1", p.r1))
        .header(
            header::COOKIE,
            format!("logis_session={}", user("commune").cookie),
        )
        .body(Body::empty())
        .unwrap();
    let res = w.app.clone().oneshot(req).await.unwrap();
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "image/jpeg"
    );
    // A report whose photo is not an image: refused in French next to the field, nothing written.
    let agent = user("conciergerie");
    let multipart = "--b\r\nContent-Disposition: form-data; name=\"site\"\r\n\r\nEurope\r\n--b\r\nContent-Disposition: form-data; name=\"theme\"\r\n\r\ndechets\r\n--b\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nSacs\r\n--b\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n%PDF-1.7\r\n--b--\r\n";
    let req = Request::builder()
        .method("POST")
        .uri(format!(
            "/proximite/signalements/nouveau?csrf={}",
            agent.csrf
        ))
        .header(header::COOKIE, format!("logis_session={}", agent.cookie))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=b")
        .body(Body::from(multipart))
        .unwrap();
    let res = w.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let text = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains("pas une photo JPEG ou PNG"), "{text}");
    let (_, page) = get("conciergerie", "/proximite/signalements".into()).await;
    assert_eq!(
        page.matches("/proximite/signalements/").count() - page.matches("nouveau").count(),
        2,
        "{page}"
    );
    // A landlord's editor declares its own offers only; a past deadline is refused.
    let (status, page) = call(
        w,
        user("editeur"),
        Auth::Cookie,
        "POST",
        "/mobilite/saisie",
        "fichier=offre&offre=MOB-P&bailleur=Partenord+Habitat&commune=Dunkerque&logements=4&lits=6&debut=2026-03",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("vous ne déclarez que les offres de votre organisation"),
        "{page}"
    );
    let (status, page) = call(
        w,
        user("admin"),
        Auth::Cookie,
        "POST",
        &format!("/proximite/signalements/{}/partage", p.r2),
        "partenaire=1&echeance=01/01/2020",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("est passée"), "{page}");
    // The new site's table follows seed 003's split; the lifts of Europe are the conciergerie's.
    let (_, page) = get("admin", "/proximite".into()).await;
    assert!(page.contains("Nouveau quartier"), "{page}");
    let (_, page) = get("agent", format!("/proximite/sites/{}", p.site)).await;
    assert!(
        page.contains("<th scope=\"row\">Ascenseurs</th><td>Conciergerie de l&#39;Europe</td><td class=\"num\">1</td>"),
        "{page}"
    );
    // The reports of the committees: stable columns, for the observer too.
    let (_, csv) = get("observateur", "/proximite/rapport/export?format=csv".into()).await;
    assert!(
        csv.starts_with("\u{feff}site;theme;partenaire;ouverts;clos;en_retard;delai_median_jours"),
        "{csv}"
    );
    let (_, csv) = get("observateur", "/mobilite/export?format=csv".into()).await;
    assert!(
        csv.starts_with("\u{feff}commune_insee;commune;mois;lits_offerts;salaries_attendus;lits_occupes;taux_occupation;demande_non_couverte"),
        "{csv}"
    );
}
