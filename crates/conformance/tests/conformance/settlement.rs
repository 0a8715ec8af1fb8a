//! The settlement observatory (issue 21, first part): the first-quartile threshold, leases
//! imported (a missing threshold named, nothing written; a lease imported again updated, never
//! counted twice).

use super::*;
use logis_domain::{Principal, Role};

fn admin() -> Principal {
    Principal {
        user_id: 0,
        login: "cli".into(),
        role: Role::Admin,
        organisation_id: None,
        commune: None,
    }
}

const LEASES: &str = "bail;date_bail;bailleur;commune;qpv;reservataire;ressources_uc;quartile;relogement_renouvellement;dalo;personnes
B-1;15/03/2024;Vilogia;Dunkerque;non;action_logement;7 900;;non;non;2
B-2;02/05/2024;Vilogia;Dunkerque;QN05904M;etat;;3;non;oui;4
B-3;20/06/2024;Partenord Habitat;Grande-Synthe;non;collectivite;;2;oui;non;1";

fn leases_are_imported_once_with_their_threshold(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let src = |t: &str| logis_io::open_bytes(t.as_bytes().to_vec()).unwrap();
    let import = |t: &str| {
        logis_app::settlement::import_attributions(
            db.store.as_ref(),
            &admin(),
            &actor(),
            src(t),
            true,
        )
        .unwrap()
    };
    // No threshold for 2024 yet: the row whose resources need one is named, nothing written.
    let r = import(LEASES);
    let rows: Vec<(u64, &str, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![(
            2,
            "ressources_uc",
            "seuil du premier quartile non défini pour 2024"
        )]
    );
    assert!(db.store.leases().unwrap().is_empty());
    logis_app::settlement::set_threshold(
        db.store.as_ref(),
        &admin(),
        &actor(),
        2024,
        "10 250",
        None,
    )
    .unwrap();
    assert!(
        logis_app::settlement::set_threshold(
            db.store.as_ref(),
            &admin(),
            &actor(),
            2024,
            "-3",
            None
        )
        .is_err()
    );
    let r = import(LEASES);
    assert_eq!((r.created, r.committed), (3, true), "{:?}", r.problems);
    assert_eq!(
        import(LEASES).unchanged,
        3,
        "imported again: nothing counted twice"
    );
    let r = import(&LEASES.replace("B-3;20/06/2024", "B-3;21/06/2024"));
    assert_eq!(r.updated, 1);
    let leases = db.store.leases().unwrap();
    assert_eq!(leases.len(), 3);
    let b2 = leases.iter().find(|l| l.lease == "B-2").unwrap();
    assert!(b2.in_qpv && b2.dalo && b2.qpv.as_deref() == Some("QN05904M"));
    // Bad cells: each named, nothing written.
    let bad = LEASES
        .replace(";action_logement;", ";mairie;")
        .replace(";;3;", ";;5;");
    let r = import(&bad);
    let cols: Vec<(u64, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(cols, vec![(2, "reservataire"), (3, "quartile")]);
    assert_eq!(db.store.leases().unwrap().len(), 3);
    // The targets' report: personal data, small counts hidden with the shares they would reveal.
    let report = logis_app::settlement::attributions_report(db.store.as_ref()).unwrap();
    // The sums updated by each import are those recomputed from every lease (a threshold set).
    let plain = |r: &logis_io::report::Report| -> Vec<Vec<String>> {
        r.long_rows
            .iter()
            .map(|row| row.iter().map(|c| c.plain()).collect())
            .collect()
    };
    logis_app::settlement::set_threshold(
        db.store.as_ref(),
        &admin(),
        &actor(),
        2024,
        "10 250",
        None,
    )
    .unwrap();
    assert_eq!(
        plain(&report),
        plain(&logis_app::settlement::attributions_report(db.store.as_ref()).unwrap())
    );
    let rows: Vec<Vec<String>> = report
        .long_rows
        .iter()
        .map(|r| r.iter().map(|c| c.plain()).collect())
        .collect();
    let epci = rows
        .iter()
        .find(|r| r[1] == "epci" && r[2] == "245900428")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(
        &epci[..7],
        [
            "2024",
            "epci",
            "245900428",
            "CU de Dunkerque",
            "< 5",
            "< 5",
            "secret"
        ]
    );
    assert!(
        rows.iter()
            .any(|r| r[1] == "reservataire" && r[2] == "etat")
    );
    assert!(
        !rows
            .iter()
            .flat_map(|r| r.iter().skip(4))
            .any(|c| c == "1" || c == "2" || c == "3"),
        "{rows:?}"
    );
}

conformance!(leases_are_imported_once_with_their_threshold);
