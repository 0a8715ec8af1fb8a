//! The audit trail: every write recorded, the trail immutable.

use super::*;

fn writes_are_audited_and_the_trail_is_immutable(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let who = logis_store::Actor {
        user_id: None,
        name: "agent.test".into(),
        organisation_id: None,
        via: logis_store::Via::Api,
    };
    let mut src = logis_io::open_bytes(sample_csv().into_bytes()).unwrap();
    let r = import_operations(
        db.store.as_ref(),
        &who,
        src.as_mut(),
        &ImportOptions {
            commit: true,
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    assert!(r.committed, "{}", r.render_fr());
    let op = db
        .operation_id(
            db.organisations()
                .unwrap()
                .iter()
                .find(|o| o.name == "Vilogia")
                .unwrap()
                .id,
            "OP-1",
        )
        .unwrap()
        .unwrap();
    let trail = db
        .audit(&logis_store::AuditFilter {
            operation_id: Some(op),
            ..Default::default()
        })
        .unwrap();
    // The operation and its two lines were created by agent.test through the API.
    assert_eq!(trail.len(), 3, "{trail:?}");
    assert!(
        trail
            .iter()
            .all(|e| e.user_name == "agent.test" && e.via == "api" && e.action == "creation")
    );
    let line = trail
        .iter()
        .find(|e| e.entity == "ligne" && e.after.as_deref().is_some_and(|a| a.contains("\"plus\"")))
        .unwrap();
    let after: serde_json::Value = serde_json::from_str(line.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["logements"], 24);
    assert_eq!(after["cout_centimes"], 312000050);
    // A second import changing one line records its before and after values; unchanged lines
    // record nothing.
    let changed = sample_csv().replace(";PLUS;;24;2026;", ";PLUS;;30;2026;");
    let mut src = logis_io::open_bytes(changed.into_bytes()).unwrap();
    import_operations(
        db.store.as_ref(),
        &who,
        src.as_mut(),
        &ImportOptions {
            commit: true,
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    let trail = db
        .audit(&logis_store::AuditFilter {
            operation_id: Some(op),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(trail.len(), 4);
    let newest = &trail[0];
    assert_eq!(newest.action, "modification");
    let before: serde_json::Value =
        serde_json::from_str(newest.before.as_deref().unwrap()).unwrap();
    let after: serde_json::Value = serde_json::from_str(newest.after.as_deref().unwrap()).unwrap();
    assert_eq!(
        (before["logements"].as_i64(), after["logements"].as_i64()),
        (Some(24), Some(30))
    );
    // Financing plans record the plan before and after.
    db.set_financing_plan(
        &who,
        op,
        &[FundingItem {
            kind: FundingKind::OwnFunds,
            source_id: None,
            label: "FP".into(),
            amount_cents: 100,
        }],
    )
    .unwrap();
    let plan = db
        .audit(&logis_store::AuditFilter {
            entity: Some("plan_financement".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(plan.len(), 1);
    assert!(
        plan[0].before.is_none() && plan[0].after.as_deref().unwrap_or("").contains("own_funds")
    );
    // The trail cannot be changed, even by SQL on the same database.
    let sql_update = "UPDATE audit_log SET user_name = 'x'";
    let sql_delete = "DELETE FROM audit_log";
    match kind {
        Kind::Sqlite => {
            let c = rusqlite::Connection::open(db.url.trim_start_matches("sqlite://")).unwrap();
            assert!(c.execute(sql_update, []).is_err());
            assert!(c.execute(sql_delete, []).is_err());
        }
        Kind::Postgres => {
            let mut c = ::postgres::Client::connect(&db.url, ::postgres::NoTls).unwrap();
            assert!(c.execute(sql_update, &[]).is_err());
            assert!(c.execute(sql_delete, &[]).is_err());
            assert!(c.batch_execute("TRUNCATE audit_log").is_err());
        }
    }
    assert!(db.audit(&Default::default()).unwrap().len() >= 5);
}

conformance!(
    writes_are_audited_and_the_trail_is_immutable,
    an_import_records_its_creations_in_bulk,
);

/// An import records its creations in bulk: no audit row per operation or line in the log, yet
/// the trail of an operation (or of one line) gives each creation back — who, when, and the
/// values it was created with, even after a later import changed them.
fn an_import_records_its_creations_in_bulk(kind: Kind) {
    let db = TestDb::with_landlords(kind);
    let import = |csv: String| {
        let mut src = logis_io::open_bytes(csv.into_bytes()).unwrap();
        let r = import_operations(
            db.store.as_ref(),
            &actor(),
            src.as_mut(),
            &ImportOptions {
                commit: true,
                ..Default::default()
            },
            &mut |_| {},
        )
        .unwrap();
        assert!(r.committed, "{}", r.render_fr());
    };
    import(sample_csv());
    let all = db.audit(&Default::default()).unwrap();
    assert!(
        !all.iter()
            .any(|e| (e.entity == "ligne" || e.entity == "operation") && e.action == "creation"),
        "no row per creation: {all:?}"
    );
    let started = all
        .iter()
        .find(|e| e.entity == "import" && e.action == "debut_import")
        .expect("the import's record");
    let stats = all
        .iter()
        .find(|e| e.entity == "import" && e.action == "import")
        .unwrap();
    assert_eq!(stats.entity_id, started.id.to_string());
    let vilogia = db
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Vilogia")
        .unwrap()
        .id;
    let op = db.operation_id(vilogia, "OP-1").unwrap().unwrap();
    import(sample_csv().replace(";PLUS;;24;2026;", ";PLUS;;30;2026;"));
    let trail = db
        .audit(&logis_store::AuditFilter {
            operation_id: Some(op),
            ..Default::default()
        })
        .unwrap();
    let created: Vec<_> = trail.iter().filter(|e| e.action == "creation").collect();
    assert_eq!(created.len(), 3, "{trail:?}");
    assert!(
        created
            .iter()
            .all(|e| e.id == started.id && e.at == started.at)
    );
    let line = created
        .iter()
        .find(|e| e.after.as_deref().is_some_and(|a| a.contains("\"plus\"")))
        .unwrap();
    let after: serde_json::Value = serde_json::from_str(line.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["logements"], 24, "as created, not as changed since");
    assert_eq!(after["annee"], 2026);
    // One line's trail: its creation and its change.
    let one = db
        .audit(&logis_store::AuditFilter {
            entity: Some("ligne".into()),
            entity_id: Some(line.entity_id.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        one.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["modification", "creation"]
    );
    // A limit keeps the newest.
    let newest = db
        .audit(&logis_store::AuditFilter {
            operation_id: Some(op),
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].action, "modification");
}
