//! The land bank of a partnership: a site's cadastral parcels, its owner, its position, the
//! steps of its life, and a site as an import row writes it. The EPCI identifies land, proposes
//! it to the landlords, allocates it to one of them without competition; the operations built
//! on it come from the register.

pub mod tenders;

use crate::codes::CommuneCode;
use crate::numbers::{parse_date, parse_decimal, parse_integer};
use crate::reference::{Geography, Territory};
use crate::register::line::{FieldError, MAX_TEXT, OrgIndex};
use crate::register::vocab::vocabulary;
use crate::text::name_key;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A cadastral parcel as the land registry writes it: an optional 3-digit prefix (the former
/// commune's, `000` when none), a section of one or two letters or digits, a number of one to
/// four digits — `000 AB 0123`, `AB 123`, `AB0123`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Parcel {
    prefix: String,
    section: String,
    number: u16,
}

impl Parcel {
    /// Read a parcel reference; the French error says what is expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "référence cadastrale illisible « {} » (attendu : section et numéro, par exemple « 000 AB 0123 » ou « AB 123 »)",
                text.trim()
            )
        };
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if compact.is_empty() || !compact.is_ascii() {
            return Err(bad());
        }
        // The number: the trailing digits (1 to 4).
        let digits = compact.bytes().rev().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let split = compact.len() - digits;
        let (head, number) = compact.split_at(split);
        let number = number.trim_start_matches('0');
        let number: u16 = if number.is_empty() {
            0
        } else if number.len() <= 4 {
            number.parse().map_err(|_| bad())?
        } else {
            return Err(bad());
        };
        if number == 0 {
            return Err(bad());
        }
        // The section: the letters (or letters and digits) before it, after an optional prefix
        // of three digits.
        let (prefix, section) = match head.len() {
            0 => return Err(bad()),
            1 | 2 => ("000", head),
            4 | 5 if head.as_bytes().iter().take(3).all(u8::is_ascii_digit) => head.split_at(3),
            _ => return Err(bad()),
        };
        let ok_section = section.bytes().all(|b| b.is_ascii_alphanumeric())
            && section.bytes().any(|b| b.is_ascii_alphabetic());
        if !ok_section {
            return Err(bad());
        }
        Ok(Parcel {
            prefix: prefix.to_string(),
            // (A one-character section is written with a leading zero: « A » is « 0A ».)
            section: format!("{section:0>2}"),
            number,
        })
    }

    /// As the land registry writes it: `000 AB 0123`.
    pub fn text(&self) -> String {
        format!("{} {} {:04}", self.prefix, self.section, self.number)
    }
}

impl std::fmt::Display for Parcel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// The parcels of a site as an import cell writes them, separated by `|`: each one read, the
/// same parcel once; the first bad one is the error.
pub fn parse_parcels(cell: &str) -> Result<Vec<Parcel>, String> {
    let mut out: Vec<Parcel> = Vec::new();
    for part in cell.split('|').map(str::trim).filter(|p| !p.is_empty()) {
        let p = Parcel::parse(part)?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    if out.is_empty() {
        return Err(
            "aucune parcelle : donnez au moins une référence cadastrale (séparées par « | »)"
                .into(),
        );
    }
    Ok(out)
}

vocabulary! {
    /// Who owns a site.
    LandOwner, "propriétaire" {
        Epci => "epci", "EPCI", ["communaute urbaine", "intercommunalite", "cud"];
        Commune => "commune", "Commune", ["ville", "mairie"];
        LandAgency => "epf", "Établissement public foncier", ["etablissement public foncier", "epf nord pas de calais"];
        State => "etat", "État", [];
        Landlord => "bailleur", "Bailleur social", ["bailleur social"];
        Private => "prive", "Privé", ["particulier", "societe"];
    }
}

vocabulary! {
    /// The steps of a site's life.
    SiteStatus, "statut du foncier" {
        Identified => "identifie", "Identifié", [];
        Proposed => "propose", "Proposé aux bailleurs", ["propose"];
        Interests => "interets", "Intérêts exprimés", ["interets exprimes", "interet"];
        Allocated => "attribue", "Attribué à un bailleur", ["attribue"];
        Sold => "cede", "Cédé", ["cession", "vendu"];
        Launched => "operation_lancee", "Opération lancée", ["operation lancee", "lance"];
        Abandoned => "abandonne", "Abandonné", ["abandon"];
    }
}

impl SiteStatus {
    /// Whether a site may go from `self` to `next`: forward along its life (a step may be
    /// skipped: land already wanted is allocated at once), back from an allocation withdrawn to
    /// the interests, and to « abandonné » from any step before the operation.
    pub fn may_become(self, next: SiteStatus) -> bool {
        use SiteStatus::*;
        let rank = SiteStatus::rank;
        match (self, next) {
            (Abandoned, _) | (Launched, _) => false,
            (_, Abandoned) => true,
            (Allocated, Interests) | (Allocated, Proposed) => true,
            (a, b) => rank(b) > rank(a),
        }
    }

    /// The French refusal of a step that is not allowed.
    pub fn refusal(self, next: SiteStatus) -> String {
        format!(
            "un foncier « {} » ne peut pas passer à « {} »",
            self.label(),
            next.label()
        )
    }
}

/// The comparison key of a site's identifier (as users retype it).
pub fn site_key(id: &str) -> String {
    name_key(id)
}

/// A point in WGS84, in millionths of a degree (about 10 cm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Point {
    pub lon_e6: i64,
    pub lat_e6: i64,
}

impl Point {
    pub fn lon(self) -> f64 {
        self.lon_e6 as f64 / 1e6
    }
    pub fn lat(self) -> f64 {
        self.lat_e6 as f64 / 1e6
    }

    /// A point given as `x` and `y`: longitude and latitude in degrees (WGS84), or Lambert-93
    /// metres (the IGN's projection of metropolitan France), told apart by their size. The point
    /// must fall in metropolitan France.
    pub fn from_xy(x: f64, y: f64) -> Result<Point, String> {
        let (lon, lat) = if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) {
            (x, y)
        } else if (0.0..=1_300_000.0).contains(&x) && (6_000_000.0..=7_200_000.0).contains(&y) {
            lambert93_to_wgs84(x, y)
        } else {
            return Err(format!(
                "coordonnées illisibles ({x} ; {y}) : attendu une longitude et une latitude en degrés (WGS84, par exemple 2,3768 ; 51,0343) ou des mètres en Lambert-93 (par exemple 652 000 ; 7 104 000)"
            ));
        };
        if !((-5.5..=10.0).contains(&lon) && (41.0..=51.6).contains(&lat)) {
            return Err(format!(
                "coordonnées hors de la France métropolitaine (longitude {lon:.5}, latitude {lat:.5})"
            ));
        }
        Ok(Point {
            lon_e6: (lon * 1e6).round() as i64,
            lat_e6: (lat * 1e6).round() as i64,
        })
    }
}

/// The constants of Lambert-93 (IGN, « Projection cartographique conique conforme de Lambert »,
/// algorithms ALG0002 and ALG0004; ellipsoid IAG GRS 1980).
mod lambert93 {
    pub const N: f64 = 0.725_607_765_0;
    pub const C: f64 = 11_754_255.426;
    pub const XS: f64 = 700_000.0;
    pub const YS: f64 = 12_655_612.050;
    pub const E: f64 = 0.081_819_191_06;
    pub const LAMBDA0: f64 = 3.0 * std::f64::consts::PI / 180.0;
}

/// Lambert-93 metres to WGS84 degrees (longitude, latitude). The IGN's closed form, the
/// latitude by fixed-point iteration (converged to 1e-12 radian in a handful of steps); a
/// single projection, not worth a dependency.
pub fn lambert93_to_wgs84(x: f64, y: f64) -> (f64, f64) {
    use lambert93::*;
    let dx = x - XS;
    let dy = YS - y;
    let r = (dx * dx + dy * dy).sqrt();
    let gamma = dx.atan2(dy);
    let lon = LAMBDA0 + gamma / N;
    let l = -(r / C).ln() / N;
    let mut lat = 2.0 * l.exp().atan() - std::f64::consts::FRAC_PI_2;
    for _ in 0..50 {
        let s = E * lat.sin();
        let next = 2.0 * (((1.0 + s) / (1.0 - s)).powf(E / 2.0) * l.exp()).atan()
            - std::f64::consts::FRAC_PI_2;
        let done = (next - lat).abs() < 1e-12;
        lat = next;
        if done {
            break;
        }
    }
    (lon.to_degrees(), lat.to_degrees())
}

/// WGS84 degrees to Lambert-93 metres (x, y): the IGN's forward formula.
pub fn wgs84_to_lambert93(lon: f64, lat: f64) -> (f64, f64) {
    use lambert93::*;
    let phi = lat.to_radians();
    let s = E * phi.sin();
    let l = ((std::f64::consts::FRAC_PI_4 + phi / 2.0).tan()
        * ((1.0 - s) / (1.0 + s)).powf(E / 2.0))
    .ln();
    let r = C * (-N * l).exp();
    let theta = N * (lon.to_radians() - LAMBDA0);
    (XS + r * theta.sin(), YS - r * theta.cos())
}

/// The columns of a land bank import, in the order an export writes them.
pub const SITE_COLUMNS: &[&str] = &[
    "foncier",
    "libelle",
    "commune",
    "parcelles",
    "surface_m2",
    "proprietaire",
    "capacite_logements",
    "part_sociale",
    "statut",
    "date_statut",
    "date_identification",
    "bailleur",
    "motif",
    "zonage",
    "pollution",
    "risque_inondation",
    "contraintes",
    "documents",
    "x",
    "y",
];

/// The columns a land bank import cannot do without.
pub const SITE_REQUIRED: &[&str] = &["foncier", "commune", "parcelles", "proprietaire", "statut"];

/// Other names users give the columns (already reduced by `header_key`).
pub const SITE_ALIASES: &[(&str, &str)] = &[
    ("site", "foncier"),
    ("reference", "foncier"),
    ("identifiant", "foncier"),
    ("nom", "libelle"),
    ("parcelle", "parcelles"),
    ("references_cadastrales", "parcelles"),
    ("cadastre", "parcelles"),
    ("surface", "surface_m2"),
    ("superficie", "surface_m2"),
    ("superficie_m2", "surface_m2"),
    ("capacite", "capacite_logements"),
    ("logements", "capacite_logements"),
    ("part_sociale_pct", "part_sociale"),
    ("part_logement_social", "part_sociale"),
    ("date", "date_statut"),
    ("identifie_le", "date_identification"),
    ("date_d_identification", "date_identification"),
    ("raison", "motif"),
    ("zone", "zonage"),
    ("zone_plu", "zonage"),
    ("plu", "zonage"),
    ("sol_pollue", "pollution"),
    ("inondation", "risque_inondation"),
    ("ppri", "risque_inondation"),
    ("longitude", "x"),
    ("latitude", "y"),
    ("x_lambert93", "x"),
    ("y_lambert93", "y"),
];

/// What a site is subject to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Constraints {
    /// The planning zone (PLU(i)): « UA », « 1AU »…
    pub zoning: String,
    pub pollution: Option<bool>,
    pub flood_risk: Option<bool>,
    /// Anything else, in the user's words.
    pub other: String,
}

impl Constraints {
    /// In French, for a page or a report (empty when nothing is known).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.zoning.is_empty() {
            parts.push(format!("zone {}", self.zoning));
        }
        match self.pollution {
            Some(true) => parts.push("sol pollué".to_string()),
            Some(false) => parts.push("sol non pollué".to_string()),
            None => {}
        }
        match self.flood_risk {
            Some(true) => parts.push("risque d'inondation".to_string()),
            Some(false) => parts.push("hors risque d'inondation".to_string()),
            None => {}
        }
        if !self.other.is_empty() {
            parts.push(self.other.clone());
        }
        parts.join(" ; ")
    }
}

/// A site as an import row (or the form) gives it, checked and resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteDraft {
    /// The partnership's identifier of the site (« CUD-F-001 »).
    pub reference: String,
    pub label: String,
    pub commune: CommuneCode,
    pub parcels: Vec<Parcel>,
    pub area_m2: Option<u64>,
    pub owner: LandOwner,
    /// Estimated capacity, in dwellings.
    pub capacity: Option<u64>,
    /// Intended share of social housing, in percent.
    pub social_percent: Option<u8>,
    pub status: SiteStatus,
    /// When the site reached its status (the decision's date); today when not given.
    pub status_date: Option<NaiveDate>,
    /// When the EPCI identified it (the status's date when not given).
    pub identified_on: Option<NaiveDate>,
    /// The landlord it is allocated to (organisation id): only for an allocated site and after.
    pub landlord: Option<i64>,
    /// Why (an allocation's or an abandonment's reason).
    pub reason: String,
    pub constraints: Constraints,
    pub documents: String,
    pub point: Option<Point>,
}

/// What a site row is resolved against.
pub struct SiteContext<'a> {
    pub geography: &'a Geography,
    pub territory: Option<&'a Territory>,
    /// The landlords (organisations of kind « bailleur »).
    pub landlords: &'a OrgIndex,
}

/// The cells of one land bank row, by column (absent column or empty cell: `None`).
#[derive(Debug, Default, Clone, Copy)]
pub struct SiteRow<'a> {
    pub foncier: Option<&'a str>,
    pub libelle: Option<&'a str>,
    pub commune: Option<&'a str>,
    pub parcelles: Option<&'a str>,
    pub surface_m2: Option<&'a str>,
    pub proprietaire: Option<&'a str>,
    pub capacite_logements: Option<&'a str>,
    pub part_sociale: Option<&'a str>,
    pub statut: Option<&'a str>,
    pub date_statut: Option<&'a str>,
    pub date_identification: Option<&'a str>,
    pub bailleur: Option<&'a str>,
    pub motif: Option<&'a str>,
    pub zonage: Option<&'a str>,
    pub pollution: Option<&'a str>,
    pub risque_inondation: Option<&'a str>,
    pub contraintes: Option<&'a str>,
    pub documents: Option<&'a str>,
    pub x: Option<&'a str>,
    pub y: Option<&'a str>,
}

fn field(column: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        column,
        message: message.into(),
    }
}

/// « oui » / « non » (and what users write for them).
pub fn parse_yes_no(s: &str) -> Option<bool> {
    // (The usual spellings first: no key to compute.)
    match s.trim() {
        "oui" | "Oui" | "OUI" | "1" => return Some(true),
        "non" | "Non" | "NON" | "0" => return Some(false),
        _ => {}
    }
    match name_key(s).as_str() {
        "oui" | "o" | "yes" | "y" | "1" | "vrai" | "x" => Some(true),
        "non" | "n" | "no" | "0" | "faux" => Some(false),
        _ => None,
    }
}

/// A share in percent: « 40 », « 40 % », « 0,4 » (a fraction up to 1).
pub fn parse_percent(s: &str) -> Option<u8> {
    let t = s.trim().trim_end_matches('%').trim();
    let v = parse_decimal(t)?;
    let pct = if v <= 1.0 && t.contains([',', '.']) {
        v * 100.0
    } else {
        v
    };
    (0.0..=100.0).contains(&pct).then(|| pct.round() as u8)
}

impl<'a> SiteRow<'a> {
    pub fn set(&mut self, column: &str, value: Option<&'a str>) {
        let slot = match column {
            "foncier" => &mut self.foncier,
            "libelle" => &mut self.libelle,
            "commune" => &mut self.commune,
            "parcelles" => &mut self.parcelles,
            "surface_m2" => &mut self.surface_m2,
            "proprietaire" => &mut self.proprietaire,
            "capacite_logements" => &mut self.capacite_logements,
            "part_sociale" => &mut self.part_sociale,
            "statut" => &mut self.statut,
            "date_statut" => &mut self.date_statut,
            "date_identification" => &mut self.date_identification,
            "bailleur" => &mut self.bailleur,
            "motif" => &mut self.motif,
            "zonage" => &mut self.zonage,
            "pollution" => &mut self.pollution,
            "risque_inondation" => &mut self.risque_inondation,
            "contraintes" => &mut self.contraintes,
            "documents" => &mut self.documents,
            "x" => &mut self.x,
            "y" => &mut self.y,
            _ => return,
        };
        *slot = value.map(str::trim).filter(|v| !v.is_empty());
    }

    /// Check and resolve the row: the site, or every problem with its column.
    pub fn parse(&self, ctx: &SiteContext<'_>) -> Result<SiteDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let text = |col: &'static str, v: Option<&str>, errors: &mut Vec<FieldError>| -> String {
            match v {
                Some(v) if v.chars().count() > MAX_TEXT => {
                    errors.push(field(
                        col,
                        format!("texte trop long ({MAX_TEXT} caractères au plus)"),
                    ));
                    String::new()
                }
                Some(v) => v.to_string(),
                None => String::new(),
            }
        };
        let missing = |col: &'static str, errors: &mut Vec<FieldError>| {
            errors.push(field(col, "valeur obligatoire manquante"));
        };
        let reference = text("foncier", self.foncier, &mut errors);
        if self.foncier.is_none() {
            missing("foncier", &mut errors);
        }
        let commune = match self.commune {
            None => {
                missing("commune", &mut errors);
                None
            }
            Some(c) => match ctx.geography.resolve(c, ctx.territory) {
                Err(e) => {
                    errors.push(field("commune", e.to_string()));
                    None
                }
                Ok(found) => match ctx.territory {
                    Some(t) if !t.contains(found) => {
                        errors.push(field(
                            "commune",
                            format!(
                                "la commune {} ({}) est hors du territoire ({}) : un foncier de la banque se situe sur le territoire",
                                found.name,
                                found.code.as_str(),
                                t.describe(ctx.geography)
                            ),
                        ));
                        None
                    }
                    _ => Some(found.code.clone()),
                },
            },
        };
        let parcels = match self.parcelles {
            None => {
                missing("parcelles", &mut errors);
                Vec::new()
            }
            Some(p) => parse_parcels(p).unwrap_or_else(|e| {
                errors.push(field("parcelles", e));
                Vec::new()
            }),
        };
        let count = |col: &'static str, v: Option<&str>, errors: &mut Vec<FieldError>| {
            let v = v?;
            match parse_integer(v) {
                Some(n) if n >= 0 => Some(n as u64),
                _ => {
                    errors.push(field(
                        col,
                        format!("« {v} » n'est pas un nombre entier positif ou nul"),
                    ));
                    None
                }
            }
        };
        let area_m2 = count("surface_m2", self.surface_m2, &mut errors);
        let capacity = count("capacite_logements", self.capacite_logements, &mut errors);
        let owner = match self.proprietaire {
            None => {
                missing("proprietaire", &mut errors);
                None
            }
            Some(o) => LandOwner::parse(o)
                .map_err(|e| errors.push(field("proprietaire", e.0)))
                .ok(),
        };
        let social_percent = self.part_sociale.and_then(|v| {
            let p = parse_percent(v);
            if p.is_none() {
                errors.push(field(
                    "part_sociale",
                    format!("« {v} » n'est pas une part entre 0 et 100 % (par exemple 40 ou 40 %)"),
                ));
            }
            p
        });
        let status = match self.statut {
            None => {
                missing("statut", &mut errors);
                None
            }
            Some(s) => SiteStatus::parse(s)
                .map_err(|e| errors.push(field("statut", e.0)))
                .ok(),
        };
        let status_date = self.date_statut.and_then(|d| {
            let v = parse_date(d);
            if v.is_none() {
                errors.push(field(
                    "date_statut",
                    format!("date illisible « {d} » (attendu : jj/mm/aaaa)"),
                ));
            }
            v
        });
        let identified_on = self.date_identification.and_then(|d| {
            let v = parse_date(d);
            if v.is_none() {
                errors.push(field(
                    "date_identification",
                    format!("date illisible « {d} » (attendu : jj/mm/aaaa)"),
                ));
            }
            v
        });
        if let (Some(i), Some(s)) = (identified_on, status_date)
            && i > s
        {
            errors.push(field(
                "date_identification",
                "la date d'identification suit la date du statut",
            ));
        }
        let landlord = self.bailleur.and_then(|b| match ctx.landlords.find(b) {
            Some(id) => Some(id),
            None => {
                let s = ctx.landlords.suggestions(b);
                let hint = if s.is_empty() {
                    String::new()
                } else {
                    format!(" (bailleurs proches : {})", s.join(", "))
                };
                errors.push(field(
                    "bailleur",
                    format!("« {b} » n'est pas un bailleur du partenariat{hint} : un foncier n'est attribué qu'à un bailleur"),
                ));
                None
            }
        });
        if let Some(st) = status {
            if st.held() && self.bailleur.is_none() {
                errors.push(field(
                    "bailleur",
                    format!(
                        "un foncier au statut « {} » est tenu par un bailleur : donnez-le",
                        st.label()
                    ),
                ));
            }
            if !st.held() && self.bailleur.is_some() {
                errors.push(field(
                    "bailleur",
                    format!(
                        "un foncier au statut « {} » n'est attribué à aucun bailleur : laissez la colonne vide (les intérêts des bailleurs s'expriment sur la page du foncier)",
                        st.label()
                    ),
                ));
            }
        }
        let pollution = self.pollution.and_then(|v| {
            let b = parse_yes_no(v);
            if b.is_none() {
                errors.push(field("pollution", format!("« {v} » : attendu oui ou non")));
            }
            b
        });
        let flood_risk = self.risque_inondation.and_then(|v| {
            let b = parse_yes_no(v);
            if b.is_none() {
                errors.push(field(
                    "risque_inondation",
                    format!("« {v} » : attendu oui ou non"),
                ));
            }
            b
        });
        let point = match (self.x, self.y) {
            (None, None) => None,
            (Some(_), None) => {
                errors.push(field("y", "coordonnée y manquante (x est donné)"));
                None
            }
            (None, Some(_)) => {
                errors.push(field("x", "coordonnée x manquante (y est donné)"));
                None
            }
            (Some(x), Some(y)) => match (parse_decimal(x), parse_decimal(y)) {
                (None, _) => {
                    errors.push(field("x", format!("« {x} » n'est pas un nombre")));
                    None
                }
                (_, None) => {
                    errors.push(field("y", format!("« {y} » n'est pas un nombre")));
                    None
                }
                (Some(x), Some(y)) => Point::from_xy(x, y)
                    .map_err(|e| errors.push(field("x", e)))
                    .ok(),
            },
        };
        let label = text("libelle", self.libelle, &mut errors);
        let reason = text("motif", self.motif, &mut errors);
        let zoning = text("zonage", self.zonage, &mut errors);
        let other = text("contraintes", self.contraintes, &mut errors);
        let documents = text("documents", self.documents, &mut errors);
        match (commune, owner, status) {
            (Some(commune), Some(owner), Some(status)) if errors.is_empty() => Ok(SiteDraft {
                reference,
                label,
                commune,
                parcels,
                area_m2,
                owner,
                capacity,
                social_percent,
                status,
                status_date,
                identified_on,
                landlord,
                reason,
                constraints: Constraints {
                    zoning,
                    pollution,
                    flood_risk,
                    other,
                },
                documents,
                point,
            }),
            _ => Err(errors),
        }
    }
}

impl SiteStatus {
    /// Its place along a site's life (« abandonné » last).
    pub fn rank(self) -> u8 {
        use SiteStatus::*;
        match self {
            Identified => 0,
            Proposed => 1,
            Interests => 2,
            Allocated => 3,
            Sold => 4,
            Launched => 5,
            Abandoned => 6,
        }
    }

    /// Whether a landlord holds the site at this step (allocated, sold, built on).
    pub fn held(self) -> bool {
        matches!(
            self,
            SiteStatus::Allocated | SiteStatus::Sold | SiteStatus::Launched
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parcel(s: &str) -> String {
        Parcel::parse(s).map(|p| p.text()).unwrap_or_else(|e| e)
    }

    #[test]
    fn parcels_as_the_land_registry_writes_them() {
        assert_eq!(parcel("000 AB 0123"), "000 AB 0123");
        assert_eq!(parcel("AB 123"), "000 AB 0123");
        assert_eq!(parcel("ab0123"), "000 AB 0123");
        assert_eq!(parcel("123 C 7"), "123 0C 0007");
        assert_eq!(parcel("0A 12"), "000 0A 0012");
        assert_eq!(Parcel::parse("A 12"), Parcel::parse("0A 12"));
        for bad in [
            "",
            "AB",
            "123",
            "AB 12345",
            "ABC 12",
            "AB 0",
            "1234 AB 1",
            "É 12",
            "12 34",
        ] {
            assert!(
                parcel(bad).starts_with("référence cadastrale illisible"),
                "{bad}: {}",
                parcel(bad)
            );
        }
        assert_eq!(
            parse_parcels("000 AB 0123 | AB 124|AB 123").map(|v| v.len()),
            Ok(2)
        );
        assert!(parse_parcels(" | ").is_err_and(|e| e.starts_with("aucune parcelle")));
        assert!(parse_parcels("AB 1 | rue du Port").is_err_and(|e| e.contains("rue du Port")));
    }

    #[test]
    fn a_site_moves_forward_or_is_abandoned() {
        use SiteStatus::*;
        assert!(Identified.may_become(Proposed));
        assert!(Proposed.may_become(Allocated));
        assert!(Allocated.may_become(Interests), "an allocation withdrawn");
        assert!(Allocated.may_become(Sold));
        assert!(Sold.may_become(Launched));
        assert!(Interests.may_become(Abandoned));
        assert!(!Launched.may_become(Abandoned));
        assert!(!Abandoned.may_become(Proposed));
        assert!(!Sold.may_become(Allocated));
        assert_eq!(
            Sold.refusal(Allocated),
            "un foncier « Cédé » ne peut pas passer à « Attribué à un bailleur »"
        );
        assert_eq!(SiteStatus::parse("Attribué"), Ok(Allocated));
        assert_eq!(LandOwner::parse("EPF"), Ok(LandOwner::LandAgency));
    }

    #[test]
    fn lambert_93_and_wgs84_agree() {
        // The projection's origin: 3° E, 46.5° N.
        let (lon, lat) = lambert93_to_wgs84(700_000.0, 6_600_000.0);
        assert!(
            (lon - 3.0).abs() < 1e-7 && (lat - 46.5).abs() < 1e-7,
            "{lon} {lat}"
        );
        // Dunkerque's town hall, there and back.
        let (x, y) = wgs84_to_lambert93(2.3768, 51.0343);
        assert!((640_000.0..660_000.0).contains(&x), "{x}");
        assert!((7_090_000.0..7_110_000.0).contains(&y), "{y}");
        let (lon, lat) = lambert93_to_wgs84(x, y);
        assert!((lon - 2.3768).abs() < 1e-8 && (lat - 51.0343).abs() < 1e-8);
        let p = Point::from_xy(x, y).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!((p.lon_e6, p.lat_e6), (2_376_800, 51_034_300));
        assert_eq!(
            Point::from_xy(2.3768, 51.0343).map(|p| p.lat_e6),
            Ok(51_034_300)
        );
        assert!(Point::from_xy(-61.5, 16.2).is_err_and(|e| e.contains("hors de la France")));
        assert!(Point::from_xy(2_000_000.0, 5.0).is_err_and(|e| e.contains("illisibles")));
    }

    #[test]
    fn shares_and_yes_no() {
        assert_eq!(parse_percent("40"), Some(40));
        assert_eq!(parse_percent("40 %"), Some(40));
        assert_eq!(parse_percent("0,4"), Some(40));
        assert_eq!(parse_percent("100"), Some(100));
        assert_eq!(parse_percent("140"), None);
        assert_eq!(parse_percent("-1"), None);
        assert_eq!(parse_yes_no("Oui"), Some(true));
        assert_eq!(parse_yes_no("NON"), Some(false));
        assert_eq!(parse_yes_no("peut-être"), None);
    }
}
