//! Relocation's use cases (issue 18, first part): import households and vacancies (every row
//! checked; the same household or dwelling twice in a file refused with both rows; a landlord's
//! editor declares only its own; nothing written when one row is wrong), and the matching — the
//! households still to relocate against the free vacancies, the optimal assignment with each
//! proposal's reasons in French. (Pages, roles, proposals and indicators are to come.)

use crate::Result;
use crate::proximity::{refused, rows};
use logis_domain::OrgKind;
use logis_domain::proximity::Cells;
use logis_domain::register::line::OrgIndex;
use logis_domain::relocation::{
    CostRules, HouseholdDraft, HouseholdStatus, VacancyDraft, feasible_pairs, key, matching,
    parse_household, parse_vacancy, reasons,
};
use logis_io::RowSource;
use logis_store::relocation::RelocationImportOutcome;
use logis_store::{Actor, RowProblem, Store};

fn index(store: &dyn Store, kind: OrgKind) -> Result<OrgIndex> {
    let orgs = store.organisations()?;
    Ok(OrgIndex::new(orgs.iter().filter(|o| o.kind == kind).map(
        |o| (o.id, o.name.as_str(), o.siren.as_ref().map(|s| s.as_str())),
    )))
}

/// The rows whose (landlord, identifier) came before, each named with the earlier row.
fn twice<T>(
    drafts: &[(u64, T)],
    of: impl Fn(&T) -> (i64, String),
    column: &str,
    what: &str,
) -> Vec<RowProblem> {
    let mut seen: std::collections::HashMap<(i64, String), u64> = Default::default();
    let mut problems = Vec::new();
    for (row, d) in drafts {
        let k = of(d);
        if let Some(first) = seen.get(&k) {
            problems.push(RowProblem {
                row: *row,
                column: column.into(),
                message: format!("{what} déjà à la ligne {first} pour ce bailleur"),
            });
        } else {
            seen.insert(k, *row);
        }
    }
    problems
}

/// The end of an import: the drafts (or the rows' problems), the same (landlord, identifier)
/// twice refused, then `put` when committing.
fn finish<T>(
    drafts: crate::proximity::Drafts<T>,
    of: impl Fn(&T) -> (i64, String),
    (column, what): (&str, &str),
    commit: bool,
    put: impl FnOnce(&[(u64, T)]) -> logis_store::Result<RelocationImportOutcome>,
) -> Result<RelocationImportOutcome> {
    let drafts = match drafts {
        Err(problems) => return Ok(refused(problems)),
        Ok(d) => d,
    };
    let dup = twice(&drafts, of, column, what);
    if !dup.is_empty() {
        return Ok(refused(dup));
    }
    if !commit {
        return Ok(RelocationImportOutcome::default());
    }
    Ok(put(&drafts)?)
}

/// Import households (`menage, bailleur, projet, …`); `only`: the landlord a landlord's editor
/// is (its households only).
pub fn import_households(
    store: &dyn Store,
    actor: &Actor,
    source: Box<dyn RowSource>,
    commit: bool,
    only: Option<i64>,
) -> Result<RelocationImportOutcome> {
    let (geo, territory) = crate::reference::geography(store)?;
    let (_, landlords) = crate::land::landlords(store)?;
    let ccas = index(store, OrgKind::Ccas)?;
    let parse = |c: &Cells<'_>| {
        let d = parse_household(c, &geo, territory.as_ref(), &landlords, &ccas)?;
        if only.is_some_and(|o| o != d.landlord) {
            return Err(vec![logis_domain::register::line::FieldError {
                column: "bailleur",
                message: "vous ne déclarez que les ménages de votre organisation".into(),
            }]);
        }
        Ok(d)
    };
    finish(
        rows(source, &logis_io::read::HOUSEHOLDS, &parse)?,
        |d: &HouseholdDraft| key(d.landlord, &d.reference),
        ("menage", "ménage"),
        commit,
        |drafts| store.put_households(actor, drafts),
    )
}

/// Import vacancies (`logement, bailleur, commune, …`); `only` as for households.
pub fn import_vacancies(
    store: &dyn Store,
    actor: &Actor,
    source: Box<dyn RowSource>,
    commit: bool,
    only: Option<i64>,
) -> Result<RelocationImportOutcome> {
    let (geo, territory) = crate::reference::geography(store)?;
    let (_, landlords) = crate::land::landlords(store)?;
    let parse = |c: &Cells<'_>| parse_vacancy(c, &geo, territory.as_ref(), &landlords, only);
    finish(
        rows(source, &logis_io::read::VACANCIES, &parse)?,
        |d: &VacancyDraft| key(d.landlord, &d.reference),
        ("logement", "logement"),
        commit,
        |drafts| store.put_vacancies(actor, drafts),
    )
}

/// One proposal of the matching engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub household_id: i64,
    pub household: HouseholdDraft,
    pub vacancy_id: i64,
    pub vacancy: VacancyDraft,
    pub cost: i64,
    pub reasons: String,
}

/// What the matching proposes: as many households as possible, then the least total cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matching {
    pub proposals: Vec<Proposal>,
    /// Households still to relocate, and those without any feasible vacancy.
    pub households: usize,
    pub without_any: usize,
    pub total: i64,
}

/// Match the households still to relocate (of `project` when given) against the free
/// vacancies under `rules`. Writes nothing.
/// The households still to relocate (of `project` when given) and the free vacancies, with
/// their ids: what the matching and the feasible pairs' costs read.
pub type Inputs = (Vec<(i64, HouseholdDraft)>, Vec<(i64, VacancyDraft)>);

pub fn inputs(store: &dyn Store, project: Option<&str>) -> Result<Inputs> {
    let wanted = project.map(logis_domain::text::name_key);
    let households = store
        .households()?
        .into_iter()
        // (A household waiting for its answer to a proposal is not matched again.)
        .filter(|(_, h)| h.status.to_relocate() && h.status != HouseholdStatus::Proposal)
        .filter(|(_, h)| {
            wanted
                .as_ref()
                .is_none_or(|p| logis_domain::text::name_key(&h.project) == *p)
        })
        .collect();
    let vacancies = store
        .vacancies()?
        .into_iter()
        .filter(|(_, _, status)| status == "libre")
        .map(|(id, v, _)| (id, v))
        .collect();
    Ok((households, vacancies))
}

pub fn matching(store: &dyn Store, project: Option<&str>, rules: &CostRules) -> Result<Matching> {
    let (households, vacancies) = inputs(store, project)?;
    let hs: Vec<HouseholdDraft> = households.iter().map(|(_, h)| h.clone()).collect();
    let vs: Vec<VacancyDraft> = vacancies.iter().map(|(_, v)| v.clone()).collect();
    let pairs = feasible_pairs(&hs, &vs, rules);
    let without_any = (0..hs.len()).filter(|r| pairs.degree(*r) == 0).count();
    let a = matching::assign(&pairs);
    let mut out = Matching {
        households: hs.len(),
        without_any,
        total: a.total,
        ..Default::default()
    };
    for (r, c) in a.of_row.iter().enumerate() {
        let (Some(c), Some((hid, h))) = (c, households.get(r)) else {
            continue;
        };
        let Some((vid, v)) = vacancies.get(*c) else {
            continue;
        };
        let Some(f) = logis_domain::relocation::fit(h, v, rules) else {
            continue;
        };
        out.proposals.push(Proposal {
            household_id: *hid,
            household: h.clone(),
            vacancy_id: *vid,
            vacancy: v.clone(),
            cost: f.cost,
            reasons: reasons(h, v, &f),
        });
    }
    Ok(out)
}
