//! The storage port. A capability is a module here with its records and its own trait
//! ([`RegisterStore`], [`AccountStore`], [`AuditStore`], [`ReferenceStore`], [`LandStore`]);
//! [`Store`] gathers them, and backends (SQLite, PostgreSQL) implement each one in a file of the
//! same name. A capability whose SQL both dialects read alike is written once on [`tx`] (the
//! land bank: its adapters' files only declare the trait). The
//! conformance crate runs the same test bodies on both. The traits are synchronous and
//! object-safe: the web layer holds an `Arc<dyn Store>` and calls it from blocking tasks.

pub mod accounts;
pub mod audit;
pub mod cube;
pub mod land;
pub mod migrate;
pub mod oidc;
pub mod plans;
pub mod problems;
pub mod proximity;
pub mod query;
pub mod reference;
pub mod register;
pub mod relocation;
pub mod settlement;
pub mod siap;
pub mod steps;
pub mod stock;
pub mod tx;

pub use accounts::{AccountStore, ApiToken, NewUser, User};
pub use audit::{Actor, AuditEntry, AuditFilter, AuditStore, Change, Via};
pub use land::LandStore;
pub use logis_domain::FundingKind;
pub use oidc::OidcStore;
pub use plans::PlanStore;
pub use plans::actions::ActionStore;
pub use proximity::mobility::MobilityStore;
pub use proximity::{ProximityRecords, ProximityStore};
pub use reference::{GeographyCache, ReferenceData, ReferenceStore};
pub use register::*;
pub use relocation::RelocationStore;
pub use settlement::SettlementStore;
pub use settlement::occupancy::OccupancyStore;
pub use siap::SiapStore;
pub use stock::StockStore;
pub use stock::mining::MiningStore;

/// The storage port: every capability's trait. Callers hold one `Arc<dyn Store>` and reach any
/// capability through it (`&dyn Store` coerces to `&dyn RegisterStore` and the others).
pub trait Store:
    RegisterStore
    + AccountStore
    + AuditStore
    + ReferenceStore
    + LandStore
    + ProximityStore
    + MobilityStore
    + RelocationStore
    + StockStore
    + MiningStore
    + SettlementStore
    + OccupancyStore
    + PlanStore
    + ActionStore
    + SiapStore
    + OidcStore
    + Send
    + Sync
{
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;
}

/// Errors of the storage layer. Messages are French; backend details stay in `Database` (the
/// driver's error, kept as the source) and `Backend`, and are logged, not shown to users by the
/// web layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database driver or the connection pool failed.
    #[error("erreur de la base de données : {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored value logis cannot read back, or a failure described by logis itself.
    #[error("erreur de la base de données : {0}")]
    Backend(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "adresse de base de données non reconnue « {0} » (attendu : sqlite://fichier.db ou postgres://…)"
    )]
    BadUrl(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// A driver's error, kept as the source.
    pub fn database(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError::Database(Box::new(e))
    }
    /// A failure of the database rather than of the request (shown as "try again later").
    pub fn is_internal(&self) -> bool {
        matches!(self, StoreError::Database(_) | StoreError::Backend(_))
    }
}

/// The adapters a database address can name. The binary and the test suites choose and open
/// the adapter; `logis-app` and `logis-web` know only the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://file.db` (the embedded default).
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

impl Backend {
    /// The adapter named by `url`'s scheme.
    pub fn of_url(url: &str) -> Result<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else {
            Err(StoreError::BadUrl(url.to_string()))
        }
    }
}

/// Stored form of optional dimensions: '' for none (NULLs would defeat UNIQUE constraints).
pub fn dim<T>(v: Option<T>, code: fn(T) -> &'static str) -> &'static str {
    v.map(code).unwrap_or("")
}

/// Decode a stored value, or a backend error naming the column.
pub fn decode<T>(v: Option<T>, what: &str, raw: &str) -> Result<T> {
    v.ok_or_else(|| {
        StoreError::Backend(format!("valeur stockée illisible pour {what} : « {raw} »"))
    })
}

/// One shared copy of a text that has few values over the life of the process (commune codes,
/// which come from the reference geography): kept until the process ends, so that it can be
/// handed out without counting references.
pub fn interned(s: &str) -> &'static str {
    static TEXTS: std::sync::Mutex<Option<std::collections::HashSet<&'static str>>> =
        std::sync::Mutex::new(None);
    let mut texts = TEXTS.lock().unwrap_or_else(|e| e.into_inner());
    let texts = texts.get_or_insert_with(Default::default);
    if let Some(t) = texts.get(s) {
        return t;
    }
    let t: &'static str = Box::leak(s.to_owned().into_boxed_str());
    texts.insert(t);
    t
}

/// Texts kept one after the other in one buffer, by index (no allocation per text): the
/// operations' ids as texts, for instance.
#[derive(Debug, Clone, Default)]
pub struct JoinedTexts {
    text: String,
    ends: Vec<usize>,
}

impl JoinedTexts {
    /// The decimal texts of `ids`, in their order.
    pub fn of_ids(ids: impl ExactSizeIterator<Item = i64>) -> JoinedTexts {
        let mut out = JoinedTexts {
            text: String::with_capacity(ids.len() * 8),
            ends: Vec::with_capacity(ids.len()),
        };
        let mut buffer = itoa::Buffer::new();
        for id in ids {
            out.text.push_str(buffer.format(id));
            out.ends.push(out.text.len());
        }
        out
    }

    /// Text `i` ('' beyond the last one).
    pub fn get(&self, i: usize) -> &str {
        let start = match i.checked_sub(1) {
            None => 0,
            Some(before) => self.ends.get(before).copied().unwrap_or(self.text.len()),
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.text.get(start..end).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Whether the `$N` parameters of a SQL text written once for both dialects first appear in
/// the order 1, 2, 3…: SQLite numbers `$N` parameters by first appearance, PostgreSQL by N, so
/// only then do they bind the same values.
pub fn parameters_in_order(sql: &str) -> bool {
    let mut seen: Vec<u32> = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        rest = rest.get(at + 1..).unwrap_or("");
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<u32>()
            && !seen.contains(&n)
        {
            seen.push(n);
        }
    }
    seen.iter()
        .enumerate()
        .all(|(i, n)| usize::try_from(*n) == Ok(i + 1))
}

#[cfg(test)]
mod tests {
    use super::JoinedTexts;

    #[test]
    fn shared_sql_numbers_its_parameters_in_order() {
        for sql in crate::register::sql::ALL
            .iter()
            .chain(crate::migrate::sql::ALL)
            .chain(crate::land::sql::ALL)
            .chain(crate::land::tenders::sql::ALL)
            .chain(crate::proximity::sql::ALL)
            .chain(crate::proximity::mobility::sql::ALL)
            .chain(crate::relocation::sql::ALL)
            .chain(crate::stock::sql::ALL)
            .chain(crate::stock::mining::sql::ALL)
            .chain(crate::settlement::sql::ALL)
            .chain(crate::settlement::occupancy::sql::ALL)
            .chain(crate::plans::sql::ALL)
            .chain(crate::plans::actions::sql::ALL)
            .chain(crate::siap::sql::ALL)
            .chain(crate::oidc::sql::ALL)
        {
            assert!(super::parameters_in_order(sql), "{sql}");
        }
        assert!(super::parameters_in_order("SELECT $1, $2, $1, $3"));
        assert!(!super::parameters_in_order("SELECT $2, $1"));
        // The reports' list, written for the filters given: every combination.
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        for bits in 0..128u32 {
            let on = |b: u32| bits & (1 << b) != 0;
            let f = crate::proximity::ReportFilter {
                site: on(0).then_some(3),
                theme: on(1).then_some(logis_domain::proximity::Theme::Waste),
                from: on(2).then_some(day),
                to: on(3).then_some(day),
                state: if on(4) {
                    "en_retard"
                } else if on(5) {
                    "clos"
                } else {
                    ""
                }
                .into(),
                today: Some(day),
                seen_by: on(6).then_some(9),
                limit: 10,
            };
            let (sql, params) = crate::proximity::sql::reports(&f);
            assert!(super::parameters_in_order(&sql), "{sql}");
            assert!(sql.matches('$').count() >= params.len());
        }
    }

    #[test]
    fn joined_texts_give_each_id_back_and_nothing_beyond() {
        let t = JoinedTexts::of_ids([7, -12, 0, 1_000_000].into_iter());
        assert_eq!(t.len(), 4);
        let got: Vec<&str> = (0..4).map(|i| t.get(i)).collect();
        assert_eq!(got, ["7", "-12", "0", "1000000"]);
        assert_eq!(t.get(4), "");
        assert_eq!(t.get(usize::MAX), "");
        assert!(JoinedTexts::of_ids(std::iter::empty()).is_empty());
        assert_eq!(JoinedTexts::default().get(0), "");
    }
}
