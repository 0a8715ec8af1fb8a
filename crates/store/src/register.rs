//! The operations register as the store keeps it: its records, the filter of its lines, the
//! import session, and the [`RegisterStore`] port.

use crate::audit::Actor;
use crate::{Result, StoreError, cube, interned, query};
use chrono::NaiveDate;
use logis_domain::register::targets::{Split, SplitDimension, TargetScope, Targets};
use logis_domain::{
    CommuneCode, FundingKind, LineDraft, LineScope, Nature, OrgKind, Product, ProjectKind,
    QuartierKind, RehabFinancing, Siren, Site, Stage, Year,
};
use serde::Serialize;

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

/// One source of an operation's financing plan: own funds, a subsidy by a funder, a loan by a lender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundingItem {
    pub kind: FundingKind,
    /// The funder or lender (an organisation), none for own funds.
    pub source_id: Option<i64>,
    pub label: String,
    pub amount_cents: i64,
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
    /// The former commune the source wrote, and its name, when it wrote one.
    pub written_commune: Option<CommuneCode>,
    pub written_commune_name: Option<String>,
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
    /// Habitable surface, in m².
    pub surface_m2: Option<u32>,
    /// Energy labels before and after (rehabilitations; the API gives them as its own fields).
    #[serde(skip)]
    pub energy: logis_domain::register::line::EnergyLabels,
    /// The RPLS identifiers of its dwellings, `|`-separated.
    #[serde(skip)]
    pub rpls_ids: Option<String>,
}

/// Which operations a report that all roles see lists one by one: the operation list's scope of
/// its reader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Details {
    #[default]
    All,
    /// Those within this scope.
    Within(LineScope),
    /// None (a reader of aggregates only).
    Hidden,
}

impl Details {
    /// The details of a reader whose operation list has `scope` (`None`: aggregates only).
    pub fn of(scope: Option<LineScope>) -> Self {
        match scope {
            Some(LineScope::All) => Details::All,
            Some(s) => Details::Within(s),
            None => Details::Hidden,
        }
    }
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
    /// Which operations a report shows one by one (its per-operation rows), when it is open to
    /// readers who may not open every operation; the others are summed per commune.
    pub details: Details,
    /// Reports group by the commune as the source wrote it (a former commune such as
    /// Saint-Pol-sur-Mer on its own row) instead of today's commune. Filters and reading
    /// rights stay on today's commune.
    pub communes_as_written: bool,
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

/// The keys a staged line carries (its operation's search key, its project's and quartier's
/// name keys), made once for each run of lines that repeat the same values — the lines of one
/// operation follow each other — instead of once per line.
#[derive(Debug, Default)]
pub struct StagingKeys {
    search: Option<(String, Option<String>, String)>,
    project: Option<(String, String)>,
    quartier: Option<(String, String)>,
}

fn last_name_key<'a>(
    slot: &'a mut Option<(String, String)>,
    text: Option<&str>,
) -> Option<&'a str> {
    let text = text?;
    if slot.as_ref().is_none_or(|(t, _)| t != text) {
        *slot = Some((text.to_string(), logis_domain::text::name_key(text)));
    }
    slot.as_ref().map(|(_, k)| k.as_str())
}

impl StagingKeys {
    /// `operation_search_key(reference, label)`.
    pub fn search(&mut self, reference: &str, label: Option<&str>) -> &str {
        if self
            .search
            .as_ref()
            .is_none_or(|(r, l, _)| r != reference || l.as_deref() != label)
        {
            self.search = Some((
                reference.to_string(),
                label.map(str::to_string),
                logis_domain::text::operation_search_key(reference, label),
            ));
        }
        self.search
            .as_ref()
            .map(|(_, _, k)| k.as_str())
            .unwrap_or_default()
    }
    /// The project's name key.
    pub fn project(&mut self, project: Option<&str>) -> Option<&str> {
        last_name_key(&mut self.project, project)
    }
    /// The quartier's name key.
    pub fn quartier(&mut self, quartier: Option<&str>) -> Option<&str> {
        last_name_key(&mut self.quartier, quartier)
    }
}

/// An energy label as stored (`A`…`G`), or a backend error.
pub fn stored_letter(text: Option<String>) -> crate::Result<Option<logis_domain::stock::Letter>> {
    text.map(|t| {
        logis_domain::stock::Letter::parse(&t)
            .map_err(crate::StoreError::Backend)?
            .ok_or_else(|| {
                crate::StoreError::Backend(format!("étiquette stockée illisible « {t} »"))
            })
    })
    .transpose()
}

/// An import in progress: one transaction. Lines are staged as they are read (memory does not
/// grow with the file); `finish` checks what needs the whole file (the same line twice, one
/// operation with contradictory values) and either merges and commits, or rolls back.
/// Dropping a session without finishing rolls it back.
pub trait ImportSession: Send {
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
pub fn collect_lines(store: &dyn RegisterStore, filter: &LineFilter) -> Result<Vec<LineRecord>> {
    let mut out = Vec::new();
    store.for_each_line(filter, &mut |l| {
        out.push(l);
        Ok(())
    })?;
    Ok(out)
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

/// [`RegisterStore::operation_totals`] from the aggregate by operation id and commune code (what an
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

/// The operations register: organisations, programmes (and their targets), renewal projects,
/// quartiers, operations and their lines, imports, financing plans, and the aggregates reports
/// read (from the register held in memory, [`crate::cube`], or from the database).
pub trait RegisterStore: Send + Sync {
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
    /// Financing plan items of the operations having a line that matches `filter`, by operation
    /// then position.
    fn funding_rows(&self, filter: &LineFilter) -> Result<Vec<FundingRow>>;
    /// Replace a programme's targets.
    fn set_targets(&self, actor: &Actor, programme_id: i64, targets: &Targets) -> Result<()>;
    fn targets(&self, programme_id: i64) -> Result<Option<Targets>>;
    /// The programmes that have targets, by id (read at once, not programme by programme).
    fn programmes_with_targets(&self) -> Result<Vec<i64>>;
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
    /// [`RegisterStore::operation_totals`] lists, without the sums.
    fn operations_met(&self, filter: &LineFilter) -> Result<Vec<(i64, &'static str)>> {
        if !filter.communes_as_written
            && let Some(cube) = self.register_in_memory()?
        {
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
}

/// The audit SQL of an import's merge, shared by both dialects: `{json}` is the JSON object
/// function (`json_object` / `json_build_object`), `{distinct}` the null-safe inequality
/// (`IS NOT` / `IS DISTINCT FROM`), `{text}` the cast of a JSON value to text, `{staged}` the
/// staged rows' key (`rowid` / `row_no`). Parameters 1–5
/// are the actor (at, user id, name, organisation id, via). What an import creates is not here:
/// it carries the id of the import's record (`import_id`, see
/// [`crate::audit::import_creations`]).
pub mod import_audit {
    pub const ACTOR: &str = "INSERT INTO audit_log (at, user_id, user_name, organisation_id, via, entity, entity_id, operation_id, action, before, after)";

    /// Operations the merge will change (run before the operations upsert).
    pub const OPERATIONS_UPDATED: &str = "{actor}
SELECT {p1}, {p2}, {p3}, {p4}, {p5}, 'operation', CAST(o.id AS TEXT), o.id, 'modification',
  {json}('libelle', o.label, 'commune', o.commune_code, 'commune_ecrite', o.written_commune_code, 'projet_id', o.project_id, 'programme_id', o.programme_id, 'quartier_id', o.quartier_id){text},
  {json}('libelle', coalesce(i.label, o.label), 'commune', i.commune_code, 'commune_ecrite', i.written_commune_code, 'projet_id', coalesce(i.project_id, o.project_id),
         'programme_id', coalesce(i.programme_id, o.programme_id), 'quartier_id', coalesce(i.quartier_id, o.quartier_id)){text}
FROM import_ops i JOIN operations o ON o.landlord_id = i.landlord_id AND o.reference = i.reference
WHERE o.label {distinct} coalesce(i.label, o.label) OR o.commune_code {distinct} i.commune_code OR o.written_commune_code {distinct} i.written_commune_code
   OR o.project_id {distinct} coalesce(i.project_id, o.project_id) OR o.programme_id {distinct} coalesce(i.programme_id, o.programme_id)
   OR o.quartier_id {distinct} coalesce(i.quartier_id, o.quartier_id)";

    /// Lines the merge will change (run before the lines upsert), from the staged lines it
    /// writes ([`crate::query::changed_lines`]).
    pub const LINES_UPDATED: &str = "{actor}
SELECT {p1}, {p2}, {p3}, {p4}, {p5}, 'ligne', CAST(l.id AS TEXT), l.operation_id, 'modification',
  {json}('logements', l.dwellings, 'stade', l.stage, 'date_stade', l.stage_date, 'cout_centimes', l.cost_cents, 'surface_m2', l.surface_m2,
         'dpe_avant', l.dpe_before, 'dpe_apres', l.dpe_after, 'cep_avant', l.cep_before, 'cep_apres', l.cep_after, 'rpls', l.rpls_ids){text},
  {json}('logements', s.dwellings, 'stade', coalesce(s.stage, l.stage), 'date_stade', coalesce(s.stage_date, l.stage_date),
         'cout_centimes', coalesce(s.cost_cents, l.cost_cents), 'surface_m2', coalesce(s.surface_m2, l.surface_m2),
         'dpe_avant', coalesce(s.dpe_before, l.dpe_before), 'dpe_apres', coalesce(s.dpe_after, l.dpe_after),
         'cep_avant', coalesce(s.cep_before, l.cep_before), 'cep_apres', coalesce(s.cep_after, l.cep_after),
         'rpls', coalesce(s.rpls_ids, l.rpls_ids)){text}
FROM import_changed m JOIN import_staging s ON s.{staged} = m.staged
JOIN operation_lines l ON l.id = m.line_id
WHERE l.dwellings <> s.dwellings OR l.stage {distinct} coalesce(s.stage, l.stage)
   OR l.stage_date {distinct} coalesce(s.stage_date, l.stage_date) OR l.cost_cents {distinct} coalesce(s.cost_cents, l.cost_cents)
   OR l.surface_m2 {distinct} coalesce(s.surface_m2, l.surface_m2)
   OR l.dpe_before {distinct} coalesce(s.dpe_before, l.dpe_before) OR l.dpe_after {distinct} coalesce(s.dpe_after, l.dpe_after)
   OR l.cep_before {distinct} coalesce(s.cep_before, l.cep_before) OR l.cep_after {distinct} coalesce(s.cep_after, l.cep_after)
   OR l.rpls_ids {distinct} coalesce(s.rpls_ids, l.rpls_ids)";

    /// Fill a template for a dialect.
    pub fn sql(
        template: &str,
        placeholder: fn(usize) -> String,
        json: &str,
        distinct: &str,
        text: &str,
        staged: &str,
    ) -> String {
        let mut s = template
            .replace("{actor}", ACTOR)
            .replace("{staged}", staged);
        for i in 1..=5 {
            s = s.replace(&format!("{{p{i}}}"), &placeholder(i));
        }
        s.replace("{json}", json)
            .replace("{distinct}", distinct)
            .replace("{text}", text)
    }
}

/// The register's SQL that both dialects read alike, written once. Parameters are `$1`, `$2`…
/// in the order they first appear, which PostgreSQL reads as numbered and SQLite as named
/// parameters numbered in order of first appearance: the same text binds the same values on
/// both (checked by [`crate::parameters_in_order`] for each of [`ALL`]).
pub mod sql {
    /// The ids of the programmes that have targets, in order.
    pub const PROGRAMMES_WITH_TARGETS: &str =
        "SELECT programme_id FROM programme_targets ORDER BY programme_id";

    pub const INSERT_ORGANISATION: &str = "INSERT INTO organisations (kind, name, name_key, siren, commune_code) VALUES ($1, $2, $3, $4, $5) RETURNING id";
    pub const INSERT_PROGRAMME: &str = "INSERT INTO programmes (name, name_key, description, start_year, end_year, epci_siren) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    pub const INSERT_PROJECT: &str = "INSERT INTO projects (name, name_key, kind, programme_id) VALUES ($1, $2, $3, $4) RETURNING id";
    pub const INSERT_QUARTIER: &str = "INSERT INTO quartiers (name, name_key, kind, commune_code) VALUES ($1, $2, $3, $4) RETURNING id";
    pub const PROGRAMME_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM programmes WHERE id = $1)";
    pub const DELETE_PROGRAMME_TARGETS_BY_PROGRAMME_ID: &str =
        "DELETE FROM programme_targets WHERE programme_id = $1";
    pub const INSERT_PROGRAMME_TARGET: &str = "INSERT INTO programme_targets (programme_id, scope, total, first_year, last_year, social_percent, band_min, band_max)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    pub const INSERT_PROGRAMME_TARGET_SPLIT: &str = "INSERT INTO programme_target_splits (programme_id, dimension, key, label, dwellings) VALUES ($1, $2, $3, $4, $5)";
    pub const TARGETS: &str = "SELECT scope, total, first_year, last_year, social_percent, band_min, band_max FROM programme_targets WHERE programme_id = $1";
    pub const TARGET_SPLITS: &str = "SELECT dimension, key, label, dwellings FROM programme_target_splits WHERE programme_id = $1 ORDER BY id";
    pub const OPERATION_ID: &str =
        "SELECT id FROM operations WHERE landlord_id = $1 AND reference = $2";
    pub const OPERATION_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM operations WHERE id = $1)";
    pub const DELETE_FUNDING_ITEMS_BY_OPERATION_ID: &str =
        "DELETE FROM funding_items WHERE operation_id = $1";
    pub const INSERT_FUNDING_ITEM: &str = "INSERT INTO funding_items (operation_id, position, kind, source_id, label, amount_cents) VALUES ($1, $2, $3, $4, $5, $6)";
    pub const FINANCING_PLAN: &str = "SELECT kind, source_id, label, amount_cents FROM funding_items WHERE operation_id = $1 ORDER BY position";
    pub const LARGEST_LINE_ID: &str = "SELECT coalesce(max(id), 0) FROM operation_lines";
    /// The staged lines that are new ([`crate::query::changed_lines`] run first).
    pub const STAGED_LINES_NEW: &str = "SELECT count(*) FROM import_changed WHERE line_id IS NULL";

    /// Every text above, for the test of their parameters' order.
    pub const ALL: &[&str] = &[
        PROGRAMMES_WITH_TARGETS,
        INSERT_ORGANISATION,
        INSERT_PROGRAMME,
        INSERT_PROJECT,
        INSERT_QUARTIER,
        PROGRAMME_EXISTS,
        DELETE_PROGRAMME_TARGETS_BY_PROGRAMME_ID,
        INSERT_PROGRAMME_TARGET,
        INSERT_PROGRAMME_TARGET_SPLIT,
        TARGETS,
        TARGET_SPLITS,
        OPERATION_ID,
        OPERATION_EXISTS,
        DELETE_FUNDING_ITEMS_BY_OPERATION_ID,
        INSERT_FUNDING_ITEM,
        FINANCING_PLAN,
        LARGEST_LINE_ID,
        STAGED_LINES_NEW,
    ];
}

/// The French messages of this capability's refusals, written once for both adapters.
pub mod messages {
    use crate::StoreError;

    /// An organisation of this kind and name, or with this SIREN, exists.
    pub fn organisation_exists(kind: &str, name: &str) -> StoreError {
        StoreError::Conflict(format!(
            "une organisation de type « {kind} » nommée « {name} » ou avec ce SIREN existe déjà"
        ))
    }

    /// This commune has a quartier of this name.
    pub fn quartier_exists(name: &str, commune: impl std::fmt::Display) -> StoreError {
        StoreError::Conflict(format!(
            "le quartier « {name} » existe déjà dans la commune {commune}"
        ))
    }

    /// A programme of this name exists.
    pub fn programme_exists(name: &str) -> StoreError {
        StoreError::Conflict(format!("un programme nommé « {name} » existe déjà"))
    }

    /// A project of this name exists.
    pub fn project_exists(name: &str) -> StoreError {
        StoreError::Conflict(format!("un projet nommé « {name} » existe déjà"))
    }

    /// An organisation's commune is not in the reference geography.
    pub fn unknown_commune_of_organisation() -> StoreError {
        StoreError::Invalid("commune inconnue pour cette organisation".into())
    }

    /// A financing plan names an organisation logis does not hold.
    pub fn unknown_funder() -> StoreError {
        StoreError::Invalid("financeur inconnu dans le plan de financement".into())
    }

    /// A name left empty (`of_what`: "du programme", "de l'organisation"…).
    pub fn name_required(of_what: &str) -> StoreError {
        StoreError::Invalid(format!("le nom {of_what} est obligatoire"))
    }

    /// A financing plan item below zero.
    pub fn negative_amount() -> StoreError {
        StoreError::Invalid("montant négatif refusé dans le plan de financement".into())
    }

    /// A commune code not in the reference geography.
    pub fn unknown_commune(commune: impl std::fmt::Display) -> StoreError {
        StoreError::Invalid(format!("commune inconnue « {commune} »"))
    }

    /// A programme's first year after its last.
    pub fn bad_period(first: i32, last: i32) -> StoreError {
        StoreError::Invalid(format!("période invalide : {first} est après {last}"))
    }

    /// A target's split given twice.
    pub fn split_twice(label: &str) -> StoreError {
        StoreError::Invalid(format!("répartition « {label} » donnée deux fois"))
    }

    /// No operation has this id.
    pub fn operation_not_found(operation_id: i64) -> StoreError {
        StoreError::NotFound(format!("opération {operation_id} introuvable"))
    }

    /// No programme has this id.
    pub fn programme_not_found(programme_id: i64) -> StoreError {
        StoreError::NotFound(format!("programme {programme_id} introuvable"))
    }
}
