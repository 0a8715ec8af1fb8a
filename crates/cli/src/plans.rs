//! The landlords' strategic plans' subcommands (issue 22): `import psp`, `partenariat`,
//! `action` (the joint action plan and the committee's decisions), `report plan-actions`.

use super::*;

#[derive(Args)]
pub(crate) struct PspArgs {
    file: std::path::PathBuf,
    /// Nom ou SIREN du bailleur
    #[arg(long)]
    bailleur: String,
    /// Version du plan (son année)
    #[arg(long)]
    version: i32,
    /// Vérifie le fichier sans rien écrire
    #[arg(long)]
    verifier: bool,
}

/// `logis import psp`.
pub(crate) fn import_psp(db: Option<&str>, args: PspArgs) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let Some(source) = crate::settlement::source_of(&args.file) else {
        return Ok(ExitCode::FAILURE);
    };
    let out = logis_app::plans::import_psp(
        store.as_ref(),
        &crate::land::cli_principal(),
        &Actor::cli(),
        source,
        &logis_app::plans::PspOptions {
            landlord: args.bailleur.clone(),
            version: args.version,
            commit: !args.verifier,
            source: args
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        },
    )?;
    if !out.problems.is_empty() {
        crate::land::refused(&out.problems);
        return Ok(ExitCode::FAILURE);
    }
    if out.committed {
        println!(
            "PSP {} de {} {} : {} résidence(s), {} logement(s).",
            args.version,
            args.bailleur,
            if out.replaced {
                "remplacé"
            } else {
                "importé"
            },
            out.residences,
            out.dwellings
        );
    } else {
        println!(
            "Fichier valide ({} résidence(s)) : rien n'a été enregistré (--verifier).",
            out.residences
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `logis partenariat …` (issue 22).
#[derive(clap::Subcommand)]
pub(crate) enum PartnershipCommand {
    /// Crée un partenariat (administrateur de l'EPCI)
    Creer {
        #[arg(long)]
        nom: String,
        /// SIREN d'EPCI séparés par des virgules, ou dep:62
        #[arg(long)]
        territoire: String,
        /// Membres (nom ou SIREN), répétable
        #[arg(long = "membre")]
        membres: Vec<String>,
    },
    /// Partage le PSP d'un bailleur avec un partenariat dont il est membre (--retirer : cesse)
    Partager {
        #[arg(long)]
        bailleur: String,
        #[arg(long)]
        partenariat: String,
        #[arg(long)]
        retirer: bool,
    },
    /// Liste les partenariats et leurs membres
    Lister,
}

pub(crate) fn partnership(db: Option<&str>, cmd: PartnershipCommand) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let (p, a) = (crate::land::cli_principal(), Actor::cli());
    match cmd {
        PartnershipCommand::Creer {
            nom,
            territoire,
            membres,
        } => {
            logis_app::plans::create_partnership(
                store.as_ref(),
                &p,
                &a,
                &nom,
                &territoire,
                &membres,
            )?;
            println!("Partenariat « {nom} » créé.");
        }
        PartnershipCommand::Partager {
            bailleur,
            partenariat,
            retirer,
        } => {
            logis_app::plans::share_plan(
                store.as_ref(),
                &p,
                &a,
                &bailleur,
                &partenariat,
                !retirer,
            )?;
            println!(
                "PSP de {bailleur} {} « {partenariat} ».",
                if retirer {
                    "retiré du partenariat"
                } else {
                    "partagé avec le partenariat"
                }
            );
        }
        PartnershipCommand::Lister => {
            let orgs = store.organisations()?;
            let shares = store.shares()?;
            for p in store.partnerships()? {
                let name = |id: i64| {
                    orgs.iter()
                        .find(|o| o.id == id)
                        .map(|o| o.name.clone())
                        .unwrap_or_default()
                };
                let members: Vec<String> = p
                    .members
                    .iter()
                    .map(|m| {
                        if shares.contains(&(*m, p.id)) {
                            format!("{} (partage son PSP)", name(*m))
                        } else {
                            name(*m)
                        }
                    })
                    .collect();
                println!("{} [{}] : {}", p.name, p.territory, members.join(", "));
            }
        }
    }
    Ok(())
}

/// `logis action …`: the partnerships' joint action plan.
#[derive(clap::Subcommand)]
pub(crate) enum ActionCommand {
    /// Propose une action (l'EPCI, ou un bailleur membre du partenariat)
    Proposer(Box<ActionArgs>),
    /// Enregistre une décision du comité de pilotage (et le statut qu'elle fixe)
    Decision {
        /// Numéro de l'action
        id: i64,
        /// Date de la décision (jj/mm/aaaa)
        #[arg(long)]
        date: String,
        /// La décision
        #[arg(long)]
        decision: String,
        /// Statut fixé : proposee, validee, engagee, realisee, abandonnee
        #[arg(long, default_value = "")]
        statut: String,
    },
    /// Liste les actions avec leur statut et leur avancement
    Lister,
    /// Écrit le classeur du comité de pilotage (XLSX, un onglet par thème)
    Comite {
        /// Fichier XLSX à écrire
        #[arg(long = "sortie", short = 'o')]
        output: std::path::PathBuf,
        /// Le partenariat (par défaut : tous)
        #[arg(long)]
        partenariat: Option<String>,
    },
}

#[derive(Args)]
pub(crate) struct ActionArgs {
    #[arg(long)]
    titre: String,
    /// rehabilitation_coordonnee, relogement_inter_bailleurs, echange_patrimoine, vente, demolition_reconstruction, etude, autre
    #[arg(long = "type")]
    kind: String,
    #[arg(long)]
    partenariat: String,
    /// L'organisation pilote (nom ou SIREN)
    #[arg(long)]
    pilote: String,
    /// Bailleurs concernés, répétable
    #[arg(long = "bailleur")]
    bailleurs: Vec<String>,
    /// Communes séparées par des virgules
    #[arg(long, default_value = "")]
    communes: String,
    /// Résidences « Résidence, Commune », répétable
    #[arg(long = "residence")]
    residences: Vec<String>,
    /// Références d'opérations du registre séparées par des virgules
    #[arg(long, default_value = "")]
    operations: String,
    /// Références de sites fonciers séparées par des virgules
    #[arg(long, default_value = "")]
    sites: String,
    #[arg(long, default_value = "")]
    debut: String,
    #[arg(long, default_value = "")]
    fin: String,
    #[arg(long, default_value = "")]
    detail: String,
}

fn field_errors(what: &str, errors: &[(&'static str, String)]) -> Failure {
    Failure(format!(
        "{what} refusée, rien n'a été enregistré :\n{}",
        errors
            .iter()
            .map(|(f, m)| format!("  {f} : {m}"))
            .collect::<Vec<_>>()
            .join("\n")
    ))
}

pub(crate) fn action(db: Option<&str>, cmd: ActionCommand) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let (p, actor) = (crate::land::cli_principal(), Actor::cli());
    match cmd {
        ActionCommand::Proposer(a) => {
            let a = *a;
            let f = logis_app::plans::actions::ActionFields {
                title: a.titre,
                kind: a.kind,
                partnership: a.partenariat,
                lead: a.pilote,
                landlords: a.bailleurs,
                communes: a.communes,
                residences: a.residences.join("\n"),
                operations: a.operations,
                sites: a.sites,
                first_year: a.debut,
                last_year: a.fin,
                detail: a.detail,
                ..Default::default()
            };
            match logis_app::plans::actions::save_action(store.as_ref(), &p, &actor, None, &f)? {
                Ok(id) => println!("Action {id} proposée."),
                Err(e) => return Err(field_errors("Action", &e)),
            }
        }
        ActionCommand::Decision {
            id,
            date,
            decision,
            statut,
        } => {
            match logis_app::plans::actions::record_decision(
                store.as_ref(),
                &p,
                &actor,
                id,
                &date,
                &decision,
                &statut,
            )? {
                Ok(_) => println!("Décision enregistrée pour l'action {id}."),
                Err(e) => return Err(field_errors("Décision", &e)),
            }
        }
        ActionCommand::Lister => {
            for a in logis_app::plans::actions::actions_for(store.as_ref(), &p)? {
                let d = &a.record.action.draft;
                println!(
                    "{} [{}] {} — {} — {} ; pilote {} ; {}",
                    a.record.id,
                    a.partnership,
                    d.title,
                    d.kind.label(),
                    d.status.label(),
                    a.lead,
                    a.progress.describe()
                );
            }
        }
        ActionCommand::Comite {
            output,
            partenariat,
        } => {
            let id = match partenariat {
                None => None,
                Some(name) => Some(
                    store
                        .partnerships()?
                        .into_iter()
                        .find(|x| x.name == name.trim())
                        .map(|x| x.id)
                        .ok_or_else(|| Failure(format!("partenariat inconnu « {name} »")))?,
                ),
            };
            let sheets = logis_app::plans::actions::committee_sheets(store.as_ref(), &p, id)?;
            let refs: Vec<(&str, &logis_io::report::Report)> =
                sheets.iter().map(|(n, r)| (*n, r)).collect();
            let bytes =
                logis_io::report::write_xlsx_book(&refs).map_err(|e| Failure(e.to_string()))?;
            std::fs::write(&output, bytes)
                .map_err(|e| Failure(format!("{} : {e}", output.display())))?;
            println!(
                "Classeur du comité écrit : {} ({} onglet(s)).",
                output.display(),
                sheets.len()
            );
        }
    }
    Ok(())
}
