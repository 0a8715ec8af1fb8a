//! Relocation's subcommands (issue 18): `relogement import menages|logements|suivi`,
//! `relogement purger --avant DATE` (anonymise the households whose relocation closed before),
//! `relogement apparier` (writes the proposals of the matching engine; `--enregistrer` records
//! them),
//! `relogement couts` (every feasible pair and its cost). The CLI acts as the EPCI's relocation
//! officer on a database it holds.

use super::*;
use clap::Subcommand;
use logis_domain::relocation::{CostRules, feasible_pairs};

#[derive(Subcommand)]
pub(crate) enum RelocationCommand {
    /// Importe des ménages à reloger ou des logements vacants
    #[command(subcommand)]
    Import(RelocationImport),
    /// Propose la meilleure affectation des ménages à reloger aux logements libres (d'abord le
    /// plus de ménages, puis le moindre coût) ; n'enregistre rien sans --enregistrer
    Apparier {
        /// Seulement les ménages de ce projet
        #[arg(long)]
        projet: Option<String>,
        /// Fichier CSV des propositions (par défaut : la sortie standard)
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Enregistre les propositions (datées d'aujourd'hui) : chaque logement proposé quitte le
        /// vivier jusqu'à la réponse du ménage
        #[arg(long)]
        enregistrer: bool,
        /// Une règle de coût de ce calcul (répétable) : hausse_max (€), par_euro, voeu_1,
        /// autre_voeu, hors_voeux, qpv, ancien, piece_en_plus ; par exemple --regle qpv=80
        #[arg(long = "regle", value_name = "NOM=VALEUR")]
        regles: Vec<String>,
    },
    /// Anonymise les ménages dont le relogement s'est clos avant cette date (relogés
    /// définitivement, partis sans solution ou sortis) : identifiant, composition, ressources,
    /// besoins et souhaits effacés ; les indicateurs restent les mêmes
    Purger {
        /// jj/mm/aaaa ou aaaa-mm-jj
        #[arg(long)]
        avant: String,
    },
    /// Écrit chaque paire faisable (ménage, logement) et son coût
    Couts {
        #[arg(long)]
        projet: Option<String>,
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Une règle de coût (répétable), comme pour apparier
        #[arg(long = "regle", value_name = "NOM=VALEUR")]
        regles: Vec<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum RelocationImport {
    /// menage, bailleur, projet, operation, commune, personnes, ressources, loyer, charges, aide_logement, pmr, communes_souhaitees, autre_commune, statut, ccas_origine, ccas_accueil
    Menages(crate::land::LandImportArgs),
    /// logement, bailleur, commune, qpv, pieces, surface, loyer, charges, neuf_ou_recent, pmr, financement
    Logements(crate::land::LandImportArgs),
    /// menage, bailleur, evenement (proposition, reponse, relogement), date, logement, bailleur_logement, reponse, motif, nature, loyer, charges, aide_logement
    Suivi(crate::land::LandImportArgs),
}

pub(crate) fn command(db: Option<&str>, cmd: RelocationCommand) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    match cmd {
        RelocationCommand::Import(what) => {
            let (args, file) = match what {
                RelocationImport::Menages(a) => (a, "Ménages"),
                RelocationImport::Logements(a) => (a, "Logements"),
                RelocationImport::Suivi(a) => (a, "Suivi"),
            };
            let source = match logis_io::open_path(args.file()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("Import refusé : {e}. Rien n'a été enregistré.");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let commit = !args.check_only();
            let import = match file {
                "Ménages" => logis_app::relocation::import_households,
                "Logements" => logis_app::relocation::import_vacancies,
                _ => logis_app::relocation::import_follow_ups,
            };
            let out = import(store.as_ref(), &Actor::cli(), source, commit, None)?;
            if !out.problems.is_empty() {
                crate::land::refused(&out.problems);
                return Ok(ExitCode::FAILURE);
            }
            if commit {
                println!(
                    "{} : {} créé(s), {} modifié(s), {} inchangé(s).",
                    file, out.created, out.updated, out.unchanged
                );
            } else {
                println!("Fichier valide : rien n'a été enregistré (--verifier).");
            }
        }
        RelocationCommand::Purger { avant } => {
            let Some(before) = logis_domain::numbers::parse_date(&avant) else {
                return Err(Failure(format!(
                    "--avant : « {avant} » n'est pas une date (jj/mm/aaaa)"
                )));
            };
            let n = store.purge_households(&Actor::cli(), before)?;
            println!(
                "{n} ménage(s) anonymisé(s) (relogement clos avant le {}).",
                logis_domain::numbers::format_date_fr(before)
            );
        }
        RelocationCommand::Apparier {
            projet,
            output,
            enregistrer,
            regles,
        } => {
            let m = logis_app::relocation::matching(
                store.as_ref(),
                projet.as_deref(),
                &rules(&regles)?,
            )?;
            let name = names(store.as_ref())?;
            let mut w = csv_writer(output.as_deref())?;
            w.write_record([
                "bailleur_menage",
                "menage",
                "bailleur_logement",
                "logement",
                "cout",
                "raisons",
            ])
            .map_err(csv_error)?;
            for p in &m.proposals {
                w.write_record([
                    name(p.household.landlord),
                    p.household.reference.clone(),
                    name(p.vacancy.landlord),
                    p.vacancy.reference.clone(),
                    p.cost.to_string(),
                    p.reasons.clone(),
                ])
                .map_err(csv_error)?;
            }
            w.flush()?;
            if enregistrer {
                let today = chrono::Local::now().date_naive();
                for p in &m.proposals {
                    store.propose(&Actor::cli(), p.household_id, p.vacancy_id, today)?;
                }
            }
            eprintln!(
                "{} ménage(s) à reloger, {} proposition(s), coût total {} ; {} sans aucun logement possible. {}",
                m.households,
                m.proposals.len(),
                m.total,
                m.without_any,
                if enregistrer {
                    "Propositions enregistrées."
                } else {
                    "Rien n'a été enregistré (--enregistrer pour enregistrer les propositions)."
                }
            );
        }
        RelocationCommand::Couts {
            projet,
            output,
            regles,
        } => {
            let (hs, vs) = logis_app::relocation::inputs(store.as_ref(), projet.as_deref())?;
            let hs: Vec<_> = hs.into_iter().map(|(_, h)| h).collect();
            let vs: Vec<_> = vs.into_iter().map(|(_, v)| v).collect();
            let pairs = feasible_pairs(&hs, &vs, &rules(&regles)?);
            let name = names(store.as_ref())?;
            let mut w = csv_writer(output.as_deref())?;
            w.write_record([
                "bailleur_menage",
                "menage",
                "bailleur_logement",
                "logement",
                "cout",
            ])
            .map_err(csv_error)?;
            for (r, h) in hs.iter().enumerate() {
                for (c, v) in vs.iter().enumerate() {
                    if let Some(k) = pairs.cost(r, c) {
                        w.write_record([
                            name(h.landlord),
                            h.reference.clone(),
                            name(v.landlord),
                            v.reference.clone(),
                            k.to_string(),
                        ])
                        .map_err(csv_error)?;
                    }
                }
            }
            w.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The cost rules of this run: the defaults, changed by each `--regle NOM=VALEUR`.
fn rules(given: &[String]) -> Result<CostRules, Failure> {
    let mut pairs = Vec::new();
    for g in given {
        let Some((name, value)) = g.split_once('=') else {
            return Err(Failure(format!(
                "--regle « {g} » : attendu NOM=VALEUR (règles : {})",
                logis_app::relocation::RULES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let name = name.trim();
        if !logis_app::relocation::RULES.iter().any(|(n, _)| *n == name) {
            return Err(Failure(format!(
                "--regle : règle inconnue « {name} » (règles : {})",
                logis_app::relocation::RULES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        pairs.push((name.to_string(), value.to_string()));
    }
    Ok(logis_app::relocation::rules_of(&pairs)?)
}

/// An organisation's name by its id.
fn names(store: &dyn Store) -> Result<impl Fn(i64) -> String, Failure> {
    let orgs = store.organisations()?;
    Ok(move |id: i64| {
        orgs.iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    })
}

fn csv_error(e: csv::Error) -> Failure {
    Failure(format!("erreur d'écriture : {e}"))
}

/// A `;`-separated CSV writer to `path`, or the standard output.
fn csv_writer(
    path: Option<&std::path::Path>,
) -> Result<csv::Writer<Box<dyn std::io::Write>>, Failure> {
    let out: Box<dyn std::io::Write> = match path {
        Some(p) => Box::new(std::fs::File::create(p)?),
        None => Box::new(std::io::stdout()),
    };
    Ok(csv::WriterBuilder::new().delimiter(b';').from_writer(out))
}
