//! The grouped tenders' pages: the list of the tenders a user sees (members, lots, amounts,
//! savings), their import, and the cost report with its downloads.

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use logis_app::land::tenders::TenderImportReport;
use logis_domain::numbers::{format_date_fr, format_euros_cents};
use logis_domain::{Permission, Role};
use logis_io::report::Report;

/// A tender as the page shows it.
struct TenderView {
    reference: String,
    works: &'static str,
    coordinator: String,
    members: String,
    dates: String,
    /// (lot, company, operation, landlord, estimate, awarded)
    rows: Vec<(String, String, String, String, String, String)>,
    /// (member, estimate, awarded, saving)
    savings: Vec<(String, String, String, String)>,
    total: (String, String, String),
}

fn money(c: Option<i64>) -> String {
    c.map(format_euros_cents).unwrap_or_else(|| "—".into())
}

#[derive(Template)]
#[template(path = "land/tenders.html")]
struct TendersPage {
    chrome: Chrome,
    may_import: bool,
    tenders: Vec<TenderView>,
}

fn may_import(a: &Authed) -> bool {
    a.principal.may(Permission::ManageLand) || a.principal.may(Permission::ExpressInterest)
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadFinancing)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let tenders = blocking(move || {
        logis_app::land::tenders::visible_tenders(state.store.as_ref(), &principal)
            .map_err(crate::app_to_store)
    })
    .await?;
    let views = tenders
        .iter()
        .map(|t| {
            let mut dates = Vec::new();
            if let Some(d) = t.published_on {
                dates.push(format!("publié le {}", format_date_fr(d)));
            }
            if let Some(d) = t.awarded_on {
                dates.push(format!("attribué le {}", format_date_fr(d)));
            }
            if let Some(d) = t.works_start_on {
                dates.push(format!("travaux le {}", format_date_fr(d)));
            }
            let (e, w, g) = t.saving(None);
            TenderView {
                reference: t.reference.clone(),
                works: t.works.label(),
                coordinator: t.coordinator.clone(),
                members: t
                    .members
                    .iter()
                    .map(|m| m.1.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                dates: dates.join(", "),
                rows: t
                    .lots
                    .iter()
                    .flat_map(|l| {
                        l.operations.iter().map(move |o| {
                            (
                                l.name.clone(),
                                l.company_siret.clone().unwrap_or_default(),
                                o.reference.clone(),
                                o.landlord.clone(),
                                money(o.estimate_cents),
                                money(o.awarded_cents),
                            )
                        })
                    })
                    .collect(),
                savings: t
                    .members
                    .iter()
                    .map(|(id, name)| {
                        let (e, w, g) = t.saving(Some(*id));
                        (
                            name.clone(),
                            format_euros_cents(e),
                            format_euros_cents(w),
                            format_euros_cents(g),
                        )
                    })
                    .collect(),
                total: (
                    format_euros_cents(e),
                    format_euros_cents(w),
                    format_euros_cents(g),
                ),
            }
        })
        .collect();
    Ok(render(&TendersPage {
        chrome: a.chrome("appels"),
        may_import: may_import(&a),
        tenders: views,
    }))
}

#[derive(Template)]
#[template(path = "land/tenders_import.html")]
struct ImportPage {
    chrome: Chrome,
    file_name: String,
    error: String,
    checked_only: bool,
    report: TenderImportReport,
    columns: &'static [&'static str],
    required: &'static [&'static str],
}

fn import_page(a: &Authed) -> ImportPage {
    ImportPage {
        chrome: a.chrome("appels"),
        file_name: String::new(),
        error: String::new(),
        checked_only: false,
        report: TenderImportReport::default(),
        columns: logis_domain::land::tenders::TENDER_COLUMNS,
        required: logis_domain::land::tenders::TENDER_REQUIRED,
    }
}

pub(crate) async fn import_form(Extension(a): Extension<Authed>) -> Result<Response, PageError> {
    if !may_import(&a) {
        return Err(crate::accounts::auth::forbidden());
    }
    Ok(render(&import_page(&a)))
}

pub(crate) async fn import_upload(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    if !may_import(&a) {
        return Err(crate::accounts::auth::forbidden());
    }
    let mut p = import_page(&a);
    let (file, check_only) = match super::pages::read_upload(multipart).await {
        Ok(x) => x,
        Err(e) => {
            p.error = e;
            let mut res = render(&p);
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    let (name, bytes) = file;
    // A landlord's editor imports the tenders its organisation coordinates.
    let coordinator = match a.principal.role {
        Role::LandlordEditor => a.principal.organisation_id,
        _ => None,
    };
    let state = s.clone();
    let actor = a.actor();
    let outcome = blocking(move || {
        let src = match logis_io::open_bytes(bytes) {
            Ok(src) => src,
            Err(e) => return Ok(Err(format!("fichier illisible : {e}"))),
        };
        logis_app::land::tenders::import_tenders_of(
            state.store.as_ref(),
            &actor,
            src,
            !check_only,
            coordinator,
        )
        .map(Ok)
        .map_err(crate::app_to_store)
    })
    .await?;
    p.file_name = name;
    p.checked_only = check_only;
    let failed = match outcome {
        Ok(r) => {
            let failed = r.has_errors();
            p.report = r;
            failed
        }
        Err(e) => {
            p.error = e;
            true
        }
    };
    let mut res = render(&p);
    if failed {
        *res.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "land/costs.html")]
struct CostsPage {
    chrome: Chrome,
    report: Report,
}

async fn build(s: &AppState, a: &Authed) -> Result<Report, PageError> {
    a.require(Permission::ReadFinancing)?;
    let state = s.clone();
    let principal = a.principal.clone();
    blocking(move || {
        logis_app::land::tenders::cost_report(state.store.as_ref(), &principal)
            .map_err(crate::app_to_store)
    })
    .await
}

pub(crate) async fn costs(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    let report = build(&s, &a).await?;
    Ok(render(&CostsPage {
        chrome: a.chrome("appels"),
        report,
    }))
}

pub(crate) async fn costs_export(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<super::pages::ExportQuery>,
) -> Result<Response, PageError> {
    let xlsx = super::pages::xlsx_asked(&q)?;
    let report = build(&s, &a).await?;
    super::pages::download(&report, xlsx, "logis-couts")
}
