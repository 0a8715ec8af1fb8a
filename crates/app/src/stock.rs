//! The social housing stock's use cases (issue 20): import an RPLS file of any vintage (every
//! row checked, its sums per commune, QPV and landlord and its breakdowns computed while it is
//! read and written in the same transaction as its dwellings), import the main residences per
//! commune, and the `parc` report at every scale.

use crate::{AppError, Result};
use logis_domain::stock::{
    Dwelling, Fields, Indicators, RPLS_ALIASES, RPLS_COLUMNS, RPLS_INFORMATIVE, RPLS_REQUIRED,
    StockSums, is_known_unused, parse_dwelling, sru_estimate,
};
use logis_domain::text::header_key;
use logis_domain::{Geography, Permission, Principal};
use logis_io::read::{HeaderMap, Layout};
use logis_io::{ReadError, RowSource};
use logis_store::stock::{AreaSums, Breakdown, VintageSummary};
use logis_store::{Actor, RowProblem, Store, StoreError};
use std::collections::{BTreeMap, HashMap};

/// An RPLS file's columns (every vintage's names).
pub const RPLS: Layout = Layout {
    columns: RPLS_COLUMNS,
    required: RPLS_REQUIRED,
    informative: RPLS_INFORMATIVE,
    aliases: RPLS_ALIASES,
};

/// Problems listed in a report (beyond, counted).
const LISTED: usize = 1_000;

/// How to import an RPLS file.
#[derive(Debug, Clone)]
pub struct RplsOptions {
    /// The vintage (1 January of that year).
    pub vintage: i32,
    /// Write it (else only check).
    pub commit: bool,
    /// Import the valid rows and hand each refused row to the caller (`--rejets`), instead of
    /// refusing the file.
    pub keep_valid: bool,
    /// The file's name, kept with the vintage.
    pub source: String,
}

/// What an RPLS import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RplsReport {
    pub vintage: i32,
    pub rows_read: u64,
    pub dwellings: u64,
    pub rejected: u64,
    pub problems: Vec<RowProblem>,
    pub problems_not_listed: u64,
    /// Header cells logis does not know (named when the file is refused).
    pub unknown_columns: Vec<String>,
    /// The "version loi" (occupancy, rents or landlords given).
    pub full: bool,
    pub committed: bool,
}

impl RplsReport {
    /// The report in French.
    pub fn render_fr(&self) -> String {
        let mut out = String::new();
        if self.committed {
            out.push_str(&format!(
                "Millésime {} importé : {} logements{}{}.\n",
                self.vintage,
                self.dwellings,
                if self.full {
                    " (version complète : occupation, loyers, bailleurs)"
                } else {
                    " (version ouverte : sans bailleur, loyer ni occupation)"
                },
                if self.rejected > 0 {
                    format!(
                        ", {} lignes refusées écrites dans le fichier des rejets",
                        self.rejected
                    )
                } else {
                    String::new()
                }
            ));
        } else if self.problems.is_empty() {
            out.push_str(&format!(
                "Fichier valide : {} logements pour le millésime {} (rien n'a été écrit).\n",
                self.dwellings, self.vintage
            ));
        } else {
            out.push_str(&format!(
                "Fichier refusé, rien n'a été écrit ({} problèmes) :\n",
                self.problems.len() as u64 + self.problems_not_listed
            ));
            for p in &self.problems {
                out.push_str(&format!(
                    "  ligne {}, colonne {} : {}\n",
                    p.row, p.column, p.message
                ));
            }
            if self.problems_not_listed > 0 {
                out.push_str(&format!(
                    "  … et {} autres problèmes\n",
                    self.problems_not_listed
                ));
            }
        }
        out
    }
}

/// The construction period of a year, as the page shows it.
pub fn period(year: Option<i32>) -> &'static str {
    match year {
        None => "inconnue",
        Some(y) if y < 1949 => "avant 1949",
        Some(y) if y < 1975 => "1949-1974",
        Some(y) if y < 1990 => "1975-1989",
        Some(y) if y < 2005 => "1990-2004",
        Some(y) if y < 2015 => "2005-2014",
        Some(_) => "2015 et après",
    }
}

/// What is summed while a file is read.
#[derive(Default)]
struct Tally {
    communes: HashMap<String, StockSums>,
    qpvs: HashMap<String, StockSums>,
    landlords: HashMap<String, (String, StockSums)>,
    breakdowns: HashMap<(String, &'static str, String), u64>,
}

impl Tally {
    fn add(&mut self, d: &Dwelling, vintage: i32) {
        let commune = d.commune.as_ref().map(|c| c.as_str()).unwrap_or_default();
        self.communes
            .entry(commune.to_string())
            .or_default()
            .add(d, vintage);
        if let Some(q) = &d.qpv {
            self.qpvs.entry(q.clone()).or_default().add(d, vintage);
        }
        if let Some(s) = d.landlord_siren() {
            let e = self.landlords.entry(s.to_string()).or_insert_with(|| {
                (
                    d.landlord_name.clone().unwrap_or_default(),
                    StockSums::default(),
                )
            });
            e.1.add(d, vintage);
        }
        let rooms = match d.rooms {
            None => "inconnu".to_string(),
            Some(n) if n >= 5 => "5 et plus".to_string(),
            Some(n) => n.to_string(),
        };
        for (dim, key) in [
            ("pieces", rooms),
            ("periode", period(d.built).to_string()),
            (
                "financement",
                d.financing
                    .map_or_else(|| "inconnu".into(), |f| f.to_string()),
            ),
            (
                "segment",
                d.segment.clone().unwrap_or_else(|| "inconnu".into()),
            ),
        ] {
            *self
                .breakdowns
                .entry((commune.to_string(), dim, key))
                .or_default() += 1;
        }
    }

    fn summary(
        self,
        geo: &Geography,
        fields: Fields,
        source: String,
        rejected: u64,
    ) -> VintageSummary {
        let mut areas = Vec::new();
        let mut dwellings = 0;
        for (code, sums) in self.communes {
            dwellings += sums.dwellings;
            let label = geo
                .commune(&code)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            areas.push(AreaSums {
                scale: "commune".into(),
                code,
                label,
                sums,
            });
        }
        for (code, sums) in self.qpvs {
            areas.push(AreaSums {
                scale: "qpv".into(),
                label: code.clone(),
                code,
                sums,
            });
        }
        for (code, (label, sums)) in self.landlords {
            areas.push(AreaSums {
                scale: "bailleur".into(),
                code,
                label,
                sums,
            });
        }
        let breakdowns = self
            .breakdowns
            .into_iter()
            .map(|((commune, dimension, key), n)| Breakdown {
                commune,
                dimension: dimension.to_string(),
                key,
                dwellings: n,
            })
            .collect();
        VintageSummary {
            fields,
            dwellings,
            rejected,
            source,
            areas,
            breakdowns,
        }
    }
}

/// The marker of an import rolled back (a check-only run, or a file with errors).
const ROLLED_BACK: &str = "import RPLS annulé";

/// Import (or check) an RPLS file as vintage `opts.vintage`: every row is checked; by default a
/// file with any bad row writes nothing; with `keep_valid` the valid rows are imported and each
/// refused row is given to `reject` (file row, cells, reasons). `progress` hears the rows read.
pub fn import_rpls(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    mut source: Box<dyn RowSource>,
    opts: &RplsOptions,
    reject: &mut dyn FnMut(u64, &[String], &str),
    progress: &mut dyn FnMut(u64),
) -> Result<RplsReport> {
    if !principal.may(Permission::EditReference) {
        return Err(AppError::Invalid(
            "seul l'EPCI importe le répertoire du parc social (RPLS)".into(),
        ));
    }
    let mut report = RplsReport {
        vintage: opts.vintage,
        ..Default::default()
    };
    if !(2000..=2100).contains(&opts.vintage) {
        return Err(AppError::Invalid(format!(
            "millésime « {} » : une année entre 2000 et 2100 attendue",
            opts.vintage
        )));
    }
    let header = source.header().to_vec();
    let map = match HeaderMap::of(&header, &RPLS) {
        Ok(m) => m,
        Err(problems) => {
            report.unknown_columns = header
                .iter()
                .filter(|h| {
                    let k = header_key(h);
                    !k.is_empty()
                        && !is_known_unused(&k)
                        && !RPLS_COLUMNS.contains(&k.as_str())
                        && !RPLS_ALIASES.iter().any(|(a, _)| *a == k)
                })
                .map(|h| h.trim().to_string())
                .collect();
            report.problems = problems
                .into_iter()
                .map(|p| RowProblem {
                    row: 1,
                    column: p.column,
                    message: p.message,
                })
                .collect();
            if !report.unknown_columns.is_empty() {
                report.problems.push(RowProblem {
                    row: 1,
                    column: String::new(),
                    message: format!(
                        "ce fichier n'a pas la forme d'un fichier RPLS ; colonnes inconnues : {}",
                        report.unknown_columns.join(", ")
                    ),
                });
            }
            return Ok(report);
        }
    };
    let mapped: Vec<&str> = map.columns.iter().map(|(c, _)| *c).collect();
    let fields = Fields::of(&mapped);
    report.full = fields.is_full();
    let geo = crate::reference::geography(store)?.0;
    let vintage = opts.vintage;
    let mut read_error: Option<ReadError> = None;
    let outcome = store.replace_vintage(actor, vintage, &mut |sink| {
        let mut tally = Tally::default();
        while let Some(next) = source.next_row() {
            let row = match next {
                Ok(r) => r,
                Err(ReadError::BadRow { row, message }) => {
                    report.rows_read += 1;
                    if opts.keep_valid {
                        report.rejected += 1;
                        reject(row, &[], &message);
                    } else {
                        push(&mut report, row, "", message);
                    }
                    continue;
                }
                Err(e) => {
                    read_error = Some(e);
                    return Err(StoreError::Invalid(ROLLED_BACK.into()));
                }
            };
            report.rows_read += 1;
            if report.rows_read.is_multiple_of(100_000) {
                progress(report.rows_read);
            }
            if row.is_blank() {
                continue;
            }
            match parse_dwelling(map.cells(&row), &geo) {
                Ok(d) => {
                    tally.add(&d, vintage);
                    report.dwellings += 1;
                    if report.problems.is_empty() || opts.keep_valid {
                        sink(&d)?;
                    }
                }
                Err(errors) => {
                    if opts.keep_valid {
                        report.rejected += 1;
                        let reasons: Vec<String> =
                            errors.iter().map(|(c, m)| format!("{c} : {m}")).collect();
                        reject(row.row, &row.cells, &reasons.join(" ; "));
                    } else {
                        for (column, message) in errors {
                            push(&mut report, row.row, column, message);
                        }
                    }
                }
            }
        }
        progress(report.rows_read);
        if !report.problems.is_empty() || !opts.commit {
            return Err(StoreError::Invalid(ROLLED_BACK.into()));
        }
        Ok(tally.summary(&geo, fields, opts.source.clone(), report.rejected))
    });
    if let Some(e) = read_error {
        return Err(e.into());
    }
    match outcome {
        Ok(_) => report.committed = true,
        Err(StoreError::Invalid(m)) if m == ROLLED_BACK => {}
        Err(e) => return Err(e.into()),
    }
    Ok(report)
}

fn push(report: &mut RplsReport, row: u64, column: &str, message: String) {
    if report.problems.len() < LISTED {
        report.problems.push(RowProblem {
            row,
            column: column.to_string(),
            message,
        });
    } else {
        report.problems_not_listed += 1;
    }
}

/// Import the main residences of census year `year` (`commune, residences_principales`): a
/// commune unknown, a count that is not a whole number, a commune given twice are refused with
/// their row, and nothing is written.
pub fn import_main_residences(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    mut source: Box<dyn RowSource>,
    year: i32,
    commit: bool,
) -> Result<(u64, Vec<RowProblem>)> {
    if !principal.may(Permission::EditReference) {
        return Err(AppError::Invalid(
            "seul l'EPCI importe les résidences principales".into(),
        ));
    }
    if !(1990..=2100).contains(&year) {
        return Err(AppError::Invalid(format!(
            "année « {year} » : une année de recensement entre 1990 et 2100 attendue"
        )));
    }
    let layout = Layout {
        columns: &["commune", "residences_principales"],
        required: &["commune", "residences_principales"],
        informative: &["libelle", "nom"],
        aliases: &[
            ("code_commune", "commune"),
            ("codgeo", "commune"),
            ("rp", "residences_principales"),
        ],
    };
    let map = match HeaderMap::of(source.header(), &layout) {
        Ok(m) => m,
        Err(p) => {
            return Ok((
                0,
                p.into_iter()
                    .map(|p| RowProblem {
                        row: 1,
                        column: p.column,
                        message: p.message,
                    })
                    .collect(),
            ));
        }
    };
    let geo = crate::reference::geography(store)?.0;
    let mut rows: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut problems = Vec::new();
    while let Some(next) = source.next_row() {
        let row = match next {
            Ok(r) => r,
            Err(ReadError::BadRow { row, message }) => {
                problems.push(RowProblem {
                    row,
                    column: String::new(),
                    message,
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if row.is_blank() {
            continue;
        }
        let mut commune = None;
        let mut count = None;
        for (column, value) in map.cells(&row) {
            let v = value.unwrap_or_default().trim();
            let mut bad = |m: String| {
                problems.push(RowProblem {
                    row: row.row,
                    column: column.to_string(),
                    message: m,
                })
            };
            match column {
                "commune" => match geo.resolve(v, None) {
                    Ok(c) => commune = Some(c.code.as_str().to_string()),
                    Err(e) => bad(e.to_string()),
                },
                _ => match logis_domain::numbers::parse_integer(v) {
                    Some(n) if n >= 0 => count = Some(n as u64),
                    _ => bad(format!(
                        "« {v} » : un nombre de résidences principales attendu"
                    )),
                },
            }
        }
        if let (Some(c), Some(n)) = (commune, count) {
            if let Some((first, _)) = rows.get(&c) {
                problems.push(RowProblem {
                    row: row.row,
                    column: "commune".into(),
                    message: format!("la commune {c} est déjà donnée à la ligne {first}"),
                });
            } else {
                rows.insert(c, (row.row, n));
            }
        }
    }
    if !problems.is_empty() || !commit {
        return Ok((rows.len() as u64, problems));
    }
    let list: Vec<(String, u64)> = rows.into_iter().map(|(c, (_, n))| (c, n)).collect();
    store.put_main_residences(actor, year, &list)?;
    Ok((list.len() as u64, problems))
}

/// The scales of the `parc` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Commune,
    Epci,
    Department,
    Region,
    Qpv,
    Landlord,
}

impl Scale {
    pub const ALL: [Scale; 6] = [
        Scale::Commune,
        Scale::Epci,
        Scale::Department,
        Scale::Region,
        Scale::Qpv,
        Scale::Landlord,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Scale::Commune => "commune",
            Scale::Epci => "epci",
            Scale::Department => "departement",
            Scale::Region => "region",
            Scale::Qpv => "qpv",
            Scale::Landlord => "bailleur",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Scale::Commune => "commune",
            Scale::Epci => "EPCI",
            Scale::Department => "département",
            Scale::Region => "région",
            Scale::Qpv => "quartier prioritaire",
            Scale::Landlord => "bailleur",
        }
    }
    pub fn parse(text: &str) -> std::result::Result<Scale, String> {
        let k = header_key(text);
        Scale::ALL
            .into_iter()
            .find(|s| s.code() == k)
            .ok_or_else(|| {
                format!(
                    "échelle « {text} » inconnue (attendu : commune, epci, departement, region, qpv ou bailleur)"
                )
            })
    }
}

/// One area's row of the `parc` report.
#[derive(Debug, Clone, PartialEq)]
pub struct ParcRow {
    pub code: String,
    pub label: String,
    pub indicators: Indicators,
    pub main_residences: Option<u64>,
    pub social_per_100: Option<f64>,
}

/// The `parc` report of a vintage at a scale.
#[derive(Debug, Clone, PartialEq)]
pub struct ParcReport {
    pub vintage: i32,
    pub scale: Scale,
    pub fields: Fields,
    pub rows: Vec<ParcRow>,
}

/// The stable columns of the `parc` CSV.
pub const PARC_COLUMNS: &[&str] = &[
    "millesime",
    "echelle",
    "code",
    "libelle",
    "logements",
    "en_qpv",
    "conventionnes",
    "loues",
    "vacants",
    "vacants_plus_3_mois",
    "taux_vacance",
    "taux_mobilite",
    "loyer_m2",
    "dpe_a",
    "dpe_b",
    "dpe_c",
    "dpe_d",
    "dpe_e",
    "dpe_f",
    "dpe_g",
    "dpe_inconnu",
    "non_decents_2025",
    "non_decents_2028",
    "non_decents_2034",
    "residences_principales",
    "logements_sociaux_pour_100_rp",
];

/// The `parc` report: `vintage` (the latest held when `None`) at `scale`. An EPCI, department
/// or region sums its communes' sums.
pub fn parc_report(store: &dyn Store, vintage: Option<i32>, scale: Scale) -> Result<ParcReport> {
    let vintages = store.stock_vintages()?;
    let held = match vintage {
        Some(v) => vintages.iter().find(|h| h.vintage == v).ok_or_else(|| {
            AppError::Invalid(format!(
                "le millésime {v} n'est pas importé (millésimes : {})",
                list(&vintages)
            ))
        })?,
        None => vintages.last().ok_or_else(|| {
            AppError::Invalid(
                "aucun millésime du RPLS n'est importé : « logis import rpls FICHIER --millesime AAAA »"
                    .into(),
            )
        })?,
    };
    let geo = store.geography()?;
    let stored = match scale {
        Scale::Qpv => "qpv",
        Scale::Landlord => "bailleur",
        _ => "commune",
    };
    let sums = store.stock_sums(held.vintage, stored)?;
    // Main residences of the latest census up to the vintage's previous year.
    let residences: HashMap<String, u64> = store
        .main_residences(held.vintage - 1)?
        .into_iter()
        .collect();
    let departments = store.departments()?;
    let region_of: HashMap<&str, &str> = departments
        .iter()
        .map(|(d, _, r)| (d.as_str(), r.as_str()))
        .collect();
    let mut groups: BTreeMap<String, (String, StockSums, Option<u64>)> = BTreeMap::new();
    for a in &sums {
        let commune = geo.commune(&a.code);
        let (code, label) = match scale {
            Scale::Commune | Scale::Qpv | Scale::Landlord => (a.code.clone(), a.label.clone()),
            Scale::Epci => match commune.and_then(|c| c.epci.as_ref()) {
                Some(s) => (
                    s.as_str().to_string(),
                    geo.epci(s.as_str())
                        .map(|e| e.name.clone())
                        .unwrap_or_default(),
                ),
                None => ("".into(), "hors EPCI".into()),
            },
            Scale::Department => {
                let d = commune.map(|c| c.department.clone()).unwrap_or_default();
                let name = departments
                    .iter()
                    .find(|(c, _, _)| *c == d)
                    .map(|(_, n, _)| n.clone())
                    .unwrap_or_default();
                (d, name)
            }
            Scale::Region => {
                let r = commune
                    .and_then(|c| region_of.get(c.department.as_str()))
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                let label = format!("région {r}");
                (r, label)
            }
        };
        let rp = match scale {
            Scale::Qpv | Scale::Landlord => None,
            _ => residences.get(&a.code).copied(),
        };
        let e = groups
            .entry(code)
            .or_insert_with(|| (label, StockSums::default(), None));
        e.1.merge(&a.sums);
        if let Some(n) = rp {
            e.2 = Some(e.2.unwrap_or(0) + n);
        }
    }
    let rows = groups
        .into_iter()
        .map(|(code, (label, s, rp))| ParcRow {
            code,
            label,
            indicators: Indicators::of(&s, &held.fields),
            main_residences: rp,
            social_per_100: rp
                .and_then(|n| sru_estimate(s.dwellings, n, 25))
                .map(|e| e.per_100),
        })
        .collect();
    Ok(ParcReport {
        vintage: held.vintage,
        scale,
        fields: held.fields,
        rows,
    })
}

fn list(v: &[logis_store::stock::VintageRecord]) -> String {
    if v.is_empty() {
        return "aucun".into();
    }
    v.iter()
        .map(|h| h.vintage.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn decimal(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}").replace('.', ","))
        .unwrap_or_default()
}

fn num(v: Option<u64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

impl ParcReport {
    /// Rows of the CSV, in [`PARC_COLUMNS`]' order (an empty cell: the file had no such field).
    pub fn table(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| {
                let i = &r.indicators;
                let mut row = vec![
                    self.vintage.to_string(),
                    self.scale.code().to_string(),
                    r.code.clone(),
                    r.label.clone(),
                    i.dwellings.to_string(),
                    num(i.in_qpv),
                    num(i.conventioned),
                    num(i.let_),
                    num(i.vacant),
                    num(i.vacant_3_months),
                    decimal(i.vacancy_rate, 1),
                    decimal(i.mobility_rate, 1),
                    decimal(i.rent_per_m2, 2),
                ];
                match i.classes {
                    Some(c) => row.extend(c.iter().map(u64::to_string)),
                    None => row.extend(std::iter::repeat_n(String::new(), 8)),
                }
                row.extend([
                    num(i.banned_2025),
                    num(i.banned_2028),
                    num(i.banned_2034),
                    num(r.main_residences),
                    decimal(r.social_per_100, 1),
                ]);
                row
            })
            .collect()
    }
}

impl ParcReport {
    /// As a report (CSV long table in [`PARC_COLUMNS`], grid for XLSX and HTML).
    pub fn report(&self) -> logis_io::report::Report {
        use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
        let table = self.table();
        let cell = |t: &String| {
            if t.is_empty() {
                Cell::Empty
            } else if let Ok(n) = t.parse::<i64>() {
                Cell::Int(n)
            } else {
                Cell::text(t.clone())
            }
        };
        let long_rows: Vec<Vec<Cell>> =
            table.iter().map(|r| r.iter().map(cell).collect()).collect();
        let grid_rows = table
            .iter()
            .map(|r| GridRow {
                kind: RowKind::Detail,
                cells: r.iter().skip(2).map(cell).collect(),
            })
            .collect();
        let mut notes = vec![
            "Classe énergétique : la moins bonne des étiquettes énergie et gaz à effet de serre ; non décents : G dès 2025, F et G dès 2028, E, F et G dès 2034.".to_string(),
            "Logements sociaux pour 100 résidences principales : une estimation (l'inventaire SRU officiel est celui du préfet).".to_string(),
        ];
        if !self.fields.is_full() {
            notes.push("Version ouverte du RPLS : sans occupation, loyers ni bailleurs (cases vides, jamais 0).".into());
        }
        let labels = [
            "Logements",
            "En QPV",
            "Conventionnés",
            "Loués",
            "Vacants",
            "Vacants depuis plus de 3 mois",
            "Taux de vacance (%)",
            "Taux de mobilité (%)",
            "Loyer (€/m²/mois)",
            "DPE A",
            "DPE B",
            "DPE C",
            "DPE D",
            "DPE E",
            "DPE F",
            "DPE G",
            "Sans DPE",
            "Non décents en 2025",
            "Non décents en 2028",
            "Non décents en 2034",
            "Résidences principales",
            "Logements sociaux pour 100 résidences principales",
        ];
        let mut header = vec!["Code".to_string(), self.scale.label().to_string()];
        header.extend(labels.iter().map(|l| l.to_string()));
        Report {
            name: "parc",
            title: format!(
                "Parc locatif social au 1er janvier {} par {}",
                self.vintage,
                self.scale.label()
            ),
            scope: format!(
                "millésime RPLS {} ; échelle : {}",
                self.vintage,
                self.scale.label()
            ),
            notes,
            long_columns: PARC_COLUMNS.to_vec(),
            long_rows,
            grid: Grid {
                groups: Vec::new(),
                header,
                row_header_columns: 2,
                rows: grid_rows,
            },
        }
    }
}

/// One breakdown of the stock: its title and its (value, dwellings).
pub type StockBreakdown = (&'static str, Vec<(String, u64)>);

/// The breakdowns of a vintage over the territory's communes (all when none is set): each
/// dimension's title and its (value, dwellings), in the page's order.
pub fn breakdowns(store: &dyn Store, vintage: i32) -> Result<Vec<StockBreakdown>> {
    let (geo, territory) = crate::reference::geography(store)?;
    let inside: Option<std::collections::HashSet<String>> = territory.as_ref().map(|t| {
        geo.territory_members(t)
            .map(|c| c.code.as_str().to_string())
            .collect()
    });
    let mut by: BTreeMap<(usize, String), u64> = BTreeMap::new();
    const DIMENSIONS: [(&str, &str); 4] = [
        ("pieces", "Par nombre de pièces"),
        ("periode", "Par période de construction"),
        ("financement", "Par financement initial"),
        ("segment", "Par segment de patrimoine"),
    ];
    for b in store.stock_breakdowns(vintage)? {
        if inside.as_ref().is_some_and(|s| !s.contains(&b.commune)) {
            continue;
        }
        if let Some(i) = DIMENSIONS.iter().position(|(d, _)| *d == b.dimension) {
            *by.entry((i, b.key)).or_default() += b.dwellings;
        }
    }
    let periods = [
        "avant 1949",
        "1949-1974",
        "1975-1989",
        "1990-2004",
        "2005-2014",
        "2015 et après",
        "inconnue",
    ];
    Ok(DIMENSIONS
        .iter()
        .enumerate()
        .map(|(i, (dim, title))| {
            let mut rows: Vec<(String, u64)> = by
                .iter()
                .filter(|((j, _), _)| *j == i)
                .map(|((_, k), n)| {
                    let label = match *dim {
                        "pieces" if k.as_str() == "inconnu" => "inconnu".to_string(),
                        "pieces" if k.as_str() == "1" => "1 pièce".to_string(),
                        "pieces" if k.as_str() == "5 et plus" => "5 pièces et plus".to_string(),
                        "pieces" => format!("{k} pièces"),
                        "financement" => match logis_domain::stock::financing_label(k) {
                            "" => k.clone(),
                            l => format!("{l} ({k})"),
                        },
                        _ => k.clone(),
                    };
                    (label, *n)
                })
                .collect();
            if *dim == "periode" {
                rows.sort_by_key(|(k, _)| {
                    periods.iter().position(|p| p == k).unwrap_or(usize::MAX)
                });
            }
            (*title, rows)
        })
        .collect())
}
