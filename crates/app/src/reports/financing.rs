//! The financing report: cost prices and financing plans per operation (own funds,
//! subsidies, loans), restricted to those who read financing.

use super::layout::*;
use super::{ReportName, Shape, Shaped};
use crate::Result;
use logis_io::report::{Cell, Grid, GridPage, GridRow, Report, RowKind};
use logis_store::{LineFilter, Store};
use std::collections::BTreeMap;

pub(super) fn financement(
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
