//! Relocation of households as the store keeps it (issue 18, first part), written once on
//! [`crate::tx`] for both backends: households (unique per landlord and identifier) and the pool
//! of vacancies, imported again to update them; the journal of every read of a household's
//! record, which the schema refuses to alter. Households are personal data: the audit trail
//! records which household and which fields changed, never their values.

use crate::audit::{Actor, Change};
use crate::tx::{self, Put, Row, RowResult, Transactions, Tx, Value};
use crate::{Result, StoreError};
use logis_domain::CommuneCode;
use logis_domain::relocation::{HouseholdDraft, HouseholdStatus, VacancyDraft};
use logis_domain::text::name_key;

/// What an import of households or vacancies did.
pub type RelocationImportOutcome = tx::Imported;

fn code(text: &str) -> Result<CommuneCode> {
    CommuneCode::parse(text).map_err(|e| StoreError::Backend(e.0))
}

fn household_of(r: &Row) -> Result<HouseholdDraft> {
    let wished = r.text(11)?;
    Ok(HouseholdDraft {
        reference: r.text(0)?,
        landlord: r.int(1)?,
        project: r.text(2)?,
        operation: r.opt_text(3)?.filter(|o| !o.is_empty()),
        commune: code(&r.text(4)?)?,
        persons: u32::try_from(r.int(5)?).unwrap_or(0),
        resources: r.int(6)?,
        rent: r.int(7)?,
        charges: r.int(8)?,
        benefit: r.int(9)?,
        reduced_mobility: r.opt_bool(10)?.unwrap_or(false),
        wished: wished
            .split('|')
            .filter(|c| !c.is_empty())
            .map(code)
            .collect::<Result<_>>()?,
        other_commune: r.opt_bool(12)?.unwrap_or(false),
        status: crate::decode(
            HouseholdStatus::from_code(&r.text(13)?),
            "le statut",
            &r.text(13)?,
        )?,
        ccas_origin: r.opt_int(14)?,
        ccas_destination: r.opt_int(15)?,
    })
}

fn household_values(d: &HouseholdDraft) -> Vec<Value> {
    vec![
        Value::text(d.project.clone()),
        Value::text(d.operation.clone().unwrap_or_default()),
        Value::text(d.commune.as_str()),
        Value::int(i64::from(d.persons)),
        Value::int(d.resources),
        Value::int(d.rent),
        Value::int(d.charges),
        Value::int(d.benefit),
        Value::Bool(Some(d.reduced_mobility)),
        Value::text(
            d.wished
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join("|"),
        ),
        Value::Bool(Some(d.other_commune)),
        Value::text(d.status.code()),
        Value::Int(d.ccas_origin),
        Value::Int(d.ccas_destination),
    ]
}

/// The fields that differ between two records of a household (their names, not their values).
fn changed_fields(a: &HouseholdDraft, b: &HouseholdDraft) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut cmp = |name, same: bool| {
        if !same {
            out.push(name);
        }
    };
    cmp("projet", a.project == b.project);
    cmp("operation", a.operation == b.operation);
    cmp("commune", a.commune == b.commune);
    cmp("personnes", a.persons == b.persons);
    cmp("ressources", a.resources == b.resources);
    cmp("loyer", a.rent == b.rent);
    cmp("charges", a.charges == b.charges);
    cmp("aide_logement", a.benefit == b.benefit);
    cmp("pmr", a.reduced_mobility == b.reduced_mobility);
    cmp("communes_souhaitees", a.wished == b.wished);
    cmp("autre_commune", a.other_commune == b.other_commune);
    cmp("statut", a.status == b.status);
    cmp("ccas_origine", a.ccas_origin == b.ccas_origin);
    cmp("ccas_accueil", a.ccas_destination == b.ccas_destination);
    out
}

fn put_household(tx: &mut dyn Tx, actor: &Actor, d: &HouseholdDraft) -> Result<RowResult> {
    let key = name_key(&d.reference);
    let found = tx.query(
        sql::HOUSEHOLD_BY_KEY,
        &[Value::int(d.landlord), Value::text(key.clone())],
    )?;
    let (action, fields) = match found.first() {
        Some(r) => {
            let id = r.int(0)?;
            let before = household_of(&Row(r.0.get(1..).unwrap_or_default().to_vec()))?;
            let fields = changed_fields(&before, d);
            if fields.is_empty() {
                return Ok(Ok(Put::Unchanged));
            }
            let mut values = household_values(d);
            values.push(Value::int(id));
            tx.execute(sql::UPDATE_HOUSEHOLD, &values)?;
            ("modification", fields)
        }
        None => {
            let mut values = vec![
                Value::int(d.landlord),
                Value::text(d.reference.clone()),
                Value::text(key),
            ];
            values.extend(household_values(d));
            tx.execute(sql::INSERT_HOUSEHOLD, &values)?;
            ("creation", Vec::new())
        }
    };
    // (A closed relocation keeps the day it was first seen closed: what `purger --avant` reads.)
    let by_key = [Value::int(d.landlord), Value::text(name_key(&d.reference))];
    if d.status.closed() {
        let mut values = vec![Value::date(crate::audit::today())];
        values.extend(by_key);
        tx.execute(sql::CLOSE_BY_KEY, &values)?;
    } else {
        tx.execute(sql::REOPEN_BY_KEY, &by_key)?;
    }
    tx.record(
        actor,
        &Change {
            entity: "menage",
            entity_id: format!("{}/{}", d.landlord, d.reference),
            operation_id: None,
            action,
            before: None,
            // (Personal data: which fields changed, never their values.)
            after: Some(serde_json::json!({ "champs": fields })),
        },
    )?;
    Ok(Ok(if action == "creation" {
        Put::Created
    } else {
        Put::Updated
    }))
}

fn vacancy_of(r: &Row) -> Result<VacancyDraft> {
    Ok(VacancyDraft {
        reference: r.text(0)?,
        landlord: r.int(1)?,
        commune: code(&r.text(2)?)?,
        qpv: r.opt_bool(3)?.unwrap_or(false),
        rooms: u32::try_from(r.int(4)?).unwrap_or(0),
        surface_m2: r.opt_int(5)?.and_then(|s| u32::try_from(s).ok()),
        rent: r.int(6)?,
        charges: r.int(7)?,
        new_or_recent: r.opt_bool(8)?.unwrap_or(false),
        adapted: r.opt_bool(9)?.unwrap_or(false),
        financing: r.text(10)?,
    })
}

fn vacancy_values(d: &VacancyDraft) -> Vec<Value> {
    vec![
        Value::text(d.commune.as_str()),
        Value::Bool(Some(d.qpv)),
        Value::int(i64::from(d.rooms)),
        Value::Int(d.surface_m2.map(i64::from)),
        Value::int(d.rent),
        Value::int(d.charges),
        Value::Bool(Some(d.new_or_recent)),
        Value::Bool(Some(d.adapted)),
        Value::text(d.financing.clone()),
    ]
}

fn put_vacancy(tx: &mut dyn Tx, actor: &Actor, d: &VacancyDraft) -> Result<RowResult> {
    let key = name_key(&d.reference);
    let found = tx.query(
        sql::VACANCY_BY_KEY,
        &[Value::int(d.landlord), Value::text(key.clone())],
    )?;
    let action = match found.first() {
        Some(r) => {
            let id = r.int(0)?;
            let before = vacancy_of(&Row(r.0.get(1..).unwrap_or_default().to_vec()))?;
            if before == *d {
                return Ok(Ok(Put::Unchanged));
            }
            let mut values = vacancy_values(d);
            values.push(Value::int(id));
            tx.execute(sql::UPDATE_VACANCY, &values)?;
            "modification"
        }
        None => {
            let mut values = vec![
                Value::int(d.landlord),
                Value::text(d.reference.clone()),
                Value::text(key),
            ];
            values.extend(vacancy_values(d));
            tx.execute(sql::INSERT_VACANCY, &values)?;
            "creation"
        }
    };
    tx.record(
        actor,
        &Change {
            entity: "logement_vacant",
            entity_id: format!("{}/{}", d.landlord, d.reference),
            operation_id: None,
            action,
            before: None,
            after: Some(serde_json::json!({
                "commune": d.commune.as_str(), "pieces": d.rooms, "loyer_centimes": d.rent,
                "qpv": d.qpv, "neuf_ou_recent": d.new_or_recent, "pmr": d.adapted,
            })),
        },
    )?;
    Ok(Ok(if action == "creation" {
        Put::Created
    } else {
        Put::Updated
    }))
}

/// Hold household `household` for this transaction: its identifier and status.
fn hold(tx: &mut dyn Tx, household: i64) -> Result<(String, Option<HouseholdStatus>)> {
    tx.lock_row("relocation_households", household)?;
    let rows = tx.query(sql::HOUSEHOLD_STATUS, &[Value::int(household)])?;
    let Some(h) = rows.first() else {
        return Err(StoreError::NotFound("ménage introuvable".into()));
    };
    Ok((h.text(0)?, HouseholdStatus::from_code(&h.text(1)?)))
}

fn no_longer(reference: &str) -> StoreError {
    StoreError::Invalid(format!("le ménage « {reference} » n'est plus à reloger"))
}

/// Hold household `household` for this transaction and give its identifier, if it is still to
/// relocate; else the French refusal.
fn still_to_relocate(tx: &mut dyn Tx, household: i64) -> Result<String> {
    let (reference, status) = hold(tx, household)?;
    if !status.is_some_and(|s| s.to_relocate()) {
        return Err(no_longer(&reference));
    }
    Ok(reference)
}

fn propose_in(
    tx: &mut dyn Tx,
    actor: &Actor,
    household: i64,
    vacancy: i64,
    date: chrono::NaiveDate,
) -> Result<i64> {
    let reference = still_to_relocate(tx, household)?;
    tx.lock_row("relocation_vacancies", vacancy)?;
    let v = tx.query(sql::VACANCY_STATUS, &[Value::int(vacancy)])?;
    let Some(v) = v.first() else {
        return Err(StoreError::NotFound("logement introuvable".into()));
    };
    let (vref, vstatus) = (v.text(0)?, v.text(1)?);
    if vstatus != "libre" {
        return Err(StoreError::Conflict(format!(
            "le logement « {vref} » n'est plus libre ({vstatus})"
        )));
    }
    let made = tx
        .query(sql::PROPOSALS_MADE, &[Value::int(household)])?
        .first()
        .map(|r| r.count(0))
        .transpose()?
        .unwrap_or(0);
    if made >= 3 {
        return Err(StoreError::Invalid(format!(
            "le ménage « {reference} » a déjà reçu trois propositions"
        )));
    }
    let id = tx.insert(
        sql::INSERT_PROPOSAL,
        &[
            Value::int(household),
            Value::int(vacancy),
            Value::count(Some(made + 1)),
            Value::date(date),
        ],
    )?;
    tx.execute(
        sql::SET_VACANCY_STATUS,
        &[Value::text("propose"), Value::int(vacancy)],
    )?;
    tx.execute(
        sql::SET_HOUSEHOLD_STATUS,
        &[
            Value::text(HouseholdStatus::Proposal.code()),
            Value::int(household),
        ],
    )?;
    tx.record(
        actor,
        &Change {
            entity: "menage",
            entity_id: reference,
            operation_id: None,
            action: "proposition",
            before: None,
            after: Some(serde_json::json!({ "logement": vref, "rang": made + 1 })),
        },
    )?;
    Ok(id)
}

fn answer_in(
    tx: &mut dyn Tx,
    actor: &Actor,
    proposal: i64,
    answer: logis_domain::relocation::Answer,
    date: chrono::NaiveDate,
) -> Result<()> {
    use logis_domain::relocation::Answer;
    tx.lock_row("relocation_proposals", proposal)?;
    let rows = tx.query(sql::PROPOSAL, &[Value::int(proposal)])?;
    let Some(r) = rows.first() else {
        return Err(StoreError::NotFound("proposition introuvable".into()));
    };
    let (vacancy, current, reference) = (r.int(0)?, r.text(1)?, r.text(2)?);
    if current != Answer::NoAnswer.code() {
        return Err(StoreError::Invalid(
            "cette proposition a déjà sa réponse".into(),
        ));
    }
    let reason = match answer {
        Answer::Refused(why) => why.code(),
        _ => "",
    };
    tx.execute(
        sql::ANSWER,
        &[
            Value::text(answer.code()),
            Value::text(reason),
            Value::date(date),
            Value::int(proposal),
        ],
    )?;
    if let Answer::Refused(_) = answer {
        // The vacancy goes back to the pool, the household back to be matched.
        tx.execute(
            sql::SET_VACANCY_STATUS,
            &[Value::text("libre"), Value::int(vacancy)],
        )?;
        tx.execute(
            sql::SET_HOUSEHOLD_STATUS_OF_PROPOSAL,
            &[
                Value::text(HouseholdStatus::Diagnosed.code()),
                Value::int(proposal),
            ],
        )?;
    }
    tx.record(
        actor,
        &Change {
            entity: "menage",
            entity_id: reference,
            operation_id: None,
            action: "reponse",
            before: None,
            after: Some(serde_json::json!({ "reponse": answer.code(), "motif": reason })),
        },
    )
}

fn relocate_in(
    tx: &mut dyn Tx,
    actor: &Actor,
    household: i64,
    vacancy: Option<i64>,
    date: chrono::NaiveDate,
    definitive: bool,
    after: [i64; 3],
) -> Result<()> {
    // (A household relocated temporarily is relocated again, definitively.)
    let (reference, status) = hold(tx, household)?;
    let after_temporary = status == Some(HouseholdStatus::Temporary);
    if !(status.is_some_and(|s| s.to_relocate()) || (after_temporary && definitive)) {
        return Err(no_longer(&reference));
    }
    if after.iter().any(|a| *a < 0) {
        return Err(StoreError::Invalid(
            "loyer, charges et aide au logement sont positifs ou nuls".into(),
        ));
    }
    if after_temporary {
        // The temporary dwelling, when it came from the pool, goes back to it.
        tx.execute(sql::FREE_TEMPORARY, &[Value::int(household)])?;
    }
    if let Some(v) = vacancy {
        tx.lock_row("relocation_vacancies", v)?;
        let rows = tx.query(sql::VACANCY_STATUS, &[Value::int(v)])?;
        let Some(r) = rows.first() else {
            return Err(StoreError::NotFound("logement introuvable".into()));
        };
        let (vref, vstatus) = (r.text(0)?, r.text(1)?);
        let ours = !tx
            .query(sql::OPEN_PROPOSAL, &[Value::int(household), Value::int(v)])?
            .is_empty();
        if vstatus == "attribue" || (vstatus == "propose" && !ours) {
            return Err(StoreError::Conflict(format!(
                "le logement « {vref} » est déjà attribué ou proposé à un autre ménage"
            )));
        }
        tx.execute(
            sql::SET_VACANCY_STATUS,
            &[Value::text("attribue"), Value::int(v)],
        )?;
        tx.execute(
            sql::ACCEPT_OPEN_PROPOSAL,
            &[Value::date(date), Value::int(household), Value::int(v)],
        )?;
    }
    tx.execute(
        sql::INSERT_RELOCATION,
        &[
            Value::int(household),
            Value::Int(vacancy),
            Value::date(date),
            Value::Bool(Some(definitive)),
            Value::int(after[0]),
            Value::int(after[1]),
            Value::int(after[2]),
        ],
    )?;
    let status = if definitive {
        HouseholdStatus::Definitive
    } else {
        HouseholdStatus::Temporary
    };
    tx.execute(
        sql::SET_HOUSEHOLD_STATUS,
        &[Value::text(status.code()), Value::int(household)],
    )?;
    if definitive {
        tx.execute(sql::CLOSE, &[Value::date(date), Value::int(household)])?;
    }
    tx.record(
        actor,
        &Change {
            entity: "menage",
            entity_id: reference,
            operation_id: None,
            action: "relogement",
            before: None,
            after: Some(serde_json::json!({ "statut": status.code(), "date": date.to_string() })),
        },
    )
}

/// A refusal of the store as a row's problem in `column`; a backend failure stays one.
fn on_row(e: StoreError, column: &'static str) -> Result<RowResult> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::NotFound(m) => {
            Ok(Err((column, m)))
        }
        other => Err(other),
    }
}

/// One row of the follow-up file: the household and the dwelling found by their landlords'
/// identifiers, then the proposal, the answer or the relocation, as the pages record them.
fn put_follow_up(
    tx: &mut dyn Tx,
    actor: &Actor,
    d: &logis_domain::relocation::FollowUpDraft,
) -> Result<RowResult> {
    use logis_domain::relocation::FollowUpEvent;
    let found = tx.query(
        sql::HOUSEHOLD_BY_KEY,
        &[Value::int(d.landlord), Value::text(name_key(&d.household))],
    )?;
    let Some(household) = found.first().map(|r| r.int(0)).transpose()? else {
        return Ok(Err((
            "menage",
            format!("ménage « {} » inconnu chez ce bailleur", d.household),
        )));
    };
    let vacancy = match &d.vacancy {
        None => None,
        Some((landlord, reference)) => {
            let found = tx.query(
                sql::VACANCY_BY_KEY,
                &[Value::int(*landlord), Value::text(name_key(reference))],
            )?;
            match found.first().map(|r| r.int(0)).transpose()? {
                Some(id) => Some(id),
                None => {
                    return Ok(Err((
                        "logement",
                        format!("logement « {reference} » absent de la réserve de ce bailleur"),
                    )));
                }
            }
        }
    };
    let done = match &d.event {
        FollowUpEvent::Proposal => {
            let Some(v) = vacancy else {
                return Ok(Err((
                    "logement",
                    "une proposition porte sur un logement de la réserve".into(),
                )));
            };
            propose_in(tx, actor, household, v, d.date).map(|_| ())
        }
        FollowUpEvent::Answer(a) => {
            let open = tx.query(
                sql::OPEN_PROPOSAL_OF,
                &[Value::int(household), Value::Int(vacancy)],
            )?;
            let Some(proposal) = open.first().map(|r| r.int(0)).transpose()? else {
                return Ok(Err((
                    "reponse",
                    "aucune proposition sans réponse pour ce ménage (et ce logement)".into(),
                )));
            };
            answer_in(tx, actor, proposal, *a, d.date)
        }
        FollowUpEvent::Relocation { definitive, after } => {
            relocate_in(tx, actor, household, vacancy, d.date, *definitive, *after)
        }
    };
    match done {
        Ok(()) => Ok(Ok(Put::Created)),
        Err(e) => on_row(
            e,
            match d.event {
                FollowUpEvent::Answer(_) => "reponse",
                _ if d.vacancy.is_some() => "logement",
                _ => "menage",
            },
        ),
    }
}

/// A proposal made to a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRecord {
    pub id: i64,
    /// The vacancy's identifier.
    pub vacancy: String,
    pub rank: u32,
    pub proposed_on: chrono::NaiveDate,
    /// acceptee, refusee or sans_reponse.
    pub answer: String,
    /// The refusal's reason code (empty otherwise).
    pub refusal_reason: String,
}

/// A household's relocation as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelocationRecord {
    /// The vacancy's identifier, when the dwelling came from the pool.
    pub vacancy: Option<String>,
    pub on: chrono::NaiveDate,
    pub definitive: bool,
    /// Rent, charges and housing benefit after, cents a month.
    pub after: [i64; 3],
}

/// One line of the journal of reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRecord {
    /// Unix time.
    pub at: i64,
    pub who: String,
    pub household_id: i64,
    pub household: String,
    pub landlord_id: i64,
    /// page, api, export, cli.
    pub via: String,
}

/// Relocation's storage, written once for both backends.
pub trait RelocationStore: Transactions {
    /// Create or update households (by landlord and identifier), in one transaction.
    fn put_households(
        &self,
        actor: &Actor,
        rows: &[(u64, HouseholdDraft)],
    ) -> Result<RelocationImportOutcome> {
        let actor = actor.clone();
        tx::import_rows(self, rows, &move |tx, d| put_household(tx, &actor, d))
    }

    /// Create or update vacancies (by landlord and identifier), in one transaction.
    fn put_vacancies(
        &self,
        actor: &Actor,
        rows: &[(u64, VacancyDraft)],
    ) -> Result<RelocationImportOutcome> {
        let actor = actor.clone();
        tx::import_rows(self, rows, &move |tx, d| put_vacancy(tx, &actor, d))
    }

    /// Record a follow-up file's events (proposals, answers, relocations), in one transaction:
    /// any row refused, nothing written.
    fn put_follow_ups(
        &self,
        actor: &Actor,
        rows: &[(u64, logis_domain::relocation::FollowUpDraft)],
    ) -> Result<RelocationImportOutcome> {
        let actor = actor.clone();
        tx::import_rows(self, rows, &move |tx, d| put_follow_up(tx, &actor, d))
    }

    /// Every household with its id, by landlord then identifier.
    fn households(&self) -> Result<Vec<(i64, HouseholdDraft)>> {
        tx::read(self, |tx| {
            tx.query(sql::HOUSEHOLDS, &[])?
                .iter()
                .map(|r| {
                    Ok((
                        r.int(0)?,
                        household_of(&Row(r.0.get(1..).unwrap_or_default().to_vec()))?,
                    ))
                })
                .collect()
        })
    }

    /// Every vacancy of the pool with its id and status (libre, proposé, attribué).
    fn vacancies(&self) -> Result<Vec<(i64, VacancyDraft, String)>> {
        tx::read(self, |tx| {
            tx.query(sql::VACANCIES, &[])?
                .iter()
                .map(|r| {
                    Ok((
                        r.int(0)?,
                        vacancy_of(&Row(r.0.get(1..12).unwrap_or_default().to_vec()))?,
                        r.text(12)?,
                    ))
                })
                .collect()
        })
    }

    /// Propose vacancy `vacancy` to household `household` on `date`: the next rank (three at
    /// most, as ANRU practice has it); the vacancy leaves the pool; the household's status becomes
    /// « proposition en cours ». The proposal's id.
    fn propose(
        &self,
        actor: &Actor,
        household: i64,
        vacancy: i64,
        date: chrono::NaiveDate,
    ) -> Result<i64> {
        tx::write(self, |tx| propose_in(tx, actor, household, vacancy, date))
    }

    /// Record the household's answer to proposal `proposal` on `date`: a refusal (with its
    /// reason) gives the vacancy back to the pool.
    fn answer(
        &self,
        actor: &Actor,
        proposal: i64,
        answer: logis_domain::relocation::Answer,
        date: chrono::NaiveDate,
    ) -> Result<()> {
        tx::write(self, |tx| answer_in(tx, actor, proposal, answer, date))
    }

    /// Record household `household`'s relocation on `date` in `vacancy` (a vacancy of the pool,
    /// or `None` for a dwelling outside it), definitive or temporary, with its rent, charges and
    /// housing benefit after (cents a month): the household's status follows, the vacancy is
    /// « attribué », an unanswered proposal of that vacancy is accepted.
    #[allow(clippy::too_many_arguments)]
    fn relocate(
        &self,
        actor: &Actor,
        household: i64,
        vacancy: Option<i64>,
        date: chrono::NaiveDate,
        definitive: bool,
        after: [i64; 3],
    ) -> Result<()> {
        tx::write(self, |tx| {
            relocate_in(tx, actor, household, vacancy, date, definitive, after)
        })
    }

    /// Household `household`'s proposals, by rank.
    fn proposals(&self, household: i64) -> Result<Vec<ProposalRecord>> {
        tx::read(self, |tx| {
            tx.query(sql::PROPOSALS, &[Value::int(household)])?
                .iter()
                .map(|r| {
                    Ok(ProposalRecord {
                        id: r.int(0)?,
                        vacancy: r.text(1)?,
                        rank: u32::try_from(r.int(2)?).unwrap_or(0),
                        proposed_on: r.date(3)?,
                        answer: r.text(4)?,
                        refusal_reason: r.text(5)?,
                    })
                })
                .collect()
        })
    }

    /// Household `id`, if any.
    fn household(&self, id: i64) -> Result<Option<HouseholdDraft>> {
        tx::read(self, |tx| {
            tx.query(sql::HOUSEHOLD, &[Value::int(id)])?
                .first()
                .map(household_of)
                .transpose()
        })
    }

    /// Household `id`'s relocations (a temporary one, then the definitive one), by date.
    fn relocations(&self, id: i64) -> Result<Vec<RelocationRecord>> {
        tx::read(self, |tx| {
            tx.query(sql::RELOCATIONS, &[Value::int(id)])?
                .iter()
                .map(|r| {
                    Ok(RelocationRecord {
                        vacancy: r.opt_text(0)?,
                        on: r.date(1)?,
                        definitive: r.opt_bool(2)?.unwrap_or(false),
                        after: [r.int(3)?, r.int(4)?, r.int(5)?],
                    })
                })
                .collect()
        })
    }

    /// What the indicators read of every household: its record, its proposals and refusals, its
    /// relocation and, when the dwelling came from the pool, the dwelling's commune, QPV and age.
    fn indicator_facts(&self) -> Result<Vec<logis_domain::relocation::indicators::Fact>> {
        use logis_domain::relocation::RefusalReason;
        use logis_domain::relocation::indicators::{Fact, Move};
        tx::read(self, |tx| {
            let mut refusals: std::collections::HashMap<i64, (u32, Vec<RefusalReason>)> =
                Default::default();
            for r in tx.query(sql::PROPOSAL_FACTS, &[])? {
                let e = refusals.entry(r.int(0)?).or_default();
                e.0 += 1;
                if r.text(1)? == "refusee" {
                    e.1.push(RefusalReason::from_code(&r.text(2)?).unwrap_or(RefusalReason::Other));
                }
            }
            // Each household's relocation: the definitive one when there is one.
            let mut moves: std::collections::HashMap<i64, Move> = Default::default();
            for r in tx.query(sql::RELOCATION_FACTS, &[])? {
                let definitive = r.opt_bool(1)?.unwrap_or(false);
                let dwelling = match r.opt_text(5)? {
                    Some(c) => Some((
                        code(&c)?,
                        r.opt_bool(6)?.unwrap_or(false),
                        r.opt_bool(7)?.unwrap_or(false),
                    )),
                    None => None,
                };
                let m = Move {
                    definitive,
                    after: r.int(2)? + r.int(3)? - r.int(4)?,
                    dwelling,
                };
                let id = r.int(0)?;
                if moves.get(&id).is_none_or(|old| !old.definitive) {
                    moves.insert(id, m);
                }
            }
            tx.query(sql::INDICATOR_FACTS, &[])?
                .iter()
                .map(|r| {
                    let id = r.int(0)?;
                    let h = household_of(&Row(r.0.get(1..17).unwrap_or_default().to_vec()))?;
                    let (proposals, refused) = refusals.remove(&id).unwrap_or_default();
                    Ok(Fact {
                        project: h.project.clone(),
                        status: h.status,
                        before: h.out_of_pocket(),
                        commune: h.commune,
                        ccas: [h.ccas_origin, h.ccas_destination],
                        proposals,
                        refusals: refused,
                        moved: moves.remove(&id),
                    })
                })
                .collect()
        })
    }

    /// The journal of reads, the latest first (`limit` lines at most).
    fn all_reads(&self, limit: u32) -> Result<Vec<ReadRecord>> {
        tx::read(self, |tx| {
            tx.query(sql::ALL_READS, &[Value::int(i64::from(limit))])?
                .iter()
                .map(|r| {
                    Ok(ReadRecord {
                        at: r.int(0)?,
                        who: r.text(1)?,
                        household_id: r.int(2)?,
                        household: r.opt_text(3)?.unwrap_or_default(),
                        landlord_id: r.opt_int(4)?.unwrap_or(0),
                        via: r.text(5)?,
                    })
                })
                .collect()
        })
    }

    /// Anonymise the households whose relocation closed before `before` (relocated definitively,
    /// left without solution, or gone): their identifier, operation, composition, resources,
    /// needs and wishes erased; what the indicators count kept (project, status, communes,
    /// rent, charges and housing benefit, CCAS, proposals, relocations). Audited. How many.
    fn purge_households(&self, actor: &Actor, before: chrono::NaiveDate) -> Result<u64> {
        tx::write(self, |tx| {
            let n = tx
                .query(sql::TO_PURGE, &[Value::date(before)])?
                .first()
                .map(|r| r.count(0))
                .transpose()?
                .unwrap_or(0);
            tx.execute(sql::PURGE, &[Value::date(before)])?;
            tx.record(
                actor,
                &Change {
                    entity: "menage",
                    entity_id: "anonymisation".into(),
                    operation_id: None,
                    action: "anonymisation",
                    before: None,
                    after: Some(serde_json::json!({ "avant": before.to_string(), "menages": n })),
                },
            )?;
            Ok(n)
        })
    }

    /// Journal a read of household `id`'s record by `actor` (by its channel: web, api, cli).
    fn record_read(&self, actor: &Actor, id: i64) -> Result<()> {
        self.record_reads(actor, &[id], actor.via.code())
    }

    /// Journal the reads of households `ids` by `actor` through `via` (page, liste, export,
    /// api, cli), in one transaction.
    fn record_reads(&self, actor: &Actor, ids: &[i64], via: &str) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let at = crate::audit::now();
        tx::write(self, |tx| {
            for id in ids {
                tx.execute(
                    sql::INSERT_READ,
                    &[
                        Value::int(at),
                        Value::Int(actor.user_id),
                        Value::text(actor.name.clone()),
                        Value::int(*id),
                        Value::text(via),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// The reads of household `id`'s record: (Unix time, who, by what), the latest first.
    fn reads(&self, id: i64) -> Result<Vec<(i64, String, String)>> {
        tx::read(self, |tx| {
            tx.query(sql::READS, &[Value::int(id)])?
                .iter()
                .map(|r| Ok((r.int(0)?, r.text(1)?, r.text(2)?)))
                .collect()
        })
    }
}

/// This capability's SQL, written once (`$N` parameters in order of first appearance).
pub mod sql {
    pub const HOUSEHOLD_BY_KEY: &str = "SELECT id, reference, landlord_id, project, operation, commune_code, persons, resources_cents, rent_cents, charges_cents, benefit_cents, reduced_mobility, wished, other_commune, status, ccas_origin_id, ccas_destination_id
        FROM relocation_households WHERE landlord_id = $1 AND reference_key = $2";
    pub const INSERT_HOUSEHOLD: &str = "INSERT INTO relocation_households (landlord_id, reference, reference_key, project, operation, commune_code, persons, resources_cents, rent_cents, charges_cents, benefit_cents, reduced_mobility, wished, other_commune, status, ccas_origin_id, ccas_destination_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
    pub const UPDATE_HOUSEHOLD: &str = "UPDATE relocation_households SET project = $1, operation = $2, commune_code = $3, persons = $4, resources_cents = $5, rent_cents = $6, charges_cents = $7, benefit_cents = $8, reduced_mobility = $9, wished = $10, other_commune = $11, status = $12, ccas_origin_id = $13, ccas_destination_id = $14 WHERE id = $15";
    pub const HOUSEHOLDS: &str = "SELECT id, reference, landlord_id, project, operation, commune_code, persons, resources_cents, rent_cents, charges_cents, benefit_cents, reduced_mobility, wished, other_commune, status, ccas_origin_id, ccas_destination_id
        FROM relocation_households ORDER BY landlord_id, reference_key";
    pub const VACANCY_BY_KEY: &str = "SELECT id, reference, landlord_id, commune_code, qpv, rooms, surface_m2, rent_cents, charges_cents, new_or_recent, adapted, financing
        FROM relocation_vacancies WHERE landlord_id = $1 AND reference_key = $2";
    pub const INSERT_VACANCY: &str = "INSERT INTO relocation_vacancies (landlord_id, reference, reference_key, commune_code, qpv, rooms, surface_m2, rent_cents, charges_cents, new_or_recent, adapted, financing)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    pub const UPDATE_VACANCY: &str = "UPDATE relocation_vacancies SET commune_code = $1, qpv = $2, rooms = $3, surface_m2 = $4, rent_cents = $5, charges_cents = $6, new_or_recent = $7, adapted = $8, financing = $9 WHERE id = $10";
    pub const VACANCIES: &str = "SELECT id, reference, landlord_id, commune_code, qpv, rooms, surface_m2, rent_cents, charges_cents, new_or_recent, adapted, financing, status
        FROM relocation_vacancies ORDER BY landlord_id, reference_key";
    pub const INSERT_READ: &str = "INSERT INTO relocation_reads (at, user_id, user_name, household_id, via) VALUES ($1, $2, $3, $4, $5)";
    pub const READS: &str = "SELECT at, user_name, via FROM relocation_reads WHERE household_id = $1 ORDER BY at DESC, id DESC";

    pub const HOUSEHOLD_STATUS: &str =
        "SELECT reference, status FROM relocation_households WHERE id = $1";
    pub const VACANCY_STATUS: &str =
        "SELECT reference, status FROM relocation_vacancies WHERE id = $1";
    pub const PROPOSALS_MADE: &str =
        "SELECT COUNT(*) FROM relocation_proposals WHERE household_id = $1";
    pub const INSERT_PROPOSAL: &str = "INSERT INTO relocation_proposals (household_id, vacancy_id, rank, proposed_on) VALUES ($1, $2, $3, $4) RETURNING id";
    pub const SET_VACANCY_STATUS: &str =
        "UPDATE relocation_vacancies SET status = $1 WHERE id = $2";
    pub const SET_HOUSEHOLD_STATUS: &str =
        "UPDATE relocation_households SET status = $1 WHERE id = $2";
    pub const PROPOSAL: &str =
        "SELECT p.vacancy_id, p.answer, h.reference FROM relocation_proposals p
        JOIN relocation_households h ON h.id = p.household_id WHERE p.id = $1";
    pub const SET_HOUSEHOLD_STATUS_OF_PROPOSAL: &str =
        "UPDATE relocation_households SET status = $1
        WHERE id = (SELECT household_id FROM relocation_proposals WHERE id = $2)";
    pub const OPEN_PROPOSAL: &str = "SELECT id FROM relocation_proposals WHERE household_id = $1 AND vacancy_id = $2 AND answer IN ('sans_reponse', 'acceptee')";
    pub const ACCEPT_OPEN_PROPOSAL: &str =
        "UPDATE relocation_proposals SET answer = 'acceptee', answered_on = $1
        WHERE household_id = $2 AND vacancy_id = $3 AND answer = 'sans_reponse'";
    pub const INSERT_RELOCATION: &str = "INSERT INTO relocations (household_id, vacancy_id, relocated_on, definitive, rent_cents, charges_cents, benefit_cents)
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    pub const ANSWER: &str = "UPDATE relocation_proposals SET answer = $1, refusal_reason = $2, answered_on = $3 WHERE id = $4";
    pub const PROPOSALS: &str = "SELECT p.id, v.reference, p.rank, p.proposed_on, p.answer, p.refusal_reason
        FROM relocation_proposals p JOIN relocation_vacancies v ON v.id = p.vacancy_id WHERE p.household_id = $1 ORDER BY p.rank";

    pub const HOUSEHOLD: &str = "SELECT reference, landlord_id, project, operation, commune_code, persons, resources_cents, rent_cents, charges_cents, benefit_cents, reduced_mobility, wished, other_commune, status, ccas_origin_id, ccas_destination_id
        FROM relocation_households WHERE id = $1";
    pub const RELOCATIONS: &str = "SELECT v.reference, r.relocated_on, r.definitive, r.rent_cents, r.charges_cents, r.benefit_cents
        FROM relocations r LEFT JOIN relocation_vacancies v ON v.id = r.vacancy_id WHERE r.household_id = $1 ORDER BY r.relocated_on, r.id";
    pub const RELOCATION_FACTS: &str = "SELECT r.household_id, r.definitive, r.rent_cents, r.charges_cents, r.benefit_cents, v.commune_code, v.qpv, v.new_or_recent
        FROM relocations r LEFT JOIN relocation_vacancies v ON v.id = r.vacancy_id";
    pub const FREE_TEMPORARY: &str = "UPDATE relocation_vacancies SET status = 'libre'
        WHERE id IN (SELECT vacancy_id FROM relocations WHERE household_id = $1 AND NOT definitive)";
    pub const PROPOSAL_FACTS: &str =
        "SELECT household_id, answer, refusal_reason FROM relocation_proposals";
    pub const INDICATOR_FACTS: &str = "SELECT h.id, h.reference, h.landlord_id, h.project, h.operation, h.commune_code, h.persons, h.resources_cents, h.rent_cents, h.charges_cents, h.benefit_cents, h.reduced_mobility, h.wished, h.other_commune, h.status, h.ccas_origin_id, h.ccas_destination_id
        FROM relocation_households h";
    pub const ALL_READS: &str =
        "SELECT j.at, j.user_name, j.household_id, h.reference, h.landlord_id, j.via
        FROM relocation_reads j LEFT JOIN relocation_households h ON h.id = j.household_id
        ORDER BY j.at DESC, j.id DESC LIMIT $1";

    /// The household's unanswered proposal (of that vacancy when given), the latest first.
    pub const OPEN_PROPOSAL_OF: &str = "SELECT id FROM relocation_proposals
        WHERE household_id = $1 AND answer = 'sans_reponse' AND (vacancy_id = $2 OR $2 IS NULL) ORDER BY rank DESC";

    pub const CLOSE_BY_KEY: &str = "UPDATE relocation_households SET closed_on = COALESCE(closed_on, $1) WHERE landlord_id = $2 AND reference_key = $3";
    pub const REOPEN_BY_KEY: &str = "UPDATE relocation_households SET closed_on = NULL WHERE landlord_id = $1 AND reference_key = $2";
    pub const CLOSE: &str = "UPDATE relocation_households SET closed_on = $1 WHERE id = $2";
    pub const TO_PURGE: &str =
        "SELECT COUNT(*) FROM relocation_households WHERE closed_on < $1 AND NOT anonymised";
    pub const PURGE: &str = "UPDATE relocation_households SET reference = 'anonyme-' || id, reference_key = 'anonyme-' || id, operation = '', persons = 1, resources_cents = 0, reduced_mobility = FALSE, wished = '', other_commune = FALSE, anonymised = TRUE
        WHERE closed_on < $1 AND NOT anonymised";

    pub const ALL: &[&str] = &[
        CLOSE_BY_KEY,
        REOPEN_BY_KEY,
        CLOSE,
        TO_PURGE,
        PURGE,
        OPEN_PROPOSAL_OF,
        HOUSEHOLD,
        RELOCATIONS,
        RELOCATION_FACTS,
        FREE_TEMPORARY,
        PROPOSAL_FACTS,
        INDICATOR_FACTS,
        ALL_READS,
        OPEN_PROPOSAL,
        ACCEPT_OPEN_PROPOSAL,
        INSERT_RELOCATION,
        HOUSEHOLD_STATUS,
        VACANCY_STATUS,
        PROPOSALS_MADE,
        INSERT_PROPOSAL,
        SET_VACANCY_STATUS,
        SET_HOUSEHOLD_STATUS,
        SET_HOUSEHOLD_STATUS_OF_PROPOSAL,
        PROPOSAL,
        ANSWER,
        PROPOSALS,
        HOUSEHOLD_BY_KEY,
        INSERT_HOUSEHOLD,
        UPDATE_HOUSEHOLD,
        HOUSEHOLDS,
        VACANCY_BY_KEY,
        INSERT_VACANCY,
        UPDATE_VACANCY,
        VACANCIES,
        INSERT_READ,
        READS,
    ];
}
