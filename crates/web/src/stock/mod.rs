//! The social housing stock's page (« Parc social »): the RPLS indicators of a vintage at a
//! scale (commune, EPCI, department, region, QPV, landlord), their downloads, and the
//! breakdowns of the territory's stock. Everyone who reads reports reads it (aggregates).

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use logis_app::stock::Scale;
use logis_domain::Permission;
use logis_io::report::Report;
use serde::Deserialize;

pub mod dwellings;

/// Rows of the indicators' table a page shows at most.
const SHOWN: usize = 2_000;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/parc", get(page))
        .route("/parc/logements", get(dwellings::page))
        .route("/parc/erbm", get(erbm))
        .route("/parc/export", get(export))
}

/// The page's choices, as the address gives them.
#[derive(Debug, Default, Deserialize, Clone)]
pub(crate) struct ParcQuery {
    #[serde(default)]
    echelle: String,
    #[serde(default)]
    millesime: String,
    /// One area of the scale (a commune's INSEE code, an EPCI's SIREN, a department, a region).
    #[serde(default)]
    code: String,
    /// The download: `parc` (default) or `sru`.
    #[serde(default)]
    rapport: String,
    format: Option<String>,
}

impl ParcQuery {
    /// The scale and vintage, or the French refusal of a value that is none of the choices.
    fn choice(&self) -> Result<(Scale, Option<i32>), PageError> {
        let bad = |m: String| PageError {
            status: StatusCode::BAD_REQUEST,
            message: m,
        };
        let scale = match self.echelle.trim() {
            "" => Scale::Commune,
            t => Scale::parse(t).map_err(bad)?,
        };
        let vintage = match self.millesime.trim() {
            "" => None,
            t => Some(
                t.parse::<i32>()
                    .map_err(|_| bad(format!("millésime « {t} » : une année attendue")))?,
            ),
        };
        Ok((scale, vintage))
    }
}

#[derive(Template)]
#[template(path = "stock/parc.html")]
struct ParcPage {
    chrome: Chrome,
    /// (code, label, chosen)
    scales: Vec<(&'static str, &'static str, bool)>,
    /// (vintage, chosen)
    vintages: Vec<(i32, bool)>,
    report: Option<Report>,
    query: String,
    breakdowns: Vec<logis_app::stock::StockBreakdown>,
    /// The SRU estimate of the territory's communes (when main residences are imported).
    sru: Option<Report>,
    /// The territory's rents (a complete file only).
    rents: Option<Report>,
    /// Whether the user reads the dwellings one by one (the link to them).
    dwellings: bool,
    /// The territory's communes by their social dwellings (a territory set, communes scale).
    map: Option<crate::register::map::Choropleth>,
    palette: [&'static str; 6],
}

pub(crate) async fn page(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ParcQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let (scale, vintage) = q.choice()?;
    let state = s.clone();
    let query = q.clone();
    let (vintages, report, breakdowns, sru, rents, map) = blocking(move || {
        let q = query;
        let store = state.store.as_ref();
        let held = store.stock_vintages()?;
        if held.is_empty() {
            return Ok((held, None, Vec::new(), None, None, None));
        }
        // One area, or the territory's communes and EPCIs (all of France: the download).
        let within = match (q.code.trim(), scale) {
            ("", Scale::Commune | Scale::Epci) => {
                logis_app::stock::territory_communes(store).map_err(crate::app_to_store)?
            }
            ("", _) => None,
            (code, _) => Some(
                logis_app::stock::area_communes(store, scale, code).map_err(crate::app_to_store)?,
            ),
        };
        let r = logis_app::stock::parc_report_within(store, vintage, scale, within.as_deref())
            .map_err(crate::app_to_store)?;
        let b = logis_app::stock::breakdowns(store, r.vintage).map_err(crate::app_to_store)?;
        let sru = logis_app::stock::sru_report(store, Some(r.vintage), 25)
            .map_err(crate::app_to_store)?;
        let sru = (!sru.long_rows.is_empty()).then_some(sru);
        let rents = if r.fields.rent {
            Some(
                logis_app::stock::rents_report(store, Some(r.vintage))
                    .map_err(crate::app_to_store)?,
            )
        } else {
            None
        };
        // The map: the territory's communes by their social dwellings (its contours).
        let map = match (&within, q.code.trim(), scale) {
            (Some(communes), "", Scale::Commune) => {
                let values: std::collections::HashMap<String, i64> = r
                    .rows
                    .iter()
                    .map(|row| {
                        (
                            row.code.clone(),
                            i64::try_from(row.indicators.dwellings).unwrap_or(i64::MAX),
                        )
                    })
                    .collect();
                let geo = store.geography()?;
                Some(crate::register::map::choropleth(&geo, communes, &values))
            }
            _ => None,
        };
        Ok((held, Some(r), b, sru, rents, map))
    })
    .await?;
    let chosen = report.as_ref().map(|r| r.vintage);
    Ok(render(&ParcPage {
        chrome: a.chrome("parc"),
        scales: Scale::ALL
            .iter()
            .map(|s| (s.code(), s.label(), *s == scale))
            .collect(),
        vintages: vintages
            .iter()
            .rev()
            .map(|v| (v.vintage, Some(v.vintage) == chosen))
            .collect(),
        query: format!(
            "echelle={}{}",
            scale.code(),
            chosen
                .map(|v| format!("&millesime={v}"))
                .unwrap_or_default()
        ),
        report: report.map(|r| {
            let mut report = r.report();
            // (France's 35,000 communes are a download, not a page.)
            if report.grid.rows.len() > SHOWN {
                report.grid.rows.truncate(SHOWN);
                report.notes.insert(
                    0,
                    format!("Les {SHOWN} premières lignes seulement : téléchargez le CSV pour toutes, ou choisissez un territoire (?code=)."),
                );
            }
            report
        }),
        breakdowns,
        sru,
        rents,
        dwellings: a.principal.stock_dwellings().is_some(),
        map,
        palette: crate::register::map::PALETTE,
    }))
}

pub(crate) async fn export(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ParcQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let xlsx =
        crate::land::pages::xlsx_asked(&crate::land::pages::ExportQuery::of(q.format.clone()))?;
    let (scale, vintage) = q.choice()?;
    let state = s.clone();
    let which = match q.rapport.trim() {
        "" | "parc" => "parc",
        "sru" => "sru",
        "loyers" => "loyers",
        other => {
            return Err(PageError {
                status: StatusCode::BAD_REQUEST,
                message: format!("rapport inconnu « {other} » (parc, sru ou loyers)"),
            });
        }
    };
    let report = blocking(move || {
        let store = state.store.as_ref();
        match which {
            "sru" => logis_app::stock::sru_report(store, vintage, 25),
            "loyers" => logis_app::stock::rents_report(store, vintage),
            _ => logis_app::stock::parc_report(store, vintage, scale).map(|r| r.report()),
        }
        .map_err(crate::app_to_store)
    })
    .await?;
    crate::land::pages::download(&report, xlsx, &format!("logis-{which}"))
}

#[derive(Template)]
#[template(path = "stock/erbm.html")]
struct ErbmPage {
    chrome: Chrome,
    report: Report,
}

/// The mining basin's renovation per cité and landlord (`/parc/erbm`; `?format=csv|xlsx`: the
/// download).
pub(crate) async fn erbm(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<crate::land::pages::ExportQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let download = q.asked();
    let xlsx = crate::land::pages::xlsx_asked(&q)?;
    let state = s.clone();
    let report = blocking(move || {
        logis_app::stock::erbm_report(state.store.as_ref()).map_err(crate::app_to_store)
    })
    .await?;
    if download {
        return crate::land::pages::download(&report, xlsx, "logis-erbm");
    }
    Ok(render(&ErbmPage {
        chrome: a.chrome("parc"),
        report,
    }))
}
