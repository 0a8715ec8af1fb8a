//! The register: organisations, programmes, projects and quartiers, lines and their filters, the operation form, financing plans, targets, and the aggregates (database and in memory).

use super::*;

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
    use logis_app::register::edit::{LineFields, OperationFields, save_operation};
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
    let text = logis_app::register::targets::TargetsText {
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
    let t = logis_app::register::targets::set_targets(db.store.as_ref(), &actor(), &text).unwrap();
    assert_eq!(db.targets(p.id).unwrap(), Some(t.clone()));
    assert_eq!(t.splits[0].key, "Vilogia");
    let bad = logis_app::register::targets::TargetsText {
        band: Some("300-200".into()),
        ..text.clone()
    };
    assert!(logis_app::register::targets::set_targets(db.store.as_ref(), &actor(), &bad).is_err());
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
    // New operations only, one naming its project and programme on one line and not the other:
    // both lines count under them.
    let csv = "reference;bailleur;commune;programme;projet;nature;produit;logements;annee
NEW-1;Vilogia;Dunkerque;PLH 2005-2010;Projet des sommes;Construction neuve;PLUS;11;2029
NEW-1;Vilogia;Dunkerque;;;Construction neuve;PLAI;5;2029
NEW-2;Vilogia;Dunkerque;;;Construction neuve;PLUS;3;2029
";
    let r = db.import(csv.to_string());
    assert!(r.committed, "{}", r.render_fr());
    // An operation given a project, its line unchanged: its sums move.
    let csv = "reference;bailleur;commune;projet;nature;produit;logements;annee
NEW-2;Vilogia;Dunkerque;Projet des sommes;Construction neuve;PLUS;3;2029
";
    let r = db.import(csv.to_string());
    assert!(
        r.committed && r.stats.operations_updated == 1,
        "{}",
        r.render_fr()
    );
    // The pre-aggregated sums themselves, as SQL reads them, equal the lines grouped.
    let rows = |sql: &str| {
        let mut v: Vec<Vec<String>> = logis_store::tx::read(db.store.as_ref(), |tx| {
            tx.query(sql, &[])?
                .iter()
                .map(|r| Ok(r.0.iter().map(|v| format!("{v:?}")).collect()))
                .collect()
        })
        .unwrap();
        v.sort();
        v
    };
    assert_eq!(
        rows("SELECT programme_id, landlord_id, project_id, quartier_id, commune_code, year, nature, site, product, financing, stage,
                CAST(dwellings AS BIGINT), CAST(lines AS BIGINT), CAST(cost_cents AS BIGINT) FROM line_totals"),
        rows("SELECT coalesce(o.programme_id, 0), o.landlord_id, coalesce(o.project_id, 0), coalesce(o.quartier_id, 0), o.commune_code,
                l.year, l.nature, l.site, l.product, l.financing, coalesce(l.stage, ''), CAST(sum(l.dwellings) AS BIGINT), CAST(count(*) AS BIGINT),
                CAST(coalesce(sum(l.cost_cents), 0) AS BIGINT)
              FROM operations o JOIN operation_lines l ON l.operation_id = o.id
              GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11")
    );
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
    let _halves = logis_store::cube::share_scans_from(1);
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

conformance!(
    organisations_check_siren_and_refuse_duplicates,
    programmes_projects_and_quartiers,
    filters_and_pages,
    search_product_and_sort,
    an_operation_is_saved_from_a_form,
    financing_plans,
    programme_targets_and_progress,
    aggregates_match_the_lines,
    in_memory_sums_equal_the_database,
    scoped_filters_narrow_every_read,
);
