//! Schemathesis (PyPI) against the served OpenAPI document, on SQLite and PostgreSQL: no 5xx,
//! every response matches the schema. `./scripts/test` installs schemathesis in a virtual
//! environment and names it in `LOGIS_SCHEMATHESIS`; without it this test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use logis_app::accounts as auth;
use logis_conformance::{Kind, TestDb, actor};
use logis_domain::Role;
use logis_store::NewProgramme;

const CSV: &str = "reference;bailleur;commune;libelle;nature;produit;logements;annee;stade;cout
OP-1;Vilogia;Dunkerque;Résidence du Port;Construction neuve;PLUS;24;2026;Financé;3 120 000
OP-2;Partenord Habitat;59271;Courghain;Démolition;;120;2025;;";

fn run(kind: Kind) {
    let exe = std::env::var("LOGIS_SCHEMATHESIS").unwrap_or_else(|_| {
        panic!("LOGIS_SCHEMATHESIS n'est pas défini : lancez les tests par ./scripts/test, qui installe schemathesis")
    });
    let db = TestDb::with_landlords(kind);
    assert!(db.import(CSV).committed);
    let s = db.store.as_ref();
    s.add_programme(
        &actor(),
        &NewProgramme {
            name: "Dunkerque 2030".into(),
            description: String::new(),
            start_year: None,
            end_year: None,
            epci: None,
        },
    )
    .unwrap();
    let admin = auth::add_user(s, &actor(), "admin", "Admin", Role::Admin, None).unwrap();
    let (_, token) = auth::create_token(s, &actor(), admin.id, "schemathesis").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("openapi.json");
    std::fs::write(
        &schema,
        logis_web::api::openapi_document().to_json().unwrap(),
    )
    .unwrap();

    let server = common::serve(db.store.clone());
    let addr = server.addr;
    let out = std::process::Command::new(&exe)
        .args([
            "run",
            schema.to_str().unwrap(),
            "--url",
            &format!("http://{addr}"),
            "-H",
            &format!("Authorization: Bearer {token}"),
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            "25",
            "--seed",
            "2030",
            // One worker: CPython 3.11 can fail inside Hypothesis when two threads parse
            // source at once ("AST constructor recursion depth mismatch"), not an API failure.
            "--workers",
            "1",
        ])
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("schemathesis introuvable ({exe}) : {e}"));
    drop(server);
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(out.status.success(), "{text}");
    drop(db);
}

#[test]
fn api_conforms_to_its_schema_on_sqlite() {
    run(Kind::Sqlite);
}

#[test]
fn api_conforms_to_its_schema_on_postgres() {
    run(Kind::Postgres);
}
