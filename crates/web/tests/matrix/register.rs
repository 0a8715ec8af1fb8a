//! The register's routes: pages, exports, reports, the form, the import, and its API; then
//! what each reader sees of them (own operations only, aggregates for all) and bad input.

use super::*;

/// A landlord editor's own import (checked through the API, then written).
const VILOGIA_CSV: &str = "reference;bailleur;commune;nature;produit;logements;annee\nOP-9;Vilogia;Dunkerque;Construction neuve;PLUS;10;2027";

/// The register's routes, in the order they are called: (authentication, method, address, body,
/// expectations for admin agent editeur lecteur commune etat observateur).
pub(crate) fn routes(w: &World) -> Vec<Route> {
    let (v, p, prog) = (w.vilogia_op, w.partenord_op, w.programme);
    let targets = r#"{"perimetre":"production","total":12000,"annee_debut":2024,"annee_fin":2034,"part_sociale":40,"fourchette_min":1200,"fourchette_max":1500}"#;
    let edit_vilogia =
        "commune=Dunkerque&l0-nature=new_build&l0-produit=plus&l0-logements=25&l0-annee=2026";
    let edit_partenord = "commune=59271&l0-nature=demolition&l0-logements=121&l0-annee=2025";
    // A landlord editor creating an operation for another landlord (refused), the administrator
    // the same with a bad year (the form comes back with the error, nothing written).
    let create_partenord = format!(
        "bailleur={}&reference=OP-X&commune=Dunkerque&l0-nature=new_build&l0-produit=plus&l0-logements=5&l0-annee=1900",
        w.partenord
    );
    vec![
        (
            Auth::Cookie,
            "GET",
            "/operations/nouvelle".into(),
            String::new(),
            "AFAFFFFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/import".into(),
            String::new(),
            "AFAFFFFFFF",
        ),
        // The SIAP import: the EPCI's administrator.
        (
            Auth::Cookie,
            "GET",
            "/import/siap".into(),
            String::new(),
            "AFFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/carte".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/import/modele.csv".into(),
            String::new(),
            "AFAFFFFFFF",
        ),
        (
            Auth::CookieWithoutCsrf,
            "POST",
            "/import/confirmer".into(),
            "fichier=x".into(),
            "FFFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/operations/nouvelle".into(),
            String::from(&create_partenord),
            "UFFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/operations/{v}/modifier"),
            String::new(),
            "AFAFFFFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/operations/{p}/modifier"),
            String::new(),
            "AFNFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            format!("/operations/{v}/modifier"),
            String::from(edit_vilogia),
            "AFAFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            format!("/operations/{p}/modifier"),
            String::from(edit_partenord),
            "AFNFFFFFFF",
        ),
        (
            Auth::CookieWithoutCsrf,
            "POST",
            format!("/operations/{v}/modifier"),
            String::from(edit_vilogia),
            "FFFFFFFFFF",
        ),
        (Auth::Cookie, "GET", "/".into(), String::new(), "AAAAAAAAAA"),
        (
            Auth::Cookie,
            "GET",
            "/operations".into(),
            String::new(),
            "AAAAAAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/operations/export?format=csv".into(),
            String::new(),
            "AAAAAAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/operations/export?format=xlsx".into(),
            String::new(),
            "AAAAAAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/operations/{v}"),
            String::new(),
            "AAANNAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/operations/{p}"),
            String::new(),
            "AANAAAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/operations/{v}/historique.csv"),
            String::new(),
            "AAANNAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/rapports/production".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/rapports/renouvellement/export?format=xlsx".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/rapports/financement".into(),
            String::new(),
            "AAAAFAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/rapports/financement/export?format=csv".into(),
            String::new(),
            "AAAAFAFFFF",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/operations".into(),
            String::new(),
            "AAAAAAFFFF",
        ),
        (
            Auth::Token,
            "GET",
            format!("/api/v1/operations/{v}"),
            String::new(),
            "AAANNAFFFF",
        ),
        (
            Auth::Token,
            "GET",
            format!("/api/v1/operations/{p}"),
            String::new(),
            "AANAAAFFFF",
        ),
        (
            Auth::Token,
            "GET",
            format!("/api/v1/operations/{v}/historique"),
            String::new(),
            "AAANNAFFFF",
        ),
        (
            Auth::Token,
            "POST",
            "/api/v1/operations/import?verifier=true".into(),
            String::from(VILOGIA_CSV),
            "AFAFFFFFFF",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/programmes".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Token,
            "PUT",
            format!("/api/v1/programmes/{prog}/objectifs"),
            String::from(targets),
            "AAFFFFFFFF",
        ),
        (
            Auth::Token,
            "GET",
            format!("/api/v1/programmes/{prog}/objectifs"),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/rapports/production".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/rapports/financement".into(),
            String::new(),
            "AAAAFAFFFF",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/organisations".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
    ]
}

/// What each role gets from the register's answers, beyond the status of each route.
pub(crate) async fn checks(w: &World) {
    // Filtered answers: each reader sees its own operations only.
    let user = |login: &str| w.users.iter().find(|u| u.login == login).unwrap();
    let total = |body: &str| -> u64 {
        serde_json::from_str::<serde_json::Value>(body).unwrap()["total"]
            .as_u64()
            .unwrap()
    };
    for (login, lines, must, must_not) in [
        ("admin", 5, "OP-3", ""),
        ("editeur", 2, "OP-1", "OP-2"),
        ("lecteur", 2, "OP-2", "OP-1"),
        ("commune", 2, "OP-2", "OP-3"),
        ("etat", 5, "OP-1", ""),
    ] {
        let u = user(login);
        let (_, body) = call(w, u, Auth::Token, "GET", "/api/v1/operations", "").await;
        assert_eq!(total(&body), lines, "{login}: {body}");
        let (_, page) = call(w, u, Auth::Cookie, "GET", "/operations", "").await;
        let (_, csv) = call(
            w,
            u,
            Auth::Cookie,
            "GET",
            "/operations/export?format=csv",
            "",
        )
        .await;
        for text in [&body, &page, &csv] {
            assert!(text.contains(must), "{login} devrait voir {must}");
            if !must_not.is_empty() {
                assert!(
                    !text.contains(must_not),
                    "{login} ne devrait pas voir {must_not}"
                );
            }
        }
        // Asking for another landlord by filter gives nothing more.
        let (_, other) = call(
            w,
            u,
            Auth::Token,
            "GET",
            "/api/v1/operations?bailleur=999999",
            "",
        )
        .await;
        assert_eq!(total(&other), 0);
    }
    // Cost prices go only to those who may read financing: the commune reader sees OP-2 but
    // not its 9 000 000 € (API lines, the operation, its history, the CSV export's `cout`).
    for (login, sees_cost) in [("commune", false), ("etat", true), ("lecteur", true)] {
        let u = user(login);
        let p = w.partenord_op;
        let mut texts = Vec::new();
        for uri in [
            "/api/v1/operations".to_string(),
            format!("/api/v1/operations/{p}"),
            format!("/api/v1/operations/{p}/historique"),
        ] {
            let (status, body) = call(w, u, Auth::Token, "GET", &uri, "").await;
            assert_eq!(status, StatusCode::OK, "{login} {uri}: {body}");
            texts.push((uri, body));
        }
        for uri in [
            "/operations/export?format=csv".to_string(),
            format!("/operations/{p}"),
            format!("/operations/{p}/historique.csv"),
        ] {
            let (status, body) = call(w, u, Auth::Cookie, "GET", &uri, "").await;
            assert_eq!(status, StatusCode::OK, "{login} {uri}: {body}");
            texts.push((uri, body));
        }
        for (uri, text) in &texts {
            let text = text.replace(['\u{202f}', '\u{a0}'], " ");
            let carries = text.contains("9000000") || text.contains("9 000 000");
            assert_eq!(carries, sees_cost, "{login} {uri}: {text}");
        }
        let header = texts[3].1.lines().next().unwrap_or_default().to_string();
        assert_eq!(header.ends_with(";cout"), sees_cost, "{login}: {header}");
    }
    // Reports by the communes as written: OP-3 was written « Saint-Pol-sur-Mer » (Dunkerque
    // today); a bad choice is a French 400.
    let observer = user("observateur");
    let (status, body) = call(
        w,
        observer,
        Auth::Token,
        "GET",
        "/api/v1/rapports/production?communes=origine",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"59540\",\"Saint-Pol-sur-Mer\""), "{body}");
    let (_, today) = call(
        w,
        observer,
        Auth::Token,
        "GET",
        "/api/v1/rapports/production",
        "",
    )
    .await;
    assert!(!today.contains("Saint-Pol-sur-Mer"), "{today}");
    let (status, body) = call(
        w,
        observer,
        Auth::Token,
        "GET",
        "/api/v1/rapports/production?communes=hier",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("choix inconnu « hier »"), "{body}");
    let (status, page) = call(
        w,
        observer,
        Auth::Cookie,
        "GET",
        "/rapports/production?communes=origine",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Saint-Pol-sur-Mer"), "{page}");
    // The financing report of a landlord covers its own operations only.
    let (_, fin) = call(
        w,
        user("editeur"),
        Auth::Token,
        "GET",
        "/api/v1/rapports/financement",
        "",
    )
    .await;
    assert!(fin.contains("OP-1") && !fin.contains("OP-2"), "{fin}");
    // Aggregated reports count everyone's dwellings, for every role.
    let (_, prod) = call(
        w,
        user("observateur"),
        Auth::Token,
        "GET",
        "/api/v1/rapports/production?annee_min=2026&annee_max=2026",
        "",
    )
    .await;
    // (25: OP-1's PLUS line was changed from 24 by the edit form above.)
    assert!(prod.contains("\"60\"") && prod.contains("\"25\""), "{prod}");
    // A landlord editor cannot import another landlord's lines: row and column named.
    let partenord_csv = "reference;bailleur;commune;nature;produit;logements;annee\nOP-8;Partenord Habitat;Dunkerque;Construction neuve;PLUS;10;2027";
    let (status, body) = call(
        w,
        user("editeur"),
        Auth::Token,
        "POST",
        "/api/v1/operations/import",
        partenord_csv,
    )
    .await;
    check("U", status, "editeur", "import Partenord");
    assert!(
        body.contains("\"ligne\":2") && body.contains("\"colonne\":\"bailleur\""),
        "{body}"
    );
    // Its own import is written, and recorded under its name through the API.
    let (status, body) = call(
        w,
        user("editeur"),
        Auth::Token,
        "POST",
        "/api/v1/operations/import",
        VILOGIA_CSV,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, ops) = call(
        w,
        user("editeur"),
        Auth::Token,
        "GET",
        "/api/v1/operations",
        "",
    )
    .await;
    let op9 = serde_json::from_str::<serde_json::Value>(&ops).unwrap()["lignes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["reference"] == "OP-9")
        .map(|l| l["operation_id"].as_i64().unwrap())
        .unwrap();
    let (_, hist) = call(
        w,
        user("editeur"),
        Auth::Token,
        "GET",
        &format!("/api/v1/operations/{op9}/historique"),
        "",
    )
    .await;
    assert!(
        hist.contains("\"utilisateur\":\"editeur\"") && hist.contains("\"via\":\"api\""),
        "{hist}"
    );
    // The page of the operation shows its history too.
    let (_, page) = call(
        w,
        user("admin"),
        Auth::Cookie,
        "GET",
        &format!("/operations/{op9}"),
        "",
    )
    .await;
    assert!(
        page.contains("Historique des modifications") && page.contains("editeur"),
        "{page}"
    );
    // Bad input: a clear French error, nothing written.
    let admin = user("admin");
    let (status, body) = call(
        w,
        admin,
        Auth::Token,
        "GET",
        "/api/v1/operations?annee_min=deux",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("année minimale invalide « deux »"), "{body}");
    let other = format!("/api/v1/programmes/{}/objectifs", w.programme + 1);
    let (before, _) = call(w, admin, Auth::Token, "GET", &other, "").await;
    let (status, body) = call(
        w,
        admin,
        Auth::Token,
        "PUT",
        &other.replace(&(w.programme + 1).to_string(), &w.programme.to_string()),
        "{pas du json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("objectifs illisibles"), "{body}");
    let (status, body) = call(
        w,
        admin,
        Auth::Token,
        "PUT",
        &other,
        r#"{"perimetre":"production","annee_debut":2030,"annee_fin":2020}"#,
    )
    .await;
    assert!(
        status == StatusCode::NOT_FOUND && body.contains("introuvable"),
        "{status} {body}"
    );
    let (after, _) = call(w, admin, Auth::Token, "GET", &other, "").await;
    assert_eq!(
        (before, after),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    let own = format!("/api/v1/programmes/{}/objectifs", w.programme);
    let (_, kept) = call(w, admin, Auth::Token, "GET", &own, "").await;
    let (status, body) = call(
        w,
        admin,
        Auth::Token,
        "PUT",
        &own,
        r#"{"perimetre":"production","annee_debut":2030,"annee_fin":2020}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("2030") && body.contains("erreur"), "{body}");
    let (_, still) = call(w, admin, Auth::Token, "GET", &own, "").await;
    assert_eq!(kept, still, "des objectifs refusés ne changent rien");
}
