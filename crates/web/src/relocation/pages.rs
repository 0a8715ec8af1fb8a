//! The indicators, the households and each one's page, the pool of vacancies, the imports and the
//! journal of reads.

use crate::accounts::auth::Authed;
use crate::register::chart::{Bar, Tick, year_chart};
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use logis_app::relocation::HouseholdFilter;
use logis_domain::numbers::{format_date_fr, format_euros_cents};
use logis_domain::relocation::{HouseholdDraft, HouseholdStatus, RefusalReason, VacancyDraft};
use logis_domain::{OrgKind, Permission};
use logis_io::report::Report;
use logis_store::StoreError;
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) fn unknown_household() -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: "Ce ménage n'existe pas, ou votre compte ne permet pas de lire son dossier."
            .into(),
    }
}

/// The organisations' names by id, and the communes' names by code.
pub(crate) struct Names {
    orgs: HashMap<i64, String>,
    geo: std::sync::Arc<logis_domain::reference::Geography>,
}

impl Names {
    pub(crate) fn read(st: &dyn logis_store::Store) -> Result<Names, StoreError> {
        Ok(Names {
            orgs: st
                .organisations()?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect(),
            geo: st.geography()?,
        })
    }

    pub(crate) fn org(&self, id: i64) -> String {
        self.orgs
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("n° {id}"))
    }

    pub(crate) fn commune(&self, code: &logis_domain::CommuneCode) -> String {
        self.geo
            .commune(code.as_str())
            .map(|c| c.name.clone())
            .unwrap_or_else(|| code.as_str().to_string())
    }
}

fn euros(cents: i64) -> String {
    format_euros_cents(cents)
}

// ---------------------------------------------------------------------------------------------
// Indicators

/// The chart: per project, the median out-of-pocket cost before and after (euros a month).
struct CostChart {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    baseline: f64,
    ticks: Vec<Tick>,
    /// (project, slot's middle, before, after)
    projects: Vec<(String, f64, Bar, Bar)>,
}

/// The chart of the medians as this reader is shown them (a hidden or empty median draws no
/// bar), in euros: (project, before, after) in cents.
fn cost_chart(medians: &[(String, Option<u64>, Option<u64>)]) -> CostChart {
    let euros = |c: Option<u64>| c.map_or(0, |c| c / 100);
    let slots: Vec<(i32, u64, u64)> = medians
        .iter()
        .enumerate()
        .map(|(i, (_, b, a))| (i32::try_from(i).unwrap_or(0), euros(*b), euros(*a)))
        .collect();
    let c = year_chart(&slots, None);
    CostChart {
        width: c.width,
        height: c.height,
        left: c.left,
        right: c.right,
        baseline: c.baseline,
        ticks: c.ticks,
        projects: medians
            .iter()
            .zip(c.years)
            .map(|((p, _, _), (_, x, b, a))| (p.clone(), x, b, a))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "relocation/indicators.html")]
struct IndicatorsPage {
    chrome: Chrome,
    report: Report,
    chart: CostChart,
    detail: bool,
}

pub(crate) async fn indicators(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let detail = a.principal.sees_every_household();
    let state = s.clone();
    let shown = blocking(move || {
        logis_app::relocation::indicators(state.store.as_ref(), detail).map_err(crate::app_to_store)
    })
    .await?;
    Ok(render(&IndicatorsPage {
        chrome: a.chrome("relogement"),
        chart: cost_chart(&shown.medians()),
        report: shown.report(),
        detail,
    }))
}

pub(crate) async fn export(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<crate::land::pages::ExportQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    let xlsx = crate::land::pages::xlsx_asked(&q)?;
    let detail = a.principal.sees_every_household();
    let state = s.clone();
    let report = blocking(move || {
        logis_app::relocation::indicators_report(state.store.as_ref(), detail)
            .map_err(crate::app_to_store)
    })
    .await?;
    crate::land::pages::download(&report, xlsx, "logis-relogement")
}

// ---------------------------------------------------------------------------------------------
// Households

/// The filters of the households' list, as the address gives them.
#[derive(Debug, Default, Deserialize, Clone)]
pub(crate) struct HouseholdsQuery {
    #[serde(default)]
    projet: String,
    #[serde(default)]
    bailleur: String,
    #[serde(default)]
    statut: String,
    #[serde(default)]
    commune: String,
}

impl HouseholdsQuery {
    /// The filter, or the French refusal of a value that is none of the choices.
    fn filter(&self, names: &Names) -> Result<HouseholdFilter, PageError> {
        let bad = |m: String| PageError {
            status: StatusCode::BAD_REQUEST,
            message: m,
        };
        let landlord = match self.bailleur.trim() {
            "" => None,
            b => Some(
                b.parse::<i64>()
                    .map_err(|_| bad(format!("bailleur inconnu « {b} »")))?,
            ),
        };
        let status = match self.statut.trim() {
            "" => None,
            t => Some(
                HouseholdStatus::from_code(t)
                    .ok_or_else(|| bad(format!("statut inconnu « {t} »")))?,
            ),
        };
        let commune = match self.commune.trim() {
            "" => None,
            c => Some(
                names
                    .geo
                    .resolve(c, None)
                    .map(|x| x.code.clone())
                    .map_err(|_| bad(format!("commune inconnue « {c} »")))?,
            ),
        };
        Ok(HouseholdFilter {
            project: Some(self.projet.trim().to_string()).filter(|p| !p.is_empty()),
            landlord,
            status,
            commune,
        })
    }
}

/// A household as a line of the list.
struct HouseholdLine {
    id: i64,
    reference: String,
    landlord: String,
    project: String,
    commune: String,
    persons: u32,
    status: &'static str,
    out_of_pocket: String,
}

#[derive(Template)]
#[template(path = "relocation/households.html")]
struct HouseholdsPage {
    chrome: Chrome,
    q: HouseholdsQuery,
    lines: Vec<HouseholdLine>,
    projects: Vec<String>,
    landlords: Vec<(i64, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    export_query: String,
}

fn statuses() -> Vec<(&'static str, &'static str)> {
    logis_domain::relocation::indicators::STATUSES
        .iter()
        .map(|s| (s.code(), s.label()))
        .collect()
}

/// The households `principal` reads that pass the list's filters (or the French refusal of a
/// filter), each journaled as read `via` (liste, export), with the names to show them.
type Found = Result<(Names, Vec<(i64, HouseholdDraft)>), PageError>;

fn read_households(
    st: &dyn logis_store::Store,
    principal: &logis_domain::Principal,
    actor: &logis_store::Actor,
    q: &HouseholdsQuery,
    via: &str,
) -> Result<Found, StoreError> {
    let names = Names::read(st)?;
    let filter = match q.filter(&names) {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    let found = logis_app::relocation::visible_households(st, principal, &filter)
        .map_err(crate::app_to_store)?;
    let ids: Vec<i64> = found.iter().map(|(id, _)| *id).collect();
    st.record_reads(actor, &ids, via)?;
    Ok(Ok((names, found)))
}

pub(crate) async fn households(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<HouseholdsQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadHouseholds)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let q2 = q.clone();
    let (lines, projects, landlords) = blocking(move || {
        let st = state.store.as_ref();
        // (Each household listed is a read of its record.)
        let (names, found) = match read_households(st, &principal, &actor, &q2, "liste")? {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
        let landlords = st
            .organisations()?
            .into_iter()
            .filter(|o| o.kind == OrgKind::Landlord)
            .map(|o| (o.id, o.name))
            .collect::<Vec<_>>();
        let lines = found
            .into_iter()
            .map(|(id, h)| HouseholdLine {
                id,
                landlord: names.org(h.landlord),
                commune: names.commune(&h.commune),
                persons: h.persons,
                status: h.status.label(),
                out_of_pocket: euros(h.out_of_pocket()),
                project: h.project,
                reference: h.reference,
            })
            .collect::<Vec<_>>();
        Ok(Ok((
            lines,
            logis_app::relocation::projects(st).map_err(crate::app_to_store)?,
            landlords,
        )))
    })
    .await??;
    let export_query = serde_urlencoded::to_string([
        ("projet", q.projet.as_str()),
        ("bailleur", q.bailleur.as_str()),
        ("statut", q.statut.as_str()),
        ("commune", q.commune.as_str()),
    ])
    .unwrap_or_default();
    Ok(render(&HouseholdsPage {
        chrome: a.chrome("relogement"),
        q,
        lines,
        projects,
        landlords,
        statuses: statuses(),
        export_query,
    }))
}

/// The households of the list (same filters) as the households' file: what `import menages`
/// reads back. Each household exported is a read of its record.
pub(crate) async fn households_export(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<HouseholdsQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadHouseholds)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let bytes = blocking(move || {
        let st = state.store.as_ref();
        let (names, found) = match read_households(st, &principal, &actor, &q, "export")? {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
        let money = |c: i64| format!("{},{:02}", c / 100, c % 100);
        let yes = |b: bool| if b { "oui" } else { "non" }.to_string();
        let ccas = |c: Option<i64>| c.map(|c| names.org(c)).unwrap_or_default();
        let rows = found.iter().map(|(_, h)| {
            vec![
                h.reference.clone(),
                names.org(h.landlord),
                h.project.clone(),
                h.operation.clone().unwrap_or_default(),
                h.commune.as_str().to_string(),
                h.persons.to_string(),
                money(h.resources),
                money(h.rent),
                money(h.charges),
                money(h.benefit),
                yes(h.reduced_mobility),
                h.wished
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join("|"),
                yes(h.other_commune),
                h.status.code().to_string(),
                ccas(h.ccas_origin),
                ccas(h.ccas_destination),
            ]
        });
        Ok(Ok(logis_io::write::csv_table(
            logis_domain::relocation::HOUSEHOLD_COLUMNS,
            rows,
        )
        .map_err(|e| StoreError::Backend(e.to_string()))?))
    })
    .await??;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"logis-menages.csv\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// One step of a household's timeline.
struct Step {
    date: String,
    what: String,
    detail: String,
}

/// A proposal as the household's page shows it.
struct ProposalView {
    id: i64,
    rank: u32,
    vacancy: String,
    date: String,
    open: bool,
}

/// A free vacancy the officer may propose: (id, label with its reasons).
type Choice = (i64, String);

#[derive(Template)]
#[template(path = "relocation/household.html")]
struct HouseholdPage {
    chrome: Chrome,
    id: i64,
    h: HouseholdDraft,
    landlord: String,
    commune: String,
    wished: Vec<String>,
    ccas: (String, String),
    out_of_pocket: String,
    resources: String,
    rent: String,
    charges: String,
    benefit: String,
    steps: Vec<Step>,
    proposals: Vec<ProposalView>,
    /// Feasible free vacancies, cheapest first (with their reasons), then the proposed ones
    /// of this household (for recording the relocation).
    choices: Vec<Choice>,
    relocate_choices: Vec<Choice>,
    manage: bool,
    to_relocate: bool,
    /// Relocated temporarily: the definitive relocation is still to record.
    temporary: bool,
    reasons: Vec<(&'static str, &'static str)>,
    error: String,
    saved: bool,
    today: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct HouseholdQuery {
    #[serde(default)]
    enregistre: String,
}

pub(crate) async fn household(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    Query(q): Query<HouseholdQuery>,
) -> Result<Response, PageError> {
    household_page(&s, &a, id, String::new(), q.enregistre == "1").await
}

async fn household_page(
    s: &AppState,
    a: &Authed,
    id: i64,
    error: String,
    saved: bool,
) -> Result<Response, PageError> {
    a.require(Permission::ReadHouseholds)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let actor = a.actor();
    let manage = principal.may(Permission::ManageRelocation);
    let page = blocking(move || {
        let st = state.store.as_ref();
        let Some(h) = logis_app::relocation::visible_household(st, &principal, id)
            .map_err(crate::app_to_store)?
        else {
            return Ok(None);
        };
        st.record_reads(&actor, &[id], "page")?;
        let names = Names::read(st)?;
        let proposals = st.proposals(id)?;
        let relocations = st.relocations(id)?;
        let mut steps = Vec::new();
        for p in &proposals {
            steps.push(Step {
                date: format_date_fr(p.proposed_on),
                what: format!("Proposition n° {}", p.rank),
                detail: format!("logement {}", p.vacancy),
            });
            if p.answer != "sans_reponse" {
                steps.push(Step {
                    date: String::new(),
                    what: format!("Réponse à la proposition n° {}", p.rank),
                    detail: answer_text(&p.answer, &p.refusal_reason),
                });
            }
        }
        for r in &relocations {
            let after = r.after[0] + r.after[1] - r.after[2];
            steps.push(Step {
                date: format_date_fr(r.on),
                what: if r.definitive {
                    "Relogement définitif".into()
                } else {
                    "Relogement temporaire".into()
                },
                detail: format!(
                    "{} ; reste à charge après {} ({} par rapport à avant)",
                    r.vacancy
                        .as_deref()
                        .map(|v| format!("logement {v}"))
                        .unwrap_or_else(|| "logement hors de la réserve".into()),
                    euros(after),
                    signed_euros(after - h.out_of_pocket())
                ),
            });
        }
        let temporary = h.status == HouseholdStatus::Temporary;
        let (choices, relocate_choices) = if manage && (h.status.to_relocate() || temporary) {
            let rules = logis_domain::relocation::CostRules::default();
            let mut free: Vec<(i64, i64, String)> = Vec::new();
            let mut proposed: Vec<Choice> = Vec::new();
            let open: Vec<&str> = proposals
                .iter()
                .filter(|p| p.answer == "sans_reponse")
                .map(|p| p.vacancy.as_str())
                .collect();
            for (vid, v, status) in st.vacancies()? {
                if status == "libre"
                    && let Some(f) = logis_domain::relocation::fit(&h, &v, &rules)
                {
                    free.push((
                        f.cost,
                        vid,
                        vacancy_label(&names, &v, &logis_domain::relocation::reasons(&h, &v, &f)),
                    ));
                } else if status == "propose" && open.contains(&v.reference.as_str()) {
                    proposed.push((vid, vacancy_label(&names, &v, "proposé à ce ménage")));
                }
            }
            free.sort();
            let choices: Vec<Choice> = free.into_iter().map(|(_, id, l)| (id, l)).collect();
            let mut relocate = proposed;
            relocate.extend(choices.iter().cloned());
            (choices, relocate)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(Some(HouseholdPage {
            chrome: Chrome::default(),
            id,
            landlord: names.org(h.landlord),
            commune: names.commune(&h.commune),
            wished: h.wished.iter().map(|c| names.commune(c)).collect(),
            ccas: (
                h.ccas_origin.map(|c| names.org(c)).unwrap_or_default(),
                h.ccas_destination.map(|c| names.org(c)).unwrap_or_default(),
            ),
            out_of_pocket: euros(h.out_of_pocket()),
            resources: euros(h.resources),
            rent: euros(h.rent),
            charges: euros(h.charges),
            benefit: euros(h.benefit),
            steps,
            proposals: proposals
                .iter()
                .map(|p| ProposalView {
                    id: p.id,
                    rank: p.rank,
                    vacancy: p.vacancy.clone(),
                    date: format_date_fr(p.proposed_on),
                    open: p.answer == "sans_reponse",
                })
                .collect(),
            choices,
            relocate_choices,
            manage,
            to_relocate: h.status.to_relocate(),
            temporary,
            reasons: logis_domain::relocation::indicators::REASONS
                .iter()
                .map(|r| (r.code(), r.label()))
                .collect(),
            error: String::new(),
            saved: false,
            today: crate::proximity::pages::today()
                .format("%Y-%m-%d")
                .to_string(),
            h,
        }))
    })
    .await?;
    let Some(mut page) = page else {
        return Err(unknown_household());
    };
    page.chrome = a.chrome("relogement");
    page.saved = saved;
    let failed = !error.is_empty();
    page.error = error;
    Ok(crate::render_refused(&page, failed))
}

fn signed_euros(cents: i64) -> String {
    if cents >= 0 {
        format!("+{}", euros(cents))
    } else {
        euros(cents)
    }
}

fn answer_text(answer: &str, reason: &str) -> String {
    match answer {
        "acceptee" => "acceptée".into(),
        "refusee" => format!(
            "refusée ({})",
            RefusalReason::from_code(reason).map_or("motif non précisé", |r| r.label())
        ),
        _ => "sans réponse".into(),
    }
}

fn vacancy_label(names: &Names, v: &VacancyDraft, why: &str) -> String {
    format!(
        "{} — {}, T{}, {} par mois ({}) : {}",
        v.reference,
        names.commune(&v.commune),
        v.rooms,
        euros(v.rent + v.charges),
        names.org(v.landlord),
        why
    )
}

/// After a form on a household's page: back to the page, or the page with the French refusal.
async fn after_household(
    s: &AppState,
    a: &Authed,
    id: i64,
    done: Result<(), StoreError>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => {
            Ok(Redirect::to(&format!("/relogement/menages/{id}?enregistre=1")).into_response())
        }
        Err(StoreError::NotFound(_)) => Err(unknown_household()),
        Err(e) if e.is_internal() => Err(e.into()),
        Err(e) => {
            let mut res = household_page(s, a, id, e.to_string(), false).await?;
            *res.status_mut() = if matches!(e, StoreError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_REQUEST
            };
            Ok(res)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ProposeForm {
    #[serde(default)]
    logement: String,
    #[serde(default)]
    date: String,
}

pub(crate) async fn propose(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ProposeForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageRelocation)?;
    let state = s.clone();
    let actor = a.actor();
    let done = blocking(move || {
        Ok(logis_app::relocation::propose_form(
            state.store.as_ref(),
            &actor,
            id,
            &f.logement,
            &f.date,
        )
        .map(|_| ())
        .map_err(crate::app_to_store))
    })
    .await?;
    after_household(&s, &a, id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AnswerForm {
    #[serde(default)]
    proposition: String,
    #[serde(default)]
    reponse: String,
    #[serde(default)]
    motif: String,
    #[serde(default)]
    date: String,
}

pub(crate) async fn answer(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<AnswerForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageRelocation)?;
    let state = s.clone();
    let actor = a.actor();
    let done = blocking(move || {
        let st = state.store.as_ref();
        // (The proposal must be this household's.)
        let Ok(proposal) = f.proposition.trim().parse::<i64>() else {
            return Ok(Err(StoreError::Invalid("proposition inconnue".into())));
        };
        if !st.proposals(id)?.iter().any(|p| p.id == proposal) {
            return Ok(Err(StoreError::Invalid(
                "cette proposition n'est pas celle de ce ménage".into(),
            )));
        }
        Ok(
            logis_app::relocation::answer_form(st, &actor, proposal, &f.reponse, &f.motif, &f.date)
                .map_err(crate::app_to_store),
        )
    })
    .await?;
    after_household(&s, &a, id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RelocateForm {
    #[serde(default)]
    logement: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    nature: String,
    #[serde(default)]
    loyer: String,
    #[serde(default)]
    charges: String,
    #[serde(default)]
    aide_logement: String,
}

pub(crate) async fn relocate(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<RelocateForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageRelocation)?;
    let state = s.clone();
    let actor = a.actor();
    let done = blocking(move || {
        let definitive = match f.nature.as_str() {
            "definitif" => true,
            "temporaire" => false,
            _ => {
                return Ok(Err(StoreError::Invalid(
                    "précisez si le relogement est définitif ou temporaire".into(),
                )));
            }
        };
        Ok(logis_app::relocation::relocate_form(
            state.store.as_ref(),
            &actor,
            id,
            &f.logement,
            &f.date,
            definitive,
            [&f.loyer, &f.charges, &f.aide_logement],
        )
        .map_err(crate::app_to_store))
    })
    .await?;
    after_household(&s, &a, id, done).await
}

// ---------------------------------------------------------------------------------------------
// The pool of vacancies

/// A vacancy as a line of the pool.
struct VacancyLine {
    reference: String,
    landlord: String,
    commune: String,
    qpv: bool,
    rooms: u32,
    surface: String,
    cost: String,
    new_or_recent: bool,
    adapted: bool,
    financing: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "relocation/vacancies.html")]
struct VacanciesPage {
    chrome: Chrome,
    lines: Vec<VacancyLine>,
    free: usize,
    declare: bool,
    landlords: Vec<(i64, String)>,
    problems: Vec<(String, String)>,
    saved: bool,
}

async fn vacancies_page(
    s: &AppState,
    a: &Authed,
    problems: Vec<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    a.require(Permission::ReadHouseholds)?;
    let state = s.clone();
    let (list, names, orgs) = blocking(move || {
        let st = state.store.as_ref();
        Ok((st.vacancies()?, Names::read(st)?, st.organisations()?))
    })
    .await?;
    let p = &a.principal;
    let everyone = p.may(Permission::ManageRelocation);
    let lines: Vec<VacancyLine> = list
        .into_iter()
        .map(|(_, v, status)| VacancyLine {
            landlord: names.org(v.landlord),
            commune: names.commune(&v.commune),
            qpv: v.qpv,
            rooms: v.rooms,
            surface: v.surface_m2.map(|s| format!("{s} m²")).unwrap_or_default(),
            cost: euros(v.rent + v.charges),
            new_or_recent: v.new_or_recent,
            adapted: v.adapted,
            status: match status.as_str() {
                "libre" => "libre",
                "propose" => "proposé",
                _ => "attribué",
            },
            financing: v.financing,
            reference: v.reference,
        })
        .collect();
    let failed = !problems.is_empty();
    Ok(crate::render_refused(
        &VacanciesPage {
            chrome: a.chrome("relogement"),
            free: lines.iter().filter(|l| l.status == "libre").count(),
            lines,
            declare: p.may(Permission::DeclareRelocation),
            landlords: orgs
                .into_iter()
                .filter(|o| {
                    o.kind == OrgKind::Landlord && (everyone || p.organisation_id == Some(o.id))
                })
                .map(|o| (o.id, o.name))
                .collect(),
            problems,
            saved,
        },
        failed,
    ))
}

pub(crate) async fn vacancies(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<HouseholdQuery>,
) -> Result<Response, PageError> {
    vacancies_page(&s, &a, Vec::new(), q.enregistre == "1").await
}

/// The landlord a declaration is limited to: none for the relocation officer, its own for a
/// landlord's editor.
fn only(a: &Authed) -> Result<Option<i64>, PageError> {
    a.require(Permission::DeclareRelocation)?;
    if a.principal.may(Permission::ManageRelocation) {
        Ok(None)
    } else {
        Ok(a.principal.organisation_id)
    }
}

/// One vacancy typed on the pool's form (fields named as the file's columns), checked and
/// recorded as a file of one row.
pub(crate) async fn declare_vacancy(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let only = only(&a)?;
    let columns = logis_domain::relocation::VACANCY_COLUMNS;
    let src = crate::form_as_file(columns, &fields);
    let state = s.clone();
    let actor = a.actor();
    let outcome = blocking(move || {
        logis_app::relocation::import_vacancies(state.store.as_ref(), &actor, src, true, only)
            .map_err(crate::app_to_store)
    })
    .await?;
    if outcome.problems.is_empty() {
        return Ok(Redirect::to("/relogement/logements?enregistre=1").into_response());
    }
    let problems = outcome
        .problems
        .into_iter()
        .map(|p| (p.column, p.message))
        .collect();
    vacancies_page(&s, &a, problems, false).await
}

// ---------------------------------------------------------------------------------------------
// Imports

#[derive(Template)]
#[template(path = "relocation/import.html")]
struct ImportPage {
    chrome: Chrome,
    what: &'static str,
    up: crate::proximity::pages::Uploaded,
    household_columns: &'static [&'static str],
    vacancy_columns: &'static [&'static str],
    follow_up_columns: &'static [&'static str],
}

impl crate::proximity::pages::UploadPage for ImportPage {
    fn uploaded(&mut self) -> &mut crate::proximity::pages::Uploaded {
        &mut self.up
    }
}

fn import_page(a: &Authed) -> ImportPage {
    ImportPage {
        chrome: a.chrome("relogement"),
        what: "",
        up: Default::default(),
        household_columns: logis_domain::relocation::HOUSEHOLD_COLUMNS,
        vacancy_columns: logis_domain::relocation::VACANCY_COLUMNS,
        follow_up_columns: logis_domain::relocation::FOLLOW_UP_COLUMNS,
    }
}

pub(crate) async fn import_form(Extension(a): Extension<Authed>) -> Result<Response, PageError> {
    a.require(Permission::DeclareRelocation)?;
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
    let only = only(&a)?;
    type Import = fn(
        &dyn logis_store::Store,
        &logis_store::Actor,
        Box<dyn logis_io::RowSource>,
        bool,
        Option<i64>,
    ) -> logis_app::Result<logis_store::relocation::RelocationImportOutcome>;
    let (what, import): (&'static str, Import) = match q.fichier.as_str() {
        "menages" => ("ménages", logis_app::relocation::import_households),
        "logements" => ("logements vacants", logis_app::relocation::import_vacancies),
        "suivi" => ("suivi", logis_app::relocation::import_follow_ups),
        _ => {
            return Err(PageError {
                status: StatusCode::BAD_REQUEST,
                message: "fichier inconnu (menages, logements ou suivi)".into(),
            });
        }
    };
    let mut p = import_page(&a);
    p.what = what;
    let s = s.clone();
    let actor = a.actor();
    crate::proximity::pages::upload(p, multipart, move |src, commit| {
        import(s.store.as_ref(), &actor, src, commit, only)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// The journal of reads

struct ReadLine {
    at: String,
    who: String,
    household_id: i64,
    household: String,
    landlord: String,
    via: String,
}

#[derive(Template)]
#[template(path = "relocation/journal.html")]
struct JournalPage {
    chrome: Chrome,
    lines: Vec<ReadLine>,
    limit: u32,
}

const JOURNAL_LINES: u32 = 500;

pub(crate) async fn journal(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageRelocation)?;
    let state = s.clone();
    let (reads, names) = blocking(move || {
        let st = state.store.as_ref();
        Ok((st.all_reads(JOURNAL_LINES)?, Names::read(st)?))
    })
    .await?;
    Ok(render(&JournalPage {
        chrome: a.chrome("relogement"),
        lines: reads
            .into_iter()
            .map(|r| ReadLine {
                at: crate::local_time(r.at, "%d/%m/%Y %H:%M:%S"),
                who: r.who,
                household_id: r.household_id,
                household: r.household,
                landlord: names.org(r.landlord_id),
                via: r.via,
            })
            .collect(),
        limit: JOURNAL_LINES,
    }))
}
