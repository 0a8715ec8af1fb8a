//! `logis import siap` (issue 23): operations taken from SIAP, from a file or a SIAP endpoint.

use super::*;

#[derive(Args)]
pub(crate) struct SiapArgs {
    /// Fichier JSON : une opération ou un tableau d'opérations, comme SIAP les donne
    file: Option<std::path::PathBuf>,
    /// Adresse de l'API SIAP (sa racine, avant /services) : toutes ses opérations y sont lues
    #[arg(long)]
    url: Option<String>,
    /// Fichier contenant le jeton d'accès à l'API SIAP (avec --url)
    #[arg(long = "jeton-fichier")]
    jeton_fichier: Option<std::path::PathBuf>,
    /// Montre ce qui changerait, sans rien écrire
    #[arg(long)]
    verifier: bool,
    /// Prend la version de SIAP des opérations en conflit (modifiées dans logis)
    #[arg(long)]
    forcer: bool,
}

pub(crate) fn import(db: Option<&str>, args: SiapArgs) -> Result<ExitCode, Failure> {
    let json = match (&args.file, &args.url) {
        (Some(f), None) => {
            std::fs::read(f).map_err(|e| Failure(format!("{} : {e}", f.display())))?
        }
        (None, Some(url)) => {
            let token_file = args
                .jeton_fichier
                .as_ref()
                .ok_or_else(|| Failure("--url demande --jeton-fichier FICHIER".into()))?;
            let token = std::fs::read_to_string(token_file)
                .map_err(|e| Failure(format!("{} : {e}", token_file.display())))?;
            logis_app::siap::fetch(url, &token)?
        }
        _ => {
            return Err(Failure(
                "donnez un fichier JSON, ou --url URL --jeton-fichier FICHIER".into(),
            ));
        }
    };
    let store = open(db, DEFAULT_DATABASE)?;
    let r = logis_app::siap::import_siap(
        store.as_ref(),
        &crate::land::cli_principal(),
        &Actor::cli(),
        &json,
        !args.verifier,
        args.forcer,
    )?;
    print!("{}", r.render_fr());
    Ok(if r.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
