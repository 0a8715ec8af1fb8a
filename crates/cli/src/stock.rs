//! The social housing stock's subcommands: `import rpls`, `import residences-principales`, the
//! `parc` report.

use super::*;

#[derive(Args)]
pub(crate) struct RplsArgs {
    file: PathBuf,
    /// Millésime du fichier (l'année du 1er janvier qu'il décrit)
    #[arg(long)]
    millesime: i32,
    /// Vérifie le fichier sans rien écrire
    #[arg(long)]
    verifier: bool,
    /// Importe les lignes valides et écrit chaque ligne refusée, avec son motif, dans ce fichier
    #[arg(long)]
    rejets: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct MainResidencesArgs {
    file: PathBuf,
    /// Année du recensement
    #[arg(long)]
    annee: i32,
    /// Vérifie le fichier sans rien écrire
    #[arg(long)]
    verifier: bool,
}

pub(crate) fn import_rpls(db: Option<&str>, args: RplsArgs) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let source = match logis_io::open_path(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Import refusé : {e}. Rien n'a été enregistré.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut rejects = match &args.rejets {
        Some(path) => {
            let f = std::fs::File::create(path)
                .map_err(|e| Failure(format!("impossible d'écrire {} : {e}", path.display())))?;
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(std::io::BufWriter::new(f));
            let mut header = vec!["ligne".to_string(), "motif".to_string()];
            header.extend(source.header().iter().cloned());
            w.write_record(&header)
                .map_err(|e| Failure(format!("fichier des rejets : {e}")))?;
            Some(w)
        }
        None => None,
    };
    let mut write_failed = None;
    let mut reject = |row: u64, cells: &[String], why: &str| {
        if let Some(w) = rejects.as_mut() {
            let mut rec = vec![row.to_string(), why.to_string()];
            rec.extend(cells.iter().cloned());
            if let Err(e) = w.write_record(&rec) {
                write_failed = Some(e.to_string());
            }
        }
    };
    let bar = progress_bar();
    let opts = logis_app::stock::RplsOptions {
        vintage: args.millesime,
        commit: !args.verifier,
        keep_valid: args.rejets.is_some(),
        source: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let report = logis_app::stock::import_rpls(
        store.as_ref(),
        &crate::land::cli_principal(),
        &Actor::cli(),
        source,
        &opts,
        &mut reject,
        &mut |n| {
            if let Some(b) = &bar {
                b.set_message(format!("{n} lignes lues"));
            }
        },
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(w) = rejects.as_mut() {
        w.flush()?;
    }
    if let Some(e) = write_failed {
        return Err(Failure(format!("fichier des rejets : {e}")));
    }
    print!("{}", report.render_fr());
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A spinner on a terminal (the file's row count is not known in advance).
fn progress_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.enable_steady_tick(std::time::Duration::from_millis(200));
        b
    })
}

pub(crate) fn import_main_residences(
    db: Option<&str>,
    args: MainResidencesArgs,
) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let source = match logis_io::open_path(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Import refusé : {e}. Rien n'a été enregistré.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let (n, problems) = logis_app::stock::import_main_residences(
        store.as_ref(),
        &crate::land::cli_principal(),
        &Actor::cli(),
        source,
        args.annee,
        !args.verifier,
    )?;
    if !problems.is_empty() {
        crate::land::refused(&problems);
        return Ok(ExitCode::FAILURE);
    }
    if args.verifier {
        println!("Fichier valide : {n} communes (rien n'a été enregistré, --verifier).");
    } else {
        println!(
            "Résidences principales {} importées : {n} communes.",
            args.annee
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The `parc` report (`--echelle`, `--millesime`).
pub(crate) fn report(
    store: &dyn Store,
    scale: Option<&str>,
    vintage: Option<i32>,
) -> Result<logis_io::report::Report, Failure> {
    let scale = logis_app::stock::Scale::parse(scale.unwrap_or("commune")).map_err(Failure)?;
    Ok(logis_app::stock::parc_report(store, vintage, scale)?.report())
}

pub(crate) fn import_estates(
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
    let out = logis_app::stock::import_estates(
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
            "Cités minières importées : {} créée(s), {} modifiée(s), {} inchangée(s).",
            out.created, out.updated, out.unchanged
        );
    } else {
        println!("Fichier valide : rien n'a été enregistré (--verifier).");
    }
    Ok(ExitCode::SUCCESS)
}
