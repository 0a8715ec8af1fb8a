//! Proximity management from the pages: a report entered on a form (with its photos), who reads
//! which report, an assignment's steps, a report given to another partner (its deadline never in
//! the past), committees, conciergeries, and the seed's indicator.

use crate::{AppError, Result};
use chrono::NaiveDate;
use logis_domain::proximity::{AssignmentStatus, Cells, MAX_PHOTOS, parse_report, photo_kind};
use logis_domain::register::vocab::OrgKind;
use logis_domain::{Permission, Principal};
use logis_store::proximity::ReportRecord;
use logis_store::{Actor, ProximityRecords, Store};

/// A report as the form gives it (every field as typed).
#[derive(Debug, Clone, Default)]
pub struct ReportForm {
    pub site: String,
    pub theme: String,
    pub date: String,
    pub description: String,
    pub address: String,
    /// WGS84 longitude and latitude, optional (both or neither).
    pub lon: String,
    pub lat: String,
}

/// Problems of a form, each next to its field (the field's name, the French message).
pub type FieldProblems = Vec<(&'static str, String)>;

/// The organisations that may hold a theme or be given a report: the EPCI, communes,
/// landlords, conciergeries; (id, name) by name.
pub fn partners(store: &dyn Store) -> Result<Vec<(i64, String)>> {
    let mut out: Vec<(i64, String)> = store
        .organisations()?
        .into_iter()
        .filter(|o| {
            matches!(
                o.kind,
                OrgKind::Epci | OrgKind::Commune | OrgKind::Landlord | OrgKind::Conciergerie
            )
        })
        .map(|o| (o.id, o.name))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// A point typed on the form, in millionths of a degree; `Err`: the French refusal.
fn point(lon: &str, lat: &str) -> std::result::Result<Option<(i64, i64)>, (&'static str, String)> {
    let (lon, lat) = (lon.trim(), lat.trim());
    if lon.is_empty() && lat.is_empty() {
        return Ok(None);
    }
    let read = |field: &'static str, v: &str, min: f64, max: f64| {
        match logis_domain::numbers::parse_decimal(v) {
            Some(x) if (min..=max).contains(&x) => Ok((x * 1e6).round() as i64),
            _ => Err((
                field,
                format!(
                    "« {v} » : en degrés WGS84 entre {min} et {max} (France métropolitaine), par exemple {}",
                    if field == "lon" { "2,3770" } else { "51,0343" }
                ),
            )),
        }
    };
    if lon.is_empty() || lat.is_empty() {
        return Err((
            if lon.is_empty() { "lon" } else { "lat" },
            "donnez la longitude et la latitude, ou aucune des deux".into(),
        ));
    }
    Ok(Some((
        read("lon", lon, -5.5, 10.0)?,
        read("lat", lat, 41.0, 51.5)?,
    )))
}

/// Record a report made by `organisation` on the form, routed on arrival to the partner its
/// site's table names for its theme; its id, or every problem next to its field (nothing
/// written). The date may not be after `today` (empty: today).
pub fn new_report(
    store: &dyn Store,
    actor: &Actor,
    organisation: i64,
    form: &ReportForm,
    photos: &[Vec<u8>],
    today: NaiveDate,
) -> Result<std::result::Result<i64, FieldProblems>> {
    let orgs = store.organisations()?;
    let Some(org) = orgs.iter().find(|o| o.id == organisation) else {
        return Err(AppError::Invalid("organisation inconnue".into()));
    };
    let index = logis_domain::register::line::OrgIndex::new([(org.id, org.name.as_str(), None)]);
    let date = if form.date.trim().is_empty() {
        today.format("%d/%m/%Y").to_string()
    } else {
        form.date.clone()
    };
    let mut cells = Cells::default();
    cells.set("signalement", Some("(formulaire)"));
    cells.set("site", Some(&form.site));
    cells.set("theme", Some(&form.theme));
    cells.set("date", Some(&date));
    cells.set("description", Some(&form.description));
    cells.set("organisation", Some(&org.name));
    cells.set("adresse", Some(&form.address));
    let mut problems: FieldProblems = Vec::new();
    let draft = match parse_report(&cells, &index) {
        Ok(mut d) => {
            d.reference = String::new();
            if d.date > today {
                problems.push((
                    "date",
                    format!(
                        "le {} est à venir : un signalement constate ce qui est arrivé",
                        logis_domain::numbers::format_date_fr(d.date)
                    ),
                ));
            }
            Some(d)
        }
        Err(errors) => {
            problems.extend(errors.into_iter().map(|e| (e.column, e.message)));
            None
        }
    };
    let at = match point(&form.lon, &form.lat) {
        Ok(p) => p,
        Err(p) => {
            problems.push(p);
            None
        }
    };
    if photos.len() > MAX_PHOTOS {
        problems.push((
            "photos",
            format!(
                "{} photos : {MAX_PHOTOS} au plus par signalement",
                photos.len()
            ),
        ));
    }
    let mut kept = Vec::new();
    for (i, p) in photos.iter().enumerate() {
        match photo_kind(p) {
            Ok(kind) => kept.push((kind.content_type(), p.clone())),
            Err(e) => problems.push(("photos", format!("photo n° {} : {e}", i + 1))),
        }
    }
    let Some(draft) = draft.filter(|_| problems.is_empty()) else {
        return Ok(Err(problems));
    };
    Ok(store
        .report_one(actor, &draft, at, &kept)?
        .map_err(|p| vec![p]))
}

/// Whether `principal` reads report `r`: the EPCI every one, an organisation those it made or
/// was given.
pub fn may_read(principal: &Principal, r: &ReportRecord) -> bool {
    principal.may(Permission::ReadProximity)
        && (principal.sees_every_report()
            || principal.organisation_id.is_some_and(|o| {
                o == r.organisation_id || r.assignments.iter().any(|a| a.partner_id == o)
            }))
}

/// Report `id` if `principal` reads it (`None`: unknown, or not its to read).
pub fn visible_report(
    store: &dyn Store,
    principal: &Principal,
    id: i64,
) -> Result<Option<ReportRecord>> {
    Ok(store.report(id)?.filter(|r| may_read(principal, r)))
}

/// The reasons a partner gives to refuse an assignment; the first gives the report to another.
pub const REFUSALS: &[&str] = &[
    "hors de notre compétence",
    "doublon d'un autre signalement",
    "dysfonctionnement non constaté sur place",
];
/// The reasons a partner gives to close an assignment.
pub const CLOSURES: &[&str] = &[
    "traité",
    "intervention programmée",
    "doublon d'un autre signalement",
    "non reproductible",
];

/// `principal`'s organisation moves its assignment `assignment` of report `report` to `status`
/// on `date`, with its reason (`motif` from the lists above, `detail` free); a refusal « hors de
/// notre compétence » gives the report to `reroute` when named. Checked before anything is
/// written.
#[allow(clippy::too_many_arguments)]
pub fn step(
    store: &dyn Store,
    actor: &Actor,
    principal: &Principal,
    report: i64,
    assignment: i64,
    status: &str,
    motif: &str,
    detail: &str,
    reroute: Option<i64>,
    date: NaiveDate,
) -> Result<()> {
    let Some(org) = principal
        .organisation_id
        .filter(|_| principal.may(Permission::ActOnProximity))
    else {
        return Err(AppError::Invalid(
            "votre rôle ne permet pas cette action".into(),
        ));
    };
    let status = AssignmentStatus::parse(status).map_err(|e| AppError::Invalid(e.0))?;
    let (motif, detail) = (motif.trim(), detail.trim());
    let reason = match (motif.is_empty(), detail.is_empty()) {
        (true, _) => detail.to_string(),
        (false, true) => motif.to_string(),
        (false, false) => format!("{motif} : {detail}"),
    };
    let out_of_competence = status == AssignmentStatus::Refused && motif == REFUSALS[0];
    if let Some(to) = reroute.filter(|_| out_of_competence) {
        let r = store
            .report(report)?
            .ok_or_else(|| logis_store::StoreError::NotFound("signalement introuvable".into()))?;
        if !r.assignments.iter().any(|a| a.id == assignment) {
            return Err(logis_store::StoreError::NotFound("signalement introuvable".into()).into());
        }
        if to == org || r.assignments.iter().any(|a| a.partner_id == to) {
            return Err(AppError::Invalid(
                "ce partenaire a déjà reçu ce signalement : choisissez-en un autre, ou aucun (l'EPCI le réattribuera)".into(),
            ));
        }
        if !partners(store)?.iter().any(|(id, _)| *id == to) {
            return Err(AppError::Invalid("partenaire inconnu".into()));
        }
    }
    store.set_assignment(actor, assignment, org, status, &reason, date)?;
    if let Some(to) = reroute.filter(|_| out_of_competence) {
        store.assign(actor, report, to, date)?;
    }
    Ok(())
}

/// Give report `report` to `partner` too (shared), due on `due` when typed (never in the past:
/// `today` or later), by the EPCI or a partner already given it.
pub fn share(
    store: &dyn Store,
    actor: &Actor,
    principal: &Principal,
    report: i64,
    partner: Option<i64>,
    due: &str,
    today: NaiveDate,
) -> Result<()> {
    let Some(r) = visible_report(store, principal, report)? else {
        return Err(logis_store::StoreError::NotFound("signalement introuvable".into()).into());
    };
    let given = principal
        .organisation_id
        .is_some_and(|o| r.assignments.iter().any(|a| a.partner_id == o));
    if !(principal.may(Permission::ManageProximity)
        || (principal.may(Permission::ActOnProximity) && given))
    {
        return Err(AppError::Invalid(
            "seuls l'EPCI et les partenaires qui ont reçu ce signalement peuvent le partager"
                .into(),
        ));
    }
    let Some(partner) =
        partner.filter(|p| partners(store).is_ok_and(|ps| ps.iter().any(|(id, _)| id == p)))
    else {
        return Err(AppError::Invalid(
            "choisissez le partenaire à qui confier ce signalement".into(),
        ));
    };
    let due = match due.trim() {
        "" => None,
        t => match logis_domain::numbers::parse_date(t) {
            None => {
                return Err(AppError::Invalid(format!(
                    "échéance illisible « {t} » (attendu : jj/mm/aaaa)"
                )));
            }
            Some(d) if d < today => {
                return Err(AppError::Invalid(format!(
                    "l'échéance du {} est passée : choisissez aujourd'hui ou une date à venir",
                    logis_domain::numbers::format_date_fr(d)
                )));
            }
            Some(d) => Some(d),
        },
    };
    Ok(store.assign_until(actor, report, partner, today, due)?)
}

/// Record a committee of site `site` on the date typed (empty: today; not after `today`).
pub fn add_committee(
    store: &dyn Store,
    actor: &Actor,
    site: i64,
    date: &str,
    note: &str,
    today: NaiveDate,
) -> Result<()> {
    let date = match date.trim() {
        "" => today,
        t => logis_domain::numbers::parse_date(t).ok_or_else(|| {
            AppError::Invalid(format!("date illisible « {t} » (attendu : jj/mm/aaaa)"))
        })?,
    };
    if date > today {
        return Err(AppError::Invalid(
            "un comité s'enregistre une fois tenu : sa date ne peut pas être à venir".into(),
        ));
    }
    if note.chars().count() > 2000 {
        return Err(AppError::Invalid(
            "compte rendu trop long (2 000 caractères au plus)".into(),
        ));
    }
    Ok(store.add_committee(actor, site, date, note)?)
}

/// The seed's indicator for `year`: the sites where the approach is real (a committee held in
/// the year and at least one assignment closed in it), and the sites in all.
pub fn sites_where_real(store: &dyn Store, year: i32) -> Result<(Vec<String>, usize)> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Err(AppError::Invalid(format!("année invalide {year}")));
    };
    let (real, all) = store.sites_where_real(from, to)?;
    Ok((real, all as usize))
}

/// Say that `conciergerie` covers `site` (both must exist, the first a conciergerie).
pub fn cover_site(store: &dyn Store, actor: &Actor, conciergerie: i64, site: i64) -> Result<()> {
    check_conciergerie(store, conciergerie)?;
    if !store.proximity_sites()?.iter().any(|s| s.id == site) {
        return Err(AppError::Invalid("choisissez un site de la liste".into()));
    }
    Ok(store.cover_site(actor, conciergerie, site)?)
}

fn check_conciergerie(store: &dyn Store, id: i64) -> Result<()> {
    if store.conciergeries()?.iter().any(|c| c.id == id) {
        Ok(())
    } else {
        Err(AppError::Invalid(
            "choisissez une conciergerie de la liste".into(),
        ))
    }
}

/// Set the share a partner pays of a conciergerie's cost in a year (amount in euros as typed).
pub fn set_cost_share(
    store: &dyn Store,
    actor: &Actor,
    conciergerie: i64,
    year: &str,
    partner: Option<i64>,
    amount: &str,
) -> Result<()> {
    check_conciergerie(store, conciergerie)?;
    let year = logis_domain::numbers::parse_integer(year)
        .ok_or_else(|| AppError::Invalid(format!("année illisible « {} »", year.trim())))
        .and_then(|y| logis_domain::Year::new(y).map_err(|e| AppError::Invalid(e.0)))?;
    let Some(partner) =
        partner.filter(|p| partners(store).is_ok_and(|ps| ps.iter().any(|(id, _)| id == p)))
    else {
        return Err(AppError::Invalid(
            "choisissez le partenaire qui participe".into(),
        ));
    };
    let cents = logis_domain::numbers::parse_amount_cents(amount)
        .filter(|c| *c >= 0)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "montant illisible « {} » (en euros, positif : 12 000 ou 12000,50)",
                amount.trim()
            ))
        })?;
    Ok(store.set_cost_share(actor, conciergerie, year.get() as i32, partner, cents)?)
}

/// A new site's competence table as seed 003 splits it: the EPCI for waste, roads and ownership,
/// the site's commune for green spaces, lighting, facilities and safety, `landlord` for its
/// buildings and lifts — each with its theme's default deadline. Recorded through the same
/// import as a file (same checks and messages); the rows, or the French refusal.
pub fn create_site(
    store: &dyn Store,
    actor: &Actor,
    site: &str,
    commune: &str,
    quartier: &str,
    landlord: Option<i64>,
) -> Result<logis_store::proximity::ProximityImportOutcome> {
    use logis_domain::proximity::Theme;
    let (site, commune) = (site.trim(), commune.trim());
    if site.is_empty() || commune.is_empty() {
        return Err(AppError::Invalid(
            "donnez le nom du site et sa commune".into(),
        ));
    }
    if store
        .proximity_sites()?
        .iter()
        .any(|s| logis_domain::text::name_key(&s.name) == logis_domain::text::name_key(site))
    {
        return Err(AppError::Invalid(format!(
            "le site « {site} » existe déjà : changez sa table sur sa page"
        )));
    }
    let geo = store.geography()?;
    let territory = crate::reference::territory(store)?;
    let code = geo
        .resolve(commune, territory.as_ref())
        .map_err(|e| AppError::Invalid(format!("commune : {e}")))?
        .code
        .clone();
    let orgs = store.organisations()?;
    let epci = orgs
        .iter()
        .find(|o| o.kind == OrgKind::Epci)
        .ok_or_else(|| {
            AppError::Invalid("aucune organisation de type EPCI : créez-la d'abord".into())
        })?;
    let city = orgs
        .iter()
        .find(|o| o.kind == OrgKind::Commune && o.commune.as_ref() == Some(&code))
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "aucune organisation pour la commune {} : créez-la (logis org add --kind commune --commune {}) ou importez une table de compétences qui nomme un autre partenaire",
                code.as_str(),
                code.as_str()
            ))
        })?;
    let landlord = landlord
        .and_then(|id| {
            orgs.iter()
                .find(|o| o.id == id && o.kind == OrgKind::Landlord)
        })
        .ok_or_else(|| AppError::Invalid("choisissez le bailleur des bâtiments du site".into()))?;
    let header: Vec<String> = ["site", "commune", "quartier", "theme", "partenaire"]
        .map(String::from)
        .to_vec();
    let rows = Theme::ALL
        .iter()
        .map(|t| {
            let holder = match t.default_holder() {
                OrgKind::Epci => &epci.name,
                OrgKind::Commune => &city.name,
                _ => &landlord.name,
            };
            vec![
                site.to_string(),
                code.as_str().to_string(),
                quartier.trim().to_string(),
                t.code().to_string(),
                holder.clone(),
            ]
        })
        .collect();
    let src = Box::new(logis_io::read::MemorySource::new(header, rows));
    crate::proximity::import_competences(store, actor, src, true)
}

/// Change who answers for `theme` on site `site` (and its deadline in days; empty: the theme's
/// default), through the same import as a file.
pub fn set_competence(
    store: &dyn Store,
    actor: &Actor,
    site: i64,
    theme: &str,
    partner: Option<i64>,
    deadline: &str,
) -> Result<logis_store::proximity::ProximityImportOutcome> {
    let Some(s) = store.proximity_sites()?.into_iter().find(|s| s.id == site) else {
        return Err(logis_store::StoreError::NotFound("site introuvable".into()).into());
    };
    let Some(partner) = partner.and_then(|p| {
        partners(store)
            .ok()
            .and_then(|ps| ps.into_iter().find(|(id, _)| *id == p))
    }) else {
        return Err(AppError::Invalid(
            "choisissez le partenaire responsable".into(),
        ));
    };
    let code = s.commune_code.clone();
    let header: Vec<String> = [
        "site",
        "commune",
        "quartier",
        "theme",
        "partenaire",
        "delai_jours",
    ]
    .map(String::from)
    .to_vec();
    let row = vec![
        s.name.clone(),
        code,
        s.quartier.clone(),
        theme.to_string(),
        partner.1,
        deadline.trim().to_string(),
    ];
    let src = Box::new(logis_io::read::MemorySource::new(header, vec![row]));
    crate::proximity::import_competences(store, actor, src, true)
}
