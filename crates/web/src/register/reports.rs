//! Report pages: `/rapports/{nom}` (HTML, laid out as the published tables) and
//! `/rapports/{nom}/export?format=csv|xlsx`.

use crate::accounts::auth::Authed;
use crate::{AppState, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use logis_app::reports::{ReportName, build};
use logis_domain::Permission;
use logis_domain::{OrgKind, Stage};
use logis_io::report::Report;
use logis_store::LineFilter;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportQuery {
    programme: Option<String>,
    bailleur: Option<String>,
    annee_min: Option<String>,
    annee_max: Option<String>,
    stade: Option<String>,
    commune: Option<String>,
    epci: Option<String>,
    quartier: Option<String>,
    /// « origine »: group by the communes as the source wrote them.
    communes: Option<String>,
    format: Option<String>,
    page: Option<String>,
}

/// Rows of a report's table shown on one page (the downloads hold them all).
const REPORT_PAGE_ROWS: usize = 200;

fn id(v: &Option<String>, what: &str) -> Result<Option<i64>, String> {
    match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| format!("{what} invalide « {s} »")),
    }
}

fn year(v: &Option<String>) -> Result<Option<i32>, String> {
    match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(s) => {
            let n: i64 = s.parse().map_err(|_| {
                format!("année invalide « {s} » (attendu : une année entre 1950 et 2100)")
            })?;
            logis_domain::Year::new(n)
                .map(|y| Some(y.get()))
                .map_err(|e| e.0)
        }
    }
}

impl ReportQuery {
    /// The filter; a commune may be written as an INSEE code or a name (resolved in `geo`).
    fn filter(&self, geo: &logis_domain::Geography) -> Result<LineFilter, String> {
        let stage = match self.stade.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(Stage::parse(s).map_err(|e| e.0)?),
        };
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let commune = match text(&self.commune) {
            None => None,
            Some(c) => Some(
                geo.resolve(&c, None)
                    .map_err(|e| e.to_string())?
                    .code
                    .clone(),
            ),
        };
        let epci = match text(&self.epci) {
            None => None,
            Some(e) => Some(logis_domain::Siren::parse(&e).map_err(|e| format!("EPCI : {}", e.0))?),
        };
        Ok(LineFilter {
            commune,
            epci,
            quartier_id: id(&self.quartier, "quartier")?,
            programme_id: id(&self.programme, "programme")?,
            landlord_id: id(&self.bailleur, "bailleur")?,
            year_from: year(&self.annee_min)?,
            year_to: year(&self.annee_max)?,
            stage,
            communes_as_written: logis_app::reports::communes_as_written(self.communes.as_deref())?,
            ..LineFilter::default()
        })
    }

    /// The filters as a query string ("programme=1&annee_min=2005"), empty when none.
    fn carry(f: &LineFilter) -> String {
        let mut parts = Vec::new();
        if let Some(v) = f.programme_id {
            parts.push(format!("programme={v}"));
        }
        if let Some(v) = f.landlord_id {
            parts.push(format!("bailleur={v}"));
        }
        if let Some(v) = f.year_from {
            parts.push(format!("annee_min={v}"));
        }
        if let Some(v) = f.year_to {
            parts.push(format!("annee_max={v}"));
        }
        if let Some(v) = f.stage {
            parts.push(format!("stade={}", v.code()));
        }
        if let Some(v) = &f.commune {
            parts.push(format!("commune={v}"));
        }
        if let Some(v) = &f.epci {
            parts.push(format!("epci={v}"));
        }
        if let Some(v) = f.quartier_id {
            parts.push(format!("quartier={v}"));
        }
        if f.communes_as_written {
            parts.push("communes=origine".into());
        }
        parts.join("&")
    }
}

fn report_name(name: &str) -> Result<ReportName, PageError> {
    ReportName::parse(name).ok_or_else(|| PageError {
        status: StatusCode::NOT_FOUND,
        message: format!("rapport inconnu « {name} »"),
    })
}

#[derive(Template)]
#[template(path = "register/report_page.html")]
struct ReportPage<'a> {
    chrome: crate::Chrome,
    report: &'a Report,
    reports: Vec<(&'static str, &'static str)>,
    programmes: Vec<(i64, String, bool)>,
    landlords: Vec<(i64, String, bool)>,
    stages: Vec<(&'static str, &'static str, bool)>,
    year_from: String,
    year_to: String,
    commune: String,
    epci: String,
    quartiers: Vec<(i64, String, bool)>,
    as_written: bool,
    error: String,
    query: String,
    query_amp: String,
    rows_page: &'a logis_io::report::GridPage,
}

impl ReportPage<'_> {
    fn fmt(&self, n: &usize) -> String {
        logis_domain::numbers::group_thousands(*n as i64)
    }
}

fn short_title(r: ReportName) -> &'static str {
    match r {
        ReportName::Production => "Production",
        ReportName::Rehabilitation => "Réhabilitations",
        ReportName::Renouvellement => "Renouvellement urbain",
        ReportName::Programme => "Avancement du programme",
        ReportName::Financement => "Financement",
        ReportName::Reequilibrage => "Rééquilibrage",
    }
}

pub(crate) async fn index(Extension(a): Extension<Authed>) -> Result<Redirect, PageError> {
    a.require(Permission::ReadReports)?;
    Ok(Redirect::to("/rapports/production"))
}

/// The report's filter as the principal may run it (403 for the financing report of a role
/// that does not see financing).
pub(crate) fn scoped(a: &Authed, name: ReportName, f: LineFilter) -> Result<LineFilter, PageError> {
    a.require(Permission::ReadReports)?;
    logis_app::reports::filter_for(&a.principal, name, f).map_err(|message| PageError {
        status: StatusCode::FORBIDDEN,
        message,
    })
}

pub(crate) async fn page(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(name): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let name = report_name(&name)?;
    let store = s.store.clone();
    let geo = blocking(move || store.geography()).await?;
    let (filter, error) = match q.filter(&geo) {
        Ok(f) => (f, String::new()),
        Err(e) => (LineFilter::default(), e),
    };
    let store = s.store.clone();
    let mut filter = filter;
    let f2 = scoped(&a, name, filter.clone())?;
    let wanted = q
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1);
    let pages = s.pages.clone();
    let (shown, programmes, orgs, chosen) = blocking(move || {
        let programmes = store.programmes()?;
        let mut f2 = f2;
        // The programme report needs a programme: the first one with targets by default.
        if name == ReportName::Programme && f2.programme_id.is_none() {
            for p in &programmes {
                if store.targets(p.id)?.is_some() {
                    f2.programme_id = Some(p.id);
                    break;
                }
            }
        }
        Ok((
            pages
                .page(store.as_ref(), name, &f2, wanted, REPORT_PAGE_ROWS)
                .map_err(crate::app_to_store)?,
            programmes,
            (store.organisations()?, store.quartiers()?),
            f2.programme_id,
        ))
    })
    .await?;
    filter.programme_id = chosen;
    let query = ReportQuery::carry(&filter);
    let (report, rows_page) = &*shown;
    Ok(render(&ReportPage {
        chrome: a.chrome("rapports"),
        report,
        as_written: filter.communes_as_written,
        reports: ReportName::ALL
            .iter()
            .map(|r| (r.code(), short_title(*r)))
            .collect(),
        commune: filter
            .commune
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        epci: filter
            .epci
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        quartiers: orgs
            .1
            .iter()
            .map(|q| {
                let commune = geo
                    .commune(q.commune.as_str())
                    .map(|c| c.name.as_str())
                    .unwrap_or("");
                (
                    q.id,
                    format!("{} ({commune})", q.name),
                    filter.quartier_id == Some(q.id),
                )
            })
            .collect(),
        programmes: programmes
            .into_iter()
            .map(|p| (p.id, p.name, filter.programme_id == Some(p.id)))
            .collect(),
        landlords: orgs
            .0
            .into_iter()
            .filter(|o| o.kind == OrgKind::Landlord)
            .map(|o| (o.id, o.name, filter.landlord_id == Some(o.id)))
            .collect(),
        stages: Stage::ALL
            .iter()
            .map(|st| (st.code(), st.label(), filter.stage == Some(*st)))
            .collect(),
        year_from: filter.year_from.map(|y| y.to_string()).unwrap_or_default(),
        year_to: filter.year_to.map(|y| y.to_string()).unwrap_or_default(),
        error,
        query_amp: if query.is_empty() {
            String::new()
        } else {
            format!("&{query}")
        },
        query: if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        },
        rows_page,
    }))
}

pub(crate) async fn export(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(name): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let name = report_name(&name)?;
    let store = s.store.clone();
    let geo = blocking(move || store.geography()).await?;
    let filter = q.filter(&geo).map_err(|message| PageError {
        status: StatusCode::BAD_REQUEST,
        message,
    })?;
    let filter = scoped(&a, name, filter)?;
    let xlsx = match q.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "xlsx" => true,
        other => {
            return Err(PageError {
                status: StatusCode::BAD_REQUEST,
                message: format!("format inconnu « {other} » (csv ou xlsx)"),
            });
        }
    };
    let store = s.store.clone();
    let bytes = blocking(move || {
        // (A CSV is the long table: its grid is not laid out.)
        let report = if xlsx {
            build(store.as_ref(), name, &filter)
        } else {
            logis_app::reports::build_long(store.as_ref(), name, &filter)
        }
        .map_err(crate::app_to_store)?;
        let w = |e: logis_io::write::WriteError| logis_store::StoreError::Backend(e.to_string());
        if xlsx {
            logis_io::report::write_xlsx(&report).map_err(w)
        } else {
            logis_io::report::write_csv(&report, Vec::new()).map_err(w)
        }
    })
    .await?;
    let (ct, ext) = if xlsx {
        (logis_io::write::ExportFormat::Xlsx.content_type(), "xlsx")
    } else {
        ("text/csv; charset=utf-8", "csv")
    };
    Ok((
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"logis-{}.{ext}\"", name.code()),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "register/report_file.html")]
struct ReportFile<'a> {
    report: &'a Report,
    css: &'static str,
    generated: String,
}

/// A standalone HTML document of a report (CSS inlined), for `logis report … --format html`.
pub fn render_file(report: &Report, generated: &str) -> Result<String, String> {
    ReportFile {
        report,
        css: crate::CSS,
        generated: generated.to_string(),
    }
    .render()
    .map_err(|e| e.to_string())
}
