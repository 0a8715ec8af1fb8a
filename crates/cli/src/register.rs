//! The register's subcommands: `org`, `import`, `check`, `report`, `objectifs`, `export`.

use super::*;

#[derive(Subcommand)]
pub(crate) enum OrgCommand {
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

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    Bailleur,
    Epci,
    Commune,
    Etat,
    Financeur,
    Ccas,
    Conciergerie,
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
            KindArg::Conciergerie => OrgKind::Conciergerie,
        }
    }
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// production, rehabilitation, renouvellement, financement, reequilibrage, programme, foncier, couts, gusp, mobilite, relogement, parc, sru, loyers, erbm, attributions, occupation, demande ou psp
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
    /// Regroupe par commune telle qu'écrite par la source : une ancienne commune (Saint-Pol-sur-Mer,
    /// Fort-Mardyck…) sur sa propre ligne, comme dans les tableaux publiés
    #[arg(long)]
    communes_d_origine: bool,
    /// Rapport gusp : un site (son nom) plutôt que l'agglomération
    #[arg(long)]
    site: Option<String>,
    /// Rapport gusp : début de la période (jj/mm/aaaa ; par défaut il y a un an)
    #[arg(long)]
    du: Option<String>,
    /// Rapport gusp : fin de la période (jj/mm/aaaa ; par défaut aujourd'hui)
    #[arg(long)]
    au: Option<String>,
    /// Rapport parc : commune, epci, departement, region, qpv ou bailleur (par défaut commune)
    #[arg(long)]
    echelle: Option<String>,
    /// Rapports parc et sru : millésime du RPLS (par défaut le dernier importé)
    #[arg(long)]
    millesime: Option<i32>,
    /// Rapport sru : taux cible en pourcentage (25 par défaut, 20 dans certains EPCI)
    #[arg(long)]
    cible: Option<u32>,
    /// Rapport occupation : année de l'enquête (par défaut la dernière importée)
    #[arg(long)]
    enquete: Option<i32>,
}

#[derive(Args)]
pub(crate) struct TargetArgs {
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
pub(crate) enum ReportFormat {
    Csv,
    Xlsx,
    Html,
}

#[derive(Subcommand)]
pub(crate) enum ImportCommand {
    /// Importe des lignes d'opération (format d'échange logis)
    Operations(ImportArgs),
    /// Importe la banque foncière (foncier, commune, parcelles, proprietaire, statut…)
    Foncier(crate::land::LandImportArgs),
    /// Importe des appels d'offres groupés (une ligne par opération d'un lot)
    #[command(name = "appels-offres")]
    AppelsOffres(crate::land::LandImportArgs),
    /// Importe les tables de compétences des sites de proximité (site, commune, quartier, theme, partenaire)
    #[command(name = "gusp-competences")]
    GuspCompetences(crate::land::LandImportArgs),
    /// Importe des signalements de dysfonctionnements, attribués selon la table de compétences
    Signalements(crate::land::LandImportArgs),
    /// Importe l'offre pour les salariés en mobilité (offre, bailleur, commune, logements, lits, debut…)
    #[command(name = "mobilite-offre")]
    MobiliteOffre(crate::land::LandImportArgs),
    /// Importe les besoins des employeurs (employeur_siret, employeur, commune, mois, salaries…)
    #[command(name = "mobilite-besoins")]
    MobiliteBesoins(crate::land::LandImportArgs),
    /// Importe l'occupation de l'offre (offre, mois, employeur_siret, occupants)
    #[command(name = "mobilite-occupation")]
    MobiliteOccupation(crate::land::LandImportArgs),
    /// Importe un fichier du répertoire du parc social (RPLS) d'un millésime, version ouverte ou complète
    Rpls(crate::stock::RplsArgs),
    /// Importe les résidences principales par commune (recensement : commune, residences_principales)
    #[command(name = "residences-principales")]
    ResidencesPrincipales(crate::stock::MainResidencesArgs),
    /// Importe les cités minières (cite, commune, bailleur, logements, classe_a … classe_g)
    Cites(crate::land::LandImportArgs),
    /// Importe les attributions (baux signés : bail, date_bail, bailleur, commune, qpv, reservataire…)
    Attributions(crate::land::LandImportArgs),
    /// Importe l'enquête d'occupation du parc social (bailleur, commune, qpv, quartier, personnes, enfants, composition…)
    Occupation(crate::settlement::OccupancyArgs),
    /// Importe une version du plan stratégique de patrimoine (PSP) d'un bailleur (une ligne par résidence)
    Psp(crate::plans::PspArgs),
    /// Importe des opérations de SIAP (fichier JSON, ou --url et --jeton-fichier)
    Siap(crate::siap::SiapArgs),
    /// Importe la demande de logement social par commune et année (SNE : commune, annee, demandes, demandes_mutation, attributions, delai_depasse)
    Demande(crate::land::LandImportArgs),
}

#[derive(Args)]
pub(crate) struct ImportArgs {
    pub(crate) file: PathBuf,
    /// Vérifie le fichier sans rien écrire
    #[arg(long)]
    pub(crate) verifier: bool,
    /// Territoire pour résoudre les noms de communes ambigus : SIREN d'EPCI (plusieurs séparés par des virgules) ou dep:62 (par défaut : le territoire de la base)
    #[arg(long)]
    pub(crate) territoire: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum ExportCommand {
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
pub(crate) enum FormatArg {
    Csv,
    Xlsx,
}

/// `logis org add` and `logis org list`.
pub(crate) fn org_command(db: Option<&str>, cmd: OrgCommand) -> Result<(), Failure> {
    match cmd {
        OrgCommand::Add {
            kind,
            name,
            siren,
            commune,
        } => {
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
        OrgCommand::List => {
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
    }
    Ok(())
}

/// `logis objectifs`.
pub(crate) fn set_targets(db: Option<&str>, a: TargetArgs) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let text = logis_app::register::targets::TargetsText {
        programme: a.programme,
        scope: a.perimetre,
        total: a.total,
        first_year: a.debut,
        last_year: a.fin,
        social_percent: a.part_sociale,
        band: a.bande,
        splits: a.repartition,
    };
    let t = logis_app::register::targets::set_targets(store.as_ref(), &Actor::cli(), &text)?;
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
    Ok(())
}

/// `logis export operations`.
pub(crate) fn export(
    db: Option<&str>,
    format: FormatArg,
    output: Option<PathBuf>,
) -> Result<(), Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let format = match format {
        FormatArg::Csv => ExportFormat::Csv,
        FormatArg::Xlsx => ExportFormat::Xlsx,
    };
    let filter = LineFilter::default();
    let n = match (format, output) {
        (ExportFormat::Xlsx, Some(path)) => {
            let mut writer =
                LineWriter::new(format, logis_io::write::Costs::Included, std::io::sink())
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
            let file = std::fs::File::create(&path)
                .map_err(|e| Failure(format!("impossible de créer {} : {e}", path.display())))?;
            let (mut w, n) = logis_app::register::export::export_operations(
                store.as_ref(),
                &filter,
                format,
                logis_io::write::Costs::Included,
                std::io::BufWriter::new(file),
            )?;
            w.flush()?;
            n
        }
        (_, None) => {
            let (mut w, n) = logis_app::register::export::export_operations(
                store.as_ref(),
                &filter,
                format,
                logis_io::write::Costs::Included,
                std::io::BufWriter::new(std::io::stdout().lock()),
            )?;
            w.flush()?;
            n
        }
    };
    eprintln!("{n} ligne(s) exportée(s).");
    Ok(())
}

fn spinner_style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner())
}

/// The import's progress on the terminal (nothing when standard error is not one): a bar of the
/// rows read when the file is a CSV (its lines counted first: a tenth of a second for
/// 1,000,000), else the rows counted; then a spinner while the whole file is checked and written.
fn progress_bar(file: &std::path::Path) -> indicatif::ProgressBar {
    let rows = std::fs::read(file).ok().and_then(|bytes| {
        // (An XLSX is a ZIP: its rows are not its lines.)
        (!bytes.starts_with(b"PK")).then(|| {
            let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
            let last = u64::from(!bytes.ends_with(b"\n") && !bytes.is_empty());
            (lines + last).saturating_sub(1)
        })
    });
    match rows {
        Some(n) if n > 0 => {
            let bar = indicatif::ProgressBar::new(n);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "lecture [{bar:30}] {pos}/{len} lignes (encore {eta}) [{elapsed}]",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        }
        _ => {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} lecture : {pos} lignes [{elapsed}]",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        }
    }
}

pub(crate) fn import(db: Option<&str>, args: ImportArgs) -> Result<ExitCode, Failure> {
    let store = open(db, DEFAULT_DATABASE)?;
    let territory = args
        .territoire
        .as_deref()
        .map(logis_domain::Territory::parse)
        .transpose()
        .map_err(Failure)?;
    let mut source = match logis_io::open_path(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Import refusé : {e}. Rien n'a été enregistré.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let bar = progress_bar(&args.file);
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
        &mut |p| match p {
            Progress::Read(n) => bar.set_position(n),
            Progress::Writing => {
                bar.set_style(spinner_style());
                bar.set_message(if opts.commit {
                    "fichier lu ; vérification d'ensemble et enregistrement…"
                } else {
                    "fichier lu ; vérification d'ensemble…"
                });
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
            }
        },
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

pub(crate) fn report(db: Option<&str>, a: ReportArgs) -> Result<(), Failure> {
    use logis_app::reports::{FilterText, ReportName, build, resolve_filter};
    if logis_domain::text::name_key(&a.name) == "parc" {
        let store = open(db, DEFAULT_DATABASE)?;
        let report = crate::stock::report(store.as_ref(), a.echelle.as_deref(), a.millesime)?;
        return write_report(&report, a.format, a.output);
    }
    if logis_domain::text::name_key(&a.name) == "occupation" {
        let store = open(db, DEFAULT_DATABASE)?;
        let o = logis_app::settlement::occupancy::occupancy(
            store.as_ref(),
            a.enquete,
            None,
            false,
            true,
        )?
        .ok_or_else(|| Failure("aucune enquête d'occupation importée".into()))?;
        return write_report(&o.report, a.format, a.output);
    }
    if logis_domain::text::name_key(&a.name) == "psp" {
        let store = open(db, DEFAULT_DATABASE)?;
        let report = logis_app::plans::cross_analysis(store.as_ref())?;
        return write_report(&report, a.format, a.output);
    }
    if logis_domain::text::name_key(&a.name) == "demande" {
        let store = open(db, DEFAULT_DATABASE)?;
        let report = logis_app::settlement::occupancy::demand_report(store.as_ref())?;
        return write_report(&report, a.format, a.output);
    }
    if logis_domain::text::name_key(&a.name) == "attributions" {
        let store = open(db, DEFAULT_DATABASE)?;
        let report = logis_app::settlement::attributions_report(store.as_ref())?;
        return write_report(&report, a.format, a.output);
    }
    if logis_domain::text::name_key(&a.name) == "erbm" {
        let store = open(db, DEFAULT_DATABASE)?;
        let report = logis_app::stock::erbm_report(store.as_ref())?;
        return write_report(&report, a.format, a.output);
    }
    if logis_domain::text::name_key(&a.name) == "loyers" {
        let store = open(db, DEFAULT_DATABASE)?;
        let report = logis_app::stock::rents_report(store.as_ref(), a.millesime)?;
        return write_report(&report, a.format, a.output);
    }
    if logis_domain::text::name_key(&a.name) == "sru" {
        let store = open(db, DEFAULT_DATABASE)?;
        let report =
            logis_app::stock::sru_report(store.as_ref(), a.millesime, a.cible.unwrap_or(25))?;
        return write_report(&report, a.format, a.output);
    }
    if crate::land::is_land_report(&a.name) {
        let store = open(db, DEFAULT_DATABASE)?;
        let report = if logis_domain::text::name_key(&a.name) == "gusp" {
            crate::proximity::report(
                store.as_ref(),
                a.site.as_deref(),
                a.du.as_deref(),
                a.au.as_deref(),
            )?
        } else {
            crate::land::report(store.as_ref(), &a.name, a.programme.as_deref())?
        };
        return write_report(&report, a.format, a.output);
    }
    let name = ReportName::parse(&a.name).ok_or_else(|| {
        let mut names: Vec<&str> = ReportName::ALL.iter().map(|r| r.code()).collect();
        names.extend(crate::land::REPORTS);
        names.push("parc");
        names.push("sru");
        names.push("loyers");
        names.push("erbm");
        names.push("attributions");
        names.push("occupation");
        names.push("demande");
        names.push("psp");
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
        communes_d_origine: a.communes_d_origine,
    };
    let filter = resolve_filter(store.as_ref(), &text)?;
    // (A CSV is the long table: its grid is not laid out.)
    let report = match a.format {
        ReportFormat::Csv => logis_app::reports::build_long(store.as_ref(), name, &filter)?,
        ReportFormat::Xlsx | ReportFormat::Html => build(store.as_ref(), name, &filter)?,
    };
    write_report(&report, a.format, a.output)
}

/// Write `report` as `format`, to `output` or the standard output.
pub(crate) fn write_report(
    report: &logis_io::report::Report,
    format: ReportFormat,
    output: Option<PathBuf>,
) -> Result<(), Failure> {
    let bytes = match format {
        ReportFormat::Csv => {
            logis_io::report::write_csv(report, Vec::new()).map_err(|e| Failure(e.to_string()))?
        }
        ReportFormat::Xlsx => {
            if output.is_none() {
                return Err(Failure(
                    "le format xlsx demande un fichier de sortie (-o rapport.xlsx)".into(),
                ));
            }
            logis_io::report::write_xlsx(report).map_err(|e| Failure(e.to_string()))?
        }
        ReportFormat::Html => {
            let today = chrono::Local::now().format("%d/%m/%Y").to_string();
            logis_web::register::reports::render_file(report, &today)
                .map_err(Failure)?
                .into_bytes()
        }
    };
    match output {
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
