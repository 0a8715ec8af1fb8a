//! The conformance suite: every body below runs on SQLite and on PostgreSQL (see the
//! `conformance!` macro at the end), against real databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod schema_parity;

use logis_app::import::{ImportOptions, import_operations};
use logis_conformance::{Kind, TestDb, actor};
use logis_domain::{Nature, OrgKind, Product, RehabFinancing, Site, Stage};
use logis_io::write::ExportFormat;
use logis_store::{
    FundingItem, FundingKind, LineFilter, NewOrganisation, NewProgramme, StoreError, collect_lines,
};

const HEADER: &str = "reference;bailleur;commune;projet;programme;quartier;libelle;nature;site;produit;financement;logements;annee;stade;date_stade;cout";

/// Windows-1252 bytes of a text whose characters are all in Latin-1 (as French Excel saves).
fn cp1252(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("caractère hors Latin-1"))
        .collect()
}

fn sample_csv() -> String {
    [
        HEADER,
        "OP-1;Vilogia;Dunkerque;;;;Résidence du Port;Construction neuve;;PLUS;;24;2026;Agrément;15/03/2026;3 120 000,50",
        "OP-1;Vilogia;Dunkerque;;;;Résidence du Port;Construction neuve;;PLAI;;8;2026;;;",
        "OP-2;Partenord Habitat;59271;COURGHAIN;;Courghain;Courghain démolition;Démolition;;;;120;2025;;;",
        "OP-2;Partenord Habitat;59271;COURGHAIN;;Courghain;Courghain démolition;Reconstruction;sur_site;PLUS CD;;60;2026;;;",
        "OP-3;flandre opale habitat;Saint Pol sur mer;;;;Réhabilitation rue Faidherbe;REHABILITATION;;;Palulos;45;2027;;;",
        ";;;;;;Total général;;;;;257;;;;",
    ]
    .join("\r\n")
}

fn summary_line_count(db: &TestDb) -> (u64, u64) {
    let s = db.summary().unwrap();
    (s.lines, s.dwellings)
}

fn init_loads_the_real_geography(kind: Kind) {
    let db = TestDb::fresh(kind);
    assert!(!db.reference_loaded().unwrap());
    let first = logis_app::setup::init(db.store.as_ref()).unwrap();
    assert!(first.reference_loaded);
    assert!(first.communes > 34_000, "{} communes", first.communes);
    let again = logis_app::setup::init(db.store.as_ref()).unwrap();
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

fn organisations_check_siren_and_refuse_duplicates(kind: Kind) {
    let db = TestDb::initialised(kind);
    let siren = logis_domain::Siren::parse("245900428").unwrap();
    let cud = db
        .add_organisation(
            &actor(),
            &NewOrganisation {
                kind: OrgKind::Epci,
                name: "Communauté urbaine de Dunkerque".into(),
                siren: Some(siren.clone()),
                commune: None,
            },
        )
        .unwrap();
    assert_eq!(cud.siren.as_ref(), Some(&siren));
    assert!(
        logis_domain::Siren::parse("245900429").is_err(),
        "Luhn key is checked"
    );
    let dup = db.add_organisation(
        &actor(),
        &NewOrganisation {
            kind: OrgKind::Epci,
            name: "COMMUNAUTE URBAINE DE DUNKERQUE".into(),
            siren: None,
            commune: None,
        },
    );
    assert!(
        matches!(dup, Err(StoreError::Conflict(ref m)) if m.contains("existe déjà")),
        "{dup:?}"
    );
    let same_siren = db.add_organisation(
        &actor(),
        &NewOrganisation {
            kind: OrgKind::Funder,
            name: "Autre".into(),
            siren: Some(siren),
            commune: None,
        },
    );
    assert!(matches!(same_siren, Err(StoreError::Conflict(_))));
    let empty = db.add_organisation(
        &actor(),
        &NewOrganisation {
            kind: OrgKind::Landlord,
            name: "  ".into(),
            siren: None,
            commune: None,
        },
    );
    assert!(matches!(empty, Err(StoreError::Invalid(_))));
    assert_eq!(db.organisations().unwrap().len(), 1);
}

fn programmes_projects_and_quartiers(kind: Kind) {
    let db = TestDb::initialised(kind);
    let y = |v| logis_domain::Year::new(v).ok();
    let p = db
        .add_programme(
            &actor(),
            &NewProgramme {
                name: "Dunkerque 2030".into(),
                description: "12 000 logements".into(),
                start_year: y(2024),
                end_year: y(2034),
                epci: None,
            },
        )
        .unwrap();
    let bad = db.add_programme(
        &actor(),
        &NewProgramme {
            name: "Inversé".into(),
            description: String::new(),
            start_year: y(2030),
            end_year: y(2020),
            epci: None,
        },
    );
    assert!(matches!(bad, Err(StoreError::Invalid(_))));
    let pr = db
        .add_project(
            &actor(),
            "COURGHAIN",
            logis_domain::ProjectKind::Anru,
            Some(p.id),
        )
        .unwrap();
    assert!(matches!(
        db.add_project(&actor(), "Courghain", logis_domain::ProjectKind::Anru, None),
        Err(StoreError::Conflict(_))
    ));
    let code = logis_domain::CommuneCode::parse("59271").unwrap();
    db.add_quartier(
        &actor(),
        "Courghain",
        logis_domain::QuartierKind::Anru,
        &code,
    )
    .unwrap();
    let unknown = logis_domain::CommuneCode::parse("99999").unwrap();
    assert!(matches!(
        db.add_quartier(
            &actor(),
            "Nulle part",
            logis_domain::QuartierKind::Qpv,
            &unknown
        ),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(db.programmes().unwrap(), vec![p]);
    assert_eq!(db.projects().unwrap(), vec![pr]);
    assert_eq!(db.quartiers().unwrap().len(), 1);
}

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

fn chrono_date(y: i32, m: u32, d: u32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
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
            territory: Some(epci),
            only_landlord: None,
        },
        &mut |_| {},
    )
    .unwrap();
    assert!(r.committed, "{}", r.render_fr());
    let lines = collect_lines(db.store.as_ref(), &LineFilter::default()).unwrap();
    assert_eq!(lines[0].commune.as_str(), "35294");
}

fn filters_and_pages(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    assert!(db.import(sample_csv()).committed);
    let all = collect_lines(db.store.as_ref(), &LineFilter::default()).unwrap();
    assert_eq!(all.len(), 5);
    let vilogia = db
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Vilogia")
        .unwrap();
    let f = LineFilter {
        landlord_id: Some(vilogia.id),
        ..Default::default()
    };
    assert_eq!(db.count_lines(&f).unwrap(), 2);
    let f = LineFilter {
        year_from: Some(2026),
        year_to: Some(2026),
        ..Default::default()
    };
    assert_eq!(db.count_lines(&f).unwrap(), 3);
    let f = LineFilter {
        nature: Some(Nature::Demolition),
        ..Default::default()
    };
    assert_eq!(collect_lines(db.store.as_ref(), &f).unwrap().len(), 1);
    let f = LineFilter {
        commune: Some(logis_domain::CommuneCode::parse("59183").unwrap()),
        ..Default::default()
    };
    assert_eq!(db.count_lines(&f).unwrap(), 3);
    let page2 = collect_lines(
        db.store.as_ref(),
        &LineFilter {
            limit: Some(2),
            offset: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(page2, all[2..4].to_vec());
    let totals = db
        .aggregate(
            &LineFilter::default(),
            &[
                logis_store::query::Dim::Landlord,
                logis_store::query::Dim::Nature,
            ],
        )
        .unwrap();
    assert_eq!(
        totals.to_rows().iter().map(|t| t.dwellings).sum::<i64>(),
        257
    );
}

fn search_product_and_sort(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    assert!(db.import(sample_csv()).committed);
    let refs = |f: LineFilter| -> Vec<(String, u32)> {
        collect_lines(db.store.as_ref(), &f)
            .unwrap()
            .into_iter()
            .map(|l| (l.reference, l.dwellings))
            .collect()
    };
    let text = |t: &str| LineFilter {
        text: Some(logis_domain::text::name_key(t)),
        ..Default::default()
    };
    // Label, ignoring case and accents: "Résidence du Port".
    assert_eq!(
        refs(text("RESIDENCE du port")),
        vec![("OP-1".to_string(), 8), ("OP-1".to_string(), 24)]
    );
    // Reference, commune name (Saint-Pol-sur-Mer is Dunkerque today), quartier, project.
    assert_eq!(refs(text("op-3")).len(), 1);
    assert_eq!(refs(text("grande synthe")).len(), 2);
    assert_eq!(refs(text("courghain")).len(), 2);
    assert_eq!(refs(text("faidherbe")).len(), 1);
    assert_eq!(refs(text("introuvable")).len(), 0);
    assert_eq!(db.count_lines(&text("dunkerque")).unwrap(), 3);
    // A label changed by a second import is found by its new words only.
    let changed = sample_csv().replace("Résidence du Port", "Les Jardins d'Été");
    assert!(db.import(changed).committed);
    assert_eq!(refs(text("residence")).len(), 0);
    assert_eq!(refs(text("jardins d'ete")).len(), 2);
    // Product.
    let f = LineFilter {
        product: Some(logis_domain::Product::Plai),
        ..Default::default()
    };
    assert_eq!(refs(f), vec![("OP-1".to_string(), 8)]);
    // Sort by dwellings, largest first, then the stable order.
    let f = LineFilter {
        sort: logis_store::LineSort::Dwellings,
        descending: true,
        ..Default::default()
    };
    let got: Vec<u32> = refs(f).into_iter().map(|(_, d)| d).collect();
    assert_eq!(got, vec![120, 60, 45, 24, 8]);
    let f = LineFilter {
        sort: logis_store::LineSort::Landlord,
        ..Default::default()
    };
    let got: Vec<String> = refs(f).into_iter().map(|(r, _)| r).collect();
    assert_eq!(got, vec!["OP-3", "OP-2", "OP-2", "OP-1", "OP-1"]);
}

fn an_operation_is_saved_from_a_form(kind: Kind) {
    use logis_app::edit::{LineFields, OperationFields, save_operation};
    let db = TestDb::with_landlords(kind);
    let s = db.store.as_ref();
    let vilogia = db
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Vilogia")
        .unwrap();
    let line = |nature: &str, produit: &str, logements: &str, annee: &str| LineFields {
        nature: nature.into(),
        produit: produit.into(),
        logements: logements.into(),
        annee: annee.into(),
        ..Default::default()
    };
    let mut form = OperationFields {
        landlord_id: Some(vilogia.id),
        reference: "VIL-2027-01".into(),
        label: "Les Jardins du Canal".into(),
        commune: "Grande-Synthe".into(),
        lines: vec![
            line("new_build", "plus", "30", "2027"),
            LineFields::default(),
            line("new_build", "plai", "douze", "20x7"),
        ],
        ..Default::default()
    };
    // Bad cells are placed on their line of the form (blank lines do not count) and nothing is
    // written.
    let out = save_operation(s, &actor(), &form, None).unwrap();
    assert_eq!(out.operation_id, None);
    let places: Vec<(Option<usize>, &str)> = out
        .problems
        .iter()
        .map(|p| (p.line, p.column.as_str()))
        .collect();
    assert_eq!(places, vec![(Some(2), "logements"), (Some(2), "annee")]);
    assert!(out.problems[0].message.contains("douze"));
    assert_eq!(db.summary().unwrap().operations, 0);
    // Fixed: created, with its two lines.
    form.lines[2] = line("new_build", "plai", "12", "2027");
    let out = save_operation(s, &actor(), &form, None).unwrap();
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    let id = out.operation_id.unwrap();
    let lines = collect_lines(
        s,
        &LineFilter {
            operation_id: Some(id),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        lines.iter().map(|l| l.dwellings).collect::<Vec<_>>(),
        vec![12, 30]
    );
    assert_eq!(lines[0].commune.as_str(), "59271");
    // Changed: one line's dwellings; the operation keeps its id.
    form.lines[0].logements = "32".into();
    let out = save_operation(s, &actor(), &form, None).unwrap();
    assert_eq!(out.operation_id, Some(id));
    assert_eq!(out.report.stats.lines_updated, 1);
    // No line at all, no landlord: said on the form.
    let empty = OperationFields {
        reference: "X".into(),
        ..Default::default()
    };
    let out = save_operation(s, &actor(), &empty, None).unwrap();
    let cols: Vec<&str> = out.problems.iter().map(|p| p.column.as_str()).collect();
    assert_eq!(cols, vec!["bailleur", "nature"]);
    // A landlord editor may not save another landlord's operation.
    let out = save_operation(s, &actor(), &form, Some(vilogia.id + 1000)).unwrap();
    assert_eq!(out.operation_id, None);
    assert_eq!(out.problems[0].column, "bailleur");
    assert_eq!(db.summary().unwrap().lines, 2);
}

fn financing_plans(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    assert!(db.import(sample_csv()).committed);
    let cdc = db
        .add_organisation(
            &actor(),
            &NewOrganisation {
                kind: OrgKind::Funder,
                name: "Banque des Territoires".into(),
                siren: None,
                commune: None,
            },
        )
        .unwrap();
    let vilogia = db
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Vilogia")
        .unwrap();
    let op = db.operation_id(vilogia.id, "OP-1").unwrap().unwrap();
    let plan = vec![
        FundingItem {
            kind: FundingKind::OwnFunds,
            source_id: None,
            label: "Fonds propres".into(),
            amount_cents: 40_000_000,
        },
        FundingItem {
            kind: FundingKind::Subsidy,
            source_id: Some(cdc.id),
            label: "Subvention".into(),
            amount_cents: 12_000_000,
        },
        FundingItem {
            kind: FundingKind::Loan,
            source_id: Some(cdc.id),
            label: "Prêt PLUS".into(),
            amount_cents: 260_000_050,
        },
    ];
    db.set_financing_plan(&actor(), op, &plan).unwrap();
    assert_eq!(db.financing_plan(op).unwrap(), plan);
    let bad = vec![FundingItem {
        kind: FundingKind::Loan,
        source_id: Some(99_999),
        label: String::new(),
        amount_cents: 1,
    }];
    assert!(matches!(
        db.set_financing_plan(&actor(), op, &bad),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        db.financing_plan(op).unwrap(),
        plan,
        "a refused plan leaves the old one"
    );
    assert!(matches!(
        db.set_financing_plan(&actor(), 123_456, &plan),
        Err(StoreError::NotFound(_))
    ));
}

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

/// The seeds' tables as published: each total they get wrong is listed, with the figure its
/// detail rows give. Expected figures are summed here by hand from the detail rows.
fn seed_totals_are_reconciled(kind: Kind) {
    let db = TestDb::fresh(kind);
    let report = logis_app::demo::load_demo(db.store.as_ref()).unwrap();
    let wrong = |name: &str| -> Vec<(String, i64, i64)> {
        let r = &report.imports.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(r.committed, "the detail rows are kept");
        r.total_discrepancies
            .iter()
            .map(|d| (d.label.clone(), d.declared, d.computed))
            .collect()
    };
    // PLH programming 2005-2007: every published total is right.
    assert_eq!(wrong("plh-2005-2007-programmation.csv"), vec![]);
    // Rehabilitation: Dunkerque = Herbeaux 30 + Triangle 40 + Coquelle 68 + Normandie 40 = 178;
    // PAM = 2005: Boernhol 100 + Triangle 40 + Coquelle 68 + Daudet 42 = 250, 2006: Normandie 40,
    // 2007: Auriol 12 → 302; all = PALULOS (120 + 30 + 64 + 25 + 152 + 16 = 407) + PAM 302 = 709.
    let total = |l: &str, d: i64, c: i64| (l.to_string(), d, c);
    assert_eq!(
        wrong("plh-2005-2007-rehabilitation.csv"),
        vec![
            total("TOTAL 2005-2007", 230, 178),
            total("Total CUD PAM 2005-2007", 348, 302),
            total("Total CUD réhabilitations 2005-2007", 755, 709)
        ]
    );
    // ANRU: reconstructions = Courghain 266 + 60, Meulenhof 50 + 36, Peintres 255 + 298,
    // Jeu de Mail 190 + 92, Banc Vert 165, Basse Ville 40, Saint-Pol 689 = 2,141;
    // rehabilitations = 104 + 52 + 240 + 303 + 58 + 857 = 1,614. Demolitions (1,717) are right.
    assert_eq!(
        wrong("plh-2005-anru.csv"),
        vec![
            total("Total reconstructions", 2379, 2141),
            total("Total réhabilitations", 1560, 1614)
        ]
    );
    let r = &report
        .imports
        .iter()
        .find(|(n, _)| n == "plh-2005-anru.csv")
        .unwrap()
        .1;
    assert!(r.render_fr().contains("« Total reconstructions » déclare 2\u{202f}379, le détail (nature = Reconstruction) donne 2\u{202f}141 — écart +238"), "{}", r.render_fr());
}

fn report_rows(
    db: &TestDb,
    name: logis_app::reports::ReportName,
    f: &LineFilter,
) -> Vec<Vec<String>> {
    let r = logis_app::reports::build(db.store.as_ref(), name, f).unwrap();
    r.long_rows
        .iter()
        .map(|row| row.iter().map(|c| c.plain()).collect())
        .collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// The seeds' three tables, computed from the demo's detail lines. Expected figures are summed by
/// hand from the detail rows of data/demo; today's communes: Saint-Pol-sur-Mer and Fort-Mardyck
/// are part of Dunkerque (59183), so their rows count there.
fn seed_tables_from_detail_lines(kind: Kind) {
    use logis_app::reports::ReportName;
    let db = TestDb::fresh(kind);
    logis_app::demo::load_demo(db.store.as_ref()).unwrap();
    let plh = db
        .programmes()
        .unwrap()
        .into_iter()
        .find(|p| p.name == "PLH 2005-2010")
        .unwrap();
    let f = LineFilter {
        programme_id: Some(plh.id),
        ..Default::default()
    };
    // PLH programming: Dunkerque 2005 PLUS-CD = 11 + Saint-Pol 31 = 42; 2006 = Saint-Pol 74.
    assert_eq!(
        report_rows(&db, ReportName::Production, &f),
        vec![
            row(&["59183", "Dunkerque", "2005", "PLAI", "1"]),
            row(&["59183", "Dunkerque", "2005", "PLUS-CD", "42"]),
            row(&["59183", "Dunkerque", "2006", "PLUS-CD", "74"]),
            row(&["59271", "Grande-Synthe", "2005", "PLAI", "3"]),
            row(&["59271", "Grande-Synthe", "2005", "PLUS-CD", "149"]),
            row(&["59271", "Grande-Synthe", "2006", "PLAI", "5"]),
            row(&["59271", "Grande-Synthe", "2006", "PLUS-CD", "127"]),
        ]
    );
    // Rehabilitation: Dunkerque 2005 PAM = Triangle 40 + Coquelle 68 = 108; 2006 PALULOS =
    // Saint-Pol Danguillaume 152; 2007 PALULOS = Fort-Mardyck 16.
    let rehab = report_rows(&db, ReportName::Rehabilitation, &f);
    assert!(
        rehab.contains(&row(&["59183", "Dunkerque", "2005", "PAM", "108"])),
        "{rehab:?}"
    );
    assert!(
        rehab.contains(&row(&["59183", "Dunkerque", "2006", "PALULOS", "152"])),
        "{rehab:?}"
    );
    assert!(
        rehab.contains(&row(&["59183", "Dunkerque", "2007", "PALULOS", "16"])),
        "{rehab:?}"
    );
    assert!(
        rehab.contains(&row(&["59273", "Gravelines", "2007", "PAM", "12"])),
        "{rehab:?}"
    );
    let total: i64 = rehab.iter().map(|r| r[4].parse::<i64>().unwrap()).sum();
    assert_eq!(total, 709, "PALULOS 407 + PAM 302, not the published 755");
    // ANRU: Courghain 252 demolitions, 266 on site, 60 off site, rehabilitations 104 + 52 = 156.
    let anru = report_rows(&db, ReportName::Renouvellement, &f);
    assert!(
        anru.contains(&row(&[
            "COURGHAIN",
            "59271",
            "Grande-Synthe",
            "252",
            "266",
            "60",
            "156",
            "Programmé",
            "0"
        ])),
        "{anru:?}"
    );
    assert!(
        anru.contains(&row(&[
            "BANC VERT",
            "59183",
            "Dunkerque",
            "165",
            "165",
            "0",
            "361",
            "Étude",
            "0"
        ])),
        "{anru:?}"
    );
    let demolitions: i64 = anru.iter().map(|r| r[3].parse::<i64>().unwrap()).sum();
    assert_eq!(demolitions, 252 + 86 + 553 + 130 + 165 + 82 + 449);

    // The grid: communes down, years × products across, totals.
    let grid = logis_app::reports::build(db.store.as_ref(), ReportName::Production, &f)
        .unwrap()
        .grid;
    assert_eq!(
        grid.header,
        [
            "Commune",
            "PLAI",
            "PLUS-CD",
            "Total 2005",
            "PLAI",
            "PLUS-CD",
            "Total 2006",
            "Total"
        ]
    );
    let last = grid.rows.last().unwrap();
    assert_eq!(
        last.cells.iter().map(|c| c.plain()).collect::<Vec<_>>(),
        ["Total", "4", "191", "195", "5", "201", "206", "401"]
    );
    // Filters narrow every report: one landlord, one year.
    let mf = db
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Maison Flamande")
        .unwrap();
    let f = LineFilter {
        landlord_id: Some(mf.id),
        year_from: Some(2007),
        year_to: Some(2007),
        ..Default::default()
    };
    assert_eq!(
        report_rows(&db, ReportName::Rehabilitation, &f),
        vec![row(&["59273", "Gravelines", "2007", "PAM", "12"])]
    );
    let cud = logis_domain::Siren::parse("245900428").unwrap();
    let f = LineFilter {
        epci: Some(cud),
        stage: Some(Stage::parse("Accord").unwrap()),
        ..Default::default()
    };
    assert_eq!(report_rows(&db, ReportName::Renouvellement, &f).len(), 1);
}

/// Targets are stored as given; progress counts lines by stage against them, per year and
/// cumulated, with a projection, the annual band, the social share and the splits.
fn programme_targets_and_progress(kind: Kind) {
    use logis_app::reports::{ReportName, build_at};
    let db = TestDb::with_landlords(kind);
    let y = |v| logis_domain::Year::new(v).ok();
    let p = db
        .add_programme(
            &actor(),
            &NewProgramme {
                name: "Test 2030".into(),
                description: String::new(),
                start_year: y(2024),
                end_year: y(2028),
                epci: None,
            },
        )
        .unwrap();
    let text = logis_app::targets::TargetsText {
        programme: "test 2030".into(),
        scope: "production".into(),
        total: Some(1000),
        first_year: 2024,
        last_year: 2028,
        social_percent: Some(40),
        band: Some("150-250".into()),
        splits: vec![
            "bailleur:vilogia=600".into(),
            "bailleur:Flandre Opale Habitat=300".into(),
        ],
    };
    let t = logis_app::targets::set_targets(db.store.as_ref(), &actor(), &text).unwrap();
    assert_eq!(db.targets(p.id).unwrap(), Some(t.clone()));
    assert_eq!(t.splits[0].key, "Vilogia");
    let bad = logis_app::targets::TargetsText {
        band: Some("300-200".into()),
        ..text.clone()
    };
    assert!(logis_app::targets::set_targets(db.store.as_ref(), &actor(), &bad).is_err());
    assert_eq!(
        db.targets(p.id).unwrap(),
        Some(t),
        "a refused target leaves the old one"
    );

    let csv = [
        "reference;bailleur;commune;programme;nature;produit;logements;annee;stade",
        "T-1;Vilogia;Dunkerque;Test 2030;Construction neuve;PLAI;100;2024;Livré",
        "T-1;Vilogia;Dunkerque;Test 2030;Construction neuve;Libre;100;2024;Travaux démarrés",
        "T-2;Flandre Opale Habitat;Grande-Synthe;Test 2030;Construction neuve;PLUS;120;2025;Financé",
        "T-3;Vilogia;Dunkerque;Test 2030;Démolition;;80;2025;Programmé",
        "T-4;Partenord Habitat;Gravelines;Test 2030;Acquisition-amélioration;PSLA;300;2026;Programmé",
        "T-5;Vilogia;Dunkerque;Test 2030;Construction neuve;PLS;200;2027;Étude",
    ]
    .join("\n");
    assert!(db.import(csv).committed);
    let r = build_at(
        db.store.as_ref(),
        ReportName::Programme,
        &LineFilter {
            programme_id: Some(p.id),
            ..Default::default()
        },
        2027,
    )
    .unwrap();
    let value = |annee: &str, indicateur: &str| -> i64 {
        let row = r
            .long_rows
            .iter()
            .find(|row| row[1].plain() == annee && row[2].plain() == indicateur)
            .unwrap_or_else(|| panic!("{annee} {indicateur}"));
        row[4].plain().parse().unwrap()
    };
    // By hand: 2024 = 100 + 100 planned, all programmed and started, 100 delivered; the
    // demolition (not production) is not counted; 2026 = 300 above the band; 2027 = a study.
    assert_eq!(
        (
            value("2024", "prevus"),
            value("2024", "travaux_demarres"),
            value("2024", "livres")
        ),
        (200, 200, 100)
    );
    assert_eq!(
        (value("2025", "prevus"), value("2025", "finances")),
        (120, 120)
    );
    assert_eq!(
        (value("2027", "prevus"), value("2027", "programmes")),
        (200, 0)
    );
    assert_eq!(value("2026", "cumul_programmes"), 620);
    // Pace 2024-2026: 620 / 3 = 206 a year; 380 remaining → 2 years → 2028, on time.
    assert_eq!(value("", "rythme_annuel"), 206);
    assert_eq!(value("2028", "atteinte_projetee"), 1000);
    let notes = r.notes.join("\n");
    assert!(
        notes.contains("Années hors de la bande annuelle : 2025, 2026, 2028."),
        "{notes}"
    );
    // Social: PLAI 100 + PLUS 120 + PLS 200 = 420 of 820 with a product = 51.2 %.
    assert!(
        notes.contains("Part sociale prévue : 51,2 % (objectif 40 %) — atteinte."),
        "{notes}"
    );
    assert!(notes.contains("la répartition par bailleur totalise 900 alors que l'objectif total est de 1\u{202f}000"), "{notes}");
    assert!(
        notes.contains("Engagement bailleur « Vilogia » : 400 prévus sur 600"),
        "{notes}"
    );
    assert_eq!(value("", "prevus_bailleur"), 400);
}

/// Cost price and financing plan per operation and in total, each source with its share.
fn financing_report(kind: Kind) {
    use logis_app::reports::{ReportName, build};
    let db = TestDb::with_landlords(kind);
    assert!(db.import(sample_csv()).committed);
    let cdc = db
        .add_organisation(
            &actor(),
            &NewOrganisation {
                kind: OrgKind::Funder,
                name: "Banque des Territoires".into(),
                siren: None,
                commune: None,
            },
        )
        .unwrap();
    let vilogia = db
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Vilogia")
        .unwrap();
    let op = db.operation_id(vilogia.id, "OP-1").unwrap().unwrap();
    db.set_financing_plan(
        &actor(),
        op,
        &[
            FundingItem {
                kind: FundingKind::OwnFunds,
                source_id: None,
                label: "Fonds propres".into(),
                amount_cents: 40_000_000,
            },
            FundingItem {
                kind: FundingKind::Subsidy,
                source_id: Some(cdc.id),
                label: "Subvention".into(),
                amount_cents: 12_000_000,
            },
            FundingItem {
                kind: FundingKind::Loan,
                source_id: Some(cdc.id),
                label: "Prêt PLUS".into(),
                amount_cents: 260_000_050,
            },
        ],
    )
    .unwrap();
    let r = build(
        db.store.as_ref(),
        ReportName::Financement,
        &LineFilter::default(),
    )
    .unwrap();
    let rows: Vec<Vec<String>> = r
        .long_rows
        .iter()
        .map(|row| row.iter().map(|c| c.plain()).collect())
        .collect();
    // Only OP-1 has a cost (3,120,000.50 € on its PLUS line); 32 dwellings (24 PLUS + 8 PLAI).
    // Own funds 400,000 / 3,120,000.50 = 12.8 %; loan 2,600,000.50 = 83.3 %.
    assert_eq!(
        rows[0],
        row(&[
            "OP-1",
            "Vilogia",
            "Résidence du Port",
            "32",
            "3120000,50",
            "Fonds propres",
            "Fonds propres",
            "400000",
            "12,8"
        ])
    );
    assert_eq!(
        rows[2],
        row(&[
            "OP-1",
            "Vilogia",
            "Résidence du Port",
            "32",
            "3120000,50",
            "Prêt",
            "Banque des Territoires",
            "2600000,50",
            "83,3"
        ])
    );
    assert!(
        rows.contains(&row(&[
            "Total",
            "",
            "",
            "32",
            "3120000,50",
            "Subvention",
            "Banque des Territoires",
            "120000",
            "3,8"
        ])),
        "{rows:?}"
    );
    let total = r
        .grid
        .rows
        .iter()
        .find(|g| g.cells[0].plain() == "Total")
        .unwrap();
    assert_eq!(total.cells[9].plain(), "100,0 %");
    // A filter that excludes OP-1 leaves no operation.
    let f = LineFilter {
        nature: Some(Nature::Demolition),
        ..Default::default()
    };
    assert!(
        build(db.store.as_ref(), ReportName::Financement, &f)
            .unwrap()
            .long_rows
            .is_empty()
    );
}

/// Rebuilding of demolished dwellings: in the same commune vs other communes.
fn rebalancing_report(kind: Kind) {
    use logis_app::reports::{ReportName, build};
    let db = TestDb::with_landlords(kind);
    let csv = [
        "reference;bailleur;commune;projet;nature;site;produit;logements;annee",
        "R-1;Vilogia;Dunkerque;Quartier Test;Démolition;;;100;2025",
        "R-1;Vilogia;Dunkerque;Quartier Test;Reconstruction;sur_site;PLUS;60;2026",
        "R-2;Vilogia;Grande-Synthe;Quartier Test;Reconstruction;hors_site;PLAI;40;2027",
        "R-3;Vilogia;Gravelines;;Construction neuve;;Libre;25;2027",
    ]
    .join("\n");
    assert!(db.import(csv).committed);
    let r = build(
        db.store.as_ref(),
        ReportName::Reequilibrage,
        &LineFilter::default(),
    )
    .unwrap();
    let rows: Vec<Vec<String>> = r
        .long_rows
        .iter()
        .map(|row| row.iter().map(|c| c.plain()).collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            row(&[
                "projet",
                "Quartier Test",
                "59183",
                "Dunkerque",
                "100",
                "60",
                "40",
                "",
                "",
                "100,0"
            ]),
            row(&[
                "commune",
                "",
                "59183",
                "Dunkerque",
                "",
                "",
                "",
                "60",
                "",
                ""
            ]),
            row(&[
                "commune",
                "",
                "59271",
                "Grande-Synthe",
                "",
                "",
                "",
                "40",
                "",
                ""
            ]),
        ]
    );
}

/// The aggregates reports read (pre-aggregated sums, kept in step by every import) equal the sums
/// of the lines themselves, for every dimension and filter.
fn aggregates_match_the_lines(kind: Kind) {
    use logis_store::query::Dim;
    use std::collections::BTreeMap;
    let db = TestDb::fresh(kind);
    logis_app::demo::load_demo(db.store.as_ref()).unwrap();
    // A second import that changes lines: the sums follow.
    let vilogia = db
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Vilogia")
        .unwrap();
    let one = collect_lines(
        db.store.as_ref(),
        &LineFilter {
            landlord_id: Some(vilogia.id),
            limit: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let l = &one[0];
    let csv = format!(
        "reference;bailleur;commune;nature;produit;logements;annee\n{};Vilogia;{};{};{};{};{}\n",
        l.reference,
        l.commune,
        l.nature.label(),
        l.product.map(|p| p.label()).unwrap_or(""),
        l.dwellings + 7,
        l.year
    );
    assert!(db.import(csv).committed);
    let plh = db
        .programmes()
        .unwrap()
        .into_iter()
        .find(|p| p.name == "PLH 2005-2010")
        .unwrap();
    let cud = logis_domain::Siren::parse("245900428").unwrap();
    let filters = [
        LineFilter::default(),
        LineFilter {
            programme_id: Some(plh.id),
            ..Default::default()
        },
        LineFilter {
            epci: Some(cud),
            year_from: Some(2026),
            year_to: Some(2030),
            ..Default::default()
        },
        LineFilter {
            stage: Some(Stage::parse("Financé").unwrap()),
            landlord_id: Some(vilogia.id),
            ..Default::default()
        },
        LineFilter {
            natures: vec![Nature::Demolition, Nature::Reconstruction],
            ..Default::default()
        },
    ];
    let dims_sets: [&[Dim]; 4] = [
        &[Dim::CommuneCode, Dim::Year, Dim::Product],
        &[Dim::Landlord, Dim::Nature, Dim::Stage],
        &[Dim::Programme, Dim::Project, Dim::Site, Dim::Financing],
        &[],
    ];
    for f in &filters {
        let lines = collect_lines(db.store.as_ref(), f).unwrap();
        for dims in dims_sets {
            let mut expected: BTreeMap<Vec<String>, (i64, i64, i64)> = BTreeMap::new();
            for l in &lines {
                let key: Vec<String> = dims
                    .iter()
                    .map(|d| match d {
                        Dim::CommuneCode => l.commune.to_string(),
                        Dim::Year => l.year.to_string(),
                        Dim::Product => l.product.map(|p| p.code().to_string()).unwrap_or_default(),
                        Dim::Landlord => l.landlord.clone(),
                        Dim::Nature => l.nature.code().to_string(),
                        Dim::Stage => l.stage.map(|s| s.code().to_string()).unwrap_or_default(),
                        Dim::Programme => l.programme.clone().unwrap_or_default(),
                        Dim::Project => l.project.clone().unwrap_or_default(),
                        Dim::Site => l.site.map(|s| s.code().to_string()).unwrap_or_default(),
                        Dim::Financing => l
                            .financing
                            .map(|s| s.code().to_string())
                            .unwrap_or_default(),
                        _ => unreachable!(),
                    })
                    .collect();
                let e = expected.entry(key).or_default();
                e.0 += i64::from(l.dwellings);
                e.1 += 1;
                e.2 += l.cost_cents.unwrap_or(0);
            }
            if dims.is_empty() && lines.is_empty() {
                expected.insert(Vec::new(), (0, 0, 0));
            }
            let got: BTreeMap<Vec<String>, (i64, i64, i64)> = db
                .aggregate(f, dims)
                .unwrap()
                .into_iter()
                .map(|r| {
                    let keys = (0..dims.len()).map(|d| r.key(d).to_string()).collect();
                    (keys, (r.dwellings, r.lines, r.cost_cents))
                })
                .collect();
            assert_eq!(got, expected, "{dims:?} {f:?}");
        }
    }
}

/// The in-memory sums (`logis_store::cube`) answer exactly what the database answers: same groups,
/// same sums, same order, for every dimension (per-operation ones too) and every filter; an import
/// (a write through another store on the same database, as the CLI beside a server) is seen at once.
fn in_memory_sums_equal_the_database(kind: Kind) {
    use logis_domain::LineScope;
    use logis_store::query::Dim;
    let db = TestDb::fresh(kind);
    logis_app::demo::load_demo(db.store.as_ref()).unwrap();
    let orgs = db.organisations().unwrap();
    let vilogia = orgs.iter().find(|o| o.name == "Vilogia").unwrap().id;
    let programmes = db.programmes().unwrap();
    let plh = programmes
        .iter()
        .find(|p| p.name == "PLH 2005-2010")
        .unwrap()
        .id;
    let project = db.projects().unwrap()[0].id;
    let quartier = db.quartiers().unwrap()[0].id;
    let cud = logis_domain::Siren::parse("245900428").unwrap();
    let dunkerque = logis_domain::CommuneCode::parse("59183").unwrap();
    let filters = vec![
        LineFilter::default(),
        LineFilter {
            programme_id: Some(plh),
            ..Default::default()
        },
        LineFilter {
            landlord_id: Some(vilogia),
            year_from: Some(2026),
            year_to: Some(2029),
            ..Default::default()
        },
        LineFilter {
            epci: Some(cud.clone()),
            stage: Some(Stage::parse("Financé").unwrap()),
            ..Default::default()
        },
        LineFilter {
            commune: Some(dunkerque.clone()),
            natures: vec![Nature::Demolition, Nature::Reconstruction],
            ..Default::default()
        },
        LineFilter {
            nature: Some(Nature::Rehabilitation),
            natures: vec![Nature::Rehabilitation, Nature::NewBuild],
            ..Default::default()
        },
        LineFilter {
            nature: Some(Nature::Demolition),
            natures: vec![Nature::NewBuild],
            ..Default::default()
        },
        LineFilter {
            product: Some(Product::Plai),
            ..Default::default()
        },
        LineFilter {
            project_id: Some(project),
            ..Default::default()
        },
        LineFilter {
            quartier_id: Some(quartier),
            ..Default::default()
        },
        LineFilter {
            scope: Some(LineScope::Landlord(vilogia)),
            ..Default::default()
        },
        LineFilter {
            scope: Some(LineScope::Commune(dunkerque.clone())),
            landlord_id: Some(vilogia),
            ..Default::default()
        },
        LineFilter {
            scope: Some(LineScope::Landlord(vilogia)),
            landlord_id: Some(vilogia + 1),
            ..Default::default()
        },
        LineFilter {
            operation_id: Some(3),
            ..Default::default()
        },
        LineFilter {
            landlord_id: Some(999_999),
            ..Default::default()
        },
        LineFilter {
            programme_id: Some(999_999),
            ..Default::default()
        },
        LineFilter {
            year_from: Some(2100),
            ..Default::default()
        },
        LineFilter {
            text: Some("dunkerque".into()),
            ..Default::default()
        },
        // The text search: a reference, a project's name, a quartier's or a project's, none.
        LineFilter {
            text: Some("d2030".into()),
            year_from: Some(2027),
            ..Default::default()
        },
        LineFilter {
            text: Some("peintres".into()),
            ..Default::default()
        },
        LineFilter {
            text: Some("europe".into()),
            landlord_id: Some(vilogia),
            ..Default::default()
        },
        LineFilter {
            text: Some("mail".into()),
            ..Default::default()
        },
        LineFilter {
            text: Some("zzzzzz".into()),
            ..Default::default()
        },
        // Financings, a list of operations (one unknown, one twice), an empty list.
        LineFilter {
            natures: vec![Nature::Rehabilitation],
            financings: vec![RehabFinancing::Palulos, RehabFinancing::EcoLoan],
            ..Default::default()
        },
        LineFilter {
            operations: Some(vec![3, 1, 999_999, 3]),
            ..Default::default()
        },
        LineFilter {
            operations: Some(vec![2, 4, 5, 6]),
            text: Some("dunkerque".into()),
            ..Default::default()
        },
        LineFilter {
            operations: Some(Vec::new()),
            ..Default::default()
        },
    ];
    let dims_sets: Vec<Vec<Dim>> = vec![
        vec![],
        vec![Dim::CommuneCode, Dim::CommuneName, Dim::Year, Dim::Product],
        vec![
            Dim::CommuneCode,
            Dim::CommuneName,
            Dim::Year,
            Dim::Financing,
            Dim::Label,
            Dim::Operation,
            Dim::Landlord,
        ],
        vec![
            Dim::Project,
            Dim::CommuneCode,
            Dim::CommuneName,
            Dim::Nature,
            Dim::Site,
            Dim::Stage,
        ],
        vec![Dim::Year, Dim::Stage, Dim::Product],
        vec![Dim::OperationId, Dim::Programme],
        vec![Dim::Landlord, Dim::Nature],
        vec![Dim::CommuneName],
        vec![Dim::CommuneName, Dim::CommuneCode],
        vec![
            Dim::CommuneCode,
            Dim::CommuneName,
            Dim::OperationId,
            Dim::Year,
            Dim::Financing,
        ],
        vec![Dim::OperationId, Dim::Label, Dim::Operation, Dim::Landlord],
        // Dimensions of the operation after its id, read from it (the commune's name too).
        vec![
            Dim::Year,
            Dim::OperationId,
            Dim::CommuneCode,
            Dim::CommuneName,
            Dim::Project,
            Dim::Programme,
            Dim::Nature,
            Dim::CommuneName,
        ],
    ];
    let compare = |when: &str| {
        for f in &filters {
            for dims in &dims_sets {
                let memory = db.aggregate(f, dims).unwrap().to_rows();
                let database = db.aggregate_in_database(f, dims).unwrap();
                assert_eq!(memory, database, "{when} : {dims:?} {f:?}");
            }
            let per_operation = logis_store::operation_totals_by_aggregate(
                db.aggregate_in_database(f, &[Dim::OperationId, Dim::CommuneCode])
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(
                db.operation_totals(f).unwrap(),
                per_operation,
                "{when} : par opération {f:?}"
            );
            let met: Vec<(i64, &str)> = per_operation
                .iter()
                .map(|t| (t.operation_id, t.commune_code))
                .collect();
            assert_eq!(
                db.operations_met(f).unwrap(),
                met,
                "{when} : opérations {f:?}"
            );
        }
    };
    compare("démo");
    // The same with every scan cut in two halves read at once (as at 1,000,000 lines), and from
    // the next write on the register read in two halves too (SQLite: on two connections).
    logis_store::cube::share_scans_from(1);
    compare("démo, lue en deux moitiés");
    // The text searches compared above do find lines (a comparison of empty answers proves
    // nothing).
    for text in ["d2030", "peintres", "mail", "dunkerque"] {
        let f = LineFilter {
            text: Some(text.into()),
            ..Default::default()
        };
        assert!(db.aggregate(&f, &[]).unwrap().get(0).lines > 0, "{text}");
    }
    for f in &filters[filters.len() - 4..filters.len() - 1] {
        assert!(db.aggregate(f, &[]).unwrap().get(0).lines > 0, "{f:?}");
    }
    let before = db
        .aggregate(&LineFilter::default(), &[])
        .unwrap()
        .get(0)
        .dwellings;
    // Another store on the same database writes: this one sees it on its next aggregate.
    let other = logis_conformance::connect(&db.url).unwrap();
    let total_after = |csv: &str| -> i64 {
        let mut src = logis_io::open_bytes(csv.as_bytes().to_vec()).unwrap();
        let report = import_operations(
            other.as_ref(),
            &actor(),
            src.as_mut(),
            &ImportOptions {
                commit: true,
                territory: None,
                only_landlord: None,
            },
            &mut |_| {},
        )
        .unwrap();
        assert!(report.committed, "{:?}", report.problems);
        db.aggregate(&LineFilter::default(), &[])
            .unwrap()
            .get(0)
            .dwellings
    };
    let csv = "reference;bailleur;commune;nature;produit;logements;annee\nCUBE-1;Vilogia;Gravelines;Construction neuve;PLUS;11;2031\n";
    assert_eq!(total_after(csv), before + 11);
    compare("après un import");
    // The same operation moved to another commune, a line changed and one added: the
    // pre-aggregated sums, kept in step with the import, still equal the lines.
    let moved = "reference;bailleur;commune;nature;produit;logements;annee;cout\nCUBE-1;Vilogia;Dunkerque;Construction neuve;PLUS;13;2031;1 000,00\nCUBE-1;Vilogia;Dunkerque;Construction neuve;PLAI;4;2032;\n";
    assert_eq!(total_after(moved), before + 17);
    compare("après une modification");
    // The summary's counts (from memory) are those of the lines.
    let lines = collect_lines(db.store.as_ref(), &LineFilter::default()).unwrap();
    let summary = db.summary().unwrap();
    assert_eq!(summary.lines, lines.len() as u64);
    assert_eq!(
        summary.dwellings,
        lines.iter().map(|l| u64::from(l.dwellings)).sum::<u64>()
    );
    let ops: std::collections::BTreeSet<i64> = lines.iter().map(|l| l.operation_id).collect();
    assert_eq!(summary.operations, ops.len() as u64);
    // A check-only import (rolled back) changes nothing.
    let mut src = logis_io::open_bytes(csv.replace(";11;", ";50;").into_bytes()).unwrap();
    let report = import_operations(
        other.as_ref(),
        &actor(),
        src.as_mut(),
        &ImportOptions {
            commit: false,
            territory: None,
            only_landlord: None,
        },
        &mut |_| {},
    )
    .unwrap();
    assert!(!report.committed);
    assert_eq!(
        db.aggregate(&LineFilter::default(), &[])
            .unwrap()
            .get(0)
            .dwellings,
        before + 17
    );
}

fn accounts_sessions_and_tokens(kind: Kind) {
    use logis_app::auth;
    use logis_domain::Role;
    let db = TestDb::with_landlords(kind);
    let store = db.store.as_ref();
    let orgs = store.organisations().unwrap();
    let vilogia = orgs.iter().find(|o| o.name == "Vilogia").unwrap().id;
    let admin = actor();
    // A landlord role needs a landlord organisation.
    assert!(auth::add_user(store, &admin, "x", "", Role::LandlordEditor, None).is_err());
    assert!(auth::add_user(store, &admin, "é", "", Role::Observer, None).is_err());
    let u = auth::add_user(
        store,
        &admin,
        " Marie.Dupont ",
        "Marie Dupont",
        Role::LandlordEditor,
        Some(vilogia),
    )
    .unwrap();
    assert_eq!(u.login, "marie.dupont");
    assert_eq!(u.organisation.as_deref(), Some("Vilogia"));
    assert!(!u.has_password);
    assert!(matches!(
        auth::add_user(store, &admin, "marie.dupont", "", Role::Observer, None),
        Err(logis_app::AppError::Store(StoreError::Conflict(_)))
    ));
    // No password yet: no login.
    assert!(
        auth::login(store, "marie.dupont", "n'importe quoi", "10.0.0.1")
            .unwrap()
            .is_err()
    );
    // A reset link sets it, once.
    let secret = auth::reset_link(store, &admin, u.id).unwrap();
    assert!(auth::use_reset(store, &secret, "court").is_err());
    let set = auth::use_reset(store, &secret, "un mot de passe assez long").unwrap();
    assert_eq!(set.map(|u| u.id), Some(u.id));
    assert!(
        auth::use_reset(store, &secret, "un autre mot de passe long")
            .unwrap()
            .is_none()
    );
    // Login, session, CSRF token, logout.
    let s = auth::login(
        store,
        "Marie.Dupont",
        "un mot de passe assez long",
        "10.0.0.1",
    )
    .unwrap()
    .unwrap();
    let (who, csrf) = auth::session(store, &s.cookie).unwrap().unwrap();
    assert_eq!(who.id, u.id);
    assert_eq!(csrf, s.csrf);
    assert!(auth::session(store, "inconnu").unwrap().is_none());
    auth::logout(store, &s.cookie).unwrap();
    assert!(auth::session(store, &s.cookie).unwrap().is_none());
    // Throttling: five failures lock the login, whatever the password.
    for _ in 0..5 {
        assert!(
            auth::login(store, "marie.dupont", "mauvais mot de passe", "10.0.0.2")
                .unwrap()
                .is_err()
        );
    }
    let refused = auth::login(
        store,
        "marie.dupont",
        "un mot de passe assez long",
        "10.0.0.3",
    )
    .unwrap();
    assert!(refused.err().is_some_and(|m| m.contains("trop d'essais")));
    // API tokens: stored hashed, revocable by their owner only.
    let me = auth::actor(&u, logis_store::Via::Web);
    let (tok, secret) = auth::create_token(store, &me, u.id, "tableur").unwrap();
    assert!(secret.starts_with(&tok.prefix));
    assert_eq!(
        auth::token_user(store, &secret).unwrap().map(|u| u.id),
        Some(u.id)
    );
    assert!(!store.revoke_api_token(&me, u.id + 1000, tok.id).unwrap());
    assert!(store.revoke_api_token(&me, u.id, tok.id).unwrap());
    assert!(auth::token_user(store, &secret).unwrap().is_none());
    // Disabling ends sessions and tokens.
    let (_, secret2) = auth::create_token(store, &me, u.id, "second").unwrap();
    store.set_user_disabled(&admin, u.id, true).unwrap();
    assert!(auth::token_user(store, &secret2).unwrap().is_none());
    // Every account write is in the audit trail, without any secret.
    let trail = store
        .audit(&logis_store::AuditFilter {
            entity: Some("utilisateur".into()),
            entity_id: Some(u.id.to_string()),
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<&str> = trail.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "creation",
            "lien_reinitialisation",
            "mot_de_passe",
            "desactivation"
        ]
    );
    for e in &trail {
        let text = format!("{:?}{:?}", e.before, e.after);
        assert!(
            !text.contains("argon2") && !text.contains(&secret),
            "{text}"
        );
    }
}

fn writes_are_audited_and_the_trail_is_immutable(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let who = logis_store::Actor {
        user_id: None,
        name: "agent.test".into(),
        organisation_id: None,
        via: logis_store::Via::Api,
    };
    let mut src = logis_io::open_bytes(sample_csv().into_bytes()).unwrap();
    let r = import_operations(
        db.store.as_ref(),
        &who,
        src.as_mut(),
        &ImportOptions {
            commit: true,
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    assert!(r.committed, "{}", r.render_fr());
    let op = db
        .operation_id(
            db.organisations()
                .unwrap()
                .iter()
                .find(|o| o.name == "Vilogia")
                .unwrap()
                .id,
            "OP-1",
        )
        .unwrap()
        .unwrap();
    let trail = db
        .audit(&logis_store::AuditFilter {
            operation_id: Some(op),
            ..Default::default()
        })
        .unwrap();
    // The operation and its two lines were created by agent.test through the API.
    assert_eq!(trail.len(), 3, "{trail:?}");
    assert!(
        trail
            .iter()
            .all(|e| e.user_name == "agent.test" && e.via == "api" && e.action == "creation")
    );
    let line = trail
        .iter()
        .find(|e| e.entity == "ligne" && e.after.as_deref().is_some_and(|a| a.contains("\"plus\"")))
        .unwrap();
    let after: serde_json::Value = serde_json::from_str(line.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["logements"], 24);
    assert_eq!(after["cout_centimes"], 312000050);
    // A second import changing one line records its before and after values; unchanged lines
    // record nothing.
    let changed = sample_csv().replace(";PLUS;;24;2026;", ";PLUS;;30;2026;");
    let mut src = logis_io::open_bytes(changed.into_bytes()).unwrap();
    import_operations(
        db.store.as_ref(),
        &who,
        src.as_mut(),
        &ImportOptions {
            commit: true,
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    let trail = db
        .audit(&logis_store::AuditFilter {
            operation_id: Some(op),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(trail.len(), 4);
    let newest = &trail[0];
    assert_eq!(newest.action, "modification");
    let before: serde_json::Value =
        serde_json::from_str(newest.before.as_deref().unwrap()).unwrap();
    let after: serde_json::Value = serde_json::from_str(newest.after.as_deref().unwrap()).unwrap();
    assert_eq!(
        (before["logements"].as_i64(), after["logements"].as_i64()),
        (Some(24), Some(30))
    );
    // Financing plans record the plan before and after.
    db.set_financing_plan(
        &who,
        op,
        &[FundingItem {
            kind: FundingKind::OwnFunds,
            source_id: None,
            label: "FP".into(),
            amount_cents: 100,
        }],
    )
    .unwrap();
    let plan = db
        .audit(&logis_store::AuditFilter {
            entity: Some("plan_financement".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(plan.len(), 1);
    assert!(
        plan[0].before.is_none() && plan[0].after.as_deref().unwrap_or("").contains("own_funds")
    );
    // The trail cannot be changed, even by SQL on the same database.
    let sql_update = "UPDATE audit_log SET user_name = 'x'";
    let sql_delete = "DELETE FROM audit_log";
    match kind {
        Kind::Sqlite => {
            let c = rusqlite::Connection::open(db.url.trim_start_matches("sqlite://")).unwrap();
            assert!(c.execute(sql_update, []).is_err());
            assert!(c.execute(sql_delete, []).is_err());
        }
        Kind::Postgres => {
            let mut c = ::postgres::Client::connect(&db.url, ::postgres::NoTls).unwrap();
            assert!(c.execute(sql_update, &[]).is_err());
            assert!(c.execute(sql_delete, &[]).is_err());
            assert!(c.batch_execute("TRUNCATE audit_log").is_err());
        }
    }
    assert!(db.audit(&Default::default()).unwrap().len() >= 5);
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

fn scoped_filters_narrow_every_read(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    assert!(db.import(sample_csv()).committed);
    let orgs = db.organisations().unwrap();
    let vilogia = orgs.iter().find(|o| o.name == "Vilogia").unwrap().id;
    let partenord = orgs
        .iter()
        .find(|o| o.name == "Partenord Habitat")
        .unwrap()
        .id;
    let scoped = |scope: logis_domain::LineScope, landlord: Option<i64>| LineFilter {
        scope: Some(scope),
        landlord_id: landlord,
        ..Default::default()
    };
    let own = collect_lines(
        db.store.as_ref(),
        &scoped(logis_domain::LineScope::Landlord(vilogia), None),
    )
    .unwrap();
    assert_eq!(own.len(), 2);
    assert!(own.iter().all(|l| l.landlord == "Vilogia"));
    // Asking for another landlord's lines within one's scope yields nothing.
    assert_eq!(
        db.count_lines(&scoped(
            logis_domain::LineScope::Landlord(vilogia),
            Some(partenord)
        ))
        .unwrap(),
        0
    );
    let gs = logis_domain::CommuneCode::parse("59271").unwrap();
    let commune = collect_lines(
        db.store.as_ref(),
        &scoped(logis_domain::LineScope::Commune(gs), None),
    )
    .unwrap();
    assert_eq!(commune.len(), 2);
    assert!(commune.iter().all(|l| l.commune.as_str() == "59271"));
    let sum: i64 = db
        .aggregate(
            &scoped(logis_domain::LineScope::Landlord(vilogia), None),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.dwellings)
        .sum();
    assert_eq!(sum, 32);
    let op = own[0].operation_id;
    let head = db.operation(op).unwrap().unwrap();
    assert_eq!(
        (head.landlord_id, head.reference.as_str()),
        (vilogia, "OP-1")
    );
    assert!(db.operation(op + 1000).unwrap().is_none());
    let by_op = LineFilter {
        operation_id: Some(op),
        ..Default::default()
    };
    assert_eq!(db.count_lines(&by_op).unwrap(), 2);
    assert_eq!(db.aggregate(&by_op, &[]).unwrap().get(0).dwellings, 32);
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(logis_conformance::Kind::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(logis_conformance::Kind::Postgres) } )*
        }
    };
}

/// A report page (`build_page`: only the shown rows laid out) is exactly its page of the whole
/// report's grid, for every report, several page sizes and pages (past the last one too), on the
/// whole register and on a programme.
fn a_report_page_is_its_part_of_the_whole_grid(kind: Kind) {
    use logis_app::reports::{ReportName, build, build_page};
    let db = TestDb::fresh(kind);
    logis_app::demo::load_demo(db.store.as_ref()).unwrap();
    let programme = |name: &str| LineFilter {
        programme_id: db
            .programmes()
            .unwrap()
            .into_iter()
            .find(|p| p.name == name)
            .map(|p| p.id),
        ..Default::default()
    };
    let mut laid_out = 0;
    for name in ReportName::ALL {
        // The programme report is about one programme (with targets).
        let filters = if *name == ReportName::Programme {
            vec![programme("Dunkerque 2030"), programme("ERBM")]
        } else {
            vec![LineFilter::default(), programme("PLH 2005-2010")]
        };
        for f in &filters {
            let whole = build(db.store.as_ref(), *name, f).unwrap();
            // A CSV's report has the whole long table.
            let long = logis_app::reports::build_long(db.store.as_ref(), *name, f).unwrap();
            assert_eq!(long.long_rows, whole.long_rows, "{name:?} {f:?}");
            assert_eq!(long.notes, whole.notes, "{name:?} {f:?}");
            for size in [1, 3, 7, 200] {
                for page in [1, 2, 3, 1000] {
                    let (got, kept) = build_page(db.store.as_ref(), *name, f, page, size).unwrap();
                    let mut expected = whole.grid.clone();
                    let expected_page = expected.keep_page(page, size);
                    assert_eq!(kept, expected_page, "{name:?} {size} {page} {f:?}");
                    assert_eq!(got.grid, expected, "{name:?} {size} {page} {f:?}");
                    assert!(got.long_rows.is_empty());
                    laid_out += got.grid.rows.len();
                }
            }
        }
    }
    assert!(laid_out > 100, "les pages ont des lignes");
}

/// A report page held by the page cache is served again while nothing is written, and computed
/// again after any write that changes what it shows: an import (the register), a financing plan,
/// a programme's targets. What it serves is always what `build_page` computes then.
fn report_pages_are_served_again_until_a_write(kind: Kind) {
    use logis_app::reports::{PageCache, ReportName, build_page};
    use std::sync::Arc;
    let db = TestDb::fresh(kind);
    logis_app::demo::load_demo(db.store.as_ref()).unwrap();
    let cache = PageCache::default();
    let dunkerque_2030 = LineFilter {
        programme_id: db
            .programmes()
            .unwrap()
            .into_iter()
            .find(|p| p.name == "Dunkerque 2030")
            .map(|p| p.id),
        ..Default::default()
    };
    let pages = [
        (ReportName::Production, LineFilter::default()),
        (ReportName::Financement, LineFilter::default()),
        (ReportName::Programme, dunkerque_2030),
    ];
    let served = |held: &[Arc<(logis_io::report::Report, logis_io::report::GridPage)>]| {
        pages
            .iter()
            .zip(held)
            .map(|((name, f), before)| {
                let p = cache.page(db.store.as_ref(), *name, f, 1, 50).unwrap();
                let fresh = build_page(db.store.as_ref(), *name, f, 1, 50).unwrap();
                assert_eq!(p.0.grid, fresh.0.grid, "{name:?}");
                assert_eq!(p.1, fresh.1, "{name:?}");
                (Arc::ptr_eq(&p, before), p)
            })
            .collect::<Vec<_>>()
    };
    let first: Vec<_> = pages
        .iter()
        .map(|(name, f)| cache.page(db.store.as_ref(), *name, f, 1, 50).unwrap())
        .collect();
    // Nothing written: the same pages.
    assert!(served(&first).iter().all(|(same, _)| *same));
    // A financing plan: every page is computed again, and the financing one shows it.
    let op = collect_lines(
        db.store.as_ref(),
        &LineFilter {
            limit: Some(1),
            ..Default::default()
        },
    )
    .unwrap()[0]
        .operation_id;
    let own_funds = |amount_cents: i64| {
        db.set_financing_plan(
            &actor(),
            op,
            &[FundingItem {
                kind: FundingKind::OwnFunds,
                source_id: None,
                label: "Fonds propres".into(),
                amount_cents,
            }],
        )
        .unwrap()
    };
    own_funds(123_456_700);
    let after_plan = served(&first);
    assert!(after_plan.iter().all(|(same, _)| !*same));
    assert_ne!(after_plan[1].1.0.grid, first[1].0.grid);
    // Targets: the programme page changes.
    let text = logis_app::targets::TargetsText {
        programme: "Dunkerque 2030".into(),
        scope: "production".into(),
        total: Some(4321),
        first_year: 2024,
        last_year: 2034,
        social_percent: Some(40),
        band: Some("100-900".into()),
        splits: Vec::new(),
    };
    logis_app::targets::set_targets(db.store.as_ref(), &actor(), &text).unwrap();
    let held: Vec<_> = after_plan.into_iter().map(|(_, p)| p).collect();
    let after_targets = served(&held);
    assert!(after_targets.iter().all(|(same, _)| !*same));
    assert_ne!(after_targets[2].1.0.grid, held[2].0.grid);
    // An import: the production page changes.
    let csv = "reference;bailleur;commune;nature;produit;logements;annee\nCACHE-1;Vilogia;Gravelines;Construction neuve;PLUS;17;2031\n";
    let mut src = logis_io::open_bytes(csv.as_bytes().to_vec()).unwrap();
    let options = ImportOptions {
        commit: true,
        territory: None,
        only_landlord: None,
    };
    let report = import_operations(
        db.store.as_ref(),
        &actor(),
        src.as_mut(),
        &options,
        &mut |_| {},
    )
    .unwrap();
    assert!(report.committed);
    let held: Vec<_> = after_targets.into_iter().map(|(_, p)| p).collect();
    let after_import = served(&held);
    assert!(after_import.iter().all(|(same, _)| !*same));
    assert_ne!(after_import[0].1.0.grid, held[0].0.grid);
    // Computed again after a write by the refresh (what the server runs in the background):
    // the pages asked for are then served as the refresh computed them, and right.
    let held: Vec<_> = after_import.into_iter().map(|(_, p)| p).collect();
    assert_eq!(cache.refresh(db.store.as_ref()).unwrap(), 0, "rien d'écrit");
    db.set_financing_plan(&actor(), op, &[]).unwrap();
    assert_eq!(cache.refresh(db.store.as_ref()).unwrap(), pages.len());
    let refreshed: Vec<_> = pages
        .iter()
        .map(|(name, f)| cache.page(db.store.as_ref(), *name, f, 1, 50).unwrap())
        .collect();
    assert_ne!(refreshed[1].0.grid, held[1].0.grid, "le plan retiré");
    let again = served(&refreshed);
    assert!(
        again.iter().all(|(same, _)| *same),
        "servies telles que recalculées"
    );
    // A value that cannot be computed any more is tried once by the refresh, then forgotten.
    let tries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let failing: logis_app::cache::StampCache<u32> = logis_app::cache::StampCache::new(4);
    let counted = Arc::clone(&tries);
    let refused = failing.get_kept(db.store.as_ref(), "k".into(), move |_| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Err(logis_app::AppError::Invalid("plus calculable".into()))
    });
    assert!(refused.is_err());
    own_funds(100);
    assert_eq!(failing.refresh(db.store.as_ref()).unwrap(), 0);
    own_funds(200);
    assert_eq!(failing.refresh(db.store.as_ref()).unwrap(), 0);
    assert_eq!(tries.load(std::sync::atomic::Ordering::SeqCst), 2);
}

conformance!(
    init_loads_the_real_geography,
    search_communes_ignores_case_accents_and_hyphens,
    organisations_check_siren_and_refuse_duplicates,
    programmes_projects_and_quartiers,
    import_reads_french_excel_csv,
    reimport_changes_nothing_and_updates_what_changed,
    export_csv_and_xlsx_reimport_to_the_same_register,
    check_only_writes_nothing,
    bad_rows_are_all_reported_and_nothing_is_written,
    contradictory_operation_values_are_refused,
    missing_column_and_unreadable_files_are_refused,
    ambiguous_communes_use_the_territory_or_list_candidates,
    filters_and_pages,
    search_product_and_sort,
    an_operation_is_saved_from_a_form,
    financing_plans,
    demo_territory,
    seed_totals_are_reconciled,
    seed_tables_from_detail_lines,
    programme_targets_and_progress,
    financing_report,
    rebalancing_report,
    aggregates_match_the_lines,
    in_memory_sums_equal_the_database,
    a_report_page_is_its_part_of_the_whole_grid,
    report_pages_are_served_again_until_a_write,
    accounts_sessions_and_tokens,
    writes_are_audited_and_the_trail_is_immutable,
    a_landlord_editor_imports_only_its_own_operations,
    scoped_filters_narrow_every_read,
);
