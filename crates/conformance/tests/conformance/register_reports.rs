//! The register's reports: the seeds' tables from the detail lines, financing, rebalancing, report pages and their cache.

use super::*;

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
            total("TOTAL 2005- 2007", 230, 178),
            total("CUD Total PAM", 348, 302),
            total("CUD Total Réhabilitations", 755, 709)
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
    // Grouped by the communes as the 2005 table writes them: Saint Pol sur mer 152 and
    // Fort-Mardyck 16 on rows of their own, Dunkerque without them; the same total.
    let written = LineFilter {
        communes_as_written: true,
        ..f.clone()
    };
    let as_written = report_rows(&db, ReportName::Rehabilitation, &written);
    assert!(
        as_written.contains(&row(&[
            "59540",
            "Saint-Pol-sur-Mer",
            "2006",
            "PALULOS",
            "152"
        ])),
        "{as_written:?}"
    );
    assert!(
        as_written.contains(&row(&["59248", "Fort-Mardyck", "2007", "PALULOS", "16"])),
        "{as_written:?}"
    );
    assert!(
        !as_written.iter().any(|r| r[1] == "Dunkerque"
            && (r[2] == "2006" || r[2] == "2007")
            && r[3] == "PALULOS"),
        "{as_written:?}"
    );
    let total: i64 = as_written
        .iter()
        .map(|r| r[4].parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, 709);
    // The grid too (page and whole file), and the production report: Saint-Pol's 31 + 74.
    let grid = logis_app::reports::build(db.store.as_ref(), ReportName::Rehabilitation, &written)
        .unwrap()
        .grid;
    let communes: Vec<String> = grid.rows.iter().map(|r| r.cells[0].plain()).collect();
    assert!(
        communes.iter().any(|c| c == "Saint-Pol-sur-Mer"),
        "{communes:?}"
    );
    assert!(communes.iter().any(|c| c == "Fort-Mardyck"), "{communes:?}");
    let (page, _) = logis_app::reports::build_page(
        db.store.as_ref(),
        ReportName::Rehabilitation,
        &written,
        1,
        50,
    )
    .unwrap();
    let communes: Vec<String> = page.grid.rows.iter().map(|r| r.cells[0].plain()).collect();
    assert!(
        communes.iter().any(|c| c == "Saint-Pol-sur-Mer"),
        "{communes:?}"
    );
    let production = report_rows(&db, ReportName::Production, &written);
    assert!(
        production.contains(&row(&[
            "59540",
            "Saint-Pol-sur-Mer",
            "2006",
            "PLUS-CD",
            "74"
        ])),
        "{production:?}"
    );
    assert!(
        production.contains(&row(&["59183", "Dunkerque", "2005", "PLUS-CD", "11"])),
        "{production:?}"
    );
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
    let text = logis_app::register::targets::TargetsText {
        programme: "Dunkerque 2030".into(),
        scope: "production".into(),
        total: Some(4321),
        first_year: 2024,
        last_year: 2034,
        social_percent: Some(40),
        band: Some("100-900".into()),
        splits: Vec::new(),
    };
    logis_app::register::targets::set_targets(db.store.as_ref(), &actor(), &text).unwrap();
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

/// The rehabilitation report lists operations one by one only to those who may open them: a
/// landlord sees its own, the others of each commune are summed on one row; an observer sees
/// commune rows of sums only; subtotals and totals are everyone's, page and whole file alike.
fn rehabilitation_rows_follow_the_operation_list_scope(kind: Kind) {
    use logis_app::reports::{ReportName, build, build_page};
    use logis_domain::LineScope;
    use logis_store::Details;
    let db = TestDb::with_landlords(kind);
    let r = db.import(
        [
            "reference;bailleur;commune;libelle;nature;financement;logements;annee",
            "R-V1;Vilogia;Dunkerque;Rue Vilogia;Réhabilitation;Palulos;30;2026",
            "R-P1;Partenord Habitat;Dunkerque;Rue Partenord Un;Réhabilitation;PAM;40;2026",
            "R-P2;Partenord Habitat;Dunkerque;Rue Partenord Deux;Réhabilitation;Palulos;5;2027",
            "R-P3;Partenord Habitat;Gravelines;Rue Partenord Trois;Réhabilitation;PAM;12;2026",
        ]
        .join("\n"),
    );
    assert!(r.committed, "{}", r.render_fr());
    let vilogia = db
        .store
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Vilogia")
        .unwrap()
        .id;
    let texts = |details: Details, page: bool| -> Vec<Vec<String>> {
        let f = LineFilter {
            details,
            ..Default::default()
        };
        let report = if page {
            build_page(db.store.as_ref(), ReportName::Rehabilitation, &f, 1, 50)
                .unwrap()
                .0
        } else {
            build(db.store.as_ref(), ReportName::Rehabilitation, &f).unwrap()
        };
        report
            .grid
            .rows
            .iter()
            .map(|row| row.cells.iter().map(|c| c.plain()).collect())
            .collect()
    };
    let last = |rows: &[Vec<String>]| rows.last().unwrap().last().unwrap().clone();
    for page in [false, true] {
        let all = texts(Details::All, page);
        let flat = all.concat().join("|");
        assert!(
            flat.contains("Rue Partenord Un") && flat.contains("Rue Vilogia"),
            "{flat}"
        );
        // Vilogia's reader: its own operation by name, Partenord's summed per commune.
        let own = texts(Details::Within(LineScope::Landlord(vilogia)), page);
        let flat = own.concat().join("|");
        assert!(flat.contains("Rue Vilogia"), "{flat}");
        assert!(!flat.contains("Partenord"), "{flat}");
        let others: Vec<&Vec<String>> = own
            .iter()
            .filter(|r| r.get(1).is_some_and(|c| c.starts_with("Autres opérations")))
            .collect();
        assert_eq!(others.len(), 2, "{own:?}");
        // Dunkerque's other operations: 40 + 5; Gravelines': 12.
        assert_eq!(others[0].last().unwrap(), "45", "{own:?}");
        assert_eq!(others[1].last().unwrap(), "12", "{own:?}");
        assert_eq!(last(&own), last(&all));
        assert_eq!(
            own.len(),
            all.len() - 1,
            "one row for two of Dunkerque's: {own:?}"
        );
        // An observer: no operation named, the same totals.
        let none = texts(Details::Hidden, page);
        let flat = none.concat().join("|");
        assert!(!flat.contains("Rue "), "{flat}");
        assert_eq!(last(&none), last(&all));
        assert_eq!(
            none.iter()
                .filter(|r| r.get(1).is_some_and(|c| c.starts_with("Autres opérations")))
                .count(),
            2
        );
    }
}

conformance!(
    rehabilitation_rows_follow_the_operation_list_scope,
    seed_totals_are_reconciled,
    seed_tables_from_detail_lines,
    financing_report,
    rebalancing_report,
    a_report_page_is_its_part_of_the_whole_grid,
    report_pages_are_served_again_until_a_write,
);
