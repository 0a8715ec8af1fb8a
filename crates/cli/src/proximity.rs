//! Proximity management's subcommands: `import gusp-competences`, `import signalements`, the
//! `gusp` report.

use super::*;

pub(crate) fn import(
    db: Option<&str>,
    args: crate::land::LandImportArgs,
    reports: bool,
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
    let out = if reports {
        logis_app::proximity::import_reports(store.as_ref(), &Actor::cli(), source, commit, None)?
    } else {
        logis_app::proximity::import_competences(store.as_ref(), &Actor::cli(), source, commit)?
    };
    if !out.problems.is_empty() {
        crate::land::refused(&out.problems);
        return Ok(ExitCode::FAILURE);
    }
    if !commit {
        println!("Fichier valide : rien n'a été enregistré (--verifier).");
    } else {
        println!(
            "{} : {} créé(s), {} modifié(s), {} inchangé(s).",
            if reports {
                "Signalements importés (et attribués)"
            } else {
                "Tables de compétences importées"
            },
            out.created,
            out.updated,
            out.unchanged
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn import_mobility(
    db: Option<&str>,
    args: crate::land::LandImportArgs,
    file: logis_app::proximity::MobilityFile,
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
    let out =
        logis_app::proximity::import_mobility(store.as_ref(), &Actor::cli(), source, file, commit)?;
    if !out.problems.is_empty() {
        crate::land::refused(&out.problems);
        return Ok(ExitCode::FAILURE);
    }
    if !commit {
        println!("Fichier valide : rien n'a été enregistré (--verifier).");
    } else {
        println!(
            "Import enregistré : {} créé(s), {} modifié(s), {} inchangé(s).",
            out.created, out.updated, out.unchanged
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn report(
    store: &dyn Store,
    site: Option<&str>,
    du: Option<&str>,
    au: Option<&str>,
) -> Result<logis_io::report::Report, Failure> {
    let today = chrono::Local::now().date_naive();
    let day = |text: Option<&str>,
               default: chrono::NaiveDate|
     -> Result<chrono::NaiveDate, Failure> {
        match text {
            None => Ok(default),
            Some(t) => logis_domain::numbers::parse_date(t)
                .ok_or_else(|| Failure(format!("date illisible « {t} » (attendu : jj/mm/aaaa)"))),
        }
    };
    let from = day(du, today - chrono::Days::new(365))?;
    let to = day(au, today)?;
    let site = match site {
        None => None,
        Some(name) => {
            let key = logis_domain::text::name_key(name);
            let sites = store.proximity_sites()?;
            match sites
                .iter()
                .find(|s| logis_domain::text::name_key(&s.name) == key)
            {
                Some(s) => Some(s.id),
                None => {
                    return Err(Failure(format!(
                        "site inconnu « {name} » (sites : {})",
                        sites
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
    };
    Ok(logis_app::proximity::gusp_report_for(
        store, site, from, to, today,
    )?)
}
