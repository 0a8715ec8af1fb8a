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

/// Import a follow-up file (`menage, bailleur, evenement, date, logement, …`: proposals, answers,
/// relocations, in the file's order); `only` as for households (its households only). Any row
/// refused (a household or dwelling unknown, a fourth proposal, a dwelling no longer free, an
/// answer without open proposal…): nothing written.
pub fn import_follow_ups(
    store: &dyn Store,
    actor: &Actor,
    source: Box<dyn RowSource>,
    commit: bool,
    only: Option<i64>,
) -> Result<RelocationImportOutcome> {
    let (_, landlords) = crate::land::landlords(store)?;
    let parse = |c: &Cells<'_>| logis_domain::relocation::parse_follow_up(c, &landlords, only);
    let drafts = match rows(source, &logis_io::read::FOLLOW_UPS, &parse)? {
        Err(problems) => return Ok(refused(problems)),
        Ok(d) => d,
    };
    if !commit {
        // (A check reads the rows; the events themselves are checked when recorded.)
        return Ok(RelocationImportOutcome::default());
    }
    Ok(store.put_follow_ups(actor, &drafts)?)
}

/// The rules of the cost as a form (and `--regle NOM=VALEUR`) names them: (name, label).
pub const RULES: [(&str, &str); 8] = [
    (
        "hausse_max",
        "Hausse du reste à charge acceptée au plus (€ par mois)",
    ),
    ("par_euro", "Points par euro de hausse du reste à charge"),
    ("voeu_1", "Points pour la première commune souhaitée"),
    ("autre_voeu", "Points pour une autre commune souhaitée"),
    ("hors_voeux", "Points hors des communes souhaitées"),
    ("qpv", "Points pour un logement en QPV"),
    ("ancien", "Points pour un logement ni neuf ni récent"),
    ("piece_en_plus", "Points par pièce au-delà du besoin"),
];

/// The rules' values in [`RULES`]' order (the largest increase in euros).
pub fn rule_values(r: &CostRules) -> [i64; 8] {
    [
        r.max_increase / 100,
        r.per_euro,
        r.first_wish,
        r.other_wish,
        r.outside_wishes,
        r.in_qpv,
        r.not_new,
        r.per_extra_room,
    ]
}

/// The rules of this run from the form's fields (a field left empty keeps its default), or the
/// French refusal of a value that is not a whole number between 0 and 10 000.
pub fn rules_of(fields: &[(String, String)]) -> Result<CostRules> {
    let mut v = rule_values(&CostRules::default());
    for (i, (name, label)) in RULES.iter().enumerate() {
        let Some((_, text)) = fields.iter().find(|(k, _)| k == name) else {
            continue;
        };
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        match t.parse::<i64>() {
            Ok(n) if (0..=10_000).contains(&n) => {
                if let Some(slot) = v.get_mut(i) {
                    *slot = n;
                }
            }
            _ => {
                return Err(crate::AppError::Invalid(format!(
                    "{label} : « {t} » n'est pas un nombre entier entre 0 et 10 000"
                )));
            }
        }
    }
    let [max, per_euro, first, other, outside, qpv, old, room] = v;
    Ok(CostRules {
        max_increase: max * 100,
        per_euro,
        first_wish: first,
        other_wish: other,
        outside_wishes: outside,
        in_qpv: qpv,
        not_new: old,
        per_extra_room: room,
    })
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

/// The relocation's indicators per renewal project and in total (`logis report relogement`, the
/// page, its CSV and XLSX): every count as it is when `detail` (the relocation officer), else
/// through `logis_domain::secrecy` (small counts hidden, secondary suppression).
pub fn indicators_report(store: &dyn Store, detail: bool) -> Result<logis_io::report::Report> {
    Ok(indicators(store, detail)?.report())
}

/// The relocation's indicators as this reader is shown them: one column per project, then the
/// total; each row's values through `logis_domain::secrecy` unless `detail`.
#[derive(Debug, Clone)]
pub struct ShownIndicators {
    /// The projects' names, then « Total ».
    pub columns: Vec<String>,
    pub rows: Vec<logis_domain::relocation::indicators::Row>,
    pub detail: bool,
}

/// See [`ShownIndicators`].
pub fn indicators(store: &dyn Store, detail: bool) -> Result<ShownIndicators> {
    use logis_domain::relocation::indicators::{compute, shown};
    let ind = compute(&store.indicator_facts()?);
    let mut columns: Vec<String> = ind.projects.iter().map(|(p, _)| p.clone()).collect();
    columns.push("Total".into());
    Ok(ShownIndicators {
        columns,
        rows: shown(&ind, detail),
        detail,
    })
}

impl ShownIndicators {
    /// Per project (not the total): the median out-of-pocket cost before and after, in cents,
    /// as shown (`None` when hidden, or when nobody was relocated).
    pub fn medians(&self) -> Vec<(String, Option<u64>, Option<u64>)> {
        use logis_domain::relocation::indicators::Value;
        use logis_domain::secrecy::Shown;
        let of = |code: &str, i: usize| {
            self.rows
                .iter()
                .find(|r| r.code == code)
                .and_then(|r| r.values.get(i))
                .and_then(|v| match v {
                    Value::Money(Some(Shown::Count(c))) => Some(*c),
                    _ => None,
                })
        };
        let projects = self.columns.len().saturating_sub(1);
        self.columns
            .iter()
            .take(projects)
            .enumerate()
            .map(|(i, p)| {
                (
                    p.clone(),
                    of("reste_a_charge_median_avant", i),
                    of("reste_a_charge_median_apres", i),
                )
            })
            .collect()
    }

    /// The indicators as a report: the grid as shown, the long table for CSV and XLSX.
    pub fn report(&self) -> logis_io::report::Report {
        use logis_domain::relocation::indicators::Value;
        use logis_domain::secrecy::Shown;
        use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
        let (rows, columns, detail) = (&self.rows, self.columns.clone(), self.detail);
        let decimal = |v: u64, per: u64, digits: usize| {
            format!(
                "{},{:0digits$}",
                logis_domain::numbers::group_thousands(i64::try_from(v / per).unwrap_or(i64::MAX)),
                v % per
            )
        };
        // (As shown in the grid, as written in the long table.)
        let grid_cell = |v: &Value| match v {
            Value::Count(Shown::Count(n)) => (
                Cell::Int(i64::try_from(*n).unwrap_or(i64::MAX)),
                Cell::Int(i64::try_from(*n).unwrap_or(i64::MAX)),
            ),
            Value::Count(Shown::Hidden) => (
                Cell::text(logis_domain::secrecy::HIDDEN),
                Cell::text(logis_domain::secrecy::HIDDEN),
            ),
            // (A share or a median that rests on, or would reveal, fewer than five households.)
            Value::Share(Some(Shown::Hidden)) | Value::Money(Some(Shown::Hidden)) => {
                (Cell::text("secret"), Cell::text("secret"))
            }
            Value::Share(Some(Shown::Count(pm))) => (
                Cell::text(format!("{} %", decimal(*pm, 10, 1))),
                Cell::text(decimal(*pm, 10, 1)),
            ),
            Value::Money(Some(Shown::Count(c))) => (
                Cell::text(format!("{} €", decimal(*c, 100, 2))),
                Cell::text(decimal(*c, 100, 2)),
            ),
            Value::Share(None) | Value::Money(None) => (Cell::Empty, Cell::Empty),
        };
        let unit_of = |v: &Value| match v {
            Value::Count(_) => "nombre",
            Value::Share(_) => "%",
            Value::Money(_) => "euros par mois",
        };
        let mut long_rows = Vec::new();
        let mut grid_rows = Vec::new();
        for r in rows {
            let mut cells = vec![Cell::text(r.label.clone())];
            for (column, v) in columns.iter().zip(&r.values) {
                let (shown, plain) = grid_cell(v);
                cells.push(shown);
                long_rows.push(vec![
                    Cell::text(column.clone()),
                    Cell::text(r.code.clone()),
                    Cell::text(r.label.clone()),
                    Cell::text(unit_of(v)),
                    plain,
                ]);
            }
            grid_rows.push(GridRow {
                kind: RowKind::Detail,
                cells,
            });
        }
        let mut header = vec!["Indicateur".to_string()];
        header.extend(columns);
        let mut notes = vec![
            "Parts : parmi les ménages relogés dans un logement de la réserve commune (commune, QPV et âge du logement connus) ; reste à charge = loyer + charges − aide au logement, avant et après le relogement.".to_string(),
        ];
        if !detail {
            notes.push(format!(
                "Données personnelles : tout effectif inférieur à {} est affiché « {} », de même qu'un second effectif de sa ligne ou de sa colonne lorsqu'il permettrait de le retrouver par différence ; une part ou une médiane qui porte sur, ou révélerait, moins de {} ménages est affichée « secret ».",
                logis_domain::secrecy::THRESHOLD,
                logis_domain::secrecy::HIDDEN,
                logis_domain::secrecy::THRESHOLD
            ));
        }
        Report {
            name: "relogement",
            title: "Relogement des ménages : indicateurs par projet de renouvellement".into(),
            scope: if detail {
                "tous les ménages, effectifs exacts (chargé(e) de relogement)".into()
            } else {
                "tous les ménages, agrégats avec secret statistique".into()
            },
            notes,
            long_columns: vec!["projet", "indicateur", "libelle", "unite", "valeur"],
            long_rows,
            grid: Grid {
                groups: Vec::new(),
                header,
                row_header_columns: 1,
                rows: grid_rows,
            },
        }
    }
}

/// The filters of the households' list (each optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdFilter {
    pub project: Option<String>,
    pub landlord: Option<i64>,
    pub status: Option<HouseholdStatus>,
    pub commune: Option<logis_domain::CommuneCode>,
}

fn sees(p: &logis_domain::Principal, h: &HouseholdDraft) -> bool {
    p.sees_household(h.landlord, [h.ccas_origin, h.ccas_destination])
}

/// The households `p` reads one by one (its landlord's, its CCAS's, every one for the
/// relocation officer) that pass `f`, by landlord then identifier.
pub fn visible_households(
    store: &dyn Store,
    p: &logis_domain::Principal,
    f: &HouseholdFilter,
) -> Result<Vec<(i64, HouseholdDraft)>> {
    let project = f.project.as_deref().map(logis_domain::text::name_key);
    Ok(store
        .households()?
        .into_iter()
        .filter(|(_, h)| sees(p, h))
        .filter(|(_, h)| {
            project
                .as_ref()
                .is_none_or(|k| logis_domain::text::name_key(&h.project) == *k)
        })
        .filter(|(_, h)| f.landlord.is_none_or(|l| h.landlord == l))
        .filter(|(_, h)| f.status.is_none_or(|s| h.status == s))
        .filter(|(_, h)| f.commune.as_ref().is_none_or(|c| h.commune == *c))
        .collect())
}

/// Household `id` if `p` reads it one by one; `None` otherwise, as for an unknown one.
pub fn visible_household(
    store: &dyn Store,
    p: &logis_domain::Principal,
    id: i64,
) -> Result<Option<HouseholdDraft>> {
    Ok(store.household(id)?.filter(|h| sees(p, h)))
}

/// The renewal projects that have households, by name.
pub fn projects(store: &dyn Store) -> Result<Vec<String>> {
    let mut out: Vec<String> = store
        .households()?
        .into_iter()
        .map(|(_, h)| h.project)
        .collect();
    out.sort_by_key(|p| logis_domain::text::name_key(p));
    out.dedup_by_key(|p| logis_domain::text::name_key(p));
    Ok(out)
}

fn form_date(text: &str) -> Result<chrono::NaiveDate> {
    let t = text.trim();
    if t.is_empty() {
        return Err(crate::AppError::Invalid("la date est obligatoire".into()));
    }
    logis_domain::numbers::parse_date(t)
        .ok_or_else(|| crate::AppError::Invalid(format!("« {t} » n'est pas une date (jj/mm/aaaa)")))
}

fn form_amount(text: &str, what: &str) -> Result<i64> {
    let t = text.trim();
    if t.is_empty() {
        return Err(crate::AppError::Invalid(format!(
            "{what} : montant obligatoire"
        )));
    }
    match logis_domain::numbers::parse_amount_cents(t) {
        Some(c) if c >= 0 => Ok(c),
        Some(_) => Err(crate::AppError::Invalid(format!(
            "{what} : « {t} » est négatif"
        ))),
        None => Err(crate::AppError::Invalid(format!(
            "{what} : « {t} » n'est pas un montant en euros"
        ))),
    }
}

/// A proposal typed on the household's page: the vacancy (its id) and the date.
pub fn propose_form(
    store: &dyn Store,
    actor: &Actor,
    household: i64,
    vacancy: &str,
    date: &str,
) -> Result<i64> {
    let Ok(vacancy) = vacancy.trim().parse::<i64>() else {
        return Err(crate::AppError::Invalid(
            "choisissez un logement de la réserve".into(),
        ));
    };
    let date = form_date(date)?;
    Ok(store.propose(actor, household, vacancy, date)?)
}

/// An answer typed on the household's page: acceptee, refusee (with a reason) or sans_reponse.
pub fn answer_form(
    store: &dyn Store,
    actor: &Actor,
    proposal: i64,
    answer: &str,
    reason: &str,
    date: &str,
) -> Result<()> {
    use logis_domain::relocation::{Answer, RefusalReason};
    let answer = match answer.trim() {
        "acceptee" => Answer::Accepted,
        "refusee" => match RefusalReason::from_code(reason.trim()) {
            Some(r) => Answer::Refused(r),
            None => {
                return Err(crate::AppError::Invalid(
                    "un refus demande son motif, choisi dans la liste".into(),
                ));
            }
        },
        _ => {
            return Err(crate::AppError::Invalid(
                "réponse attendue : acceptée ou refusée".into(),
            ));
        }
    };
    let date = form_date(date)?;
    Ok(store.answer(actor, proposal, answer, date)?)
}

/// A relocation typed on the household's page: the dwelling (a vacancy's id, or empty for a
/// dwelling outside the pool), the date, definitive or not, rent, charges and housing benefit
/// after (euros a month).
#[allow(clippy::too_many_arguments)]
pub fn relocate_form(
    store: &dyn Store,
    actor: &Actor,
    household: i64,
    vacancy: &str,
    date: &str,
    definitive: bool,
    after: [&str; 3],
) -> Result<()> {
    let vacancy = match vacancy.trim() {
        "" => None,
        v => Some(v.parse::<i64>().map_err(|_| {
            crate::AppError::Invalid("choisissez un logement de la réserve, ou aucun".into())
        })?),
    };
    let date = form_date(date)?;
    let amounts = [
        form_amount(after[0], "loyer après")?,
        form_amount(after[1], "charges après")?,
        form_amount(after[2], "aide au logement après")?,
    ];
    Ok(store.relocate(actor, household, vacancy, date, definitive, amounts)?)
}

/// Keep some of the matching's proposals (`pairs`: household id, vacancy id) on `date`: each
/// recorded as a proposal; the French refusals of those that could not be (the others kept).
pub fn keep_proposals(
    store: &dyn Store,
    actor: &Actor,
    pairs: &[(i64, i64)],
    date: chrono::NaiveDate,
) -> Result<(usize, Vec<String>)> {
    let mut kept = 0;
    let mut refused = Vec::new();
    for (h, v) in pairs {
        match store.propose(actor, *h, *v, date) {
            Ok(_) => kept += 1,
            Err(e) if e.is_internal() => return Err(e.into()),
            Err(e) => refused.push(e.to_string()),
        }
    }
    Ok((kept, refused))
}
