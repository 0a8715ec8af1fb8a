//! The mining basin's cités (ERBM): each cité minière is a project of kind `cite_miniere`, its
//! dwellings per landlord and label before the programme kept in `mining_estates`; its works are
//! the rehabilitation lines of the register's operations of that project.

use crate::Result;
use crate::audit::{Actor, Change};
use crate::tx::{self, Imported, Put, RowResult, Transactions, Tx, Value};
use logis_domain::stock::EstateDraft;
use logis_domain::text::name_key;

/// A cité's dwellings of one landlord.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstateRecord {
    pub project_id: i64,
    pub name: String,
    pub landlord_id: i64,
    pub landlord: String,
    pub commune: String,
    pub dwellings: u64,
    /// A to G.
    pub classes: [u64; 7],
}

/// A rehabilitation line of a cité's operation, as the ERBM report reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstateLine {
    pub project_id: i64,
    pub landlord_id: i64,
    pub stage: Option<String>,
    pub year: i32,
    pub dwellings: u64,
    pub cost_cents: Option<i64>,
    pub dpe_after: Option<String>,
    pub cep_before: Option<i64>,
    pub cep_after: Option<i64>,
}

pub mod sql {
    pub const PROJECT_BY_KEY: &str = "SELECT id, kind FROM projects WHERE name_key = $1";
    pub const INSERT_PROJECT: &str =
        "INSERT INTO projects (name, name_key, kind) VALUES ($1, $2, 'cite_miniere') RETURNING id";
    pub const MAKE_ESTATE: &str = "UPDATE projects SET kind = 'cite_miniere' WHERE id = $1";
    pub const ESTATE: &str = "SELECT commune_code, dwellings, class_a, class_b, class_c, class_d, class_e, class_f, class_g
        FROM mining_estates WHERE project_id = $1 AND landlord_id = $2";
    pub const DELETE_ESTATE: &str =
        "DELETE FROM mining_estates WHERE project_id = $1 AND landlord_id = $2";
    pub const INSERT_ESTATE: &str = "INSERT INTO mining_estates (project_id, landlord_id, commune_code, dwellings, class_a, class_b, class_c, class_d, class_e, class_f, class_g)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    pub const ESTATES: &str = "SELECT m.project_id, p.name, m.landlord_id, org.name, m.commune_code, m.dwellings,
        m.class_a, m.class_b, m.class_c, m.class_d, m.class_e, m.class_f, m.class_g
        FROM mining_estates m JOIN projects p ON p.id = m.project_id JOIN organisations org ON org.id = m.landlord_id
        ORDER BY p.name, org.name";
    pub const LINES: &str = "SELECT o.project_id, o.landlord_id, l.stage, l.year, l.dwellings, l.cost_cents, l.dpe_after, l.cep_before, l.cep_after
        FROM operation_lines l JOIN operations o ON o.id = l.operation_id JOIN projects p ON p.id = o.project_id
        WHERE p.kind = 'cite_miniere' AND l.nature = 'rehabilitation' ORDER BY o.project_id, o.landlord_id";
    pub const ALL: &[&str] = &[
        PROJECT_BY_KEY,
        INSERT_PROJECT,
        MAKE_ESTATE,
        ESTATE,
        DELETE_ESTATE,
        INSERT_ESTATE,
        ESTATES,
        LINES,
    ];
}

fn put_estate(tx: &mut dyn Tx, actor: &Actor, d: &EstateDraft) -> Result<RowResult> {
    let key = name_key(&d.name);
    let found = tx.query(sql::PROJECT_BY_KEY, &[Value::text(key.clone())])?;
    let project = match found.first() {
        Some(r) if r.str(1)? == "cite_miniere" => r.int(0)?,
        // (A project an operations' file created, of no kind yet, becomes the cité.)
        Some(r) if r.str(1)? == "autre" => {
            let id = r.int(0)?;
            tx.execute(sql::MAKE_ESTATE, &[Value::int(id)])?;
            id
        }
        Some(_) => {
            return Ok(Err((
                "cite",
                format!(
                    "« {} » est déjà un projet d'un autre type qu'une cité minière",
                    d.name
                ),
            )));
        }
        None => tx.insert(
            sql::INSERT_PROJECT,
            &[Value::text(d.name.clone()), Value::text(key)],
        )?,
    };
    let k = [Value::int(project), Value::int(d.landlord)];
    let before = tx.query(sql::ESTATE, &k)?;
    let now: Vec<i64> = std::iter::once(i64::from(d.dwellings))
        .chain(d.classes.iter().map(|c| i64::from(*c)))
        .collect();
    if let Some(r) = before.first() {
        let held: Vec<i64> = (1..9).map(|i| r.int(i)).collect::<Result<_>>()?;
        if held == now && r.str(0)? == d.commune.as_str() {
            return Ok(Ok(Put::Unchanged));
        }
        tx.execute(sql::DELETE_ESTATE, &k)?;
    }
    let mut params = k.to_vec();
    params.push(Value::text(d.commune.as_str()));
    params.extend(now.iter().map(|n| Value::int(*n)));
    tx.execute(sql::INSERT_ESTATE, &params)?;
    tx.record(
        actor,
        &Change {
            entity: "cite_miniere",
            entity_id: format!("{project}/{}", d.landlord),
            operation_id: None,
            action: if before.is_empty() {
                "creation"
            } else {
                "modification"
            },
            before: None,
            after: Some(serde_json::json!({
                "cite": d.name, "commune": d.commune.as_str(), "logements": d.dwellings,
                "etiquettes": d.classes,
            })),
        },
    )?;
    Ok(Ok(if before.is_empty() {
        Put::Created
    } else {
        Put::Updated
    }))
}

/// The mining basin's storage, written once on [`crate::tx`].
pub trait MiningStore: Transactions {
    /// Import cités (every row's problem kept; any problem writes nothing).
    fn put_estates(&self, actor: &Actor, rows: &[(u64, EstateDraft)]) -> Result<Imported> {
        tx::import_rows(self, rows, &|tx, d| put_estate(tx, actor, d))
    }

    /// Every cité's dwellings per landlord, by cité then landlord.
    fn estates(&self) -> Result<Vec<EstateRecord>> {
        tx::read(self, |tx| {
            tx.query(sql::ESTATES, &[])?
                .iter()
                .map(|r| {
                    let mut classes = [0u64; 7];
                    for (i, c) in classes.iter_mut().enumerate() {
                        *c = r.count(6 + i)?;
                    }
                    Ok(EstateRecord {
                        project_id: r.int(0)?,
                        name: r.text(1)?,
                        landlord_id: r.int(2)?,
                        landlord: r.text(3)?,
                        commune: r.text(4)?,
                        dwellings: r.count(5)?,
                        classes,
                    })
                })
                .collect()
        })
    }

    /// The rehabilitation lines of the cités' operations.
    fn estate_lines(&self) -> Result<Vec<EstateLine>> {
        tx::read(self, |tx| {
            tx.query(sql::LINES, &[])?
                .iter()
                .map(|r| {
                    Ok(EstateLine {
                        project_id: r.int(0)?,
                        landlord_id: r.int(1)?,
                        stage: r.opt_text(2)?,
                        year: i32::try_from(r.int(3)?).unwrap_or_default(),
                        dwellings: r.count(4)?,
                        cost_cents: r.opt_int(5)?,
                        dpe_after: r.opt_text(6)?,
                        cep_before: r.opt_int(7)?,
                        cep_after: r.opt_int(8)?,
                    })
                })
                .collect()
        })
    }
}
