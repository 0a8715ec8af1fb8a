//! Relocation's routes: the indicators (everyone, aggregates with the statistical secret but for
//! the relocation officer), the households (their landlord's users, the CCAS following them, the
//! officer; anyone else 403, and 404 for a household one does not read), the pool, the imports,
//! the matching and the journal of reads (the officer's); then what each role sees.

use super::*;

pub(crate) struct Relocation {
    /// Vilogia's, followed by the CCAS of Grande-Synthe; Partenord's, followed by none.
    h1: i64,
    h2: i64,
    /// Vilogia's vacancy in Grande-Synthe, Partenord's in Dunkerque.
    v1: i64,
    v2: i64,
}

pub(crate) fn world(s: &dyn logis_store::Store) -> Relocation {
    let households = "menage;bailleur;projet;operation;commune;personnes;ressources;loyer;charges;aide_logement;pmr;communes_souhaitees;autre_commune;statut;ccas_origine;ccas_accueil
VIL-001;Vilogia;EUROPE;;Grande-Synthe;3;1450;420;90;150;non;Grande-Synthe|Dunkerque;oui;;CCAS de Grande-Synthe;
PAR-001;Partenord Habitat;COURGHAIN;;Grande-Synthe;2;1100;380;80;120;non;;oui;;;";
    let src = logis_io::open_bytes(households.as_bytes().to_vec()).unwrap();
    let r = logis_app::relocation::import_households(s, &actor(), src, true, None).unwrap();
    assert!(r.committed, "{:?}", r.problems);
    let vacancies =
        "logement;bailleur;commune;qpv;pieces;surface;loyer;charges;neuf_ou_recent;pmr;financement
L-V1;Vilogia;Grande-Synthe;non;3;68;430;85;oui;non;PLUS
L-P1;Partenord Habitat;Dunkerque;oui;2;50;360;70;non;non;PLAI";
    let src = logis_io::open_bytes(vacancies.as_bytes().to_vec()).unwrap();
    let r = logis_app::relocation::import_vacancies(s, &actor(), src, true, None).unwrap();
    assert!(r.committed, "{:?}", r.problems);
    let h = s.households().unwrap();
    let v = s.vacancies().unwrap();
    let id = |r: &str| h.iter().find(|(_, x)| x.reference == r).unwrap().0;
    let vid = |r: &str| v.iter().find(|(_, x, _)| x.reference == r).unwrap().0;
    Relocation {
        h1: id("VIL-001"),
        h2: id("PAR-001"),
        v1: vid("L-V1"),
        v2: vid("L-P1"),
    }
}

pub(crate) fn routes(w: &World) -> Vec<Route> {
    let r = &w.relocation;
    let get =
        |uri: String, expected: &'static str| (Auth::Cookie, "GET", uri, String::new(), expected);
    let post = |uri: String, body: String, expected: &'static str| {
        (Auth::Cookie, "POST", uri, body, expected)
    };
    vec![
        get("/relogement".into(), "AAAAAAAAAA"),
        get("/relogement/export?format=csv".into(), "AAAAAAAAAA"),
        get("/relogement/export?format=xlsx".into(), "AAAAAAAAAA"),
        get("/relogement/menages".into(), "FFAAFFFFAA"),
        get("/relogement/menages?statut=a_reloger&projet=EUROPE".into(), "FFAAFFFFAA"),
        get("/relogement/menages?statut=perdu".into(), "FFRRFFFFRR"),
        get("/relogement/menages/export".into(), "FFAAFFFFAA"),
        get(format!("/relogement/menages/{}", r.h1), "FFANFFFFAA"),
        get(format!("/relogement/menages/{}", r.h2), "FFNAFFFFAN"),
        get("/relogement/menages/999999".into(), "FFNNFFFFNN"),
        get("/relogement/logements".into(), "FFAAFFFFAA"),
        get("/relogement/import".into(), "FFAFFFFFAF"),
        get("/relogement/appariement".into(), "FFFFFFFFAF"),
        get("/relogement/appariement?lancer=1".into(), "FFFFFFFFAF"),
        get("/relogement/appariement?lancer=1&qpv=moins".into(), "FFFFFFFFRF"),
        get("/relogement/journal".into(), "FFFFFFFFAF"),
        (
            Auth::Token,
            "GET",
            format!("/api/v1/relogement/menages/{}", r.h1),
            String::new(),
            "FFANFFFFAA",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/relogement/menages/abc".into(),
            String::new(),
            "FFNNFFFFNN",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/relogement/indicateurs".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        // Vilogia's editor declares its own dwelling; the officer any landlord's.
        post(
            "/relogement/logements".into(),
            "logement=L-V2&bailleur=Vilogia&commune=Dunkerque&qpv=non&pieces=2&loyer=350&charges=60&neuf_ou_recent=non&pmr=non".into(),
            "FFAFFFFFAF",
        ),
        // Only the officer proposes; a second proposal of the same dwelling is refused.
        post(
            format!("/relogement/menages/{}/proposition", r.h1),
            format!("logement={}&date=2026-11-02", r.v1),
            "FFFFFFFFAF",
        ),
        post(
            format!("/relogement/menages/{}/proposition", r.h2),
            format!("logement={}&date=2026-11-02", r.v1),
            "FFFFFFFFRF",
        ),
    ]
}

pub(crate) async fn checks(w: &World) {
    let r = &w.relocation;
    let user = |login: &str| w.users.iter().find(|u| u.login == login).unwrap();
    let get = |login: &'static str, uri: String| async move {
        call(w, user(login), Auth::Cookie, "GET", &uri, "").await
    };
    let post = |login: &'static str, uri: String, body: String| async move {
        call(w, user(login), Auth::Cookie, "POST", &uri, &body).await
    };
    // The CCAS user's list holds the household its CCAS follows, not the other.
    let (_, page) = get("ccas", "/relogement/menages".into()).await;
    assert!(
        page.contains("VIL-001") && !page.contains("PAR-001"),
        "{page}"
    );
    let (_, csv) = get("ccas", "/relogement/menages/export".into()).await;
    assert!(csv.starts_with("\u{feff}menage;bailleur;projet"), "{csv}");
    assert!(
        csv.contains("VIL-001;Vilogia;EUROPE") && !csv.contains("PAR-001"),
        "{csv}"
    );
    // The household's page: situation, out-of-pocket cost, its proposal on the timeline.
    let (_, page) = get("relogement", format!("/relogement/menages/{}", r.h1)).await;
    assert!(page.contains("reste à charge 360,00"), "{page}");
    assert!(page.contains("Proposition n° 1"), "{page}");
    // A refusal needs its reason: French error, nothing written.
    let h1 = r.h1;
    let proposal = w.read(move |s| s.proposals(h1).unwrap()[0].id).await;
    let (status, page) = post(
        "relogement",
        format!("/relogement/menages/{}/reponse", r.h1),
        format!("proposition={proposal}&reponse=refusee&motif=&date=2026-11-10"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("un refus demande son motif"), "{page}");
    assert_eq!(
        w.read(move |s| s.proposals(h1).unwrap()[0].answer.clone())
            .await,
        "sans_reponse"
    );
    // Another household's proposal is not this one's.
    let (status, _) = post(
        "relogement",
        format!("/relogement/menages/{}/reponse", r.h2),
        format!("proposition={proposal}&reponse=acceptee&date=2026-11-10"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Accepted, then relocated: a negative rent refused in French, then recorded.
    let (status, _) = post(
        "relogement",
        format!("/relogement/menages/{}/reponse", r.h1),
        format!("proposition={proposal}&reponse=acceptee&date=2026-11-10"),
    )
    .await;
    assert!(status.is_redirection(), "{status}");
    let (status, page) = post(
        "relogement",
        format!("/relogement/menages/{}/relogement", r.h1),
        format!(
            "logement={}&date=2026-11-20&nature=definitif&loyer=-430&charges=85&aide_logement=150",
            r.v1
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("loyer après : « -430 » est négatif"),
        "{page}"
    );
    assert!(w.read(move |s| s.relocations(h1).unwrap()).await.is_empty());
    let (status, _) = post(
        "relogement",
        format!("/relogement/menages/{}/relogement", r.h1),
        format!(
            "logement={}&date=2026-11-20&nature=definitif&loyer=430&charges=85&aide_logement=150",
            r.v1
        ),
    )
    .await;
    assert!(status.is_redirection(), "{status}");
    let (_, page) = get("relogement", format!("/relogement/menages/{}", r.h1)).await;
    assert!(page.contains("Relogement définitif"), "{page}");
    // The matching proposes the free dwelling to the household left, with its reasons.
    let (_, page) = get("relogement", "/relogement/appariement?lancer=1".into()).await;
    assert!(
        page.contains("PAR-001") && page.contains("reste à charge"),
        "{page}"
    );
    let (status, _) = post(
        "relogement",
        "/relogement/appariement".into(),
        format!("garder={}-{}&date=2026-11-25", r.h2, r.v2),
    )
    .await;
    assert!(status.is_success(), "{status}");
    let h2 = r.h2;
    assert_eq!(w.read(move |s| s.proposals(h2).unwrap().len()).await, 1);
    // The indicators: exact for the officer, small counts hidden for the observer.
    let (_, page) = get("relogement", "/relogement".into()).await;
    assert!(page.contains("Relogé définitivement"), "{page}");
    assert!(!page.contains("&lt; 5"), "{page}");
    let (_, page) = get("observateur", "/relogement".into()).await;
    assert!(page.contains("&lt; 5"), "{page}");
    let (_, csv) = get("observateur", "/relogement/export?format=csv".into()).await;
    assert!(csv.contains("Total;menages;"), "{csv}");
    assert!(!csv.contains("VIL-001"), "{csv}");
    // Vilogia's editor declares only Vilogia's dwellings.
    let (status, page) = post(
        "editeur",
        "/relogement/logements".into(),
        "logement=L-P9&bailleur=Partenord+Habitat&commune=Dunkerque&qpv=non&pieces=2&loyer=350"
            .into(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("votre organisation"), "{page}");
    // The API: the record with its proposals; every read journaled as « api ».
    let (_, json) = call(
        w,
        user("ccas"),
        Auth::Token,
        "GET",
        &format!("/api/v1/relogement/menages/{}", r.h1),
        "",
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["menage"], "VIL-001");
    assert_eq!(v["reste_a_charge_centimes"], 36_000);
    assert_eq!(v["relogements"][0]["definitif"], true);
    let (_, json) = call(
        w,
        user("observateur"),
        Auth::Token,
        "GET",
        "/api/v1/relogement/indicateurs",
        "",
    )
    .await;
    assert!(json.contains("\"valeur\":\"< 5\""), "{json}");
    // Every read is in the journal, which the officer reads.
    let (_, page) = get("relogement", "/relogement/journal".into()).await;
    assert!(
        page.contains("ccas") && page.contains("export") && page.contains("VIL-001"),
        "{page}"
    );
}
