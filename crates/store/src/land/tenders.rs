//! Grouped tenders and the cost of production, as the store keeps them (on [`crate::tx`], for
//! both backends): a tender imported again replaces its lots and members in one transaction,
//! or changes nothing when they are the same; the cost lines are one SQL aggregate of the
//! register's lines, pooled (in a tender) or not.

use crate::audit::{Actor, Change};
use crate::tx::{Tx, Value};
use crate::{Result, StoreError};
use chrono::NaiveDate;
use logis_domain::land::tenders::{TenderDraft, WorksKind, tender_key};
use serde::Serialize;

/// One operation a lot covers, as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotOperationRecord {
    pub operation_id: i64,
    pub reference: String,
    pub landlord_id: i64,
    pub landlord: String,
    pub estimate_cents: Option<i64>,
    pub awarded_cents: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotRecord {
    pub name: String,
    pub company_siret: Option<String>,
    pub awarded_on: Option<NaiveDate>,
    pub operations: Vec<LotOperationRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenderRecord {
    pub id: i64,
    pub reference: String,
    pub coordinator_id: i64,
    pub coordinator: String,
    pub works: WorksKind,
    pub published_on: Option<NaiveDate>,
    pub awarded_on: Option<NaiveDate>,
    pub works_start_on: Option<NaiveDate>,
    /// (id, name), by name.
    pub members: Vec<(i64, String)>,
    pub lots: Vec<LotRecord>,
}

impl TenderRecord {
    /// Estimate, award and saving (estimate − award) of `landlord`'s operations (every
    /// member's when `None`), over the operations with both amounts.
    pub fn saving(&self, landlord: Option<i64>) -> (i64, i64, i64) {
        let (mut est, mut award) = (0, 0);
        for o in self.lots.iter().flat_map(|l| &l.operations) {
            if landlord.is_some_and(|id| id != o.landlord_id) {
                continue;
            }
            if let (Some(e), Some(a)) = (o.estimate_cents, o.awarded_cents) {
                est += e;
                award += a;
            }
        }
        (est, award, est - award)
    }
}

/// The sums of the register's lines for one landlord × nature × product × year, pooled or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostLine {
    pub landlord_id: i64,
    pub landlord: String,
    pub nature: String,
    pub product: String,
    pub year: i32,
    pub pooled: bool,
    pub operations: u64,
    pub dwellings: u64,
    /// Dwellings of the lines with a cost price (the divisor of the cost per dwelling).
    pub dwellings_with_cost: u64,
    pub cost_cents: i64,
    pub surface_m2: u64,
    /// Cost and surface of the lines with both (the cost per m²).
    pub cost_with_surface_cents: i64,
    pub surface_with_cost_m2: u64,
    pub operations_without_cost: u64,
    pub operations_without_surface: u64,
}

/// What a tenders import changed, by tender.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TenderImportStats {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// A tender's content in a comparable form (members, lots, operations, amounts).
fn snapshot(d: &TenderDraft) -> serde_json::Value {
    let mut lots: Vec<serde_json::Value> = d
        .lots
        .iter()
        .map(|l| {
            let mut ops: Vec<(i64, Option<i64>, Option<i64>)> = l
                .operations
                .iter()
                .map(|o| {
                    (
                        o.operation_id,
                        o.estimate.map(|e| e.cents()),
                        o.awarded.map(|a| a.cents()),
                    )
                })
                .collect();
            ops.sort();
            serde_json::json!({
                "lot": l.name,
                "siret": l.company.as_ref().map(|s| s.as_str().to_string()),
                "attribue_le": l.awarded_on.map(|d| d.to_string()),
                "operations": ops,
            })
        })
        .collect();
    lots.sort_by_key(|v| v["lot"].as_str().map(tender_key).unwrap_or_default());
    let mut members = d.members.clone();
    members.sort_unstable();
    serde_json::json!({
        "appel": d.reference,
        "coordinateur": d.coordinator,
        "membres": members,
        "nature_travaux": d.works.code(),
        "date_publication": d.published_on.map(|x| x.to_string()),
        "date_attribution": d.awarded_on.map(|x| x.to_string()),
        "date_demarrage": d.works_start_on.map(|x| x.to_string()),
        "lots": lots,
    })
}

fn stored_snapshot(t: &TenderRecord) -> serde_json::Value {
    let draft = TenderDraft {
        reference: t.reference.clone(),
        coordinator: t.coordinator_id,
        members: t.members.iter().map(|m| m.0).collect(),
        works: t.works,
        published_on: t.published_on,
        awarded_on: t.awarded_on,
        works_start_on: t.works_start_on,
        lots: t
            .lots
            .iter()
            .map(|l| logis_domain::land::tenders::LotDraft {
                name: l.name.clone(),
                company: l
                    .company_siret
                    .as_deref()
                    .and_then(|s| logis_domain::Siret::parse(s).ok()),
                awarded_on: l.awarded_on,
                operations: l
                    .operations
                    .iter()
                    .map(|o| logis_domain::land::tenders::LotOperation {
                        operation_id: o.operation_id,
                        estimate: o
                            .estimate_cents
                            .and_then(|c| logis_domain::Euros::from_cents(c).ok()),
                        awarded: o
                            .awarded_cents
                            .and_then(|c| logis_domain::Euros::from_cents(c).ok()),
                    })
                    .collect(),
            })
            .collect(),
    };
    snapshot(&draft)
}

/// Create, replace or leave each tender of an import, in the caller's transaction.
pub(crate) fn put_tenders(
    tx: &mut dyn Tx,
    actor: &Actor,
    tenders: &[TenderDraft],
) -> Result<TenderImportStats> {
    let mut stats = TenderImportStats::default();
    for d in tenders {
        let key = tender_key(&d.reference);
        let found = tx.query(sql::TENDER_ID, &[Value::text(key.clone())])?;
        let existing = found.first().map(|r| r.int(0)).transpose()?;
        let before = match existing {
            Some(id) => read_tenders(tx, Some(id))?.into_iter().next(),
            None => None,
        };
        let after = snapshot(d);
        if before.as_ref().map(stored_snapshot).as_ref() == Some(&after) {
            stats.unchanged += 1;
            continue;
        }
        let head = [
            Value::text(d.reference.clone()),
            Value::int(d.coordinator),
            Value::text(d.works.code()),
            Value::Date(d.published_on),
            Value::Date(d.awarded_on),
            Value::Date(d.works_start_on),
        ];
        let id = match existing {
            Some(id) => {
                let mut params = head.to_vec();
                params.push(Value::int(id));
                tx.execute(sql::UPDATE_TENDER, &params)?;
                tx.execute(sql::DELETE_LOTS, &[Value::int(id)])?;
                tx.execute(sql::DELETE_MEMBERS, &[Value::int(id)])?;
                stats.updated += 1;
                id
            }
            None => {
                let mut params = vec![Value::text(key)];
                params.extend(head);
                stats.created += 1;
                tx.insert(sql::INSERT_TENDER, &params)?
            }
        };
        for m in &d.members {
            tx.execute(sql::INSERT_MEMBER, &[Value::int(id), Value::int(*m)])?;
        }
        for lot in &d.lots {
            let lot_id = tx.insert(
                sql::INSERT_LOT,
                &[
                    Value::int(id),
                    Value::text(lot.name.clone()),
                    Value::Text(lot.company.as_ref().map(|s| s.as_str().to_string())),
                    Value::Date(lot.awarded_on),
                ],
            )?;
            for o in &lot.operations {
                tx.execute(
                    sql::INSERT_LOT_OPERATION,
                    &[
                        Value::int(lot_id),
                        Value::int(o.operation_id),
                        Value::Int(o.estimate.map(|e| e.cents())),
                        Value::Int(o.awarded.map(|a| a.cents())),
                    ],
                )?;
            }
        }
        tx.record(
            actor,
            &Change {
                entity: "appel_offres",
                entity_id: d.reference.clone(),
                operation_id: None,
                action: if before.is_some() {
                    "modification"
                } else {
                    "creation"
                },
                before: before.as_ref().map(stored_snapshot),
                after: Some(after),
            },
        )?;
    }
    Ok(stats)
}

/// Every tender (or the one of `id`), by reference, with its members and lots.
pub(crate) fn read_tenders(tx: &mut dyn Tx, id: Option<i64>) -> Result<Vec<TenderRecord>> {
    let params: Vec<Value> = id.map(Value::int).into_iter().collect();
    let (heads, members, ops) = match id {
        Some(_) => (sql::TENDER, sql::TENDER_MEMBERS, sql::TENDER_OPERATIONS),
        None => (sql::TENDERS, sql::ALL_MEMBERS, sql::ALL_OPERATIONS),
    };
    let mut out: Vec<TenderRecord> = Vec::new();
    for r in tx.query(heads, &params)? {
        let works = r.text(4)?;
        out.push(TenderRecord {
            id: r.int(0)?,
            reference: r.text(1)?,
            coordinator_id: r.int(2)?,
            coordinator: r.text(3)?,
            works: crate::decode(
                WorksKind::from_code(&works),
                "la nature des travaux",
                &works,
            )?,
            published_on: r.opt_date(5)?,
            awarded_on: r.opt_date(6)?,
            works_start_on: r.opt_date(7)?,
            members: Vec::new(),
            lots: Vec::new(),
        });
    }
    let index: std::collections::HashMap<i64, usize> =
        out.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    for r in tx.query(members, &params)? {
        if let Some(t) = index.get(&r.int(0)?).and_then(|i| out.get_mut(*i)) {
            t.members.push((r.int(1)?, r.text(2)?));
        }
    }
    for r in tx.query(ops, &params)? {
        let Some(t) = index.get(&r.int(0)?).and_then(|i| out.get_mut(*i)) else {
            continue;
        };
        let name = r.text(1)?;
        if t.lots.last().is_none_or(|l| l.name != name) {
            t.lots.push(LotRecord {
                name,
                company_siret: r.opt_text(2)?,
                awarded_on: r.opt_date(3)?,
                operations: Vec::new(),
            });
        }
        if let (Some(lot), Some(op)) = (t.lots.last_mut(), r.opt_int(4)?) {
            lot.operations.push(LotOperationRecord {
                operation_id: op,
                reference: r.text(5)?,
                landlord_id: r.int(6)?,
                landlord: r.text(7)?,
                estimate_cents: r.opt_int(8)?,
                awarded_cents: r.opt_int(9)?,
            });
        }
    }
    Ok(out)
}

/// The cost lines of the register (landlord × nature × product × year × pooled), for
/// `landlord` only when given.
pub(crate) fn read_cost_lines(tx: &mut dyn Tx, landlord: Option<i64>) -> Result<Vec<CostLine>> {
    tx.query(sql::COST_LINES, &[Value::Int(landlord)])?
        .iter()
        .map(|r| {
            Ok(CostLine {
                landlord_id: r.int(0)?,
                landlord: r.text(1)?,
                nature: r.text(2)?,
                product: r.text(3)?,
                year: i32::try_from(r.int(4)?).map_err(|e| StoreError::Backend(e.to_string()))?,
                pooled: r.int(5)? != 0,
                operations: r.count(6)?,
                dwellings: r.count(7)?,
                dwellings_with_cost: r.count(8)?,
                cost_cents: r.int(9)?,
                surface_m2: r.count(10)?,
                cost_with_surface_cents: r.int(11)?,
                surface_with_cost_m2: r.count(12)?,
                operations_without_cost: r.count(13)?,
                operations_without_surface: r.count(14)?,
            })
        })
        .collect()
}

/// This part's SQL, written once (`$N` parameters in order of first appearance).
pub mod sql {
    pub const TENDER_ID: &str = "SELECT id FROM tenders WHERE reference_key = $1";
    pub const INSERT_TENDER: &str = "INSERT INTO tenders (reference_key, reference, coordinator_id, works, published_on, awarded_on, works_start_on)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    pub const UPDATE_TENDER: &str =
        "UPDATE tenders SET reference = $1, coordinator_id = $2, works = $3, published_on = $4,
        awarded_on = $5, works_start_on = $6 WHERE id = $7";
    pub const DELETE_LOTS: &str = "DELETE FROM tender_lots WHERE tender_id = $1";
    pub const DELETE_MEMBERS: &str = "DELETE FROM tender_members WHERE tender_id = $1";
    pub const INSERT_MEMBER: &str =
        "INSERT INTO tender_members (tender_id, landlord_id) VALUES ($1, $2)";
    pub const INSERT_LOT: &str = "INSERT INTO tender_lots (tender_id, name, company_siret, awarded_on) VALUES ($1, $2, $3, $4) RETURNING id";
    pub const INSERT_LOT_OPERATION: &str =
        "INSERT INTO tender_operations (lot_id, operation_id, estimate_cents, awarded_cents)
        VALUES ($1, $2, $3, $4)";
    macro_rules! heads {
        ($tail:literal) => {
            concat!(
                "SELECT t.id, t.reference, t.coordinator_id, o.name, t.works, t.published_on, t.awarded_on, t.works_start_on
        FROM tenders t JOIN organisations o ON o.id = t.coordinator_id ",
                $tail
            )
        };
    }
    pub const TENDERS: &str = heads!("ORDER BY t.reference_key");
    pub const TENDER: &str = heads!("WHERE t.id = $1");
    macro_rules! members {
        ($tail:literal) => {
            concat!(
                "SELECT m.tender_id, m.landlord_id, o.name FROM tender_members m JOIN organisations o ON o.id = m.landlord_id ",
                $tail
            )
        };
    }
    pub const ALL_MEMBERS: &str = members!("ORDER BY m.tender_id, o.name");
    pub const TENDER_MEMBERS: &str = members!("WHERE m.tender_id = $1 ORDER BY o.name");
    macro_rules! operations {
        ($tail:literal) => {
            concat!(
                "SELECT lt.tender_id, lt.name, lt.company_siret, lt.awarded_on, op.id, op.reference, op.landlord_id, o.name,
           tp.estimate_cents, tp.awarded_cents
        FROM tender_lots lt LEFT JOIN tender_operations tp ON tp.lot_id = lt.id
        LEFT JOIN operations op ON op.id = tp.operation_id LEFT JOIN organisations o ON o.id = op.landlord_id ",
                $tail
            )
        };
    }
    pub const ALL_OPERATIONS: &str =
        operations!("ORDER BY lt.tender_id, lt.id, o.name, op.reference");
    pub const TENDER_OPERATIONS: &str =
        operations!("WHERE lt.tender_id = $1 ORDER BY lt.tender_id, lt.id, o.name, op.reference");
    /// The register's lines summed by landlord, nature, product, year and pooled or not.
    pub const COST_LINES: &str = "SELECT o.landlord_id, org.name, l.nature, l.product, l.year,
          CASE WHEN EXISTS (SELECT 1 FROM tender_operations tp WHERE tp.operation_id = o.id) THEN 1 ELSE 0 END AS pooled,
          COUNT(DISTINCT o.id),
          CAST(SUM(l.dwellings) AS BIGINT),
          CAST(SUM(CASE WHEN l.cost_cents IS NULL THEN 0 ELSE l.dwellings END) AS BIGINT),
          CAST(COALESCE(SUM(l.cost_cents), 0) AS BIGINT),
          CAST(COALESCE(SUM(l.surface_m2), 0) AS BIGINT),
          CAST(SUM(CASE WHEN l.cost_cents IS NULL OR l.surface_m2 IS NULL THEN 0 ELSE l.cost_cents END) AS BIGINT),
          CAST(SUM(CASE WHEN l.cost_cents IS NULL OR l.surface_m2 IS NULL THEN 0 ELSE l.surface_m2 END) AS BIGINT),
          COUNT(DISTINCT CASE WHEN l.cost_cents IS NULL THEN o.id END),
          COUNT(DISTINCT CASE WHEN l.surface_m2 IS NULL THEN o.id END)
        FROM operations o JOIN operation_lines l ON l.operation_id = o.id JOIN organisations org ON org.id = o.landlord_id
        WHERE (CAST($1 AS BIGINT) IS NULL OR o.landlord_id = $1) AND l.nature <> 'demolition'
        GROUP BY o.landlord_id, org.name, l.nature, l.product, l.year, 6
        ORDER BY org.name, l.nature, l.product, l.year, 6";

    pub const ALL: &[&str] = &[
        TENDER_ID,
        INSERT_TENDER,
        UPDATE_TENDER,
        DELETE_LOTS,
        DELETE_MEMBERS,
        INSERT_MEMBER,
        INSERT_LOT,
        INSERT_LOT_OPERATION,
        TENDERS,
        TENDER,
        ALL_MEMBERS,
        TENDER_MEMBERS,
        ALL_OPERATIONS,
        TENDER_OPERATIONS,
        COST_LINES,
    ];
}
