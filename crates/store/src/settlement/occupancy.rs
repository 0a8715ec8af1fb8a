//! The occupancy surveys, the sensitive quartiers' rule, the SNE demand and the local charters
//! as the store keeps them (issue 21), written once on [`crate::tx`]. A survey's rows are written
//! in bulk ([`crate::tx::Tx::insert_many`]: PostgreSQL's `COPY`), with their sums per landlord,
//! commune and quartier — what every page of indicators reads.

use crate::Result;
use crate::audit::{Actor, Change};
use crate::tx::{self, Row, Tx, Value};
use logis_domain::CommuneCode;
use logis_domain::settlement::charter::{CharterDraft, CharterStatus};
use logis_domain::settlement::occupancy::{
    Composition, DemandDraft, HouseholdDraft, Indicator, OccupancySums, SensitivityRule,
};
use std::collections::{BTreeMap, HashMap};

pub mod sql {
    pub const DELETE_HOUSEHOLDS: &str =
        "DELETE FROM occupancy WHERE survey = $1 AND landlord_id = $2";
    pub const DELETE_SUMS: &str =
        "DELETE FROM occupancy_sums WHERE survey = $1 AND landlord_id = $2";
    pub const SURVEYS: &str = "SELECT DISTINCT survey FROM occupancy_sums ORDER BY survey";
    pub const SUMS: &str = "SELECT landlord_id, commune_code, quartier, sums FROM occupancy_sums WHERE survey = $1 ORDER BY commune_code, quartier, landlord_id";
    pub const HOUSEHOLDS: &str = "SELECT landlord_id, commune_code, quartier, in_qpv, dwelling, persons, children, composition, holder_age, resources_pct, housing_benefit, employed, recent
        FROM occupancy WHERE survey = $1 AND landlord_id = $2";
    pub const PLACE: &str = "SELECT commune_code, in_qpv, qpv FROM stock_dwellings WHERE rpls_id = $1 ORDER BY vintage DESC LIMIT 1";
    pub const KNOWN_QPVS: &str = "SELECT DISTINCT code FROM stock_sums WHERE scale = 'qpv'";
    pub const RULE: &str = "SELECT index_permille, indicators FROM sensitivity_rule WHERE id = 1";
    pub const DELETE_RULE: &str = "DELETE FROM sensitivity_rule WHERE id = 1";
    pub const INSERT_RULE: &str =
        "INSERT INTO sensitivity_rule (id, index_permille, indicators) VALUES (1, $1, $2)";
    pub const DELETE_DEMAND: &str = "DELETE FROM sne_demand WHERE commune_code = $1 AND year = $2";
    pub const INSERT_DEMAND: &str = "INSERT INTO sne_demand (commune_code, year, demands, transfers, attributions, past_delay) VALUES ($1, $2, $3, $4, $5, $6)";
    pub const DEMAND: &str = "SELECT commune_code, year, demands, transfers, attributions, past_delay FROM sne_demand ORDER BY year, commune_code";
    pub const INSERT_CHARTER: &str = "INSERT INTO charters (commune_code, quartier, title, partners, status, signed, objectives, indicators) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    pub const UPDATE_CHARTER: &str = "UPDATE charters SET commune_code = $1, quartier = $2, title = $3, partners = $4, status = $5, signed = $6, objectives = $7, indicators = $8 WHERE id = $9";
    pub const CHARTERS: &str = "SELECT id, commune_code, quartier, title, partners, status, signed, objectives, indicators FROM charters ORDER BY commune_code, quartier, id";
    pub const ALL: &[&str] = &[
        DELETE_HOUSEHOLDS,
        DELETE_SUMS,
        SURVEYS,
        SUMS,
        HOUSEHOLDS,
        KNOWN_QPVS,
        PLACE,
        RULE,
        DELETE_RULE,
        INSERT_RULE,
        DELETE_DEMAND,
        INSERT_DEMAND,
        DEMAND,
        INSERT_CHARTER,
        UPDATE_CHARTER,
        CHARTERS,
    ];
}

const HOUSEHOLD_COLUMNS: &[&str] = &[
    "survey",
    "landlord_id",
    "commune_code",
    "quartier",
    "in_qpv",
    "dwelling",
    "persons",
    "children",
    "composition",
    "holder_age",
    "resources_pct",
    "housing_benefit",
    "employed",
    "recent",
];

const SUMS_COLUMNS: &[&str] = &["survey", "landlord_id", "commune_code", "quartier", "sums"];

/// Rows sent to the backend at once.
const BATCH: usize = 4_096;

fn household_row(survey: i32, h: &HouseholdDraft) -> Vec<Value> {
    let n = |v: Option<u32>| Value::Int(v.map(i64::from));
    vec![
        Value::int(i64::from(survey)),
        Value::int(h.landlord),
        Value::text(h.commune.as_str()),
        Value::Text(h.quartier.clone()),
        Value::Bool(h.in_qpv),
        Value::Text(h.dwelling.clone()),
        n(h.persons),
        n(h.children),
        Value::Text(h.composition.map(|c| c.code().to_string())),
        n(h.holder_age),
        n(h.resources_pct),
        Value::Bool(h.housing_benefit),
        Value::Bool(h.employed),
        Value::Bool(Some(h.recent)),
    ]
}

fn household_of(r: &Row) -> Result<HouseholdDraft> {
    let bad = |m: String| crate::StoreError::Backend(m);
    let n =
        |i: usize| -> Result<Option<u32>> { Ok(r.opt_int(i)?.and_then(|v| u32::try_from(v).ok())) };
    Ok(HouseholdDraft {
        landlord: r.int(0)?,
        commune: CommuneCode::parse(&r.text(1)?).map_err(|e| bad(e.0))?,
        quartier: r.opt_text(2)?,
        in_qpv: r.opt_bool(3)?,
        dwelling: r.opt_text(4)?,
        persons: n(5)?,
        children: n(6)?,
        composition: r.opt_text(7)?.and_then(|c| Composition::from_code(&c)),
        holder_age: n(8)?,
        resources_pct: n(9)?,
        housing_benefit: r.opt_bool(10)?,
        employed: r.opt_bool(11)?,
        recent: r.opt_bool(12)?.unwrap_or(false),
    })
}

/// One landlord's sums in one commune and quartier ("" when the survey names none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaOccupancy {
    pub landlord: i64,
    pub commune: String,
    pub quartier: String,
    pub sums: OccupancySums,
}

/// A local charter as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharterRecord {
    pub id: i64,
    pub charter: CharterDraft,
}

fn charter_params(c: &CharterDraft) -> Vec<Value> {
    vec![
        Value::text(c.commune.as_str()),
        Value::text(c.quartier.clone()),
        Value::text(c.title.clone()),
        Value::text(c.partners.clone()),
        Value::text(c.status.code()),
        Value::Date(c.signed),
        Value::text(c.objectives.clone()),
        Value::text(
            c.indicators
                .iter()
                .map(|i| i.code())
                .collect::<Vec<_>>()
                .join(","),
        ),
    ]
}

fn charter_audit(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: i64,
    action: &'static str,
    c: &CharterDraft,
) -> Result<()> {
    tx.record(
        actor,
        &Change {
            entity: "charte_peuplement",
            entity_id: id.to_string(),
            operation_id: None,
            action,
            before: None,
            after: Some(serde_json::json!({
                "commune": c.commune.as_str(),
                "quartier": c.quartier,
                "titre": c.title,
                "statut": c.status.code(),
                "signature": c.signed.map(|d| d.to_string()),
            })),
        },
    )
}

/// The occupancy surveys' storage (adapters: `impl OccupancyStore for … {}`).
pub trait OccupancyStore: tx::Transactions {
    /// Write households of the survey `survey` in one transaction: each landlord's rows of that
    /// survey are replaced (deleted when its first household comes), with their sums per
    /// commune and quartier. `fill` is given the sink to send the households to (in batches, as
    /// a file is read); its error rolls everything back. Returns the households written and the
    /// landlords replaced.
    fn write_survey(
        &self,
        actor: &Actor,
        survey: i32,
        fill: &mut tx::Fill<'_, HouseholdDraft>,
    ) -> Result<(u64, Vec<i64>)> {
        tx::write(self, |tx| {
            // (landlord, commune, quartier) → sums; the communes' and quartiers' names kept once
            // each, the key their numbers (no text made per household).
            let mut names: HashMap<String, u32> = HashMap::new();
            let mut sums: HashMap<(i64, u32, u32), OccupancySums> = HashMap::new();
            let mut landlords: BTreeMap<i64, u64> = BTreeMap::new();
            let mut batch = Vec::with_capacity(BATCH);
            let mut written = 0;
            {
                let tx = &mut *tx;
                let mut sink = |rows: &[HouseholdDraft]| -> Result<()> {
                    for h in rows {
                        let n = landlords.entry(h.landlord).or_insert_with(|| 0);
                        if *n == 0 {
                            let key = [Value::int(i64::from(survey)), Value::int(h.landlord)];
                            tx.execute(sql::DELETE_HOUSEHOLDS, &key)?;
                            tx.execute(sql::DELETE_SUMS, &key)?;
                        }
                        *n += 1;
                        let mut id = |name: &str| match names.get(name) {
                            Some(i) => *i,
                            None => {
                                let i = u32::try_from(names.len()).unwrap_or(u32::MAX);
                                names.insert(name.to_string(), i);
                                i
                            }
                        };
                        let key = (
                            h.landlord,
                            id(h.commune.as_str()),
                            id(h.quartier.as_deref().unwrap_or("")),
                        );
                        sums.entry(key).or_default().add(h);
                        batch.push(household_row(survey, h));
                        if batch.len() >= BATCH {
                            written += tx.insert_many("occupancy", HOUSEHOLD_COLUMNS, &batch)?;
                            batch.clear();
                        }
                    }
                    Ok(())
                };
                fill(&mut sink)?;
            }
            written += tx.insert_many("occupancy", HOUSEHOLD_COLUMNS, &batch)?;
            let mut by_id: Vec<&str> = vec![""; names.len()];
            for (name, i) in &names {
                if let Some(slot) = by_id.get_mut(*i as usize) {
                    *slot = name.as_str();
                }
            }
            let name = |i: u32| by_id.get(i as usize).copied().unwrap_or("");
            let rows: Vec<Vec<Value>> = sums
                .iter()
                .map(|((l, commune, quartier), s)| {
                    vec![
                        Value::int(i64::from(survey)),
                        Value::int(*l),
                        Value::text(name(*commune)),
                        Value::text(name(*quartier)),
                        Value::text(s.pack()),
                    ]
                })
                .collect();
            tx.insert_many("occupancy_sums", SUMS_COLUMNS, &rows)?;
            for (l, n) in &landlords {
                tx.record(
                    actor,
                    &Change {
                        entity: "enquete_occupation",
                        entity_id: format!("{survey}/{l}"),
                        operation_id: None,
                        action: "remplacement",
                        before: None,
                        // (Personal data: how many households, never their values.)
                        after: Some(serde_json::json!({ "enquete": survey, "menages": n })),
                    },
                )?;
            }
            Ok((written, landlords.keys().copied().collect()))
        })
    }

    /// The surveys held, oldest first.
    fn occupancy_surveys(&self) -> Result<Vec<i32>> {
        tx::read(self, |tx| {
            tx.query(sql::SURVEYS, &[])?
                .iter()
                .map(|r| Ok(i32::try_from(r.int(0)?).unwrap_or_default()))
                .collect()
        })
    }

    /// A survey's sums per landlord, commune and quartier.
    fn occupancy_sums(&self, survey: i32) -> Result<Vec<AreaOccupancy>> {
        tx::read(self, |tx| {
            tx.query(sql::SUMS, &[Value::int(i64::from(survey))])?
                .iter()
                .map(|r| {
                    let text = r.text(3)?;
                    Ok(AreaOccupancy {
                        landlord: r.int(0)?,
                        commune: r.text(1)?,
                        quartier: r.text(2)?,
                        sums: OccupancySums::unpack(&text).ok_or_else(|| {
                            crate::StoreError::Backend(format!(
                                "sommes d'occupation stockées illisibles « {text} »"
                            ))
                        })?,
                    })
                })
                .collect()
        })
    }

    /// One landlord's households of a survey (its own rows: personal data).
    fn survey_households(&self, survey: i32, landlord: i64) -> Result<Vec<HouseholdDraft>> {
        tx::read(self, |tx| {
            tx.query(
                sql::HOUSEHOLDS,
                &[Value::int(i64::from(survey)), Value::int(landlord)],
            )?
            .iter()
            .map(household_of)
            .collect()
        })
    }

    /// Where the latest vintage of the stock puts a dwelling (by its RPLS identifier).
    fn stock_place(&self, rpls_id: &str) -> Result<Option<logis_domain::settlement::Place>> {
        tx::read(self, |tx| {
            tx.query(sql::PLACE, &[Value::text(rpls_id)])?
                .first()
                .map(|r| {
                    Ok(logis_domain::settlement::Place {
                        commune: r.text(0)?,
                        in_qpv: r.opt_bool(1)?,
                        qpv: r.opt_text(2)?,
                    })
                })
                .transpose()
        })
    }

    /// The QPV codes the stock knows (empty without a stock imported).
    fn known_qpvs(&self) -> Result<std::collections::HashSet<String>> {
        tx::read(self, |tx| {
            tx.query(sql::KNOWN_QPVS, &[])?
                .iter()
                .map(|r| r.text(0))
                .collect()
        })
    }

    /// The EPCI's rule for sensitive quartiers (the default until set).
    fn sensitivity_rule(&self) -> Result<SensitivityRule> {
        tx::read(self, |tx| {
            Ok(match tx.query(sql::RULE, &[])?.first() {
                Some(r) => SensitivityRule {
                    index: r.int(0)? as f64 / 1000.0,
                    indicators: usize::try_from(r.int(1)?).unwrap_or(3),
                },
                None => SensitivityRule::default(),
            })
        })
    }

    fn set_sensitivity_rule(&self, actor: &Actor, rule: &SensitivityRule) -> Result<()> {
        tx::write(self, |tx| {
            tx.execute(sql::DELETE_RULE, &[])?;
            let permille = (rule.index * 1000.0).round() as i64;
            tx.execute(
                sql::INSERT_RULE,
                &[
                    Value::int(permille),
                    Value::int(i64::try_from(rule.indicators).unwrap_or(3)),
                ],
            )?;
            tx.record(
                actor,
                &Change {
                    entity: "regle_quartiers_sensibles",
                    entity_id: "1".into(),
                    operation_id: None,
                    action: "modification",
                    before: None,
                    after: Some(serde_json::json!({
                        "indice_millieme": permille,
                        "indicateurs": rule.indicators,
                    })),
                },
            )
        })
    }

    /// Write communes' SNE demand (a commune and year imported again replaced). Returns the rows.
    fn put_sne_demand(&self, actor: &Actor, rows: &[DemandDraft]) -> Result<u64> {
        tx::write(self, |tx| {
            for d in rows {
                let key = [
                    Value::text(d.commune.as_str()),
                    Value::int(i64::from(d.year)),
                ];
                tx.execute(sql::DELETE_DEMAND, &key)?;
                let mut p = key.to_vec();
                p.extend([
                    Value::int(i64::from(d.demands)),
                    Value::int(i64::from(d.transfers)),
                    Value::int(i64::from(d.attributions)),
                    Value::int(i64::from(d.past_delay)),
                ]);
                tx.execute(sql::INSERT_DEMAND, &p)?;
            }
            tx.record(
                actor,
                &Change {
                    entity: "demande_sne",
                    entity_id: String::new(),
                    operation_id: None,
                    action: "import",
                    before: None,
                    after: Some(serde_json::json!({ "lignes": rows.len() })),
                },
            )?;
            Ok(rows.len() as u64)
        })
    }

    fn sne_demand(&self) -> Result<Vec<DemandDraft>> {
        tx::read(self, |tx| {
            tx.query(sql::DEMAND, &[])?
                .iter()
                .map(|r| {
                    let n = |i| -> Result<u32> { Ok(u32::try_from(r.int(i)?).unwrap_or(0)) };
                    Ok(DemandDraft {
                        commune: CommuneCode::parse(&r.text(0)?)
                            .map_err(|e| crate::StoreError::Backend(e.0))?,
                        year: i32::try_from(r.int(1)?).unwrap_or_default(),
                        demands: n(2)?,
                        transfers: n(3)?,
                        attributions: n(4)?,
                        past_delay: n(5)?,
                    })
                })
                .collect()
        })
    }

    fn create_charter(&self, actor: &Actor, c: &CharterDraft) -> Result<i64> {
        tx::write(self, |tx| {
            let id = tx.insert(sql::INSERT_CHARTER, &charter_params(c))?;
            charter_audit(tx, actor, id, "creation", c)?;
            Ok(id)
        })
    }

    /// Update a charter; `false` when there is none of that id.
    fn update_charter(&self, actor: &Actor, id: i64, c: &CharterDraft) -> Result<bool> {
        tx::write(self, |tx| {
            let mut p = charter_params(c);
            p.push(Value::int(id));
            if tx.execute(sql::UPDATE_CHARTER, &p)? == 0 {
                return Ok(false);
            }
            charter_audit(tx, actor, id, "modification", c)?;
            Ok(true)
        })
    }

    fn charters(&self) -> Result<Vec<CharterRecord>> {
        tx::read(self, |tx| {
            tx.query(sql::CHARTERS, &[])?
                .iter()
                .map(|r| {
                    let bad = |m: String| crate::StoreError::Backend(m);
                    let status = r.text(5)?;
                    Ok(CharterRecord {
                        id: r.int(0)?,
                        charter: CharterDraft {
                            commune: CommuneCode::parse(&r.text(1)?).map_err(|e| bad(e.0))?,
                            quartier: r.text(2)?,
                            title: r.text(3)?,
                            partners: r.text(4)?,
                            status: CharterStatus::from_code(&status).ok_or_else(|| {
                                bad(format!("statut de charte stocké illisible « {status} »"))
                            })?,
                            signed: r.opt_date(6)?,
                            objectives: r.text(7)?,
                            indicators: r
                                .text(8)?
                                .split(',')
                                .filter_map(|c| Indicator::ALL.iter().find(|i| i.code() == c))
                                .copied()
                                .collect(),
                        },
                    })
                })
                .collect()
        })
    }
}
