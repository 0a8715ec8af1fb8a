//! The two migration trees describe the same schema: same tables, same columns in the same
//! order, same nullability, equivalent types — read from live databases.

use logis_conformance::{Kind, TestDb};

/// One type name for both dialects.
fn canonical(t: &str) -> &'static str {
    match t.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "integer",
        "text" => "text",
        "date" => "date",
        "timestamp" | "timestamp with time zone" | "timestamptz" => "timestamp",
        "boolean" => "boolean",
        "blob" | "bytea" => "bytes",
        other => panic!(
            "type {other} sans équivalent déclaré : ajoutez-le ici et dans les deux migrations"
        ),
    }
}

fn schema(kind: Kind, db: &TestDb) -> Vec<(String, String, &'static str, bool)> {
    let raw = match kind {
        Kind::Sqlite => logis_store_sqlite::SqliteStore::open_url(&db.url)
            .unwrap()
            .schema()
            .unwrap(),
        Kind::Postgres => logis_store_postgres::PostgresStore::open_url(&db.url)
            .unwrap()
            .schema()
            .unwrap(),
    };
    raw.into_iter()
        .map(|(t, c, ty, nn)| (t, c, canonical(&ty), nn))
        .collect()
}

#[test]
fn sqlite_and_postgres_schemas_match() {
    let lite = TestDb::fresh(Kind::Sqlite);
    let pg = TestDb::fresh(Kind::Postgres);
    let a = schema(Kind::Sqlite, &lite);
    let b = schema(Kind::Postgres, &pg);
    assert!(a.len() > 50, "{} colonnes", a.len());
    let only_a: Vec<_> = a.iter().filter(|x| !b.contains(x)).collect();
    let only_b: Vec<_> = b.iter().filter(|x| !a.contains(x)).collect();
    assert!(
        only_a.is_empty() && only_b.is_empty(),
        "SQLite seulement : {only_a:?}\nPostgreSQL seulement : {only_b:?}"
    );
    assert_eq!(a, b, "same column order");
}

/// Keys, unique constraints, indexes (by name) and triggers (by table, timing and event) are
/// the same in both trees.
#[test]
fn sqlite_and_postgres_keys_indexes_and_triggers_match() {
    use logis_store::migrate::SchemaObject;
    let lite = TestDb::fresh(Kind::Sqlite);
    let pg = TestDb::fresh(Kind::Postgres);
    let a = logis_store_sqlite::SqliteStore::open_url(&lite.url)
        .unwrap()
        .schema_objects()
        .unwrap();
    let b = logis_store_postgres::PostgresStore::open_url(&pg.url)
        .unwrap()
        .schema_objects()
        .unwrap();
    let count = |f: fn(&SchemaObject) -> bool| a.iter().filter(|o| f(o)).count();
    assert!(count(|o| matches!(o, SchemaObject::PrimaryKey { .. })) > 20);
    assert!(count(|o| matches!(o, SchemaObject::Unique { .. })) > 8);
    assert!(count(|o| matches!(o, SchemaObject::Index { .. })) >= 15);
    assert_eq!(count(|o| matches!(o, SchemaObject::Trigger { .. })), 4);
    let only_a: Vec<_> = a.iter().filter(|x| !b.contains(x)).collect();
    let only_b: Vec<_> = b.iter().filter(|x| !a.contains(x)).collect();
    assert!(
        only_a.is_empty() && only_b.is_empty(),
        "SQLite seulement : {only_a:?}\nPostgreSQL seulement : {only_b:?}"
    );
}

#[test]
fn migration_lists_match() {
    let names = |m: &[logis_store::migrate::Migration]| logis_store::migrate::names(m);
    assert_eq!(
        names(logis_store_sqlite::MIGRATIONS),
        names(logis_store_postgres::MIGRATIONS)
    );
}
