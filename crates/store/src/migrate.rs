//! Migrations: each adapter embeds its own SQL files (types differ), in `migrations/` under the
//! same names; the list of them and the runner are written once, here ([`migrations!`],
//! [`run`]). Both trees must describe the same schema: the schema-parity test of the
//! conformance crate checks it on live databases (columns, keys, indexes, triggers).

use crate::{Result, StoreError};

/// Every migration, in order, embedded from the invoking adapter's `migrations/` folder: each
/// adapter writes `pub const MIGRATIONS: &[Migration] = logis_store::migrations!();`. A new
/// capability adds its line here and its file of that name to both trees.
#[macro_export]
macro_rules! migrations {
    () => {
        $crate::migrations!(
            1 "register" "0001_register.sql",
            2 "targets" "0002_targets.sql",
            3 "report_indexes" "0003_report_indexes.sql",
            4 "line_totals" "0004_line_totals.sql",
            5 "accounts" "0005_accounts.sql",
            6 "operation_search" "0006_operation_search.sql",
            7 "register_version" "0007_register_version.sql",
            8 "write_count" "0008_write_count.sql",
            9 "written_commune" "0009_written_commune.sql",
            10 "land" "0010_land.sql",
            11 "tenders" "0011_tenders.sql",
            12 "proximity" "0012_proximity.sql",
            13 "proximity_dates" "0013_proximity_dates.sql",
            14 "relocation" "0014_relocation.sql",
            15 "relocation_temporary" "0015_relocation_temporary.sql",
            16 "import_audit" "0016_import_audit.sql",
            17 "stock" "0017_stock.sql",
            18 "energy_labels" "0018_energy_labels.sql",
            19 "settlement" "0019_settlement.sql",
            20 "occupancy" "0020_occupancy.sql",
            21 "plans" "0021_plans.sql",
            22 "actions" "0022_actions.sql",
            23 "siap" "0023_siap.sql",
            24 "oidc" "0024_oidc.sql",
        )
    };
    ($($version:literal $name:literal $file:literal),+ $(,)?) => {
        &[$(
            $crate::migrate::Migration {
                version: $version,
                name: $name,
                sql: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/", $file)),
            }
        ),+]
    };
}

/// The SQL of the runner, the same in both dialects.
pub mod sql {
    pub const APPLIED: &str = "SELECT version FROM schema_migrations";
    pub const RECORD: &str = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";
    /// Operations written before migration 6, without their search key.
    pub const WITHOUT_SEARCH_KEY: &str =
        "SELECT id, reference, label FROM operations WHERE search_key IS NULL";
    pub const SET_SEARCH_KEY: &str = "UPDATE operations SET search_key = $1 WHERE id = $2";
    /// Every text above, for the test of their parameters' order.
    pub const ALL: &[&str] = &[APPLIED, RECORD, WITHOUT_SEARCH_KEY, SET_SEARCH_KEY];
}

/// What the runner needs of an adapter's transaction (in which the whole run happens).
pub trait MigrationTx {
    /// Run a file of statements.
    fn batch(&mut self, sql: &str) -> Result<()>;
    /// The versions already applied.
    fn applied(&mut self) -> Result<Vec<i64>>;
    /// Note `m` as applied.
    fn record(&mut self, m: &Migration) -> Result<()>;
    /// (id, reference, label) of the operations without a search key.
    fn without_search_key(&mut self) -> Result<Vec<(i64, String, Option<String>)>>;
    fn set_search_key(&mut self, id: i64, key: &str) -> Result<()>;
}

/// Apply the migrations not applied yet, in order, then fill the search keys of operations
/// written before migration 6; the caller commits.
pub fn run(tx: &mut dyn MigrationTx, migrations: &[Migration]) -> Result<()> {
    let applied = tx.applied()?;
    for m in migrations.iter().filter(|m| !applied.contains(&m.version)) {
        tx.batch(m.sql).map_err(|e| {
            StoreError::Backend(format!("migration {} ({}) : {e}", m.version, m.name))
        })?;
        tx.record(m)?;
    }
    for (id, reference, label) in tx.without_search_key()? {
        let key = logis_domain::text::operation_search_key(&reference, label.as_deref());
        tx.set_search_key(id, &key)?;
    }
    Ok(())
}

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
