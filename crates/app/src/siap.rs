//! Operations taken from SIAP (issue 23): a batch of SIAP operations (a file, or fetched from a
//! SIAP endpoint by [`fetch`]) checked whole — every operation's owner known by its SIREN (the
//! closest known named otherwise), its commune by its INSEE code — then written through the
//! register's own import (the operation's SIAP number is its reference, so that the next import
//! updates it), its financing plan set, every change audited « via siap ». An operation changed
//! in logis since its last SIAP import (or keyed in logis before any) is a conflict: reported,
//! left as it is (unless forced). Any operation in error refuses the whole batch.

use crate::register::import::{ImportOptions, ImportReport, import_operations};
use crate::{AppError, Result};
use logis_io::siap::{PlanForm, SiapOperation, SiapProblem, read_numbers, read_operations};
use logis_store::siap::SiapLink;
use logis_store::{Actor, FundingItem, LineFilter, Store, Via};

/// What a SIAP import did (or would do).
#[derive(Debug, Default)]
pub struct SiapReport {
    /// Problems in the batch (nothing written).
    pub problems: Vec<SiapProblem>,
    /// Each operation's number and the form of its financing plan read.
    pub read: Vec<(String, PlanForm)>,
    /// Operations left as they are: (number, why).
    pub conflicts: Vec<(String, String)>,
    /// The register's import of the others.
    pub register: Option<ImportReport>,
    /// Financing plans written (changed).
    pub plans_set: usize,
    pub committed: bool,
}

impl SiapReport {
    /// What the import did (or would do), in one French sentence; none when nothing reached the
    /// register (refused, or only conflicts).
    pub fn summary(&self) -> Option<String> {
        let s = &self.register.as_ref()?.stats;
        Some(format!(
            "{} : {} opération(s) créée(s), {} modifiée(s) ; lignes : {} créée(s), {} modifiée(s), {} inchangée(s) ; {} plan(s) de financement {}.",
            if self.committed {
                "Importé depuis SIAP"
            } else {
                "Vérification seule (rien n'a été enregistré)"
            },
            s.operations_created,
            s.operations_updated,
            s.lines_created,
            s.lines_updated,
            s.lines_unchanged,
            self.plans_set,
            if self.committed {
                "écrit(s)"
            } else {
                "à écrire"
            }
        ))
    }

    /// In French, as the CLI prints it.
    pub fn render_fr(&self) -> String {
        let mut out = String::new();
        if !self.problems.is_empty() {
            out.push_str(&format!(
                "Import SIAP refusé : {} erreur(s). Rien n'a été enregistré.\n",
                self.problems.len()
            ));
            for p in &self.problems {
                let field = if p.field.is_empty() {
                    String::new()
                } else {
                    format!(", champ « {} »", p.field)
                };
                let op = if p.operation.is_empty() {
                    String::new()
                } else {
                    format!("opération {}{field} : ", p.operation)
                };
                out.push_str(&format!("  {op}{}\n", p.message));
            }
            return out;
        }
        for (n, form) in &self.read {
            out.push_str(&format!(
                "  opération {n} : plan de financement lu dans {}\n",
                form.describe()
            ));
        }
        for (n, why) in &self.conflicts {
            out.push_str(&format!(
                "  conflit, opération {n} laissée telle quelle : {why}\n"
            ));
        }
        if let Some(line) = self.summary() {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

/// FNV-1a, 64 bits: a fingerprint stable across builds (the standard hasher is not).
fn fnv(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The fingerprint of an operation as the register holds it: its lines and financing plan.
fn fingerprint(store: &dyn Store, operation_id: i64) -> Result<String> {
    let mut lines: Vec<String> = logis_store::register::collect_lines(
        store,
        &LineFilter {
            operation_id: Some(operation_id),
            ..Default::default()
        },
    )?
    .iter()
    .map(|l| {
        format!(
            "{}|{}|{:?}|{:?}|{}|{}|{:?}|{:?}|{}",
            l.commune.as_str(),
            l.nature.code(),
            l.product.map(|p| p.code()),
            l.label,
            l.dwellings,
            l.year,
            l.stage.map(|s| s.code()),
            l.surface_m2,
            l.cost_cents.unwrap_or(0)
        )
    })
    .collect();
    lines.sort();
    for f in store.financing_plan(operation_id)? {
        lines.push(format!(
            "{}|{:?}|{}|{}",
            f.kind.code(),
            f.source_id,
            f.label,
            f.amount_cents
        ));
    }
    Ok(fnv(&lines.join("\n")))
}

fn csv_field(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Import a batch of SIAP operations (JSON: one operation or an array); `commit` false: check
/// only; `force`: take SIAP's version of the conflicts too. The EPCI's administrator only (who
/// writes every landlord's operations).
pub fn import_siap(
    store: &dyn Store,
    principal: &logis_domain::Principal,
    actor: &Actor,
    json: &[u8],
    commit: bool,
    force: bool,
) -> Result<SiapReport> {
    if principal.role != logis_domain::Role::Admin {
        return Err(AppError::Invalid(
            "seul l'administrateur de l'EPCI importe les opérations de SIAP".into(),
        ));
    }
    let actor = Actor {
        via: Via::Siap,
        ..actor.clone()
    };
    let mut report = SiapReport::default();
    let ops = match read_operations(json) {
        Ok(ops) => ops,
        Err(problems) => {
            report.problems = problems;
            return Ok(report);
        }
    };
    let orgs = store.organisations()?;
    let geo = crate::reference::geography(store)?.0;
    let problem = |op: &SiapOperation, field: &str, message: String| SiapProblem {
        operation: op.number.clone(),
        field: field.into(),
        message,
    };
    let mut owners = Vec::new();
    for op in &ops {
        let owner = orgs.iter().find(|o| {
            o.siren
                .as_ref()
                .is_some_and(|s| s.as_str() == op.owner_siren)
        });
        match owner {
            Some(o) => owners.push((o.id, o.name.clone())),
            None => {
                let names: Vec<&str> = orgs
                    .iter()
                    .filter(|o| o.kind == logis_domain::register::vocab::OrgKind::Landlord)
                    .map(|o| o.name.as_str())
                    .collect();
                let near = logis_domain::text::closest(&op.owner_name, names, 1);
                report.problems.push(problem(
                    op,
                    "donneesMo.siren",
                    format!(
                        "bailleur de SIREN {} ({}) inconnu de logis{} : ajoutez son SIREN à l'organisation (logis org add … --siren)",
                        op.owner_siren,
                        op.owner_name,
                        near.first()
                            .map(|n| format!(" ; le plus proche : {n}"))
                            .unwrap_or_default()
                    ),
                ));
                owners.push((0, String::new()));
            }
        }
        if geo.commune(&op.commune).is_none() {
            report.problems.push(problem(
                op,
                "donneesLocalisation.commune.codeInsee",
                format!("commune de code INSEE « {} » inconnue", op.commune),
            ));
        }
    }
    if !report.problems.is_empty() {
        return Ok(report);
    }
    // Conflicts: changed in logis since the last SIAP import, or keyed in logis before any.
    let links = store.siap_links()?;
    let mut kept: Vec<(&SiapOperation, i64, String)> = Vec::new();
    for (op, (owner, name)) in ops.iter().zip(owners) {
        report.read.push((op.number.clone(), op.plan_form));
        if let Some(id) = store.operation_id(owner, &op.number)? {
            let why = match links.iter().find(|l| l.operation_id == id) {
                Some(l) if l.fingerprint != fingerprint(store, id)? => Some(format!(
                    "modifiée dans logis depuis son import SIAP du {}",
                    l.imported_at
                )),
                Some(_) => None,
                None => Some("saisie dans logis sans venir de SIAP".to_string()),
            };
            if let Some(why) = why
                && !force
            {
                report.conflicts.push((
                    op.number.clone(),
                    format!("{why} (--forcer pour prendre la version de SIAP)"),
                ));
                continue;
            }
        }
        kept.push((op, owner, name));
    }
    // Through the register's import: the exchange format, one row per aid.
    let mut csv = String::from(
        "reference;bailleur;commune;libelle;nature;produit;logements;annee;stade;surface\n",
    );
    let mut rows: Vec<String> = Vec::new();
    for (op, _, name) in &kept {
        for l in &op.lines {
            csv.push_str(&format!(
                "{};{};{};{};{};{};{};{};{};{}\n",
                csv_field(&op.number),
                csv_field(name),
                op.commune,
                csv_field(&op.name),
                op.nature.code(),
                l.product.code(),
                l.dwellings,
                op.year,
                op.stage.map(|s| s.code()).unwrap_or(""),
                l.surface_m2.map(|s| s.to_string()).unwrap_or_default()
            ));
            rows.push(op.number.clone());
        }
    }
    if kept.is_empty() {
        return Ok(report);
    }
    let mut src = logis_io::open_bytes(csv.into_bytes())?;
    let r = import_operations(
        store,
        &actor,
        src.as_mut(),
        &ImportOptions {
            commit,
            ..Default::default()
        },
        &mut |_| {},
    )?;
    if r.has_errors() {
        report.problems = r
            .problems
            .iter()
            .map(|p| SiapProblem {
                operation: usize::try_from(p.row)
                    .ok()
                    .and_then(|row| rows.get(row.saturating_sub(2)))
                    .cloned()
                    .unwrap_or_default(),
                field: p.column.clone(),
                message: p.message.clone(),
            })
            .collect();
        return Ok(report);
    }
    report.committed = r.committed;
    report.register = Some(r);
    if !commit {
        report.plans_set = kept
            .iter()
            .filter(|(op, ..)| !op.financing.is_empty())
            .count();
        return Ok(report);
    }
    let now = chrono::Local::now().format("%d/%m/%Y à %H:%M").to_string();
    let mut new_links = Vec::new();
    for (op, owner, _) in &kept {
        let Some(id) = store.operation_id(*owner, &op.number)? else {
            continue;
        };
        let items: Vec<FundingItem> = op
            .financing
            .iter()
            .map(|f| FundingItem {
                kind: f.kind,
                source_id: None,
                label: f.label.clone(),
                amount_cents: f.amount_cents,
            })
            .collect();
        if store.financing_plan(id)? != items {
            store.set_financing_plan(&actor, id, &items)?;
            report.plans_set += 1;
        }
        new_links.push(SiapLink {
            operation_id: id,
            numero: op.number.clone(),
            fingerprint: fingerprint(store, id)?,
            imported_at: now.clone(),
        });
    }
    // Unchanged links are not written again (importing the same batch twice changes nothing).
    new_links.retain(|l| {
        !links
            .iter()
            .any(|o| o.operation_id == l.operation_id && o.fingerprint == l.fingerprint)
    });
    store.put_siap_links(&actor, &new_links)?;
    Ok(report)
}

/// Fetch every operation from a SIAP endpoint (`base`: the API's root, before `/services`): the
/// list, then each operation by its number, with the bearer token; the JSON array of them.
pub fn fetch(base: &str, token: &str) -> Result<Vec<u8>> {
    let base = base.trim_end_matches('/');
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| AppError::Invalid(format!("client HTTP : {e}")))?;
    let get = |url: String| -> Result<Vec<u8>> {
        let res = client
            .get(&url)
            .bearer_auth(token.trim())
            .header("Accept", "application/json")
            .send()
            .map_err(|e| AppError::Invalid(format!("SIAP injoignable ({url}) : {e}")))?;
        let status = res.status();
        if !status.is_success() {
            return Err(AppError::Invalid(format!(
                "SIAP a répondu {status} à {url}{}",
                if status.as_u16() == 401 || status.as_u16() == 403 {
                    " : jeton refusé"
                } else {
                    ""
                }
            )));
        }
        res.bytes()
            .map(|b| b.to_vec())
            .map_err(|e| AppError::Invalid(format!("réponse de SIAP interrompue ({url}) : {e}")))
    };
    let list = get(format!("{base}/services/operation/api-int/v0/operation"))?;
    let numbers = read_numbers(&list).map_err(AppError::Invalid)?;
    let mut out = Vec::from(&b"["[..]);
    for (i, n) in numbers.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend(get(format!(
            "{base}/services/operation/api-int/v0/operation/{n}"
        ))?);
    }
    out.push(b']');
    Ok(out)
}
