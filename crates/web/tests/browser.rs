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

#[test]
fn journey_sqlite() {
    run(Kind::Sqlite);
}

#[test]
fn journey_postgres() {
    run(Kind::Postgres);
}
