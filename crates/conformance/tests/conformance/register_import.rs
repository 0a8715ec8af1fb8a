//! The register's import: formats, re-imports, exports that re-import, refusals that write nothing, communes resolved, a landlord's own operations.

use super::*;

fn import_reads_french_excel_csv(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let report = db.import(cp1252(&sample_csv()));
    assert!(!report.has_errors(), "{}", report.render_fr());
    assert!(report.committed);
    assert_eq!(report.stats.lines_read, 5);
    assert_eq!(report.stats.operations_created, 3);
    assert_eq!(report.stats.lines_created, 5);
    assert_eq!(report.stats.projects_created, 1);
    assert_eq!(report.stats.quartiers_created, 1);
    assert_eq!(
        report.declared_totals.len(),
        1,
        "the total row is kept aside, not imported"
    );
    assert_eq!(report.declared_totals[0].declared, Some(257));
    assert_eq!(summary_line_count(&db), (5, 257));

    let lines = collect_lines(db.store.as_ref(), &LineFilter::default()).unwrap();
    let op1 = lines
        .iter()
        .find(|l| l.reference == "OP-1" && l.product == Some(Product::Plus))
        .unwrap();
    assert_eq!(op1.label.as_deref(), Some("Résidence du Port"));
    assert_eq!(op1.cost_cents, Some(312_000_050));
    assert_eq!(op1.stage, Some(Stage::parse("Agrément").unwrap()));
    assert_eq!(op1.stage_date, chrono_date(2026, 3, 15));
    let rehab = lines.iter().find(|l| l.reference == "OP-3").unwrap();
    assert_eq!(
        rehab.commune.as_str(),
        "59183",
        "Saint-Pol-sur-Mer is part of Dunkerque today"
    );
    assert_eq!(rehab.nature, Nature::Rehabilitation);
    assert_eq!(
        rehab.financing,
        Some(RehabFinancing::parse("PALULOS").unwrap())
    );
    assert_eq!(rehab.landlord, "Flandre Opale Habitat");
    let rebuild = lines
        .iter()
        .find(|l| l.nature == Nature::Reconstruction)
        .unwrap();
    assert_eq!(rebuild.site, Some(Site::OnSite));
    assert_eq!(rebuild.project.as_deref(), Some("COURGHAIN"));
    assert_eq!(rebuild.quartier.as_deref(), Some("Courghain"));
    let events = db.stage_events(op1.line_id).unwrap();
    assert_eq!(events.len(), 1);
}

fn reimport_changes_nothing_and_updates_what_changed(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let first = db.import(sample_csv());
    assert!(first.committed, "{}", first.render_fr());
    let before = db.export(ExportFormat::Csv);
    let again = db.import(sample_csv());
    assert!(again.committed);
    assert_eq!(
        (
            again.stats.lines_created,
            again.stats.lines_updated,
            again.stats.lines_unchanged
        ),
        (0, 0, 5)
    );
    assert_eq!(
        (
            again.stats.operations_created,
            again.stats.operations_updated
        ),
        (0, 0)
    );
    assert_eq!(
        db.export(ExportFormat::Csv),
        before,
        "importing twice changes nothing"
    );

    let changed = sample_csv().replace(";PLAI;;8;2026", ";PLAI;;10;2026");
    let third = db.import(changed);
    assert_eq!(
        (
            third.stats.lines_created,
            third.stats.lines_updated,
            third.stats.lines_unchanged
        ),
        (0, 1, 4)
    );
    assert_eq!(summary_line_count(&db), (5, 259));
}

fn export_csv_and_xlsx_reimport_to_the_same_register(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    assert!(db.import(sample_csv()).committed);
    let csv = db.export(ExportFormat::Csv);
    let xlsx = db.export(ExportFormat::Xlsx);
    assert!(csv.starts_with("\u{feff}reference;".as_bytes()));
    for bytes in [csv.clone(), xlsx] {
        let other = TestDb::with_landlords(kind);
        let r = other.import(bytes);
        assert!(r.committed, "{}", r.render_fr());
        assert_eq!(other.export(ExportFormat::Csv), csv);
    }
}

fn check_only_writes_nothing(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let audit = |db: &TestDb| {
        db.audit(&logis_store::AuditFilter::default())
            .unwrap()
            .len()
    };
    let before = audit(&db);
    let r = db.import_with(sample_csv(), false);
    assert!(!r.has_errors() && !r.committed);
    // What the import would do (the web preview), counted then rolled back.
    assert_eq!(r.stats.lines_read, 5);
    assert_eq!(r.stats.operations_created, 3);
    assert_eq!(r.stats.lines_created, 5);
    assert_eq!(summary_line_count(&db), (0, 0));
    assert_eq!(db.summary().unwrap().operations, 0);
    assert_eq!(audit(&db), before);
    assert!(db.projects().unwrap().is_empty());
    // Then for real, and a check of the same file again: nothing would change.
    assert!(db.import(sample_csv()).committed);
    let again = db.import_with(sample_csv(), false);
    assert_eq!(again.stats.lines_unchanged, 5);
    assert_eq!(again.stats.lines_created + again.stats.lines_updated, 0);
}

/// Each bad row is named with its row number and column, and nothing is written.
fn bad_rows_are_all_reported_and_nothing_is_written(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    assert!(db.import(sample_csv()).committed);
    let before = db.export(ExportFormat::Csv);
    let csv = [
        HEADER,
        "B-1;Vilogia;Dunkerk;;;;;Construction neuve;;PLUS;;10;2026;;;",
        "B-2;Vilogiaa;Dunkerque;;;;;Construction neuve;;PLUS;;10;2026;;;",
        "B-3;Vilogia;Dunkerque;;;;;Agrandissement;;PLUS;;10;2026;;;",
        "B-4;Vilogia;Dunkerque;;;;;Construction neuve;;PLUS;;-3;2026;;;",
        "B-5;Vilogia;Dunkerque;;;;;Construction neuve;;PLUS;;douze;2026;;;",
        "B-6;Vilogia;Dunkerque;;;;;Construction neuve;;PLUS;;12;2026;;;",
        "B-6;Vilogia;Dunkerque;;;;;Construction neuve;;PLUS;;12;2026;;;",
        "B-7;Vilogia;Dunkerque;;;;;Construction neuve;;PLUS;;12;2026;;;",
    ]
    .join("\n");
    let r = db.import(csv);
    assert!(r.has_errors() && !r.committed);
    let at = |row: u64, column: &str| {
        r.problems
            .iter()
            .find(|p| p.row == row && p.column == column)
            .map(|p| p.message.clone())
    };
    assert!(
        at(2, "commune").is_some_and(|m| m.contains("Dunkerque")),
        "suggests the closest commune: {:?}",
        r.problems
    );
    assert!(
        at(3, "bailleur").is_some_and(|m| m.contains("Vilogia")),
        "suggests the closest landlord: {:?}",
        r.problems
    );
    assert!(
        at(4, "nature").is_some_and(|m| m.contains("Construction neuve")),
        "{:?}",
        r.problems
    );
    assert!(at(5, "logements").is_some(), "{:?}", r.problems);
    assert!(at(6, "logements").is_some(), "{:?}", r.problems);
    assert!(
        at(8, "reference").is_some_and(|m| m.contains("double") && m.contains('7')),
        "{:?}",
        r.problems
    );
    assert_eq!(r.problems.len(), 6, "{:?}", r.problems);
    let text = r.render_fr();
    assert!(
        text.contains("ligne 3, colonne « bailleur »") && text.contains("Rien n'a été enregistré"),
        "{text}"
    );
    assert_eq!(
        db.export(ExportFormat::Csv),
        before,
        "nothing written, not even the good row B-7"
    );
}

fn contradictory_operation_values_are_refused(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let csv = [
        HEADER,
        "C-1;Vilogia;Dunkerque;;;;A;Construction neuve;;PLUS;;10;2026;;;",
        "C-1;Vilogia;Grande-Synthe;;;;A;Construction neuve;;PLAI;;5;2026;;;",
    ]
    .join("\n");
    let r = db.import(csv);
    assert!(!r.committed);
    assert!(
        r.problems
            .iter()
            .any(|p| p.column == "commune" && p.message.contains("C-1")),
        "{:?}",
        r.problems
    );
    assert_eq!(summary_line_count(&db), (0, 0));
}

fn missing_column_and_unreadable_files_are_refused(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let r =
        db.import("reference;bailleur;commune;nature;annee\nX;Vilogia;Dunkerque;Démolition;2026\n");
    assert!(r.has_errors());
    assert!(
        r.problems
            .iter()
            .any(|p| p.row == 1 && p.column == "logements"),
        "{:?}",
        r.problems
    );
    // A file that is neither CSV nor XLSX: a ZIP that is not a workbook.
    let not_xlsx = b"PK\x03\x04garbage that is not a workbook".to_vec();
    assert!(logis_io::open_bytes(not_xlsx).is_err());
    assert_eq!(summary_line_count(&db), (0, 0));
}

fn ambiguous_communes_use_the_territory_or_list_candidates(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let csv = [
        HEADER,
        "A-1;Vilogia;Sainte-Marie;;;;;Construction neuve;;PLUS;;10;2026;;;",
    ]
    .join("\n");
    let r = db.import(csv.clone());
    let p = r
        .problems
        .iter()
        .find(|p| p.column == "commune")
        .expect("ambiguous name reported");
    assert!(
        p.message.contains("35294") && p.message.contains("08390"),
        "candidates listed: {}",
        p.message
    );
    // With the territory of Sainte-Marie (35), the same file lands there.
    let geo = db.geography().unwrap();
    let epci = geo.commune("35294").and_then(|c| c.epci.clone()).unwrap();
    let mut src = logis_io::open_bytes(csv.into_bytes()).unwrap();
    let r = import_operations(
        db.store.as_ref(),
        &actor(),
        src.as_mut(),
        &ImportOptions {
            commit: true,
            territory: Some(logis_domain::Territory::epci(epci)),
            only_landlord: None,
        },
        &mut |_| {},
    )
    .unwrap();
    assert!(r.committed, "{}", r.render_fr());
    let lines = collect_lines(db.store.as_ref(), &LineFilter::default()).unwrap();
    assert_eq!(lines[0].commune.as_str(), "35294");
}

fn a_landlord_editor_imports_only_its_own_operations(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let vilogia = db
        .organisations()
        .unwrap()
        .iter()
        .find(|o| o.name == "Vilogia")
        .unwrap()
        .id;
    let mut src = logis_io::open_bytes(sample_csv().into_bytes()).unwrap();
    let r = import_operations(
        db.store.as_ref(),
        &actor(),
        src.as_mut(),
        &ImportOptions {
            commit: true,
            only_landlord: Some(vilogia),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    assert!(!r.committed);
    let rows: Vec<(u64, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(rows, [(4, "bailleur"), (5, "bailleur"), (6, "bailleur")]);
    assert!(r.problems[0].message.contains("Vilogia"));
    assert_eq!(db.summary().unwrap().lines, 0);
}

/// A former commune as the source wrote it is kept beside today's commune, through an export
/// and its re-import; a `commune_d_origine` that is not a former commune of the row's commune
/// is refused in French, nothing written.
fn former_communes_are_kept_as_written(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let r = db.import(
        [
            "reference;bailleur;commune;nature;logements;annee",
            "SP-1;Vilogia;Saint Pol sur mer;Réhabilitation;152;2006",
            "FM-1;Vilogia;59248;Réhabilitation;16;2007",
            "DK-1;Vilogia;Dunkerque;Réhabilitation;30;2005",
        ]
        .join("\n"),
    );
    assert!(r.committed, "{}", r.render_fr());
    let lines = collect_lines(db.store.as_ref(), &LineFilter::default()).unwrap();
    let written = |reference: &str| {
        let l = lines.iter().find(|l| l.reference == reference).unwrap();
        (
            l.commune.as_str().to_string(),
            l.written_commune.as_ref().map(|c| c.as_str().to_string()),
            l.written_commune_name.clone(),
        )
    };
    assert_eq!(
        written("SP-1"),
        (
            "59183".into(),
            Some("59540".into()),
            Some("Saint-Pol-sur-Mer".into())
        )
    );
    assert_eq!(
        written("FM-1"),
        (
            "59183".into(),
            Some("59248".into()),
            Some("Fort-Mardyck".into())
        )
    );
    assert_eq!(written("DK-1"), ("59183".into(), None, None));
    // The export writes it; a re-import into another register keeps it.
    let csv = String::from_utf8(db.export(ExportFormat::Csv)).unwrap();
    assert!(csv.contains(";commune_d_origine;"), "{csv}");
    assert!(csv.contains(";59183;Dunkerque;Saint-Pol-sur-Mer;"), "{csv}");
    let other = TestDb::with_landlords(kind);
    let again = other.import(csv.clone());
    assert!(again.committed, "{}", again.render_fr());
    let back = collect_lines(other.store.as_ref(), &LineFilter::default()).unwrap();
    let sp = back.iter().find(|l| l.reference == "SP-1").unwrap();
    assert_eq!(
        sp.written_commune.as_ref().map(|c| c.as_str()),
        Some("59540")
    );
    // Its re-import into the same register changes nothing.
    let same = db.import(csv);
    assert_eq!(same.stats.operations_updated, 0, "{}", same.render_fr());
    // A former commune of another commune: refused, named by row and column.
    let bad = db.import(
        "reference;bailleur;commune;commune_d_origine;nature;logements;annee\nGS-1;Vilogia;Grande-Synthe;Fort-Mardyck;Démolition;10;2026",
    );
    assert!(!bad.committed);
    assert!(
        bad.render_fr()
            .contains("ligne 2, colonne « commune_d_origine »")
            && bad
                .render_fr()
                .contains("n'est pas une ancienne commune de la commune 59271"),
        "{}",
        bad.render_fr()
    );
    assert!(
        collect_lines(db.store.as_ref(), &LineFilter::default())
            .unwrap()
            .iter()
            .all(|l| l.reference != "GS-1")
    );
    // The history names it in French.
    let op = lines
        .iter()
        .find(|l| l.reference == "SP-1")
        .unwrap()
        .operation_id;
    let trail = db
        .store
        .audit(&logis_store::AuditFilter {
            operation_id: Some(op),
            ..Default::default()
        })
        .unwrap();
    let mut names = logis_app::register::history::Names::load(db.store.as_ref()).unwrap();
    names.lines.clear();
    let text = format!(
        "{:?}",
        logis_app::register::history::readable(&trail, &names)
    );
    assert!(
        text.contains("Commune telle qu'écrite") && text.contains("Saint-Pol-sur-Mer (59540)"),
        "{text}"
    );
}

conformance!(
    former_communes_are_kept_as_written,
    import_reads_french_excel_csv,
    reimport_changes_nothing_and_updates_what_changed,
    export_csv_and_xlsx_reimport_to_the_same_register,
    check_only_writes_nothing,
    bad_rows_are_all_reported_and_nothing_is_written,
    contradictory_operation_values_are_refused,
    missing_column_and_unreadable_files_are_refused,
    ambiguous_communes_use_the_territory_or_list_candidates,
    a_landlord_editor_imports_only_its_own_operations,
);
