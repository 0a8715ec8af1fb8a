//! PostgreSQL adapter of the logis store (large deployments).
//!
//! Same behaviour as the SQLite adapter, checked by the conformance suite, and the same files:
//! each capability's part of the port in the file of its name (`register.rs`, `accounts.rs`,
//! `audit.rs`, `reference.rs`, `land.rs`; `tx.rs` runs the storage written once on
//! `logis_store::tx`); this file holds the connection pool, the migrations and the
//! helpers they share. Imports (`register/import.rs`) stream rows into a temporary table with
//! `COPY` inside one transaction, check the whole file in SQL, then merge with upserts. Text
//! ordering uses the "C" collation so both backends sort alike.

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
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row};
use r2d2_postgres::PostgresConnectionManager;
use std::io::Write;

pub const MIGRATIONS: &[Migration] = logis_store::migrations!();

type Manager = PostgresConnectionManager<NoTls>;

type Conn = r2d2::PooledConnection<Manager>;

/// Bytes of COPY data buffered before they are sent.
const COPY_BUFFER: usize = 4 << 20;

fn be(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::database(e)
}

fn pg(e: postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Backend(format!("{} ({})", db.message(), db.code().code())),
        None => be(e),
    }
}

fn is_code(e: &postgres::Error, code: &SqlState) -> bool {
    e.code() == Some(code)
}

/// The PostgreSQL store.
pub struct PostgresStore {
    pool: r2d2::Pool<Manager>,
    geo: logis_store::GeographyCache,
    cube: Option<logis_store::cube::CubeCache>,
}

impl PostgresStore {
    /// Connect to `postgres://…` (or `postgresql://…`) and migrate the database.
    pub fn open_url(url: &str) -> Result<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::BadUrl(url.to_string()));
        }
        let config: postgres::Config = url
            .parse()
            .map_err(|_| StoreError::BadUrl(url.to_string()))?;
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .connection_timeout(std::time::Duration::from_secs(30))
            .build(PostgresConnectionManager::new(config, NoTls))
            .map_err(|e| StoreError::Backend(format!("connexion à PostgreSQL impossible : {e}")))?;
        let s = PostgresStore {
            pool,
            geo: Default::default(),
            cube: logis_store::cube::enabled().then(Default::default),
        };
        s.migrate()?;
        Ok(s)
    }

    fn conn(&self) -> Result<Conn> {
        self.pool
            .get()
            .map_err(|e| StoreError::Backend(format!("connexion à PostgreSQL impossible : {e}")))
    }

    fn migrate(&self) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        // Two servers starting on one database migrate one after the other.
        tx.batch_execute(
            "SELECT pg_advisory_xact_lock(7302030);
             CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());",
        )
        .map_err(pg)?;
        logis_store::migrate::run(&mut MigrationTx(&mut tx), MIGRATIONS)?;
        tx.commit().map_err(pg)
    }

    /// Live keys, unique constraints, indexes and triggers, for the parity test.
    pub fn schema_objects(&self) -> Result<Vec<logis_store::migrate::SchemaObject>> {
        let mut c = self.conn()?;
        let rows = c
            .query(
                "SELECT t.relname::text, i.relname::text,
                    CASE WHEN ix.indisprimary THEN 'pk'
                         WHEN EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid AND k.contype = 'u') THEN 'u'
                         WHEN ix.indisunique THEN 'c unique' ELSE 'c' END,
                    a.attname::text
                 FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
                 JOIN pg_namespace n ON n.oid = t.relnamespace
                 CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS key(attnum, position)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = key.attnum
                 WHERE n.nspname = current_schema() AND t.relkind = 'r'
                 ORDER BY t.relname, i.relname, key.position",
                &[],
            )
            .map_err(pg)?;
        let mut objects = logis_store::migrate::indexes_from_rows(
            rows.iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect(),
        );
        // One row per event (a trigger on UPDATE OR DELETE gives two); TRUNCATE triggers,
        // which SQLite has no need of, are not listed here.
        for r in c
            .query(
                "SELECT DISTINCT event_object_table::text, action_timing::text, event_manipulation::text
                 FROM information_schema.triggers WHERE trigger_schema = current_schema()",
                &[],
            )
            .map_err(pg)?
        {
            objects.push(logis_store::migrate::SchemaObject::Trigger {
                table: r.get(0),
                timing: r.get(1),
                event: r.get(2),
            });
        }
        objects.sort();
        Ok(objects)
    }

    /// Live schema: (table, column, declared type, not null), for the parity test.
    pub fn schema(&self) -> Result<Vec<(String, String, String, bool)>> {
        let mut c = self.conn()?;
        let rows = c
            .query(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'NO' FROM information_schema.columns
                 WHERE table_schema = current_schema() ORDER BY table_name COLLATE \"C\", ordinal_position",
                &[],
            )
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect())
    }
}

/// The migration runner's transaction.
struct MigrationTx<'a, 'b>(&'a mut postgres::Transaction<'b>);

impl logis_store::migrate::MigrationTx for MigrationTx<'_, '_> {
    fn batch(&mut self, sql: &str) -> Result<()> {
        self.0.batch_execute(sql).map_err(pg)
    }
    fn applied(&mut self) -> Result<Vec<i64>> {
        let rows = self.0.query(migrate::sql::APPLIED, &[]).map_err(pg)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
    fn record(&mut self, m: &Migration) -> Result<()> {
        self.0
            .execute(migrate::sql::RECORD, &[&m.version, &m.name])
            .map(|_| ())
            .map_err(pg)
    }
    fn without_search_key(&mut self) -> Result<Vec<(i64, String, Option<String>)>> {
        let rows = self
            .0
            .query(migrate::sql::WITHOUT_SEARCH_KEY, &[])
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }
    fn set_search_key(&mut self, id: i64, key: &str) -> Result<()> {
        self.0
            .execute(migrate::sql::SET_SEARCH_KEY, &[&key, &id])
            .map(|_| ())
            .map_err(pg)
    }
}

fn copy_field(buf: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => buf.extend_from_slice(b"\\N"),
        Some(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    _ => buf.push(b),
                }
            }
        }
    }
}

fn copy_row(buf: &mut Vec<u8>, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        copy_field(buf, *f);
    }
    buf.push(b'\n');
}

fn copy_send(c: &mut impl postgres::GenericClient, sql: &str, buf: &mut Vec<u8>) -> Result<()> {
    if buf.is_empty() {
        return Ok(());
    }
    let mut w = c.copy_in(sql).map_err(pg)?;
    w.write_all(buf).map_err(be)?;
    w.finish().map_err(pg)?;
    buf.clear();
    Ok(())
}

fn code(s: &str) -> Result<CommuneCode> {
    CommuneCode::parse(s).map_err(|e| StoreError::Backend(e.0))
}

fn siren(s: &str) -> Result<Siren> {
    Siren::parse(s).map_err(|e| StoreError::Backend(e.0))
}

fn opt_year(v: Option<i64>) -> Result<Option<Year>> {
    v.map(|y| Year::new(y).map_err(|e| StoreError::Backend(e.0)))
        .transpose()
}

fn opt_dim<T>(s: &str, from: fn(&str) -> Option<T>, what: &str) -> Result<Option<T>> {
    if s.is_empty() {
        Ok(None)
    } else {
        decode(from(s), what, s).map(Some)
    }
}

fn count(v: i64) -> u64 {
    v.max(0) as u64
}

/// Owned parameters for the postgres driver.
fn pg_params(params: Vec<SqlParam>) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .into_iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                SqlParam::Int(i) => Box::new(i),
                SqlParam::Text(t) => Box::new(t),
            }
        })
        .collect()
}

/// Run `sql` through a portal fetched `batch` rows at a time (memory stays flat however many
/// rows match), calling `each` on every row; the number of rows.
fn each_row(
    tx: &mut postgres::Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    batch: i32,
    each: &mut dyn FnMut(&Row) -> Result<()>,
) -> Result<u64> {
    let portal = tx.bind(sql, params).map_err(pg)?;
    let mut n = 0;
    loop {
        let rows = tx.query_portal(&portal, batch).map_err(pg)?;
        if rows.is_empty() {
            return Ok(n);
        }
        for r in &rows {
            each(r)?;
            n += 1;
        }
    }
}

fn refs(params: &[Box<dyn ToSql + Sync>]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref()).collect()
}

const DIALECT: Dialect = Dialect {
    placeholder: |n| format!("${n}"),
    collate: " COLLATE \"C\"",
};

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
}
