//! The occupancy of the social stock (issue 21, second part): the landlords' occupancy survey
//! read row by row (one occupied dwelling or household), its indicators per quartier and commune
//! against the whole EPCI (shares and concentration index), the rule that flags sensitive
//! quartiers, the quartiers whose difficulties grow between two surveys, and the SNE demand per
//! commune. Pure.

use crate::CommuneCode;
use crate::cells::{Cells, Errors, field, required};
use crate::land::parse_yes_no;
use crate::numbers::parse_integer;
use crate::reference::Geography;
use crate::register::line::OrgIndex;
use crate::register::vocab::vocabulary;
use crate::text::name_key;
use serde::{Deserialize, Serialize};

/// The columns of an occupancy file (`logis import occupation`).
pub const OCCUPANCY_COLUMNS: &[&str] = &[
    "bailleur",
    "commune",
    "qpv",
    "quartier",
    "logement",
    "personnes",
    "enfants",
    "composition",
    "age_titulaire",
    "ressources_pct_plafond",
    "aide_logement",
    "emploi",
    "emmenage_recent",
];
pub const OCCUPANCY_REQUIRED: &[&str] = &["bailleur", "commune"];

vocabulary! {
    /// A household's composition, as the occupancy survey has it.
    Composition, "composition" {
        SinglePerson => "personne_seule", "Personne seule", ["isole", "seul", "celibataire"];
        Couple => "couple", "Couple sans enfant", ["couple sans enfant"];
        CoupleWithChildren => "couple_enfants", "Couple avec enfants", ["couple avec enfants", "couple avec enfant"];
        SingleParent => "monoparentale", "Famille monoparentale", ["famille monoparentale", "monoparental"];
        Other => "autre", "Autre", ["autres"];
    }
}

/// The indicators of occupancy, in the order of every table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    Under20,
    Under40,
    Under60,
    HousingBenefit,
    SingleParent,
    LargeFamily,
    SinglePerson,
    Aged65,
    NoWork,
}

/// How many indicators there are.
pub const INDICATORS: usize = 9;

impl Indicator {
    pub const ALL: [Indicator; INDICATORS] = [
        Indicator::Under20,
        Indicator::Under40,
        Indicator::Under60,
        Indicator::HousingBenefit,
        Indicator::SingleParent,
        Indicator::LargeFamily,
        Indicator::SinglePerson,
        Indicator::Aged65,
        Indicator::NoWork,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Indicator::Under20 => "sous_20_pct",
            Indicator::Under40 => "sous_40_pct",
            Indicator::Under60 => "sous_60_pct",
            Indicator::HousingBenefit => "aide_logement",
            Indicator::SingleParent => "monoparentales",
            Indicator::LargeFamily => "familles_nombreuses",
            Indicator::SinglePerson => "personnes_seules",
            Indicator::Aged65 => "plus_65_ans",
            Indicator::NoWork => "sans_emploi",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Indicator::Under20 => "Ressources sous 20 % du plafond PLUS",
            Indicator::Under40 => "Ressources sous 40 % du plafond PLUS",
            Indicator::Under60 => "Ressources sous 60 % du plafond PLUS",
            Indicator::HousingBenefit => "Bénéficiaires d'une aide au logement",
            Indicator::SingleParent => "Familles monoparentales",
            Indicator::LargeFamily => "Familles nombreuses (3 enfants ou plus)",
            Indicator::SinglePerson => "Personnes seules",
            Indicator::Aged65 => "Titulaires de 65 ans ou plus",
            Indicator::NoWork => "Sans adulte en emploi",
        }
    }
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One household of the survey, valid by construction (`None`: not answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdDraft {
    pub landlord: i64,
    pub commune: CommuneCode,
    /// The quartier: a QPV's code, or the name the landlord gives (user-defined).
    pub quartier: Option<String>,
    pub in_qpv: Option<bool>,
    pub dwelling: Option<String>,
    pub persons: Option<u32>,
    pub children: Option<u32>,
    pub composition: Option<Composition>,
    pub holder_age: Option<u32>,
    /// Resources as a percentage of the PLUS ceiling.
    pub resources_pct: Option<u32>,
    pub housing_benefit: Option<bool>,
    pub employed: Option<bool>,
    pub recent: bool,
}

impl HouseholdDraft {
    /// Whether the household counts in `i` (`None`: the survey does not say).
    pub fn is(&self, i: Indicator) -> Option<bool> {
        match i {
            Indicator::Under20 => self.resources_pct.map(|p| p < 20),
            Indicator::Under40 => self.resources_pct.map(|p| p < 40),
            Indicator::Under60 => self.resources_pct.map(|p| p < 60),
            Indicator::HousingBenefit => self.housing_benefit,
            Indicator::SingleParent => self.composition.map(|c| c == Composition::SingleParent),
            Indicator::LargeFamily => self.children.map(|n| n >= 3),
            Indicator::SinglePerson => self
                .composition
                .map(|c| c == Composition::SinglePerson)
                .or(self.persons.map(|n| n == 1)),
            Indicator::Aged65 => self.holder_age.map(|a| a >= 65),
            Indicator::NoWork => self.employed.map(|e| !e),
        }
    }
}

fn yes_no(cells: &Cells<'_>, column: &'static str, errors: &mut Errors) -> Option<bool> {
    let v = cells.get(column)?;
    parse_yes_no(v).or_else(|| {
        errors.push(field(column, format!("« {v} » : attendu oui ou non")));
        None
    })
}

fn bounded(
    cells: &Cells<'_>,
    column: &'static str,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
    errors: &mut Errors,
) -> Option<u32> {
    let v = cells.get(column)?;
    match parse_integer(v) {
        Some(n) if range.contains(&n) => u32::try_from(n).ok(),
        _ => {
            errors.push(field(
                column,
                format!(
                    "« {v} » : {what} entre {} et {} attendu",
                    range.start(),
                    range.end()
                ),
            ));
            None
        }
    }
}

/// A QPV's code as files write it (« QN05904M », « QP059001 »…), or `None`.
pub fn qpv_code(v: &str) -> Option<String> {
    let t = v.trim();
    let upper = t.to_ascii_uppercase();
    (t.len() >= 6
        && t.len() <= 12
        && (upper.starts_with("QP") || upper.starts_with("QN"))
        && t.bytes().all(|b| b.is_ascii_alphanumeric()))
    .then_some(upper)
}

/// A household from its cells (`known_qpvs`: the QPV codes of the territory, empty when the
/// stock does not say them — then any code is taken), or every problem.
pub fn parse_household(
    cells: &Cells<'_>,
    geo: &Geography,
    landlords: &OrgIndex,
    known_qpvs: &std::collections::HashSet<String>,
) -> Result<HouseholdDraft, Errors> {
    let mut errors = Errors::new();
    let landlord = required(cells, "bailleur", &mut errors).and_then(|v| {
        landlords.find(v).or_else(|| {
            errors.push(field("bailleur", format!("bailleur inconnu « {v} »")));
            None
        })
    });
    let commune =
        required(cells, "commune", &mut errors).and_then(|v| match geo.resolve(v, None) {
            Ok(c) => Some(c.code.clone()),
            Err(e) => {
                errors.push(field("commune", e.to_string()));
                None
            }
        });
    let (in_qpv, qpv) = match cells.get("qpv") {
        None => (None, None),
        Some(v) => match parse_yes_no(v) {
            Some(b) => (Some(b), None),
            None => match qpv_code(v) {
                Some(code) if known_qpvs.is_empty() || known_qpvs.contains(&code) => {
                    (Some(true), Some(code))
                }
                Some(code) => {
                    errors.push(field(
                        "qpv",
                        format!("QPV « {code} » inconnu du territoire"),
                    ));
                    (None, None)
                }
                None => {
                    errors.push(field(
                        "qpv",
                        format!("« {v} » : oui, non ou un code de QPV attendu"),
                    ));
                    (None, None)
                }
            },
        },
    };
    let quartier = match cells.get("quartier") {
        Some(v) if v.chars().count() > 80 => {
            errors.push(field("quartier", "texte trop long (80 caractères au plus)"));
            None
        }
        Some(v) => Some(v.to_string()),
        None => qpv,
    };
    let persons = bounded(
        cells,
        "personnes",
        1..=30,
        "un nombre de personnes",
        &mut errors,
    );
    let children = bounded(cells, "enfants", 0..=20, "un nombre d'enfants", &mut errors);
    if let (Some(p), Some(c)) = (persons, children)
        && c >= p
    {
        errors.push(field(
            "enfants",
            format!("{c} enfant(s) pour {p} personne(s) : au moins un adulte attendu"),
        ));
    }
    let composition = cells.get("composition").and_then(|v| {
        Composition::parse(v)
            .map_err(|e| errors.push(field("composition", e.0)))
            .ok()
    });
    let holder_age = bounded(cells, "age_titulaire", 16..=120, "un âge", &mut errors);
    let resources_pct = bounded(
        cells,
        "ressources_pct_plafond",
        0..=1000,
        "un pourcentage du plafond PLUS",
        &mut errors,
    );
    let housing_benefit = yes_no(cells, "aide_logement", &mut errors);
    let employed = yes_no(cells, "emploi", &mut errors);
    let recent = yes_no(cells, "emmenage_recent", &mut errors).unwrap_or(false);
    match (landlord, commune) {
        (Some(landlord), Some(commune)) if errors.is_empty() => Ok(HouseholdDraft {
            landlord,
            commune,
            quartier,
            in_qpv,
            dwelling: cells.get("logement").map(str::to_string),
            persons,
            children,
            composition,
            holder_age,
            resources_pct,
            housing_benefit,
            employed,
            recent,
        }),
        _ => Err(errors),
    }
}

/// The sums of occupancy over a set of households: for the whole stock and for the recent
/// movers, each indicator's households and its base (the households for which the survey says).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OccupancySums {
    pub households: u64,
    pub counts: [u64; INDICATORS],
    pub bases: [u64; INDICATORS],
    pub recent: u64,
    pub recent_counts: [u64; INDICATORS],
    pub recent_bases: [u64; INDICATORS],
}

impl OccupancySums {
    pub fn add(&mut self, h: &HouseholdDraft) {
        self.households += 1;
        if h.recent {
            self.recent += 1;
        }
        for (i, ind) in Indicator::ALL.iter().enumerate() {
            if let Some(yes) = h.is(*ind) {
                let n = u64::from(yes);
                if let (Some(c), Some(b)) = (self.counts.get_mut(i), self.bases.get_mut(i)) {
                    *c += n;
                    *b += 1;
                }
                if h.recent
                    && let (Some(c), Some(b)) =
                        (self.recent_counts.get_mut(i), self.recent_bases.get_mut(i))
                {
                    *c += n;
                    *b += 1;
                }
            }
        }
    }
    pub fn merge(&mut self, o: &OccupancySums) {
        self.households += o.households;
        self.recent += o.recent;
        for i in 0..INDICATORS {
            for (a, b) in [
                (&mut self.counts, &o.counts),
                (&mut self.bases, &o.bases),
                (&mut self.recent_counts, &o.recent_counts),
                (&mut self.recent_bases, &o.recent_bases),
            ] {
                if let (Some(x), Some(y)) = (a.get_mut(i), b.get(i)) {
                    *x += *y;
                }
            }
        }
    }
    /// The (count, base) of `i`, for the whole stock or the recent movers.
    pub fn of(&self, i: Indicator, recent: bool) -> (u64, u64) {
        let (c, b) = if recent {
            (&self.recent_counts, &self.recent_bases)
        } else {
            (&self.counts, &self.bases)
        };
        (
            c.get(i.index()).copied().unwrap_or(0),
            b.get(i.index()).copied().unwrap_or(0),
        )
    }
    /// The exact share of `i` in percent (`None`: no base).
    pub fn share(&self, i: Indicator, recent: bool) -> Option<f64> {
        let (c, b) = self.of(i, recent);
        (b > 0).then(|| c as f64 * 100.0 / b as f64)
    }
    /// As the store keeps it: « households,recent;c/b,…;c/b,… » (the whole stock's nine
    /// indicators, then the recent movers').
    pub fn pack(&self) -> String {
        let list = |c: &[u64; INDICATORS], b: &[u64; INDICATORS]| {
            c.iter()
                .zip(b)
                .map(|(c, b)| format!("{c}/{b}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            "{},{};{};{}",
            self.households,
            self.recent,
            list(&self.counts, &self.bases),
            list(&self.recent_counts, &self.recent_bases)
        )
    }
    /// The sums [`Self::pack`] wrote, or `None` for any other text.
    pub fn unpack(text: &str) -> Option<OccupancySums> {
        let mut parts = text.split(';');
        let (h, r) = parts.next()?.split_once(',')?;
        let mut s = OccupancySums {
            households: h.parse().ok()?,
            recent: r.parse().ok()?,
            ..Default::default()
        };
        for (counts, bases) in [
            (&mut s.counts, &mut s.bases),
            (&mut s.recent_counts, &mut s.recent_bases),
        ] {
            let list = parts.next()?;
            let mut n = 0;
            for (i, pair) in list.split(',').enumerate() {
                let (c, b) = pair.split_once('/')?;
                *counts.get_mut(i)? = c.parse().ok()?;
                *bases.get_mut(i)? = b.parse().ok()?;
                n += 1;
            }
            if n != INDICATORS {
                return None;
            }
        }
        parts.next().is_none().then_some(s)
    }
}

/// The rule that flags a quartier as sensitive: a concentration index (the quartier's share /
/// the EPCI's) of at least `index` on at least `indicators` indicators (default 1.3 on 3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensitivityRule {
    pub index: f64,
    pub indicators: usize,
}

impl Default for SensitivityRule {
    fn default() -> Self {
        SensitivityRule {
            index: 1.3,
            indicators: 3,
        }
    }
}

impl SensitivityRule {
    /// The rule from its form's values, or a French refusal.
    pub fn parse(index: &str, indicators: &str) -> Result<SensitivityRule, String> {
        let i = index
            .trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && (1.0..=10.0).contains(v))
            .ok_or_else(|| format!("indice « {index} » : un nombre entre 1 et 10 attendu (1,3)"))?;
        let n = indicators
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=INDICATORS).contains(n))
            .ok_or_else(|| {
                format!("nombre d'indicateurs « {indicators} » : entre 1 et {INDICATORS} attendu")
            })?;
        Ok(SensitivityRule {
            index: i,
            indicators: n,
        })
    }
    /// The indicators of `area` (whole stock) whose concentration against `reference` reaches
    /// the rule's index, with that index; the area is sensitive when there are enough of them.
    pub fn tripped(
        &self,
        area: &OccupancySums,
        reference: &OccupancySums,
    ) -> Vec<(Indicator, f64)> {
        Indicator::ALL
            .iter()
            .filter_map(|i| {
                let ix = concentration(area, reference, *i, false)?;
                (ix >= self.index - 1e-9).then_some((*i, ix))
            })
            .collect()
    }
    pub fn flags(&self, tripped: &[(Indicator, f64)]) -> bool {
        tripped.len() >= self.indicators
    }
}

/// The concentration index of `i` in `area` against `reference` (`None`: either share unknown
/// or the reference's nil).
pub fn concentration(
    area: &OccupancySums,
    reference: &OccupancySums,
    i: Indicator,
    recent: bool,
) -> Option<f64> {
    let a = area.share(i, recent)?;
    let r = reference.share(i, recent).filter(|r| *r > 0.0)?;
    Some(a / r)
}

/// The indicators of an area whose share grew by at least `points` between two surveys (whole
/// stock), with the shares before and after: its difficulties grow when enough of them do.
pub fn worsened(
    before: &OccupancySums,
    after: &OccupancySums,
    points: f64,
) -> Vec<(Indicator, f64, f64)> {
    Indicator::ALL
        .iter()
        .filter_map(|i| {
            let (b, a) = (before.share(*i, false)?, after.share(*i, false)?);
            (a - b >= points - 1e-9).then_some((*i, b, a))
        })
        .collect()
}

/// The columns of an SNE demand extract (`logis import demande`).
pub const DEMAND_COLUMNS: &[&str] = &[
    "commune",
    "annee",
    "demandes",
    "demandes_mutation",
    "attributions",
    "delai_depasse",
];

/// One commune's demand of a year, from the SNE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandDraft {
    pub commune: CommuneCode,
    pub year: i32,
    pub demands: u32,
    pub transfers: u32,
    pub attributions: u32,
    pub past_delay: u32,
}

impl DemandDraft {
    /// Demands per attribution (`None` without attribution).
    pub fn pressure(&self) -> Option<f64> {
        (self.attributions > 0).then(|| f64::from(self.demands) / f64::from(self.attributions))
    }
}

/// A commune's demand from its cells (`this_year`: a later year is refused), or every problem.
pub fn parse_demand(
    cells: &Cells<'_>,
    geo: &Geography,
    this_year: i32,
) -> Result<DemandDraft, Errors> {
    let mut errors = Errors::new();
    let commune =
        required(cells, "commune", &mut errors).and_then(|v| match geo.resolve(v, None) {
            Ok(c) => Some(c.code.clone()),
            Err(e) => {
                errors.push(field("commune", e.to_string()));
                None
            }
        });
    let year = required(cells, "annee", &mut errors).and_then(|v| match parse_integer(v) {
        Some(y) if (2000..=i64::from(this_year)).contains(&y) => i32::try_from(y).ok(),
        _ => {
            errors.push(field(
                "annee",
                format!("année « {v} » : entre 2000 et {this_year} attendue"),
            ));
            None
        }
    });
    let mut n = |column: &'static str| {
        required(cells, column, &mut errors).and_then(|v| match parse_integer(v) {
            Some(x) if (0..=10_000_000).contains(&x) => u32::try_from(x).ok(),
            _ => {
                errors.push(field(
                    column,
                    format!("« {v} » : un nombre entier positif ou nul attendu"),
                ));
                None
            }
        })
    };
    let demands = n("demandes");
    let transfers = n("demandes_mutation");
    let attributions = n("attributions");
    let past_delay = n("delai_depasse");
    if let (Some(d), Some(t)) = (demands, transfers)
        && t > d
    {
        errors.push(field(
            "demandes_mutation",
            format!("{t} demandes de mutation pour {d} demandes : au plus autant attendu"),
        ));
    }
    if let (Some(d), Some(p)) = (demands, past_delay)
        && p > d
    {
        errors.push(field(
            "delai_depasse",
            format!("{p} demandes en délai dépassé pour {d} demandes : au plus autant attendu"),
        ));
    }
    match (commune, year, demands, transfers, attributions, past_delay) {
        (
            Some(commune),
            Some(year),
            Some(demands),
            Some(transfers),
            Some(attributions),
            Some(past_delay),
        ) if errors.is_empty() => Ok(DemandDraft {
            commune,
            year,
            demands,
            transfers,
            attributions,
            past_delay,
        }),
        _ => Err(errors),
    }
}

/// A quartier's key for grouping: the same name written differently is one quartier.
pub fn quartier_key(commune: &str, quartier: &str) -> String {
    format!("{commune}/{}", name_key(quartier))
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

    fn household(pairs: &[(&str, &str)]) -> Result<HouseholdDraft, Errors> {
        let mut c = Cells::default();
        c.set("bailleur", Some("Vilogia"));
        c.set("commune", Some("59183"));
        for (k, v) in pairs {
            c.set(k, Some(v));
        }
        let known: std::collections::HashSet<String> = ["QN05904M".to_string()].into();
        parse_household(&c, &geo(), &OrgIndex::new([(7, "Vilogia", None)]), &known)
    }

    #[test]
    fn bad_cells_are_named() {
        let e = household(&[
            ("qpv", "QN09999Z"),
            ("composition", "tribu"),
            ("personnes", "2"),
            ("enfants", "2"),
            ("age_titulaire", "3"),
            ("aide_logement", "peut-être"),
        ])
        .err()
        .unwrap_or_default();
        let cols: Vec<&str> = e.iter().map(|f| f.column).collect();
        assert_eq!(
            cols,
            vec![
                "qpv",
                "enfants",
                "composition",
                "age_titulaire",
                "aide_logement"
            ],
            "{e:?}"
        );
        assert!(
            e.first()
                .is_some_and(|f| f.message.contains("inconnu du territoire"))
        );
    }

    #[test]
    fn indicators_shares_and_concentration() {
        let poor = household(&[
            ("qpv", "QN05904M"),
            ("ressources_pct_plafond", "15"),
            ("composition", "monoparentale"),
            ("enfants", "3"),
            ("personnes", "4"),
            ("emploi", "non"),
            ("emmenage_recent", "oui"),
        ])
        .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(poor.quartier.as_deref(), Some("QN05904M"));
        let other = household(&[("ressources_pct_plafond", "90"), ("emploi", "oui")])
            .unwrap_or_else(|e| unreachable!("{e:?}"));
        let mut q = OccupancySums::default();
        q.add(&poor);
        q.add(&poor);
        let mut all = q;
        all.add(&other);
        all.add(&other);
        assert_eq!(q.share(Indicator::Under20, false), Some(100.0));
        assert_eq!(all.share(Indicator::Under20, false), Some(50.0));
        assert_eq!(q.of(Indicator::Aged65, false), (0, 0), "not answered");
        assert_eq!(concentration(&q, &all, Indicator::NoWork, false), Some(2.0));
        let rule = SensitivityRule::default();
        let t = rule.tripped(&q, &all);
        assert!(rule.flags(&t), "{t:?}");
        assert_eq!(OccupancySums::unpack(&all.pack()), Some(all));
        assert_eq!(OccupancySums::unpack("1,0;1/1"), None);
        assert_eq!(worsened(&all, &q, 2.0).len(), t.len());
        assert!(SensitivityRule::parse("0,5", "3").is_err());
        assert!(SensitivityRule::parse("1,3", "12").is_err());
    }

    #[test]
    fn demand_rows() {
        let mut c = Cells::default();
        for (k, v) in [
            ("commune", "Dunkerque"),
            ("annee", "2025"),
            ("demandes", "100"),
            ("demandes_mutation", "120"),
            ("attributions", "25"),
            ("delai_depasse", "x"),
        ] {
            c.set(k, Some(v));
        }
        let e = parse_demand(&c, &geo(), 2026).err().unwrap_or_default();
        let cols: Vec<&str> = e.iter().map(|f| f.column).collect();
        assert_eq!(cols, vec!["delai_depasse", "demandes_mutation"]);
    }
}
