//! The grouped tenders' pages: the list of the tenders a user sees (members, lots, amounts,
//! savings), their import, and the cost report with its downloads.

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
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
    saved: bool,
    /// The form's refusals, in French (nothing written).
    errors: Vec<String>,
    landlords: Vec<(i64, String)>,
    works: Vec<(&'static str, &'static str)>,
    form: TenderForm,
}

/// One operation of one lot, as the tenders page's form sends it.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub(crate) struct TenderForm {
    #[serde(default)]
    appel: String,
    #[serde(default)]
    coordinateur: String,
    #[serde(default)]
    membres: String,
    #[serde(default)]
    nature_travaux: String,
    #[serde(default)]
    lot: String,
    #[serde(default)]
    bailleur: String,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    estimation: String,
    #[serde(default)]
    montant_attribue: String,
    #[serde(default)]
    attributaire_siret: String,
    #[serde(default)]
    date_attribution: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    enregistre: String,
}

fn may_import(a: &Authed) -> bool {
    a.principal.may(Permission::ManageLand) || a.principal.may(Permission::ExpressInterest)
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    list_page(
        &s,
        &a,
        q.enregistre == "1",
        Vec::new(),
        TenderForm::default(),
    )
    .await
}

async fn list_page(
    s: &AppState,
    a: &Authed,
    saved: bool,
    errors: Vec<String>,
    form: TenderForm,
) -> Result<Response, PageError> {
    a.require(Permission::ReadFinancing)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let (tenders, orgs) = blocking(move || {
        let st = state.store.as_ref();
        Ok((
            logis_app::land::tenders::visible_tenders(st, &principal)
                .map_err(crate::app_to_store)?,
            st.organisations()?,
        ))
    })
    .await?;
    let mut landlords: Vec<(i64, String)> = orgs
        .into_iter()
        .filter(|o| o.kind == logis_domain::OrgKind::Landlord)
        .map(|o| (o.id, o.name))
        .collect();
    landlords.sort_by(|x, y| x.1.cmp(&y.1));
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
    let failed = !errors.is_empty();
    let mut res = render(&TendersPage {
        chrome: a.chrome("appels"),
        may_import: may_import(a),
        tenders: views,
        saved,
        errors,
        landlords,
        works: logis_domain::land::tenders::WorksKind::ALL
            .iter()
            .map(|w| (w.code(), w.label()))
            .collect(),
        form,
    });
    if failed {
        *res.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(res)
}

/// Add one operation of one lot to a tender (created when new), from the page's form.
pub(crate) async fn add(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(f): axum::Form<TenderForm>,
) -> Result<Response, PageError> {
    if !may_import(&a) {
        return Err(crate::accounts::auth::forbidden());
    }
    let coordinator = match a.principal.role {
        Role::LandlordEditor => a.principal.organisation_id,
        _ => None,
    };
    let state = s.clone();
    let actor = a.actor();
    let form = f.clone();
    let report = blocking(move || {
        let st = state.store.as_ref();
        let orgs = st.organisations()?;
        let name = |id: &str| {
            orgs.iter()
                .find(|o| o.id.to_string() == id.trim())
                .map(|o| o.name.clone())
                .unwrap_or_else(|| id.to_string())
        };
        let cells = vec![
            ("appel", f.appel.clone()),
            ("coordinateur", name(&f.coordinateur)),
            ("membres", f.membres.clone()),
            ("nature_travaux", f.nature_travaux.clone()),
            ("lot", f.lot.clone()),
            ("bailleur", name(&f.bailleur)),
            ("operation", f.operation.clone()),
            ("estimation", f.estimation.clone()),
            ("montant_attribue", f.montant_attribue.clone()),
            ("attributaire_siret", f.attributaire_siret.clone()),
            ("date_attribution", f.date_attribution.clone()),
        ];
        logis_app::land::tenders::add_to_tender(st, &actor, &cells, coordinator)
            .map_err(crate::app_to_store)
    })
    .await?;
    if report.has_errors() {
        let errors = report
            .problems
            .iter()
            .map(|p| {
                if p.column.is_empty() {
                    p.message.clone()
                } else {
                    format!("{} : {}", p.column, p.message)
                }
            })
            .collect();
        return list_page(&s, &a, false, errors, form).await;
    }
    Ok(axum::response::Redirect::to("/appels-offres?enregistre=1").into_response())
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
