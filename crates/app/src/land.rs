//! The land bank's use cases: import a land file (every row checked, nothing written when one is
//! wrong), the EPCI's decisions (propose, allocate, withdraw, abandon), landlords' interests,
//! the operations built on a site, what each role sees, and the land report.

pub mod tenders;

use crate::{AppError, Result};
use chrono::NaiveDate;
use logis_domain::land::{SiteContext, SiteRow, SiteStatus};
use logis_domain::numbers::{format_date_fr, group_thousands, parse_date, parse_integer};
use logis_domain::register::line::OrgIndex;
use logis_domain::text::name_key;
use logis_domain::{OrgKind, Permission, Principal};
use logis_io::RowSource;
use logis_io::read::HeaderMap;
use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
use logis_store::land::{LandImportStats, NewInterest, SiteRecord};
use logis_store::{Actor, LineFilter, RowProblem, Store};
use serde::Serialize;

/// The result of a land bank import, whether it wrote or not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LandImportReport {
    pub problems: Vec<RowProblem>,
    pub stats: LandImportStats,
    pub committed: bool,
    pub ignored_columns: Vec<String>,
    pub blank_rows: u64,
}

impl LandImportReport {
    pub fn has_errors(&self) -> bool {
        !self.problems.is_empty()
    }
}

fn invalid(s: impl Into<String>) -> AppError {
    AppError::Invalid(s.into())
}

/// The partnership's landlords, by name and SIREN.
pub(crate) fn landlords(store: &dyn Store) -> Result<(Vec<logis_store::Organisation>, OrgIndex)> {
    let orgs: Vec<_> = store
        .organisations()?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Landlord)
        .collect();
    let index = OrgIndex::new(
        orgs.iter()
            .map(|o| (o.id, o.name.as_str(), o.siren.as_ref().map(|s| s.as_str()))),
    );
    Ok((orgs, index))
}

/// Import a land file (`foncier, commune, parcelles, …`): every row is checked; when one is
/// wrong, every problem is reported with its row and column and nothing is written; else the
/// sites are created or updated in one transaction (`commit` false: check only).
pub fn import_sites(
    store: &dyn Store,
    actor: &Actor,
    mut source: Box<dyn RowSource>,
    commit: bool,
) -> Result<LandImportReport> {
    let (geo, territory) = crate::reference::geography(store)?;
    let (_, index) = landlords(store)?;
    let mut report = LandImportReport::default();
    let header = match HeaderMap::of(source.header(), &logis_io::read::SITES) {
        Ok(h) => h,
        Err(problems) => {
            report.problems = crate::header_refusal(problems);
            return Ok(report);
        }
    };
    report.ignored_columns = header.ignored.clone();
    let ctx = SiteContext {
        geography: &geo,
        territory: territory.as_ref(),
        landlords: &index,
    };
    let mut drafts = Vec::new();
    while let Some(row) = source.next_row() {
        let row = row?;
        if row.is_blank() {
            report.blank_rows += 1;
            continue;
        }
        let mut raw = SiteRow::default();
        for (column, value) in header.cells(&row) {
            raw.set(column, value);
        }
        match raw.parse(&ctx) {
            Ok(d) => drafts.push((row.row, d)),
            Err(errors) => report
                .problems
                .extend(errors.into_iter().map(|e| RowProblem {
                    row: row.row,
                    column: e.column.to_string(),
                    message: e.message,
                })),
        }
    }
    if !report.problems.is_empty() {
        return Ok(report);
    }
    if drafts.is_empty() {
        report.problems.push(RowProblem {
            row: 2,
            column: String::new(),
            message: "le fichier ne contient aucun foncier".into(),
        });
        return Ok(report);
    }
    if !commit {
        return Ok(report);
    }
    let outcome = store.import_sites(actor, &drafts)?;
    report.problems = outcome.problems;
    report.stats = outcome.stats;
    report.committed = outcome.committed;
    Ok(report)
}

/// The sites `principal` sees: the EPCI every one, the partners those proposed to the
/// partnership (and after).
pub fn visible_sites(store: &dyn Store, principal: &Principal) -> Result<Vec<SiteRecord>> {
    if !principal.may(Permission::ReadLand) {
        return Err(invalid(
            "la banque foncière n'est pas ouverte à votre rôle (rapports agrégés seulement)",
        ));
    }
    let every = principal.sees_every_site();
    Ok(store
        .sites()?
        .into_iter()
        .filter(|s| every || s.proposed())
        .collect())
}

/// One site `principal` sees, by id (`None`: unknown or not shown to it, alike).
pub fn visible_site(
    store: &dyn Store,
    principal: &Principal,
    id: i64,
) -> Result<Option<SiteRecord>> {
    if !principal.may(Permission::ReadLand) {
        return Ok(None);
    }
    Ok(store
        .site(id)?
        .filter(|s| principal.sees_every_site() || s.proposed()))
}

/// The site a user names by its reference.
pub fn site_named(store: &dyn Store, reference: &str) -> Result<i64> {
    store.site_id(reference)?.ok_or_else(|| {
        invalid(format!(
            "foncier inconnu « {} » (donnez son identifiant, par exemple CUD-F-001)",
            reference.trim()
        ))
    })
}

/// The landlord a user names (by name or SIREN), or the French refusal with suggestions.
pub fn landlord_named(store: &dyn Store, text: &str) -> Result<i64> {
    let (_, index) = landlords(store)?;
    if let Some(id) = index.find(text) {
        return Ok(id);
    }
    if let Some(o) = store
        .organisations()?
        .into_iter()
        .find(|o| name_key(&o.name) == name_key(text))
    {
        return Err(invalid(logis_store::land::messages::not_a_landlord(
            &o.name,
        )));
    }
    let s = index.suggestions(text);
    let hint = if s.is_empty() {
        String::new()
    } else {
        format!(" (bailleurs proches : {})", s.join(", "))
    };
    Err(invalid(format!(
        "bailleur inconnu « {} »{hint}",
        text.trim()
    )))
}

/// A decision's date as a user types it (empty: today).
pub fn date_or_today(text: &str) -> Result<NaiveDate> {
    if text.trim().is_empty() {
        return Ok(chrono::Local::now().date_naive());
    }
    parse_date(text).ok_or_else(|| {
        invalid(format!(
            "date illisible « {} » (attendu : jj/mm/aaaa)",
            text.trim()
        ))
    })
}

/// A decision of the EPCI on a site, as typed on the page or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Move to a step no allocation changes (proposed, sold, abandoned…).
    Status(SiteStatus),
    /// Allocate to this landlord (name or SIREN).
    Allocate(String),
    Withdraw,
}

/// Apply `decision` to the site `id`, dated `date` (empty: today), with its reason.
pub fn decide(
    store: &dyn Store,
    actor: &Actor,
    id: i64,
    decision: &Decision,
    date: &str,
    reason: &str,
) -> Result<()> {
    let date = date_or_today(date)?;
    let reason = check_text("motif", reason)?;
    match decision {
        Decision::Status(s) => store.set_site_status(actor, id, *s, date, &reason)?,
        Decision::Allocate(landlord) => {
            let landlord = landlord_named(store, landlord)?;
            store.allocate_site(actor, id, landlord, date, &reason)?
        }
        Decision::Withdraw => store.withdraw_site(actor, id, date, &reason)?,
    }
    Ok(())
}

fn check_text(what: &str, text: &str) -> Result<String> {
    let t = text.trim();
    if t.chars().count() > logis_domain::register::line::MAX_TEXT {
        return Err(invalid(format!(
            "{what} trop long ({} caractères au plus)",
            logis_domain::register::line::MAX_TEXT
        )));
    }
    Ok(t.to_string())
}

/// A landlord's interest as typed: dwellings (optional), products, remark.
pub fn express_interest(
    store: &dyn Store,
    actor: &Actor,
    id: i64,
    landlord_id: i64,
    dwellings: &str,
    products: &str,
    note: &str,
) -> Result<()> {
    let dwellings = match dwellings.trim() {
        "" => None,
        d => Some(
            parse_integer(d)
                .filter(|n| *n >= 0)
                .map(|n| n as u64)
                .ok_or_else(|| {
                    invalid(format!(
                        "logements : « {d} » n'est pas un nombre entier positif ou nul"
                    ))
                })?,
        ),
    };
    let interest = NewInterest {
        dwellings,
        products: check_text("produits", products)?,
        note: check_text("remarque", note)?,
    };
    store.express_interest(
        actor,
        id,
        landlord_id,
        chrono::Local::now().date_naive(),
        &interest,
    )?;
    Ok(())
}

/// Rattach the operation `reference` of the site's holder to the site.
pub fn link_operation(store: &dyn Store, actor: &Actor, id: i64, reference: &str) -> Result<()> {
    let site = store
        .site(id)?
        .ok_or_else(|| invalid("foncier introuvable"))?;
    let holder = site.holder.as_ref().ok_or_else(|| {
        invalid(logis_store::land::messages::not_held(
            &site.reference,
            SiteStatus::Launched,
        ))
    })?;
    let op = store
        .operation_id(holder.landlord_id, reference.trim())?
        .ok_or_else(|| {
            invalid(format!(
                "{} n'a pas d'opération « {} » au registre",
                holder.landlord,
                reference.trim()
            ))
        })?;
    store.link_operation(actor, id, op, chrono::Local::now().date_naive())?;
    Ok(())
}

/// The median of `days` (`None` when empty); the mean of the two middle values when even.
pub fn median(days: &mut [i64]) -> Option<i64> {
    days.sort_unstable();
    let n = days.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => days.get(n / 2).copied(),
        _ => Some((days.get(n / 2 - 1)? + days.get(n / 2)?) / 2),
    }
}

/// The statuses as the report's columns show them, in the order of a site's life.
const STATUSES: [SiteStatus; 7] = [
    SiteStatus::Identified,
    SiteStatus::Proposed,
    SiteStatus::Interests,
    SiteStatus::Allocated,
    SiteStatus::Sold,
    SiteStatus::Launched,
    SiteStatus::Abandoned,
];

/// The programme whose remaining target the land is compared with: the one named, else the
/// first programme with a production target.
fn programme_target(
    store: &dyn Store,
    programme: Option<i64>,
) -> Result<Option<(String, u64, u64)>> {
    let programmes = store.programmes()?;
    for p in programmes
        .iter()
        .filter(|p| programme.is_none_or(|id| id == p.id))
    {
        let Some(t) = store.targets(p.id)? else {
            continue;
        };
        let (logis_domain::register::targets::TargetScope::Production, Some(total)) =
            (t.scope, t.total)
        else {
            continue;
        };
        let filter = LineFilter {
            programme_id: Some(p.id),
            natures: t.scope.natures(),
            ..Default::default()
        };
        // What is built or being built: works started, delivered or closed.
        let started: u64 = store
            .aggregate(&filter, &[logis_store::query::Dim::Stage])?
            .iter()
            .filter(|r| {
                matches!(
                    logis_domain::Stage::from_code(r.key(0)),
                    Some(
                        logis_domain::Stage::WorksStarted
                            | logis_domain::Stage::Delivered
                            | logis_domain::Stage::Closed
                    )
                )
            })
            .map(|r| r.dwellings.max(0) as u64)
            .sum();
        return Ok(Some((p.name.clone(), total, started)));
    }
    Ok(None)
}

/// The land report: sites and capacity per commune and status; the capacity allocated against
/// the programme's remaining target; the median days from identification to allocation and
/// from allocation to the first operation's works. `principal` decides which sites count (the
/// EPCI's only identified sites count for the EPCI only).
pub fn report(store: &dyn Store, principal: &Principal, programme: Option<i64>) -> Result<Report> {
    let every = principal.sees_every_site();
    let sites: Vec<SiteRecord> = store
        .sites()?
        .into_iter()
        .filter(|s| every || s.proposed())
        .collect();
    build_report(store, &sites, every, programme)
}

fn build_report(
    store: &dyn Store,
    sites: &[SiteRecord],
    every: bool,
    programme: Option<i64>,
) -> Result<Report> {
    use std::collections::BTreeMap;
    // (commune name, code) → status → (sites, capacity, social capacity, area)
    type Sums = [(i64, i64, i64, i64); 7];
    let mut by_commune: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut without_capacity = 0u64;
    for s in sites {
        let at = STATUSES.iter().position(|x| *x == s.status).unwrap_or(0);
        let e = by_commune
            .entry((s.commune_name.clone(), s.commune.as_str().to_string()))
            .or_default();
        if let Some(slot) = e.get_mut(at) {
            let cap = s.capacity.unwrap_or(0) as i64;
            slot.0 += 1;
            slot.1 += cap;
            slot.2 += s
                .social_percent
                .map(|p| (cap * i64::from(p) + 50) / 100)
                .unwrap_or(0);
            slot.3 += s.area_m2.unwrap_or(0) as i64;
        }
        if s.capacity.is_none() {
            without_capacity += 1;
        }
    }
    let mut long_rows = Vec::new();
    let mut rows = Vec::new();
    let mut total: Sums = Default::default();
    for ((name, code), sums) in &by_commune {
        for (status, (n, cap, social, area)) in STATUSES.iter().zip(sums) {
            if *n == 0 {
                continue;
            }
            long_rows.push(vec![
                Cell::text(code.clone()),
                Cell::text(name.clone()),
                Cell::text(status.code()),
                Cell::Int(*n),
                Cell::Int(*cap),
                Cell::Int(*social),
                Cell::Int(*area),
            ]);
        }
        rows.push(grid_row(RowKind::Detail, name, sums));
        for (t, s) in total.iter_mut().zip(sums) {
            t.0 += s.0;
            t.1 += s.1;
            t.2 += s.2;
            t.3 += s.3;
        }
    }
    rows.push(grid_row(RowKind::Total, "Total", &total));
    let mut header = vec![
        "Commune".to_string(),
        "Fonciers".into(),
        "Capacité (logements)".into(),
        "dont sociaux".into(),
    ];
    header.extend(STATUSES.iter().map(|s| s.label().to_string()));
    let mut notes = Vec::new();
    notes.push(
        "Les colonnes par statut donnent la capacité estimée (logements) des fonciers à ce statut aujourd'hui ; « dont sociaux » applique à chaque foncier sa part sociale prévue.".to_string(),
    );
    if !every {
        notes.push("Les fonciers seulement identifiés par l'EPCI, pas encore proposés aux bailleurs, ne sont pas comptés ici.".into());
    }
    if without_capacity > 0 {
        notes.push(format!(
            "{} foncier(s) sans capacité estimée : comptés dans « Fonciers », pas dans les logements.",
            group_thousands(without_capacity as i64)
        ));
    }
    // Allocated land not yet built on, against what is left of the programme's target.
    let held: i64 = sites
        .iter()
        .filter(|s| matches!(s.status, SiteStatus::Allocated | SiteStatus::Sold))
        .map(|s| s.capacity.unwrap_or(0) as i64)
        .sum();
    match programme_target(store, programme)? {
        Some((name, target, started)) => {
            let left = target.saturating_sub(started);
            let cover = logis_domain::numbers::percent_fr(held.max(0) as u64, left)
                .map(|p| format!(" : le foncier attribué en couvre {p}"))
                .unwrap_or_default();
            notes.push(format!(
                "Foncier attribué ou cédé, pas encore construit : {} logements. Objectif « {name} » : {} logements, dont {} en travaux ou livrés au registre ; reste à lancer {}{cover}.",
                group_thousands(held),
                group_thousands(target as i64),
                group_thousands(started as i64),
                group_thousands(left as i64),
            ));
        }
        None => notes.push(format!(
            "Foncier attribué ou cédé, pas encore construit : {} logements (aucun programme n'a d'objectif de production à comparer : logis objectifs).",
            group_thousands(held)
        )),
    }
    let mut to_allocation: Vec<i64> = sites
        .iter()
        .filter_map(|s| {
            s.first_allocated_on
                .map(|a| (a - s.identified_on).num_days().max(0))
        })
        .collect();
    let mut to_works: Vec<i64> = sites
        .iter()
        .filter_map(|s| match (s.first_allocated_on, s.first_works_on) {
            (Some(a), Some(w)) => Some((w - a).num_days().max(0)),
            _ => None,
        })
        .collect();
    let (n_alloc, n_works) = (to_allocation.len(), to_works.len());
    notes.push(match median(&mut to_allocation) {
        Some(d) => format!(
            "Délai médian de l'identification à l'attribution : {} jours ({n_alloc} foncier(s) attribué(s)).",
            group_thousands(d)
        ),
        None => "Délai de l'identification à l'attribution : aucun foncier attribué.".into(),
    });
    notes.push(match median(&mut to_works) {
        Some(d) => format!(
            "Délai médian de l'attribution au démarrage des travaux de la première opération : {} jours ({n_works} foncier(s)).",
            group_thousands(d)
        ),
        None => "Délai de l'attribution au démarrage des travaux : aucune opération démarrée sur un foncier attribué.".into(),
    });
    let delivered: u64 = sites.iter().map(|s| s.delivered).sum();
    let built: u64 = sites.iter().map(|s| s.dwellings).sum();
    notes.push(format!(
        "Logements des opérations rattachées aux fonciers : {}, dont {} livrés.",
        group_thousands(built as i64),
        group_thousands(delivered as i64)
    ));
    Ok(Report {
        name: "foncier",
        title: "Banque foncière : fonciers et capacité par commune et statut".into(),
        scope: if every {
            "tous les fonciers".into()
        } else {
            "fonciers proposés aux bailleurs".into()
        },
        notes,
        long_columns: vec![
            "code_commune",
            "commune",
            "statut",
            "fonciers",
            "capacite_logements",
            "logements_sociaux",
            "surface_m2",
        ],
        long_rows,
        grid: Grid {
            groups: Vec::new(),
            header,
            row_header_columns: 1,
            rows,
        },
    })
}

fn grid_row(kind: RowKind, name: &str, sums: &[(i64, i64, i64, i64); 7]) -> GridRow {
    let n: i64 = sums.iter().map(|s| s.0).sum();
    let cap: i64 = sums.iter().map(|s| s.1).sum();
    let social: i64 = sums.iter().map(|s| s.2).sum();
    let mut cells = vec![
        Cell::text(name),
        Cell::Int(n),
        Cell::Int(cap),
        Cell::Int(social),
    ];
    cells.extend(sums.iter().map(|s| {
        if s.0 == 0 {
            Cell::Empty
        } else {
            Cell::Int(s.1)
        }
    }));
    GridRow { kind, cells }
}

/// A date in French, for pages and messages.
pub fn date_fr(d: NaiveDate) -> String {
    format_date_fr(d)
}
