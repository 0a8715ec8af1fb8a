//! The rehabilitation programming report: a row per operation, years × financings across.

use super::layout::*;
use super::{ReportName, Shape, Shaped};
use crate::Result;
use logis_domain::{Nature, RehabFinancing};
use logis_io::report::{Cell, Grid, GridPage, Report};
use logis_store::query::{Dim, Grouped};
use logis_store::{Details, LineFilter, Store};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;

/// The head of a commune's row summing the operations its reader may not open one by one.
const OTHERS: &str = "\u{0}autres";
/// What that row says in the « Opération » column.
const OTHERS_LABEL: &str = "Autres opérations (non détaillées pour votre rôle)";

/// The operations the report's reader opens one by one (`None`: every one).
fn visible_operations(store: &dyn Store, f: &LineFilter) -> Result<Option<FxHashSet<i64>>> {
    Ok(match &f.details {
        Details::All => None,
        Details::Hidden => Some(FxHashSet::default()),
        Details::Within(scope) => {
            let mut g = f.clone();
            g.scope = Some(scope.clone());
            Some(
                store
                    .operations_met(&g)?
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect(),
            )
        }
    })
}

/// A rehabilitation line's column in the grid (none without a financing).
fn rehab_category(code: &str) -> Option<usize> {
    let financing = RehabFinancing::from_code(code)?;
    RehabFinancing::ALL.iter().position(|x| *x == financing)
}

pub(super) fn rehabilitation(
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
        if h[1] == OTHERS {
            return vec![Cell::text(h[0]), Cell::text(OTHERS_LABEL), Cell::Empty];
        }
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
    let visible = visible_operations(store, f)?;
    // The operations its reader may not open: summed on one row per commune, after the others.
    let mut others: Vec<(&str, i32, usize, i64)> = Vec::new();
    for r in &rows {
        let Some(category) = categories.get(r.rank(4) as usize).copied().flatten() else {
            unfinanced += r.dwellings;
            continue;
        };
        let year = years.at(r, 3)?;
        if let Some(v) = &visible
            && !key(r, 2).parse().is_ok_and(|id| v.contains(&id))
        {
            others.push((key(r, 1), year, category, r.dwellings));
            continue;
        }
        entries.push(Entry {
            row: heads.of([key(r, 1), key(r, 2), ""]),
            year,
            category,
            value: r.dwellings,
        });
    }
    for (commune, year, category, value) in others {
        entries.push(Entry {
            row: heads.of([commune, OTHERS, ""]),
            year,
            category,
            value,
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
    let visible = visible_operations(store, f)?;
    let mut has_others = vec![false; communes.len()];
    for (i, (id, commune)) in ops.iter().enumerate() {
        if let Some(c) = commune_at.get(commune) {
            if visible.as_ref().is_some_and(|v| !v.contains(id)) {
                has_others[*c] = true;
            } else {
                per_commune[*c].push(i);
            }
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
        if has_others[c] {
            heads.heads.push([communes[c].1, OTHERS, ""]);
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
        .filter(|(id, _)| *id != OTHERS)
        .collect();
    // The shown rows of other operations: each commune's sums less those of the operations
    // its reader opens.
    let others_of: FxHashMap<&str, u32> = layout
        .shown_details()
        .iter()
        .filter(|row| heads.heads[**row as usize][1] == OTHERS)
        .map(|row| (heads.heads[*row as usize][0], *row))
        .collect();
    let mut entries = Vec::new();
    if !others_of.is_empty() {
        let mut opened: FxHashMap<(&str, i32, usize), i64> = FxHashMap::default();
        let opened_rows;
        if let Details::Within(scope) = &f.details {
            let mut g = f.clone();
            g.scope = Some(scope.clone());
            opened_rows = self::by_commune(store, &g)?;
            for r in &opened_rows {
                if let Some(category) = rehab_category(key(r, 3)) {
                    *opened
                        .entry((key(r, 0), year_of(r, 2)?, category))
                        .or_default() += r.dwellings;
                }
            }
        }
        for r in by_commune {
            if let (Some(category), Some(row)) =
                (rehab_category(key(r, 3)), others_of.get(key(r, 1)))
            {
                let year = year_of(r, 2)?;
                let value = r.dwellings
                    - opened
                        .get(&(key(r, 0), year, category))
                        .copied()
                        .unwrap_or(0);
                if value != 0 {
                    entries.push(Entry {
                        row: *row,
                        year,
                        category,
                        value,
                    });
                }
            }
        }
    }
    let shown_ids: Vec<i64> = row_of.keys().filter_map(|id| id.parse().ok()).collect();
    let mut of_shown = f.clone();
    of_shown.operations = Some(shown_ids.clone());
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
