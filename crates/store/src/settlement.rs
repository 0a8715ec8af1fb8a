//! The settlement observatory as the store keeps it (issue 21), written once on [`crate::tx`]:
//! the first-quartile thresholds, and the leases signed, one row per landlord's lease.

pub mod occupancy;

use crate::Result;
use crate::audit::{Actor, Change};
use crate::tx::{self, Imported, Row, Transactions, Value};
use logis_domain::CommuneCode;
use logis_domain::settlement::{LeaseDraft, ReservationHolder, Resources, TargetSums};
use std::collections::{BTreeMap, HashMap};

/// The leases with their year, EPCI and first-quartile status (1, 0, or NULL unknown: no
/// resources, or no threshold for their year), grouped by one column (`$scale`, `$code`).
macro_rules! lease_sums_by {
    ($scale:literal, $code:literal) => {
        concat!(
            "INSERT INTO lease_sums (year, scale, code, outside_qpv, q1_or_relocated, in_qpv, other_quartiles, leases, priority)
SELECT year, '", $scale, "', ", $code, ",
  SUM(CASE WHEN NOT in_qpv THEN 1 ELSE 0 END),
  SUM(CASE WHEN NOT in_qpv AND (q1 = 1 OR relocated) THEN 1 ELSE 0 END),
  SUM(CASE WHEN in_qpv THEN 1 ELSE 0 END),
  SUM(CASE WHEN in_qpv AND q1 = 0 THEN 1 ELSE 0 END),
  COUNT(*),
  SUM(CASE WHEN dalo OR priority THEN 1 ELSE 0 END)
FROM (SELECT CAST(substr(CAST(l.signed AS TEXT), 1, 4) AS INTEGER) AS year, coalesce(c.epci_siren, '') AS epci,
        CAST(l.landlord_id AS TEXT) AS landlord, l.holder, l.in_qpv, l.relocated, l.dalo, l.priority,
        CASE WHEN l.quartile IS NOT NULL THEN CASE WHEN l.quartile = 1 THEN 1 ELSE 0 END
             WHEN l.resources_cents IS NULL THEN NULL
             WHEN coalesce(t.amount_cents, g.amount_cents) IS NULL THEN NULL
             WHEN l.resources_cents < coalesce(t.amount_cents, g.amount_cents) THEN 1 ELSE 0 END AS q1
      FROM leases l JOIN communes c ON c.code = l.commune_code
      LEFT JOIN q1_thresholds t ON t.year = CAST(substr(CAST(l.signed AS TEXT), 1, 4) AS INTEGER) AND t.epci_siren = coalesce(c.epci_siren, '')
      LEFT JOIN q1_thresholds g ON g.year = CAST(substr(CAST(l.signed AS TEXT), 1, 4) AS INTEGER) AND g.epci_siren = '') x
GROUP BY year, ", $code
        )
    };
}

/// Recompute the targets' sums from the leases (after an import or a threshold set).
fn refresh_lease_sums(tx: &mut dyn crate::tx::Tx) -> Result<()> {
    tx.execute(sql::DELETE_LEASE_SUMS, &[])?;
    for s in [
        sql::LEASE_SUMS_EPCI,
        sql::LEASE_SUMS_LANDLORD,
        sql::LEASE_SUMS_HOLDER,
    ] {
        tx.execute(s, &[])?;
    }
    Ok(())
}

pub mod sql {
    pub const DELETE_LEASE_SUMS: &str = "DELETE FROM lease_sums";
    pub const LEASE_SUMS_EPCI: &str = lease_sums_by!("epci", "epci");
    pub const LEASE_SUMS_LANDLORD: &str = lease_sums_by!("bailleur", "landlord");
    pub const LEASE_SUMS_HOLDER: &str = lease_sums_by!("reservataire", "holder");
    pub const LEASE_SUMS: &str = "SELECT year, scale, code, outside_qpv, q1_or_relocated, in_qpv, other_quartiles, leases, priority FROM lease_sums
        ORDER BY year, CASE scale WHEN 'epci' THEN 0 WHEN 'bailleur' THEN 1 ELSE 2 END, code";
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
        DELETE_LEASE_SUMS,
        LEASE_SUMS_EPCI,
        LEASE_SUMS_LANDLORD,
        LEASE_SUMS_HOLDER,
        LEASE_SUMS,
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

const LEASE_SUMS_COLUMNS: &[&str] = &[
    "year",
    "scale",
    "code",
    "outside_qpv",
    "q1_or_relocated",
    "in_qpv",
    "other_quartiles",
    "leases",
    "priority",
];

fn count_value(n: u64) -> Value {
    Value::int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The sums of a `LEASE_SUMS` row.
fn sums_of(r: &Row) -> Result<TargetSums> {
    let n = |i| -> Result<u64> { Ok(u64::try_from(r.int(i)?).unwrap_or(0)) };
    Ok(TargetSums {
        outside_qpv: n(3)?,
        q1_or_relocated: n(4)?,
        in_qpv: n(5)?,
        other_quartiles: n(6)?,
        leases: n(7)?,
        priority: n(8)?,
    })
}

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
            refresh_lease_sums(tx)?;
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
    ///
    /// `classify` gives a lease's EPCI (SIREN or "") and first-quartile status (the app knows
    /// the geography and thresholds): the targets' sums are updated by the difference, not
    /// recomputed. `fill` is given the sink to send the leases to (in batches, as a file is
    /// read); its error rolls everything back.
    fn write_leases(
        &self,
        actor: &Actor,
        classify: &dyn Fn(&LeaseDraft) -> (String, Option<bool>),
        fill: &mut tx::Fill<'_, LeaseDraft>,
    ) -> Result<Imported> {
        tx::write(self, |tx| {
            // The sums as held, then changed by each lease written: per year and EPCI, landlord
            // or reservation holder.
            let mut by_epci: HashMap<(i32, String), TargetSums> = HashMap::new();
            let mut by_landlord: HashMap<(i32, i64), TargetSums> = HashMap::new();
            let mut by_holder: HashMap<(i32, ReservationHolder), TargetSums> = HashMap::new();
            for r in tx.query(sql::LEASE_SUMS, &[])? {
                let year = i32::try_from(r.int(0)?).unwrap_or_default();
                let (scale, code, sums) = (r.text(1)?, r.text(2)?, sums_of(&r)?);
                match scale.as_str() {
                    "epci" => {
                        by_epci.insert((year, code), sums);
                    }
                    "bailleur" => {
                        by_landlord.insert((year, code.parse().unwrap_or_default()), sums);
                    }
                    _ => {
                        if let Some(h) = ReservationHolder::from_code(&code) {
                            by_holder.insert((year, h), sums);
                        }
                    }
                }
            }
            let count = |by_epci: &mut HashMap<(i32, String), TargetSums>,
                         by_landlord: &mut HashMap<(i32, i64), TargetSums>,
                         by_holder: &mut HashMap<(i32, ReservationHolder), TargetSums>,
                         l: &LeaseDraft,
                         remove: bool| {
                let (epci, q1) = classify(l);
                let year = chrono::Datelike::year(&l.date);
                for s in [
                    by_epci.entry((year, epci)).or_default(),
                    by_landlord.entry((year, l.landlord)).or_default(),
                    by_holder.entry((year, l.holder)).or_default(),
                ] {
                    if remove {
                        s.remove(l, q1);
                    } else {
                        s.add(l, q1);
                    }
                }
            };
            // Each landlord's leases held, loaded when its first lease comes.
            let mut held: HashMap<i64, HashMap<String, LeaseDraft>> = HashMap::new();
            let mut out = Imported::default();
            let mut created: BTreeMap<i64, u64> = BTreeMap::new();
            let mut batch = Vec::with_capacity(BATCH);
            {
                let tx = &mut *tx;
                let mut sink = |rows: &[LeaseDraft]| -> Result<()> {
                    for d in rows {
                        let mine = match held.entry(d.landlord) {
                            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                            std::collections::hash_map::Entry::Vacant(v) => {
                                let mut mine = HashMap::new();
                                for r in tx.query(sql::LEASES_OF, &[Value::int(d.landlord)])? {
                                    let h = lease_of(&r)?;
                                    mine.insert(h.lease.clone(), h);
                                }
                                v.insert(mine)
                            }
                        };
                        match mine.get(&d.lease) {
                            Some(h) if h == d => {
                                out.unchanged += 1;
                                continue;
                            }
                            Some(h) => {
                                count(&mut by_epci, &mut by_landlord, &mut by_holder, h, true);
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
                        count(&mut by_epci, &mut by_landlord, &mut by_holder, d, false);
                        batch.push(lease_row(d));
                        if batch.len() >= BATCH {
                            tx.insert_many("leases", LEASE_TABLE_COLUMNS, &batch)?;
                            batch.clear();
                        }
                    }
                    Ok(())
                };
                fill(&mut sink)?;
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
            tx.execute(sql::DELETE_LEASE_SUMS, &[])?;
            let row = |year: i32, scale: &str, code: String, s: &TargetSums| {
                vec![
                    Value::int(i64::from(year)),
                    Value::text(scale),
                    Value::text(code),
                    count_value(s.outside_qpv),
                    count_value(s.q1_or_relocated),
                    count_value(s.in_qpv),
                    count_value(s.other_quartiles),
                    count_value(s.leases),
                    count_value(s.priority),
                ]
            };
            let rows: Vec<Vec<Value>> = by_epci
                .iter()
                .filter(|(_, s)| s.leases > 0)
                .map(|((y, c), s)| row(*y, "epci", c.clone(), s))
                .chain(
                    by_landlord
                        .iter()
                        .filter(|(_, s)| s.leases > 0)
                        .map(|((y, l), s)| row(*y, "bailleur", l.to_string(), s)),
                )
                .chain(
                    by_holder
                        .iter()
                        .filter(|(_, s)| s.leases > 0)
                        .map(|((y, h), s)| row(*y, "reservataire", h.code().to_string(), s)),
                )
                .collect();
            tx.insert_many("lease_sums", LEASE_SUMS_COLUMNS, &rows)?;
            out.committed = true;
            Ok(out)
        })
    }

    /// The targets' sums: (year, scale — `epci`, `bailleur` or `reservataire` —, code, sums),
    /// by year, scale and code.
    fn lease_sums(&self) -> Result<Vec<(i32, String, String, TargetSums)>> {
        tx::read(self, |tx| {
            tx.query(sql::LEASE_SUMS, &[])?
                .iter()
                .map(|r| {
                    Ok((
                        i32::try_from(r.int(0)?).unwrap_or_default(),
                        r.text(1)?,
                        r.text(2)?,
                        sums_of(r)?,
                    ))
                })
                .collect()
        })
    }

    /// Every lease, by date.
    fn leases(&self) -> Result<Vec<LeaseDraft>> {
        tx::read(self, |tx| {
            tx.query(sql::LEASES, &[])?.iter().map(lease_of).collect()
        })
    }
}
