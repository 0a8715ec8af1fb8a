//! SQL shared by both adapters: the WHERE clause of a [`LineFilter`] and the aggregate query of
//! reports. Only the placeholder style (`?1` / `$1`) and text ordering differ between dialects;
//! every identifier comes from an enum here, every value is a bound parameter.

use crate::{LineFilter, LineSort};
use logis_domain::{LineScope, Nature};

/// A bound value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlParam {
    Int(i64),
    Text(String),
}

/// What differs between SQL dialects.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// Placeholder for the n-th parameter (1-based).
    pub placeholder: fn(usize) -> String,
    /// Appended to a text expression in ORDER BY for bytewise ordering.
    pub collate: &'static str,
}

/// The name of the former commune an operation's source wrote (NULL when none, or when it is known
/// by its code only), read only for the operations that have one.
macro_rules! written_commune_name {
    () => {
        "CASE WHEN o.written_commune_code IS NULL THEN NULL ELSE (SELECT nullif(min(fc.name), '') FROM former_communes fc WHERE fc.code = o.written_commune_code) END"
    };
}

/// The columns of a [`crate::LineRecord`], in the order the adapters decode them.
pub const LINE_COLUMNS: &str = concat!("l.id, o.id, org.name, org.siren, o.reference, o.commune_code, c.name, p.name, pg.name, q.name, o.label,
        l.nature, l.site, l.product, l.financing, l.dwellings, l.year, l.stage, l.stage_date, l.cost_cents,
        o.written_commune_code, ", written_commune_name!(), ", l.surface_m2, l.dpe_before, l.dpe_after, l.cep_before, l.cep_after, l.rpls_ids");

/// The tables every line query starts from (aliases used by the filter and the dimensions).
/// `+o.landlord_id` keeps SQLite from starting at the few organisations and walking operations
/// by landlord: started from the operations in id order, the default order of the lines (by
/// operation, then the line's unique key) needs no sort, and a page of the list is read at once.
pub const LINE_FROM: &str = "FROM operations o
    JOIN operation_lines l ON l.operation_id = o.id
    JOIN organisations org ON org.id = +o.landlord_id
    JOIN communes c ON c.code = o.commune_code
    LEFT JOIN projects p ON p.id = o.project_id
    LEFT JOIN programmes pg ON pg.id = o.programme_id
    LEFT JOIN quartiers q ON q.id = o.quartier_id";

/// `column IN ('a', 'b')` of vocabulary codes (they come from the enums: literals are safe).
fn codes_in(column: &str, codes: impl Iterator<Item = &'static str>) -> String {
    let list: Vec<String> = codes.map(|c| format!("'{c}'")).collect();
    format!("{column} IN ({})", list.join(", "))
}

/// `o.id IN (…)` with `ids` inlined (they are integers); no id keeps nothing.
fn operations_in(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "1 = 0".to_string();
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("o.id IN ({})", list.join(","))
}

/// The heads of the operations `ids`, in id order.
pub fn operation_heads_sql(ids: &[i64]) -> String {
    format!(
        "SELECT o.id, o.landlord_id, org.name, o.reference, o.label, o.commune_code, c.name, p.name, pg.name, q.name
         FROM operations o JOIN organisations org ON org.id = o.landlord_id JOIN communes c ON c.code = o.commune_code
         LEFT JOIN projects p ON p.id = o.project_id LEFT JOIN programmes pg ON pg.id = o.programme_id
         LEFT JOIN quartiers q ON q.id = o.quartier_id WHERE {} ORDER BY o.id",
        operations_in(ids)
    )
}

/// `WHERE …` (or an empty string) and its parameters, numbered from `first`.
pub fn where_clause(f: &LineFilter, d: Dialect, params: &mut Vec<SqlParam>) -> String {
    let mut conds: Vec<String> = Vec::new();
    let mut add = |expr: &str, v: SqlParam, params: &mut Vec<SqlParam>| {
        params.push(v);
        conds.push(expr.replace('?', &(d.placeholder)(params.len())));
    };
    if let Some(v) = f.landlord_id {
        add("o.landlord_id = ?", SqlParam::Int(v), params);
    }
    if let Some(v) = f.programme_id {
        add("o.programme_id = ?", SqlParam::Int(v), params);
    }
    if let Some(v) = f.project_id {
        add("o.project_id = ?", SqlParam::Int(v), params);
    }
    if let Some(v) = f.quartier_id {
        add("o.quartier_id = ?", SqlParam::Int(v), params);
    }
    if let Some(v) = &f.commune {
        add(
            "o.commune_code = ?",
            SqlParam::Text(v.as_str().to_string()),
            params,
        );
    }
    if let Some(v) = &f.epci {
        add(
            "o.commune_code IN (SELECT code FROM communes WHERE epci_siren = ?)",
            SqlParam::Text(v.as_str().to_string()),
            params,
        );
    }
    if let Some(v) = f.nature {
        add("l.nature = ?", SqlParam::Text(v.code().to_string()), params);
    }
    if let Some(v) = f.year_from {
        add("l.year >= ?", SqlParam::Int(i64::from(v)), params);
    }
    if let Some(v) = f.year_to {
        add("l.year <= ?", SqlParam::Int(i64::from(v)), params);
    }
    if let Some(v) = f.stage {
        add("l.stage = ?", SqlParam::Text(v.code().to_string()), params);
    }
    if let Some(v) = f.product {
        add(
            "l.product = ?",
            SqlParam::Text(v.code().to_string()),
            params,
        );
    }
    if let Some(v) = f.text.as_deref().filter(|t| !t.is_empty()) {
        // The key holds letters and digits only: nothing to escape in the pattern.
        add(
            "(o.search_key LIKE ? OR c.name_key LIKE ? OR p.name_key LIKE ? OR q.name_key LIKE ?)",
            SqlParam::Text(format!("%{v}%")),
            params,
        );
    }
    if let Some(v) = f.operation_id {
        add("o.id = ?", SqlParam::Int(v), params);
    }
    match &f.scope {
        None | Some(LineScope::All) => {}
        Some(LineScope::Landlord(id)) => add("o.landlord_id = ?", SqlParam::Int(*id), params),
        Some(LineScope::Commune(c)) => add(
            "o.commune_code = ?",
            SqlParam::Text(c.as_str().to_string()),
            params,
        ),
    }
    if !f.natures.is_empty() {
        conds.push(codes_in("l.nature", f.natures.iter().map(|n| n.code())));
    }
    if !f.financings.is_empty() {
        conds.push(codes_in(
            "l.financing",
            f.financings.iter().map(|v| v.code()),
        ));
    }
    if let Some(ids) = &f.operations {
        conds.push(operations_in(ids));
    }
    if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    }
}

/// `ORDER BY …` of a line query: the filter's sort, then the stable order of lines.
pub fn line_order(f: &LineFilter, d: Dialect) -> String {
    let c = d.collate;
    let key = match f.sort {
        LineSort::Operation => "o.id".to_string(),
        LineSort::Reference => format!("o.reference{c}"),
        LineSort::Landlord => format!("org.name{c}"),
        LineSort::Commune => format!("c.name{c}"),
        LineSort::Year => "l.year".to_string(),
        LineSort::Dwellings => "l.dwellings".to_string(),
        LineSort::Stage => format!("coalesce(l.stage, ''){c}"),
    };
    let dir = if f.descending { " DESC" } else { "" };
    format!(
        "ORDER BY {key}{dir}, o.id, l.nature{c}, l.site{c}, l.product{c}, l.financing{c}, l.year"
    )
}

/// What a report can group lines by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dim {
    CommuneCode,
    CommuneName,
    Year,
    Nature,
    Site,
    Product,
    Financing,
    Stage,
    Landlord,
    Programme,
    Project,
    Operation,
    OperationId,
    Label,
}

impl Dim {
    /// The SQL expression, as text (empty string for none).
    fn sql(self) -> &'static str {
        match self {
            Dim::CommuneCode => "o.commune_code",
            Dim::CommuneName => "c.name",
            Dim::Year => "CAST(l.year AS TEXT)",
            Dim::Nature => "l.nature",
            Dim::Site => "l.site",
            Dim::Product => "l.product",
            Dim::Financing => "l.financing",
            Dim::Stage => "coalesce(l.stage, '')",
            Dim::Landlord => "org.name",
            Dim::Programme => "coalesce(pg.name, '')",
            Dim::Project => "coalesce(p.name, '')",
            Dim::Operation => "o.reference",
            Dim::OperationId => "CAST(o.id AS TEXT)",
            Dim::Label => "coalesce(o.label, '')",
        }
    }

    /// The SQL expression for this filter: with [`crate::LineFilter::communes_as_written`], a
    /// commune is the former one the source wrote when it wrote one.
    fn sql_for(self, f: &crate::LineFilter) -> &'static str {
        match self {
            Dim::CommuneCode if f.communes_as_written => {
                "coalesce(o.written_commune_code, o.commune_code)"
            }
            Dim::CommuneName if f.communes_as_written => {
                concat!("coalesce(", written_commune_name!(), ", c.name)")
            }
            other => other.sql(),
        }
    }

    /// Sort expression: years and ids numerically, texts bytewise.
    fn order(self, d: Dialect, f: &crate::LineFilter) -> String {
        match self {
            Dim::Year => "l.year".into(),
            Dim::OperationId => "o.id".into(),
            other => format!("{}{}", other.sql_for(f), d.collate),
        }
    }
}

/// An aggregate's keys, in the order of the dimensions asked: shared texts (the register in
/// memory hands out the same text for every group of one commune, landlord… instead of a copy per
/// group), held in the row itself up to five (no allocation per group).
pub type Keys = smallvec::SmallVec<[std::sync::Arc<str>; 5]>;

/// One group of an aggregate: its keys, and its sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggRow {
    pub keys: Keys,
    pub dwellings: i64,
    pub lines: i64,
    pub cost_cents: i64,
}

/// `SELECT dims…, sum(dwellings), count(*), sum(cost) … GROUP BY dims ORDER BY dims`.
pub fn aggregate_sql(
    f: &LineFilter,
    dims: &[Dim],
    d: Dialect,
    params: &mut Vec<SqlParam>,
) -> String {
    let sql = lines_aggregate_sql(f, dims, d, params);
    // (The pre-aggregated sums are by today's commune.)
    if !totals_serve(dims)
        || f.communes_as_written
        || f.operation_id.is_some()
        || f.operations.is_some()
        || f.text.is_some()
    {
        return sql;
    }
    // Same query on the pre-aggregated sums: sums of sums, line counts kept per group.
    let sql = sql
        .replace(LINE_SUMS, TOTAL_SUMS)
        .replace(LINE_FROM, TOTALS_FROM);
    on_totals(&sql)
}

const LINE_SUMS: &str = "CAST(coalesce(sum(l.dwellings), 0) AS BIGINT), CAST(count(*) AS BIGINT), CAST(coalesce(sum(l.cost_cents), 0) AS BIGINT)";
const TOTAL_SUMS: &str = "CAST(coalesce(sum(t.dwellings), 0) AS BIGINT), CAST(coalesce(sum(t.lines), 0) AS BIGINT), CAST(coalesce(sum(t.cost_cents), 0) AS BIGINT)";

/// The aggregate on the lines themselves.
pub fn lines_aggregate_sql(
    f: &LineFilter,
    dims: &[Dim],
    d: Dialect,
    params: &mut Vec<SqlParam>,
) -> String {
    let where_ = where_clause(f, d, params);
    let select: Vec<&str> = dims.iter().map(|x| x.sql_for(f)).collect();
    let mut sql = String::from("SELECT ");
    for s in &select {
        sql.push_str(s);
        sql.push_str(", ");
    }
    sql.push_str(&format!("{LINE_SUMS} {LINE_FROM} {where_}"));
    if !dims.is_empty() {
        let group: Vec<String> = dims.iter().map(|x| x.sql_for(f).to_string()).collect();
        // Group by the order expressions too, so that ORDER BY may use them.
        let mut all = group.clone();
        for x in dims {
            if matches!(x, Dim::Year) {
                all.push("l.year".into());
            }
            if matches!(x, Dim::OperationId) {
                all.push("o.id".into());
            }
        }
        sql.push_str(&format!(" GROUP BY {}", all.join(", ")));
        let order: Vec<String> = dims.iter().map(|x| x.order(d, f)).collect();
        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
    }
    sql
}

/// The summary's counts of the reference tables: communes, organisations, programmes.
pub const SUMMARY_REFERENCE: &str = "SELECT (SELECT count(*) FROM communes), (SELECT count(*) FROM organisations), (SELECT count(*) FROM programmes)";

/// The summary's counts of the register (operations, lines, dwellings), when it is not held in
/// memory ([`crate::cube::Cube::counts`]).
pub const SUMMARY_REGISTER: &str =
    "SELECT (SELECT count(*) FROM operations), (SELECT count(*) FROM operation_lines),
    (SELECT CAST(coalesce(sum(dwellings), 0) AS BIGINT) FROM operation_lines)";

/// Natures that produce dwellings (new build, acquisition-improvement, reconstruction).
pub fn producing_natures() -> Vec<Nature> {
    Nature::ALL
        .iter()
        .copied()
        .filter(|n| n.produces())
        .collect()
}

/// Financing plan items of the operations with a line matching the filter.
pub fn funding_sql(f: &LineFilter, d: Dialect, params: &mut Vec<SqlParam>) -> String {
    let where_ = where_clause(f, d, params);
    // Without a condition, every plan: an operation always has lines, no need to scan them.
    let which = if where_.is_empty() {
        String::new()
    } else {
        format!("WHERE fi.operation_id IN (SELECT o.id {LINE_FROM} {where_})")
    };
    format!(
        "SELECT fi.operation_id, fi.kind, coalesce(src.name, ''), fi.label, fi.amount_cents
         FROM funding_items fi LEFT JOIN organisations src ON src.id = fi.source_id
         {which}
         ORDER BY fi.operation_id, fi.position"
    )
}

/// `INSERT INTO totals_delta` of the sums of the lines of the operations an import changes
/// (`totals_ops`, see [`totals_operations`]), by the keys of `line_totals`, with `$sign` before
/// each sum.
macro_rules! imported_sums {
    ($sign:literal) => {
        concat!(
            "INSERT INTO totals_delta
SELECT coalesce(o.programme_id, 0), o.landlord_id, coalesce(o.project_id, 0), coalesce(o.quartier_id, 0), o.commune_code,
       l.year, l.nature, l.site, l.product, l.financing, coalesce(l.stage, ''),
       ", $sign, "sum(l.dwellings), ", $sign, "count(*), ", $sign, "coalesce(sum(l.cost_cents), 0)
FROM totals_ops i JOIN operations o ON o.landlord_id = i.landlord_id AND o.reference = i.reference
JOIN operation_lines l ON l.operation_id = o.id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11;"
        )
    };
}

/// The staged lines an import writes (`import_changed`: the staged row, the line held or NULL,
/// whether the line's sums change), found in one walk of the staged lines joined to the lines
/// held, before the merge: a line new (or of a new operation), changed in any value, or whose
/// stage's date is not the event recorded. Every later step of a merge that is not all new
/// (the sums, the audit of changed lines, the count of lines held, the lines' upsert, the stage
/// events) reads this table instead of joining the staged lines again; an import that changes
/// nothing leaves it empty. `distinct`: the null-safe inequality; `staged`: the staged rows' key
/// (`rowid` on SQLite, `row_no` on PostgreSQL).
pub fn changed_lines(distinct: &str, staged: &str) -> String {
    format!(
        "INSERT INTO import_changed
SELECT s.{staged}, l.id, l.id IS NULL OR l.dwellings <> s.dwellings OR l.stage {distinct} coalesce(s.stage, l.stage)
   OR l.cost_cents {distinct} coalesce(s.cost_cents, l.cost_cents)
FROM import_staging s
LEFT JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference
LEFT JOIN operation_lines l ON l.operation_id = o.id AND l.nature = s.nature AND l.site = s.site AND l.product = s.product
   AND l.financing = s.financing AND l.year = s.year
WHERE l.id IS NULL OR l.dwellings <> s.dwellings OR l.stage {distinct} coalesce(s.stage, l.stage)
   OR l.stage_date {distinct} coalesce(s.stage_date, l.stage_date) OR l.cost_cents {distinct} coalesce(s.cost_cents, l.cost_cents)
   OR l.surface_m2 {distinct} coalesce(s.surface_m2, l.surface_m2)
   OR l.dpe_before {distinct} coalesce(s.dpe_before, l.dpe_before) OR l.dpe_after {distinct} coalesce(s.dpe_after, l.dpe_after)
   OR l.cep_before {distinct} coalesce(s.cep_before, l.cep_before) OR l.cep_after {distinct} coalesce(s.cep_after, l.cep_after)
   OR l.rpls_ids {distinct} coalesce(s.rpls_ids, l.rpls_ids)
   OR (s.stage IS NOT NULL AND s.stage_date IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM stage_events e WHERE e.line_id = l.id AND e.stage = s.stage AND e.event_date = s.stage_date));"
    )
}

/// The operations of an import whose sums change (`totals_ops`), found before the merge: new
/// operations, those given another commune, programme, project or quartier, and those with a
/// line whose sums change ([`changed_lines`], run first). The others' lines stay as they are: an
/// import that changes nothing costs no grouping at all. `distinct`: the null-safe inequality
/// (`IS NOT` / `IS DISTINCT FROM`); `staged`: as for [`changed_lines`].
pub fn totals_operations(distinct: &str, staged: &str) -> String {
    format!(
        "{NO_TOTALS_OPERATIONS}
INSERT INTO totals_ops
SELECT i.landlord_id, i.reference FROM import_ops i
LEFT JOIN operations o ON o.landlord_id = i.landlord_id AND o.reference = i.reference
WHERE o.id IS NULL OR o.commune_code <> i.commune_code
   OR o.programme_id {distinct} coalesce(i.programme_id, o.programme_id)
   OR o.project_id {distinct} coalesce(i.project_id, o.project_id)
   OR o.quartier_id {distinct} coalesce(i.quartier_id, o.quartier_id)
UNION
SELECT s.landlord_id, s.reference FROM import_changed m JOIN import_staging s ON s.{staged} = m.staged
WHERE m.sums;"
    )
}

/// `totals_ops`, empty: for an import whose operations are all new when its sums are made
/// otherwise (none of its operations had lines before), and the start of [`totals_operations`].
pub const NO_TOTALS_OPERATIONS: &str = "CREATE TEMP TABLE IF NOT EXISTS totals_ops (landlord_id BIGINT NOT NULL, reference TEXT NOT NULL, PRIMARY KEY (landlord_id, reference));
DELETE FROM totals_ops;";

/// The pre-aggregated sums kept in step with an import, in its transaction: the lines of the
/// operations it touches (`import_ops`) are taken out of the sums before the merge
/// ([`TOTALS_BEFORE_MERGE`]) and put back after it ([`TOTALS_AFTER_MERGE`], followed by
/// [`crate::cube::sql::BUMP`]): the cost is that of the operations imported, not of the register.
/// The sums then hold what grouping every line would make (migration 0004 made them so; the
/// conformance suite compares them with the lines through the register in memory).
pub const TOTALS_BEFORE_MERGE: &str = concat!(
    "CREATE TEMP TABLE IF NOT EXISTS totals_delta (
    programme_id BIGINT NOT NULL, landlord_id BIGINT NOT NULL, project_id BIGINT NOT NULL, quartier_id BIGINT NOT NULL,
    commune_code TEXT NOT NULL, year BIGINT NOT NULL, nature TEXT NOT NULL, site TEXT NOT NULL, product TEXT NOT NULL,
    financing TEXT NOT NULL, stage TEXT NOT NULL, dwellings BIGINT NOT NULL, lines BIGINT NOT NULL, cost_cents BIGINT NOT NULL);
DELETE FROM totals_delta;
",
    imported_sums!("-")
);

/// See [`TOTALS_BEFORE_MERGE`].
pub const TOTALS_AFTER_MERGE: &str = concat!(
    imported_sums!(""),
    "
INSERT INTO line_totals
SELECT programme_id, landlord_id, project_id, quartier_id, commune_code, year, nature, site, product, financing, stage,
       sum(dwellings), sum(lines), sum(cost_cents)
FROM totals_delta WHERE true
GROUP BY programme_id, landlord_id, project_id, quartier_id, commune_code, year, nature, site, product, financing, stage
HAVING sum(lines) <> 0 OR sum(dwellings) <> 0 OR sum(cost_cents) <> 0
ON CONFLICT (programme_id, landlord_id, project_id, quartier_id, commune_code, year, nature, site, product, financing, stage)
DO UPDATE SET dwellings = line_totals.dwellings + excluded.dwellings, lines = line_totals.lines + excluded.lines,
    cost_cents = line_totals.cost_cents + excluded.cost_cents;
DELETE FROM line_totals WHERE lines = 0;
DELETE FROM totals_delta;
DELETE FROM totals_ops;"
);

/// The tables of a query on the pre-aggregated sums (`t`), with the same aliases for names.
const TOTALS_FROM: &str = "FROM line_totals t
    JOIN organisations org ON org.id = t.landlord_id
    JOIN communes c ON c.code = t.commune_code
    LEFT JOIN projects p ON p.id = t.project_id
    LEFT JOIN programmes pg ON pg.id = t.programme_id";

/// Whether the pre-aggregated sums keep these dimensions (not per-operation ones).
pub fn totals_serve(dims: &[Dim]) -> bool {
    !dims
        .iter()
        .any(|d| matches!(d, Dim::Operation | Dim::OperationId | Dim::Label))
}

/// Rewrite column references `o.x` and `l.x` of our own SQL fragments to `t.x`.
fn on_totals(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev_is_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if (c == 'o' || c == 'l') && !prev_is_word && chars.get(i + 1) == Some(&'.') {
            out.push_str("t.");
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The texts of a [`Grouped`] aggregate's keys, by dimension and rank.
pub trait KeyTexts: Send + Sync + std::fmt::Debug {
    /// The text of rank `rank` of dimension `dim` ('' when there is none).
    fn text(&self, dim: usize, rank: u32) -> &str;
    /// How many ranks dimension `dim` has (ranks are below it).
    fn ranks(&self, dim: usize) -> usize;
}

/// An aggregate's groups in the order of [`aggregate_sql`], each with its keys as ranks (one per
/// dimension asked) in texts shared by the whole aggregate: a report reads its keys without a
/// text made or counted per group, and can look a dimension's few values (years, products) up
/// once per rank instead of once per group. One rank has one text; two ranks may have the same
/// text (the names of two communes of the same name).
#[derive(Debug, Clone)]
pub struct Grouped {
    width: usize,
    texts: std::sync::Arc<dyn KeyTexts>,
    keys: Vec<u32>,
    sums: Vec<[i64; 3]>,
}

/// One group of a [`Grouped`] aggregate.
#[derive(Debug, Clone, Copy)]
pub struct Group<'a> {
    of: &'a Grouped,
    at: usize,
    pub dwellings: i64,
    pub lines: i64,
    pub cost_cents: i64,
}

impl<'a> Group<'a> {
    /// The rank of its key of dimension `dim` (0 beyond the dimensions asked).
    pub fn rank(&self, dim: usize) -> u32 {
        if dim >= self.of.width {
            return 0;
        }
        self.of.keys[self.at * self.of.width + dim]
    }

    /// Its key of dimension `dim` ('' beyond the dimensions asked).
    pub fn key(&self, dim: usize) -> &'a str {
        if dim >= self.of.width {
            return "";
        }
        self.of.texts.text(dim, self.rank(dim))
    }
}

/// Texts of an aggregate answered with its texts (by the database): each dimension's distinct
/// texts.
#[derive(Debug)]
struct ListedTexts(Vec<Vec<std::sync::Arc<str>>>);

impl KeyTexts for ListedTexts {
    fn text(&self, dim: usize, rank: u32) -> &str {
        self.0
            .get(dim)
            .and_then(|t| t.get(rank as usize))
            .map_or("", |t| &**t)
    }
    fn ranks(&self, dim: usize) -> usize {
        self.0.get(dim).map_or(0, Vec::len)
    }
}

impl Grouped {
    /// Groups of `width` dimensions: `keys` holds each group's ranks one after the other,
    /// `sums` each group's (dwellings, lines, cost in cents).
    pub fn new(
        width: usize,
        texts: std::sync::Arc<dyn KeyTexts>,
        keys: Vec<u32>,
        sums: Vec<[i64; 3]>,
    ) -> Grouped {
        debug_assert_eq!(keys.len(), width * sums.len());
        Grouped {
            width,
            texts,
            keys,
            sums,
        }
    }

    /// The same groups from rows with texts (as the database answers), of `width` dimensions.
    pub fn from_rows(width: usize, rows: Vec<AggRow>) -> Grouped {
        let mut index: Vec<rustc_hash::FxHashMap<std::sync::Arc<str>, u32>> =
            vec![Default::default(); width];
        let mut texts: Vec<Vec<std::sync::Arc<str>>> = vec![Vec::new(); width];
        let mut keys = Vec::with_capacity(rows.len() * width);
        let mut sums = Vec::with_capacity(rows.len());
        for r in rows {
            for d in 0..width {
                let text = r.keys.get(d).cloned().unwrap_or_else(|| "".into());
                let next = texts[d].len() as u32;
                let rank = *index[d].entry(text).or_insert_with_key(|t| {
                    texts[d].push(std::sync::Arc::clone(t));
                    next
                });
                keys.push(rank);
            }
            sums.push([r.dwellings, r.lines, r.cost_cents]);
        }
        Grouped::new(width, std::sync::Arc::new(ListedTexts(texts)), keys, sums)
    }

    pub fn len(&self) -> usize {
        self.sums.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// Group `at`.
    pub fn get(&self, at: usize) -> Group<'_> {
        let [dwellings, lines, cost_cents] = self.sums[at];
        Group {
            of: self,
            at,
            dwellings,
            lines,
            cost_cents,
        }
    }

    /// The first group.
    pub fn first(&self) -> Option<Group<'_>> {
        (!self.is_empty()).then(|| self.get(0))
    }

    /// The groups, in order.
    pub fn iter(&self) -> Groups<'_> {
        Groups {
            of: self,
            at: 0..self.len(),
        }
    }

    /// How many ranks dimension `dim` has.
    pub fn ranks(&self, dim: usize) -> usize {
        if dim >= self.width {
            return 0;
        }
        self.texts.ranks(dim)
    }

    /// The text of rank `rank` of dimension `dim`.
    pub fn rank_text(&self, dim: usize, rank: u32) -> &str {
        if dim >= self.width {
            return "";
        }
        self.texts.text(dim, rank)
    }

    /// `f` of each rank of dimension `dim` (for a dimension of few values: years, products).
    pub fn per_rank<T>(&self, dim: usize, f: impl Fn(&str) -> T) -> Vec<T> {
        (0..self.ranks(dim) as u32)
            .map(|r| f(self.rank_text(dim, r)))
            .collect()
    }

    /// The groups as rows with their texts (what the database answers).
    pub fn to_rows(&self) -> Vec<AggRow> {
        self.iter()
            .map(|g| AggRow {
                keys: (0..self.width).map(|d| g.key(d).into()).collect(),
                dwellings: g.dwellings,
                lines: g.lines,
                cost_cents: g.cost_cents,
            })
            .collect()
    }
}

/// The groups of a [`Grouped`] aggregate, in order.
#[derive(Debug, Clone)]
pub struct Groups<'a> {
    of: &'a Grouped,
    at: std::ops::Range<usize>,
}

impl<'a> Iterator for Groups<'a> {
    type Item = Group<'a>;
    fn next(&mut self) -> Option<Group<'a>> {
        self.at.next().map(|at| self.of.get(at))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.at.size_hint()
    }
}

impl ExactSizeIterator for Groups<'_> {}

impl<'a> IntoIterator for &'a Grouped {
    type Item = Group<'a>;
    type IntoIter = Groups<'a>;
    fn into_iter(self) -> Groups<'a> {
        self.iter()
    }
}
