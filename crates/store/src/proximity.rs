//! Shared proximity management as the store keeps it (issue 17, first part), written once on
//! [`crate::tx`] for both backends: sites and their competence tables, reports of dysfunctions
//! routed on arrival to the partner the site's table names for their theme, each partner's
//! queue. (Photos, the steps of an assignment, committees and the mobility offer are to come.)

pub mod mobility;

use crate::audit::{Actor, Change};
use crate::tx::{self, Put, RowResult, Transactions, Tx, Value};
use crate::{Result, StoreError};
use chrono::NaiveDate;
use logis_domain::proximity::{AssignmentStatus, CompetenceDraft, ReportDraft, Theme};
use logis_domain::text::name_key;
use serde::Serialize;

/// What an import of competences, reports or mobility files did.
pub type ProximityImportOutcome = tx::Imported;

/// A line of a site's competence table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Competence {
    pub theme: Theme,
    pub partner_id: i64,
    pub partner: String,
    pub deadline_days: u32,
}

/// A site of proximity management and its competence table (by theme).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProximitySite {
    pub id: i64,
    pub name: String,
    pub commune: String,
    pub quartier: String,
    pub competences: Vec<Competence>,
}

/// One assignment in a partner's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedAssignment {
    pub id: i64,
    pub report_id: i64,
    pub reference: String,
    pub reporter: String,
    pub site: String,
    pub theme: Theme,
    pub reported_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: AssignmentStatus,
    pub description: String,
}

fn theme_of(code: &str) -> Result<Theme> {
    crate::decode(Theme::from_code(code), "le thème", code)
}

fn status_of(code: &str) -> Result<AssignmentStatus> {
    crate::decode(AssignmentStatus::from_code(code), "le statut", code)
}

/// Proximity management's storage, written once for both backends.
pub trait ProximityStore: Transactions {
    /// Create the sites named and set their competence tables' lines, in one transaction.
    fn put_competences(
        &self,
        actor: &Actor,
        rows: &[(u64, CompetenceDraft)],
    ) -> Result<ProximityImportOutcome> {
        let actor = actor.clone();
        tx::import_rows(self, rows, &move |tx, d| put_competence(tx, &actor, d))
    }

    /// Every site with its competence table, by name.
    fn proximity_sites(&self) -> Result<Vec<ProximitySite>> {
        tx::read(self, |tx| {
            let mut sites: Vec<ProximitySite> = Vec::new();
            for r in tx.query(sql::SITES, &[])? {
                sites.push(ProximitySite {
                    id: r.int(0)?,
                    name: r.text(1)?,
                    commune: r.text(2)?,
                    quartier: r.text(3)?,
                    competences: Vec::new(),
                });
            }
            for r in tx.query(sql::COMPETENCES, &[])? {
                let site = r.int(0)?;
                if let Some(s) = sites.iter_mut().find(|s| s.id == site) {
                    s.competences.push(Competence {
                        theme: theme_of(&r.text(1)?)?,
                        partner_id: r.int(2)?,
                        partner: r.text(3)?,
                        deadline_days: u32::try_from(r.int(4)?).unwrap_or(0),
                    });
                }
            }
            Ok(sites)
        })
    }

    /// Record reports, each routed on arrival to the partner its site's table names for its
    /// theme (its deadline from the table); a report imported again is updated, never routed twice.
    fn put_reports(
        &self,
        actor: &Actor,
        rows: &[(u64, ReportDraft)],
    ) -> Result<ProximityImportOutcome> {
        let actor = actor.clone();
        tx::import_rows(self, rows, &move |tx, d| put_report(tx, &actor, d))
    }

    /// Move `partner`'s assignment `id` to `status` on `date` (its reason for a refusal or a
    /// closure). Another partner's assignment is unknown to it. A refusal ends it: the report,
    /// without an open assignment, waits to be given to another partner ([`Self::assign`]).
    fn set_assignment(
        &self,
        actor: &Actor,
        id: i64,
        partner: i64,
        status: AssignmentStatus,
        reason: &str,
        date: NaiveDate,
    ) -> Result<()> {
        tx::write(self, |tx| {
            tx.lock_row("proximity_assignments", id)?;
            let rows = tx.query(sql::ASSIGNMENT, &[Value::int(id), Value::int(partner)])?;
            let Some(r) = rows.first() else {
                return Err(StoreError::NotFound("signalement introuvable".into()));
            };
            let (before, reference) = (status_of(&r.text(0)?)?, r.text(1)?);
            if !before.may_become(status) {
                return Err(StoreError::Invalid(format!(
                    "ce signalement est « {} » : il ne peut pas passer à « {} »",
                    before.label(),
                    status.label()
                )));
            }
            if status.needs_reason() && reason.trim().is_empty() {
                return Err(StoreError::Invalid(format!(
                    "donnez le motif (« {} » en demande un : il est gardé et montré à qui a signalé)",
                    status.label()
                )));
            }
            let ended = (!status.open()).then_some(date);
            tx.execute(
                sql::SET_ASSIGNMENT,
                &[
                    Value::text(status.code()),
                    Value::Date(ended),
                    Value::text(reason.trim()),
                    Value::int(id),
                ],
            )?;
            tx.execute(
                sql::ASSIGNMENT_EVENT,
                &[
                    Value::int(id),
                    Value::text(status.code()),
                    Value::text(reason.trim()),
                    Value::int(crate::audit::now()),
                    Value::text(actor.name.clone()),
                ],
            )?;
            tx.record(
                actor,
                &Change {
                    entity: "signalement",
                    entity_id: reference,
                    operation_id: None,
                    action: "statut",
                    before: Some(serde_json::Value::String(before.code().into())),
                    after: Some(serde_json::json!({ "partenaire": partner, "statut": status.code(), "motif": reason.trim() })),
                },
            )
        })
    }

    /// Give report `report` to `partner` too (another partner's share, or the new holder of a
    /// report refused as out of its competence), due after the theme's deadline on its site.
    fn assign(&self, actor: &Actor, report: i64, partner: i64, date: NaiveDate) -> Result<()> {
        tx::write(self, |tx| {
            let rows = tx.query(sql::REPORT_ROUTE, &[Value::int(report)])?;
            let Some(r) = rows.first() else {
                return Err(StoreError::NotFound("signalement introuvable".into()));
            };
            let (reference, deadline) = (r.text(0)?, r.opt_int(1)?);
            let theme = theme_of(&r.text(2)?)?;
            let deadline = deadline.unwrap_or_else(|| i64::from(theme.default_deadline_days()));
            if !tx
                .query(sql::ASSIGNED_TO, &[Value::int(report), Value::int(partner)])?
                .is_empty()
            {
                return Err(StoreError::Conflict(
                    "ce partenaire a déjà reçu ce signalement".into(),
                ));
            }
            let due = open_assignment(tx, actor, report, partner, date, deadline, "attribué")?;
            tx.record(
                actor,
                &Change {
                    entity: "signalement",
                    entity_id: reference,
                    operation_id: None,
                    action: "attribution",
                    before: None,
                    after: Some(
                        serde_json::json!({ "partenaire": partner, "echeance": due.to_string() }),
                    ),
                },
            )
        })
    }

    /// The reports without an open assignment (every partner refused or closed), to give again.
    fn unassigned_reports(&self) -> Result<Vec<(i64, String, String)>> {
        tx::read(self, |tx| {
            tx.query(sql::UNASSIGNED, &[])?
                .iter()
                .map(|r| Ok((r.int(0)?, r.text(1)?, r.text(2)?)))
                .collect()
        })
    }

    /// Every assignment as the committees read them, with its site's and partner's names
    /// (reports dated from `from` to `to`, both included).
    fn assignment_facts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, String, logis_domain::proximity::AssignmentFact)>> {
        tx::read(self, |tx| {
            tx.query(sql::FACTS, &[Value::date(from), Value::date(to)])?
                .iter()
                .map(|r| {
                    Ok((
                        r.text(0)?,
                        r.text(1)?,
                        logis_domain::proximity::AssignmentFact {
                            partner: r.int(2)?,
                            theme: theme_of(&r.text(3)?)?,
                            opened_on: r.date(4)?,
                            due_on: r.date(5)?,
                            status: status_of(&r.text(6)?)?,
                            ended_on: r.opt_date(7)?,
                            place: r.text(8)?,
                        },
                    ))
                })
                .collect()
        })
    }

    /// The assignments given to `partner`, the open ones first, the oldest deadline first.
    fn queue(&self, partner: i64) -> Result<Vec<QueuedAssignment>> {
        tx::read(self, |tx| {
            tx.query(sql::QUEUE, &[Value::int(partner)])?
                .iter()
                .map(|r| {
                    Ok(QueuedAssignment {
                        id: r.int(0)?,
                        report_id: r.int(1)?,
                        reference: r.text(2)?,
                        reporter: r.text(3)?,
                        site: r.text(4)?,
                        theme: theme_of(&r.text(5)?)?,
                        reported_on: r.date(6)?,
                        due_on: r.date(7)?,
                        status: status_of(&r.text(8)?)?,
                        description: r.text(9)?,
                    })
                })
                .collect()
        })
    }
}

/// Give `report` to `partner` from `date`, due `deadline` days later, with the step's reason;
/// the due date.
fn open_assignment(
    tx: &mut dyn Tx,
    actor: &Actor,
    report: i64,
    partner: i64,
    date: NaiveDate,
    deadline: i64,
    reason: &str,
) -> Result<NaiveDate> {
    let due = date
        .checked_add_days(chrono::Days::new(u64::try_from(deadline).unwrap_or(0)))
        .unwrap_or(date);
    let id = tx.insert(
        sql::INSERT_ASSIGNMENT,
        &[
            Value::int(report),
            Value::int(partner),
            Value::text(AssignmentStatus::New.code()),
            Value::date(date),
            Value::date(due),
        ],
    )?;
    tx.execute(
        sql::ASSIGNMENT_EVENT,
        &[
            Value::int(id),
            Value::text(AssignmentStatus::New.code()),
            Value::text(reason),
            Value::int(crate::audit::now()),
            Value::text(actor.name.clone()),
        ],
    )?;
    Ok(due)
}

fn put_competence(tx: &mut dyn Tx, actor: &Actor, d: &CompetenceDraft) -> Result<RowResult> {
    let key = name_key(&d.site);
    let quartier = d.quartier.clone().unwrap_or_default();
    let site = match tx
        .query(sql::SITE_BY_KEY, &[Value::text(key.clone())])?
        .first()
    {
        Some(r) => {
            let (id, commune) = (r.int(0)?, r.text(1)?);
            if commune != d.commune.as_str() {
                return Ok(Err((
                    "commune",
                    format!(
                        "le site « {} » est déjà dans la commune {commune} : un site, une commune",
                        d.site
                    ),
                )));
            }
            id
        }
        None => tx.insert(
            sql::INSERT_SITE,
            &[
                Value::text(d.site.clone()),
                Value::text(key),
                Value::text(d.commune.as_str()),
                Value::text(quartier),
            ],
        )?,
    };
    let before = tx.query(
        sql::COMPETENCE,
        &[Value::int(site), Value::text(d.theme.code())],
    )?;
    let before = match before.first() {
        Some(r) => Some((r.int(0)?, r.int(1)?)),
        None => None,
    };
    let deadline = i64::from(d.deadline_days);
    if before == Some((d.partner, deadline)) {
        return Ok(Ok(Put::Unchanged));
    }
    tx.execute(
        sql::PUT_COMPETENCE,
        &[
            Value::int(site),
            Value::text(d.theme.code()),
            Value::int(d.partner),
            Value::int(deadline),
        ],
    )?;
    tx.record(
        actor,
        &Change {
            entity: "competence_gusp",
            entity_id: format!("{}/{}", d.site, d.theme.code()),
            operation_id: None,
            action: if before.is_some() {
                "modification"
            } else {
                "creation"
            },
            before: before.map(|(p, dl)| serde_json::json!({ "partenaire": p, "delai_jours": dl })),
            after: Some(serde_json::json!({ "partenaire": d.partner, "delai_jours": deadline })),
        },
    )?;
    Ok(Ok(if before.is_some() {
        Put::Updated
    } else {
        Put::Created
    }))
}

fn put_report(tx: &mut dyn Tx, actor: &Actor, d: &ReportDraft) -> Result<RowResult> {
    let Some(site) = tx
        .query(sql::SITE_BY_KEY, &[Value::text(name_key(&d.site))])?
        .first()
        .map(|r| r.int(0))
        .transpose()?
    else {
        return Ok(Err((
            "site",
            format!(
                "site inconnu « {} » (importez d'abord sa table de compétences)",
                d.site
            ),
        )));
    };
    let table = tx.query(sql::SITE_COMPETENCES, &[Value::int(site)])?;
    let mut themes = Vec::new();
    let mut route = None;
    for r in &table {
        let theme = theme_of(&r.text(0)?)?;
        if theme == d.theme {
            route = Some((r.int(1)?, r.int(2)?));
        }
        themes.push(theme.label());
    }
    let Some((partner, deadline)) = route else {
        return Ok(Err((
            "theme",
            format!(
                "le thème « {} » n'est pas dans la table de compétences du site « {} » (thèmes : {})",
                d.theme.label(),
                d.site,
                if themes.is_empty() {
                    "aucun".to_string()
                } else {
                    themes.join(", ")
                }
            ),
        )));
    };
    let existing = tx.query(
        sql::REPORT_BY_REFERENCE,
        &[Value::int(d.organisation), Value::text(d.reference.clone())],
    )?;
    if let Some(r) = existing.first() {
        let id = r.int(0)?;
        let same = r.int(1)? == site
            && r.text(2)? == d.theme.code()
            && r.date(3)? == d.date
            && r.text(4)? == d.description
            && r.text(5)? == d.address;
        if same {
            return Ok(Ok(Put::Unchanged));
        }
        tx.execute(
            sql::UPDATE_REPORT,
            &[
                Value::date(d.date),
                Value::text(d.description.clone()),
                Value::text(d.address.clone()),
                Value::text(name_key(&d.address)),
                Value::int(id),
            ],
        )?;
        tx.record(
            actor,
            &Change {
                entity: "signalement",
                entity_id: d.reference.clone(),
                operation_id: None,
                action: "modification",
                before: None,
                after: Some(serde_json::json!({ "date": d.date.to_string(), "description": d.description, "adresse": d.address })),
            },
        )?;
        return Ok(Ok(Put::Updated));
    }
    let report = tx.insert(
        sql::INSERT_REPORT,
        &[
            Value::int(d.organisation),
            Value::text(d.reference.clone()),
            Value::int(site),
            Value::text(d.theme.code()),
            Value::date(d.date),
            Value::text(d.description.clone()),
            Value::text(d.address.clone()),
            Value::text(name_key(&d.address)),
            Value::int(crate::audit::now()),
        ],
    )?;
    let due = open_assignment(
        tx,
        actor,
        report,
        partner,
        d.date,
        deadline,
        "attribué selon la table de compétences du site",
    )?;
    tx.record(
        actor,
        &Change {
            entity: "signalement",
            entity_id: d.reference.clone(),
            operation_id: None,
            action: "creation",
            before: None,
            after: Some(serde_json::json!({
                "site": d.site, "theme": d.theme.code(), "date": d.date.to_string(),
                "description": d.description, "adresse": d.address, "partenaire": partner,
                "echeance": due.to_string(),
            })),
        },
    )?;
    Ok(Ok(Put::Created))
}

/// This capability's SQL, written once (`$N` parameters in order of first appearance).
pub mod sql {
    pub const SITES: &str = "SELECT s.id, s.name, c.name, s.quartier FROM proximity_sites s
        JOIN communes c ON c.code = s.commune_code ORDER BY s.name_key";
    pub const COMPETENCES: &str = "SELECT k.site_id, k.theme, k.partner_id, o.name, k.deadline_days
        FROM proximity_competences k JOIN organisations o ON o.id = k.partner_id ORDER BY k.site_id, k.theme";
    pub const SITE_BY_KEY: &str =
        "SELECT id, commune_code FROM proximity_sites WHERE name_key = $1";
    pub const INSERT_SITE: &str = "INSERT INTO proximity_sites (name, name_key, commune_code, quartier) VALUES ($1, $2, $3, $4) RETURNING id";
    pub const COMPETENCE: &str = "SELECT partner_id, deadline_days FROM proximity_competences WHERE site_id = $1 AND theme = $2";
    pub const PUT_COMPETENCE: &str = "INSERT INTO proximity_competences (site_id, theme, partner_id, deadline_days) VALUES ($1, $2, $3, $4)
        ON CONFLICT (site_id, theme) DO UPDATE SET partner_id = excluded.partner_id, deadline_days = excluded.deadline_days";
    pub const SITE_COMPETENCES: &str = "SELECT theme, partner_id, deadline_days FROM proximity_competences WHERE site_id = $1 ORDER BY theme";
    pub const REPORT_BY_REFERENCE: &str =
        "SELECT id, site_id, theme, reported_on, description, address FROM proximity_reports
        WHERE organisation_id = $1 AND reference = $2";
    pub const UPDATE_REPORT: &str = "UPDATE proximity_reports SET reported_on = $1, description = $2, address = $3, place_key = $4 WHERE id = $5";
    pub const INSERT_REPORT: &str = "INSERT INTO proximity_reports (organisation_id, reference, site_id, theme, reported_on, description, address, place_key, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    pub const INSERT_ASSIGNMENT: &str =
        "INSERT INTO proximity_assignments (report_id, partner_id, status, opened_on, due_on)
        VALUES ($1, $2, $3, $4, $5) RETURNING id";
    pub const ASSIGNMENT_EVENT: &str = "INSERT INTO proximity_assignment_events (assignment_id, status, reason, at, user_name) VALUES ($1, $2, $3, $4, $5)";
    pub const QUEUE: &str = "SELECT a.id, r.id, r.reference, o.name, s.name, r.theme, r.reported_on, a.due_on, a.status, r.description
        FROM proximity_assignments a JOIN proximity_reports r ON r.id = a.report_id
        JOIN organisations o ON o.id = r.organisation_id JOIN proximity_sites s ON s.id = r.site_id
        WHERE a.partner_id = $1
        ORDER BY CASE WHEN a.status IN ('nouveau', 'pris_en_compte', 'en_cours') THEN 0 ELSE 1 END, a.due_on, a.id";

    pub const ASSIGNMENT: &str = "SELECT a.status, r.reference FROM proximity_assignments a JOIN proximity_reports r ON r.id = a.report_id
        WHERE a.id = $1 AND a.partner_id = $2";
    pub const SET_ASSIGNMENT: &str =
        "UPDATE proximity_assignments SET status = $1, ended_on = $2, reason = $3 WHERE id = $4";
    pub const REPORT_ROUTE: &str = "SELECT r.reference, k.deadline_days, r.theme FROM proximity_reports r
        LEFT JOIN proximity_competences k ON k.site_id = r.site_id AND k.theme = r.theme WHERE r.id = $1";
    pub const ASSIGNED_TO: &str =
        "SELECT 1 FROM proximity_assignments WHERE report_id = $1 AND partner_id = $2";
    pub const UNASSIGNED: &str = "SELECT r.id, r.reference, s.name FROM proximity_reports r JOIN proximity_sites s ON s.id = r.site_id
        WHERE NOT EXISTS (SELECT 1 FROM proximity_assignments a WHERE a.report_id = r.id AND a.status IN ('nouveau', 'pris_en_compte', 'en_cours'))
          AND NOT EXISTS (SELECT 1 FROM proximity_assignments a WHERE a.report_id = r.id AND a.status = 'clos')
        ORDER BY r.reported_on, r.id";

    pub const FACTS: &str = "SELECT s.name, o.name, a.partner_id, r.theme, a.opened_on, a.due_on, a.status, a.ended_on, r.address
        FROM proximity_assignments a JOIN proximity_reports r ON r.id = a.report_id
        JOIN proximity_sites s ON s.id = r.site_id JOIN organisations o ON o.id = a.partner_id
        WHERE r.reported_on >= $1 AND r.reported_on <= $2
        ORDER BY s.name_key, o.name, r.theme";

    pub const ALL: &[&str] = &[
        FACTS,
        ASSIGNMENT,
        SET_ASSIGNMENT,
        REPORT_ROUTE,
        ASSIGNED_TO,
        UNASSIGNED,
        SITES,
        COMPETENCES,
        SITE_BY_KEY,
        INSERT_SITE,
        COMPETENCE,
        PUT_COMPETENCE,
        SITE_COMPETENCES,
        REPORT_BY_REFERENCE,
        UPDATE_REPORT,
        INSERT_REPORT,
        INSERT_ASSIGNMENT,
        ASSIGNMENT_EVENT,
        QUEUE,
    ];
}
