//! Operations taken from SIAP (issue 23): a batch refused whole with the operation and the field
//! named, a check-only run writing nothing, the import through the register (one line per aid,
//! the financing plan in either form), the same batch twice changing nothing, an operation
//! changed in logis since reported as a conflict and left (unless forced), every change audited
//! « via siap »; and the same batch fetched from a real HTTP server started by the test (the
//! list, then each operation by its number, with the bearer token).

use super::*;
use logis_app::siap::{fetch, import_siap};
use logis_domain::{Principal, Role};
use std::io::{BufRead, BufReader, Write};

const OPERATION: &str = include_str!("../../../io/tests/data/siap-operation.json");

/// A small HTTP/1.1 server on a loopback port, answering SIAP's two routes with `operations`
/// for the bearer token `token`, 401 otherwise; its base address.
fn serve(operations: Vec<String>, token: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap_or(0);
            let mut authorised = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if line.to_ascii_lowercase().starts_with("authorization:")
                    && line.trim_end().ends_with(&format!("Bearer {token}"))
                {
                    authorised = true;
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
            let list = "/services/operation/api-int/v0/operation";
            let (status, body) = if !authorised {
                ("401 Unauthorized", "{}".to_string())
            } else if path == list {
                let numbers: Vec<String> = operations
                    .iter()
                    .map(|o| {
                        let v: serde_json::Value = serde_json::from_str(o).unwrap();
                        format!(
                            "{{\"numeroOperation\": {}}}",
                            v["donneesOperation"]["numeroOperation"]
                        )
                    })
                    .collect();
                ("200 OK", format!("[{}]", numbers.join(",")))
            } else if let Some(n) = path.strip_prefix(&format!("{list}/")) {
                match operations.iter().find(|o| o.contains(&format!("\"{n}\""))) {
                    Some(o) => ("200 OK", o.clone()),
                    None => ("404 Not Found", "{}".into()),
                }
            } else {
                ("404 Not Found", "{}".into())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

fn operations_taken_from_siap(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let store = db.store.as_ref();
    store
        .add_organisation(
            &actor(),
            &logis_store::NewOrganisation {
                kind: logis_domain::register::vocab::OrgKind::Landlord,
                name: "Littoral Habitat".into(),
                siren: Some(logis_domain::Siren::parse("475480802").unwrap()),
                commune: None,
            },
        )
        .unwrap();
    // A batch with one bad operation is refused whole.
    let other = OPERATION
        .replace("20250590012", "20250590013")
        .replace("\"59271\"", "\"99999\"");
    let r = import_siap(
        store,
        &admin(),
        &actor(),
        format!("[{OPERATION},{other}]").as_bytes(),
        true,
        false,
    )
    .unwrap();
    assert_eq!(r.problems.len(), 1, "{}", r.render_fr());
    assert_eq!(
        (
            r.problems[0].operation.as_str(),
            r.problems[0].field.as_str()
        ),
        ("20250590013", "donneesLocalisation.commune.codeInsee")
    );
    assert_eq!(db.count_lines(&LineFilter::default()).unwrap(), 0);
    // An unknown owner: named with the closest known.
    let stranger = OPERATION.replace("475480802", "130005481");
    let r = import_siap(store, &admin(), &actor(), stranger.as_bytes(), true, false).unwrap();
    assert!(
        r.problems[0].message.contains("SIREN 130005481"),
        "{}",
        r.render_fr()
    );
    // Check only: nothing written.
    let r = import_siap(
        store,
        &admin(),
        &actor(),
        OPERATION.as_bytes(),
        false,
        false,
    )
    .unwrap();
    assert!(r.problems.is_empty() && !r.committed, "{}", r.render_fr());
    assert_eq!(db.count_lines(&LineFilter::default()).unwrap(), 0);
    // Imported: one line per aid, the plan (the example's form), audited via siap.
    let r = import_siap(store, &admin(), &actor(), OPERATION.as_bytes(), true, false).unwrap();
    assert!(r.committed && r.plans_set == 1, "{}", r.render_fr());
    assert!(
        r.render_fr().contains("planFinancement (objet"),
        "{}",
        r.render_fr()
    );
    let landlord = store
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Littoral Habitat")
        .unwrap()
        .id;
    let op = store
        .operation_id(landlord, "20250590012")
        .unwrap()
        .unwrap();
    let lines = logis_store::register::collect_lines(
        store,
        &LineFilter {
            operation_id: Some(op),
            ..Default::default()
        },
    )
    .unwrap();
    let mut got: Vec<(String, u32, i32)> = lines
        .iter()
        .map(|l| (l.product.unwrap().code().to_string(), l.dwellings, l.year))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("plai".to_string(), 8, 2025),
            ("plus".to_string(), 20, 2025)
        ]
    );
    assert_eq!(store.financing_plan(op).unwrap().len(), 5);
    let audit = store.audit(&logis_store::AuditFilter::default()).unwrap();
    assert!(audit.iter().any(|e| e.via == "siap"), "audited via siap");
    // Twice: nothing changes.
    let r = import_siap(store, &admin(), &actor(), OPERATION.as_bytes(), true, false).unwrap();
    let stats = &r.register.as_ref().unwrap().stats;
    assert_eq!(
        (stats.lines_unchanged, r.plans_set, r.conflicts.len()),
        (2, 0, 0)
    );
    // Changed in logis: a conflict, left as it is; forced: SIAP's version.
    assert!(
        db.import(
            "reference;bailleur;commune;libelle;nature;produit;logements;annee
20250590012;Littoral Habitat;59271;Les Jardins de l'Europe (opération inventée);construction neuve;PLAI;10;2025
20250590012;Littoral Habitat;59271;Les Jardins de l'Europe (opération inventée);construction neuve;PLUS;20;2025"
        )
        .committed
    );
    let r = import_siap(store, &admin(), &actor(), OPERATION.as_bytes(), true, false).unwrap();
    assert_eq!(r.conflicts.len(), 1, "{}", r.render_fr());
    assert!(r.conflicts[0].1.contains("modifiée dans logis"));
    let dwellings = |store: &dyn logis_store::Store| -> u32 {
        logis_store::register::collect_lines(
            store,
            &LineFilter {
                operation_id: Some(op),
                ..Default::default()
            },
        )
        .unwrap()
        .iter()
        .map(|l| l.dwellings)
        .sum()
    };
    assert_eq!(dwellings(store), 30, "left as it is");
    let r = import_siap(store, &admin(), &actor(), OPERATION.as_bytes(), true, true).unwrap();
    assert!(r.conflicts.is_empty() && r.committed, "{}", r.render_fr());
    assert_eq!(dwellings(store), 28, "SIAP's version");
    // The contract's form (plansFinancement, an array) is read and said.
    let contract = OPERATION
        .replace("\"planFinancement\": {", "\"plansFinancement\": [{")
        .replace(
            "\"fondsPropres\": 450000\n  }",
            "\"fondsPropres\": 450000\n  }]",
        )
        .replace("20250590012", "20250590014");
    // Fetched from a SIAP endpoint: the list, then each operation by number.
    let base = serve(vec![OPERATION.to_string(), contract], "jeton-de-test");
    assert!(
        fetch(&base, "mauvais")
            .unwrap_err()
            .to_string()
            .contains("jeton refusé")
    );
    let batch = fetch(&format!("{base}/"), "jeton-de-test\n").unwrap();
    let r = import_siap(store, &admin(), &actor(), &batch, true, false).unwrap();
    assert!(r.problems.is_empty(), "{}", r.render_fr());
    assert!(
        r.render_fr()
            .contains("20250590014 : plan de financement lu dans plansFinancement (tableau"),
        "{}",
        r.render_fr()
    );
    assert_eq!(r.register.as_ref().unwrap().stats.operations_created, 1);
    // Not the EPCI: refused.
    let reader = Principal {
        role: Role::LandlordEditor,
        organisation_id: Some(landlord),
        ..admin()
    };
    assert!(import_siap(store, &reader, &actor(), OPERATION.as_bytes(), true, false).is_err());
}

conformance!(operations_taken_from_siap);
