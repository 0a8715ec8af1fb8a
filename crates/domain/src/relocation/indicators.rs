//! The relocation's indicators, per renewal project and in total, as the ANRU judges a
//! relocation: households by status, proposals and refusals by reason, the shares relocated in
//! new or recent dwellings, outside QPV and in another commune, the median out-of-pocket cost
//! before and after and the share whose cost rose, the CCAS support shared between two communes.
//! For whoever reads aggregates only, every count goes through [`crate::secrecy`]: small counts
//! hidden, and so is any count that could be recomputed from a total and the other cells.

use super::{HouseholdStatus, RefusalReason};
use crate::codes::CommuneCode;
use crate::secrecy::{self, Shown};
use std::collections::BTreeMap;

/// What the indicators read of one household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub project: String,
    pub status: HouseholdStatus,
    /// Where it lived.
    pub commune: CommuneCode,
    /// Out-of-pocket cost before, cents a month.
    pub before: i64,
    pub ccas: [Option<i64>; 2],
    pub proposals: u32,
    pub refusals: Vec<RefusalReason>,
    /// Its latest relocation, if any.
    pub moved: Option<Move>,
}

/// A relocation as the indicators read it (the dwelling's facts when it came from the pool).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub definitive: bool,
    /// Out-of-pocket cost after, cents a month.
    pub after: i64,
    /// The dwelling's commune, QPV and age: known when it came from the pool.
    pub dwelling: Option<(CommuneCode, bool, bool)>,
}

/// The statuses, in the order the indicators show them.
pub const STATUSES: [HouseholdStatus; 7] = [
    HouseholdStatus::ToRelocate,
    HouseholdStatus::Diagnosed,
    HouseholdStatus::Proposal,
    HouseholdStatus::Definitive,
    HouseholdStatus::Temporary,
    HouseholdStatus::NoSolution,
    HouseholdStatus::OtherExit,
];

/// The refusal reasons, in the order shown.
pub const REASONS: [RefusalReason; 6] = [
    RefusalReason::Location,
    RefusalReason::Cost,
    RefusalReason::Size,
    RefusalReason::Condition,
    RefusalReason::Floor,
    RefusalReason::Other,
];

/// One column of the indicators: a project, or the total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub households: u64,
    /// Per status, in [`STATUSES`]' order.
    pub statuses: [u64; 7],
    pub proposals: u64,
    /// Per reason, in [`REASONS`]' order.
    pub refusals: [u64; 6],
    /// Relocated (definitively or temporarily) into a dwelling of the pool: the shares' base.
    pub moved_known: u64,
    pub new_or_recent: u64,
    pub outside_qpv: u64,
    pub other_commune: u64,
    /// Out-of-pocket before and after of the relocated households (cents), sorted.
    pub before: Vec<i64>,
    pub after: Vec<i64>,
    pub cost_rose: u64,
    pub ccas_shared: u64,
}

impl Counts {
    fn add(&mut self, f: &Fact) {
        self.households += 1;
        if let Some(i) = STATUSES.iter().position(|s| *s == f.status)
            && let Some(c) = self.statuses.get_mut(i)
        {
            *c += 1;
        }
        self.proposals += u64::from(f.proposals);
        for r in &f.refusals {
            if let Some(i) = REASONS.iter().position(|x| x == r)
                && let Some(c) = self.refusals.get_mut(i)
            {
                *c += 1;
            }
        }
        if let Some(m) = &f.moved {
            if let Some((commune, qpv, new)) = &m.dwelling {
                self.moved_known += 1;
                self.new_or_recent += u64::from(*new);
                self.outside_qpv += u64::from(!*qpv);
                self.other_commune += u64::from(*commune != f.commune);
            }
            self.before.push(f.before);
            self.after.push(m.after);
            self.cost_rose += u64::from(m.after > f.before);
        }
        if let [Some(a), Some(b)] = f.ccas
            && a != b
        {
            self.ccas_shared += 1;
        }
    }

    /// Relocated households (definitively or temporarily).
    pub fn relocated(&self) -> u64 {
        self.before.len() as u64
    }
}

/// The indicators: one column per project (by name), then the total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Indicators {
    pub projects: Vec<(String, Counts)>,
    pub total: Counts,
}

/// Count `facts` per project and in total.
pub fn compute(facts: &[Fact]) -> Indicators {
    let mut by: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for f in facts {
        by.entry(f.project.clone()).or_default().add(f);
        total.add(f);
    }
    for c in by.values_mut().chain(std::iter::once(&mut total)) {
        c.before.sort_unstable();
        c.after.sort_unstable();
    }
    Indicators {
        projects: by.into_iter().collect(),
        total,
    }
}

/// The median of sorted `v` (the mean of the two middle values when even), rounded to the cent.
pub fn median(v: &[i64]) -> Option<i64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let hi = *v.get(n / 2)?;
    if n % 2 == 1 {
        return Some(hi);
    }
    let lo = *v.get(n / 2 - 1)?;
    Some((lo + hi).div_euclid(2))
}

/// One shown value of the indicators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Count(Shown),
    /// Per mille, or hidden (`None` when there is nothing to divide by).
    Share(Option<Shown>),
    /// Cents, or hidden.
    Money(Option<Shown>),
}

/// One row of the shown indicators: its label, then one value per project and the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub code: String,
    pub label: String,
    pub values: Vec<Value>,
}

/// The indicators as shown: every count as it is to `detail` readers (the relocation officer);
/// for everyone else, small counts hidden with secondary suppression, shares and medians hidden
/// when they rest on, or would reveal, fewer than five households.
pub fn shown(ind: &Indicators, detail: bool) -> Vec<Row> {
    let columns: Vec<&Counts> = ind
        .projects
        .iter()
        .map(|(_, c)| c)
        .chain(std::iter::once(&ind.total))
        .collect();
    let n = columns.len();
    let projects = ind.projects.len();
    // A table whose rows are the projects, its cells one family of counts (they add up to the
    // project's total shown beside): suppressed together, the totals column as a total.
    let table = |cells: &dyn Fn(&Counts) -> Vec<u64>| -> Vec<Vec<Shown>> {
        let body: Vec<Vec<u64>> = ind.projects.iter().map(|(_, c)| cells(c)).collect();
        let mut out = if detail {
            body.iter()
                .map(|r| r.iter().map(|v| Shown::Count(*v)).collect())
                .collect()
        } else {
            secrecy::suppress(&body)
        };
        out.push(
            cells(&ind.total)
                .into_iter()
                .map(|v| {
                    if detail {
                        Shown::Count(v)
                    } else {
                        secrecy::total(v)
                    }
                })
                .collect(),
        );
        out
    };
    let count = |v: u64| {
        if detail {
            Shown::Count(v)
        } else {
            secrecy::total(v)
        }
    };
    let statuses = table(&|c| c.statuses.to_vec());
    let refusals = table(&|c| c.refusals.to_vec());
    let pick = |t: &Vec<Vec<Shown>>, i: usize| -> Vec<Value> {
        (0..n)
            .map(|col| {
                Value::Count(
                    t.get(col)
                        .and_then(|r| r.get(i))
                        .copied()
                        .unwrap_or(Shown::Hidden),
                )
            })
            .collect()
    };
    let share = |num: u64, den: u64| -> Value {
        if den == 0 {
            return Value::Share(None);
        }
        let disclosive = num < secrecy::THRESHOLD || den - num < secrecy::THRESHOLD;
        Value::Share(Some(if !detail && disclosive {
            Shown::Hidden
        } else {
            Shown::Count((num * 1000 + den / 2) / den)
        }))
    };
    let money = |v: &Vec<i64>| -> Value {
        match median(v) {
            None => Value::Money(None),
            Some(_) if !detail && (v.len() as u64) < secrecy::THRESHOLD => {
                Value::Money(Some(Shown::Hidden))
            }
            Some(m) => Value::Money(Some(Shown::Count(u64::try_from(m.max(0)).unwrap_or(0)))),
        }
    };
    let mut rows = vec![Row {
        code: "menages".into(),
        label: "Ménages à reloger (tous statuts)".into(),
        values: columns
            .iter()
            .map(|c| Value::Count(count(c.households)))
            .collect(),
    }];
    for (i, s) in STATUSES.iter().enumerate() {
        rows.push(Row {
            code: format!("statut_{}", s.code()),
            label: s.label().to_string(),
            values: pick(&statuses, i),
        });
    }
    rows.push(Row {
        code: "propositions".into(),
        label: "Propositions faites".into(),
        values: columns
            .iter()
            .map(|c| Value::Count(count(c.proposals)))
            .collect(),
    });
    for (i, r) in REASONS.iter().enumerate() {
        rows.push(Row {
            code: format!("refus_{}", r.code()),
            label: format!("Refus : {}", r.label()),
            values: pick(&refusals, i),
        });
    }
    type Share = (&'static str, &'static str, fn(&Counts) -> (u64, u64));
    let shares: [Share; 4] = [
        (
            "part_neuf_recent",
            "Part des relogés dans un logement neuf ou de moins de cinq ans",
            |c| (c.new_or_recent, c.moved_known),
        ),
        ("part_hors_qpv", "Part des relogés hors QPV", |c| {
            (c.outside_qpv, c.moved_known)
        }),
        (
            "part_autre_commune",
            "Part des relogés dans une autre commune",
            |c| (c.other_commune, c.moved_known),
        ),
        (
            "part_reste_a_charge_en_hausse",
            "Part des relogés dont le reste à charge augmente",
            |c| (c.cost_rose, c.relocated()),
        ),
    ];
    for (code, label, f) in shares {
        rows.push(Row {
            code: code.into(),
            label: label.into(),
            values: columns
                .iter()
                .map(|c| {
                    let (a, b) = f(c);
                    share(a, b)
                })
                .collect(),
        });
    }
    rows.push(Row {
        code: "reste_a_charge_median_avant".into(),
        label: "Reste à charge médian avant (€ par mois)".into(),
        values: columns.iter().map(|c| money(&c.before)).collect(),
    });
    rows.push(Row {
        code: "reste_a_charge_median_apres".into(),
        label: "Reste à charge médian après (€ par mois)".into(),
        values: columns.iter().map(|c| money(&c.after)).collect(),
    });
    rows.push(Row {
        code: "ccas_partage".into(),
        label: "Accompagnement partagé entre deux CCAS".into(),
        values: columns
            .iter()
            .map(|c| Value::Count(count(c.ccas_shared)))
            .collect(),
    });
    debug_assert!(rows.iter().all(|r| r.values.len() == projects + 1));
    rows
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn code(c: &str) -> CommuneCode {
        CommuneCode::parse(c).unwrap()
    }

    fn fact(
        project: &str,
        status: HouseholdStatus,
        moved: Option<(i64, bool, bool, &str)>,
    ) -> Fact {
        Fact {
            project: project.into(),
            status,
            commune: code("59183"),
            before: 30_000,
            ccas: [Some(1), Some(2)],
            proposals: 1,
            refusals: vec![RefusalReason::Cost],
            moved: moved.map(|(after, qpv, new, c)| Move {
                definitive: true,
                after,
                dwelling: Some((code(c), qpv, new)),
            }),
        }
    }

    #[test]
    fn counts_shares_and_medians() {
        let mut facts = Vec::new();
        for i in 0..10 {
            facts.push(fact(
                "A",
                HouseholdStatus::Definitive,
                Some((
                    28_000 + i * 1_000,
                    i < 3,
                    i >= 4,
                    if i < 6 { "59183" } else { "59155" },
                )),
            ));
        }
        for _ in 0..7 {
            facts.push(fact("B", HouseholdStatus::ToRelocate, None));
        }
        let ind = compute(&facts);
        assert_eq!(ind.projects.len(), 2);
        let a = &ind.projects[0].1;
        assert_eq!((a.households, a.relocated(), a.moved_known), (10, 10, 10));
        assert_eq!((a.new_or_recent, a.outside_qpv, a.other_commune), (6, 7, 4));
        assert_eq!(median(&a.after), Some(32_500));
        assert_eq!(a.cost_rose, 7);
        assert_eq!(ind.total.ccas_shared, 17);

        let detail = shown(&ind, true);
        let row = |rows: &[Row], c: &str| rows.iter().find(|r| r.code == c).unwrap().clone();
        assert_eq!(
            row(&detail, "part_neuf_recent").values[0],
            Value::Share(Some(Shown::Count(600)))
        );
        assert_eq!(
            row(&detail, "part_autre_commune").values[0],
            Value::Share(Some(Shown::Count(400)))
        );
        // Aggregates only: 4 relocated in another commune is a small count, hidden.
        let agg = shown(&ind, false);
        assert_eq!(
            row(&agg, "part_autre_commune").values[0],
            Value::Share(Some(Shown::Hidden))
        );
        assert_eq!(
            row(&agg, "reste_a_charge_median_apres").values[0],
            Value::Money(Some(Shown::Count(32_500)))
        );
        // Nobody relocated in B: no share, no median.
        assert_eq!(row(&agg, "part_hors_qpv").values[1], Value::Share(None));
        // The statuses: A's zero to relocate hidden, so B's 7 too (else 7 − 7 gives A's), the
        // total shown.
        let s = row(&agg, "statut_a_reloger");
        assert_eq!(s.values[0], Value::Count(Shown::Hidden));
        assert_eq!(s.values[1], Value::Count(Shown::Hidden));
        assert_eq!(s.values[2], Value::Count(Shown::Count(7)));
    }

    #[test]
    fn no_hidden_count_is_recomputable_from_the_total() {
        let mut facts = Vec::new();
        for _ in 0..12 {
            facts.push(fact("A", HouseholdStatus::ToRelocate, None));
        }
        facts.push(fact("A", HouseholdStatus::NoSolution, None));
        for _ in 0..9 {
            facts.push(fact("B", HouseholdStatus::ToRelocate, None));
        }
        let agg = shown(&compute(&facts), false);
        // Project A's one household without solution: hidden, and so another cell of its row.
        let hidden_in_a = agg
            .iter()
            .filter(|r| r.code.starts_with("statut_"))
            .filter(|r| r.values[0] == Value::Count(Shown::Hidden))
            .count();
        assert!(hidden_in_a >= 2);
    }
}
