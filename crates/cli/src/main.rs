//! The `logis` command. Each subcommand parses its arguments and calls one use case of
//! `logis-app`; messages are French.

use clap::{Args, Parser, Subcommand, ValueEnum};
use logis_app::import::{ImportOptions, import_operations};
use logis_app::{AppError, DEFAULT_DATABASE, auth, setup};
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
        /// SIREN de l'EPCI du territoire (pour les noms de communes ambigus)
        #[arg(long)]
        territoire: Option<String>,
        /// Identifiant du premier administrateur (créé s'il n'existe aucun compte)
        #[arg(long, default_value = "admin")]
        admin: String,
    },
    /// Comptes utilisateurs : création, liste, désactivation, lien de réinitialisation
    #[command(subcommand)]
    User(UserCommand),
    /// Organisations (bailleurs, EPCI, communes, État, financeurs, CCAS)
    #[command(subcommand)]
    Org(OrgCommand),
    /// Importe un fichier CSV ou XLSX
    #[command(subcommand)]
    Import(ImportCommand),
    /// Vérifie un fichier sans rien écrire : erreurs de lignes et totaux déclarés en désaccord
    /// avec leur détail (code de sortie 1 si un total ou une ligne est en défaut)
    Check {
        file: PathBuf,
        /// SIREN de l'EPCI pour résoudre les noms de communes ambigus
        #[arg(long)]
        territoire: Option<String>,
    },
    /// Calcule un rapport (production, rehabilitation, renouvellement, financement, reequilibrage, programme) à partir des lignes d'opération
    Report(ReportArgs),
    /// Fixe les objectifs d'un programme (remplace les précédents)
    Objectifs(TargetArgs),
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

#[derive(Subcommand)]
enum OrgCommand {
    /// Ajoute une organisation
    Add {
        #[arg(long, value_enum)]
        kind: KindArg,
        #[arg(long)]
        name: String,
        /// SIREN (9 chiffres, clé de Luhn vérifiée)
        #[arg(long)]
        siren: Option<String>,
        /// Pour une commune : son code INSEE (les lecteurs de la commune voient ses opérations)
        #[arg(long)]
        commune: Option<String>,
    },
    /// Liste les organisations (CSV)
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Crée un compte et affiche le lien à usage unique pour choisir son mot de passe
    Add {
        /// Identifiant de connexion (lettres sans accent, chiffres, . - _ @)
        #[arg(long)]
        login: String,
        /// Nom affiché
        #[arg(long, default_value = "")]
        nom: String,
        /// Rôle : admin_epci, agent_epci, bailleur_editeur, bailleur_lecteur, commune_lecteur,
        /// etat_lecteur, observateur
        #[arg(long)]
        role: String,
        /// Numéro de l'organisation (voir « logis org list »)
        #[arg(long)]
        org: Option<i64>,
    },
    /// Liste les comptes (CSV)
    List,
    /// Désactive un compte (ses sessions sont fermées, ses jetons ne marchent plus)
    Disable { login: String },
    /// Réactive un compte
    Enable { login: String },
    /// Affiche un nouveau lien à usage unique pour choisir un mot de passe
    Reset { login: String },
}

/// The address printed in front of password links.
fn public_url() -> String {
    std::env::var("LOGIS_PUBLIC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into())
}

fn find_user(store: &dyn Store, login: &str) -> Result<logis_store::User, Failure> {
    let l = login.trim().to_lowercase();
    store
        .users()?
        .into_iter()
        .find(|u| u.login == l)
        .ok_or_else(|| Failure(format!("aucun compte « {login} »")))
}

fn user_command(db: Option<&str>, cmd: UserCommand) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let actor = Actor::cli();
    match cmd {
        UserCommand::Add {
            login,
            nom,
            role,
            org,
        } => {
            let role = Role::parse(&role).map_err(|e| Failure(e.0))?;
            let user = auth::add_user(store.as_ref(), &actor, &login, &nom, role, org)?;
            let secret = auth::reset_link(store.as_ref(), &actor, user.id)?;
            println!(
                "Compte créé : {} ({}).\nPour choisir son mot de passe (lien valable 48 h, une seule fois) :\n  {}/reinitialiser/{secret}",
                user.login,
                user.role.label(),
                public_url()
            );
        }
        UserCommand::List => {
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(std::io::stdout().lock());
            let io = |e: csv::Error| Failure(format!("erreur d'écriture : {e}"));
            w.write_record([
                "id",
                "identifiant",
                "nom",
                "role",
                "organisation",
                "actif",
                "mot_de_passe_choisi",
            ])
            .map_err(io)?;
            for u in store.users()? {
                w.write_record([
                    u.id.to_string(),
                    u.login,
                    u.display_name,
                    u.role.code().to_string(),
                    u.organisation.unwrap_or_default(),
                    if u.disabled { "non" } else { "oui" }.to_string(),
                    if u.has_password { "oui" } else { "non" }.to_string(),
                ])
                .map_err(io)?;
            }
            w.flush()?;
        }
        UserCommand::Disable { login } => {
            let u = find_user(store.as_ref(), &login)?;
            store.set_user_disabled(&actor, u.id, true)?;
            println!("Compte {} désactivé.", u.login);
        }
        UserCommand::Enable { login } => {
            let u = find_user(store.as_ref(), &login)?;
            store.set_user_disabled(&actor, u.id, false)?;
            println!("Compte {} réactivé.", u.login);
        }
        UserCommand::Reset { login } => {
            let u = find_user(store.as_ref(), &login)?;
            let secret = auth::reset_link(store.as_ref(), &actor, u.id)?;
            println!(
                "Lien pour choisir un nouveau mot de passe (valable 48 h, une seule fois) :\n  {}/reinitialiser/{secret}",
                public_url()
            );
        }
    }
    Ok(())
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Bailleur,
    Epci,
    Commune,
    Etat,
    Financeur,
    Ccas,
}

impl KindArg {
    fn kind(self) -> OrgKind {
        match self {
            KindArg::Bailleur => OrgKind::Landlord,
            KindArg::Epci => OrgKind::Epci,
            KindArg::Commune => OrgKind::Commune,
            KindArg::Etat => OrgKind::State,
            KindArg::Financeur => OrgKind::Funder,
            KindArg::Ccas => OrgKind::Ccas,
        }
    }
}

#[derive(Args)]
struct ReportArgs {
    /// production, rehabilitation, renouvellement, financement, reequilibrage ou programme
    name: String,
    #[arg(long, value_enum, default_value = "csv")]
    format: ReportFormat,
    /// Fichier de sortie (par défaut : la sortie standard ; obligatoire pour xlsx)
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    #[arg(long)]
    programme: Option<String>,
    /// Nom ou SIREN du bailleur
    #[arg(long)]
    bailleur: Option<String>,
    /// Code INSEE ou nom
    #[arg(long)]
    commune: Option<String>,
    /// SIREN de l'EPCI
    #[arg(long)]
    epci: Option<String>,
    #[arg(long)]
    quartier: Option<String>,
    #[arg(long)]
    projet: Option<String>,
    #[arg(long)]
    annee_min: Option<i32>,
    #[arg(long)]
    annee_max: Option<i32>,
    #[arg(long)]
    stade: Option<String>,
}

#[derive(Args)]
struct TargetArgs {
    #[arg(long)]
    programme: String,
    /// « production » (logements produits) ou une nature (réhabilitation…)
    #[arg(long, default_value = "production")]
    perimetre: String,
    #[arg(long)]
    total: Option<u64>,
    #[arg(long)]
    debut: i32,
    #[arg(long)]
    fin: i32,
    /// Part de logements sociaux, en pourcentage
    #[arg(long)]
    part_sociale: Option<u8>,
    /// Bande annuelle minimum-maximum, par exemple 1200-1500
    #[arg(long)]
    bande: Option<String>,
    /// Répartition dimension:valeur=logements (bailleur, commune, produit, nature), répétable
    #[arg(long)]
    repartition: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Csv,
    Xlsx,
    Html,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Importe des lignes d'opération (format d'échange logis)
    Operations(ImportArgs),
}

#[derive(Args)]
struct ImportArgs {
    file: PathBuf,
    /// Vérifie le fichier sans rien écrire
    #[arg(long)]
    verifier: bool,
    /// SIREN de l'EPCI pour résoudre les noms de communes ambigus (par défaut : le territoire de la base)
    #[arg(long)]
    territoire: Option<String>,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Exporte les lignes d'opération
    Operations {
        #[arg(long, value_enum)]
        format: FormatArg,
        /// Fichier de sortie (par défaut : la sortie standard)
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Csv,
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Csv,
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
        Command::Init { territoire, admin } => {
            let store = open(db, DEFAULT_DATABASE)?;
            let r = setup::init(store.as_ref())?;
            if r.reference_loaded {
                println!(
                    "Référentiel chargé : {} communes, {} anciennes communes, {} EPCI.",
                    r.communes, r.former_communes, r.epcis
                );
            } else {
                println!(
                    "Référentiel déjà à jour ({}).",
                    logis_io::reference::VERSION
                );
            }
            if let Some(t) = territoire {
                let siren = parse_siren(&t)?;
                setup::set_territory(store.as_ref(), &Actor::cli(), &siren)?;
                println!("Territoire : EPCI {siren}.");
            }
            if store.users()?.is_empty() {
                let actor = Actor::cli();
                let user = auth::add_user(
                    store.as_ref(),
                    &actor,
                    &admin,
                    "Administrateur",
                    Role::Admin,
                    None,
                )?;
                let secret = auth::reset_link(store.as_ref(), &actor, user.id)?;
                println!(
                    "Premier administrateur créé : « {} ».\nLancez « logis serve », puis ouvrez ce lien (valable 48 h, une seule fois) pour choisir son mot de passe :\n  {}/reinitialiser/{secret}\nEnsuite, connectez-vous sur {}/connexion.",
                    user.login,
                    public_url(),
                    public_url()
                );
            }
        }
        Command::Org(OrgCommand::Add {
            kind,
            name,
            siren,
            commune,
        }) => {
            let store = open(db, DEFAULT_DATABASE)?;
            let siren = siren.as_deref().map(parse_siren).transpose()?;
            let commune = commune
                .as_deref()
                .map(|c| logis_domain::CommuneCode::parse(c).map_err(|e| Failure(e.0)))
                .transpose()?;
            let org = store.add_organisation(
                &Actor::cli(),
                &NewOrganisation {
                    kind: kind.kind(),
                    name,
                    siren,
                    commune,
                },
            )?;
            println!(
                "Organisation ajoutée : {} « {} » (n° {}).",
                org.kind.label(),
                org.name,
                org.id
            );
        }
        Command::Org(OrgCommand::List) => {
            let store = open(db, DEFAULT_DATABASE)?;
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(std::io::stdout().lock());
            let io = |e: csv::Error| Failure(format!("erreur d'écriture : {e}"));
            w.write_record(["id", "type", "nom", "siren"]).map_err(io)?;
            for o in store.organisations()? {
                w.write_record([
                    o.id.to_string(),
                    o.kind.code().to_string(),
                    o.name,
                    o.siren.map(|s| s.as_str().to_string()).unwrap_or_default(),
                ])
                .map_err(io)?;
            }
            w.flush()?;
        }
        Command::Import(ImportCommand::Operations(args)) => return import(db, args),
        Command::Report(args) => report(db, args)?,
        Command::Objectifs(a) => {
            let store = open(db, DEFAULT_DATABASE)?;
            let text = logis_app::targets::TargetsText {
                programme: a.programme,
                scope: a.perimetre,
                total: a.total,
                first_year: a.debut,
                last_year: a.fin,
                social_percent: a.part_sociale,
                band: a.bande,
                splits: a.repartition,
            };
            let t = logis_app::targets::set_targets(store.as_ref(), &Actor::cli(), &text)?;
            println!(
                "Objectifs enregistrés pour « {} » ({} à {}).",
                text.programme, t.first_year, t.last_year
            );
            for (dim, sum) in t.incoherent_splits() {
                println!(
                    "Attention : la répartition par {} totalise {sum}, l'objectif total est de {}.",
                    dim.code(),
                    t.total.unwrap_or(0)
                );
            }
        }
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
            let store = open(db, DEFAULT_DATABASE)?;
            let format = match format {
                FormatArg::Csv => ExportFormat::Csv,
                FormatArg::Xlsx => ExportFormat::Xlsx,
            };
            let filter = LineFilter::default();
            let n = match (format, output) {
                (ExportFormat::Xlsx, Some(path)) => {
                    let mut writer = LineWriter::new(format, std::io::sink())
                        .map_err(|e| Failure(e.to_string()))?;
                    let mut failure = None;
                    let n = store.for_each_line(&filter, &mut |l| {
                        writer.write(&l).map_err(|e| {
                            failure = Some(e.to_string());
                            logis_store::StoreError::Invalid("écriture interrompue".into())
                        })
                    });
                    if let Some(f) = failure {
                        return Err(Failure(f));
                    }
                    let n = n?;
                    save_xlsx_to(writer, &path).map_err(|e| Failure(e.to_string()))?;
                    n
                }
                (_, Some(path)) => {
                    let file = std::fs::File::create(&path).map_err(|e| {
                        Failure(format!("impossible de créer {} : {e}", path.display()))
                    })?;
                    let (mut w, n) = logis_app::export::export_operations(
                        store.as_ref(),
                        &filter,
                        format,
                        std::io::BufWriter::new(file),
                    )?;
                    w.flush()?;
                    n
                }
                (_, None) => {
                    let (mut w, n) = logis_app::export::export_operations(
                        store.as_ref(),
                        &filter,
                        format,
                        std::io::BufWriter::new(std::io::stdout().lock()),
                    )?;
                    w.flush()?;
                    n
                }
            };
            eprintln!("{n} ligne(s) exportée(s).");
        }
        Command::Communes {
            search,
            format: ListFormat::Csv,
        } => {
            let store = open(db, DEFAULT_DATABASE)?;
            if !store.reference_loaded()? {
                return Err(AppError::NoReference.into());
            }
            let geo = store.geography()?;
            let communes = match search.as_deref() {
                Some(text) => store.search_communes(text, 1000)?,
                None => geo.communes().to_vec(),
            };
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(std::io::stdout().lock());
            let io = |e: csv::Error| Failure(format!("erreur d'écriture : {e}"));
            w.write_record([
                "code_insee",
                "nom",
                "departement",
                "population",
                "epci_siren",
                "epci",
            ])
            .map_err(io)?;
            for c in communes {
                let epci = c.epci.as_ref().and_then(|e| geo.epci(e.as_str()));
                w.write_record([
                    c.code.as_str().to_string(),
                    c.name,
                    c.department,
                    c.population.map(|p| p.to_string()).unwrap_or_default(),
                    c.epci
                        .as_ref()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    epci.map(|e| e.name.clone()).unwrap_or_default(),
                ])
                .map_err(io)?;
            }
            w.flush()?;
        }
        Command::Serve { addr } => {
            let store = open(db, DEFAULT_DATABASE)?;
            setup::init(store.as_ref())?;
            serve(store, addr)?;
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
                    "Ouvrez http://{addr}/ dans un navigateur et connectez-vous avec « admin » (ou agent, foh, partenord, vilogia, dunkerque, ddtm, observatoire), mot de passe « {} » (Ctrl-C pour arrêter).",
                    logis_app::demo::DEMO_PASSWORD
                );
                serve(store, addr)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn serve(store: Arc<dyn Store>, addr: SocketAddr) -> Result<(), Failure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(logis_web::serve(store, addr))
        .map_err(|e| Failure(format!("serveur arrêté : {e} (adresse {addr})")))
}

fn import(db: Option<&str>, args: ImportArgs) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let territory = args.territoire.as_deref().map(parse_siren).transpose()?;
    let mut source = match logis_io::open_path(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Import refusé : {e}. Rien n'a été enregistré.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message("lecture…");
    let opts = ImportOptions {
        commit: !args.verifier,
        territory,
        only_landlord: None,
    };
    let report = import_operations(
        store.as_ref(),
        &Actor::cli(),
        source.as_mut(),
        &opts,
        &mut |n| bar.set_message(format!("{n} lignes lues")),
    );
    bar.finish_and_clear();
    let report = report?;
    if report.has_errors() {
        eprint!("{}", report.render_fr());
        return Ok(ExitCode::FAILURE);
    }
    print!("{}", report.render_fr());
    // Checking a file fails on a total that disagrees; an import keeps its detail rows.
    if args.verifier && !report.total_discrepancies.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn report(db: Option<&str>, a: ReportArgs) -> Result<(), Failure> {
    use logis_app::reports::{FilterText, ReportName, build, resolve_filter};
    let name = ReportName::parse(&a.name).ok_or_else(|| {
        let names: Vec<&str> = ReportName::ALL.iter().map(|r| r.code()).collect();
        Failure(format!(
            "rapport inconnu « {} » (rapports : {})",
            a.name,
            names.join(", ")
        ))
    })?;
    let store = open(db, DEFAULT_DATABASE)?;
    let text = FilterText {
        programme: a.programme,
        bailleur: a.bailleur,
        commune: a.commune,
        epci: a.epci,
        quartier: a.quartier,
        projet: a.projet,
        annee_min: a.annee_min,
        annee_max: a.annee_max,
        stade: a.stade,
    };
    let filter = resolve_filter(store.as_ref(), &text)?;
    // (A CSV is the long table: its grid is not laid out.)
    let report = match a.format {
        ReportFormat::Csv => logis_app::reports::build_long(store.as_ref(), name, &filter)?,
        ReportFormat::Xlsx | ReportFormat::Html => build(store.as_ref(), name, &filter)?,
    };
    let bytes = match a.format {
        ReportFormat::Csv => {
            logis_io::report::write_csv(&report, Vec::new()).map_err(|e| Failure(e.to_string()))?
        }
        ReportFormat::Xlsx => {
            if a.output.is_none() {
                return Err(Failure(
                    "le format xlsx demande un fichier de sortie (-o rapport.xlsx)".into(),
                ));
            }
            logis_io::report::write_xlsx(&report).map_err(|e| Failure(e.to_string()))?
        }
        ReportFormat::Html => {
            let today = chrono::Local::now().format("%d/%m/%Y").to_string();
            logis_web::register::reports::render_file(&report, &today)
                .map_err(Failure)?
                .into_bytes()
        }
    };
    match a.output {
        Some(path) => std::fs::write(&path, bytes)
            .map_err(|e| Failure(format!("impossible d'écrire {} : {e}", path.display())))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(())
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
