//! The landlords' strategic plans (PSP, issue 22): a plan's rows — one residence each, with its
//! strategy and years — parsed with every bad cell named, and the cross-analysis of several
//! landlords' plans over a territory: residences exposed to the rental ban (labelled E, F or G
//! and no rehabilitation, restructuring or demolition ending before the ban's year), and overlaps
//! of demolitions or heavy restructurings of several landlords in the same quartier and years.
//! Pure.

pub mod actions;

use crate::CommuneCode;
use crate::cells::{Cells, Errors, field, required};
use crate::numbers::{parse_amount_cents, parse_integer};
use crate::reference::Geography;
use crate::register::vocab::vocabulary;
use crate::stock::Letter;
use crate::text::name_key;
use serde::{Deserialize, Serialize};

/// The columns of a PSP file (`logis import psp`).
pub const PSP_COLUMNS: &[&str] = &[
    "residence",
    "commune",
    "quartier",
    "logements",
    "annee_construction",
    "dpe",
    "attractivite",
    "etat_technique",
    "strategie",
    "annee_debut",
    "annee_fin",
    "cout_estime",
    "classe_visee",
    "rpls",
];
pub const PSP_REQUIRED: &[&str] = &["residence", "commune", "logements", "strategie"];

vocabulary! {
    /// What a landlord's plan means to do with a residence.
    Strategy, "stratégie" {
        Keep => "maintenir", "Maintenir", ["maintien", "entretien", "gestion courante"];
        Rehabilitate => "rehabiliter", "Réhabiliter", ["rehabilitation", "renover", "renovation"];
        Restructure => "restructurer", "Restructurer", ["restructuration", "restructuration lourde"];
        Demolish => "demolir", "Démolir", ["demolition"];
        Sell => "vendre", "Vendre", ["vente", "cession", "ceder"];
        Develop => "developper", "Développer", ["developpement", "construire", "extension"];
    }
}

impl Strategy {
    /// Whether the strategy takes a residence out of the rental ban (its works end before).
    pub fn treats_energy(self) -> bool {
        matches!(
            self,
            Strategy::Rehabilitate | Strategy::Restructure | Strategy::Demolish
        )
    }
    /// Whether its households must be relocated (demolition or heavy restructuring).
    pub fn relocates(self) -> bool {
        matches!(self, Strategy::Demolish | Strategy::Restructure)
    }
}

/// One residence of a landlord's plan, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidencePlan {
    pub residence: String,
    pub commune: CommuneCode,
    pub quartier: Option<String>,
    pub dwellings: u32,
    pub built: Option<i32>,
    /// The residence's worst label.
    pub label: Option<Letter>,
    /// 1 (least) to 4, the landlord's own rating.
    pub attractiveness: Option<u8>,
    pub technical_state: Option<u8>,
    pub strategy: Strategy,
    pub start: Option<i32>,
    pub end: Option<i32>,
    pub cost_cents: Option<i64>,
    pub target_label: Option<Letter>,
    pub rpls: Vec<String>,
}

fn year(
    cells: &Cells<'_>,
    column: &'static str,
    after: Option<i32>,
    errors: &mut Errors,
) -> Option<i32> {
    let v = cells.get(column)?;
    match parse_integer(v) {
        Some(y) if (1800..=2100).contains(&y) => {
            let y = i32::try_from(y).ok()?;
            match after {
                Some(b) if y < b => {
                    errors.push(field(
                        column,
                        format!("année {y} antérieure à la construction ({b})"),
                    ));
                    None
                }
                _ => Some(y),
            }
        }
        _ => {
            errors.push(field(
                column,
                format!("année « {v} » : entre 1800 et 2100 attendue"),
            ));
            None
        }
    }
}

fn rating(cells: &Cells<'_>, column: &'static str, errors: &mut Errors) -> Option<u8> {
    let v = cells.get(column)?;
    match parse_integer(v) {
        Some(n @ 1..=4) => u8::try_from(n).ok(),
        _ => {
            errors.push(field(
                column,
                format!("« {v} » : une note de 1 à 4 attendue"),
            ));
            None
        }
    }
}

fn letter(cells: &Cells<'_>, column: &'static str, errors: &mut Errors) -> Option<Letter> {
    let v = cells.get(column)?;
    Letter::parse(v)
        .map_err(|m| errors.push(field(column, m)))
        .ok()
        .flatten()
}

/// A residence of a plan from its cells, or every problem.
pub fn parse_residence(cells: &Cells<'_>, geo: &Geography) -> Result<ResidencePlan, Errors> {
    let mut errors = Errors::new();
    let residence = required(cells, "residence", &mut errors).map(str::to_string);
    if residence.as_ref().is_some_and(|r| r.chars().count() > 200) {
        errors.push(field(
            "residence",
            "texte trop long (200 caractères au plus)",
        ));
    }
    let commune =
        required(cells, "commune", &mut errors).and_then(|v| match geo.resolve(v, None) {
            Ok(c) => Some(c.code.clone()),
            Err(e) => {
                errors.push(field("commune", e.to_string()));
                None
            }
        });
    let dwellings =
        required(cells, "logements", &mut errors).and_then(|v| match parse_integer(v) {
            Some(n @ 1..=100_000) => u32::try_from(n).ok(),
            _ => {
                errors.push(field(
                    "logements",
                    format!("« {v} » : un nombre de logements positif attendu"),
                ));
                None
            }
        });
    let built = year(cells, "annee_construction", None, &mut errors);
    let label = letter(cells, "dpe", &mut errors);
    let attractiveness = rating(cells, "attractivite", &mut errors);
    let technical_state = rating(cells, "etat_technique", &mut errors);
    let strategy = required(cells, "strategie", &mut errors).and_then(|v| {
        Strategy::parse(v)
            .map_err(|e| errors.push(field("strategie", e.0)))
            .ok()
    });
    let start = year(cells, "annee_debut", built, &mut errors);
    let end = year(cells, "annee_fin", start.or(built), &mut errors);
    let cost_cents = cells
        .get("cout_estime")
        .and_then(|v| match parse_amount_cents(v) {
            Some(c) if c >= 0 => Some(c),
            _ => {
                errors.push(field(
                    "cout_estime",
                    format!("montant illisible ou négatif « {v} »"),
                ));
                None
            }
        });
    let target_label = letter(cells, "classe_visee", &mut errors);
    let rpls = cells
        .get("rpls")
        .map(|v| {
            v.split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    match (residence, commune, dwellings, strategy) {
        (Some(residence), Some(commune), Some(dwellings), Some(strategy)) if errors.is_empty() => {
            Ok(ResidencePlan {
                residence,
                commune,
                quartier: cells.get("quartier").map(str::to_string),
                dwellings,
                built,
                label,
                attractiveness,
                technical_state,
                strategy,
                start,
                end,
                cost_cents,
                target_label,
                rpls,
            })
        }
        _ => Err(errors),
    }
}

/// A residence's key in its plan: the same name written differently is the same residence.
pub fn residence_key(commune: &CommuneCode, residence: &str) -> String {
    format!("{}/{}", commune.as_str(), name_key(residence))
}

/// When a residence is exposed to the rental ban: its label's ban year, if no works of its plan
/// that treat it (rehabilitation, restructuring, demolition) end before 1 January of that year.
pub fn exposed_from(r: &ResidencePlan) -> Option<i32> {
    let ban = r.label?.ban_year()?;
    let treated = r.strategy.treats_energy() && r.end.is_some_and(|end| end < ban);
    (!treated).then_some(ban)
}

/// Two landlords' residences that relocate households in the same quartier and overlapping
/// years (the relocation pressure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub commune: CommuneCode,
    pub quartier: String,
    /// (landlord, residence index in its plan)
    pub residences: Vec<(i64, usize)>,
    pub from: i32,
    pub to: i32,
    pub dwellings: u64,
}

/// The overlaps among plans (`plans`: each landlord's residences): per commune and quartier, the
/// demolitions and restructurings of at least two landlords whose years overlap.
pub fn overlaps(plans: &[(i64, &[ResidencePlan])]) -> Vec<Overlap> {
    use std::collections::BTreeMap;
    // (landlord, residence index, first year, last year, dwellings)
    type Item = (i64, usize, i32, i32, u32);
    let mut by_quartier: BTreeMap<(String, String), Vec<Item>> = BTreeMap::new();
    for (landlord, residences) in plans {
        for (i, r) in residences.iter().enumerate() {
            let (Some(q), Some(start)) = (&r.quartier, r.start) else {
                continue;
            };
            if !r.strategy.relocates() {
                continue;
            }
            by_quartier
                .entry((r.commune.as_str().to_string(), name_key(q)))
                .or_default()
                .push((*landlord, i, start, r.end.unwrap_or(start), r.dwellings));
        }
    }
    let mut out = Vec::new();
    for ((commune, _), mut items) in by_quartier {
        items.sort_by_key(|x| (x.2, x.3));
        // Runs of residences whose years overlap, of at least two landlords.
        let mut run: Vec<Item> = Vec::new();
        let mut flush = |run: &mut Vec<Item>| {
            let mut landlords: Vec<i64> = run.iter().map(|x| x.0).collect();
            landlords.sort_unstable();
            landlords.dedup();
            if landlords.len() >= 2
                && let (Some(first), Some(code)) = (run.first(), CommuneCode::parse(&commune).ok())
            {
                let quartier = plans
                    .iter()
                    .find(|(l, _)| *l == first.0)
                    .and_then(|(_, rs)| rs.get(first.1))
                    .and_then(|r| r.quartier.clone())
                    .unwrap_or_default();
                out.push(Overlap {
                    commune: code,
                    quartier,
                    residences: run.iter().map(|x| (x.0, x.1)).collect(),
                    from: run.iter().map(|x| x.2).min().unwrap_or(0),
                    to: run.iter().map(|x| x.3).max().unwrap_or(0),
                    dwellings: run.iter().map(|x| u64::from(x.4)).sum(),
                });
            }
            run.clear();
        };
        for item in items {
            let end = run.iter().map(|x| x.3).max();
            if end.is_some_and(|e| item.2 > e) {
                flush(&mut run);
            }
            run.push(item);
        }
        flush(&mut run);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geography {
        let c = |code: &str, name: &str| crate::Commune {
            code: CommuneCode::parse(code).unwrap_or_else(|e| unreachable!("{e:?}")),
            name: name.into(),
            department: "62".into(),
            population: None,
            epci: None,
        };
        Geography::new(
            vec![c("62498", "Lens"), c("62178", "Billy-Montigny")],
            vec![],
            vec![],
        )
    }

    fn row(pairs: &[(&str, &str)]) -> Result<ResidencePlan, Errors> {
        let mut c = Cells::default();
        for (k, v) in [
            ("residence", "Cité 12-14"),
            ("commune", "Lens"),
            ("logements", "120"),
            ("strategie", "rehabiliter"),
        ] {
            if !pairs.iter().any(|(p, _)| *p == k) {
                c.set(k, Some(v));
            }
        }
        for (k, v) in pairs {
            c.set(k, Some(v));
        }
        parse_residence(&c, &geo())
    }

    #[test]
    fn bad_cells_are_named() {
        let e = row(&[
            ("strategie", "raser"),
            ("attractivite", "5"),
            ("annee_construction", "1960"),
            ("annee_debut", "1950"),
            ("annee_fin", "2150"),
        ])
        .err()
        .unwrap_or_default();
        let cols: Vec<&str> = e.iter().map(|f| f.column).collect();
        assert_eq!(
            cols,
            vec!["attractivite", "strategie", "annee_debut", "annee_fin"],
            "{e:?}"
        );
    }

    #[test]
    fn exposure_to_the_ban_and_overlaps() {
        let f_late = row(&[("dpe", "F"), ("annee_debut", "2027"), ("annee_fin", "2029")])
            .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(exposed_from(&f_late), Some(2028), "works end after the ban");
        let f_done = row(&[("dpe", "F"), ("annee_debut", "2025"), ("annee_fin", "2027")])
            .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(exposed_from(&f_done), None);
        let g_kept = row(&[("dpe", "G"), ("strategie", "maintenir")])
            .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(exposed_from(&g_kept), Some(2025));
        let demolish = |from: &str, to: &str| {
            row(&[
                ("strategie", "demolir"),
                ("quartier", "Grande Résidence"),
                ("annee_debut", from),
                ("annee_fin", to),
            ])
            .unwrap_or_else(|e| unreachable!("{e:?}"))
        };
        let a = [demolish("2027", "2029")];
        let b = [demolish("2028", "2030"), demolish("2033", "2034")];
        let o = overlaps(&[(1, &a), (2, &b)]);
        assert_eq!(o.len(), 1, "{o:?}");
        assert_eq!(
            o.first().map(|x| (x.from, x.to, x.dwellings)),
            Some((2027, 2030, 240))
        );
        assert!(overlaps(&[(1, &a)]).is_empty(), "one landlord alone");
    }
}
