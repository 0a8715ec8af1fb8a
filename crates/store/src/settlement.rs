//! The settlement observatory as the store keeps it (issue 21), written once on [`crate::tx`]:
//! the first-quartile thresholds, and the leases signed, one row per landlord's lease.

pub mod occupancy;

use crate::Result;
use crate::audit::{Actor, Change};
use crate::tx::{self, Imported, Row, Transactions, Value};
use logis_domain::CommuneCode;
use logis_domain::settlement::{LeaseDraft, ReservationHolder, Resources};
use std::collections::{BTreeMap, HashMap};

pub mod sql {
    pub const DELETE_THRESHOLD: &str =
        "DELETE FROM q1_thresholds WHERE year = $1 AND epci_siren = $2";
    pub const INSERT_THRESHOLD: &str =
        "INSERT INTO q1_thresholds (year, epci_siren, amount_cents) VALUES ($1, $2, $3)";
    pub const THRESHOLDS: &str =
        "SELECT year, epci_siren, amount_cents FROM q1_thresholds ORDER BY year, epci_siren";
    pub const DELETE_LEASE: &str = "DELETE FROM leases WHERE landlord_id = $1 AND lease = $2";
    pub const LEASES_OF: &str = "SELECT signed, commune_code, in_qpv, qpv, dwelling, holder, resources_cents, quartile, relocated, dalo, priority, persons, landlord_id, lease
        FROM leases WHERE landlord_id = $1";
    pub const LEASES: &str = "SELECT signed, commune_code, in_qpv, qpv, dwelling, holder, resources_cents, quartile, relocated, dalo, priority, persons, landlord_id, lease
        FROM leases ORDER BY signed, landlord_id, lease";
    pub const ALL: &[&str] = &[
        DELETE_THRESHOLD,
        INSERT_THRESHOLD,
        THRESHOLDS,
        DELETE_LEASE,
        LEASES_OF,
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

/// A lease's row as `INSERT_LEASE` and `insert_many` take it.
fn lease_row(d: &LeaseDraft) -> Vec<Value> {
    let (cents, quartile) = match d.resources {
        Some(Resources::PerUnitCents(c)) => (Some(c), None),
        Some(Resources::Quartile(q)) => (None, Some(i64::from(q))),
        None => (None, None),
    };
    vec![
        Value::int(d.landlord),
        Value::text(d.lease.clone()),
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
    ]
}

const LEASE_TABLE_COLUMNS: &[&str] = &[
    "landlord_id",
    "lease",
    "signed",
    "commune_code",
    "in_qpv",
    "qpv",
    "dwelling",
    "holder",
    "resources_cents",
    "quartile",
    "relocated",
    "dalo",
    "priority",
    "persons",
];

/// Rows sent to the backend at once.
const BATCH: usize = 4_096;

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

    /// Import leases in one transaction: those held compared in memory, the new and changed
    /// written in bulk (`insert_many`: PostgreSQL's `COPY`). Each change is audited (which
    /// lease, never its household's values); the creations by one record per import with their
    /// count per landlord.
    fn put_leases(&self, actor: &Actor, rows: &[(u64, LeaseDraft)]) -> Result<Imported> {
        tx::write(self, |tx| {
            let mut landlords: Vec<i64> = rows.iter().map(|(_, d)| d.landlord).collect();
            landlords.sort_unstable();
            landlords.dedup();
            let mut held: HashMap<(i64, String), LeaseDraft> = HashMap::new();
            for l in &landlords {
                for r in tx.query(sql::LEASES_OF, &[Value::int(*l)])? {
                    let d = lease_of(&r)?;
                    held.insert((d.landlord, d.lease.clone()), d);
                }
            }
            let mut out = Imported::default();
            let mut created: BTreeMap<i64, u64> = BTreeMap::new();
            let mut batch = Vec::with_capacity(BATCH);
            for (_, d) in rows {
                match held.get(&(d.landlord, d.lease.clone())) {
                    Some(h) if h == d => {
                        out.unchanged += 1;
                        continue;
                    }
                    Some(_) => {
                        tx.execute(
                            sql::DELETE_LEASE,
                            &[Value::int(d.landlord), Value::text(d.lease.clone())],
                        )?;
                        tx.record(
                            actor,
                            &Change {
                                entity: "bail",
                                entity_id: format!("{}/{}", d.landlord, d.lease),
                                operation_id: None,
                                action: "modification",
                                before: None,
                                after: None,
                            },
                        )?;
                        out.updated += 1;
                    }
                    None => {
                        *created.entry(d.landlord).or_default() += 1;
                        out.created += 1;
                    }
                }
                batch.push(lease_row(d));
                if batch.len() >= BATCH {
                    tx.insert_many("leases", LEASE_TABLE_COLUMNS, &batch)?;
                    batch.clear();
                }
            }
            tx.insert_many("leases", LEASE_TABLE_COLUMNS, &batch)?;
            for (landlord, n) in created {
                tx.record(
                    actor,
                    &Change {
                        entity: "baux",
                        entity_id: landlord.to_string(),
                        operation_id: None,
                        action: "import",
                        before: None,
                        // (Personal data: how many leases, never which household.)
                        after: Some(serde_json::json!({ "baux_crees": n })),
                    },
                )?;
            }
            out.committed = true;
            Ok(out)
        })
    }

    /// Every lease, by date.
    fn leases(&self) -> Result<Vec<LeaseDraft>> {
        tx::read(self, |tx| {
            tx.query(sql::LEASES, &[])?.iter().map(lease_of).collect()
        })
    }
}
