//! The offer for workers on mobility (issue 17, second part): dwellings set aside by landlords,
//! employers' demand by month, placements by dwelling and month — as file rows give them.

use super::{Cells, Errors, Month, field, required, text};
use crate::cells::{commune, count, money};
use crate::codes::{Euros, Siret};
use crate::register::line::{MAX_TEXT, OrgIndex};

pub const OFFER_COLUMNS: &[&str] = &[
    "offre",
    "bailleur",
    "commune",
    "logements",
    "lits",
    "prix_mensuel",
    "meuble",
    "services",
    "debut",
    "fin",
    "usage_futur",
];
pub const OFFER_REQUIRED: &[&str] = &["offre", "bailleur", "commune", "logements", "lits", "debut"];
pub const DEMAND_COLUMNS: &[&str] = &[
    "employeur_siret",
    "employeur",
    "commune",
    "mois",
    "salaries",
    "duree_mois",
    "budget_mensuel",
    "profil",
];
pub const DEMAND_REQUIRED: &[&str] = &[
    "employeur_siret",
    "employeur",
    "commune",
    "mois",
    "salaries",
];
pub const OCCUPANCY_COLUMNS: &[&str] = &["offre", "mois", "employeur_siret", "occupants"];
pub const OCCUPANCY_REQUIRED: &[&str] = &["offre", "mois", "employeur_siret", "occupants"];

/// Dwellings a landlord sets aside for workers on mobility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferDraft {
    pub reference: String,
    pub landlord: i64,
    pub commune: crate::codes::CommuneCode,
    pub dwellings: u32,
    pub beds: u32,
    pub monthly_price: Option<Euros>,
    pub furnished: Option<bool>,
    pub services: String,
    pub from: Month,
    /// Open-ended when not given.
    pub until: Option<Month>,
    pub later_use: String,
}

impl OfferDraft {
    /// Whether the offer is open in `month`.
    pub fn open_in(&self, month: Month) -> bool {
        self.from <= month && self.until.is_none_or(|u| month <= u)
    }
}

/// An employer's workers expected in a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandDraft {
    pub employer: Siret,
    pub employer_name: String,
    pub commune: crate::codes::CommuneCode,
    pub month: Month,
    pub workers: u32,
    pub stay_months: Option<u32>,
    pub monthly_budget: Option<Euros>,
    pub profile: String,
}

/// Workers of an employer placed in an offer's dwellings in a month (no worker's identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccupancyDraft {
    pub offer: String,
    pub month: Month,
    pub employer: Siret,
    pub occupants: u32,
}

fn month(cells: &Cells<'_>, column: &'static str, errors: &mut Errors) -> Option<Month> {
    let v = cells.get(column)?;
    Month::parse(v)
        .map_err(|e| errors.push(field(column, e)))
        .ok()
}

fn siret(cells: &Cells<'_>, column: &'static str, errors: &mut Errors) -> Option<Siret> {
    let v = required(cells, column, errors)?;
    Siret::parse(v)
        .map_err(|e| errors.push(field(column, e.0)))
        .ok()
}

pub fn parse_offer(
    cells: &Cells<'_>,
    geography: &crate::reference::Geography,
    territory: Option<&crate::reference::Territory>,
    landlords: &OrgIndex,
) -> Result<OfferDraft, Errors> {
    let mut errors = Vec::new();
    let reference = required(cells, "offre", &mut errors).map(str::to_string);
    let landlord = required(cells, "bailleur", &mut errors).and_then(|b| {
        let found = landlords.find(b);
        if found.is_none() {
            errors.push(field(
                "bailleur",
                format!("« {b} » n'est pas un bailleur du partenariat"),
            ));
        }
        found
    });
    let commune = commune(cells, geography, territory, &mut errors);
    for c in ["logements", "lits"] {
        if cells.get(c).is_none() {
            errors.push(field(c, "valeur obligatoire manquante"));
        }
    }
    let dwellings = count(cells, "logements", 1, &mut errors);
    let beds = count(cells, "lits", 1, &mut errors);
    if let (Some(d), Some(b)) = (dwellings, beds)
        && b < d
    {
        errors.push(field(
            "lits",
            format!("{b} lit(s) pour {d} logement(s) : au moins un lit par logement"),
        ));
    }
    let monthly_price = money(cells, "prix_mensuel", &mut errors);
    let furnished = cells.get("meuble").and_then(|v| {
        let b = crate::land::parse_yes_no(v);
        if b.is_none() {
            errors.push(field("meuble", format!("« {v} » : attendu oui ou non")));
        }
        b
    });
    if cells.get("debut").is_none() {
        errors.push(field("debut", "valeur obligatoire manquante"));
    }
    let from = month(cells, "debut", &mut errors);
    let until = month(cells, "fin", &mut errors);
    if let (Some(f), Some(u)) = (from, until)
        && u < f
    {
        errors.push(field(
            "fin",
            format!("l'offre finit ({u}) avant de commencer ({f})"),
        ));
    }
    let services = text(cells, "services", MAX_TEXT, &mut errors);
    let later_use = text(cells, "usage_futur", MAX_TEXT, &mut errors);
    match (reference, landlord, commune, dwellings, beds, from) {
        (
            Some(reference),
            Some(landlord),
            Some(commune),
            Some(dwellings),
            Some(beds),
            Some(from),
        ) if errors.is_empty() => Ok(OfferDraft {
            reference,
            landlord,
            commune,
            dwellings,
            beds,
            monthly_price,
            furnished,
            services,
            from,
            until,
            later_use,
        }),
        _ => Err(errors),
    }
}

pub fn parse_demand(
    cells: &Cells<'_>,
    geography: &crate::reference::Geography,
    territory: Option<&crate::reference::Territory>,
) -> Result<DemandDraft, Errors> {
    let mut errors = Vec::new();
    let employer = siret(cells, "employeur_siret", &mut errors);
    let employer_name = required(cells, "employeur", &mut errors).map(str::to_string);
    let commune = commune(cells, geography, territory, &mut errors);
    if cells.get("mois").is_none() {
        errors.push(field("mois", "valeur obligatoire manquante"));
    }
    let month = month(cells, "mois", &mut errors);
    if cells.get("salaries").is_none() {
        errors.push(field("salaries", "valeur obligatoire manquante"));
    }
    let workers = count(cells, "salaries", 1, &mut errors);
    let stay_months = count(cells, "duree_mois", 1, &mut errors);
    let monthly_budget = money(cells, "budget_mensuel", &mut errors);
    let profile = text(cells, "profil", MAX_TEXT, &mut errors);
    match (employer, employer_name, commune, month, workers) {
        (Some(employer), Some(employer_name), Some(commune), Some(month), Some(workers))
            if errors.is_empty() =>
        {
            Ok(DemandDraft {
                employer,
                employer_name,
                commune,
                month,
                workers,
                stay_months,
                monthly_budget,
                profile,
            })
        }
        _ => Err(errors),
    }
}

/// An occupancy row, checked; its offer's capacity and dates are checked by
/// [`check_occupancy`] once the offer is known.
pub fn parse_occupancy(cells: &Cells<'_>) -> Result<OccupancyDraft, Errors> {
    let mut errors = Vec::new();
    let offer = required(cells, "offre", &mut errors).map(str::to_string);
    if cells.get("mois").is_none() {
        errors.push(field("mois", "valeur obligatoire manquante"));
    }
    let month = month(cells, "mois", &mut errors);
    let employer = siret(cells, "employeur_siret", &mut errors);
    if cells.get("occupants").is_none() {
        errors.push(field("occupants", "valeur obligatoire manquante"));
    }
    let occupants = count(cells, "occupants", 0, &mut errors);
    match (offer, month, employer, occupants) {
        (Some(offer), Some(month), Some(employer), Some(occupants)) if errors.is_empty() => {
            Ok(OccupancyDraft {
                offer,
                month,
                employer,
                occupants,
            })
        }
        _ => Err(errors),
    }
}

/// The occupants of `offer` in `month` (all employers: `total`) against its beds and dates.
pub fn check_occupancy(
    offer: &OfferDraft,
    month: Month,
    total: u32,
) -> Result<(), (&'static str, String)> {
    if !offer.open_in(month) {
        return Err((
            "mois",
            format!(
                "l'offre « {} » n'est pas ouverte en {month} (de {} à {})",
                offer.reference,
                offer.from,
                offer
                    .until
                    .map(|u| u.text())
                    .unwrap_or_else(|| "sans fin".into())
            ),
        ));
    }
    if total > offer.beds {
        return Err((
            "occupants",
            format!(
                "{total} occupant(s) en {month} pour les {} lit(s) de l'offre « {} »",
                offer.beds, offer.reference
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupancy_within_the_offer() {
        let offer = OfferDraft {
            reference: "MOB-1".into(),
            landlord: 1,
            commune: crate::codes::CommuneCode::parse("59183")
                .unwrap_or_else(|e| unreachable!("{e}")),
            dwellings: 10,
            beds: 14,
            monthly_price: None,
            furnished: Some(true),
            services: String::new(),
            from: Month::new(2026, 3).unwrap_or_else(|| unreachable!()),
            until: Month::new(2026, 12),
            later_use: "logement familial".into(),
        };
        let m = |y, mo| Month::new(y, mo).unwrap_or_else(|| unreachable!());
        assert!(check_occupancy(&offer, m(2026, 5), 14).is_ok());
        assert!(
            check_occupancy(&offer, m(2026, 5), 15)
                .is_err_and(|(c, e)| c == "occupants" && e.contains("14 lit(s)"))
        );
        assert!(
            check_occupancy(&offer, m(2027, 1), 1)
                .is_err_and(|(c, e)| c == "mois" && e.contains("pas ouverte en 2027-01"))
        );
    }

    #[test]
    fn a_demand_with_a_bad_siret() {
        let mut cells = Cells::default();
        for (c, v) in [
            ("employeur_siret", "73282932000075"),
            ("employeur", "Chantier naval"),
            ("mois", "2026-13"),
            ("salaries", "0"),
        ] {
            cells.set(c, Some(v));
        }
        let geo = crate::reference::Geography::new(Vec::new(), Vec::new(), Vec::new());
        let errors = parse_demand(&cells, &geo, None).err().unwrap_or_default();
        let columns: Vec<&str> = errors.iter().map(|e| e.column).collect();
        assert_eq!(
            columns,
            ["employeur_siret", "commune", "mois", "salaries"],
            "{errors:?}"
        );
    }
}

/// One row of the coverage report: a commune and a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRow {
    pub commune: crate::codes::CommuneCode,
    pub month: Month,
    /// Beds of the offers open that month in the commune.
    pub beds_offered: u64,
    /// Workers expected by employers whose site is in the commune.
    pub workers_expected: u64,
    pub beds_occupied: u64,
    /// Workers expected − beds offered, when positive.
    pub demand_not_covered: u64,
}

impl CoverageRow {
    /// Beds occupied over beds offered, in tenths of a percent (`None` when nothing is offered).
    pub fn occupancy_permille(&self) -> Option<u64> {
        (self.beds_offered > 0)
            .then(|| (self.beds_occupied * 1000 + self.beds_offered / 2) / self.beds_offered)
    }
}

/// The coverage of the demand by the offer, per commune and month, over the months any offer
/// is open or any worker is expected (an open-ended offer counts until the last month asked
/// or placed), by commune code then month.
pub fn coverage(
    offers: &[OfferDraft],
    demand: &[DemandDraft],
    occupancy: &[OccupancyDraft],
) -> Vec<CoverageRow> {
    use std::collections::BTreeMap;
    let last = demand
        .iter()
        .map(|d| d.month)
        .chain(occupancy.iter().map(|o| o.month))
        .chain(offers.iter().filter_map(|o| o.until))
        .chain(offers.iter().map(|o| o.from))
        .max();
    let mut rows: BTreeMap<(String, Month), CoverageRow> = BTreeMap::new();
    fn row<'r>(
        rows: &'r mut BTreeMap<(String, Month), CoverageRow>,
        commune: &crate::codes::CommuneCode,
        month: Month,
    ) -> &'r mut CoverageRow {
        rows.entry((commune.as_str().to_string(), month))
            .or_insert_with(|| CoverageRow {
                commune: commune.clone(),
                month,
                beds_offered: 0,
                workers_expected: 0,
                beds_occupied: 0,
                demand_not_covered: 0,
            })
    }
    if let Some(last) = last {
        for o in offers {
            let mut m = o.from;
            // (At most 50 years of months: an offer's end is in 2100 at the latest.)
            for _ in 0..600 {
                if m > last || o.until.is_some_and(|u| m > u) {
                    break;
                }
                row(&mut rows, &o.commune, m).beds_offered += u64::from(o.beds);
                m = m.next();
            }
        }
    }
    for d in demand {
        row(&mut rows, &d.commune, d.month).workers_expected += u64::from(d.workers);
    }
    for p in occupancy {
        if let Some(o) = offers.iter().find(|o| o.reference == p.offer) {
            row(&mut rows, &o.commune, p.month).beds_occupied += u64::from(p.occupants);
        }
    }
    let mut out: Vec<CoverageRow> = rows.into_values().collect();
    for r in &mut out {
        r.demand_not_covered = r.workers_expected.saturating_sub(r.beds_offered);
    }
    out
}

#[cfg(test)]
mod coverage_tests {
    use super::*;

    fn m(y: i32, mo: u32) -> Month {
        Month::new(y, mo).unwrap_or_else(|| unreachable!())
    }
    fn code(c: &str) -> crate::codes::CommuneCode {
        crate::codes::CommuneCode::parse(c).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn beds_workers_and_what_is_not_covered() {
        let offer = |r: &str, c: &str, beds, from, until| OfferDraft {
            reference: r.into(),
            landlord: 1,
            commune: code(c),
            dwellings: 1,
            beds,
            monthly_price: None,
            furnished: None,
            services: String::new(),
            from,
            until,
            later_use: String::new(),
        };
        let offers = [
            offer("A", "59183", 20, m(2026, 1), Some(m(2026, 2))),
            offer("B", "59183", 10, m(2026, 2), None),
        ];
        let demand = [DemandDraft {
            employer: Siret::parse("73282932000074").unwrap_or_else(|e| unreachable!("{e}")),
            employer_name: "Chantier".into(),
            commune: code("59183"),
            month: m(2026, 3),
            workers: 25,
            stay_months: Some(6),
            monthly_budget: None,
            profile: String::new(),
        }];
        let occupancy = [OccupancyDraft {
            offer: "A".into(),
            month: m(2026, 2),
            employer: demand[0].employer.clone(),
            occupants: 15,
        }];
        let rows = coverage(&offers, &demand, &occupancy);
        let got: Vec<(String, u64, u64, u64, u64)> = rows
            .iter()
            .map(|r| {
                (
                    r.month.text(),
                    r.beds_offered,
                    r.workers_expected,
                    r.beds_occupied,
                    r.demand_not_covered,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2026-01".to_string(), 20, 0, 0, 0),
                ("2026-02".to_string(), 30, 0, 15, 0),
                ("2026-03".to_string(), 10, 25, 0, 15),
            ]
        );
        assert_eq!(
            rows.get(1).and_then(CoverageRow::occupancy_permille),
            Some(500)
        );
    }
}
