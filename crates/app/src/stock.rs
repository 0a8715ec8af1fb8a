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
use logis_store::stock::{AreaSums, Breakdown, RentSums, VintageSummary};
use logis_store::{Actor, RowProblem, Store, StoreError};
use rustc_hash::FxHashMap;
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

/// What is summed of one commune while a file is read.
#[derive(Default)]
struct CommuneTally {
    sums: StockSums,
    /// 1, 2, 3, 4, 5 and more, unknown.
    rooms: [u64; 6],
    /// [`PERIODS`]' order.
    periods: [u64; 7],
    financing: BTreeMap<u32, u64>,
    financing_unknown: u64,
    segments: FxHashMap<String, u64>,
    /// Rents (cents, surface in cm², dwellings) of the dwellings with one, by financing, by
    /// period ([`PERIODS`]' order), of those first let in the last five years, of all.
    rent_financing: BTreeMap<u32, (i64, i64, u64)>,
    rent_periods: [(i64, i64, u64); 7],
    rent_recent: (i64, i64, u64),
    rent_all: (i64, i64, u64),
}

fn add_rent(slot: &mut (i64, i64, u64), rent: i64, surface_cm2: i64) {
    slot.0 += rent;
    slot.1 += surface_cm2;
    slot.2 += 1;
}

/// The construction periods, in order ([`period`]).
const PERIODS: [&str; 7] = [
    "avant 1949",
    "1949-1974",
    "1975-1989",
    "1990-2004",
    "2005-2014",
    "2015 et après",
    "inconnue",
];

/// What is summed while a file is read: per commune (its sums and breakdowns), QPV and
/// landlord. Memory is that of the communes, quartiers and landlords met, not of the rows.
#[derive(Default)]
struct Tally {
    communes: FxHashMap<String, CommuneTally>,
    qpvs: FxHashMap<String, StockSums>,
    landlords: FxHashMap<String, (String, StockSums)>,
}

/// `map[key]`, inserted empty when absent, found without copying the key when present.
fn slot<'a, V: Default>(map: &'a mut FxHashMap<String, V>, key: &str) -> &'a mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key)
        .unwrap_or_else(|| unreachable!("inserted above"))
}

impl Tally {
    fn add(&mut self, d: &Dwelling, vintage: i32) {
        let commune = d.commune.as_ref().map(|c| c.as_str()).unwrap_or_default();
        let c = slot(&mut self.communes, commune);
        c.sums.add(d, vintage);
        let rooms = match d.rooms {
            Some(n @ 1..=4) => n as usize - 1,
            Some(0) | None => 5,
            Some(_) => 4,
        };
        if let Some(r) = c.rooms.get_mut(rooms) {
            *r += 1;
        }
        let p = PERIODS
            .iter()
            .position(|p| *p == period(d.built))
            .unwrap_or(6);
        if let Some(x) = c.periods.get_mut(p) {
            *x += 1;
        }
        match d.financing {
            Some(f) => *c.financing.entry(f).or_default() += 1,
            None => c.financing_unknown += 1,
        }
        *slot(&mut c.segments, d.segment.as_deref().unwrap_or("inconnu")) += 1;
        if let (Some(rent), Some(surface)) = (d.rent_cents, d.surface_m2) {
            let cm2 = (surface * 100.0).round() as i64;
            add_rent(&mut c.rent_all, rent, cm2);
            if let Some(x) = c.rent_periods.get_mut(p) {
                add_rent(x, rent, cm2);
            }
            if let Some(f) = d.financing {
                add_rent(c.rent_financing.entry(f).or_default(), rent, cm2);
            }
            if d.first_let.is_some_and(|y| y >= vintage - 5) {
                add_rent(&mut c.rent_recent, rent, cm2);
            }
        }
        if let Some(q) = &d.qpv {
            slot(&mut self.qpvs, q).add(d, vintage);
        }
        if let Some(s) = d.landlord_siren() {
            let e = slot(&mut self.landlords, s);
            if e.0.is_empty()
                && let Some(n) = &d.landlord_name
            {
                e.0 = n.clone();
            }
            e.1.add(d, vintage);
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
        let mut breakdowns = Vec::new();
        let mut rents = Vec::new();
        let mut dwellings = 0;
        for (code, c) in self.communes {
            let mut rent = |dimension: &str, key: String, (r, s, n): (i64, i64, u64)| {
                if n > 0 {
                    rents.push(RentSums {
                        commune: code.clone(),
                        dimension: dimension.to_string(),
                        key,
                        rent_cents: r,
                        surface_cm2: s,
                        dwellings: n,
                    });
                }
            };
            for (f, x) in &c.rent_financing {
                rent("financement", f.to_string(), *x);
            }
            for (p, x) in PERIODS.iter().zip(c.rent_periods.iter()) {
                rent("periode", p.to_string(), *x);
            }
            rent("mise_en_location", "recents".into(), c.rent_recent);
            rent("mise_en_location", "tous".into(), c.rent_all);
            dwellings += c.sums.dwellings;
            let mut add = |dimension: &str, key: String, n: u64| {
                if n > 0 {
                    breakdowns.push(Breakdown {
                        commune: code.clone(),
                        dimension: dimension.to_string(),
                        key,
                        dwellings: n,
                    });
                }
            };
            for (i, n) in c.rooms.iter().enumerate() {
                let key = match i {
                    4 => "5 et plus".to_string(),
                    5 => "inconnu".to_string(),
                    _ => (i + 1).to_string(),
                };
                add("pieces", key, *n);
            }
            for (p, n) in PERIODS.iter().zip(c.periods.iter()) {
                add("periode", p.to_string(), *n);
            }
            for (f, n) in &c.financing {
                add("financement", f.to_string(), *n);
            }
            add("financement", "inconnu".into(), c.financing_unknown);
            for (k, n) in c.segments {
                add("segment", k, n);
            }
            let label = geo
                .commune(&code)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            areas.push(AreaSums {
                scale: "commune".into(),
                code,
                label,
                sums: c.sums,
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
        VintageSummary {
            fields,
            dwellings,
            rejected,
            source,
            areas,
            breakdowns,
            rents,
        }
    }
}

/// The marker of an import rolled back (a check-only run, or a file with errors).
const ROLLED_BACK: &str = "import RPLS annulé";

/// Dwellings sent at once from the reading thread to the writing one.
const SENT: usize = 4_096;

/// What the reading thread sends the writing one.
enum Read {
    Dwellings(Vec<Dwelling>),
    Rejected(u64, Vec<String>, String),
    Rows(u64),
}

/// What the reading thread found.
#[derive(Default)]
struct Reading {
    tally: Tally,
    rows_read: u64,
    dwellings: u64,
    rejected: u64,
    problems: Vec<RowProblem>,
    problems_not_listed: u64,
    failure: Option<ReadError>,
}

impl Reading {
    fn push(&mut self, row: u64, column: &str, message: String) {
        if self.problems.len() < LISTED {
            self.problems.push(RowProblem {
                row,
                column: column.to_string(),
                message,
            });
        } else {
            self.problems_not_listed += 1;
        }
    }
}

/// Read and check every row of `source` (on its own thread), sending the valid dwellings (and,
/// with `keep_valid`, the refused rows) through `send`.
fn read_rows(
    mut source: Box<dyn RowSource>,
    map: &HeaderMap,
    geo: &Geography,
    vintage: i32,
    keep_valid: bool,
    send: std::sync::mpsc::SyncSender<Read>,
) -> Reading {
    let mut r = Reading::default();
    let mut batch = Vec::with_capacity(SENT);
    let mut row = logis_io::SourceRow::default();
    // (Only the mapped cells are decoded: an RPLS file has some 70 columns, logis reads 22.)
    source.only_cells(&map.columns.iter().map(|(_, i)| *i).collect::<Vec<_>>());
    while let Some(next) = source.next_into(&mut row) {
        r.rows_read += 1;
        match next {
            Ok(()) => {}
            Err(ReadError::BadRow { row, message }) => {
                if keep_valid {
                    r.rejected += 1;
                    if send.send(Read::Rejected(row, Vec::new(), message)).is_err() {
                        return r;
                    }
                } else {
                    r.push(row, "", message);
                }
                continue;
            }
            Err(e) => {
                r.failure = Some(e);
                return r;
            }
        }
        if r.rows_read.is_multiple_of(100_000) && send.send(Read::Rows(r.rows_read)).is_err() {
            return r;
        }
        if row.is_blank() {
            continue;
        }
        match parse_dwelling(map.cells(&row), geo) {
            Ok(d) => {
                r.tally.add(&d, vintage);
                r.dwellings += 1;
                if r.problems.is_empty() || keep_valid {
                    batch.push(d);
                    if batch.len() == SENT {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(SENT));
                        if send.send(Read::Dwellings(full)).is_err() {
                            return r;
                        }
                    }
                }
            }
            Err(errors) => {
                if keep_valid {
                    r.rejected += 1;
                    let reasons: Vec<String> =
                        errors.iter().map(|(c, m)| format!("{c} : {m}")).collect();
                    if send
                        .send(Read::Rejected(
                            row.row,
                            row.cells.clone(),
                            reasons.join(" ; "),
                        ))
                        .is_err()
                    {
                        return r;
                    }
                } else {
                    for (column, message) in errors {
                        r.push(row.row, column, message);
                    }
                }
            }
        }
    }
    if !batch.is_empty() && (r.problems.is_empty() || keep_valid) {
        let _ = send.send(Read::Dwellings(batch));
    }
    r
}

/// Import (or check) an RPLS file as vintage `opts.vintage`: every row is checked; by default a
/// file with any bad row writes nothing; with `keep_valid` the valid rows are imported and each
/// refused row is given to `reject` (file row, cells, reasons). `progress` hears the rows read.
/// The file is read and checked on a second thread while the first writes the dwellings.
pub fn import_rpls(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    source: Box<dyn RowSource>,
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
            report.problems = crate::header_refusal(problems);
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
    let keep_valid = opts.keep_valid;
    let mut source = Some(source);
    let mut read: Option<Reading> = None;
    let outcome = store.replace_vintage(actor, vintage, &mut |sink| {
        let Some(src) = source.take() else {
            return Err(StoreError::Backend("import RPLS relancé".into()));
        };
        let (send, receive) = std::sync::mpsc::sync_channel::<Read>(8);
        let (reading, written) = std::thread::scope(|scope| {
            let (map, geo) = (&map, &geo);
            let reader = scope.spawn(move || read_rows(src, map, geo, vintage, keep_valid, send));
            let mut written: std::result::Result<(), StoreError> = Ok(());
            for msg in receive.iter() {
                match msg {
                    Read::Dwellings(batch) => {
                        if let Err(e) = batch.iter().try_for_each(&mut *sink) {
                            written = Err(e);
                            break;
                        }
                    }
                    Read::Rejected(row, cells, why) => reject(row, &cells, &why),
                    Read::Rows(n) => progress(n),
                }
            }
            // (Dropping the receiver stops a reader still sending.)
            drop(receive);
            let reading = match reader.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            (reading, written)
        });
        written?;
        progress(reading.rows_read);
        let failed = reading.failure.is_some()
            || (!reading.problems.is_empty() && !keep_valid)
            || !opts.commit;
        let mut reading = reading;
        let summary = (!failed).then(|| {
            std::mem::take(&mut reading.tally).summary(
                &geo,
                fields,
                opts.source.clone(),
                reading.rejected,
            )
        });
        read = Some(reading);
        summary.ok_or_else(|| StoreError::Invalid(ROLLED_BACK.into()))
    });
    let reading = read.unwrap_or_default();
    report.rows_read = reading.rows_read;
    report.dwellings = reading.dwellings;
    report.rejected = reading.rejected;
    report.problems = reading.problems;
    report.problems_not_listed = reading.problems_not_listed;
    if let Some(e) = reading.failure {
        return Err(e.into());
    }
    match outcome {
        Ok(_) => report.committed = true,
        Err(StoreError::Invalid(m)) if m == ROLLED_BACK => {}
        Err(e) => return Err(e.into()),
    }
    Ok(report)
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
            return Ok((0, crate::header_refusal(p)));
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

/// The `parc` report: `vintage` (the latest held when `None`) at `scale`, every area of France.
/// An EPCI, department or region sums its communes' sums.
pub fn parc_report(store: &dyn Store, vintage: Option<i32>, scale: Scale) -> Result<ParcReport> {
    parc_report_within(store, vintage, scale, None)
}

/// Beyond this many communes, an area's sums are read with the rest of France's rather than
/// one by one.
const ONE_BY_ONE: usize = 1_500;

/// The `parc` report restricted to the areas made of `communes` (their codes): a territory's
/// communes or EPCIs, one commune, one EPCI. Their sums are read by key, not with France's.
pub fn parc_report_within(
    store: &dyn Store,
    vintage: Option<i32>,
    scale: Scale,
    communes: Option<&[String]>,
) -> Result<ParcReport> {
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
    let by_key = communes.filter(|c| stored == "commune" && c.len() <= ONE_BY_ONE);
    let sums = match by_key {
        Some(codes) => store.stock_sums_of(held.vintage, stored, codes)?,
        None => {
            let mut all = store.stock_sums(held.vintage, stored)?;
            if let Some(codes) = communes.filter(|_| stored == "commune") {
                let keep: std::collections::HashSet<&str> =
                    codes.iter().map(String::as_str).collect();
                all.retain(|a| keep.contains(a.code.as_str()));
            }
            all
        }
    };
    // Main residences of the latest census up to the vintage's previous year.
    let residences: HashMap<String, u64> = match by_key {
        Some(codes) => store.main_residences_of(held.vintage - 1, codes)?,
        None => store.main_residences(held.vintage - 1)?,
    }
    .into_iter()
    .collect();
    let departments = store.departments()?;
    let region_names: HashMap<String, String> = if scale == Scale::Region {
        logis_io::reference::regions()
            .map_err(|e| AppError::Invalid(e.to_string()))?
            .into_iter()
            .collect()
    } else {
        HashMap::new()
    };
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
                let label = region_names
                    .get(r.as_str())
                    .cloned()
                    .unwrap_or_else(|| format!("région {r}"));
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

/// The communes of an area of `scale` named by `code` (a commune, an EPCI, a department, a
/// region), or a French refusal.
pub fn area_communes(store: &dyn Store, scale: Scale, code: &str) -> Result<Vec<String>> {
    let geo = store.geography()?;
    let code = code.trim();
    let communes: Vec<String> = match scale {
        Scale::Commune => geo
            .current(code)
            .map(|c| vec![c.code.as_str().to_string()])
            .unwrap_or_default(),
        Scale::Epci => match logis_domain::Siren::parse(code) {
            Ok(s) => geo
                .members(&s)
                .map(|c| c.code.as_str().to_string())
                .collect(),
            Err(_) => Vec::new(),
        },
        Scale::Department => geo
            .communes()
            .iter()
            .filter(|c| c.department == code)
            .map(|c| c.code.as_str().to_string())
            .collect(),
        Scale::Region => {
            let departments: Vec<String> = store
                .departments()?
                .into_iter()
                .filter(|(_, _, r)| r == code)
                .map(|(d, _, _)| d)
                .collect();
            geo.communes()
                .iter()
                .filter(|c| departments.contains(&c.department))
                .map(|c| c.code.as_str().to_string())
                .collect()
        }
        Scale::Qpv | Scale::Landlord => {
            return Err(AppError::Invalid(format!(
                "un code de territoire ne choisit pas une ligne de l'échelle « {} »",
                scale.label()
            )));
        }
    };
    if communes.is_empty() {
        return Err(AppError::Invalid(format!(
            "{} « {code} » inconnu du référentiel",
            scale.label()
        )));
    }
    Ok(communes)
}

/// The communes of the territory set at `logis init` (none set: `None`, all of France).
pub fn territory_communes(store: &dyn Store) -> Result<Option<Vec<String>>> {
    let (geo, territory) = crate::reference::geography(store)?;
    Ok(territory.map(|t| {
        geo.territory_members(&t)
            .map(|c| c.code.as_str().to_string())
            .collect()
    }))
}

/// The stable columns of the `sru` CSV.
pub const SRU_COLUMNS: &[&str] = &[
    "millesime",
    "commune_insee",
    "commune",
    "logements_sociaux",
    "residences_principales",
    "annee_recensement",
    "taux_estime",
    "cible",
    "deficit",
    "objectif_triennal",
];

/// The SRU estimate per commune (those of the territory when one is set, else every commune
/// with main residences): the social dwellings of the vintage (the conventioned ones when the
/// file says which), the main residences of the latest census before it, the estimated rate,
/// the deficit against `target` % and the triennial catch-up objective (33 % of the deficit). An
/// estimate: the official inventory is the prefect's.
pub fn sru_report(
    store: &dyn Store,
    vintage: Option<i32>,
    target: u32,
) -> Result<logis_io::report::Report> {
    use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
    if !(1..=100).contains(&target) {
        return Err(AppError::Invalid(format!(
            "cible « {target} » : un pourcentage entre 1 et 100 attendu (25, ou 20 dans certains EPCI)"
        )));
    }
    let within = territory_communes(store)?;
    let parc = parc_report_within(store, vintage, Scale::Commune, within.as_deref())?;
    let years = store.main_residence_years()?;
    let census = years.iter().rev().find(|y| **y < parc.vintage).copied();
    let mut long = Vec::new();
    let mut grid = Vec::new();
    for r in &parc.rows {
        let Some(rp) = r.main_residences else {
            continue;
        };
        let social = if parc.fields.conv {
            r.indicators.conventioned.unwrap_or(r.indicators.dwellings)
        } else {
            r.indicators.dwellings
        };
        let Some(e) = sru_estimate(social, rp, target) else {
            continue;
        };
        let int = |n: u64| Cell::Int(i64::try_from(n).unwrap_or(i64::MAX));
        let rate = Cell::text(format!("{:.1}", e.per_100).replace('.', ","));
        long.push(vec![
            Cell::Int(i64::from(parc.vintage)),
            Cell::text(r.code.clone()),
            Cell::text(r.label.clone()),
            int(social),
            int(rp),
            census.map_or(Cell::Empty, |y| Cell::Int(i64::from(y))),
            rate.clone(),
            Cell::Int(i64::from(target)),
            int(e.deficit),
            int(e.triennial_objective),
        ]);
        grid.push(GridRow {
            kind: RowKind::Detail,
            cells: vec![
                Cell::text(r.code.clone()),
                Cell::text(r.label.clone()),
                int(social),
                int(rp),
                rate,
                int(e.deficit),
                int(e.triennial_objective),
            ],
        });
    }
    Ok(Report {
        name: "sru",
        title: format!("Estimation du taux SRU au 1er janvier {}", parc.vintage),
        scope: format!(
            "RPLS {} ; résidences principales : {} ; cible {target} %",
            parc.vintage,
            census.map_or_else(|| "aucun recensement importé".to_string(), |y| format!("recensement {y}"))
        ),
        notes: vec![
            "Une estimation : l'inventaire SRU officiel, arrêté par le préfet, compte aussi des logements que le RPLS ne connaît pas (foyers, logements conventionnés privés…).".into(),
            format!("Déficit : {target} % des résidences principales (arrondi au logement supérieur) moins les logements sociaux ; objectif triennal : 33 % du déficit."),
        ],
        long_columns: SRU_COLUMNS.to_vec(),
        long_rows: long,
        grid: Grid {
            groups: Vec::new(),
            header: [
                "Code",
                "Commune",
                "Logements sociaux",
                "Résidences principales",
                "Taux estimé (%)",
                "Déficit",
                "Objectif triennal",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            row_header_columns: 2,
            rows: grid,
        },
    })
}

/// The stable columns of the `loyers` CSV.
pub const RENT_COLUMNS: &[&str] = &[
    "millesime",
    "section",
    "cle",
    "libelle",
    "logements",
    "loyer_m2",
];

/// The rents of the territory's stock (all of France's when no territory is set): rent per m²
/// by financing, construction period and commune, and the dwellings first let in the last five
/// years against the whole stock. Only a complete file (« version loi ») has rents.
pub fn rents_report(store: &dyn Store, vintage: Option<i32>) -> Result<logis_io::report::Report> {
    use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
    let vintages = store.stock_vintages()?;
    let held = match vintage {
        Some(v) => vintages.iter().find(|h| h.vintage == v),
        None => vintages.iter().rev().find(|h| h.fields.rent),
    }
    .ok_or_else(|| {
        AppError::Invalid(match vintage {
            Some(v) => format!(
                "le millésime {v} n'est pas importé (millésimes : {})",
                list(&vintages)
            ),
            None => "aucun millésime complet du RPLS (avec les loyers) n'est importé".into(),
        })
    })?;
    if !held.fields.rent {
        return Err(AppError::Invalid(format!(
            "le millésime {} est la version ouverte du RPLS : elle ne donne pas les loyers",
            held.vintage
        )));
    }
    let within: Option<std::collections::HashSet<String>> =
        territory_communes(store)?.map(|v| v.into_iter().collect());
    let geo = store.geography()?;
    // (section, order) → (key, label, rent, surface, dwellings)
    type RentRow = (String, String, i64, i64, u64);
    let mut by: BTreeMap<(usize, String), RentRow> = BTreeMap::new();
    const SECTIONS: [(&str, &str); 5] = [
        (
            "mise_en_location",
            "ensemble et mises en location des cinq dernières années",
        ),
        ("financement", "par financement initial"),
        ("periode", "par période de construction"),
        ("commune", "par commune"),
        ("rehabilites", "logements réhabilités, avant et après"),
    ];
    for r in store.stock_rents(held.vintage)? {
        if within.as_ref().is_some_and(|w| !w.contains(&r.commune)) {
            continue;
        }
        let mut add = |section: usize, order: String, key: &str, label: String| {
            let e = by
                .entry((section, order))
                .or_insert((key.to_string(), label, 0, 0, 0));
            e.2 += r.rent_cents;
            e.3 += r.surface_cm2;
            e.4 += r.dwellings;
        };
        match r.dimension.as_str() {
            "mise_en_location" => {
                let label = if r.key == "recents" {
                    format!("mis en location depuis {}", held.vintage - 5)
                } else {
                    "tout le parc".to_string()
                };
                // (« tous » first.)
                let order = if r.key == "tous" { "0" } else { "1" };
                add(0, order.into(), &r.key, label);
                if r.key == "tous" {
                    let name = geo
                        .commune(&r.commune)
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    add(3, r.commune.clone(), &r.commune, name);
                }
            }
            "financement" => {
                let label = match logis_domain::stock::financing_label(&r.key) {
                    "" => r.key.clone(),
                    l => format!("{l} ({})", r.key),
                };
                add(1, format!("{:0>2}", r.key), &r.key, label);
            }
            "periode" => {
                let i = PERIODS.iter().position(|p| *p == r.key).unwrap_or(6);
                add(2, i.to_string(), &r.key, r.key.clone());
            }
            _ => {}
        }
    }
    // Rehabilitated dwellings (the register's finished rehabilitations naming their RPLS
    // identifiers): their rents in the last vintage up to the works' year and in the first after,
    // the same dwellings in both.
    let rents_by: HashMap<(i32, String), (i64, i64)> = store
        .dwelling_rents()?
        .into_iter()
        .map(|(v, id, r, s)| ((v, id), (r, s)))
        .collect();
    let with_rents: Vec<i32> = vintages
        .iter()
        .filter(|v| v.fields.rent)
        .map(|v| v.vintage)
        .collect();
    let (mut before, mut after) = ((0i64, 0i64, 0u64), (0i64, 0i64, 0u64));
    for (year, ids) in store.rehabilitated()? {
        let (Some(b), Some(a)) = (
            with_rents.iter().rev().find(|v| **v <= year).copied(),
            with_rents.iter().find(|v| **v > year).copied(),
        ) else {
            continue;
        };
        for id in ids.split('|') {
            if let (Some(x), Some(y)) = (
                rents_by.get(&(b, id.to_string())),
                rents_by.get(&(a, id.to_string())),
            ) {
                before = (before.0 + x.0, before.1 + x.1, before.2 + 1);
                after = (after.0 + y.0, after.1 + y.1, after.2 + 1);
            }
        }
    }
    if before.2 > 0 {
        by.insert(
            (4, "0".into()),
            (
                "avant".into(),
                "avant les travaux".into(),
                before.0,
                before.1,
                before.2,
            ),
        );
        by.insert(
            (4, "1".into()),
            (
                "apres".into(),
                "après les travaux".into(),
                after.0,
                after.1,
                after.2,
            ),
        );
    }
    let per_m2 = |rent: i64, surface: i64| (surface > 0).then(|| rent as f64 / surface as f64);
    let mut long = Vec::new();
    let mut grid = Vec::new();
    for ((section, _), (key, label, rent, surface, n)) in &by {
        let (code, title) = SECTIONS.get(*section).copied().unwrap_or(("", ""));
        let value = per_m2(*rent, *surface).map_or(Cell::Empty, |v| {
            Cell::text(format!("{v:.2}").replace('.', ","))
        });
        let count = Cell::Int(i64::try_from(*n).unwrap_or(i64::MAX));
        long.push(vec![
            Cell::Int(i64::from(held.vintage)),
            Cell::text(code),
            Cell::text(key.clone()),
            Cell::text(label.clone()),
            count.clone(),
            value.clone(),
        ]);
        grid.push(GridRow {
            kind: RowKind::Detail,
            cells: vec![Cell::text(title), Cell::text(label.clone()), count, value],
        });
    }
    Ok(Report {
        name: "loyers",
        title: format!("Loyers du parc social au 1er janvier {}", held.vintage),
        scope: format!("RPLS {} (version complète) ; logements loués avec un loyer", held.vintage),
        notes: vec![
            "Loyer au m² : somme des loyers principaux de janvier (hors charges, avant aide au logement) / somme des surfaces habitables des logements qui en ont un.".into(),
            "Logements réhabilités : ceux des réhabilitations livrées du registre qui donnent leurs identifiants RPLS (colonne rpls), avec un loyer dans le dernier millésime complet jusqu'à l'année des travaux et dans le premier après ; les mêmes logements des deux côtés.".into(),
        ],
        long_columns: RENT_COLUMNS.to_vec(),
        long_rows: long,
        grid: Grid {
            groups: Vec::new(),
            header: ["Section", "Ensemble", "Logements", "Loyer (€/m²/mois)"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            row_header_columns: 2,
            rows: grid,
        },
    })
}

/// Import cités minières (`cite, commune, bailleur, logements, classe_a … classe_g`): each cité
/// becomes a project of kind « cité minière » with its dwellings per landlord and label; a row
/// in error is named (row, column) and nothing is written.
pub fn import_estates(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    mut source: Box<dyn RowSource>,
    commit: bool,
) -> Result<logis_store::tx::Imported> {
    if !principal.may(Permission::EditReference) {
        return Err(AppError::Invalid(
            "seul l'EPCI importe les cités minières".into(),
        ));
    }
    let layout = Layout {
        columns: logis_domain::stock::ESTATE_COLUMNS,
        required: logis_domain::stock::ESTATE_REQUIRED,
        informative: &[],
        aliases: &[
            ("cite_miniere", "cite"),
            ("nom", "cite"),
            ("nb_logements", "logements"),
        ],
    };
    let refused = |problems: Vec<RowProblem>| logis_store::tx::Imported {
        problems,
        ..Default::default()
    };
    let map = match HeaderMap::of(source.header(), &layout) {
        Ok(m) => m,
        Err(p) => {
            return Ok(refused(crate::header_refusal(p)));
        }
    };
    let geo = crate::reference::geography(store)?.0;
    let (_, landlords) = crate::land::landlords(store)?;
    let mut drafts = Vec::new();
    let mut problems = Vec::new();
    while let Some(next) = source.next_row() {
        let row = next?;
        if row.is_blank() {
            continue;
        }
        match logis_domain::stock::parse_estate(map.cells(&row), &geo, &landlords) {
            Ok(d) => drafts.push((row.row, d)),
            Err(errors) => problems.extend(errors.into_iter().map(|(c, m)| RowProblem {
                row: row.row,
                column: c.to_string(),
                message: m,
            })),
        }
    }
    if !problems.is_empty() {
        return Ok(refused(problems));
    }
    if !commit {
        return Ok(logis_store::tx::Imported::default());
    }
    Ok(store.put_estates(actor, &drafts)?)
}

/// The ERBM's target: 23,000 mining dwellings renovated in ten years; its first wave started
/// 2019–2021.
pub const ERBM_TARGET: u64 = 23_000;

/// The stable columns of the `erbm` CSV.
pub const ERBM_COLUMNS: &[&str] = &[
    "cite",
    "bailleur",
    "commune",
    "logements",
    "efg_avant",
    "travaux_demarres",
    "travaux_termines",
    "c_ou_mieux_apres",
    "gain_cep_kwh_m2_an",
    "cout_par_logement",
    "premiere_vague",
];

/// The mining basin's renovation (`logis report erbm`, the page): per cité and landlord, the
/// dwellings in scope and labelled E, F or G before, the dwellings of works started and
/// finished (rehabilitation lines of the cité's operations at « travaux démarrés » or later, at
/// « livré » or « soldé »), those labelled C or better after, the mean gain in primary energy
/// and the cost per dwelling; then the whole programme against its target and its first wave.
pub fn erbm_report(store: &dyn Store) -> Result<logis_io::report::Report> {
    use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
    let estates = store.estates()?;
    let lines = store.estate_lines()?;
    let geo = store.geography()?;
    #[derive(Default, Clone, Copy)]
    struct Works {
        started: u64,
        finished: u64,
        c_or_better: u64,
        gain: i64,
        gain_dwellings: u64,
        cost: i64,
        cost_dwellings: u64,
        first_wave: u64,
    }
    let mut works: BTreeMap<(i64, i64), Works> = BTreeMap::new();
    for l in &lines {
        let w = works.entry((l.project_id, l.landlord_id)).or_default();
        let stage = l.stage.as_deref().unwrap_or("");
        let started = matches!(stage, "works_started" | "delivered" | "closed");
        if started {
            w.started += l.dwellings;
            if (2019..=2021).contains(&l.year) {
                w.first_wave += l.dwellings;
            }
        }
        if matches!(stage, "delivered" | "closed") {
            w.finished += l.dwellings;
        }
        if matches!(l.dpe_after.as_deref(), Some("A" | "B" | "C")) {
            w.c_or_better += l.dwellings;
        }
        if let (Some(b), Some(a)) = (l.cep_before, l.cep_after) {
            w.gain += (b - a) * i64::try_from(l.dwellings).unwrap_or(0);
            w.gain_dwellings += l.dwellings;
        }
        if let Some(c) = l.cost_cents {
            w.cost += c;
            w.cost_dwellings += l.dwellings;
        }
    }
    let int = |n: u64| Cell::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let mut long = Vec::new();
    let mut grid = Vec::new();
    let mut total = Works::default();
    let (mut scope, mut efg) = (0u64, 0u64);
    for e in &estates {
        let w = works
            .get(&(e.project_id, e.landlord_id))
            .copied()
            .unwrap_or_default();
        let before = e.classes.get(4..).map_or(0, |c| c.iter().sum::<u64>());
        scope += e.dwellings;
        efg += before;
        for (a, b) in [
            (&mut total.started, w.started),
            (&mut total.finished, w.finished),
            (&mut total.c_or_better, w.c_or_better),
            (&mut total.gain_dwellings, w.gain_dwellings),
            (&mut total.cost_dwellings, w.cost_dwellings),
            (&mut total.first_wave, w.first_wave),
        ] {
            *a += b;
        }
        total.gain += w.gain;
        total.cost += w.cost;
        let gain =
            (w.gain_dwellings > 0).then(|| w.gain / i64::try_from(w.gain_dwellings).unwrap_or(1));
        let cost = (w.cost_dwellings > 0)
            .then(|| w.cost / i64::try_from(w.cost_dwellings).unwrap_or(1) / 100);
        let commune = geo
            .commune(&e.commune)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| e.commune.clone());
        let row = vec![
            Cell::text(e.name.clone()),
            Cell::text(e.landlord.clone()),
            Cell::text(commune),
            int(e.dwellings),
            int(before),
            int(w.started),
            int(w.finished),
            int(w.c_or_better),
            gain.map_or(Cell::Empty, Cell::Int),
            cost.map_or(Cell::Empty, Cell::Int),
            int(w.first_wave),
        ];
        grid.push(GridRow {
            kind: RowKind::Detail,
            cells: row.clone(),
        });
        long.push(row);
    }
    let gain = (total.gain_dwellings > 0)
        .then(|| total.gain / i64::try_from(total.gain_dwellings).unwrap_or(1));
    let cost = (total.cost_dwellings > 0)
        .then(|| total.cost / i64::try_from(total.cost_dwellings).unwrap_or(1) / 100);
    let total_row = vec![
        Cell::text("Toutes les cités"),
        Cell::Empty,
        Cell::Empty,
        int(scope),
        int(efg),
        int(total.started),
        int(total.finished),
        int(total.c_or_better),
        gain.map_or(Cell::Empty, Cell::Int),
        cost.map_or(Cell::Empty, Cell::Int),
        int(total.first_wave),
    ];
    grid.push(GridRow {
        kind: RowKind::Total,
        cells: total_row,
    });
    let share = |n: u64| format!("{:.1}", n as f64 * 100.0 / ERBM_TARGET as f64).replace('.', ",");
    Ok(Report {
        name: "erbm",
        title: "Rénovation des logements miniers (ERBM)".into(),
        scope: format!(
            "{} cité(s) ; objectif : {} logements en dix ans",
            estates.len(),
            logis_domain::numbers::group_thousands(ERBM_TARGET as i64)
        ),
        notes: vec![
            format!(
                "Travaux démarrés : {} logements, soit {} % de l'objectif de {} ; première vague (démarrés de 2019 à 2021) : {} logements.",
                logis_domain::numbers::group_thousands(i64::try_from(total.started).unwrap_or(0)),
                share(total.started),
                logis_domain::numbers::group_thousands(ERBM_TARGET as i64),
                logis_domain::numbers::group_thousands(i64::try_from(total.first_wave).unwrap_or(0)),
            ),
            "Les travaux sont les lignes « réhabilitation » des opérations dont le projet est la cité (colonne projet) ; démarrés : stade « travaux démarrés » ou plus loin ; terminés : « livré » ou « soldé » ; C ou mieux : étiquette après travaux (colonne dpe_apres) ; gain : consommation avant moins après (cep_avant, cep_apres), en kWh/m²/an, moyenne pondérée par les logements ; coût par logement en euros.".into(),
        ],
        long_columns: ERBM_COLUMNS.to_vec(),
        long_rows: long,
        grid: Grid {
            groups: Vec::new(),
            header: [
                "Cité",
                "Bailleur",
                "Commune",
                "Logements",
                "E, F ou G avant",
                "Travaux démarrés",
                "Travaux terminés",
                "C ou mieux après",
                "Gain (kWh/m²/an)",
                "Coût par logement (€)",
                "Première vague (2019-2021)",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            row_header_columns: 2,
            rows: grid,
        },
    })
}
