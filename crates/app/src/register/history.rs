//! The history of an operation as a housing officer reads it: who, when, via what, and for each
//! changed field its French name and its value before → after, formatted (names instead of ids,
//! 12 000, 1 234,50 €, jj/mm/aaaa). The audit trail's JSON stays as it is in the API and the CSV.
//!
//! Costs (a line's `cout_centimes`, the financing plan) are withheld from those who may not read
//! financing, on every path: [`withhold_costs`].

use logis_domain::numbers::{format_euros_cents, group_thousands};
use logis_domain::reference::Geography;
use logis_domain::{FundingKind, Nature, Product, RehabFinancing, Site, Stage};
use logis_store::{AuditEntry, Store};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The audit key of a line's cost price.
const COST_KEY: &str = "cout_centimes";
/// The audit entity of a financing plan.
const PLAN_ENTITY: &str = "plan_financement";

/// The history without what carries a cost: the financing plan's entries are left out and a
/// line's cost price is taken out of its values.
pub fn withhold_costs(entries: Vec<AuditEntry>) -> Vec<AuditEntry> {
    entries
        .into_iter()
        .filter(|e| e.entity != PLAN_ENTITY)
        .map(|mut e| {
            let strip = |v: Option<String>| {
                v.map(|text| match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(mut m)) => {
                        m.remove(COST_KEY);
                        Value::Object(m).to_string()
                    }
                    _ => text,
                })
            };
            e.before = strip(e.before);
            e.after = strip(e.after);
            e
        })
        .collect()
}

/// The history as a reader sees it: whole for those who may read financing, else without costs.
pub fn for_reader(entries: Vec<AuditEntry>, reads_costs: bool) -> Vec<AuditEntry> {
    if reads_costs {
        entries
    } else {
        withhold_costs(entries)
    }
}

/// What the history names instead of ids.
#[derive(Debug, Default)]
pub struct Names {
    pub organisations: HashMap<i64, String>,
    pub projects: HashMap<i64, String>,
    pub programmes: HashMap<i64, String>,
    pub quartiers: HashMap<i64, String>,
    /// Line id → the line as a phrase ("Construction neuve PLUS 2027").
    pub lines: HashMap<String, String>,
    pub geography: std::sync::Arc<Geography>,
}

impl Names {
    /// The names of the store's organisations, projects, programmes and quartiers.
    pub fn load(store: &dyn Store) -> crate::Result<Self> {
        Ok(Names {
            organisations: store
                .organisations()?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect(),
            projects: store
                .projects()?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
            programmes: store
                .programmes()?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
            quartiers: store
                .quartiers()?
                .into_iter()
                .map(|q| (q.id, q.name))
                .collect(),
            lines: HashMap::new(),
            geography: store.geography()?,
        })
    }
}

/// One changed field: its French name, its value before and after (empty: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// One entry of the history, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// jj/mm/aaaa hh:mm (Paris time).
    pub at: String,
    pub who: String,
    /// « page web », « API », « ligne de commande », « système ».
    pub via: String,
    /// « Opération », « Ligne : Démolition 2005, 252 logement(s) », « Plan de financement ».
    pub what: String,
    /// « Création », « Modification »…
    pub action: String,
    /// A creation: its changes are the values set (nothing before).
    pub created: bool,
    pub changes: Vec<FieldChange>,
}

/// The history entries in French, in the order given.
pub fn readable(entries: &[AuditEntry], names: &Names) -> Vec<Entry> {
    entries.iter().map(|e| entry(e, names)).collect()
}

fn entry(e: &AuditEntry, names: &Names) -> Entry {
    let before = e.before.as_deref().map(parse).unwrap_or(Value::Null);
    let after = e.after.as_deref().map(parse).unwrap_or(Value::Null);
    let what = match e.entity.as_str() {
        "operation" => "Opération".to_string(),
        "ligne" => match names.lines.get(&e.entity_id) {
            Some(l) => format!("Ligne : {l}"),
            None => format!("Ligne n° {}", e.entity_id),
        },
        PLAN_ENTITY => "Plan de financement".to_string(),
        other => other.replace('_', " "),
    };
    let changes = if e.entity == PLAN_ENTITY {
        let plan = |v: &Value| match v {
            Value::Array(items) if !items.is_empty() => items
                .iter()
                .map(|i| funding_item(i, names))
                .collect::<Vec<_>>()
                .join(" ; "),
            _ => String::new(),
        };
        let (b, a) = (plan(&before), plan(&after));
        if b == a {
            Vec::new()
        } else {
            vec![FieldChange {
                field: "Sources de financement".into(),
                before: b,
                after: a,
            }]
        }
    } else {
        field_changes(&before, &after, names)
    };
    Entry {
        at: crate::local_time(e.at, "%d/%m/%Y %H:%M"),
        who: e.user_name.clone(),
        via: via_fr(&e.via).to_string(),
        what,
        action: action_fr(&e.action),
        created: e.before.is_none(),
        changes,
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// The fields whose value differs (a creation: the fields set), in the record's order.
fn field_changes(before: &Value, after: &Value, names: &Names) -> Vec<FieldChange> {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = a.keys().collect();
    keys.extend(b.keys().filter(|k| !a.contains_key(*k)));
    keys.sort_by_key(|k| field_rank(k));
    keys.into_iter()
        .filter_map(|k| {
            let (vb, va) = (
                b.get(k).map(|v| value_fr(k, v, names)).unwrap_or_default(),
                a.get(k).map(|v| value_fr(k, v, names)).unwrap_or_default(),
            );
            (vb != va).then(|| FieldChange {
                field: field_fr(k),
                before: vb,
                after: va,
            })
        })
        .collect()
}

/// The keys of operations and lines in the order of the operation page.
const FIELDS: &[(&str, &str)] = &[
    ("bailleur_id", "Bailleur"),
    ("reference", "Référence"),
    ("libelle", "Libellé"),
    ("commune", "Commune"),
    ("commune_ecrite", "Commune telle qu'écrite"),
    ("projet_id", "Projet"),
    ("programme_id", "Programme"),
    ("quartier_id", "Quartier"),
    ("nature", "Nature"),
    ("site", "Site de reconstruction"),
    ("produit", "Produit"),
    ("financement", "Financement"),
    ("annee", "Année"),
    ("logements", "Logements"),
    ("stade", "Stade"),
    ("date_stade", "Date du stade"),
    (COST_KEY, "Coût"),
];

fn field_rank(key: &str) -> usize {
    FIELDS
        .iter()
        .position(|(k, _)| *k == key)
        .unwrap_or(FIELDS.len())
}

fn field_fr(key: &str) -> String {
    FIELDS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, f)| f.to_string())
        .unwrap_or_else(|| key.replace('_', " "))
}

/// A value as the operation page writes it.
fn value_fr(key: &str, v: &Value, names: &Names) -> String {
    let text = match v {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.is_empty() {
        return text;
    }
    let id = v.as_i64();
    let named = |map: &HashMap<i64, String>| {
        id.and_then(|id| map.get(&id).cloned())
            .unwrap_or_else(|| format!("n° {text}"))
    };
    let code = |label: Option<&'static str>| label.map(str::to_string).unwrap_or(text.clone());
    match key {
        "bailleur_id" => named(&names.organisations),
        "projet_id" => named(&names.projects),
        "programme_id" => named(&names.programmes),
        "quartier_id" => named(&names.quartiers),
        "commune" => match names.geography.commune(&text) {
            Some(c) => format!("{} ({})", c.name, c.code),
            None => text,
        },
        "commune_ecrite" => match names.geography.former(&text) {
            Some(f) if !f.name.is_empty() => format!("{} ({})", f.name, f.code),
            _ => text,
        },
        "nature" => code(Nature::from_code(&text).map(Nature::label)),
        "site" => code(Site::from_code(&text).map(Site::label)),
        "produit" => code(Product::from_code(&text).map(Product::label)),
        "financement" => code(RehabFinancing::from_code(&text).map(RehabFinancing::label)),
        "stade" => code(Stage::from_code(&text).map(Stage::label)),
        "logements" => id.map(group_thousands).unwrap_or(text),
        "date_stade" => chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or(text),
        COST_KEY => id.map(format_euros_cents).unwrap_or(text),
        _ => text,
    }
}

fn funding_item(item: &Value, names: &Names) -> String {
    let kind = item
        .get("kind")
        .and_then(Value::as_str)
        .and_then(FundingKind::from_code)
        .map(FundingKind::label)
        .unwrap_or("");
    let label = item.get("label").and_then(Value::as_str).unwrap_or("");
    let source = item
        .get("source_id")
        .and_then(Value::as_i64)
        .and_then(|id| names.organisations.get(&id));
    let amount = item
        .get("amount_cents")
        .and_then(Value::as_i64)
        .map(format_euros_cents)
        .unwrap_or_default();
    let mut s = format!("{kind} « {label} »");
    if let Some(src) = source {
        s.push_str(&format!(" ({src})"));
    }
    s.push_str(&format!(" : {amount}"));
    s
}

fn via_fr(via: &str) -> &str {
    match via {
        "web" => "page web",
        "api" => "API",
        "cli" => "ligne de commande",
        "systeme" | "system" => "système",
        other => other,
    }
}

fn action_fr(action: &str) -> String {
    match action {
        "creation" => "Création".into(),
        "modification" => "Modification".into(),
        "suppression" => "Suppression".into(),
        other => {
            let mut s = other.replace('_', " ");
            if let Some(first) = s.get(..1) {
                let up = first.to_uppercase();
                s.replace_range(..1, &up);
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn audit(
        entity: &str,
        id: &str,
        action: &str,
        before: Option<&str>,
        after: &str,
    ) -> AuditEntry {
        AuditEntry {
            id: 1,
            at: 1_764_000_000,
            user_id: Some(1),
            user_name: "marie".into(),
            organisation_id: None,
            via: "web".into(),
            entity: entity.into(),
            entity_id: id.into(),
            operation_id: Some(7),
            action: action.into(),
            before: before.map(str::to_string),
            after: Some(after.into()),
        }
    }

    fn names() -> Names {
        let mut n = Names::default();
        n.organisations.insert(3, "Partenord Habitat".into());
        n.programmes.insert(1, "Dunkerque 2030".into());
        n.lines.insert("12".into(), "Démolition 2005".into());
        n
    }

    #[test]
    fn names_instead_of_ids_and_french_formats() {
        let e = audit(
            "operation",
            "7",
            "creation",
            None,
            r#"{"bailleur_id":3,"reference":"OP-1","libelle":"","programme_id":1,"quartier_id":null}"#,
        );
        let r = readable(&[e], &names());
        let r = r.first().unwrap();
        assert_eq!(
            (r.what.as_str(), r.action.as_str(), r.via.as_str()),
            ("Opération", "Création", "page web")
        );
        let shown: Vec<(&str, &str)> = r
            .changes
            .iter()
            .map(|c| (c.field.as_str(), c.after.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("Bailleur", "Partenord Habitat"),
                ("Référence", "OP-1"),
                ("Programme", "Dunkerque 2030")
            ]
        );
        let e = audit(
            "ligne",
            "12",
            "modification",
            Some(r#"{"logements":12000,"stade":"study","date_stade":null,"cout_centimes":123450}"#),
            r#"{"logements":12000,"stade":"programmed","date_stade":"2026-03-15","cout_centimes":null}"#,
        );
        let r = readable(&[e], &names());
        let r = r.first().unwrap();
        assert_eq!(r.what, "Ligne : Démolition 2005");
        let shown: Vec<(&str, &str, &str)> = r
            .changes
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_str(), c.after.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("Stade", Stage::Study.label(), Stage::Programmed.label()),
                ("Date du stade", "", "15/03/2026"),
                ("Coût", &*format_euros_cents(123_450), ""),
            ]
        );
    }

    #[test]
    fn costs_withheld() {
        let entries = vec![
            audit(
                "ligne",
                "12",
                "creation",
                None,
                r#"{"logements":5,"cout_centimes":99}"#,
            ),
            audit(
                "plan_financement",
                "7",
                "creation",
                None,
                r#"[{"kind":"loan","label":"Prêt","source_id":3,"amount_cents":100}]"#,
            ),
        ];
        let plan = readable(&entries, &names());
        assert!(
            plan.get(1)
                .unwrap()
                .changes
                .first()
                .unwrap()
                .after
                .contains("Partenord Habitat")
        );
        let kept = withhold_costs(entries);
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept.first().unwrap().after.as_deref(),
            Some(r#"{"logements":5}"#)
        );
    }
}
