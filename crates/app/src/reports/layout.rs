//! What the reports share: reading an aggregate's keys, the year × category pivot and its
//! layout, operations' heads, and the French number cells.

use crate::{AppError, Result};
use logis_io::report::{Cell, Grid, GridPage, GridRow, RowKind, Span};
use logis_store::query::{Dim, Group, Grouped};
use logis_store::{LineFilter, Store};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn key<'a>(r: impl std::borrow::Borrow<Group<'a>>, i: usize) -> &'a str {
    r.borrow().key(i)
}

pub(super) fn year_of<'a>(r: impl std::borrow::Borrow<Group<'a>> + Copy, i: usize) -> Result<i32> {
    key(r, i).parse().map_err(|_| unreadable_year(key(r, i)))
}

pub(super) fn unreadable_year(text: &str) -> AppError {
    AppError::Invalid(format!("année illisible « {text} »"))
}

/// The years of one dimension of an aggregate, read once per rank (not once per group).
pub(super) struct Years(Vec<Option<i32>>);

impl Years {
    pub(super) fn of(rows: &Grouped, dim: usize) -> Years {
        Years(rows.per_rank(dim, |t| t.parse().ok()))
    }

    pub(super) fn at(&self, r: Group<'_>, dim: usize) -> Result<i32> {
        self.0
            .get(r.rank(dim) as usize)
            .copied()
            .flatten()
            .ok_or_else(|| unreadable_year(r.key(dim)))
    }
}

pub(super) fn cell(n: i64) -> Cell {
    if n == 0 { Cell::Empty } else { Cell::Int(n) }
}

/// The rows of a year × category pivot, in first-seen order: up to three row header texts each
/// (the first one is the group: the commune), borrowed from the aggregate's keys.
#[derive(Default)]
pub(super) struct PivotRows<'a> {
    pub(super) index: FxHashMap<[&'a str; 3], u32>,
    pub(super) heads: Vec<[&'a str; 3]>,
    /// Whether a row's values all follow one another (its texts are a prefix of the aggregate's
    /// order): then a row that is not the last one is a new one, and no index is kept.
    pub(super) contiguous: bool,
}

/// Where a row's texts are: the register in memory shares one text per value, so the row just
/// seen is recognised without comparing texts.
pub(super) fn addresses(head: &[&str; 3]) -> [(usize, usize); 3] {
    head.map(|s| (s.as_ptr() as usize, s.len()))
}

impl<'a> PivotRows<'a> {
    pub(super) fn of(&mut self, head: [&'a str; 3]) -> u32 {
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
    pub(super) fn display_order(&self) -> (Vec<u32>, Vec<u32>) {
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
pub(super) struct Layout {
    pub(super) order: Vec<u32>,
    pub(super) group_of: Vec<u32>,
    pub(super) subtotals: bool,
    pub(super) kept: Option<GridPage>,
    pub(super) shown: std::ops::Range<usize>,
}

impl PivotRows<'_> {
    /// The rows' layout, with a subtotal after each group when `subtotals`, and one page of
    /// `page` (page, rows per page) or every row.
    pub(super) fn layout(&self, subtotals: bool, page: Option<(usize, usize)>) -> Layout {
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
    pub(super) fn groups(&self) -> impl Iterator<Item = &[u32]> {
        self.order
            .chunk_by(|a, b| self.group_of[*a as usize] == self.group_of[*b as usize])
    }

    /// The detail rows shown.
    pub(super) fn shown_details(&self) -> Vec<u32> {
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
pub(super) struct OperationHeads(Vec<(i64, [std::sync::Arc<str>; 3])>);

impl OperationHeads {
    /// Those of every operation with a line matching `f` (one aggregate), or, given `ids`, of
    /// those operations only (read at once: the rows a page shows).
    pub(super) fn read(store: &dyn Store, f: &LineFilter, ids: Option<&[i64]>) -> Result<Self> {
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
    pub(super) fn get(&self, id: i64) -> [&str; 3] {
        match self.0.binary_search_by_key(&id, |(i, _)| *i) {
            Ok(i) => self.0[i].1.each_ref().map(|t| &**t),
            Err(_) => ["", "", ""],
        }
    }
}

/// One value of a pivot: its row (in [`PivotRows`]), year, category (in the categories).
pub(super) struct Entry {
    pub(super) row: u32,
    pub(super) year: i32,
    pub(super) category: usize,
    pub(super) value: i64,
}

/// Entries' (column, value) pairs, row by row.
pub(super) struct RowValues {
    pub(super) start: Vec<usize>,
    pub(super) values: Vec<(usize, i64)>,
}

impl RowValues {
    pub(super) fn new(entries: &[Entry], rows: usize, column: impl Fn(&Entry) -> usize) -> Self {
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
    pub(super) fn add(&self, acc: &mut [i64], row: u32) {
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
pub(super) fn pivot(
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

/// A share in French for a report cell ('' when the whole is 0).
pub(super) fn pct(part: u64, whole: u64) -> String {
    logis_domain::numbers::percent_fr(part, whole).unwrap_or_default()
}

pub(super) fn euros_plain(cents: i64) -> String {
    logis_domain::Euros::from_cents(cents.max(0))
        .map(logis_domain::Euros::to_plain_fr)
        .unwrap_or_default()
}

/// Whole euros, grouped, for people ("10 625 458").
pub(super) fn euros_display(cents: i64) -> Cell {
    if cents == 0 {
        Cell::Empty
    } else {
        Cell::Int((cents + 50) / 100)
    }
}

pub(super) fn share(part: i64, whole: i64) -> String {
    if whole <= 0 {
        String::new()
    } else {
        format!("{:.1}", part as f64 * 100.0 / whole as f64).replace('.', ",")
    }
}
