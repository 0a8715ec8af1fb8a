//! The dashboard: the register's counts, the selected programme's targets and progress, and the
//! whole register by landlord and nature.

use crate::accounts::auth::Authed;
use crate::register::chart;
use crate::{AppState, Chrome, PageError, blocking, n, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use logis_domain::Permission;
use logis_store::{Store, StoreError};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Template)]
#[template(path = "register/dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    territory: String,
    operations: String,
    lines: String,
    dwellings: String,
    organisations: String,
    /// (id, name, selected) of the programmes with targets.
    programmes: Vec<(i64, String, bool)>,
    programme: Option<ProgrammeView>,
    reports: Vec<(&'static str, &'static str)>,
    message: String,
    /// The whole register by landlord and nature: nature labels, then (landlord, cells, total).
    natures: Vec<&'static str>,
    rows: Vec<(String, Vec<String>, String)>,
}

/// The selected programme on the dashboard.
struct ProgrammeView {
    id: i64,
    name: String,
    objective: String,
    /// (label, value, detail) key figures.
    figures: Vec<(&'static str, String, String)>,
    projection: String,
    chart: chart::YearChart,
    band: String,
    /// (year, planned, programmed, delivered, position in the band)
    years: Vec<(i32, String, String, String, &'static str)>,
    by_landlord: Vec<(String, String, String)>,
    by_commune: Vec<(String, String, String)>,
}

/// A share in French for a page ("—" when the whole is 0).
fn pct(part: u64, whole: u64) -> String {
    logis_domain::numbers::percent_fr(part, whole).unwrap_or_else(|| "—".into())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DashboardQuery {
    #[serde(default)]
    programme: String,
}

/// Planned and delivered dwellings of a programme's scope, by `dim`, largest first.
fn planned_delivered(
    store: &dyn Store,
    f: &logis_store::LineFilter,
    dim: logis_store::query::Dim,
) -> Result<Vec<(String, String, String)>, StoreError> {
    use logis_domain::Stage;
    let rows = store.aggregate(f, &[dim, logis_store::query::Dim::Stage])?;
    let mut m: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in &rows {
        let key = r.key(0).to_string();
        let stage = Stage::from_code(r.key(1));
        let e = m.entry(key).or_default();
        let v = r.dwellings.max(0) as u64;
        e.0 += v;
        if stage.is_some_and(|s| s >= Stage::Delivered) {
            e.1 += v;
        }
    }
    let mut v: Vec<(String, u64, u64)> = m.into_iter().map(|(k, (p, d))| (k, p, d)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(v.into_iter().map(|(k, p, d)| (k, n(p), n(d))).collect())
}

pub(crate) async fn dashboard(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let wanted: Option<i64> = q.programme.trim().parse().ok();
    let current_year = chrono::Datelike::year(&chrono::Local::now().date_naive());
    let (summary, territory, programmes, selected, totals) = blocking(move || {
        let store = state.store.as_ref();
        let territory = match logis_app::reference::territory(store).map_err(crate::app_to_store)? {
            Some(t) => t.describe(state.geography()?.as_ref()),
            None => String::new(),
        };
        let ids = store.programmes_with_targets()?;
        let with_targets: Vec<(i64, String)> = store
            .programmes()?
            .into_iter()
            .filter(|p| ids.binary_search(&p.id).is_ok())
            .map(|p| (p.id, p.name))
            .collect();
        let pid = wanted
            .filter(|w| with_targets.iter().any(|(id, _)| id == w))
            .or_else(|| with_targets.first().map(|(id, _)| *id));
        let selected = match pid {
            None => None,
            Some(pid) => {
                let f = logis_store::LineFilter {
                    programme_id: Some(pid),
                    ..Default::default()
                };
                let (name, targets, progress) =
                    logis_app::reports::programme_progress(store, &f, current_year)
                        .map_err(crate::app_to_store)?;
                let mut scoped = f.clone();
                scoped.natures = targets.scope.natures();
                let by_landlord =
                    planned_delivered(store, &scoped, logis_store::query::Dim::Landlord)?;
                let by_commune =
                    planned_delivered(store, &scoped, logis_store::query::Dim::CommuneName)?;
                Some((pid, name, targets, progress, by_landlord, by_commune))
            }
        };
        let with_targets_empty = with_targets.is_empty();
        Ok((
            store.summary()?,
            territory,
            with_targets,
            selected,
            // The whole register by landlord and nature, when no programme has targets to show
            // (from the pre-aggregated sums; still the slowest part of this page at 1M lines).
            if with_targets_empty {
                Some(store.aggregate(
                    &logis_store::LineFilter::default(),
                    &[
                        logis_store::query::Dim::Landlord,
                        logis_store::query::Dim::Nature,
                    ],
                )?)
            } else {
                None
            },
        ))
    })
    .await?;
    let totals: Vec<(String, logis_domain::Nature, u64)> = totals
        .iter()
        .flat_map(|t| t.iter())
        .filter_map(|r| {
            let nature = logis_domain::Nature::from_code(r.key(1))?;
            Some((r.key(0).to_string(), nature, r.dwellings.max(0) as u64))
        })
        .collect();
    let natures: Vec<logis_domain::Nature> = logis_domain::Nature::ALL
        .iter()
        .copied()
        .filter(|n| totals.iter().any(|t| t.1 == *n))
        .collect();
    let mut by_landlord: BTreeMap<String, BTreeMap<logis_domain::Nature, u64>> = BTreeMap::new();
    for (landlord, nature, dwellings) in &totals {
        *by_landlord
            .entry(landlord.clone())
            .or_default()
            .entry(*nature)
            .or_default() += dwellings;
    }
    let rows = by_landlord
        .into_iter()
        .map(|(landlord, m)| {
            let cells = natures
                .iter()
                .map(|nat| m.get(nat).map(|v| n(*v)).unwrap_or_else(|| "—".into()))
                .collect();
            (landlord, cells, n(m.values().sum()))
        })
        .collect();
    let chosen = selected.as_ref().map(|x| x.0);
    let programme = selected.map(|(id, name, t, p, by_landlord, by_commune)| {
        use logis_domain::register::targets::Bucket;
        let idx = |b: Bucket| Bucket::ALL.iter().position(|x| *x == b).unwrap_or(0);
        let (planned, programmed, delivered) = (
            idx(Bucket::Planned),
            idx(Bucket::Programmed),
            idx(Bucket::Delivered),
        );
        let total = |i: usize| p.totals.get(i).copied().unwrap_or(0);
        let objective = format!(
            "{} {} de {} à {}{}{}",
            t.total.map(n).unwrap_or_else(|| "—".into()),
            t.scope.label(),
            t.first_year,
            t.last_year,
            t.social_percent
                .map(|s| format!(", dont {s} % de logements sociaux"))
                .unwrap_or_default(),
            t.annual_band
                .map(|(lo, hi)| format!(", entre {} et {} par an", n(lo), n(hi)))
                .unwrap_or_default(),
        );
        let mut figures = vec![
            (
                "Logements prévus",
                n(total(planned)),
                t.total
                    .map(|o| format!("{} de l'objectif", pct(total(planned), o)))
                    .unwrap_or_default(),
            ),
            (
                "Logements programmés",
                n(total(programmed)),
                t.total
                    .map(|o| format!("{} de l'objectif", pct(total(programmed), o)))
                    .unwrap_or_default(),
            ),
            (
                "Logements livrés",
                n(total(delivered)),
                t.total
                    .map(|o| format!("{} de l'objectif", pct(total(delivered), o)))
                    .unwrap_or_default(),
            ),
        ];
        figures.push((
            "Part de logements sociaux",
            pct(p.social, p.with_product),
            t.social_percent
                .map(|s| format!("objectif {s} %"))
                .unwrap_or_default(),
        ));
        let projection = match &p.projection {
            Some(pr) => match pr.reached_in {
                Some(y) if y < current_year => format!("Objectif atteint en {y}."),
                Some(y) => format!(
                    "Au rythme de {} logements programmés par an ({}–{}), l'objectif serait atteint en {y}{}.",
                    n(pr.pace),
                    pr.window.0,
                    pr.window.1,
                    if pr.on_time { ", dans les délais" } else { ", après l'échéance" }
                ),
                None => format!(
                    "Aucun logement programmé de {} à {} : pas de projection.",
                    pr.window.0, pr.window.1
                ),
            },
            None => String::new(),
        };
        let bar = |y: &logis_domain::register::targets::YearProgress, i: usize| {
            y.by_bucket.get(i).copied().unwrap_or(0)
        };
        let chart = chart::year_chart(
            &p.years
                .iter()
                .map(|y| (y.year, bar(y, planned), bar(y, delivered)))
                .collect::<Vec<_>>(),
            t.annual_band,
        );
        ProgrammeView {
            id,
            name,
            objective,
            figures,
            projection,
            chart,
            band: t
                .annual_band
                .map(|(lo, hi)| format!("{} – {}", n(lo), n(hi)))
                .unwrap_or_default(),
            years: p
                .years
                .iter()
                .map(|y| {
                    (
                        y.year,
                        n(bar(y, planned)),
                        n(bar(y, programmed)),
                        n(bar(y, delivered)),
                        y.band.map(|b| b.label()).unwrap_or(""),
                    )
                })
                .collect(),
            by_landlord,
            by_commune,
        }
    });
    let message = if programmes.is_empty() {
        "Aucun programme n'a encore d'objectifs : définissez-les avec « logis objectifs » ou l'API (PUT /api/v1/programmes/{id}/objectifs).".to_string()
    } else {
        String::new()
    };
    Ok(render(&Dashboard {
        chrome: a.chrome("dashboard"),
        territory,
        operations: n(summary.operations),
        lines: n(summary.lines),
        dwellings: n(summary.dwellings),
        organisations: n(summary.organisations),
        programmes: programmes
            .into_iter()
            .map(|(id, name)| (id, name, Some(id) == chosen))
            .collect(),
        programme,
        reports: logis_app::reports::ReportName::ALL
            .iter()
            .map(|r| (r.code(), r.title()))
            .collect(),
        message,
        natures: natures.iter().map(|x| x.label()).collect(),
        rows,
    }))
}
