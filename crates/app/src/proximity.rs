//! Proximity management's use cases (issue 17, first part): import a site competence table and
//! reports of dysfunctions (every row checked; nothing written when one is wrong; reports routed
//! on arrival), and the committees' report.

pub mod forms;

use crate::{AppError, Result};
use logis_domain::proximity::{Cells, committee, parse_competence, parse_report};
use logis_domain::register::line::OrgIndex;
use logis_io::RowSource;
use logis_io::read::{HeaderMap, Layout};
use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
use logis_store::proximity::ProximityImportOutcome;
use logis_store::{Actor, RowProblem, Store};

/// Every organisation of the partnership, by name and SIREN.
pub(crate) fn organisations(store: &dyn Store) -> Result<OrgIndex> {
    let orgs = store.organisations()?;
    Ok(OrgIndex::new(orgs.iter().map(|o| {
        (o.id, o.name.as_str(), o.siren.as_ref().map(|s| s.as_str()))
    })))
}

/// The checked rows of a file (with their row numbers), or every problem.
pub(crate) type Drafts<T> = std::result::Result<Vec<(u64, T)>, Vec<RowProblem>>;

/// Read every row of `source` with `layout` and `parse`; the drafts, or every problem.
pub(crate) fn rows<T>(
    mut source: Box<dyn RowSource>,
    layout: &Layout,
    parse: &dyn Fn(
        &Cells<'_>,
    ) -> std::result::Result<T, Vec<logis_domain::register::line::FieldError>>,
) -> Result<Drafts<T>> {
    let header = match HeaderMap::of(source.header(), layout) {
        Ok(h) => h,
        Err(problems) => {
            return Ok(Err(crate::header_refusal(problems)));
        }
    };
    let mut drafts = Vec::new();
    let mut problems = Vec::new();
    while let Some(row) = source.next_row() {
        let row = row?;
        if row.is_blank() {
            continue;
        }
        let mut cells = Cells::default();
        for (column, value) in header.cells(&row) {
            cells.set(column, value);
        }
        match parse(&cells) {
            Ok(d) => drafts.push((row.row, d)),
            Err(errors) => problems.extend(errors.into_iter().map(|e| RowProblem {
                row: row.row,
                column: e.column.to_string(),
                message: e.message,
            })),
        }
    }
    if drafts.is_empty() && problems.is_empty() {
        problems.push(RowProblem {
            row: 2,
            column: String::new(),
            message: "le fichier ne contient aucune ligne".into(),
        });
    }
    Ok(if problems.is_empty() {
        Ok(drafts)
    } else {
        Err(problems)
    })
}

pub(crate) fn refused(problems: Vec<RowProblem>) -> ProximityImportOutcome {
    ProximityImportOutcome {
        problems,
        ..Default::default()
    }
}

/// Import site competence tables (`site, commune, quartier, theme, partenaire, delai_jours`).
pub fn import_competences(
    store: &dyn Store,
    actor: &Actor,
    source: Box<dyn RowSource>,
    commit: bool,
) -> Result<ProximityImportOutcome> {
    let (geo, territory) = crate::reference::geography(store)?;
    let orgs = organisations(store)?;
    let parse = |c: &Cells<'_>| parse_competence(c, &geo, territory.as_ref(), &orgs);
    match rows(source, &logis_io::read::COMPETENCES, &parse)? {
        Err(problems) => Ok(refused(problems)),
        Ok(_) if !commit => Ok(ProximityImportOutcome::default()),
        Ok(drafts) => Ok(store.put_competences(actor, &drafts)?),
    }
}

/// Import reports of dysfunctions (`signalement, site, theme, date, description, organisation,
/// adresse`), each routed on arrival; `only` the reports of this organisation when given (a
/// partner's agent imports its own).
pub fn import_reports(
    store: &dyn Store,
    actor: &Actor,
    source: Box<dyn RowSource>,
    commit: bool,
    only: Option<i64>,
) -> Result<ProximityImportOutcome> {
    let orgs = organisations(store)?;
    let parse = |c: &Cells<'_>| {
        let d = parse_report(c, &orgs)?;
        if only.is_some_and(|o| o != d.organisation) {
            return Err(vec![logis_domain::register::line::FieldError {
                column: "organisation",
                message: "vous n'importez que les signalements de votre organisation".into(),
            }]);
        }
        Ok(d)
    };
    match rows(source, &logis_io::read::REPORTS, &parse)? {
        Err(problems) => Ok(refused(problems)),
        Ok(_) if !commit => Ok(ProximityImportOutcome::default()),
        Ok(drafts) => Ok(store.put_reports(actor, &drafts)?),
    }
}

/// The committees' report over the reports dated in `[from, to]`, seen on `today`: by site,
/// theme and partner, opened, closed, overdue, median days to close (stable CSV columns `site,
/// theme, partenaire, ouverts, clos, en_retard, delai_median_jours`); the places reported three
/// times or more in the notes.
pub fn gusp_report(
    store: &dyn Store,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<Report> {
    gusp_report_for(store, None, from, to, today)
}

/// [`gusp_report`] for one site (`site`: its id) or, without one, the agglomeration; the notes
/// add the committees held in the period and the seed's indicator for the year of `to`.
pub fn gusp_report_for(
    store: &dyn Store,
    site: Option<i64>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<Report> {
    use logis_store::ProximityRecords;
    if to < from {
        return Err(AppError::Invalid(format!(
            "période vide : du {} au {}",
            logis_domain::numbers::format_date_fr(from),
            logis_domain::numbers::format_date_fr(to)
        )));
    }
    let sites = store.proximity_sites()?;
    let site_name = match site {
        None => None,
        Some(id) => Some(
            sites
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.name.clone())
                .ok_or_else(|| AppError::Invalid("site inconnu".into()))?,
        ),
    };
    let orgs = store.organisations()?;
    let names: std::collections::HashMap<i64, &str> =
        orgs.iter().map(|o| (o.id, o.name.as_str())).collect();
    // Each site's facts, the sites by name (as every list of sites).
    let mut by_id: std::collections::HashMap<i64, Vec<logis_domain::proximity::AssignmentFact>> =
        Default::default();
    for (s, f) in store.site_facts(from, to, site)? {
        by_id.entry(s).or_default().push(f);
    }
    let by_site: Vec<(&str, i64, Vec<logis_domain::proximity::AssignmentFact>)> = sites
        .iter()
        .filter_map(|s| by_id.remove(&s.id).map(|f| (s.name.as_str(), s.id, f)))
        .collect();
    let mut long_rows = Vec::new();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (site, _, facts) in &by_site {
        let site = (*site).to_string();
        for r in committee(facts, today) {
            let partner = names
                .get(&r.partner)
                .copied()
                .unwrap_or_default()
                .to_string();
            let median = r.median_days.map(Cell::Int).unwrap_or(Cell::Empty);
            long_rows.push(vec![
                Cell::text(site.clone()),
                Cell::text(r.theme.code()),
                Cell::text(partner.clone()),
                Cell::Int(r.opened as i64),
                Cell::Int(r.closed as i64),
                Cell::Int(r.overdue as i64),
                median.clone(),
            ]);
            rows.push(GridRow {
                kind: RowKind::Detail,
                cells: vec![
                    Cell::text(site.clone()),
                    Cell::text(r.theme.label()),
                    Cell::text(partner),
                    Cell::Int(r.opened as i64),
                    Cell::Int(r.closed as i64),
                    Cell::Int(r.overdue as i64),
                    median,
                ],
            });
        }
    }
    // The places reported three times or more: the twenty most reported, and how many in all.
    let (places, all_places) = store.repeated_places(from, to, site, 3, 20)?;
    for (id, place, n) in &places {
        let name = sites
            .iter()
            .find(|s| s.id == *id)
            .map(|s| s.name.as_str())
            .unwrap_or_default();
        notes.push(format!("{name} : « {place} » signalé {n} fois."));
    }
    if all_places > places.len() as u64 {
        notes.push(format!(
            "… et {} autres lieux signalés trois fois ou plus sur la période.",
            all_places - places.len() as u64
        ));
    }
    let held: Vec<_> = store
        .committees(from, to)?
        .into_iter()
        .filter(|c| site.is_none_or(|id| id == c.site_id))
        .collect();
    notes.push(if held.is_empty() {
        "Aucun comité de suivi enregistré sur la période.".to_string()
    } else {
        format!(
            "Comités de suivi tenus sur la période : {}.",
            held.iter()
                .map(|c| format!(
                    "{} le {}",
                    c.site,
                    logis_domain::numbers::format_date_fr(c.held_on)
                ))
                .collect::<Vec<_>>()
                .join(" ; ")
        )
    });
    // The seed's indicator over the period: the sites with a committee held and reports handled.
    let mut real: Vec<&str> = Vec::new();
    for s in &sites {
        if site.is_some_and(|id| id != s.id) {
            continue;
        }
        let held_here = held.iter().any(|c| c.site_id == s.id);
        let handled = by_site.iter().any(|(_, id, facts)| {
            *id == s.id
                && facts
                    .iter()
                    .any(|f| f.status == logis_domain::proximity::AssignmentStatus::Closed)
        });
        if held_here && handled {
            real.push(&s.name);
        }
    }
    let all_sites = if site.is_some() { 1 } else { sites.len() };
    notes.push(format!(
        "Indicateur du PLH (fiche 12) — quartiers où la démarche s'est concrétisée sur la période (un comité de suivi tenu et des signalements traités) : {} sur {all_sites}{}.",
        real.len(),
        if real.is_empty() {
            String::new()
        } else {
            format!(" ({})", real.join(", "))
        }
    ));
    let all: Vec<&logis_domain::proximity::AssignmentFact> =
        by_site.iter().flat_map(|(_, _, f)| f).collect();
    let opened = all.len() as i64;
    let closed = all
        .iter()
        .filter(|f| f.status == logis_domain::proximity::AssignmentStatus::Closed)
        .count() as i64;
    let overdue = all.iter().filter(|f| f.overdue(today)).count() as i64;
    rows.push(GridRow {
        kind: RowKind::Total,
        cells: vec![
            Cell::text("Agglomération"),
            Cell::Empty,
            Cell::Empty,
            Cell::Int(opened),
            Cell::Int(closed),
            Cell::Int(overdue),
            Cell::Empty,
        ],
    });
    Ok(Report {
        name: "gusp",
        title: "Gestion urbaine de proximité : signalements par site, thème et partenaire".into(),
        scope: format!(
            "{}signalements du {} au {}",
            site_name
                .map(|n| format!("site « {n} », "))
                .unwrap_or_default(),
            logis_domain::numbers::format_date_fr(from),
            logis_domain::numbers::format_date_fr(to)
        ),
        notes,
        long_columns: vec![
            "site",
            "theme",
            "partenaire",
            "ouverts",
            "clos",
            "en_retard",
            "delai_median_jours",
        ],
        long_rows,
        grid: Grid {
            groups: Vec::new(),
            header: [
                "Site",
                "Thème",
                "Partenaire",
                "Ouverts",
                "Clos",
                "En retard",
                "Délai médian (jours)",
            ]
            .map(String::from)
            .to_vec(),
            row_header_columns: 3,
            rows,
        },
    })
}

/// Which mobility file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MobilityFile {
    /// `offre, bailleur, commune, logements, lits, prix_mensuel, meuble, services, debut, fin, usage_futur`
    Offer,
    /// `employeur_siret, employeur, commune, mois, salaries, duree_mois, budget_mensuel, profil`
    Demand,
    /// `offre, mois, employeur_siret, occupants`
    Occupancy,
}

/// Import a mobility file (every row checked; nothing written when one is wrong).
pub fn import_mobility(
    store: &dyn Store,
    actor: &Actor,
    source: Box<dyn RowSource>,
    file: MobilityFile,
    commit: bool,
) -> Result<ProximityImportOutcome> {
    import_mobility_for(store, actor, source, file, commit, None)
}

/// [`import_mobility`] by a landlord (`only`: its organisation): its own offers and their
/// occupancy only; the employers' demand is the EPCI's to declare.
pub fn import_mobility_for(
    store: &dyn Store,
    actor: &Actor,
    source: Box<dyn RowSource>,
    file: MobilityFile,
    commit: bool,
    only: Option<i64>,
) -> Result<ProximityImportOutcome> {
    if only.is_some() && file == MobilityFile::Demand {
        return Err(AppError::Invalid(
            "les besoins des employeurs sont déclarés par l'EPCI".into(),
        ));
    }
    let own_offers: Vec<String> = match only {
        Some(landlord) => store
            .mobility()?
            .0
            .into_iter()
            .filter(|o| o.landlord == landlord)
            .map(|o| logis_domain::text::name_key(&o.reference))
            .collect(),
        None => Vec::new(),
    };
    let not_yours = |column: &'static str, what: &str| {
        vec![logis_domain::register::line::FieldError {
            column,
            message: format!("vous ne déclarez que {what} de votre organisation"),
        }]
    };
    use logis_domain::proximity::mobility::{parse_demand, parse_occupancy, parse_offer};
    let (geo, territory) = crate::reference::geography(store)?;
    match file {
        MobilityFile::Offer => {
            let (_, landlords) = crate::land::landlords(store)?;
            let parse = |c: &Cells<'_>| {
                let d = parse_offer(c, &geo, territory.as_ref(), &landlords)?;
                match only {
                    Some(o) if o != d.landlord => Err(not_yours("bailleur", "les offres")),
                    _ => Ok(d),
                }
            };
            match rows(source, &logis_io::read::MOBILITY_OFFERS, &parse)? {
                Err(problems) => Ok(refused(problems)),
                Ok(_) if !commit => Ok(ProximityImportOutcome::default()),
                Ok(drafts) => Ok(store.put_offers(actor, &drafts)?),
            }
        }
        MobilityFile::Demand => {
            let parse = |c: &Cells<'_>| parse_demand(c, &geo, territory.as_ref());
            match rows(source, &logis_io::read::MOBILITY_DEMAND, &parse)? {
                Err(problems) => Ok(refused(problems)),
                Ok(_) if !commit => Ok(ProximityImportOutcome::default()),
                Ok(drafts) => Ok(store.put_demand(actor, &drafts)?),
            }
        }
        MobilityFile::Occupancy => {
            let parse = |c: &Cells<'_>| {
                let d = parse_occupancy(c)?;
                if only.is_some() && !own_offers.contains(&logis_domain::text::name_key(&d.offer)) {
                    return Err(not_yours("offre", "l'occupation des offres"));
                }
                Ok(d)
            };
            match rows(source, &logis_io::read::MOBILITY_OCCUPANCY, &parse)? {
                Err(problems) => Ok(refused(problems)),
                Ok(_) if !commit => Ok(ProximityImportOutcome::default()),
                Ok(drafts) => Ok(store.put_occupancy(actor, &drafts)?),
            }
        }
    }
}

/// The coverage of the demand by the offer per commune and month (stable CSV columns
/// `commune_insee, commune, mois, lits_offerts, salaries_attendus, lits_occupes, taux_occupation,
/// demande_non_couverte`).
pub fn mobility_report(store: &dyn Store) -> Result<Report> {
    let geo = store.geography()?;
    let (offers, demand, placed) = store.mobility()?;
    let rows = logis_domain::proximity::mobility::coverage(&offers, &demand, &placed);
    let rate = |r: &logis_domain::proximity::mobility::CoverageRow| {
        r.occupancy_permille()
            .map(|p| Cell::text(format!("{},{} %", p / 10, p % 10)))
            .unwrap_or(Cell::Empty)
    };
    let name = |code: &str| {
        geo.commune(code)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let long_rows = rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(r.commune.as_str()),
                Cell::text(name(r.commune.as_str())),
                Cell::text(r.month.text()),
                Cell::Int(r.beds_offered as i64),
                Cell::Int(r.workers_expected as i64),
                Cell::Int(r.beds_occupied as i64),
                rate(r),
                Cell::Int(r.demand_not_covered as i64),
            ]
        })
        .collect();
    let grid_rows = rows
        .iter()
        .map(|r| GridRow {
            kind: RowKind::Detail,
            cells: vec![
                Cell::text(name(r.commune.as_str())),
                Cell::text(r.month.text()),
                Cell::Int(r.beds_offered as i64),
                Cell::Int(r.workers_expected as i64),
                Cell::Int(r.beds_occupied as i64),
                rate(r),
                Cell::Int(r.demand_not_covered as i64),
            ],
        })
        .collect();
    Ok(Report {
        name: "mobilite",
        title: "Salariés en mobilité : offre, demande et occupation par commune et mois".into(),
        scope: "toutes les offres et tous les besoins déclarés".into(),
        notes: vec!["Lits offerts : ceux des offres ouvertes ce mois-là ; demande non couverte : salariés attendus moins lits offerts, quand c'est positif.".into()],
        long_columns: vec![
            "commune_insee",
            "commune",
            "mois",
            "lits_offerts",
            "salaries_attendus",
            "lits_occupes",
            "taux_occupation",
            "demande_non_couverte",
        ],
        long_rows,
        grid: Grid {
            groups: Vec::new(),
            header: ["Commune", "Mois", "Lits offerts", "Salariés attendus", "Lits occupés", "Taux d'occupation", "Demande non couverte"]
                .map(String::from)
                .to_vec(),
            row_header_columns: 2,
            rows: grid_rows,
        },
    })
}

/// Per employer: (SIRET, name, workers expected over every month, worker-months placed).
pub fn mobility_employers(store: &dyn Store) -> Result<Vec<(String, String, u64, u64)>> {
    let (_, demand, placed) = store.mobility()?;
    let mut by: std::collections::BTreeMap<String, (String, u64, u64)> = Default::default();
    for d in &demand {
        let e = by.entry(d.employer.as_str().to_string()).or_default();
        e.0 = d.employer_name.clone();
        e.1 += u64::from(d.workers);
    }
    for p in &placed {
        by.entry(p.employer.as_str().to_string()).or_default().2 += u64::from(p.occupants);
    }
    let mut out: Vec<_> = by
        .into_iter()
        .map(|(siret, (name, workers, placed))| (siret, name, workers, placed))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}
