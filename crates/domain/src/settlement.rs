//! The settlement observatory (issue 21, first part): the leases signed (attributions), their
//! applicants' resources against the year's first-quartile threshold, and the legal targets of
//! the loi Égalité et Citoyenneté — at least 25 % of the leases signed outside QPV to
//! first-quartile applicants (or households relocated by urban renewal), at least 50 % of those
//! inside QPV to other applicants, at least 25 % of each reservation holder's to priority (DALO)
//! households. Pure: rows parsed with every error named, sums, shares.

pub mod charter;
pub mod occupancy;

use crate::CommuneCode;
use crate::cells::{Cells, Errors, field, required};
use crate::land::parse_yes_no;
use crate::numbers::{parse_amount_cents, parse_date, parse_integer};
use crate::reference::Geography;
use crate::register::line::OrgIndex;
use crate::register::vocab::vocabulary;
use crate::text::name_key;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The columns of an attributions file (`logis import attributions`).
pub const LEASE_COLUMNS: &[&str] = &[
    "bail",
    "date_bail",
    "bailleur",
    "commune",
    "qpv",
    "logement",
    "reservataire",
    "ressources_uc",
    "quartile",
    "relogement_renouvellement",
    "dalo",
    "prioritaire",
    "personnes",
];
/// (`commune` and `qpv` are required on every row that gives no `logement` found in the stock.)
pub const LEASE_REQUIRED: &[&str] = &["bail", "date_bail", "bailleur", "reservataire"];

/// Where the stock says a dwelling is: its commune, whether it is in a QPV, the QPV's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub commune: String,
    pub in_qpv: Option<bool>,
    pub qpv: Option<String>,
}

vocabulary! {
    /// Who reserved the dwelling let.
    ReservationHolder, "réservataire" {
        State => "etat", "État (publics prioritaires)", ["prefecture", "contingent prefectoral"];
        StateStaff => "etat_fonctionnaires", "État (fonctionnaires)", ["fonctionnaires"];
        ActionLogement => "action_logement", "Action Logement", ["al", "1 logement"];
        LocalAuthority => "collectivite", "Collectivités et EPCI", ["commune", "epci", "departement"];
        Landlord => "bailleur", "Bailleur (non réservé)", ["non reserve", "contingent bailleur"];
        Other => "autre", "Autre", [];
    }
}

/// The resources of a lease's applicant: per consumption unit (euros a year), or the quartile
/// the file gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resources {
    PerUnitCents(i64),
    Quartile(u8),
}

/// One lease signed, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseDraft {
    /// The landlord's lease identifier (importing it again updates it).
    pub lease: String,
    pub date: NaiveDate,
    pub landlord: i64,
    pub commune: CommuneCode,
    pub in_qpv: bool,
    /// The QPV code when the file gives one.
    pub qpv: Option<String>,
    /// The RPLS identifier of the dwelling.
    pub dwelling: Option<String>,
    pub holder: ReservationHolder,
    pub resources: Option<Resources>,
    pub relocated_by_renewal: bool,
    pub dalo: bool,
    pub priority: bool,
    pub persons: Option<u32>,
}

fn yes_no(cells: &Cells<'_>, column: &'static str, errors: &mut Errors) -> bool {
    match cells.get(column) {
        None => false,
        Some(v) => parse_yes_no(v).unwrap_or_else(|| {
            errors.push(field(column, format!("« {v} » : attendu oui ou non")));
            false
        }),
    }
}

/// A lease from its cells (`today`: a lease dated later is refused), or every problem.
/// `place`: where the stock puts the row's `logement`, when the app found it (then `commune` and
/// `qpv` may be left empty).
pub fn parse_lease(
    cells: &Cells<'_>,
    geo: &Geography,
    landlords: &OrgIndex,
    today: NaiveDate,
    place: Option<&Place>,
) -> Result<LeaseDraft, Errors> {
    let mut errors = Errors::new();
    let lease = required(cells, "bail", &mut errors).map(str::to_string);
    let date = required(cells, "date_bail", &mut errors).and_then(|v| match parse_date(v) {
        Some(d) if d > today => {
            errors.push(field("date_bail", format!("bail daté du futur (« {v} »)")));
            None
        }
        Some(d) => Some(d),
        None => {
            errors.push(field(
                "date_bail",
                format!("date illisible « {v} » (jj/mm/aaaa)"),
            ));
            None
        }
    });
    let landlord = required(cells, "bailleur", &mut errors).and_then(|v| {
        landlords.find(v).or_else(|| {
            errors.push(field("bailleur", format!("bailleur inconnu « {v} »")));
            None
        })
    });
    let unplaced = |column: &'static str, errors: &mut Errors| match cells.get("logement") {
        Some(id) => errors.push(field(
            column,
            format!("logement « {id} » inconnu du parc importé : {column} à renseigner"),
        )),
        None => errors.push(field(column, "valeur obligatoire manquante")),
    };
    let commune = match (cells.get("commune"), place) {
        (Some(v), _) => match geo.resolve(v, None) {
            Ok(c) => Some(c.code.clone()),
            Err(e) => {
                errors.push(field("commune", e.to_string()));
                None
            }
        },
        (None, Some(p)) => CommuneCode::parse(&p.commune).ok(),
        (None, None) => {
            unplaced("commune", &mut errors);
            None
        }
    };
    let (in_qpv, qpv) = match (cells.get("qpv"), place) {
        (None, Some(p)) => (p.in_qpv.unwrap_or(false) || p.qpv.is_some(), p.qpv.clone()),
        (None, None) => {
            unplaced("qpv", &mut errors);
            (false, None)
        }
        (Some(v), _) => match parse_yes_no(v) {
            Some(b) => (b, None),
            None if v.len() <= 12 && v.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                (true, Some(v.to_ascii_uppercase()))
            }
            None => {
                errors.push(field(
                    "qpv",
                    format!("« {v} » : oui, non ou un code de QPV attendu"),
                ));
                (false, None)
            }
        },
    };
    let holder = required(cells, "reservataire", &mut errors).and_then(|v| {
        ReservationHolder::parse(v)
            .map_err(|e| errors.push(field("reservataire", e.0)))
            .ok()
    });
    let resources = match (cells.get("ressources_uc"), cells.get("quartile")) {
        (Some(v), _) => match parse_amount_cents(v) {
            Some(c) if c >= 0 => Some(Resources::PerUnitCents(c)),
            _ => {
                errors.push(field(
                    "ressources_uc",
                    format!("« {v} » : des ressources annuelles par unité de consommation positives, en euros, attendues"),
                ));
                None
            }
        },
        (None, Some(v)) => match parse_integer(v) {
            Some(q @ 1..=4) => Some(Resources::Quartile(q as u8)),
            _ => {
                errors.push(field(
                    "quartile",
                    format!("quartile « {v} » : 1, 2, 3 ou 4 attendu"),
                ));
                None
            }
        },
        (None, None) => None,
    };
    let persons = cells.get("personnes").and_then(|v| match parse_integer(v) {
        Some(n @ 1..=30) => u32::try_from(n).ok(),
        _ => {
            errors.push(field(
                "personnes",
                format!("« {v} » : un nombre de personnes attendu"),
            ));
            None
        }
    });
    let relocated_by_renewal = yes_no(cells, "relogement_renouvellement", &mut errors);
    let dalo = yes_no(cells, "dalo", &mut errors);
    let priority = yes_no(cells, "prioritaire", &mut errors);
    match (lease, date, landlord, commune, holder) {
        (Some(lease), Some(date), Some(landlord), Some(commune), Some(holder))
            if errors.is_empty() =>
        {
            Ok(LeaseDraft {
                lease,
                date,
                landlord,
                commune,
                in_qpv,
                qpv,
                dwelling: cells.get("logement").map(str::to_string),
                holder,
                resources,
                relocated_by_renewal,
                dalo,
                priority,
                persons,
            })
        }
        _ => Err(errors),
    }
}

/// Whether a lease's applicant is in the first quartile: the quartile the file gives, or the
/// resources per consumption unit under the year's threshold (`threshold`: the first-quartile
/// threshold in cents for the lease's year, when set). `None`: resources unknown.
pub fn first_quartile(lease: &LeaseDraft, threshold: Option<i64>) -> Result<Option<bool>, String> {
    match lease.resources {
        None => Ok(None),
        Some(Resources::Quartile(q)) => Ok(Some(q == 1)),
        Some(Resources::PerUnitCents(c)) => match threshold {
            Some(t) => Ok(Some(c < t)),
            None => Err(format!(
                "seuil du premier quartile non défini pour {}",
                lease.date.year()
            )),
        },
    }
}

/// The sums of the legal targets over a set of leases (a year and an EPCI, a landlord or a
/// reservation holder).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetSums {
    pub outside_qpv: u64,
    /// Of those, first quartile or relocated by urban renewal.
    pub q1_or_relocated: u64,
    pub in_qpv: u64,
    /// Of those, applicants of the other quartiles.
    pub other_quartiles: u64,
    pub leases: u64,
    /// Of those, DALO or priority households.
    pub priority: u64,
}

impl TargetSums {
    /// Count a lease whose first-quartile status is `q1` (`None`: unknown — counted in no
    /// numerator that needs it).
    pub fn add(&mut self, l: &LeaseDraft, q1: Option<bool>) {
        self.leases += 1;
        if l.dalo || l.priority {
            self.priority += 1;
        }
        if l.in_qpv {
            self.in_qpv += 1;
            if q1 == Some(false) {
                self.other_quartiles += 1;
            }
        } else {
            self.outside_qpv += 1;
            if q1 == Some(true) || l.relocated_by_renewal {
                self.q1_or_relocated += 1;
            }
        }
    }
    /// Take back what [`Self::add`] counted for a lease (one imported again with changes).
    pub fn remove(&mut self, l: &LeaseDraft, q1: Option<bool>) {
        let mut one = TargetSums::default();
        one.add(l, q1);
        self.outside_qpv = self.outside_qpv.saturating_sub(one.outside_qpv);
        self.q1_or_relocated = self.q1_or_relocated.saturating_sub(one.q1_or_relocated);
        self.in_qpv = self.in_qpv.saturating_sub(one.in_qpv);
        self.other_quartiles = self.other_quartiles.saturating_sub(one.other_quartiles);
        self.leases = self.leases.saturating_sub(one.leases);
        self.priority = self.priority.saturating_sub(one.priority);
    }
    pub fn merge(&mut self, o: &TargetSums) {
        self.outside_qpv += o.outside_qpv;
        self.q1_or_relocated += o.q1_or_relocated;
        self.in_qpv += o.in_qpv;
        self.other_quartiles += o.other_quartiles;
        self.leases += o.leases;
        self.priority += o.priority;
    }
    /// The three shares in percent (`None` with no lease in the base), each with whether it is
    /// short of its target (25 %, 50 %, 25 %).
    pub fn shares(&self) -> [(Option<f64>, bool); 3] {
        let share = |part: u64, whole: u64, target: f64| {
            let s = (whole > 0).then(|| part as f64 * 100.0 / whole as f64);
            (s, s.is_some_and(|v| v < target))
        };
        [
            share(self.q1_or_relocated, self.outside_qpv, 25.0),
            share(self.other_quartiles, self.in_qpv, 50.0),
            share(self.priority, self.leases, 25.0),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geography {
        let c = crate::Commune {
            code: CommuneCode::parse("59183").unwrap_or_else(|e| unreachable!("{e:?}")),
            name: "Dunkerque".into(),
            department: "59".into(),
            population: None,
            epci: None,
        };
        Geography::new(vec![c], vec![], vec![])
    }

    fn cells<'a>(pairs: &[(&'a str, &'a str)]) -> Cells<'a> {
        let mut c = Cells::default();
        for (k, v) in pairs {
            c.set(k, Some(v));
        }
        c
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap_or_default()
    }

    fn lease(extra: &[(&'static str, &'static str)]) -> Result<LeaseDraft, Errors> {
        let mut pairs = vec![
            ("bail", "B-1"),
            ("date_bail", "15/03/2025"),
            ("bailleur", "Vilogia"),
            ("commune", "Dunkerque"),
            ("qpv", "non"),
            ("reservataire", "action_logement"),
        ];
        for (k, v) in extra {
            if let Some(p) = pairs.iter_mut().find(|(c, _)| c == k) {
                p.1 = v;
            } else {
                pairs.push((k, v));
            }
        }
        let landlords = OrgIndex::new([(7, "Vilogia", None)]);
        parse_lease(&cells(&pairs), &geo(), &landlords, today(), None)
    }

    #[test]
    fn bad_cells_are_named() {
        let e = lease(&[
            ("reservataire", "mairie annexe"),
            ("quartile", "5"),
            ("date_bail", "01/01/2030"),
            ("ressources_uc", ""),
        ])
        .err()
        .unwrap_or_default();
        let cols: Vec<&str> = e.iter().map(|f| f.column).collect();
        assert_eq!(cols, vec!["date_bail", "reservataire", "quartile"], "{e:?}");
        let e = lease(&[("ressources_uc", "-12")]).err().unwrap_or_default();
        assert_eq!(e.first().map(|f| f.column), Some("ressources_uc"));
    }

    #[test]
    fn the_three_targets() {
        let mut s = TargetSums::default();
        let q1 = lease(&[("ressources_uc", "8 000")]).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(first_quartile(&q1, Some(1_000_000)), Ok(Some(true)));
        assert_eq!(
            first_quartile(&q1, None),
            Err("seuil du premier quartile non défini pour 2025".into())
        );
        s.add(&q1, Some(true));
        let rich = lease(&[("quartile", "3")]).unwrap_or_else(|e| unreachable!("{e:?}"));
        for _ in 0..3 {
            s.add(&rich, first_quartile(&rich, None).unwrap_or_default());
        }
        let qpv = lease(&[("qpv", "QN05904M"), ("quartile", "2"), ("dalo", "oui")])
            .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert!(qpv.in_qpv);
        s.add(&qpv, Some(false));
        let [outside, inside, priority] = s.shares();
        assert_eq!(outside, (Some(25.0), false));
        assert_eq!(inside, (Some(100.0), false));
        assert_eq!(priority, (Some(20.0), true), "short of 25 %");
    }
}
