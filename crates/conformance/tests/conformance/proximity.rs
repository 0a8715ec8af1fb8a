//! Proximity management (issue 17, first part): a site's competence table, reports routed on
//! arrival to the partner it names for their theme, each partner's queue.

use super::*;
use logis_domain::proximity::{
    AssignmentStatus, Cells, CompetenceDraft, ReportDraft, Theme, parse_competence, parse_report,
};
use logis_domain::register::line::OrgIndex;

fn org(db: &TestDb, kind: OrgKind, name: &str) -> i64 {
    db.add_organisation(
        &actor(),
        &NewOrganisation {
            kind,
            name: name.into(),
            siren: None,
            commune: None,
        },
    )
    .unwrap()
    .id
}

fn index(db: &TestDb) -> OrgIndex {
    let orgs = db.organisations().unwrap();
    OrgIndex::new(orgs.iter().map(|o| (o.id, o.name.as_str(), None)))
}

fn cells<'a>(pairs: &[(&'a str, &'a str)]) -> Cells<'a> {
    let mut c = Cells::default();
    for (k, v) in pairs {
        c.set(k, Some(v));
    }
    c
}

fn reports_are_routed_by_the_sites_competence_table(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let cud = org(&db, OrgKind::Epci, "CUD");
    let gs = org(&db, OrgKind::Commune, "Ville de Grande-Synthe");
    let concierge = org(&db, OrgKind::Conciergerie, "Conciergerie de l'Europe");
    let geo = db.geography().unwrap();
    let orgs = index(&db);
    let table: Vec<(u64, CompetenceDraft)> = [
        ("dechets", "CUD", ""),
        ("espaces verts", "Ville de Grande-Synthe", ""),
        ("parties communes", "Partenord Habitat", "5"),
        ("ascenseurs", "Conciergerie de l'Europe", ""),
    ]
    .iter()
    .enumerate()
    .map(|(i, (theme, partner, deadline))| {
        let c = cells(&[
            ("site", "Quartier de l'Europe"),
            ("commune", "Grande-Synthe"),
            ("quartier", "Europe"),
            ("theme", theme),
            ("partenaire", partner),
            ("delai_jours", deadline),
        ]);
        (
            i as u64 + 2,
            parse_competence(&c, &geo, None, &orgs).unwrap(),
        )
    })
    .collect();
    let r = db.put_competences(&actor(), &table).unwrap();
    assert!(r.committed && r.created == 4, "{r:?}");
    assert_eq!(db.put_competences(&actor(), &table).unwrap().unchanged, 4);
    let sites = db.proximity_sites().unwrap();
    let site = &sites[0];
    assert_eq!(site.name, "Quartier de l'Europe");
    let lifts = site
        .competences
        .iter()
        .find(|c| c.theme == Theme::Lifts)
        .unwrap();
    assert_eq!((lifts.partner_id, lifts.deadline_days), (concierge, 2));
    let report = |reference: &str, theme: &str, date: &str| -> (u64, ReportDraft) {
        let c = cells(&[
            ("signalement", reference),
            ("site", "quartier de l'europe"),
            ("theme", theme),
            ("date", date),
            ("description", "Encombrants devant le hall B"),
            ("organisation", "Conciergerie de l'Europe"),
            ("adresse", "12 rue de Bruxelles"),
        ]);
        (2, parse_report(&c, &orgs).unwrap())
    };
    // A theme not in the table: named, with the table's themes; nothing written.
    let r = db
        .put_reports(
            &actor(),
            &[
                report("S-1", "encombrants", "02/03/2026"),
                report("S-2", "éclairage", "02/03/2026"),
            ],
        )
        .unwrap();
    assert!(!r.committed);
    assert_eq!(r.problems.len(), 1);
    assert_eq!(r.problems[0].column, "theme");
    assert!(
        r.problems[0].message.starts_with("le thème « Éclairage » n'est pas dans la table de compétences du site « quartier de l'europe » (thèmes : "),
        "{}",
        r.problems[0].message
    );
    assert!(db.queue(cud).unwrap().is_empty(), "nothing written");
    let r = db
        .put_reports(
            &actor(),
            &[
                report("S-1", "encombrants", "02/03/2026"),
                report("S-3", "espaces verts", "03/03/2026"),
            ],
        )
        .unwrap();
    assert!(r.committed && r.created == 2, "{r:?}");
    let queue = db.queue(cud).unwrap();
    assert_eq!(queue.len(), 1);
    let a = &queue[0];
    assert_eq!(
        (a.reference.as_str(), a.theme, a.status),
        ("S-1", Theme::Waste, AssignmentStatus::New)
    );
    assert_eq!(
        a.due_on,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
        "7 days for waste"
    );
    assert_eq!(db.queue(gs).unwrap().len(), 1);
    // Imported again: nothing changes, nothing routed twice.
    let again = db
        .put_reports(&actor(), &[report("S-1", "encombrants", "02/03/2026")])
        .unwrap();
    assert_eq!(again.unchanged, 1);
    assert_eq!(db.queue(cud).unwrap().len(), 1);
    // Only the partner acts on its assignment; steps forward, a reason to close or refuse.
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
    let s = db.store.as_ref();
    let e = s.set_assignment(&actor(), a.id, gs, AssignmentStatus::InProgress, "", day);
    assert!(matches!(e, Err(StoreError::NotFound(_))), "{e:?}");
    s.set_assignment(&actor(), a.id, cud, AssignmentStatus::InProgress, "", day)
        .unwrap();
    let e = s
        .set_assignment(&actor(), a.id, cud, AssignmentStatus::Closed, " ", day)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("donnez le motif"), "{e}");
    s.set_assignment(
        &actor(),
        a.id,
        cud,
        AssignmentStatus::Closed,
        "enlevés le 4/03",
        day,
    )
    .unwrap();
    let e = s
        .set_assignment(&actor(), a.id, cud, AssignmentStatus::InProgress, "", day)
        .unwrap_err()
        .to_string();
    assert!(e.contains("« Clos »"), "{e}");
    // Refused as out of its competence: the report waits to be given to another partner.
    let green = db.queue(gs).unwrap().remove(0);
    s.set_assignment(
        &actor(),
        green.id,
        gs,
        AssignmentStatus::Refused,
        "hors de notre compétence : terrain du bailleur",
        day,
    )
    .unwrap();
    let waiting = db.unassigned_reports().unwrap();
    assert_eq!(
        waiting.iter().map(|w| w.1.as_str()).collect::<Vec<_>>(),
        ["S-3"]
    );
    let partenord = db
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Partenord Habitat")
        .unwrap()
        .id;
    s.assign(&actor(), green.report_id, partenord, day).unwrap();
    assert!(db.unassigned_reports().unwrap().is_empty());
    let theirs = db.queue(partenord).unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(
        theirs[0].due_on,
        day + chrono::Days::new(15),
        "green spaces: 15 days"
    );
    let e = s
        .assign(&actor(), green.report_id, partenord, day)
        .unwrap_err()
        .to_string();
    assert!(e.contains("déjà reçu"), "{e}");
}

fn the_mobility_offer_its_demand_and_placements(kind: Kind) {
    use logis_domain::proximity::mobility::{coverage, parse_demand, parse_occupancy, parse_offer};
    let db = TestDb::with_landlords(kind);
    let geo = db.geography().unwrap();
    let landlords = index(&db);
    let offer = |reference: &str, beds: &str, until: &str| {
        let c = cells(&[
            ("offre", reference),
            ("bailleur", "Vilogia"),
            ("commune", "Dunkerque"),
            ("logements", "10"),
            ("lits", beds),
            ("prix_mensuel", "450"),
            ("meuble", "oui"),
            ("debut", "2026-03"),
            ("fin", until),
            ("usage_futur", "logement familial"),
        ]);
        (2, parse_offer(&c, &geo, None, &landlords).unwrap())
    };
    let r = db
        .put_offers(&actor(), &[offer("MOB-1", "14", "2026-12")])
        .unwrap();
    assert!(r.committed && r.created == 1, "{r:?}");
    assert_eq!(
        db.put_offers(&actor(), &[offer("MOB-1", "14", "2026-12")])
            .unwrap()
            .unchanged,
        1
    );
    let demand = cells(&[
        ("employeur_siret", "73282932000074"),
        ("employeur", "Chantiers de France"),
        ("commune", "Dunkerque"),
        ("mois", "2026-04"),
        ("salaries", "20"),
        ("duree_mois", "6"),
    ]);
    let r = db
        .put_demand(&actor(), &[(2, parse_demand(&demand, &geo, None).unwrap())])
        .unwrap();
    assert!(r.committed, "{r:?}");
    let occupancy = |month: &str, n: &str| {
        let c = cells(&[
            ("offre", "MOB-1"),
            ("mois", month),
            ("employeur_siret", "73282932000074"),
            ("occupants", n),
        ]);
        (2, parse_occupancy(&c).unwrap())
    };
    // Above the beds, outside the offer's months: refused, nothing written.
    let r = db
        .put_occupancy(&actor(), &[occupancy("2026-04", "15")])
        .unwrap();
    assert!(!r.committed && r.problems[0].column == "occupants", "{r:?}");
    let r = db
        .put_occupancy(&actor(), &[occupancy("2027-01", "2")])
        .unwrap();
    assert!(
        r.problems[0].message.contains("pas ouverte en 2027-01"),
        "{r:?}"
    );
    let r = db
        .put_occupancy(&actor(), &[occupancy("2026-04", "12")])
        .unwrap();
    assert!(r.committed, "{r:?}");
    let (offers, demand, placed) = db.mobility().unwrap();
    let rows = coverage(&offers, &demand, &placed);
    let april = rows.iter().find(|r| r.month.text() == "2026-04").unwrap();
    assert_eq!(
        (
            april.beds_offered,
            april.workers_expected,
            april.beds_occupied,
            april.demand_not_covered
        ),
        (14, 20, 12, 6)
    );
}

conformance!(
    reports_are_routed_by_the_sites_competence_table,
    the_mobility_offer_its_demand_and_placements,
);
