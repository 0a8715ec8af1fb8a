//! The reference geography: loading it, searching communes.

use super::*;

fn init_loads_the_real_geography(kind: Kind) {
    let db = TestDb::fresh(kind);
    assert!(!db.reference_loaded().unwrap());
    let first = logis_app::reference::init(db.store.as_ref()).unwrap();
    assert!(first.reference_loaded);
    assert!(first.communes > 34_000, "{} communes", first.communes);
    let again = logis_app::reference::init(db.store.as_ref()).unwrap();
    assert!(!again.reference_loaded, "init is idempotent");
    let geo = db.geography().unwrap();
    let dk = geo.commune("59183").unwrap();
    assert_eq!(dk.name, "Dunkerque");
    assert_eq!(
        dk.epci.as_ref().map(|s| s.as_str()),
        Some(logis_app::demo::CUD_SIREN)
    );
    let cud = logis_domain::Siren::parse(logis_app::demo::CUD_SIREN).unwrap();
    assert!(geo.members(&cud).count() >= 15);
    // Former communes land on today's commune, however they are written.
    for written in [
        "Saint Pol sur mer",
        "SAINT-POL-SUR-MER",
        "Fort-Mardyck",
        "fort mardyck",
    ] {
        assert_eq!(
            geo.resolve(written, Some(&cud)).map(|c| c.code.as_str()),
            Ok("59183"),
            "{written}"
        );
    }
    assert_eq!(db.summary().unwrap().communes, first.communes as u64);
}

fn search_communes_ignores_case_accents_and_hyphens(kind: Kind) {
    let db = TestDb::initialised(kind);
    let found = db.search_communes("grande synthe", 10).unwrap();
    assert_eq!(found.first().map(|c| c.code.as_str()), Some("59271"));
    let by_code = db.search_communes("5918", 50).unwrap();
    assert!(by_code.iter().any(|c| c.code.as_str() == "59183"));
    let accents = db.search_communes("teteghem", 10).unwrap();
    assert!(
        accents.iter().any(|c| c.name.starts_with("Téteghem")),
        "{accents:?}"
    );
    assert!(db.search_communes("", 10).unwrap().is_empty());
}

conformance!(
    init_loads_the_real_geography,
    search_communes_ignores_case_accents_and_hyphens,
);
