//! The settlement observatory's occupancy side (issue 21): an occupancy survey imported (bad
//! rows named, nothing written; a landlord's survey replaced whole), its indicators per quartier
//! against the EPCI (the landlord's own exact, everyone else's with small counts hidden), the
//! sensitive quartiers, those whose difficulties grow, the SNE demand and the local charters.

use super::*;
use logis_domain::settlement::charter::CharterForm;

/// A survey: `poor` households of the QPV in Dunkerque (low resources, single parents, no
/// work), `settled` others there, and 30 others spread over Dunkerque and Grande-Synthe, with 3 of Partenord's.
fn survey(poor: usize, settled: usize) -> String {
    let mut s = String::from(
        "bailleur;commune;qpv;quartier;personnes;enfants;composition;age_titulaire;ressources_pct_plafond;aide_logement;emploi;emmenage_recent\n",
    );
    for i in 0..poor {
        s.push_str(&format!(
            "Vilogia;59183;QN05904M;;4;3;monoparentale;{};15;oui;non;{}\n",
            30 + i,
            if i % 2 == 0 { "oui" } else { "non" }
        ));
    }
    for i in 0..settled {
        s.push_str(&format!(
            "Vilogia;59183;QN05904M;;2;0;couple;{};85;non;oui;non\n",
            40 + i
        ));
    }
    for i in 0..30 {
        let commune = if i % 2 == 0 { "59183" } else { "59271" };
        s.push_str(&format!(
            "Vilogia;{commune};non;;2;0;couple;{};85;non;oui;non\n",
            40 + i
        ));
    }
    for _ in 0..3 {
        s.push_str("Partenord Habitat;59271;non;Centre;1;0;personne_seule;70;50;oui;non;oui\n");
    }
    s
}

fn occupancy_indicators_sensitive_quartiers_demand_and_charters(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let store = db.store.as_ref();
    let src = |t: &str| logis_io::open_bytes(t.as_bytes().to_vec()).unwrap();
    let import = |t: &str, year: i32| {
        logis_app::settlement::occupancy::import_occupancy(
            store,
            &admin(),
            &actor(),
            src(t),
            year,
            true,
        )
        .unwrap()
    };
    // Bad rows: each named with its column, nothing written.
    let bad = survey(10, 0)
        .replacen("monoparentale", "tribu", 1)
        .replacen(";15;oui;non;", ";15;peut-être;non;", 1)
        .replacen("Partenord Habitat;59271", "Bailleur Inconnu;59271", 1);
    let r = import(&bad, 2023);
    let cols: Vec<(u64, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(
        cols,
        vec![(2, "composition"), (2, "aide_logement"), (42, "bailleur")],
        "{:?}",
        r.problems
    );
    assert!(store.occupancy_surveys().unwrap().is_empty());
    assert!(
        logis_app::settlement::occupancy::import_occupancy(
            store,
            &admin(),
            &actor(),
            src(&survey(1, 0)),
            2999,
            true
        )
        .is_err(),
        "a survey of the future"
    );
    // Two surveys: the quartier's difficulties grow.
    let r = import(&survey(6, 6), 2023);
    assert_eq!((r.households, r.landlords, r.committed), (45, 2, true));
    let r = import(&survey(12, 0), 2025);
    assert_eq!(r.households, 45);
    // Imported again: replaced, not added.
    assert_eq!(import(&survey(12, 0), 2025).households, 45);
    let o = logis_app::settlement::occupancy::occupancy(store, None, None, false, true)
        .unwrap()
        .unwrap();
    assert_eq!((o.survey, o.previous), (2025, Some(2023)));
    let rows: Vec<Vec<String>> = o
        .report
        .long_rows
        .iter()
        .map(|r| r.iter().map(|c| c.plain()).collect())
        .collect();
    let find = |scale: &str, code: &str, ind: &str| {
        rows.iter()
            .find(|r| r[1] == "ensemble" && r[2] == scale && r[3] == code && r[7] == ind)
            .unwrap_or_else(|| panic!("{scale} {code} {ind}: {rows:?}"))
            .clone()
    };
    let epci = find("epci", "245900428", "sous_20_pct");
    assert_eq!((epci[6].as_str(), epci[8].as_str()), ("45", "26,7"));
    let qpv = find("quartier", "59183/QN05904M", "sous_20_pct");
    assert_eq!(
        (qpv[6].as_str(), qpv[8].as_str(), qpv[9].as_str()),
        ("12", "secret", ""),
        "12 of 12: the rest under 5 would reveal it"
    );
    // Partenord's 3 households: hidden for everyone else…
    let centre = find("quartier", "59271/Centre", "aide_logement");
    assert_eq!((centre[6].as_str(), centre[8].as_str()), ("< 5", "secret"));
    // …exact for Partenord itself.
    let partenord = store
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Partenord Habitat")
        .unwrap()
        .id;
    let own =
        logis_app::settlement::occupancy::occupancy(store, None, Some(partenord), false, true)
            .unwrap()
            .unwrap();
    let line = own
        .report
        .long_rows
        .iter()
        .map(|r| r.iter().map(|c| c.plain()).collect::<Vec<_>>())
        .find(|r| r[2] == "quartier" && r[7] == "aide_logement" && r[1] == "ensemble")
        .unwrap();
    assert_eq!((line[6].as_str(), line[8].as_str()), ("3", "100,0"));
    assert_eq!(
        store.survey_households(2025, partenord).unwrap().len(),
        3,
        "its own rows"
    );
    // The QPV is sensitive (by the default rule), and its difficulties grew since 2023.
    assert_eq!(o.sensitive.len(), 1, "{:?}", o.sensitive);
    assert!(o.sensitive[0].label.starts_with("QN05904M"));
    assert!(o.sensitive[0].tripped.len() >= 3);
    assert_eq!(o.worsening.len(), 1, "{:?}", o.worsening);
    // A stricter rule flags nothing.
    logis_app::settlement::occupancy::set_rule(store, &admin(), &actor(), "9", "9").unwrap();
    assert!(
        logis_app::settlement::occupancy::occupancy(store, None, None, false, true)
            .unwrap()
            .unwrap()
            .sensitive
            .is_empty()
    );
    assert!(
        logis_app::settlement::occupancy::set_rule(store, &admin(), &actor(), "0,2", "3").is_err()
    );
    // SNE demand: pressure per commune; a duplicate named.
    let demand = "commune;annee;demandes;demandes_mutation;attributions;delai_depasse\n59183;2025;4200;1500;600;310\n59271;2025;1800;500;300;90\n";
    let dup = format!("{demand}59183;2025;1;0;1;0\n");
    let r =
        logis_app::settlement::occupancy::import_demand(store, &admin(), &actor(), src(&dup), true)
            .unwrap();
    assert_eq!(r.err().unwrap()[0].row, 4);
    let r = logis_app::settlement::occupancy::import_demand(
        store,
        &admin(),
        &actor(),
        src(demand),
        true,
    )
    .unwrap();
    assert_eq!(r, Ok(2));
    let d = logis_app::settlement::occupancy::demand_report(store).unwrap();
    assert_eq!(d.long_rows[0][6].plain(), "7,0");
    // Charters: a signed one counted in its year; a signed one without date refused.
    let mut f = CharterForm {
        commune: "59183",
        quartier: "QN05904M",
        title: "Charte de peuplement",
        status: "signee",
        ..Default::default()
    };
    let r = logis_app::settlement::occupancy::save_charter(store, &admin(), &actor(), None, &f)
        .unwrap();
    assert_eq!(r.err().unwrap()[0].0, "signature");
    f.signed = "12/06/2025";
    f.indicators = vec!["sous_20_pct", "monoparentales"];
    let id = logis_app::settlement::occupancy::save_charter(store, &admin(), &actor(), None, &f)
        .unwrap()
        .unwrap();
    let (list, per_year) = logis_app::settlement::occupancy::charters(store).unwrap();
    assert_eq!((list.len(), per_year), (1, vec![(2025, 1)]));
    let history = logis_app::settlement::occupancy::charter_history(store, &list[0]).unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[1].2.len(), 2);
    f.status = "suivie";
    assert!(
        logis_app::settlement::occupancy::save_charter(store, &admin(), &actor(), Some(id), &f)
            .unwrap()
            .is_ok()
    );
    assert!(
        logis_app::settlement::occupancy::save_charter(
            store,
            &admin(),
            &actor(),
            Some(id + 99),
            &f
        )
        .is_err()
    );
}

conformance!(occupancy_indicators_sensitive_quartiers_demand_and_charters);
