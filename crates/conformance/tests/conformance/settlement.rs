//! The settlement observatory (issue 21, first part): the first-quartile threshold, leases
//! imported (a missing threshold named, nothing written; a lease imported again updated, never
//! counted twice).

use super::*;

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

/// A lease whose commune and QPV come from its dwelling in the stock; an unknown dwelling or a
/// QPV the stock does not know named.
fn a_lease_placed_by_its_dwelling(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let store = db.store.as_ref();
    let src = |t: &str| logis_io::open_bytes(t.as_bytes().to_vec()).unwrap();
    let rpls = "IDENT_REP;DEPCOM;QPV_CODE;NBPIECE;SURFHAB;CONSTRUCT;LOCAT;FINAN_CODE;MODE;BAIL;REMLOCDATE;LOYERPRINC;DPEENERGIE;DPESERRE;SIRET;RS
0000000001;59271;QN05905M;3;60;1970;1971;52;1;03/2024;;380;F;E;47850160700012;Partenord Habitat
0000000002;59183;;2;45;2010;2011;13;1;05/2024;;300;C;C;30048543900046;Vilogia";
    let r = logis_app::stock::import_rpls(
        store,
        &admin(),
        &actor(),
        src(rpls),
        &logis_app::stock::RplsOptions {
            vintage: 2025,
            commit: true,
            keep_valid: false,
            source: "rpls.csv".into(),
        },
        &mut |_, _, _| {},
        &mut |_| {},
    )
    .unwrap();
    assert!(r.committed, "{}", r.render_fr());
    let import = |t: &str| {
        logis_app::settlement::import_attributions(store, &admin(), &actor(), src(t), true).unwrap()
    };
    let head = "bail;date_bail;bailleur;commune;qpv;logement;reservataire;quartile\n";
    let r = import(&format!(
        "{head}B-1;15/03/2025;Vilogia;;;0000000001;etat;1\nB-2;15/03/2025;Vilogia;;;0000000404;etat;1\nB-3;15/03/2025;Vilogia;Dunkerque;QN09999Z;;etat;1\n"
    ));
    let rows: Vec<(u64, &str, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                3,
                "commune",
                "logement « 0000000404 » inconnu du parc importé : commune à renseigner"
            ),
            (
                3,
                "qpv",
                "logement « 0000000404 » inconnu du parc importé : qpv à renseigner"
            ),
            (4, "qpv", "QPV « QN09999Z » inconnu du territoire"),
        ]
    );
    assert!(store.leases().unwrap().is_empty(), "nothing written");
    let r = import(&format!(
        "{head}B-1;15/03/2025;Vilogia;;;0000000001;etat;1\nB-2;15/03/2025;Vilogia;;non;0000000002;etat;1\n"
    ));
    assert_eq!(r.created, 2, "{:?}", r.problems);
    let leases = store.leases().unwrap();
    let b1 = leases.iter().find(|l| l.lease == "B-1").unwrap();
    assert_eq!(
        (b1.commune.as_str(), b1.in_qpv, b1.qpv.as_deref()),
        ("59271", true, Some("QN05905M"))
    );
    let b2 = leases.iter().find(|l| l.lease == "B-2").unwrap();
    assert_eq!((b2.commune.as_str(), b2.in_qpv), ("59183", false));
}

conformance!(
    leases_are_imported_once_with_their_threshold,
    a_lease_placed_by_its_dwelling
);
