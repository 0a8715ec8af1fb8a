//! Relocation of households (issue 18, first part): households and vacancies imported (every bad
//! row named, nothing written; again: unchanged), the matching's proposals and reasons, the
//! journal of reads that nobody can alter.

use super::*;
use logis_domain::relocation::CostRules;

fn import(
    db: &TestDb,
    households: bool,
    text: &str,
    only: Option<i64>,
) -> logis_store::relocation::RelocationImportOutcome {
    let src = logis_io::open_bytes(text.as_bytes().to_vec()).unwrap();
    if households {
        logis_app::relocation::import_households(db.store.as_ref(), &actor(), src, true, only)
            .unwrap()
    } else {
        logis_app::relocation::import_vacancies(db.store.as_ref(), &actor(), src, true, only)
            .unwrap()
    }
}

fn households_vacancies_and_the_matching(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let s = db.store.as_ref();
    s.add_organisation(
        &actor(),
        &NewOrganisation {
            kind: OrgKind::Ccas,
            name: "CCAS de Dunkerque".into(),
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
        .unwrap()
        .id;
    // Every bad row named with its column; nothing written.
    let bad = "menage;bailleur;projet;commune;personnes;ressources;loyer;charges;aide_logement;pmr;communes_souhaitees;autre_commune;statut;ccas_origine
M-1;Vilogia;Banc Vert;Dunkerque;3;-10;400;80;200;non;Dunkerque|Grande-Synthe;non;;CCAS de Dunkerque
M-2;Bailleur inconnu;Banc Vert;Dunkerque;0;1000;400;80;200;peut-être;Ville-Imaginaire;non;perdu;CCAS de Lille";
    let r = import(&db, true, bad, None);
    assert!(!r.committed);
    let cols: Vec<(u64, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    for expected in [
        (2, "ressources"),
        (3, "bailleur"),
        (3, "personnes"),
        (3, "pmr"),
        (3, "communes_souhaitees"),
        (3, "statut"),
        (3, "ccas_origine"),
    ] {
        assert!(cols.contains(&expected), "{expected:?} in {:?}", r.problems);
    }
    assert!(db.households().unwrap().is_empty());
    // The same household twice in one file.
    let twice = "menage;bailleur;projet;commune;personnes;ressources;loyer
M-1;Vilogia;Banc Vert;Dunkerque;3;1000;400
m-1;Vilogia;Banc Vert;Dunkerque;2;1000;400";
    let r = import(&db, true, twice, None);
    assert_eq!(r.problems.len(), 1);
    assert!(
        r.problems[0].message.contains("déjà à la ligne 2"),
        "{:?}",
        r.problems
    );
    // Good files: imported, then again unchanged, then one field changed.
    let households = "menage;bailleur;projet;commune;personnes;ressources;loyer;charges;aide_logement;pmr;communes_souhaitees;autre_commune;statut;ccas_origine
M-1;Vilogia;Banc Vert;Dunkerque;3;1500;400;80;200;non;Dunkerque|Grande-Synthe;non;;CCAS de Dunkerque
M-2;Vilogia;Banc Vert;Dunkerque;1;900;300;50;150;oui;;non;diagnostic fait;
M-3;Partenord Habitat;Courghain;Grande-Synthe;5;2000;500;90;250;non;Grande-Synthe;oui;relogé définitivement;";
    let r = import(&db, true, households, None);
    assert!(r.committed && r.created == 3, "{:?}", r.problems);
    assert_eq!(import(&db, true, households, None).unchanged, 3);
    let changed = households.replace(
        "M-2;Vilogia;Banc Vert;Dunkerque;1;900",
        "M-2;Vilogia;Banc Vert;Dunkerque;2;900",
    );
    assert_eq!(import(&db, true, &changed, None).updated, 1);
    let (_, m1) = db
        .households()
        .unwrap()
        .into_iter()
        .find(|(_, h)| h.reference == "M-1")
        .unwrap();
    assert_eq!(
        (
            m1.out_of_pocket(),
            m1.wished.len(),
            m1.ccas_origin.is_some()
        ),
        (28_000, 2, true)
    );
    // Vacancies: a landlord's editor declares only its own; rooms 0 refused.
    let vacancies =
        "logement;bailleur;commune;qpv;pieces;surface;loyer;charges;neuf_ou_recent;pmr;financement
L-1;Vilogia;Dunkerque;non;3;68;412;80;oui;non;PLAI
L-2;Partenord Habitat;Grande-Synthe;oui;2;50;350;60;non;oui;PLUS
L-3;Vilogia;Bourbourg;non;0;40;300;50;non;non;PLUS";
    let r = import(&db, false, vacancies, Some(vilogia));
    let cols: Vec<(u64, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(cols, [(3, "bailleur"), (4, "pieces")], "{:?}", r.problems);
    let good: String = vacancies.lines().take(3).collect::<Vec<_>>().join("\n");
    let r = import(&db, false, &good, None);
    assert!(r.committed && r.created == 2, "{:?}", r.problems);
    // The matching: M-1 (3 persons, Dunkerque then Grande-Synthe) gets L-1 (T3, +12 €); M-2 needs
    // an adapted dwelling: L-2 is adapted but in Grande-Synthe, not wished; M-3 is relocated.
    let m = logis_app::relocation::matching(s, None, &CostRules::default()).unwrap();
    assert_eq!((m.households, m.proposals.len(), m.without_any), (2, 1, 1));
    let p = &m.proposals[0];
    assert_eq!(
        (p.household.reference.as_str(), p.vacancy.reference.as_str()),
        ("M-1", "L-1")
    );
    assert_eq!(
        p.reasons,
        "commune souhaitée n° 1, T3 pour 3 personnes, reste à charge +12 €, hors QPV, logement neuf ou récent"
    );
    assert!(
        logis_app::relocation::matching(s, Some("Courghain"), &CostRules::default())
            .unwrap()
            .proposals
            .is_empty()
    );
    // Proposals: the vacancy leaves the pool, comes back when refused; three at most.
    use logis_domain::relocation::{Answer, RefusalReason};
    let day = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let first = s
        .propose(&actor(), p.household_id, p.vacancy_id, day)
        .unwrap();
    let m2 = logis_app::relocation::matching(s, None, &CostRules::default()).unwrap();
    assert!(m2.proposals.is_empty(), "L-1 is proposed, no longer free");
    let e = s
        .propose(&actor(), p.household_id, p.vacancy_id, day)
        .unwrap_err();
    assert!(e.to_string().contains("n'est plus libre"), "{e}");
    s.answer(&actor(), first, Answer::Refused(RefusalReason::Floor), day)
        .unwrap();
    assert!(
        s.answer(&actor(), first, Answer::Accepted, day).is_err(),
        "answered once"
    );
    for _ in 0..2 {
        let again = s
            .propose(&actor(), p.household_id, p.vacancy_id, day)
            .unwrap();
        s.answer(&actor(), again, Answer::Refused(RefusalReason::Cost), day)
            .unwrap();
    }
    let e = s
        .propose(&actor(), p.household_id, p.vacancy_id, day)
        .unwrap_err();
    assert!(e.to_string().contains("trois propositions"), "{e}");
    let made = s.proposals(p.household_id).unwrap();
    assert_eq!(
        made.iter()
            .map(|x| (x.rank, x.answer.as_str(), x.refusal_reason.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, "refusee", "etage"),
            (2, "refusee", "cout"),
            (3, "refusee", "cout")
        ]
    );
    // M-2's relocation elsewhere (outside the pool), temporary; L-2 proposed to M-2 then accepted
    // by recording the relocation there: the vacancy is taken, the household relocated.
    let m2 = db
        .households()
        .unwrap()
        .into_iter()
        .find(|(_, h)| h.reference == "M-2")
        .unwrap()
        .0;
    let l2 = db
        .vacancies()
        .unwrap()
        .into_iter()
        .find(|(_, v, _)| v.reference == "L-2")
        .unwrap()
        .0;
    let offer = s.propose(&actor(), m2, l2, day).unwrap();
    assert!(
        s.relocate(
            &actor(),
            p.household_id,
            Some(l2),
            day,
            true,
            [40_000, 8_000, 20_000]
        )
        .is_err(),
        "proposed to another"
    );
    s.relocate(&actor(), m2, Some(l2), day, false, [35_000, 6_000, 15_000])
        .unwrap();
    assert_eq!(s.proposals(m2).unwrap()[0].answer, "acceptee");
    let _ = offer;
    let (_, after) = db
        .households()
        .unwrap()
        .into_iter()
        .find(|(id, _)| *id == m2)
        .unwrap();
    assert_eq!(
        after.status,
        logis_domain::relocation::HouseholdStatus::Temporary
    );
    assert_eq!(
        db.vacancies()
            .unwrap()
            .into_iter()
            .find(|(id, _, _)| *id == l2)
            .unwrap()
            .2,
        "attribue"
    );
    // Relocated temporarily, then definitively (outside the pool): the temporary dwelling goes
    // back to the pool; a second definitive relocation, or another temporary one, is refused.
    let e = s
        .relocate(&actor(), m2, None, day, false, [1, 1, 1])
        .unwrap_err();
    assert!(e.to_string().contains("n'est plus à reloger"), "{e}");
    let later = day + chrono::Duration::days(90);
    s.relocate(&actor(), m2, None, later, true, [36_000, 6_000, 15_000])
        .unwrap();
    let e = s
        .relocate(&actor(), m2, None, later, true, [1, 1, 1])
        .unwrap_err();
    assert!(e.to_string().contains("n'est plus à reloger"), "{e}");
    let moves = s.relocations(m2).unwrap();
    assert_eq!(
        moves
            .iter()
            .map(|m| (m.definitive, m.vacancy.as_deref(), m.on))
            .collect::<Vec<_>>(),
        [(false, Some("L-2"), day), (true, None, later)]
    );
    assert_eq!(
        db.vacancies()
            .unwrap()
            .into_iter()
            .find(|(id, _, _)| *id == l2)
            .unwrap()
            .2,
        "libre"
    );
    assert_eq!(
        s.household(m2).unwrap().unwrap().status,
        logis_domain::relocation::HouseholdStatus::Definitive
    );
    assert!(s.household(999_999).unwrap().is_none());
    // The indicators read the definitive relocation (outside the pool: no dwelling facts), the
    // proposals and their refusals.
    let facts = s.indicator_facts().unwrap();
    assert_eq!(facts.len(), 3);
    let f2 = facts
        .iter()
        .find(|f| f.moved.is_some())
        .expect("M-2 relocated");
    let moved = f2.moved.as_ref().unwrap();
    assert!(moved.definitive && moved.dwelling.is_none());
    assert_eq!(moved.after, 27_000);
    let f1 = facts.iter().find(|f| f.proposals == 3).expect("M-1");
    assert_eq!(f1.refusals.len(), 3);
    let ind = logis_domain::relocation::indicators::compute(&facts);
    assert_eq!((ind.total.households, ind.total.proposals), (3, 4));
    // Every read journaled; the journal cannot be altered, even in SQL.
    s.record_read(&actor(), p.household_id).unwrap();
    assert_eq!(s.reads(p.household_id).unwrap().len(), 1);
    s.record_reads(&actor(), &[p.household_id, m2], "export")
        .unwrap();
    let journal = s.all_reads(10).unwrap();
    assert_eq!(journal.len(), 3);
    assert_eq!(journal[0].via, "export");
    assert!(journal.iter().any(|r| r.household == "M-1"));
    assert_eq!(s.all_reads(1).unwrap().len(), 1);
    let altered = logis_store::tx::write(s, |tx| {
        tx.execute("DELETE FROM relocation_reads", &[])?;
        Ok(())
    });
    assert!(altered.is_err());
    assert_eq!(s.reads(p.household_id).unwrap().len(), 2);
}

/// `import suivi`: proposals, answers and relocations in the file's order; a bad row — unreadable
/// or refused when recorded — refuses the whole file, nothing written.
fn follow_up_file(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let s = db.store.as_ref();
    let households = "menage;bailleur;projet;commune;personnes;ressources;loyer;charges;aide_logement;autre_commune
S-1;Vilogia;Banc Vert;Dunkerque;2;1200;400;80;150;oui
S-2;Vilogia;Banc Vert;Dunkerque;3;1500;450;90;180;oui";
    assert!(import(&db, true, households, None).committed);
    let vacancies = "logement;bailleur;commune;pieces;loyer;charges
V-1;Vilogia;Dunkerque;2;410;70
V-2;Partenord Habitat;Grande-Synthe;2;420;80";
    assert!(import(&db, false, vacancies, None).committed);
    let follow = |text: &str, only: Option<i64>| {
        let src = logis_io::open_bytes(text.as_bytes().to_vec()).unwrap();
        logis_app::relocation::import_follow_ups(s, &actor(), src, true, only).unwrap()
    };
    let head = "menage;bailleur;evenement;date;logement;bailleur_logement;reponse;motif;nature;loyer;charges;aide_logement";
    // Unreadable rows: each named with its column.
    let bad = format!(
        "{head}\nS-1;Vilogia;visite;01/03/2026;;;;;;;;\nS-1;Vilogia;reponse;01/03/2026;;;refusée;;;;;\nS-1;Vilogia;relogement;32/03/2026;;;;;pour toujours;-1;;"
    );
    let r = follow(&bad, None);
    let cols: Vec<(u64, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    for expected in [
        (2, "evenement"),
        (3, "motif"),
        (4, "date"),
        (4, "nature"),
        (4, "loyer"),
        (4, "charges"),
    ] {
        assert!(cols.contains(&expected), "{expected:?} in {:?}", r.problems);
    }
    // A good file: refused, proposed again, accepted, relocated.
    let good = format!(
        "{head}
S-1;Vilogia;proposition;01/03/2026;V-1;;;;;;;
S-1;Vilogia;reponse;10/03/2026;V-1;;refusée;Loyer ou reste à charge trop élevé;;;;
S-1;Vilogia;proposition;15/03/2026;V-2;Partenord Habitat;;;;;;
S-1;Vilogia;reponse;20/03/2026;;;acceptée;;;;;
S-1;Vilogia;relogement;01/04/2026;V-2;Partenord Habitat;;;définitif;420;80;160"
    );
    let r = follow(&good, None);
    assert!(r.committed && r.created == 5, "{:?}", r.problems);
    let s1 = db
        .households()
        .unwrap()
        .into_iter()
        .find(|(_, h)| h.reference == "S-1")
        .unwrap();
    assert_eq!(
        s1.1.status,
        logis_domain::relocation::HouseholdStatus::Definitive
    );
    let made = s.proposals(s1.0).unwrap();
    assert_eq!(
        made.iter()
            .map(|p| (p.answer.as_str(), p.refusal_reason.as_str()))
            .collect::<Vec<_>>(),
        [("refusee", "cout"), ("acceptee", "")]
    );
    assert_eq!(
        s.relocations(s1.0).unwrap()[0].after,
        [42_000, 8_000, 16_000]
    );
    // A row refused when recorded (V-2 is taken) after a good one: nothing written at all.
    let late = format!(
        "{head}
S-2;Vilogia;proposition;01/05/2026;V-1;;;;;;;
S-2;Vilogia;proposition;02/05/2026;V-2;Partenord Habitat;;;;;;
S-9;Vilogia;proposition;02/05/2026;V-1;;;;;;;"
    );
    let r = follow(&late, None);
    assert!(!r.committed);
    let cols: Vec<(u64, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(cols, [(3, "logement"), (4, "menage")], "{:?}", r.problems);
    let s2 = db
        .households()
        .unwrap()
        .into_iter()
        .find(|(_, h)| h.reference == "S-2")
        .unwrap()
        .0;
    assert!(s.proposals(s2).unwrap().is_empty(), "nothing written");
    // A landlord's editor follows only its own households.
    let partenord = db
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Partenord Habitat")
        .unwrap()
        .id;
    let r = follow(
        &format!("{head}\nS-2;Vilogia;proposition;01/05/2026;V-1;;;;;;;"),
        Some(partenord),
    );
    assert_eq!(r.problems[0].column, "bailleur");
}

conformance!(households_vacancies_and_the_matching, follow_up_file);
