//! The rebalancing report: where each renewal project's demolished dwellings are rebuilt
//! (in its demolition communes or elsewhere).

use super::layout::*;
use super::{ReportName, Shape, Shaped};
use crate::Result;
use logis_domain::{Nature, Product};
use logis_io::report::{Cell, Grid, GridPage, GridRow, Report, RowKind};
use logis_store::query::{Dim, Group};
use logis_store::{LineFilter, Store};
use std::collections::BTreeMap;

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

pub(super) fn reequilibrage(
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
    // Main residences of the latest census imported (`logis import residences-principales`).
    let census = store.main_residence_years()?.last().copied();
    let residences: std::collections::HashMap<String, u64> = match census {
        Some(y) => store.main_residences(y)?.into_iter().collect(),
        None => Default::default(),
    };
    for ((code, name), n) in &by_commune {
        let rp = residences.get(code).copied();
        long.push(vec![
            Cell::text("commune"),
            Cell::Empty,
            Cell::text(code),
            Cell::text(name),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Int(*n),
            rp.map_or(Cell::Empty, |r| {
                Cell::Int(i64::try_from(r).unwrap_or(i64::MAX))
            }),
            rp.filter(|r| *r > 0).map_or(Cell::Empty, |r| {
                Cell::text(format!("{:.1}", *n as f64 * 100.0 / r as f64).replace('.', ","))
            }),
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
    notes.push(match census {
        Some(y) => format!(
            "Résidences principales : recensement {y} de l'INSEE ; taux : logements sociaux prévus pour 100 résidences principales de la commune (le taux SRU estimé du parc existant est dans le rapport « parc » et le rapport « sru »)."
        ),
        None => "Aucun recensement des résidences principales n'est importé (logis import residences-principales FICHIER --annee AAAA) : le taux de logements sociaux par résidence principale n'est pas calculé (colonne vide).".to_string(),
    });
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
