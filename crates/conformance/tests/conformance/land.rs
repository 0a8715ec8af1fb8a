//! The land bank: importing sites (every bad row refused, nothing written), the steps of a
//! site's life, one landlord at a time (by the code, by the database, under two simultaneous
//! writers), interests, operations built on a site, the land report.

use super::*;
use logis_app::land::{Decision, decide, import_sites};
use logis_domain::land::SiteStatus;

pub(crate) const SITES: &str = "foncier;libelle;commune;parcelles;surface_m2;proprietaire;capacite_logements;part_sociale;statut;date_statut;date_identification;bailleur;motif;contraintes;x;y
CUD-F-001;Friche du Môle;Dunkerque;000 AB 0123|AB 124;12 500;EPCI;120;40 %;attribué;15/03/2025;10/01/2024;Vilogia;proximité du chantier;sol à dépolluer;2,3768;51,0343
CUD-F-002;Terrain Courghain;Grande-Synthe;BC 12;8000;commune;60;100;proposé;;;;;;652000;7104000
CUD-F-003;Ilot Gare;Gravelines;ZA 1;3000;État;30;50;identifié;;;;;;;";

fn import(db: &TestDb, csv: &str) -> logis_app::land::LandImportReport {
    let src = logis_io::open_bytes(csv.as_bytes().to_vec()).unwrap();
    import_sites(db.store.as_ref(), &actor(), src, true).unwrap()
}

fn id(db: &TestDb, reference: &str) -> i64 {
    db.site_id(reference).unwrap().unwrap()
}

fn landlord(db: &TestDb, name: &str) -> i64 {
    db.organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == name)
        .unwrap()
        .id
}

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn a_land_file_imports_once_and_again_changes_nothing(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let r = import(&db, SITES);
    assert!(r.committed, "{:?}", r.problems);
    assert_eq!((r.stats.created, r.stats.updated), (3, 0));
    let again = import(&db, SITES);
    assert!(again.committed);
    assert_eq!(
        (
            again.stats.created,
            again.stats.updated,
            again.stats.unchanged
        ),
        (0, 0, 3)
    );
    let sites = db.sites().unwrap();
    let mole = sites.iter().find(|s| s.reference == "CUD-F-001").unwrap();
    assert_eq!(mole.commune.as_str(), "59183");
    assert_eq!(mole.parcels, ["000 AB 0123", "000 AB 0124"]);
    assert_eq!(mole.area_m2, Some(12_500));
    assert_eq!(mole.social_percent, Some(40));
    assert_eq!(mole.status, SiteStatus::Allocated);
    assert_eq!(mole.identified_on, day(2024, 1, 10));
    assert_eq!(mole.first_allocated_on, Some(day(2025, 3, 15)));
    let h = mole.holder.as_ref().unwrap();
    assert_eq!(
        (h.landlord.as_str(), h.since),
        ("Vilogia", day(2025, 3, 15))
    );
    assert_eq!(mole.point.map(|p| p.lat_e6), Some(51_034_300));
    // Lambert-93 metres become degrees.
    let gs = sites.iter().find(|s| s.reference == "CUD-F-002").unwrap();
    let p = gs.point.unwrap();
    assert!(
        (2.2..2.4).contains(&p.lon()) && (50.9..51.1).contains(&p.lat()),
        "{p:?}"
    );
    let steps: Vec<SiteStatus> = db
        .site_events(mole.id)
        .unwrap()
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(steps, [SiteStatus::Identified, SiteStatus::Allocated]);
    // Every creation is in the audit trail.
    let trail = db
        .audit(&logis_store::AuditFilter {
            entity: Some("foncier".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "creation" && e.entity_id == "CUD-F-001")
    );
}

fn a_bad_land_file_writes_nothing_and_names_each_row(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let bad = "foncier;commune;parcelles;proprietaire;capacite_logements;statut;bailleur;x;y
CUD-F-010;Dunkerque;rue du Port;EPCI;10;proposé;;;
CUD-F-011;Lille;AB 1;EPCI;10;proposé;;;
CUD-F-012;Dunkerque;AB 2;EPCI;-4;attribué;Ville de Dunkerque;;
CUD-F-013;Dunkerque;AB 3;voisin;10;vendu à moitié;;;
CUD-F-014;Dunkerque;AB 4;EPCI;10;attribué;;;
CUD-F-015;Dunkerque;AB 5;EPCI;10;proposé;;-61,5;16,2
;Dunkerque;AB 6;EPCI;10;proposé;;;";
    let r = import(&db, bad);
    assert!(!r.committed);
    let at = |row: u64, column: &str| {
        r.problems
            .iter()
            .find(|p| p.row == row && p.column == column)
            .map(|p| p.message.clone())
            .unwrap_or_else(|| panic!("ligne {row} colonne {column} : {:?}", r.problems))
    };
    assert!(at(2, "parcelles").contains("référence cadastrale illisible « rue du Port »"));
    assert!(at(3, "commune").contains("hors du territoire"));
    assert!(at(4, "capacite_logements").contains("« -4 »"));
    assert!(at(4, "bailleur").contains("n'est pas un bailleur du partenariat"));
    assert!(at(5, "proprietaire").contains("voisin"));
    assert!(at(5, "statut").contains("vendu à moitié"));
    assert!(at(6, "bailleur").contains("donnez-le"));
    assert!(at(7, "x").contains("hors de la France métropolitaine"));
    assert!(at(8, "foncier").contains("valeur obligatoire manquante"));
    assert!(db.sites().unwrap().is_empty(), "nothing written");
    // A header without its required columns stops at row 1.
    let r = import(&db, "foncier;commune\nX;Dunkerque");
    assert!(r.problems.iter().all(|p| p.row == 1), "{:?}", r.problems);
    assert!(r.problems.iter().any(|p| p.column == "parcelles"));
    // A parcel already in another site, a site given twice: refused, nothing written.
    import(&db, SITES);
    let clash = "foncier;commune;parcelles;proprietaire;statut
CUD-F-020;Dunkerque;AB 123;EPCI;identifié
CUD-F-021;Dunkerque;AB 500;EPCI;identifié
CUD-F-021;Dunkerque;AB 501;EPCI;identifié";
    let r = import(&db, clash);
    assert!(
        r.problems
            .iter()
            .any(|p| p.row == 4 && p.message.contains("déjà donné ligne 3"))
    );
    let clash = "foncier;commune;parcelles;proprietaire;statut
CUD-F-021;Dunkerque;AB 500;EPCI;identifié
CUD-F-020;Dunkerque;AB 123;EPCI;identifié";
    let r = import(&db, clash);
    assert!(!r.committed);
    assert!(
        r.problems.iter().any(|p| p.row == 3
            && p.column == "parcelles"
            && p.message == "la parcelle 000 AB 0123 appartient déjà au foncier « CUD-F-001 »"),
        "{:?}",
        r.problems
    );
    assert_eq!(db.sites().unwrap().len(), 3, "row 2 rolled back with row 3");
    // Moving a site back is refused (a withdrawal needs its reason).
    let back = "foncier;commune;parcelles;proprietaire;statut;bailleur
CUD-F-001;Dunkerque;000 AB 0123|AB 124;EPCI;proposé;";
    let r = import(&db, back);
    assert!(
        r.problems.iter().any(|p| p.column == "motif"),
        "{:?}",
        r.problems
    );
    assert!(
        db.site(id(&db, "CUD-F-001"))
            .unwrap()
            .unwrap()
            .holder
            .is_some()
    );
}

fn a_site_is_held_by_one_landlord_at_a_time(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    import(&db, SITES);
    let s = db.store.as_ref();
    let mole = id(&db, "CUD-F-001");
    let e = decide(
        s,
        &actor(),
        mole,
        &Decision::Allocate("Partenord Habitat".into()),
        "",
        "offre",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "le foncier « CUD-F-001 » est déjà attribué à Vilogia depuis le 15/03/2025 : retirez d'abord cette attribution (avec son motif)"
    );
    // Not a landlord; no reason.
    let gs = id(&db, "CUD-F-002");
    db.add_organisation(
        &actor(),
        &NewOrganisation {
            kind: OrgKind::Commune,
            name: "Ville de Grande-Synthe".into(),
            siren: None,
            commune: None,
        },
    )
    .unwrap();
    let e = decide(
        s,
        &actor(),
        gs,
        &Decision::Allocate("Ville de Grande-Synthe".into()),
        "",
        "x",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("n'est pas un bailleur"), "{e}");
    let e = decide(
        s,
        &actor(),
        gs,
        &Decision::Allocate("Vilogia".into()),
        "",
        " ",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("motif"), "{e}");
    // The database itself refuses a second allocation in force, whoever writes.
    let direct = logis_store::tx::write(s, |tx| {
        tx.execute(
            logis_store::land::sql::ALLOCATE,
            &[
                logis_store::tx::Value::int(mole),
                logis_store::tx::Value::int(landlord(&db, "Partenord Habitat")),
                logis_store::tx::Value::date(day(2026, 1, 1)),
                logis_store::tx::Value::text("contournement"),
            ],
        )
    });
    assert!(matches!(direct, Err(StoreError::Conflict(_))), "{direct:?}");
    // Withdrawn with its reason, the site may go to another landlord.
    decide(
        s,
        &actor(),
        mole,
        &Decision::Withdraw,
        "01/06/2025",
        "abandon du projet de Vilogia",
    )
    .unwrap();
    let after = db.site(mole).unwrap().unwrap();
    assert_eq!(after.status, SiteStatus::Proposed);
    assert!(after.holder.is_none());
    decide(
        s,
        &actor(),
        mole,
        &Decision::Allocate("Partenord Habitat".into()),
        "02/06/2025",
        "seconde offre",
    )
    .unwrap();
    let after = db.site(mole).unwrap().unwrap();
    assert_eq!(after.holder.unwrap().landlord, "Partenord Habitat");
    assert_eq!(
        after.first_allocated_on,
        Some(day(2025, 3, 15)),
        "the first allocation counts"
    );
    let steps: Vec<(SiteStatus, String)> = db
        .site_events(mole)
        .unwrap()
        .into_iter()
        .map(|e| (e.status, e.reason))
        .collect();
    assert_eq!(
        steps.last(),
        Some(&(SiteStatus::Allocated, "seconde offre".to_string()))
    );
    assert!(steps.contains(&(
        SiteStatus::Proposed,
        "abandon du projet de Vilogia".to_string()
    )));
}

fn two_simultaneous_allocations_one_wins(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    import(&db, SITES);
    let gs = id(&db, "CUD-F-002");
    let names = ["Vilogia", "Partenord Habitat"];
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = names
        .iter()
        .map(|name| {
            // Two stores, two connections: two users of two servers.
            let store = logis_conformance::connect(&db.url).unwrap();
            let barrier = barrier.clone();
            let name = name.to_string();
            std::thread::spawn(move || {
                barrier.wait();
                decide(
                    store.as_ref(),
                    &actor(),
                    gs,
                    &Decision::Allocate(name),
                    "",
                    "décision",
                )
                .map_err(|e| e.to_string())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let lost = results.iter().find_map(|r| r.clone().err()).unwrap();
    let holder = db.site(gs).unwrap().unwrap().holder.unwrap();
    assert!(
        lost.starts_with(&format!(
            "le foncier « CUD-F-002 » est déjà attribué à {} depuis le",
            holder.landlord
        )),
        "{lost}"
    );
    let in_force: Vec<_> = db
        .site_events(gs)
        .unwrap()
        .into_iter()
        .filter(|e| e.status == SiteStatus::Allocated)
        .collect();
    assert_eq!(in_force.len(), 1);
}

fn interests_operations_and_the_report(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    import(&db, SITES);
    assert!(db.import(sample_csv()).committed);
    let s = db.store.as_ref();
    let gs = id(&db, "CUD-F-002");
    let (vilogia, partenord) = (landlord(&db, "Vilogia"), landlord(&db, "Partenord Habitat"));
    logis_app::land::express_interest(s, &actor(), gs, partenord, "55", "PLUS, PLAI", "").unwrap();
    logis_app::land::express_interest(s, &actor(), gs, vilogia, "60", "PLUS", "avec accession")
        .unwrap();
    let e = logis_app::land::express_interest(s, &actor(), gs, vilogia, "beaucoup", "", "")
        .unwrap_err()
        .to_string();
    assert!(e.contains("« beaucoup »"), "{e}");
    let interests = db.site_interests(gs).unwrap();
    assert_eq!(interests.len(), 2);
    assert_eq!(db.site(gs).unwrap().unwrap().status, SiteStatus::Interests);
    // Only identified: no interest yet.
    let gare = id(&db, "CUD-F-003");
    let e = logis_app::land::express_interest(s, &actor(), gare, vilogia, "", "", "")
        .unwrap_err()
        .to_string();
    assert!(e.contains("n'est pas ouvert"), "{e}");
    // The holder's operation only, then the site is launched.
    let mole = id(&db, "CUD-F-001");
    let e = logis_app::land::link_operation(s, &actor(), mole, "OP-2")
        .unwrap_err()
        .to_string();
    assert!(e.contains("Vilogia n'a pas d'opération « OP-2 »"), "{e}");
    logis_app::land::link_operation(s, &actor(), mole, "OP-1").unwrap();
    let site = db.site(mole).unwrap().unwrap();
    assert_eq!(site.status, SiteStatus::Launched);
    assert_eq!((site.operations, site.dwellings), (1, 32));
    let ops = db.site_operations(mole).unwrap();
    assert_eq!(ops.first().map(|o| o.reference.as_str()), Some("OP-1"));
    // Re-importing the land file leaves the site launched.
    let again = import(&db, SITES);
    assert!(again.committed, "{:?}", again.problems);
    assert_eq!(db.site(mole).unwrap().unwrap().status, SiteStatus::Launched);
    // The report: the EPCI counts every site, a landlord those proposed.
    let admin = logis_domain::Principal {
        user_id: 1,
        login: "admin".into(),
        role: logis_domain::Role::Admin,
        organisation_id: None,
        commune: None,
    };
    let r = logis_app::land::report(s, &admin, None).unwrap();
    let rows: Vec<Vec<String>> = r
        .long_rows
        .iter()
        .map(|row| row.iter().map(|c| c.plain()).collect())
        .collect();
    assert_eq!(
        rows,
        [
            row(&[
                "59183",
                "Dunkerque",
                "operation_lancee",
                "1",
                "120",
                "48",
                "12500"
            ]),
            row(&[
                "59271",
                "Grande-Synthe",
                "interets",
                "1",
                "60",
                "60",
                "8000"
            ]),
            row(&["59273", "Gravelines", "identifie", "1", "30", "15", "3000"]),
        ]
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("Délai médian de l'identification à l'attribution : 430 jours")),
        "{:?}",
        r.notes
    );
    let reader = logis_domain::Principal {
        role: logis_domain::Role::LandlordReader,
        organisation_id: Some(vilogia),
        ..admin.clone()
    };
    let r = logis_app::land::report(s, &reader, None).unwrap();
    assert_eq!(r.long_rows.len(), 2, "the identified site is the EPCI's");
    assert_eq!(logis_app::land::visible_sites(s, &reader).unwrap().len(), 2);
    let observer = logis_domain::Principal {
        role: logis_domain::Role::Observer,
        organisation_id: None,
        ..admin
    };
    assert!(logis_app::land::visible_sites(s, &observer).is_err());
}

conformance!(
    a_land_file_imports_once_and_again_changes_nothing,
    a_bad_land_file_writes_nothing_and_names_each_row,
    a_site_is_held_by_one_landlord_at_a_time,
    two_simultaneous_allocations_one_wins,
    interests_operations_and_the_report,
    grouped_tenders_and_the_cost_report,
);

const LINES: &str = "reference;bailleur;commune;libelle;nature;produit;logements;annee;stade;date_stade;surface;cout
V-1;Vilogia;Dunkerque;Les Salines;Construction neuve;PLUS;20;2025;Financé;;1 300;3 400 000
V-2;Vilogia;Dunkerque;Le Phare;Construction neuve;PLUS;10;2025;Financé;;650;1 900 000
P-1;Partenord Habitat;Grande-Synthe;Courghain;Construction neuve;PLUS;30;2025;Financé;;;5 100 000
P-2;Partenord Habitat;Grande-Synthe;Europe;Construction neuve;PLUS;12;2025;Financé;;800;";

const TENDERS: &str = "appel;coordinateur;membres;nature_travaux;lot;bailleur;operation;estimation;montant_attribue;attributaire_siret;date_attribution
AOG-1;Vilogia;Vilogia|Partenord Habitat;construction neuve;Lot 1 - Gros œuvre;Vilogia;V-1;1 000 000;900 000;73282932000074;15/04/2025
AOG-1;Vilogia;;construction neuve;Lot 1 - Gros œuvre;Partenord Habitat;P-1;1 500 000;1 400 000;73282932000074;15/04/2025
AOG-1;Vilogia;;construction neuve;Lot 2 - Menuiseries;Vilogia;V-1;200 000;190 000;73282932000074;";

fn grouped_tenders_and_the_cost_report(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    assert!(db.import(LINES).committed);
    let s = db.store.as_ref();
    let tenders = |csv: &str| {
        let src = logis_io::open_bytes(csv.as_bytes().to_vec()).unwrap();
        logis_app::land::tenders::import_tenders(s, &actor(), src, true).unwrap()
    };
    // Bad rows: nothing written, each named.
    let bad = "appel;coordinateur;membres;nature_travaux;lot;bailleur;operation;estimation;montant_attribue;attributaire_siret
AOG-9;Ville de Dunkerque;;construction neuve;Lot 1;Vilogia;V-1;10;5;73282932000074
AOG-9;Vilogia;Vilogia;construction neuve;Lot 1;Flandre Opale Habitat;V-1;10;5;73282932000074
AOG-9;Vilogia;Vilogia;construction neuve;Lot 1;Vilogia;V-9;10;5;73282932000074
AOG-9;Vilogia;Vilogia;construction neuve;Lot 2;Vilogia;;10;5;73282932000074
AOG-9;Vilogia;Vilogia;construction neuve;Lot 3;Vilogia;V-2;10;-5;73282932000074
AOG-9;Vilogia;Vilogia;construction neuve;Lot 4;Vilogia;V-2;10;5;73282932000075
AOG-9;Vilogia;Vilogia;construction neuve;Lot 5;Partenord Habitat;P-2;10;5;73282932000074";
    let r = tenders(bad);
    assert!(!r.committed);
    let at = |row: u64, column: &str| {
        r.problems
            .iter()
            .find(|p| p.row == row && p.column == column)
            .map(|p| p.message.clone())
            .unwrap_or_else(|| panic!("ligne {row} colonne {column} : {:?}", r.problems))
    };
    assert!(at(2, "coordinateur").contains("n'est pas un bailleur"));
    assert!(at(3, "operation").contains("Flandre Opale Habitat n'a pas d'opération « V-1 »"));
    assert!(at(4, "operation").contains("n'a pas d'opération « V-9 »"));
    assert!(at(5, "operation").contains("un lot sans opération"));
    assert!(at(6, "montant_attribue").contains("montant négatif"));
    assert!(at(7, "attributaire_siret").contains("clé de contrôle"));
    assert!(at(8, "bailleur").contains("Partenord Habitat n'est pas membre de l'appel « AOG-9 »"));
    assert!(db.tenders().unwrap().is_empty(), "nothing written");
    // A good file, then again: nothing changes.
    let r = tenders(TENDERS);
    assert!(r.committed, "{:?}", r.problems);
    assert_eq!((r.stats.created, r.stats.updated), (1, 0));
    let again = tenders(TENDERS);
    assert_eq!(
        (
            again.stats.created,
            again.stats.updated,
            again.stats.unchanged
        ),
        (0, 0, 1)
    );
    let t = db.tenders().unwrap().pop().unwrap();
    assert_eq!(t.coordinator, "Vilogia");
    assert_eq!(t.members.len(), 2);
    assert_eq!(t.lots.len(), 2);
    assert_eq!(t.saving(None), (270_000_000, 249_000_000, 21_000_000));
    assert_eq!(
        t.saving(Some(landlord(&db, "Partenord Habitat"))).2,
        10_000_000
    );
    // Changed amounts replace the tender.
    let r = tenders(&TENDERS.replace("1 400 000", "1 350 000"));
    assert_eq!(r.stats.updated, 1);
    // The surface came in with the lines and goes out with them.
    let csv = String::from_utf8(db.export(ExportFormat::Csv)).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains(";surface;dpe_avant;dpe_apres;cep_avant;cep_apres;rpls;cout")
    );
    assert!(csv.contains(";1300;;;;;;3400000"), "{csv}");
    // The cost report: pooled V-1 and P-1 against V-2 and P-2.
    let admin = logis_domain::Principal {
        user_id: 1,
        login: "admin".into(),
        role: logis_domain::Role::Admin,
        organisation_id: None,
        commune: None,
    };
    let report = logis_app::land::tenders::cost_report(s, &admin).unwrap();
    let rows: Vec<Vec<String>> = report
        .long_rows
        .iter()
        .map(|row| row.iter().map(|c| c.plain()).collect())
        .collect();
    assert_eq!(
        rows,
        [
            row(&[
                "Partenord Habitat",
                "new_build",
                "plus",
                "2025",
                "non",
                "1",
                "12",
                "800",
                "",
                "",
                ""
            ]),
            row(&[
                "Partenord Habitat",
                "new_build",
                "plus",
                "2025",
                "oui",
                "1",
                "30",
                "",
                "5100000",
                "170000",
                ""
            ]),
            row(&[
                "Vilogia",
                "new_build",
                "plus",
                "2025",
                "non",
                "1",
                "10",
                "650",
                "1900000",
                "190000",
                "2923"
            ]),
            row(&[
                "Vilogia",
                "new_build",
                "plus",
                "2025",
                "oui",
                "1",
                "20",
                "1300",
                "3400000",
                "170000",
                "2615"
            ]),
        ]
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("1 opération(s) sans prix de revient et 1 sans surface")),
        "{:?}",
        report.notes
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("Appel « AOG-1 »")),
        "{:?}",
        report.notes
    );
    // (pooled 170 000 € a dwelling against 190 000 €: −10,5 %)
    let grid_row: Vec<String> = report.grid.rows[0]
        .cells
        .iter()
        .map(|c| c.plain())
        .collect();
    assert_eq!(grid_row.last().map(String::as_str), Some("-10,5 %"));
    // A landlord sees its own operations and the tenders it is a member of; a commune none.
    let vilogia = logis_domain::Principal {
        role: logis_domain::Role::LandlordReader,
        organisation_id: Some(landlord(&db, "Vilogia")),
        ..admin.clone()
    };
    let mine = logis_app::land::tenders::cost_report(s, &vilogia).unwrap();
    assert!(mine.long_rows.iter().all(|r| r[0].plain() == "Vilogia"));
    let foh = logis_domain::Principal {
        organisation_id: Some(landlord(&db, "Flandre Opale Habitat")),
        ..vilogia.clone()
    };
    assert!(
        logis_app::land::tenders::visible_tenders(s, &foh)
            .unwrap()
            .is_empty()
    );
    let commune = logis_domain::Principal {
        role: logis_domain::Role::CommuneReader,
        ..admin
    };
    assert!(logis_app::land::tenders::cost_report(s, &commune).is_err());
}
