//! Migrations: each adapter embeds its own ordered SQL files; both trees must describe the same
//! schema (the schema-parity test of the conformance crate checks it on live databases).

/// One migration step.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The names of the migrations, in order, for the parity test.
pub fn names(m: &[Migration]) -> Vec<(i64, &'static str)> {
    m.iter().map(|m| (m.version, m.name)).collect()
}

/// A schema object beside the columns, as both adapters describe their live schema for the
/// parity test: keys, unique constraints, indexes and triggers, in one form for both dialects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SchemaObject {
    PrimaryKey {
        table: String,
        columns: Vec<String>,
    },
    /// A UNIQUE constraint (SQLite names its index itself, PostgreSQL after the columns: the
    /// names are not compared).
    Unique {
        table: String,
        columns: Vec<String>,
    },
    /// An index made by `CREATE INDEX`.
    Index {
        table: String,
        name: String,
        columns: Vec<String>,
        unique: bool,
    },
    /// What fires before or after which change of a table (names differ: PostgreSQL fires one
    /// trigger on UPDATE OR DELETE where SQLite needs two).
    Trigger {
        table: String,
        timing: String,
        event: String,
    },
}

/// Rows of (table, index, kind, column) in column order, gathered into objects: kind is "pk",
/// "u" (a UNIQUE constraint) or "c" / "c unique" (an index made by `CREATE INDEX`).
pub fn indexes_from_rows(rows: Vec<(String, String, String, String)>) -> Vec<SchemaObject> {
    let mut out: Vec<SchemaObject> = Vec::new();
    let mut current: Option<(String, String, String, Vec<String>)> = None;
    let flush = |c: Option<(String, String, String, Vec<String>)>, out: &mut Vec<SchemaObject>| {
        if let Some((table, name, kind, columns)) = c {
            out.push(match kind.as_str() {
                "pk" => SchemaObject::PrimaryKey { table, columns },
                "u" => SchemaObject::Unique { table, columns },
                other => SchemaObject::Index {
                    table,
                    name,
                    columns,
                    unique: other == "c unique",
                },
            });
        }
    };
    for (table, name, kind, column) in rows {
        match &mut current {
            Some((t, n, _, cols)) if *t == table && *n == name => cols.push(column),
            _ => {
                flush(current.take(), &mut out);
                current = Some((table, name, kind, vec![column]));
            }
        }
    }
    flush(current, &mut out);
    out.sort();
    out
}
