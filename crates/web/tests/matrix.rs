//! The full matrix of roles × routes, pages and API, reads and writes, on SQLite and
//! PostgreSQL: each answer is asserted (allowed, 403, or hidden as 404), then the lists,
//! exports, reports and errors are checked for leaks of another organisation's data.
//! Expectations are written by hand here, not derived from the access module.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use logis_app::auth;
use logis_conformance::{Kind, TestDb, actor};
use logis_domain::{CommuneCode, OrgKind, Role};
use logis_store::{NewOrganisation, NewProgramme};
use tower::ServiceExt;

const CSV: &str = "reference;bailleur;commune;libelle;nature;produit;logements;annee;stade;cout
OP-1;Vilogia;Dunkerque;Résidence du Port;Construction neuve;PLUS;24;2026;Financé;3 120 000
OP-1;Vilogia;Dunkerque;Résidence du Port;Construction neuve;PLAI;8;2026;Financé;
OP-2;Partenord Habitat;59271;Courghain;Démolition;;120;2025;;
OP-2;Partenord Habitat;59271;Courghain;Construction neuve;PLUS;60;2026;Financé;9 000 000
OP-3;Flandre Opale Habitat;Saint-Pol-sur-Mer;Faidherbe;Construction neuve;PLS;45;2027;;";

/// The roles of the matrix, in the order of the expectation strings.
const ROLES: [&str; 7] = [
    "admin",
    "agent",
    "editeur",
    "lecteur",
    "commune",
    "etat",
    "observateur",
];

struct User {
    login: &'static str,
    cookie: String,
    csrf: String,
    token: String,
}

struct World {
    _db: TestDb,
    partenord: i64,
    app: axum::Router,
    users: Vec<User>,
    vilogia_op: i64,
    partenord_op: i64,
    programme: i64,
}

fn world(kind: Kind) -> World {
    let db = TestDb::with_landlords(kind);
    let store = db.store.clone();
    let s = store.as_ref();
    let a = actor();
    assert!(db.import(CSV).committed);
    let org = |kind, name: &str, commune: Option<&str>| {
        s.add_organisation(
            &a,
            &NewOrganisation {
                kind,
                name: name.into(),
                siren: None,
                commune: commune.map(|c| CommuneCode::parse(c).unwrap()),
            },
        )
        .unwrap()
        .id
    };
    let cud = org(OrgKind::Epci, "CUD", None);
    let gs = org(OrgKind::Commune, "Ville de Grande-Synthe", Some("59271"));
    let ddtm = org(OrgKind::State, "DDTM du Nord", None);
    let orgs = s.organisations().unwrap();
    let id_of = |n: &str| orgs.iter().find(|o| o.name == n).unwrap().id;
    let (vilogia, partenord) = (id_of("Vilogia"), id_of("Partenord Habitat"));
    let programme = s
        .add_programme(
            &a,
            &NewProgramme {
                name: "Dunkerque 2030".into(),
                description: String::new(),
                start_year: None,
                end_year: None,
                epci: None,
            },
        )
        .unwrap()
        .id;
    let specs: [(&str, Role, Option<i64>); 7] = [
        ("admin", Role::Admin, Some(cud)),
        ("agent", Role::Agent, Some(cud)),
        ("editeur", Role::LandlordEditor, Some(vilogia)),
        ("lecteur", Role::LandlordReader, Some(partenord)),
        ("commune", Role::CommuneReader, Some(gs)),
        ("etat", Role::StateReader, Some(ddtm)),
        ("observateur", Role::Observer, None),
    ];
    let users = specs
        .iter()
        .map(|(login, role, org)| {
            let u = auth::add_user(s, &a, login, login, *role, *org).unwrap();
            auth::set_password(s, &a, u.id, "mot de passe de test").unwrap();
            let session = auth::login(s, login, "mot de passe de test", "127.0.0.1")
                .unwrap()
                .unwrap();
            let (_, token) = auth::create_token(s, &a, u.id, "tests").unwrap();
            User {
                login,
                cookie: session.cookie,
                csrf: session.csrf,
                token,
            }
        })
        .collect();
    World {
        partenord,
        vilogia_op: s.operation_id(vilogia, "OP-1").unwrap().unwrap(),
        partenord_op: s.operation_id(partenord, "OP-2").unwrap().unwrap(),
        app: logis_web::router(store),
        _db: db,
        users,
        programme,
    }
}

#[derive(Clone, Copy)]
enum Auth {
    Cookie,
    CookieWithoutCsrf,
    Token,
}

async fn call(
    w: &World,
    u: &User,
    auth: Auth,
    method: &str,
    uri: &str,
    body: &str,
) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    let mut body = body.to_string();
    match auth {
        Auth::Cookie | Auth::CookieWithoutCsrf => {
            req = req.header(header::COOKIE, format!("logis_session={}", u.cookie));
            if method == "POST" {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                if matches!(auth, Auth::Cookie) {
                    body = if body.is_empty() {
                        format!("csrf={}", u.csrf)
                    } else {
                        format!("{body}&csrf={}", u.csrf)
                    };
                }
            }
        }
        Auth::Token => {
            req = req.header(header::AUTHORIZATION, format!("Bearer {}", u.token));
        }
    }
    let res = w
        .app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// 'A' allowed (2xx or a redirect), 'F' forbidden (403), 'N' hidden (404), 'U' refused
/// input (422), for each role in [`ROLES`] order.
fn check(expected: &str, status: StatusCode, who: &str, what: &str) {
    let ok = match expected {
        "A" => status.is_success() || status.is_redirection(),
        "F" => status == StatusCode::FORBIDDEN,
        "N" => status == StatusCode::NOT_FOUND,
        "U" => status == StatusCode::UNPROCESSABLE_ENTITY,
        other => panic!("attendu inconnu {other}"),
    };
    assert!(ok, "{who} {what} : {status}, attendu {expected}");
}

async fn matrix(w: &World) {
    let (v, p, prog) = (w.vilogia_op, w.partenord_op, w.programme);
    let vilogia_csv = "reference;bailleur;commune;nature;produit;logements;annee\nOP-9;Vilogia;Dunkerque;Construction neuve;PLUS;10;2027";
    let targets = r#"{"perimetre":"production","total":12000,"annee_debut":2024,"annee_fin":2034,"part_sociale":40,"fourchette_min":1200,"fourchette_max":1500}"#;
    // (auth, method, uri, body, expectations for admin agent editeur lecteur commune etat observateur)
    let edit_vilogia =
        "commune=Dunkerque&l0-nature=new_build&l0-produit=plus&l0-logements=25&l0-annee=2026";
    let edit_partenord = "commune=59271&l0-nature=demolition&l0-logements=121&l0-annee=2025";
    // A landlord editor creating an operation for another landlord (refused), the administrator
    // the same with a bad year (the form comes back with the error, nothing written).
    let create_partenord = format!(
        "bailleur={}&reference=OP-X&commune=Dunkerque&l0-nature=new_build&l0-produit=plus&l0-logements=5&l0-annee=1900",
        w.partenord
    );
    let routes: Vec<(Auth, &str, String, &str, &str)> = vec![
        (
            Auth::Cookie,
            "GET",
            "/operations/nouvelle".into(),
            "",
            "AFAFFFF",
        ),
        (Auth::Cookie, "GET", "/import".into(), "", "AFAFFFF"),
        (Auth::Cookie, "GET", "/carte".into(), "", "AAAAAAA"),
        (Auth::Cookie, "GET", "/referentiel".into(), "", "AAAAAAA"),
        (
            Auth::Cookie,
            "GET",
            "/import/modele.csv".into(),
            "",
            "AFAFFFF",
        ),
        (
            Auth::CookieWithoutCsrf,
            "POST",
            "/import/confirmer".into(),
            "fichier=x",
            "FFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/operations/nouvelle".into(),
            &create_partenord,
            "UFFFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/operations/{v}/modifier"),
            "",
            "AFAFFFF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/operations/{p}/modifier"),
            "",
            "AFNFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            format!("/operations/{v}/modifier"),
            edit_vilogia,
            "AFAFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            format!("/operations/{p}/modifier"),
            edit_partenord,
            "AFNFFFF",
        ),
        (
            Auth::CookieWithoutCsrf,
            "POST",
            format!("/operations/{v}/modifier"),
            edit_vilogia,
            "FFFFFFF",
        ),
        (Auth::Cookie, "GET", "/".into(), "", "AAAAAAA"),
        (Auth::Cookie, "GET", "/operations".into(), "", "AAAAAAF"),
        (
            Auth::Cookie,
            "GET",
            "/operations/export?format=csv".into(),
            "",
            "AAAAAAF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/operations/export?format=xlsx".into(),
            "",
            "AAAAAAF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/operations/{v}"),
            "",
            "AAANNAF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/operations/{p}"),
            "",
            "AANAAAF",
        ),
        (
            Auth::Cookie,
            "GET",
            format!("/operations/{v}/historique.csv"),
            "",
            "AAANNAF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/communes?q=dunk".into(),
            "",
            "AAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/rapports/production".into(),
            "",
            "AAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/rapports/renouvellement/export?format=xlsx".into(),
            "",
            "AAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/rapports/financement".into(),
            "",
            "AAAAFAF",
        ),
        (
            Auth::Cookie,
            "GET",
            "/rapports/financement/export?format=csv".into(),
            "",
            "AAAAFAF",
        ),
        (Auth::Cookie, "GET", "/compte".into(), "", "AAAAAAA"),
        (
            Auth::Cookie,
            "GET",
            "/admin/utilisateurs".into(),
            "",
            "AFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/admin/utilisateurs".into(),
            "identifiant=nouveau&role=observateur",
            "AFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/admin/organisations".into(),
            "nom=CCAS+test&type_organisation=ccas",
            "AFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/admin/utilisateurs/1/reinitialiser".into(),
            "",
            "AFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/compte/jetons".into(),
            "nom=second",
            "AAAAAAA",
        ),
        (
            Auth::CookieWithoutCsrf,
            "POST",
            "/compte/jetons".into(),
            "nom=sans-csrf",
            "FFFFFFF",
        ),
        (
            Auth::CookieWithoutCsrf,
            "POST",
            "/admin/utilisateurs".into(),
            "identifiant=pirate&role=admin_epci",
            "FFFFFFF",
        ),
        (Auth::Token, "GET", "/api/v1/moi".into(), "", "AAAAAAA"),
        (
            Auth::Token,
            "GET",
            "/api/openapi.json".into(),
            "",
            "AAAAAAA",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/operations".into(),
            "",
            "AAAAAAF",
        ),
        (
            Auth::Token,
            "GET",
            format!("/api/v1/operations/{v}"),
            "",
            "AAANNAF",
        ),
        (
            Auth::Token,
            "GET",
            format!("/api/v1/operations/{p}"),
            "",
            "AANAAAF",
        ),
        (
            Auth::Token,
            "GET",
            format!("/api/v1/operations/{v}/historique"),
            "",
            "AAANNAF",
        ),
        (
            Auth::Token,
            "POST",
            "/api/v1/operations/import?verifier=true".into(),
            vilogia_csv,
            "AFAFFFF",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/programmes".into(),
            "",
            "AAAAAAA",
        ),
        (
            Auth::Token,
            "PUT",
            format!("/api/v1/programmes/{prog}/objectifs"),
            targets,
            "AAFFFFF",
        ),
        (
            Auth::Token,
            "GET",
            format!("/api/v1/programmes/{prog}/objectifs"),
            "",
            "AAAAAAA",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/rapports/production".into(),
            "",
            "AAAAAAA",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/rapports/financement".into(),
            "",
            "AAAAFAF",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/communes?q=dunk".into(),
            "",
            "AAAAAAA",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/organisations".into(),
            "",
            "AAAAAAA",
        ),
    ];
    for (auth, method, uri, body, expected) in &routes {
        assert_eq!(expected.len(), ROLES.len());
        for (u, exp) in w.users.iter().zip(expected.chars()) {
            let (status, text) = call(w, u, *auth, method, uri, body).await;
            check(
                &exp.to_string(),
                status,
                u.login,
                &format!("{method} {uri}"),
            );
            if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
                // Refusals never carry another organisation's data.
                for secret in [
                    "Partenord Habitat",
                    "Résidence du Port",
                    "3 120 000",
                    "312000000",
                ] {
                    assert!(
                        !text.contains(secret),
                        "{} {uri} : {secret} dans {text}",
                        u.login
                    );
                }
            }
        }
    }
    // No session, no token: pages lead to the login page, the API answers 401.
    let anon = |uri: &str| Request::builder().uri(uri).body(Body::empty()).unwrap();
    let res = w.app.clone().oneshot(anon("/operations")).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = w
        .app
        .clone()
        .oneshot(anon("/api/v1/operations"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    for public in ["/connexion", "/sante"] {
        let res = w.app.clone().oneshot(anon(public)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{public}");
    }

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
        vilogia_csv,
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
    let (status, body) = call(
        w,
        admin,
        Auth::Cookie,
        "POST",
        "/admin/utilisateurs",
        "identifiant=%C3%A9t%C3%A9&role=observateur",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("identifiant invalide"), "{body}");
    let (_, list) = call(w, admin, Auth::Cookie, "GET", "/admin/utilisateurs", "").await;
    assert!(!list.contains("<td>été</td>"));
    // Security headers on every answer.
    let res = w.app.clone().oneshot(anon("/connexion")).await.unwrap();
    let h = res.headers();
    assert!(
        h.get(header::CONTENT_SECURITY_POLICY)
            .is_some_and(|v| v.to_str().unwrap().contains("default-src 'self'"))
    );
    assert_eq!(h.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
    assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
}

/// The database is prepared (and dropped) outside the runtime: the PostgreSQL client blocks.
fn run(kind: Kind) {
    let w = world(kind);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(matrix(&w));
    drop(rt);
    drop(w);
}

#[test]
fn roles_and_routes_on_sqlite() {
    run(Kind::Sqlite);
}

#[test]
fn roles_and_routes_on_postgres() {
    run(Kind::Postgres);
}
