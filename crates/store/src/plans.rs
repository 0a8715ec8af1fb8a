//! The landlords' strategic plans as the store keeps them (issue 22), written once on
//! [`crate::tx`]: partnerships and their members, what each landlord shares with which, and the
//! plans' versions with their residences (written by `insert_many`: PostgreSQL's `COPY`).

pub mod actions;

use crate::Result;
use crate::audit::{Actor, Change};
use crate::tx::{self, Row, Transactions, Value};
use logis_domain::CommuneCode;
use logis_domain::plans::{ResidencePlan, Strategy, residence_key};
use logis_domain::stock::Letter;

pub mod sql {
    pub const INSERT_PARTNERSHIP: &str =
        "INSERT INTO partnerships (name, territory) VALUES ($1, $2) RETURNING id";
    pub const INSERT_MEMBER: &str =
        "INSERT INTO partnership_members (partnership_id, organisation_id) VALUES ($1, $2)";
    pub const PARTNERSHIPS: &str = "SELECT id, name, territory FROM partnerships ORDER BY name";
    pub const MEMBERS: &str = "SELECT partnership_id, organisation_id FROM partnership_members ORDER BY partnership_id, organisation_id";
    pub const DELETE_SHARE: &str =
        "DELETE FROM plan_shares WHERE landlord_id = $1 AND partnership_id = $2";
    pub const INSERT_SHARE: &str =
        "INSERT INTO plan_shares (landlord_id, partnership_id) VALUES ($1, $2)";
    pub const SHARES: &str =
        "SELECT landlord_id, partnership_id FROM plan_shares ORDER BY landlord_id, partnership_id";
    pub const DELETE_RESIDENCES: &str =
        "DELETE FROM psp_residences WHERE landlord_id = $1 AND version = $2";
    pub const DELETE_VERSION: &str =
        "DELETE FROM psp_versions WHERE landlord_id = $1 AND version = $2";
    pub const INSERT_VERSION: &str = "INSERT INTO psp_versions (landlord_id, version, residences, dwellings, source, imported_at) VALUES ($1, $2, $3, $4, $5, $6)";
    pub const VERSIONS: &str = "SELECT landlord_id, version, residences, dwellings, source, imported_at FROM psp_versions ORDER BY landlord_id, version";
    pub const RESIDENCES: &str = "SELECT residence, commune_code, quartier, dwellings, built, label, attractiveness, technical_state, strategy, start_year, end_year, cost_cents, target_label, rpls
        FROM psp_residences WHERE landlord_id = $1 AND version = $2 ORDER BY residence_key";
    pub const ALL: &[&str] = &[
        INSERT_PARTNERSHIP,
        INSERT_MEMBER,
        PARTNERSHIPS,
        MEMBERS,
        DELETE_SHARE,
        INSERT_SHARE,
        SHARES,
        DELETE_RESIDENCES,
        DELETE_VERSION,
        INSERT_VERSION,
        VERSIONS,
        RESIDENCES,
    ];
}

const RESIDENCE_COLUMNS: &[&str] = &[
    "landlord_id",
    "version",
    "residence_key",
    "residence",
    "commune_code",
    "quartier",
    "dwellings",
    "built",
    "label",
    "attractiveness",
    "technical_state",
    "strategy",
    "start_year",
    "end_year",
    "cost_cents",
    "target_label",
    "rpls",
];

/// A partnership and its members (organisations' ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partnership {
    pub id: i64,
    pub name: String,
    /// As `Territory::to_text` writes it.
    pub territory: String,
    pub members: Vec<i64>,
}

/// One version of a landlord's plan, as held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanVersion {
    pub landlord: i64,
    pub version: i32,
    pub residences: u64,
    pub dwellings: u64,
    pub source: String,
    pub imported_at: String,
}

fn residence_of(r: &Row) -> Result<ResidencePlan> {
    let bad = |m: String| crate::StoreError::Backend(m);
    let letter = |v: Option<String>| v.and_then(|t| Letter::parse(&t).ok().flatten());
    let year = |v: Option<i64>| v.and_then(|y| i32::try_from(y).ok());
    let small = |v: Option<i64>| v.and_then(|n| u8::try_from(n).ok());
    let strategy = r.text(8)?;
    Ok(ResidencePlan {
        residence: r.text(0)?,
        commune: CommuneCode::parse(&r.text(1)?).map_err(|e| bad(e.0))?,
        quartier: r.opt_text(2)?,
        dwellings: u32::try_from(r.int(3)?).unwrap_or(0),
        built: year(r.opt_int(4)?),
        label: letter(r.opt_text(5)?),
        attractiveness: small(r.opt_int(6)?),
        technical_state: small(r.opt_int(7)?),
        strategy: Strategy::from_code(&strategy)
            .ok_or_else(|| bad(format!("stratégie stockée illisible « {strategy} »")))?,
        start: year(r.opt_int(9)?),
        end: year(r.opt_int(10)?),
        cost_cents: r.opt_int(11)?,
        target_label: letter(r.opt_text(12)?),
        rpls: r
            .text(13)?
            .split('|')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

fn residence_row(landlord: i64, version: i32, r: &ResidencePlan) -> Vec<Value> {
    let n = |v: Option<i32>| Value::Int(v.map(i64::from));
    vec![
        Value::int(landlord),
        Value::int(i64::from(version)),
        Value::text(residence_key(&r.commune, &r.residence)),
        Value::text(r.residence.clone()),
        Value::text(r.commune.as_str()),
        Value::Text(r.quartier.clone()),
        Value::int(i64::from(r.dwellings)),
        n(r.built),
        Value::Text(r.label.map(|l| l.code().to_string())),
        Value::Int(r.attractiveness.map(i64::from)),
        Value::Int(r.technical_state.map(i64::from)),
        Value::text(r.strategy.code()),
        n(r.start),
        n(r.end),
        Value::Int(r.cost_cents),
        Value::Text(r.target_label.map(|l| l.code().to_string())),
        Value::text(r.rpls.join("|")),
    ]
}

/// The strategic plans' storage (adapters: `impl PlanStore for … {}`).
pub trait PlanStore: Transactions {
    /// Create a partnership with its members; its id.
    fn create_partnership(
        &self,
        actor: &Actor,
        name: &str,
        territory: &str,
        members: &[i64],
    ) -> Result<i64> {
        tx::write(self, |tx| {
            let id = tx.insert(
                sql::INSERT_PARTNERSHIP,
                &[Value::text(name), Value::text(territory)],
            )?;
            for m in members {
                tx.execute(sql::INSERT_MEMBER, &[Value::int(id), Value::int(*m)])?;
            }
            tx.record(
                actor,
                &Change::event(
                    "partenariat",
                    id,
                    "creation",
                    serde_json::json!({ "nom": name, "territoire": territory, "membres": members }),
                ),
            )?;
            Ok(id)
        })
    }

    fn partnerships(&self) -> Result<Vec<Partnership>> {
        tx::read(self, |tx| {
            let members = tx.query(sql::MEMBERS, &[])?;
            tx.query(sql::PARTNERSHIPS, &[])?
                .iter()
                .map(|r| {
                    let id = r.int(0)?;
                    Ok(Partnership {
                        id,
                        name: r.text(1)?,
                        territory: r.text(2)?,
                        members: members
                            .iter()
                            .filter(|m| m.int(0).ok() == Some(id))
                            .filter_map(|m| m.int(1).ok())
                            .collect(),
                    })
                })
                .collect()
        })
    }

    /// Share (or stop sharing) a landlord's plan with a partnership.
    fn set_share(
        &self,
        actor: &Actor,
        landlord: i64,
        partnership: i64,
        shared: bool,
    ) -> Result<()> {
        tx::write(self, |tx| {
            let key = [Value::int(landlord), Value::int(partnership)];
            tx.execute(sql::DELETE_SHARE, &key)?;
            if shared {
                tx.execute(sql::INSERT_SHARE, &key)?;
            }
            tx.record(
                actor,
                &Change::event(
                    "partage_psp",
                    landlord,
                    if shared { "partage" } else { "retrait" },
                    serde_json::json!({ "partenariat": partnership }),
                ),
            )
        })
    }

    /// Every (landlord, partnership) shared.
    fn shares(&self) -> Result<Vec<(i64, i64)>> {
        tx::read(self, |tx| {
            tx.query(sql::SHARES, &[])?
                .iter()
                .map(|r| Ok((r.int(0)?, r.int(1)?)))
                .collect()
        })
    }

    /// Write version `version` of a landlord's plan (a version imported again is replaced);
    /// `true` when it replaced one.
    fn put_plan(
        &self,
        actor: &Actor,
        landlord: i64,
        version: i32,
        source: &str,
        residences: &[ResidencePlan],
    ) -> Result<bool> {
        tx::write(self, |tx| {
            let key = [Value::int(landlord), Value::int(i64::from(version))];
            tx.execute(sql::DELETE_RESIDENCES, &key)?;
            let replaced = tx.execute(sql::DELETE_VERSION, &key)? > 0;
            let dwellings: u64 = residences.iter().map(|r| u64::from(r.dwellings)).sum();
            let mut p = key.to_vec();
            p.extend([
                Value::int(i64::try_from(residences.len()).unwrap_or(i64::MAX)),
                Value::int(i64::try_from(dwellings).unwrap_or(i64::MAX)),
                Value::text(source),
                Value::text(chrono::Local::now().format("%Y-%m-%d %H:%M").to_string()),
            ]);
            tx.execute(sql::INSERT_VERSION, &p)?;
            for chunk in residences.chunks(4_096) {
                let rows: Vec<Vec<Value>> = chunk
                    .iter()
                    .map(|r| residence_row(landlord, version, r))
                    .collect();
                tx.insert_many("psp_residences", RESIDENCE_COLUMNS, &rows)?;
            }
            tx.record(
                actor,
                &Change::event(
                    "psp",
                    landlord,
                    if replaced { "remplacement" } else { "import" },
                    serde_json::json!({ "version": version, "residences": residences.len(), "logements": dwellings, "source": source }),
                ),
            )?;
            Ok(replaced)
        })
    }

    /// Every version of every landlord's plan, by landlord and version.
    fn plan_versions(&self) -> Result<Vec<PlanVersion>> {
        tx::read(self, |tx| {
            tx.query(sql::VERSIONS, &[])?
                .iter()
                .map(|r| {
                    Ok(PlanVersion {
                        landlord: r.int(0)?,
                        version: i32::try_from(r.int(1)?).unwrap_or_default(),
                        residences: u64::try_from(r.int(2)?).unwrap_or(0),
                        dwellings: u64::try_from(r.int(3)?).unwrap_or(0),
                        source: r.text(4)?,
                        imported_at: r.text(5)?,
                    })
                })
                .collect()
        })
    }

    /// The residences of one version of a landlord's plan.
    fn plan(&self, landlord: i64, version: i32) -> Result<Vec<ResidencePlan>> {
        tx::read(self, |tx| {
            tx.query(
                sql::RESIDENCES,
                &[Value::int(landlord), Value::int(i64::from(version))],
            )?
            .iter()
            .map(residence_of)
            .collect()
        })
    }
}
