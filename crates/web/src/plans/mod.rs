//! The landlords' strategic plans' pages (« Plans de patrimoine »; issue 22): the cross-analysis
//! of the current plans and its downloads (each residence read only by those who may:
//! `app::plans::visible_landlords`), each finding turned into a proposed action in one click, the
//! plans' upload, the partnerships (created by the EPCI's administrator, shared into by each
//! landlord) and the joint action plan (`actions.rs`).

mod actions;

use crate::accounts::auth::{Authed, forbidden};
use crate::{AppState, Chrome, PageError, blocking, render, render_refused};
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use logis_domain::{Permission, Role};
use logis_io::report::Report;
use serde::Deserialize;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/psp", get(page))
        .route("/psp/import", get(import_form).post(import_upload))
        .route("/psp/versions", get(versions))
        .route(
            "/psp/partenariats",
            get(partnerships).post(create_partnership),
        )
        .route("/psp/partage", post(share))
        .route("/psp/actions", get(actions::list).post(actions::create))
        .route("/psp/actions/comite.xlsx", get(actions::committee))
        .route(
            "/psp/actions/{id}",
            get(actions::page).post(actions::update),
        )
        .route("/psp/actions/{id}/decision", post(actions::decide))
}

/// The section's links and forms, as the user's role allows (`plans/nav.html`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Section {
    /// Imports any landlord's plan, proposes actions anywhere, records decisions: the EPCI.
    pub epci: bool,
    /// Creates partnerships: the EPCI's administrator.
    pub admin: bool,
    /// Imports its own plan, shares it, proposes actions in its partnerships: a landlord's editor.
    pub landlord: bool,
}

impl Section {
    pub(crate) fn of(a: &Authed) -> Section {
        let p = &a.principal;
        Section {
            epci: matches!(p.role, Role::Admin | Role::Agent),
            admin: p.role == Role::Admin,
            landlord: p.role == Role::LandlordEditor && p.organisation_id.is_some(),
        }
    }
    /// Imports plans and proposes actions.
    pub fn writes(&self) -> bool {
        self.epci || self.landlord
    }
}

pub(crate) fn bad(message: String) -> PageError {
    PageError {
        status: StatusCode::BAD_REQUEST,
        message,
    }
}

/// A row of the cross-analysis as shown, with the link proposing an action from it.
pub(crate) struct Finding {
    pub cells: Vec<String>,
    pub propose: String,
}

#[derive(Template)]
#[template(path = "plans/cross.html")]
struct CrossPage {
    chrome: Chrome,
    section: Section,
    /// The partnership whose territory is shown (empty: all), and every partnership's name.
    partnership: String,
    partnerships: Vec<String>,
    targets: logis_app::plans::RehabTargets,
    /// Dwellings exposed to the rental ban: (landlord, ban year, residences, dwellings).
    exposure: Vec<(String, i32, u64, u64)>,
    report: Report,
    /// The strategies' rows, then the findings (by section).
    strategies: Vec<Finding>,
    findings: Vec<(&'static str, &'static str, Vec<Finding>)>,
    /// Dwellings by first year and strategy (the chart): (year, [(strategy, dwellings, width %)]).
    by_year: Vec<YearBar>,
    /// (label, colour)
    legend: Vec<(&'static str, &'static str)>,
}

fn finding(row: &[logis_io::report::Cell], propose: bool) -> Finding {
    let cells: Vec<String> = row.iter().map(|c| c.display()).collect();
    let plain = |i: usize| row.get(i).map(|c| c.plain()).unwrap_or_default();
    let propose = if propose && !plain(2).is_empty() {
        format!(
            "/psp/actions?{}#nouvelle",
            serde_urlencoded::to_string([
                ("constat", plain(0)),
                ("bailleur", plain(1)),
                ("residence", plain(2)),
                ("commune", plain(3)),
            ])
            .unwrap_or_default()
        )
    } else {
        String::new()
    };
    Finding { cells, propose }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CrossQuery {
    format: Option<String>,
    /// A partnership's name: its territory only.
    #[serde(default)]
    partenariat: String,
}

/// The cross-analysis (`?format=csv|xlsx`: the download; `?partenariat=`: on its territory).
pub(crate) async fn page(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(cq): Query<CrossQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let q = crate::land::pages::ExportQuery::of(cq.format.clone());
    let xlsx = crate::land::pages::xlsx_asked(&q)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let partnership = cq.partenariat.trim().to_string();
    let (report, targets, exposure, partnerships) = blocking(move || {
        let store = state.store.as_ref();
        let p = (!partnership.is_empty()).then_some(partnership.as_str());
        let app = crate::app_to_store;
        let within = logis_app::plans::territory_of(store, p).map_err(app)?;
        let whole =
            logis_app::plans::whole_analysis(&state.plans, store, within.as_ref()).map_err(app)?;
        let exposure = logis_app::plans::exposure(&whole);
        let report =
            logis_app::plans::restrict(store, whole.as_ref().clone(), &principal).map_err(app)?;
        let targets =
            logis_app::plans::rehab_against_targets(store, within.as_ref()).map_err(app)?;
        let names: Vec<String> = store.partnerships()?.into_iter().map(|p| p.name).collect();
        Ok((report, targets, exposure, names))
    })
    .await?;
    if q.asked() {
        return crate::land::pages::download(&report, xlsx, "logis-psp");
    }
    let section = Section::of(&a);
    let of = |name: &str| {
        report
            .long_rows
            .iter()
            .filter(|r| r.first().is_some_and(|c| c.plain() == name))
            .map(|r| finding(r, section.writes() && name != "strategie"))
            .collect::<Vec<_>>()
    };
    let strategies = of("strategie");
    let findings = vec![
        (
            "chevauchement",
            "Chevauchements : démolitions et restructurations de plusieurs bailleurs",
            of("chevauchement"),
        ),
        (
            "lacune",
            "Lacunes : résidences exposées à l'interdiction de louer",
            of("lacune"),
        ),
        (
            "coherence",
            "Cohérence avec le registre des opérations",
            of("coherence"),
        ),
    ];
    let by_year = by_year(&report);
    let legend = logis_domain::plans::Strategy::ALL
        .iter()
        .map(|s| (s.label(), colour(s.code())))
        .collect();
    Ok(render(&CrossPage {
        chrome: a.chrome("psp"),
        section,
        partnership: cq.partenariat.trim().to_string(),
        partnerships,
        targets,
        exposure,
        report,
        strategies,
        findings,
        by_year,
        legend,
    }))
}

/// A strategy's colour in the chart.
fn colour(code: &str) -> &'static str {
    match code {
        "maintenir" => "#c9d3dd",
        "rehabiliter" => "#1f7a8f",
        "restructurer" => "#8fcad6",
        "demolir" => "#b3412c",
        "vendre" => "#d9a441",
        _ => "#3d7a3a",
    }
}

/// One year's bar: its segments (strategy's label, dwellings, colour, x, width).
pub(crate) struct YearBar {
    pub year: i32,
    pub y: u64,
    pub total: u64,
    pub segments: Vec<(&'static str, u64, &'static str, u64, u64)>,
}

/// Dwellings by first year and strategy, from the `strategie` rows (years without one left out),
/// each bar's length a share of the busiest year's (600 units).
fn by_year(report: &Report) -> Vec<YearBar> {
    use logis_domain::plans::Strategy;
    let mut years: std::collections::BTreeMap<i32, Vec<u64>> = std::collections::BTreeMap::new();
    for r in report
        .long_rows
        .iter()
        .filter(|r| r.first().is_some_and(|c| c.plain() == "strategie"))
    {
        let (Some(year), Some(n), Some(label)) = (
            r.get(6).and_then(|c| c.plain().parse::<i32>().ok()),
            r.get(5).and_then(|c| c.plain().parse::<u64>().ok()),
            r.get(7).map(|c| c.plain()),
        ) else {
            continue;
        };
        let Some(i) = Strategy::ALL.iter().position(|s| s.label() == label) else {
            continue;
        };
        let e = years
            .entry(year)
            .or_insert_with(|| vec![0; Strategy::ALL.len()]);
        if let Some(x) = e.get_mut(i) {
            *x += n;
        }
    }
    let most = years
        .values()
        .map(|v| v.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    years
        .into_iter()
        .enumerate()
        .map(|(row, (year, v))| {
            let mut x = 60;
            let segments = Strategy::ALL
                .iter()
                .zip(v.iter().copied())
                .filter(|(_, n)| *n > 0)
                .map(|(s, n)| {
                    let w = (n * 600 / most).max(1);
                    let seg = (s.label(), n, colour(s.code()), x, w);
                    x += w;
                    seg
                })
                .collect();
            YearBar {
                year,
                y: row as u64 * 24 + 4,
                total: v.iter().sum(),
                segments,
            }
        })
        .collect()
}

// ---- Upload ----

#[derive(Template)]
#[template(path = "plans/import.html")]
pub(crate) struct ImportPage {
    chrome: Chrome,
    section: Section,
    up: crate::proximity::pages::Uploaded,
    what: &'static str,
    columns: &'static [&'static str],
    /// The landlords the user may import for (name).
    landlords: Vec<String>,
    landlord: String,
    version: String,
}

impl crate::proximity::pages::UploadPage for ImportPage {
    fn uploaded(&mut self) -> &mut crate::proximity::pages::Uploaded {
        &mut self.up
    }
}

async fn import_page(s: &AppState, a: &Authed, q: &ImportQuery) -> Result<ImportPage, PageError> {
    let section = Section::of(a);
    if !section.writes() {
        return Err(forbidden());
    }
    let state = s.clone();
    let org = a.principal.organisation_id;
    let epci = section.epci;
    let landlords = blocking(move || {
        Ok(state
            .store
            .organisations()?
            .into_iter()
            .filter(|o| o.kind == logis_domain::register::vocab::OrgKind::Landlord)
            .filter(|o| epci || Some(o.id) == org)
            .map(|o| o.name)
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(ImportPage {
        chrome: a.chrome("psp"),
        section,
        up: Default::default(),
        what: "PSP",
        columns: logis_domain::plans::PSP_COLUMNS,
        landlord: if q.bailleur.is_empty() {
            landlords.first().cloned().unwrap_or_default()
        } else {
            q.bailleur.clone()
        },
        landlords,
        version: q.version.clone(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ImportQuery {
    #[serde(default)]
    bailleur: String,
    #[serde(default)]
    version: String,
}

pub(crate) async fn import_form(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ImportQuery>,
) -> Result<Response, PageError> {
    Ok(render(&import_page(&s, &a, &q).await?))
}

/// A plan's upload: `?bailleur=B&version=AAAA` (the form writes them in its action).
pub(crate) async fn import_upload(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ImportQuery>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let page = import_page(&s, &a, &q).await?;
    let version: i32 = q
        .version
        .trim()
        .parse()
        .map_err(|_| bad(format!("version « {} » : une année attendue", q.version)))?;
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let landlord = q.bailleur.clone();
    crate::proximity::pages::upload(page, multipart, move |src, commit| {
        let o = logis_app::plans::import_psp(
            state.store.as_ref(),
            &principal,
            &actor,
            src,
            &logis_app::plans::PspOptions {
                landlord,
                version,
                commit,
                source: "envoi".into(),
            },
        )?;
        Ok(logis_store::proximity::ProximityImportOutcome {
            problems: o.problems,
            created: if o.committed && !o.replaced {
                o.residences
            } else {
                0
            },
            updated: if o.replaced { o.residences } else { 0 },
            ..Default::default()
        })
    })
    .await
}

// ---- Versions ----

#[derive(Template)]
#[template(path = "plans/versions.html")]
struct VersionsPage {
    chrome: Chrome,
    section: Section,
    comparison: logis_app::plans::Comparison,
}

/// Each landlord's versions and what changed between its last two (residences the principal
/// reads one by one only).
pub(crate) async fn versions(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let comparison = blocking(move || {
        logis_app::plans::compare_versions(state.store.as_ref(), &principal)
            .map_err(crate::app_to_store)
    })
    .await?;
    Ok(render(&VersionsPage {
        chrome: a.chrome("psp"),
        section: Section::of(&a),
        comparison,
    }))
}

// ---- Partnerships ----

/// A partnership as listed.
pub(crate) struct PartnershipRow {
    pub name: String,
    pub territory: String,
    /// (member's name, shares its plan)
    pub members: Vec<(String, bool)>,
    /// The user's landlord is a member: (shares now).
    pub mine: Option<bool>,
}

#[derive(Template)]
#[template(path = "plans/partnerships.html")]
struct PartnershipsPage {
    chrome: Chrome,
    section: Section,
    rows: Vec<PartnershipRow>,
    organisations: Vec<String>,
    form: PartnershipForm,
    error: String,
    saved: bool,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct PartnershipForm {
    pub name: String,
    pub territory: String,
    pub members: Vec<String>,
}

impl PartnershipForm {
    pub fn has(&self, name: &&String) -> bool {
        self.members.iter().any(|m| m == *name)
    }
}

async fn partnerships_page(
    s: &AppState,
    a: &Authed,
    form: PartnershipForm,
    error: String,
    saved: bool,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let org = a.principal.organisation_id;
    let (rows, organisations) = blocking(move || {
        let store = state.store.as_ref();
        let orgs = store.organisations()?;
        let shares = store.shares()?;
        let name = |id: i64| {
            orgs.iter()
                .find(|o| o.id == id)
                .map(|o| o.name.clone())
                .unwrap_or_default()
        };
        let rows = store
            .partnerships()?
            .into_iter()
            .map(|p| PartnershipRow {
                mine: org
                    .filter(|o| p.members.contains(o))
                    .map(|o| shares.contains(&(o, p.id))),
                members: p
                    .members
                    .iter()
                    .map(|m| (name(*m), shares.contains(&(*m, p.id))))
                    .collect(),
                territory: p.territory,
                name: p.name,
            })
            .collect();
        Ok((rows, orgs.into_iter().map(|o| o.name).collect()))
    })
    .await?;
    let refused = !error.is_empty();
    Ok(render_refused(
        &PartnershipsPage {
            chrome: a.chrome("psp"),
            section: Section::of(a),
            rows,
            organisations,
            form,
            error,
            saved,
        },
        refused,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    pub enregistre: String,
}

pub(crate) async fn partnerships(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    partnerships_page(
        &s,
        &a,
        PartnershipForm::default(),
        String::new(),
        !q.enregistre.is_empty(),
    )
    .await
}

fn field(fields: &[(String, String)], k: &str) -> String {
    fields
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Create a partnership (the EPCI's administrator): `nom`, `territoire`, `membres` (repeated).
pub(crate) async fn create_partnership(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if a.principal.role != Role::Admin {
        return Err(forbidden());
    }
    let form = PartnershipForm {
        name: field(&fields, "nom"),
        territory: field(&fields, "territoire"),
        members: fields
            .iter()
            .filter(|(k, _)| k == "membres")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let f = form.clone();
    let result = blocking(move || {
        Ok(logis_app::plans::create_partnership(
            state.store.as_ref(),
            &principal,
            &actor,
            &f.name,
            &f.territory,
            &f.members,
        ))
    })
    .await?;
    match result {
        Ok(_) => Ok(Redirect::to("/psp/partenariats?enregistre=1").into_response()),
        Err(logis_app::AppError::Invalid(m)) => partnerships_page(&s, &a, form, m, false).await,
        Err(e) => Err(crate::app_to_store(e).into()),
    }
}

/// Share (`partage=1`) or stop sharing the user's landlord's plan with `partenariat`.
pub(crate) async fn share(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if a.principal.role != Role::LandlordEditor {
        return Err(forbidden());
    }
    let Some(org) = a.principal.organisation_id else {
        return Err(forbidden());
    };
    let partnership = field(&fields, "partenariat");
    let shared = field(&fields, "partage") == "1";
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let p = partnership.clone();
    let result = blocking(move || {
        let store = state.store.as_ref();
        let landlord = store
            .organisations()?
            .into_iter()
            .find(|o| o.id == org)
            .map(|o| o.name)
            .unwrap_or_default();
        Ok(logis_app::plans::share_plan(
            store, &principal, &actor, &landlord, &p, shared,
        ))
    })
    .await?;
    match result {
        Ok(()) => Ok(Redirect::to("/psp/partenariats?enregistre=1").into_response()),
        Err(logis_app::AppError::Invalid(m)) => {
            partnerships_page(&s, &a, PartnershipForm::default(), m, false).await
        }
        Err(e) => Err(crate::app_to_store(e).into()),
    }
}
