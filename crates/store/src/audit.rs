//! The audit trail: who made a write ([`Actor`]), what it changed ([`Change`], recorded by the
//! adapters in the write's own transaction), and the [`AuditStore`] port that reads it back.

use crate::Result;
use serde::Serialize;

/// How a write reached logis, recorded in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Via {
    Web,
    Api,
    Cli,
    /// Set-up and demo loading, not a person's action.
    System,
    /// An import of operations taken from SIAP.
    Siap,
}

impl Via {
    pub fn code(self) -> &'static str {
        match self {
            Via::Web => "web",
            Via::Api => "api",
            Via::Cli => "cli",
            Via::System => "systeme",
            Via::Siap => "siap",
        }
    }
}

/// Who makes a write. Every write method of the store takes one and records it in the audit
/// trail, in the same transaction as the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// The user's login, or "cli:<system user>" for a command run without an account.
    pub name: String,
    pub organisation_id: Option<i64>,
    pub via: Via,
}

impl Actor {
    /// A command-line write by the system user running it.
    pub fn cli() -> Self {
        let who = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "inconnu".into());
        Actor {
            user_id: None,
            name: format!("cli:{who}"),
            organisation_id: None,
            via: Via::Cli,
        }
    }

    /// A write by logis itself (initialisation, demo).
    pub fn system(what: &str) -> Self {
        Actor {
            user_id: None,
            name: format!("logis:{what}"),
            organisation_id: None,
            via: Via::System,
        }
    }
}

/// One row of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub user_id: Option<i64>,
    pub user_name: String,
    pub organisation_id: Option<i64>,
    pub via: String,
    pub entity: String,
    pub entity_id: String,
    pub operation_id: Option<i64>,
    pub action: String,
    /// JSON of the values before the change (none for a creation).
    pub before: Option<String>,
    /// JSON of the values after the change (none for a deletion).
    pub after: Option<String>,
}

/// Which audit rows to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The rows of one operation: the operation itself, its lines, its financing plan.
    pub operation_id: Option<i64>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub limit: Option<u64>,
}

/// The query of [`AuditFilter`]: only the conditions given, so that the indexes on
/// `operation_id` and `(entity, entity_id)` serve it (an `? IS NULL OR …` condition would scan
/// the whole log).
pub fn audit_query(
    f: &AuditFilter,
    d: crate::query::Dialect,
) -> (String, Vec<crate::query::SqlParam>) {
    use crate::query::SqlParam;
    let mut params = Vec::new();
    let mut conds = Vec::new();
    let mut add = |col: &str, v: SqlParam, params: &mut Vec<SqlParam>| {
        params.push(v);
        conds.push(format!("{col} = {}", (d.placeholder)(params.len())));
    };
    if let Some(v) = f.operation_id {
        add("operation_id", SqlParam::Int(v), &mut params);
    }
    if let Some(v) = &f.entity {
        add("entity", SqlParam::Text(v.clone()), &mut params);
    }
    if let Some(v) = &f.entity_id {
        add("entity_id", SqlParam::Text(v.clone()), &mut params);
    }
    let where_ = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let limit = match f.limit {
        Some(l) => format!(" LIMIT {l}"),
        None => String::new(),
    };
    (
        format!(
            "SELECT id, at, user_id, user_name, organisation_id, via, entity, entity_id, operation_id, action, before, after
             FROM audit_log {where_} ORDER BY id DESC{limit}"
        ),
        params,
    )
}

/// A change to record: entity, id, action, before/after as JSON values.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub entity: &'a str,
    pub entity_id: String,
    pub operation_id: Option<i64>,
    pub action: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Change<'_> {
    pub fn before_text(&self) -> Option<String> {
        self.before.as_ref().map(|v| v.to_string())
    }
    pub fn after_text(&self) -> Option<String> {
        self.after.as_ref().map(|v| v.to_string())
    }
}

/// The current time in Unix seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Today, in the server's local time.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

impl<'a> Change<'a> {
    /// A record created with these values.
    pub fn created(
        entity: &'a str,
        id: i64,
        operation_id: Option<i64>,
        after: &impl Serialize,
    ) -> Self {
        Change {
            entity,
            entity_id: id.to_string(),
            operation_id,
            action: "creation",
            before: None,
            after: Some(json(after)),
        }
    }

    /// A record whose values were replaced (created when there was none before).
    pub fn replaced<T: Serialize + ?Sized, U: Serialize + ?Sized>(
        entity: &'a str,
        id: i64,
        operation_id: Option<i64>,
        before: Option<&T>,
        after: &U,
    ) -> Self {
        Change {
            entity,
            entity_id: id.to_string(),
            operation_id,
            action: if before.is_some() {
                "modification"
            } else {
                "creation"
            },
            before: before.map(json),
            after: Some(json(after)),
        }
    }

    /// The record an import's merge writes first: the operations and lines it creates carry its
    /// id (`import_id`), instead of an audit row each.
    pub fn import_started() -> Self {
        Change {
            entity: "import",
            entity_id: String::new(),
            operation_id: None,
            action: "debut_import",
            before: None,
            after: None,
        }
    }

    /// A change described by a few values (account events: no secret is ever recorded).
    pub fn event(entity: &'a str, id: i64, action: &'a str, after: serde_json::Value) -> Self {
        Change {
            entity,
            entity_id: id.to_string(),
            operation_id: None,
            action,
            before: None,
            after: Some(after),
        }
    }
}

fn json<T: Serialize + ?Sized>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// The creations an import recorded in bulk, as the audit rows they stand for: an operation or
/// a line created by an import carries the id of the import's record (`import_id`, the row
/// [`Change::import_started`] wrote) instead of an audit row of its own. For the operation of
/// `f` (or the operation or line its entity names), each such creation is given back with the
/// import's who and when, and the values it was created with: those its first change recorded
/// as « before », else today's (every change of an operation or a line is audited). Nothing for a
/// filter naming no operation or line: the import's own records stand for them there.
pub fn import_creations(tx: &mut dyn crate::tx::Tx, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
    use crate::tx::{Row, Value};
    use serde_json::{Value as J, json};
    let entity = f.entity.as_deref();
    let named = f.entity_id.as_deref().and_then(|i| i.parse::<i64>().ok());
    let operation = match (f.operation_id, entity, named) {
        (Some(op), _, _) => Some(op),
        (None, Some("operation"), Some(id)) => Some(id),
        _ => None,
    };
    let line = match (entity, named) {
        (Some("ligne"), Some(id)) => Some(id),
        _ => None,
    };
    if operation.is_none() && line.is_none() {
        return Ok(Vec::new());
    }
    // The first « before » of each changed operation or line: its values at creation.
    let mut first_before: std::collections::HashMap<(String, String), J> = Default::default();
    let changes = match (operation, line) {
        (Some(op), _) => tx.query(sql::CHANGES_OF_OPERATION, &[Value::int(op)])?,
        (None, Some(l)) => tx.query(sql::CHANGES_OF_LINE, &[Value::text(l.to_string())])?,
        (None, None) => Vec::new(),
    };
    for r in &changes {
        let key = (r.text(0)?, r.text(1)?);
        if !first_before.contains_key(&key)
            && let Some(b) = r.opt_text(2)?
            && let Ok(v) = serde_json::from_str::<J>(&b)
        {
            first_before.insert(key, v);
        }
    }
    let at_creation = |entity: &str, id: i64, today: J| -> J {
        match (
            first_before.get(&(entity.to_string(), id.to_string())),
            today,
        ) {
            (Some(J::Object(before)), J::Object(mut now)) => {
                for (k, v) in before {
                    now.insert(k.clone(), v.clone());
                }
                J::Object(now)
            }
            (_, now) => now,
        }
    };
    // (The import's record: its id, who, when — columns `from`.. of `r`.)
    let entry = |r: &Row, from: usize, entity: &str, id: i64, operation_id: i64, after: J| {
        Ok::<_, crate::StoreError>(AuditEntry {
            id: r.int(from)?,
            at: r.int(from + 1)?,
            user_id: r.opt_int(from + 2)?,
            user_name: r.text(from + 3)?,
            organisation_id: r.opt_int(from + 4)?,
            via: r.text(from + 5)?,
            entity: entity.to_string(),
            entity_id: id.to_string(),
            operation_id: Some(operation_id),
            action: "creation".into(),
            before: None,
            after: Some(after.to_string()),
        })
    };
    let mut out = Vec::new();
    if let Some(op) = operation
        && entity.is_none_or(|e| e == "operation")
    {
        for r in tx.query(sql::OPERATION_CREATED, &[Value::int(op)])? {
            let today = json!({
                "bailleur_id": r.int(1)?, "reference": r.text(2)?, "libelle": r.opt_text(3)?,
                "commune": r.text(4)?, "commune_ecrite": r.opt_text(5)?, "projet_id": r.opt_int(6)?,
                "programme_id": r.opt_int(7)?, "quartier_id": r.opt_int(8)?,
            });
            let after = at_creation("operation", op, today);
            out.push(entry(&r, 9, "operation", op, op, after)?);
        }
    }
    if entity.is_none_or(|e| e == "ligne") {
        let rows = match (operation, line) {
            (_, Some(l)) => tx.query(sql::LINE_CREATED, &[Value::int(l)])?,
            (Some(op), None) => tx.query(sql::LINES_CREATED_OF_OPERATION, &[Value::int(op)])?,
            (None, None) => Vec::new(),
        };
        for r in rows {
            let (id, op) = (r.int(0)?, r.int(1)?);
            if operation.is_some_and(|o| o != op) {
                continue;
            }
            let today = json!({
                "nature": r.text(2)?, "site": r.text(3)?, "produit": r.text(4)?,
                "financement": r.text(5)?, "annee": r.int(6)?, "logements": r.int(7)?,
                "stade": r.opt_text(8)?, "date_stade": r.opt_date(9)?.map(|d| d.to_string()),
                "cout_centimes": r.opt_int(10)?, "surface_m2": r.opt_int(11)?,
            });
            let after = at_creation("ligne", id, today);
            out.push(entry(&r, 12, "ligne", id, op, after)?);
        }
    }
    Ok(out)
}

/// The trail `f` asks for: the rows recorded (`recorded`, newest first) and the creations imports
/// recorded in bulk ([`import_creations`]), newest first (an import's creations at its record's
/// place), at most `f.limit`.
pub fn with_import_creations(
    mut recorded: Vec<AuditEntry>,
    created: Vec<AuditEntry>,
    f: &AuditFilter,
) -> Vec<AuditEntry> {
    if created.is_empty() {
        return recorded;
    }
    recorded.extend(created);
    // Newest first; an import's lines before its operation, as their rows used to be.
    recorded.sort_by(|a, b| {
        b.id.cmp(&a.id)
            .then_with(|| (a.entity == "operation").cmp(&(b.entity == "operation")))
            .then_with(|| {
                b.entity_id
                    .parse::<i64>()
                    .unwrap_or(0)
                    .cmp(&a.entity_id.parse::<i64>().unwrap_or(0))
            })
    });
    if let Some(l) = f.limit {
        recorded.truncate(usize::try_from(l).unwrap_or(usize::MAX));
    }
    recorded
}

/// The audit trail, read back (every write method of the other ports records its own rows).
pub trait AuditStore: Send + Sync {
    /// Audit rows, newest first.
    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;
}

/// This capability's SQL that both dialects read alike, written once (`$N` parameters in
/// order of first appearance: see [`crate::parameters_in_order`]).
pub mod sql {
    pub const INSERT_AUDIT_LOG: &str = "INSERT INTO audit_log (at, user_id, user_name, organisation_id, via, entity, entity_id, operation_id, action, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

    /// What [`super::import_creations`] reads.
    pub const CHANGES_OF_OPERATION: &str = "SELECT entity, entity_id, before FROM audit_log
        WHERE operation_id = $1 AND action = 'modification' ORDER BY id";
    pub const CHANGES_OF_LINE: &str = "SELECT entity, entity_id, before FROM audit_log
        WHERE entity = 'ligne' AND entity_id = $1 AND action = 'modification' ORDER BY id";
    pub const OPERATION_CREATED: &str = "SELECT o.id, o.landlord_id, o.reference, o.label, o.commune_code, o.written_commune_code, o.project_id, o.programme_id, o.quartier_id,
        a.id, a.at, a.user_id, a.user_name, a.organisation_id, a.via
        FROM operations o JOIN audit_log a ON a.id = o.import_id WHERE o.id = $1";
    pub const LINES_CREATED_OF_OPERATION: &str = "SELECT l.id, l.operation_id, l.nature, l.site, l.product, l.financing, l.year, l.dwellings, l.stage, l.stage_date, l.cost_cents, l.surface_m2,
        a.id, a.at, a.user_id, a.user_name, a.organisation_id, a.via
        FROM operation_lines l JOIN audit_log a ON a.id = l.import_id WHERE l.operation_id = $1";
    pub const LINE_CREATED: &str = "SELECT l.id, l.operation_id, l.nature, l.site, l.product, l.financing, l.year, l.dwellings, l.stage, l.stage_date, l.cost_cents, l.surface_m2,
        a.id, a.at, a.user_id, a.user_name, a.organisation_id, a.via
        FROM operation_lines l JOIN audit_log a ON a.id = l.import_id WHERE l.id = $1";

    /// Every text above, for the test of their parameters' order.
    pub const ALL: &[&str] = &[
        INSERT_AUDIT_LOG,
        CHANGES_OF_OPERATION,
        CHANGES_OF_LINE,
        OPERATION_CREATED,
        LINES_CREATED_OF_OPERATION,
        LINE_CREATED,
    ];
}
