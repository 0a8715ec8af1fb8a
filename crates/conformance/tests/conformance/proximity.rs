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

/// A small JPEG and PNG, by their content.
const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
];
fn png() -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    p.extend([0u8; 17]);
    p
}

fn a_report_from_its_form_to_its_closure(kind: Kind) {
    use logis_app::proximity::forms::{self, ReportForm};
    use logis_domain::{Principal, Role};
    use logis_store::ProximityRecords;
    use logis_store::proximity::ReportFilter;
    let db = TestDb::with_landlords(kind);
    let s = db.store.as_ref();
    let cud = org(&db, OrgKind::Epci, "CUD");
    let gs = org(&db, OrgKind::Commune, "Ville de Grande-Synthe");
    let concierge = org(&db, OrgKind::Conciergerie, "Conciergerie de l'Europe");
    let partenord = db
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Partenord Habitat")
        .unwrap()
        .id;
    let table = "site;commune;theme;partenaire\nEurope;Grande-Synthe;dechets;CUD\nEurope;Grande-Synthe;espaces verts;Ville de Grande-Synthe\nEurope;Grande-Synthe;parties communes;Partenord Habitat";
    let src = logis_io::open_bytes(table.as_bytes().to_vec()).unwrap();
    let r = logis_app::proximity::import_competences(s, &actor(), src, true).unwrap();
    assert!(r.committed, "{r:?}");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 10).unwrap();
    let principal = |role, org: Option<i64>| Principal {
        user_id: 1,
        login: "x".into(),
        role,
        organisation_id: org,
        commune: None,
    };
    let agent = principal(Role::ConciergerieAgent, Some(concierge));
    let form = |theme: &str, date: &str, lon: &str| ReportForm {
        site: "Europe".into(),
        theme: theme.into(),
        date: date.into(),
        description: "Haie qui déborde sur le trottoir".into(),
        address: "Place de l'Europe".into(),
        lon: lon.into(),
        lat: if lon.is_empty() {
            String::new()
        } else {
            "51,01".into()
        },
    };
    // Every bad field named, nothing written.
    let bad = forms::new_report(
        s,
        &actor(),
        concierge,
        &form("éclairage", "11/06/2026", "200"),
        &[
            b"%PDF-1.7".to_vec(),
            JPEG.to_vec(),
            JPEG.to_vec(),
            JPEG.to_vec(),
        ],
        today,
    )
    .unwrap()
    .unwrap_err();
    let fields: Vec<&str> = bad.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, ["date", "lon", "photos", "photos"], "{bad:?}");
    let bad = forms::new_report(
        s,
        &actor(),
        concierge,
        &form("éclairage", "", ""),
        &[],
        today,
    )
    .unwrap()
    .unwrap_err();
    assert_eq!(bad[0].0, "theme");
    assert!(bad[0].1.contains("(thèmes : "), "{bad:?}");
    assert!(
        s.reports(&ReportFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .is_empty()
    );
    // Made on the form with two photos: routed to the commune, its photos kept as sent.
    let id = forms::new_report(
        s,
        &actor(),
        concierge,
        &form("espaces verts", "", "2,28"),
        &[JPEG.to_vec(), png()],
        today,
    )
    .unwrap()
    .unwrap();
    let r = s.report(id).unwrap().unwrap();
    assert_eq!(r.reference, "SIG-2026-00001");
    assert_eq!(r.point, Some((2_280_000, 51_010_000)));
    assert_eq!(r.photos, [1, 2]);
    assert_eq!(
        s.photo(id, 1).unwrap().unwrap(),
        ("image/jpeg".to_string(), JPEG.to_vec())
    );
    assert_eq!(s.photo(id, 2).unwrap().unwrap().0, "image/png");
    assert_eq!(r.assignments.len(), 1);
    let a = r.assignments[0].clone();
    assert_eq!(
        (a.partner_id, a.due_on),
        (gs, today + chrono::Days::new(15))
    );
    assert_eq!(s.open_count(gs).unwrap(), 1);
    // Who reads it: the reporter, the partner given it, the EPCI; not another landlord.
    let commune = principal(Role::CommuneReader, Some(gs));
    let landlord = principal(Role::LandlordEditor, Some(partenord));
    let epci = principal(Role::Agent, Some(cud));
    for (p, sees) in [
        (&agent, true),
        (&commune, true),
        (&epci, true),
        (&landlord, false),
    ] {
        assert_eq!(
            forms::visible_report(s, p, id).unwrap().is_some(),
            sees,
            "{:?}",
            p.role
        );
    }
    let seen = |org: i64, state: &str| {
        s.reports(&ReportFilter {
            seen_by: Some(org),
            state: state.into(),
            today: Some(today),
            limit: 50,
            ..Default::default()
        })
        .unwrap()
        .len()
    };
    assert_eq!(
        (
            seen(concierge, ""),
            seen(gs, "ouverts"),
            seen(partenord, "")
        ),
        (1, 1, 0)
    );
    // The commune refuses it as out of its competence and names the landlord: given to it.
    let e = forms::step(
        s,
        &actor(),
        &commune,
        id,
        a.id,
        "refuse",
        "",
        "",
        None,
        today,
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("donnez le motif"), "{e}");
    forms::step(
        s,
        &actor(),
        &commune,
        id,
        a.id,
        "refuse",
        forms::REFUSALS[0],
        "haie du bailleur",
        Some(partenord),
        today,
    )
    .unwrap();
    assert_eq!(s.open_count(gs).unwrap(), 0);
    let r = s.report(id).unwrap().unwrap();
    assert_eq!(r.assignments.len(), 2);
    assert_eq!(
        r.assignments[0].reason,
        "hors de notre compétence : haie du bailleur"
    );
    assert_eq!(r.assignments[0].steps.len(), 2);
    assert!(forms::visible_report(s, &landlord, id).unwrap().is_some());
    // Shared with the CUD: a deadline in the past refused, nothing written.
    let e = forms::share(s, &actor(), &landlord, id, Some(cud), "01/06/2026", today).unwrap_err();
    assert!(e.to_string().contains("est passée"), "{e}");
    assert_eq!(s.report(id).unwrap().unwrap().assignments.len(), 2);
    forms::share(s, &actor(), &landlord, id, Some(cud), "20/06/2026", today).unwrap();
    let r = s.report(id).unwrap().unwrap();
    assert_eq!(
        r.assignments[2].due_on,
        chrono::NaiveDate::from_ymd_opt(2026, 6, 20).unwrap()
    );
    // Another landlord cannot share a report it never received.
    let outsider = principal(Role::LandlordEditor, Some(concierge + 1000));
    assert!(forms::share(s, &actor(), &outsider, id, Some(gs), "", today).is_err());
    // The landlord closes its part; the list says what is left.
    let mine = r.assignments[1].id;
    forms::step(
        s,
        &actor(),
        &landlord,
        id,
        mine,
        "clos",
        "traité",
        "haie taillée",
        None,
        today,
    )
    .unwrap();
    let rows = s
        .reports(&ReportFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!((rows[0].open, rows[0].closed), (1, 1));
    // Committees and the seed's indicator: a committee held and a report closed this year.
    let e = forms::add_committee(s, &actor(), r.site_id, "11/06/2026", "", today).unwrap_err();
    assert!(e.to_string().contains("à venir"), "{e}");
    forms::add_committee(s, &actor(), r.site_id, "", "premier comité", today).unwrap();
    let e = forms::add_committee(s, &actor(), r.site_id, "10/06/2026", "", today).unwrap_err();
    assert!(e.to_string().contains("déjà enregistré"), "{e}");
    let (real, all) = forms::sites_where_real(s, 2026).unwrap();
    assert_eq!((real, all), (vec!["Europe".to_string()], 1));
    let report = logis_app::proximity::gusp_report_for(
        s,
        Some(r.site_id),
        today - chrono::Days::new(30),
        today,
        today,
    )
    .unwrap();
    assert!(
        report.notes.iter().any(|n| n.contains("1 sur 1 (Europe)")),
        "{:?}",
        report.notes
    );
    // A place reported three times (its key ignores case, accents and spaces) is in the notes.
    for place in ["place de l'Europe ", "PLACE DE L'EUROPE"] {
        let f = ReportForm {
            address: place.into(),
            ..form("déchets", "", "")
        };
        forms::new_report(s, &actor(), concierge, &f, &[], today)
            .unwrap()
            .unwrap();
    }
    let report =
        logis_app::proximity::gusp_report_for(s, None, today - chrono::Days::new(30), today, today)
            .unwrap();
    assert!(
        report
            .notes
            .iter()
            .any(|n| n == "Europe : « PLACE DE L'EUROPE » signalé 3 fois."),
        "{:?}",
        report.notes
    );
    // Conciergeries: sites covered, yearly shares (again: unchanged).
    forms::cover_site(s, &actor(), concierge, r.site_id).unwrap();
    forms::set_cost_share(s, &actor(), concierge, "2026", Some(cud), "12 000").unwrap();
    forms::set_cost_share(s, &actor(), concierge, "2026", Some(cud), "12 000").unwrap();
    assert!(forms::set_cost_share(s, &actor(), concierge, "2026", Some(cud), "-5").is_err());
    assert!(
        forms::cover_site(s, &actor(), cud, r.site_id).is_err(),
        "not a conciergerie"
    );
    let c = s.conciergeries().unwrap();
    assert_eq!(c[0].sites, [(r.site_id, "Europe".to_string())]);
    assert_eq!(c[0].shares, [(2026, cud, "CUD".to_string(), 1_200_000)]);
}

conformance!(
    reports_are_routed_by_the_sites_competence_table,
    the_mobility_offer_its_demand_and_placements,
    a_report_from_its_form_to_its_closure,
);
