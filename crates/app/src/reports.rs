//! Programme reports, computed by the store's aggregates from the detail lines (never from
//! declared totals): production (PLH programming table), rehabilitation programming, urban
//! renewal (ANRU table). Each report is a long table for scripts and a grid laid out as the
//! published tables are.

use crate::{AppError, Result};
use logis_domain::{Nature, Product, RehabFinancing, Site, Stage};
use logis_io::report::{Cell, Grid, GridPage, GridRow, Report, RowKind, Span};
use logis_store::query::{Dim, Group, Grouped};
use logis_store::{LineFilter, Store};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// The reports logis computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportName {
    Production,
    Rehabilitation,
    Renouvellement,
    Programme,
    Financement,
    Reequilibrage,
}

impl ReportName {
    pub const ALL: &'static [ReportName] = &[
        ReportName::Production,
        ReportName::Rehabilitation,
        ReportName::Renouvellement,
        ReportName::Programme,
        ReportName::Financement,
        ReportName::Reequilibrage,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ReportName::Production => "production",
            ReportName::Rehabilitation => "rehabilitation",
            ReportName::Renouvellement => "renouvellement",
            ReportName::Programme => "programme",
            ReportName::Financement => "financement",
            ReportName::Reequilibrage => "reequilibrage",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ReportName::Production => {
                "Programmation de la production de logements par commune, année et produit"
            }
            ReportName::Rehabilitation => {
                "Programmation des réhabilitations par commune, année et financement"
            }
            ReportName::Renouvellement => {
                "Renouvellement urbain : démolitions, reconstructions et réhabilitations par projet"
            }
            ReportName::Programme => {
                "Avancement du programme : objectifs et réalisations par année"
            }
            ReportName::Financement => "Prix de revient et plans de financement des opérations",
            ReportName::Reequilibrage => {
                "Rééquilibrage de l'offre : reconstitution des logements démolis et offre sociale par commune"
            }
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let key = logis_domain::text::name_key(s);
        ReportName::ALL
            .iter()
            .copied()
            .find(|r| logis_domain::text::name_key(r.code()) == key)
    }
}

/// Compute `name` over the lines matching `filter`, seen from today.
/// The filter a principal's report runs with: the financing report (cost prices and plans,
/// per operation) needs [`Permission::ReadFinancing`] and covers only the operations the
/// principal reads one by one; every other report is an aggregate all roles see. `Err`: the
/// French reason for a refusal.
pub fn filter_for(
    principal: &logis_domain::Principal,
    name: ReportName,
    mut filter: LineFilter,
) -> std::result::Result<LineFilter, String> {
    if name == ReportName::Financement {
        if !principal.may(logis_domain::Permission::ReadFinancing) {
            return Err("le rapport de financement (prix de revient et plans de financement par opération) n'est pas ouvert à votre rôle".into());
        }
        filter.scope = principal.line_scope();
    }
    Ok(filter)
}

fn this_year() -> i32 {
    chrono::Datelike::year(&chrono::Local::now().date_naive())
}

pub fn build(store: &dyn Store, name: ReportName, filter: &LineFilter) -> Result<Report> {
    build_at(store, name, filter, this_year())
}

/// Compute `name`, seen from `current_year` (the programme's projection depends on it).
pub fn build_at(
    store: &dyn Store,
    name: ReportName,
    filter: &LineFilter,
    current_year: i32,
) -> Result<Report> {
    let shape = Shape {
        long: true,
        page: None,
    };
    Ok(build_shaped(store, name, filter, current_year, shape)?.0)
}

/// The report for a CSV file: its whole long table (the CSV's rows), its grid laid out for its
/// first page only (a CSV has no grid; a per-operation grid of the whole register is millions
/// of cells).
pub fn build_long(store: &dyn Store, name: ReportName, filter: &LineFilter) -> Result<Report> {
    let shape = Shape {
        long: true,
        page: Some((1, 200)),
    };
    Ok(build_shaped(store, name, filter, this_year(), shape)?.0)
}

/// The report for a page: one page of `size` rows of its grid (the published layout) with its
/// totals, without the long table, which only files need. For a large register the
/// per-operation reports have a grid row per operation: only the rows shown are laid out.
pub fn build_page(
    store: &dyn Store,
    name: ReportName,
    filter: &LineFilter,
    page: usize,
    size: usize,
) -> Result<(Report, GridPage)> {
    let shape = Shape {
        long: false,
        page: Some((page, size)),
    };
    let (mut report, kept) = build_shaped(store, name, filter, this_year(), shape)?;
    // (The small reports make their long table anyway; a page has none.)
    report.long_rows.clear();
    let kept = match kept {
        Some(k) => k,
        None => report.grid.keep_page(page, size),
    };
    Ok((report, kept))
}

/// Report pages computed once and served again while nothing they read has changed (see
/// [`crate::cache::StampCache`]): the steering committee's tables are opened far more often
/// than the register changes.
pub struct PageCache(crate::cache::StampCache<(Report, GridPage)>);

impl Default for PageCache {
    /// 32 pages (a whole-register page with every year is about 2 MiB).
    fn default() -> Self {
        PageCache(crate::cache::StampCache::new(32))
    }
}

impl PageCache {
    /// [`build_page`], or the same page computed before at the same stamp (and computed again
    /// after a write by [`PageCache::refresh`]).
    pub fn page(
        &self,
        store: &dyn Store,
        name: ReportName,
        filter: &LineFilter,
        page: usize,
        size: usize,
    ) -> Result<std::sync::Arc<(Report, GridPage)>> {
        // The filter's every field (its scope included) and the year the projection is seen from.
        let key = format!("{}|{page}|{size}|{}|{filter:?}", name.code(), this_year());
        let filter = filter.clone();
        self.0.get_kept(store, key, move |st| {
            build_page(st, name, &filter, page, size)
        })
    }

    /// See [`crate::cache::StampCache::refresh`].
    pub fn refresh(&self, store: &dyn Store) -> Result<usize> {
        self.0.refresh(store)
    }
}

/// What a caller wants of a report: the long table or not, the whole grid or one page of it
/// (page, rows per page).
#[derive(Clone, Copy)]
struct Shape {
    long: bool,
    page: Option<(usize, usize)>,
}

/// A report, and the page of its grid when it laid out only that page.
type Shaped = (Report, Option<GridPage>);

fn build_shaped(
    store: &dyn Store,
    name: ReportName,
    filter: &LineFilter,
    current_year: i32,
    shape: Shape,
) -> Result<Shaped> {
    let scope = describe(store, filter)?;
    let whole = |r: Result<Report>| r.map(|r| (r, None));
    match name {
        ReportName::Programme => whole(programme(store, filter, scope, current_year)),
        ReportName::Financement => financement(store, filter, scope, shape),
        ReportName::Reequilibrage => reequilibrage(store, filter, scope, shape),
        ReportName::Production => production(store, filter, scope, shape),
        ReportName::Rehabilitation => rehabilitation(store, filter, scope, shape),
        ReportName::Renouvellement => renouvellement(store, filter, scope, shape),
    }
}

/// The filters in French, for the report's subtitle.
pub fn describe(store: &dyn Store, f: &LineFilter) -> Result<String> {
    let mut parts = Vec::new();
    // "programme : Dunkerque 2030", or the id when the name is gone.
    let mut named = |what: &str,
                     id: Option<i64>,
                     names: &dyn Fn() -> Result<Vec<(i64, String)>>|
     -> Result<()> {
        if let Some(id) = id {
            let name = names()?
                .into_iter()
                .find(|(i, _)| *i == id)
                .map(|(_, n)| n)
                .unwrap_or_else(|| format!("n° {id}"));
            parts.push(format!("{what} : {name}"));
        }
        Ok(())
    };
    named("programme", f.programme_id, &|| {
        Ok(store
            .programmes()?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect())
    })?;
    named("bailleur", f.landlord_id, &|| {
        Ok(store
            .organisations()?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect())
    })?;
    named("projet", f.project_id, &|| {
        Ok(store
            .projects()?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect())
    })?;
    named("quartier", f.quartier_id, &|| {
        Ok(store
            .quartiers()?
            .into_iter()
            .map(|q| (q.id, q.name))
            .collect())
    })?;
    if f.commune.is_some() || f.epci.is_some() {
        let geo = store.geography()?;
        if let Some(c) = &f.commune {
            let name = geo
                .commune(c.as_str())
                .map(|c| c.name.clone())
                .unwrap_or_default();
            parts.push(format!("commune : {name} ({c})"));
        }
        if let Some(e) = &f.epci {
            let name = geo
                .epci(e.as_str())
                .map(|e| e.name.clone())
                .unwrap_or_default();
            parts.push(format!("EPCI : {name}"));
        }
    }
    match (f.year_from, f.year_to) {
        (Some(a), Some(b)) if a == b => parts.push(format!("année : {a}")),
        (Some(a), Some(b)) => parts.push(format!("années : {a} à {b}")),
        (Some(a), None) => parts.push(format!("années : depuis {a}")),
        (None, Some(b)) => parts.push(format!("années : jusqu'à {b}")),
        (None, None) => {}
    }
    if let Some(s) = f.stage {
        parts.push(format!("stade : {}", s.label()));
    }
    Ok(if parts.is_empty() {
        "Tout le registre".into()
    } else {
        parts.join(" ; ")
    })
}

fn key<'a>(r: impl std::borrow::Borrow<Group<'a>>, i: usize) -> &'a str {
    r.borrow().key(i)
}

fn year_of<'a>(r: impl std::borrow::Borrow<Group<'a>> + Copy, i: usize) -> Result<i32> {
    key(r, i).parse().map_err(|_| unreadable_year(key(r, i)))
}

fn unreadable_year(text: &str) -> AppError {
    AppError::Invalid(format!("année illisible « {text} »"))
}

/// The years of one dimension of an aggregate, read once per rank (not once per group).
struct Years(Vec<Option<i32>>);

impl Years {
    fn of(rows: &Grouped, dim: usize) -> Years {
        Years(rows.per_rank(dim, |t| t.parse().ok()))
    }

    fn at(&self, r: Group<'_>, dim: usize) -> Result<i32> {
        self.0
            .get(r.rank(dim) as usize)
            .copied()
            .flatten()
            .ok_or_else(|| unreadable_year(r.key(dim)))
    }
}

fn cell(n: i64) -> Cell {
    if n == 0 { Cell::Empty } else { Cell::Int(n) }
}

/// The rows of a year × category pivot, in first-seen order: up to three row header texts each
/// (the first one is the group: the commune), borrowed from the aggregate's keys.
#[derive(Default)]
struct PivotRows<'a> {
    index: FxHashMap<[&'a str; 3], u32>,
    heads: Vec<[&'a str; 3]>,
    /// Whether a row's values all follow one another (its texts are a prefix of the aggregate's
    /// order): then a row that is not the last one is a new one, and no index is kept.
    contiguous: bool,
}

/// Where a row's texts are: the register in memory shares one text per value, so the row just
/// seen is recognised without comparing texts.
fn addresses(head: &[&str; 3]) -> [(usize, usize); 3] {
    head.map(|s| (s.as_ptr() as usize, s.len()))
}

impl<'a> PivotRows<'a> {
    fn of(&mut self, head: [&'a str; 3]) -> u32 {
        // Aggregates come sorted: a row's values follow one another.
        if let Some(last) = self.heads.last()
            && addresses(last) == addresses(&head)
        {
            return self.heads.len() as u32 - 1;
        }
        let next = self.heads.len() as u32;
        if self.contiguous {
            if self.heads.last() == Some(&head) {
                return next - 1;
            }
            self.heads.push(head);
            return next;
        }
        *self.index.entry(head).or_insert_with(|| {
            self.heads.push(head);
            next
        })
    }

    /// The rows in display order: by the group's sort key (the first text, compared once per
    /// distinct group), then in first-seen order; and each row's group (its rank).
    fn display_order(&self) -> (Vec<u32>, Vec<u32>) {
        let mut group_of: FxHashMap<(usize, usize), u32> = FxHashMap::default();
        let mut texts: Vec<&str> = Vec::new();
        let row_group: Vec<u32> = self
            .heads
            .iter()
            .map(|h| {
                let next = texts.len() as u32;
                *group_of.entry(addresses(h)[0]).or_insert_with(|| {
                    texts.push(h[0]);
                    next
                })
            })
            .collect();
        // Groups by sort key; equal texts (at different addresses) share a rank.
        let keys: Vec<String> = texts
            .iter()
            .map(|t| logis_domain::text::name_key(t))
            .collect();
        let mut sorted: Vec<u32> = (0..texts.len() as u32).collect();
        sorted.sort_by(|a, b| {
            keys[*a as usize]
                .cmp(&keys[*b as usize])
                .then_with(|| texts[*a as usize].cmp(texts[*b as usize]))
        });
        let mut rank = vec![0u32; texts.len()];
        let mut r = 0;
        for (n, g) in sorted.iter().enumerate() {
            if n > 0 {
                let p = sorted[n - 1] as usize;
                if keys[p] != keys[*g as usize] || texts[p] != texts[*g as usize] {
                    r += 1;
                }
            }
            rank[*g as usize] = r;
        }
        let group: Vec<u32> = row_group.iter().map(|g| rank[*g as usize]).collect();
        let mut order: Vec<u32> = (0..self.heads.len() as u32).collect();
        order.sort_by_key(|row| group[*row as usize]);
        (order, group)
    }
}

/// Where a pivot's rows go: their display order, each row's group, the page kept and the body
/// rows (details and subtotals, counted in display order) it shows.
struct Layout {
    order: Vec<u32>,
    group_of: Vec<u32>,
    subtotals: bool,
    kept: Option<GridPage>,
    shown: std::ops::Range<usize>,
}

impl PivotRows<'_> {
    /// The rows' layout, with a subtotal after each group when `subtotals`, and one page of
    /// `page` (page, rows per page) or every row.
    fn layout(&self, subtotals: bool, page: Option<(usize, usize)>) -> Layout {
        let (order, group_of) = self.display_order();
        let mut layout = Layout {
            order,
            group_of,
            subtotals,
            kept: None,
            shown: 0..usize::MAX,
        };
        if let Some((page, size)) = page {
            let groups = if subtotals {
                layout.groups().count()
            } else {
                0
            };
            let (kept, range) = GridPage::of(page, size, layout.order.len() + groups);
            layout.kept = Some(kept);
            layout.shown = range;
        }
        layout
    }
}

impl Layout {
    /// The rows, group by group.
    fn groups(&self) -> impl Iterator<Item = &[u32]> {
        self.order
            .chunk_by(|a, b| self.group_of[*a as usize] == self.group_of[*b as usize])
    }

    /// The detail rows shown.
    fn shown_details(&self) -> Vec<u32> {
        let mut body = 0;
        let mut out = Vec::new();
        for group in self.groups() {
            for row in group {
                if self.shown.contains(&body) {
                    out.push(*row);
                }
                body += 1;
            }
            body += usize::from(self.subtotals);
        }
        out
    }
}

/// The label, reference and landlord of operations, by id.
struct OperationHeads(Vec<(i64, [std::sync::Arc<str>; 3])>);

impl OperationHeads {
    /// Those of every operation with a line matching `f` (one aggregate), or, given `ids`, of
    /// those operations only (read at once: the rows a page shows).
    fn read(store: &dyn Store, f: &LineFilter, ids: Option<&[i64]>) -> Result<Self> {
        // From the register in memory when there is one: its texts are shared, not copied, and
        // no query is run per page.
        let mut heads: Vec<(i64, [std::sync::Arc<str>; 3])> =
            match (ids, store.register_in_memory()?) {
                (Some(ids), Some(cube)) => cube.operation_heads(ids),
                (None, Some(cube)) => {
                    let met: Vec<i64> = store
                        .operations_met(f)?
                        .into_iter()
                        .map(|(id, _)| id)
                        .collect();
                    cube.operation_heads(&met)
                }
                (Some(ids), None) => store
                    .operations(ids)?
                    .into_iter()
                    .map(|o| {
                        let label = o.label.unwrap_or_default();
                        (o.id, [label.into(), o.reference.into(), o.landlord.into()])
                    })
                    .collect(),
                (None, None) => store
                    .aggregate(
                        f,
                        &[Dim::OperationId, Dim::Label, Dim::Operation, Dim::Landlord],
                    )?
                    .iter()
                    .filter_map(|r| {
                        let text = |i: usize| std::sync::Arc::<str>::from(key(r, i));
                        Some((key(r, 0).parse().ok()?, [text(1), text(2), text(3)]))
                    })
                    .collect(),
            };
        heads.sort_by_key(|(id, _)| *id);
        Ok(OperationHeads(heads))
    }

    /// Label, reference and landlord of `id` (empty when not read).
    fn get(&self, id: i64) -> [&str; 3] {
        match self.0.binary_search_by_key(&id, |(i, _)| *i) {
            Ok(i) => self.0[i].1.each_ref().map(|t| &**t),
            Err(_) => ["", "", ""],
        }
    }
}

/// One value of a pivot: its row (in [`PivotRows`]), year, category (in the categories).
struct Entry {
    row: u32,
    year: i32,
    category: usize,
    value: i64,
}

/// Entries' (column, value) pairs, row by row.
struct RowValues {
    start: Vec<usize>,
    values: Vec<(usize, i64)>,
}

impl RowValues {
    fn new(entries: &[Entry], rows: usize, column: impl Fn(&Entry) -> usize) -> Self {
        let mut start = vec![0usize; rows + 1];
        for e in entries {
            start[e.row as usize + 1] += 1;
        }
        for i in 0..rows {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut values = vec![(0usize, 0i64); entries.len()];
        for e in entries {
            values[fill[e.row as usize]] = (column(e), e.value);
            fill[e.row as usize] += 1;
        }
        RowValues { start, values }
    }

    /// Add `row`'s values to `acc`, column by column.
    fn add(&self, acc: &mut [i64], row: u32) {
        let row = row as usize;
        for (col, v) in &self.values[self.start[row]..self.start[row + 1]] {
            acc[*col] += v;
        }
    }
}

/// Lay entries out: rows down (communes in alphabetical order, as in the published tables, and
/// first-seen order inside a commune), years × categories across with a total per year and a
/// grand total; a subtotal row after each group when the layout has them, a total row. Only the
/// layout's shown body rows are laid out; the totals always are.
/// `head_cells` gives a detail row's header cells from its texts.
/// With `group_sums`, the subtotals and totals are those entries (each on its group's first
/// row), and `entries` need only hold the shown rows' values: a page of a grid with a row per
/// operation then reads the values of its shown operations only.
fn pivot(
    row_header: &[&str],
    rows: &PivotRows<'_>,
    entries: &[Entry],
    group_sums: Option<&[Entry]>,
    categories: &[&str],
    layout: &Layout,
    head_cells: &mut dyn FnMut(&[&str; 3]) -> Vec<Cell>,
) -> (Grid, Option<GridPage>) {
    let every = || entries.iter().chain(group_sums.into_iter().flatten());
    let years: BTreeSet<i32> = every().map(|e| e.year).collect();
    let mut present = vec![false; categories.len()];
    for e in every() {
        present[e.category] = true;
    }
    // Column of each category among those present.
    let mut cat_pos = vec![usize::MAX; categories.len()];
    let mut cats: Vec<&str> = Vec::new();
    for (i, c) in categories.iter().enumerate() {
        if present[i] {
            cat_pos[i] = cats.len();
            cats.push(c);
        }
    }
    let h = row_header.len();
    let mut groups = vec![Span {
        label: String::new(),
        span: h,
    }];
    let mut header: Vec<String> = row_header.iter().map(|s| s.to_string()).collect();
    for y in &years {
        groups.push(Span {
            label: y.to_string(),
            span: cats.len() + 1,
        });
        header.extend(cats.iter().map(|c| c.to_string()));
        header.push(format!("Total {y}"));
    }
    groups.push(Span {
        label: String::new(),
        span: 1,
    });
    header.push("Total".into());

    let year_pos: BTreeMap<i32, usize> = years.iter().enumerate().map(|(i, y)| (*y, i)).collect();
    let width = years.len() * cats.len();
    let column = |e: &Entry| year_pos[&e.year] * cats.len() + cat_pos[e.category];
    let values = RowValues::new(entries, rows.heads.len(), column);
    let sums = group_sums.map(|g| RowValues::new(g, rows.heads.len(), column));
    // The cells of one row from its sums per column: each year's categories and total, the total.
    let numbers = |acc: &[i64]| -> Vec<Cell> {
        let mut out = Vec::with_capacity(width + years.len() + 1);
        let mut grand = 0;
        for per_year in acc.chunks(cats.len().max(1)).take(years.len()) {
            let year_total: i64 = per_year.iter().sum();
            out.extend(per_year.iter().map(|v| cell(*v)));
            grand += year_total;
            out.push(cell(year_total));
        }
        out.push(Cell::Int(grand));
        out
    };
    let shown = &layout.shown;
    let subtotals = layout.subtotals;
    let mut out = Vec::new();
    let mut all = vec![0i64; width];
    let mut sub = vec![0i64; width];
    let mut acc = vec![0i64; width];
    let mut body = 0usize;
    for group in layout.groups() {
        sub.fill(0);
        if let Some(sums) = &sums {
            sums.add(&mut all, group[0]);
            sums.add(&mut sub, group[0]);
        }
        for row in group {
            if sums.is_none() {
                values.add(&mut all, *row);
                if subtotals {
                    values.add(&mut sub, *row);
                }
            }
            if shown.contains(&body) {
                acc.fill(0);
                values.add(&mut acc, *row);
                let head = &rows.heads[*row as usize];
                let mut cells = head_cells(head);
                cells.extend(numbers(&acc));
                out.push(GridRow {
                    kind: RowKind::Detail,
                    cells,
                });
            }
            body += 1;
        }
        if subtotals {
            if shown.contains(&body) {
                let name = rows.heads[group[0] as usize][0];
                let mut cells = vec![Cell::text(format!("Total {name}"))];
                cells.extend((1..h).map(|_| Cell::Empty));
                cells.extend(numbers(&sub));
                out.push(GridRow {
                    kind: RowKind::Subtotal,
                    cells,
                });
            }
            body += 1;
        }
    }
    let mut cells = vec![Cell::text("Total")];
    cells.extend((1..h).map(|_| Cell::Empty));
    cells.extend(numbers(&all));
    out.push(GridRow {
        kind: RowKind::Total,
        cells,
    });
    (
        Grid {
            groups,
            header,
            row_header_columns: h,
            rows: out,
        },
        layout.kept,
    )
}

fn production(
    store: &dyn Store,
    filter: &LineFilter,
    scope: String,
    shape: Shape,
) -> Result<Shaped> {
    let mut f = filter.clone();
    f.natures = Nature::ALL
        .iter()
        .copied()
        .filter(|n| n.produces())
        .collect();
    let dims = [Dim::CommuneCode, Dim::CommuneName, Dim::Year, Dim::Product];
    let rows = store.aggregate(&f, &dims)?;
    let mut long = Vec::new();
    let mut heads = PivotRows::default();
    let mut entries = Vec::with_capacity(rows.len());
    let mut without_product = 0;
    let years = Years::of(&rows, 2);
    let products = rows.per_rank(3, Product::from_code);
    for r in &rows {
        let Some(product) = products.get(r.rank(3) as usize).copied().flatten() else {
            without_product += r.dwellings;
            continue;
        };
        let year = years.at(r, 2)?;
        if shape.long {
            long.push(vec![
                Cell::text(key(r, 0)),
                Cell::text(key(r, 1)),
                Cell::Int(i64::from(year)),
                Cell::text(product.label()),
                Cell::Int(r.dwellings),
            ]);
        }
        entries.push(Entry {
            row: heads.of([key(r, 1), "", ""]),
            year,
            category: Product::ALL.iter().position(|p| *p == product).unwrap_or(0),
            value: r.dwellings,
        });
    }
    let categories: Vec<&str> = Product::ALL.iter().map(|p| p.label()).collect();
    let mut notes = vec!["Logements produits (construction neuve, acquisition-amélioration, reconstruction), comptés à partir des lignes d'opération.".to_string()];
    if without_product > 0 {
        notes.push(format!(
            "{} logement(s) produits sans produit de financement précisé (par exemple des reconstructions ANRU non ventilées) ne figurent pas dans ce tableau : voir le rapport renouvellement.",
            logis_domain::numbers::group_thousands(without_product)
        ));
    }
    let (grid, kept) = pivot(
        &["Commune"],
        &heads,
        &entries,
        None,
        &categories,
        &heads.layout(false, shape.page),
        &mut |h| vec![Cell::text(h[0])],
    );
    Ok((
        Report {
            name: ReportName::Production.code(),
            title: ReportName::Production.title().into(),
            scope,
            notes,
            long_columns: vec!["commune_insee", "commune", "annee", "produit", "logements"],
            long_rows: long,
            grid,
        },
        kept,
    ))
}

/// A rehabilitation line's column in the grid (none without a financing).
fn rehab_category(code: &str) -> Option<usize> {
    let financing = RehabFinancing::from_code(code)?;
    RehabFinancing::ALL.iter().position(|x| *x == financing)
}

fn rehabilitation(
    store: &dyn Store,
    filter: &LineFilter,
    scope: String,
    shape: Shape,
) -> Result<Shaped> {
    let mut f = filter.clone();
    f.natures = vec![Nature::Rehabilitation];
    // One grid row per operation, in the order operations were recorded inside a commune.
    let RehabGrid {
        grid,
        kept,
        long,
        unfinanced,
    } = match (shape.page, shape.long) {
        (Some(page), false) => rehabilitation_page(store, &f, &by_commune(store, &f)?, page)?,
        // (A CSV: the long table, and the grid of one page only.)
        (Some(page), true) => {
            // (The long table and the page's subtotals are one aggregate.)
            let by_commune = by_commune(store, &f)?;
            RehabGrid {
                long: rehabilitation_long(&by_commune)?,
                ..rehabilitation_page(store, &f, &by_commune, page)?
            }
        }
        // (Other files: the whole grid and the long table.)
        (None, _) => rehabilitation_whole(store, &f)?,
    };
    let mut notes = vec!["Logements réhabilités, par opération et bailleur, comptés à partir des lignes d'opération.".to_string()];
    if unfinanced > 0 {
        notes.push(format!(
            "{} logement(s) réhabilités sans financement précisé (PALULOS, PAM, éco-prêt…) ne figurent pas dans ce tableau : voir le rapport renouvellement.",
            logis_domain::numbers::group_thousands(unfinanced)
        ));
    }
    Ok((
        Report {
            name: ReportName::Rehabilitation.code(),
            title: ReportName::Rehabilitation.title().into(),
            scope,
            notes,
            long_columns: vec![
                "commune_insee",
                "commune",
                "annee",
                "financement",
                "logements",
            ],
            long_rows: long,
            grid,
        },
        kept,
    ))
}

/// The rehabilitation grid's header cells and pivot, once its rows, values and layout are known.
/// An operation's label (its reference when it has none) and landlord are read for every
/// operation when the whole grid is laid out, else for the operations shown (`shown`).
fn rehabilitation_grid(
    store: &dyn Store,
    f: &LineFilter,
    heads: &PivotRows<'_>,
    entries: &[Entry],
    group_sums: Option<&[Entry]>,
    layout: &Layout,
    shown: Option<&[i64]>,
) -> Result<(Grid, Option<GridPage>)> {
    let named = OperationHeads::read(store, f, shown)?;
    let mut header = |h: &[&str; 3]| -> Vec<Cell> {
        let [label, reference, landlord] = named.get(h[1].parse().unwrap_or(i64::MIN));
        let shown = if label.is_empty() { reference } else { label };
        vec![Cell::text(h[0]), Cell::text(shown), Cell::text(landlord)]
    };
    let categories: Vec<&str> = RehabFinancing::ALL.iter().map(|p| p.label()).collect();
    Ok(pivot(
        &["Commune", "Opération", "Bailleur"],
        heads,
        entries,
        group_sums,
        &categories,
        layout,
        &mut header,
    ))
}

/// The rehabilitation grid, the page it kept, its long rows and the dwellings without a
/// financing (which it leaves out).
struct RehabGrid {
    grid: Grid,
    kept: Option<GridPage>,
    long: Vec<Vec<Cell>>,
    unfinanced: i64,
}

/// The grid from every line grouped by operation (files: every row is laid out).
fn rehabilitation_whole(store: &dyn Store, f: &LineFilter) -> Result<RehabGrid> {
    let dims = [
        Dim::CommuneCode,
        Dim::CommuneName,
        Dim::OperationId,
        Dim::Year,
        Dim::Financing,
    ];
    let rows = store.aggregate(f, &dims)?;
    // (Commune, operation) is a prefix of the aggregate's order: a row's values are together.
    let mut heads = PivotRows {
        contiguous: true,
        ..PivotRows::default()
    };
    let mut entries = Vec::with_capacity(rows.len());
    let mut unfinanced = 0;
    let years = Years::of(&rows, 3);
    let categories = rows.per_rank(4, rehab_category);
    for r in &rows {
        let Some(category) = categories.get(r.rank(4) as usize).copied().flatten() else {
            unfinanced += r.dwellings;
            continue;
        };
        let year = years.at(r, 3)?;
        entries.push(Entry {
            row: heads.of([key(r, 1), key(r, 2), ""]),
            year,
            category,
            value: r.dwellings,
        });
    }
    let long = rehabilitation_long(&by_commune(store, f)?)?;
    let layout = heads.layout(true, None);
    let (grid, kept) = rehabilitation_grid(store, f, &heads, &entries, None, &layout, None)?;
    Ok(RehabGrid {
        grid,
        kept,
        long,
        unfinanced,
    })
}

/// The rehabilitation lines' sums by commune, year and financing: the long table's, and a
/// page's subtotals and totals.
fn by_commune(store: &dyn Store, f: &LineFilter) -> Result<Grouped> {
    store
        .aggregate(
            f,
            &[
                Dim::CommuneCode,
                Dim::CommuneName,
                Dim::Year,
                Dim::Financing,
            ],
        )
        .map_err(Into::into)
}

/// The long table (commune, year, financing), from the sums by commune (`by_commune`): a CSV's
/// report does not lay out a row per operation.
fn rehabilitation_long(rows: &Grouped) -> Result<Vec<Vec<Cell>>> {
    let years = Years::of(rows, 2);
    let categories = rows.per_rank(3, rehab_category);
    // In the whole report's order: commune, year, then the financing's label.
    let mut by_cell: BTreeMap<(&str, &str, i32, &'static str), i64> = BTreeMap::new();
    for r in rows {
        if let Some(category) = categories.get(r.rank(3) as usize).copied().flatten() {
            let label = RehabFinancing::ALL[category].label();
            *by_cell
                .entry((key(r, 0), key(r, 1), years.at(r, 2)?, label))
                .or_default() += r.dwellings;
        }
    }
    Ok(by_cell
        .into_iter()
        .map(|((code, name, year, label), n)| {
            vec![
                Cell::text(code),
                Cell::text(name),
                Cell::Int(i64::from(year)),
                Cell::text(label),
                Cell::Int(n),
            ]
        })
        .collect())
}

/// One page of the grid (page, rows per page; no long rows), in three passes rather than one over every operation × year × financing: the sums
/// per commune (subtotals and totals), the operations with a financed line (the rows), then
/// the values of the shown operations only.
fn rehabilitation_page(
    store: &dyn Store,
    f: &LineFilter,
    by_commune: &Grouped,
    page: (usize, usize),
) -> Result<RehabGrid> {
    // Communes in the aggregate's (code) order, with their names.
    let mut communes: Vec<(&str, &str)> = Vec::new();
    for r in by_commune {
        if communes.last().is_none_or(|(code, _)| *code != key(r, 0)) {
            communes.push((key(r, 0), key(r, 1)));
        }
    }
    let mut financed = f.clone();
    financed.financings = RehabFinancing::ALL.to_vec();
    let ops = store.operations_met(&financed)?;
    // Each commune's operations in id order, as the whole grid has them; their ids as texts, one
    // after the other in one buffer.
    let mut per_commune: Vec<Vec<usize>> = vec![Vec::new(); communes.len()];
    let commune_at: FxHashMap<&str, usize> = communes
        .iter()
        .enumerate()
        .map(|(i, (code, _))| (*code, i))
        .collect();
    for (i, (_, commune)) in ops.iter().enumerate() {
        if let Some(c) = commune_at.get(commune) {
            per_commune[*c].push(i);
        }
    }
    let id_texts = logis_store::JoinedTexts::of_ids(ops.iter().map(|(id, _)| *id));
    // Every operation is a row of its own.
    let mut heads = PivotRows {
        contiguous: true,
        ..PivotRows::default()
    };
    heads.heads.reserve(ops.len());
    for (c, list) in per_commune.iter().enumerate() {
        for i in list {
            heads.heads.push([communes[c].1, id_texts.get(*i), ""]);
        }
    }
    let layout = heads.layout(true, Some(page));
    // Subtotals and totals: each commune's sums on its group's first row.
    let mut first_row: FxHashMap<&str, u32> = FxHashMap::default();
    for group in layout.groups() {
        first_row.insert(heads.heads[group[0] as usize][0], group[0]);
    }
    let mut unfinanced = 0;
    let mut group_sums = Vec::with_capacity(by_commune.len());
    for r in by_commune {
        let Some(category) = rehab_category(key(r, 3)) else {
            unfinanced += r.dwellings;
            continue;
        };
        if let Some(row) = first_row.get(key(r, 1)) {
            group_sums.push(Entry {
                row: *row,
                year: year_of(r, 2)?,
                category,
                value: r.dwellings,
            });
        }
    }
    // The shown operations' values.
    let row_of: FxHashMap<&str, u32> = layout
        .shown_details()
        .iter()
        .map(|row| (heads.heads[*row as usize][1], *row))
        .collect();
    let shown_ids: Vec<i64> = row_of.keys().filter_map(|id| id.parse().ok()).collect();
    let mut of_shown = f.clone();
    of_shown.operations = Some(shown_ids.clone());
    let mut entries = Vec::new();
    for r in &store.aggregate(&of_shown, &[Dim::OperationId, Dim::Year, Dim::Financing])? {
        if let (Some(category), Some(row)) = (rehab_category(key(r, 2)), row_of.get(key(r, 0))) {
            entries.push(Entry {
                row: *row,
                year: year_of(r, 1)?,
                category,
                value: r.dwellings,
            });
        }
    }
    let (grid, kept) = rehabilitation_grid(
        store,
        f,
        &heads,
        &entries,
        Some(&group_sums),
        &layout,
        Some(&shown_ids),
    )?;
    Ok(RehabGrid {
        grid,
        kept,
        long: Vec::new(),
        unfinanced,
    })
}

#[derive(Default)]
struct Renewal {
    demolitions: i64,
    on_site: i64,
    off_site: i64,
    unspecified_site: i64,
    rehabilitations: i64,
    stage: Option<Stage>,
}

fn renouvellement(
    store: &dyn Store,
    filter: &LineFilter,
    scope: String,
    shape: Shape,
) -> Result<Shaped> {
    let mut f = filter.clone();
    f.natures = vec![
        Nature::Demolition,
        Nature::Reconstruction,
        Nature::Rehabilitation,
    ];
    let dims = [
        Dim::Project,
        Dim::CommuneCode,
        Dim::CommuneName,
        Dim::Nature,
        Dim::Site,
        Dim::Stage,
    ];
    let rows = store.aggregate(&f, &dims)?;
    let without_project = rows.per_rank(0, str::is_empty);
    let natures = rows.per_rank(3, Nature::from_code);
    let sites = rows.per_rank(4, Site::from_code);
    let stages = rows.per_rank(5, Stage::from_code);
    // A row per project and commune: the aggregate's order (project, then commune code) puts
    // each pair's groups one after the other.
    let mut renewals: Vec<(Group<'_>, Renewal)> = Vec::new();
    for r in rows.iter().filter(|r| !without_project[r.rank(0) as usize]) {
        let same_pair = renewals
            .last()
            .is_some_and(|(g, _)| g.rank(0) == r.rank(0) && g.rank(1) == r.rank(1));
        if !same_pair {
            renewals.push((r, Renewal::default()));
        }
        let Some((_, e)) = renewals.last_mut() else {
            continue;
        };
        match (natures[r.rank(3) as usize], sites[r.rank(4) as usize]) {
            (Some(Nature::Demolition), _) => e.demolitions += r.dwellings,
            (Some(Nature::Reconstruction), Some(Site::OnSite)) => e.on_site += r.dwellings,
            (Some(Nature::Reconstruction), Some(Site::OffSite)) => e.off_site += r.dwellings,
            (Some(Nature::Reconstruction), None) => e.unspecified_site += r.dwellings,
            (Some(Nature::Rehabilitation), _) => e.rehabilitations += r.dwellings,
            _ => {}
        }
        // The project's stage: the most advanced stage of its lines.
        if let Some(s) = stages[r.rank(5) as usize] {
            e.stage = Some(e.stage.map_or(s, |cur| cur.max(s)));
        }
    }
    let header = [
        "Projet",
        "Commune",
        "Démolitions",
        "Reconstructions sur site",
        "Reconstructions hors site",
        "Reconstructions (site non précisé)",
        "Réhabilitations",
        "Stade",
    ];
    let mut long = Vec::new();
    let mut grid_rows = Vec::new();
    let mut total = Renewal::default();
    // With a page, only its rows are laid out (the total covers them all).
    let (kept, shown) = match shape.page {
        Some((page, size)) => {
            let (kept, range) = GridPage::of(page, size, renewals.len());
            (Some(kept), range)
        }
        None => (None, 0..renewals.len()),
    };
    for (position, (r, e)) in renewals.iter().enumerate() {
        total.demolitions += e.demolitions;
        total.on_site += e.on_site;
        total.off_site += e.off_site;
        total.unspecified_site += e.unspecified_site;
        total.rehabilitations += e.rehabilitations;
        let (project, code, name) = (key(r, 0), key(r, 1), key(r, 2));
        let stage = e.stage.map(|s| s.label()).unwrap_or("");
        if shape.long {
            long.push(vec![
                Cell::text(project),
                Cell::text(code),
                Cell::text(name),
                Cell::Int(e.demolitions),
                Cell::Int(e.on_site),
                Cell::Int(e.off_site),
                Cell::Int(e.rehabilitations),
                Cell::text(stage),
                Cell::Int(e.unspecified_site),
            ]);
        }
        if !shown.contains(&position) {
            continue;
        }
        grid_rows.push(GridRow {
            kind: RowKind::Detail,
            cells: vec![
                Cell::text(project),
                Cell::text(name),
                cell(e.demolitions),
                cell(e.on_site),
                cell(e.off_site),
                cell(e.unspecified_site),
                cell(e.rehabilitations),
                Cell::text(stage),
            ],
        });
    }
    grid_rows.push(GridRow {
        kind: RowKind::Total,
        cells: vec![
            Cell::text("Total"),
            Cell::Empty,
            Cell::Int(total.demolitions),
            Cell::Int(total.on_site),
            Cell::Int(total.off_site),
            Cell::Int(total.unspecified_site),
            Cell::Int(total.rehabilitations),
            Cell::Empty,
        ],
    });
    let notes = vec![
        "Lignes d'opération rattachées à un projet ; le stade d'un projet est le plus avancé de ses lignes.".to_string(),
        "Les autres natures (construction neuve, changement d'usage…) d'un projet ne sont pas comptées ici.".to_string(),
    ];
    Ok((
        Report {
            name: ReportName::Renouvellement.code(),
            title: ReportName::Renouvellement.title().into(),
            scope,
            notes,
            long_columns: vec![
                "projet",
                "commune_insee",
                "commune",
                "demolitions",
                "reconstructions_sur_site",
                "reconstructions_hors_site",
                "rehabilitations",
                "stade",
                "reconstructions_site_non_precise",
            ],
            long_rows: long,
            grid: Grid {
                groups: Vec::new(),
                header: header.iter().map(|s| s.to_string()).collect(),
                row_header_columns: 2,
                rows: grid_rows,
            },
        },
        kept,
    ))
}

/// Report filters as users type them on the command line.
#[derive(Debug, Clone, Default)]
pub struct FilterText {
    pub programme: Option<String>,
    pub bailleur: Option<String>,
    pub commune: Option<String>,
    pub epci: Option<String>,
    pub quartier: Option<String>,
    pub projet: Option<String>,
    pub annee_min: Option<i32>,
    pub annee_max: Option<i32>,
    pub stade: Option<String>,
}

/// Resolve typed names into a filter; unknown names get a French error with the closest ones.
pub fn resolve_filter(store: &dyn Store, t: &FilterText) -> Result<LineFilter> {
    use logis_domain::text::{closest, name_key};
    let find = |what: &str, wanted: &str, names: Vec<(i64, String)>| -> Result<i64> {
        let key = name_key(wanted);
        if let Some((id, _)) = names.iter().find(|(_, n)| name_key(n) == key) {
            return Ok(*id);
        }
        let near = closest(wanted, names.iter().map(|(_, n)| n.as_str()), 3);
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!(" (proches : {})", near.join(", "))
        };
        Err(AppError::Invalid(format!(
            "{what} inconnu(e) « {wanted} »{hint}"
        )))
    };
    let mut f = LineFilter::default();
    if let Some(p) = &t.programme {
        f.programme_id = Some(find(
            "programme",
            p,
            store
                .programmes()?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
        )?);
    }
    if let Some(b) = &t.bailleur {
        let orgs: Vec<_> = store
            .organisations()?
            .into_iter()
            .filter(|o| o.kind == logis_domain::OrgKind::Landlord)
            .collect();
        let by_siren = orgs
            .iter()
            .find(|o| o.siren.as_ref().is_some_and(|s| s.as_str() == b.trim()))
            .map(|o| o.id);
        f.landlord_id = Some(match by_siren {
            Some(id) => id,
            None => find(
                "bailleur",
                b,
                orgs.into_iter().map(|o| (o.id, o.name)).collect(),
            )?,
        });
    }
    if let Some(p) = &t.projet {
        f.project_id = Some(find(
            "projet",
            p,
            store
                .projects()?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
        )?);
    }
    if let Some(q) = &t.quartier {
        f.quartier_id = Some(find(
            "quartier",
            q,
            store
                .quartiers()?
                .into_iter()
                .map(|q| (q.id, q.name))
                .collect(),
        )?);
    }
    if t.commune.is_some() || t.epci.is_some() {
        let geo = store.geography()?;
        if let Some(c) = &t.commune {
            let territory = crate::setup::territory(store)?;
            f.commune = Some(
                geo.resolve(c, territory.as_ref())
                    .map_err(|e| AppError::Invalid(e.to_string()))?
                    .code
                    .clone(),
            );
        }
        if let Some(e) = &t.epci {
            let siren = logis_domain::Siren::parse(e).map_err(|e| AppError::Invalid(e.0))?;
            if geo.epci(siren.as_str()).is_none() {
                return Err(AppError::Invalid(format!(
                    "aucun EPCI de SIREN {siren} dans le référentiel"
                )));
            }
            f.epci = Some(siren);
        }
    }
    f.year_from = t.annee_min;
    f.year_to = t.annee_max;
    if let Some(s) = &t.stade {
        f.stage = Some(Stage::parse(s).map_err(|e| AppError::Invalid(e.0))?);
    }
    Ok(f)
}

/// Years of programmed dwellings the projection averages.
pub const PACE_YEARS: i32 = 3;

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        String::new()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64).replace('.', ",")
    }
}

/// A programme's name, targets and progress over the lines of `filter` (which names the
/// programme), seen from `current_year`.
pub fn programme_progress(
    store: &dyn Store,
    filter: &LineFilter,
    current_year: i32,
) -> Result<(
    String,
    logis_domain::targets::Targets,
    logis_domain::targets::Progress,
)> {
    use logis_domain::targets::{StageSum, progress};
    let pid = filter.programme_id.ok_or_else(|| {
        AppError::Invalid(
            "le rapport « programme » porte sur un programme : précisez-le (--programme)".into(),
        )
    })?;
    let name = store
        .programmes()?
        .into_iter()
        .find(|p| p.id == pid)
        .map(|p| p.name)
        .unwrap_or_default();
    let targets = store.targets(pid)?.ok_or_else(|| {
        AppError::Invalid(format!(
            "aucun objectif n'est défini pour le programme « {name} » (logis objectifs)"
        ))
    })?;
    let mut f = filter.clone();
    f.natures = targets.scope.natures();
    let rows = store.aggregate(&f, &[Dim::Year, Dim::Stage, Dim::Product])?;
    let mut sums = Vec::new();
    for r in &rows {
        let product = Product::from_code(key(r, 2));
        sums.push(StageSum {
            year: year_of(r, 0)?,
            stage: Stage::from_code(key(r, 1)),
            social: product.is_some_and(Product::is_social),
            has_product: product.is_some(),
            dwellings: r.dwellings.max(0) as u64,
        });
    }
    let p = progress(&targets, &sums, current_year, PACE_YEARS);
    Ok((name, targets, p))
}

fn programme(
    store: &dyn Store,
    filter: &LineFilter,
    scope: String,
    current_year: i32,
) -> Result<Report> {
    use logis_domain::targets::{Bucket, SplitDimension};
    let (name, targets, p) = programme_progress(store, filter, current_year)?;
    let mut f = filter.clone();
    f.natures = targets.scope.natures();
    let g = |n: u64| logis_domain::numbers::group_thousands(i64::try_from(n).unwrap_or(i64::MAX));
    let band_text = targets
        .annual_band
        .map(|(a, b)| format!("{} – {}", g(a), g(b)))
        .unwrap_or_default();

    let mut long = Vec::new();
    let mut push = |annee: String, indicateur: &str, cle: &str, valeur: u64| {
        long.push(vec![
            Cell::text(&name),
            Cell::text(annee),
            Cell::text(indicateur),
            Cell::text(cle),
            Cell::Int(i64::try_from(valeur).unwrap_or(i64::MAX)),
        ]);
    };
    if let Some(t) = targets.total {
        push(String::new(), "objectif_total", "", t);
    }
    let mut grid_rows = Vec::new();
    for y in &p.years {
        let annee = y.year.to_string();
        if let Some((lo, hi)) = targets.annual_band {
            push(annee.clone(), "bande_min", "", lo);
            push(annee.clone(), "bande_max", "", hi);
        }
        for (b, v) in Bucket::ALL.iter().zip(&y.by_bucket) {
            push(annee.clone(), b.code(), "", *v);
        }
        push(annee.clone(), "sociaux", "", y.social);
        push(
            annee.clone(),
            "cumul_programmes",
            "",
            y.cumulated_programmed,
        );
        let mut cells = vec![Cell::text(y.year.to_string()), Cell::text(&band_text)];
        cells.extend(y.by_bucket.iter().map(|v| cell(*v as i64)));
        cells.push(cell(y.social as i64));
        cells.push(Cell::text(pct(y.social, y.with_product)));
        cells.push(Cell::Int(y.cumulated_programmed as i64));
        cells.push(Cell::text(
            targets
                .total
                .map(|t| pct(y.cumulated_programmed, t))
                .unwrap_or_default(),
        ));
        cells.push(Cell::text(y.band.map(|b| b.label()).unwrap_or("")));
        grid_rows.push(GridRow {
            kind: RowKind::Detail,
            cells,
        });
    }
    let mut cells = vec![
        Cell::text("Total"),
        Cell::text(
            targets
                .total
                .map(|t| format!("objectif {}", g(t)))
                .unwrap_or_default(),
        ),
    ];
    cells.extend(p.totals.iter().map(|v| Cell::Int(*v as i64)));
    cells.push(Cell::Int(p.social as i64));
    cells.push(Cell::text(pct(p.social, p.with_product)));
    cells.push(Cell::Int(p.totals[1] as i64));
    cells.push(Cell::text(
        targets
            .total
            .map(|t| pct(p.totals[1], t))
            .unwrap_or_default(),
    ));
    cells.push(Cell::Empty);
    grid_rows.push(GridRow {
        kind: RowKind::Total,
        cells,
    });

    let mut notes = vec![format!(
        "Objectif : {} {} de {} à {}{}{}.",
        targets.total.map(g).unwrap_or_else(|| "—".into()),
        targets.scope.label(),
        targets.first_year,
        targets.last_year,
        targets
            .social_percent
            .map(|s| format!(", dont {s} % de logements sociaux (PLAI, PLUS, PLUS-CD, PLS)"))
            .unwrap_or_default(),
        targets
            .annual_band
            .map(|(a, b)| format!(", entre {} et {} par an", g(a), g(b)))
            .unwrap_or_default()
    )];
    notes.push("Un logement compte dans chaque stade qu'il a atteint (un logement livré a aussi été programmé, financé et mis en chantier) ; « prévus » compte toutes les lignes de l'année de programmation.".into());
    if let Some(pr) = &p.projection {
        push(
            String::new(),
            "rythme_annuel",
            &format!("{}-{}", pr.window.0, pr.window.1),
            pr.pace,
        );
        let text = match pr.reached_in {
            Some(y) if y < current_year => {
                format!("L'objectif est atteint (logements programmés jusqu'en {y}).")
            }
            Some(y) => format!(
                "Projection : au rythme de {} logements programmés par an ({}–{}), l'objectif serait atteint en {y}{}.",
                g(pr.pace),
                pr.window.0,
                pr.window.1,
                if pr.on_time {
                    ", dans les délais".to_string()
                } else {
                    format!(", après l'échéance de {}", targets.last_year)
                }
            ),
            None => format!(
                "Projection impossible : aucun logement programmé de {} à {}.",
                pr.window.0, pr.window.1
            ),
        };
        if let Some(y) = pr.reached_in {
            push(
                y.to_string(),
                "atteinte_projetee",
                "",
                targets.total.unwrap_or(0),
            );
        }
        notes.push(text);
    }
    let outside: Vec<String> = p
        .years
        .iter()
        .filter(|y| {
            y.band
                .is_some_and(|b| b != logis_domain::targets::BandPosition::Inside)
        })
        .map(|y| y.year.to_string())
        .collect();
    if !outside.is_empty() {
        notes.push(format!(
            "Années hors de la bande annuelle : {}.",
            outside.join(", ")
        ));
    }
    if let Some(share) = targets.social_percent {
        let actual = if p.with_product == 0 {
            0.0
        } else {
            p.social as f64 * 100.0 / p.with_product as f64
        };
        let verdict = if actual + 1e-9 >= f64::from(share) {
            "atteinte"
        } else {
            "non atteinte"
        };
        notes.push(format!(
            "Part sociale prévue : {} (objectif {share} %) — {verdict}.",
            pct(p.social, p.with_product)
        ));
    }
    for (dim, sum) in &p.incoherent_splits {
        notes.push(format!(
            "Incohérence : la répartition par {} totalise {} alors que l'objectif total est de {}.",
            dim.code(),
            g(*sum),
            targets.total.map(g).unwrap_or_default()
        ));
    }
    // Splits: achieved per committed landlord, commune, product or nature.
    let dims: std::collections::BTreeSet<SplitDimension> =
        targets.splits.iter().map(|s| s.dimension).collect();
    for d in dims {
        let dim = match d {
            SplitDimension::Landlord => Dim::Landlord,
            SplitDimension::Commune => Dim::CommuneCode,
            SplitDimension::Product => Dim::Product,
            SplitDimension::Nature => Dim::Nature,
        };
        let achieved = store.aggregate(&f, &[dim])?;
        for sp in targets.splits.iter().filter(|s| s.dimension == d) {
            let done: i64 = achieved
                .iter()
                .filter(|r| {
                    if d == SplitDimension::Landlord {
                        logis_domain::text::name_key(key(r, 0))
                            == logis_domain::text::name_key(&sp.key)
                    } else {
                        key(r, 0) == sp.key
                    }
                })
                .map(|r| r.dwellings)
                .sum();
            let done = done.max(0) as u64;
            push(
                String::new(),
                &format!("objectif_{}", d.code()),
                &sp.label,
                sp.dwellings,
            );
            push(
                String::new(),
                &format!("prevus_{}", d.code()),
                &sp.label,
                done,
            );
            notes.push(format!(
                "Engagement {} « {} » : {} prévus sur {} ({}).",
                d.code(),
                sp.label,
                g(done),
                g(sp.dwellings),
                pct(done, sp.dwellings)
            ));
        }
    }
    let header = ["Année", "Bande annuelle"]
        .into_iter()
        .map(String::from)
        .chain(Bucket::ALL.iter().map(|b| b.label().to_string()))
        .chain(
            [
                "dont sociaux",
                "Part sociale",
                "Cumul programmé",
                "Part de l'objectif",
                "Position / bande",
            ]
            .into_iter()
            .map(String::from),
        )
        .collect();
    Ok(Report {
        name: ReportName::Programme.code(),
        title: format!("{} — {name}", ReportName::Programme.title()),
        scope,
        notes,
        long_columns: vec!["programme", "annee", "indicateur", "cle", "valeur"],
        long_rows: long,
        grid: Grid {
            groups: Vec::new(),
            header,
            row_header_columns: 1,
            rows: grid_rows,
        },
    })
}

fn euros_plain(cents: i64) -> String {
    logis_domain::Euros::from_cents(cents.max(0))
        .map(logis_domain::Euros::to_plain_fr)
        .unwrap_or_default()
}

/// Whole euros, grouped, for people ("10 625 458").
fn euros_display(cents: i64) -> Cell {
    if cents == 0 {
        Cell::Empty
    } else {
        Cell::Int((cents + 50) / 100)
    }
}

fn share(part: i64, whole: i64) -> String {
    if whole <= 0 {
        String::new()
    } else {
        format!("{:.1}", part as f64 * 100.0 / whole as f64).replace('.', ",")
    }
}

fn financement(
    store: &dyn Store,
    filter: &LineFilter,
    scope: String,
    shape: Shape,
) -> Result<Shaped> {
    let with_long = shape.long;
    use logis_store::FundingKind;
    let ops = store.operation_totals(filter)?;
    // Beyond a few thousand operations, reading every plan and keeping those of the listed
    // operations costs less than selecting them again through their lines in SQL.
    let items = if ops.len() > 5_000 {
        let mut all = store.funding_rows(&LineFilter::default())?;
        // `ops` is in id order.
        all.retain(|it| {
            ops.binary_search_by_key(&it.operation_id, |o| o.operation_id)
                .is_ok()
        });
        all
    } else {
        store.funding_rows(filter)?
    };
    let mut by_op: BTreeMap<i64, Vec<&logis_store::FundingRow>> = BTreeMap::new();
    for it in &items {
        by_op.entry(it.operation_id).or_default().push(it);
    }
    let kinds = [
        FundingKind::OwnFunds,
        FundingKind::Subsidy,
        FundingKind::Loan,
    ];
    let mut long = Vec::new();
    let mut grid_rows = Vec::new();
    let (mut total_cost, mut total_dwellings, mut planned_cost) = (0i64, 0i64, 0i64);
    let mut total_by_kind = [0i64; 3];
    let mut by_source: BTreeMap<(usize, String), i64> = BTreeMap::new();
    let mut without_plan = 0;
    // The operations listed: those with a cost price or a plan; with a page, only its rows are
    // laid out (the totals cover them all).
    let mut listed = Vec::with_capacity(ops.len());
    for op in &ops {
        let plan = by_op
            .get(&op.operation_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if !plan.is_empty() || op.cost_cents != 0 {
            listed.push((op, plan));
        }
    }
    let (kept, shown) = match shape.page {
        Some((page, size)) => {
            let (kept, range) = GridPage::of(page, size, listed.len());
            (Some(kept), range)
        }
        None => (None, 0..listed.len()),
    };
    // Each written operation's label, reference and landlord: all of them when every row is
    // written, else those of the rows shown.
    let shown_ids: Vec<i64> = listed[shown.clone()]
        .iter()
        .map(|(op, _)| op.operation_id)
        .collect();
    let named = OperationHeads::read(
        store,
        filter,
        (shape.page.is_some() && !with_long).then_some(shown_ids.as_slice()),
    )?;
    for (position, (op, plan)) in listed.into_iter().enumerate() {
        let [label, reference, landlord] = named.get(op.operation_id);
        let head = [reference, landlord, label];
        let base = |long: &mut Vec<Vec<Cell>>, kind: &str, source: &str, amount: Option<i64>| {
            if !with_long {
                return;
            }
            long.push(vec![
                Cell::text(head[0]),
                Cell::text(head[1]),
                Cell::text(head[2]),
                Cell::Int(op.dwellings),
                Cell::text(euros_plain(op.cost_cents)),
                Cell::text(kind),
                Cell::text(source),
                Cell::text(amount.map(euros_plain).unwrap_or_default()),
                Cell::text(amount.map(|a| share(a, op.cost_cents)).unwrap_or_default()),
            ]);
        };
        if plan.is_empty() {
            without_plan += 1;
            base(&mut long, "", "", None);
        }
        let mut per_kind = [0i64; 3];
        for it in plan {
            let k = kinds.iter().position(|x| *x == it.kind).unwrap_or(0);
            per_kind[k] += it.amount_cents;
            let source = if it.source.is_empty() {
                it.label.clone()
            } else {
                it.source.clone()
            };
            *by_source.entry((k, source.clone())).or_default() += it.amount_cents;
            base(&mut long, it.kind.label(), &source, Some(it.amount_cents));
        }
        let plan_total: i64 = per_kind.iter().sum();
        total_cost += op.cost_cents;
        if !plan.is_empty() {
            planned_cost += op.cost_cents;
        }
        total_dwellings += op.dwellings;
        for (t, v) in total_by_kind.iter_mut().zip(per_kind) {
            *t += v;
        }
        if !shown.contains(&position) {
            continue;
        }
        let mut cells = vec![
            Cell::text(head[0]),
            Cell::text(head[1]),
            Cell::text(head[2]),
            Cell::Int(op.dwellings),
            euros_display(op.cost_cents),
        ];
        cells.extend(per_kind.iter().map(|v| euros_display(*v)));
        cells.push(euros_display(plan_total));
        cells.push(Cell::text(if plan.is_empty() {
            "sans plan".to_string()
        } else {
            share(plan_total, op.cost_cents) + " %"
        }));
        grid_rows.push(GridRow {
            kind: RowKind::Detail,
            cells,
        });
    }
    let plan_total: i64 = total_by_kind.iter().sum();
    let mut cells = vec![
        Cell::text("Total"),
        Cell::Empty,
        Cell::Empty,
        Cell::Int(total_dwellings),
        euros_display(total_cost),
    ];
    cells.extend(total_by_kind.iter().map(|v| euros_display(*v)));
    cells.push(euros_display(plan_total));
    cells.push(Cell::text(share(plan_total, planned_cost) + " %"));
    grid_rows.push(GridRow {
        kind: RowKind::Total,
        cells,
    });
    for ((k, source), amount) in &by_source {
        let mut cells = vec![
            Cell::text(format!("dont {source}")),
            Cell::text(kinds[*k].label()),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ];
        for i in 0..3 {
            cells.push(if i == *k {
                euros_display(*amount)
            } else {
                Cell::Empty
            });
        }
        cells.push(Cell::Empty);
        cells.push(Cell::text(share(*amount, planned_cost) + " %"));
        grid_rows.push(GridRow {
            kind: RowKind::Subtotal,
            cells,
        });
        long.push(vec![
            Cell::text("Total"),
            Cell::text(""),
            Cell::text(""),
            Cell::Int(total_dwellings),
            Cell::text(euros_plain(total_cost)),
            Cell::text(kinds[*k].label()),
            Cell::text(source),
            Cell::text(euros_plain(*amount)),
            Cell::text(share(*amount, planned_cost)),
        ]);
    }
    let mut notes = vec![
        "Montants en euros. Par opération, la couverture rapporte le plan au prix de revient ; au total, la part de chaque source est rapportée au prix de revient des opérations qui ont un plan. Une opération compte si l'une de ses lignes répond aux filtres.".to_string(),
    ];
    for (k, kind) in kinds.iter().enumerate() {
        notes.push(format!(
            "{} : {} € ({} % du prix de revient des opérations financées).",
            kind.label(),
            logis_domain::numbers::group_thousands((total_by_kind[k] + 50) / 100),
            share(total_by_kind[k], planned_cost)
        ));
    }
    if without_plan > 0 {
        notes.push(format!("{without_plan} opération(s) ont un prix de revient mais pas encore de plan de financement."));
    }
    let report = Report {
        name: ReportName::Financement.code(),
        title: ReportName::Financement.title().into(),
        scope,
        notes,
        long_columns: vec![
            "reference",
            "bailleur",
            "libelle",
            "logements",
            "prix_de_revient",
            "type_source",
            "source",
            "montant",
            "part_du_prix",
        ],
        long_rows: long,
        grid: Grid {
            groups: Vec::new(),
            header: [
                "Opération",
                "Bailleur",
                "Libellé",
                "Logements",
                "Prix de revient (€)",
                "Fonds propres (€)",
                "Subventions (€)",
                "Prêts (€)",
                "Total du plan (€)",
                "Couverture",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            row_header_columns: 3,
            rows: grid_rows,
        },
    };
    Ok((report, kept))
}

/// A project's demolition communes (code, name), demolished dwellings, dwellings rebuilt in one
/// of those communes, dwellings rebuilt elsewhere.
/// Where a project's demolished dwellings are rebuilt.
#[derive(Default)]
struct Rebuilding<'a> {
    project: &'a str,
    /// The communes where it demolishes (code, name), in code order.
    communes: Vec<(&'a str, &'a str)>,
    demolished: i64,
    same_commune: i64,
    other_communes: i64,
}

fn reequilibrage(
    store: &dyn Store,
    filter: &LineFilter,
    scope: String,
    shape: Shape,
) -> Result<Shaped> {
    // Per project: where its demolished dwellings are rebuilt.
    let mut f = filter.clone();
    f.natures = vec![Nature::Demolition, Nature::Reconstruction];
    let rows = store.aggregate(
        &f,
        &[
            Dim::Project,
            Dim::CommuneCode,
            Dim::CommuneName,
            Dim::Nature,
        ],
    )?;
    let without_project = rows.per_rank(0, str::is_empty);
    let natures = rows.per_rank(3, Nature::from_code);
    let named: Vec<Group<'_>> = rows
        .iter()
        .filter(|r| !without_project[r.rank(0) as usize])
        .collect();
    // The aggregate's order (project, then commune code): a project's groups follow one another.
    let mut projects = Vec::new();
    for groups in named.chunk_by(|a, b| a.rank(0) == b.rank(0)) {
        let nature = |r: &Group<'_>| natures[r.rank(3) as usize];
        let mut e = Rebuilding {
            project: key(groups[0], 0),
            ..Rebuilding::default()
        };
        // Its demolitions' communes, by rank of their code (one group per commune and nature).
        let mut demolishing: Vec<u32> = Vec::new();
        for r in groups
            .iter()
            .filter(|r| nature(r) == Some(Nature::Demolition))
        {
            demolishing.push(r.rank(1));
            e.communes.push((key(r, 1), key(r, 2)));
            e.demolished += r.dwellings;
        }
        for r in groups
            .iter()
            .filter(|r| nature(r) == Some(Nature::Reconstruction))
        {
            if demolishing.is_empty() || demolishing.binary_search(&r.rank(1)).is_ok() {
                // A project without demolitions in the register rebuilds "on the spot" by default.
                e.same_commune += r.dwellings;
            } else {
                e.other_communes += r.dwellings;
            }
        }
        projects.push(e);
    }
    let mut long = Vec::new();
    let mut grid_rows = Vec::new();
    let mut totals = (0i64, 0i64, 0i64);
    // With a page, only its rows are laid out (the totals cover them all).
    let (kept, shown) = match shape.page {
        Some((page, size)) => {
            let (kept, range) = GridPage::of(page, size, projects.len());
            (Some(kept), range)
        }
        None => (None, 0..projects.len()),
    };
    for (position, e) in projects.iter().enumerate() {
        let (demolished, same, other) = (e.demolished, e.same_commune, e.other_communes);
        totals.0 += demolished;
        totals.1 += same;
        totals.2 += other;
        let is_shown = shown.contains(&position);
        if !shape.long && !is_shown {
            continue;
        }
        let names: Vec<&str> = e.communes.iter().map(|(_, n)| *n).collect();
        let rate = share(same + other, demolished);
        if shape.long {
            let codes: Vec<&str> = e.communes.iter().map(|(c, _)| *c).collect();
            long.push(vec![
                Cell::text("projet"),
                Cell::text(e.project),
                Cell::text(codes.join(",")),
                Cell::text(names.join(", ")),
                Cell::Int(demolished),
                Cell::Int(same),
                Cell::Int(other),
                Cell::Empty,
                Cell::Empty,
                Cell::text(rate.clone()),
            ]);
        }
        if !is_shown {
            continue;
        }
        grid_rows.push(GridRow {
            kind: RowKind::Detail,
            cells: vec![
                Cell::text(e.project),
                Cell::text(names.join(", ")),
                cell(demolished),
                cell(same),
                cell(other),
                Cell::text(if rate.is_empty() {
                    String::new()
                } else {
                    format!("{rate} %")
                }),
            ],
        });
    }
    let rate = share(totals.1 + totals.2, totals.0);
    grid_rows.push(GridRow {
        kind: RowKind::Total,
        cells: vec![
            Cell::text("Total"),
            Cell::Empty,
            Cell::Int(totals.0),
            Cell::Int(totals.1),
            Cell::Int(totals.2),
            Cell::text(if rate.is_empty() {
                String::new()
            } else {
                format!("{rate} %")
            }),
        ],
    });
    // Per commune: social dwellings produced.
    let mut f = filter.clone();
    f.natures = Nature::ALL
        .iter()
        .copied()
        .filter(|n| n.produces())
        .collect();
    let social = store.aggregate(&f, &[Dim::CommuneCode, Dim::CommuneName, Dim::Product])?;
    let mut by_commune: BTreeMap<(String, String), i64> = BTreeMap::new();
    for r in social
        .iter()
        .filter(|r| Product::from_code(key(r, 2)).is_some_and(Product::is_social))
    {
        *by_commune
            .entry((key(r, 0).to_string(), key(r, 1).to_string()))
            .or_default() += r.dwellings;
    }
    for ((code, name), n) in &by_commune {
        long.push(vec![
            Cell::text("commune"),
            Cell::Empty,
            Cell::text(code),
            Cell::text(name),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Int(*n),
            Cell::Empty,
            Cell::Empty,
        ]);
    }
    let mut notes = vec![
        "Reconstitution : les reconstructions d'un projet comptent « dans la même commune » quand elles sont dans une commune où le projet démolit, « dans d'autres communes » sinon ; le taux rapporte les reconstructions aux démolitions.".to_string(),
    ];
    if !by_commune.is_empty() {
        let list: Vec<String> = by_commune
            .iter()
            .map(|((_, name), n)| format!("{name} {}", logis_domain::numbers::group_thousands(*n)))
            .collect();
        notes.push(format!(
            "Logements sociaux prévus par commune (PLAI, PLUS, PLUS-CD, PLS) : {}.",
            list.join(" ; ")
        ));
    }
    notes.push(
        "Le nombre de résidences principales par commune n'est pas encore dans le référentiel de logis : le taux de logements sociaux par résidence principale n'est pas calculé (colonne vide)."
            .to_string(),
    );
    Ok((
        Report {
            name: ReportName::Reequilibrage.code(),
            title: ReportName::Reequilibrage.title().into(),
            scope,
            notes,
            long_columns: vec![
                "section",
                "projet",
                "commune_insee",
                "commune",
                "demolitions",
                "reconstruites_meme_commune",
                "reconstruites_autres_communes",
                "logements_sociaux",
                "residences_principales",
                "taux",
            ],
            long_rows: long,
            grid: Grid {
                groups: Vec::new(),
                header: [
                    "Projet",
                    "Commune(s) de démolition",
                    "Démolitions",
                    "Reconstruites dans la même commune",
                    "Reconstruites dans d'autres communes",
                    "Taux de reconstitution",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                row_header_columns: 2,
                rows: grid_rows,
            },
        },
        kept,
    ))
}
