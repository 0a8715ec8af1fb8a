//! The typed operation line, and the pure parser from one exchange-format row to it.
//!
//! Exchange format (one row per operation line): required `reference`, `bailleur`, `commune`,
//! `nature`, `logements`, `annee`; optional `projet`, `programme`, `quartier`, `libelle`, `site`,
//! `produit`, `financement`, `stade`, `date_stade`, `cout`.

use crate::codes::{CommuneCode, Euros, Siren, UnitCount, Year};
use crate::numbers::{parse_amount_cents, parse_date, parse_integer};
use crate::reference::Geography;
use crate::register::vocab::{Nature, Product, RehabFinancing, Site, Stage};
use crate::text::{closest, name_key};
use chrono::NaiveDate;
use std::collections::HashMap;

/// The columns of the exchange format, in export order.
pub const COLUMNS: &[&str] = &[
    "reference",
    "bailleur",
    "commune",
    "nom_commune",
    "commune_d_origine",
    "projet",
    "programme",
    "quartier",
    "libelle",
    "nature",
    "site",
    "produit",
    "financement",
    "logements",
    "annee",
    "stade",
    "date_stade",
    "surface",
    "dpe_avant",
    "dpe_apres",
    "cep_avant",
    "cep_apres",
    "rpls",
    // (Last: an export that withholds costs drops the last column.)
    "cout",
];
pub const REQUIRED: &[&str] = &[
    "reference",
    "bailleur",
    "commune",
    "nature",
    "logements",
    "annee",
];
/// Written by the export for readers, ignored by the import.
pub const INFORMATIVE: &[&str] = &["nom_commune"];

/// Longest free text accepted in a cell (reference, label, names).
pub const MAX_TEXT: usize = 300;

/// Operation-level attributes carried by each of its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationAttrs {
    pub landlord_id: i64,
    pub reference: String,
    pub label: Option<String>,
    pub commune: CommuneCode,
    /// The former commune the source wrote (« Saint Pol sur mer », merged into Dunkerque since),
    /// kept beside today's commune so that a table can be shown as published.
    pub written_commune: Option<CommuneCode>,
    pub project: Option<String>,
    pub programme_id: Option<i64>,
    pub quartier: Option<String>,
}

/// A rehabilitation's energy labels and primary energy consumption (kWh/m²/year) before and
/// after its works (the mining basin's renovation follows them: E, F or G towards C).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnergyLabels {
    pub before: Option<crate::stock::Letter>,
    pub after: Option<crate::stock::Letter>,
    pub cep_before: Option<u32>,
    pub cep_after: Option<u32>,
}

impl EnergyLabels {
    pub fn is_empty(&self) -> bool {
        *self == EnergyLabels::default()
    }
}

/// One operation line, valid by construction (see [`LineDraft::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDraft {
    pub op: OperationAttrs,
    pub nature: Nature,
    pub site: Option<Site>,
    pub product: Option<Product>,
    pub financing: Option<RehabFinancing>,
    pub dwellings: UnitCount,
    pub year: Year,
    pub stage: Option<Stage>,
    pub stage_date: Option<NaiveDate>,
    /// Habitable surface, in m².
    pub surface_m2: Option<u32>,
    /// Energy labels before and after (rehabilitations).
    pub energy: EnergyLabels,
    /// The RPLS identifiers of its dwellings, `|`-separated (to follow them across vintages).
    pub rpls_ids: Option<String>,
    pub cost: Option<Euros>,
}

/// An error on one cell of a row; `column` is the exchange-format column name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub column: &'static str,
    pub message: String,
}

fn err(column: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        column,
        message: message.into(),
    }
}

/// Landlords (and other organisations) known by name key and SIREN.
#[derive(Debug, Default)]
pub struct OrgIndex {
    /// By name exactly as recorded (most files write it so): no key to make.
    by_name: HashMap<String, i64>,
    by_key: HashMap<String, i64>,
    by_siren: HashMap<String, i64>,
    names: Vec<String>,
}

impl OrgIndex {
    pub fn new<'a>(orgs: impl IntoIterator<Item = (i64, &'a str, Option<&'a str>)>) -> Self {
        let mut ix = OrgIndex::default();
        for (id, name, siren) in orgs {
            ix.by_key.insert(name_key(name), id);
            ix.by_name.insert(name.trim().to_string(), id);
            if let Some(s) = siren {
                ix.by_siren.insert(s.to_string(), id);
            }
            ix.names.push(name.to_string());
        }
        ix
    }
    /// By SIREN (spaces allowed) or by name ignoring case and accents.
    pub fn find(&self, text: &str) -> Option<i64> {
        let t = text.trim();
        // (A name of digits alone could be another's SIREN: those go the long way.)
        if let Some(id) = self.by_name.get(t)
            && !t.bytes().all(|b| b.is_ascii_digit() || b == b' ')
        {
            return Some(*id);
        }
        if let Ok(s) = Siren::parse(t)
            && let Some(id) = self.by_siren.get(s.as_str())
        {
            return Some(*id);
        }
        self.by_key.get(&name_key(t)).copied()
    }
    pub fn suggestions(&self, text: &str) -> Vec<String> {
        closest(text, self.names.iter().map(String::as_str), 3)
    }
}

/// What a row is resolved against.
pub struct RowContext<'a> {
    pub geography: &'a Geography,
    pub territory: Option<&'a crate::reference::Territory>,
    pub landlords: &'a OrgIndex,
    pub programmes: &'a OrgIndex,
}

/// The cells of one row, by exchange-format column (absent column or empty cell: `None`).
#[derive(Debug, Default, Clone, Copy)]
pub struct RawRow<'a> {
    pub reference: Option<&'a str>,
    pub bailleur: Option<&'a str>,
    pub commune: Option<&'a str>,
    pub commune_d_origine: Option<&'a str>,
    pub projet: Option<&'a str>,
    pub programme: Option<&'a str>,
    pub quartier: Option<&'a str>,
    pub libelle: Option<&'a str>,
    pub nature: Option<&'a str>,
    pub site: Option<&'a str>,
    pub produit: Option<&'a str>,
    pub financement: Option<&'a str>,
    pub logements: Option<&'a str>,
    pub annee: Option<&'a str>,
    pub stade: Option<&'a str>,
    pub date_stade: Option<&'a str>,
    pub surface: Option<&'a str>,
    pub cout: Option<&'a str>,
    pub dpe_avant: Option<&'a str>,
    pub dpe_apres: Option<&'a str>,
    pub cep_avant: Option<&'a str>,
    pub cep_apres: Option<&'a str>,
    pub rpls: Option<&'a str>,
}

/// Whether a label has the word "total" (or "totaux", "sous-total", "sous-totaux") in it.
pub fn names_a_total(label: &str) -> bool {
    label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .any(|w| {
            matches!(
                name_key(w).as_str(),
                "total" | "totaux" | "soustotal" | "soustotaux"
            )
        })
}

impl<'a> RawRow<'a> {
    /// A row with an empty `reference` whose `libelle` has the word "total" or "sous-total" (any
    /// case, anywhere: « CUD Total PAM », « TOTAL 2005-2007 », « Sous-total Dunkerque »)
    /// declares a total.
    pub fn is_declared_total(&self) -> bool {
        self.reference.is_none() && self.libelle.is_some_and(names_a_total)
    }

    pub fn set(&mut self, column: &str, value: Option<&'a str>) {
        let slot = match column {
            "reference" => &mut self.reference,
            "bailleur" => &mut self.bailleur,
            "commune" => &mut self.commune,
            "commune_d_origine" => &mut self.commune_d_origine,
            "projet" => &mut self.projet,
            "programme" => &mut self.programme,
            "quartier" => &mut self.quartier,
            "libelle" => &mut self.libelle,
            "nature" => &mut self.nature,
            "site" => &mut self.site,
            "produit" => &mut self.produit,
            "financement" => &mut self.financement,
            "logements" => &mut self.logements,
            "annee" => &mut self.annee,
            "stade" => &mut self.stade,
            "date_stade" => &mut self.date_stade,
            "surface" => &mut self.surface,
            "cout" => &mut self.cout,
            "dpe_avant" => &mut self.dpe_avant,
            "dpe_apres" => &mut self.dpe_apres,
            "cep_avant" => &mut self.cep_avant,
            "cep_apres" => &mut self.cep_apres,
            "rpls" => &mut self.rpls,
            _ => return,
        };
        *slot = value.map(str::trim).filter(|v| !v.is_empty());
    }

    /// Parse into a typed line, or every error of the row.
    pub fn parse(&self, ctx: &RowContext<'_>) -> Result<LineDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let text =
            |col: &'static str, v: Option<&str>, errors: &mut Vec<FieldError>| -> Option<String> {
                let v = v?;
                if v.chars().count() > MAX_TEXT {
                    errors.push(err(
                        col,
                        format!("texte trop long ({} caractères au plus)", MAX_TEXT),
                    ));
                    None
                } else {
                    Some(v.to_string())
                }
            };
        let required = |col: &'static str,
                        v: Option<&'a str>,
                        errors: &mut Vec<FieldError>|
         -> Option<&'a str> {
            if v.is_none() {
                errors.push(err(col, "valeur obligatoire manquante"));
            }
            v
        };

        let reference = required("reference", self.reference, &mut errors)
            .and_then(|r| text("reference", Some(r), &mut errors));
        let landlord_id = required("bailleur", self.bailleur, &mut errors).and_then(|b| match ctx
            .landlords
            .find(b)
        {
            Some(id) => Some(id),
            None => {
                let s = ctx.landlords.suggestions(b);
                let hint = if s.is_empty() {
                    String::new()
                } else {
                    format!(" (bailleurs proches : {})", s.join(", "))
                };
                errors.push(err("bailleur", format!("bailleur inconnu « {b} »{hint}")));
                None
            }
        });
        let commune = required("commune", self.commune, &mut errors).and_then(|c| {
            match ctx.geography.resolve_written(c, ctx.territory) {
                Ok((today, former)) => Some((today.code.clone(), former.map(|f| f.code.clone()))),
                Err(e) => {
                    errors.push(err("commune", e.to_string()));
                    None
                }
            }
        });
        // The commune as first written, given apart (an export of logis re-imported): a former
        // commune of the row's commune of today.
        let commune = match (commune, self.commune_d_origine) {
            (Some((today, written)), Some(w)) => {
                match ctx.geography.resolve_written(w, ctx.territory) {
                    Ok((of, Some(former))) if of.code == today => {
                        Some((today, Some(former.code.clone())))
                    }
                    Ok((of, None)) if of.code == today => Some((today, written)),
                    Ok(_) => {
                        errors.push(err(
                            "commune_d_origine",
                            format!(
                                "« {} » n'est pas une ancienne commune de la commune {today}",
                                w.trim()
                            ),
                        ));
                        None
                    }
                    Err(e) => {
                        errors.push(err("commune_d_origine", e.to_string()));
                        None
                    }
                }
            }
            (c, _) => c,
        };
        let programme_id = self.programme.and_then(|p| match ctx.programmes.find(p) {
            Some(id) => Some(id),
            None => {
                let s = ctx.programmes.suggestions(p);
                let hint = if s.is_empty() {
                    String::new()
                } else {
                    format!(" (programmes proches : {})", s.join(", "))
                };
                errors.push(err(
                    "programme",
                    format!("programme inconnu « {p} »{hint} — créez-le d'abord"),
                ));
                None
            }
        });
        let label = text("libelle", self.libelle, &mut errors);
        let project = text("projet", self.projet, &mut errors);
        let quartier = text("quartier", self.quartier, &mut errors);

        fn vocab<T>(
            col: &'static str,
            v: Option<&str>,
            parse: fn(&str) -> Result<T, crate::codes::Invalid>,
            errors: &mut Vec<FieldError>,
        ) -> Option<T> {
            v.and_then(|v| parse(v).map_err(|e| errors.push(err(col, e.0))).ok())
        }
        let nature = required("nature", self.nature, &mut errors)
            .and_then(|v| vocab("nature", Some(v), Nature::parse, &mut errors));
        let site = vocab("site", self.site, Site::parse, &mut errors);
        let product = vocab("produit", self.produit, Product::parse, &mut errors);
        let financing = vocab(
            "financement",
            self.financement,
            RehabFinancing::parse,
            &mut errors,
        );
        let stage = vocab("stade", self.stade, Stage::parse, &mut errors);

        let dwellings = required("logements", self.logements, &mut errors).and_then(|v| {
            match parse_integer(v) {
                Some(n) => UnitCount::new(n)
                    .map_err(|e| errors.push(err("logements", e.0)))
                    .ok(),
                None => {
                    errors.push(err(
                        "logements",
                        format!("« {v} » n'est pas un nombre entier de logements"),
                    ));
                    None
                }
            }
        });
        let year =
            required("annee", self.annee, &mut errors).and_then(|v| match parse_integer(v) {
                Some(n) => Year::new(n)
                    .map_err(|e| errors.push(err("annee", e.0)))
                    .ok(),
                None => {
                    errors.push(err("annee", format!("« {v} » n'est pas une année")));
                    None
                }
            });
        let stage_date = self.date_stade.and_then(|v| {
            let d = parse_date(v);
            if d.is_none() {
                errors.push(err(
                    "date_stade",
                    format!("date illisible « {v} » (format attendu : jj/mm/aaaa)"),
                ));
            }
            d
        });
        let surface_m2 = self.surface.and_then(|v| {
            match crate::numbers::parse_decimal(v.trim_end_matches("m²").trim_end_matches("m2")) {
                Some(m) if m > 0.0 && m < 10_000_000.0 => Some(m.round() as u32),
                _ => {
                    errors.push(err(
                        "surface",
                        format!("surface illisible « {v} » (mètres carrés habitables, par exemple 1 250)"),
                    ));
                    None
                }
            }
        });
        let cost = self.cout.and_then(|v| match parse_amount_cents(v) {
            Some(c) => Euros::from_cents(c)
                .map_err(|e| errors.push(err("cout", e.0)))
                .ok(),
            None => {
                errors.push(err("cout", format!("montant illisible « {v} »")));
                None
            }
        });

        let mut letter = |col: &'static str, v: Option<&str>| {
            v.and_then(|v| match crate::stock::Letter::parse(v) {
                Ok(l) => l,
                Err(m) => {
                    errors.push(err(col, m));
                    None
                }
            })
        };
        let (dpe_before, dpe_after) = (
            letter("dpe_avant", self.dpe_avant),
            letter("dpe_apres", self.dpe_apres),
        );
        let mut kwh = |col: &'static str, v: Option<&str>| {
            v.and_then(|v| match parse_integer(v.trim_end_matches("kWh/m²/an").trim()) {
                Some(n) if (0..=5_000).contains(&n) => u32::try_from(n).ok(),
                _ => {
                    errors.push(err(
                        col,
                        format!("consommation « {v} » : des kWh d'énergie primaire par m² et par an attendus (0 à 5 000)"),
                    ));
                    None
                }
            })
        };
        let energy = EnergyLabels {
            before: dpe_before,
            after: dpe_after,
            cep_before: kwh("cep_avant", self.cep_avant),
            cep_after: kwh("cep_apres", self.cep_apres),
        };

        let rpls_ids = self.rpls.and_then(|v| {
            let mut ids: Vec<&str> = v
                .split(['|', ',', ';', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            ids.dedup();
            if ids.len() > 10_000
                || ids.iter().any(|i| {
                    i.len() > 30 || !i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
            {
                errors.push(err(
                    "rpls",
                    "identifiants RPLS illisibles : des codes de lettres et chiffres séparés par « | »",
                ));
                None
            } else {
                Some(ids.join("|"))
            }
        });

        if let Some(n) = nature {
            errors.extend(check_coherence(n, site, product, financing));
        }
        if stage_date.is_some() && stage.is_none() && self.stade.is_none() {
            errors.push(err("date_stade", "une date de stade est donnée sans stade"));
        }

        match (reference, landlord_id, commune, nature, dwellings, year) {
            (
                Some(reference),
                Some(landlord_id),
                Some(commune),
                Some(nature),
                Some(dwellings),
                Some(year),
            ) if errors.is_empty() => Ok(LineDraft {
                op: OperationAttrs {
                    landlord_id,
                    reference,
                    label,
                    commune: commune.0,
                    written_commune: commune.1,
                    project,
                    programme_id,
                    quartier,
                },
                nature,
                site,
                product,
                financing,
                dwellings,
                year,
                stage,
                stage_date,
                surface_m2,
                energy,
                rpls_ids,
                cost,
            }),
            _ => Err(errors),
        }
    }
}

/// Rules between the dimensions of a line.
pub fn check_coherence(
    nature: Nature,
    site: Option<Site>,
    product: Option<Product>,
    financing: Option<RehabFinancing>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if site.is_some() && nature != Nature::Reconstruction {
        errors.push(err(
            "site",
            format!(
                "le site (sur site / hors site) ne s'applique qu'aux reconstructions, pas à « {} »",
                nature.label()
            ),
        ));
    }
    if financing.is_some() && !nature.is_works_on_stock() {
        errors.push(err(
            "financement",
            format!(
                "un financement de réhabilitation ne s'applique pas à « {} »",
                nature.label()
            ),
        ));
    }
    if product.is_some() && !nature.produces() {
        errors.push(err(
            "produit",
            format!(
                "un produit de financement ne s'applique pas à « {} »",
                nature.label()
            ),
        ));
    }
    errors
}

impl LineDraft {
    /// The dimensions that identify a line within its operation.
    pub fn key_dims(
        &self,
    ) -> (
        Nature,
        Option<Site>,
        Option<Product>,
        Option<RehabFinancing>,
        Year,
    ) {
        (
            self.nature,
            self.site,
            self.product,
            self.financing,
            self.year,
        )
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::reference::{Commune, Epci};

    fn geo() -> Geography {
        let cud = Siren::parse("245900428").ok();
        Geography::new(
            vec![Commune {
                code: CommuneCode::parse("59183").unwrap_or_else(|_| unreachable!()),
                name: "Dunkerque".into(),
                department: "59".into(),
                population: Some(86263),
                epci: cud.clone(),
            }],
            vec![],
            cud.map(|s| Epci {
                siren: s,
                name: "CU de Dunkerque".into(),
                kind: "CU".into(),
            })
            .into_iter()
            .collect(),
        )
    }

    fn row<'a>(cells: &[(&str, &'a str)]) -> RawRow<'a> {
        let mut r = RawRow::default();
        for (c, v) in cells {
            r.set(c, Some(v));
        }
        r
    }

    #[test]
    fn parses_a_full_row() {
        let g = geo();
        let landlords = OrgIndex::new([(1, "Partenord Habitat", None)]);
        let programmes = OrgIndex::new([(7, "PLH 2005-2010", None)]);
        let ctx = RowContext {
            geography: &g,
            territory: None,
            landlords: &landlords,
            programmes: &programmes,
        };
        let r = row(&[
            ("reference", "JDM-01"),
            ("bailleur", "PARTENORD habitat"),
            ("commune", "dunkerque"),
            ("nature", "Reconstruction"),
            ("site", "hors site"),
            ("produit", "PLUS CD"),
            ("logements", "1 092"),
            ("annee", "2005"),
            ("stade", "Dossier déposé"),
            ("date_stade", "06/12/2004"),
            ("cout", "1 234 567,50 €"),
            ("programme", "plh 2005 2010"),
        ]);
        let l = r.parse(&ctx).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(l.op.landlord_id, 1);
        assert_eq!(l.op.programme_id, Some(7));
        assert_eq!(l.dwellings.get(), 1092);
        assert_eq!(l.site, Some(Site::OffSite));
        assert_eq!(l.cost.map(Euros::cents), Some(123_456_750));
    }

    #[test]
    fn collects_every_error_of_a_row() {
        let g = geo();
        let landlords = OrgIndex::new([(1, "Partenord Habitat", None)]);
        let programmes = OrgIndex::default();
        let ctx = RowContext {
            geography: &g,
            territory: None,
            landlords: &landlords,
            programmes: &programmes,
        };
        let r = row(&[
            ("bailleur", "Partenor"),
            ("commune", "Dunkerk"),
            ("nature", "Démolition"),
            ("logements", "-3"),
            ("annee", "deux mille"),
            ("produit", "PLAI"),
        ]);
        let errs = r.parse(&ctx).err().unwrap_or_default();
        let cols: Vec<&str> = errs.iter().map(|e| e.column).collect();
        assert_eq!(
            cols,
            vec![
                "reference",
                "bailleur",
                "commune",
                "logements",
                "annee",
                "produit"
            ]
        );
        assert!(
            errs[1].message.contains("Partenord Habitat"),
            "{:?}",
            errs[1]
        );
    }

    #[test]
    fn declared_totals_are_recognised() {
        let r = row(&[("libelle", "Total CUD"), ("logements", "401")]);
        assert!(r.is_declared_total());
        let r = row(&[("reference", "X"), ("libelle", "Total CUD")]);
        assert!(!r.is_declared_total());
        // As the seeds write them: the word anywhere, any case, « sous-total » too.
        for label in [
            "CUD Total PALULOS",
            "CUD Total Réhabilitations",
            "TOTAL 2005- 2007",
            "Sous-total Dunkerque",
            "sous total",
            "Totaux",
            "Bray-Dunes (total)",
        ] {
            assert!(names_a_total(label), "{label}");
        }
        for label in ["Totalement rénové", "Résidence Totem", ""] {
            assert!(!names_a_total(label), "{label}");
        }
    }
}
