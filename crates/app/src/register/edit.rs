//! Creating or changing one operation from a form: the form's fields become the rows of an
//! exchange-format table and go through the same import as a file (same checks, same French
//! messages, same audit trail, nothing written on any error).

use crate::register::import::{ImportOptions, ImportReport, import_operations};
use crate::{AppError, Result};
use logis_io::read::MemorySource;
use logis_store::{Actor, LineRecord, OperationRecord, RowProblem, Store};

/// One line of the form, as typed (codes or labels, French numbers and dates).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineFields {
    pub nature: String,
    pub site: String,
    pub produit: String,
    pub financement: String,
    pub logements: String,
    pub annee: String,
    pub stade: String,
    pub date_stade: String,
    pub cout: String,
}

impl LineFields {
    /// Nothing typed: the line is left out.
    pub fn is_blank(&self) -> bool {
        [
            &self.nature,
            &self.site,
            &self.produit,
            &self.financement,
            &self.logements,
            &self.annee,
            &self.stade,
            &self.date_stade,
            &self.cout,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }

    /// The fields of a stored line (codes for the lists, French formats for the rest).
    pub fn of(l: &LineRecord) -> Self {
        LineFields {
            nature: l.nature.code().into(),
            site: l.site.map(|s| s.code().to_string()).unwrap_or_default(),
            produit: l.product.map(|s| s.code().to_string()).unwrap_or_default(),
            financement: l
                .financing
                .map(|s| s.code().to_string())
                .unwrap_or_default(),
            logements: l.dwellings.to_string(),
            annee: l.year.to_string(),
            stade: l.stage.map(|s| s.code().to_string()).unwrap_or_default(),
            date_stade: l
                .stage_date
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            cout: l
                .cost_cents
                .map(logis_domain::numbers::format_euros_cents)
                .unwrap_or_default(),
        }
    }
}

/// The whole form: the operation and its lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationFields {
    /// The landlord's id.
    pub landlord_id: Option<i64>,
    pub reference: String,
    pub label: String,
    /// Name or INSEE code.
    pub commune: String,
    /// The programme's id (empty: none).
    pub programme_id: Option<i64>,
    pub project: String,
    pub quartier: String,
    pub lines: Vec<LineFields>,
}

impl OperationFields {
    /// The fields of a stored operation and its lines.
    pub fn of(op: &OperationRecord, programme_id: Option<i64>, lines: &[LineRecord]) -> Self {
        OperationFields {
            landlord_id: Some(op.landlord_id),
            reference: op.reference.clone(),
            label: op.label.clone().unwrap_or_default(),
            commune: op.commune.as_str().to_string(),
            programme_id,
            project: op.project.clone().unwrap_or_default(),
            quartier: op.quartier.clone().unwrap_or_default(),
            lines: lines.iter().map(LineFields::of).collect(),
        }
    }
}

/// Where a problem is on the form: the operation (`line: None`) or its n-th line (0-based), and
/// the exchange-format column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    pub line: Option<usize>,
    pub column: String,
    pub message: String,
}

/// What saving gave: the operation's id when written, else the problems.
#[derive(Debug, Clone)]
pub struct SaveOutcome {
    pub operation_id: Option<i64>,
    pub problems: Vec<FormProblem>,
    pub report: ImportReport,
}

const OPERATION_COLUMNS: &[&str] = &[
    "reference",
    "bailleur",
    "commune",
    "libelle",
    "programme",
    "projet",
    "quartier",
];
const LINE_COLUMNS: &[&str] = &[
    "nature",
    "site",
    "produit",
    "financement",
    "logements",
    "annee",
    "stade",
    "date_stade",
    "cout",
];

/// Save the operation of `form`: create it, or change it when its landlord already has this
/// reference. `only_landlord` restricts the landlord (a landlord editor). Lines left blank are
/// ignored; at least one line is required.
pub fn save_operation(
    store: &dyn Store,
    actor: &Actor,
    form: &OperationFields,
    only_landlord: Option<i64>,
) -> Result<SaveOutcome> {
    let orgs = store.organisations()?;
    let programmes = store.programmes()?;
    let mut early = Vec::new();
    let landlord = match form.landlord_id {
        None => {
            early.push(problem(None, "bailleur", "choisissez le bailleur"));
            String::new()
        }
        Some(id) => match orgs
            .iter()
            .find(|o| o.id == id && o.kind == logis_domain::OrgKind::Landlord)
        {
            Some(o) => o.name.clone(),
            None => {
                early.push(problem(None, "bailleur", "bailleur inconnu"));
                String::new()
            }
        },
    };
    let programme = match form.programme_id {
        None => String::new(),
        Some(id) => match programmes.iter().find(|p| p.id == id) {
            Some(p) => p.name.clone(),
            None => {
                early.push(problem(None, "programme", "programme inconnu"));
                String::new()
            }
        },
    };
    // Lines kept, with their index on the form.
    let kept: Vec<(usize, &LineFields)> = form
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.is_blank())
        .collect();
    if kept.is_empty() {
        early.push(problem(
            Some(0),
            "nature",
            "une opération a au moins une ligne : remplissez la première",
        ));
    }
    if !early.is_empty() {
        return Ok(SaveOutcome {
            operation_id: None,
            problems: early,
            report: ImportReport::default(),
        });
    }
    let header: Vec<String> = OPERATION_COLUMNS
        .iter()
        .chain(LINE_COLUMNS)
        .map(|c| c.to_string())
        .collect();
    let rows = kept
        .iter()
        .map(|(_, l)| {
            let mut cells = vec![
                form.reference.clone(),
                landlord.clone(),
                form.commune.clone(),
                form.label.clone(),
                programme.clone(),
                form.project.clone(),
                form.quartier.clone(),
            ];
            cells.extend([
                l.nature.clone(),
                l.site.clone(),
                l.produit.clone(),
                l.financement.clone(),
                l.logements.clone(),
                l.annee.clone(),
                l.stade.clone(),
                l.date_stade.clone(),
                l.cout.clone(),
            ]);
            cells
        })
        .collect();
    let mut source = MemorySource::new(header, rows);
    let report = import_operations(
        store,
        actor,
        &mut source,
        &ImportOptions {
            commit: true,
            territory: None,
            only_landlord,
        },
        &mut |_| {},
    )?;
    let problems: Vec<FormProblem> = report.problems.iter().map(|p| locate(p, &kept)).collect();
    let operation_id = if report.committed {
        let landlord_id = form
            .landlord_id
            .ok_or(AppError::Invalid("bailleur".into()))?;
        store.operation_id(landlord_id, form.reference.trim())?
    } else {
        None
    };
    Ok(SaveOutcome {
        operation_id,
        problems,
        report,
    })
}

fn problem(line: Option<usize>, column: &str, message: &str) -> FormProblem {
    FormProblem {
        line,
        column: column.into(),
        message: message.into(),
    }
}

/// A problem of the import (row 2 = first kept line) placed back on the form.
fn locate(p: &RowProblem, kept: &[(usize, &LineFields)]) -> FormProblem {
    let line = usize::try_from(p.row)
        .ok()
        .and_then(|r| r.checked_sub(2))
        .and_then(|i| kept.get(i))
        .map(|(i, _)| *i);
    let on_operation = p.column.is_empty() || OPERATION_COLUMNS.contains(&p.column.as_str());
    FormProblem {
        line: if on_operation { None } else { line },
        column: p.column.clone(),
        message: p.message.clone(),
    }
}
