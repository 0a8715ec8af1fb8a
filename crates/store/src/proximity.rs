//! Shared proximity management as the store keeps it (issue 17, first part), written once on
//! [`crate::tx`] for both backends: sites and their competence tables, reports of dysfunctions
//! routed on arrival to the partner the site's table names for their theme, each partner's
//! queue, an assignment's steps, reports given again, photos, committees, conciergeries' sites
//! and cost shares; the offer for workers on mobility is in [`mobility`].

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
    /// The commune's name, and its INSEE code.
    pub commune: String,
    pub commune_code: String,
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

/// One step of an assignment (its first: given; then each status a partner set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    pub status: AssignmentStatus,
    pub reason: String,
    /// Unix time.
    pub at: i64,
    pub by: String,
}

/// One partner's assignment of a report, with its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentRecord {
    pub id: i64,
    pub partner_id: i64,
    pub partner: String,
    pub status: AssignmentStatus,
    pub opened_on: NaiveDate,
    pub due_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub reason: String,
    pub steps: Vec<StepRecord>,
}

/// A report of a dysfunction as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRecord {
    pub id: i64,
    pub reference: String,
    pub organisation_id: i64,
    pub reporter: String,
    pub site_id: i64,
    pub site: String,
    pub theme: Theme,
    pub reported_on: NaiveDate,
    pub description: String,
    pub address: String,
    /// WGS84 longitude and latitude in millionths of a degree.
    pub point: Option<(i64, i64)>,
    /// The positions (1 to 3) of its photos.
    pub photos: Vec<i64>,
    pub assignments: Vec<AssignmentRecord>,
}

/// Which reports a list shows (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub site: Option<i64>,
    pub theme: Option<Theme>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// `ouverts`, `en_retard` (seen on `today`) or `clos` (no assignment open); empty: all.
    pub state: String,
    pub today: Option<NaiveDate>,
    /// Only the reports this organisation made or was given (`None`: every report).
    pub seen_by: Option<i64>,
    /// At most this many, the latest first.
    pub limit: u64,
}

/// A report as a row of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub id: i64,
    pub reference: String,
    pub reporter: String,
    pub site: String,
    pub theme: Theme,
    pub reported_on: NaiveDate,
    pub address: String,
    /// Assignments still open, and the earliest deadline among them.
    pub open: u64,
    pub due_on: Option<NaiveDate>,
    pub closed: u64,
}

/// A place reported again: (site id, the place as last written, reports).
pub type RepeatedPlace = (i64, String, u64);

/// A committee held for a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitteeRecord {
    pub site_id: i64,
    pub site: String,
    pub held_on: NaiveDate,
    pub note: String,
}

/// A conciergerie's sites and the shares of its cost paid by each partner, per year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ConciergerieRecord {
    pub id: i64,
    pub name: String,
    /// (site id, site name)
    pub sites: Vec<(i64, String)>,
    /// (year, partner id, partner name, amount in cents)
    pub shares: Vec<(i32, i64, String, i64)>,
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
                    commune_code: r.text(4)?,
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
        self.assign_until(actor, report, partner, date, None)
    }

    /// [`Self::assign`], due on `due` when given (else after the theme's deadline).
    fn assign_until(
        &self,
        actor: &Actor,
        report: i64,
        partner: i64,
        date: NaiveDate,
        due: Option<NaiveDate>,
    ) -> Result<()> {
        tx::write(self, |tx| {
            let rows = tx.query(sql::REPORT_ROUTE, &[Value::int(report)])?;
            let Some(r) = rows.first() else {
                return Err(StoreError::NotFound("signalement introuvable".into()));
            };
            let (reference, deadline) = (r.text(0)?, r.opt_int(1)?);
            let theme = theme_of(&r.text(2)?)?;
            let deadline = match due {
                Some(d) => (d - date).num_days().max(0),
                None => deadline.unwrap_or_else(|| i64::from(theme.default_deadline_days())),
            };
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

    /// Every assignment as the committees read them, with its site's id (reports dated from
    /// `from` to `to`, both included; of one site, or every site), in no order.
    fn site_facts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        site: Option<i64>,
    ) -> Result<Vec<(i64, logis_domain::proximity::AssignmentFact)>> {
        let mut params = vec![Value::date(from), Value::date(to)];
        let text = match site {
            Some(id) => {
                params.push(Value::int(id));
                format!("{} AND r.site_id = $3", sql::FACTS)
            }
            None => sql::FACTS.to_string(),
        };
        tx::read(self, |tx| {
            let mut themes: Vec<(String, Theme)> = Vec::new();
            let mut statuses: Vec<(String, AssignmentStatus)> = Vec::new();
            tx.query(&text, &params)?
                .into_iter()
                .map(|r| {
                    // (Few distinct codes: each decoded once.)
                    let code = r.str(2)?;
                    let theme = match themes.iter().find(|(c, _)| c == code) {
                        Some((_, t)) => *t,
                        None => {
                            let t = theme_of(code)?;
                            themes.push((code.to_string(), t));
                            t
                        }
                    };
                    let code = r.str(5)?;
                    let status = match statuses.iter().find(|(c, _)| c == code) {
                        Some((_, st)) => *st,
                        None => {
                            let st = status_of(code)?;
                            statuses.push((code.to_string(), st));
                            st
                        }
                    };
                    Ok((
                        r.int(0)?,
                        logis_domain::proximity::AssignmentFact {
                            partner: r.int(1)?,
                            theme,
                            opened_on: r.date(3)?,
                            due_on: r.date(4)?,
                            status,
                            ended_on: r.opt_date(6)?,
                        },
                    ))
                })
                .collect()
        })
    }

    /// The places reported `at_least` times or more from `from` to `to` (their key ignores case,
    /// accents and spaces), of one site or every site: (site id, the place as last written,
    /// reports), the `most` most reported first; and how many such places there are in all.
    fn repeated_places(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        site: Option<i64>,
        at_least: u64,
        most: u64,
    ) -> Result<(Vec<RepeatedPlace>, u64)> {
        let mut params = vec![Value::date(from), Value::date(to)];
        let mut filter = String::new();
        if let Some(id) = site {
            params.push(Value::int(id));
            filter = " AND site_id = $3".into();
        }
        params.push(Value::count(Some(at_least)));
        let having = params.len();
        params.push(Value::count(Some(most)));
        let text = format!(
            "SELECT g.site_id, r.address, g.n, g.places FROM (SELECT site_id, place_key, COUNT(*) AS n, MAX(id) AS last,
                COUNT(*) OVER () AS places
              FROM proximity_reports WHERE reported_on >= $1 AND reported_on <= $2{filter} AND place_key <> ''
              GROUP BY site_id, place_key HAVING COUNT(*) >= ${having}
              ORDER BY n DESC, last DESC LIMIT ${}) g
            JOIN proximity_reports r ON r.id = g.last",
            having + 1
        );
        let (mut out, all) = tx::read(self, |tx| {
            let mut all = 0;
            let rows = tx
                .query(&text, &params)?
                .into_iter()
                .map(|mut r| {
                    all = r.count(3)?;
                    Ok((r.int(0)?, r.take_text(1)?, r.count(2)?))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok((rows, all))
        })?;
        out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
        Ok((out, all))
    }

    /// The assignments given to `partner`, the open ones first, the oldest deadline first.
    fn queue(&self, partner: i64) -> Result<Vec<QueuedAssignment>> {
        self.queue_since(
            partner,
            NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default(),
        )
    }

    /// The assignments of `partner` still open, and those it ended on `since` or later.
    fn queue_since(&self, partner: i64, since: NaiveDate) -> Result<Vec<QueuedAssignment>> {
        tx::read(self, |tx| {
            tx.query(sql::QUEUE, &[Value::int(partner), Value::date(since)])?
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

/// More of proximity management's storage: one report entered on a form (with its photos),
/// a report's page, lists, the header's count, committees, conciergeries.
pub trait ProximityRecords: ProximityStore {
    /// Record one report (a form's), routed on arrival as an imported one, with its point and
    /// photos (already checked by their content); its id, or the field refused and why.
    fn report_one(
        &self,
        actor: &Actor,
        draft: &ReportDraft,
        point: Option<(i64, i64)>,
        photos: &[(&'static str, Vec<u8>)],
    ) -> Result<std::result::Result<i64, (&'static str, String)>> {
        tx::write(self, |tx| {
            let mut d = draft.clone();
            if d.reference.trim().is_empty() {
                let n = tx
                    .query(sql::NEXT_REFERENCE, &[Value::int(d.organisation)])?
                    .first()
                    .map(|r| r.count(0))
                    .transpose()?
                    .unwrap_or(0);
                d.reference = format!("SIG-{}-{:05}", d.date.format("%Y"), n + 1);
            }
            match put_report(tx, actor, &d)? {
                Err(problem) => return Ok(Err(problem)),
                Ok(Put::Created) => {}
                Ok(_) => {
                    return Ok(Err((
                        "signalement",
                        format!("un signalement « {} » existe déjà", d.reference),
                    )));
                }
            }
            let id = tx
                .query(
                    sql::REPORT_BY_REFERENCE,
                    &[Value::int(d.organisation), Value::text(d.reference.clone())],
                )?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .ok_or_else(|| StoreError::Backend("signalement non relu".into()))?;
            if let Some((lon, lat)) = point {
                tx.execute(
                    sql::SET_POINT,
                    &[Value::int(lon), Value::int(lat), Value::int(id)],
                )?;
            }
            for (i, (kind, bytes)) in photos.iter().enumerate() {
                tx.execute(
                    sql::INSERT_PHOTO,
                    &[
                        Value::int(id),
                        Value::int(i as i64 + 1),
                        Value::text(*kind),
                        Value::Bytes(Some(bytes.clone())),
                    ],
                )?;
            }
            Ok(Ok(id))
        })
    }

    /// A report with its assignments and their steps.
    fn report(&self, id: i64) -> Result<Option<ReportRecord>> {
        tx::read(self, |tx| {
            let rows = tx.query(sql::REPORT, &[Value::int(id)])?;
            let Some(r) = rows.first() else {
                return Ok(None);
            };
            let point = match (r.opt_int(9)?, r.opt_int(10)?) {
                (Some(x), Some(y)) => Some((x, y)),
                _ => None,
            };
            let mut report = ReportRecord {
                id,
                reference: r.text(0)?,
                organisation_id: r.int(1)?,
                reporter: r.text(2)?,
                site_id: r.int(3)?,
                site: r.text(4)?,
                theme: theme_of(&r.text(5)?)?,
                reported_on: r.date(6)?,
                description: r.text(7)?,
                address: r.text(8)?,
                point,
                photos: Vec::new(),
                assignments: Vec::new(),
            };
            for p in tx.query(sql::PHOTOS, &[Value::int(id)])? {
                report.photos.push(p.int(0)?);
            }
            for a in tx.query(sql::ASSIGNMENTS, &[Value::int(id)])? {
                report.assignments.push(AssignmentRecord {
                    id: a.int(0)?,
                    partner_id: a.int(1)?,
                    partner: a.text(2)?,
                    status: status_of(&a.text(3)?)?,
                    opened_on: a.date(4)?,
                    due_on: a.date(5)?,
                    ended_on: a.opt_date(6)?,
                    reason: a.text(7)?,
                    steps: Vec::new(),
                });
            }
            for e in tx.query(sql::STEPS, &[Value::int(id)])? {
                let assignment = e.int(0)?;
                if let Some(a) = report.assignments.iter_mut().find(|a| a.id == assignment) {
                    a.steps.push(StepRecord {
                        status: status_of(&e.text(1)?)?,
                        reason: e.text(2)?,
                        at: e.int(3)?,
                        by: e.text(4)?,
                    });
                }
            }
            Ok(Some(report))
        })
    }

    /// Photo `position` of report `id`: its content type and bytes.
    fn photo(&self, id: i64, position: i64) -> Result<Option<(String, Vec<u8>)>> {
        tx::read(self, |tx| {
            match tx
                .query(sql::PHOTO, &[Value::int(id), Value::int(position)])?
                .first()
            {
                Some(r) => Ok(Some((r.text(0)?, r.bytes(1)?))),
                None => Ok(None),
            }
        })
    }

    /// The reports `filter` asks for, the latest first.
    fn reports(&self, filter: &ReportFilter) -> Result<Vec<ReportRow>> {
        let (text, params) = sql::reports(filter);
        tx::read(self, |tx| {
            tx.query(&text, &params)?
                .iter()
                .map(|r| {
                    Ok(ReportRow {
                        id: r.int(0)?,
                        reference: r.text(1)?,
                        reporter: r.text(2)?,
                        site: r.text(3)?,
                        theme: theme_of(&r.text(4)?)?,
                        reported_on: r.date(5)?,
                        address: r.text(6)?,
                        open: r.count(7)?,
                        due_on: r.opt_date(8)?,
                        closed: r.count(9)?,
                    })
                })
                .collect()
        })
    }

    /// How many assignments `partner` has still to handle (the header's « à traiter »).
    fn open_count(&self, partner: i64) -> Result<u64> {
        tx::read(self, |tx| {
            tx.query(sql::OPEN_COUNT, &[Value::int(partner)])?
                .first()
                .map(|r| r.count(0))
                .unwrap_or(Ok(0))
        })
    }

    /// Record that a committee was held for `site` on `date`.
    fn add_committee(&self, actor: &Actor, site: i64, date: NaiveDate, note: &str) -> Result<()> {
        tx::write(self, |tx| {
            let Some(name) = tx
                .query(sql::SITE_NAME, &[Value::int(site)])?
                .first()
                .map(|r| r.text(0))
                .transpose()?
            else {
                return Err(StoreError::NotFound("site introuvable".into()));
            };
            tx.execute(
                sql::INSERT_COMMITTEE,
                &[
                    Value::int(site),
                    Value::date(date),
                    Value::text(note.trim()),
                ],
            )
            .map_err(|e| match e {
                StoreError::Conflict(_) => StoreError::Conflict(format!(
                    "un comité du site « {name} » est déjà enregistré à cette date"
                )),
                e => e,
            })?;
            tx.record(
                actor,
                &Change {
                    entity: "comite_gusp",
                    entity_id: format!("{name}/{date}"),
                    operation_id: None,
                    action: "creation",
                    before: None,
                    after: Some(
                        serde_json::json!({ "date": date.to_string(), "note": note.trim() }),
                    ),
                },
            )
        })
    }

    /// The committees held from `from` to `to`, by site then date.
    fn committees(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<CommitteeRecord>> {
        tx::read(self, |tx| {
            tx.query(sql::COMMITTEES, &[Value::date(from), Value::date(to)])?
                .iter()
                .map(|r| {
                    Ok(CommitteeRecord {
                        site_id: r.int(0)?,
                        site: r.text(1)?,
                        held_on: r.date(2)?,
                        note: r.text(3)?,
                    })
                })
                .collect()
        })
    }

    /// The names of the sites with a committee held from `from` to `to` and an assignment closed
    /// in that period (the seed's indicator), and the number of sites.
    fn sites_where_real(&self, from: NaiveDate, to: NaiveDate) -> Result<(Vec<String>, u64)> {
        tx::read(self, |tx| {
            let names = tx
                .query(sql::REAL, &[Value::date(from), Value::date(to)])?
                .iter()
                .map(|r| r.text(0))
                .collect::<Result<Vec<_>>>()?;
            let all = tx
                .query(sql::SITE_COUNT, &[])?
                .first()
                .map(|r| r.count(0))
                .unwrap_or(Ok(0))?;
            Ok((names, all))
        })
    }

    /// Say that `conciergerie` covers `site`.
    fn cover_site(&self, actor: &Actor, conciergerie: i64, site: i64) -> Result<()> {
        tx::write(self, |tx| {
            let n = tx.execute(
                sql::COVER_SITE,
                &[Value::int(conciergerie), Value::int(site)],
            )?;
            if n > 0 {
                tx.record(
                    actor,
                    &Change {
                        entity: "conciergerie",
                        entity_id: conciergerie.to_string(),
                        operation_id: None,
                        action: "site",
                        before: None,
                        after: Some(serde_json::json!({ "site": site })),
                    },
                )?;
            }
            Ok(())
        })
    }

    /// Set the share of `conciergerie`'s cost that `partner` pays in `year` (cents).
    fn set_cost_share(
        &self,
        actor: &Actor,
        conciergerie: i64,
        year: i32,
        partner: i64,
        cents: i64,
    ) -> Result<()> {
        tx::write(self, |tx| {
            let before = tx
                .query(
                    sql::SHARE,
                    &[
                        Value::int(conciergerie),
                        Value::int(i64::from(year)),
                        Value::int(partner),
                    ],
                )?
                .first()
                .map(|r| r.int(0))
                .transpose()?;
            if before == Some(cents) {
                return Ok(());
            }
            tx.execute(
                sql::SET_SHARE,
                &[
                    Value::int(conciergerie),
                    Value::int(i64::from(year)),
                    Value::int(partner),
                    Value::int(cents),
                ],
            )?;
            tx.record(
                actor,
                &Change {
                    entity: "conciergerie",
                    entity_id: conciergerie.to_string(),
                    operation_id: None,
                    action: "participation",
                    before: before.map(|c| serde_json::json!({ "montant_centimes": c })),
                    after: Some(serde_json::json!({ "annee": year, "partenaire": partner, "montant_centimes": cents })),
                },
            )
        })
    }

    /// Every conciergerie (organisation of that kind) with its sites and cost shares.
    fn conciergeries(&self) -> Result<Vec<ConciergerieRecord>> {
        tx::read(self, |tx| {
            let mut out: Vec<ConciergerieRecord> = Vec::new();
            for r in tx.query(sql::CONCIERGERIES, &[])? {
                out.push(ConciergerieRecord {
                    id: r.int(0)?,
                    name: r.text(1)?,
                    ..Default::default()
                });
            }
            for r in tx.query(sql::COVERED, &[])? {
                let id = r.int(0)?;
                if let Some(c) = out.iter_mut().find(|c| c.id == id) {
                    c.sites.push((r.int(1)?, r.text(2)?));
                }
            }
            for r in tx.query(sql::SHARES, &[])? {
                let id = r.int(0)?;
                if let Some(c) = out.iter_mut().find(|c| c.id == id) {
                    c.shares.push((
                        i32::try_from(r.int(1)?).unwrap_or(0),
                        r.int(2)?,
                        r.text(3)?,
                        r.int(4)?,
                    ));
                }
            }
            Ok(out)
        })
    }
}

impl<T: ProximityStore + ?Sized> ProximityRecords for T {}

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
    pub const SITES: &str =
        "SELECT s.id, s.name, c.name, s.quartier, s.commune_code FROM proximity_sites s
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
        FROM (SELECT id FROM proximity_assignments WHERE partner_id = $1 AND status IN ('nouveau', 'pris_en_compte', 'en_cours')
              UNION ALL SELECT id FROM proximity_assignments WHERE partner_id = $1 AND ended_on >= $2) pick
        JOIN proximity_assignments a ON a.id = pick.id JOIN proximity_reports r ON r.id = a.report_id
        JOIN organisations o ON o.id = r.organisation_id JOIN proximity_sites s ON s.id = r.site_id
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

    /// (Written for one site by adding `AND r.site_id = $3`.)
    pub const FACTS: &str =
        "SELECT r.site_id, a.partner_id, r.theme, a.opened_on, a.due_on, a.status, a.ended_on
        FROM proximity_reports r JOIN proximity_assignments a ON a.report_id = r.id
        WHERE r.reported_on >= $1 AND r.reported_on <= $2";

    pub const NEXT_REFERENCE: &str =
        "SELECT COUNT(*) FROM proximity_reports WHERE organisation_id = $1";
    pub const SET_POINT: &str =
        "UPDATE proximity_reports SET lon_e6 = $1, lat_e6 = $2 WHERE id = $3";
    pub const INSERT_PHOTO: &str = "INSERT INTO proximity_photos (report_id, position, content_type, bytes) VALUES ($1, $2, $3, $4)";
    pub const REPORT: &str = "SELECT r.reference, r.organisation_id, o.name, r.site_id, s.name, r.theme, r.reported_on, r.description, r.address, r.lon_e6, r.lat_e6
        FROM proximity_reports r JOIN organisations o ON o.id = r.organisation_id JOIN proximity_sites s ON s.id = r.site_id
        WHERE r.id = $1";
    pub const PHOTOS: &str =
        "SELECT position FROM proximity_photos WHERE report_id = $1 ORDER BY position";
    pub const PHOTO: &str =
        "SELECT content_type, bytes FROM proximity_photos WHERE report_id = $1 AND position = $2";
    pub const ASSIGNMENTS: &str = "SELECT a.id, a.partner_id, o.name, a.status, a.opened_on, a.due_on, a.ended_on, a.reason
        FROM proximity_assignments a JOIN organisations o ON o.id = a.partner_id WHERE a.report_id = $1 ORDER BY a.id";
    pub const STEPS: &str = "SELECT e.assignment_id, e.status, e.reason, e.at, e.user_name
        FROM proximity_assignment_events e JOIN proximity_assignments a ON a.id = e.assignment_id
        WHERE a.report_id = $1 ORDER BY e.id";
    /// The list of reports `f` asks for: only the filters given are written, so that each
    /// planner picks the index that serves them (a site's reports by date, or all by date).
    pub fn reports(f: &super::ReportFilter) -> (String, Vec<super::Value>) {
        use super::Value;
        let open = "a.status IN ('nouveau', 'pris_en_compte', 'en_cours')";
        let mut params: Vec<Value> = Vec::new();
        let mut cond: Vec<String> = Vec::new();
        let mut param = |v: Value| {
            params.push(v);
            format!("${}", params.len())
        };
        if let Some(site) = f.site {
            cond.push(format!("r.site_id = {}", param(Value::int(site))));
        }
        if let Some(theme) = f.theme {
            cond.push(format!("r.theme = {}", param(Value::text(theme.code()))));
        }
        if let Some(from) = f.from {
            cond.push(format!("r.reported_on >= {}", param(Value::date(from))));
        }
        if let Some(to) = f.to {
            cond.push(format!("r.reported_on <= {}", param(Value::date(to))));
        }
        match f.state.as_str() {
            "ouverts" => cond.push(format!(
                "EXISTS (SELECT 1 FROM proximity_assignments a WHERE a.report_id = r.id AND {open})"
            )),
            "en_retard" => {
                let today = f.today.unwrap_or_default();
                cond.push(format!(
                    "EXISTS (SELECT 1 FROM proximity_assignments a WHERE a.report_id = r.id AND {open} AND a.due_on < {})",
                    param(Value::date(today))
                ));
            }
            "clos" => cond.push(format!(
                "NOT EXISTS (SELECT 1 FROM proximity_assignments a WHERE a.report_id = r.id AND {open})"
            )),
            _ => {}
        }
        if let Some(org) = f.seen_by {
            let p = param(Value::int(org));
            cond.push(format!(
                "(r.organisation_id = {p} OR EXISTS (SELECT 1 FROM proximity_assignments a WHERE a.report_id = r.id AND a.partner_id = {p}))"
            ));
        }
        let limit = param(Value::count(Some(f.limit.max(1))));
        let filter = if cond.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", cond.join(" AND "))
        };
        let text = format!(
            "SELECT r.id, r.reference, o.name, s.name, r.theme, r.reported_on, r.address,
              SUM(CASE WHEN {open} THEN 1 ELSE 0 END),
              MIN(CASE WHEN {open} THEN a.due_on END),
              SUM(CASE WHEN a.status = 'clos' THEN 1 ELSE 0 END)
            FROM (SELECT r.id, r.reported_on FROM proximity_reports r {filter}
              ORDER BY r.reported_on DESC, r.id DESC LIMIT {limit}) pick
            JOIN proximity_reports r ON r.id = pick.id
            JOIN organisations o ON o.id = r.organisation_id JOIN proximity_sites s ON s.id = r.site_id
            LEFT JOIN proximity_assignments a ON a.report_id = r.id
            GROUP BY r.id, r.reference, o.name, s.name, r.theme, r.reported_on, r.address
            ORDER BY r.reported_on DESC, r.id DESC"
        );
        (text, params)
    }
    pub const OPEN_COUNT: &str = "SELECT COUNT(*) FROM proximity_assignments WHERE partner_id = $1 AND status IN ('nouveau', 'pris_en_compte', 'en_cours')";
    pub const SITE_NAME: &str = "SELECT name FROM proximity_sites WHERE id = $1";
    pub const INSERT_COMMITTEE: &str =
        "INSERT INTO proximity_committees (site_id, held_on, note) VALUES ($1, $2, $3)";
    pub const COMMITTEES: &str = "SELECT c.site_id, s.name, c.held_on, c.note FROM proximity_committees c
        JOIN proximity_sites s ON s.id = c.site_id WHERE c.held_on >= $1 AND c.held_on <= $2 ORDER BY s.name_key, c.held_on";
    pub const COVER_SITE: &str = "INSERT INTO conciergerie_sites (conciergerie_id, site_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    pub const SET_SHARE: &str = "INSERT INTO conciergerie_costs (conciergerie_id, year, partner_id, amount_cents) VALUES ($1, $2, $3, $4)
        ON CONFLICT (conciergerie_id, year, partner_id) DO UPDATE SET amount_cents = excluded.amount_cents";
    pub const SHARE: &str = "SELECT amount_cents FROM conciergerie_costs WHERE conciergerie_id = $1 AND year = $2 AND partner_id = $3";
    pub const REAL: &str = "SELECT s.name FROM proximity_sites s
        WHERE EXISTS (SELECT 1 FROM proximity_committees c WHERE c.site_id = s.id AND c.held_on >= $1 AND c.held_on <= $2)
          AND EXISTS (SELECT 1 FROM proximity_reports r JOIN proximity_assignments a ON a.report_id = r.id
            WHERE r.site_id = s.id AND a.status = 'clos' AND a.ended_on >= $1 AND a.ended_on <= $2)
        ORDER BY s.name_key";
    pub const SITE_COUNT: &str = "SELECT COUNT(*) FROM proximity_sites";
    pub const CONCIERGERIES: &str =
        "SELECT id, name FROM organisations WHERE kind = 'conciergerie' ORDER BY name";
    pub const COVERED: &str = "SELECT c.conciergerie_id, s.id, s.name FROM conciergerie_sites c JOIN proximity_sites s ON s.id = c.site_id ORDER BY s.name_key";
    pub const SHARES: &str = "SELECT c.conciergerie_id, c.year, c.partner_id, o.name, c.amount_cents FROM conciergerie_costs c
        JOIN organisations o ON o.id = c.partner_id ORDER BY c.year, o.name";

    pub const ALL: &[&str] = &[
        NEXT_REFERENCE,
        SET_POINT,
        INSERT_PHOTO,
        REPORT,
        PHOTOS,
        PHOTO,
        ASSIGNMENTS,
        STEPS,
        OPEN_COUNT,
        SITE_NAME,
        INSERT_COMMITTEE,
        COMMITTEES,
        COVER_SITE,
        SET_SHARE,
        SHARE,
        REAL,
        SITE_COUNT,
        CONCIERGERIES,
        COVERED,
        SHARES,
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
