//! The land bank's subcommands: `import foncier`, `foncier attribuer|retirer|statut|liste`, and
//! the `foncier` report.

use super::*;
use logis_app::land::Decision;
use logis_domain::land::SiteStatus;

/// The reports of this capability.
pub(crate) const REPORTS: [&str; 5] = ["foncier", "couts", "gusp", "mobilite", "relogement"];

pub(crate) fn is_land_report(name: &str) -> bool {
    REPORTS.contains(&logis_domain::text::name_key(name).as_str())
}

#[derive(Args)]
pub(crate) struct LandImportArgs {
    file: PathBuf,
    /// Vérifie le fichier sans rien écrire
    #[arg(long)]
    verifier: bool,
}

impl LandImportArgs {
    pub(crate) fn file(&self) -> &std::path::Path {
        &self.file
    }
    pub(crate) fn check_only(&self) -> bool {
        self.verifier
    }
}

#[derive(Subcommand)]
pub(crate) enum LandCommand {
    /// Attribue un foncier à un bailleur (décision de l'EPCI)
    Attribuer {
        /// Identifiant du foncier (CUD-F-001)
        foncier: String,
        /// Nom ou SIREN du bailleur
        #[arg(long)]
        bailleur: String,
        #[arg(long)]
        motif: String,
        /// Date de la décision (jj/mm/aaaa ; par défaut : aujourd'hui)
        #[arg(long, default_value = "")]
        date: String,
    },
    /// Retire l'attribution en cours d'un foncier
    Retirer {
        foncier: String,
        #[arg(long)]
        motif: String,
        #[arg(long, default_value = "")]
        date: String,
    },
    /// Fait passer un foncier à un statut (propose, cede, abandonne…)
    Statut {
        foncier: String,
        /// identifie, propose, interets, cede, operation_lancee, abandonne
        #[arg(long)]
        statut: String,
        #[arg(long, default_value = "")]
        motif: String,
        #[arg(long, default_value = "")]
        date: String,
    },
    /// Rattache une opération du registre (du bailleur attributaire) à un foncier
    Rattacher {
        foncier: String,
        /// Référence de l'opération chez son bailleur
        #[arg(long)]
        operation: String,
    },
    /// Liste les fonciers (CSV)
    Liste,
}

/// What the command line may do: everything the EPCI may.
pub(crate) fn cli_principal() -> logis_domain::Principal {
    logis_domain::Principal {
        user_id: 0,
        login: "cli".into(),
        role: logis_domain::Role::Admin,
        organisation_id: None,
        commune: None,
    }
}

pub(crate) fn report(
    store: &dyn Store,
    name: &str,
    programme: Option<&str>,
) -> Result<logis_io::report::Report, Failure> {
    if logis_domain::text::name_key(name) == "mobilite" {
        return Ok(logis_app::proximity::mobility_report(store)?);
    }
    if logis_domain::text::name_key(name) == "relogement" {
        // (A file that circulates: aggregates with the statistical secret.)
        return Ok(logis_app::relocation::indicators_report(store, false)?);
    }
    if logis_domain::text::name_key(name) == "gusp" {
        return crate::proximity::report(store, None, None, None);
    }
    if logis_domain::text::name_key(name) == "couts" {
        return Ok(logis_app::land::tenders::cost_report(
            store,
            &cli_principal(),
        )?);
    }
    let programme = match programme {
        None => None,
        Some(p) => Some(
            store
                .programmes()?
                .into_iter()
                .find(|x| logis_domain::text::name_key(&x.name) == logis_domain::text::name_key(p))
                .map(|x| x.id)
                .ok_or_else(|| Failure(format!("programme inconnu « {p} »")))?,
        ),
    };
    Ok(logis_app::land::report(store, &cli_principal(), programme)?)
}

/// Say why an import wrote nothing: every problem with its row and column.
pub(crate) fn refused(problems: &[logis_store::RowProblem]) {
    eprintln!(
        "Import refusé : {} problème(s). Rien n'a été enregistré.",
        problems.len()
    );
    for p in problems {
        if p.column.is_empty() {
            eprintln!("  ligne {} : {}", p.row, p.message);
        } else {
            eprintln!(
                "  ligne {}, colonne « {} » : {}",
                p.row, p.column, p.message
            );
        }
    }
}

pub(crate) fn import(db: Option<&str>, args: LandImportArgs) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let source = match logis_io::open_path(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Import refusé : {e}. Rien n'a été enregistré.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let report =
        logis_app::land::import_sites(store.as_ref(), &Actor::cli(), source, !args.verifier)?;
    if report.has_errors() {
        refused(&report.problems);
        return Ok(ExitCode::FAILURE);
    }
    if !report.ignored_columns.is_empty() {
        println!("Colonnes ignorées : {}.", report.ignored_columns.join(", "));
    }
    if args.verifier {
        println!("Fichier valide : rien n'a été enregistré (--verifier).");
    } else {
        let s = &report.stats;
        println!(
            "Banque foncière importée : {} foncier(s) créé(s), {} modifié(s), {} inchangé(s).",
            s.created, s.updated, s.unchanged
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn import_tenders(db: Option<&str>, args: LandImportArgs) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let source = match logis_io::open_path(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Import refusé : {e}. Rien n'a été enregistré.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let report = logis_app::land::tenders::import_tenders(
        store.as_ref(),
        &Actor::cli(),
        source,
        !args.verifier,
    )?;
    if report.has_errors() {
        refused(&report.problems);
        return Ok(ExitCode::FAILURE);
    }
    if args.verifier {
        println!("Fichier valide : rien n'a été enregistré (--verifier).");
    } else {
        let s = &report.stats;
        println!(
            "Appels d'offres importés : {} créé(s), {} remplacé(s), {} inchangé(s).",
            s.created, s.updated, s.unchanged
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn command(db: Option<&str>, cmd: LandCommand) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let s = store.as_ref();
    let actor = Actor::cli();
    match cmd {
        LandCommand::Attribuer {
            foncier,
            bailleur,
            motif,
            date,
        } => {
            let id = logis_app::land::site_named(s, &foncier)?;
            logis_app::land::decide(
                s,
                &actor,
                id,
                &Decision::Allocate(bailleur.clone()),
                &date,
                &motif,
            )?;
            println!("Foncier « {foncier} » attribué à {bailleur}.");
        }
        LandCommand::Retirer {
            foncier,
            motif,
            date,
        } => {
            let id = logis_app::land::site_named(s, &foncier)?;
            logis_app::land::decide(s, &actor, id, &Decision::Withdraw, &date, &motif)?;
            println!("Attribution du foncier « {foncier} » retirée.");
        }
        LandCommand::Statut {
            foncier,
            statut,
            motif,
            date,
        } => {
            let id = logis_app::land::site_named(s, &foncier)?;
            let status = SiteStatus::parse(&statut).map_err(|e| Failure(e.0))?;
            logis_app::land::decide(s, &actor, id, &Decision::Status(status), &date, &motif)?;
            println!("Foncier « {foncier} » : {}.", status.label());
        }
        LandCommand::Rattacher { foncier, operation } => {
            let id = logis_app::land::site_named(s, &foncier)?;
            logis_app::land::link_operation(s, &actor, id, &operation)?;
            println!("Opération {operation} rattachée au foncier « {foncier} ».");
        }
        LandCommand::Liste => {
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(std::io::stdout().lock());
            let io = |e: csv::Error| Failure(format!("erreur d'écriture : {e}"));
            w.write_record([
                "foncier",
                "libelle",
                "code_commune",
                "commune",
                "parcelles",
                "statut",
                "bailleur",
                "capacite_logements",
                "part_sociale",
            ])
            .map_err(io)?;
            for site in s.sites()? {
                w.write_record([
                    site.reference,
                    site.label,
                    site.commune.as_str().to_string(),
                    site.commune_name,
                    site.parcels.join(" | "),
                    site.status.code().to_string(),
                    site.holder.map(|h| h.landlord).unwrap_or_default(),
                    site.capacity.map(|c| c.to_string()).unwrap_or_default(),
                    site.social_percent
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                ])
                .map_err(io)?;
            }
            w.flush()?;
        }
    }
    Ok(())
}
