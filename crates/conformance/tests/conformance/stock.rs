//! The social housing stock (issue 20): an RPLS file of each vintage's layout imported, its
//! indicators at each scale, a vintage replaced whole, a refused file leaving the vintage held
//! as it was, `--rejets`, the main residences.

use super::*;
use logis_app::stock::{RplsOptions, Scale, import_main_residences, import_rpls, parc_report};

/// The 2025 open layout (bare and `_CODE` names, geocoding columns to leave aside).
const OPEN_2025: &str = "REG_CODE;DEP_CODE;DEPCOM;LIBCOM;QPV_CODE;QPV_LIBELLE;TYPECONST_CODE;NBPIECE;SURFHAB;CONSTRUCT;LOCAT;FINAN_CODE;CONV;DPEENERGIE;DPESERRE;CODSEGPATRIM;X;Y;PLG_QP24;QUALITE_QP
32;59;59183;Dunkerque;QN05901M;Banlieue Est;C;3;65,5;1972;1973;52;1;E;D;S1;651234;7100000;QN05901M;1
32;59;59183;Dunkerque;;;C;2;48;1995;1996;13;1;C;C;S2;651234;7100000;;1
32;59;59248;Fort-Mardyck;;;I;4;85;1960;1961;52;1;;;S1;651234;7100000;;1
32;59;59155;Coudekerque-Branche;;;C;1;30;2018;2019;10;1;G;F;S3;651234;7100000;;1";

/// The 2018 "version loi" (`_red` names, occupancy, rents, landlords).
const LOI_2018: &str = "depcom_red;qpv_red;nbpiece_red;surfhab_red;construct_red;locat_red;finan_red;mode_red;bail_red;remlocdate_red;loyerprinc_red;dpeenergie_red;dpeserre_red;siret_red;rs_red
59183;1;3;50;1972;1973;52;1;03/2017;;400;E;C;47850160700012;Partenord Habitat
59183;2;2;50;1990;1991;13;1;05/2010;;300;B;B;47850160700012;Partenord Habitat
59183;2;2;40;1990;1991;13;2;;06/2017;9999;;;47850160700012;Partenord Habitat
59155;2;4;80;2012;2013;10;2;;12/2017;9999;F;F;30048543900046;Vilogia";

fn import(
    db: &TestDb,
    text: &str,
    vintage: i32,
    commit: bool,
    keep: bool,
) -> (logis_app::stock::RplsReport, Vec<u64>) {
    let source = logis_io::open_bytes(text.as_bytes().to_vec()).unwrap();
    let mut rejected = Vec::new();
    let r = import_rpls(
        db.store.as_ref(),
        &admin(),
        &actor(),
        source,
        &RplsOptions {
            vintage,
            commit,
            keep_valid: keep,
            source: format!("rpls{vintage}.csv"),
        },
        &mut |row, _, _| rejected.push(row),
        &mut |_| {},
    )
    .unwrap();
    (r, rejected)
}

fn cell<'a>(table: &'a [Vec<String>], code: &str, column: &str) -> &'a str {
    let i = logis_app::stock::PARC_COLUMNS
        .iter()
        .position(|c| *c == column)
        .unwrap();
    let row = table
        .iter()
        .find(|r| r[2] == code)
        .unwrap_or_else(|| panic!("{code} : {table:?}"));
    &row[i]
}

fn an_rpls_file_of_each_layout_gives_its_indicators(kind: Kind) {
    let db = TestDb::initialised(kind);
    let (r, _) = import(&db, OPEN_2025, 2025, true, false);
    assert!(
        r.committed && r.dwellings == 4 && !r.full,
        "{}",
        r.render_fr()
    );
    let t = parc_report(db.store.as_ref(), Some(2025), Scale::Commune)
        .unwrap()
        .table();
    // Fort-Mardyck (a former commune) counts in Dunkerque.
    assert_eq!(cell(&t, "59183", "logements"), "3");
    assert_eq!(cell(&t, "59183", "en_qpv"), "1");
    assert_eq!(cell(&t, "59183", "dpe_e"), "1", "E and D: E");
    assert_eq!(cell(&t, "59183", "dpe_inconnu"), "1");
    assert_eq!(cell(&t, "59155", "non_decents_2025"), "1");
    // The open file has no occupancy nor rent: empty, never 0.
    assert_eq!(cell(&t, "59183", "taux_vacance"), "");
    assert_eq!(cell(&t, "59183", "loyer_m2"), "");
    let e = parc_report(db.store.as_ref(), None, Scale::Epci)
        .unwrap()
        .table();
    assert_eq!(cell(&e, "245900428", "logements"), "4");
    assert_eq!(cell(&e, "245900428", "non_decents_2034"), "2");

    let (r, _) = import(&db, LOI_2018, 2018, true, false);
    assert!(r.committed && r.full, "{}", r.render_fr());
    let t = parc_report(db.store.as_ref(), Some(2018), Scale::Commune)
        .unwrap()
        .table();
    assert_eq!(cell(&t, "59183", "loues"), "2");
    assert_eq!(cell(&t, "59183", "taux_vacance"), "33,3");
    // Vacant since 06/2017: more than three months on 1 January 2018.
    assert_eq!(cell(&t, "59183", "vacants_plus_3_mois"), "1");
    assert_eq!(cell(&t, "59155", "vacants_plus_3_mois"), "0");
    // Rents: (400 + 300) / (50 + 50).
    assert_eq!(cell(&t, "59183", "loyer_m2"), "7,00");
    // One lease of 2017 among the three let or offered since before 2016.
    assert_eq!(cell(&t, "59183", "taux_mobilite"), "33,3");
    let b = parc_report(db.store.as_ref(), Some(2018), Scale::Landlord)
        .unwrap()
        .table();
    assert_eq!(cell(&b, "478501607", "logements"), "3");
    assert_eq!(
        b.iter().find(|r| r[2] == "478501607").unwrap()[3],
        "Partenord Habitat"
    );
    // The dwellings one by one, all landlords' or one's (by SIREN).
    let n = |l: Option<&str>| db.store.stock_dwellings(2018, "59183", l).unwrap().len();
    assert_eq!(
        (n(None), n(Some("478501607")), n(Some("300485439"))),
        (3, 3, 0)
    );
    let d = &db.store.stock_dwellings(2018, "59155", None).unwrap()[0];
    assert_eq!(
        (d.mode, d.energy.as_deref(), d.vacancy_start.as_deref()),
        (Some(2), Some("F"), Some("2017-12"))
    );
    // Rents (a complete file only): per m², all and by financing.
    let rents = logis_app::stock::rents_report(db.store.as_ref(), None).unwrap();
    let rows: Vec<Vec<String>> = rents
        .long_rows
        .iter()
        .map(|r| r.iter().map(|c| c.plain()).collect())
        .collect();
    assert!(
        rows.contains(
            &[
                "2018",
                "mise_en_location",
                "tous",
                "tout le parc",
                "2",
                "7,00"
            ]
            .map(String::from)
            .to_vec()
        ),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r[1] == "financement" && r[2] == "52" && r[5] == "8,00"),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r[1] == "commune" && r[2] == "59183"),
        "{rows:?}"
    );
    assert!(
        logis_app::stock::rents_report(db.store.as_ref(), Some(2025)).is_err(),
        "an open file has no rents"
    );
    // Both vintages are kept side by side; the latest is the default.
    let v: Vec<i32> = db
        .store
        .stock_vintages()
        .unwrap()
        .iter()
        .map(|v| v.vintage)
        .collect();
    assert_eq!(v, vec![2018, 2025]);
    assert_eq!(
        parc_report(db.store.as_ref(), None, Scale::Region)
            .unwrap()
            .vintage,
        2025
    );
}

fn a_refused_file_leaves_the_vintage_as_it_was(kind: Kind) {
    let db = TestDb::initialised(kind);
    import(&db, OPEN_2025, 2025, true, false);
    let bad = OPEN_2025
        .replace(";G;F;", ";H;F;")
        .replace(";85;", ";0;")
        .replace("59155;Coudekerque", "99999;Nulle part");
    let (r, _) = import(&db, &bad, 2025, true, false);
    assert!(!r.committed);
    let cols: Vec<(u64, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(
        cols,
        vec![(4, "surfhab"), (5, "depcom"), (5, "dpeenergie")],
        "{}",
        r.render_fr()
    );
    let t = parc_report(db.store.as_ref(), Some(2025), Scale::Commune)
        .unwrap()
        .table();
    assert_eq!(
        cell(&t, "59183", "logements"),
        "3",
        "the vintage held is untouched"
    );
    // A check-only run writes nothing either.
    let (r, _) = import(
        &db,
        OPEN_2025
            .lines()
            .take(2)
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
        2025,
        false,
        false,
    );
    assert!(!r.committed && r.problems.is_empty());
    assert_eq!(
        db.store
            .stock_sums(2025, "commune")
            .unwrap()
            .iter()
            .map(|a| a.sums.dwellings)
            .sum::<u64>(),
        4
    );
    // --rejets: the valid rows replace the vintage, the refused ones go to the caller.
    let (r, rejected) = import(&db, &bad, 2025, true, true);
    assert!(
        r.committed && r.dwellings == 2 && r.rejected == 2,
        "{}",
        r.render_fr()
    );
    assert_eq!(rejected, vec![4, 5]);
    let t = parc_report(db.store.as_ref(), Some(2025), Scale::Commune)
        .unwrap()
        .table();
    assert_eq!(cell(&t, "59183", "logements"), "2");
    // A file of another kind: the missing columns and the unknown ones named.
    let (r, _) = import(
        &db,
        "reference;bailleur;commune\nA;B;59183",
        2025,
        true,
        false,
    );
    assert!(!r.committed);
    assert!(r.problems.iter().any(|p| p.column == "depcom"));
    assert_eq!(r.unknown_columns, vec!["reference", "bailleur", "commune"]);
}

fn main_residences_give_the_social_share(kind: Kind) {
    let db = TestDb::initialised(kind);
    import(&db, OPEN_2025, 2025, true, false);
    let src = |t: &str| logis_io::open_bytes(t.as_bytes().to_vec()).unwrap();
    let (_, problems) = import_main_residences(
        db.store.as_ref(),
        &admin(),
        &actor(),
        src("commune;residences_principales\n59183;300\nNulle-part;12\n59183;20\n"),
        2021,
        true,
    )
    .unwrap();
    let rows: Vec<(u64, &str)> = problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(rows, vec![(3, "commune"), (4, "commune")]);
    assert!(
        db.store.main_residence_years().unwrap().is_empty(),
        "nothing written"
    );
    import_main_residences(
        db.store.as_ref(),
        &admin(),
        &actor(),
        src("commune;residences_principales\nDunkerque;300\n"),
        2021,
        true,
    )
    .unwrap();
    let t = parc_report(db.store.as_ref(), Some(2025), Scale::Commune)
        .unwrap()
        .table();
    assert_eq!(cell(&t, "59183", "residences_principales"), "300");
    assert_eq!(cell(&t, "59183", "logements_sociaux_pour_100_rp"), "1,0");
    assert_eq!(cell(&t, "59155", "residences_principales"), "");
    // The SRU estimate: 3 conventioned dwellings for 300 main residences, 25 %: 72 missing,
    // 24 to catch up in three years.
    let sru = logis_app::stock::sru_report(db.store.as_ref(), None, 25).unwrap();
    let row: Vec<String> = sru.long_rows[0].iter().map(|c| c.plain()).collect();
    assert_eq!(
        row,
        [
            "2025",
            "59183",
            "Dunkerque",
            "3",
            "300",
            "2021",
            "1,0",
            "25",
            "72",
            "24"
        ]
    );
    assert!(logis_app::stock::sru_report(db.store.as_ref(), None, 0).is_err());
}

/// The exchange format's energy columns (rehabilitations of the mining basin): imported, kept,
/// exported and re-imported unchanged; a bad letter or consumption named with nothing written.
fn rehabilitation_lines_carry_their_energy_labels(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let csv = "reference;bailleur;commune;projet;nature;financement;logements;annee;stade;dpe_avant;dpe_apres;cep_avant;cep_apres
ERBM-1;Partenord Habitat;Dunkerque;Cité des Électriciens;Réhabilitation;Palulos;40;2020;Livré;F;C;390;140
ERBM-1;Partenord Habitat;Dunkerque;Cité des Électriciens;Réhabilitation;PAM;10;2021;;g;;;";
    let r = db.import(csv.to_string());
    assert!(r.committed, "{}", r.render_fr());
    let lines = logis_store::collect_lines(db.store.as_ref(), &LineFilter::default()).unwrap();
    let e = lines.iter().find(|l| l.dwellings == 40).unwrap().energy;
    assert_eq!(
        (
            e.before.map(|l| l.code()),
            e.after.map(|l| l.code()),
            e.cep_before,
            e.cep_after
        ),
        (Some("F"), Some("C"), Some(390), Some(140))
    );
    // The export carries them and re-imports to the same register.
    let exported = db.export(ExportFormat::Csv);
    let text = String::from_utf8_lossy(&exported).to_string();
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with(";surface;dpe_avant;dpe_apres;cep_avant;cep_apres;rpls;cout"),
        "{text}"
    );
    let again = db.import(exported);
    assert!(
        again.committed && again.stats.lines_updated == 0,
        "{}",
        again.render_fr()
    );
    // A later file changes the label after works: the line is updated, the rest kept.
    let r = db.import(csv.replace(";F;C;390;140", ";F;B;390;90"));
    assert_eq!(r.stats.lines_updated, 1, "{}", r.render_fr());
    let bad = csv.replace(";F;C;390;140", ";H;C;lots;140");
    let r = db.import(bad);
    assert!(!r.committed);
    let cols: Vec<&str> = r.problems.iter().map(|p| p.column.as_str()).collect();
    assert_eq!(cols, vec!["dpe_avant", "cep_avant"], "{}", r.render_fr());
}

/// The mining basin: cités imported (a row in error named, nothing written), their works from
/// the register's rehabilitation lines, the report per cité and landlord and the programme.
fn the_mining_basins_renovation(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let admin = admin();
    let src = |t: &str| logis_io::open_bytes(t.as_bytes().to_vec()).unwrap();
    let cites = "cite;commune;bailleur;logements;classe_a;classe_b;classe_c;classe_d;classe_e;classe_f;classe_g
Cité des Électriciens;Bruay-la-Buissière;Partenord Habitat;120;0;0;0;10;40;50;20
Cité 12;Lens;Vilogia;80;0;0;0;0;30;30;20";
    let bad = cites
        .replace(";80;0;0;0;0;30;30;20", ";80;0;0;0;0;60;30;20")
        .replace("Lens", "Nulle-part");
    let r = logis_app::stock::import_estates(db.store.as_ref(), &admin, &actor(), src(&bad), true)
        .unwrap();
    let cols: Vec<(u64, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(
        cols,
        vec![(3, "commune"), (3, "classe_a")],
        "{:?}",
        r.problems
    );
    assert!(db.store.estates().unwrap().is_empty(), "nothing written");
    let r = logis_app::stock::import_estates(db.store.as_ref(), &admin, &actor(), src(cites), true)
        .unwrap();
    assert_eq!((r.created, r.committed), (2, true), "{:?}", r.problems);
    let again =
        logis_app::stock::import_estates(db.store.as_ref(), &admin, &actor(), src(cites), true)
            .unwrap();
    assert_eq!(again.unchanged, 2);
    let csv = "reference;bailleur;commune;projet;nature;financement;logements;annee;stade;cout;dpe_avant;dpe_apres;cep_avant;cep_apres
ERBM-1;Partenord Habitat;Bruay-la-Buissière;Cité des Électriciens;Réhabilitation;Palulos;40;2020;Livré;2 000 000;F;C;390;140
ERBM-1;Partenord Habitat;Bruay-la-Buissière;Cité des Électriciens;Réhabilitation;PAM;20;2023;Travaux démarrés;;G;D;450;250
ERBM-2;Vilogia;Lens;Cité 12;Réhabilitation;Palulos;30;2022;Financé;;E;;;";
    let r = db.import(csv.to_string());
    assert!(r.committed, "{}", r.render_fr());
    let report = logis_app::stock::erbm_report(db.store.as_ref()).unwrap();
    let rows: Vec<Vec<String>> = report
        .long_rows
        .iter()
        .map(|r| r.iter().map(|c| c.plain()).collect())
        .collect();
    // Started 60 (40 delivered in 2020, first wave), finished 40, 40 at C; gain (250×40 + 200×20)/60.
    let of = |name: &str| rows.iter().find(|r| r[0] == name).unwrap().clone();
    assert_eq!(
        of("Cité des Électriciens"),
        [
            "Cité des Électriciens",
            "Partenord Habitat",
            "Bruay-la-Buissière",
            "120",
            "110",
            "60",
            "40",
            "40",
            "233",
            "50000",
            "40"
        ]
        .map(String::from)
        .to_vec()
    );
    assert_eq!(of("Cité 12")[5], "0", "financed is not started");
    assert!(
        report.notes[0].contains("60 logements"),
        "{:?}",
        report.notes
    );
}

/// The rents of rehabilitated dwellings before and after, across vintages: the register's
/// delivered rehabilitation names its dwellings' RPLS identifiers (column `rpls`).
fn rehabilitated_dwellings_rents_before_and_after(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let file = |rents: [&str; 3]| {
        format!(
            "IDENT_REP;DEPCOM;NBPIECE;SURFHAB;CONSTRUCT;LOCAT;FINAN;MODE;BAIL;LOYERPRINC
R0000001;59183;3;50;1970;1971;52;1;01/2010;{}
R0000002;59183;3;50;1970;1971;52;1;01/2010;{}
R0000003;59183;3;50;1970;1971;52;1;01/2010;{}",
            rents[0], rents[1], rents[2]
        )
    };
    import(&db, &file(["300", "320", "350"]), 2019, true, false);
    import(&db, &file(["330", "340", "400"]), 2022, true, false);
    let csv = "reference;bailleur;commune;nature;financement;logements;annee;stade;rpls
REHA-1;Partenord Habitat;Dunkerque;Réhabilitation;Palulos;2;2020;Livré;R0000001|R0000002";
    assert!(db.import(csv.to_string()).committed);
    let rents = logis_app::stock::rents_report(db.store.as_ref(), Some(2022)).unwrap();
    let rows: Vec<Vec<String>> = rents
        .long_rows
        .iter()
        .map(|r| r.iter().map(|c| c.plain()).collect())
        .collect();
    let of = |k: &str| {
        rows.iter()
            .find(|r| r[1] == "rehabilites" && r[2] == k)
            .unwrap_or_else(|| panic!("{rows:?}"))
            .clone()
    };
    assert_eq!(
        (of("avant")[4].as_str(), of("avant")[5].as_str()),
        ("2", "6,20")
    );
    assert_eq!(
        (of("apres")[4].as_str(), of("apres")[5].as_str()),
        ("2", "6,70")
    );
    let r = db.import(csv.replace("R0000001|R0000002", "R0000001|R 2/x"));
    assert_eq!(r.problems[0].column, "rpls", "{}", r.render_fr());
}

conformance!(
    an_rpls_file_of_each_layout_gives_its_indicators,
    a_refused_file_leaves_the_vintage_as_it_was,
    main_residences_give_the_social_share,
    rehabilitation_lines_carry_their_energy_labels,
    the_mining_basins_renovation,
    rehabilitated_dwellings_rents_before_and_after,
);
