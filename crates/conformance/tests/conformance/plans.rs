//! The landlords' strategic plans (issue 22, first part): a plan imported as a version (bad rows
//! named, nothing written; a version imported again replaced, the previous kept), a landlord's
//! editor refused another landlord's plan.

use super::*;
use logis_app::plans::{PspOptions, import_psp};
use logis_domain::{Principal, Role};

fn principal(role: Role, organisation_id: Option<i64>) -> Principal {
    Principal {
        user_id: 0,
        login: "cli".into(),
        role,
        organisation_id,
        commune: None,
    }
}

const PSP: &str = "residence;commune;quartier;logements;annee_construction;dpe;attractivite;etat_technique;strategie;annee_debut;annee_fin;cout_estime;classe_visee;rpls
Les Glacis;Dunkerque;Glacis;120;1962;F;2;2;rehabiliter;2027;2029;4 800 000;C;0000000001|0000000002
Île Jeanty;Dunkerque;Jeanty;80;1958;G;1;1;demolir;2026;2028;;;
Carré de la Vieille;Dunkerque;;45;1995;D;3;3;maintenir;;;;;";

fn a_plan_imported_as_versions(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let store = db.store.as_ref();
    let src = |t: &str| logis_io::open_bytes(t.as_bytes().to_vec()).unwrap();
    let opts = |version: i32| PspOptions {
        landlord: "Vilogia".into(),
        version,
        commit: true,
        source: "psp.csv".into(),
    };
    let admin = principal(Role::Admin, None);
    let bad = format!("{PSP}\nLes Glacis;Dunkerque;Glacis;10;1962;F;5;2;raser;1950;2029;;;");
    let r = import_psp(store, &admin, &actor(), src(&bad), &opts(2024)).unwrap();
    let cols: Vec<(u64, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(
        cols,
        vec![(5, "attractivite"), (5, "strategie"), (5, "annee_debut")],
        "{:?}",
        r.problems
    );
    let twice = format!("{PSP}\nLes Glacis;Dunkerque;Glacis;10;1962;F;2;2;maintenir;;;;;");
    let r = import_psp(store, &admin, &actor(), src(&twice), &opts(2024)).unwrap();
    assert_eq!(
        r.problems[0].message,
        "la résidence « Les Glacis » est déjà à la ligne 2"
    );
    assert!(store.plan_versions().unwrap().is_empty(), "nothing written");
    let r = import_psp(store, &admin, &actor(), src(PSP), &opts(2024)).unwrap();
    assert_eq!(
        (r.residences, r.dwellings, r.replaced, r.committed),
        (3, 245, false, true)
    );
    let r = import_psp(store, &admin, &actor(), src(PSP), &opts(2024)).unwrap();
    assert!(r.replaced, "the same version imported again");
    let r = import_psp(
        store,
        &admin,
        &actor(),
        src(&PSP.replace(";demolir;2026;2028", ";restructurer;2027;2030")),
        &opts(2026),
    )
    .unwrap();
    assert!(r.committed && !r.replaced);
    let versions = store.plan_versions().unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![2024, 2026]
    );
    let vilogia = versions[0].landlord;
    let old = store.plan(vilogia, 2024).unwrap();
    let jeanty = old.iter().find(|r| r.residence == "Île Jeanty").unwrap();
    assert_eq!(jeanty.strategy, logis_domain::plans::Strategy::Demolish);
    let glacis = old.iter().find(|r| r.residence == "Les Glacis").unwrap();
    assert_eq!(glacis.rpls.len(), 2);
    assert_eq!(logis_domain::plans::exposed_from(glacis), Some(2028));
    // A landlord's editor imports its own plan only.
    let partenord = store
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Partenord Habitat")
        .unwrap()
        .id;
    let editor = principal(Role::LandlordEditor, Some(partenord));
    assert!(import_psp(store, &editor, &actor(), src(PSP), &opts(2025)).is_err());
    let mine = PspOptions {
        landlord: "Partenord Habitat".into(),
        ..opts(2025)
    };
    assert!(
        import_psp(store, &editor, &actor(), src(PSP), &mine)
            .unwrap()
            .committed
    );
    // The register: Vilogia rehabilitates in Dunkerque in 2027 (what its plan says) and in
    // Grande-Synthe in 2030 (what its plan does not).
    assert!(
        db.import(
            "reference;bailleur;commune;libelle;nature;logements;annee
RH-1;Vilogia;Dunkerque;Glacis, réhabilitation;Réhabilitation;120;2027
RH-2;Vilogia;Grande-Synthe;Europe, réhabilitation;Réhabilitation;60;2030"
        )
        .committed
    );
    // The cross-analysis of the current plans (Vilogia 2026, Partenord 2025).
    let report = logis_app::plans::cross_analysis(store).unwrap();
    let rows: Vec<Vec<String>> = report
        .long_rows
        .iter()
        .map(|r| r.iter().map(|c| c.plain()).collect())
        .collect();
    let section = |s: &str| rows.iter().filter(|r| r[0] == s).count();
    assert_eq!(section("chevauchement"), 2, "{rows:?}");
    assert_eq!(section("lacune"), 4, "{rows:?}");
    let overlap = rows.iter().find(|r| r[0] == "chevauchement").unwrap();
    assert!(
        overlap[7].contains("2 bailleurs dans le quartier Jeanty de 2026 à 2030 : 160 logements"),
        "{overlap:?}"
    );
    let coherence: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r[0] == "coherence")
        .map(|r| (r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        coherence,
        vec![
            ("Partenord Habitat", "Les Glacis"),
            ("Vilogia", "Europe, réhabilitation")
        ],
        "{rows:?}"
    );
    assert!(rows.iter().any(|r| r[0] == "lacune"
        && r[2] == "Les Glacis"
        && r[6] == "2028"
        && r[7].contains("travaux finis en 2029")));
    // Partnerships and shares.
    let p = store
        .create_partnership(&actor(), "Protocole", "dep:62", &[vilogia, partenord])
        .unwrap();
    store.set_share(&actor(), vilogia, p, true).unwrap();
    assert_eq!(store.shares().unwrap(), vec![(vilogia, p)]);
    assert_eq!(store.partnerships().unwrap()[0].members.len(), 2);
    // Through the use cases: the administrator creates, a landlord shares what it is a member of.
    let err = |r: logis_app::Result<i64>| r.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        err(logis_app::plans::create_partnership(
            store,
            &editor,
            &actor(),
            "Charte",
            "dep:59",
            &["Vilogia".into(), "Partenord Habitat".into()]
        ))
        .contains("administrateur")
    );
    assert!(
        err(logis_app::plans::create_partnership(
            store,
            &admin,
            &actor(),
            "Charte",
            "dep:99",
            &["Vilogia".into(), "Partenord Habitat".into()]
        ))
        .contains("dep:99")
    );
    logis_app::plans::create_partnership(
        store,
        &admin,
        &actor(),
        "Charte",
        "dep:59",
        &["Vilogia".into(), "Partenord Habitat".into()],
    )
    .unwrap();
    assert!(
        logis_app::plans::share_plan(store, &editor, &actor(), "Vilogia", "Charte", true).is_err(),
        "Partenord does not decide for Vilogia"
    );
    logis_app::plans::share_plan(
        store,
        &editor,
        &actor(),
        "Partenord Habitat",
        "Charte",
        true,
    )
    .unwrap();
    assert_eq!(store.shares().unwrap().len(), 2);
}

conformance!(a_plan_imported_as_versions);
