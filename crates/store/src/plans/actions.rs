//! The partnerships' joint action plans as the store keeps them (issue 22), written once on
//! [`crate::tx`]: actions, what each names (one link per landlord, commune, residence,
//! operation or land site) and the steering committee's decisions.

use crate::Result;
use crate::audit::{Actor, Change};
use crate::tx::{self, Row, Transactions, Value};
use logis_domain::plans::actions::{ActionDraft, ActionKind, ActionStatus, Decision};
use serde::Serialize;

pub mod sql {
    pub const INSERT_ACTION: &str = "INSERT INTO plan_actions (partnership_id, title, kind, status, lead_id, first_year, last_year, detail, origin, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id";
    pub const UPDATE_ACTION: &str = "UPDATE plan_actions SET partnership_id = $1, title = $2, kind = $3, status = $4, lead_id = $5, first_year = $6, last_year = $7, detail = $8, updated_at = $9 WHERE id = $10";
    pub const SET_STATUS: &str =
        "UPDATE plan_actions SET status = $1, updated_at = $2 WHERE id = $3";
    pub const DELETE_LINKS: &str = "DELETE FROM plan_action_links WHERE action_id = $1";
    pub const INSERT_LINK: &str =
        "INSERT INTO plan_action_links (action_id, kind, target, label) VALUES ($1, $2, $3, $4)";
    pub const INSERT_DECISION: &str = "INSERT INTO plan_decisions (action_id, decided_on, decision, status, recorded_at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
    pub const ACTIONS: &str = "SELECT id, partnership_id, title, kind, status, lead_id, first_year, last_year, detail, origin, created_at, updated_at FROM plan_actions ORDER BY id";
    pub const LINKS: &str = "SELECT action_id, kind, target, label FROM plan_action_links ORDER BY action_id, kind, label";
    pub const DECISIONS: &str = "SELECT id, action_id, decided_on, decision, status, recorded_at FROM plan_decisions ORDER BY action_id, decided_on, id";
    pub const ALL: &[&str] = &[
        INSERT_ACTION,
        UPDATE_ACTION,
        SET_STATUS,
        DELETE_LINKS,
        INSERT_LINK,
        INSERT_DECISION,
        ACTIONS,
        LINKS,
        DECISIONS,
    ];
}

/// What an action's link names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum LinkKind {
    /// An organisation's id.
    Landlord,
    /// An INSEE code.
    Commune,
    /// `landlord_id/residence_key` of a plan's residence.
    Residence,
    /// An operation's id in the register.
    Operation,
    /// A land site's id.
    Site,
}

impl LinkKind {
    pub const ALL: &[LinkKind] = &[
        LinkKind::Landlord,
        LinkKind::Commune,
        LinkKind::Residence,
        LinkKind::Operation,
        LinkKind::Site,
    ];
    pub fn code(self) -> &'static str {
        match self {
            LinkKind::Landlord => "bailleur",
            LinkKind::Commune => "commune",
            LinkKind::Residence => "residence",
            LinkKind::Operation => "operation",
            LinkKind::Site => "site",
        }
    }
    pub fn from_code(code: &str) -> Option<LinkKind> {
        LinkKind::ALL.iter().copied().find(|k| k.code() == code)
    }
}

/// One thing an action names: its key (`target`) and how it reads (`label`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionLink {
    pub kind: LinkKind,
    pub target: String,
    pub label: String,
}

/// An action as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAction {
    pub partnership: i64,
    pub lead: i64,
    pub draft: ActionDraft,
    /// The finding it came from (empty: proposed by hand).
    pub origin: String,
    pub links: Vec<ActionLink>,
}

/// A decision as held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    pub id: i64,
    pub decision: Decision,
    pub recorded_at: String,
}

/// An action as held, with its links and decisions (by date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    pub id: i64,
    pub action: NewAction,
    pub decisions: Vec<DecisionRecord>,
    pub created_at: String,
    pub updated_at: String,
}

impl ActionRecord {
    /// Its links of one kind.
    pub fn links(&self, kind: LinkKind) -> impl Iterator<Item = &ActionLink> {
        self.action.links.iter().filter(move |l| l.kind == kind)
    }
}

fn stamp() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M").to_string()
}

fn year(v: Option<i32>) -> Value {
    Value::Int(v.map(i64::from))
}

fn write_links(tx: &mut dyn tx::Tx, id: i64, links: &[ActionLink]) -> Result<()> {
    tx.execute(sql::DELETE_LINKS, &[Value::int(id)])?;
    let mut seen = std::collections::BTreeSet::new();
    for l in links {
        if seen.insert((l.kind, l.target.clone())) {
            tx.execute(
                sql::INSERT_LINK,
                &[
                    Value::int(id),
                    Value::text(l.kind.code()),
                    Value::text(l.target.clone()),
                    Value::text(l.label.clone()),
                ],
            )?;
        }
    }
    Ok(())
}

fn action_of(r: &Row) -> Result<ActionRecord> {
    let bad = |m: String| crate::StoreError::Backend(m);
    let kind = r.text(3)?;
    let status = r.text(4)?;
    let year = |v: Option<i64>| v.and_then(|y| i32::try_from(y).ok());
    Ok(ActionRecord {
        id: r.int(0)?,
        action: NewAction {
            partnership: r.int(1)?,
            lead: r.int(5)?,
            draft: ActionDraft {
                title: r.text(2)?,
                kind: ActionKind::from_code(&kind)
                    .ok_or_else(|| bad(format!("type d'action stocké illisible « {kind} »")))?,
                status: ActionStatus::from_code(&status)
                    .ok_or_else(|| bad(format!("statut stocké illisible « {status} »")))?,
                first_year: year(r.opt_int(6)?),
                last_year: year(r.opt_int(7)?),
                detail: r.text(8)?,
            },
            origin: r.text(9)?,
            links: Vec::new(),
        },
        decisions: Vec::new(),
        created_at: r.text(10)?,
        updated_at: r.text(11)?,
    })
}

/// The joint action plans' storage (adapters: `impl ActionStore for … {}`).
pub trait ActionStore: Transactions {
    /// Write an action (`id`: replace that one's fields and links; its status is the draft's).
    /// Its id.
    fn save_action(&self, actor: &Actor, id: Option<i64>, a: &NewAction) -> Result<i64> {
        tx::write(self, |tx| {
            let d = &a.draft;
            let now = stamp();
            let id = match id {
                None => tx.insert(
                    sql::INSERT_ACTION,
                    &[
                        Value::int(a.partnership),
                        Value::text(d.title.clone()),
                        Value::text(d.kind.code()),
                        Value::text(d.status.code()),
                        Value::int(a.lead),
                        year(d.first_year),
                        year(d.last_year),
                        Value::text(d.detail.clone()),
                        Value::text(a.origin.clone()),
                        Value::text(now),
                    ],
                )?,
                Some(id) => {
                    let n = tx.execute(
                        sql::UPDATE_ACTION,
                        &[
                            Value::int(a.partnership),
                            Value::text(d.title.clone()),
                            Value::text(d.kind.code()),
                            Value::text(d.status.code()),
                            Value::int(a.lead),
                            year(d.first_year),
                            year(d.last_year),
                            Value::text(d.detail.clone()),
                            Value::text(now),
                            Value::int(id),
                        ],
                    )?;
                    if n == 0 {
                        return Err(crate::StoreError::NotFound(format!("action {id}")));
                    }
                    id
                }
            };
            write_links(tx, id, &a.links)?;
            tx.record(
                actor,
                &Change::event(
                    "action_plan",
                    id,
                    "enregistrement",
                    serde_json::to_value(a).unwrap_or_default(),
                ),
            )?;
            Ok(id)
        })
    }

    /// Record a committee's decision on an action (its status set when the decision sets one).
    fn add_decision(&self, actor: &Actor, action: i64, d: &Decision) -> Result<i64> {
        tx::write(self, |tx| {
            let now = stamp();
            let id = tx.insert(
                sql::INSERT_DECISION,
                &[
                    Value::int(action),
                    Value::text(d.date.format("%Y-%m-%d").to_string()),
                    Value::text(d.decision.clone()),
                    Value::Text(d.status.map(|s| s.code().to_string())),
                    Value::text(now.clone()),
                ],
            )?;
            if let Some(s) = d.status {
                tx.execute(
                    sql::SET_STATUS,
                    &[Value::text(s.code()), Value::text(now), Value::int(action)],
                )?;
            }
            tx.record(
                actor,
                &Change::event(
                    "action_plan",
                    action,
                    "decision",
                    serde_json::json!({ "date": d.date.to_string(), "decision": d.decision, "statut": d.status.map(|s| s.code()) }),
                ),
            )?;
            Ok(id)
        })
    }

    /// Every action, with its links and decisions.
    fn actions(&self) -> Result<Vec<ActionRecord>> {
        tx::read(self, |tx| {
            let mut out: Vec<ActionRecord> = tx
                .query(sql::ACTIONS, &[])?
                .iter()
                .map(action_of)
                .collect::<Result<_>>()?;
            let at = |out: &[ActionRecord], id: i64| out.binary_search_by_key(&id, |a| a.id).ok();
            for r in tx.query(sql::LINKS, &[])? {
                let Some(i) = at(&out, r.int(0)?) else {
                    continue;
                };
                let Some(kind) = LinkKind::from_code(r.str(1)?) else {
                    continue;
                };
                if let Some(a) = out.get_mut(i) {
                    a.action.links.push(ActionLink {
                        kind,
                        target: r.text(2)?,
                        label: r.text(3)?,
                    });
                }
            }
            for r in tx.query(sql::DECISIONS, &[])? {
                let Some(i) = at(&out, r.int(1)?) else {
                    continue;
                };
                let status = r.opt_text(4)?.and_then(|s| ActionStatus::from_code(&s));
                let date = logis_domain::numbers::parse_date(r.str(2)?).unwrap_or_default();
                if let Some(a) = out.get_mut(i) {
                    a.decisions.push(DecisionRecord {
                        id: r.int(0)?,
                        decision: Decision {
                            date,
                            decision: r.text(3)?,
                            status,
                        },
                        recorded_at: r.text(5)?,
                    });
                }
            }
            Ok(out)
        })
    }
}
