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
}

impl Via {
    pub fn code(self) -> &'static str {
        match self {
            Via::Web => "web",
            Via::Api => "api",
            Via::Cli => "cli",
            Via::System => "systeme",
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

    /// Every text above, for the test of their parameters' order.
    pub const ALL: &[&str] = &[INSERT_AUDIT_LOG];
}
