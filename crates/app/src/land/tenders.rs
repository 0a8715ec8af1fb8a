//! Grouped tenders: importing them (each row one operation of one lot, checked against the
//! register and the tender's members, nothing written when a row is wrong), who sees which
//! tender, and the cost report (cost per dwelling and per m², pooled against not pooled, each
//! tender's saving per member).

use crate::{AppError, Result};
use logis_domain::land::tenders::{
    LotDraft, LotOperation, TenderDraft, TenderRow, TenderRowDraft, tender_key,
};
use logis_domain::numbers::{format_euros_cents, group_thousands};
use logis_domain::{LineScope, Nature, Permission, Principal, Product};
use logis_io::RowSource;
use logis_io::read::HeaderMap;
use logis_io::report::{Cell, Grid, GridRow, Report, RowKind, Span};
use logis_store::land::tenders::{CostLine, TenderImportStats, TenderRecord};
use logis_store::{Actor, RowProblem, Store};
use serde::Serialize;
use std::collections::BTreeMap;

/// The result of a tenders import, whether it wrote or not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TenderImportReport {
    pub problems: Vec<RowProblem>,
    pub stats: TenderImportStats,
    pub committed: bool,
    pub ignored_columns: Vec<String>,
    pub rows: u64,
}

impl TenderImportReport {
    pub fn has_errors(&self) -> bool {
        !self.problems.is_empty()
    }
}

fn problem(row: u64, column: &str, message: impl Into<String>) -> RowProblem {
    RowProblem {
        row,
        column: column.into(),
        message: message.into(),
    }
}

/// Import grouped tenders (`appel, coordinateur, nature_travaux, lot, bailleur, operation,
/// estimation, montant_attribue, attributaire_siret, date_attribution`, optional `membres`,
/// `date_publication`, `date_demarrage`). `commit` false: check only.
pub fn import_tenders(
    store: &dyn Store,
    actor: &Actor,
    source: Box<dyn RowSource>,
    commit: bool,
) -> Result<TenderImportReport> {
    import_tenders_of(store, actor, source, commit, None)
}

/// [`import_tenders`], where every tender must be coordinated by `coordinator` when given (a
/// landlord's import).
pub fn import_tenders_of(
    store: &dyn Store,
    actor: &Actor,
    mut source: Box<dyn RowSource>,
    commit: bool,
    coordinator: Option<i64>,
) -> Result<TenderImportReport> {
    let (orgs, index) = super::landlords(store)?;
    let name_of = |id: i64| {
        orgs.iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let mut report = TenderImportReport::default();
    let header = match HeaderMap::of(source.header(), &logis_io::read::TENDERS) {
        Ok(h) => h,
        Err(problems) => {
            report.problems = problems
                .into_iter()
                .map(|p| problem(1, &p.column, p.message))
                .collect();
            return Ok(report);
        }
    };
    report.ignored_columns = header.ignored.clone();
    let mut rows: Vec<(u64, TenderRowDraft, i64)> = Vec::new();
    while let Some(row) = source.next_row() {
        let row = row?;
        if row.is_blank() {
            continue;
        }
        report.rows += 1;
        let mut raw = TenderRow::default();
        for (column, value) in header.cells(&row) {
            raw.set(column, value);
        }
        match raw.parse(&index) {
            Ok(d) if coordinator.is_some_and(|c| c != d.coordinator) => {
                report.problems.push(problem(
                    row.row,
                    "coordinateur",
                    format!(
                        "vous n'importez que les appels que {} coordonne",
                        coordinator.map(name_of).unwrap_or_default()
                    ),
                ));
            }
            Err(errors) => report.problems.extend(
                errors
                    .into_iter()
                    .map(|e| problem(row.row, e.column, e.message)),
            ),
            Ok(d) => match store.operation_id(d.landlord, &d.operation)? {
                Some(op) => rows.push((row.row, d, op)),
                None => report.problems.push(problem(
                    row.row,
                    "operation",
                    format!(
                        "{} n'a pas d'opération « {} » au registre",
                        name_of(d.landlord),
                        d.operation
                    ),
                )),
            },
        }
    }
    // Group the rows by tender, then by lot; the first row of a tender says its coordinator,
    // works and dates, the others must agree.
    let mut tenders: Vec<(TenderDraft, u64, Vec<i64>)> = Vec::new();
    for (row, d, op) in &rows {
        let at = tenders
            .iter()
            .position(|(t, _, _)| tender_key(&t.reference) == tender_key(&d.tender));
        let (t, first, named) = match at.and_then(|i| tenders.get_mut(i)) {
            Some(x) => x,
            None => {
                tenders.push((
                    TenderDraft {
                        reference: d.tender.clone(),
                        coordinator: d.coordinator,
                        members: vec![d.coordinator],
                        works: d.works,
                        published_on: d.published_on,
                        awarded_on: None,
                        works_start_on: d.works_start_on,
                        lots: Vec::new(),
                    },
                    *row,
                    Vec::new(),
                ));
                match tenders.last_mut() {
                    Some(x) => x,
                    None => continue,
                }
            }
        };
        if d.coordinator != t.coordinator {
            report.problems.push(problem(
                *row,
                "coordinateur",
                format!(
                    "l'appel « {} » a pour coordinateur {} (ligne {first}) : un coordinateur par appel",
                    t.reference,
                    name_of(t.coordinator)
                ),
            ));
        }
        if d.works != t.works {
            report.problems.push(problem(
                *row,
                "nature_travaux",
                format!(
                    "l'appel « {} » porte sur « {} » (ligne {first})",
                    t.reference,
                    t.works.label()
                ),
            ));
        }
        t.published_on = t.published_on.or(d.published_on);
        t.works_start_on = t.works_start_on.or(d.works_start_on);
        named.extend(d.members.iter().copied());
        let lot = match t
            .lots
            .iter()
            .position(|l| tender_key(&l.name) == tender_key(&d.lot))
        {
            Some(i) => t.lots.get_mut(i),
            None => {
                t.lots.push(LotDraft {
                    name: d.lot.clone(),
                    company: None,
                    awarded_on: None,
                    operations: Vec::new(),
                });
                t.lots.last_mut()
            }
        };
        let Some(lot) = lot else { continue };
        match (&lot.company, &d.company) {
            (Some(a), Some(b)) if a != b => report.problems.push(problem(
                *row,
                "attributaire_siret",
                format!(
                    "le lot « {} » est attribué à une autre entreprise (SIRET {}) plus haut : une entreprise par lot",
                    lot.name,
                    a.as_str()
                ),
            )),
            (None, Some(b)) => lot.company = Some(b.clone()),
            _ => {}
        }
        lot.awarded_on = lot.awarded_on.max(d.awarded_on);
        if lot.operations.iter().any(|o| o.operation_id == *op) {
            report.problems.push(problem(
                *row,
                "operation",
                format!(
                    "l'opération {} est déjà dans le lot « {} »",
                    d.operation, lot.name
                ),
            ));
            continue;
        }
        lot.operations.push(LotOperation {
            operation_id: *op,
            estimate: d.estimate,
            awarded: d.awarded,
        });
        if !t.members.contains(&d.landlord) {
            t.members.push(d.landlord);
        }
    }
    // Members named: an operation of another landlord is refused.
    for (t, first, named) in &mut tenders {
        for lot in &t.lots {
            if lot.company.is_none() && lot.operations.iter().any(|o| o.awarded.is_some()) {
                report.problems.push(problem(
                    *first,
                    "attributaire_siret",
                    format!(
                        "le lot « {} » de l'appel « {} » a des montants attribués sans entreprise : donnez le SIRET de l'attributaire",
                        lot.name, t.reference
                    ),
                ));
            }
        }
        if !named.is_empty() {
            for (row, d, _) in rows
                .iter()
                .filter(|(_, d, _)| tender_key(&d.tender) == tender_key(&t.reference))
            {
                if d.landlord != t.coordinator && !named.contains(&d.landlord) {
                    let mut names: Vec<String> = named.iter().map(|id| name_of(*id)).collect();
                    names.sort();
                    names.dedup();
                    report.problems.push(problem(
                        *row,
                        "bailleur",
                        format!(
                            "{} n'est pas membre de l'appel « {} » (coordinateur {}, membres : {})",
                            name_of(d.landlord),
                            t.reference,
                            name_of(t.coordinator),
                            names.join(", ")
                        ),
                    ));
                }
            }
            t.members.extend(named.iter().copied());
        }
        t.members.sort_unstable();
        t.members.dedup();
        t.awarded_on = t.lots.iter().filter_map(|l| l.awarded_on).max();
    }
    report.problems.sort_by_key(|p| p.row);
    if !report.problems.is_empty() || !commit {
        return Ok(report);
    }
    if tenders.is_empty() {
        report.problems.push(problem(
            2,
            "",
            "le fichier ne contient aucun appel d'offres",
        ));
        return Ok(report);
    }
    let drafts: Vec<TenderDraft> = tenders.into_iter().map(|(t, _, _)| t).collect();
    report.stats = store.import_tenders(actor, &drafts)?;
    report.committed = true;
    Ok(report)
}

/// The tenders `principal` sees: every one for the EPCI and the State, those it is a member of
/// for a landlord; none for the others (they are commercial figures).
pub fn visible_tenders(store: &dyn Store, principal: &Principal) -> Result<Vec<TenderRecord>> {
    if !principal.may(Permission::ReadFinancing) {
        return Err(AppError::Invalid(
            "les appels d'offres et leurs montants ne sont pas ouverts à votre rôle".into(),
        ));
    }
    let all = store.tenders()?;
    Ok(match principal.line_scope() {
        Some(LineScope::Landlord(id)) => all
            .into_iter()
            .filter(|t| t.members.iter().any(|m| m.0 == id))
            .collect(),
        _ => all,
    })
}

fn per(cents: i64, n: u64) -> Cell {
    if n == 0 {
        Cell::Empty
    } else {
        Cell::Int((cents as f64 / 100.0 / n as f64).round() as i64)
    }
}

fn nature_label(code: &str) -> String {
    Nature::from_code(code)
        .map(|n| n.label().to_string())
        .unwrap_or_else(|| code.to_string())
}

fn product_label(code: &str) -> String {
    if code.is_empty() {
        "(sans produit)".into()
    } else {
        Product::from_code(code)
            .map(|p| p.label().to_string())
            .unwrap_or_else(|| code.to_string())
    }
}

/// The cost report: the long table (stable columns) by landlord × nature × product × year ×
/// pooled; the grid compares, for each nature × product × year, the pooled operations with those
/// that were not; the notes give each tender's saving per member and in total, and what is not
/// counted.
pub fn cost_report(store: &dyn Store, principal: &Principal) -> Result<Report> {
    if !principal.may(Permission::ReadFinancing) {
        return Err(AppError::Invalid(
            "le rapport des coûts (prix de revient par opération) n'est pas ouvert à votre rôle"
                .into(),
        ));
    }
    let landlord = match principal.line_scope() {
        Some(LineScope::Landlord(id)) => Some(id),
        _ => None,
    };
    let lines = store.cost_lines(landlord)?;
    let tenders = visible_tenders(store, principal)?;
    Ok(build_cost_report(&lines, &tenders, landlord))
}

fn build_cost_report(
    lines: &[CostLine],
    tenders: &[TenderRecord],
    landlord: Option<i64>,
) -> Report {
    let yes_no = |b: bool| if b { "oui" } else { "non" };
    let long_rows: Vec<Vec<Cell>> = lines
        .iter()
        .map(|l| {
            vec![
                Cell::text(l.landlord.clone()),
                Cell::text(l.nature.clone()),
                Cell::text(l.product.clone()),
                Cell::Int(i64::from(l.year)),
                Cell::text(yes_no(l.pooled)),
                Cell::Int(l.operations as i64),
                Cell::Int(l.dwellings as i64),
                if l.surface_m2 == 0 {
                    Cell::Empty
                } else {
                    Cell::Int(l.surface_m2 as i64)
                },
                if l.dwellings_with_cost == 0 {
                    Cell::Empty
                } else {
                    Cell::Int((l.cost_cents as f64 / 100.0).round() as i64)
                },
                per(l.cost_cents, l.dwellings_with_cost),
                per(l.cost_with_surface_cents, l.surface_with_cost_m2),
            ]
        })
        .collect();
    // The comparison: nature × product × year, pooled against not pooled.
    #[derive(Default, Clone, Copy)]
    struct Side {
        ops: u64,
        dwellings: u64,
        cost: i64,
        cost_s: i64,
        surface: u64,
    }
    let mut by: BTreeMap<(String, String, i32), [Side; 2]> = BTreeMap::new();
    for l in lines {
        let e = by
            .entry((l.nature.clone(), l.product.clone(), l.year))
            .or_default();
        if let Some(s) = e.get_mut(usize::from(l.pooled)) {
            s.ops += l.operations;
            s.dwellings += l.dwellings_with_cost;
            s.cost += l.cost_cents;
            s.cost_s += l.cost_with_surface_cents;
            s.surface += l.surface_with_cost_m2;
        }
    }
    let mut rows = Vec::new();
    for ((nature, product, year), [alone, pooled]) in &by {
        if pooled.ops == 0 {
            continue;
        }
        let gap = if pooled.dwellings > 0 && alone.dwellings > 0 {
            let a = alone.cost as f64 / alone.dwellings as f64;
            let p = pooled.cost as f64 / pooled.dwellings as f64;
            Cell::text(format!("{:+.1} %", (p - a) / a * 100.0).replace('.', ","))
        } else {
            Cell::Empty
        };
        rows.push(GridRow {
            kind: RowKind::Detail,
            cells: vec![
                Cell::text(nature_label(nature)),
                Cell::text(product_label(product)),
                Cell::Int(i64::from(*year)),
                Cell::Int(pooled.ops as i64),
                per(pooled.cost, pooled.dwellings),
                per(pooled.cost_s, pooled.surface),
                Cell::Int(alone.ops as i64),
                per(alone.cost, alone.dwellings),
                per(alone.cost_s, alone.surface),
                gap,
            ],
        });
    }
    let mut notes = vec![
        "Coûts moyens en euros : prix de revient des lignes qui en ont un, divisé par leurs logements (par logement) ou par leur surface habitable (par m²). Une opération est « groupée » quand un lot d'un appel d'offres groupé la couvre.".to_string(),
    ];
    if rows.is_empty() {
        notes.push("Aucune opération groupée à comparer.".into());
    }
    let without_cost: u64 = lines.iter().map(|l| l.operations_without_cost).sum();
    let without_surface: u64 = lines.iter().map(|l| l.operations_without_surface).sum();
    if without_cost > 0 || without_surface > 0 {
        notes.push(format!(
            "Hors des moyennes, jamais comptées comme zéro : {} opération(s) sans prix de revient et {} sans surface habitable (comptées une fois par ligne du tableau long).",
            group_thousands(without_cost as i64),
            group_thousands(without_surface as i64)
        ));
    }
    for t in tenders {
        let (est, award, saving) = t.saving(None);
        let mut parts: Vec<String> = Vec::new();
        for (id, name) in &t.members {
            if landlord.is_some_and(|l| l != *id) {
                continue;
            }
            let (e, a, s) = t.saving(Some(*id));
            if e > 0 || a > 0 {
                parts.push(format!(
                    "{name} : {} économisés sur {}",
                    format_euros_cents(s),
                    format_euros_cents(e)
                ));
                let _ = a;
            }
        }
        let share = logis_domain::numbers::percent_fr(saving.max(0) as u64, est.max(0) as u64)
            .unwrap_or_default();
        notes.push(format!(
            "Appel « {} » ({}, coordonné par {}) : estimation {}, attribué {}, économie {}{}{}.",
            t.reference,
            t.works.label(),
            t.coordinator,
            format_euros_cents(est),
            format_euros_cents(award),
            format_euros_cents(saving),
            if share.is_empty() {
                String::new()
            } else {
                format!(" ({share})")
            },
            if parts.is_empty() {
                String::new()
            } else {
                format!(" — {}", parts.join(" ; "))
            }
        ));
    }
    Report {
        name: "couts",
        title: "Coût de production : opérations groupées et non groupées".into(),
        scope: match landlord {
            Some(_) => "opérations de votre organisation".into(),
            None => "toutes les opérations du registre (hors démolitions)".into(),
        },
        notes,
        long_columns: vec![
            "bailleur",
            "nature",
            "produit",
            "annee",
            "groupe",
            "operations",
            "logements",
            "surface_m2",
            "prix_de_revient",
            "cout_par_logement",
            "cout_par_m2",
        ],
        long_rows,
        grid: Grid {
            groups: vec![
                Span {
                    label: String::new(),
                    span: 3,
                },
                Span {
                    label: "Opérations groupées".into(),
                    span: 3,
                },
                Span {
                    label: "Opérations non groupées".into(),
                    span: 3,
                },
                Span {
                    label: String::new(),
                    span: 1,
                },
            ],
            header: [
                "Nature",
                "Produit",
                "Année",
                "Opérations",
                "€ par logement",
                "€ par m²",
                "Opérations",
                "€ par logement",
                "€ par m²",
                "Écart par logement",
            ]
            .map(String::from)
            .to_vec(),
            row_header_columns: 3,
            rows,
        },
    }
}

/// One operation of one lot, as typed on the tenders page: added to its tender (created when it
/// is new) through the same checks as an import of the whole tender. The problems' rows are those
/// of the tender's lines, the one typed last.
pub fn add_to_tender(
    store: &dyn Store,
    actor: &Actor,
    cells: &[(&'static str, String)],
    coordinator: Option<i64>,
) -> Result<TenderImportReport> {
    use logis_domain::land::tenders::TENDER_COLUMNS;
    let get = |c: &str| {
        cells
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let reference = get("appel");
    let money = |c: Option<i64>| {
        c.and_then(|c| logis_domain::Euros::from_cents(c).ok())
            .map(logis_domain::Euros::to_plain_fr)
            .unwrap_or_default()
    };
    let date = |d: Option<chrono::NaiveDate>| {
        d.map(logis_domain::numbers::format_date_fr)
            .unwrap_or_default()
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    if let Some(t) = store
        .tenders()?
        .into_iter()
        .find(|t| tender_key(&t.reference) == tender_key(&reference))
    {
        let members: Vec<&str> = t.members.iter().map(|m| m.1.as_str()).collect();
        for lot in &t.lots {
            for o in &lot.operations {
                rows.push(
                    [
                        t.reference.clone(),
                        t.coordinator.clone(),
                        members.join("|"),
                        t.works.label().to_string(),
                        date(t.published_on),
                        date(t.works_start_on),
                        lot.name.clone(),
                        o.landlord.clone(),
                        o.reference.clone(),
                        money(o.estimate_cents),
                        money(o.awarded_cents),
                        lot.company_siret.clone().unwrap_or_default(),
                        date(lot.awarded_on),
                    ]
                    .to_vec(),
                );
            }
        }
    }
    rows.push(TENDER_COLUMNS.iter().map(|c| get(c)).collect());
    let source = logis_io::read::MemorySource::new(
        TENDER_COLUMNS.iter().map(|c| c.to_string()).collect(),
        rows,
    );
    import_tenders_of(store, actor, Box::new(source), true, coordinator)
}
