//! The landlords' strategic plans (issue 22, first part): a plan imported as a version (bad rows
//! named, nothing written; a version imported again replaced, the previous kept), a landlord's
//! editor refused another landlord's plan.

use super::*;
use logis_app::plans::{PspOptions, import_psp};
use logis_domain::Role;

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

conformance!(a_plan_imported_as_versions, a_joint_action_plan);

/// The joint action plan: an action proposed from a finding (its residence, years and origin
/// filled in), every bad field named with nothing written, a member's editor proposing and a
/// stranger's refused, the committee's decisions (the EPCI only; a closed action's status kept),
/// the progress from a linked operation's stages, the committee's workbook one sheet per theme;
/// and the versions compared, named one by one only for who reads the landlord's residences.
fn a_joint_action_plan(kind: Kind) {
    use logis_app::plans::actions::{
        ActionFields, action_counts, actions_for, committee_sheets, proposal, record_decision,
        save_action,
    };
    let db = TestDb::with_landlords(kind);
    let store = db.store.as_ref();
    let src = |t: &str| logis_io::open_bytes(t.as_bytes().to_vec()).unwrap();
    let admin = principal(Role::Admin, None);
    let import = |landlord: &str, version: i32, text: &str| {
        let r = import_psp(
            store,
            &admin,
            &actor(),
            src(text),
            &PspOptions {
                landlord: landlord.into(),
                version,
                commit: true,
                source: "psp.csv".into(),
            },
        )
        .unwrap();
        assert!(r.committed, "{:?}", r.problems);
    };
    import("Vilogia", 2024, PSP);
    let v2026 = PSP
        .replace("rehabiliter;2027;2029", "rehabiliter;2026;2027")
        .replace(
            "Carré de la Vieille;Dunkerque;;45",
            "Carré de la Vieille;Dunkerque;;50",
        );
    import("Vilogia", 2026, &v2026);
    let r = db.import(
        "reference;bailleur;commune;libelle;nature;produit;logements;annee;stade;date_stade\n\
             OP-GL;Partenord Habitat;Dunkerque;Glacis;rehabilitation;;40;2027;travaux;01/03/2027\n\
             OP-GL;Partenord Habitat;Dunkerque;Glacis;rehabilitation;;60;2028;programme;\n",
    );
    assert!(r.committed, "{}", r.render_fr());
    let orgs = store.organisations().unwrap();
    let id = |n: &str| orgs.iter().find(|o| o.name == n).unwrap().id;
    let (vilogia, partenord, foh) = (
        id("Vilogia"),
        id("Partenord Habitat"),
        id("Flandre Opale Habitat"),
    );
    logis_app::plans::create_partnership(
        store,
        &admin,
        &actor(),
        "Charte",
        "245900428",
        &["Vilogia".into(), "Partenord Habitat".into()],
    )
    .unwrap();

    // Versions: counted for everyone, named for who reads Vilogia's residences.
    let reader = principal(Role::LandlordReader, Some(partenord));
    let cmp = logis_app::plans::compare_versions(store, &reader).unwrap();
    let c = cmp.iter().find(|c| c.landlord == "Vilogia").unwrap();
    assert_eq!(
        (c.compared, c.added, c.removed, c.changed),
        (Some((2024, 2026)), 0, 0, 2)
    );
    assert!(c.changes.is_empty());
    logis_app::plans::share_plan(store, &admin, &actor(), "Vilogia", "Charte", true).unwrap();
    let cmp = logis_app::plans::compare_versions(store, &reader).unwrap();
    let c = cmp.iter().find(|c| c.landlord == "Vilogia").unwrap();
    assert!(
        c.changes
            .iter()
            .any(|x| x.0 == "Les Glacis" && x.2 == "années 2027–2029 → 2026–2027"),
        "{:?}",
        c.changes
    );

    // A proposal from a gap: Île Jeanty, G, demolished only by 2028.
    let f = proposal(
        store,
        &admin,
        "lacune",
        "Vilogia",
        "Île Jeanty",
        "Dunkerque",
    )
    .unwrap();
    assert_eq!(
        (
            f.partnership.as_str(),
            f.residences.as_str(),
            f.last_year.as_str()
        ),
        ("Charte", "Île Jeanty, Dunkerque", "2024")
    );
    assert!(f.origin.starts_with("lacune : Île Jeanty"), "{}", f.origin);
    // Bad fields: each named, nothing written.
    let bad = ActionFields {
        title: "Relogements".into(),
        kind: "peinture".into(),
        partnership: "Charte".into(),
        lead: "Flandre Opale Habitat".into(),
        landlords: vec!["Vilogia".into()],
        residences: "Résidence inconnue, Dunkerque".into(),
        operations: "OP-XX".into(),
        first_year: "2030".into(),
        last_year: "2027".into(),
        ..Default::default()
    };
    let errors = save_action(store, &admin, &actor(), None, &bad)
        .unwrap()
        .unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.0).collect();
    assert_eq!(
        fields,
        ["type", "annee_fin", "pilote", "residences", "operations"],
        "{errors:?}"
    );
    assert!(store.actions().unwrap().is_empty(), "nothing written");
    // A stranger's editor (FOH is no member) is refused; Partenord's editor proposes.
    let stranger = principal(Role::LandlordEditor, Some(foh));
    assert!(save_action(store, &stranger, &actor(), None, &f).is_err());
    let editor = principal(Role::LandlordEditor, Some(partenord));
    let good = ActionFields {
        title: "Réhabilitations coordonnées des Glacis".into(),
        kind: "rehabilitation_coordonnee".into(),
        partnership: "Charte".into(),
        lead: "Partenord Habitat".into(),
        landlords: vec!["Vilogia".into()],
        communes: "Dunkerque".into(),
        residences: "Les Glacis".into(),
        operations: "OP-GL".into(),
        first_year: "2026".into(),
        last_year: "2028".into(),
        ..Default::default()
    };
    let a = save_action(store, &editor, &actor(), None, &good)
        .unwrap()
        .unwrap();
    let b = save_action(store, &admin, &actor(), None, &f)
        .unwrap()
        .unwrap();
    // Decisions: the EPCI only; a closed action keeps its status.
    assert!(record_decision(store, &editor, &actor(), a, "01/10/2026", "ok", "validee").is_err());
    record_decision(
        store,
        &admin,
        &actor(),
        a,
        "01/10/2026",
        "Validée",
        "validee",
    )
    .unwrap()
    .unwrap();
    record_decision(
        store,
        &admin,
        &actor(),
        b,
        "01/10/2026",
        "Abandon",
        "abandonnee",
    )
    .unwrap()
    .unwrap();
    let e = record_decision(
        store,
        &admin,
        &actor(),
        b,
        "02/10/2026",
        "Reprise",
        "engagee",
    )
    .unwrap()
    .unwrap_err();
    assert_eq!(e[0].0, "statut");
    // Read by the partnership's members and the EPCI; progress from OP-GL's lines.
    let seen = actions_for(store, &reader).unwrap();
    assert_eq!(seen.len(), 2);
    let glacis = seen.iter().find(|x| x.record.id == a).unwrap();
    assert_eq!(glacis.record.action.draft.status.code(), "validee");
    assert_eq!(
        (glacis.progress.dwellings, glacis.progress.started),
        (100, 40)
    );
    assert_eq!(
        glacis.named(logis_store::plans::actions::LinkKind::Residence),
        "Les Glacis (Dunkerque), Vilogia"
    );
    assert_eq!(glacis.record.decisions.len(), 1);
    assert!(
        actions_for(store, &principal(Role::LandlordReader, Some(foh)))
            .unwrap()
            .is_empty()
    );
    assert_eq!(action_counts(store).unwrap().len(), 2);
    // A change by the lead's editor keeps the status.
    let mut changed = good.clone();
    changed.title = "Glacis : réhabilitations coordonnées".into();
    save_action(store, &editor, &actor(), Some(a), &changed)
        .unwrap()
        .unwrap();
    let after = actions_for(store, &admin).unwrap();
    let glacis = after.iter().find(|x| x.record.id == a).unwrap();
    assert_eq!(
        (
            glacis.record.action.draft.title.as_str(),
            glacis.record.action.draft.status.code()
        ),
        ("Glacis : réhabilitations coordonnées", "validee")
    );
    // The committee's workbook: one sheet per theme with an action.
    let sheets = committee_sheets(store, &admin, None).unwrap();
    let themes: Vec<&str> = sheets.iter().map(|s| s.0).collect();
    assert_eq!(themes, ["Réhabilitation"]);
    let refs: Vec<(&str, &logis_io::report::Report)> =
        sheets.iter().map(|(n, r)| (*n, r)).collect();
    assert!(
        logis_io::report::write_xlsx_book(&refs)
            .unwrap()
            .starts_with(b"PK")
    );
    // On a partnership's territory (the CUD's: both plans are in it); an unknown one refused.
    let within = logis_app::plans::cross_analysis_for(store, &admin, Some("Charte")).unwrap();
    assert!(
        within.scope.contains("territoire du partenariat Charte"),
        "{}",
        within.scope
    );
    assert!(!within.long_rows.is_empty());
    assert!(logis_app::plans::cross_analysis_for(store, &admin, Some("Autre")).is_err());
    let _ = vilogia;
}
