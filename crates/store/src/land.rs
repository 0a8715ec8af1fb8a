//! The land bank as the store keeps it: sites, their parcels, the steps of their life,
//! landlords' expressions of interest, allocations, and the register's operations built on a
//! site. Written once for both backends on [`crate::tx`]: every method is a default method of
//! [`LandStore`], whose SQL both dialects read alike. A site is held by at most one landlord at a
//! time: the code refuses a second allocation with the holder's name, and the database's partial
//! unique index (`land_allocations_in_force`) refuses it whoever writes.

pub mod tenders;

use crate::audit::{Actor, Change};
use crate::register::RowProblem;
use crate::tx::{self, Put, Row, RowResult, Transactions, Tx, Value};
use crate::{Result, StoreError};
use chrono::NaiveDate;
use logis_domain::land::{Constraints, LandOwner, Parcel, Point, SiteDraft, SiteStatus, site_key};
use logis_domain::{CommuneCode, OrgKind};
use serde::Serialize;

/// The landlord holding a site, since when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holding {
    pub landlord_id: i64,
    pub landlord: String,
    pub since: NaiveDate,
    pub reason: String,
}

/// A site with what its pages and reports show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteRecord {
    pub id: i64,
    pub reference: String,
    pub label: String,
    pub commune: CommuneCode,
    pub commune_name: String,
    /// As the land registry writes them (`000 AB 0123`).
    pub parcels: Vec<String>,
    pub area_m2: Option<u64>,
    pub owner: LandOwner,
    pub capacity: Option<u64>,
    pub social_percent: Option<u8>,
    pub status: SiteStatus,
    pub status_date: NaiveDate,
    pub identified_on: NaiveDate,
    pub constraints: Constraints,
    pub documents: String,
    pub point: Option<Point>,
    pub holder: Option<Holding>,
    /// When it was first allocated (even if withdrawn since).
    pub first_allocated_on: Option<NaiveDate>,
    /// When works first started on one of its operations (the earliest « travaux démarrés »,
    /// « livré » or « soldé » of their lines).
    pub first_works_on: Option<NaiveDate>,
    pub interests: u64,
    pub operations: u64,
    /// Dwellings of its operations' lines, and of those delivered.
    pub dwellings: u64,
    pub delivered: u64,
}

impl SiteRecord {
    /// Whether the partnership's landlords, communes and the State see it (the EPCI sees every
    /// site; a site only identified is the EPCI's own work until it is proposed).
    pub fn proposed(&self) -> bool {
        !matches!(self.status, SiteStatus::Identified)
    }
}

/// One step of a site's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteEvent {
    pub status: SiteStatus,
    pub date: NaiveDate,
    pub landlord: Option<String>,
    pub reason: String,
    /// When it was recorded (Unix time) and by whom.
    pub at: i64,
    pub by: String,
}

/// A landlord's expression of interest for a site, with the programme it proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interest {
    pub landlord_id: i64,
    pub landlord: String,
    pub dwellings: Option<u64>,
    /// The products proposed (« PLUS, PLAI, accession »), in the landlord's words.
    pub products: String,
    pub note: String,
    pub date: NaiveDate,
}

/// An interest as a landlord expresses it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewInterest {
    pub dwellings: Option<u64>,
    pub products: String,
    pub note: String,
}

/// An operation of the register built on a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteOperation {
    pub operation_id: i64,
    pub reference: String,
    pub label: String,
    pub landlord_id: i64,
    pub landlord: String,
    pub dwellings: u64,
    pub first_works_on: Option<NaiveDate>,
}

/// What a land bank import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LandImportStats {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// The outcome of a land bank import: committed, or every problem and nothing written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LandImportOutcome {
    pub problems: Vec<RowProblem>,
    pub stats: LandImportStats,
    pub committed: bool,
}

/// The land bank's storage, written once for both backends (adapters: `impl LandStore for … {}`).
pub trait LandStore: Transactions {
    /// Every site, by reference.
    fn sites(&self) -> Result<Vec<SiteRecord>> {
        tx::read(self, |tx| read_sites(tx, None))
    }

    fn site(&self, id: i64) -> Result<Option<SiteRecord>> {
        tx::read(self, |tx| Ok(read_sites(tx, Some(id))?.into_iter().next()))
    }

    /// The site of this reference (as users retype it).
    fn site_id(&self, reference: &str) -> Result<Option<i64>> {
        tx::read(self, |tx| {
            tx.query(sql::SITE_ID, &[Value::text(site_key(reference))])?
                .first()
                .map(|r| r.int(0))
                .transpose()
        })
    }

    /// The steps of a site's life, oldest first.
    fn site_events(&self, id: i64) -> Result<Vec<SiteEvent>> {
        tx::read(self, |tx| {
            tx.query(sql::EVENTS, &[Value::int(id)])?
                .iter()
                .map(|r| {
                    Ok(SiteEvent {
                        status: status_of(&r.text(0)?)?,
                        date: r.date(1)?,
                        landlord: r.opt_text(2)?,
                        reason: r.text(3)?,
                        at: r.int(4)?,
                        by: r.text(5)?,
                    })
                })
                .collect()
        })
    }

    fn site_interests(&self, id: i64) -> Result<Vec<Interest>> {
        tx::read(self, |tx| {
            tx.query(sql::INTERESTS, &[Value::int(id)])?
                .iter()
                .map(|r| {
                    Ok(Interest {
                        landlord_id: r.int(0)?,
                        landlord: r.text(1)?,
                        dwellings: r.opt_count(2)?,
                        products: r.text(3)?,
                        note: r.text(4)?,
                        date: r.date(5)?,
                    })
                })
                .collect()
        })
    }

    fn site_operations(&self, id: i64) -> Result<Vec<SiteOperation>> {
        tx::read(self, |tx| {
            tx.query(sql::SITE_OPERATIONS, &[Value::int(id)])?
                .iter()
                .map(|r| {
                    Ok(SiteOperation {
                        operation_id: r.int(0)?,
                        reference: r.text(1)?,
                        label: r.text(2)?,
                        landlord_id: r.int(3)?,
                        landlord: r.text(4)?,
                        dwellings: r.count(5)?,
                        first_works_on: r.opt_date(6)?,
                    })
                })
                .collect()
        })
    }

    /// Create or update the sites of an import (`rows`: the file's row number and the site),
    /// in one transaction: every problem found (a parcel of another site, a step not allowed, a
    /// site held by another landlord) is reported with its row and nothing is written.
    fn import_sites(&self, actor: &Actor, rows: &[(u64, SiteDraft)]) -> Result<LandImportOutcome> {
        let mut outcome = LandImportOutcome::default();
        let mut seen: std::collections::HashMap<String, u64> = Default::default();
        for (row, d) in rows {
            if let Some(first) = seen.insert(site_key(&d.reference), *row) {
                outcome.problems.push(RowProblem {
                    row: *row,
                    column: "foncier".into(),
                    message: format!(
                        "le foncier « {} » est déjà donné ligne {first} : un foncier par ligne",
                        d.reference
                    ),
                });
            }
        }
        if !outcome.problems.is_empty() {
            return Ok(outcome);
        }
        let today = today();
        let actor = actor.clone();
        let done = tx::import_rows(self, rows, &move |tx, d| put_site(tx, &actor, d, today))?;
        outcome.problems = done.problems;
        outcome.stats = LandImportStats {
            created: done.created,
            updated: done.updated,
            unchanged: done.unchanged,
        };
        outcome.committed = done.committed;
        Ok(outcome)
    }

    /// Create, replace (when different) or leave the tenders of an import, in one transaction.
    fn import_tenders(
        &self,
        actor: &Actor,
        tenders: &[logis_domain::land::tenders::TenderDraft],
    ) -> Result<tenders::TenderImportStats> {
        tx::write(self, |tx| tenders::put_tenders(tx, actor, tenders))
    }

    /// Every grouped tender, by reference.
    fn tenders(&self) -> Result<Vec<tenders::TenderRecord>> {
        tx::read(self, |tx| tenders::read_tenders(tx, None))
    }

    fn tender(&self, id: i64) -> Result<Option<tenders::TenderRecord>> {
        tx::read(self, |tx| {
            Ok(tenders::read_tenders(tx, Some(id))?.into_iter().next())
        })
    }

    /// The register's lines summed for the cost report (one landlord's when given).
    fn cost_lines(&self, landlord: Option<i64>) -> Result<Vec<tenders::CostLine>> {
        tx::read(self, |tx| tenders::read_cost_lines(tx, landlord))
    }

    /// Move a site to a step that no landlord's allocation changes: proposed, interests,
    /// sold, launched, abandoned (an allocation in force ends with an abandonment).
    fn set_site_status(
        &self,
        actor: &Actor,
        id: i64,
        status: SiteStatus,
        date: NaiveDate,
        reason: &str,
    ) -> Result<()> {
        tx::write(self, |tx| {
            let site = locked_site(tx, id)?;
            if status == SiteStatus::Allocated {
                return Err(StoreError::Invalid(
                    messages::ALLOCATE_WITH_A_LANDLORD.into(),
                ));
            }
            if !site.status.may_become(status) {
                return Err(StoreError::Invalid(site.status.refusal(status)));
            }
            if matches!(status, SiteStatus::Sold | SiteStatus::Launched)
                && holding(tx, id)?.is_none()
            {
                return Err(StoreError::Invalid(messages::not_held(
                    &site.reference,
                    status,
                )));
            }
            if status == SiteStatus::Abandoned && reason.trim().is_empty() {
                return Err(StoreError::Invalid(messages::REASON_NEEDED.into()));
            }
            if !status.held() && holding(tx, id)?.is_some() {
                if reason.trim().is_empty() {
                    return Err(StoreError::Invalid(messages::REASON_NEEDED.into()));
                }
                tx.execute(
                    sql::WITHDRAW,
                    &[Value::date(date), Value::text(reason), Value::int(id)],
                )?;
            }
            step(tx, actor, &site, status, date, None, reason)
        })
    }

    /// Allocate a site to a landlord (the EPCI's decision): refused while another allocation
    /// is in force, with the holder's name and date.
    fn allocate_site(
        &self,
        actor: &Actor,
        id: i64,
        landlord_id: i64,
        date: NaiveDate,
        reason: &str,
    ) -> Result<()> {
        tx::write(self, |tx| {
            let site = locked_site(tx, id)?;
            landlord_name(tx, landlord_id)?;
            if let Some(h) = holding(tx, id)? {
                return Err(StoreError::Conflict(messages::already_held(
                    &site.reference,
                    &h,
                )));
            }
            if !site.status.may_become(SiteStatus::Allocated) {
                return Err(StoreError::Invalid(
                    site.status.refusal(SiteStatus::Allocated),
                ));
            }
            if reason.trim().is_empty() {
                return Err(StoreError::Invalid(messages::REASON_NEEDED.into()));
            }
            allocate(tx, id, landlord_id, date, reason)?;
            step(
                tx,
                actor,
                &site,
                SiteStatus::Allocated,
                date,
                Some(landlord_id),
                reason,
            )
        })
    }

    /// End the allocation in force (with its reason): the site goes back to the interests
    /// expressed, or to « proposé » when there are none.
    fn withdraw_site(&self, actor: &Actor, id: i64, date: NaiveDate, reason: &str) -> Result<()> {
        tx::write(self, |tx| {
            let site = locked_site(tx, id)?;
            let Some(h) = holding(tx, id)? else {
                return Err(StoreError::Invalid(messages::nothing_to_withdraw(
                    &site.reference,
                )));
            };
            if reason.trim().is_empty() {
                return Err(StoreError::Invalid(messages::REASON_NEEDED.into()));
            }
            if site.status != SiteStatus::Allocated {
                return Err(StoreError::Invalid(
                    site.status.refusal(SiteStatus::Interests),
                ));
            }
            tx.execute(
                sql::WITHDRAW,
                &[Value::date(date), Value::text(reason), Value::int(id)],
            )?;
            let back = if tx.query(sql::HAS_INTERESTS, &[Value::int(id)])?.is_empty() {
                SiteStatus::Proposed
            } else {
                SiteStatus::Interests
            };
            step(tx, actor, &site, back, date, Some(h.landlord_id), reason)
        })
    }

    /// A landlord's interest for a proposed site (expressed again: replaced).
    fn express_interest(
        &self,
        actor: &Actor,
        id: i64,
        landlord_id: i64,
        date: NaiveDate,
        interest: &NewInterest,
    ) -> Result<()> {
        tx::write(self, |tx| {
            let site = locked_site(tx, id)?;
            landlord_name(tx, landlord_id)?;
            if !matches!(site.status, SiteStatus::Proposed | SiteStatus::Interests) {
                return Err(StoreError::Invalid(messages::not_open(&site)));
            }
            tx.execute(
                sql::PUT_INTEREST,
                &[
                    Value::int(id),
                    Value::int(landlord_id),
                    Value::count(interest.dwellings),
                    Value::text(interest.products.trim()),
                    Value::text(interest.note.trim()),
                    Value::date(date),
                ],
            )?;
            tx.record(
                actor,
                &Change {
                    entity: "foncier",
                    entity_id: site.reference.clone(),
                    operation_id: None,
                    action: "interet",
                    before: None,
                    after: Some(serde_json::json!({
                        "bailleur": landlord_id,
                        "logements": interest.dwellings,
                        "produits": interest.products.trim(),
                        "remarque": interest.note.trim(),
                    })),
                },
            )?;
            if site.status == SiteStatus::Proposed {
                step(
                    tx,
                    actor,
                    &site,
                    SiteStatus::Interests,
                    date,
                    Some(landlord_id),
                    "",
                )?;
            }
            Ok(())
        })
    }

    /// Say that an operation of the register is built on a site: the holder's operation only;
    /// the site's status becomes « opération lancée ».
    fn link_operation(
        &self,
        actor: &Actor,
        id: i64,
        operation_id: i64,
        date: NaiveDate,
    ) -> Result<()> {
        tx::write(self, |tx| {
            let site = locked_site(tx, id)?;
            let Some(h) = holding(tx, id)? else {
                return Err(StoreError::Invalid(messages::not_held(
                    &site.reference,
                    SiteStatus::Launched,
                )));
            };
            let op = tx.query(sql::OPERATION_OWNER, &[Value::int(operation_id)])?;
            let Some(op) = op.first() else {
                return Err(StoreError::NotFound("opération introuvable".into()));
            };
            let (owner, reference) = (op.int(0)?, op.text(1)?);
            if owner != h.landlord_id {
                return Err(StoreError::Invalid(messages::not_the_holders(
                    &reference,
                    &site.reference,
                    &h,
                )));
            }
            if let Some(other) = tx
                .query(sql::OPERATION_SITE, &[Value::int(operation_id)])?
                .first()
            {
                let other = other.text(0)?;
                if other == site.reference {
                    return Ok(());
                }
                return Err(StoreError::Conflict(format!(
                    "l'opération {reference} est déjà rattachée au foncier « {other} »"
                )));
            }
            tx.execute(
                sql::LINK_OPERATION,
                &[Value::int(id), Value::int(operation_id)],
            )?;
            tx.record(
                actor,
                &Change {
                    entity: "foncier",
                    entity_id: site.reference.clone(),
                    operation_id: Some(operation_id),
                    action: "rattachement",
                    before: None,
                    after: Some(serde_json::json!({ "operation": reference })),
                },
            )?;
            if site.status != SiteStatus::Launched {
                step(
                    tx,
                    actor,
                    &site,
                    SiteStatus::Launched,
                    date,
                    Some(h.landlord_id),
                    "",
                )?;
            }
            Ok(())
        })
    }
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn status_of(code: &str) -> Result<SiteStatus> {
    crate::decode(SiteStatus::from_code(code), "le statut du foncier", code)
}

/// The stored form of a site (what an import compares with).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    id: i64,
    reference: String,
    status: SiteStatus,
}

fn locked_site(tx: &mut dyn Tx, id: i64) -> Result<Stored> {
    tx.lock_row("land_sites", id)?;
    let rows = tx.query(sql::SITE_HEAD, &[Value::int(id)])?;
    let r = rows
        .first()
        .ok_or_else(|| StoreError::NotFound("foncier introuvable".into()))?;
    Ok(Stored {
        id,
        reference: r.text(0)?,
        status: status_of(&r.text(1)?)?,
    })
}

fn landlord_name(tx: &mut dyn Tx, id: i64) -> Result<String> {
    let rows = tx.query(sql::ORGANISATION, &[Value::int(id)])?;
    let r = rows
        .first()
        .ok_or_else(|| StoreError::Invalid("organisation inconnue".into()))?;
    let (name, kind) = (r.text(0)?, r.text(1)?);
    if OrgKind::from_code(&kind) != Some(OrgKind::Landlord) {
        return Err(StoreError::Invalid(messages::not_a_landlord(&name)));
    }
    Ok(name)
}

fn holding(tx: &mut dyn Tx, id: i64) -> Result<Option<Holding>> {
    tx.query(sql::HOLDING, &[Value::int(id)])?
        .first()
        .map(|r| {
            Ok(Holding {
                landlord_id: r.int(0)?,
                landlord: r.text(1)?,
                since: r.date(2)?,
                reason: r.text(3)?,
            })
        })
        .transpose()
}

fn allocate(
    tx: &mut dyn Tx,
    id: i64,
    landlord_id: i64,
    date: NaiveDate,
    reason: &str,
) -> Result<()> {
    tx.execute(
        sql::ALLOCATE,
        &[
            Value::int(id),
            Value::int(landlord_id),
            Value::date(date),
            Value::text(reason),
        ],
    )
    .map(|_| ())
    .map_err(|e| match e {
        // (The index refused it: another writer allocated the site in between.)
        StoreError::Conflict(_) => StoreError::Conflict(messages::ALREADY_HELD.into()),
        other => other,
    })
}

/// Record a step: the site's status, its timeline, the audit trail.
fn step(
    tx: &mut dyn Tx,
    actor: &Actor,
    site: &Stored,
    status: SiteStatus,
    date: NaiveDate,
    landlord_id: Option<i64>,
    reason: &str,
) -> Result<()> {
    tx.execute(
        sql::SET_STATUS,
        &[
            Value::text(status.code()),
            Value::date(date),
            Value::int(site.id),
        ],
    )?;
    tx.execute(
        sql::EVENT,
        &[
            Value::int(site.id),
            Value::text(status.code()),
            Value::date(date),
            Value::Int(landlord_id),
            Value::text(reason.trim()),
            Value::int(crate::audit::now()),
            Value::text(actor.name.clone()),
        ],
    )?;
    tx.record(
        actor,
        &Change {
            entity: "foncier",
            entity_id: site.reference.clone(),
            operation_id: None,
            action: "statut",
            before: Some(serde_json::Value::String(site.status.code().into())),
            after: Some(serde_json::json!({
                "statut": status.code(),
                "date": date.to_string(),
                "bailleur": landlord_id,
                "motif": reason.trim(),
            })),
        },
    )
}

/// The values of a site's columns as `SITE_VALUES` binds them (after its id or reference).
fn site_values(d: &SiteDraft) -> Vec<Value> {
    vec![
        Value::text(d.label.clone()),
        Value::text(d.commune.as_str()),
        Value::count(d.area_m2),
        Value::text(d.owner.code()),
        Value::count(d.capacity),
        Value::Int(d.social_percent.map(i64::from)),
        Value::text(d.constraints.zoning.clone()),
        Value::Bool(d.constraints.pollution),
        Value::Bool(d.constraints.flood_risk),
        Value::text(d.constraints.other.clone()),
        Value::text(d.documents.clone()),
        Value::Int(d.point.map(|p| p.lon_e6)),
        Value::Int(d.point.map(|p| p.lat_e6)),
    ]
}

fn draft_json(d: &SiteDraft) -> serde_json::Value {
    serde_json::json!({
        "libelle": d.label,
        "commune": d.commune.as_str(),
        "parcelles": d.parcels.iter().map(Parcel::text).collect::<Vec<_>>(),
        "surface_m2": d.area_m2,
        "proprietaire": d.owner.code(),
        "capacite_logements": d.capacity,
        "part_sociale": d.social_percent,
        "zonage": d.constraints.zoning,
        "pollution": d.constraints.pollution,
        "risque_inondation": d.constraints.flood_risk,
        "contraintes": d.constraints.other,
        "documents": d.documents,
        "lon_e6": d.point.map(|p| p.lon_e6),
        "lat_e6": d.point.map(|p| p.lat_e6),
    })
}

/// Create or update one imported site; a problem of the row is `Ok(Err((column, message)))`.
fn put_site(tx: &mut dyn Tx, actor: &Actor, d: &SiteDraft, today: NaiveDate) -> Result<RowResult> {
    let key = site_key(&d.reference);
    let date = d.status_date.unwrap_or(today);
    let found = tx.query(sql::SITE_BY_KEY, &[Value::text(key.clone())])?;
    let parcels: Vec<String> = d.parcels.iter().map(Parcel::text).collect();
    let existing = match found.first() {
        Some(r) => Some((r.int(0)?, r.text(1)?)),
        None => None,
    };
    // A parcel belongs to one site.
    for p in &parcels {
        if let Some(r) = tx
            .query(
                sql::PARCEL_SITE,
                &[Value::text(d.commune.as_str()), Value::text(p.clone())],
            )?
            .first()
        {
            let (site_id, reference) = (r.int(0)?, r.text(1)?);
            if existing.as_ref().is_none_or(|(id, _)| *id != site_id) {
                return Ok(Err((
                    "parcelles",
                    format!("la parcelle {p} appartient déjà au foncier « {reference} »"),
                )));
            }
        }
    }
    let Some((id, _)) = existing else {
        let mut params = vec![Value::text(d.reference.clone()), Value::text(key)];
        params.extend(site_values(d));
        let identified = d.identified_on.unwrap_or(date).min(date);
        params.extend([Value::date(identified), Value::date(identified)]);
        let id = tx.insert(sql::INSERT_SITE, &params)?;
        put_parcels(tx, id, d, &parcels)?;
        tx.record(
            actor,
            &Change {
                entity: "foncier",
                entity_id: d.reference.clone(),
                operation_id: None,
                action: "creation",
                before: None,
                after: Some(draft_json(d)),
            },
        )?;
        let mut site = Stored {
            id,
            reference: d.reference.clone(),
            status: SiteStatus::Identified,
        };
        step(
            tx,
            actor,
            &site,
            SiteStatus::Identified,
            identified,
            None,
            "",
        )?;
        if let Some(landlord) = d.landlord {
            if let Err(e) = landlord_name(tx, landlord) {
                return Ok(Err(("bailleur", e.to_string())));
            }
            allocate(tx, id, landlord, date, &d.reason)?;
        }
        if d.status != SiteStatus::Identified {
            step(tx, actor, &site, d.status, date, d.landlord, &d.reason)?;
            site.status = d.status;
        }
        return Ok(Ok(Put::Created));
    };
    tx.lock_row("land_sites", id)?;
    let before = read_sites(tx, Some(id))?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("foncier introuvable".into()))?;
    let site = Stored {
        id,
        reference: before.reference.clone(),
        status: before.status,
    };
    let same_values = before.label == d.label
        && before.commune == d.commune
        && before.parcels == parcels
        && before.area_m2 == d.area_m2
        && before.owner == d.owner
        && before.capacity == d.capacity
        && before.social_percent == d.social_percent
        && before.constraints == d.constraints
        && before.documents == d.documents
        && before.point == d.point;
    let held_by = before.holder.as_ref().map(|h| h.landlord_id);
    let same_holder = held_by == d.landlord || (!d.status.held() && held_by.is_none());
    if same_values && before.status == d.status && same_holder {
        return Ok(Ok(Put::Unchanged));
    }
    // A step the file is behind (an operation rattached since, a sale recorded on the page)
    // keeps the site where it is; a step that is not allowed is refused.
    let moves = before.status != d.status && before.status.may_become(d.status);
    let behind = before.status != SiteStatus::Abandoned
        && d.status != SiteStatus::Abandoned
        && d.status.rank() < before.status.rank()
        && !moves;
    if before.status != d.status && !moves && !behind {
        return Ok(Err(("statut", before.status.refusal(d.status))));
    }
    if same_values && same_holder && behind {
        return Ok(Ok(Put::Unchanged));
    }
    if !same_values {
        let mut params = site_values(d);
        params.push(Value::int(id));
        tx.execute(sql::UPDATE_SITE, &params)?;
        put_parcels(tx, id, d, &parcels)?;
        tx.record(
            actor,
            &Change {
                entity: "foncier",
                entity_id: d.reference.clone(),
                operation_id: None,
                action: "modification",
                before: None,
                after: Some(draft_json(d)),
            },
        )?;
    }
    match (&before.holder, d.landlord) {
        (Some(h), Some(l)) if h.landlord_id != l => {
            return Ok(Err(("bailleur", messages::already_held(&d.reference, h))));
        }
        (None, Some(l)) => {
            if let Err(e) = landlord_name(tx, l) {
                return Ok(Err(("bailleur", e.to_string())));
            }
            allocate(tx, id, l, date, &d.reason)?;
        }
        (Some(_), None) => {
            if d.reason.trim().is_empty() {
                return Ok(Err(("motif", messages::REASON_NEEDED.to_string())));
            }
            tx.execute(
                sql::WITHDRAW,
                &[
                    Value::date(date),
                    Value::text(d.reason.clone()),
                    Value::int(id),
                ],
            )?;
        }
        _ => {}
    }
    if moves {
        if d.status == SiteStatus::Abandoned && d.reason.trim().is_empty() {
            return Ok(Err(("motif", messages::REASON_NEEDED.to_string())));
        }
        step(tx, actor, &site, d.status, date, d.landlord, &d.reason)?;
    }
    Ok(Ok(Put::Updated))
}

fn put_parcels(tx: &mut dyn Tx, id: i64, d: &SiteDraft, parcels: &[String]) -> Result<()> {
    tx.execute(sql::DELETE_PARCELS, &[Value::int(id)])?;
    for p in parcels {
        tx.execute(
            sql::INSERT_PARCEL,
            &[
                Value::int(id),
                Value::text(d.commune.as_str()),
                Value::text(p.clone()),
            ],
        )?;
    }
    Ok(())
}

fn read_sites(tx: &mut dyn Tx, id: Option<i64>) -> Result<Vec<SiteRecord>> {
    let (sites_sql, parcels_sql, params) = match id {
        Some(id) => (sql::SITE, sql::SITE_PARCELS, vec![Value::int(id)]),
        None => (sql::SITES, sql::ALL_PARCELS, Vec::new()),
    };
    let mut parcels: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for r in tx.query(parcels_sql, &params)? {
        parcels.entry(r.int(0)?).or_default().push(r.text(1)?);
    }
    tx.query(sites_sql, &params)?
        .iter()
        .map(|r| site_of(r, &mut parcels))
        .collect()
}

fn site_of(
    r: &Row,
    parcels: &mut std::collections::HashMap<i64, Vec<String>>,
) -> Result<SiteRecord> {
    let id = r.int(0)?;
    let commune = r.text(3)?;
    let owner = r.text(6)?;
    let point = match (r.opt_int(18)?, r.opt_int(19)?) {
        (Some(lon_e6), Some(lat_e6)) => Some(Point { lon_e6, lat_e6 }),
        _ => None,
    };
    let holder = match r.opt_int(20)? {
        Some(landlord_id) => Some(Holding {
            landlord_id,
            landlord: r.text(21)?,
            since: r.date(22)?,
            reason: r.text(23)?,
        }),
        None => None,
    };
    Ok(SiteRecord {
        id,
        reference: r.text(1)?,
        label: r.text(2)?,
        commune: CommuneCode::parse(&commune).map_err(|e| StoreError::Backend(e.0))?,
        commune_name: r.text(4)?,
        parcels: parcels.remove(&id).unwrap_or_default(),
        area_m2: r.opt_count(5)?,
        owner: crate::decode(LandOwner::from_code(&owner), "le propriétaire", &owner)?,
        capacity: r.opt_count(7)?,
        social_percent: r.opt_count(8)?.and_then(|v| u8::try_from(v).ok()),
        status: status_of(&r.text(9)?)?,
        status_date: r.date(10)?,
        identified_on: r.date(11)?,
        constraints: Constraints {
            zoning: r.text(12)?,
            pollution: r.opt_bool(13)?,
            flood_risk: r.opt_bool(14)?,
            other: r.text(15)?,
        },
        documents: r.text(16)?,
        point,
        holder,
        first_allocated_on: r.opt_date(24)?,
        first_works_on: r.opt_date(25)?,
        interests: r.count(26)?,
        operations: r.count(27)?,
        dwellings: r.count(28)?,
        delivered: r.count(29)?,
        // (column 17 is the reference key, read for the order only)
    })
}

/// The French refusals of the land bank, the same from both backends.
pub mod messages {
    use super::{Holding, Stored};
    use logis_domain::land::SiteStatus;
    use logis_domain::numbers::format_date_fr;

    pub const REASON_NEEDED: &str =
        "donnez le motif de cette décision (il est gardé dans l'historique du foncier)";
    pub const ALLOCATE_WITH_A_LANDLORD: &str =
        "un foncier s'attribue à un bailleur : utilisez « attribuer » en nommant le bailleur";
    pub const ALREADY_HELD: &str =
        "le foncier vient d'être attribué à un autre bailleur : rechargez sa page";

    /// « le foncier … est déjà attribué à … depuis le … »
    pub fn already_held(reference: &str, h: &Holding) -> String {
        format!(
            "le foncier « {reference} » est déjà attribué à {} depuis le {} : retirez d'abord cette attribution (avec son motif)",
            h.landlord,
            format_date_fr(h.since)
        )
    }

    pub fn not_a_landlord(name: &str) -> String {
        format!("{name} n'est pas un bailleur : un foncier n'est attribué qu'à un bailleur")
    }

    pub fn not_held(reference: &str, status: SiteStatus) -> String {
        format!(
            "le foncier « {reference} » n'est attribué à aucun bailleur : il ne peut pas passer à « {} »",
            status.label()
        )
    }

    pub fn nothing_to_withdraw(reference: &str) -> String {
        format!("le foncier « {reference} » n'est attribué à aucun bailleur : rien à retirer")
    }

    pub(super) fn not_open(site: &Stored) -> String {
        format!(
            "le foncier « {} » n'est pas ouvert aux intérêts des bailleurs (statut : {})",
            site.reference,
            site.status.label()
        )
    }

    pub fn not_the_holders(operation: &str, reference: &str, h: &Holding) -> String {
        format!(
            "l'opération {operation} n'est pas de {}, à qui le foncier « {reference} » est attribué",
            h.landlord
        )
    }
}

/// This capability's SQL, written once (`$N` parameters in order of first appearance).
pub mod sql {
    macro_rules! site_select {
        ($tail:literal) => {
            concat!(
                "SELECT s.id, s.reference, s.label, s.commune_code, c.name, s.area_m2, s.owner, s.capacity,
        s.social_percent, s.status, s.status_date, s.identified_on, s.zoning, s.pollution, s.flood_risk, s.constraints,
        s.documents, s.reference_key, s.lon_e6, s.lat_e6,
        a.landlord_id, o.name, a.allocated_on, a.reason,
        (SELECT MIN(x.allocated_on) FROM land_allocations x WHERE x.site_id = s.id),
        (SELECT MIN(e.event_date) FROM land_site_operations so JOIN operation_lines l ON l.operation_id = so.operation_id
           JOIN stage_events e ON e.line_id = l.id
           WHERE so.site_id = s.id AND e.stage IN ('works_started', 'delivered', 'closed')),
        (SELECT COUNT(*) FROM land_interests i WHERE i.site_id = s.id),
        (SELECT COUNT(*) FROM land_site_operations so WHERE so.site_id = s.id),
        (SELECT CAST(COALESCE(SUM(l.dwellings), 0) AS BIGINT) FROM land_site_operations so JOIN operation_lines l ON l.operation_id = so.operation_id
           WHERE so.site_id = s.id),
        (SELECT CAST(COALESCE(SUM(l.dwellings), 0) AS BIGINT) FROM land_site_operations so JOIN operation_lines l ON l.operation_id = so.operation_id
           WHERE so.site_id = s.id AND l.stage IN ('delivered', 'closed'))
        FROM land_sites s JOIN communes c ON c.code = s.commune_code
        LEFT JOIN land_allocations a ON a.site_id = s.id AND a.withdrawn_on IS NULL
        LEFT JOIN organisations o ON o.id = a.landlord_id ",
                $tail
            )
        };
    }

    pub const SITES: &str = site_select!("ORDER BY s.reference_key");
    pub const SITE: &str = site_select!("WHERE s.id = $1");
    pub const ALL_PARCELS: &str =
        "SELECT site_id, parcel FROM land_parcels ORDER BY site_id, parcel";
    pub const SITE_PARCELS: &str =
        "SELECT site_id, parcel FROM land_parcels WHERE site_id = $1 ORDER BY parcel";
    pub const SITE_ID: &str = "SELECT id FROM land_sites WHERE reference_key = $1";
    pub const SITE_BY_KEY: &str = "SELECT id, reference FROM land_sites WHERE reference_key = $1";
    pub const SITE_HEAD: &str = "SELECT reference, status FROM land_sites WHERE id = $1";
    pub const PARCEL_SITE: &str =
        "SELECT s.id, s.reference FROM land_parcels p JOIN land_sites s ON s.id = p.site_id
        WHERE p.commune_code = $1 AND p.parcel = $2";
    pub const INSERT_SITE: &str = "INSERT INTO land_sites (reference, reference_key, label, commune_code, area_m2, owner,
        capacity, social_percent, zoning, pollution, flood_risk, constraints, documents, lon_e6, lat_e6, status,
        status_date, identified_on)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'identifie', $16, $17) RETURNING id";
    pub const UPDATE_SITE: &str = "UPDATE land_sites SET label = $1, commune_code = $2, area_m2 = $3, owner = $4,
        capacity = $5, social_percent = $6, zoning = $7, pollution = $8, flood_risk = $9, constraints = $10,
        documents = $11, lon_e6 = $12, lat_e6 = $13 WHERE id = $14";
    pub const DELETE_PARCELS: &str = "DELETE FROM land_parcels WHERE site_id = $1";
    pub const INSERT_PARCEL: &str =
        "INSERT INTO land_parcels (site_id, commune_code, parcel) VALUES ($1, $2, $3)";
    pub const SET_STATUS: &str =
        "UPDATE land_sites SET status = $1, status_date = $2 WHERE id = $3";
    pub const EVENT: &str =
        "INSERT INTO land_events (site_id, status, event_date, landlord_id, reason, at, user_name)
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    pub const EVENTS: &str = "SELECT e.status, e.event_date, o.name, e.reason, e.at, e.user_name FROM land_events e
        LEFT JOIN organisations o ON o.id = e.landlord_id WHERE e.site_id = $1 ORDER BY e.event_date, e.id";
    pub const HOLDING: &str = "SELECT a.landlord_id, o.name, a.allocated_on, a.reason FROM land_allocations a
        JOIN organisations o ON o.id = a.landlord_id WHERE a.site_id = $1 AND a.withdrawn_on IS NULL";
    pub const ALLOCATE: &str = "INSERT INTO land_allocations (site_id, landlord_id, allocated_on, reason) VALUES ($1, $2, $3, $4)";
    pub const WITHDRAW: &str =
        "UPDATE land_allocations SET withdrawn_on = $1, withdrawal_reason = $2
        WHERE site_id = $3 AND withdrawn_on IS NULL";
    pub const ORGANISATION: &str = "SELECT name, kind FROM organisations WHERE id = $1";
    pub const HAS_INTERESTS: &str = "SELECT 1 FROM land_interests WHERE site_id = $1";
    pub const INTERESTS: &str =
        "SELECT i.landlord_id, o.name, i.dwellings, i.products, i.note, i.expressed_on
        FROM land_interests i JOIN organisations o ON o.id = i.landlord_id WHERE i.site_id = $1
        ORDER BY i.expressed_on, i.id";
    pub const PUT_INTEREST: &str = "INSERT INTO land_interests (site_id, landlord_id, dwellings, products, note, expressed_on)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (site_id, landlord_id) DO UPDATE SET dwellings = excluded.dwellings, products = excluded.products,
        note = excluded.note, expressed_on = excluded.expressed_on";
    pub const OPERATION_OWNER: &str = "SELECT landlord_id, reference FROM operations WHERE id = $1";
    pub const OPERATION_SITE: &str =
        "SELECT s.reference FROM land_site_operations so JOIN land_sites s ON s.id = so.site_id
        WHERE so.operation_id = $1";
    pub const LINK_OPERATION: &str =
        "INSERT INTO land_site_operations (site_id, operation_id) VALUES ($1, $2)";
    pub const SITE_OPERATIONS: &str = "SELECT op.id, op.reference, COALESCE(op.label, ''), op.landlord_id, o.name,
        (SELECT CAST(COALESCE(SUM(l.dwellings), 0) AS BIGINT) FROM operation_lines l WHERE l.operation_id = op.id),
        (SELECT MIN(e.event_date) FROM operation_lines l JOIN stage_events e ON e.line_id = l.id
           WHERE l.operation_id = op.id AND e.stage IN ('works_started', 'delivered', 'closed'))
        FROM land_site_operations so JOIN operations op ON op.id = so.operation_id
        JOIN organisations o ON o.id = op.landlord_id WHERE so.site_id = $1 ORDER BY o.name, op.reference";

    /// Every text above, for the test of their parameters' order.
    pub const ALL: &[&str] = &[
        SITES,
        SITE,
        ALL_PARCELS,
        SITE_PARCELS,
        SITE_ID,
        SITE_BY_KEY,
        SITE_HEAD,
        PARCEL_SITE,
        INSERT_SITE,
        UPDATE_SITE,
        DELETE_PARCELS,
        INSERT_PARCEL,
        SET_STATUS,
        EVENT,
        EVENTS,
        HOLDING,
        ALLOCATE,
        WITHDRAW,
        ORGANISATION,
        HAS_INTERESTS,
        INTERESTS,
        PUT_INTEREST,
        OPERATION_OWNER,
        OPERATION_SITE,
        LINK_OPERATION,
        SITE_OPERATIONS,
    ];
}
