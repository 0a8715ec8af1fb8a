//! The demo territory: the seeds' tables and the Dunkerque 2030 pipeline.

use super::*;

/// The demo holds the seeds' 2005 tables: each table's operation rows, as transcribed, are in
/// the register, and the Dunkerque 2030 pipeline stays in the charter's yearly band.
fn demo_territory(kind: Kind) {
    let db = TestDb::fresh(kind);
    let report = logis_app::demo::load_demo(db.store.as_ref()).unwrap();
    assert_eq!(report.imports.len(), 4);
    let plh = db
        .programmes()
        .unwrap()
        .into_iter()
        .find(|p| p.name == "PLH 2005-2010")
        .unwrap();
    let prefixes = [
        ("plh-2005-anru.csv", "ANRU-"),
        ("plh-2005-2007-programmation.csv", "PLH-"),
        ("plh-2005-2007-rehabilitation.csv", "REHA-"),
    ];
    let all = collect_lines(db.store.as_ref(), &LineFilter::default()).unwrap();
    for (name, content) in logis_app::demo::SEED_FILES {
        let prefix = prefixes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| *p)
            .unwrap();
        let mut src = logis_io::open_bytes(content.as_bytes().to_vec()).unwrap();
        let header: Vec<String> = src.header().iter().map(|h| h.to_lowercase()).collect();
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let (reference, count) = (col("reference"), col("logements"));
        let (mut rows, mut expected) = (0usize, 0u64);
        while let Some(row) = src.next_row() {
            let row = row.unwrap();
            if !row.cells[reference].trim().is_empty() {
                assert!(row.cells[reference].starts_with(prefix));
                rows += 1;
                expected += row.cells[count].trim().parse::<u64>().unwrap();
            }
        }
        let imported = report
            .imports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r)
            .unwrap();
        assert!(
            imported.committed && !imported.declared_totals.is_empty(),
            "{name}"
        );
        let stored: Vec<_> = all
            .iter()
            .filter(|l| l.reference.starts_with(prefix))
            .collect();
        assert_eq!(
            stored.len(),
            rows,
            "{name}: every operation row is in the register"
        );
        assert_eq!(
            stored.iter().map(|l| u64::from(l.dwellings)).sum::<u64>(),
            expected,
            "{name}"
        );
        assert!(
            stored
                .iter()
                .all(|l| l.programme.as_deref() == Some("PLH 2005-2010"))
        );
    }
    let f = LineFilter {
        programme_id: Some(plh.id),
        ..Default::default()
    };
    let lines = collect_lines(db.store.as_ref(), &f).unwrap();
    let seed_rows: u64 = logis_app::demo::SEED_FILES
        .iter()
        .map(|(_, c)| c.lines().skip(1).filter(|l| !l.starts_with(';')).count() as u64)
        .sum();
    assert_eq!(
        lines.len() as u64,
        seed_rows,
        "every operation row of the 2005 tables is in the register"
    );
    let courghain: u32 = lines
        .iter()
        .filter(|l| l.project.as_deref() == Some("COURGHAIN") && l.nature == Nature::Demolition)
        .map(|l| l.dwellings)
        .sum();
    assert_eq!(courghain, 252, "Courghain: 252 demolitions (PLH sheet 10)");
    assert!(
        lines.iter().all(|l| l.commune.as_str() != "59540"),
        "Saint-Pol-sur-Mer rows land on Dunkerque"
    );

    let d2030 = db
        .programmes()
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Dunkerque 2030")
        .unwrap();
    let f = LineFilter {
        programme_id: Some(d2030.id),
        ..Default::default()
    };
    let pipeline = collect_lines(db.store.as_ref(), &f).unwrap();
    let landlords: std::collections::BTreeSet<_> =
        pipeline.iter().map(|l| l.landlord.as_str()).collect();
    assert_eq!(
        landlords.into_iter().collect::<Vec<_>>(),
        ["Flandre Opale Habitat", "Partenord Habitat", "Vilogia"]
    );
    for year in 2027..=2033 {
        let n: u32 = pipeline
            .iter()
            .filter(|l| l.year == year && l.nature.produces())
            .map(|l| l.dwellings)
            .sum();
        assert!((1200..=1500).contains(&n), "{year}: {n} dwellings");
    }
    // Loading the demo again changes nothing.
    let before = db.export(ExportFormat::Csv);
    logis_app::demo::load_demo(db.store.as_ref()).unwrap();
    assert_eq!(db.export(ExportFormat::Csv), before);
}

conformance!(demo_territory,);
