//! The full matrix of roles × routes, pages and API, reads and writes, on SQLite and
//! PostgreSQL: each answer is asserted (allowed, 403, or hidden as 404), then the lists,
//! exports, reports and errors are checked for leaks of another organisation's data.
//! Expectations are written by hand here, not derived from the access module. Each capability
//! lists its routes and its own checks in the file of its name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use logis_app::accounts as auth;
use logis_conformance::{Kind, TestDb, actor};
use logis_domain::{CommuneCode, OrgKind, Role};
use logis_store::{NewOrganisation, NewProgramme};
use tower::ServiceExt;

mod accounts;
mod land;
mod plans;
mod proximity;
mod reference;
mod register;
mod relocation;
mod settlement;
mod stock;

/// One route of the matrix: (authentication, method, address, body, expectations per role).
type Route = (Auth, &'static str, String, String, &'static str);

const CSV: &str = "reference;bailleur;commune;libelle;nature;produit;logements;annee;stade;cout
OP-1;Vilogia;Dunkerque;Résidence du Port;Construction neuve;PLUS;24;2026;Financé;3 120 000
OP-1;Vilogia;Dunkerque;Résidence du Port;Construction neuve;PLAI;8;2026;Financé;
OP-2;Partenord Habitat;59271;Courghain;Démolition;;120;2025;;
OP-2;Partenord Habitat;59271;Courghain;Construction neuve;PLUS;60;2026;Financé;9 000 000
OP-3;Flandre Opale Habitat;Saint-Pol-sur-Mer;Faidherbe;Construction neuve;PLS;45;2027;;";

/// The roles of the matrix, in the order of the expectation strings.
const ROLES: [&str; 10] = [
    "admin",
    "agent",
    "editeur",
    "lecteur",
    "commune",
    "etat",
    "observateur",
    "conciergerie",
    "relogement",
    "ccas",
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
    /// The land bank's sites: proposed, only identified, allocated to Vilogia.
    sites: [i64; 3],
    vilogia: i64,
    proximity: proximity::Proximity,
    relocation: relocation::Relocation,
    /// The settlement observatory's charter.
    charter: i64,
    /// The joint action plan's action (Vilogia leads it, in a partnership with Partenord).
    plan_action: i64,
}

impl World {
    /// Read the store directly (on a blocking thread: the PostgreSQL client blocks).
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn logis_store::Store) -> T + Send + 'static,
    ) -> T {
        let store = self._db.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .unwrap()
    }
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
    let concierge = org(OrgKind::Conciergerie, "Conciergerie de l'Europe", None);
    let ccas = org(OrgKind::Ccas, "CCAS de Grande-Synthe", None);
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
    let specs: [(&str, Role, Option<i64>); 10] = [
        ("admin", Role::Admin, Some(cud)),
        ("agent", Role::Agent, Some(cud)),
        ("editeur", Role::LandlordEditor, Some(vilogia)),
        ("lecteur", Role::LandlordReader, Some(partenord)),
        ("commune", Role::CommuneReader, Some(gs)),
        ("etat", Role::StateReader, Some(ddtm)),
        ("observateur", Role::Observer, None),
        ("conciergerie", Role::ConciergerieAgent, Some(concierge)),
        ("relogement", Role::RelocationOfficer, Some(cud)),
        ("ccas", Role::CcasAgent, Some(ccas)),
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
    let sites = land::sites(s);
    let proximity = proximity::world(s, cud, gs, concierge);
    let relocation = relocation::world(s);
    stock::world(s);
    let charter = settlement::world(s);
    let plan_action = plans::world(s);
    World {
        plan_action,
        charter,
        proximity,
        relocation,
        sites,
        vilogia,
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
/// input (422), 'R' let in but its request refused (400 or 409: a decision already taken by
/// the role before it), for each role in [`ROLES`] order.
fn check(expected: &str, status: StatusCode, who: &str, what: &str) {
    let ok = match expected {
        "A" => status.is_success() || status.is_redirection(),
        "F" => status == StatusCode::FORBIDDEN,
        "N" => status == StatusCode::NOT_FOUND,
        "U" => status == StatusCode::UNPROCESSABLE_ENTITY,
        "R" => status == StatusCode::BAD_REQUEST || status == StatusCode::CONFLICT,
        other => panic!("attendu inconnu {other}"),
    };
    assert!(ok, "{who} {what} : {status}, attendu {expected}");
}

async fn matrix(w: &World) {
    let routes: Vec<Route> = [
        register::routes(w),
        accounts::routes(w),
        reference::routes(w),
        land::routes(w),
        proximity::routes(w),
        relocation::routes(w),
        stock::routes(w),
        settlement::routes(w),
        plans::routes(w),
    ]
    .concat();
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
    // Without a provider configured, the OpenID routes are public and answer 404 (no provider).
    for public in [
        "/connexion/openid",
        "/connexion/openid/retour?code=x&state=y",
    ] {
        let res = w.app.clone().oneshot(anon(public)).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{public}");
    }
    // The health check tells its status only: not the database's kind, not the register's size.
    let res = w.app.clone().oneshot(anon("/sante")).await.unwrap();
    let body = axum::body::to_bytes(res.into_body(), 1 << 16)
        .await
        .unwrap();
    assert_eq!(&body[..], br#"{"statut":"ok"}"#);

    register::checks(w).await;
    accounts::checks(w).await;
    land::checks(w).await;
    proximity::checks(w).await;
    relocation::checks(w).await;
    stock::checks(w).await;
    settlement::checks(w).await;
    plans::checks(w).await;
    rejections_are_french(w).await;
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

/// What the web framework refuses before a handler runs comes back in French: the error page
/// for pages, the API's JSON error under /api/, the status and headers kept.
async fn rejections_are_french(w: &World) {
    let admin = w.users.iter().find(|u| u.login == "admin").unwrap();
    let big = "x".repeat(3 << 20);
    let import = format!("/import?csrf={}", admin.csrf);
    // (method, address, content type, body, status kept, French words said)
    type Case<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        String,
        StatusCode,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "GET",
            "/operations/abc",
            None,
            String::new(),
            StatusCode::BAD_REQUEST,
            "un de ses éléments",
        ),
        (
            "GET",
            "/operations/%FF",
            None,
            String::new(),
            StatusCode::BAD_REQUEST,
            "illisibles",
        ),
        (
            "GET",
            "/operations?annee_min=2026&annee_min=2027",
            None,
            String::new(),
            StatusCode::BAD_REQUEST,
            "donné deux fois",
        ),
        (
            "POST",
            &import,
            Some("multipart/form-data"),
            "fichier".into(),
            StatusCode::BAD_REQUEST,
            "boundary",
        ),
        (
            "PUT",
            "/api/v1/programmes/1/objectifs",
            Some("application/json"),
            big,
            StatusCode::PAYLOAD_TOO_LARGE,
            "trop volumineux",
        ),
        (
            "DELETE",
            "/api/v1/operations",
            None,
            String::new(),
            StatusCode::METHOD_NOT_ALLOWED,
            "méthode",
        ),
    ];
    for (method, uri, kind, body, status, words) in cases {
        let mut req = Request::builder().method(method).uri(uri);
        req = if uri.starts_with("/api/") {
            req.header(header::AUTHORIZATION, format!("Bearer {}", admin.token))
        } else {
            req.header(header::COOKIE, format!("logis_session={}", admin.cookie))
        };
        if let Some(k) = kind {
            req = req.header(header::CONTENT_TYPE, k);
        }
        let res = w
            .app
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{method} {uri}");
        let allow = res.headers().get(header::ALLOW).cloned();
        let kind = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&text);
        assert!(text.contains(words), "{method} {uri} : {text}");
        if uri.starts_with("/api/") {
            assert!(
                kind.starts_with("application/json"),
                "{method} {uri} : {kind}"
            );
            assert!(text.starts_with("{\"erreur\":"), "{text}");
        } else {
            assert!(kind.starts_with("text/html"), "{method} {uri} : {kind}");
            assert!(text.contains("<html lang=\"fr\""), "{text}");
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert!(allow.is_some(), "{method} {uri} : en-tête Allow gardé");
        }
    }
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
