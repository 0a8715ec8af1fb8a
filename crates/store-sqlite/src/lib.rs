//! SQLite adapter of the logis store (the embedded default).
//!
//! One file, WAL journal, a small pool of connections. Imports stage lines in a temporary table
//! inside one `BEGIN IMMEDIATE` transaction, check the whole file in SQL, then merge with upserts.

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

fn be(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
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
        for m in MIGRATIONS {
            let done: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                    [m.version],
                    |r| r.get(0),
                )
                .map_err(be)?;
            if !done {
                tx.execute_batch(m.sql).map_err(|e| {
                    StoreError::Backend(format!("migration {} ({}) : {e}", m.version, m.name))
                })?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                    params![m.version, m.name],
                )
                .map_err(be)?;
            }
        }
        // Search keys of operations written before migration 6.
        let missing: Vec<(i64, String, Option<String>)> = {
            let mut st = tx
                .prepare("SELECT id, reference, label FROM operations WHERE search_key IS NULL")
                .map_err(be)?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(be)?
                .collect::<std::result::Result<_, _>>()
                .map_err(be)?
        };
        for (id, reference, label) in missing {
            tx.execute(
                "UPDATE operations SET search_key = ?1 WHERE id = ?2",
                params![operation_search_key(&reference, label.as_deref()), id],
            )
            .map_err(be)?;
        }
        tx.commit().map_err(be)
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

fn org_from_row(
    id: i64,
    kind: String,
    name: String,
    siren: Option<String>,
    commune: Option<String>,
) -> Result<Organisation> {
    Ok(Organisation {
        id,
        kind: decode(OrgKind::from_code(&kind), "le type d'organisation", &kind)?,
        name,
        siren: siren
            .map(|s| Siren::parse(&s).map_err(|e| StoreError::Backend(e.0)))
            .transpose()?,
        commune: commune
            .map(|c| CommuneCode::parse(&c).map_err(|e| StoreError::Backend(e.0)))
            .transpose()?,
    })
}

/// Record one change in the audit trail, on the transaction making it (and count the write:
/// see [`Store::data_stamp`]).
fn record(c: &Connection, actor: &Actor, ch: &Change<'_>) -> Result<()> {
    c.execute(logis_store::cube::sql::COUNT_WRITE, [])
        .map_err(be)?;
    c.execute(
        "INSERT INTO audit_log (at, user_id, user_name, organisation_id, via, entity, entity_id, operation_id, action, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            now(),
            actor.user_id,
            actor.name,
            actor.organisation_id,
            actor.via.code(),
            ch.entity,
            ch.entity_id,
            ch.operation_id,
            ch.action,
            ch.before_text(),
            ch.after_text()
        ],
    )
    .map(|_| ())
    .map_err(be)
}

/// The columns of a [`User`], in the order [`user_from_row`] reads them.
const USER_COLUMNS: &str =
    "u.id, u.login, u.display_name, u.role, u.organisation_id, org.name, org.commune_code,
    u.disabled_at IS NOT NULL, u.password_hash IS NOT NULL, u.created_at";
const USER_FROM: &str = "FROM users u LEFT JOIN organisations org ON org.id = u.organisation_id";

fn user_from_row(r: &rusqlite::Row<'_>) -> Result<User> {
    let role: String = r.get(3).map_err(be)?;
    let commune: Option<String> = r.get(6).map_err(be)?;
    Ok(User {
        id: r.get(0).map_err(be)?,
        login: r.get(1).map_err(be)?,
        display_name: r.get(2).map_err(be)?,
        role: decode(Role::from_code(&role), "le rôle", &role)?,
        organisation_id: r.get(4).map_err(be)?,
        organisation: r.get(5).map_err(be)?,
        commune: commune
            .map(|c| CommuneCode::parse(&c).map_err(|e| StoreError::Backend(e.0)))
            .transpose()?,
        disabled: r.get(7).map_err(be)?,
        has_password: r.get(8).map_err(be)?,
        created_at: r.get(9).map_err(be)?,
    })
}

fn token_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        prefix: r.get(3)?,
        created_at: r.get(4)?,
        last_used_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}

fn opt_dim<T>(s: &str, from: fn(&str) -> Option<T>, what: &str) -> Result<Option<T>> {
    if s.is_empty() {
        Ok(None)
    } else {
        decode(from(s), what, s).map(Some)
    }
}

fn line_from_row(r: &rusqlite::Row<'_>) -> Result<LineRecord> {
    let g = |e: rusqlite::Error| be(e);
    let nature: String = r.get(11).map_err(g)?;
    let site: String = r.get(12).map_err(g)?;
    let product: String = r.get(13).map_err(g)?;
    let financing: String = r.get(14).map_err(g)?;
    let stage: Option<String> = r.get(17).map_err(g)?;
    let commune: String = r.get(5).map_err(g)?;
    Ok(LineRecord {
        line_id: r.get(0).map_err(g)?,
        operation_id: r.get(1).map_err(g)?,
        landlord: r.get(2).map_err(g)?,
        landlord_siren: r.get(3).map_err(g)?,
        reference: r.get(4).map_err(g)?,
        commune: CommuneCode::parse(&commune).map_err(|e| StoreError::Backend(e.0))?,
        commune_name: r.get(6).map_err(g)?,
        project: r.get(7).map_err(g)?,
        programme: r.get(8).map_err(g)?,
        quartier: r.get(9).map_err(g)?,
        label: r.get(10).map_err(g)?,
        nature: decode(Nature::from_code(&nature), "la nature", &nature)?,
        site: opt_dim(&site, Site::from_code, "le site")?,
        product: opt_dim(&product, Product::from_code, "le produit")?,
        financing: opt_dim(&financing, RehabFinancing::from_code, "le financement")?,
        dwellings: r.get(15).map_err(g)?,
        year: r.get(16).map_err(g)?,
        stage: stage
            .as_deref()
            .map(|s| decode(Stage::from_code(s), "le stade", s))
            .transpose()?,
        stage_date: parse_date(r.get(18).map_err(g)?)?,
        cost_cents: r.get(19).map_err(g)?,
    })
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn reference_loaded(&self) -> Result<bool> {
        self.conn()?
            .query_row("SELECT EXISTS (SELECT 1 FROM communes)", [], |r| r.get(0))
            .map_err(be)
    }

    fn load_reference(&self, actor: &Actor, data: &ReferenceData) -> Result<()> {
        self.geo.clear();
        let mut c = self.conn()?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        // Reference rows are replaced, never deleted while used: communes are upserted.
        tx.execute_batch("DELETE FROM former_communes; DELETE FROM departments;")
            .map_err(be)?;
        {
            let mut st = tx
                .prepare("INSERT INTO departments (code, name, region) VALUES (?1, ?2, ?3)")
                .map_err(be)?;
            for (code, name, region) in &data.departments {
                st.execute(params![code, name, region]).map_err(be)?;
            }
            let mut st = tx
                .prepare("INSERT INTO epcis (siren, name, name_key, kind) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (siren) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, kind = excluded.kind")
                .map_err(be)?;
            for e in &data.epcis {
                st.execute(params![e.siren.as_str(), e.name, name_key(&e.name), e.kind])
                    .map_err(be)?;
            }
            let mut st = tx
                .prepare(
                    "INSERT INTO communes (code, name, name_key, department, population, epci_siren) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, department = excluded.department,
                       population = excluded.population, epci_siren = excluded.epci_siren",
                )
                .map_err(be)?;
            for cm in &data.communes {
                st.execute(params![
                    cm.code.as_str(),
                    cm.name,
                    name_key(&cm.name),
                    cm.department,
                    cm.population,
                    cm.epci.as_ref().map(Siren::as_str)
                ])
                .map_err(be)?;
            }
            let mut st = tx
                .prepare("INSERT OR IGNORE INTO former_communes (code, name, name_key, kind, current_code) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(be)?;
            for f in &data.former {
                st.execute(params![
                    f.code.as_str(),
                    f.name,
                    name_key(&f.name),
                    f.kind.code(),
                    f.current.as_str()
                ])
                .map_err(be)?;
            }
        }
        record(
            &tx,
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
        tx.execute_batch(logis_store::cube::sql::BUMP).map_err(be)?;
        tx.commit().map_err(be)
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
            text.trim().to_ascii_uppercase().replace(['%', '_'], "")
        );
        let c = self.conn()?;
        let mut st = c
            .prepare(
                "SELECT code, name, department, population, epci_siren FROM communes
                 WHERE (?1 <> '' AND instr(name_key, ?1) > 0) OR code LIKE ?2
                 ORDER BY (name_key = ?1) DESC, (substr(name_key, 1, length(?1)) = ?1) DESC, population DESC, code LIMIT ?3",
            )
            .map_err(be)?;
        let rows = st
            .query_map(params![key, code_prefix, limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<u32>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(be)?;
        let mut out = Vec::new();
        for row in rows {
            let (code, name, department, population, epci) = row.map_err(be)?;
            out.push(Commune {
                code: CommuneCode::parse(&code).map_err(|e| StoreError::Backend(e.0))?,
                name,
                department,
                population,
                epci: epci.and_then(|s| Siren::parse(&s).ok()),
            });
        }
        Ok(out)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.conn()?
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(be)
    }

    fn set_setting(&self, actor: &Actor, key: &str, value: &str) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let before: Option<String> = tx
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(be)?;
        if before.as_deref() == Some(value) {
            return Ok(());
        }
        tx.execute("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])
            .map_err(be)?;
        record(
            &tx,
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
        tx.commit().map_err(be)
    }

    fn add_organisation(&self, actor: &Actor, org: &NewOrganisation) -> Result<Organisation> {
        let name = org.name.trim();
        if name.is_empty() || name_key(name).is_empty() {
            return Err(StoreError::Invalid(
                "le nom de l'organisation est obligatoire".into(),
            ));
        }
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let res = tx.query_row(
            "INSERT INTO organisations (kind, name, name_key, siren, commune_code) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            params![org.kind.code(), name, name_key(name), org.siren.as_ref().map(Siren::as_str), org.commune.as_ref().map(CommuneCode::as_str)],
            |r| r.get::<_, i64>(0),
        );
        match res {
            Ok(id) => {
                let o = Organisation {
                    id,
                    kind: org.kind,
                    name: name.to_string(),
                    siren: org.siren.clone(),
                    commune: org.commune.clone(),
                };
                record(&tx, actor, &Change::created("organisation", id, None, &o))?;
                tx.commit().map_err(be)?;
                Ok(o)
            }
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                Err(StoreError::Invalid(
                    "commune inconnue pour cette organisation".into(),
                ))
            }
            Err(e) if unique_violation(&e) => Err(StoreError::Conflict(format!(
                "une organisation de type « {} » nommée « {name} » ou avec ce SIREN existe déjà",
                org.kind.label()
            ))),
            Err(e) => Err(be(e)),
        }
    }

    fn organisations(&self) -> Result<Vec<Organisation>> {
        let c = self.conn()?;
        let mut st = c
            .prepare("SELECT id, kind, name, siren, commune_code FROM organisations ORDER BY kind, name_key")
            .map_err(be)?;
        let rows = st
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .map_err(be)?;
        rows.map(|r| {
            r.map_err(be)
                .and_then(|(a, b, c, d, e)| org_from_row(a, b, c, d, e))
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
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let res = tx.query_row(
            "INSERT INTO programmes (name, name_key, description, start_year, end_year, epci_siren) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            params![name, name_key(name), p.description, p.start_year.map(Year::get), p.end_year.map(Year::get), p.epci.as_ref().map(Siren::as_str)],
            |r| r.get::<_, i64>(0),
        );
        match res {
            Ok(id) => {
                let prog = Programme {
                    id,
                    name: name.into(),
                    description: p.description.clone(),
                    start_year: p.start_year,
                    end_year: p.end_year,
                    epci: p.epci.clone(),
                };
                record(&tx, actor, &Change::created("programme", id, None, &prog))?;
                tx.commit().map_err(be)?;
                Ok(prog)
            }
            Err(e) if unique_violation(&e) => Err(StoreError::Conflict(format!(
                "un programme nommé « {name} » existe déjà"
            ))),
            Err(e) => Err(be(e)),
        }
    }

    fn programmes(&self) -> Result<Vec<Programme>> {
        let c = self.conn()?;
        let mut st = c.prepare("SELECT id, name, description, start_year, end_year, epci_siren FROM programmes ORDER BY name_key").map_err(be)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (id, name, description, a, b, epci) = r.map_err(be)?;
            Ok(Programme {
                id,
                name,
                description,
                start_year: opt_year(a)?,
                end_year: opt_year(b)?,
                epci: epci.and_then(|s| Siren::parse(&s).ok()),
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
        let tx = c.transaction().map_err(be)?;
        let res = tx.query_row(
            "INSERT INTO projects (name, name_key, kind, programme_id) VALUES (?1, ?2, ?3, ?4) RETURNING id",
            params![name, name_key(name), kind.code(), programme_id],
            |r| r.get::<_, i64>(0),
        );
        match res {
            Ok(id) => {
                let pr = Project {
                    id,
                    name: name.into(),
                    kind,
                    programme_id,
                };
                record(&tx, actor, &Change::created("projet", id, None, &pr))?;
                tx.commit().map_err(be)?;
                Ok(pr)
            }
            Err(e) if unique_violation(&e) => Err(StoreError::Conflict(format!(
                "un projet nommé « {name} » existe déjà"
            ))),
            Err(e) => Err(be(e)),
        }
    }

    fn projects(&self) -> Result<Vec<Project>> {
        let c = self.conn()?;
        let mut st = c
            .prepare("SELECT id, name, kind, programme_id FROM projects ORDER BY name_key")
            .map_err(be)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (id, name, kind, programme_id) = r.map_err(be)?;
            Ok(Project {
                id,
                name,
                kind: decode(ProjectKind::from_code(&kind), "le type de projet", &kind)?,
                programme_id,
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
        let tx = c.transaction().map_err(be)?;
        let res = tx.query_row(
            "INSERT INTO quartiers (name, name_key, kind, commune_code) VALUES (?1, ?2, ?3, ?4) RETURNING id",
            params![name, name_key(name), kind.code(), commune.as_str()],
            |r| r.get::<_, i64>(0),
        );
        match res {
            Ok(id) => {
                let q = Quartier {
                    id,
                    name: name.into(),
                    kind,
                    commune: commune.clone(),
                };
                record(&tx, actor, &Change::created("quartier", id, None, &q))?;
                tx.commit().map_err(be)?;
                Ok(q)
            }
            Err(e) if unique_violation(&e) => Err(StoreError::Conflict(format!(
                "le quartier « {name} » existe déjà dans la commune {commune}"
            ))),
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                Err(StoreError::Invalid(format!(
                    "commune inconnue « {commune} »"
                )))
            }
            Err(e) => Err(be(e)),
        }
    }

    fn quartiers(&self) -> Result<Vec<Quartier>> {
        let c = self.conn()?;
        let mut st = c.prepare("SELECT id, name, kind, commune_code FROM quartiers ORDER BY commune_code, name_key").map_err(be)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (id, name, kind, commune) = r.map_err(be)?;
            Ok(Quartier {
                id,
                name,
                kind: decode(QuartierKind::from_code(&kind), "le type de quartier", &kind)?,
                commune: CommuneCode::parse(&commune).map_err(|e| StoreError::Backend(e.0))?,
            })
        })
        .collect()
    }

    fn begin_import(&self, actor: &Actor) -> Result<Box<dyn ImportSession + '_>> {
        let conn = self.conn()?;
        conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_staging (
                row_no INTEGER NOT NULL, landlord_id INTEGER NOT NULL, reference TEXT NOT NULL, label TEXT, commune_code TEXT NOT NULL,
                project TEXT, project_key TEXT, programme_id INTEGER, quartier TEXT, quartier_key TEXT,
                nature TEXT NOT NULL, site TEXT NOT NULL, product TEXT NOT NULL, financing TEXT NOT NULL, year INTEGER NOT NULL,
                dwellings INTEGER NOT NULL, stage TEXT, stage_date TEXT, cost_cents INTEGER, search_key TEXT NOT NULL);
             DELETE FROM import_staging;
             BEGIN IMMEDIATE;",
        )
        .map_err(be)?;
        Ok(Box::new(SqliteImport {
            conn,
            open: true,
            staged: 0,
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
        let c = self.conn()?;
        let mut params = Vec::new();
        let where_ = query::where_clause(f, DIALECT, &mut params);
        let order = query::line_order(f, DIALECT);
        params.push(SqlParam::Int(f.limit.map(|l| l as i64).unwrap_or(-1)));
        params.push(SqlParam::Int(f.offset.unwrap_or(0) as i64));
        let n = params.len();
        let sql = format!(
            "SELECT {} {} {where_} {order} LIMIT ?{} OFFSET ?{n}",
            query::LINE_COLUMNS,
            query::LINE_FROM,
            n - 1
        );
        let mut st = c.prepare(&sql).map_err(be)?;
        let mut rows = st
            .query(rusqlite::params_from_iter(values(params)))
            .map_err(be)?;
        let mut n = 0;
        while let Some(r) = rows.next().map_err(be)? {
            sink(line_from_row(r)?)?;
            n += 1;
        }
        Ok(n)
    }

    fn count_lines(&self, f: &LineFilter) -> Result<u64> {
        let c = self.conn()?;
        let mut params = Vec::new();
        let where_ = query::where_clause(f, DIALECT, &mut params);
        let sql = format!("SELECT count(*) {} {where_}", query::LINE_FROM);
        c.query_row(&sql, rusqlite::params_from_iter(values(params)), |r| {
            u(r, 0)
        })
        .map_err(be)
    }

    fn funding_rows(&self, f: &LineFilter) -> Result<Vec<logis_store::FundingRow>> {
        let c = self.conn()?;
        let mut params = Vec::new();
        let sql = query::funding_sql(f, DIALECT, &mut params);
        let mut st = c.prepare(&sql).map_err(be)?;
        let mut rows = st
            .query(rusqlite::params_from_iter(values(params)))
            .map_err(be)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(be)? {
            let kind: String = r.get(1).map_err(be)?;
            out.push(logis_store::FundingRow {
                operation_id: r.get(0).map_err(be)?,
                kind: decode(
                    FundingKind::from_code(&kind),
                    "le type de financement",
                    &kind,
                )?,
                source: r.get(2).map_err(be)?,
                label: r.get(3).map_err(be)?,
                amount_cents: r.get(4).map_err(be)?,
            });
        }
        Ok(out)
    }

    fn set_targets(&self, actor: &Actor, programme_id: i64, t: &Targets) -> Result<()> {
        let before = self.targets(programme_id)?;
        let mut c = self.conn()?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        let exists: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM programmes WHERE id = ?1)",
                [programme_id],
                |r| r.get(0),
            )
            .map_err(be)?;
        if !exists {
            return Err(StoreError::NotFound(format!(
                "programme {programme_id} introuvable"
            )));
        }
        tx.execute(
            "DELETE FROM programme_targets WHERE programme_id = ?1",
            [programme_id],
        )
        .map_err(be)?;
        tx.execute(
            "INSERT INTO programme_targets (programme_id, scope, total, first_year, last_year, social_percent, band_min, band_max)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                programme_id,
                t.scope.code(),
                t.total.map(|v| v as i64),
                t.first_year,
                t.last_year,
                t.social_percent,
                t.annual_band.map(|b| b.0 as i64),
                t.annual_band.map(|b| b.1 as i64)
            ],
        )
        .map_err(be)?;
        for sp in &t.splits {
            tx.execute(
                "INSERT INTO programme_target_splits (programme_id, dimension, key, label, dwellings) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![programme_id, sp.dimension.code(), sp.key, sp.label, sp.dwellings as i64],
            )
            .map_err(|e| if unique_violation(&e) { StoreError::Invalid(format!("répartition « {} » donnée deux fois", sp.label)) } else { be(e) })?;
        }
        record(
            &tx,
            actor,
            &Change::replaced("objectifs", programme_id, None, before.as_ref(), t),
        )?;
        tx.commit().map_err(be)
    }

    fn targets(&self, programme_id: i64) -> Result<Option<Targets>> {
        let c = self.conn()?;
        let row = c
            .query_row(
                "SELECT scope, total, first_year, last_year, social_percent, band_min, band_max FROM programme_targets WHERE programme_id = ?1",
                [programme_id],
                |r| {
                    Ok(logis_store::TargetRow {
                        scope: r.get(0)?,
                        total: r.get(1)?,
                        first_year: r.get(2)?,
                        last_year: r.get(3)?,
                        social_percent: r.get(4)?,
                        band_min: r.get(5)?,
                        band_max: r.get(6)?,
                    })
                },
            )
            .optional()
            .map_err(be)?;
        let Some(row) = row else { return Ok(None) };
        let mut st = c.prepare("SELECT dimension, key, label, dwellings FROM programme_target_splits WHERE programme_id = ?1 ORDER BY id").map_err(be)?;
        let splits = st
            .query_map([programme_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(be)?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(be)?;
        logis_store::targets_from_rows(row, splits).map(Some)
    }

    fn register_in_memory(&self) -> Result<Option<std::sync::Arc<logis_store::cube::Cube>>> {
        self.cube()
    }

    fn data_stamp(&self) -> Result<(i64, i64)> {
        self.conn()?
            .query_row(logis_store::cube::sql::STAMP, [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(be)
    }

    fn aggregate_in_database(&self, f: &LineFilter, dims: &[Dim]) -> Result<Vec<AggRow>> {
        let c = self.conn()?;
        let mut params = Vec::new();
        let sql = query::aggregate_sql(f, dims, DIALECT, &mut params);
        let mut st = c.prepare(&sql).map_err(be)?;
        let mut rows = st
            .query(rusqlite::params_from_iter(values(params)))
            .map_err(be)?;
        let k = dims.len();
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(be)? {
            let mut keys = query::Keys::with_capacity(k);
            for i in 0..k {
                keys.push(r.get_ref(i).map_err(be)?.as_str().map_err(be)?.into());
            }
            out.push(AggRow {
                keys,
                dwellings: r.get(k).map_err(be)?,
                lines: r.get(k + 1).map_err(be)?,
                cost_cents: r.get(k + 2).map_err(be)?,
            });
        }
        Ok(out)
    }

    fn operation_id(&self, landlord_id: i64, reference: &str) -> Result<Option<i64>> {
        self.conn()?
            .query_row(
                "SELECT id FROM operations WHERE landlord_id = ?1 AND reference = ?2",
                params![landlord_id, reference],
                |r| r.get(0),
            )
            .optional()
            .map_err(be)
    }

    fn set_financing_plan(
        &self,
        actor: &Actor,
        operation_id: i64,
        items: &[FundingItem],
    ) -> Result<()> {
        let before = self.financing_plan(operation_id)?;
        let mut c = self.conn()?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        let exists: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM operations WHERE id = ?1)",
                [operation_id],
                |r| r.get(0),
            )
            .map_err(be)?;
        if !exists {
            return Err(StoreError::NotFound(format!(
                "opération {operation_id} introuvable"
            )));
        }
        tx.execute(
            "DELETE FROM funding_items WHERE operation_id = ?1",
            [operation_id],
        )
        .map_err(be)?;
        {
            let mut st = tx
                .prepare("INSERT INTO funding_items (operation_id, position, kind, source_id, label, amount_cents) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .map_err(be)?;
            for (i, it) in items.iter().enumerate() {
                if it.amount_cents < 0 {
                    return Err(StoreError::Invalid(
                        "montant négatif refusé dans le plan de financement".into(),
                    ));
                }
                st.execute(params![
                    operation_id,
                    i as i64,
                    it.kind.code(),
                    it.source_id,
                    it.label,
                    it.amount_cents
                ])
                .map_err(|e| match &e {
                    rusqlite::Error::SqliteFailure(f, _)
                        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
                    {
                        StoreError::Invalid("financeur inconnu dans le plan de financement".into())
                    }
                    _ => be(e),
                })?;
            }
        }
        let before = (!before.is_empty()).then_some(before);
        record(
            &tx,
            actor,
            &Change::replaced(
                "plan_financement",
                operation_id,
                Some(operation_id),
                before.as_ref(),
                &items,
            ),
        )?;
        tx.commit().map_err(be)
    }

    fn financing_plan(&self, operation_id: i64) -> Result<Vec<FundingItem>> {
        let c = self.conn()?;
        let mut st = c.prepare("SELECT kind, source_id, label, amount_cents FROM funding_items WHERE operation_id = ?1 ORDER BY position").map_err(be)?;
        let rows = st
            .query_map([operation_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (kind, source_id, label, amount_cents) = r.map_err(be)?;
            Ok(FundingItem {
                kind: decode(
                    FundingKind::from_code(&kind),
                    "le type de financement",
                    &kind,
                )?,
                source_id,
                label,
                amount_cents,
            })
        })
        .collect()
    }

    fn stage_events(&self, line_id: i64) -> Result<Vec<(Stage, NaiveDate)>> {
        let c = self.conn()?;
        let mut st = c.prepare("SELECT stage, event_date FROM stage_events WHERE line_id = ?1 ORDER BY event_date, stage").map_err(be)?;
        let rows = st
            .query_map([line_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (s, d) = r.map_err(be)?;
            Ok((
                decode(Stage::from_code(&s), "le stade", &s)?,
                decode(parse_date(Some(d.clone()))?, "la date", &d)?,
            ))
        })
        .collect()
    }

    fn summary(&self) -> Result<Summary> {
        let cube = self.cube()?;
        let c = self.conn()?;
        let three = |sql: &str| -> Result<[u64; 3]> {
            c.query_row(sql, [], |r| Ok([u(r, 0)?, u(r, 1)?, u(r, 2)?]))
                .map_err(be)
        };
        let reference = three(query::SUMMARY_REFERENCE)?;
        let register = match cube {
            Some(cube) => cube.counts(),
            None => three(query::SUMMARY_REGISTER)?,
        };
        Ok(Summary {
            communes: reference[0],
            organisations: reference[1],
            programmes: reference[2],
            operations: register[0],
            lines: register[1],
            dwellings: register[2],
        })
    }

    fn totals_by_landlord_nature(&self) -> Result<Vec<NatureTotal>> {
        let c = self.conn()?;
        let mut st = c
            .prepare(
                "SELECT org.name, l.nature, sum(l.dwellings), count(*) FROM operation_lines l JOIN operations o ON o.id = l.operation_id
                 JOIN organisations org ON org.id = o.landlord_id GROUP BY org.name, l.nature ORDER BY org.name, l.nature",
            )
            .map_err(be)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    u(r, 2)?,
                    u(r, 3)?,
                ))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (landlord, nature, dwellings, lines) = r.map_err(be)?;
            Ok(NatureTotal {
                landlord,
                nature: decode(Nature::from_code(&nature), "la nature", &nature)?,
                dwellings,
                lines,
            })
        })
        .collect()
    }
    fn operations(&self, ids: &[i64]) -> Result<Vec<OperationRecord>> {
        let c = self.conn()?;
        let mut st = c.prepare(&query::operation_heads_sql(ids)).map_err(be)?;
        let mut rows = st.query([]).map_err(be)?;
        let mut out = Vec::with_capacity(ids.len());
        while let Some(r) = rows.next().map_err(be)? {
            let commune: String = r.get(5).map_err(be)?;
            out.push(OperationRecord {
                id: r.get(0).map_err(be)?,
                landlord_id: r.get(1).map_err(be)?,
                landlord: r.get(2).map_err(be)?,
                reference: r.get(3).map_err(be)?,
                label: r.get(4).map_err(be)?,
                commune: CommuneCode::parse(&commune).map_err(|e| StoreError::Backend(e.0))?,
                commune_name: r.get(6).map_err(be)?,
                project: r.get(7).map_err(be)?,
                programme: r.get(8).map_err(be)?,
                quartier: r.get(9).map_err(be)?,
            });
        }
        Ok(out)
    }

    fn add_user(&self, actor: &Actor, u: &NewUser) -> Result<User> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let res = tx.query_row(
            "INSERT INTO users (login, display_name, role, organisation_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            params![u.login, u.display_name, u.role.code(), u.organisation_id, now()],
            |r| r.get::<_, i64>(0),
        );
        let id = match res {
            Ok(id) => id,
            Err(e) if unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "un compte « {} » existe déjà",
                    u.login
                )));
            }
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                return Err(StoreError::Invalid("organisation inconnue".into()));
            }
            Err(e) => return Err(be(e)),
        };
        let user = tx
            .query_row(
                &format!("SELECT {USER_COLUMNS} {USER_FROM} WHERE u.id = ?1"),
                [id],
                |r| Ok(user_from_row(r)),
            )
            .map_err(be)??;
        record(&tx, actor, &Change::created("utilisateur", id, None, &user))?;
        tx.commit().map_err(be)?;
        Ok(user)
    }

    fn users(&self) -> Result<Vec<User>> {
        let c = self.conn()?;
        let mut st = c
            .prepare(&format!(
                "SELECT {USER_COLUMNS} {USER_FROM} ORDER BY u.login"
            ))
            .map_err(be)?;
        let rows = st.query_map([], |r| Ok(user_from_row(r))).map_err(be)?;
        rows.map(|r| r.map_err(be)?).collect()
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        let c = self.conn()?;
        c.query_row(
            &format!("SELECT {USER_COLUMNS} {USER_FROM} WHERE u.id = ?1"),
            [id],
            |r| Ok(user_from_row(r)),
        )
        .optional()
        .map_err(be)?
        .transpose()
    }

    fn user_credentials(&self, login: &str) -> Result<Option<(User, Option<String>)>> {
        let c = self.conn()?;
        c.query_row(
            &format!("SELECT {USER_COLUMNS}, u.password_hash {USER_FROM} WHERE u.login = ?1"),
            [login],
            |r| {
                Ok(user_from_row(r)
                    .and_then(|u| Ok((u, r.get::<_, Option<String>>(10).map_err(be)?))))
            },
        )
        .optional()
        .map_err(be)?
        .transpose()
    }

    fn set_user_disabled(&self, actor: &Actor, user_id: i64, disabled: bool) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let n = tx
            .execute(
                "UPDATE users SET disabled_at = CASE WHEN ?2 THEN coalesce(disabled_at, ?3) ELSE NULL END WHERE id = ?1",
                params![user_id, disabled, now()],
            )
            .map_err(be)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "compte {user_id} introuvable"
            )));
        }
        if disabled {
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])
                .map_err(be)?;
        }
        record(
            &tx,
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
        tx.commit().map_err(be)
    }

    fn set_password(&self, actor: &Actor, user_id: i64, hash: &str) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let n = tx
            .execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![user_id, hash],
            )
            .map_err(be)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "compte {user_id} introuvable"
            )));
        }
        tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])
            .map_err(be)?;
        record(
            &tx,
            actor,
            &Change::event(
                "utilisateur",
                user_id,
                "mot_de_passe",
                serde_json::json!({ "mot_de_passe": "changé" }),
            ),
        )?;
        tx.commit().map_err(be)
    }

    fn add_password_reset(
        &self,
        actor: &Actor,
        user_id: i64,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        // One valid link per account: older ones stop working.
        tx.execute(
            "UPDATE password_resets SET used_at = ?2 WHERE user_id = ?1 AND used_at IS NULL",
            params![user_id, now()],
        )
        .map_err(be)?;
        tx.execute(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, user_id, now(), expires_at],
        )
        .map_err(|e| match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                StoreError::NotFound(format!("compte {user_id} introuvable"))
            }
            _ => be(e),
        })?;
        record(
            &tx,
            actor,
            &Change::event(
                "utilisateur",
                user_id,
                "lien_reinitialisation",
                serde_json::json!({ "expire": expires_at }),
            ),
        )?;
        tx.commit().map_err(be)
    }

    fn use_password_reset(&self, token_hash: &str, new_hash: &str) -> Result<Option<User>> {
        let mut c = self.conn()?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        let t = now();
        let user_id: Option<i64> = tx
            .query_row(
                "UPDATE password_resets SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2 RETURNING user_id",
                params![token_hash, t],
                |r| r.get(0),
            )
            .optional()
            .map_err(be)?;
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        let user = tx
            .query_row(
                &format!(
                    "SELECT {USER_COLUMNS} {USER_FROM} WHERE u.id = ?1 AND u.disabled_at IS NULL"
                ),
                [user_id],
                |r| Ok(user_from_row(r)),
            )
            .optional()
            .map_err(be)?
            .transpose()?;
        let Some(user) = user else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            params![user_id, new_hash],
        )
        .map_err(be)?;
        tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])
            .map_err(be)?;
        let actor = Actor {
            user_id: Some(user.id),
            name: user.login.clone(),
            organisation_id: user.organisation_id,
            via: logis_store::Via::Web,
        };
        record(
            &tx,
            &actor,
            &Change::event(
                "utilisateur",
                user_id,
                "mot_de_passe",
                serde_json::json!({ "mot_de_passe": "choisi par lien" }),
            ),
        )?;
        tx.commit().map_err(be)?;
        Ok(Some(user))
    }

    fn record_login(&self, login: &str, address: &str, success: bool) -> Result<()> {
        let c = self.conn()?;
        let t = now();
        c.execute(
            "INSERT INTO login_attempts (login, address, at, success) VALUES (?1, ?2, ?3, ?4)",
            params![login, address, t, i64::from(success)],
        )
        .map_err(be)?;
        // Attempts older than a day are of no use to throttling.
        c.execute("DELETE FROM login_attempts WHERE at < ?1", [t - 86_400])
            .map_err(be)?;
        Ok(())
    }

    fn recent_failures(&self, login: &str, address: &str, since: i64) -> Result<(u64, u64)> {
        let c = self.conn()?;
        c.query_row(
            "SELECT (SELECT count(*) FROM login_attempts WHERE login = ?1 AND at >= ?3 AND success = 0),
                    (SELECT count(*) FROM login_attempts WHERE address = ?2 AND at >= ?3 AND success = 0)",
            params![login, address, since],
            |r| Ok((u(r, 0)?, u(r, 1)?)),
        )
        .map_err(be)
    }

    fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()> {
        let c = self.conn()?;
        let t = now();
        c.execute("DELETE FROM sessions WHERE expires_at <= ?1", [t])
            .map_err(be)?;
        c.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash, user_id, csrf, t, expires_at],
        )
        .map(|_| ())
        .map_err(be)
    }

    fn session_user(&self, token_hash: &str) -> Result<Option<(User, String)>> {
        let c = self.conn()?;
        c.query_row(
            &format!(
                "SELECT {USER_COLUMNS}, s.csrf_token {USER_FROM} JOIN sessions s ON s.user_id = u.id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled_at IS NULL"
            ),
            params![token_hash, now()],
            |r| Ok(user_from_row(r).and_then(|u| Ok((u, r.get::<_, String>(10).map_err(be)?)))),
        )
        .optional()
        .map_err(be)?
        .transpose()
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.conn()?
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .map(|_| ())
            .map_err(be)
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
        let tx = c.transaction().map_err(be)?;
        let token = tx
            .query_row(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 RETURNING id, user_id, name, prefix, created_at, last_used_at, revoked_at",
                params![user_id, name, token_hash, prefix, now()],
                token_from_row,
            )
            .map_err(be)?;
        record(
            &tx,
            actor,
            &Change::created("jeton_api", token.id, None, &token),
        )?;
        tx.commit().map_err(be)?;
        Ok(token)
    }

    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let c = self.conn()?;
        let mut st = c
            .prepare(
                "SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens
                 WHERE user_id = ?1 ORDER BY id",
            )
            .map_err(be)?;
        let rows = st.query_map([user_id], token_from_row).map_err(be)?;
        rows.map(|r| r.map_err(be)).collect()
    }

    fn revoke_api_token(&self, actor: &Actor, user_id: i64, token_id: i64) -> Result<bool> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let n = tx
            .execute(
                "UPDATE api_tokens SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
                params![token_id, user_id, now()],
            )
            .map_err(be)?;
        if n == 0 {
            return Ok(false);
        }
        record(
            &tx,
            actor,
            &Change::event(
                "jeton_api",
                token_id,
                "revocation",
                serde_json::json!({ "revoque": true }),
            ),
        )?;
        tx.commit().map_err(be)?;
        Ok(true)
    }

    fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let c = self.conn()?;
        let found = c
            .query_row(
                &format!(
                    "SELECT {USER_COLUMNS}, t.id {USER_FROM} JOIN api_tokens t ON t.user_id = u.id
                     WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL"
                ),
                [token_hash],
                |r| Ok(user_from_row(r).and_then(|u| Ok((u, r.get::<_, i64>(10).map_err(be)?)))),
            )
            .optional()
            .map_err(be)?
            .transpose()?;
        let Some((user, token_id)) = found else {
            return Ok(None);
        };
        c.execute(
            "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2 - 60)",
            params![token_id, now()],
        )
        .map_err(be)?;
        Ok(Some(user))
    }

    fn audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let c = self.conn()?;
        let (sql, params) = logis_store::accounts::audit_query(f, DIALECT);
        let mut st = c.prepare(&sql).map_err(be)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(values(params)), |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    user_id: r.get(2)?,
                    user_name: r.get(3)?,
                    organisation_id: r.get(4)?,
                    via: r.get(5)?,
                    entity: r.get(6)?,
                    entity_id: r.get(7)?,
                    operation_id: r.get(8)?,
                    action: r.get(9)?,
                    before: r.get(10)?,
                    after: r.get(11)?,
                })
            })
            .map_err(be)?;
        rows.map(|r| r.map_err(be)).collect()
    }
}

/// An import transaction on one pooled connection.
struct SqliteImport {
    conn: r2d2::PooledConnection<Manager>,
    open: bool,
    staged: u64,
    actor: Actor,
}

fn audit_sql(template: &str) -> String {
    logis_store::accounts::import_audit::sql(
        template,
        |n| format!("?{n}"),
        "json_object",
        "IS NOT",
        "",
        "0",
    )
}

impl Drop for SqliteImport {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Groups of rows found by a checking query: (row numbers "3,7,9", detail).
fn row_groups(conn: &Connection, sql: &str) -> Result<Vec<(Vec<u64>, String)>> {
    let mut st = conn.prepare(sql).map_err(be)?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(be)?;
    let mut out = Vec::new();
    for r in rows {
        let (list, detail) = r.map_err(be)?;
        let mut nums: Vec<u64> = list
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
        nums.sort_unstable();
        out.push((nums, detail));
    }
    Ok(out)
}

impl SqliteImport {
    fn check(&self) -> Result<Vec<RowProblem>> {
        let dups = row_groups(
            &self.conn,
            "SELECT group_concat(row_no), reference FROM import_staging
             GROUP BY landlord_id, reference, nature, site, product, financing, year HAVING count(*) > 1 LIMIT 10000",
        )?;
        let conflicts = row_groups(
            &self.conn,
            "SELECT group_concat(row_no),
                    reference || char(31) || (count(DISTINCT commune_code) > 1) || (count(DISTINCT label) > 1) || (count(DISTINCT project_key) > 1)
                    || (count(DISTINCT programme_id) > 1) || (count(DISTINCT quartier_key) > 1)
             FROM import_staging GROUP BY landlord_id, reference
             HAVING count(DISTINCT commune_code) > 1 OR count(DISTINCT label) > 1 OR count(DISTINCT project_key) > 1
                 OR count(DISTINCT programme_id) > 1 OR count(DISTINCT quartier_key) > 1 LIMIT 10000",
        )?;
        Ok(logis_store_problems(dups, conflicts))
    }

    fn merge(&self) -> Result<ImportStats> {
        let c = &*self.conn;
        let one = |sql: &str| -> Result<u64> {
            c.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|v| v as u64)
                .map_err(be)
        };
        let exec = |sql: &str| -> Result<u64> { c.execute(sql, []).map(|n| n as u64).map_err(be) };
        let mut stats = ImportStats {
            lines_read: self.staged,
            ..Default::default()
        };

        stats.projects_created = exec(
            "INSERT INTO projects (name, name_key, kind) SELECT min(project), project_key, 'autre' FROM import_staging
             WHERE project_key IS NOT NULL GROUP BY project_key ORDER BY project_key ON CONFLICT (name_key) DO NOTHING",
        )?;
        stats.quartiers_created = exec(
            "INSERT INTO quartiers (name, name_key, kind, commune_code) SELECT min(quartier), quartier_key, 'autre', commune_code FROM import_staging
             WHERE quartier_key IS NOT NULL GROUP BY commune_code, quartier_key ORDER BY commune_code, quartier_key ON CONFLICT (commune_code, name_key) DO NOTHING",
        )?;
        c.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_ops (landlord_id INTEGER NOT NULL, reference TEXT NOT NULL, label TEXT, commune_code TEXT NOT NULL,
                project_id INTEGER, programme_id INTEGER, quartier_id INTEGER, existing INTEGER NOT NULL, search_key TEXT NOT NULL,
                PRIMARY KEY (landlord_id, reference));
             DELETE FROM import_ops;
             INSERT INTO import_ops
             SELECT s.landlord_id, s.reference, s.label, s.commune_code, p.id, s.programme_id, q.id,
                    EXISTS (SELECT 1 FROM operations o WHERE o.landlord_id = s.landlord_id AND o.reference = s.reference), s.search_key
             FROM (SELECT landlord_id, reference, max(label) AS label, max(commune_code) AS commune_code, max(project_key) AS project_key,
                          max(programme_id) AS programme_id, max(quartier_key) AS quartier_key, max(search_key) AS search_key
                   FROM import_staging GROUP BY landlord_id, reference) s
             LEFT JOIN projects p ON p.name_key = s.project_key
             LEFT JOIN quartiers q ON q.commune_code = s.commune_code AND q.name_key = s.quartier_key;",
        )
        .map_err(be)?;
        c.execute_batch(query::TOTALS_BEFORE_MERGE).map_err(be)?;
        stats.operations_created = one("SELECT count(*) FROM import_ops WHERE existing = 0")?;
        let a = &self.actor;
        let at = now();
        let max_line: i64 = c
            .query_row(
                "SELECT coalesce(max(id), 0) FROM operation_lines",
                [],
                |r| r.get(0),
            )
            .map_err(be)?;
        let audit = |template: &str| -> Result<u64> {
            let sql = audit_sql(template);
            let n = if template.contains("{p6}") {
                c.execute(
                    &sql,
                    params![
                        at,
                        a.user_id,
                        a.name,
                        a.organisation_id,
                        a.via.code(),
                        max_line
                    ],
                )
            } else {
                c.execute(
                    &sql,
                    params![at, a.user_id, a.name, a.organisation_id, a.via.code()],
                )
            };
            n.map(|n| n as u64).map_err(be)
        };
        use logis_store::accounts::import_audit as ia;
        audit(ia::OPERATIONS_UPDATED)?;
        let touched_ops = exec(
            "INSERT INTO operations (landlord_id, reference, label, commune_code, project_id, programme_id, quartier_id, search_key)
             SELECT landlord_id, reference, label, commune_code, project_id, programme_id, quartier_id, search_key FROM import_ops WHERE true ORDER BY landlord_id, reference
             ON CONFLICT (landlord_id, reference) DO UPDATE SET
                label = coalesce(excluded.label, operations.label), commune_code = excluded.commune_code,
                project_id = coalesce(excluded.project_id, operations.project_id),
                programme_id = coalesce(excluded.programme_id, operations.programme_id),
                quartier_id = coalesce(excluded.quartier_id, operations.quartier_id),
                search_key = CASE WHEN excluded.label IS NULL THEN operations.search_key ELSE excluded.search_key END
             WHERE operations.label IS NOT coalesce(excluded.label, operations.label) OR operations.commune_code IS NOT excluded.commune_code
                OR operations.project_id IS NOT coalesce(excluded.project_id, operations.project_id)
                OR operations.programme_id IS NOT coalesce(excluded.programme_id, operations.programme_id)
                OR operations.quartier_id IS NOT coalesce(excluded.quartier_id, operations.quartier_id)",
        )?;
        stats.operations_updated = touched_ops - stats.operations_created;
        audit(ia::OPERATIONS_CREATED)?;
        audit(ia::LINES_UPDATED)?;

        let existing_lines = one(
            "SELECT count(*) FROM import_staging s JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference
             JOIN operation_lines l ON l.operation_id = o.id AND l.nature = s.nature AND l.site = s.site AND l.product = s.product
                AND l.financing = s.financing AND l.year = s.year",
        )?;
        let touched_lines = exec(
            "INSERT INTO operation_lines (operation_id, nature, site, product, financing, year, dwellings, stage, stage_date, cost_cents)
             SELECT o.id, s.nature, s.site, s.product, s.financing, s.year, s.dwellings, s.stage, s.stage_date, s.cost_cents
             FROM import_staging s JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference WHERE true ORDER BY s.row_no
             ON CONFLICT (operation_id, nature, site, product, financing, year) DO UPDATE SET
                dwellings = excluded.dwellings, stage = coalesce(excluded.stage, operation_lines.stage),
                stage_date = coalesce(excluded.stage_date, operation_lines.stage_date),
                cost_cents = coalesce(excluded.cost_cents, operation_lines.cost_cents)
             WHERE operation_lines.dwellings <> excluded.dwellings
                OR operation_lines.stage IS NOT coalesce(excluded.stage, operation_lines.stage)
                OR operation_lines.stage_date IS NOT coalesce(excluded.stage_date, operation_lines.stage_date)
                OR operation_lines.cost_cents IS NOT coalesce(excluded.cost_cents, operation_lines.cost_cents)",
        )?;
        audit(ia::LINES_CREATED)?;
        stats.lines_created = self.staged - existing_lines;
        stats.lines_updated = touched_lines - stats.lines_created;
        stats.lines_unchanged = existing_lines - stats.lines_updated;

        exec(
            "INSERT INTO stage_events (line_id, stage, event_date)
             SELECT l.id, s.stage, s.stage_date FROM import_staging s
             JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference
             JOIN operation_lines l ON l.operation_id = o.id AND l.nature = s.nature AND l.site = s.site AND l.product = s.product
                AND l.financing = s.financing AND l.year = s.year
             WHERE s.stage IS NOT NULL AND s.stage_date IS NOT NULL
             ON CONFLICT (line_id, stage) DO UPDATE SET event_date = excluded.event_date WHERE stage_events.event_date IS NOT excluded.event_date",
        )?;
        record(
            c,
            a,
            &Change::event(
                "import",
                at,
                "import",
                serde_json::to_value(&stats).unwrap_or_default(),
            ),
        )?;
        c.execute_batch(query::TOTALS_AFTER_MERGE).map_err(be)?;
        c.execute_batch(logis_store::cube::sql::BUMP).map_err(be)?;
        c.execute_batch("DELETE FROM import_staging; DELETE FROM import_ops; PRAGMA optimize;")
            .map_err(be)?;
        Ok(stats)
    }
}

/// Turn the groups found by the checking queries into French row problems.
fn logis_store_problems(
    dups: Vec<(Vec<u64>, String)>,
    conflicts: Vec<(Vec<u64>, String)>,
) -> Vec<RowProblem> {
    logis_store::problems::from_groups(dups, conflicts)
}

impl ImportSession for SqliteImport {
    fn stage(&mut self, row: u64, l: &LineDraft) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO import_staging VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
            )
            .map_err(be)?;
        st.execute(params![
            row as i64,
            l.op.landlord_id,
            l.op.reference,
            l.op.label,
            l.op.commune.as_str(),
            l.op.project,
            l.op.project.as_deref().map(name_key),
            l.op.programme_id,
            l.op.quartier,
            l.op.quartier.as_deref().map(name_key),
            l.nature.code(),
            dim(l.site, Site::code),
            dim(l.product, Product::code),
            dim(l.financing, RehabFinancing::code),
            l.year.get(),
            l.dwellings.get(),
            l.stage.map(Stage::code),
            l.stage_date.map(|d| d.format("%Y-%m-%d").to_string()),
            l.cost.map(|c| c.cents()),
            operation_search_key(&l.op.reference, l.op.label.as_deref()),
        ])
        .map_err(be)?;
        self.staged += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>, commit: bool) -> Result<ImportOutcome> {
        let problems = self.check()?;
        // A clean check-only run merges too, then rolls back: its statistics say what the
        // import would change (the preview of the web import).
        if !problems.is_empty() {
            self.conn.execute_batch("ROLLBACK").map_err(be)?;
            self.open = false;
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
                self.conn.execute_batch("ROLLBACK").map_err(be)?;
                self.open = false;
                return Err(e);
            }
        };
        self.conn
            .execute_batch(if commit { "COMMIT" } else { "ROLLBACK" })
            .map_err(be)?;
        self.open = false;
        Ok(ImportOutcome {
            problems,
            stats,
            committed: commit,
        })
    }
}

impl SqliteStore {
    /// The register in memory at its current version (`None` when turned off).
    fn cube(&self) -> Result<Option<std::sync::Arc<logis_store::cube::Cube>>> {
        let Some(cache) = &self.cube else {
            return Ok(None);
        };
        let version: i64 = self
            .conn()?
            .query_row(logis_store::cube::sql::VERSION, [], |r| r.get(0))
            .map_err(be)?;
        cache.get(version, || self.read_cube()).map(Some)
    }

    /// The register in memory, read in one transaction (a consistent snapshot with its version).
    fn read_cube(&self) -> Result<logis_store::cube::Cube> {
        use logis_store::cube::{CubeBuilder, CubeOperation, sql};
        let geo = self.geography()?;
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let version: i64 = tx.query_row(sql::VERSION, [], |r| r.get(0)).map_err(be)?;
        let mut b = CubeBuilder::new(version);
        let named = |q: &str, add: &mut dyn FnMut(i64, &str)| -> Result<()> {
            let mut st = tx.prepare(q).map_err(be)?;
            let mut rows = st.query([]).map_err(be)?;
            while let Some(r) = rows.next().map_err(be)? {
                add(
                    r.get(0).map_err(be)?,
                    r.get_ref(1).map_err(be)?.as_str().map_err(be)?,
                );
            }
            Ok(())
        };
        named(sql::LANDLORDS, &mut |id, n| b.landlord(id, n))?;
        named(sql::PROGRAMMES, &mut |id, n| b.programme(id, n))?;
        named(sql::PROJECTS, &mut |id, n| b.project(id, n))?;
        named(sql::QUARTIERS, &mut |id, n| b.quartier(id, n))?;
        {
            let mut st = tx.prepare(sql::OPERATIONS).map_err(be)?;
            let mut rows = st.query([]).map_err(be)?;
            while let Some(r) = rows.next().map_err(be)? {
                let text =
                    |i: usize| -> Result<&str> { r.get_ref(i).map_err(be)?.as_str().map_err(be) };
                let label = r.get_ref(7).map_err(be)?.as_str_or_null().map_err(be)?;
                b.operation(CubeOperation {
                    id: r.get(0).map_err(be)?,
                    landlord_id: r.get(1).map_err(be)?,
                    programme_id: r.get(2).map_err(be)?,
                    project_id: r.get(3).map_err(be)?,
                    quartier_id: r.get(4).map_err(be)?,
                    commune_code: text(5)?,
                    reference: text(6)?,
                    label,
                    search_key: text(8)?,
                });
            }
            // The lines in two halves by rowid, the second read at the same time on a second
            // connection when the pool has one free and it sees the same version (the register
            // unchanged in between); else after the first, in this transaction.
            let last: i64 = tx
                .query_row(
                    "SELECT coalesce(max(rowid), 0) FROM operation_lines",
                    [],
                    |r| r.get(0),
                )
                .map_err(be)?;
            let halves = usize::try_from(last).unwrap_or(0) >= logis_store::cube::shared_from();
            let middle = if halves { last / 2 } else { last };
            let second = if halves { self.pool.try_get() } else { None };
            let other = second.map(|mut conn| {
                move |part: &mut logis_store::cube::CubeLines<'_>| -> Result<bool> {
                    let tx = conn.transaction().map_err(be)?;
                    let seen: i64 = tx.query_row(sql::VERSION, [], |r| r.get(0)).map_err(be)?;
                    if seen != version {
                        return Ok(false);
                    }
                    read_lines(&tx, "rowid > ?1", middle, part)?;
                    Ok(true)
                }
            });
            b.read_lines(halves, other, |part, second| {
                let cond = if second { "rowid > ?1" } else { "rowid <= ?1" };
                read_lines(&tx, cond, middle, part)
            })?;
        }
        tx.commit().map_err(be)?;
        b.finish(&geo).map_err(be)
    }

    fn read_geography(&self) -> Result<Geography> {
        let c = self.conn()?;
        let mut st = c
            .prepare(
                "SELECT code, name, department, population, epci_siren FROM communes ORDER BY code",
            )
            .map_err(be)?;
        let mut communes = Vec::new();
        let mut rows = st.query([]).map_err(be)?;
        while let Some(r) = rows.next().map_err(be)? {
            let code: String = r.get(0).map_err(be)?;
            let epci: Option<String> = r.get(4).map_err(be)?;
            communes.push(Commune {
                code: CommuneCode::parse(&code).map_err(|e| StoreError::Backend(e.0))?,
                name: r.get(1).map_err(be)?,
                department: r.get(2).map_err(be)?,
                population: r.get(3).map_err(be)?,
                epci: epci
                    .map(|s| Siren::parse(&s).map_err(|e| StoreError::Backend(e.0)))
                    .transpose()?,
            });
        }
        let mut st = c
            .prepare(
                "SELECT code, name, kind, current_code FROM former_communes ORDER BY code, name",
            )
            .map_err(be)?;
        let mut former = Vec::new();
        let mut rows = st.query([]).map_err(be)?;
        while let Some(r) = rows.next().map_err(be)? {
            let code: String = r.get(0).map_err(be)?;
            let kind: String = r.get(2).map_err(be)?;
            let current: String = r.get(3).map_err(be)?;
            former.push(FormerCommune {
                code: CommuneCode::parse(&code).map_err(|e| StoreError::Backend(e.0))?,
                name: r.get(1).map_err(be)?,
                kind: decode(
                    FormerKind::from_code(&kind),
                    "le type d'ancienne commune",
                    &kind,
                )?,
                current: CommuneCode::parse(&current).map_err(|e| StoreError::Backend(e.0))?,
            });
        }
        let mut st = c
            .prepare("SELECT siren, name, kind FROM epcis ORDER BY siren")
            .map_err(be)?;
        let mut epcis = Vec::new();
        let mut rows = st.query([]).map_err(be)?;
        while let Some(r) = rows.next().map_err(be)? {
            let siren: String = r.get(0).map_err(be)?;
            epcis.push(Epci {
                siren: Siren::parse(&siren).map_err(|e| StoreError::Backend(e.0))?,
                name: r.get(1).map_err(be)?,
                kind: r.get(2).map_err(be)?,
            });
        }
        Ok(Geography::new(communes, former, epcis))
    }
}

/// The lines of the cube's query (`logis_store::cube::sql::LINES`) whose rowid meets `cond`
/// (`rowid <= ?1` or `rowid > ?1`, `?1` being `at`), given to `part`.
fn read_lines(
    tx: &rusqlite::Transaction<'_>,
    cond: &str,
    at: i64,
    part: &mut logis_store::cube::CubeLines<'_>,
) -> Result<()> {
    use logis_store::cube::{CubeLine, sql};
    let mut st = tx
        .prepare(&format!("{} WHERE {cond}", sql::LINES))
        .map_err(be)?;
    let mut rows = st.query([at]).map_err(be)?;
    while let Some(r) = rows.next().map_err(be)? {
        let text = |i: usize| -> Result<&str> { r.get_ref(i).map_err(be)?.as_str().map_err(be) };
        part.line(CubeLine {
            operation_id: r.get(0).map_err(be)?,
            year: r.get(1).map_err(be)?,
            nature: text(2)?,
            site: text(3)?,
            product: text(4)?,
            financing: text(5)?,
            stage: r.get_ref(6).map_err(be)?.as_str_or_null().map_err(be)?,
            dwellings: r.get(7).map_err(be)?,
            cost_cents: r.get(8).map_err(be)?,
        })
        .map_err(be)?;
    }
    Ok(())
}
