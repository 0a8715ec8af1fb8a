//! The land bank's pages. Who sees what is decided by `logis_app::land` and the principal's
//! permissions (`ReadLand`, `ManageLand`, `ExpressInterest`); a site the user does not see
//! answers 404, as an unknown one.

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use logis_app::land::{Decision, LandImportReport};
use logis_domain::land::SiteStatus;
use logis_domain::numbers::format_date_fr;
use logis_domain::{OrgKind, Permission};
use logis_io::report::Report;
use logis_store::land::SiteRecord;
use serde::Deserialize;

fn n(v: u64) -> String {
    crate::n(v)
}

fn opt(v: Option<u64>) -> String {
    v.map(n).unwrap_or_else(|| "—".into())
}

/// A site as a row of the list.
struct SiteRow {
    id: i64,
    reference: String,
    label: String,
    commune: String,
    parcels: String,
    status: &'static str,
    holder: String,
    capacity: String,
    social: String,
}

fn row_of(s: &SiteRecord) -> SiteRow {
    SiteRow {
        id: s.id,
        reference: s.reference.clone(),
        label: s.label.clone(),
        commune: s.commune_name.clone(),
        parcels: s.parcels.join(", "),
        status: s.status.label(),
        holder: s
            .holder
            .as_ref()
            .map(|h| h.landlord.clone())
            .unwrap_or_default(),
        capacity: opt(s.capacity),
        social: s
            .social_percent
            .map(|p| format!("{p} %"))
            .unwrap_or_else(|| "—".into()),
    }
}

/// A point of the map: where, its status's colour, its label.
struct MapPoint {
    x: String,
    y: String,
    colour: &'static str,
    exact: bool,
    id: i64,
    title: String,
}

/// Colours of the statuses on the map (a legend and the table say the same in words).
fn colour(s: SiteStatus) -> &'static str {
    match s {
        SiteStatus::Identified => "#6c757d",
        SiteStatus::Proposed => "#1f7a8f",
        SiteStatus::Interests => "#0b4a59",
        SiteStatus::Allocated => "#b35c00",
        SiteStatus::Sold => "#7a3e9d",
        SiteStatus::Launched => "#2f7d32",
        SiteStatus::Abandoned => "#a4262c",
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    statut: String,
}

#[derive(Template)]
#[template(path = "land/sites.html")]
struct ListPage {
    chrome: Chrome,
    manage: bool,
    statuses: Vec<(&'static str, &'static str, bool)>,
    error: String,
    rows: Vec<SiteRow>,
    view_box: String,
    communes: Vec<(String, String)>,
    points: Vec<MapPoint>,
    legend: Vec<(&'static str, &'static str)>,
    total_capacity: String,
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadLand)?;
    let mut error = String::new();
    let status = match q.statut.trim() {
        "" => None,
        t => match SiteStatus::parse(t) {
            Ok(st) => Some(st),
            Err(e) => {
                error = format!("Statut : {}", e.0);
                None
            }
        },
    };
    let state = s.clone();
    let principal = a.principal.clone();
    let (sites, geo, territory) = blocking(move || {
        let st = state.store.as_ref();
        Ok((
            logis_app::land::visible_sites(st, &principal).map_err(crate::app_to_store)?,
            st.geography()?,
            logis_app::reference::territory(st).map_err(crate::app_to_store)?,
        ))
    })
    .await?;
    let sites: Vec<SiteRecord> = sites
        .into_iter()
        .filter(|x| status.is_none_or(|st| x.status == st))
        .collect();
    let mut communes: Vec<String> = match &territory {
        Some(t) => geo
            .territory_members(t)
            .map(|c| c.code.as_str().to_string())
            .collect(),
        None => Vec::new(),
    };
    for site in &sites {
        if !communes.iter().any(|c| c == site.commune.as_str()) {
            communes.push(site.commune.as_str().to_string());
        }
    }
    let asked: Vec<(String, Option<(f64, f64)>)> = sites
        .iter()
        .map(|x| {
            (
                x.commune.as_str().to_string(),
                x.point.map(|p| (p.lon(), p.lat())),
            )
        })
        .collect();
    let map = crate::register::map::point_map(&geo, &communes, &asked);
    let points = sites
        .iter()
        .zip(&map.points)
        .filter_map(|(x, at)| {
            at.map(|(px, py, exact)| MapPoint {
                x: format!("{px:.1}"),
                y: format!("{py:.1}"),
                colour: colour(x.status),
                exact,
                id: x.id,
                title: format!(
                    "{} — {} ({}) : {}{}",
                    x.reference,
                    x.commune_name,
                    x.status.label(),
                    opt(x.capacity),
                    if exact {
                        ""
                    } else {
                        " ; placé au centre de la commune"
                    }
                ),
            })
        })
        .collect();
    let total: u64 = sites.iter().filter_map(|x| x.capacity).sum();
    Ok(render(&ListPage {
        chrome: a.chrome("foncier"),
        manage: a.principal.may(Permission::ManageLand),
        statuses: SiteStatus::ALL
            .iter()
            .map(|st| (st.code(), st.label(), Some(*st) == status))
            .collect(),
        error,
        rows: sites.iter().map(row_of).collect(),
        view_box: map.view_box,
        communes: map
            .communes
            .iter()
            .map(|(_, name, path)| (name.to_string(), path.to_string()))
            .collect(),
        points,
        legend: SiteStatus::ALL
            .iter()
            .map(|st| (colour(*st), st.label()))
            .collect(),
        total_capacity: n(total),
    }))
}

#[derive(Template)]
#[template(path = "land/site.html")]
struct SitePage {
    chrome: Chrome,
    site: SiteRow,
    saved: bool,
    error: String,
    /// (label, value)
    facts: Vec<(&'static str, String)>,
    /// (date, step, landlord, reason, recorded)
    timeline: Vec<(String, &'static str, String, String, String)>,
    /// (landlord, dwellings, products, note, date)
    interests: Vec<(String, String, String, String, String)>,
    /// (id, reference, label, landlord, dwellings, works)
    operations: Vec<(i64, String, String, String, String, String)>,
    may_interest: bool,
    may_link: bool,
    /// (code, label) of the decisions the EPCI may take now.
    decisions: Vec<(&'static str, &'static str)>,
    landlords: Vec<(i64, String)>,
}

async fn site_page(
    s: &AppState,
    a: &Authed,
    id: i64,
    saved: bool,
    error: String,
) -> Result<Response, PageError> {
    a.require(Permission::ReadLand)?;
    let state = s.clone();
    let principal = a.principal.clone();
    let found = blocking(move || {
        let st = state.store.as_ref();
        let Some(site) =
            logis_app::land::visible_site(st, &principal, id).map_err(crate::app_to_store)?
        else {
            return Ok(None);
        };
        Ok(Some((
            site,
            st.site_events(id)?,
            st.site_interests(id)?,
            st.site_operations(id)?,
            st.organisations()?,
        )))
    })
    .await?;
    let Some((site, events, interests, operations, orgs)) = found else {
        return Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: "Ce foncier n'existe pas, ou n'est pas proposé à votre organisation.".into(),
        });
    };
    let p = &a.principal;
    let manage = p.may(Permission::ManageLand);
    let holder = site.holder.as_ref().map(|h| h.landlord_id);
    let may_interest = p.may(Permission::ExpressInterest)
        && matches!(site.status, SiteStatus::Proposed | SiteStatus::Interests);
    let may_link = holder.is_some()
        && (manage || (p.may(Permission::ExpressInterest) && p.organisation_id == holder));
    let mut decisions = Vec::new();
    if manage {
        for (code, label, allowed) in [
            (
                "propose",
                "Proposer aux bailleurs",
                site.status.may_become(SiteStatus::Proposed) && holder.is_none(),
            ),
            (
                "attribuer",
                "Attribuer au bailleur choisi",
                holder.is_none() && site.status.may_become(SiteStatus::Allocated),
            ),
            (
                "retirer",
                "Retirer l'attribution",
                holder.is_some() && site.status == SiteStatus::Allocated,
            ),
            (
                "cede",
                "Enregistrer la cession",
                holder.is_some() && site.status.may_become(SiteStatus::Sold),
            ),
            (
                "abandonne",
                "Abandonner ce foncier",
                site.status.may_become(SiteStatus::Abandoned),
            ),
        ] {
            if allowed {
                decisions.push((code, label));
            }
        }
    }
    let c = &site.constraints;
    let facts = vec![
        (
            "Commune",
            format!("{} ({})", site.commune_name, site.commune.as_str()),
        ),
        ("Parcelles cadastrales", site.parcels.join(", ")),
        (
            "Surface",
            site.area_m2
                .map(|v| format!("{} m²", n(v)))
                .unwrap_or_else(|| "—".into()),
        ),
        ("Propriétaire", site.owner.label().to_string()),
        (
            "Capacité estimée",
            site.capacity
                .map(|v| format!("{} logements", n(v)))
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "Part sociale prévue",
            site.social_percent
                .map(|v| format!("{v} %"))
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "Statut",
            format!(
                "{} depuis le {}",
                site.status.label(),
                format_date_fr(site.status_date)
            ),
        ),
        (
            "Attribué à",
            site.holder
                .as_ref()
                .map(|h| {
                    format!(
                        "{} depuis le {} ({})",
                        h.landlord,
                        format_date_fr(h.since),
                        h.reason
                    )
                })
                .unwrap_or_else(|| "—".into()),
        ),
        ("Identifié le", format_date_fr(site.identified_on)),
        (
            "Contraintes",
            if c.describe().is_empty() {
                "—".into()
            } else {
                c.describe()
            },
        ),
        (
            "Documents",
            if site.documents.is_empty() {
                "—".into()
            } else {
                site.documents.clone()
            },
        ),
        (
            "Position",
            site.point
                .map(|pt| format!("{:.5} ; {:.5} (WGS84)", pt.lon(), pt.lat()))
                .unwrap_or_else(|| "— (centre de la commune sur la carte)".into()),
        ),
        (
            "Logements des opérations",
            format!("{} dont {} livrés", n(site.dwellings), n(site.delivered)),
        ),
    ];
    let mut landlords: Vec<(i64, String)> = orgs
        .iter()
        .filter(|o| o.kind == OrgKind::Landlord)
        .map(|o| (o.id, o.name.clone()))
        .collect();
    landlords.sort_by(|x, y| x.1.cmp(&y.1));
    Ok(render(&SitePage {
        chrome: a.chrome("foncier"),
        saved,
        error,
        facts,
        timeline: events
            .iter()
            .map(|e| {
                (
                    format_date_fr(e.date),
                    e.status.label(),
                    e.landlord.clone().unwrap_or_default(),
                    e.reason.clone(),
                    format!(
                        "{} par {}",
                        crate::local_time(e.at, "%d/%m/%Y à %H:%M"),
                        e.by
                    ),
                )
            })
            .collect(),
        interests: interests
            .iter()
            .map(|i| {
                (
                    i.landlord.clone(),
                    opt(i.dwellings),
                    i.products.clone(),
                    i.note.clone(),
                    format_date_fr(i.date),
                )
            })
            .collect(),
        operations: operations
            .iter()
            .map(|o| {
                (
                    o.operation_id,
                    o.reference.clone(),
                    o.label.clone(),
                    o.landlord.clone(),
                    n(o.dwellings),
                    o.first_works_on
                        .map(format_date_fr)
                        .unwrap_or_else(|| "—".into()),
                )
            })
            .collect(),
        site: row_of(&site),
        may_interest,
        may_link,
        decisions,
        landlords,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SiteQuery {
    #[serde(default)]
    enregistre: String,
}

pub(crate) async fn site(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    Query(q): Query<SiteQuery>,
) -> Result<Response, PageError> {
    site_page(&s, &a, id, q.enregistre == "1", String::new()).await
}

/// After a form: back to the site's page, or the page again with the French refusal.
async fn after(
    s: &AppState,
    a: &Authed,
    id: i64,
    done: Result<(), logis_store::StoreError>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/foncier/{id}?enregistre=1")).into_response()),
        Err(e) if e.is_internal() => Err(e.into()),
        Err(logis_store::StoreError::NotFound(_)) => Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: "Ce foncier n'existe pas, ou n'est pas proposé à votre organisation.".into(),
        }),
        Err(e) => {
            let mut res = site_page(s, a, id, false, e.to_string()).await?;
            *res.status_mut() = if matches!(e, logis_store::StoreError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_REQUEST
            };
            Ok(res)
        }
    }
}

/// Whether `a` sees the site `id` (404 otherwise, as an unknown site).
async fn seen(s: &AppState, a: &Authed, id: i64) -> Result<(), PageError> {
    let state = s.clone();
    let principal = a.principal.clone();
    let found = blocking(move || {
        logis_app::land::visible_site(state.store.as_ref(), &principal, id)
            .map_err(crate::app_to_store)
    })
    .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: "Ce foncier n'existe pas, ou n'est pas proposé à votre organisation.".into(),
        }),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    bailleur: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    motif: String,
}

pub(crate) async fn decision(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<DecisionForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ManageLand)?;
    seen(&s, &a, id).await?;
    let decision = match f.decision.as_str() {
        "attribuer" => match f.bailleur.trim().parse::<i64>() {
            Ok(landlord) => Some(Decision::Allocate(landlord.to_string())),
            Err(_) => None,
        },
        "retirer" => Some(Decision::Withdraw),
        other => SiteStatus::from_code(other)
            .filter(|st| *st != SiteStatus::Allocated)
            .map(Decision::Status),
    };
    let Some(decision) = decision else {
        let message = if f.decision == "attribuer" {
            "Choisissez le bailleur à qui attribuer ce foncier."
        } else {
            "Choisissez une décision dans la liste."
        };
        return after(
            &s,
            &a,
            id,
            Err(logis_store::StoreError::Invalid(message.into())),
        )
        .await;
    };
    let state = s.clone();
    let actor = a.actor();
    let done = blocking(move || {
        let st = state.store.as_ref();
        // (The form names the landlord by its id: the use case takes a name or SIREN.)
        let decision = match decision {
            Decision::Allocate(id) => {
                let name = st
                    .organisations()?
                    .into_iter()
                    .find(|o| o.id.to_string() == id)
                    .map(|o| o.name)
                    .ok_or_else(|| logis_store::StoreError::Invalid("bailleur inconnu".into()))?;
                Decision::Allocate(name)
            }
            other => other,
        };
        Ok(
            logis_app::land::decide(st, &actor, id, &decision, &f.date, &f.motif)
                .map_err(crate::app_to_store),
        )
    })
    .await?;
    after(&s, &a, id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct InterestForm {
    #[serde(default)]
    logements: String,
    #[serde(default)]
    produits: String,
    #[serde(default)]
    remarque: String,
}

pub(crate) async fn interest(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<InterestForm>,
) -> Result<Response, PageError> {
    a.require(Permission::ExpressInterest)?;
    seen(&s, &a, id).await?;
    let Some(org) = a.principal.organisation_id else {
        return Err(crate::accounts::auth::forbidden());
    };
    let state = s.clone();
    let actor = a.actor();
    let done = blocking(move || {
        Ok(logis_app::land::express_interest(
            state.store.as_ref(),
            &actor,
            id,
            org,
            &f.logements,
            &f.produits,
            &f.remarque,
        )
        .map_err(crate::app_to_store))
    })
    .await?;
    after(&s, &a, id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LinkForm {
    #[serde(default)]
    operation: String,
}

pub(crate) async fn link(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<LinkForm>,
) -> Result<Response, PageError> {
    let manage = a.principal.may(Permission::ManageLand);
    if !manage {
        a.require(Permission::ExpressInterest)?;
    }
    seen(&s, &a, id).await?;
    let state = s.clone();
    let actor = a.actor();
    let org = a.principal.organisation_id;
    let done = blocking(move || {
        let st = state.store.as_ref();
        // A landlord rattaches to the sites it holds only.
        if !manage {
            let holder = st.site(id)?.and_then(|x| x.holder).map(|h| h.landlord_id);
            if holder.is_none() || holder != org {
                return Ok(Err(logis_store::StoreError::Invalid(
                    "ce foncier n'est pas attribué à votre organisation : seul son attributaire y rattache ses opérations".into(),
                )));
            }
        }
        Ok(logis_app::land::link_operation(st, &actor, id, &f.operation)
            .map_err(crate::app_to_store))
    })
    .await?;
    after(&s, &a, id, done).await
}

#[derive(Template)]
#[template(path = "land/import.html")]
struct ImportPage {
    chrome: Chrome,
    file_name: String,
    error: String,
    checked_only: bool,
    report: LandImportReport,
    columns: &'static [&'static str],
    required: &'static [&'static str],
}

fn import_page(a: &Authed) -> ImportPage {
    ImportPage {
        chrome: a.chrome("foncier"),
        file_name: String::new(),
        error: String::new(),
        checked_only: false,
        report: LandImportReport::default(),
        columns: logis_domain::land::SITE_COLUMNS,
        required: logis_domain::land::SITE_REQUIRED,
    }
}

pub(crate) async fn import_form(Extension(a): Extension<Authed>) -> Result<Response, PageError> {
    a.require(Permission::ManageLand)?;
    Ok(render(&import_page(&a)))
}

pub(crate) async fn import_upload(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    a.require(Permission::ManageLand)?;
    let mut p = import_page(&a);
    let ((name, bytes), check_only) = match read_upload(multipart).await {
        Ok(x) => x,
        Err(e) => {
            p.error = e;
            let mut res = render(&p);
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    let state = s.clone();
    let actor = a.actor();
    let outcome = blocking(move || {
        let src = match logis_io::open_bytes(bytes) {
            Ok(src) => src,
            Err(e) => return Ok(Err(format!("fichier illisible : {e}"))),
        };
        logis_app::land::import_sites(state.store.as_ref(), &actor, src, !check_only)
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

/// The file of an upload form (field `fichier`) and whether only a check is asked (`verifier`);
/// `Err`: the French reason.
pub(crate) async fn read_upload(multipart: Multipart) -> Result<((String, Vec<u8>), bool), String> {
    let (file, flags) = read_upload_flags(multipart).await?;
    Ok((file, flags.iter().any(|f| f == "verifier")))
}

/// The upload's file (field `fichier`: its name and bytes) and the names of the other fields
/// sent (its ticked check boxes: `verifier`, `forcer`…).
pub(crate) async fn read_upload_flags(
    mut multipart: Multipart,
) -> Result<((String, Vec<u8>), Vec<String>), String> {
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut flags = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("fichier") => {
                    let name: String = field
                        .file_name()
                        .unwrap_or("fichier")
                        .chars()
                        .take(200)
                        .collect();
                    match field.bytes().await {
                        Ok(b) => file = Some((name, b.to_vec())),
                        Err(e) => return Err(format!("envoi interrompu ou trop volumineux : {e}")),
                    }
                }
                Some(other) if flags.len() < 16 => flags.push(other.chars().take(40).collect()),
                _ => {}
            },
            Ok(None) => break,
            Err(e) => return Err(format!("envoi interrompu ou trop volumineux : {e}")),
        }
    }
    match file.filter(|(_, b)| !b.is_empty()) {
        Some(f) => Ok((f, flags)),
        None => Err("Choisissez un fichier CSV ou XLSX à importer.".into()),
    }
}

#[derive(Template)]
#[template(path = "land/report.html")]
struct ReportPage {
    chrome: Chrome,
    report: Report,
}

async fn build_report(s: &AppState, a: &Authed) -> Result<Report, PageError> {
    a.require(Permission::ReadReports)?;
    let state = s.clone();
    let principal = a.principal.clone();
    blocking(move || {
        logis_app::land::report(state.store.as_ref(), &principal, None).map_err(crate::app_to_store)
    })
    .await
}

pub(crate) async fn report(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    let report = build_report(&s, &a).await?;
    Ok(render(&ReportPage {
        chrome: a.chrome("foncier"),
        report,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ExportQuery {
    format: Option<String>,
}

impl ExportQuery {
    pub(crate) fn of(format: Option<String>) -> Self {
        ExportQuery { format }
    }
    /// Whether a format was asked for (a download rather than the page).
    pub(crate) fn asked(&self) -> bool {
        self.format.is_some()
    }
}

/// Whether a download asks for XLSX (`?format=xlsx`) rather than CSV.
pub(crate) fn xlsx_asked(q: &ExportQuery) -> Result<bool, PageError> {
    match q.format.as_deref().unwrap_or("csv") {
        "csv" => Ok(false),
        "xlsx" => Ok(true),
        other => Err(PageError {
            status: StatusCode::BAD_REQUEST,
            message: format!("format inconnu « {other} » (csv ou xlsx)"),
        }),
    }
}

/// `report` as a download named `name`: its long table in CSV, or the workbook.
pub(crate) fn download(report: &Report, xlsx: bool, name: &str) -> Result<Response, PageError> {
    let bytes = if xlsx {
        logis_io::report::write_xlsx(report)
    } else {
        logis_io::report::write_csv(report, Vec::new())
    }
    .map_err(|e| PageError::from(logis_store::StoreError::Backend(e.to_string())))?;
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
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub(crate) async fn report_export(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let xlsx = xlsx_asked(&q)?;
    let report = build_report(&s, &a).await?;
    download(&report, xlsx, "logis-foncier")
}
