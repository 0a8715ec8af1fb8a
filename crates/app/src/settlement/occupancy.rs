//! The occupancy side of the settlement observatory (issue 21): the landlords' occupancy survey
//! imported (a landlord's survey replaced whole), its indicators per quartier and commune
//! against the whole EPCI (shares, concentration index) for the whole stock and the recent
//! movers, the sensitive quartiers by the EPCI's rule and those whose difficulties grow between
//! two surveys, the SNE demand per commune, and the local charters. Occupancy rows are personal
//! data: the landlord that supplied them reads its own figures exactly; everyone else reads
//! aggregates with small counts hidden (`domain::secrecy`).

use crate::{AppError, Result};
use logis_domain::secrecy::{HIDDEN, Shown, THRESHOLD, total};
use logis_domain::settlement::charter::{CharterForm, CharterStatus, parse_charter};
use logis_domain::settlement::occupancy::{
    DEMAND_COLUMNS, INDICATORS, Indicator, OCCUPANCY_COLUMNS, OCCUPANCY_REQUIRED, OccupancySums,
    SensitivityRule, concentration, parse_demand, parse_household, quartier_key, worsened,
};
use logis_domain::{Geography, Permission, Principal, Role};
use logis_io::RowSource;
use logis_io::read::Layout;
use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
use logis_store::settlement::occupancy::{AreaOccupancy, CharterRecord};
use logis_store::{Actor, RowProblem, Store};
use std::collections::BTreeMap;

/// An occupancy survey's columns.
pub const OCCUPANCY: Layout = Layout {
    columns: OCCUPANCY_COLUMNS,
    required: OCCUPANCY_REQUIRED,
    informative: &[],
    aliases: &[
        ("code_qpv", "qpv"),
        ("nb_personnes", "personnes"),
        ("nb_enfants", "enfants"),
        ("age", "age_titulaire"),
        ("apl", "aide_logement"),
        ("ressources", "ressources_pct_plafond"),
        ("emmenagement_recent", "emmenage_recent"),
        ("rpls", "logement"),
    ],
};

/// An SNE demand extract's columns.
pub const DEMAND: Layout = Layout {
    columns: DEMAND_COLUMNS,
    required: DEMAND_COLUMNS,
    informative: &["libelle_commune"],
    aliases: &[
        ("demandes_en_cours", "demandes"),
        ("mutations", "demandes_mutation"),
        ("delai_anormalement_long", "delai_depasse"),
    ],
};

/// A share grows by this many points between two surveys to count as worsening.
pub const WORSENING_POINTS: f64 = 2.0;

/// The landlord whose own occupancy and attributions the principal reads exactly (its
/// organisation, for a landlord's editor or reader).
pub fn own_landlord(p: &Principal) -> Option<i64> {
    matches!(p.role, Role::LandlordEditor | Role::LandlordReader)
        .then_some(p.organisation_id)
        .flatten()
}

/// What an occupancy import did.
#[derive(Debug, Default)]
pub struct OccupancyImport {
    pub problems: Vec<RowProblem>,
    pub households: u64,
    pub landlords: usize,
    pub committed: bool,
}

fn check_year(year: i32, what: &str) -> Result<()> {
    let this = chrono::Datelike::year(&chrono::Local::now().date_naive());
    if (2000..=this).contains(&year) {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "{what} « {year} » : une année entre 2000 et {this} attendue"
        )))
    }
}

/// Import (or check) an occupancy survey of the year `survey`: the EPCI any landlord's, a
/// landlord's editor its own. Each landlord of the file has its survey of that year replaced.
pub fn import_occupancy(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    source: Box<dyn RowSource>,
    survey: i32,
    commit: bool,
) -> Result<OccupancyImport> {
    let own = match principal.role {
        Role::Admin | Role::Agent => None,
        Role::LandlordEditor if principal.organisation_id.is_some() => principal.organisation_id,
        _ => {
            return Err(AppError::Invalid(
                "seuls l'EPCI et les bailleurs (saisie) importent l'occupation du parc".into(),
            ));
        }
    };
    check_year(survey, "enquête")?;
    let geo = crate::reference::geography(store)?.0;
    let (_, landlords) = crate::land::landlords(store)?;
    let known = store.known_qpvs()?;
    let mut check = |_: u64, c: &logis_domain::cells::Cells<'_>| {
        let h = parse_household(c, &geo, &landlords, &known).map_err(crate::rows::problems)?;
        if own.is_some_and(|o| o != h.landlord) {
            return Err(vec![(
                "bailleur".to_string(),
                "vous n'importez que l'occupation de votre organisation".to_string(),
            )]);
        }
        Ok(h)
    };
    Ok(
        match crate::rows::import(source, &OCCUPANCY, &mut check, commit, |fill| {
            store.write_survey(actor, survey, fill)
        })? {
            crate::rows::Imported::Written((households, ids)) => OccupancyImport {
                households,
                landlords: ids.len(),
                committed: true,
                ..Default::default()
            },
            crate::rows::Imported::RolledBack(streamed) => OccupancyImport {
                households: if streamed.problems.is_empty() {
                    streamed.rows
                } else {
                    0
                },
                problems: streamed.problems,
                ..Default::default()
            },
        },
    )
}

/// Import (or check) SNE demand per commune and year: the EPCI. Returns the rows, or problems.
pub fn import_demand(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    source: Box<dyn RowSource>,
    commit: bool,
) -> Result<std::result::Result<u64, Vec<RowProblem>>> {
    if !principal.may(Permission::EditReference) {
        return Err(AppError::Invalid(
            "seul l'EPCI importe la demande (SNE)".into(),
        ));
    }
    let geo = crate::reference::geography(store)?.0;
    let this = chrono::Datelike::year(&chrono::Local::now().date_naive());
    let drafts = match crate::proximity::rows(source, &DEMAND, &|c| parse_demand(c, &geo, this))? {
        Ok(d) => d,
        Err(p) => return Ok(Err(p)),
    };
    let mut seen = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for (row, d) in &drafts {
        if let Some(first) = seen.insert((d.commune.clone(), d.year), *row) {
            problems.push(RowProblem {
                row: *row,
                column: "commune".into(),
                message: format!(
                    "la commune {} en {} est déjà à la ligne {first}",
                    d.commune.as_str(),
                    d.year
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let rows: Vec<_> = drafts.into_iter().map(|(_, d)| d).collect();
    if !commit {
        return Ok(Ok(rows.len() as u64));
    }
    Ok(Ok(store.put_sne_demand(actor, &rows)?))
}

/// Set the EPCI's rule for sensitive quartiers.
pub fn set_rule(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    index: &str,
    indicators: &str,
) -> Result<SensitivityRule> {
    if !principal.may(Permission::EditReference) {
        return Err(AppError::Invalid(
            "seul l'EPCI fixe la règle des quartiers sensibles".into(),
        ));
    }
    let rule = SensitivityRule::parse(index, indicators).map_err(AppError::Invalid)?;
    store.set_sensitivity_rule(actor, &rule)?;
    Ok(rule)
}

/// An area of the indicators: an EPCI (the reference), a commune or a quartier.
#[derive(Debug, Clone)]
pub struct Area {
    /// `epci`, `commune` or `quartier`.
    pub scale: &'static str,
    pub code: String,
    pub label: String,
    /// The EPCI it is compared with.
    pub epci: String,
    pub sums: OccupancySums,
}

fn commune_epci(geo: &Geography, code: &str) -> (String, String) {
    let c = geo.commune(code);
    (
        c.and_then(|c| c.epci.as_ref())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        c.map(|c| c.name.clone())
            .unwrap_or_else(|| code.to_string()),
    )
}

/// The areas of a survey's sums (`only`: one landlord's), EPCIs first, then communes, then
/// quartiers.
pub fn areas(geo: &Geography, sums: &[AreaOccupancy], only: Option<i64>) -> Vec<Area> {
    let mut epcis: BTreeMap<String, OccupancySums> = BTreeMap::new();
    let mut communes: BTreeMap<String, OccupancySums> = BTreeMap::new();
    let mut quartiers: BTreeMap<String, (String, String, OccupancySums)> = BTreeMap::new();
    for a in sums.iter().filter(|a| only.is_none_or(|o| o == a.landlord)) {
        let (epci, _) = commune_epci(geo, &a.commune);
        epcis.entry(epci).or_default().merge(&a.sums);
        communes
            .entry(a.commune.clone())
            .or_default()
            .merge(&a.sums);
        if !a.quartier.is_empty() {
            quartiers
                .entry(quartier_key(&a.commune, &a.quartier))
                .or_insert_with(|| {
                    (
                        a.commune.clone(),
                        a.quartier.clone(),
                        OccupancySums::default(),
                    )
                })
                .2
                .merge(&a.sums);
        }
    }
    let mut out = Vec::new();
    for (siren, s) in epcis {
        out.push(Area {
            scale: "epci",
            label: geo
                .epci(&siren)
                .map(|e| e.name.clone())
                .unwrap_or_else(|| "Hors EPCI".into()),
            code: siren.clone(),
            epci: siren,
            sums: s,
        });
    }
    for (code, s) in communes {
        let (epci, name) = commune_epci(geo, &code);
        out.push(Area {
            scale: "commune",
            label: name,
            code,
            epci,
            sums: s,
        });
    }
    for (_, (commune, quartier, s)) in quartiers {
        let (epci, name) = commune_epci(geo, &commune);
        out.push(Area {
            scale: "quartier",
            label: format!("{quartier} ({name})"),
            code: format!("{commune}/{quartier}"),
            epci,
            sums: s,
        });
    }
    out
}

/// Whether a share resting on `count` of `base` households may be shown to whoever reads
/// aggregates only (neither the count nor the rest under the threshold).
fn share_shown(count: u64, base: u64) -> bool {
    count >= THRESHOLD && base.saturating_sub(count) >= THRESHOLD
}

fn percent(v: f64) -> String {
    logis_domain::numbers::decimal_fr(v, 1)
}

fn ratio(v: f64) -> String {
    logis_domain::numbers::decimal_fr(v, 2)
}

/// One indicator of an area as shown: the share and concentration index (exact, or `None`
/// where secrecy hides them).
fn shown(
    a: &OccupancySums,
    reference: Option<&OccupancySums>,
    i: Indicator,
    recent: bool,
    exact: bool,
) -> (Option<f64>, Option<f64>, bool) {
    let (c, b) = a.of(i, recent);
    if b == 0 {
        return (None, None, false);
    }
    if !exact && !share_shown(c, b) {
        return (None, None, true);
    }
    (
        a.share(i, recent),
        reference.and_then(|r| concentration(a, r, i, recent)),
        false,
    )
}

/// The stable columns of the `occupation` CSV.
pub const OCCUPANCY_REPORT_COLUMNS: &[&str] = &[
    "enquete",
    "population",
    "echelle",
    "code",
    "libelle",
    "epci",
    "menages",
    "indicateur",
    "part",
    "indice_concentration",
];

/// A quartier flagged by the rule, with the indicators that tripped it.
#[derive(Debug, Clone)]
pub struct Sensitive {
    pub label: String,
    pub households: String,
    /// (indicator's label, its concentration index as shown — « secret » when hidden)
    pub tripped: Vec<(&'static str, String)>,
}

/// A quartier whose difficulties grow: the indicators whose share grew by
/// [`WORSENING_POINTS`] or more since the previous survey.
#[derive(Debug, Clone)]
pub struct Worsening {
    pub label: String,
    /// (indicator's label, share before, share after — « secret » when hidden)
    pub indicators: Vec<(&'static str, String, String)>,
}

/// The occupancy observatory of one survey.
#[derive(Debug, Clone)]
pub struct Occupancy {
    pub survey: i32,
    pub surveys: Vec<i32>,
    pub previous: Option<i32>,
    pub rule: SensitivityRule,
    /// Whether the figures are one landlord's own, exact.
    pub own: bool,
    pub report: Report,
    pub sensitive: Vec<Sensitive>,
    pub worsening: Vec<Worsening>,
}

/// The occupancy indicators of `survey` (the latest by default) per EPCI, commune and quartier,
/// with the sensitive quartiers and those whose difficulties grow. `own`: one landlord's figures
/// exactly (its own rows); otherwise every landlord's, small counts hidden. `recent`: the grid
/// shows the recent movers (the CSV always has both). `long`: the long table too (the
/// download's; a page does without). `None` without any survey.
pub fn occupancy(
    store: &dyn Store,
    survey: Option<i32>,
    own: Option<i64>,
    recent: bool,
    long_table: bool,
) -> Result<Option<Occupancy>> {
    let surveys = store.occupancy_surveys()?;
    let Some(survey) = survey.or_else(|| surveys.last().copied()) else {
        return Ok(None);
    };
    if !surveys.contains(&survey) {
        return Err(AppError::Invalid(format!(
            "aucune enquête d'occupation {survey} importée"
        )));
    }
    let geo = store.geography()?;
    let rule = store.sensitivity_rule()?;
    let sums = store.occupancy_sums(survey)?;
    let exact = own.is_some();
    let list = areas(&geo, &sums, own);
    let references: BTreeMap<&str, &OccupancySums> = list
        .iter()
        .filter(|a| a.scale == "epci")
        .map(|a| (a.code.as_str(), &a.sums))
        .collect();
    let households = |n: u64| {
        if exact {
            Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
        } else {
            match total(n) {
                Shown::Count(n) => Cell::Int(i64::try_from(n).unwrap_or(i64::MAX)),
                Shown::Hidden => Cell::text(HIDDEN),
            }
        }
    };
    let mut long = Vec::new();
    let mut grid = Vec::new();
    for a in &list {
        let reference = if a.scale == "epci" {
            None
        } else {
            references.get(a.epci.as_str()).copied()
        };
        for (population, is_recent) in [("ensemble", false), ("emmenages_recents", true)] {
            if !long_table {
                break;
            }
            let n = if is_recent {
                a.sums.recent
            } else {
                a.sums.households
            };
            for i in Indicator::ALL {
                let (share, index, secret) = shown(&a.sums, reference, i, is_recent, exact);
                long.push(vec![
                    Cell::Int(i64::from(survey)),
                    Cell::text(population),
                    Cell::text(a.scale),
                    Cell::text(a.code.clone()),
                    Cell::text(a.label.clone()),
                    Cell::text(a.epci.clone()),
                    households(n),
                    Cell::text(i.code()),
                    match (share, secret) {
                        (Some(s), _) => Cell::text(percent(s)),
                        (None, true) => Cell::text("secret"),
                        (None, false) => Cell::Empty,
                    },
                    index.map_or(Cell::Empty, |x| Cell::text(ratio(x))),
                ]);
            }
        }
        let n = if recent {
            a.sums.recent
        } else {
            a.sums.households
        };
        let mut cells = vec![
            Cell::text(match a.scale {
                "epci" => "EPCI",
                "commune" => "Commune",
                _ => "Quartier",
            }),
            Cell::text(a.label.clone()),
            households(n),
        ];
        for i in Indicator::ALL {
            let (share, index, secret) = shown(&a.sums, reference, i, recent, exact);
            cells.push(match (share, index, secret) {
                (Some(s), Some(x), _) => Cell::text(format!("{} % ({})", percent(s), ratio(x))),
                (Some(s), None, _) => Cell::text(format!("{} %", percent(s))),
                (None, _, true) => Cell::text("secret"),
                _ => Cell::Empty,
            });
        }
        grid.push(GridRow {
            kind: if a.scale == "epci" {
                RowKind::Subtotal
            } else {
                RowKind::Detail
            },
            cells,
        });
    }
    // The sensitive quartiers, on every landlord's figures.
    let everyone = if exact {
        areas(&geo, &sums, None)
    } else {
        list.clone()
    };
    let all_refs: BTreeMap<&str, &OccupancySums> = everyone
        .iter()
        .filter(|a| a.scale == "epci")
        .map(|a| (a.code.as_str(), &a.sums))
        .collect();
    let mut sensitive = Vec::new();
    for a in everyone.iter().filter(|a| a.scale == "quartier") {
        let Some(r) = all_refs.get(a.epci.as_str()) else {
            continue;
        };
        if a.sums.households < THRESHOLD {
            continue;
        }
        let tripped = rule.tripped(&a.sums, r);
        if rule.flags(&tripped) {
            sensitive.push(Sensitive {
                label: a.label.clone(),
                households: total(a.sums.households).text(),
                tripped: tripped
                    .iter()
                    .map(|(i, x)| {
                        let (c, b) = a.sums.of(*i, false);
                        (
                            i.label(),
                            if share_shown(c, b) {
                                ratio(*x)
                            } else {
                                "secret".into()
                            },
                        )
                    })
                    .collect(),
            });
        }
    }
    // Difficulties growing since the previous survey.
    let previous = surveys.iter().rev().find(|s| **s < survey).copied();
    let mut worsening = Vec::new();
    if let Some(p) = previous {
        let before: BTreeMap<String, OccupancySums> = areas(&geo, &store.occupancy_sums(p)?, None)
            .into_iter()
            .filter(|a| a.scale == "quartier")
            .map(|a| (a.code, a.sums))
            .collect();
        for a in everyone.iter().filter(|a| a.scale == "quartier") {
            let Some(b) = before.get(&a.code) else {
                continue;
            };
            if a.sums.households < THRESHOLD || b.households < THRESHOLD {
                continue;
            }
            let w = worsened(b, &a.sums, WORSENING_POINTS);
            if w.len() >= rule.indicators {
                let show = |s: &OccupancySums, i: Indicator, v: f64| {
                    let (c, n) = s.of(i, false);
                    if share_shown(c, n) {
                        format!("{} %", percent(v))
                    } else {
                        "secret".into()
                    }
                };
                worsening.push(Worsening {
                    label: a.label.clone(),
                    indicators: w
                        .iter()
                        .map(|(i, x, y)| (i.label(), show(b, *i, *x), show(&a.sums, *i, *y)))
                        .collect(),
                });
            }
        }
    }
    let mut header = vec![
        "Échelle".to_string(),
        "Territoire".to_string(),
        "Ménages".to_string(),
    ];
    header.extend(Indicator::ALL.iter().map(|i| i.label().to_string()));
    debug_assert_eq!(header.len(), 3 + INDICATORS);
    Ok(Some(Occupancy {
        survey,
        surveys,
        previous,
        rule,
        own: exact,
        report: Report {
            name: "occupation",
            title: format!("Occupation du parc social — enquête {survey}"),
            scope: format!(
                "{} ; {}",
                if recent {
                    "emménagés récents"
                } else {
                    "ensemble des ménages"
                },
                if exact {
                    "vos données (exactes)"
                } else {
                    "tous les bailleurs"
                }
            ),
            notes: vec![
                "Chaque case : la part des ménages (parmi ceux pour qui l'enquête répond) et, entre parenthèses, l'indice de concentration (part du territoire / part de l'EPCI).".into(),
                if exact {
                    "Vos propres données : les effectifs sont exacts.".into()
                } else {
                    format!("Données personnelles : un effectif de moins de 5 s'affiche « {HIDDEN} » et une part qui reposerait sur moins de 5 ménages « secret ».")
                },
            ],
            long_columns: OCCUPANCY_REPORT_COLUMNS.to_vec(),
            long_rows: long,
            grid: Grid {
                groups: Vec::new(),
                header,
                row_header_columns: 2,
                rows: grid,
            },
        },
        sensitive,
        worsening,
    }))
}

/// The stable columns of the `demande` CSV.
pub const DEMAND_REPORT_COLUMNS: &[&str] = &[
    "annee",
    "commune",
    "libelle",
    "demandes",
    "dont_mutations",
    "attributions",
    "pression",
    "delai_depasse",
];

/// The SNE demand per commune and year: pressure (demands per attribution) and demands past
/// the legal delay. (Aggregates published by the SNE: no secrecy needed.)
pub fn demand_report(store: &dyn Store) -> Result<Report> {
    let geo = store.geography()?;
    let mut rows = Vec::new();
    for d in store.sne_demand()? {
        let (_, name) = commune_epci(&geo, d.commune.as_str());
        rows.push(vec![
            Cell::Int(i64::from(d.year)),
            Cell::text(d.commune.as_str()),
            Cell::text(name),
            Cell::Int(i64::from(d.demands)),
            Cell::Int(i64::from(d.transfers)),
            Cell::Int(i64::from(d.attributions)),
            d.pressure().map_or(Cell::Empty, |p| Cell::text(percent(p))),
            Cell::Int(i64::from(d.past_delay)),
        ]);
    }
    Ok(Report {
        name: "demande",
        title: "Demande de logement social (SNE)".into(),
        scope: "par commune et par année".into(),
        notes: vec!["Pression : demandes en cours pour une attribution de l'année.".into()],
        long_columns: DEMAND_REPORT_COLUMNS.to_vec(),
        grid: Grid {
            groups: Vec::new(),
            header: DEMAND_REPORT_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .collect(),
            row_header_columns: 3,
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

/// Create (`id` None) or update a local charter: the EPCI.
pub fn save_charter(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    id: Option<i64>,
    form: &CharterForm<'_>,
) -> Result<std::result::Result<i64, Vec<(&'static str, String)>>> {
    if !principal.may(Permission::EditReference) {
        return Err(AppError::Invalid(
            "seul l'EPCI tient les chartes de peuplement".into(),
        ));
    }
    let geo = crate::reference::geography(store)?.0;
    let draft = match parse_charter(form, &geo, chrono::Local::now().date_naive()) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(match id {
        None => store.create_charter(actor, &draft)?,
        Some(id) => {
            if !store.update_charter(actor, id, &draft)? {
                return Err(AppError::Store(logis_store::StoreError::NotFound(format!(
                    "charte {id}"
                ))));
            }
            id
        }
    }))
}

/// The charters, and the count of charters signed per (year, count): the seed's indicator.
pub type Charters = (Vec<CharterRecord>, Vec<(i32, u64)>);

/// The charters, and the count of charters signed per year (the seed's indicator).
pub fn charters(store: &dyn Store) -> Result<Charters> {
    let list = store.charters()?;
    let mut per_year: BTreeMap<i32, u64> = BTreeMap::new();
    for c in &list {
        if let (Some(d), CharterStatus::Signed | CharterStatus::Followed) =
            (c.charter.signed, c.charter.status)
        {
            *per_year.entry(chrono::Datelike::year(&d)).or_default() += 1;
        }
    }
    Ok((list, per_year.into_iter().collect()))
}

/// One survey of a charter's quartier: (survey, households as shown, each followed indicator
/// as shown).
pub type CharterSurvey = (i32, String, Vec<String>);

/// A charter's quartier over the surveys: per survey, its households and each followed
/// indicator's share (with its concentration index) as shown to whoever reads aggregates.
pub fn charter_history(store: &dyn Store, c: &CharterRecord) -> Result<Vec<CharterSurvey>> {
    let geo = store.geography()?;
    let key = quartier_key(c.charter.commune.as_str(), &c.charter.quartier);
    let followed: Vec<Indicator> = if c.charter.indicators.is_empty() {
        Indicator::ALL.to_vec()
    } else {
        c.charter.indicators.clone()
    };
    let mut out = Vec::new();
    for survey in store.occupancy_surveys()? {
        let sums = store.occupancy_sums(survey)?;
        let list = areas(&geo, &sums, None);
        let Some(q) = list.iter().find(|a| {
            a.scale == "quartier" && {
                let (commune, quartier) = a.code.split_once('/').unwrap_or_default();
                quartier_key(commune, quartier) == key
            }
        }) else {
            continue;
        };
        let reference = list
            .iter()
            .find(|a| a.scale == "epci" && a.code == q.epci)
            .map(|a| &a.sums);
        let cells = followed
            .iter()
            .map(|i| match shown(&q.sums, reference, *i, false, false) {
                (Some(s), Some(x), _) => format!("{} % ({})", percent(s), ratio(x)),
                (Some(s), None, _) => format!("{} %", percent(s)),
                (None, _, true) => "secret".into(),
                _ => "—".into(),
            })
            .collect();
        out.push((survey, total(q.sums.households).text(), cells));
    }
    Ok(out)
}
