//! Accounts, sessions, API tokens and the audit trail, as the store keeps them. Secrets never
//! reach the store in clear: sessions, tokens and reset links are stored as SHA-256 hashes,
//! passwords as argon2id PHC strings (hashed by `logis-app`).

use logis_domain::{CommuneCode, Role};
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

/// A user account (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
    /// The commune of the user's organisation (commune readers).
    pub commune: Option<CommuneCode>,
    pub disabled: bool,
    pub has_password: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
}

/// An API token as listed to its owner (the secret is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
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

/// The audit SQL of an import's merge, shared by both dialects: `{json}` is the JSON object
/// function (`json_object` / `json_build_object`), `{distinct}` the null-safe inequality
/// (`IS NOT` / `IS DISTINCT FROM`), `{text}` the cast of a JSON value to text. Parameters 1–5
/// are the actor (at, user id, name, organisation id, via); 6 is the largest line id before
/// the merge.
pub mod import_audit {
    pub const ACTOR: &str = "INSERT INTO audit_log (at, user_id, user_name, organisation_id, via, entity, entity_id, operation_id, action, before, after)";

    /// Operations the merge will change (run before the operations upsert).
    pub const OPERATIONS_UPDATED: &str = "{actor}
SELECT {p1}, {p2}, {p3}, {p4}, {p5}, 'operation', CAST(o.id AS TEXT), o.id, 'modification',
  {json}('libelle', o.label, 'commune', o.commune_code, 'projet_id', o.project_id, 'programme_id', o.programme_id, 'quartier_id', o.quartier_id){text},
  {json}('libelle', coalesce(i.label, o.label), 'commune', i.commune_code, 'projet_id', coalesce(i.project_id, o.project_id),
         'programme_id', coalesce(i.programme_id, o.programme_id), 'quartier_id', coalesce(i.quartier_id, o.quartier_id)){text}
FROM import_ops i JOIN operations o ON o.landlord_id = i.landlord_id AND o.reference = i.reference
WHERE o.label {distinct} coalesce(i.label, o.label) OR o.commune_code {distinct} i.commune_code
   OR o.project_id {distinct} coalesce(i.project_id, o.project_id) OR o.programme_id {distinct} coalesce(i.programme_id, o.programme_id)
   OR o.quartier_id {distinct} coalesce(i.quartier_id, o.quartier_id)";

    /// Operations the merge created (run after the operations upsert).
    pub const OPERATIONS_CREATED: &str = "{actor}
SELECT {p1}, {p2}, {p3}, {p4}, {p5}, 'operation', CAST(o.id AS TEXT), o.id, 'creation', NULL,
  {json}('bailleur_id', o.landlord_id, 'reference', o.reference, 'libelle', o.label, 'commune', o.commune_code,
         'projet_id', o.project_id, 'programme_id', o.programme_id, 'quartier_id', o.quartier_id){text}
FROM import_ops i JOIN operations o ON o.landlord_id = i.landlord_id AND o.reference = i.reference
WHERE i.existing = {false}";

    /// Lines the merge will change (run before the lines upsert).
    pub const LINES_UPDATED: &str = "{actor}
SELECT {p1}, {p2}, {p3}, {p4}, {p5}, 'ligne', CAST(l.id AS TEXT), o.id, 'modification',
  {json}('logements', l.dwellings, 'stade', l.stage, 'date_stade', l.stage_date, 'cout_centimes', l.cost_cents){text},
  {json}('logements', s.dwellings, 'stade', coalesce(s.stage, l.stage), 'date_stade', coalesce(s.stage_date, l.stage_date),
         'cout_centimes', coalesce(s.cost_cents, l.cost_cents)){text}
FROM import_staging s JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference
JOIN operation_lines l ON l.operation_id = o.id AND l.nature = s.nature AND l.site = s.site AND l.product = s.product
   AND l.financing = s.financing AND l.year = s.year
WHERE l.dwellings <> s.dwellings OR l.stage {distinct} coalesce(s.stage, l.stage)
   OR l.stage_date {distinct} coalesce(s.stage_date, l.stage_date) OR l.cost_cents {distinct} coalesce(s.cost_cents, l.cost_cents)";

    /// Lines the merge created (run after the lines upsert): ids above the largest before it.
    pub const LINES_CREATED: &str = "{actor}
SELECT {p1}, {p2}, {p3}, {p4}, {p5}, 'ligne', CAST(l.id AS TEXT), l.operation_id, 'creation', NULL,
  {json}('nature', l.nature, 'site', l.site, 'produit', l.product, 'financement', l.financing, 'annee', l.year,
         'logements', l.dwellings, 'stade', l.stage, 'date_stade', l.stage_date, 'cout_centimes', l.cost_cents){text}
FROM operation_lines l WHERE l.id > {p6}";

    /// Fill a template for a dialect.
    pub fn sql(
        template: &str,
        placeholder: fn(usize) -> String,
        json: &str,
        distinct: &str,
        text: &str,
        false_: &str,
    ) -> String {
        let mut s = template.replace("{actor}", ACTOR);
        for i in 1..=6 {
            s = s.replace(&format!("{{p{i}}}"), &placeholder(i));
        }
        s.replace("{json}", json)
            .replace("{distinct}", distinct)
            .replace("{text}", text)
            .replace("{false}", false_)
    }
}
