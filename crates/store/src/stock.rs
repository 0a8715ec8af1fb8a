//! The social housing stock (RPLS) as the store keeps it, written once on [`crate::tx`] for both
//! backends: a vintage's dwellings (sent by [`Tx::insert_many`], `COPY` on PostgreSQL), its sums
//! per commune, QPV and landlord and its breakdowns per commune (computed while the file is read,
//! written in the same transaction), and the main residences per commune (INSEE census).

pub mod mining;

use crate::audit::{Actor, Change};
use crate::tx::{self, Row, Transactions, Tx, Value};
use crate::{Result, StoreError};
use logis_domain::stock::{Dwelling, Fields, StockSums};

/// A vintage held.
#[derive(Debug, Clone, PartialEq)]
pub struct VintageRecord {
    pub vintage: i32,
    pub fields: Fields,
    pub dwellings: u64,
    pub rejected: u64,
    pub source: String,
    pub imported_at: String,
}

/// An area's sums in a vintage: its scale (`commune`, `qpv`, `bailleur`), code and label.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaSums {
    pub scale: String,
    pub code: String,
    pub label: String,
    pub sums: StockSums,
}

/// Dwellings of a commune by one value of a breakdown (`pieces`, `periode`, `financement`,
/// `segment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    pub commune: String,
    pub dimension: String,
    pub key: String,
    pub dwellings: u64,
}

/// The rents of a commune's dwellings with a rent, by one value of a dimension (`financement`,
/// `periode`, `recents`/`tous`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RentSums {
    pub commune: String,
    pub dimension: String,
    pub key: String,
    pub rent_cents: i64,
    pub surface_cm2: i64,
    pub dwellings: u64,
}

/// A dwelling as stored (read back for the list of the complete file's rows).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DwellingRecord {
    pub id: Option<String>,
    pub commune: String,
    pub qpv: Option<String>,
    pub building: Option<String>,
    pub rooms: Option<i64>,
    pub surface_cm2: Option<i64>,
    pub built: Option<i64>,
    pub first_let: Option<i64>,
    pub financing: Option<i64>,
    pub conventioned: Option<bool>,
    pub mode: Option<i64>,
    pub lease_start: Option<String>,
    pub vacancy_start: Option<String>,
    pub rent_cents: Option<i64>,
    pub energy: Option<String>,
    pub ghg: Option<String>,
    pub segment: Option<String>,
    pub reservation: Option<i64>,
    pub landlord_siren: Option<String>,
}

/// What a vintage's import writes beside its dwellings.
#[derive(Debug, Clone, Default)]
pub struct VintageSummary {
    pub fields: Fields,
    pub dwellings: u64,
    pub rejected: u64,
    pub source: String,
    pub areas: Vec<AreaSums>,
    pub breakdowns: Vec<Breakdown>,
    pub rents: Vec<RentSums>,
}

/// Where an import hands each dwelling it read (to be written in its transaction).
pub type DwellingSink<'a> = dyn FnMut(&Dwelling) -> Result<()> + 'a;

/// What reads a vintage's file: given the sink, it returns the vintage's summary.
pub type VintageFill<'a> = dyn FnMut(&mut DwellingSink<'_>) -> Result<VintageSummary> + 'a;

/// Rows sent to the database at once.
pub const BATCH: usize = 8_192;

/// The columns of `stock_dwellings` in [`dwelling_row`]'s order.
pub const DWELLING_COLUMNS: &[&str] = &[
    "vintage",
    "rpls_id",
    "commune_code",
    "in_qpv",
    "qpv",
    "building",
    "rooms",
    "surface_cm2",
    "built",
    "first_let",
    "financing",
    "conventioned",
    "mode",
    "lease_start",
    "vacancy_start",
    "rent_cents",
    "energy",
    "ghg",
    "segment",
    "reservation",
    "landlord_siren",
];

fn month_text(m: Option<(i32, u32)>) -> Value {
    Value::Text(m.map(|(y, m)| format!("{y:04}-{m:02}")))
}

/// A dwelling as a row of `stock_dwellings`.
pub fn dwelling_row(vintage: i32, d: &Dwelling) -> Vec<Value> {
    let int = |v: Option<i64>| Value::Int(v);
    vec![
        Value::int(i64::from(vintage)),
        Value::Text(d.id.clone()),
        Value::Text(d.commune.as_ref().map(|c| c.as_str().to_string())),
        Value::Bool(d.in_qpv),
        Value::Text(d.qpv.clone()),
        Value::Text(d.building.clone()),
        int(d.rooms.map(i64::from)),
        int(d.surface_m2.map(|s| (s * 100.0).round() as i64)),
        int(d.built.map(i64::from)),
        int(d.first_let.map(i64::from)),
        int(d.financing.map(i64::from)),
        Value::Bool(d.conventioned),
        int(d.mode.map(i64::from)),
        month_text(d.lease_start),
        month_text(d.vacancy_start),
        int(d.rent_cents),
        Value::Text(d.energy.map(|l| l.code().to_string())),
        Value::Text(d.ghg.map(|l| l.code().to_string())),
        Value::Text(d.segment.clone()),
        int(d.reservation.map(i64::from)),
        Value::Text(d.landlord_siren().map(str::to_string)),
    ]
}

pub mod sql {
    pub const DELETE_DWELLINGS: &str = "DELETE FROM stock_dwellings WHERE vintage = $1";
    pub const DELETE_SUMS: &str = "DELETE FROM stock_sums WHERE vintage = $1";
    pub const DELETE_BREAKDOWNS: &str = "DELETE FROM stock_breakdowns WHERE vintage = $1";
    pub const DELETE_RENTS: &str = "DELETE FROM stock_rents WHERE vintage = $1";
    pub const RENTS: &str = "SELECT commune_code, dimension, key, rent_cents, surface_cm2, dwellings FROM stock_rents WHERE vintage = $1 ORDER BY commune_code, dimension, key";
    pub const DELETE_VINTAGE: &str = "DELETE FROM stock_vintages WHERE vintage = $1";
    pub const INSERT_VINTAGE: &str = "INSERT INTO stock_vintages (vintage, fields, dwellings, rejected, source, imported_at) VALUES ($1, $2, $3, $4, $5, $6)";
    pub const VINTAGES: &str = "SELECT vintage, fields, dwellings, rejected, source, imported_at FROM stock_vintages ORDER BY vintage";
    pub const SUMS: &str = "SELECT scale, code, label, dwellings, in_qpv, conventioned, let_count, vacant, vacant_3_months, mobility_base, moved_in,
        rent_cents, rent_surface_cm2, class_a, class_b, class_c, class_d, class_e, class_f, class_g, class_unknown
        FROM stock_sums WHERE vintage = $1 AND scale = $2 ORDER BY code";
    pub const SUMS_OF: &str = "SELECT scale, code, label, dwellings, in_qpv, conventioned, let_count, vacant, vacant_3_months, mobility_base, moved_in,
        rent_cents, rent_surface_cm2, class_a, class_b, class_c, class_d, class_e, class_f, class_g, class_unknown
        FROM stock_sums WHERE vintage = $1 AND scale = $2 AND code = $3";
    pub const MAIN_RESIDENCES_OF: &str = "SELECT commune_code, main_residences FROM main_residences WHERE year = (SELECT max(year) FROM main_residences WHERE year <= $1) AND commune_code = $2";
    pub const BREAKDOWNS: &str = "SELECT commune_code, dimension, counts FROM stock_breakdowns WHERE vintage = $1 ORDER BY commune_code, dimension";
    pub const DELETE_MAIN_RESIDENCES: &str = "DELETE FROM main_residences WHERE year = $1";
    pub const INSERT_MAIN_RESIDENCES: &str =
        "INSERT INTO main_residences (commune_code, year, main_residences) VALUES ($1, $2, $3)";
    pub const MAIN_RESIDENCES: &str = "SELECT commune_code, main_residences FROM main_residences WHERE year = (SELECT max(year) FROM main_residences WHERE year <= $1) ORDER BY commune_code";
    pub const MAIN_RESIDENCE_YEARS: &str =
        "SELECT DISTINCT year FROM main_residences ORDER BY year";
    pub const DWELLINGS: &str = "SELECT rpls_id, commune_code, qpv, building, rooms, surface_cm2, built, first_let, financing, conventioned, mode,
        lease_start, vacancy_start, rent_cents, energy, ghg, segment, reservation, landlord_siren
        FROM stock_dwellings WHERE vintage = $1 AND commune_code = $2 AND (landlord_siren = $3 OR $4)
        ORDER BY rpls_id, building, rooms, surface_cm2, built LIMIT 501";
    pub const REHABILITATED: &str = "SELECT l.year, l.rpls_ids FROM operation_lines l
        WHERE l.nature = 'rehabilitation' AND l.rpls_ids IS NOT NULL AND l.stage IN ('delivered', 'closed')";
    pub const DWELLING_RENTS: &str =
        "SELECT vintage, rpls_id, rent_cents, surface_cm2 FROM stock_dwellings
        WHERE rpls_id IS NOT NULL AND rent_cents IS NOT NULL AND surface_cm2 IS NOT NULL";
    pub const DEPARTMENTS: &str = "SELECT code, name, region FROM departments ORDER BY code";
    pub const ALL: &[&str] = &[
        DELETE_DWELLINGS,
        DELETE_SUMS,
        DELETE_BREAKDOWNS,
        DELETE_RENTS,
        RENTS,
        DELETE_VINTAGE,
        INSERT_VINTAGE,
        VINTAGES,
        SUMS,
        SUMS_OF,
        MAIN_RESIDENCES_OF,
        BREAKDOWNS,
        DELETE_MAIN_RESIDENCES,
        INSERT_MAIN_RESIDENCES,
        MAIN_RESIDENCES,
        MAIN_RESIDENCE_YEARS,
        DWELLINGS,
        REHABILITATED,
        DWELLING_RENTS,
        DEPARTMENTS,
    ];
}

const SUM_COLUMNS: &[&str] = &[
    "vintage",
    "scale",
    "code",
    "label",
    "dwellings",
    "in_qpv",
    "conventioned",
    "let_count",
    "vacant",
    "vacant_3_months",
    "mobility_base",
    "moved_in",
    "rent_cents",
    "rent_surface_cm2",
    "class_a",
    "class_b",
    "class_c",
    "class_d",
    "class_e",
    "class_f",
    "class_g",
    "class_unknown",
];

fn sums_of(r: &Row) -> Result<AreaSums> {
    let mut classes = [0u64; 8];
    for (i, c) in classes.iter_mut().enumerate() {
        *c = r.count(13 + i)?;
    }
    Ok(AreaSums {
        scale: r.text(0)?,
        code: r.text(1)?,
        label: r.text(2)?,
        sums: StockSums {
            dwellings: r.count(3)?,
            in_qpv: r.count(4)?,
            conventioned: r.count(5)?,
            let_: r.count(6)?,
            vacant: r.count(7)?,
            vacant_3_months: r.count(8)?,
            mobility_base: r.count(9)?,
            moved_in: r.count(10)?,
            rent_cents: r.int(11)?,
            rent_surface_cm2: r.int(12)?,
            classes,
        },
    })
}

fn count(n: u64) -> Value {
    Value::count(Some(n))
}

/// The stock's storage (adapters: `impl StockStore for … {}`).
pub trait StockStore: Transactions {
    /// Replace vintage `vintage` by what `fill` reads: `fill` is given a sink for the dwellings
    /// and returns the vintage's summary (or an error, and nothing is written: the vintage held
    /// stays as it was). One transaction; one audit record.
    fn replace_vintage(
        &self,
        actor: &Actor,
        vintage: i32,
        fill: &mut VintageFill<'_>,
    ) -> Result<VintageSummary> {
        tx::write(self, |tx| {
            let v = [Value::int(i64::from(vintage))];
            for s in [
                sql::DELETE_DWELLINGS,
                sql::DELETE_SUMS,
                sql::DELETE_BREAKDOWNS,
                sql::DELETE_RENTS,
                sql::DELETE_VINTAGE,
            ] {
                tx.execute(s, &v)?;
            }
            let mut batch: Vec<Vec<Value>> = Vec::with_capacity(BATCH);
            // (A failed write is also remembered here, should `fill` not pass its error on.)
            let mut failed = false;
            let summary = {
                let tx_ref: &mut dyn Tx = &mut *tx;
                let mut sink = |d: &Dwelling| -> Result<()> {
                    batch.push(dwelling_row(vintage, d));
                    if batch.len() >= BATCH {
                        let r = tx_ref.insert_many("stock_dwellings", DWELLING_COLUMNS, &batch);
                        batch.clear();
                        failed |= r.is_err();
                        r?;
                    }
                    Ok(())
                };
                fill(&mut sink)?
            };
            if failed {
                return Err(StoreError::Backend(
                    "l'écriture des logements a échoué".into(),
                ));
            }
            tx.insert_many("stock_dwellings", DWELLING_COLUMNS, &batch)?;
            write_summary(tx, vintage, &summary)?;
            tx.record(
                actor,
                &Change {
                    entity: "parc_rpls",
                    entity_id: vintage.to_string(),
                    operation_id: None,
                    action: "import",
                    before: None,
                    after: Some(serde_json::json!({
                        "millesime": vintage, "logements": summary.dwellings,
                        "rejetes": summary.rejected, "fichier": summary.source,
                    })),
                },
            )?;
            Ok(summary)
        })
    }

    /// The vintages held, oldest first.
    fn stock_vintages(&self) -> Result<Vec<VintageRecord>> {
        tx::read(self, |tx| {
            tx.query(sql::VINTAGES, &[])?
                .iter()
                .map(|r| {
                    Ok(VintageRecord {
                        vintage: i32::try_from(r.int(0)?).unwrap_or_default(),
                        fields: serde_json::from_str(r.str(1)?).unwrap_or_default(),
                        dwellings: r.count(2)?,
                        rejected: r.count(3)?,
                        source: r.text(4)?,
                        imported_at: r.text(5)?,
                    })
                })
                .collect()
        })
    }

    /// A vintage's sums at one stored scale (`commune`, `qpv`, `bailleur`), by code.
    fn stock_sums(&self, vintage: i32, scale: &str) -> Result<Vec<AreaSums>> {
        tx::read(self, |tx| {
            tx.query(
                sql::SUMS,
                &[Value::int(i64::from(vintage)), Value::text(scale)],
            )?
            .iter()
            .map(sums_of)
            .collect()
        })
    }

    /// A vintage's sums of these areas of one scale (each found by its key: an EPCI's communes
    /// read without the rest of France's).
    fn stock_sums_of(&self, vintage: i32, scale: &str, codes: &[String]) -> Result<Vec<AreaSums>> {
        tx::read(self, |tx| {
            let mut out = Vec::new();
            for c in codes {
                let rows = tx.query(
                    sql::SUMS_OF,
                    &[
                        Value::int(i64::from(vintage)),
                        Value::text(scale),
                        Value::text(c.clone()),
                    ],
                )?;
                for r in &rows {
                    out.push(sums_of(r)?);
                }
            }
            Ok(out)
        })
    }

    /// The main residences of these communes (latest census up to `year`).
    fn main_residences_of(&self, year: i32, codes: &[String]) -> Result<Vec<(String, u64)>> {
        tx::read(self, |tx| {
            let mut out = Vec::new();
            for c in codes {
                for r in tx.query(
                    sql::MAIN_RESIDENCES_OF,
                    &[Value::int(i64::from(year)), Value::text(c.clone())],
                )? {
                    out.push((r.text(0)?, r.count(1)?));
                }
            }
            Ok(out)
        })
    }

    /// A vintage's breakdowns per commune.
    fn stock_breakdowns(&self, vintage: i32) -> Result<Vec<Breakdown>> {
        tx::read(self, |tx| {
            let mut out = Vec::new();
            for r in tx.query(sql::BREAKDOWNS, &[Value::int(i64::from(vintage))])? {
                let (commune, dimension) = (r.text(0)?, r.text(1)?);
                for part in r.str(2)?.split('|') {
                    let Some((key, n)) = part.rsplit_once('=') else {
                        continue;
                    };
                    out.push(Breakdown {
                        commune: commune.clone(),
                        dimension: dimension.clone(),
                        key: key.to_string(),
                        dwellings: n.parse().unwrap_or(0),
                    });
                }
            }
            Ok(out)
        })
    }

    /// A vintage's rents per commune.
    fn stock_rents(&self, vintage: i32) -> Result<Vec<RentSums>> {
        tx::read(self, |tx| {
            tx.query(sql::RENTS, &[Value::int(i64::from(vintage))])?
                .iter()
                .map(|r| {
                    Ok(RentSums {
                        commune: r.text(0)?,
                        dimension: r.text(1)?,
                        key: r.text(2)?,
                        rent_cents: r.int(3)?,
                        surface_cm2: r.int(4)?,
                        dwellings: r.count(5)?,
                    })
                })
                .collect()
        })
    }

    /// The dwellings of a commune in a vintage (`landlord`: only this SIREN's), at most 501 in
    /// the order of their identifier (the page shows 500 and says when there are more).
    fn stock_dwellings(
        &self,
        vintage: i32,
        commune: &str,
        landlord: Option<&str>,
    ) -> Result<Vec<DwellingRecord>> {
        tx::read(self, |tx| {
            tx.query(
                sql::DWELLINGS,
                &[
                    Value::int(i64::from(vintage)),
                    Value::text(commune),
                    Value::text(landlord.unwrap_or_default()),
                    Value::Bool(Some(landlord.is_none())),
                ],
            )?
            .iter()
            .map(|r| {
                Ok(DwellingRecord {
                    id: r.opt_text(0)?,
                    commune: r.text(1)?,
                    qpv: r.opt_text(2)?,
                    building: r.opt_text(3)?,
                    rooms: r.opt_int(4)?,
                    surface_cm2: r.opt_int(5)?,
                    built: r.opt_int(6)?,
                    first_let: r.opt_int(7)?,
                    financing: r.opt_int(8)?,
                    conventioned: r.opt_bool(9)?,
                    mode: r.opt_int(10)?,
                    lease_start: r.opt_text(11)?,
                    vacancy_start: r.opt_text(12)?,
                    rent_cents: r.opt_int(13)?,
                    energy: r.opt_text(14)?,
                    ghg: r.opt_text(15)?,
                    segment: r.opt_text(16)?,
                    reservation: r.opt_int(17)?,
                    landlord_siren: r.opt_text(18)?,
                })
            })
            .collect()
        })
    }

    /// Replace the main residences of census year `year` (commune code, count).
    fn put_main_residences(&self, actor: &Actor, year: i32, rows: &[(String, u64)]) -> Result<()> {
        tx::write(self, |tx| {
            tx.execute(sql::DELETE_MAIN_RESIDENCES, &[Value::int(i64::from(year))])?;
            for (commune, n) in rows {
                tx.execute(
                    sql::INSERT_MAIN_RESIDENCES,
                    &[
                        Value::text(commune.clone()),
                        Value::int(i64::from(year)),
                        count(*n),
                    ],
                )?;
            }
            tx.record(
                actor,
                &Change {
                    entity: "residences_principales",
                    entity_id: year.to_string(),
                    operation_id: None,
                    action: "import",
                    before: None,
                    after: Some(serde_json::json!({ "annee": year, "communes": rows.len() })),
                },
            )
        })
    }

    /// The main residences per commune of the latest census year up to `year`.
    fn main_residences(&self, year: i32) -> Result<Vec<(String, u64)>> {
        tx::read(self, |tx| {
            tx.query(sql::MAIN_RESIDENCES, &[Value::int(i64::from(year))])?
                .iter()
                .map(|r| Ok((r.text(0)?, r.count(1)?)))
                .collect()
        })
    }

    /// The register's finished rehabilitations that name their dwellings' RPLS identifiers:
    /// (year, identifiers `|`-separated).
    fn rehabilitated(&self) -> Result<Vec<(i32, String)>> {
        tx::read(self, |tx| {
            tx.query(sql::REHABILITATED, &[])?
                .iter()
                .map(|r| Ok((i32::try_from(r.int(0)?).unwrap_or_default(), r.text(1)?)))
                .collect()
        })
    }

    /// The rents of the dwellings that have an identifier: (vintage, identifier, rent in cents,
    /// surface in cm²).
    fn dwelling_rents(&self) -> Result<Vec<(i32, String, i64, i64)>> {
        tx::read(self, |tx| {
            tx.query(sql::DWELLING_RENTS, &[])?
                .iter()
                .map(|r| {
                    Ok((
                        i32::try_from(r.int(0)?).unwrap_or_default(),
                        r.text(1)?,
                        r.int(2)?,
                        r.int(3)?,
                    ))
                })
                .collect()
        })
    }

    /// The departments of the reference (code, name, region code).
    fn departments(&self) -> Result<Vec<(String, String, String)>> {
        tx::read(self, |tx| {
            tx.query(sql::DEPARTMENTS, &[])?
                .iter()
                .map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)))
                .collect()
        })
    }

    /// The census years held.
    fn main_residence_years(&self) -> Result<Vec<i32>> {
        tx::read(self, |tx| {
            tx.query(sql::MAIN_RESIDENCE_YEARS, &[])?
                .iter()
                .map(|r| Ok(i32::try_from(r.int(0)?).unwrap_or_default()))
                .collect()
        })
    }
}

fn write_summary(tx: &mut dyn Tx, vintage: i32, s: &VintageSummary) -> Result<()> {
    let v = i64::from(vintage);
    let rows: Vec<Vec<Value>> = s
        .areas
        .iter()
        .map(|a| {
            let x = &a.sums;
            let mut row = vec![
                Value::int(v),
                Value::text(a.scale.clone()),
                Value::text(a.code.clone()),
                Value::text(a.label.clone()),
                count(x.dwellings),
                count(x.in_qpv),
                count(x.conventioned),
                count(x.let_),
                count(x.vacant),
                count(x.vacant_3_months),
                count(x.mobility_base),
                count(x.moved_in),
                Value::int(x.rent_cents),
                Value::int(x.rent_surface_cm2),
            ];
            row.extend(x.classes.iter().map(|c| count(*c)));
            row
        })
        .collect();
    for chunk in rows.chunks(BATCH) {
        tx.insert_many("stock_sums", SUM_COLUMNS, chunk)?;
    }
    // One row per commune and dimension, its values packed (« clé=n|clé=n »): a national file's
    // breakdowns are a few rows per commune, not one per value.
    let mut packed: std::collections::BTreeMap<(&str, &str), String> = Default::default();
    for b in &s.breakdowns {
        let e = packed
            .entry((b.commune.as_str(), b.dimension.as_str()))
            .or_default();
        if !e.is_empty() {
            e.push('|');
        }
        e.push_str(&b.key.replace(['|', '='], " "));
        e.push('=');
        e.push_str(&b.dwellings.to_string());
    }
    let rows: Vec<Vec<Value>> = packed
        .into_iter()
        .map(|((commune, dimension), counts)| {
            vec![
                Value::int(v),
                Value::text(commune),
                Value::text(dimension),
                Value::text(counts),
            ]
        })
        .collect();
    for chunk in rows.chunks(BATCH) {
        tx.insert_many(
            "stock_breakdowns",
            &["vintage", "commune_code", "dimension", "counts"],
            chunk,
        )?;
    }
    let rows: Vec<Vec<Value>> = s
        .rents
        .iter()
        .map(|r| {
            vec![
                Value::int(v),
                Value::text(r.commune.clone()),
                Value::text(r.dimension.clone()),
                Value::text(r.key.clone()),
                Value::int(r.rent_cents),
                Value::int(r.surface_cm2),
                count(r.dwellings),
            ]
        })
        .collect();
    for chunk in rows.chunks(BATCH) {
        tx.insert_many(
            "stock_rents",
            &[
                "vintage",
                "commune_code",
                "dimension",
                "key",
                "rent_cents",
                "surface_cm2",
                "dwellings",
            ],
            chunk,
        )?;
    }
    tx.execute(
        sql::INSERT_VINTAGE,
        &[
            Value::int(v),
            Value::text(serde_json::to_string(&s.fields).unwrap_or_default()),
            count(s.dwellings),
            count(s.rejected),
            Value::text(s.source.clone()),
            Value::text(chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()),
        ],
    )?;
    Ok(())
}
