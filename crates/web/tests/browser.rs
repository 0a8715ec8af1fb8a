//! Browser tests: the demo territory is loaded into a real database (SQLite file, PostgreSQL
//! server), the real router is served on a loopback port, and `browser/journey.mjs` drives
//! Debian's Chromium with Playwright through a newcomer's journey, checking every page with
//! axe-core. `./scripts/test` installs Chromium and the npm packages (`npm ci`); without them
//! this test fails with a message saying so. `LOGIS_BROWSER_KEEP=DIR` keeps the downloads and
//! screenshots in DIR.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use logis_conformance::{Kind, TestDb};
use std::path::PathBuf;

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../browser")
}

fn run(kind: Kind) {
    let dir = browser_dir();
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "paquets npm absents : lancez les tests par ./scripts/test (npm ci dans browser/)"
    );
    let chromium = std::env::var("LOGIS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "Chromium absent ({chromium}) : lancez les tests par ./scripts/test (apt-get install chromium)"
    );
    let db = TestDb::fresh(kind);
    logis_app::demo::load_demo(db.store.as_ref()).unwrap();

    let server = common::serve(db.store.clone());
    let addr = server.addr;
    let downloads = tempfile::tempdir().unwrap();
    let keep = std::env::var("LOGIS_BROWSER_KEEP").ok();
    let out = std::process::Command::new("node")
        .arg("journey.mjs")
        .current_dir(&dir)
        .env("LOGIS_URL", format!("http://{addr}"))
        .env("LOGIS_CHROMIUM", &chromium)
        .env("LOGIS_PASSWORD", logis_app::demo::DEMO_PASSWORD)
        .env(
            "LOGIS_DOWNLOADS",
            keep.as_deref()
                .map(std::path::Path::new)
                .unwrap_or(downloads.path()),
        )
        .output()
        .expect("node introuvable");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(out.status.success(), "parcours navigateur en échec");
    assert!(
        stdout.contains("parcours terminé"),
        "le parcours ne s'est pas terminé"
    );
    drop(server);
}

/// The login through a real OpenID provider (`browser/oidc-provider.mjs`, npm `oidc-provider`),
/// driven by `browser/openid.mjs`: invitations made here, the provider started with logis's
/// redirect URI, logis discovering it.
fn openid(kind: Kind) {
    use std::io::BufRead;
    let dir = browser_dir();
    assert!(
        dir.join("node_modules/oidc-provider").is_dir(),
        "paquets npm absents : lancez les tests par ./scripts/test (npm ci dans browser/)"
    );
    let chromium = std::env::var("LOGIS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let db = TestDb::fresh(kind);
    let store = db.store.clone();
    logis_app::demo::load_demo(store.as_ref()).unwrap();
    let admin = logis_domain::Principal {
        user_id: 0,
        login: "test".into(),
        role: logis_domain::Role::Admin,
        organisation_id: None,
        commune: None,
    };
    let actor = logis_store::Actor::system("tests");
    // (Camille is invited by the administrator through the page, in the browser.)
    logis_app::oidc::invite(
        store.as_ref(),
        &admin,
        &actor,
        "dominique@cud.test",
        "agent",
        "Communauté urbaine de Dunkerque",
        "",
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let accounts = serde_json::json!({
        "camille": { "email": "camille@vilogia.test", "given_name": "Camille", "usual_name": "Martin" },
        // The CUD's SIREN is 245 900 428: this SIRET is another company's.
        "dominique": { "email": "dominique@cud.test", "given_name": "Dominique", "usual_name": "Petit", "siret": "73282932000009" },
        "inconnu": { "email": "inconnu@ailleurs.test", "given_name": "Inconnu", "usual_name": "X" },
    });
    let mut provider = std::process::Command::new("node")
        .arg("oidc-provider.mjs")
        .current_dir(&dir)
        .env("LOGIS_REDIRECT", format!("{base}/connexion/openid/retour"))
        .env("LOGIS_OIDC_SECRET", "secret-de-test")
        .env("LOGIS_OIDC_ACCOUNTS", accounts.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node introuvable");
    let mut first = String::new();
    let mut lines = std::io::BufReader::new(provider.stdout.take().unwrap());
    lines.read_line(&mut first).unwrap();
    // Whatever the provider prints next is read (a closed pipe would stop it).
    std::thread::spawn(move || {
        let mut sink = String::new();
        while lines.read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
    });
    let issuer = first
        .trim()
        .strip_prefix("issuer ")
        .unwrap_or_else(|| panic!("fournisseur : {first}"))
        .to_string();
    let app = rt
        .block_on(logis_web::router_with_oidc(
            store.clone(),
            logis_web::accounts::oidc::OidcConfig {
                issuer: issuer.clone(),
                client_id: "logis".into(),
                client_secret: "secret-de-test".into(),
            },
            &base,
        ))
        .unwrap();
    rt.spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let out = std::process::Command::new("node")
        .arg("openid.mjs")
        .current_dir(&dir)
        .env("LOGIS_URL", &base)
        .env("LOGIS_ISSUER", &issuer)
        .env("LOGIS_PASSWORD", logis_app::demo::DEMO_PASSWORD)
        .env("LOGIS_CHROMIUM", &chromium)
        .output()
        .expect("node introuvable");
    let _ = provider.kill();
    let _ = provider.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "parcours OpenID en échec");
    assert!(stdout.contains("parcours terminé"));
    // The invited person's account exists, bound to the provider; nobody else's was created.
    let users = store.users().unwrap();
    assert!(users.iter().any(|u| u.login == "camille@vilogia.test"));
    assert!(
        !users
            .iter()
            .any(|u| u.login.ends_with("@cud.test") || u.login.ends_with("@ailleurs.test"))
    );
}

#[test]
fn openid_sqlite() {
    openid(Kind::Sqlite);
}

#[test]
fn openid_postgres() {
    openid(Kind::Postgres);
}

#[test]
fn journey_sqlite() {
    run(Kind::Sqlite);
}

#[test]
fn journey_postgres() {
    run(Kind::Postgres);
}
