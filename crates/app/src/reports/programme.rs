//! The programme report: targets, progress, the projection at the recent pace.

use super::ReportName;
use super::layout::*;
use crate::{AppError, Result};
use logis_domain::{Product, Stage};
use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
use logis_store::query::Dim;
use logis_store::{LineFilter, Store};

/// Years of programmed dwellings the projection averages.
pub const PACE_YEARS: i32 = 3;

/// A programme's name, targets and progress over the lines of `filter` (which names the
/// programme), seen from `current_year`.
pub fn programme_progress(
    store: &dyn Store,
    filter: &LineFilter,
    current_year: i32,
) -> Result<(
    String,
    logis_domain::register::targets::Targets,
    logis_domain::register::targets::Progress,
)> {
    use logis_domain::register::targets::{StageSum, progress};
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

pub(super) fn programme(
    store: &dyn Store,
    filter: &LineFilter,
    scope: String,
    current_year: i32,
) -> Result<Report> {
    use logis_domain::register::targets::{Bucket, SplitDimension};
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
                .is_some_and(|b| b != logis_domain::register::targets::BandPosition::Inside)
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
