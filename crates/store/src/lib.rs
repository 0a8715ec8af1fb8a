//! The storage port. Backends (SQLite, PostgreSQL) implement [`Store`]; the conformance crate
//! runs the same test bodies on both. The trait is synchronous and object-safe: the web layer
//! holds an `Arc<dyn Store>` and calls it from blocking tasks.

use chrono::NaiveDate;
use logis_domain::targets::{Split, SplitDimension, TargetScope, Targets};
use logis_domain::{
    Commune, CommuneCode, Epci, FormerCommune, Geography, LineDraft, LineScope, Nature, OrgKind,
    Product, ProjectKind, QuartierKind, RehabFinancing, Siren, Site, Stage, Year,
};
use serde::Serialize;

pub use accounts::{Actor, ApiToken, AuditEntry, AuditFilter, Change, NewUser, User, Via};

pub mod accounts;
pub mod cube;
pub mod migrate;
pub mod problems;
pub mod query;

/// Errors of the storage layer. Messages are French; backend details stay in `Backend` and are
/// logged, not shown to users by the web layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    pub siren: Option<Siren>,
    /// For a commune's organisation: its commune.
    pub commune: Option<CommuneCode>,
}

#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub kind: OrgKind,
    pub name: String,
    pub siren: Option<Siren>,
    pub commune: Option<CommuneCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Programme {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub start_year: Option<Year>,
    pub end_year: Option<Year>,
    /// The EPCI steering it, if any.
    pub epci: Option<Siren>,
}

#[derive(Debug, Clone)]
pub struct NewProgramme {
    pub name: String,
    pub description: String,
    pub start_year: Option<Year>,
    pub end_year: Option<Year>,
    pub epci: Option<Siren>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub kind: ProjectKind,
    pub programme_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quartier {
    pub id: i64,
    pub name: String,
    pub kind: QuartierKind,
    pub commune: CommuneCode,
}

/// One kind of source in a financing plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FundingKind {
    OwnFunds,
    Subsidy,
    Loan,
}

impl FundingKind {
    pub fn code(self) -> &'static str {
        match self {
            FundingKind::OwnFunds => "own_funds",
            FundingKind::Subsidy => "subsidy",
            FundingKind::Loan => "loan",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "own_funds" => Some(FundingKind::OwnFunds),
            "subsidy" => Some(FundingKind::Subsidy),
            "loan" => Some(FundingKind::Loan),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FundingKind::OwnFunds => "Fonds propres",
            FundingKind::Subsidy => "Subvention",
            FundingKind::Loan => "Prêt",
        }
    }
}

/// One source of an operation's financing plan: own funds, a subsidy by a funder, a loan by a lender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundingItem {
    pub kind: FundingKind,
    /// The funder or lender (an organisation), none for own funds.
    pub source_id: Option<i64>,
    pub label: String,
    pub amount_cents: i64,
}

/// Every reference table, as derived from the pinned registry package.
#[derive(Debug, Clone, Default)]
pub struct ReferenceData {
    pub departments: Vec<(String, String, String)>,
    pub epcis: Vec<Epci>,
    pub communes: Vec<Commune>,
    pub former: Vec<FormerCommune>,
}

/// One operation line as read back (export, lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineRecord {
    pub line_id: i64,
    pub operation_id: i64,
    pub landlord: String,
    pub landlord_siren: Option<String>,
    pub reference: String,
    pub commune: CommuneCode,
    pub commune_name: String,
    pub project: Option<String>,
    pub programme: Option<String>,
    pub quartier: Option<String>,
    pub label: Option<String>,
    pub nature: Nature,
    pub site: Option<Site>,
    pub product: Option<Product>,
    pub financing: Option<RehabFinancing>,
    pub dwellings: u32,
    pub year: i32,
    pub stage: Option<Stage>,
    pub stage_date: Option<NaiveDate>,
    pub cost_cents: Option<i64>,
}

/// Which lines to read. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    pub landlord_id: Option<i64>,
    pub programme_id: Option<i64>,
    pub project_id: Option<i64>,
    pub quartier_id: Option<i64>,
    pub commune: Option<CommuneCode>,
    /// Communes that are members of this EPCI.
    pub epci: Option<Siren>,
    pub nature: Option<Nature>,
    /// Any of these natures (empty: any).
    pub natures: Vec<Nature>,
    /// Any of these financings (empty: any, lines without one included).
    pub financings: Vec<RehabFinancing>,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub stage: Option<Stage>,
    pub product: Option<Product>,
    /// Words searched in the reference, the label, the commune, the project and the quartier,
    /// ignoring case, accents and punctuation (a [`logis_domain::text::name_key`] already).
    pub text: Option<String>,
    /// One operation's lines.
    pub operation_id: Option<i64>,
    /// Only the lines of these operations (`None`: any; an empty list keeps no line).
    pub operations: Option<Vec<i64>>,
    /// What the reader may see (from its role); applied on top of every other field.
    pub scope: Option<LineScope>,
    /// Order of the lines read (default: by operation, then line).
    pub sort: LineSort,
    /// Largest first.
    pub descending: bool,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// How lines are ordered when read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LineSort {
    #[default]
    Operation,
    Reference,
    Landlord,
    Commune,
    Year,
    Dwellings,
    Stage,
}

impl LineSort {
    pub const ALL: [LineSort; 7] = [
        LineSort::Operation,
        LineSort::Reference,
        LineSort::Landlord,
        LineSort::Commune,
        LineSort::Year,
        LineSort::Dwellings,
        LineSort::Stage,
    ];
    /// The name used in addresses (`?tri=`).
    pub fn code(self) -> &'static str {
        match self {
            LineSort::Operation => "operation",
            LineSort::Reference => "reference",
            LineSort::Landlord => "bailleur",
            LineSort::Commune => "commune",
            LineSort::Year => "annee",
            LineSort::Dwellings => "logements",
            LineSort::Stage => "stade",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            LineSort::Operation => "Ordre d'enregistrement",
            LineSort::Reference => "Référence",
            LineSort::Landlord => "Bailleur",
            LineSort::Commune => "Commune",
            LineSort::Year => "Année",
            LineSort::Dwellings => "Logements",
            LineSort::Stage => "Stade",
        }
    }
}

/// A problem found in an imported file, on a row (1 = the header line) and a column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub row: u64,
    pub column: String,
    pub message: String,
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportStats {
    pub lines_read: u64,
    pub operations_created: u64,
    pub operations_updated: u64,
    pub lines_created: u64,
    pub lines_updated: u64,
    pub lines_unchanged: u64,
    pub projects_created: u64,
    pub quartiers_created: u64,
}

/// The end of an import session: the problems the store found across rows (duplicates,
/// contradictory values) and, if it committed, what changed.
#[derive(Debug, Clone, Default)]
pub struct ImportOutcome {
    pub problems: Vec<RowProblem>,
    pub stats: ImportStats,
    pub committed: bool,
}

/// An import in progress: one transaction. Lines are staged as they are read (memory does not
/// grow with the file); `finish` checks what needs the whole file (the same line twice, one
/// operation with contradictory values) and either merges and commits, or rolls back.
/// Dropping a session without finishing rolls it back.
pub trait ImportSession {
    fn stage(&mut self, row: u64, line: &LineDraft) -> Result<()>;
    /// Merge and commit when `commit` is true and no problem is found; otherwise roll back.
    fn finish(self: Box<Self>, commit: bool) -> Result<ImportOutcome>;
}

/// Counts for the dashboard and the CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub communes: u64,
    pub organisations: u64,
    pub programmes: u64,
    pub operations: u64,
    pub lines: u64,
    pub dwellings: u64,
}

/// Dwellings per (landlord, nature): the first aggregate the dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NatureTotal {
    pub landlord: String,
    pub nature: Nature,
    pub dwellings: u64,
    pub lines: u64,
}

/// The storage port.
pub trait Store: Send + Sync {
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    // -- reference data
    fn reference_loaded(&self) -> Result<bool>;
    /// Replace the reference tables (communes, former communes, EPCIs, departments).
    fn load_reference(&self, actor: &Actor, data: &ReferenceData) -> Result<()>;
    /// The reference geography; adapters read it once and share it until the next
    /// `load_reference`.
    fn geography(&self) -> Result<std::sync::Arc<Geography>>;
    /// Communes whose name key contains the key of `text`, or whose code starts with it.
    fn search_communes(&self, text: &str, limit: u32) -> Result<Vec<Commune>>;

    // -- settings
    fn setting(&self, key: &str) -> Result<Option<String>>;
    fn set_setting(&self, actor: &Actor, key: &str, value: &str) -> Result<()>;

    // -- organisations, programmes, projects, quartiers
    fn add_organisation(&self, actor: &Actor, org: &NewOrganisation) -> Result<Organisation>;
    fn organisations(&self) -> Result<Vec<Organisation>>;
    fn add_programme(&self, actor: &Actor, p: &NewProgramme) -> Result<Programme>;
    fn programmes(&self) -> Result<Vec<Programme>>;
    fn add_project(
        &self,
        actor: &Actor,
        name: &str,
        kind: ProjectKind,
        programme_id: Option<i64>,
    ) -> Result<Project>;
    fn projects(&self) -> Result<Vec<Project>>;
    fn add_quartier(
        &self,
        actor: &Actor,
        name: &str,
        kind: QuartierKind,
        commune: &CommuneCode,
    ) -> Result<Quartier>;
    fn quartiers(&self) -> Result<Vec<Quartier>>;

    // -- operations
    /// An import on behalf of `actor`: the merge records every operation and line it creates or
    /// changes in the audit trail, in the import's transaction.
    fn begin_import(&self, actor: &Actor) -> Result<Box<dyn ImportSession + '_>>;
    /// Stream the lines matching `filter` to `sink`, in a stable order; returns how many.
    fn for_each_line(
        &self,
        filter: &LineFilter,
        sink: &mut dyn FnMut(LineRecord) -> Result<()>,
    ) -> Result<u64>;
    fn count_lines(&self, filter: &LineFilter) -> Result<u64>;
    fn operation_id(&self, landlord_id: i64, reference: &str) -> Result<Option<i64>>;
    /// Replace an operation's financing plan.
    fn set_financing_plan(
        &self,
        actor: &Actor,
        operation_id: i64,
        items: &[FundingItem],
    ) -> Result<()>;
    fn financing_plan(&self, operation_id: i64) -> Result<Vec<FundingItem>>;
    /// Dated stage events of a line, in date order.
    fn stage_events(&self, line_id: i64) -> Result<Vec<(Stage, NaiveDate)>>;

    fn summary(&self) -> Result<Summary>;
    fn totals_by_landlord_nature(&self) -> Result<Vec<NatureTotal>>;
    /// Financing plan items of the operations having a line that matches `filter`, by operation
    /// then position.
    fn funding_rows(&self, filter: &LineFilter) -> Result<Vec<FundingRow>>;
    /// Replace a programme's targets.
    fn set_targets(&self, actor: &Actor, programme_id: i64, targets: &Targets) -> Result<()>;
    fn targets(&self, programme_id: i64) -> Result<Option<Targets>>;
    /// The register held in memory at the stored version ([`cube`], reloaded when a write moved
    /// it), or `None` when the store keeps none (`LOGIS_CUBE=0`).
    fn register_in_memory(&self) -> Result<Option<std::sync::Arc<cube::Cube>>>;
    /// A stamp of everything reports read: the register's version and the count of audited
    /// writes (targets, financing plans, organisations…), each moved in the transaction of its
    /// write. While it stays the same, a report computed before is still right.
    fn data_stamp(&self) -> Result<(i64, i64)>;
    /// A text search answered from the register in memory: `filter` without its text, naming
    /// instead the operations it keeps, when there is a text and at most
    /// [`cube::TEXT_SEARCH_BY_ID`] operations (a list then reads their lines by id).
    fn text_search_in_memory(&self, filter: &LineFilter) -> Result<Option<LineFilter>> {
        Ok(self
            .register_in_memory()?
            .and_then(|cube| cube.text_search(filter, cube::TEXT_SEARCH_BY_ID)))
    }
    /// Sums of the lines matching `filter`, grouped and ordered by `dims`: from the register in
    /// memory, else by the database.
    fn aggregate(&self, filter: &LineFilter, dims: &[query::Dim]) -> Result<query::Grouped> {
        if let Some(cube) = self.register_in_memory()?
            && let Some(groups) = cube.aggregate(filter, dims)
        {
            return Ok(groups);
        }
        Ok(query::Grouped::from_rows(
            dims.len(),
            self.aggregate_in_database(filter, dims)?,
        ))
    }
    /// The same aggregate, always computed by the database ([`query::aggregate_sql`]), never from
    /// the in-memory [`cube`]: what the conformance suite and the benchmark compare it with.
    fn aggregate_in_database(
        &self,
        filter: &LineFilter,
        dims: &[query::Dim],
    ) -> Result<Vec<query::AggRow>>;
    /// Sums of the lines matching `filter` per operation, in id order (operations without such
    /// a line are left out): the aggregate by [`query::Dim::OperationId`] without its texts.
    fn operation_totals(&self, filter: &LineFilter) -> Result<Vec<OperationTotal>> {
        if let Some(cube) = self.register_in_memory()?
            && let Some(totals) = cube.operation_totals(filter)
        {
            return Ok(totals);
        }
        operation_totals_by_aggregate(
            self.aggregate_in_database(
                filter,
                &[query::Dim::OperationId, query::Dim::CommuneCode],
            )?,
        )
    }
    /// The operations with a line matching `filter` (id, commune code), in id order: what
    /// [`Store::operation_totals`] lists, without the sums.
    fn operations_met(&self, filter: &LineFilter) -> Result<Vec<(i64, &'static str)>> {
        if let Some(cube) = self.register_in_memory()? {
            return Ok(cube.operations_met(filter));
        }
        Ok(self
            .operation_totals(filter)?
            .into_iter()
            .map(|t| (t.operation_id, t.commune_code))
            .collect())
    }
    /// One operation's head (landlord, reference, commune…).
    fn operation(&self, id: i64) -> Result<Option<OperationRecord>> {
        Ok(self.operations(&[id])?.into_iter().next())
    }
    /// The heads of these operations (those that exist), in id order, read at once.
    fn operations(&self, ids: &[i64]) -> Result<Vec<OperationRecord>>;

    // -- accounts (see [`accounts`])
    fn add_user(&self, actor: &Actor, user: &NewUser) -> Result<User>;
    fn users(&self) -> Result<Vec<User>>;
    fn user(&self, id: i64) -> Result<Option<User>>;
    /// The user of `login` (normalised) and its password hash, if one is set.
    fn user_credentials(&self, login: &str) -> Result<Option<(User, Option<String>)>>;
    /// Disable or enable an account; disabling ends its sessions.
    fn set_user_disabled(&self, actor: &Actor, user_id: i64, disabled: bool) -> Result<()>;
    /// Set a password hash; ends the user's sessions.
    fn set_password(&self, actor: &Actor, user_id: i64, hash: &str) -> Result<()>;
    fn add_password_reset(
        &self,
        actor: &Actor,
        user_id: i64,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()>;
    /// Use a one-time reset link: when it exists, is unused and unexpired, set the password,
    /// mark the link used (audited as the user) and return the user.
    fn use_password_reset(&self, token_hash: &str, new_hash: &str) -> Result<Option<User>>;
    fn record_login(&self, login: &str, address: &str, success: bool) -> Result<()>;
    /// Failed logins since `since` for this login and from this address.
    fn recent_failures(&self, login: &str, address: &str, since: i64) -> Result<(u64, u64)>;
    fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()>;
    /// The enabled user of an unexpired session, and the session's CSRF token.
    fn session_user(&self, token_hash: &str) -> Result<Option<(User, String)>>;
    fn delete_session(&self, token_hash: &str) -> Result<()>;
    fn add_api_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        token_hash: &str,
        prefix: &str,
    ) -> Result<ApiToken>;
    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>>;
    /// Revoke one of `user_id`'s tokens; false when it is not theirs or already revoked.
    fn revoke_api_token(&self, actor: &Actor, user_id: i64, token_id: i64) -> Result<bool>;
    /// The enabled user of an unrevoked token (and note its use).
    fn token_user(&self, token_hash: &str) -> Result<Option<User>>;
    /// Audit rows, newest first.
    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;
}

/// An operation's head, for its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationRecord {
    pub id: i64,
    pub landlord_id: i64,
    pub landlord: String,
    pub reference: String,
    pub label: Option<String>,
    pub commune: CommuneCode,
    pub commune_name: String,
    pub project: Option<String>,
    pub programme: Option<String>,
    pub quartier: Option<String>,
}

/// Convenience for collecting a filtered list (small results: pages, tests).
pub fn collect_lines(store: &dyn Store, filter: &LineFilter) -> Result<Vec<LineRecord>> {
    let mut out = Vec::new();
    store.for_each_line(filter, &mut |l| {
        out.push(l);
        Ok(())
    })?;
    Ok(out)
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

/// Sums of one operation's lines that match a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationTotal {
    pub operation_id: i64,
    /// The operation's commune (INSEE code; see [`interned`]).
    pub commune_code: &'static str,
    pub dwellings: i64,
    pub lines: i64,
    pub cost_cents: i64,
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

/// [`Store::operation_totals`] from the aggregate by operation id and commune code (what an
/// adapter answers when it has no register in memory).
pub fn operation_totals_by_aggregate(rows: Vec<query::AggRow>) -> Result<Vec<OperationTotal>> {
    rows.into_iter()
        .map(|r| {
            let id =
                r.keys.first().and_then(|k| k.parse().ok()).ok_or_else(|| {
                    StoreError::Backend("identifiant d'opération illisible".into())
                })?;
            Ok(OperationTotal {
                operation_id: id,
                commune_code: interned(r.keys.get(1).map_or("", |k| &**k)),
                dwellings: r.dwellings,
                lines: r.lines,
                cost_cents: r.cost_cents,
            })
        })
        .collect()
}

/// One financing plan item with its operation, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundingRow {
    pub operation_id: i64,
    pub kind: FundingKind,
    /// The funder's or lender's name ('' for own funds without a named source).
    pub source: String,
    pub label: String,
    pub amount_cents: i64,
}

/// Targets as stored (one row, splits apart), for the adapters.
pub struct TargetRow {
    pub scope: String,
    pub total: Option<i64>,
    pub first_year: i64,
    pub last_year: i64,
    pub social_percent: Option<i64>,
    pub band_min: Option<i64>,
    pub band_max: Option<i64>,
}

/// Rebuild targets read from the database.
pub fn targets_from_rows(
    t: TargetRow,
    splits: Vec<(String, String, String, i64)>,
) -> Result<Targets> {
    let bad = |what: &str| StoreError::Backend(format!("objectif stocké illisible : {what}"));
    let scope = TargetScope::from_code(&t.scope).ok_or_else(|| bad("périmètre"))?;
    let splits = splits
        .into_iter()
        .map(|(d, key, label, n)| {
            Ok(Split {
                dimension: SplitDimension::from_code(&d).ok_or_else(|| bad("répartition"))?,
                key,
                label,
                dwellings: u64::try_from(n).map_err(|_| bad("logements"))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let year = |y: i64| i32::try_from(y).map_err(|_| bad("année"));
    let band = match (t.band_min, t.band_max) {
        (Some(a), Some(b)) => Some((
            u64::try_from(a).map_err(|_| bad("bande"))?,
            u64::try_from(b).map_err(|_| bad("bande"))?,
        )),
        _ => None,
    };
    Targets::new(
        scope,
        t.total.map(|v| v.max(0) as u64),
        (year(t.first_year)?, year(t.last_year)?),
        t.social_percent.and_then(|p| u8::try_from(p).ok()),
        band,
        splits,
    )
    .map_err(|e| StoreError::Backend(e.0))
}

/// The geography cache every adapter keeps: read once, shared, dropped by `load_reference`.
#[derive(Default)]
pub struct GeographyCache(std::sync::Mutex<Option<std::sync::Arc<Geography>>>);

impl GeographyCache {
    /// The cached geography, or `load` it (and keep it when it is not empty).
    pub fn get_or_load(
        &self,
        load: impl FnOnce() -> Result<Geography>,
    ) -> Result<std::sync::Arc<Geography>> {
        if let Ok(guard) = self.0.lock()
            && let Some(g) = guard.as_ref()
        {
            return Ok(g.clone());
        }
        let g = std::sync::Arc::new(load()?);
        if !g.is_empty()
            && let Ok(mut guard) = self.0.lock()
        {
            *guard = Some(g.clone());
        }
        Ok(g)
    }
    pub fn clear(&self) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JoinedTexts;

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
