//! Proximity management's pages: sites and competence tables, reports of dysfunctions and their
//! assignments, the partner's queue, committees, conciergeries, imports, the committees' report.

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use logis_app::proximity::forms::{self, ReportForm};
use logis_domain::Permission;
use logis_domain::numbers::format_date_fr;
use logis_domain::proximity::{AssignmentStatus, Theme};
use logis_io::report::Report;
use logis_store::proximity::{ReportFilter, ReportRecord, ReportRow};
use logis_store::{ProximityRecords, StoreError};
use serde::Deserialize;

pub(crate) fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn unknown_report() -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: "Ce signalement n'existe pas, ou votre organisation ne l'a ni fait ni reçu."
            .into(),
    }
}

fn unknown_site() -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: "Ce site de gestion de proximité n'existe pas.".into(),
    }
}

/// A report as a line of a list or a queue.
pub(crate) struct ReportLine {
    id: i64,
    reference: String,
    reporter: String,
    site: String,
    theme: &'static str,
    date: String,
    address: String,
    state: String,
    late: bool,
}

fn line_of(r: &ReportRow, today: NaiveDate) -> ReportLine {
    let late = r.open > 0 && r.due_on.is_some_and(|d| d < today);
    ReportLine {
        id: r.id,
        reference: r.reference.clone(),
        reporter: r.reporter.clone(),
        site: r.site.clone(),
        theme: r.theme.label(),
        date: format_date_fr(r.reported_on),
        address: r.address.clone(),
        state: match (r.open, r.due_on) {
            (0, _) if r.closed > 0 => "clos".into(),
            (0, _) => "refusé, à réattribuer".into(),
            (n, Some(d)) => format!(
                "{n} partenaire(s) à l'œuvre, échéance le {}{}",
                format_date_fr(d),
                if late { " — en retard" } else { "" }
            ),
            (n, None) => format!("{n} partenaire(s) à l'œuvre"),
        },
        late,
    }
}

/// The filters of a list of reports, as the address gives them.
#[derive(Debug, Default, Deserialize, Clone)]
pub(crate) struct ListQuery {
    #[serde(default)]
    site: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    etat: String,
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
}

const STATES: &[(&str, &str)] = &[
    ("ouverts", "Ouverts"),
    ("en_retard", "En retard"),
    ("clos", "Clos ou refusés"),
];

/// The filter the query asks for (limited to what `a` reads), and the French problems.
fn filter_of(q: &ListQuery, a: &Authed, site: Option<i64>) -> (ReportFilter, Vec<String>) {
    let mut errors = Vec::new();
    let mut f = ReportFilter {
        limit: 200,
        today: Some(today()),
        site,
        ..Default::default()
    };
    if site.is_none() && !q.site.trim().is_empty() {
        match q.site.trim().parse::<i64>() {
            Ok(id) => f.site = Some(id),
            Err(_) => errors.push(format!(
                "Site : « {} » n'est pas un site de la liste",
                q.site
            )),
        }
    }
    if !q.theme.trim().is_empty() {
        match Theme::parse(&q.theme) {
            Ok(t) => f.theme = Some(t),
            Err(e) => errors.push(format!("Thème : {}", e.0)),
        }
    }
    match q.etat.trim() {
        "" => {}
        s if STATES.iter().any(|(c, _)| *c == s) => f.state = s.to_string(),
        s => errors.push(format!(
            "État : « {s} » inconnu (ouverts, en_retard ou clos)"
        )),
    }
    for (text, slot, label) in [(&q.du, &mut f.from, "Du"), (&q.au, &mut f.to, "Au")] {
        if !text.trim().is_empty() {
            match logis_domain::numbers::parse_date(text) {
                Some(d) => *slot = Some(d),
                None => errors.push(format!(
                    "{label} : date illisible « {} » (attendu : jj/mm/aaaa)",
                    text.trim()
                )),
            }
        }
    }
    if !a.principal.sees_every_report() {
        // Nobody else's reports: those its organisation made or was given (none without one).
        f.seen_by = Some(a.principal.organisation_id.unwrap_or(-1));
    }
    (f, errors)
}

fn themes() -> Vec<(&'static str, &'static str)> {
    Theme::ALL.iter().map(|t| (t.code(), t.label())).collect()
}

#[derive(Template)]
#[template(path = "proximity/sites.html")]
struct SitesPage {
    chrome: Chrome,
    manage: bool,
    act: bool,
    /// (id, name) of the landlords, for a new site's buildings.
    landlords: Vec<(i64, String)>,
    error: String,
    /// (id, name, commune, quartier, themes held)
    rows: Vec<(i64, String, String, String, String)>,
}

pub(crate) async fn sites(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    sites_page(&s, &a, String::new()).await
}

async fn sites_page(s: &AppState, a: &Authed, error: String) -> Result<Response, PageError> {
    a.require(Permission::ReadProximity)?;
    let state = s.clone();
    let (sites, orgs) =
        blocking(move || Ok((state.store.proximity_sites()?, state.store.organisations()?)))
            .await?;
    let failed = !error.is_empty();
    Ok(crate::render_refused(
        &SitesPage {
            chrome: a.chrome("proximite"),
            manage: a.principal.may(Permission::ManageProximity),
            act: a.principal.may(Permission::ActOnProximity),
            landlords: orgs
                .iter()
                .filter(|o| o.kind == logis_domain::OrgKind::Landlord)
                .map(|o| (o.id, o.name.clone()))
                .collect(),
            error,
            rows: sites
                .iter()
                .map(|x| {
                    (
                        x.id,
                        x.name.clone(),
                        x.commune.clone(),
                        x.quartier.clone(),
                        x.competences.len().to_string(),
                    )
                })
                .collect(),
        },
        failed,
    ))
}

/// An import's refusal in one French sentence (a form's one row: its problems).
fn refusal(out: &logis_store::proximity::ProximityImportOutcome) -> Option<String> {
    (!out.problems.is_empty()).then(|| {
        out.problems
            .iter()
            .map(|p| format!("{} : {}", p.column, p.message))
            .collect::<Vec<_>>()
            .join(" ; ")
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewSiteForm {
    #[serde(default)]
    site: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    quartier: String,
    #[serde(default)]
    bailleur: String,
}

/// A new site with seed 003's split as its competence table (the EPCI's).
pub(crate) async fn create_site(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(f): axum::Form<NewSiteForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageProximity)?;
    let state = s.clone();
    let actor = a.actor();
    let done = blocking(move || {
        let st = state.store.as_ref();
        Ok(forms::create_site(
            st,
            &actor,
            &f.site,
            &f.commune,
            &f.quartier,
            f.bailleur.trim().parse().ok(),
        )
        .map_err(crate::app_to_store)
        .and_then(|out| match refusal(&out) {
            Some(e) => Err(StoreError::Invalid(e)),
            None => Ok(st
                .proximity_sites()?
                .into_iter()
                .find(|x| {
                    logis_domain::text::name_key(&x.name) == logis_domain::text::name_key(&f.site)
                })
                .map(|x| x.id)),
        }))
    })
    .await?;
    match done {
        Ok(Some(id)) => Ok(Redirect::to(&format!("/proximite/sites/{id}")).into_response()),
        Ok(None) => Ok(Redirect::to("/proximite").into_response()),
        Err(e) if e.is_internal() => Err(e.into()),
        Err(e) => sites_page(&s, &a, e.to_string()).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CompetenceForm {
    #[serde(default)]
    theme: String,
    #[serde(default)]
    partenaire: String,
    #[serde(default)]
    delai: String,
}

/// Who answers for a theme on a site (the EPCI's).
pub(crate) async fn set_competence(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CompetenceForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageProximity)?;
    let state = s.clone();
    let actor = a.actor();
    let done = blocking(move || {
        Ok(forms::set_competence(
            state.store.as_ref(),
            &actor,
            id,
            &f.theme,
            f.partenaire.trim().parse().ok(),
            &f.delai,
        )
        .map_err(crate::app_to_store)
        .and_then(|out| match refusal(&out) {
            Some(e) => Err(StoreError::Invalid(e)),
            None => Ok(()),
        }))
    })
    .await?;
    after_site(&s, &a, id, done).await
}

#[derive(Template)]
#[template(path = "proximity/site.html")]
struct SitePage {
    chrome: Chrome,
    id: i64,
    name: String,
    commune: String,
    quartier: String,
    /// (theme, partner, deadline in days)
    competences: Vec<(&'static str, String, u32)>,
    /// (theme, the seed's default holder) of the themes the table lacks.
    missing: Vec<(&'static str, &'static str)>,
    q: ListQuery,
    errors: Vec<String>,
    themes: Vec<(&'static str, &'static str)>,
    states: &'static [(&'static str, &'static str)],
    reports: Vec<ReportLine>,
    /// (date, note)
    committees: Vec<(String, String)>,
    manage: bool,
    act: bool,
    error: String,
    partners: Vec<(i64, String)>,
}

async fn site_page(
    s: &AppState,
    a: &Authed,
    id: i64,
    q: ListQuery,
    error: String,
) -> Result<Response, PageError> {
    a.require(Permission::ReadProximity)?;
    let (filter, errors) = filter_of(&q, a, Some(id));
    let state = s.clone();
    let found = blocking(move || {
        let st = state.store.as_ref();
        let Some(site) = st.proximity_sites()?.into_iter().find(|x| x.id == id) else {
            return Ok(None);
        };
        let from = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
        let committees: Vec<_> = st
            .committees(from, today())?
            .into_iter()
            .filter(|c| c.site_id == id)
            .collect();
        let partners = forms::partners(st).map_err(crate::app_to_store)?;
        Ok(Some((site, st.reports(&filter)?, committees, partners)))
    })
    .await?;
    let Some((site, reports, committees, partners)) = found else {
        return Err(unknown_site());
    };
    let t = today();
    let missing = Theme::ALL
        .iter()
        .filter(|th| !site.competences.iter().any(|c| c.theme == **th))
        .map(|th| (th.label(), th.default_holder().label()))
        .collect();
    Ok(render(&SitePage {
        chrome: a.chrome("proximite"),
        id,
        competences: site
            .competences
            .iter()
            .map(|c| (c.theme.label(), c.partner.clone(), c.deadline_days))
            .collect(),
        missing,
        name: site.name,
        commune: site.commune,
        quartier: site.quartier,
        q,
        errors,
        themes: themes(),
        states: STATES,
        reports: reports.iter().map(|r| line_of(r, t)).collect(),
        committees: committees
            .iter()
            .rev()
            .map(|c| (format_date_fr(c.held_on), c.note.clone()))
            .collect(),
        manage: a.principal.may(Permission::ManageProximity),
        act: a.principal.may(Permission::ActOnProximity),
        error,
        partners,
    }))
}

pub(crate) async fn site(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    site_page(&s, &a, id, q, String::new()).await
}

/// After a form on a site: back to its page, or the page again with the French refusal (400).
async fn after_site(
    s: &AppState,
    a: &Authed,
    id: i64,
    done: Result<(), StoreError>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/proximite/sites/{id}")).into_response()),
        Err(StoreError::NotFound(_)) => Err(unknown_site()),
        Err(e) if e.is_internal() => Err(e.into()),
        Err(e) => {
            let mut res = site_page(s, a, id, ListQuery::default(), e.to_string()).await?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CommitteeForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    compte_rendu: String,
}

pub(crate) async fn committee(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CommitteeForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageProximity)?;
    let state = s.clone();
    let actor = a.actor();
    let done = blocking(move || {
        Ok(forms::add_committee(
            state.store.as_ref(),
            &actor,
            id,
            &f.date,
            &f.compte_rendu,
            today(),
        )
        .map_err(crate::app_to_store))
    })
    .await?;
    after_site(&s, &a, id, done).await
}

#[derive(Template)]
#[template(path = "proximity/reports.html")]
struct ReportsPage {
    chrome: Chrome,
    every: bool,
    act: bool,
    q: ListQuery,
    errors: Vec<String>,
    sites: Vec<(i64, String)>,
    themes: Vec<(&'static str, &'static str)>,
    states: &'static [(&'static str, &'static str)],
    reports: Vec<ReportLine>,
}

pub(crate) async fn reports(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadProximity)?;
    let (filter, errors) = filter_of(&q, &a, None);
    let state = s.clone();
    let (sites, reports) = blocking(move || {
        let st = state.store.as_ref();
        Ok((st.proximity_sites()?, st.reports(&filter)?))
    })
    .await?;
    let t = today();
    Ok(crate::render_refused(
        &ReportsPage {
            chrome: a.chrome("proximite"),
            every: a.principal.sees_every_report(),
            act: a.principal.may(Permission::ActOnProximity),
            q,
            sites: sites.iter().map(|x| (x.id, x.name.clone())).collect(),
            themes: themes(),
            states: STATES,
            reports: reports.iter().map(|r| line_of(r, t)).collect(),
            errors: errors.clone(),
        },
        !errors.is_empty(),
    ))
}

#[derive(Template)]
#[template(path = "proximity/new.html")]
struct NewPage {
    chrome: Chrome,
    sites: Vec<String>,
    themes: Vec<(&'static str, &'static str)>,
    f: ReportFormView,
    errors: Vec<(&'static str, String)>,
}

#[derive(Debug, Default, Clone)]
struct ReportFormView {
    site: String,
    theme: String,
    date: String,
    description: String,
    address: String,
    lon: String,
    lat: String,
}

impl NewPage {
    fn error(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join(" ; ")
    }
}

/// The anchor of a form's field named by a problem.
fn anchor(field: &str) -> &'static str {
    match field {
        "site" => "site",
        "theme" => "theme",
        "date" => "date",
        "description" => "description",
        "adresse" => "adresse",
        "lon" => "lon",
        "lat" => "lat",
        "photos" => "photos",
        _ => "site",
    }
}

async fn new_page(
    s: &AppState,
    a: &Authed,
    f: ReportFormView,
    errors: Vec<(&'static str, String)>,
) -> Result<Response, PageError> {
    let state = s.clone();
    let sites = blocking(move || state.store.proximity_sites()).await?;
    let failed = !errors.is_empty();
    Ok(crate::render_refused(
        &NewPage {
            chrome: a.chrome("proximite"),
            sites: sites.into_iter().map(|x| x.name).collect(),
            themes: themes(),
            f,
            errors,
        },
        failed,
    ))
}

pub(crate) async fn new_form(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    a.require(Permission::ActOnProximity)?;
    new_page(&s, &a, ReportFormView::default(), Vec::new()).await
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    a.require(Permission::ActOnProximity)?;
    let Some(org) = a.principal.organisation_id else {
        return Err(crate::accounts::auth::forbidden());
    };
    let mut v = ReportFormView::default();
    let mut photos: Vec<Vec<u8>> = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let is_file = field.file_name().is_some();
                let bytes = match field.bytes().await {
                    Ok(b) => b,
                    Err(e) => {
                        let errors = vec![(
                            "photos",
                            format!("envoi interrompu ou trop volumineux : {e}"),
                        )];
                        return new_page(&s, &a, v, errors).await;
                    }
                };
                if name == "photos" || is_file {
                    if !bytes.is_empty() {
                        photos.push(bytes.to_vec());
                    }
                    continue;
                }
                let text: String = String::from_utf8_lossy(&bytes).chars().take(4000).collect();
                match name.as_str() {
                    "site" => v.site = text,
                    "theme" => v.theme = text,
                    "date" => v.date = text,
                    "description" => v.description = text,
                    "adresse" => v.address = text,
                    "lon" => v.lon = text,
                    "lat" => v.lat = text,
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                let errors = vec![(
                    "photos",
                    format!("envoi interrompu ou trop volumineux : {e}"),
                )];
                return new_page(&s, &a, v, errors).await;
            }
        }
    }
    let form = ReportForm {
        site: v.site.clone(),
        theme: v.theme.clone(),
        date: v.date.clone(),
        description: v.description.clone(),
        address: v.address.clone(),
        lon: v.lon.clone(),
        lat: v.lat.clone(),
    };
    let state = s.clone();
    let actor = a.actor();
    let done = blocking(move || {
        forms::new_report(state.store.as_ref(), &actor, org, &form, &photos, today())
            .map_err(crate::app_to_store)
    })
    .await?;
    match done {
        Ok(id) => Ok(Redirect::to(&format!("/proximite/signalements/{id}?cree=1")).into_response()),
        Err(problems) => new_page(&s, &a, v, problems).await,
    }
}

/// One assignment as the report's page shows it.
struct AssignmentView {
    id: i64,
    partner: String,
    status: &'static str,
    opened: String,
    due: String,
    ended: String,
    reason: String,
    late: bool,
    /// (when, step, reason, by)
    steps: Vec<(String, &'static str, String, String)>,
    /// The statuses its partner may set now (the user's own open assignment only).
    next: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "proximity/report.html")]
struct ReportPage {
    chrome: Chrome,
    r: ReportRecord,
    theme: &'static str,
    date: String,
    point: String,
    assignments: Vec<AssignmentView>,
    refusals: &'static [&'static str],
    closures: &'static [&'static str],
    partners: Vec<(i64, String)>,
    may_share: bool,
    notice: &'static str,
    error: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportQuery {
    #[serde(default)]
    cree: String,
    #[serde(default)]
    enregistre: String,
}

async fn report_page(
    s: &AppState,
    a: &Authed,
    id: i64,
    notice: &'static str,
    error: String,
) -> Result<Response, PageError> {
    a.require(Permission::ReadProximity)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let found = blocking(move || {
        let st = state.store.as_ref();
        let r = forms::visible_report(st, &principal, id).map_err(crate::app_to_store)?;
        Ok(match r {
            Some(r) => Some((r, forms::partners(st).map_err(crate::app_to_store)?)),
            None => None,
        })
    })
    .await?;
    let Some((r, partners)) = found else {
        return Err(unknown_report());
    };
    let p = &a.principal;
    let mine = p
        .organisation_id
        .filter(|_| p.may(Permission::ActOnProximity));
    let t = today();
    let assignments = r
        .assignments
        .iter()
        .map(|x| AssignmentView {
            id: x.id,
            partner: x.partner.clone(),
            status: x.status.label(),
            opened: format_date_fr(x.opened_on),
            due: format_date_fr(x.due_on),
            ended: x.ended_on.map(format_date_fr).unwrap_or_default(),
            reason: x.reason.clone(),
            late: x.status.open() && x.due_on < t,
            steps: x
                .steps
                .iter()
                .map(|e| {
                    (
                        crate::local_time(e.at, "%d/%m/%Y à %H:%M"),
                        e.status.label(),
                        e.reason.clone(),
                        e.by.clone(),
                    )
                })
                .collect(),
            next: if mine == Some(x.partner_id) {
                AssignmentStatus::ALL
                    .iter()
                    .filter(|n| x.status.may_become(**n))
                    .map(|n| (n.code(), n.label()))
                    .collect()
            } else {
                Vec::new()
            },
        })
        .collect();
    let given = mine.is_some_and(|o| r.assignments.iter().any(|x| x.partner_id == o));
    let may_share = p.may(Permission::ManageProximity) || given;
    Ok(crate::render_refused(
        &ReportPage {
            chrome: a.chrome("proximite"),
            theme: r.theme.label(),
            date: format_date_fr(r.reported_on),
            point: r
                .point
                .map(|(x, y)| format!("{:.5} ; {:.5} (WGS84)", x as f64 / 1e6, y as f64 / 1e6))
                .unwrap_or_default(),
            r,
            assignments,
            refusals: forms::REFUSALS,
            closures: forms::CLOSURES,
            partners,
            may_share,
            notice,
            error: error.clone(),
        },
        !error.is_empty(),
    ))
}

pub(crate) async fn report(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let notice = if q.cree == "1" {
        "Le signalement est enregistré et transmis au partenaire compétent."
    } else if q.enregistre == "1" {
        "C'est enregistré."
    } else {
        ""
    };
    report_page(&s, &a, id, notice, String::new()).await
}

pub(crate) async fn photo(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path((id, position)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadProximity)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let found = blocking(move || {
        let st = state.store.as_ref();
        if forms::visible_report(st, &principal, id)
            .map_err(crate::app_to_store)?
            .is_none()
        {
            return Ok(None);
        }
        st.photo(id, position)
    })
    .await?;
    let Some((content_type, bytes)) = found else {
        return Err(unknown_report());
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// After a form on a report: its page again, with the notice or the French refusal.
async fn after(
    s: &AppState,
    a: &Authed,
    id: i64,
    done: Result<(), StoreError>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => {
            Ok(Redirect::to(&format!("/proximite/signalements/{id}?enregistre=1")).into_response())
        }
        Err(StoreError::NotFound(_)) => Err(unknown_report()),
        Err(e) if e.is_internal() => Err(e.into()),
        Err(e) => {
            let mut res = report_page(s, a, id, "", e.to_string()).await?;
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
pub(crate) struct StepForm {
    #[serde(default)]
    affectation: String,
    #[serde(default)]
    statut: String,
    #[serde(default)]
    motif: String,
    #[serde(default)]
    precision: String,
    #[serde(default)]
    partenaire: String,
}

pub(crate) async fn step(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<StepForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ActOnProximity)?;
    let Ok(assignment) = f.affectation.trim().parse::<i64>() else {
        return Err(unknown_report());
    };
    let state = s.clone();
    let actor = a.actor();
    let principal = a.principal.clone();
    let done = blocking(move || {
        let st = state.store.as_ref();
        // (The report must be one the user reads: else it is unknown to it.)
        if forms::visible_report(st, &principal, id)
            .map_err(crate::app_to_store)?
            .is_none_or(|r| !r.assignments.iter().any(|x| x.id == assignment))
        {
            return Ok(Err(StoreError::NotFound("signalement introuvable".into())));
        }
        Ok(forms::step(
            st,
            &actor,
            &principal,
            id,
            assignment,
            &f.statut,
            &f.motif,
            &f.precision,
            f.partenaire.trim().parse::<i64>().ok(),
            today(),
        )
        .map_err(crate::app_to_store))
    })
    .await?;
    after(&s, &a, id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ShareForm {
    #[serde(default)]
    partenaire: String,
    #[serde(default)]
    echeance: String,
}

pub(crate) async fn share(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ShareForm>,
) -> Result<Response, PageError> {
    if !a.principal.may(Permission::ManageProximity) {
        a.require(Permission::ActOnProximity)?;
    }
    let state = s.clone();
    let actor = a.actor();
    let principal = a.principal.clone();
    let done = blocking(move || {
        Ok(forms::share(
            state.store.as_ref(),
            &actor,
            &principal,
            id,
            f.partenaire.trim().parse::<i64>().ok(),
            &f.echeance,
            today(),
        )
        .map_err(crate::app_to_store))
    })
    .await?;
    after(&s, &a, id, done).await
}

/// One assignment of the queue.
struct QueueLine {
    report: i64,
    reference: String,
    reporter: String,
    site: String,
    theme: &'static str,
    date: String,
    due: String,
    status: &'static str,
    late: bool,
    description: String,
}

#[derive(Template)]
#[template(path = "proximity/queue.html")]
struct QueuePage {
    chrome: Chrome,
    open: Vec<QueueLine>,
    ended: Vec<QueueLine>,
    /// (report id, reference, site) of the reports every partner refused (the EPCI's).
    unassigned: Vec<(i64, String, String)>,
}

pub(crate) async fn queue(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    a.require(Permission::ActOnProximity)?;
    let Some(org) = a.principal.organisation_id else {
        return Err(crate::accounts::auth::forbidden());
    };
    let manage = a.principal.may(Permission::ManageProximity);
    let state = s.clone();
    let t = today();
    let since = t - chrono::Days::new(30);
    let (queue, unassigned) = blocking(move || {
        let st = state.store.as_ref();
        Ok((
            st.queue_since(org, since)?,
            if manage {
                st.unassigned_reports()?
            } else {
                Vec::new()
            },
        ))
    })
    .await?;
    let (open, ended): (Vec<_>, Vec<_>) = queue
        .iter()
        .map(|q| QueueLine {
            report: q.report_id,
            reference: q.reference.clone(),
            reporter: q.reporter.clone(),
            site: q.site.clone(),
            theme: q.theme.label(),
            date: format_date_fr(q.reported_on),
            due: format_date_fr(q.due_on),
            status: q.status.label(),
            late: q.status.open() && q.due_on < t,
            description: q.description.chars().take(160).collect(),
        })
        .partition(|l| {
            AssignmentStatus::ALL
                .iter()
                .any(|st| st.label() == l.status && st.open())
        });
    Ok(render(&QueuePage {
        chrome: a.chrome("a-traiter"),
        open,
        ended,
        unassigned,
    }))
}

#[derive(Debug, Default, Deserialize, Clone)]
pub(crate) struct CommitteeQuery {
    #[serde(default)]
    site: String,
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
    format: Option<String>,
}

#[derive(Template)]
#[template(path = "proximity/committees.html")]
struct CommitteesPage {
    chrome: Chrome,
    q: CommitteeQuery,
    sites: Vec<(i64, String)>,
    report: Option<Report>,
    error: String,
    /// The query of the downloads (without the format).
    query: String,
}

/// The committees' report the query asks for: the period (default: the last twelve months) and
/// the site (default: the agglomeration).
async fn committees_of(
    s: &AppState,
    a: &Authed,
    q: &CommitteeQuery,
) -> Result<(Vec<(i64, String)>, Result<Report, String>), PageError> {
    a.require(Permission::ReadReports)?;
    let t = today();
    let date = |text: &str, default: NaiveDate| match text.trim() {
        "" => Ok(default),
        v => logis_domain::numbers::parse_date(v)
            .ok_or_else(|| format!("date illisible « {v} » (attendu : jj/mm/aaaa)")),
    };
    let from = date(&q.du, t - chrono::Days::new(365));
    let to = date(&q.au, t);
    let site = match q.site.trim() {
        "" => Ok(None),
        v => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("site inconnu « {v} »")),
    };
    let state = s.clone();
    blocking(move || {
        let st = state.store.as_ref();
        let sites = st
            .proximity_sites()?
            .into_iter()
            .map(|x| (x.id, x.name))
            .collect();
        let report = match (from, to, site) {
            (Ok(from), Ok(to), Ok(site)) => {
                match logis_app::proximity::gusp_report_for(st, site, from, to, t) {
                    Ok(r) => Ok(r),
                    Err(logis_app::AppError::Invalid(e)) => Err(e),
                    Err(e) => return Err(crate::app_to_store(e)),
                }
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
        };
        Ok((sites, report))
    })
    .await
}

pub(crate) async fn committees_report(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<CommitteeQuery>,
) -> Result<Response, PageError> {
    let (sites, report) = committees_of(&s, &a, &q).await?;
    let query = serde_urlencoded::to_string([
        ("site", q.site.as_str()),
        ("du", q.du.as_str()),
        ("au", q.au.as_str()),
    ])
    .unwrap_or_default();
    let (report, error) = match report {
        Ok(r) => (Some(r), String::new()),
        Err(e) => (None, e),
    };
    let failed = !error.is_empty();
    Ok(crate::render_refused(
        &CommitteesPage {
            chrome: a.chrome("proximite"),
            q,
            sites,
            report,
            error,
            query,
        },
        failed,
    ))
}

pub(crate) async fn committees_export(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<CommitteeQuery>,
) -> Result<Response, PageError> {
    let xlsx =
        crate::land::pages::xlsx_asked(&crate::land::pages::ExportQuery::of(q.format.clone()))?;
    let (_, report) = committees_of(&s, &a, &q).await?;
    match report {
        Ok(r) => crate::land::pages::download(&r, xlsx, "logis-gusp"),
        Err(e) => Err(PageError {
            status: StatusCode::BAD_REQUEST,
            message: e,
        }),
    }
}

#[derive(Template)]
#[template(path = "proximity/import.html")]
struct ImportPage {
    chrome: Chrome,
    manage: bool,
    /// What the upload was (« signalements », « tables de compétences »).
    what: &'static str,
    up: Uploaded,
    competence_columns: &'static [&'static str],
    report_columns: &'static [&'static str],
}

fn import_page(a: &Authed) -> ImportPage {
    ImportPage {
        chrome: a.chrome("proximite"),
        manage: a.principal.may(Permission::ManageProximity),
        what: "",
        up: Uploaded::default(),
        competence_columns: logis_domain::proximity::COMPETENCE_COLUMNS,
        report_columns: logis_domain::proximity::REPORT_COLUMNS,
    }
}

pub(crate) async fn import_form(Extension(a): Extension<Authed>) -> Result<Response, PageError> {
    a.require(Permission::ActOnProximity)?;
    Ok(render(&import_page(&a)))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ImportQuery {
    #[serde(default, rename = "type")]
    kind: String,
}

pub(crate) async fn import_upload(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ImportQuery>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    a.require(Permission::ActOnProximity)?;
    let reports = match q.kind.as_str() {
        "signalements" => true,
        "competences" => {
            a.require(Permission::ManageProximity)?;
            false
        }
        _ => {
            return Err(PageError {
                status: StatusCode::BAD_REQUEST,
                message: "type d'import inconnu (competences ou signalements)".into(),
            });
        }
    };
    let mut p = import_page(&a);
    p.what = if reports {
        "signalements"
    } else {
        "tables de compétences"
    };
    let s = s.clone();
    let actor = a.actor();
    // The EPCI imports every partner's reports; a partner's agent its organisation's only.
    let only = if a.principal.sees_every_report() {
        None
    } else {
        a.principal.organisation_id
    };
    upload(p, multipart, move |src, commit| {
        let st = s.store.as_ref();
        if reports {
            logis_app::proximity::import_reports(st, &actor, src, commit, only)
        } else {
            logis_app::proximity::import_competences(st, &actor, src, commit)
        }
    })
    .await
}

/// What an upload did, as a page shows it (`proximity/outcome.html`): the file's name, a check
/// only or not, its outcome, or why it could not be read.
#[derive(Debug, Default)]
pub(crate) struct Uploaded {
    pub file_name: String,
    pub error: String,
    pub checked_only: bool,
    pub outcome: logis_store::proximity::ProximityImportOutcome,
}

/// A page that shows an upload's [`Uploaded`].
pub(crate) trait UploadPage: Template {
    fn uploaded(&mut self) -> &mut Uploaded;
}

/// Read the upload's file (field `fichier`, `verifier` for a check only), run `import` on it on a
/// blocking thread (`commit`: not a check), and show the outcome on `page` (400 when refused).
pub(crate) async fn upload<P: UploadPage>(
    mut page: P,
    multipart: Multipart,
    import: impl FnOnce(
        Box<dyn logis_io::RowSource>,
        bool,
    ) -> logis_app::Result<logis_store::proximity::ProximityImportOutcome>
    + Send
    + 'static,
) -> Result<Response, PageError> {
    let ((name, bytes), check_only) = match crate::land::pages::read_upload(multipart).await {
        Ok(x) => x,
        Err(e) => {
            page.uploaded().error = e;
            return Ok(crate::render_refused(&page, true));
        }
    };
    let outcome = blocking(move || {
        let src = match logis_io::open_bytes(bytes) {
            Ok(src) => src,
            Err(e) => return Ok(Err(format!("fichier illisible : {e}"))),
        };
        import(src, !check_only)
            .map(Ok)
            .map_err(crate::app_to_store)
    })
    .await?;
    let up = page.uploaded();
    up.file_name = name;
    up.checked_only = check_only;
    let refused = match outcome {
        Ok(o) => {
            let refused = !o.problems.is_empty();
            up.outcome = o;
            refused
        }
        Err(e) => {
            up.error = e;
            true
        }
    };
    Ok(crate::render_refused(&page, refused))
}

impl UploadPage for ImportPage {
    fn uploaded(&mut self) -> &mut Uploaded {
        &mut self.up
    }
}

/// A conciergerie as its page shows it.
struct ConciergerieView {
    name: String,
    sites: String,
    /// (year, partner, amount)
    shares: Vec<(i32, String, String)>,
    total: String,
}

#[derive(Template)]
#[template(path = "proximity/conciergeries.html")]
struct ConciergeriesPage {
    chrome: Chrome,
    manage: bool,
    rows: Vec<ConciergerieView>,
    conciergeries: Vec<(i64, String)>,
    sites: Vec<(i64, String)>,
    partners: Vec<(i64, String)>,
    error: String,
}

async fn conciergeries_page(
    s: &AppState,
    a: &Authed,
    error: String,
) -> Result<Response, PageError> {
    a.require(Permission::ReadProximity)?;
    let state = s.clone();
    let (list, sites, partners) = blocking(move || {
        let st = state.store.as_ref();
        Ok((
            st.conciergeries()?,
            st.proximity_sites()?,
            forms::partners(st).map_err(crate::app_to_store)?,
        ))
    })
    .await?;
    let euros = logis_domain::numbers::format_euros_cents;
    let failed = !error.is_empty();
    Ok(crate::render_refused(
        &ConciergeriesPage {
            chrome: a.chrome("proximite"),
            manage: a.principal.may(Permission::ManageProximity),
            rows: list
                .iter()
                .map(|c| ConciergerieView {
                    name: c.name.clone(),
                    sites: c
                        .sites
                        .iter()
                        .map(|(_, n)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    shares: c
                        .shares
                        .iter()
                        .map(|(y, _, p, cents)| (*y, p.clone(), euros(*cents)))
                        .collect(),
                    total: euros(c.shares.iter().map(|s| s.3).sum()),
                })
                .collect(),
            conciergeries: list.iter().map(|c| (c.id, c.name.clone())).collect(),
            sites: sites.into_iter().map(|x| (x.id, x.name)).collect(),
            partners,
            error,
        },
        failed,
    ))
}

pub(crate) async fn conciergeries(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    conciergeries_page(&s, &a, String::new()).await
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConciergerieForm {
    #[serde(default)]
    conciergerie: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    annee: String,
    #[serde(default)]
    partenaire: String,
    #[serde(default)]
    montant: String,
}

async fn conciergerie_write(
    s: AppState,
    a: Authed,
    f: ConciergerieForm,
    share: bool,
) -> Result<Response, PageError> {
    a.require(Permission::ManageProximity)?;
    let state = s.clone();
    let actor = a.actor();
    let id = |t: &str| t.trim().parse::<i64>().unwrap_or(-1);
    let done = blocking(move || {
        let st = state.store.as_ref();
        let c = id(&f.conciergerie);
        Ok(if share {
            forms::set_cost_share(
                st,
                &actor,
                c,
                &f.annee,
                f.partenaire.trim().parse().ok(),
                &f.montant,
            )
        } else {
            forms::cover_site(st, &actor, c, id(&f.site))
        }
        .map_err(crate::app_to_store))
    })
    .await?;
    match done {
        Ok(()) => Ok(Redirect::to("/proximite/conciergeries").into_response()),
        Err(e) if e.is_internal() => Err(e.into()),
        Err(e) => conciergeries_page(&s, &a, e.to_string()).await,
    }
}

pub(crate) async fn conciergerie_site(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(f): axum::Form<ConciergerieForm>,
) -> Result<Response, PageError> {
    conciergerie_write(s, a, f, false).await
}

pub(crate) async fn conciergerie_share(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(f): axum::Form<ConciergerieForm>,
) -> Result<Response, PageError> {
    conciergerie_write(s, a, f, true).await
}
