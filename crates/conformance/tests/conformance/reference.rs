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
            geo.resolve(written, Some(&logis_domain::Territory::epci(cud.clone())))
                .map(|c| c.code.as_str()),
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

/// A territory wider than one EPCI (the Pas-de-Calais landlords' department beside the CUD):
/// kept as set, its communes listed, ambiguous names resolved inside it; an unknown part is
/// refused in French.
fn a_territory_of_several_epcis_or_departments(kind: Kind) {
    use logis_domain::Territory;
    let db = TestDb::with_landlords(kind);
    let store = db.store.as_ref();
    let wide = Territory::parse("245900428,dep:62").unwrap();
    logis_app::reference::set_territory(store, &actor(), &wide).unwrap();
    assert_eq!(
        logis_app::reference::territory(store).unwrap(),
        Some(wide.clone())
    );
    let geo = db.geography().unwrap();
    let communes: Vec<&str> = geo
        .territory_members(&wide)
        .map(|c| c.code.as_str())
        .collect();
    assert!(
        communes.contains(&"59183") && communes.contains(&"62193"),
        "Dunkerque, Calais"
    );
    assert!(communes.len() > 800, "{}", communes.len());
    assert_eq!(wide.describe(&geo), "CU de Dunkerque, département 62");
    // « Crépy » is a commune of the Aisne and of the Pas-de-Calais: the territory decides.
    let r = db.import(
        "reference;bailleur;commune;nature;logements;annee\nPC-1;Vilogia;Crépy;Construction neuve;10;2027\nPC-2;Vilogia;Dunkerque;Démolition;5;2026",
    );
    assert!(r.committed, "{}", r.render_fr());
    let lines = collect_lines(store, &LineFilter::default()).unwrap();
    let crepy = lines.iter().find(|l| l.reference == "PC-1").unwrap();
    assert_eq!(crepy.commune.as_str(), "62256");
    // Narrowed back to one EPCI, the same name is ambiguous again.
    let cud = Territory::parse("245900428").unwrap();
    logis_app::reference::set_territory(store, &actor(), &cud).unwrap();
    let again = db.import_with(
        "reference;bailleur;commune;nature;logements;annee\nPC-3;Vilogia;Crépy;Construction neuve;10;2027",
        false,
    );
    assert!(
        again.render_fr().contains("commune ambiguë « Crépy »"),
        "{}",
        again.render_fr()
    );
    // Unknown parts: refused, the territory unchanged.
    for (text, said) in [
        ("245900428,dep:75", ""),
        ("dep:96", "aucun département 96"),
        ("245900428,123456782", "aucun EPCI de SIREN 123456782"),
    ] {
        let t = Territory::parse(text).unwrap();
        let e = logis_app::reference::set_territory(store, &actor(), &t);
        if said.is_empty() {
            assert!(e.is_ok(), "{text}: {e:?}");
            logis_app::reference::set_territory(store, &actor(), &cud).unwrap();
        } else {
            assert!(e.is_err_and(|e| e.to_string().contains(said)), "{text}");
        }
    }
    assert_eq!(logis_app::reference::territory(store).unwrap(), Some(cud));
}

conformance!(
    a_territory_of_several_epcis_or_departments,
    init_loads_the_real_geography,
    search_communes_ignores_case_accents_and_hyphens,
);
