//! The settlement observatory as the store keeps it (issue 21), written once on [`crate::tx`]:
//! the first-quartile thresholds, and the leases signed, one row per landlord's lease.

pub mod occupancy;

use crate::Result;
use crate::audit::{Actor, Change};
use crate::tx::{self, Imported, Put, Row, RowResult, Transactions, Tx, Value};
use logis_domain::CommuneCode;
use logis_domain::settlement::{LeaseDraft, ReservationHolder, Resources};

pub mod sql {
    pub const DELETE_THRESHOLD: &str =
        "DELETE FROM q1_thresholds WHERE year = $1 AND epci_siren = $2";
    pub const INSERT_THRESHOLD: &str =
        "INSERT INTO q1_thresholds (year, epci_siren, amount_cents) VALUES ($1, $2, $3)";
    pub const THRESHOLDS: &str =
        "SELECT year, epci_siren, amount_cents FROM q1_thresholds ORDER BY year, epci_siren";
    pub const LEASE: &str = "SELECT signed, commune_code, in_qpv, qpv, dwelling, holder, resources_cents, quartile, relocated, dalo, priority, persons, landlord_id, lease
        FROM leases WHERE landlord_id = $1 AND lease = $2";
    pub const DELETE_LEASE: &str = "DELETE FROM leases WHERE landlord_id = $1 AND lease = $2";
    pub const INSERT_LEASE: &str = "INSERT INTO leases (landlord_id, lease, signed, commune_code, in_qpv, qpv, dwelling, holder, resources_cents, quartile, relocated, dalo, priority, persons)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
    pub const LEASES: &str = "SELECT signed, commune_code, in_qpv, qpv, dwelling, holder, resources_cents, quartile, relocated, dalo, priority, persons, landlord_id, lease
        FROM leases ORDER BY signed, landlord_id, lease";
    pub const ALL: &[&str] = &[
        DELETE_THRESHOLD,
        INSERT_THRESHOLD,
        THRESHOLDS,
        LEASE,
        DELETE_LEASE,
        INSERT_LEASE,
        LEASES,
    ];
}

fn lease_of(r: &Row) -> Result<LeaseDraft> {
    let bad = |m: String| crate::StoreError::Backend(m);
    let holder = r.text(5)?;
    Ok(LeaseDraft {
        date: r.date(0)?,
        commune: CommuneCode::parse(&r.text(1)?).map_err(|e| bad(e.0))?,
        in_qpv: r.opt_bool(2)?.unwrap_or(false),
        qpv: r.opt_text(3)?,
        dwelling: r.opt_text(4)?,
        holder: ReservationHolder::from_code(&holder)
            .ok_or_else(|| bad(format!("réservataire stocké illisible « {holder} »")))?,
        resources: match (r.opt_int(6)?, r.opt_int(7)?) {
            (Some(c), _) => Some(Resources::PerUnitCents(c)),
            (None, Some(q)) => Some(Resources::Quartile(u8::try_from(q).unwrap_or(0))),
            (None, None) => None,
        },
        relocated_by_renewal: r.opt_bool(8)?.unwrap_or(false),
        dalo: r.opt_bool(9)?.unwrap_or(false),
        priority: r.opt_bool(10)?.unwrap_or(false),
        persons: r.opt_int(11)?.and_then(|n| u32::try_from(n).ok()),
        landlord: r.int(12)?,
        lease: r.text(13)?,
    })
}

fn put_lease(tx: &mut dyn Tx, actor: &Actor, d: &LeaseDraft) -> Result<RowResult> {
    let key = [Value::int(d.landlord), Value::text(d.lease.clone())];
    let before = tx.query(sql::LEASE, &key)?;
    let held = before.first().map(lease_of).transpose()?;
    if held.as_ref() == Some(d) {
        return Ok(Ok(Put::Unchanged));
    }
    if held.is_some() {
        tx.execute(sql::DELETE_LEASE, &key)?;
    }
    let (cents, quartile) = match d.resources {
        Some(Resources::PerUnitCents(c)) => (Some(c), None),
        Some(Resources::Quartile(q)) => (None, Some(i64::from(q))),
        None => (None, None),
    };
    let mut params = key.to_vec();
    params.extend([
        Value::date(d.date),
        Value::text(d.commune.as_str()),
        Value::Bool(Some(d.in_qpv)),
        Value::Text(d.qpv.clone()),
        Value::Text(d.dwelling.clone()),
        Value::text(d.holder.code()),
        Value::Int(cents),
        Value::Int(quartile),
        Value::Bool(Some(d.relocated_by_renewal)),
        Value::Bool(Some(d.dalo)),
        Value::Bool(Some(d.priority)),
        Value::Int(d.persons.map(i64::from)),
    ]);
    tx.execute(sql::INSERT_LEASE, &params)?;
    tx.record(
        actor,
        &Change {
            entity: "bail",
            entity_id: format!("{}/{}", d.landlord, d.lease),
            operation_id: None,
            action: if held.is_some() {
                "modification"
            } else {
                "creation"
            },
            before: None,
            // (Personal data: which lease, never its household's values.)
            after: None,
        },
    )?;
    Ok(Ok(if held.is_some() {
        Put::Updated
    } else {
        Put::Created
    }))
}

/// The settlement observatory's storage (adapters: `impl SettlementStore for … {}`).
pub trait SettlementStore: Transactions {
    /// Set the first-quartile threshold of `year` (for the EPCI `epci`, or every one: `""`).
    fn set_threshold(&self, actor: &Actor, year: i32, epci: &str, cents: i64) -> Result<()> {
        tx::write(self, |tx| {
            let key = [Value::int(i64::from(year)), Value::text(epci)];
            tx.execute(sql::DELETE_THRESHOLD, &key)?;
            let mut p = key.to_vec();
            p.push(Value::int(cents));
            tx.execute(sql::INSERT_THRESHOLD, &p)?;
            tx.record(
                actor,
                &Change {
                    entity: "seuil_q1",
                    entity_id: format!("{year}/{epci}"),
                    operation_id: None,
                    action: "modification",
                    before: None,
                    after: Some(
                        serde_json::json!({ "annee": year, "epci": epci, "centimes": cents }),
                    ),
                },
            )
        })
    }

    /// Every threshold: (year, EPCI SIREN or "", cents).
    fn thresholds(&self) -> Result<Vec<(i32, String, i64)>> {
        tx::read(self, |tx| {
            tx.query(sql::THRESHOLDS, &[])?
                .iter()
                .map(|r| {
                    Ok((
                        i32::try_from(r.int(0)?).unwrap_or_default(),
                        r.text(1)?,
                        r.int(2)?,
                    ))
                })
                .collect()
        })
    }

    /// Import leases (each file row's problem kept; any problem writes nothing).
    fn put_leases(&self, actor: &Actor, rows: &[(u64, LeaseDraft)]) -> Result<Imported> {
        tx::import_rows(self, rows, &|tx, d| put_lease(tx, actor, d))
    }

    /// Every lease, by date.
    fn leases(&self) -> Result<Vec<LeaseDraft>> {
        tx::read(self, |tx| {
            tx.query(sql::LEASES, &[])?.iter().map(lease_of).collect()
        })
    }
}
