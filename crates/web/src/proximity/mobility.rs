//! The offer for workers on mobility against the employers' demand: the coverage page (a chart of
//! beds offered and workers expected per month, the table per commune and month, the table per
//! employer), its downloads, the imports and the forms of the three files.

use crate::accounts::auth::Authed;
use crate::register::chart::{Bar, Tick, year_chart};
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use logis_app::proximity::MobilityFile;
use logis_domain::Permission;
use logis_domain::proximity::mobility::{DEMAND_COLUMNS, OCCUPANCY_COLUMNS, OFFER_COLUMNS};
use logis_io::report::Report;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The chart: one slot a month, beds offered and workers expected side by side.
struct MonthChart {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    baseline: f64,
    ticks: Vec<Tick>,
    /// (month, slot's middle, beds offered, workers expected, label shown under the slot)
    months: Vec<(String, f64, Bar, Bar, bool)>,
}

fn chart(report: &Report) -> MonthChart {
    // The long rows: commune_insee, commune, mois, lits_offerts, salaries_attendus, …
    let mut by: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in &report.long_rows {
        let int = |i: usize| match r.get(i) {
            Some(logis_io::report::Cell::Int(v)) => u64::try_from(*v).unwrap_or(0),
            _ => 0,
        };
        if let Some(logis_io::report::Cell::Text(m)) = r.get(2) {
            let e = by.entry(m.to_string()).or_default();
            e.0 += int(3);
            e.1 += int(4);
        }
    }
    let months: Vec<(i32, u64, u64)> = by
        .values()
        .enumerate()
        .map(|(i, (b, w))| (i as i32, *b, *w))
        .collect();
    let c = year_chart(&months, None);
    let every = (by.len() / 12).max(1);
    MonthChart {
        width: c.width,
        height: c.height,
        left: c.left,
        right: c.right,
        baseline: c.baseline,
        ticks: c.ticks,
        months: by
            .keys()
            .zip(c.years)
            .enumerate()
            .map(|(i, (m, (_, x, b, w)))| (m.clone(), x, b, w, i % every == 0))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "proximity/mobility.html")]
struct CoveragePage {
    chrome: Chrome,
    report: Report,
    chart: MonthChart,
    /// (SIRET, name, workers expected, worker-months placed)
    employers: Vec<(String, String, String, String)>,
    declare: bool,
    epci: bool,
    landlords: Vec<(i64, String)>,
    /// The form's problems: (file, column, message).
    problems: Vec<(String, String, String)>,
    saved: bool,
}

async fn coverage_page(
    s: &AppState,
    a: &Authed,
    problems: Vec<(String, String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let (report, employers, orgs) = blocking(move || {
        let st = state.store.as_ref();
        Ok((
            logis_app::proximity::mobility_report(st).map_err(crate::app_to_store)?,
            logis_app::proximity::mobility_employers(st).map_err(crate::app_to_store)?,
            st.organisations()?,
        ))
    })
    .await?;
    let p = &a.principal;
    let epci = p.may(Permission::ManageProximity);
    let landlords = orgs
        .iter()
        .filter(|o| {
            o.kind == logis_domain::OrgKind::Landlord && (epci || p.organisation_id == Some(o.id))
        })
        .map(|o| (o.id, o.name.clone()))
        .collect();
    let failed = !problems.is_empty();
    Ok(crate::render_refused(
        &CoveragePage {
            chrome: a.chrome("mobilite"),
            chart: chart(&report),
            report,
            employers: employers
                .into_iter()
                .map(|(siret, name, w, placed)| (siret, name, crate::n(w), crate::n(placed)))
                .collect(),
            declare: p.may(Permission::DeclareMobility),
            epci,
            landlords,
            problems,
            saved,
        },
        failed,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CoverageQuery {
    #[serde(default)]
    enregistre: String,
}

pub(crate) async fn coverage(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<CoverageQuery>,
) -> Result<Response, PageError> {
    coverage_page(&s, &a, Vec::new(), q.enregistre == "1").await
}

pub(crate) async fn export(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<crate::land::pages::ExportQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let xlsx = crate::land::pages::xlsx_asked(&q)?;
    let state = s.clone();
    let report = blocking(move || {
        logis_app::proximity::mobility_report(state.store.as_ref()).map_err(crate::app_to_store)
    })
    .await?;
    crate::land::pages::download(&report, xlsx, "logis-mobilite")
}

fn file_of(kind: &str) -> Option<(MobilityFile, &'static str)> {
    match kind {
        "offre" => Some((MobilityFile::Offer, "offres")),
        "besoins" => Some((MobilityFile::Demand, "besoins des employeurs")),
        "occupation" => Some((MobilityFile::Occupancy, "occupation")),
        _ => None,
    }
}

/// Who declares what: the EPCI every file; a landlord's editor its offers and their occupancy.
fn may_declare(a: &Authed, file: MobilityFile) -> Result<Option<i64>, PageError> {
    a.require(Permission::DeclareMobility)?;
    let epci = a.principal.may(Permission::ManageProximity);
    if epci {
        return Ok(None);
    }
    if file == MobilityFile::Demand {
        return Err(crate::accounts::auth::forbidden());
    }
    Ok(a.principal.organisation_id)
}

#[derive(Template)]
#[template(path = "proximity/mobility_import.html")]
struct ImportPage {
    chrome: Chrome,
    epci: bool,
    what: &'static str,
    up: crate::proximity::pages::Uploaded,
    offer_columns: &'static [&'static str],
    demand_columns: &'static [&'static str],
    occupancy_columns: &'static [&'static str],
}

fn import_page(a: &Authed) -> ImportPage {
    ImportPage {
        chrome: a.chrome("mobilite"),
        epci: a.principal.may(Permission::ManageProximity),
        what: "",
        up: Default::default(),
        offer_columns: OFFER_COLUMNS,
        demand_columns: DEMAND_COLUMNS,
        occupancy_columns: OCCUPANCY_COLUMNS,
    }
}

pub(crate) async fn import_form(Extension(a): Extension<Authed>) -> Result<Response, PageError> {
    a.require(Permission::DeclareMobility)?;
    Ok(render(&import_page(&a)))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ImportQuery {
    #[serde(default)]
    fichier: String,
}

pub(crate) async fn import_upload(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ImportQuery>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    a.require(Permission::DeclareMobility)?;
    let Some((file, what)) = file_of(&q.fichier) else {
        return Err(PageError {
            status: StatusCode::BAD_REQUEST,
            message: "fichier inconnu (offre, besoins ou occupation)".into(),
        });
    };
    let only = may_declare(&a, file)?;
    let mut p = import_page(&a);
    p.what = what;
    let s = s.clone();
    let actor = a.actor();
    crate::proximity::pages::upload(p, multipart, move |src, commit| {
        logis_app::proximity::import_mobility_for(s.store.as_ref(), &actor, src, file, commit, only)
    })
    .await
}

impl crate::proximity::pages::UploadPage for ImportPage {
    fn uploaded(&mut self) -> &mut crate::proximity::pages::Uploaded {
        &mut self.up
    }
}

/// One line typed on a form of the coverage page (`fichier`: offre, besoins or occupation; the
/// other fields named as the file's columns), checked and recorded as a file of one row.
pub(crate) async fn entry(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    a.require(Permission::DeclareMobility)?;
    let kind = fields
        .iter()
        .find(|(k, _)| k == "fichier")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let Some((file, _)) = file_of(&kind) else {
        return Err(PageError {
            status: StatusCode::BAD_REQUEST,
            message: "formulaire inconnu (offre, besoins ou occupation)".into(),
        });
    };
    let only = may_declare(&a, file)?;
    let columns = match file {
        MobilityFile::Offer => OFFER_COLUMNS,
        MobilityFile::Demand => DEMAND_COLUMNS,
        MobilityFile::Occupancy => OCCUPANCY_COLUMNS,
    };
    let src = crate::form_as_file(columns, &fields);
    let state = s.clone();
    let actor = a.actor();
    let outcome = blocking(move || {
        logis_app::proximity::import_mobility_for(
            state.store.as_ref(),
            &actor,
            src,
            file,
            true,
            only,
        )
        .map_err(crate::app_to_store)
    })
    .await?;
    if outcome.problems.is_empty() {
        return Ok(Redirect::to("/mobilite?enregistre=1").into_response());
    }
    let problems = outcome
        .problems
        .into_iter()
        .map(|p| (kind.clone(), p.column, p.message))
        .collect();
    coverage_page(&s, &a, problems, false).await
}
