//! Grouped tenders: one landlord coordinates a call for tenders that several landlords join,
//! for works of one kind, in lots; each lot covers operations of the register, with their
//! estimate and the amount awarded to a company (SIRET). An import row is one operation of one
//! lot; the rows of one tender are grouped into a [`TenderDraft`].

use crate::codes::{Euros, Siret};
use crate::numbers::{parse_amount_cents, parse_date};
use crate::register::line::{FieldError, MAX_TEXT, OrgIndex};
use crate::register::vocab::vocabulary;
use crate::text::name_key;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

vocabulary! {
    /// The kind of works a grouped tender buys.
    WorksKind, "nature des travaux" {
        Construction => "construction", "Construction neuve", ["neuf", "construction neuve"];
        Rehabilitation => "rehabilitation", "Réhabilitation", ["renovation", "rehabilitation thermique"];
        Joinery => "menuiseries", "Menuiseries", ["menuiserie", "fenetres", "menuiseries exterieures"];
        Heating => "chauffage", "Chauffage", ["chaudieres", "chauffage collectif", "pompes a chaleur"];
        Insulation => "isolation", "Isolation", ["isolation thermique", "ite", "isolation thermique par l exterieur"];
        Roofing => "toiture", "Toiture", ["couverture", "toitures"];
        Electricity => "electricite", "Électricité", ["electricite"];
        Ventilation => "ventilation", "Ventilation", ["vmc"];
        Lifts => "ascenseurs", "Ascenseurs", ["ascenseur"];
        Other => "autre", "Autre lot", ["autres"];
    }
}

/// The columns of a grouped tenders import, in the order an export writes them.
pub const TENDER_COLUMNS: &[&str] = &[
    "appel",
    "coordinateur",
    "membres",
    "nature_travaux",
    "date_publication",
    "date_demarrage",
    "lot",
    "bailleur",
    "operation",
    "estimation",
    "montant_attribue",
    "attributaire_siret",
    "date_attribution",
];

/// The columns a tenders import cannot do without.
pub const TENDER_REQUIRED: &[&str] = &[
    "appel",
    "coordinateur",
    "nature_travaux",
    "lot",
    "bailleur",
    "operation",
];

/// Other names users give the columns (already reduced by `header_key`).
pub const TENDER_ALIASES: &[(&str, &str)] = &[
    ("appel_d_offres", "appel"),
    ("appel_offres", "appel"),
    ("reference_appel", "appel"),
    ("bailleur_coordinateur", "coordinateur"),
    ("groupement", "membres"),
    ("nature", "nature_travaux"),
    ("travaux", "nature_travaux"),
    ("reference_operation", "operation"),
    ("estimation_eur", "estimation"),
    ("montant", "montant_attribue"),
    ("montant_attribue_eur", "montant_attribue"),
    ("siret", "attributaire_siret"),
    ("siret_attributaire", "attributaire_siret"),
    ("attribue_le", "date_attribution"),
];

/// One checked row: one operation of one lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderRowDraft {
    pub tender: String,
    pub coordinator: i64,
    /// Members named on the row (the coordinator and the rows' landlords are members anyway).
    pub members: Vec<i64>,
    pub works: WorksKind,
    pub published_on: Option<NaiveDate>,
    pub works_start_on: Option<NaiveDate>,
    pub lot: String,
    pub landlord: i64,
    pub operation: String,
    pub estimate: Option<Euros>,
    pub awarded: Option<Euros>,
    pub company: Option<Siret>,
    pub awarded_on: Option<NaiveDate>,
}

/// The cells of one tenders row, by column.
#[derive(Debug, Default, Clone, Copy)]
pub struct TenderRow<'a> {
    pub appel: Option<&'a str>,
    pub coordinateur: Option<&'a str>,
    pub membres: Option<&'a str>,
    pub nature_travaux: Option<&'a str>,
    pub date_publication: Option<&'a str>,
    pub date_demarrage: Option<&'a str>,
    pub lot: Option<&'a str>,
    pub bailleur: Option<&'a str>,
    pub operation: Option<&'a str>,
    pub estimation: Option<&'a str>,
    pub montant_attribue: Option<&'a str>,
    pub attributaire_siret: Option<&'a str>,
    pub date_attribution: Option<&'a str>,
}

fn field(column: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        column,
        message: message.into(),
    }
}

fn landlord(
    column: &'static str,
    text: &str,
    landlords: &OrgIndex,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    match landlords.find(text) {
        Some(id) => Some(id),
        None => {
            let s = landlords.suggestions(text);
            let hint = if s.is_empty() {
                String::new()
            } else {
                format!(" (bailleurs proches : {})", s.join(", "))
            };
            errors.push(field(
                column,
                format!(
                    "« {} » n'est pas un bailleur du partenariat{hint} : un appel d'offres groupé réunit des bailleurs",
                    text.trim()
                ),
            ));
            None
        }
    }
}

impl<'a> TenderRow<'a> {
    pub fn set(&mut self, column: &str, value: Option<&'a str>) {
        let slot = match column {
            "appel" => &mut self.appel,
            "coordinateur" => &mut self.coordinateur,
            "membres" => &mut self.membres,
            "nature_travaux" => &mut self.nature_travaux,
            "date_publication" => &mut self.date_publication,
            "date_demarrage" => &mut self.date_demarrage,
            "lot" => &mut self.lot,
            "bailleur" => &mut self.bailleur,
            "operation" => &mut self.operation,
            "estimation" => &mut self.estimation,
            "montant_attribue" => &mut self.montant_attribue,
            "attributaire_siret" => &mut self.attributaire_siret,
            "date_attribution" => &mut self.date_attribution,
            _ => return,
        };
        *slot = value.map(str::trim).filter(|v| !v.is_empty());
    }

    /// Check the row: the draft, or every problem with its column.
    pub fn parse(&self, landlords: &OrgIndex) -> Result<TenderRowDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let text = |col: &'static str, v: Option<&str>, errors: &mut Vec<FieldError>| match v {
            None => {
                errors.push(field(col, match col {
                        "operation" => "un lot sans opération : donnez la référence, au registre, de l'opération que ce lot couvre".to_string(),
                        _ => "valeur obligatoire manquante".to_string(),
                    }));
                String::new()
            }
            Some(v) if v.chars().count() > MAX_TEXT => {
                errors.push(field(
                    col,
                    format!("texte trop long ({MAX_TEXT} caractères au plus)"),
                ));
                String::new()
            }
            Some(v) => v.to_string(),
        };
        let tender = text("appel", self.appel, &mut errors);
        let lot = text("lot", self.lot, &mut errors);
        let operation = text("operation", self.operation, &mut errors);
        let coordinator = match self.coordinateur {
            None => {
                errors.push(field("coordinateur", "valeur obligatoire manquante"));
                None
            }
            Some(c) => landlord("coordinateur", c, landlords, &mut errors),
        };
        let row_landlord = match self.bailleur {
            None => {
                errors.push(field("bailleur", "valeur obligatoire manquante"));
                None
            }
            Some(b) => landlord("bailleur", b, landlords, &mut errors),
        };
        let members = self
            .membres
            .map(|m| {
                m.split('|')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .filter_map(|x| landlord("membres", x, landlords, &mut errors))
                    .collect()
            })
            .unwrap_or_default();
        let works = match self.nature_travaux {
            None => {
                errors.push(field("nature_travaux", "valeur obligatoire manquante"));
                None
            }
            Some(w) => WorksKind::parse(w)
                .map_err(|e| errors.push(field("nature_travaux", e.0)))
                .ok(),
        };
        let amount = |col: &'static str, v: Option<&str>, errors: &mut Vec<FieldError>| {
            let v = v?;
            match parse_amount_cents(v) {
                Some(c) if c < 0 => {
                    errors.push(field(
                        col,
                        format!("montant négatif « {v} » : un montant est positif ou nul"),
                    ));
                    None
                }
                Some(c) => Euros::from_cents(c)
                    .map_err(|e| errors.push(field(col, e.0)))
                    .ok(),
                None => {
                    errors.push(field(col, format!("montant illisible « {v} »")));
                    None
                }
            }
        };
        let estimate = amount("estimation", self.estimation, &mut errors);
        let awarded = amount("montant_attribue", self.montant_attribue, &mut errors);
        let date = |col: &'static str, v: Option<&str>, errors: &mut Vec<FieldError>| {
            let v = v?;
            let d = parse_date(v);
            if d.is_none() {
                errors.push(field(
                    col,
                    format!("date illisible « {v} » (attendu : jj/mm/aaaa)"),
                ));
            }
            d
        };
        let published_on = date("date_publication", self.date_publication, &mut errors);
        let works_start_on = date("date_demarrage", self.date_demarrage, &mut errors);
        let awarded_on = date("date_attribution", self.date_attribution, &mut errors);
        let company = self.attributaire_siret.and_then(|s| {
            Siret::parse(s)
                .map_err(|e| errors.push(field("attributaire_siret", e.0)))
                .ok()
        });
        match (coordinator, row_landlord, works) {
            (Some(coordinator), Some(landlord), Some(works)) if errors.is_empty() => {
                Ok(TenderRowDraft {
                    tender,
                    coordinator,
                    members,
                    works,
                    published_on,
                    works_start_on,
                    lot,
                    landlord,
                    operation,
                    estimate,
                    awarded,
                    company,
                    awarded_on,
                })
            }
            _ => Err(errors),
        }
    }
}

/// One operation a lot covers, resolved in the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotOperation {
    pub operation_id: i64,
    pub estimate: Option<Euros>,
    pub awarded: Option<Euros>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotDraft {
    pub name: String,
    pub company: Option<Siret>,
    pub awarded_on: Option<NaiveDate>,
    pub operations: Vec<LotOperation>,
}

/// A tender as an import gives it, its rows grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderDraft {
    pub reference: String,
    pub coordinator: i64,
    /// Every member: the coordinator, those named, the landlords of its operations (sorted).
    pub members: Vec<i64>,
    pub works: WorksKind,
    pub published_on: Option<NaiveDate>,
    pub awarded_on: Option<NaiveDate>,
    pub works_start_on: Option<NaiveDate>,
    pub lots: Vec<LotDraft>,
}

/// The comparison key of a tender's or a lot's name.
pub fn tender_key(text: &str) -> String {
    name_key(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sirets_are_checked() {
        assert!(Siret::parse("732 829 320 00074").is_ok());
        assert!(Siret::parse("73282932000075").is_err_and(|e| e.0.contains("clé de contrôle")));
        assert!(Siret::parse("7328293200007").is_err_and(|e| e.0.contains("14 chiffres")));
        // La Poste's establishments: digits adding up to a multiple of 5.
        assert!(Siret::parse("35600000000010").is_ok());
    }

    #[test]
    fn a_tender_row_says_each_problem() {
        let landlords = OrgIndex::new([(1, "Vilogia", None), (2, "Partenord Habitat", None)]);
        let mut raw = TenderRow::default();
        for (c, v) in [
            ("appel", "AOG-1"),
            ("coordinateur", "Vilogia"),
            ("nature_travaux", "menuiseries extérieures"),
            ("lot", "Lot 1"),
            ("bailleur", "Partenord"),
            ("estimation", "-3"),
            ("montant_attribue", "beaucoup"),
        ] {
            raw.set(c, Some(v));
        }
        let errors = raw.parse(&landlords).err().unwrap_or_default();
        let columns: Vec<&str> = errors.iter().map(|e| e.column).collect();
        assert_eq!(
            columns,
            ["operation", "bailleur", "estimation", "montant_attribue"],
            "{errors:?}"
        );
        raw.set("bailleur", Some("Partenord Habitat"));
        raw.set("operation", Some("P-1"));
        raw.set("estimation", Some("1 000 000"));
        raw.set("montant_attribue", Some("900 000,50 €"));
        let d = raw
            .parse(&landlords)
            .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(
            (d.coordinator, d.landlord, d.works),
            (1, 2, WorksKind::Joinery)
        );
        assert_eq!(d.awarded.map(Euros::cents), Some(90_000_050));
    }
}
