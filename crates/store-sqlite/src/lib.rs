//! SQLite adapter of the logis store (the embedded default).
//!
//! One file, WAL journal, a small pool of connections. Each capability's part of the port is
//! implemented in the file of its name (`register.rs`, `accounts.rs`, `audit.rs`,
//! `reference.rs`, `land.rs`; `tx.rs` runs the storage written once on `logis_store::tx`), as in the PostgreSQL adapter; this file holds the connection pool, the
//! migrations and the helpers they share. Imports (`register/import.rs`) stage lines in a
//! temporary table inside one `BEGIN IMMEDIATE` transaction, check the whole file in SQL, then
//! merge with upserts.

mod accounts;
mod audit;
mod land;
mod oidc;
mod plans;
mod proximity;
mod reference;
mod register;
mod relocation;
mod settlement;
mod siap;
mod stock;
mod tx;

use audit::record;
use chrono::NaiveDate;
use logis_domain::register::targets::Targets;
use logis_domain::text::name_key;
use logis_domain::{
    Commune, CommuneCode, Epci, FormerCommune, FormerKind, Geography, LineDraft, Nature, OrgKind,
    Product, ProjectKind, QuartierKind, RehabFinancing, Role, Siren, Site, Stage, Year,
};
use logis_store::audit::now;
use logis_store::migrate::{self, Migration};
use logis_store::query::{self, AggRow, Dialect, Dim, SqlParam};
use logis_store::{AccountStore, AuditStore, ReferenceStore, RegisterStore};
use logis_store::{
    Actor, ApiToken, AuditEntry, AuditFilter, Change, FundingItem, FundingKind, ImportOutcome,
    ImportSession, ImportStats, LineFilter, LineRecord, NewOrganisation, NewProgramme, NewUser,
    OperationRecord, Organisation, Programme, Project, Quartier, ReferenceData, Result, RowProblem,
    Store, StoreError, Summary, User, decode, dim,
};
use rusqlite::{Connection, OptionalExtension, params};

const DIALECT: Dialect = Dialect {
    placeholder: |n| format!("?{n}"),
    collate: "",
};

fn values(params: Vec<SqlParam>) -> impl Iterator<Item = rusqlite::types::Value> {
    params.into_iter().map(|p| match p {
        SqlParam::Int(i) => rusqlite::types::Value::Integer(i),
        SqlParam::Text(t) => rusqlite::types::Value::Text(t),
    })
}
use std::path::{Path, PathBuf};

pub const MIGRATIONS: &[Migration] = logis_store::migrations!();

fn be(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::database(e)
}

fn unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

struct Manager {
    path: PathBuf,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = rusqlite::Error;
    fn connect(&self) -> std::result::Result<Connection, rusqlite::Error> {
        let c = Connection::open(&self.path)?;
        c.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;
             PRAGMA cache_size = -65536;",
        )?;
        c.set_prepared_statement_cache_capacity(64);
        Ok(c)
    }
    fn is_valid(&self, c: &mut Connection) -> std::result::Result<(), rusqlite::Error> {
        c.execute_batch("")
    }
    fn has_broken(&self, _: &mut Connection) -> bool {
        false
    }
}

/// The SQLite store.
pub struct SqliteStore {
    pool: r2d2::Pool<Manager>,
    path: PathBuf,
    geo: logis_store::GeographyCache,
    cube: Option<logis_store::cube::CubeCache>,
}

impl SqliteStore {
    /// Open (creating if needed) the database named by `sqlite://path` or `sqlite:path`, and migrate it.
    pub fn open_url(url: &str) -> Result<Self> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .filter(|p| !p.is_empty() && !p.starts_with(":memory:"))
            .ok_or_else(|| StoreError::BadUrl(url.to_string()))?;
        Self::open(Path::new(path))
    }

    pub fn open(path: &Path) -> Result<Self> {
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .connection_timeout(std::time::Duration::from_secs(30))
            .build(Manager {
                path: path.to_path_buf(),
            })
            .map_err(|e| {
                StoreError::Backend(format!("ouverture de {} impossible : {e}", path.display()))
            })?;
        let s = SqliteStore {
            pool,
            path: path.to_path_buf(),
            geo: Default::default(),
            cube: logis_store::cube::enabled().then(Default::default),
        };
        s.migrate()?;
        Ok(s)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>> {
        self.pool.get().map_err(be)
    }

    fn migrate(&self) -> Result<()> {
        let mut c = self.conn()?;
        c.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)")
            .map_err(be)?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        logis_store::migrate::run(&mut MigrationTx(&tx), MIGRATIONS)?;
        tx.commit().map_err(be)
    }

    /// Live keys, unique constraints, indexes and triggers, for the parity test.
    pub fn schema_objects(&self) -> Result<Vec<logis_store::migrate::SchemaObject>> {
        let c = self.conn()?;
        let collect = |sql: &str| -> Result<Vec<(String, String, String, String)>> {
            let mut st = c.prepare(sql).map_err(be)?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .map_err(be)?
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(be)
        };
        // Primary keys from the columns (a rowid table's INTEGER PRIMARY KEY has no index),
        // then every index but those of the primary keys.
        let mut rows = collect(
            "SELECT m.name, 'pk', 'pk', p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND p.pk > 0 ORDER BY m.name, p.pk",
        )?;
        rows.extend(collect(
            "SELECT m.name, il.name, CASE WHEN il.origin = 'u' THEN 'u' WHEN il.\"unique\" THEN 'c unique' ELSE 'c' END, ii.name
             FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND il.origin <> 'pk'
             ORDER BY m.name, il.name, ii.seqno",
        )?);
        let mut objects = logis_store::migrate::indexes_from_rows(rows);
        let mut st = c
            .prepare("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            .map_err(be)?;
        let triggers = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(be)?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(be)?;
        for (table, sql) in triggers {
            let words: Vec<String> = sql.split_whitespace().map(str::to_uppercase).collect();
            let at = words
                .iter()
                .position(|w| w == "BEFORE" || w == "AFTER")
                .ok_or_else(|| StoreError::Backend(format!("déclencheur illisible : {sql}")))?;
            objects.push(logis_store::migrate::SchemaObject::Trigger {
                table,
                timing: words[at].clone(),
                event: words.get(at + 1).cloned().unwrap_or_default(),
            });
        }
        objects.sort();
        Ok(objects)
    }

    /// Live schema: (table, column, declared type, not null), for the parity test.
    pub fn schema(&self) -> Result<Vec<(String, String, String, bool)>> {
        let c = self.conn()?;
        let mut st = c
            .prepare(
                "SELECT m.name, p.name, p.type, p.\"notnull\" OR p.pk FROM sqlite_master m JOIN pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
            )
            .map_err(be)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(be)?;
        rows.collect::<std::result::Result<Vec<_>, _>>().map_err(be)
    }
}

/// The migration runner's transaction.
struct MigrationTx<'a>(&'a rusqlite::Transaction<'a>);

impl logis_store::migrate::MigrationTx for MigrationTx<'_> {
    fn batch(&mut self, sql: &str) -> Result<()> {
        self.0.execute_batch(sql).map_err(be)
    }
    fn applied(&mut self) -> Result<Vec<i64>> {
        let mut st = self.0.prepare(migrate::sql::APPLIED).map_err(be)?;
        st.query_map([], |r| r.get(0))
            .map_err(be)?
            .collect::<std::result::Result<_, _>>()
            .map_err(be)
    }
    fn record(&mut self, m: &Migration) -> Result<()> {
        self.0
            .execute(migrate::sql::RECORD, params![m.version, m.name])
            .map(|_| ())
            .map_err(be)
    }
    fn without_search_key(&mut self) -> Result<Vec<(i64, String, Option<String>)>> {
        let mut st = self
            .0
            .prepare(migrate::sql::WITHOUT_SEARCH_KEY)
            .map_err(be)?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(be)?
            .collect::<std::result::Result<_, _>>()
            .map_err(be)
    }
    fn set_search_key(&mut self, id: i64, key: &str) -> Result<()> {
        self.0
            .execute(migrate::sql::SET_SEARCH_KEY, params![key, id])
            .map(|_| ())
            .map_err(be)
    }
}

/// A count read as SQLite's signed integer.
fn u(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    r.get::<_, i64>(i).map(|v| v.max(0) as u64)
}

fn opt_year(v: Option<i64>) -> Result<Option<Year>> {
    v.map(|y| Year::new(y).map_err(|e| StoreError::Backend(e.0)))
        .transpose()
}

fn parse_date(s: Option<String>) -> Result<Option<NaiveDate>> {
    match s {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| StoreError::Backend(format!("date stockée illisible « {s} »"))),
    }
}

fn opt_dim<T>(s: &str, from: fn(&str) -> Option<T>, what: &str) -> Result<Option<T>> {
    if s.is_empty() {
        Ok(None)
    } else {
        decode(from(s), what, s).map(Some)
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
