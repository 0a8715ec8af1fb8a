//! The production report: dwellings produced per commune, year and product (the PLH
//! programming table).

use super::layout::*;
use super::{ReportName, Shape, Shaped};
use crate::Result;
use logis_domain::{Nature, Product};
use logis_io::report::{Cell, Report};
use logis_store::query::Dim;
use logis_store::{LineFilter, Store};

pub(super) fn production(
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
