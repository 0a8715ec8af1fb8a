//! The settlement observatory's subcommands: `import attributions`, `seuil-q1`.

use super::*;

#[derive(Args)]
pub(crate) struct ThresholdArgs {
    /// Année du seuil
    #[arg(long)]
    annee: i32,
    /// Seuil du premier quartile, en euros par an et par unité de consommation
    #[arg(long)]
    montant: String,
    /// SIREN de l'EPCI (par défaut : tous)
    #[arg(long)]
    epci: Option<String>,
}

pub(crate) fn import(
    db: Option<&str>,
    args: crate::land::LandImportArgs,
) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let source = match logis_io::open_path(args.file()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Import refusé : {e}. Rien n'a été enregistré.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let commit = !args.check_only();
    let out = logis_app::settlement::import_attributions(
        store.as_ref(),
        &crate::land::cli_principal(),
        &Actor::cli(),
        source,
        commit,
    )?;
    if !out.problems.is_empty() {
        crate::land::refused(&out.problems);
        return Ok(ExitCode::FAILURE);
    }
    if commit {
        println!(
            "Attributions importées : {} créée(s), {} modifiée(s), {} inchangée(s).",
            out.created, out.updated, out.unchanged
        );
    } else {
        println!("Fichier valide : rien n'a été enregistré (--verifier).");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn threshold(db: Option<&str>, a: ThresholdArgs) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    logis_app::settlement::set_threshold(
        store.as_ref(),
        &crate::land::cli_principal(),
        &Actor::cli(),
        a.annee,
        &a.montant,
        a.epci.as_deref(),
    )?;
    println!("Seuil du premier quartile {} enregistré.", a.annee);
    Ok(())
}

#[derive(Args)]
pub(crate) struct OccupancyArgs {
    file: std::path::PathBuf,
    /// Année de l'enquête d'occupation
    #[arg(long)]
    enquete: i32,
    /// Vérifie le fichier sans rien écrire
    #[arg(long)]
    verifier: bool,
}

#[derive(Args)]
pub(crate) struct RuleArgs {
    /// Indice de concentration à atteindre (part du quartier / part de l'EPCI), par exemple 1,3
    #[arg(long)]
    indice: String,
    /// Nombre d'indicateurs qui doivent l'atteindre (3 par défaut)
    #[arg(long, default_value = "3")]
    indicateurs: String,
}

pub(crate) fn source_of(path: &std::path::Path) -> Option<Box<dyn logis_io::RowSource>> {
    match logis_io::open_path(path) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("Import refusé : {e}. Rien n'a été enregistré.");
            None
        }
    }
}

pub(crate) fn import_occupancy(db: Option<&str>, args: OccupancyArgs) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let Some(source) = source_of(&args.file) else {
        return Ok(ExitCode::FAILURE);
    };
    let out = logis_app::settlement::occupancy::import_occupancy(
        store.as_ref(),
        &crate::land::cli_principal(),
        &Actor::cli(),
        source,
        args.enquete,
        !args.verifier,
    )?;
    if !out.problems.is_empty() {
        crate::land::refused(&out.problems);
        return Ok(ExitCode::FAILURE);
    }
    if out.committed {
        println!(
            "Enquête d'occupation {} importée : {} ménage(s) de {} bailleur(s).",
            args.enquete, out.households, out.landlords
        );
    } else {
        println!(
            "Fichier valide ({} ménage(s)) : rien n'a été enregistré (--verifier).",
            out.households
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn import_demand(
    db: Option<&str>,
    args: crate::land::LandImportArgs,
) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let Some(source) = source_of(args.file()) else {
        return Ok(ExitCode::FAILURE);
    };
    let commit = !args.check_only();
    match logis_app::settlement::occupancy::import_demand(
        store.as_ref(),
        &crate::land::cli_principal(),
        &Actor::cli(),
        source,
        commit,
    )? {
        Err(problems) => {
            crate::land::refused(&problems);
            Ok(ExitCode::FAILURE)
        }
        Ok(n) if commit => {
            println!("Demande (SNE) importée : {n} ligne(s).");
            Ok(ExitCode::SUCCESS)
        }
        Ok(n) => {
            println!("Fichier valide ({n} ligne(s)) : rien n'a été enregistré (--verifier).");
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn rule(db: Option<&str>, a: RuleArgs) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let r = logis_app::settlement::occupancy::set_rule(
        store.as_ref(),
        &crate::land::cli_principal(),
        &Actor::cli(),
        &a.indice,
        &a.indicateurs,
    )?;
    println!(
        "Règle des quartiers sensibles enregistrée : indice de concentration d'au moins {} sur au moins {} indicateur(s).",
        logis_domain::numbers::decimal_fr(r.index, 2),
        r.indicators
    );
    Ok(())
}
