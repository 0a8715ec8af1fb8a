//! PostgreSQL adapter of the logis store (large deployments).
//!
//! Same behaviour as the SQLite adapter, checked by the conformance suite. Imports stream rows
//! into a temporary table with `COPY` inside one transaction, check the whole file in SQL, then
//! merge with upserts. Text ordering uses the "C" collation so both backends sort alike.

use chrono::NaiveDate;
use logis_domain::targets::Targets;
use logis_domain::text::{name_key, operation_search_key};
use logis_domain::{
    Commune, CommuneCode, Epci, FormerCommune, FormerKind, Geography, LineDraft, Nature, OrgKind,
    Product, ProjectKind, QuartierKind, RehabFinancing, Role, Siren, Site, Stage, Year,
};
use logis_store::accounts::now;
use logis_store::migrate::Migration;
use logis_store::query::{self, AggRow, Dialect, Dim, SqlParam};
use logis_store::{
    Actor, ApiToken, AuditEntry, AuditFilter, Change, FundingItem, FundingKind, ImportOutcome,
    ImportSession, ImportStats, LineFilter, LineRecord, NatureTotal, NewOrganisation, NewProgramme,
    NewUser, OperationRecord, Organisation, Programme, Project, Quartier, ReferenceData, Result,
    RowProblem, Store, StoreError, Summary, User, decode, dim,
};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row};
use r2d2_postgres::PostgresConnectionManager;
use std::io::Write;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "register",
        sql: include_str!("../migrations/0001_register.sql"),
    },
    Migration {
        version: 2,
        name: "targets",
        sql: include_str!("../migrations/0002_targets.sql"),
    },
    Migration {
        version: 3,
        name: "report_indexes",
        sql: include_str!("../migrations/0003_report_indexes.sql"),
    },
    Migration {
        version: 4,
        name: "line_totals",
        sql: include_str!("../migrations/0004_line_totals.sql"),
    },
    Migration {
        version: 5,
        name: "accounts",
        sql: include_str!("../migrations/0005_accounts.sql"),
    },
    Migration {
        version: 6,
        name: "operation_search",
        sql: include_str!("../migrations/0006_operation_search.sql"),
    },
    Migration {
        version: 7,
        name: "register_version",
        sql: include_str!("../migrations/0007_register_version.sql"),
    },
    Migration {
        version: 8,
        name: "write_count",
        sql: include_str!("../migrations/0008_write_count.sql"),
    },
];

type Manager = PostgresConnectionManager<NoTls>;
type Conn = r2d2::PooledConnection<Manager>;

/// Bytes of COPY data buffered before they are sent.
const COPY_BUFFER: usize = 4 << 20;

fn be(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Record one change in the audit trail, on the transaction making it (and count the write:
/// see [`Store::data_stamp`]).
fn record(c: &mut impl postgres::GenericClient, actor: &Actor, ch: &Change<'_>) -> Result<()> {
    c.execute(logis_store::cube::sql::COUNT_WRITE, &[])
        .map_err(pg)?;
    c.execute(
        "INSERT INTO audit_log (at, user_id, user_name, organisation_id, via, entity, entity_id, operation_id, action, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &now(),
            &actor.user_id,
            &actor.name,
            &actor.organisation_id,
            &actor.via.code(),
            &ch.entity,
            &ch.entity_id,
            &ch.operation_id,
            &ch.action,
            &ch.before_text(),
            &ch.after_text(),
        ],
    )
    .map(|_| ())
    .map_err(pg)
}

/// The columns of a [`User`], in the order [`user_from_row`] reads them.
const USER_COLUMNS: &str =
    "u.id, u.login, u.display_name, u.role, u.organisation_id, org.name, org.commune_code,
    u.disabled_at IS NOT NULL, u.password_hash IS NOT NULL, u.created_at";
const USER_FROM: &str = "FROM users u LEFT JOIN organisations org ON org.id = u.organisation_id";

fn user_from_row(r: &Row) -> Result<User> {
    let role: &str = r.get(3);
    let commune: Option<&str> = r.get(6);
    Ok(User {
        id: r.get(0),
        login: r.get(1),
        display_name: r.get(2),
        role: decode(Role::from_code(role), "le rôle", role)?,
        organisation_id: r.get(4),
        organisation: r.get(5),
        commune: commune.map(code).transpose()?,
        disabled: r.get(7),
        has_password: r.get(8),
        created_at: r.get(9),
    })
}

fn token_from_row(r: &Row) -> ApiToken {
    ApiToken {
        id: r.get(0),
        user_id: r.get(1),
        name: r.get(2),
        prefix: r.get(3),
        created_at: r.get(4),
        last_used_at: r.get(5),
        revoked_at: r.get(6),
    }
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
        for m in MIGRATIONS {
            let done: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)",
                    &[&m.version],
                )
                .map_err(pg)?
                .get(0);
            if !done {
                tx.batch_execute(m.sql).map_err(|e| {
                    StoreError::Backend(format!("migration {} ({}) : {e}", m.version, m.name))
                })?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    &[&m.version, &m.name],
                )
                .map_err(pg)?;
            }
        }
        // Search keys of operations written before migration 6.
        let missing = tx
            .query(
                "SELECT id, reference, label FROM operations WHERE search_key IS NULL",
                &[],
            )
            .map_err(pg)?;
        for r in missing {
            let (id, reference, label): (i64, String, Option<String>) =
                (r.get(0), r.get(1), r.get(2));
            tx.execute(
                "UPDATE operations SET search_key = $1 WHERE id = $2",
                &[&operation_search_key(&reference, label.as_deref()), &id],
            )
            .map_err(pg)?;
        }
        tx.commit().map_err(pg)
    }

    /// Live schema: (table, column, type, not null), for the parity test.
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

/// Append one value to a COPY text-format buffer.
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

fn commune_from_row(r: &Row) -> Result<Commune> {
    let epci: Option<String> = r.get(4);
    let population: Option<i64> = r.get(3);
    Ok(Commune {
        code: code(r.get(0))?,
        name: r.get(1),
        department: r.get(2),
        population: population.and_then(|p| u32::try_from(p).ok()),
        epci: epci.as_deref().map(siren).transpose()?,
    })
}

fn line_from_row(r: &Row) -> Result<LineRecord> {
    let nature: &str = r.get(11);
    let site: &str = r.get(12);
    let product: &str = r.get(13);
    let financing: &str = r.get(14);
    let stage: Option<&str> = r.get(17);
    let dwellings: i64 = r.get(15);
    let year: i64 = r.get(16);
    Ok(LineRecord {
        line_id: r.get(0),
        operation_id: r.get(1),
        landlord: r.get(2),
        landlord_siren: r.get(3),
        reference: r.get(4),
        commune: code(r.get(5))?,
        commune_name: r.get(6),
        project: r.get(7),
        programme: r.get(8),
        quartier: r.get(9),
        label: r.get(10),
        nature: decode(Nature::from_code(nature), "la nature", nature)?,
        site: opt_dim(site, Site::from_code, "le site")?,
        product: opt_dim(product, Product::from_code, "le produit")?,
        financing: opt_dim(financing, RehabFinancing::from_code, "le financement")?,
        dwellings: u32::try_from(dwellings).map_err(be)?,
        year: i32::try_from(year).map_err(be)?,
        stage: stage
            .map(|s| decode(Stage::from_code(s), "le stade", s))
            .transpose()?,
        stage_date: r.get(18),
        cost_cents: r.get(19),
    })
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

    fn reference_loaded(&self) -> Result<bool> {
        Ok(self
            .conn()?
            .query_one("SELECT EXISTS (SELECT 1 FROM communes)", &[])
            .map_err(pg)?
            .get(0))
    }

    fn load_reference(&self, actor: &Actor, data: &ReferenceData) -> Result<()> {
        self.geo.clear();
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        tx.batch_execute(
            "DELETE FROM former_communes; DELETE FROM departments;
             CREATE TEMP TABLE ref_epcis (siren TEXT, name TEXT, name_key TEXT, kind TEXT) ON COMMIT DROP;
             CREATE TEMP TABLE ref_communes (code TEXT, name TEXT, name_key TEXT, department TEXT, population BIGINT, epci_siren TEXT) ON COMMIT DROP;",
        )
        .map_err(pg)?;
        let mut buf = Vec::with_capacity(COPY_BUFFER);
        for (code, name, region) in &data.departments {
            copy_row(&mut buf, &[Some(code), Some(name), Some(region)]);
        }
        copy_send(
            &mut tx,
            "COPY departments (code, name, region) FROM STDIN",
            &mut buf,
        )?;
        for e in &data.epcis {
            copy_row(
                &mut buf,
                &[
                    Some(e.siren.as_str()),
                    Some(&e.name),
                    Some(&name_key(&e.name)),
                    Some(&e.kind),
                ],
            );
        }
        copy_send(&mut tx, "COPY ref_epcis FROM STDIN", &mut buf)?;
        for cm in &data.communes {
            let pop = cm.population.map(|p| p.to_string());
            copy_row(
                &mut buf,
                &[
                    Some(cm.code.as_str()),
                    Some(&cm.name),
                    Some(&name_key(&cm.name)),
                    Some(&cm.department),
                    pop.as_deref(),
                    cm.epci.as_ref().map(Siren::as_str),
                ],
            );
        }
        copy_send(&mut tx, "COPY ref_communes FROM STDIN", &mut buf)?;
        tx.batch_execute(
            "INSERT INTO epcis (siren, name, name_key, kind) SELECT siren, name, name_key, kind FROM ref_epcis
               ON CONFLICT (siren) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, kind = excluded.kind;
             INSERT INTO communes (code, name, name_key, department, population, epci_siren)
               SELECT code, name, name_key, department, population, epci_siren FROM ref_communes
               ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, department = excluded.department,
                 population = excluded.population, epci_siren = excluded.epci_siren;",
        )
        .map_err(pg)?;
        // Former communes may repeat (code, name): keep the first, as SQLite's INSERT OR IGNORE does.
        let mut seen = std::collections::HashSet::new();
        for f in &data.former {
            if seen.insert((f.code.as_str(), f.name.as_str())) {
                copy_row(
                    &mut buf,
                    &[
                        Some(f.code.as_str()),
                        Some(&f.name),
                        Some(&name_key(&f.name)),
                        Some(f.kind.code()),
                        Some(f.current.as_str()),
                    ],
                );
            }
        }
        copy_send(
            &mut tx,
            "COPY former_communes (code, name, name_key, kind, current_code) FROM STDIN",
            &mut buf,
        )?;
        record(
            &mut tx,
            actor,
            &Change {
                entity: "referentiel",
                entity_id: "geographie".into(),
                operation_id: None,
                action: "chargement",
                before: None,
                after: Some(serde_json::json!({
                    "communes": data.communes.len(),
                    "communes_deleguees": data.former.len(),
                    "epci": data.epcis.len(),
                })),
            },
        )?;
        tx.batch_execute(logis_store::cube::sql::BUMP).map_err(pg)?;
        tx.commit().map_err(pg)
    }

    fn geography(&self) -> Result<std::sync::Arc<Geography>> {
        self.geo.get_or_load(|| self.read_geography())
    }

    fn search_communes(&self, text: &str, limit: u32) -> Result<Vec<Commune>> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let key = name_key(text);
        let code_prefix = format!(
            "{}%",
            text.trim()
                .to_ascii_uppercase()
                .replace(['%', '_', '\\'], "")
        );
        let mut c = self.conn()?;
        let rows = c
            .query(
                "SELECT code, name, department, population, epci_siren FROM communes
                 WHERE ($1 <> '' AND strpos(name_key, $1) > 0) OR code LIKE $2
                 ORDER BY (name_key = $1) DESC, (left(name_key, length($1)) = $1) DESC, population DESC NULLS LAST, code COLLATE \"C\" LIMIT $3",
                &[&key, &code_prefix, &i64::from(limit)],
            )
            .map_err(pg)?;
        rows.iter().map(commune_from_row).collect()
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()?
            .query_opt("SELECT value FROM settings WHERE key = $1", &[&key])
            .map_err(pg)?
            .map(|r| r.get(0)))
    }

    fn set_setting(&self, actor: &Actor, key: &str, value: &str) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let before: Option<String> = tx
            .query_opt("SELECT value FROM settings WHERE key = $1", &[&key])
            .map_err(pg)?
            .map(|r| r.get(0));
        if before.as_deref() == Some(value) {
            return Ok(());
        }
        tx.execute("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", &[&key, &value])
            .map_err(pg)?;
        record(
            &mut tx,
            actor,
            &Change {
                entity: "parametre",
                entity_id: key.into(),
                operation_id: None,
                action: if before.is_some() {
                    "modification"
                } else {
                    "creation"
                },
                before: before.map(serde_json::Value::String),
                after: Some(serde_json::Value::String(value.into())),
            },
        )?;
        tx.commit().map_err(pg)
    }

    fn add_organisation(&self, actor: &Actor, org: &NewOrganisation) -> Result<Organisation> {
        let name = org.name.trim();
        if name.is_empty() || name_key(name).is_empty() {
            return Err(StoreError::Invalid(
                "le nom de l'organisation est obligatoire".into(),
            ));
        }
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let res = tx.query_one(
            "INSERT INTO organisations (kind, name, name_key, siren, commune_code) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&org.kind.code(), &name, &name_key(name), &org.siren.as_ref().map(Siren::as_str), &org.commune.as_ref().map(CommuneCode::as_str)],
        );
        match res {
            Ok(r) => {
                let o = Organisation {
                    id: r.get(0),
                    kind: org.kind,
                    name: name.to_string(),
                    siren: org.siren.clone(),
                    commune: org.commune.clone(),
                };
                record(
                    &mut tx,
                    actor,
                    &Change::created("organisation", o.id, None, &o),
                )?;
                tx.commit().map_err(pg)?;
                Ok(o)
            }
            Err(e) if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) => Err(StoreError::Invalid(
                "commune inconnue pour cette organisation".into(),
            )),
            Err(e) if is_code(&e, &SqlState::UNIQUE_VIOLATION) => {
                Err(StoreError::Conflict(format!(
                    "une organisation de type « {} » nommée « {name} » ou avec ce SIREN existe déjà",
                    org.kind.label()
                )))
            }
            Err(e) => Err(pg(e)),
        }
    }

    fn organisations(&self) -> Result<Vec<Organisation>> {
        let rows = self.conn()?.query("SELECT id, kind, name, siren, commune_code FROM organisations ORDER BY kind COLLATE \"C\", name_key COLLATE \"C\"", &[]).map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(1);
                let s: Option<&str> = r.get(3);
                let cm: Option<&str> = r.get(4);
                Ok(Organisation {
                    id: r.get(0),
                    kind: decode(OrgKind::from_code(kind), "le type d'organisation", kind)?,
                    name: r.get(2),
                    siren: s.map(siren).transpose()?,
                    commune: cm.map(code).transpose()?,
                })
            })
            .collect()
    }

    fn add_programme(&self, actor: &Actor, p: &NewProgramme) -> Result<Programme> {
        let name = p.name.trim();
        if name_key(name).is_empty() {
            return Err(StoreError::Invalid(
                "le nom du programme est obligatoire".into(),
            ));
        }
        if let (Some(a), Some(b)) = (p.start_year, p.end_year)
            && a > b
        {
            return Err(StoreError::Invalid(format!(
                "période invalide : {} est après {}",
                a.get(),
                b.get()
            )));
        }
        let start = p.start_year.map(|y| i64::from(y.get()));
        let end = p.end_year.map(|y| i64::from(y.get()));
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let res = tx.query_one(
            "INSERT INTO programmes (name, name_key, description, start_year, end_year, epci_siren) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&name, &name_key(name), &p.description, &start, &end, &p.epci.as_ref().map(Siren::as_str)],
        );
        match res {
            Ok(r) => {
                let prog = Programme {
                    id: r.get(0),
                    name: name.into(),
                    description: p.description.clone(),
                    start_year: p.start_year,
                    end_year: p.end_year,
                    epci: p.epci.clone(),
                };
                record(
                    &mut tx,
                    actor,
                    &Change::created("programme", prog.id, None, &prog),
                )?;
                tx.commit().map_err(pg)?;
                Ok(prog)
            }
            Err(e) if is_code(&e, &SqlState::UNIQUE_VIOLATION) => Err(StoreError::Conflict(
                format!("un programme nommé « {name} » existe déjà"),
            )),
            Err(e) if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) => {
                Err(StoreError::Invalid("EPCI inconnu pour ce programme".into()))
            }
            Err(e) => Err(pg(e)),
        }
    }

    fn programmes(&self) -> Result<Vec<Programme>> {
        let rows = self
            .conn()?
            .query("SELECT id, name, description, start_year, end_year, epci_siren FROM programmes ORDER BY name_key COLLATE \"C\"", &[])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let epci: Option<&str> = r.get(5);
                Ok(Programme {
                    id: r.get(0),
                    name: r.get(1),
                    description: r.get(2),
                    start_year: opt_year(r.get(3))?,
                    end_year: opt_year(r.get(4))?,
                    epci: epci.and_then(|s| Siren::parse(s).ok()),
                })
            })
            .collect()
    }

    fn add_project(
        &self,
        actor: &Actor,
        name: &str,
        kind: ProjectKind,
        programme_id: Option<i64>,
    ) -> Result<Project> {
        let name = name.trim();
        if name_key(name).is_empty() {
            return Err(StoreError::Invalid(
                "le nom du projet est obligatoire".into(),
            ));
        }
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let res = tx.query_one(
            "INSERT INTO projects (name, name_key, kind, programme_id) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&name, &name_key(name), &kind.code(), &programme_id],
        );
        match res {
            Ok(r) => {
                let pr = Project {
                    id: r.get(0),
                    name: name.into(),
                    kind,
                    programme_id,
                };
                record(&mut tx, actor, &Change::created("projet", pr.id, None, &pr))?;
                tx.commit().map_err(pg)?;
                Ok(pr)
            }
            Err(e) if is_code(&e, &SqlState::UNIQUE_VIOLATION) => Err(StoreError::Conflict(
                format!("un projet nommé « {name} » existe déjà"),
            )),
            Err(e) if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) => Err(StoreError::Invalid(
                "programme inconnu pour ce projet".into(),
            )),
            Err(e) => Err(pg(e)),
        }
    }

    fn projects(&self) -> Result<Vec<Project>> {
        let rows = self
            .conn()?
            .query(
                "SELECT id, name, kind, programme_id FROM projects ORDER BY name_key COLLATE \"C\"",
                &[],
            )
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(2);
                Ok(Project {
                    id: r.get(0),
                    name: r.get(1),
                    kind: decode(ProjectKind::from_code(kind), "le type de projet", kind)?,
                    programme_id: r.get(3),
                })
            })
            .collect()
    }

    fn add_quartier(
        &self,
        actor: &Actor,
        name: &str,
        kind: QuartierKind,
        commune: &CommuneCode,
    ) -> Result<Quartier> {
        let name = name.trim();
        if name_key(name).is_empty() {
            return Err(StoreError::Invalid(
                "le nom du quartier est obligatoire".into(),
            ));
        }
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let res = tx.query_one(
            "INSERT INTO quartiers (name, name_key, kind, commune_code) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&name, &name_key(name), &kind.code(), &commune.as_str()],
        );
        match res {
            Ok(r) => {
                let q = Quartier {
                    id: r.get(0),
                    name: name.into(),
                    kind,
                    commune: commune.clone(),
                };
                record(&mut tx, actor, &Change::created("quartier", q.id, None, &q))?;
                tx.commit().map_err(pg)?;
                Ok(q)
            }
            Err(e) if is_code(&e, &SqlState::UNIQUE_VIOLATION) => Err(StoreError::Conflict(
                format!("le quartier « {name} » existe déjà dans la commune {commune}"),
            )),
            Err(e) if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) => Err(StoreError::Invalid(
                format!("commune inconnue « {commune} »"),
            )),
            Err(e) => Err(pg(e)),
        }
    }

    fn quartiers(&self) -> Result<Vec<Quartier>> {
        let rows = self
            .conn()?
            .query("SELECT id, name, kind, commune_code FROM quartiers ORDER BY commune_code COLLATE \"C\", name_key COLLATE \"C\"", &[])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(2);
                Ok(Quartier {
                    id: r.get(0),
                    name: r.get(1),
                    kind: decode(QuartierKind::from_code(kind), "le type de quartier", kind)?,
                    commune: code(r.get(3))?,
                })
            })
            .collect()
    }

    fn begin_import(&self, actor: &Actor) -> Result<Box<dyn ImportSession + '_>> {
        let mut conn = self.conn()?;
        conn.batch_execute(
            "BEGIN;
             CREATE TEMP TABLE IF NOT EXISTS import_staging (
                row_no BIGINT NOT NULL, landlord_id BIGINT NOT NULL, reference TEXT NOT NULL, label TEXT,
                commune_code TEXT NOT NULL, project TEXT, project_key TEXT, programme_id BIGINT,
                quartier TEXT, quartier_key TEXT, nature TEXT NOT NULL, site TEXT NOT NULL, product TEXT NOT NULL,
                financing TEXT NOT NULL, year BIGINT NOT NULL, dwellings BIGINT NOT NULL, stage TEXT, stage_date DATE, cost_cents BIGINT,
                search_key TEXT NOT NULL);
             TRUNCATE import_staging;",
        )
        .map_err(pg)?;
        Ok(Box::new(PgImport {
            conn,
            open: true,
            staged: 0,
            buf: Vec::with_capacity(COPY_BUFFER),
            actor: actor.clone(),
        }))
    }

    fn for_each_line(
        &self,
        f: &LineFilter,
        sink: &mut dyn FnMut(LineRecord) -> Result<()>,
    ) -> Result<u64> {
        // A text search matching few operations reads them by id (found in memory).
        let narrowed = self.text_search_in_memory(f)?;
        let f = narrowed.as_ref().unwrap_or(f);
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let mut params = Vec::new();
        let where_ = query::where_clause(f, DIALECT, &mut params);
        let order = query::line_order(f, DIALECT);
        let mut limit = String::new();
        if let Some(l) = f.limit {
            params.push(SqlParam::Int(l as i64));
            limit = format!(" LIMIT ${}", params.len());
        }
        params.push(SqlParam::Int(f.offset.unwrap_or(0) as i64));
        let sql = format!(
            "SELECT {} {} {where_} {order}{limit} OFFSET ${}",
            query::LINE_COLUMNS,
            query::LINE_FROM,
            params.len()
        );
        let owned = pg_params(params);
        let params = refs(&owned);
        let n = each_row(&mut tx, &sql, &params, 5000, &mut |r| {
            sink(line_from_row(r)?)
        })?;
        tx.commit().map_err(pg)?;
        Ok(n)
    }

    fn count_lines(&self, f: &LineFilter) -> Result<u64> {
        let mut params = Vec::new();
        let where_ = query::where_clause(f, DIALECT, &mut params);
        let sql = format!("SELECT count(*) {} {where_}", query::LINE_FROM);
        let owned = pg_params(params);
        let r = self
            .conn()?
            .query_one(sql.as_str(), &refs(&owned))
            .map_err(pg)?;
        Ok(count(r.get(0)))
    }

    fn funding_rows(&self, f: &LineFilter) -> Result<Vec<logis_store::FundingRow>> {
        let mut params = Vec::new();
        let sql = query::funding_sql(f, DIALECT, &mut params);
        let owned = pg_params(params);
        let rows = self
            .conn()?
            .query(sql.as_str(), &refs(&owned))
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(1);
                Ok(logis_store::FundingRow {
                    operation_id: r.get(0),
                    kind: decode(FundingKind::from_code(kind), "le type de financement", kind)?,
                    source: r.get(2),
                    label: r.get(3),
                    amount_cents: r.get(4),
                })
            })
            .collect()
    }

    fn set_targets(&self, actor: &Actor, programme_id: i64, t: &Targets) -> Result<()> {
        let before = self.targets(programme_id)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let exists: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM programmes WHERE id = $1)",
                &[&programme_id],
            )
            .map_err(pg)?
            .get(0);
        if !exists {
            return Err(StoreError::NotFound(format!(
                "programme {programme_id} introuvable"
            )));
        }
        tx.execute(
            "DELETE FROM programme_targets WHERE programme_id = $1",
            &[&programme_id],
        )
        .map_err(pg)?;
        tx.execute(
            "INSERT INTO programme_targets (programme_id, scope, total, first_year, last_year, social_percent, band_min, band_max)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &programme_id,
                &t.scope.code(),
                &t.total.map(|v| v as i64),
                &i64::from(t.first_year),
                &i64::from(t.last_year),
                &t.social_percent.map(i64::from),
                &t.annual_band.map(|b| b.0 as i64),
                &t.annual_band.map(|b| b.1 as i64),
            ],
        )
        .map_err(pg)?;
        for sp in &t.splits {
            tx.execute(
                "INSERT INTO programme_target_splits (programme_id, dimension, key, label, dwellings) VALUES ($1, $2, $3, $4, $5)",
                &[&programme_id, &sp.dimension.code(), &sp.key, &sp.label, &(sp.dwellings as i64)],
            )
            .map_err(|e| if is_code(&e, &SqlState::UNIQUE_VIOLATION) { StoreError::Invalid(format!("répartition « {} » donnée deux fois", sp.label)) } else { pg(e) })?;
        }
        record(
            &mut tx,
            actor,
            &Change::replaced("objectifs", programme_id, None, before.as_ref(), t),
        )?;
        tx.commit().map_err(pg)
    }

    fn targets(&self, programme_id: i64) -> Result<Option<Targets>> {
        let mut c = self.conn()?;
        let row = c
            .query_opt(
                "SELECT scope, total, first_year, last_year, social_percent, band_min, band_max FROM programme_targets WHERE programme_id = $1",
                &[&programme_id],
            )
            .map_err(pg)?;
        let Some(r) = row else { return Ok(None) };
        let row = logis_store::TargetRow {
            scope: r.get(0),
            total: r.get(1),
            first_year: r.get(2),
            last_year: r.get(3),
            social_percent: r.get(4),
            band_min: r.get(5),
            band_max: r.get(6),
        };
        let splits = c
            .query("SELECT dimension, key, label, dwellings FROM programme_target_splits WHERE programme_id = $1 ORDER BY id", &[&programme_id])
            .map_err(pg)?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
        logis_store::targets_from_rows(row, splits).map(Some)
    }

    fn register_in_memory(&self) -> Result<Option<std::sync::Arc<logis_store::cube::Cube>>> {
        self.cube()
    }

    fn data_stamp(&self) -> Result<(i64, i64)> {
        let row = self
            .conn()?
            .query_one(logis_store::cube::sql::STAMP, &[])
            .map_err(pg)?;
        Ok((row.get(0), row.get(1)))
    }

    fn aggregate_in_database(&self, f: &LineFilter, dims: &[Dim]) -> Result<Vec<AggRow>> {
        let mut params = Vec::new();
        let sql = query::aggregate_sql(f, dims, DIALECT, &mut params);
        let owned = pg_params(params);
        let rows = self
            .conn()?
            .query(sql.as_str(), &refs(&owned))
            .map_err(pg)?;
        let k = dims.len();
        Ok(rows
            .iter()
            .map(|r| AggRow {
                keys: (0..k).map(|i| r.get::<_, &str>(i).into()).collect(),
                dwellings: r.get(k),
                lines: r.get(k + 1),
                cost_cents: r.get(k + 2),
            })
            .collect())
    }

    fn operation_id(&self, landlord_id: i64, reference: &str) -> Result<Option<i64>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT id FROM operations WHERE landlord_id = $1 AND reference = $2",
                &[&landlord_id, &reference],
            )
            .map_err(pg)?
            .map(|r| r.get(0)))
    }

    fn set_financing_plan(
        &self,
        actor: &Actor,
        operation_id: i64,
        items: &[FundingItem],
    ) -> Result<()> {
        let before = self.financing_plan(operation_id)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let exists: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM operations WHERE id = $1)",
                &[&operation_id],
            )
            .map_err(pg)?
            .get(0);
        if !exists {
            return Err(StoreError::NotFound(format!(
                "opération {operation_id} introuvable"
            )));
        }
        tx.execute(
            "DELETE FROM funding_items WHERE operation_id = $1",
            &[&operation_id],
        )
        .map_err(pg)?;
        let st = tx
            .prepare("INSERT INTO funding_items (operation_id, position, kind, source_id, label, amount_cents) VALUES ($1, $2, $3, $4, $5, $6)")
            .map_err(pg)?;
        for (i, it) in items.iter().enumerate() {
            if it.amount_cents < 0 {
                return Err(StoreError::Invalid(
                    "montant négatif refusé dans le plan de financement".into(),
                ));
            }
            tx.execute(
                &st,
                &[
                    &operation_id,
                    &(i as i64),
                    &it.kind.code(),
                    &it.source_id,
                    &it.label,
                    &it.amount_cents,
                ],
            )
            .map_err(|e| {
                if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) {
                    StoreError::Invalid("financeur inconnu dans le plan de financement".into())
                } else {
                    pg(e)
                }
            })?;
        }
        let before = (!before.is_empty()).then_some(before);
        record(
            &mut tx,
            actor,
            &Change::replaced(
                "plan_financement",
                operation_id,
                Some(operation_id),
                before.as_ref(),
                &items,
            ),
        )?;
        tx.commit().map_err(pg)
    }

    fn financing_plan(&self, operation_id: i64) -> Result<Vec<FundingItem>> {
        let rows = self
            .conn()?
            .query("SELECT kind, source_id, label, amount_cents FROM funding_items WHERE operation_id = $1 ORDER BY position", &[&operation_id])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(0);
                Ok(FundingItem {
                    kind: decode(FundingKind::from_code(kind), "le type de financement", kind)?,
                    source_id: r.get(1),
                    label: r.get(2),
                    amount_cents: r.get(3),
                })
            })
            .collect()
    }

    fn stage_events(&self, line_id: i64) -> Result<Vec<(Stage, NaiveDate)>> {
        let rows = self
            .conn()?
            .query("SELECT stage, event_date FROM stage_events WHERE line_id = $1 ORDER BY event_date, stage COLLATE \"C\"", &[&line_id])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let s: &str = r.get(0);
                Ok((decode(Stage::from_code(s), "le stade", s)?, r.get(1)))
            })
            .collect()
    }

    fn summary(&self) -> Result<Summary> {
        let cube = self.cube()?;
        let mut c = self.conn()?;
        let r = c.query_one(query::SUMMARY_REFERENCE, &[]).map_err(pg)?;
        let register = match cube {
            Some(cube) => cube.counts(),
            None => {
                let t = c.query_one(query::SUMMARY_REGISTER, &[]).map_err(pg)?;
                [count(t.get(0)), count(t.get(1)), count(t.get(2))]
            }
        };
        Ok(Summary {
            communes: count(r.get(0)),
            organisations: count(r.get(1)),
            programmes: count(r.get(2)),
            operations: register[0],
            lines: register[1],
            dwellings: register[2],
        })
    }

    fn totals_by_landlord_nature(&self) -> Result<Vec<NatureTotal>> {
        let rows = self
            .conn()?
            .query(
                "SELECT org.name, l.nature, sum(l.dwellings)::bigint, count(*) FROM operation_lines l JOIN operations o ON o.id = l.operation_id
                 JOIN organisations org ON org.id = o.landlord_id GROUP BY org.name, l.nature ORDER BY org.name COLLATE \"C\", l.nature COLLATE \"C\"",
                &[],
            )
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let nature: &str = r.get(1);
                Ok(NatureTotal {
                    landlord: r.get(0),
                    nature: decode(Nature::from_code(nature), "la nature", nature)?,
                    dwellings: count(r.get(2)),
                    lines: count(r.get(3)),
                })
            })
            .collect()
    }
    fn operations(&self, ids: &[i64]) -> Result<Vec<OperationRecord>> {
        let rows = self
            .conn()?
            .query(query::operation_heads_sql(ids).as_str(), &[])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                Ok(OperationRecord {
                    id: r.get(0),
                    landlord_id: r.get(1),
                    landlord: r.get(2),
                    reference: r.get(3),
                    label: r.get(4),
                    commune: code(r.get(5))?,
                    commune_name: r.get(6),
                    project: r.get(7),
                    programme: r.get(8),
                    quartier: r.get(9),
                })
            })
            .collect()
    }

    fn add_user(&self, actor: &Actor, u: &NewUser) -> Result<User> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let res = tx.query_one(
            "INSERT INTO users (login, display_name, role, organisation_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&u.login, &u.display_name, &u.role.code(), &u.organisation_id, &now()],
        );
        let id: i64 = match res {
            Ok(r) => r.get(0),
            Err(e) if is_code(&e, &SqlState::UNIQUE_VIOLATION) => {
                return Err(StoreError::Conflict(format!(
                    "un compte « {} » existe déjà",
                    u.login
                )));
            }
            Err(e) if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) => {
                return Err(StoreError::Invalid("organisation inconnue".into()));
            }
            Err(e) => return Err(pg(e)),
        };
        let row = tx
            .query_one(
                &format!("SELECT {USER_COLUMNS} {USER_FROM} WHERE u.id = $1"),
                &[&id],
            )
            .map_err(pg)?;
        let user = user_from_row(&row)?;
        record(
            &mut tx,
            actor,
            &Change::created("utilisateur", id, None, &user),
        )?;
        tx.commit().map_err(pg)?;
        Ok(user)
    }

    fn users(&self) -> Result<Vec<User>> {
        self.conn()?
            .query(
                &format!("SELECT {USER_COLUMNS} {USER_FROM} ORDER BY u.login COLLATE \"C\""),
                &[],
            )
            .map_err(pg)?
            .iter()
            .map(user_from_row)
            .collect()
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        self.conn()?
            .query_opt(
                &format!("SELECT {USER_COLUMNS} {USER_FROM} WHERE u.id = $1"),
                &[&id],
            )
            .map_err(pg)?
            .map(|r| user_from_row(&r))
            .transpose()
    }

    fn user_credentials(&self, login: &str) -> Result<Option<(User, Option<String>)>> {
        self.conn()?
            .query_opt(
                &format!("SELECT {USER_COLUMNS}, u.password_hash {USER_FROM} WHERE u.login = $1"),
                &[&login],
            )
            .map_err(pg)?
            .map(|r| Ok((user_from_row(&r)?, r.get(10))))
            .transpose()
    }

    fn set_user_disabled(&self, actor: &Actor, user_id: i64, disabled: bool) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let n = tx
            .execute(
                "UPDATE users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, $3) ELSE NULL END WHERE id = $1",
                &[&user_id, &disabled, &now()],
            )
            .map_err(pg)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "compte {user_id} introuvable"
            )));
        }
        if disabled {
            tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id])
                .map_err(pg)?;
        }
        record(
            &mut tx,
            actor,
            &Change::event(
                "utilisateur",
                user_id,
                if disabled {
                    "desactivation"
                } else {
                    "reactivation"
                },
                serde_json::json!({ "desactive": disabled }),
            ),
        )?;
        tx.commit().map_err(pg)
    }

    fn set_password(&self, actor: &Actor, user_id: i64, hash: &str) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let n = tx
            .execute(
                "UPDATE users SET password_hash = $2 WHERE id = $1",
                &[&user_id, &hash],
            )
            .map_err(pg)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "compte {user_id} introuvable"
            )));
        }
        tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id])
            .map_err(pg)?;
        record(
            &mut tx,
            actor,
            &Change::event(
                "utilisateur",
                user_id,
                "mot_de_passe",
                serde_json::json!({ "mot_de_passe": "changé" }),
            ),
        )?;
        tx.commit().map_err(pg)
    }

    fn add_password_reset(
        &self,
        actor: &Actor,
        user_id: i64,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        tx.execute(
            "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
            &[&user_id, &now()],
        )
        .map_err(pg)?;
        tx.execute(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &user_id, &now(), &expires_at],
        )
        .map_err(|e| {
            if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) {
                StoreError::NotFound(format!("compte {user_id} introuvable"))
            } else {
                pg(e)
            }
        })?;
        record(
            &mut tx,
            actor,
            &Change::event(
                "utilisateur",
                user_id,
                "lien_reinitialisation",
                serde_json::json!({ "expire": expires_at }),
            ),
        )?;
        tx.commit().map_err(pg)
    }

    fn use_password_reset(&self, token_hash: &str, new_hash: &str) -> Result<Option<User>> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let t = now();
        let user_id: Option<i64> = tx
            .query_opt(
                "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
                &[&token_hash, &t],
            )
            .map_err(pg)?
            .map(|r| r.get(0));
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        let user = tx
            .query_opt(
                &format!(
                    "SELECT {USER_COLUMNS} {USER_FROM} WHERE u.id = $1 AND u.disabled_at IS NULL"
                ),
                &[&user_id],
            )
            .map_err(pg)?
            .map(|r| user_from_row(&r))
            .transpose()?;
        let Some(user) = user else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            &[&user_id, &new_hash],
        )
        .map_err(pg)?;
        tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id])
            .map_err(pg)?;
        let actor = Actor {
            user_id: Some(user.id),
            name: user.login.clone(),
            organisation_id: user.organisation_id,
            via: logis_store::Via::Web,
        };
        record(
            &mut tx,
            &actor,
            &Change::event(
                "utilisateur",
                user_id,
                "mot_de_passe",
                serde_json::json!({ "mot_de_passe": "choisi par lien" }),
            ),
        )?;
        tx.commit().map_err(pg)?;
        Ok(Some(user))
    }

    fn record_login(&self, login: &str, address: &str, success: bool) -> Result<()> {
        let mut c = self.conn()?;
        let t = now();
        c.execute(
            "INSERT INTO login_attempts (login, address, at, success) VALUES ($1, $2, $3, $4)",
            &[&login, &address, &t, &i64::from(success)],
        )
        .map_err(pg)?;
        c.execute("DELETE FROM login_attempts WHERE at < $1", &[&(t - 86_400)])
            .map_err(pg)?;
        Ok(())
    }

    fn recent_failures(&self, login: &str, address: &str, since: i64) -> Result<(u64, u64)> {
        let r = self
            .conn()?
            .query_one(
                "SELECT (SELECT count(*) FROM login_attempts WHERE login = $1 AND at >= $3 AND success = 0),
                        (SELECT count(*) FROM login_attempts WHERE address = $2 AND at >= $3 AND success = 0)",
                &[&login, &address, &since],
            )
            .map_err(pg)?;
        Ok((count(r.get(0)), count(r.get(1))))
    }

    fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()> {
        let mut c = self.conn()?;
        let t = now();
        c.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&t])
            .map_err(pg)?;
        c.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&token_hash, &user_id, &csrf, &t, &expires_at],
        )
        .map(|_| ())
        .map_err(pg)
    }

    fn session_user(&self, token_hash: &str) -> Result<Option<(User, String)>> {
        self.conn()?
            .query_opt(
                &format!(
                    "SELECT {USER_COLUMNS}, s.csrf_token {USER_FROM} JOIN sessions s ON s.user_id = u.id
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL"
                ),
                &[&token_hash, &now()],
            )
            .map_err(pg)?
            .map(|r| Ok((user_from_row(&r)?, r.get(10))))
            .transpose()
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.conn()?
            .execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .map(|_| ())
            .map_err(pg)
    }

    fn add_api_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        token_hash: &str,
        prefix: &str,
    ) -> Result<ApiToken> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let row = tx
            .query_one(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING id, user_id, name, prefix, created_at, last_used_at, revoked_at",
                &[&user_id, &name, &token_hash, &prefix, &now()],
            )
            .map_err(pg)?;
        let token = token_from_row(&row);
        record(
            &mut tx,
            actor,
            &Change::created("jeton_api", token.id, None, &token),
        )?;
        tx.commit().map_err(pg)?;
        Ok(token)
    }

    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        Ok(self
            .conn()?
            .query(
                "SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens
                 WHERE user_id = $1 ORDER BY id",
                &[&user_id],
            )
            .map_err(pg)?
            .iter()
            .map(token_from_row)
            .collect())
    }

    fn revoke_api_token(&self, actor: &Actor, user_id: i64, token_id: i64) -> Result<bool> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let n = tx
            .execute(
                "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
                &[&token_id, &user_id, &now()],
            )
            .map_err(pg)?;
        if n == 0 {
            return Ok(false);
        }
        record(
            &mut tx,
            actor,
            &Change::event(
                "jeton_api",
                token_id,
                "revocation",
                serde_json::json!({ "revoque": true }),
            ),
        )?;
        tx.commit().map_err(pg)?;
        Ok(true)
    }

    fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let mut c = self.conn()?;
        let found = c
            .query_opt(
                &format!(
                    "SELECT {USER_COLUMNS}, t.id {USER_FROM} JOIN api_tokens t ON t.user_id = u.id
                     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL"
                ),
                &[&token_hash],
            )
            .map_err(pg)?
            .map(|r| Ok::<_, StoreError>((user_from_row(&r)?, r.get::<_, i64>(10))))
            .transpose()?;
        let Some((user, token_id)) = found else {
            return Ok(None);
        };
        c.execute(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::BIGINT - 60)",
            &[&token_id, &now()],
        )
        .map_err(pg)?;
        Ok(Some(user))
    }

    fn audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let (sql, params) = logis_store::accounts::audit_query(f, DIALECT);
        let owned = pg_params(params);
        Ok(self
            .conn()?
            .query(sql.as_str(), &refs(&owned))
            .map_err(pg)?
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at: r.get(1),
                user_id: r.get(2),
                user_name: r.get(3),
                organisation_id: r.get(4),
                via: r.get(5),
                entity: r.get(6),
                entity_id: r.get(7),
                operation_id: r.get(8),
                action: r.get(9),
                before: r.get(10),
                after: r.get(11),
            })
            .collect())
    }
}

/// An import transaction on one pooled connection.
struct PgImport {
    conn: Conn,
    open: bool,
    staged: u64,
    buf: Vec<u8>,
    actor: Actor,
}

fn audit_sql(template: &str) -> String {
    logis_store::accounts::import_audit::sql(
        template,
        |n| match n {
            1 | 2 | 4 | 6 => format!("CAST(${n} AS BIGINT)"),
            _ => format!("CAST(${n} AS TEXT)"),
        },
        "json_build_object",
        "IS DISTINCT FROM",
        "::text",
        "false",
    )
}

impl Drop for PgImport {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}

const STAGING_COPY: &str = "COPY import_staging FROM STDIN";

/// Groups of rows found by a checking query: (row numbers "3,7,9", detail).
fn row_groups(c: &mut Client, sql: &str) -> Result<Vec<(Vec<u64>, String)>> {
    let rows = c.query(sql, &[]).map_err(pg)?;
    Ok(rows
        .iter()
        .map(|r| {
            let list: &str = r.get(0);
            let mut nums: Vec<u64> = list
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect();
            nums.sort_unstable();
            (nums, r.get(1))
        })
        .collect())
}

impl PgImport {
    fn flush(&mut self) -> Result<()> {
        copy_send(&mut *self.conn, STAGING_COPY, &mut self.buf)
    }

    fn check(&mut self) -> Result<Vec<RowProblem>> {
        let dups = row_groups(
            &mut self.conn,
            "SELECT string_agg(row_no::text, ','), reference FROM import_staging
             GROUP BY landlord_id, reference, nature, site, product, financing, year HAVING count(*) > 1 LIMIT 10000",
        )?;
        let conflicts = row_groups(
            &mut self.conn,
            "SELECT string_agg(row_no::text, ','),
                    reference || chr(31) || (count(DISTINCT commune_code) > 1)::int || (count(DISTINCT label) > 1)::int
                    || (count(DISTINCT project_key) > 1)::int || (count(DISTINCT programme_id) > 1)::int || (count(DISTINCT quartier_key) > 1)::int
             FROM import_staging GROUP BY landlord_id, reference
             HAVING count(DISTINCT commune_code) > 1 OR count(DISTINCT label) > 1 OR count(DISTINCT project_key) > 1
                 OR count(DISTINCT programme_id) > 1 OR count(DISTINCT quartier_key) > 1 LIMIT 10000",
        )?;
        Ok(logis_store::problems::from_groups(dups, conflicts))
    }

    fn merge(&mut self) -> Result<ImportStats> {
        let staged = self.staged;
        let c: &mut Client = &mut self.conn;
        let mut stats = ImportStats {
            lines_read: staged,
            ..Default::default()
        };
        let exec = |c: &mut Client, sql: &str| -> Result<u64> { c.execute(sql, &[]).map_err(pg) };
        let one = |c: &mut Client, sql: &str| -> Result<u64> {
            Ok(count(c.query_one(sql, &[]).map_err(pg)?.get(0)))
        };

        c.batch_execute("ANALYZE import_staging").map_err(pg)?;
        stats.projects_created = exec(
            c,
            "INSERT INTO projects (name, name_key, kind) SELECT min(project COLLATE \"C\"), project_key, 'autre' FROM import_staging
             WHERE project_key IS NOT NULL GROUP BY project_key ORDER BY project_key ON CONFLICT (name_key) DO NOTHING",
        )?;
        stats.quartiers_created = exec(
            c,
            "INSERT INTO quartiers (name, name_key, kind, commune_code) SELECT min(quartier COLLATE \"C\"), quartier_key, 'autre', commune_code FROM import_staging
             WHERE quartier_key IS NOT NULL GROUP BY commune_code, quartier_key ORDER BY commune_code, quartier_key ON CONFLICT (commune_code, name_key) DO NOTHING",
        )?;
        c.batch_execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_ops (landlord_id BIGINT NOT NULL, reference TEXT NOT NULL, label TEXT, commune_code TEXT NOT NULL,
                project_id BIGINT, programme_id BIGINT, quartier_id BIGINT, existing BOOLEAN NOT NULL, search_key TEXT NOT NULL,
                PRIMARY KEY (landlord_id, reference));
             TRUNCATE import_ops;
             INSERT INTO import_ops
             SELECT s.landlord_id, s.reference, s.label, s.commune_code, p.id, s.programme_id, q.id,
                    EXISTS (SELECT 1 FROM operations o WHERE o.landlord_id = s.landlord_id AND o.reference = s.reference), s.search_key
             FROM (SELECT landlord_id, reference, max(label COLLATE \"C\") AS label, max(commune_code COLLATE \"C\") AS commune_code,
                          max(project_key COLLATE \"C\") AS project_key, max(programme_id) AS programme_id, max(quartier_key COLLATE \"C\") AS quartier_key,
                          max(search_key COLLATE \"C\") AS search_key
                   FROM import_staging GROUP BY landlord_id, reference) s
             LEFT JOIN projects p ON p.name_key = s.project_key
             LEFT JOIN quartiers q ON q.commune_code = s.commune_code AND q.name_key = s.quartier_key;
             ANALYZE import_ops;",
        )
        .map_err(pg)?;
        c.batch_execute(query::TOTALS_BEFORE_MERGE).map_err(pg)?;
        stats.operations_created = one(c, "SELECT count(*) FROM import_ops WHERE NOT existing")?;
        let a = self.actor.clone();
        let at = now();
        let max_line: i64 = c
            .query_one("SELECT coalesce(max(id), 0) FROM operation_lines", &[])
            .map_err(pg)?
            .get(0);
        let audit = |c: &mut Client, template: &str| -> Result<u64> {
            let sql = audit_sql(template);
            let via = a.via.code();
            if template.contains("{p6}") {
                c.execute(
                    &sql,
                    &[
                        &at,
                        &a.user_id,
                        &a.name,
                        &a.organisation_id,
                        &via,
                        &max_line,
                    ],
                )
            } else {
                c.execute(&sql, &[&at, &a.user_id, &a.name, &a.organisation_id, &via])
            }
            .map_err(pg)
        };
        use logis_store::accounts::import_audit as ia;
        audit(c, ia::OPERATIONS_UPDATED)?;
        let touched_ops = exec(
            c,
            "INSERT INTO operations (landlord_id, reference, label, commune_code, project_id, programme_id, quartier_id, search_key)
             SELECT landlord_id, reference, label, commune_code, project_id, programme_id, quartier_id, search_key FROM import_ops ORDER BY landlord_id, reference
             ON CONFLICT (landlord_id, reference) DO UPDATE SET
                label = coalesce(excluded.label, operations.label), commune_code = excluded.commune_code,
                project_id = coalesce(excluded.project_id, operations.project_id),
                programme_id = coalesce(excluded.programme_id, operations.programme_id),
                quartier_id = coalesce(excluded.quartier_id, operations.quartier_id),
                search_key = CASE WHEN excluded.label IS NULL THEN operations.search_key ELSE excluded.search_key END
             WHERE operations.label IS DISTINCT FROM coalesce(excluded.label, operations.label)
                OR operations.commune_code IS DISTINCT FROM excluded.commune_code
                OR operations.project_id IS DISTINCT FROM coalesce(excluded.project_id, operations.project_id)
                OR operations.programme_id IS DISTINCT FROM coalesce(excluded.programme_id, operations.programme_id)
                OR operations.quartier_id IS DISTINCT FROM coalesce(excluded.quartier_id, operations.quartier_id)",
        )?;
        stats.operations_updated = touched_ops - stats.operations_created;
        audit(c, ia::OPERATIONS_CREATED)?;
        audit(c, ia::LINES_UPDATED)?;

        let existing_lines = one(
            c,
            "SELECT count(*) FROM import_staging s JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference
             JOIN operation_lines l ON l.operation_id = o.id AND l.nature = s.nature AND l.site = s.site AND l.product = s.product
                AND l.financing = s.financing AND l.year = s.year",
        )?;
        let touched_lines = exec(
            c,
            "INSERT INTO operation_lines (operation_id, nature, site, product, financing, year, dwellings, stage, stage_date, cost_cents)
             SELECT o.id, s.nature, s.site, s.product, s.financing, s.year, s.dwellings, s.stage, s.stage_date, s.cost_cents
             FROM import_staging s JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference ORDER BY s.row_no
             ON CONFLICT (operation_id, nature, site, product, financing, year) DO UPDATE SET
                dwellings = excluded.dwellings, stage = coalesce(excluded.stage, operation_lines.stage),
                stage_date = coalesce(excluded.stage_date, operation_lines.stage_date),
                cost_cents = coalesce(excluded.cost_cents, operation_lines.cost_cents)
             WHERE operation_lines.dwellings <> excluded.dwellings
                OR operation_lines.stage IS DISTINCT FROM coalesce(excluded.stage, operation_lines.stage)
                OR operation_lines.stage_date IS DISTINCT FROM coalesce(excluded.stage_date, operation_lines.stage_date)
                OR operation_lines.cost_cents IS DISTINCT FROM coalesce(excluded.cost_cents, operation_lines.cost_cents)",
        )?;
        audit(c, ia::LINES_CREATED)?;
        stats.lines_created = staged - existing_lines;
        // Fresh statistics before the next join: a large first import would otherwise be planned
        // as if the tables were still empty. Only for an import of a tenth of the lines held or
        // more: a small one leaves them as good as they were (autovacuum's analyze catches up),
        // and each ANALYZE reads a sample of its table (0.1 s or more at 1,000,000 lines).
        let held: f64 = c
            .query_one(
                "SELECT greatest(reltuples, 0)::float8 FROM pg_class WHERE oid = 'operation_lines'::regclass",
                &[],
            )
            .map_err(pg)?
            .get(0);
        let large = staged as f64 * 10.0 >= held;
        if large {
            c.batch_execute("ANALYZE operations; ANALYZE operation_lines;")
                .map_err(pg)?;
        }
        stats.lines_updated = touched_lines - stats.lines_created;
        stats.lines_unchanged = existing_lines - stats.lines_updated;

        exec(
            c,
            "INSERT INTO stage_events (line_id, stage, event_date)
             SELECT l.id, s.stage, s.stage_date FROM import_staging s
             JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference
             JOIN operation_lines l ON l.operation_id = o.id AND l.nature = s.nature AND l.site = s.site AND l.product = s.product
                AND l.financing = s.financing AND l.year = s.year
             WHERE s.stage IS NOT NULL AND s.stage_date IS NOT NULL
             ON CONFLICT (line_id, stage) DO UPDATE SET event_date = excluded.event_date
             WHERE stage_events.event_date IS DISTINCT FROM excluded.event_date",
        )?;
        record(
            c,
            &a,
            &Change::event(
                "import",
                at,
                "import",
                serde_json::to_value(&stats).unwrap_or_default(),
            ),
        )?;
        c.batch_execute(query::TOTALS_AFTER_MERGE).map_err(pg)?;
        c.batch_execute(logis_store::cube::sql::BUMP).map_err(pg)?;
        if large {
            c.batch_execute("ANALYZE line_totals").map_err(pg)?;
        }
        c.batch_execute("TRUNCATE import_staging; TRUNCATE import_ops;")
            .map_err(pg)?;
        Ok(stats)
    }

    fn rollback(&mut self) -> Result<()> {
        self.open = false;
        self.conn.batch_execute("ROLLBACK").map_err(pg)
    }
}

impl ImportSession for PgImport {
    fn stage(&mut self, row: u64, l: &LineDraft) -> Result<()> {
        let row_no = row.to_string();
        let landlord = l.op.landlord_id.to_string();
        let project_key = l.op.project.as_deref().map(name_key);
        let programme = l.op.programme_id.map(|p| p.to_string());
        let quartier_key = l.op.quartier.as_deref().map(name_key);
        let year = l.year.get().to_string();
        let dwellings = l.dwellings.get().to_string();
        let date = l.stage_date.map(|d| d.format("%Y-%m-%d").to_string());
        let cost = l.cost.map(|c| c.cents().to_string());
        let search_key = operation_search_key(&l.op.reference, l.op.label.as_deref());
        copy_row(
            &mut self.buf,
            &[
                Some(&row_no),
                Some(&landlord),
                Some(&l.op.reference),
                l.op.label.as_deref(),
                Some(l.op.commune.as_str()),
                l.op.project.as_deref(),
                project_key.as_deref(),
                programme.as_deref(),
                l.op.quartier.as_deref(),
                quartier_key.as_deref(),
                Some(l.nature.code()),
                Some(dim(l.site, Site::code)),
                Some(dim(l.product, Product::code)),
                Some(dim(l.financing, RehabFinancing::code)),
                Some(&year),
                Some(&dwellings),
                l.stage.map(Stage::code),
                date.as_deref(),
                cost.as_deref(),
                Some(&search_key),
            ],
        );
        self.staged += 1;
        if self.buf.len() >= COPY_BUFFER {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, commit: bool) -> Result<ImportOutcome> {
        let checked = self.flush().and_then(|()| self.check());
        let problems = match checked {
            Ok(p) => p,
            Err(e) => {
                self.rollback()?;
                return Err(e);
            }
        };
        // A clean check-only run merges too, then rolls back: its statistics say what the
        // import would change (the preview of the web import).
        if !problems.is_empty() {
            self.rollback()?;
            let stats = ImportStats {
                lines_read: self.staged,
                ..Default::default()
            };
            return Ok(ImportOutcome {
                problems,
                stats,
                committed: false,
            });
        }
        let stats = match self.merge() {
            Ok(s) => s,
            Err(e) => {
                self.rollback()?;
                return Err(e);
            }
        };
        if commit {
            self.conn.batch_execute("COMMIT").map_err(pg)?;
            self.open = false;
        } else {
            self.rollback()?;
        }
        Ok(ImportOutcome {
            problems,
            stats,
            committed: commit,
        })
    }
}

impl PostgresStore {
    /// The register in memory at its current version (`None` when turned off).
    fn cube(&self) -> Result<Option<std::sync::Arc<logis_store::cube::Cube>>> {
        let Some(cache) = &self.cube else {
            return Ok(None);
        };
        let version: i64 = self
            .conn()?
            .query_one(logis_store::cube::sql::VERSION, &[])
            .map_err(pg)?
            .get(0);
        cache.get(version, || self.read_cube()).map(Some)
    }

    /// The register in memory, read in one repeatable-read transaction (a consistent snapshot
    /// with its version), operations and lines fetched in batches.
    fn read_cube(&self) -> Result<logis_store::cube::Cube> {
        use logis_store::cube::{CubeBuilder, CubeOperation, sql};
        let geo = self.geography()?;
        let mut c = self.conn()?;
        let mut tx = snapshot_transaction(&mut c)?;
        let version: i64 = tx.query_one(sql::VERSION, &[]).map_err(pg)?.get(0);
        let mut b = CubeBuilder::new(version);
        for r in tx.query(sql::LANDLORDS, &[]).map_err(pg)? {
            b.landlord(r.get(0), r.get(1));
        }
        for r in tx.query(sql::PROGRAMMES, &[]).map_err(pg)? {
            b.programme(r.get(0), r.get(1));
        }
        for r in tx.query(sql::PROJECTS, &[]).map_err(pg)? {
            b.project(r.get(0), r.get(1));
        }
        for r in tx.query(sql::QUARTIERS, &[]).map_err(pg)? {
            b.quartier(r.get(0), r.get(1));
        }
        each_row(&mut tx, sql::OPERATIONS, &[], 20_000, &mut |r| {
            b.operation(CubeOperation {
                id: r.get(0),
                landlord_id: r.get(1),
                programme_id: r.get(2),
                project_id: r.get(3),
                quartier_id: r.get(4),
                commune_code: r.get(5),
                reference: r.get(6),
                label: r.get(7),
                search_key: r.get(8),
            });
            Ok(())
        })?;
        // The lines in two halves by id, the second read at the same time on a second
        // connection that takes this transaction's snapshot (`pg_export_snapshot`), when the
        // pool gives one soon; else after the first, in this transaction.
        let last: i64 = tx
            .query_one("SELECT coalesce(max(id), 0) FROM operation_lines", &[])
            .map_err(pg)?
            .get(0);
        let halves = usize::try_from(last).unwrap_or(0) >= logis_store::cube::shared_from();
        let middle = if halves { last / 2 } else { last };
        let second = if halves {
            let snapshot: String = tx
                .query_one("SELECT pg_export_snapshot()", &[])
                .map_err(pg)?
                .get(0);
            self.pool
                .get_timeout(std::time::Duration::from_millis(200))
                .ok()
                .map(|conn| (conn, snapshot))
        } else {
            None
        };
        let other = second.map(|(mut conn, snapshot)| {
            move |part: &mut logis_store::cube::CubeLines<'_>| -> Result<bool> {
                let mut tx = snapshot_transaction(&mut conn)?;
                tx.batch_execute(&format!(
                    "SET TRANSACTION SNAPSHOT '{}'",
                    snapshot.replace('\'', "''")
                ))
                .map_err(pg)?;
                read_lines(&mut tx, "id > $1", middle, part)?;
                Ok(true)
            }
        });
        b.read_lines(halves, other, |part, second| {
            let cond = if second { "id > $1" } else { "id <= $1" };
            read_lines(&mut tx, cond, middle, part)
        })?;
        tx.commit().map_err(pg)?;
        b.finish(&geo).map_err(be)
    }

    fn read_geography(&self) -> Result<Geography> {
        let mut c = self.conn()?;
        let communes = c
            .query("SELECT code, name, department, population, epci_siren FROM communes ORDER BY code COLLATE \"C\"", &[])
            .map_err(pg)?
            .iter()
            .map(commune_from_row)
            .collect::<Result<Vec<_>>>()?;
        let former = c
            .query("SELECT code, name, kind, current_code FROM former_communes ORDER BY code COLLATE \"C\", name COLLATE \"C\"", &[])
            .map_err(pg)?
            .iter()
            .map(|r| {
                let kind: &str = r.get(2);
                Ok(FormerCommune {
                    code: code(r.get(0))?,
                    name: r.get(1),
                    kind: decode(FormerKind::from_code(kind), "le type d'ancienne commune", kind)?,
                    current: code(r.get(3))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let epcis = c
            .query(
                "SELECT siren, name, kind FROM epcis ORDER BY siren COLLATE \"C\"",
                &[],
            )
            .map_err(pg)?
            .iter()
            .map(|r| {
                Ok(Epci {
                    siren: siren(r.get(0))?,
                    name: r.get(1),
                    kind: r.get(2),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Geography::new(communes, former, epcis))
    }
}

/// The lines of the cube's query (`logis_store::cube::sql::LINES`) whose id meets `cond`
/// (`id <= $1` or `id > $1`, `$1` being `at`), given to `part`.
fn read_lines(
    tx: &mut postgres::Transaction<'_>,
    cond: &str,
    at: i64,
    part: &mut logis_store::cube::CubeLines<'_>,
) -> Result<()> {
    use logis_store::cube::{CubeLine, sql};
    let query = format!("{} WHERE {cond}", sql::LINES);
    each_row(tx, &query, &[&at], 20_000, &mut |r| {
        part.line(CubeLine {
            operation_id: r.get(0),
            year: r.get(1),
            nature: r.get(2),
            site: r.get(3),
            product: r.get(4),
            financing: r.get(5),
            stage: r.get(6),
            dwellings: r.get(7),
            cost_cents: r.get(8),
        })
        .map_err(be)
    })?;
    Ok(())
}

/// A read-only transaction on one snapshot of the database (repeatable read).
fn snapshot_transaction(c: &mut Conn) -> Result<postgres::Transaction<'_>> {
    c.build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(pg)
}
