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
