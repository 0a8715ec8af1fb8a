//! The settlement observatory's use cases (issue 21, first part): the first-quartile threshold
//! of each year, and the import of the leases signed (attributions) — every row checked, a
//! lease whose applicant's resources need a threshold not set for its year refused by name, and
//! nothing written on any error.

use crate::{AppError, Result};
use logis_domain::cells::Cells;
use logis_domain::settlement::{
    LEASE_COLUMNS, LEASE_REQUIRED, Resources, first_quartile, parse_lease,
};
use logis_domain::{Permission, Principal, Role};
use logis_io::RowSource;
use logis_io::read::{HeaderMap, Layout};
use logis_store::tx::Imported;
use logis_store::{Actor, RowProblem, Store};

/// An attributions file's columns.
pub const LEASES: Layout = Layout {
    columns: LEASE_COLUMNS,
    required: LEASE_REQUIRED,
    informative: &[],
    aliases: &[
        ("numero_bail", "bail"),
        ("date_signature", "date_bail"),
        ("rpls", "logement"),
        ("contingent", "reservataire"),
        ("ressources_par_uc", "ressources_uc"),
        ("relogement_anru", "relogement_renouvellement"),
        ("nb_personnes", "personnes"),
    ],
};

/// Set the first-quartile threshold of `year` (euros a year per consumption unit), for one EPCI
/// (its SIREN) or for every one; the EPCI sets it (it is published by arrêté every year).
pub fn set_threshold(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    year: i32,
    euros: &str,
    epci: Option<&str>,
) -> Result<()> {
    if !principal.may(Permission::EditReference) {
        return Err(AppError::Invalid(
            "seul l'EPCI fixe le seuil du premier quartile".into(),
        ));
    }
    if !(2000..=2100).contains(&year) {
        return Err(AppError::Invalid(format!(
            "année « {year} » : une année entre 2000 et 2100 attendue"
        )));
    }
    let cents = logis_domain::numbers::parse_amount_cents(euros)
        .filter(|c| *c > 0)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "montant « {euros} » : des euros par an et par unité de consommation attendus"
            ))
        })?;
    let epci = match epci.map(str::trim).filter(|e| !e.is_empty()) {
        None => String::new(),
        Some(e) => {
            let geo = store.geography()?;
            geo.epci(e)
                .map(|x| x.siren.as_str().to_string())
                .ok_or_else(|| AppError::Invalid(format!("EPCI « {e} » inconnu (SIREN attendu)")))?
        }
    };
    Ok(store.set_threshold(actor, year, &epci, cents)?)
}

/// Import (or check) leases signed: the EPCI any landlord's, a landlord's editor its own.
pub fn import_attributions(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    mut source: Box<dyn RowSource>,
    commit: bool,
) -> Result<Imported> {
    let own = match principal.role {
        Role::Admin | Role::Agent => None,
        Role::LandlordEditor if principal.organisation_id.is_some() => principal.organisation_id,
        _ => {
            return Err(AppError::Invalid(
                "seuls l'EPCI et les bailleurs (saisie) importent les attributions".into(),
            ));
        }
    };
    let refused = |problems: Vec<RowProblem>| Imported {
        problems,
        ..Default::default()
    };
    let header = match HeaderMap::of(source.header(), &LEASES) {
        Ok(h) => h,
        Err(p) => {
            return Ok(refused(
                p.into_iter()
                    .map(|p| RowProblem {
                        row: 1,
                        column: p.column,
                        message: p.message,
                    })
                    .collect(),
            ));
        }
    };
    let geo = crate::reference::geography(store)?.0;
    let (_, landlords) = crate::land::landlords(store)?;
    let thresholds = store.thresholds()?;
    let today = chrono::Local::now().date_naive();
    let mut drafts = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    while let Some(next) = source.next_row() {
        let row = next?;
        if row.is_blank() {
            continue;
        }
        let mut cells = Cells::default();
        for (column, value) in header.cells(&row) {
            cells.set(column, value);
        }
        let mut push = |column: &str, message: String| {
            problems.push(RowProblem {
                row: row.row,
                column: column.to_string(),
                message,
            })
        };
        match parse_lease(&cells, &geo, &landlords, today) {
            Err(errors) => {
                for e in errors {
                    push(e.column, e.message);
                }
            }
            Ok(d) => {
                if own.is_some_and(|o| o != d.landlord) {
                    push(
                        "bailleur",
                        "vous n'importez que les attributions de votre organisation".into(),
                    );
                    continue;
                }
                if let Some(Resources::PerUnitCents(_)) = d.resources {
                    let year = chrono::Datelike::year(&d.date);
                    let epci = geo
                        .commune(d.commune.as_str())
                        .and_then(|c| c.epci.as_ref())
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default();
                    let t = thresholds
                        .iter()
                        .find(|(y, e, _)| *y == year && *e == epci)
                        .or_else(|| {
                            thresholds
                                .iter()
                                .find(|(y, e, _)| *y == year && e.is_empty())
                        })
                        .map(|(_, _, c)| *c);
                    if let Err(m) = first_quartile(&d, t) {
                        push("ressources_uc", m);
                        continue;
                    }
                }
                if let Some(first) = seen.insert((d.landlord, d.lease.clone()), row.row) {
                    push(
                        "bail",
                        format!("le bail « {} » est déjà à la ligne {first}", d.lease),
                    );
                    continue;
                }
                drafts.push((row.row, d));
            }
        }
    }
    if !problems.is_empty() {
        return Ok(refused(problems));
    }
    if !commit {
        return Ok(Imported::default());
    }
    Ok(store.put_leases(actor, &drafts)?)
}
