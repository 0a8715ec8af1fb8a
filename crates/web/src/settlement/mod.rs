//! The settlement observatory's pages (« Peuplement »; issue 21): the occupancy of the stock
//! per quartier and commune against the EPCI with the sensitive quartiers and those whose
//! difficulties grow, the attribution targets, the SNE demand, the local charters, the imports
//! and the EPCI's settings (first-quartile thresholds, the sensitive quartiers' rule). Occupancy
//! and leases are personal data: pages show aggregates with small counts hidden
//! (`domain::secrecy`), and a landlord its own figures exactly.

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render, render_refused};
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use logis_domain::settlement::LEASE_COLUMNS;
use logis_domain::settlement::occupancy::{DEMAND_COLUMNS, Indicator, OCCUPANCY_COLUMNS};
use logis_domain::{Permission, Role};
use logis_io::report::Report;
use serde::Deserialize;

mod charters;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/peuplement", get(occupancy))
        .route("/peuplement/attributions", get(targets))
        .route("/peuplement/demande", get(demand))
        .route("/peuplement/import", get(import_form).post(import_upload))
        .route("/peuplement/parametres", get(settings))
        .route("/peuplement/seuils", axum::routing::post(set_threshold))
        .route("/peuplement/regle", axum::routing::post(set_rule))
        .route(
            "/peuplement/chartes",
            get(charters::list).post(charters::create),
        )
        .route(
            "/peuplement/chartes/{id}",
            get(charters::page).post(charters::update),
        )
}

/// The section's links, as the user's role allows (`settlement/nav.html`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Section {
    /// Sets thresholds and the rule, imports demand, keeps charters: the EPCI.
    pub epci: bool,
    /// Imports leases and occupancy: the EPCI and landlords' editors.
    pub imports: bool,
}

impl Section {
    pub(crate) fn of(a: &Authed) -> Section {
        let epci = a.principal.may(Permission::EditReference);
        Section {
            epci,
            imports: epci
                || (a.principal.role == Role::LandlordEditor
                    && a.principal.organisation_id.is_some()),
        }
    }
}

fn bad(message: String) -> PageError {
    PageError {
        status: StatusCode::BAD_REQUEST,
        message,
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct OccupancyQuery {
    #[serde(default)]
    enquete: String,
    /// `recents`: the recent movers.
    #[serde(default)]
    population: String,
    /// `miennes`: a landlord's own figures, exact.
    #[serde(default)]
    donnees: String,
    format: Option<String>,
}

#[derive(Template)]
#[template(path = "settlement/occupancy.html")]
struct OccupancyPage {
    chrome: Chrome,
    section: Section,
    occupancy: Option<logis_app::settlement::occupancy::Occupancy>,
    recent: bool,
    /// Whether the user is a landlord (reads its own figures), and has asked for them.
    landlord: bool,
    mine: bool,
    query: String,
    rule_index: String,
}

/// The occupancy indicators (`?enquete=`, `?population=recents`, `?donnees=miennes`,
/// `?format=csv|xlsx`).
pub(crate) async fn occupancy(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<OccupancyQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let survey = match q.enquete.trim() {
        "" => None,
        t => Some(
            t.parse::<i32>()
                .map_err(|_| bad(format!("enquête « {t} » : une année attendue")))?,
        ),
    };
    let recent = match q.population.as_str() {
        "" | "ensemble" => false,
        "recents" => true,
        other => {
            return Err(bad(format!(
                "population « {other} » : ensemble ou recents attendu"
            )));
        }
    };
    let own = logis_app::settlement::occupancy::own_landlord(&a.principal);
    let mine = match q.donnees.as_str() {
        "" | "toutes" => false,
        "miennes" if own.is_some() => true,
        "miennes" => {
            return Err(PageError {
                status: StatusCode::FORBIDDEN,
                message: "Seul un bailleur lit ses propres données d'occupation.".into(),
            });
        }
        other => {
            return Err(bad(format!(
                "données « {other} » : miennes ou toutes attendu"
            )));
        }
    };
    let download = q.format.is_some();
    let xlsx =
        crate::land::pages::xlsx_asked(&crate::land::pages::ExportQuery::of(q.format.clone()))?;
    let state = s.clone();
    let o = blocking(move || {
        logis_app::settlement::occupancy::occupancy(
            state.store.as_ref(),
            survey,
            if mine { own } else { None },
            recent,
            download,
        )
        .map_err(crate::app_to_store)
    })
    .await?;
    if download {
        let Some(o) = o else {
            return Err(PageError {
                status: StatusCode::NOT_FOUND,
                message: "Aucune enquête d'occupation n'est importée.".into(),
            });
        };
        return crate::land::pages::download(&o.report, xlsx, "logis-occupation");
    }
    let mut query = Vec::new();
    if let Some(o) = &o {
        query.push(format!("enquete={}", o.survey));
    }
    if recent {
        query.push("population=recents".into());
    }
    if mine {
        query.push("donnees=miennes".into());
    }
    Ok(render(&OccupancyPage {
        chrome: a.chrome("peuplement"),
        section: Section::of(&a),
        rule_index: o
            .as_ref()
            .map(|o| logis_domain::numbers::decimal_fr(o.rule.index, 2))
            .unwrap_or_default(),
        occupancy: o,
        recent,
        landlord: own.is_some(),
        mine,
        query: query.join("&"),
    }))
}

#[derive(Template)]
#[template(path = "settlement/targets.html")]
struct TargetsPage {
    chrome: Chrome,
    section: Section,
    report: Report,
}

/// A report built on a blocking thread, or its download when `?format=csv|xlsx` asks for it
/// (file `name`).
async fn report_or_download(
    s: &AppState,
    a: &Authed,
    q: &crate::land::pages::ExportQuery,
    name: &'static str,
    build: fn(&dyn logis_store::Store) -> logis_app::Result<Report>,
) -> Result<Result<Report, Response>, PageError> {
    a.require(Permission::ReadReports)?;
    let xlsx = crate::land::pages::xlsx_asked(q)?;
    let state = s.clone();
    let report = blocking(move || build(state.store.as_ref()).map_err(crate::app_to_store)).await?;
    if q.asked() {
        return crate::land::pages::download(&report, xlsx, name).map(Err);
    }
    Ok(Ok(report))
}

/// The attribution targets (`?format=csv|xlsx`: the download).
pub(crate) async fn targets(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<crate::land::pages::ExportQuery>,
) -> Result<Response, PageError> {
    let report = match report_or_download(
        &s,
        &a,
        &q,
        "logis-attributions",
        logis_app::settlement::attributions_report,
    )
    .await?
    {
        Ok(r) => r,
        Err(download) => return Ok(download),
    };
    Ok(render(&TargetsPage {
        chrome: a.chrome("peuplement"),
        section: Section::of(&a),
        report,
    }))
}

#[derive(Template)]
#[template(path = "settlement/demand.html")]
struct DemandPage {
    chrome: Chrome,
    section: Section,
    report: Report,
}

/// The SNE demand per commune and year (`?format=csv|xlsx`: the download).
pub(crate) async fn demand(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<crate::land::pages::ExportQuery>,
) -> Result<Response, PageError> {
    let report = match report_or_download(
        &s,
        &a,
        &q,
        "logis-demande",
        logis_app::settlement::occupancy::demand_report,
    )
    .await?
    {
        Ok(r) => r,
        Err(download) => return Ok(download),
    };
    Ok(render(&DemandPage {
        chrome: a.chrome("peuplement"),
        section: Section::of(&a),
        report,
    }))
}

#[derive(Template)]
#[template(path = "settlement/import.html")]
struct ImportPage {
    chrome: Chrome,
    section: Section,
    up: crate::proximity::pages::Uploaded,
    what: &'static str,
    lease_columns: &'static [&'static str],
    occupancy_columns: &'static [&'static str],
    demand_columns: &'static [&'static str],
    /// The survey's year the occupancy form imports, and the years offered.
    survey: i32,
    years: Vec<i32>,
}

fn import_page(a: &Authed, survey: Option<i32>) -> ImportPage {
    let this = chrono::Datelike::year(&chrono::Local::now().date_naive());
    ImportPage {
        chrome: a.chrome("peuplement"),
        section: Section::of(a),
        up: Default::default(),
        what: "",
        lease_columns: LEASE_COLUMNS,
        occupancy_columns: OCCUPANCY_COLUMNS,
        demand_columns: DEMAND_COLUMNS,
        survey: survey.unwrap_or(this),
        years: (this - 8..=this).rev().collect(),
    }
}

fn require_imports(a: &Authed) -> Result<(), PageError> {
    if Section::of(a).imports {
        Ok(())
    } else {
        Err(crate::accounts::auth::forbidden())
    }
}

fn survey_of(q: &ImportQuery) -> Result<Option<i32>, PageError> {
    match q.enquete.trim() {
        "" => Ok(None),
        t => t
            .parse::<i32>()
            .map(Some)
            .map_err(|_| bad(format!("enquête « {t} » : une année attendue"))),
    }
}

pub(crate) async fn import_form(
    Extension(a): Extension<Authed>,
    Query(q): Query<ImportQuery>,
) -> Result<Response, PageError> {
    require_imports(&a)?;
    Ok(render(&import_page(&a, survey_of(&q)?)))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ImportQuery {
    #[serde(default)]
    fichier: String,
    #[serde(default)]
    enquete: String,
}

/// An upload of leases (`?fichier=attributions`), an occupancy survey (`?fichier=occupation`
/// with `&enquete=AAAA`) or SNE demand (`?fichier=demande`, the EPCI).
pub(crate) async fn import_upload(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ImportQuery>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    require_imports(&a)?;
    let (what, survey) = match q.fichier.as_str() {
        "attributions" => ("attributions", None),
        "occupation" => match survey_of(&q)? {
            Some(year) => ("occupation", Some(year)),
            None => return Err(bad("enquête : l'année de l'enquête est attendue".into())),
        },
        "demande" if Section::of(&a).epci => ("demande", None),
        "demande" => return Err(crate::accounts::auth::forbidden()),
        _ => {
            return Err(bad(
                "fichier inconnu (attributions, occupation ou demande)".into()
            ));
        }
    };
    let mut p = import_page(&a, survey_of(&q)?);
    p.what = what;
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    crate::proximity::pages::upload(p, multipart, move |src, commit| {
        let store = state.store.as_ref();
        type Outcome = logis_store::proximity::ProximityImportOutcome;
        Ok(match (what, survey) {
            ("occupation", Some(year)) => {
                let o = logis_app::settlement::occupancy::import_occupancy(
                    store, &principal, &actor, src, year, commit,
                )?;
                Outcome {
                    problems: o.problems,
                    created: if o.committed { o.households } else { 0 },
                    ..Default::default()
                }
            }
            ("demande", _) => {
                match logis_app::settlement::occupancy::import_demand(
                    store, &principal, &actor, src, commit,
                )? {
                    Ok(n) => Outcome {
                        created: if commit { n } else { 0 },
                        ..Default::default()
                    },
                    Err(problems) => Outcome {
                        problems,
                        ..Default::default()
                    },
                }
            }
            _ => {
                let o = logis_app::settlement::import_attributions(
                    store, &principal, &actor, src, commit,
                )?;
                Outcome {
                    problems: o.problems,
                    created: o.created,
                    updated: o.updated,
                    unchanged: o.unchanged,
                    ..Default::default()
                }
            }
        })
    })
    .await
}

impl crate::proximity::pages::UploadPage for ImportPage {
    fn uploaded(&mut self) -> &mut crate::proximity::pages::Uploaded {
        &mut self.up
    }
}

#[derive(Template)]
#[template(path = "settlement/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    section: Section,
    /// (year, EPCI's name or « tous les EPCI », amount)
    thresholds: Vec<(i32, String, String)>,
    rule_index: String,
    rule_indicators: usize,
    error: String,
    saved: bool,
    /// The form's values sent back after an error.
    form: SettingsForm,
    indicators: usize,
}

#[derive(Debug, Default, Deserialize, Clone)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    annee: String,
    #[serde(default)]
    montant: String,
    #[serde(default)]
    epci: String,
    #[serde(default)]
    indice: String,
    #[serde(default)]
    indicateurs: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    enregistre: String,
}

async fn settings_page(
    s: &AppState,
    a: &Authed,
    error: String,
    saved: bool,
    form: SettingsForm,
) -> Result<Response, PageError> {
    a.require(Permission::EditReference)?;
    let state = s.clone();
    let (thresholds, rule) = blocking(move || {
        let store = state.store.as_ref();
        let geo = store.geography()?;
        let t = store
            .thresholds()?
            .into_iter()
            .rev()
            .map(|(y, e, c)| {
                (
                    y,
                    if e.is_empty() {
                        "tous les EPCI".to_string()
                    } else {
                        geo.epci(&e).map(|x| x.name.clone()).unwrap_or(e)
                    },
                    logis_domain::numbers::format_euros_cents(c),
                )
            })
            .collect::<Vec<_>>();
        Ok((t, store.sensitivity_rule()?))
    })
    .await?;
    let refused = !error.is_empty();
    Ok(render_refused(
        &SettingsPage {
            chrome: a.chrome("peuplement"),
            section: Section::of(a),
            thresholds,
            rule_index: logis_domain::numbers::decimal_fr(rule.index, 2),
            rule_indicators: rule.indicators,
            error,
            saved,
            form,
            indicators: logis_domain::settlement::occupancy::INDICATORS,
        },
        refused,
    ))
}

pub(crate) async fn settings(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    settings_page(
        &s,
        &a,
        String::new(),
        !q.enregistre.is_empty(),
        SettingsForm::default(),
    )
    .await
}

pub(crate) async fn set_threshold(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(f): axum::Form<SettingsForm>,
) -> Result<Response, PageError> {
    a.require(Permission::EditReference)?;
    let year = f.annee.trim().parse::<i32>();
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let form = f.clone();
    let done = blocking(move || {
        let Ok(year) = year else {
            return Ok(Err(format!(
                "année « {} » : une année attendue",
                form.annee.trim()
            )));
        };
        Ok(
            match logis_app::settlement::set_threshold(
                state.store.as_ref(),
                &principal,
                &actor,
                year,
                &form.montant,
                Some(form.epci.as_str()),
            ) {
                Ok(()) => Ok(()),
                Err(logis_app::AppError::Invalid(m)) => Err(m),
                Err(e) => return Err(crate::app_to_store(e)),
            },
        )
    })
    .await?;
    match done {
        Ok(()) => Ok(Redirect::to("/peuplement/parametres?enregistre=1").into_response()),
        Err(m) => settings_page(&s, &a, m, false, f).await,
    }
}

pub(crate) async fn set_rule(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(f): axum::Form<SettingsForm>,
) -> Result<Response, PageError> {
    a.require(Permission::EditReference)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let form = f.clone();
    let done = blocking(move || {
        Ok(
            match logis_app::settlement::occupancy::set_rule(
                state.store.as_ref(),
                &principal,
                &actor,
                &form.indice,
                &form.indicateurs,
            ) {
                Ok(_) => Ok(()),
                Err(logis_app::AppError::Invalid(m)) => Err(m),
                Err(e) => return Err(crate::app_to_store(e)),
            },
        )
    })
    .await?;
    match done {
        Ok(()) => Ok(Redirect::to("/peuplement/parametres?enregistre=1").into_response()),
        Err(m) => settings_page(&s, &a, m, false, f).await,
    }
}

/// The indicators' (code, label) for forms.
pub(crate) fn indicator_choices() -> Vec<(&'static str, &'static str)> {
    Indicator::ALL
        .iter()
        .map(|i| (i.code(), i.label()))
        .collect()
}
