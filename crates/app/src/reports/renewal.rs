//! The urban renewal report (ANRU table): per project, demolitions, reconstructions on and
//! off site, rehabilitations and residentialisations.

use super::layout::*;
use super::{ReportName, Shape, Shaped};
use crate::Result;
use logis_domain::{Nature, Site, Stage};
use logis_io::report::{Cell, Grid, GridPage, GridRow, Report, RowKind};
use logis_store::query::{Dim, Group};
use logis_store::{LineFilter, Store};

#[derive(Default)]
struct Renewal {
    demolitions: i64,
    on_site: i64,
    off_site: i64,
    unspecified_site: i64,
    rehabilitations: i64,
    stage: Option<Stage>,
}

pub(super) fn renouvellement(
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
