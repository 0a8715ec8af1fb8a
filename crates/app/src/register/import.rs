//! Import of operations in the exchange format: file → rows → typed lines (every error kept with
//! its row and column) → staged in one transaction → checked across the file → merged, or
//! nothing written at all.

use crate::reference as setup;
use crate::{AppError, Result};
use logis_domain::numbers::parse_integer;
use logis_domain::register::line::{LineDraft, OrgIndex, RawRow, RowContext};
use logis_domain::register::reconcile::{DetailSums, TOTAL_COLUMNS};
use logis_domain::{OrgKind, Siren};
use logis_io::read::HeaderMap;
use logis_io::{ReadError, RowSource};
use logis_store::Actor;
use logis_store::{ImportStats, RowProblem, Store};
use serde::Serialize;

/// Rows staged together, and how many such batches may wait for the stager.
const STAGED_BATCH: usize = 1024;
const STAGED_BATCHES: usize = 8;

/// At most this many problems are listed; the others are counted.
pub const MAX_LISTED_PROBLEMS: usize = 1000;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Write when the file is clean (false: check only, write nothing).
    pub commit: bool,
    /// Territory for ambiguous commune names; default: the instance's.
    pub territory: Option<logis_domain::Territory>,
    /// Only this landlord's operations may be imported (a landlord editor's import); a row of
    /// another landlord is an error on its `bailleur` column.
    pub only_landlord: Option<i64>,
}

/// A total row of the file (empty `reference`, the word "total" in `libelle`): what it declares
/// and which columns it fills. Kept for the reconciliation of declared totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeclaredTotal {
    pub row: u64,
    pub label: String,
    pub declared: Option<i64>,
    /// Filled dimension columns of the total row, as written (column, value).
    pub filters: Vec<(String, String)>,
}

/// A declared total that disagrees with the sum of its detail rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TotalDiscrepancy {
    pub row: u64,
    pub label: String,
    pub declared: i64,
    pub computed: i64,
    /// declared − computed: positive when the published total exceeds its detail.
    pub difference: i64,
    pub filters: Vec<(String, String)>,
    /// Rows in error within this total's scope: the computed sum leaves them out.
    pub incomplete: Vec<u64>,
}

impl TotalDiscrepancy {
    /// One French sentence.
    pub fn render_fr(&self) -> String {
        let on = if self.filters.is_empty() {
            "toutes les lignes".to_string()
        } else {
            self.filters
                .iter()
                .map(|(c, v)| format!("{c} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut s = format!(
            "ligne {} : « {} » déclare {}, le détail ({on}) donne {}",
            self.row,
            self.label,
            group(self.declared),
            group(self.computed),
        );
        if self.difference != 0 {
            s.push_str(&format!(" — écart {:+}", self.difference));
        }
        if let Some(why) = self.incomplete_fr() {
            s.push_str(&format!(" — {why}"));
        }
        s
    }

    /// « calcul incomplet : la ligne N est en erreur » when rows in its scope were refused.
    pub fn incomplete_fr(&self) -> Option<String> {
        match self.incomplete.as_slice() {
            [] => None,
            [one] => Some(format!("calcul incomplet : la ligne {one} est en erreur")),
            many => Some(format!(
                "calcul incomplet : les lignes {} sont en erreur",
                many.iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

fn group(n: i64) -> String {
    logis_domain::numbers::group_thousands(n)
}

/// The result of an import, whether it wrote or not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub problems: Vec<RowProblem>,
    /// Problems found beyond [`MAX_LISTED_PROBLEMS`].
    pub problems_not_listed: u64,
    pub stats: ImportStats,
    pub committed: bool,
    pub ignored_columns: Vec<String>,
    pub declared_totals: Vec<DeclaredTotal>,
    /// Declared totals whose detail rows add up to another figure.
    pub total_discrepancies: Vec<TotalDiscrepancy>,
    pub blank_rows: u64,
}

impl ImportReport {
    pub fn has_errors(&self) -> bool {
        !self.problems.is_empty() || self.problems_not_listed > 0
    }

    /// The French report printed by the CLI and shown by the web page.
    pub fn render_fr(&self) -> String {
        let mut out = String::new();
        if self.has_errors() {
            let n = self.problems.len() as u64 + self.problems_not_listed;
            out.push_str(&format!(
                "Import refusé : {n} erreur(s). Rien n'a été enregistré.\n"
            ));
            for p in &self.problems {
                if p.column.is_empty() {
                    out.push_str(&format!("  ligne {} : {}\n", p.row, p.message));
                } else {
                    out.push_str(&format!(
                        "  ligne {}, colonne « {} » : {}\n",
                        p.row, p.column, p.message
                    ));
                }
            }
            if self.problems_not_listed > 0 {
                out.push_str(&format!(
                    "  … et {} autre(s) erreur(s) non listée(s).\n",
                    self.problems_not_listed
                ));
            }
        } else if self.committed {
            let s = &self.stats;
            out.push_str(&format!(
                "Import réussi : {} ligne(s) lue(s) ; opérations : {} créée(s), {} modifiée(s) ; lignes : {} créée(s), {} modifiée(s), {} inchangée(s).\n",
                s.lines_read, s.operations_created, s.operations_updated, s.lines_created, s.lines_updated, s.lines_unchanged
            ));
            if s.projects_created > 0 || s.quartiers_created > 0 {
                out.push_str(&format!(
                    "Créés au passage : {} projet(s), {} quartier(s).\n",
                    s.projects_created, s.quartiers_created
                ));
            }
        } else {
            out.push_str(&format!(
                "Fichier valide : {} ligne(s) d'opération, aucune erreur (rien n'a été écrit).\n",
                self.stats.lines_read
            ));
        }
        if !self.declared_totals.is_empty() {
            out.push_str(&format!(
                "{} ligne(s) de total déclarée(s), non importée(s) comme opérations ; {} en désaccord avec le détail.\n",
                self.declared_totals.len(),
                self.total_discrepancies.len()
            ));
            for d in &self.total_discrepancies {
                out.push_str(&format!("  {}\n", d.render_fr()));
            }
        }
        if !self.ignored_columns.is_empty() {
            out.push_str(&format!(
                "Colonnes ignorées (inconnues) : {}.\n",
                self.ignored_columns.join(", ")
            ));
        }
        out
    }
}

struct Problems {
    listed: Vec<RowProblem>,
    not_listed: u64,
}

impl Problems {
    fn push(&mut self, row: u64, column: &str, message: String) {
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(RowProblem {
                row,
                column: column.to_string(),
                message,
            });
        } else {
            self.not_listed += 1;
        }
    }
}

/// Where an import stands, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// This many rows read and checked so far (said every 10,000 rows, and at the end).
    Read(u64),
    /// Every row read: the whole file is checked and written (or rolled back).
    Writing,
}

/// Import (or, with `commit: false`, check) the operations of `source`; `progress` hears where
/// it stands ([`Progress`]).
pub fn import_operations(
    store: &dyn Store,
    actor: &Actor,
    source: &mut dyn RowSource,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let header = match HeaderMap::new(source.header()) {
        Ok(h) => h,
        Err(problems) => {
            report.problems = crate::header_refusal(problems);
            return Ok(report);
        }
    };
    report.ignored_columns = header.ignored.clone();

    let geography = store.geography()?;
    if geography.is_empty() {
        return Err(AppError::NoReference);
    }
    let territory = match &opts.territory {
        Some(t) => Some(t.clone()),
        None => setup::territory(store)?,
    };
    let orgs = store.organisations()?;
    let landlords = OrgIndex::new(
        orgs.iter()
            .filter(|o| o.kind == OrgKind::Landlord)
            .map(|o| (o.id, o.name.as_str(), o.siren.as_ref().map(Siren::as_str))),
    );
    let programmes_list = store.programmes()?;
    let programmes = OrgIndex::new(
        programmes_list
            .iter()
            .map(|p| (p.id, p.name.as_str(), None)),
    );
    let ctx = RowContext {
        geography: &geography,
        territory: territory.as_ref(),
        landlords: &landlords,
        programmes: &programmes,
    };

    let mut problems = Problems {
        listed: Vec::new(),
        not_listed: 0,
    };
    let mut steps = logis_store::steps::Steps::new();
    let session = store.begin_import(actor)?;
    let mut details = DetailSums::default();
    let mut read = 0u64;
    // Reading and checking the rows here, staging them on a second thread (two cores: the
    // staging's inserts no longer wait for the parser, nor the parser for them); batches through
    // a bounded channel, so that memory stays flat whatever the file's size.
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<(u64, LineDraft)>>(STAGED_BATCHES);
    let (session, staged) = std::thread::scope(|scope| {
        let stager = scope.spawn(move || {
            let mut session = session;
            for batch in receive {
                for (row, line) in &batch {
                    if let Err(e) = session.stage(*row, line) {
                        return (session, Err(e));
                    }
                }
            }
            (session, Ok(()))
        });
        let mut batch = Vec::with_capacity(STAGED_BATCH);
        let parsed: Result<()> = (|| {
            while let Some(next) = source.next_row() {
                let row = match next {
                    Ok(r) => r,
                    Err(ReadError::BadRow { row, message }) => {
                        problems.push(row, "", message);
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                read += 1;
                if read.is_multiple_of(10_000) {
                    progress(Progress::Read(read));
                }
                if row.is_blank() {
                    report.blank_rows += 1;
                    continue;
                }
                let mut raw = RawRow::default();
                for (column, value) in header.cells(&row) {
                    raw.set(column, value);
                }
                if raw.is_declared_total() {
                    match declared_total(&header, &row, &raw) {
                        Ok(t) => report.declared_totals.push(t),
                        Err(msg) => problems.push(row.row, "logements", msg),
                    }
                    continue;
                }
                // Only valid rows count in a computed total; a row in error makes the totals
                // whose scope holds it incomplete.
                match raw.parse(&ctx) {
                    Ok(line)
                        if opts
                            .only_landlord
                            .is_some_and(|id| id != line.op.landlord_id) =>
                    {
                        details.refuse(row.row, &raw);
                        let own = orgs
                            .iter()
                            .find(|o| Some(o.id) == opts.only_landlord)
                            .map(|o| o.name.as_str())
                            .unwrap_or("votre organisation");
                        problems.push(
                            row.row,
                            "bailleur",
                            format!("vous ne pouvez importer que les opérations de « {own} »"),
                        );
                    }
                    Ok(line) => {
                        details.add(&raw);
                        batch.push((row.row, line));
                        if batch.len() == STAGED_BATCH {
                            let full =
                                std::mem::replace(&mut batch, Vec::with_capacity(STAGED_BATCH));
                            if send.send(full).is_err() {
                                // (The stager stopped on an error: it says which.)
                                return Ok(());
                            }
                        }
                    }
                    Err(errs) => {
                        details.refuse(row.row, &raw);
                        for e in errs {
                            problems.push(row.row, e.column, e.message);
                        }
                    }
                }
            }
            if !batch.is_empty() {
                let _ = send.send(std::mem::take(&mut batch));
            }
            Ok(())
        })();
        drop(send);
        let (session, staged) = match stager.join() {
            Ok(done) => done,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (session, parsed.and(staged.map_err(AppError::from)))
    });
    staged?;
    steps.mark("lecture, contrôles des lignes, mise en attente");
    progress(Progress::Read(read));
    progress(Progress::Writing);
    report.total_discrepancies = reconcile(&report.declared_totals, &details);
    let outcome = session.finish(opts.commit && problems.listed.is_empty())?;
    for p in outcome.problems {
        problems.push(p.row, &p.column, p.message);
    }
    problems.listed.sort_by_key(|a| a.row);
    report.problems = problems.listed;
    report.problems_not_listed = problems.not_listed;
    report.stats = outcome.stats;
    report.committed = outcome.committed;
    Ok(report)
}

/// Every declared total that disagrees with its detail rows.
fn reconcile(totals: &[DeclaredTotal], details: &DetailSums) -> Vec<TotalDiscrepancy> {
    totals
        .iter()
        .filter_map(|t| {
            let declared = t.declared?;
            let computed = details.sum_matching(&t.filters);
            let incomplete = details.refused_matching(&t.filters);
            (computed != declared || !incomplete.is_empty()).then(|| TotalDiscrepancy {
                row: t.row,
                label: t.label.clone(),
                declared,
                computed,
                difference: declared - computed,
                filters: t.filters.clone(),
                incomplete,
            })
        })
        .collect()
}

fn declared_total(
    header: &HeaderMap,
    row: &logis_io::SourceRow,
    raw: &RawRow<'_>,
) -> std::result::Result<DeclaredTotal, String> {
    let declared =
        match raw.logements {
            None => None,
            Some(v) => Some(parse_integer(v).filter(|n| *n >= 0).ok_or_else(|| {
                format!("total illisible « {v} » : un nombre entier est attendu")
            })?),
        };
    let filters = header
        .cells(row)
        .filter(|(c, v)| TOTAL_COLUMNS.contains(c) && v.is_some_and(|v| !v.trim().is_empty()))
        .map(|(c, v)| (c.to_string(), v.unwrap_or_default().trim().to_string()))
        .collect();
    Ok(DeclaredTotal {
        row: row.row,
        label: raw.libelle.unwrap_or_default().to_string(),
        declared,
        filters,
    })
}
