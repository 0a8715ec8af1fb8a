//! The social housing stock from the State's repertory (RPLS, one row per dwelling on 1 January
//! of a vintage): the columns of every vintage mapped to one set of names, a dwelling parsed from
//! its cells (every error with its column, in French), the energy class and the rental-ban
//! calendar, and the additive sums every indicator is computed from (kept per commune, QPV and
//! landlord at import; an EPCI, department or region is the sum of its communes).
//! Definitions: `shared/reference/RPLS.md` (SDES and DREAL).

use crate::CommuneCode;
use crate::numbers::{parse_amount_cents, parse_date, parse_decimal, parse_integer};
use crate::reference::Geography;

/// The columns logis reads from an RPLS file, under their name in the legal annex (lower case);
/// files of other vintages give them under the names of [`RPLS_ALIASES`].
pub const RPLS_COLUMNS: &[&str] = &[
    "ident_rep",
    "depcom",
    "qpv",
    "typeconst",
    "nbpiece",
    "surfhab",
    "construct",
    "locat",
    "finan",
    "finan_libelle",
    "conv",
    "mode",
    "bail",
    "remlocdate",
    "loyerprinc",
    "dpeenergie",
    "dpeserre",
    "codsegpatrim",
    "libsegpatrim",
    "contreslog",
    "rs",
    "siret",
];

/// The columns every vintage has: without them a file is not an RPLS file.
pub const RPLS_REQUIRED: &[&str] = &["depcom", "nbpiece", "surfhab", "construct", "finan"];

/// The names of the same columns in other vintages: the 2018 "version loi" (`…_red`), the
/// 2023 and 2025 open files (`…_code`).
pub const RPLS_ALIASES: &[(&str, &str)] = &[
    ("ident_rep_red", "ident_rep"),
    ("identifiant", "ident_rep"),
    ("depcom_red", "depcom"),
    ("qpv_code", "qpv"),
    ("qpv_red", "qpv"),
    ("typeconst_code", "typeconst"),
    ("typeconst_red", "typeconst"),
    ("nbpiece_red", "nbpiece"),
    ("surfhab_red", "surfhab"),
    ("construct_red", "construct"),
    ("locat_red", "locat"),
    ("finan_code", "finan"),
    ("finan_red", "finan"),
    ("conv_red", "conv"),
    ("mode_red", "mode"),
    ("bail_red", "bail"),
    ("remlocdate_red", "remlocdate"),
    ("loyerprinc_red", "loyerprinc"),
    ("dpeenergie_red", "dpeenergie"),
    ("dpeserre_red", "dpeserre"),
    ("codsegpatrim_red", "codsegpatrim"),
    ("libsegpatrim_red", "libsegpatrim"),
    ("contreslog_red", "contreslog"),
    ("rs_red", "rs"),
    ("siret_red", "siret"),
];

/// Columns of RPLS files that logis knows and does not use (read and ignored); any other column
/// is named as unknown when a file is refused. Geocoding columns (`plg_…`, `qualite_…`) are
/// known by their prefix ([`is_known_unused`]).
pub const RPLS_INFORMATIVE: &[&str] = &[
    "droit",
    "droit_code",
    "droit_libelle",
    "reg_code",
    "reg_libelle",
    "dep_code",
    "dep_libelle",
    "epci_code",
    "epci_libelle",
    "codepostal",
    "libcom",
    "numvoie",
    "indrep",
    "typvoie",
    "nomvoie",
    "etage",
    "complgeo",
    "lieudit",
    "qpv_libelle",
    "typeconst_libelle",
    "patrimoine",
    "patrimoine_red",
    "origine",
    "origine_red",
    "finanautre",
    "numconv",
    "datconv",
    "newlogt_code",
    "newlogt_libelle",
    "cus",
    "dpedate",
    "dpedate_red",
    "sru_expir",
    "sru_alinea",
    "pmr_code",
    "pmr_libelle",
    "epsg",
    "x",
    "y",
    "comaqp",
    "comazus",
    "uu2020",
    "aav2020",
    "ze2020",
];

/// A header cell (as a header key) that RPLS files carry and logis leaves aside.
pub fn is_known_unused(key: &str) -> bool {
    RPLS_INFORMATIVE.contains(&key) || key.starts_with("plg_") || key.starts_with("qualite_")
}

/// An energy or greenhouse-gas letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Letter {
    A,
    B,
    C,
    D,
    E,
    F,
    G,
}

impl Letter {
    pub const ALL: [Letter; 7] = [
        Letter::A,
        Letter::B,
        Letter::C,
        Letter::D,
        Letter::E,
        Letter::F,
        Letter::G,
    ];
    /// "A" to "G" (any case); empty and "-" or "N" (no diagnosis) give `None`.
    pub fn parse(text: &str) -> Result<Option<Letter>, String> {
        let t = text.trim();
        Ok(Some(match t {
            "" | "-" | "N" | "n" | "NC" | "nc" => return Ok(None),
            "A" | "a" => Letter::A,
            "B" | "b" => Letter::B,
            "C" | "c" => Letter::C,
            "D" | "d" => Letter::D,
            "E" | "e" => Letter::E,
            "F" | "f" => Letter::F,
            "G" | "g" => Letter::G,
            _ => return Err(format!("étiquette « {t} » : une lettre de A à G attendue")),
        }))
    }
    pub fn code(self) -> &'static str {
        match self {
            Letter::A => "A",
            Letter::B => "B",
            Letter::C => "C",
            Letter::D => "D",
            Letter::E => "E",
            Letter::F => "F",
            Letter::G => "G",
        }
    }
    pub fn index(self) -> usize {
        self as usize
    }
    /// The year from which a dwelling of this class may no longer be let (metropolitan France:
    /// G from 2025, F from 2028, E from 2034).
    pub fn ban_year(self) -> Option<i32> {
        match self {
            Letter::G => Some(2025),
            Letter::F => Some(2028),
            Letter::E => Some(2034),
            _ => None,
        }
    }
}

/// A dwelling's class since July 2021: the worse of its energy and greenhouse-gas letters when
/// both are given, else the one given.
pub fn energy_class(energy: Option<Letter>, ghg: Option<Letter>) -> Option<Letter> {
    match (energy, ghg) {
        (Some(e), Some(g)) => Some(e.max(g)),
        (e, g) => e.or(g),
    }
}

/// The label of an initial financing code (`FINAN`, legal annex).
pub fn financing_label(code: &str) -> &'static str {
    match code {
        "10" => "PLA-I (PLAI)",
        "11" => "PLA LM / TS",
        "12" => "PLA",
        "13" => "PLUS",
        "14" => "PLS, PPLS, PCLS",
        "16" => "PLI",
        "17" => "PCL",
        "49" => "autre (depuis 1977)",
        "50" => "HBM",
        "51" => "PLR, PSR",
        "52" => "HLM/O",
        "53" => "ILM",
        "54" => "ILN",
        "55" => "prêts spéciaux CFF",
        "99" => "autre (avant 1977)",
        _ => "",
    }
}

/// A month (year, month 1–12).
pub type YearMonth = (i32, u32);

/// "mm/yyyy", "m/yyyy", "yyyy-mm", or a whole date ("dd/mm/yyyy", "yyyy-mm-dd").
fn parse_month(text: &str) -> Option<YearMonth> {
    let t = text.trim();
    if let Some(d) = parse_date(t) {
        return Some((chrono::Datelike::year(&d), chrono::Datelike::month(&d)));
    }
    let (a, b) = t.split_once(['/', '-'])?;
    let (a, b) = (a.trim(), b.trim());
    let (y, m) = if a.len() == 4 { (a, b) } else { (b, a) };
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    ((1..=12).contains(&m) && (1800..=2200).contains(&y)).then_some((y, m))
}

/// One dwelling of an RPLS file, as logis keeps it. `None`: the file leaves it empty (or, for a
/// rent of 9999, not applicable).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dwelling {
    /// The repertory's identifier (`IDENT_REP`, "version loi").
    pub id: Option<String>,
    /// Today's commune (a commune merged since the vintage lands on the one it belongs to).
    pub commune: Option<CommuneCode>,
    /// In a priority quartier (old files 1/2, recent ones a QPV code or empty).
    pub in_qpv: Option<bool>,
    /// The QPV code when the file gives one.
    pub qpv: Option<String>,
    /// C collective, I individual, E student.
    pub building: Option<String>,
    pub rooms: Option<u32>,
    pub surface_m2: Option<f64>,
    pub built: Option<i32>,
    pub first_let: Option<i32>,
    /// Initial financing code (`FINAN`), and its label when the file gives one.
    pub financing: Option<u32>,
    pub financing_label: Option<String>,
    pub conventioned: Option<bool>,
    /// Occupancy on 1 January (`MODE`: 1 let, 2 vacant offered, 3 empty for works/sale…).
    pub mode: Option<u32>,
    pub lease_start: Option<YearMonth>,
    pub vacancy_start: Option<YearMonth>,
    pub rent_cents: Option<i64>,
    pub energy: Option<Letter>,
    pub ghg: Option<Letter>,
    pub segment: Option<String>,
    pub segment_label: Option<String>,
    pub reservation: Option<u32>,
    pub landlord_siret: Option<String>,
    pub landlord_name: Option<String>,
}

impl Dwelling {
    /// Its class ([`energy_class`]).
    pub fn class(&self) -> Option<Letter> {
        energy_class(self.energy, self.ghg)
    }
    /// Its landlord's key: the SIREN (first nine digits of the SIRET) when given.
    pub fn landlord_siren(&self) -> Option<&str> {
        self.landlord_siret.as_deref().and_then(|s| s.get(..9))
    }
}

/// A cell's problem: its column and a French message.
pub type CellError = (&'static str, String);

/// Build a dwelling from its cells (column name as in [`RPLS_COLUMNS`], value); every problem is
/// returned with its column.
pub fn parse_dwelling<'a>(
    cells: impl Iterator<Item = (&'static str, Option<&'a str>)>,
    geo: &Geography,
) -> Result<Dwelling, Vec<CellError>> {
    let mut d = Dwelling::default();
    let mut errors: Vec<CellError> = Vec::new();
    for (column, value) in cells {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        let mut bad = |m: String| errors.push((column, m));
        let whole = |v: &str| parse_integer(v).filter(|n| *n >= 0);
        match column {
            "ident_rep" => d.id = Some(v.to_string()),
            "depcom" => match geo.current(v) {
                Some(c) => d.commune = Some(c.code.clone()),
                None => bad(format!("commune « {v} » inconnue de la géographie")),
            },
            "qpv" => {
                let (inside, code) = match v {
                    "1" => (true, None),
                    "2" | "0" => (false, None),
                    c if c.len() <= 12 && c.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                        (true, Some(c.to_ascii_uppercase()))
                    }
                    _ => {
                        bad(format!("QPV « {v} » : 1, 2 ou un code de quartier attendu"));
                        continue;
                    }
                };
                d.in_qpv = Some(inside);
                d.qpv = code;
            }
            "typeconst" => d.building = Some(v.chars().take(1).collect::<String>().to_uppercase()),
            "nbpiece" => match whole(v) {
                Some(n) if n <= 30 => d.rooms = u32::try_from(n).ok(),
                _ => bad(format!("nombre de pièces « {v} » invalide")),
            },
            "surfhab" => match parse_decimal(v) {
                Some(s) if s > 0.0 && s < 10_000.0 => d.surface_m2 = Some(s),
                Some(_) => bad(format!(
                    "surface habitable « {v} » : un nombre de m² supérieur à 0 attendu"
                )),
                None => bad(format!("surface habitable « {v} » : nombre invalide")),
            },
            "construct" | "locat" => match whole(v) {
                Some(y) if (1000..=2200).contains(&y) => {
                    let y = i32::try_from(y).ok();
                    if column == "construct" {
                        d.built = y;
                    } else {
                        d.first_let = y;
                    }
                }
                // (0 and 9999 are written for « unknown ».)
                Some(0) | Some(9999) => {}
                _ => bad(format!("année « {v} » invalide")),
            },
            "finan" => match whole(v) {
                Some(n) if n < 100 => d.financing = u32::try_from(n).ok(),
                _ => bad(format!("financement « {v} » : un code de 10 à 99 attendu")),
            },
            "finan_libelle" => d.financing_label = Some(v.to_string()),
            "conv" => match v {
                "1" | "oui" | "Oui" | "O" => d.conventioned = Some(true),
                "2" | "0" | "non" | "Non" | "N" => d.conventioned = Some(false),
                _ => bad(format!("conventionnement « {v} » : 1 ou 2 attendu")),
            },
            "mode" => match whole(v) {
                Some(n) if (1..=9).contains(&n) => d.mode = u32::try_from(n).ok(),
                _ => bad(format!(
                    "mode d'occupation « {v} » : un code de 1 à 9 attendu"
                )),
            },
            "bail" | "remlocdate" => match parse_month(v) {
                Some(m) => {
                    if column == "bail" {
                        d.lease_start = Some(m);
                    } else {
                        d.vacancy_start = Some(m);
                    }
                }
                None => bad(format!("date « {v} » invalide (mm/aaaa attendu)")),
            },
            "loyerprinc" => match parse_amount_cents(v) {
                Some(999_900) => {}
                Some(c) if c >= 0 => d.rent_cents = Some(c),
                _ => bad(format!("loyer « {v} » : un montant en euros attendu")),
            },
            "dpeenergie" | "dpeserre" => match Letter::parse(v) {
                Ok(l) => {
                    if column == "dpeenergie" {
                        d.energy = l;
                    } else {
                        d.ghg = l;
                    }
                }
                Err(m) => bad(m),
            },
            "codsegpatrim" => d.segment = Some(v.to_string()),
            "libsegpatrim" => d.segment_label = Some(v.to_string()),
            "contreslog" => match whole(v) {
                Some(n) if (1..=7).contains(&n) => d.reservation = u32::try_from(n).ok(),
                _ => bad(format!("réservation « {v} » : un code de 1 à 7 attendu")),
            },
            "rs" => d.landlord_name = Some(v.to_string()),
            "siret" => {
                let digits: String = v.chars().filter(|c| !c.is_whitespace()).collect();
                if (digits.len() == 14 || digits.len() == 9)
                    && digits.bytes().all(|b| b.is_ascii_digit())
                {
                    d.landlord_siret = Some(digits);
                } else {
                    bad(format!("SIRET « {v} » : 14 chiffres attendus"));
                }
            }
            _ => {}
        }
    }
    if d.commune.is_none() && !errors.iter().any(|(c, _)| *c == "depcom") {
        errors.push(("depcom", "commune manquante".into()));
    }
    if errors.is_empty() {
        Ok(d)
    } else {
        Err(errors)
    }
}

/// Which fields a vintage's file carried: an indicator resting on an absent one is empty,
/// never 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fields {
    pub qpv: bool,
    pub conv: bool,
    pub mode: bool,
    pub lease: bool,
    pub vacancy_start: bool,
    pub rent: bool,
    pub dpe: bool,
    pub landlord: bool,
}

impl Fields {
    /// From the columns a file's header mapped.
    pub fn of(columns: &[&str]) -> Fields {
        let has = |c: &str| columns.contains(&c);
        Fields {
            qpv: has("qpv"),
            conv: has("conv"),
            mode: has("mode"),
            lease: has("bail") && has("locat"),
            vacancy_start: has("remlocdate"),
            rent: has("loyerprinc"),
            dpe: has("dpeenergie") || has("dpeserre"),
            landlord: has("siret"),
        }
    }
    /// Whether the file is the full "version loi" (occupancy, rents, landlords).
    pub fn is_full(&self) -> bool {
        self.mode || self.rent || self.landlord
    }
}

/// The additive sums of a set of dwellings (a commune, a QPV, a landlord): every indicator is a
/// ratio of two of them, and a larger area's sums are the sum of its parts'.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StockSums {
    pub dwellings: u64,
    pub in_qpv: u64,
    pub conventioned: u64,
    /// `MODE` 1: let on 1 January.
    pub let_: u64,
    /// `MODE` 2: offered for letting but vacant.
    pub vacant: u64,
    /// Vacant since more than three months on 1 January.
    pub vacant_3_months: u64,
    /// Let or offered for at least a year (the mobility rate's base), and of those, leases
    /// started in the year before the vintage.
    pub mobility_base: u64,
    pub moved_in: u64,
    /// Rents and the surfaces of the dwellings with a rent.
    pub rent_cents: i64,
    pub rent_surface_cm2: i64,
    /// Dwellings per class A–G, then with no letter.
    pub classes: [u64; 8],
}

impl StockSums {
    /// Count one dwelling of vintage `vintage` (1 January of that year).
    pub fn add(&mut self, d: &Dwelling, vintage: i32) {
        self.dwellings += 1;
        self.in_qpv += u64::from(d.in_qpv == Some(true));
        self.conventioned += u64::from(d.conventioned == Some(true));
        match d.mode {
            Some(1) => self.let_ += 1,
            Some(2) => {
                self.vacant += 1;
                // Vacant more than three months before 1 January: since before 1 October.
                if d.vacancy_start.is_some_and(|m| m < (vintage - 1, 10)) {
                    self.vacant_3_months += 1;
                }
            }
            _ => {}
        }
        if matches!(d.mode, Some(1) | Some(2)) && d.first_let.is_some_and(|y| y <= vintage - 2) {
            self.mobility_base += 1;
            if d.lease_start.is_some_and(|(y, _)| y == vintage - 1) {
                self.moved_in += 1;
            }
        }
        if let (Some(rent), Some(s)) = (d.rent_cents, d.surface_m2) {
            self.rent_cents += rent;
            self.rent_surface_cm2 += (s * 100.0).round() as i64;
        }
        let i = d.class().map_or(7, Letter::index);
        if let Some(c) = self.classes.get_mut(i) {
            *c += 1;
        }
    }
    /// Add another set's sums.
    pub fn merge(&mut self, o: &StockSums) {
        self.dwellings += o.dwellings;
        self.in_qpv += o.in_qpv;
        self.conventioned += o.conventioned;
        self.let_ += o.let_;
        self.vacant += o.vacant;
        self.vacant_3_months += o.vacant_3_months;
        self.mobility_base += o.mobility_base;
        self.moved_in += o.moved_in;
        self.rent_cents += o.rent_cents;
        self.rent_surface_cm2 += o.rent_surface_cm2;
        for (a, b) in self.classes.iter_mut().zip(o.classes.iter()) {
            *a += b;
        }
    }
    /// Dwellings of class `l` or worse that the calendar excludes from `year` on.
    pub fn banned_from(&self, year: i32) -> u64 {
        Letter::ALL
            .iter()
            .filter(|l| l.ban_year().is_some_and(|y| y <= year))
            .map(|l| self.classes.get(l.index()).copied().unwrap_or(0))
            .sum()
    }
}

/// The indicators of one area and vintage, each `None` when its field was absent from the file
/// (or its base is empty).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Indicators {
    pub dwellings: u64,
    pub in_qpv: Option<u64>,
    pub conventioned: Option<u64>,
    pub let_: Option<u64>,
    pub vacant: Option<u64>,
    pub vacant_3_months: Option<u64>,
    /// Percentages.
    pub vacancy_rate: Option<f64>,
    pub mobility_rate: Option<f64>,
    /// Euros per m² per month.
    pub rent_per_m2: Option<f64>,
    /// A–G then unknown.
    pub classes: Option<[u64; 8]>,
    pub banned_2025: Option<u64>,
    pub banned_2028: Option<u64>,
    pub banned_2034: Option<u64>,
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

impl Indicators {
    pub fn of(s: &StockSums, f: &Fields) -> Indicators {
        let when = |ok: bool, v: u64| ok.then_some(v);
        let offered = s.let_ + s.vacant;
        Indicators {
            dwellings: s.dwellings,
            in_qpv: when(f.qpv, s.in_qpv),
            conventioned: when(f.conv, s.conventioned),
            let_: when(f.mode, s.let_),
            vacant: when(f.mode, s.vacant),
            vacant_3_months: when(f.mode && f.vacancy_start, s.vacant_3_months),
            vacancy_rate: f.mode.then(|| percent(s.vacant, offered)).flatten(),
            mobility_rate: (f.mode && f.lease)
                .then(|| percent(s.moved_in, s.mobility_base))
                .flatten(),
            rent_per_m2: (f.rent && s.rent_surface_cm2 > 0)
                .then(|| s.rent_cents as f64 / s.rent_surface_cm2 as f64),
            classes: f.dpe.then_some(s.classes),
            banned_2025: when(f.dpe, s.banned_from(2025)),
            banned_2028: when(f.dpe, s.banned_from(2028)),
            banned_2034: when(f.dpe, s.banned_from(2034)),
        }
    }
}

/// The SRU estimate of a commune: social dwellings per 100 main residences, the deficit against
/// the target rate and the triennial catch-up objective (33 % of the deficit). An estimate: the
/// official inventory is the prefect's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SruEstimate {
    pub per_100: f64,
    pub target_percent: u32,
    pub deficit: u64,
    pub triennial_objective: u64,
}

/// The estimate for `social` dwellings and `main_residences`, against `target_percent` (25, or
/// 20 in some EPCIs).
pub fn sru_estimate(social: u64, main_residences: u64, target_percent: u32) -> Option<SruEstimate> {
    if main_residences == 0 {
        return None;
    }
    let needed = (u128::from(main_residences) * u128::from(target_percent)).div_ceil(100) as u64;
    let deficit = needed.saturating_sub(social);
    Some(SruEstimate {
        per_100: social as f64 * 100.0 / main_residences as f64,
        target_percent,
        deficit,
        triennial_objective: (deficit * 33).div_ceil(100),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geography {
        let c = |code: &str, name: &str| crate::Commune {
            code: CommuneCode::parse(code).unwrap_or_else(|e| unreachable!("{e:?}")),
            name: name.into(),
            department: "59".into(),
            population: None,
            epci: None,
        };
        Geography::new(
            vec![c("59183", "Dunkerque"), c("59155", "Coudekerque-Branche")],
            vec![crate::FormerCommune {
                code: CommuneCode::parse("59248").unwrap_or_else(|e| unreachable!("{e:?}")),
                name: "Fort-Mardyck".into(),
                kind: crate::FormerKind::Associated,
                current: CommuneCode::parse("59183").unwrap_or_else(|e| unreachable!("{e:?}")),
            }],
            vec![],
        )
    }

    fn parse(cells: &[(&'static str, &str)]) -> Result<Dwelling, Vec<CellError>> {
        parse_dwelling(cells.iter().map(|(c, v)| (*c, Some(*v))), &geo())
    }

    #[test]
    fn class_is_the_worse_letter_and_the_calendar_counts_down() {
        assert_eq!(
            energy_class(Some(Letter::C), Some(Letter::F)),
            Some(Letter::F)
        );
        assert_eq!(energy_class(None, Some(Letter::B)), Some(Letter::B));
        assert_eq!(energy_class(None, None), None);
        let mut s = StockSums::default();
        for (e, g) in [("G", ""), ("F", "C"), ("C", "E"), ("B", "B"), ("", "")] {
            let d = parse(&[("depcom", "59183"), ("dpeenergie", e), ("dpeserre", g)])
                .unwrap_or_else(|e| unreachable!("{e:?}"));
            s.add(&d, 2024);
        }
        assert_eq!(s.banned_from(2025), 1);
        assert_eq!(s.banned_from(2028), 2);
        assert_eq!(s.banned_from(2034), 3);
        assert_eq!(s.classes[7], 1, "no letter");
    }

    #[test]
    fn bad_cells_are_named_and_former_communes_land_on_today() {
        let d = parse(&[
            ("depcom", "59248"),
            ("surfhab", "45,5"),
            ("loyerprinc", "9999"),
        ])
        .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(d.commune.as_ref().map(|c| c.as_str()), Some("59183"));
        assert_eq!(d.surface_m2, Some(45.5));
        assert_eq!(d.rent_cents, None, "9999: not applicable");
        let e = parse(&[("depcom", "99999"), ("dpeenergie", "H"), ("surfhab", "0")])
            .err()
            .unwrap_or_default();
        let cols: Vec<&str> = e.iter().map(|(c, _)| *c).collect();
        assert_eq!(cols, vec!["depcom", "dpeenergie", "surfhab"], "{e:?}");
        assert!(e.iter().all(|(_, m)| !m.is_empty()));
    }

    #[test]
    fn rates_follow_the_definitions_and_absent_fields_stay_empty() {
        let mut s = StockSums::default();
        let rows: &[&[(&'static str, &str)]] = &[
            &[
                ("mode", "1"),
                ("locat", "1990"),
                ("bail", "03/2023"),
                ("loyerprinc", "400"),
                ("surfhab", "50"),
            ],
            &[
                ("mode", "1"),
                ("locat", "1990"),
                ("bail", "03/2010"),
                ("loyerprinc", "300"),
                ("surfhab", "50"),
            ],
            &[("mode", "2"), ("locat", "2023"), ("remlocdate", "06/2023")],
            &[("mode", "2"), ("locat", "1990"), ("remlocdate", "11/2023")],
            &[("mode", "3")],
        ];
        for r in rows {
            let mut cells = vec![("depcom", "59183")];
            cells.extend_from_slice(r);
            s.add(
                &parse(&cells).unwrap_or_else(|e| unreachable!("{e:?}")),
                2024,
            );
        }
        let all = Fields::of(&[
            "qpv",
            "conv",
            "mode",
            "bail",
            "locat",
            "remlocdate",
            "loyerprinc",
            "dpeenergie",
        ]);
        let i = Indicators::of(&s, &all);
        assert_eq!(i.vacancy_rate, Some(50.0));
        assert_eq!(i.vacant_3_months, Some(1));
        // Base: let or offered and first let by 2022 (three); one lease of 2023.
        assert_eq!(s.mobility_base, 3);
        assert_eq!(i.mobility_rate.map(|r| (r * 10.0).round()), Some(333.0));
        assert_eq!(i.rent_per_m2, Some(7.0));
        let open = Fields::of(&["qpv", "dpeenergie"]);
        let i = Indicators::of(&s, &open);
        assert_eq!(
            (i.vacancy_rate, i.let_, i.rent_per_m2, i.conventioned),
            (None, None, None, None)
        );
        assert_eq!(i.dwellings, 5);
    }

    #[test]
    fn sru_deficit_and_triennial_objective() {
        let e = sru_estimate(1_800, 10_000, 25).unwrap_or_else(|| unreachable!());
        assert_eq!(e.deficit, 700);
        assert_eq!(e.triennial_objective, 231);
        assert!((e.per_100 - 18.0).abs() < 1e-9);
        assert_eq!(sru_estimate(3_000, 10_000, 25).map(|e| e.deficit), Some(0));
        assert_eq!(sru_estimate(1, 0, 25), None);
    }
}

/// The columns of a file of cités minières (`logis import cites`).
pub const ESTATE_COLUMNS: &[&str] = &[
    "cite",
    "commune",
    "bailleur",
    "logements",
    "classe_a",
    "classe_b",
    "classe_c",
    "classe_d",
    "classe_e",
    "classe_f",
    "classe_g",
];
pub const ESTATE_REQUIRED: &[&str] = &["cite", "commune", "bailleur", "logements"];

/// A cité minière's dwellings of one landlord, by energy label before the programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstateDraft {
    pub name: String,
    pub commune: CommuneCode,
    pub landlord: i64,
    pub dwellings: u32,
    /// A to G.
    pub classes: [u32; 7],
}

/// A row of a cités file from its cells, or every problem with its column.
pub fn parse_estate<'a>(
    cells: impl Iterator<Item = (&'static str, Option<&'a str>)>,
    geo: &Geography,
    landlords: &crate::register::line::OrgIndex,
) -> Result<EstateDraft, Vec<CellError>> {
    let mut errors: Vec<CellError> = Vec::new();
    let (mut name, mut commune, mut landlord, mut dwellings) = (None, None, None, None);
    let mut classes = [0u32; 7];
    for (column, value) in cells {
        let v = value.map(str::trim).unwrap_or_default();
        let count = |v: &str| {
            parse_integer(v)
                .filter(|n| (0..=1_000_000).contains(n))
                .map(|n| n as u32)
        };
        match column {
            "cite" if !v.is_empty() => name = Some(v.to_string()),
            "commune" if !v.is_empty() => match geo.resolve(v, None) {
                Ok(c) => commune = Some(c.code.clone()),
                Err(e) => errors.push((column, e.to_string())),
            },
            "bailleur" if !v.is_empty() => match landlords.find(v) {
                Some(id) => landlord = Some(id),
                None => errors.push((column, format!("bailleur inconnu « {v} »"))),
            },
            "logements" if !v.is_empty() => match count(v) {
                Some(n) if n > 0 => dwellings = Some(n),
                _ => errors.push((
                    column,
                    format!("« {v} » : un nombre de logements supérieur à 0 attendu"),
                )),
            },
            c if c.starts_with("classe_") && !v.is_empty() => {
                let i = c
                    .as_bytes()
                    .last()
                    .map_or(7, |b| usize::from(b.wrapping_sub(b'a')));
                match (count(v), classes.get_mut(i)) {
                    (Some(n), Some(slot)) => *slot = n,
                    _ => errors.push((column, format!("« {v} » : un nombre de logements attendu"))),
                }
            }
            "cite" | "commune" | "bailleur" | "logements" => {
                errors.push((column, "valeur obligatoire manquante".into()))
            }
            _ => {}
        }
    }
    if let Some(n) = dwellings
        && classes.iter().map(|c| u64::from(*c)).sum::<u64>() > u64::from(n)
    {
        errors.push((
            "classe_a",
            format!("les logements par étiquette dépassent les {n} logements de la cité"),
        ));
    }
    match (name, commune, landlord, dwellings) {
        (Some(name), Some(commune), Some(landlord), Some(dwellings)) if errors.is_empty() => {
            Ok(EstateDraft {
                name,
                commune,
                landlord,
                dwellings,
                classes,
            })
        }
        _ => Err(errors),
    }
}
