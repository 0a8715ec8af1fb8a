//! The landlords' strategic plans' use cases (issue 22, first part): a landlord's plan imported
//! as a version (the EPCI any landlord's, a landlord's editor its own; a residence given twice,
//! an unknown strategy… named, nothing written; a version imported again replaced, the others
//! kept for comparison).

pub mod actions;

use crate::{AppError, Result};
use logis_domain::plans::{PSP_COLUMNS, PSP_REQUIRED, parse_residence, residence_key};
use logis_domain::{Principal, Role};
use logis_io::RowSource;
use logis_io::read::Layout;
use logis_store::{Actor, RowProblem, Store};

/// A PSP file's columns.
pub const PSP: Layout = Layout {
    columns: PSP_COLUMNS,
    required: PSP_REQUIRED,
    informative: &[],
    aliases: &[
        ("nom_residence", "residence"),
        ("groupe", "residence"),
        ("nb_logements", "logements"),
        ("annee", "annee_construction"),
        ("etiquette_dpe", "dpe"),
        ("orientation", "strategie"),
        ("cout", "cout_estime"),
        ("etiquette_visee", "classe_visee"),
        ("identifiants_rpls", "rpls"),
    ],
};

/// What a plan's import did.
#[derive(Debug, Default)]
pub struct PlanImport {
    pub problems: Vec<RowProblem>,
    pub residences: u64,
    pub dwellings: u64,
    /// The version replaced one of the same number.
    pub replaced: bool,
    pub committed: bool,
}

/// Which plan a file is, and whether to write it.
#[derive(Debug, Clone)]
pub struct PspOptions {
    /// The landlord's name or SIREN.
    pub landlord: String,
    /// The plan's version (its year).
    pub version: i32,
    pub commit: bool,
    /// The file's name, kept with the version.
    pub source: String,
}

/// Import (or check) a version of a landlord's plan.
pub fn import_psp(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    source: Box<dyn RowSource>,
    opts: &PspOptions,
) -> Result<PlanImport> {
    let (landlord, version, commit) = (opts.landlord.as_str(), opts.version, opts.commit);
    let (_, landlords) = crate::land::landlords(store)?;
    let id = landlords
        .find(landlord)
        .ok_or_else(|| AppError::Invalid(format!("bailleur inconnu « {landlord} »")))?;
    match principal.role {
        Role::Admin | Role::Agent => {}
        Role::LandlordEditor if principal.organisation_id == Some(id) => {}
        Role::LandlordEditor => {
            return Err(AppError::Invalid(
                "vous n'importez que le PSP de votre organisation".into(),
            ));
        }
        _ => {
            return Err(AppError::Invalid(
                "seuls l'EPCI et les bailleurs (saisie) importent un PSP".into(),
            ));
        }
    }
    if !(2000..=2100).contains(&version) {
        return Err(AppError::Invalid(format!(
            "version « {version} » : une année entre 2000 et 2100 attendue"
        )));
    }
    let geo = crate::reference::geography(store)?.0;
    let drafts = match crate::proximity::rows(source, &PSP, &|c| parse_residence(c, &geo))? {
        Ok(d) => d,
        Err(problems) => {
            return Ok(PlanImport {
                problems,
                ..Default::default()
            });
        }
    };
    let mut seen = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for (row, r) in &drafts {
        if let Some(first) = seen.insert(residence_key(&r.commune, &r.residence), *row) {
            problems.push(RowProblem {
                row: *row,
                column: "residence".into(),
                message: format!(
                    "la résidence « {} » est déjà à la ligne {first}",
                    r.residence
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Ok(PlanImport {
            problems,
            ..Default::default()
        });
    }
    let residences: Vec<_> = drafts.into_iter().map(|(_, r)| r).collect();
    let mut out = PlanImport {
        residences: residences.len() as u64,
        dwellings: residences.iter().map(|r| u64::from(r.dwellings)).sum(),
        ..Default::default()
    };
    if commit {
        out.replaced = store.put_plan(actor, id, version, &opts.source, &residences)?;
        out.committed = true;
    }
    Ok(out)
}

/// The stable columns of the `psp` CSV (the cross-analysis).
pub const CROSS_COLUMNS: &[&str] = &[
    "section",
    "bailleur",
    "residence",
    "commune",
    "quartier",
    "logements",
    "annee",
    "detail",
];

/// A landlord's current plan: (landlord id, landlord's name, version, residences).
pub type CurrentPlan = (i64, String, i32, Vec<logis_domain::plans::ResidencePlan>);

/// Each landlord's current plan (its latest version).
pub fn current_plans(store: &dyn Store) -> Result<Vec<CurrentPlan>> {
    let orgs = store.organisations()?;
    let mut latest: std::collections::BTreeMap<i64, i32> = std::collections::BTreeMap::new();
    for v in store.plan_versions()? {
        let e = latest.entry(v.landlord).or_insert(v.version);
        *e = (*e).max(v.version);
    }
    let mut out = Vec::new();
    for (landlord, version) in latest {
        let name = orgs
            .iter()
            .find(|o| o.id == landlord)
            .map(|o| o.name.clone())
            .unwrap_or_default();
        out.push((landlord, name, version, store.plan(landlord, version)?));
    }
    Ok(out)
}

/// A finding's row of the cross-analysis: `section`, the residence of landlord `name`, `year`, `detail`.
fn finding_row(
    section: &str,
    name: &str,
    r: &logis_domain::plans::ResidencePlan,
    commune: String,
    year: Option<i32>,
    detail: String,
) -> Vec<logis_io::report::Cell> {
    use logis_io::report::Cell;
    vec![
        Cell::text(section),
        Cell::text(name),
        Cell::text(r.residence.clone()),
        Cell::text(commune),
        Cell::text(r.quartier.clone().unwrap_or_default()),
        Cell::Int(i64::from(r.dwellings)),
        year.map_or(Cell::Empty, |y| Cell::Int(i64::from(y))),
        Cell::text(detail),
    ]
}

/// The plans against the register (`coherence` rows): a residence the plan rehabilitates in
/// some years with no rehabilitation of its landlord in its commune in those years (or sharing
/// one of its RPLS identifiers) in the register; and a rehabilitation of the register, from the
/// plan's year on, in a commune where the plan rehabilitates nothing in its year.
fn coherence(
    store: &dyn Store,
    plans: &[CurrentPlan],
    commune_name: &dyn Fn(&logis_domain::CommuneCode) -> String,
) -> Result<Vec<Vec<logis_io::report::Cell>>> {
    use logis_domain::plans::Strategy;
    use logis_domain::register::vocab::Nature;
    use logis_io::report::Cell;
    let mut rows = Vec::new();
    // The register is kept on the EPCI's territory: residences elsewhere are not looked for.
    let territory = crate::reference::territory(store)?;
    let geo = store.geography()?;
    let inside = |c: &logis_domain::CommuneCode| {
        territory
            .as_ref()
            .is_none_or(|t| geo.commune(c.as_str()).is_some_and(|x| t.contains(x)))
    };
    for (landlord, name, version, residences) in plans {
        let lines = logis_store::register::collect_lines(
            store,
            &logis_store::LineFilter {
                landlord_id: Some(*landlord),
                nature: Some(Nature::Rehabilitation),
                ..Default::default()
            },
        )?;
        let rehab = |r: &logis_domain::plans::ResidencePlan| {
            matches!(r.strategy, Strategy::Rehabilitate | Strategy::Restructure)
        };
        for r in residences.iter().filter(|r| rehab(r) && inside(&r.commune)) {
            let Some(start) = r.start else { continue };
            let end = r.end.unwrap_or(start).max(start);
            let found = lines.iter().any(|l| {
                (l.commune == r.commune && (start..=end).contains(&l.year))
                    || l.rpls_ids.as_deref().is_some_and(|ids| {
                        ids.split('|')
                            .any(|id| r.rpls.iter().any(|x| x == id.trim()))
                    })
            });
            if !found {
                rows.push(finding_row(
                    "coherence",
                    name,
                    r,
                    commune_name(&r.commune),
                    Some(start),
                    format!(
                        "le PSP {version} prévoit de {} de {start} à {end} ; aucune réhabilitation de {name} à {} ces années-là au registre",
                        if r.strategy == Strategy::Rehabilitate { "réhabiliter" } else { "restructurer" },
                        commune_name(&r.commune)
                    ),
                ));
            }
        }
        // The register's rehabilitations from the plan's year, per operation.
        let mut operations: std::collections::BTreeMap<
            i64,
            (String, String, logis_domain::CommuneCode, i32, u32),
        > = std::collections::BTreeMap::new();
        for l in lines.iter().filter(|l| l.year >= *version) {
            let e = operations.entry(l.operation_id).or_insert_with(|| {
                (
                    l.reference.clone(),
                    l.label.clone().unwrap_or_default(),
                    l.commune.clone(),
                    l.year,
                    0,
                )
            });
            e.3 = e.3.min(l.year);
            e.4 += l.dwellings;
        }
        for (reference, label, commune, year, dwellings) in operations.into_values() {
            let planned = residences.iter().any(|r| {
                rehab(r)
                    && r.commune == commune
                    && r.start
                        .is_some_and(|s| (s..=r.end.unwrap_or(s).max(s)).contains(&year))
            });
            if !planned {
                rows.push(vec![
                    Cell::text("coherence"),
                    Cell::text(name.clone()),
                    Cell::text(if label.is_empty() { reference.clone() } else { label.clone() }),
                    Cell::text(commune_name(&commune)),
                    Cell::Empty,
                    Cell::Int(i64::from(dwellings)),
                    Cell::Int(i64::from(year)),
                    Cell::text(format!(
                        "le registre réhabilite {dwellings} logements en {year} (opération {reference}) ; le PSP {version} n'y prévoit aucune réhabilitation cette année-là"
                    )),
                ]);
            }
        }
    }
    Ok(rows)
}

/// The cross-analysis of the landlords' current plans (`logis report psp`): dwellings by
/// strategy, landlord, commune and first year (`strategie`); demolitions and restructurings of
/// several landlords in one quartier and overlapping years (`chevauchement`, one row per
/// residence); residences exposed to the rental ban (`lacune`, one row each, the year being the
/// ban's); the plans against the register (`coherence`).
pub fn cross_analysis(store: &dyn Store) -> Result<logis_io::report::Report> {
    cross_analysis_within(store, None)
}

/// A partnership's territory, by its name (`None`: every plan's residences).
pub fn partnership_territory(
    store: &dyn Store,
    partnership: &str,
) -> Result<(String, logis_domain::Territory)> {
    let p = store
        .partnerships()?
        .into_iter()
        .find(|p| p.name == partnership.trim())
        .ok_or_else(|| AppError::Invalid(format!("partenariat inconnu « {partnership} »")))?;
    let t = logis_domain::Territory::parse(&p.territory).map_err(AppError::Invalid)?;
    Ok((p.name, t))
}

/// The cross-analysis of the residences on a territory (a partnership's; `None`: all).
pub fn cross_analysis_within(
    store: &dyn Store,
    within: Option<&(String, logis_domain::Territory)>,
) -> Result<logis_io::report::Report> {
    use logis_domain::plans::{Strategy, exposed_from, overlaps};
    use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
    use std::collections::BTreeMap;
    let geo = store.geography()?;
    let mut plans = current_plans(store)?;
    if let Some((_, t)) = within {
        for (_, _, _, residences) in &mut plans {
            residences.retain(|r| {
                geo.commune(r.commune.as_str())
                    .is_some_and(|c| t.contains(c))
            });
        }
    }
    // The relocation pool's vacancies per commune (for the overlaps' pressure).
    let mut vacant: BTreeMap<String, u64> = BTreeMap::new();
    for (_, v, status) in store.vacancies()? {
        if status == "libre" {
            *vacant.entry(v.commune.as_str().to_string()).or_default() += 1;
        }
    }
    let pool = !vacant.is_empty();
    let commune_name = |c: &logis_domain::CommuneCode| {
        geo.commune(c.as_str())
            .map(|x| x.name.clone())
            .unwrap_or_else(|| c.as_str().to_string())
    };
    let year = |y: Option<i32>| y.map_or(Cell::Empty, |y| Cell::Int(i64::from(y)));
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    // Strategies: dwellings per landlord, commune, strategy and first year.
    let mut strategies: BTreeMap<(String, String, &'static str, Option<i32>), u64> =
        BTreeMap::new();
    for (_, name, _, residences) in &plans {
        for r in residences {
            *strategies
                .entry((
                    name.clone(),
                    commune_name(&r.commune),
                    r.strategy.label(),
                    r.start,
                ))
                .or_default() += u64::from(r.dwellings);
        }
    }
    for ((landlord, commune, strategy, start), n) in strategies {
        rows.push(vec![
            Cell::text("strategie"),
            Cell::text(landlord),
            Cell::Empty,
            Cell::text(commune),
            Cell::Empty,
            Cell::Int(i64::try_from(n).unwrap_or(i64::MAX)),
            year(start),
            Cell::text(strategy),
        ]);
    }
    // Overlaps.
    let slices: Vec<(i64, &[logis_domain::plans::ResidencePlan])> = plans
        .iter()
        .map(|(id, _, _, rs)| (*id, rs.as_slice()))
        .collect();
    for o in overlaps(&slices) {
        let landlords: std::collections::BTreeSet<i64> =
            o.residences.iter().map(|(l, _)| *l).collect();
        let communes: std::collections::BTreeSet<String> = o
            .residences
            .iter()
            .filter_map(|(l, i)| {
                plans
                    .iter()
                    .find(|(id, ..)| id == l)
                    .and_then(|(_, _, _, rs)| rs.get(*i))
                    .map(|r| r.commune.as_str().to_string())
            })
            .collect();
        let free: u64 = communes.iter().filter_map(|c| vacant.get(c)).sum();
        let detail = format!(
            "démolitions ou restructurations de {} bailleurs dans le quartier {} de {} à {} : {} logements à libérer ; {}",
            landlords.len(),
            o.quartier,
            o.from,
            o.to,
            o.dwellings,
            if pool {
                format!(
                    "{free} logement(s) vacant(s) libre(s) au vivier de relogement de la commune"
                )
            } else {
                "aucun vivier de relogement importé".to_string()
            }
        );
        for (l, i) in &o.residences {
            let Some((_, name, _, rs)) = plans.iter().find(|(id, ..)| id == l) else {
                continue;
            };
            let Some(r) = rs.get(*i) else { continue };
            rows.push(finding_row(
                "chevauchement",
                name,
                r,
                commune_name(&r.commune),
                r.start,
                detail.clone(),
            ));
        }
    }
    // Sales planned in communes short of their SRU target (the stock's estimate, target 25 %).
    let short: BTreeMap<String, (u64, String)> = match crate::stock::sru_report(store, None, 25) {
        Ok(sru) => sru
            .long_rows
            .iter()
            .filter_map(|r| {
                let code = r.get(1)?.plain();
                let deficit = r.get(8)?.plain().parse::<u64>().ok()?;
                (deficit > 0).then(|| (code, (deficit, sru.title.clone())))
            })
            .collect(),
        Err(_) => BTreeMap::new(),
    };
    for (_, name, _, residences) in &plans {
        for r in residences.iter().filter(|r| r.strategy == Strategy::Sell) {
            if let Some((deficit, title)) = short.get(r.commune.as_str()) {
                rows.push(finding_row(
                    "chevauchement",
                    name,
                    r,
                    commune_name(&r.commune),
                    r.start,
                    format!(
                        "vente prévue dans une commune déficitaire au titre de la loi SRU : {deficit} logements sociaux manquants ({})",
                        title.to_lowercase()
                    ),
                ));
            }
        }
    }
    rows.extend(coherence(store, &plans, &commune_name)?);
    // Gaps: exposed to the rental ban.
    for (_, name, _, residences) in &plans {
        for r in residences {
            if let Some(ban) = exposed_from(r) {
                let label = r.label.map(|l| l.code()).unwrap_or("");
                rows.push(finding_row(
                    "lacune",
                    name,
                    r,
                    commune_name(&r.commune),
                    Some(ban),
                    format!(
                        "étiquette {label}, interdite à la location au 1er janvier {ban} ; stratégie « {} »{}",
                        r.strategy.label(),
                        match (r.strategy.treats_energy(), r.end) {
                            (true, Some(end)) => format!(", travaux finis en {end}"),
                            (true, None) => ", sans année de fin".to_string(),
                            _ => String::new(),
                        }
                    ),
                ));
            }
        }
    }
    Ok(Report {
        name: "psp",
        title: "Analyse croisée des plans stratégiques de patrimoine".into(),
        scope: format!(
            "{}plans en vigueur : {}",
            within.map(|(n, _)| format!("territoire du partenariat {n} ; ")).unwrap_or_default(),
            plans
                .iter()
                .map(|(_, n, v, _)| format!("{n} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        notes: vec![
            "Lacune : une résidence étiquetée E, F ou G dont aucune réhabilitation, restructuration ou démolition ne finit avant le 1er janvier de l'année où son étiquette l'interdit à la location (G 2025, F 2028, E 2034).".into(),
            "Chevauchement : des démolitions ou restructurations lourdes de plusieurs bailleurs dans un même quartier et des années qui se recouvrent (les relogements se cumulent).".into(),
        ],
        long_columns: CROSS_COLUMNS.to_vec(),
        grid: Grid {
            groups: Vec::new(),
            header: CROSS_COLUMNS.iter().map(|c| c.to_string()).collect(),
            row_header_columns: 2,
            rows: rows
                .iter()
                .map(|r| GridRow {
                    kind: RowKind::Detail,
                    cells: r.clone(),
                })
                .collect(),
        },
        long_rows: rows,
    })
}

/// The landlords whose residences `principal` reads one by one in the cross-analysis: every
/// one for the EPCI; for a landlord's users, their own and those sharing their plan with a
/// partnership their organisation is a member of; nobody's for anyone else (`Some(empty)`).
/// `None`: every landlord.
pub fn visible_landlords(
    store: &dyn Store,
    principal: &Principal,
) -> Result<Option<std::collections::BTreeSet<i64>>> {
    if matches!(principal.role, Role::Admin | Role::Agent) {
        return Ok(None);
    }
    let mut out = std::collections::BTreeSet::new();
    let Some(org) = principal.organisation_id else {
        return Ok(Some(out));
    };
    if matches!(principal.role, Role::LandlordEditor | Role::LandlordReader) {
        out.insert(org);
    }
    let mine: Vec<i64> = store
        .partnerships()?
        .into_iter()
        .filter(|p| p.members.contains(&org))
        .map(|p| p.id)
        .collect();
    for (landlord, partnership) in store.shares()? {
        if mine.contains(&partnership) {
            out.insert(landlord);
        }
    }
    Ok(Some(out))
}

/// The cross-analysis as `principal` may read it: the residences' rows (overlaps, gaps) of the
/// landlords it sees only; the strategies' sums (no residence named) for everyone.
pub fn cross_analysis_for(
    store: &dyn Store,
    principal: &Principal,
    partnership: Option<&str>,
) -> Result<logis_io::report::Report> {
    let within = territory_of(store, partnership)?;
    let report = cross_analysis_within(store, within.as_ref())?;
    restrict(store, report, principal)
}

/// The territory of a partnership named (`None`: every plan's residences).
pub fn territory_of(
    store: &dyn Store,
    partnership: Option<&str>,
) -> Result<Option<(String, logis_domain::Territory)>> {
    partnership
        .map(|p| partnership_territory(store, p))
        .transpose()
}

/// The whole cross-analysis on `within`, kept in `cache` until the next write.
pub fn whole_analysis(
    cache: &crate::cache::StampCache<logis_io::report::Report>,
    store: &dyn Store,
    within: Option<&(String, logis_domain::Territory)>,
) -> Result<std::sync::Arc<logis_io::report::Report>> {
    let key = within.map(|(n, _)| n.clone()).unwrap_or_default();
    cache.get(store, key, || cross_analysis_within(store, within))
}

/// [`cross_analysis_for`], the whole analysis served from `cache` while nothing was written
/// (each reader's restriction applied to it).
pub fn cross_analysis_cached(
    cache: &crate::cache::StampCache<logis_io::report::Report>,
    store: &dyn Store,
    principal: &Principal,
    partnership: Option<&str>,
) -> Result<logis_io::report::Report> {
    let within = territory_of(store, partnership)?;
    let whole = whole_analysis(cache, store, within.as_ref())?;
    restrict(store, whole.as_ref().clone(), principal)
}

/// Dwellings exposed to the rental ban per landlord and ban year: (landlord, year, residences,
/// dwellings), from the whole analysis's `lacune` rows: what everyone reads, residences unnamed.
pub fn exposure(whole: &logis_io::report::Report) -> Vec<(String, i32, u64, u64)> {
    let mut sums: std::collections::BTreeMap<(String, i32), (u64, u64)> =
        std::collections::BTreeMap::new();
    for r in whole.long_rows.iter().filter(|r| {
        r.first()
            .is_some_and(|c| matches!(c, logis_io::report::Cell::Text(t) if t == "lacune"))
    }) {
        let (Some(landlord), Some(year), Some(n)) = (
            r.get(1).map(|c| c.plain()),
            r.get(6).and_then(|c| c.plain().parse::<i32>().ok()),
            r.get(5).and_then(|c| c.plain().parse::<u64>().ok()),
        ) else {
            continue;
        };
        let e = sums.entry((landlord, year)).or_default();
        e.0 += 1;
        e.1 += n;
    }
    sums.into_iter()
        .map(|((l, y), (r, n))| (l, y, r, n))
        .collect()
}

/// The residences' rows of the landlords `principal` reads only ([`visible_landlords`]).
pub fn restrict(
    store: &dyn Store,
    mut report: logis_io::report::Report,
    principal: &Principal,
) -> Result<logis_io::report::Report> {
    if let Some(visible) = visible_landlords(store, principal)? {
        let names: std::collections::BTreeSet<String> = store
            .organisations()?
            .into_iter()
            .filter(|o| visible.contains(&o.id))
            .map(|o| o.name)
            .collect();
        let keep = |row: &Vec<logis_io::report::Cell>| {
            let section = row.first().map(|c| c.plain()).unwrap_or_default();
            let landlord = row.get(1).map(|c| c.plain()).unwrap_or_default();
            section == "strategie" || names.contains(&landlord)
        };
        report.long_rows.retain(keep);
        report.grid.rows.retain(|r| keep(&r.cells));
        report.notes.push(
            "Les résidences d'un bailleur ne se lisent une à une que par ce bailleur, l'EPCI et les membres des partenariats avec lesquels il partage son plan.".into(),
        );
    }
    Ok(report)
}

/// Create a partnership (the EPCI's administrator): its name, its territory (EPCI SIRENs or
/// `dep:62`, as `Territory::parse` reads them), its members by name or SIREN. Its id.
pub fn create_partnership(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    name: &str,
    territory: &str,
    members: &[String],
) -> Result<i64> {
    if principal.role != Role::Admin {
        return Err(AppError::Invalid(
            "seul l'administrateur de l'EPCI crée un partenariat".into(),
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::Invalid(
            "nom du partenariat : de 1 à 200 caractères attendus".into(),
        ));
    }
    if store.partnerships()?.iter().any(|p| p.name == name) {
        return Err(AppError::Invalid(format!(
            "un partenariat « {name} » existe déjà"
        )));
    }
    let geo = crate::reference::geography(store)?.0;
    let t = logis_domain::Territory::parse(territory)
        .and_then(|t| t.check(&geo).map(|()| t))
        .map_err(|e| AppError::Invalid(format!("territoire « {territory} » : {e}")))?;
    let orgs = crate::proximity::organisations(store)?;
    let mut ids = Vec::new();
    for m in members {
        let id = orgs
            .find(m)
            .ok_or_else(|| AppError::Invalid(format!("organisation inconnue « {m} »")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() < 2 {
        return Err(AppError::Invalid(
            "un partenariat a au moins deux membres".into(),
        ));
    }
    Ok(store.create_partnership(actor, name, &t.to_text(), &ids)?)
}

/// Share (or stop sharing) a landlord's plan with a partnership it is a member of: the
/// landlord's editor (or the administrator, for it).
pub fn share_plan(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    landlord: &str,
    partnership: &str,
    shared: bool,
) -> Result<()> {
    let (_, landlords) = crate::land::landlords(store)?;
    let id = landlords
        .find(landlord)
        .ok_or_else(|| AppError::Invalid(format!("bailleur inconnu « {landlord} »")))?;
    match principal.role {
        Role::Admin => {}
        Role::LandlordEditor if principal.organisation_id == Some(id) => {}
        _ => {
            return Err(AppError::Invalid(
                "seul le bailleur décide du partage de son plan".into(),
            ));
        }
    }
    let p = store
        .partnerships()?
        .into_iter()
        .find(|p| p.name == partnership.trim())
        .ok_or_else(|| AppError::Invalid(format!("partenariat inconnu « {partnership} »")))?;
    if !p.members.contains(&id) {
        return Err(AppError::Invalid(format!(
            "le bailleur n'est pas membre du partenariat « {} »",
            p.name
        )));
    }
    Ok(store.set_share(actor, id, p.id, shared)?)
}

/// One landlord's versions and what changed between its last two.
#[derive(Debug, Clone, Default)]
pub struct VersionChanges {
    pub landlord: String,
    /// (version, residences, dwellings, imported at), oldest first.
    pub versions: Vec<(i32, u64, u64, String)>,
    /// The two compared (previous, current), when there are two.
    pub compared: Option<(i32, i32)>,
    /// (residence, commune, what changed), when the reader reads the residences one by one.
    pub changes: Vec<(String, String, String)>,
    /// The counts of residences added, removed and changed (what everyone reads).
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

/// Each landlord's plan versions, compared (`logis_app::plans::compare_versions`).
pub type Comparison = Vec<VersionChanges>;

/// What changed between each landlord's last two versions: residences added, removed, and those
/// whose strategy, years, dwellings or label changed — named one by one for the landlords
/// `principal` reads ([`visible_landlords`]), counted for the others.
pub fn compare_versions(store: &dyn Store, principal: &Principal) -> Result<Comparison> {
    use std::collections::BTreeMap;
    let visible = visible_landlords(store, principal)?;
    let orgs = store.organisations()?;
    let geo = store.geography()?;
    let mut by_landlord: BTreeMap<i64, Vec<logis_store::plans::PlanVersion>> = BTreeMap::new();
    for v in store.plan_versions()? {
        by_landlord.entry(v.landlord).or_default().push(v);
    }
    let mut out = Vec::new();
    for (landlord, versions) in by_landlord {
        let mut c = VersionChanges {
            landlord: orgs
                .iter()
                .find(|o| o.id == landlord)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            versions: versions
                .iter()
                .map(|v| (v.version, v.residences, v.dwellings, v.imported_at.clone()))
                .collect(),
            ..Default::default()
        };
        if let [.., before, after] = versions.as_slice() {
            c.compared = Some((before.version, after.version));
            let key =
                |r: &logis_domain::plans::ResidencePlan| residence_key(&r.commune, &r.residence);
            let old: BTreeMap<String, logis_domain::plans::ResidencePlan> = store
                .plan(landlord, before.version)?
                .into_iter()
                .map(|r| (key(&r), r))
                .collect();
            let new: BTreeMap<String, logis_domain::plans::ResidencePlan> = store
                .plan(landlord, after.version)?
                .into_iter()
                .map(|r| (key(&r), r))
                .collect();
            let name = |r: &logis_domain::plans::ResidencePlan| {
                geo.commune(r.commune.as_str())
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| r.commune.as_str().to_string())
            };
            let years = |r: &logis_domain::plans::ResidencePlan| match (r.start, r.end) {
                (Some(a), Some(b)) => format!("{a}–{b}"),
                (Some(a), None) => a.to_string(),
                _ => "sans années".to_string(),
            };
            let mut changes = Vec::new();
            for (k, r) in &new {
                match old.get(k) {
                    None => {
                        c.added += 1;
                        changes.push((
                            r.residence.clone(),
                            name(r),
                            format!("ajoutée : {} ({})", r.strategy.label(), years(r)),
                        ));
                    }
                    Some(o) => {
                        let mut what = Vec::new();
                        if o.strategy != r.strategy {
                            what.push(format!(
                                "stratégie {} → {}",
                                o.strategy.label(),
                                r.strategy.label()
                            ));
                        }
                        if (o.start, o.end) != (r.start, r.end) {
                            what.push(format!("années {} → {}", years(o), years(r)));
                        }
                        if o.dwellings != r.dwellings {
                            what.push(format!("logements {} → {}", o.dwellings, r.dwellings));
                        }
                        if o.label != r.label {
                            let l = |x: Option<logis_domain::stock::Letter>| {
                                x.map(|l| l.code().to_string())
                                    .unwrap_or_else(|| "—".into())
                            };
                            what.push(format!("étiquette {} → {}", l(o.label), l(r.label)));
                        }
                        if !what.is_empty() {
                            c.changed += 1;
                            changes.push((r.residence.clone(), name(r), what.join(", ")));
                        }
                    }
                }
            }
            for (k, r) in &old {
                if !new.contains_key(k) {
                    c.removed += 1;
                    changes.push((
                        r.residence.clone(),
                        name(r),
                        format!("retirée (était : {})", r.strategy.label()),
                    ));
                }
            }
            if visible.as_ref().is_none_or(|v| v.contains(&landlord)) {
                c.changes = changes;
            }
        }
        out.push(c);
    }
    Ok(out)
}

/// The rehabilitations the current plans schedule, against the programmes' rehabilitation
/// targets (ERBM's 23,000 in ten years, a PLH's): per year, dwellings whose rehabilitation or
/// restructuring ends that year (starts, without an end), and each programme's yearly pace over
/// its period.
#[derive(Debug, Clone, Default)]
pub struct RehabTargets {
    /// (programme, total, first year, last year)
    pub programmes: Vec<(String, u64, i32, i32)>,
    /// (year, dwellings planned, each programme's pace that year — none outside its period)
    pub years: Vec<(i32, u64, Vec<Option<u64>>)>,
}

pub fn rehab_against_targets(
    store: &dyn Store,
    within: Option<&(String, logis_domain::Territory)>,
) -> Result<RehabTargets> {
    use logis_domain::plans::Strategy;
    use logis_domain::register::targets::TargetScope;
    use logis_domain::register::vocab::Nature;
    let geo = store.geography()?;
    let mut planned: std::collections::BTreeMap<i32, u64> = std::collections::BTreeMap::new();
    for (_, _, _, residences) in current_plans(store)? {
        for r in residences {
            if !matches!(r.strategy, Strategy::Rehabilitate | Strategy::Restructure) {
                continue;
            }
            if let Some((_, t)) = within
                && !geo
                    .commune(r.commune.as_str())
                    .is_some_and(|c| t.contains(c))
            {
                continue;
            }
            if let Some(y) = r.end.or(r.start) {
                *planned.entry(y).or_default() += u64::from(r.dwellings);
            }
        }
    }
    let mut programmes = Vec::new();
    for p in store.programmes()? {
        if let Some(t) = store.targets(p.id)?
            && t.scope == TargetScope::Nature(Nature::Rehabilitation)
            && let Some(total) = t.total
        {
            programmes.push((p.name, total, t.first_year, t.last_year));
        }
    }
    let years = planned
        .into_iter()
        .map(|(y, n)| {
            let paces = programmes
                .iter()
                .map(|(_, total, a, b)| {
                    let span = u64::try_from(b - a + 1).unwrap_or(1).max(1);
                    (*a..=*b).contains(&y).then(|| total.div_ceil(span))
                })
                .collect();
            (y, n, paces)
        })
        .collect();
    Ok(RehabTargets { programmes, years })
}
