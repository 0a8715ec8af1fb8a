//! Test support for the conformance suite: a fresh, real database of each kind per test.
//! SQLite: a file in a temporary directory. PostgreSQL: a new database on the server named by
//! `LOGIS_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`), dropped at the
//! end. A missing server fails the tests: they are never skipped.
#![allow(clippy::expect_used, clippy::panic)]

use logis_app::register::import::{ImportOptions, ImportReport, import_operations};
use logis_domain::{OrgKind, Siren};
use logis_store::{LineFilter, NewOrganisation, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A fresh database for one test; dropped (file removed, database dropped) with it.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl std::ops::Deref for TestDb {
    type Target = dyn Store;
    fn deref(&self) -> &(dyn Store + 'static) {
        self.store.as_ref()
    }
}

pub fn postgres_base() -> String {
    std::env::var("LOGIS_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

/// The URL of database `name` on the server of `base` (`postgres://user@host:port/db`).
fn with_database(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (base, String::new()),
    };
    let prefix = match head.rfind('/') {
        Some(i) if i > "postgres://".len() => &head[..i],
        _ => head,
    };
    format!("{prefix}/{name}{query}")
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "logis_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

impl TestDb {
    /// A new, migrated, empty database.
    pub fn fresh(kind: Kind) -> TestDb {
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("répertoire temporaire");
                let url = format!("sqlite://{}", dir.path().join("logis.db").display());
                let store = connect(&url).expect("ouverture SQLite");
                TestDb {
                    store,
                    url,
                    _dir: Some(dir),
                    pg: None,
                }
            }
            Kind::Postgres => {
                let base = postgres_base();
                let name = unique_name();
                let mut admin = postgres::Client::connect(&base, postgres::NoTls)
                    .unwrap_or_else(|e| panic!("serveur PostgreSQL injoignable à {base} ({e}) : lancez ./scripts/test, qui le démarre"));
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("création de la base de test");
                let url = with_database(&base, &name);
                let store = connect(&url).expect("ouverture PostgreSQL");
                TestDb {
                    store,
                    url,
                    _dir: None,
                    pg: Some((base, name)),
                }
            }
        }
    }

    /// An existing store, kept when dropped (benchmarks on a database file of their own).
    pub fn wrap(store: Arc<dyn Store>, url: String) -> TestDb {
        TestDb {
            store,
            url,
            _dir: None,
            pg: None,
        }
    }

    /// A database with the reference geography and the CUD as territory.
    pub fn initialised(kind: Kind) -> TestDb {
        let db = TestDb::fresh(kind);
        logis_app::reference::init(db.store.as_ref()).expect("init");
        let cud = Siren::parse(logis_app::demo::CUD_SIREN).expect("SIREN CUD");
        logis_app::reference::set_territory(
            db.store.as_ref(),
            &actor(),
            &logis_domain::Territory::epci(cud),
        )
        .expect("territoire");
        db
    }

    /// `initialised` plus three landlords (Flandre Opale Habitat, Partenord Habitat, Vilogia).
    pub fn with_landlords(kind: Kind) -> TestDb {
        let db = TestDb::initialised(kind);
        for name in ["Flandre Opale Habitat", "Partenord Habitat", "Vilogia"] {
            db.store
                .add_organisation(
                    &actor(),
                    &NewOrganisation {
                        kind: OrgKind::Landlord,
                        name: name.into(),
                        siren: None,
                        commune: None,
                    },
                )
                .expect("bailleur");
        }
        db
    }

    /// Import `content` (CSV or XLSX bytes), committing when clean.
    pub fn import(&self, content: impl Into<Vec<u8>>) -> ImportReport {
        self.import_with(content, true)
    }

    pub fn import_with(&self, content: impl Into<Vec<u8>>, commit: bool) -> ImportReport {
        let mut src = logis_io::open_bytes(content.into()).expect("fichier lisible");
        import_operations(
            self.store.as_ref(),
            &actor(),
            src.as_mut(),
            &ImportOptions {
                commit,
                territory: None,
                only_landlord: None,
            },
            &mut |_| {},
        )
        .expect("import sans erreur technique")
    }

    /// Export every line in `format` to bytes.
    pub fn export(&self, format: logis_io::write::ExportFormat) -> Vec<u8> {
        logis_app::register::export::export_operations(
            self.store.as_ref(),
            &LineFilter::default(),
            format,
            logis_io::write::Costs::Included,
            Vec::new(),
        )
        .expect("export")
        .0
    }
}

/// The actor of the tests' writes.
/// A principal of `role` in `organisation_id` (as the CLI acts: login « cli »).
pub fn principal(
    role: logis_domain::Role,
    organisation_id: Option<i64>,
) -> logis_domain::Principal {
    logis_domain::Principal {
        user_id: 0,
        login: "cli".into(),
        role,
        organisation_id,
        commune: None,
    }
}

/// The EPCI's administrator as the CLI acts.
pub fn admin() -> logis_domain::Principal {
    principal(logis_domain::Role::Admin, None)
}

pub fn actor() -> logis_store::Actor {
    logis_store::Actor::system("tests")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = self.pg.take() {
            // FORCE ends the pool's open connections.
            if let Ok(mut admin) = postgres::Client::connect(&base, postgres::NoTls) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// Open the store named by `url` (`sqlite://file.db` or `postgres://…`): the test suite (as
/// the binary) chooses the adapter, the layers above know only the port.
pub fn connect(url: &str) -> logis_store::Result<std::sync::Arc<dyn logis_store::Store>> {
    Ok(match logis_store::Backend::of_url(url)? {
        logis_store::Backend::Sqlite => {
            std::sync::Arc::new(logis_store_sqlite::SqliteStore::open_url(url)?)
        }
        logis_store::Backend::Postgres => {
            std::sync::Arc::new(logis_store_postgres::PostgresStore::open_url(url)?)
        }
    })
}
