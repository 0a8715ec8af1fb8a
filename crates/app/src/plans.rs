//! The landlords' strategic plans' use cases (issue 22, first part): a landlord's plan imported
//! as a version (the EPCI any landlord's, a landlord's editor its own; a residence given twice,
//! an unknown strategy… named, nothing written; a version imported again replaced, the others
//! kept for comparison).

use crate::{AppError, Result};
use logis_domain::plans::{PSP_COLUMNS, PSP_REQUIRED, parse_residence, residence_key};
use logis_domain::{Principal, Role};
use logis_io::RowSource;
use logis_io::read::Layout;
use logis_store::{Actor, RowProblem, Store};

/// A PSP file's columns.
pub const PSP: Layout = Layout {
    columns: PSP_COLUMNS,
    required: PSP_REQUIRED,
    informative: &[],
    aliases: &[
        ("nom_residence", "residence"),
        ("groupe", "residence"),
        ("nb_logements", "logements"),
        ("annee", "annee_construction"),
        ("etiquette_dpe", "dpe"),
        ("orientation", "strategie"),
        ("cout", "cout_estime"),
        ("etiquette_visee", "classe_visee"),
        ("identifiants_rpls", "rpls"),
    ],
};

/// What a plan's import did.
#[derive(Debug, Default)]
pub struct PlanImport {
    pub problems: Vec<RowProblem>,
    pub residences: u64,
    pub dwellings: u64,
    /// The version replaced one of the same number.
    pub replaced: bool,
    pub committed: bool,
}

/// Which plan a file is, and whether to write it.
#[derive(Debug, Clone)]
pub struct PspOptions {
    /// The landlord's name or SIREN.
    pub landlord: String,
    /// The plan's version (its year).
    pub version: i32,
    pub commit: bool,
    /// The file's name, kept with the version.
    pub source: String,
}

/// Import (or check) a version of a landlord's plan.
pub fn import_psp(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    source: Box<dyn RowSource>,
    opts: &PspOptions,
) -> Result<PlanImport> {
    let (landlord, version, commit) = (opts.landlord.as_str(), opts.version, opts.commit);
    let (_, landlords) = crate::land::landlords(store)?;
    let id = landlords
        .find(landlord)
        .ok_or_else(|| AppError::Invalid(format!("bailleur inconnu « {landlord} »")))?;
    match principal.role {
        Role::Admin | Role::Agent => {}
        Role::LandlordEditor if principal.organisation_id == Some(id) => {}
        Role::LandlordEditor => {
            return Err(AppError::Invalid(
                "vous n'importez que le PSP de votre organisation".into(),
            ));
        }
        _ => {
            return Err(AppError::Invalid(
                "seuls l'EPCI et les bailleurs (saisie) importent un PSP".into(),
            ));
        }
    }
    if !(2000..=2100).contains(&version) {
        return Err(AppError::Invalid(format!(
            "version « {version} » : une année entre 2000 et 2100 attendue"
        )));
    }
    let geo = crate::reference::geography(store)?.0;
    let drafts = match crate::proximity::rows(source, &PSP, &|c| parse_residence(c, &geo))? {
        Ok(d) => d,
        Err(problems) => {
            return Ok(PlanImport {
                problems,
                ..Default::default()
            });
        }
    };
    let mut seen = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for (row, r) in &drafts {
        if let Some(first) = seen.insert(residence_key(&r.commune, &r.residence), *row) {
            problems.push(RowProblem {
                row: *row,
                column: "residence".into(),
                message: format!(
                    "la résidence « {} » est déjà à la ligne {first}",
                    r.residence
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Ok(PlanImport {
            problems,
            ..Default::default()
        });
    }
    let residences: Vec<_> = drafts.into_iter().map(|(_, r)| r).collect();
    let mut out = PlanImport {
        residences: residences.len() as u64,
        dwellings: residences.iter().map(|r| u64::from(r.dwellings)).sum(),
        ..Default::default()
    };
    if commit {
        out.replaced = store.put_plan(actor, id, version, &opts.source, &residences)?;
        out.committed = true;
    }
    Ok(out)
}
