//! The `logis` command. Each subcommand parses its arguments and calls one use case of
//! `logis-app`; messages are French. Each capability's subcommands are in the file of its name
//! (`register.rs`, `accounts.rs`, `reference.rs`, `land.rs`, `proximity.rs`, `relocation.rs`, `stock.rs`); this file lists them all (`Command`), opens
//! the store (the binary chooses the adapter) and serves.

mod accounts;
mod land;
mod plans;
mod proximity;
mod reference;
mod register;
mod relocation;
mod settlement;
mod siap;
mod stock;

use accounts::{InvitationCommand, UserCommand, invitation, user_command};
use reference::ListFormat;
use register::{
    ExportCommand, ImportArgs, ImportCommand, OrgCommand, ReportArgs, TargetArgs, import, report,
};

use clap::{Args, Parser, Subcommand, ValueEnum};
use logis_app::register::import::{ImportOptions, Progress, import_operations};
use logis_app::{AppError, DEFAULT_DATABASE, accounts as auth, reference as setup};
use logis_domain::{OrgKind, Role, Siren};
use logis_io::write::{ExportFormat, LineWriter, save_xlsx_to};
use logis_store::{Actor, LineFilter, NewOrganisation, Store};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Database the demo uses unless `--db` or LOGIS_DATABASE_URL names another.
const DEMO_DATABASE: &str = "sqlite://logis-demo.db";

#[derive(Parser)]
#[command(
    name = "logis",
    version,
    about = "Registre partagé des opérations d'habitat d'un territoire (EPCI et bailleurs sociaux)"
)]
struct Cli {
    /// Base de données : sqlite://fichier.db (par défaut sqlite://logis.db) ou postgres://utilisateur@hôte/base
    #[arg(long, global = true, env = "LOGIS_DATABASE_URL")]
    db: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prépare la base : charge le référentiel des communes et EPCI, fixe le territoire
    Init {
        /// Territoire : un ou plusieurs EPCI ou départements (245900428 ; 245900428,200041960 ;
        /// dep:62) : noms de communes ambigus, tableau de bord, carte, référentiel
        #[arg(long)]
        territoire: Option<String>,
        /// Identifiant du premier administrateur (créé s'il n'existe aucun compte)
        #[arg(long, default_value = "admin")]
        admin: String,
    },
    /// Comptes utilisateurs : création, liste, désactivation, lien de réinitialisation
    #[command(subcommand)]
    User(UserCommand),
    /// Invitations à se connecter par un fournisseur d'identité (ProConnect)
    #[command(subcommand)]
    Invitation(InvitationCommand),
    /// Organisations (bailleurs, EPCI, communes, État, financeurs, CCAS, conciergeries)
    #[command(subcommand)]
    Org(OrgCommand),
    /// Importe un fichier CSV ou XLSX
    #[command(subcommand)]
    Import(ImportCommand),
    /// Vérifie un fichier sans rien écrire : erreurs de lignes et totaux déclarés en désaccord
    /// avec leur détail (code de sortie 1 si un total ou une ligne est en défaut)
    Check {
        file: PathBuf,
        /// Territoire pour résoudre les noms de communes ambigus (SIREN d'EPCI, plusieurs séparés par des virgules, ou dep:62)
        #[arg(long)]
        territoire: Option<String>,
    },
    /// Calcule un rapport (production, rehabilitation, renouvellement, financement, reequilibrage, programme ; foncier, couts, gusp, mobilite, relogement ; parc, sru, loyers, erbm ; attributions, occupation, demande)
    Report(Box<ReportArgs>),
    /// Banque foncière : attribuer, retirer, changer de statut, rattacher une opération, lister
    #[command(subcommand)]
    Foncier(land::LandCommand),
    /// Partenariats entre organisations et partage des plans stratégiques de patrimoine
    #[command(subcommand)]
    Partenariat(plans::PartnershipCommand),
    /// Plan d'actions conjoint : proposer une action, décision du comité, classeur du comité
    #[command(subcommand)]
    Action(plans::ActionCommand),
    /// Relogement des ménages : import des ménages et des logements vacants, appariement
    #[command(subcommand)]
    Relogement(relocation::RelocationCommand),
    /// Fixe les objectifs d'un programme (remplace les précédents)
    Objectifs(TargetArgs),
    /// Fixe le seuil du premier quartile d'une année (arrêté annuel)
    #[command(name = "seuil-q1")]
    SeuilQ1(settlement::ThresholdArgs),
    /// Fixe la règle des quartiers sensibles (indice de concentration, nombre d'indicateurs)
    #[command(name = "regle-sensibles")]
    RegleSensibles(settlement::RuleArgs),
    /// Exporte le registre en CSV ou XLSX
    #[command(subcommand)]
    Export(ExportCommand),
    /// Cherche dans le référentiel des communes
    Communes {
        /// Nom (sans tenir compte des accents, tirets, majuscules) ou début de code INSEE
        #[arg(long)]
        search: Option<String>,
        #[arg(long, value_enum, default_value = "csv")]
        format: ListFormat,
    },
    /// Sert l'application web
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Fournisseur OpenID Connect (ProConnect…) : son adresse (issuer)
        #[arg(long = "oidc-issuer", requires_all = ["oidc_client_id", "oidc_client_secret_file"])]
        oidc_issuer: Option<String>,
        /// Identifiant de logis chez le fournisseur
        #[arg(long = "oidc-client-id")]
        oidc_client_id: Option<String>,
        /// Fichier contenant le secret de logis chez le fournisseur
        #[arg(long = "oidc-client-secret-file")]
        oidc_client_secret_file: Option<std::path::PathBuf>,
    },
    /// Charge le territoire de démonstration (CUD et bailleurs partenaires) et le sert
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Charge seulement, sans servir
        #[arg(long)]
        sans_serveur: bool,
    },
}

/// A failure of a command: its French message, already worded for the user.
struct Failure(String);

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure(e.to_string())
    }
}
impl From<logis_store::StoreError> for Failure {
    fn from(e: logis_store::StoreError) -> Self {
        Failure(e.to_string())
    }
}
impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure(format!("erreur d'écriture : {e}"))
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,postgres=warn,tokio_postgres=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Failure(msg)) => {
            eprintln!("erreur : {msg}");
            ExitCode::FAILURE
        }
    }
}

fn open(db: Option<&str>, default: &str) -> Result<Arc<dyn Store>, Failure> {
    Ok(connect(db.unwrap_or(default))?)
}

fn parse_siren(s: &str) -> Result<Siren, Failure> {
    Siren::parse(s).map_err(|e| Failure(e.0))
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let db = cli.db.as_deref();
    match cli.command {
        Command::User(cmd) => user_command(db, cmd)?,
        Command::Init { territoire, admin } => reference::init(db, territoire, admin)?,
        Command::Org(cmd) => register::org_command(db, cmd)?,
        Command::Import(ImportCommand::Operations(args)) => return import(db, args),
        Command::Import(ImportCommand::Foncier(args)) => return land::import(db, args),
        Command::Import(ImportCommand::AppelsOffres(args)) => {
            return land::import_tenders(db, args);
        }
        Command::Import(ImportCommand::GuspCompetences(args)) => {
            return proximity::import(db, args, false);
        }
        Command::Import(ImportCommand::Signalements(args)) => {
            return proximity::import(db, args, true);
        }
        Command::Import(ImportCommand::MobiliteOffre(args)) => {
            return proximity::import_mobility(db, args, logis_app::proximity::MobilityFile::Offer);
        }
        Command::Import(ImportCommand::MobiliteBesoins(args)) => {
            return proximity::import_mobility(
                db,
                args,
                logis_app::proximity::MobilityFile::Demand,
            );
        }
        Command::Import(ImportCommand::MobiliteOccupation(args)) => {
            return proximity::import_mobility(
                db,
                args,
                logis_app::proximity::MobilityFile::Occupancy,
            );
        }
        Command::Import(ImportCommand::Rpls(args)) => return stock::import_rpls(db, args),
        Command::Import(ImportCommand::ResidencesPrincipales(args)) => {
            return stock::import_main_residences(db, args);
        }
        Command::Import(ImportCommand::Cites(args)) => return stock::import_estates(db, args),
        Command::Import(ImportCommand::Attributions(args)) => return settlement::import(db, args),
        Command::Import(ImportCommand::Occupation(args)) => {
            return settlement::import_occupancy(db, args);
        }
        Command::Import(ImportCommand::Demande(args)) => {
            return settlement::import_demand(db, args);
        }
        Command::Import(ImportCommand::Psp(args)) => return plans::import_psp(db, args),
        Command::Import(ImportCommand::Siap(args)) => return siap::import(db, args),
        Command::SeuilQ1(a) => settlement::threshold(db, a)?,
        Command::RegleSensibles(a) => settlement::rule(db, a)?,
        Command::Foncier(cmd) => land::command(db, cmd)?,
        Command::Partenariat(cmd) => plans::partnership(db, cmd)?,
        Command::Action(cmd) => plans::action(db, cmd)?,
        Command::Invitation(cmd) => invitation(db, cmd)?,
        Command::Relogement(cmd) => return relocation::command(db, cmd),
        Command::Report(args) => report(db, *args)?,
        Command::Objectifs(a) => register::set_targets(db, a)?,
        Command::Check { file, territoire } => {
            return import(
                db,
                ImportArgs {
                    file,
                    verifier: true,
                    territoire,
                },
            );
        }
        Command::Export(ExportCommand::Operations { format, output }) => {
            register::export(db, format, output)?
        }
        Command::Communes {
            search,
            format: ListFormat::Csv,
        } => reference::communes(db, search)?,
        Command::Serve {
            addr,
            oidc_issuer,
            oidc_client_id,
            oidc_client_secret_file,
        } => {
            let oidc = match (oidc_issuer, oidc_client_id, oidc_client_secret_file) {
                (Some(issuer), Some(client_id), Some(file)) => {
                    let secret = std::fs::read_to_string(&file)
                        .map_err(|e| Failure(format!("{} : {e}", file.display())))?;
                    Some(logis_web::accounts::oidc::OidcConfig {
                        issuer,
                        client_id,
                        client_secret: secret.trim().to_string(),
                    })
                }
                _ => None,
            };
            let store = open(db, DEFAULT_DATABASE)?;
            setup::init(store.as_ref())?;
            serve(store, addr, oidc)?;
        }
        Command::Demo { addr, sans_serveur } => {
            let url = db.unwrap_or(DEMO_DATABASE);
            eprintln!("Chargement du territoire de démonstration dans {url}…");
            let store = open(Some(url), DEMO_DATABASE)?;
            let report = logis_app::demo::load_demo(store.as_ref())?;
            for (name, r) in &report.imports {
                eprintln!(
                    "  {name} : {} ligne(s) lue(s), {} créée(s), {} inchangée(s)",
                    r.stats.lines_read, r.stats.lines_created, r.stats.lines_unchanged
                );
            }
            let s = store.summary()?;
            eprintln!(
                "Démonstration prête : {} opérations, {} logements.",
                s.operations, s.dwellings
            );
            if !sans_serveur {
                eprintln!(
                    "Ouvrez http://{addr}/ dans un navigateur et connectez-vous avec « admin » (ou agent, foh, partenord, vilogia, dunkerque, ddtm, observatoire, conciergerie, relogement, ccas), mot de passe « {} » (Ctrl-C pour arrêter).",
                    logis_app::demo::DEMO_PASSWORD
                );
                serve(store, addr, None)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn serve(
    store: Arc<dyn Store>,
    addr: SocketAddr,
    oidc: Option<logis_web::accounts::oidc::OidcConfig>,
) -> Result<(), Failure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(logis_web::serve_with(store, addr, oidc))
        .map_err(|e| Failure(format!("serveur arrêté : {e} (adresse {addr})")))
}

/// Open the store named by `url` (`sqlite://file.db` or `postgres://…`): the binary chooses
/// the adapter, the layers above know only the port.
fn connect(url: &str) -> logis_store::Result<std::sync::Arc<dyn logis_store::Store>> {
    Ok(match logis_store::Backend::of_url(url)? {
        logis_store::Backend::Sqlite => {
            std::sync::Arc::new(logis_store_sqlite::SqliteStore::open_url(url)?)
        }
        logis_store::Backend::Postgres => {
            std::sync::Arc::new(logis_store_postgres::PostgresStore::open_url(url)?)
        }
    })
}
