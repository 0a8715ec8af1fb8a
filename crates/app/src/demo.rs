//! The demo territory: the Communauté urbaine de Dunkerque, its partner landlords, the seeds'
//! 2005 PLH tables (ANRU projects, PLH programming 2005-2007, rehabilitation programming
//! 2005-2007, transcribed in data/demo/ with their published totals), and a generated,
//! deterministic Dunkerque 2030 production pipeline 2024-2034 for the three landlords.
//! Loading it twice changes nothing.

mod plans;
mod proximity;
mod relocation;
mod settlement;
mod siap;
mod stock;

use crate::reference as setup;
use crate::register::import::{ImportOptions, ImportReport, import_operations};
use crate::{AppError, Result};
use logis_domain::text::name_key;
use logis_domain::{CommuneCode, OrgKind, ProjectKind, QuartierKind, Role, Siren, Year};
use logis_store::Actor;
use logis_store::{NewOrganisation, NewProgramme, Store, StoreError};

pub const CUD_SIREN: &str = "245900428";
/// The landlord of lines whose landlord the 2005 tables do not name.
pub const UNNAMED_LANDLORD: &str = "Non précisé (tableaux PLH 2005)";

/// The seed files, in the exchange format, as (name, content).
pub const SEED_FILES: &[(&str, &str)] = &[
    (
        "plh-2005-anru.csv",
        include_str!("../../../data/demo/plh-2005-anru.csv"),
    ),
    (
        "plh-2005-2007-programmation.csv",
        include_str!("../../../data/demo/plh-2005-2007-programmation.csv"),
    ),
    (
        "plh-2005-2007-rehabilitation.csv",
        include_str!("../../../data/demo/plh-2005-2007-rehabilitation.csv"),
    ),
];

/// The CUD's land bank of the demo: sites in several communes at every step.
pub const LAND_FILE: (&str, &str) = (
    "banque-fonciere-cud.csv",
    include_str!("../../../data/demo/banque-fonciere-cud.csv"),
);

const LANDLORDS: &[&str] = &[
    "Flandre Opale Habitat",
    "Partenord Habitat",
    "Vilogia",
    // Landlords named in the 2005 tables (some have merged since: Maison Flamande is now part of
    // Flandre Opale Habitat); kept as written so that the 2005 tables read as published.
    "Maison Flamande",
    "Cottage Social des Flandres",
    "Habitat du Nord",
    "Habitat 62/59",
    UNNAMED_LANDLORD,
];

/// Other organisations of the demo, with the commune of the communes' ones.
const OTHER_ORGS: &[(OrgKind, &str, Option<&str>)] = &[
    (OrgKind::Commune, "Ville de Dunkerque", Some("59183")),
    (OrgKind::Commune, "Ville de Grande-Synthe", Some("59271")),
    (OrgKind::State, "DDTM du Nord", None),
    (
        OrgKind::Funder,
        "Banque des Territoires (Caisse des Dépôts)",
        None,
    ),
    (OrgKind::Funder, "ANRU", None),
    (OrgKind::Funder, "Action Logement", None),
    (OrgKind::Ccas, "CCAS de Dunkerque", None),
    (OrgKind::Ccas, "CCAS de Grande-Synthe", None),
    (OrgKind::Conciergerie, proximity::NEIGHBOURHOOD, None),
    (OrgKind::Conciergerie, proximity::BUILDING, None),
];

/// The password of every demo account (a demo runs on localhost only).
pub const DEMO_PASSWORD: &str = "demo-logis-2030";

/// Demo accounts: one per role (login, role, organisation name).
pub const DEMO_ACCOUNTS: &[(&str, Role, Option<&str>)] = &[
    (
        "admin",
        Role::Admin,
        Some("Communauté urbaine de Dunkerque"),
    ),
    (
        "agent",
        Role::Agent,
        Some("Communauté urbaine de Dunkerque"),
    ),
    ("foh", Role::LandlordEditor, Some("Flandre Opale Habitat")),
    ("partenord", Role::LandlordEditor, Some("Partenord Habitat")),
    ("vilogia", Role::LandlordReader, Some("Vilogia")),
    ("dunkerque", Role::CommuneReader, Some("Ville de Dunkerque")),
    ("ddtm", Role::StateReader, Some("DDTM du Nord")),
    ("observatoire", Role::Observer, None),
    (
        "conciergerie",
        Role::ConciergerieAgent,
        Some(proximity::NEIGHBOURHOOD),
    ),
    (
        "relogement",
        Role::RelocationOfficer,
        Some("Communauté urbaine de Dunkerque"),
    ),
    ("ccas", Role::CcasAgent, Some("CCAS de Dunkerque")),
];

/// Create the demo accounts that do not exist yet, with [`DEMO_PASSWORD`].
pub fn demo_accounts(store: &dyn Store, actor: &Actor) -> Result<()> {
    let orgs = store.organisations()?;
    let users = store.users()?;
    for (login, role, org) in DEMO_ACCOUNTS {
        if users.iter().any(|u| u.login == *login) {
            continue;
        }
        let org_id = org.and_then(|n| orgs.iter().find(|o| o.name == n).map(|o| o.id));
        let user = crate::accounts::add_user(
            store,
            actor,
            login,
            &format!("Démo {}", role.label()),
            *role,
            org_id,
        )?;
        crate::accounts::set_password(store, actor, user.id, DEMO_PASSWORD)?;
    }
    Ok(())
}

/// (project, commune code, quartier)
const ANRU_PROJECTS: &[(&str, &str, &str)] = &[
    ("COURGHAIN", "59271", "Courghain"),
    ("MEULENHOF", "59271", "Meulenhof"),
    ("ILOT DES PEINTRES (EUROPE)", "59271", "Europe"),
    ("JEU DE MAIL", "59183", "Jeu de Mail"),
    ("BANC VERT", "59183", "Banc Vert"),
    ("BASSE VILLE", "59183", "Basse Ville"),
    (
        "CHEMINOTS, ZAC JARDINS et JEAN-BART GUYNEMER",
        "59183",
        "Cheminots - Jardins - Jean-Bart Guynemer",
    ),
];

#[derive(Debug, Default)]
pub struct DemoReport {
    pub imports: Vec<(String, ImportReport)>,
}

fn ignore_conflict<T>(r: std::result::Result<T, StoreError>) -> Result<()> {
    match r {
        Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn year(y: i64) -> Option<Year> {
    Year::new(y).ok()
}

/// Load (or refresh) the demo territory into `store`.
pub fn load_demo(store: &dyn Store) -> Result<DemoReport> {
    setup::init(store)?;
    let actor = Actor::system("demo");
    let cud = Siren::parse(CUD_SIREN).map_err(|e| AppError::Invalid(e.0))?;
    let territory = logis_domain::Territory::epci(cud.clone());
    setup::set_territory(store, &actor, &territory)?;

    let existing = store.organisations()?;
    let has = |kind: OrgKind, name: &str| {
        existing
            .iter()
            .any(|o| o.kind == kind && name_key(&o.name) == name_key(name))
    };
    if !has(OrgKind::Epci, "Communauté urbaine de Dunkerque") {
        ignore_conflict(store.add_organisation(
            &actor,
            &NewOrganisation {
                kind: OrgKind::Epci,
                name: "Communauté urbaine de Dunkerque".into(),
                siren: Some(cud.clone()),
                commune: None,
            },
        ))?;
    }
    for name in LANDLORDS {
        if !has(OrgKind::Landlord, name) {
            store.add_organisation(
                &actor,
                &NewOrganisation {
                    kind: OrgKind::Landlord,
                    name: (*name).into(),
                    siren: None,
                    commune: None,
                },
            )?;
        }
    }
    for (kind, name, commune) in OTHER_ORGS {
        if !has(*kind, name) {
            store.add_organisation(
                &actor,
                &NewOrganisation {
                    kind: *kind,
                    name: (*name).into(),
                    siren: None,
                    commune: commune.and_then(|c| CommuneCode::parse(c).ok()),
                },
            )?;
        }
    }

    let programmes = [
        (
            "PLH 2005-2010",
            "Programme local de l'habitat de la CUD (fiches actions 10 à 13) : renouvellement urbain ANRU, programmation PLUS-CD / PLAI, réhabilitations PALULOS / PAM.",
            2005,
            2010,
        ),
        (
            "Dunkerque 2030",
            "Charte partenariale du 29 mars 2024 : 12 000 logements en 10 ans dont 40 % de logements sociaux, 1 200 à 1 500 par an.",
            2024,
            2034,
        ),
        (
            "ERBM",
            "Engagement pour le renouveau du bassin minier : 23 000 logements miniers à réhabiliter en 10 ans.",
            2017,
            2027,
        ),
    ];
    let known = store.programmes()?;
    for (name, description, a, b) in programmes {
        if !known.iter().any(|p| name_key(&p.name) == name_key(name)) {
            let epci = if name == "ERBM" {
                None
            } else {
                Some(cud.clone())
            };
            store.add_programme(
                &actor,
                &NewProgramme {
                    name: name.into(),
                    description: description.into(),
                    start_year: year(a),
                    end_year: year(b),
                    epci,
                },
            )?;
        }
    }
    // Targets from the seeds: Dunkerque 2030 (charter of 29 March 2024) and ERBM (2019 article).
    for t in [
        crate::register::targets::TargetsText {
            programme: "Dunkerque 2030".into(),
            scope: "production".into(),
            total: Some(12_000),
            first_year: 2024,
            last_year: 2034,
            social_percent: Some(40),
            band: Some("1200-1500".into()),
            splits: Vec::new(),
        },
        crate::register::targets::TargetsText {
            programme: "ERBM".into(),
            scope: "réhabilitation".into(),
            total: Some(23_000),
            first_year: 2017,
            last_year: 2027,
            ..Default::default()
        },
    ] {
        crate::register::targets::set_targets(store, &actor, &t)?;
    }
    let plh = store
        .programmes()?
        .into_iter()
        .find(|p| p.name == "PLH 2005-2010")
        .map(|p| p.id);
    let geo = store.geography()?;
    for (project, commune, quartier) in ANRU_PROJECTS {
        ignore_conflict(store.add_project(&actor, project, ProjectKind::Anru, plh))?;
        if let Some(c) = geo.commune(commune) {
            ignore_conflict(store.add_quartier(&actor, quartier, QuartierKind::Anru, &c.code))?;
        }
    }

    let mut report = DemoReport::default();
    let opts = ImportOptions {
        commit: true,
        territory: Some(territory.clone()),
        only_landlord: None,
    };
    let pipeline = dunkerque_2030_csv(store)?;
    let pipeline_lines = pipeline.clone();
    let files = SEED_FILES
        .iter()
        .map(|(n, c)| (n.to_string(), c.to_string()))
        .chain(std::iter::once((
            "dunkerque-2030.csv".to_string(),
            pipeline,
        )));
    for (name, content) in files {
        let mut src = logis_io::open_bytes(content.into_bytes())?;
        let r = import_operations(store, &actor, src.as_mut(), &opts, &mut |_| {})?;
        if r.has_errors() {
            return Err(AppError::Invalid(format!(
                "données de démonstration {name} refusées :\n{}",
                r.render_fr()
            )));
        }
        report.imports.push((name, r));
    }
    financing_plans(store, &actor)?;
    land_bank(store, &actor, &pipeline_lines)?;
    grouped_tenders(store, &actor, &pipeline_lines)?;
    proximity::load(store, &actor, chrono::Local::now().date_naive())?;
    relocation::load(store, &actor, chrono::Local::now().date_naive())?;
    stock::load(store, &actor)?;
    settlement::load(store, &actor)?;
    plans::load(store, &actor)?;
    siap::load(store, &actor)?;
    demo_accounts(store, &actor)?;
    Ok(report)
}

/// A SIRET that passes the checks (a SIREN with its key, then an establishment number with the
/// key of the 14 digits), for the demo's made-up companies.
fn demo_siret(seed: u64) -> String {
    fn key(digits: &str) -> u32 {
        // The digit that makes the Luhn sum of `digits` + it a multiple of 10.
        (0..10)
            .find(|d| {
                let s = format!("{digits}{d}");
                let sum: u32 = s
                    .bytes()
                    .rev()
                    .enumerate()
                    .map(|(i, b)| {
                        let v = u32::from(b - b'0');
                        if i % 2 == 1 {
                            let w = v * 2;
                            if w > 9 { w - 9 } else { w }
                        } else {
                            v
                        }
                    })
                    .sum();
                sum.is_multiple_of(10)
            })
            .unwrap_or(0)
    }
    let siren8 = format!("{:08}", 81_000_000 + seed * 7_919);
    let siren = format!("{siren8}{}", key(&siren8));
    let nic4 = format!("{siren}0001");
    format!("{nic4}{}", key(&nic4))
}

/// Two grouped tenders of the three landlords on Dunkerque 2030 operations: new building
/// (two lots, coordinated by Flandre Opale Habitat) in 2025 and heating (Vilogia) in 2026.
fn grouped_tenders(store: &dyn Store, actor: &Actor, pipeline: &str) -> Result<()> {
    // (reference, landlord, year) → (dwellings, cost in euros), from the pipeline.
    let mut ops: std::collections::BTreeMap<(String, String, String), (u64, u64)> =
        Default::default();
    for l in pipeline.lines().skip(1) {
        let c: Vec<&str> = l.split(';').collect();
        let (Some(r), Some(b), Some(y), Some(n), Some(cost)) =
            (c.first(), c.get(1), c.get(8), c.get(7), c.get(12))
        else {
            continue;
        };
        let e = ops
            .entry((r.to_string(), b.to_string(), y.to_string()))
            .or_default();
        e.0 += n.parse::<u64>().unwrap_or(0);
        e.1 += cost.parse::<u64>().unwrap_or(0);
    }
    // The cheapest operations per dwelling of each landlord and year: those a grouped tender bought.
    let pick = |landlord: &str, year: &str, n: usize| -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64, u64)> = ops
            .iter()
            .filter(|((_, b, y), (d, _))| b == landlord && y == year && *d > 0)
            .map(|((r, _, _), (d, c))| (r.clone(), *c, *c / *d))
            .collect();
        v.sort_by_key(|x| x.2);
        v.into_iter().take(n).map(|(r, c, _)| (r, c)).collect()
    };
    let mut csv = String::from(
        "appel;coordinateur;membres;nature_travaux;date_publication;date_demarrage;lot;bailleur;operation;estimation;montant_attribue;attributaire_siret;date_attribution\n",
    );
    let members = "Flandre Opale Habitat|Partenord Habitat|Vilogia";
    for (i, landlord) in LANDLORDS.iter().enumerate() {
        for (reference, cost) in pick(landlord, "2025", 2) {
            for (lot, share, rebate, company) in [
                ("Lot 1 - Gros œuvre", 32, 91, 1),
                ("Lot 2 - Menuiseries extérieures", 7, 88, 2),
            ] {
                let estimate = cost * share / 100;
                let awarded = estimate * (rebate + i as u64) / 100;
                csv.push_str(&format!(
                    "AOG-2025-NEUF-01;Flandre Opale Habitat;{members};Construction neuve;15/01/2025;01/09/2025;{lot};{landlord};{reference};{estimate};{awarded};{};15/04/2025\n",
                    demo_siret(company)
                ));
            }
        }
        for (reference, cost) in pick(landlord, "2026", 1) {
            let estimate = cost * 5 / 100;
            let awarded = estimate * (93 + i as u64) / 100;
            csv.push_str(&format!(
                "AOG-2026-CHAUF-01;Vilogia;{members};Chauffage;10/02/2026;;Lot unique - Pompes à chaleur;{landlord};{reference};{estimate};{awarded};{};30/05/2026\n",
                demo_siret(3)
            ));
        }
    }
    let src = logis_io::open_bytes(csv.into_bytes())?;
    let r = crate::land::tenders::import_tenders(store, actor, src, true)?;
    if r.has_errors() {
        let problems: Vec<String> = r
            .problems
            .iter()
            .map(|p| format!("ligne {} ({}) : {}", p.row, p.column, p.message))
            .collect();
        return Err(AppError::Invalid(format!(
            "appels d'offres de démonstration refusés :\n{}",
            problems.join("\n")
        )));
    }
    Ok(())
}

/// The land bank: the CUD's sites, landlords' interests for two of them, and operations of the
/// Dunkerque 2030 pipeline built on three allocated sites (works started, so the report's
/// delays show). Loading twice changes nothing.
fn land_bank(store: &dyn Store, actor: &Actor, pipeline: &str) -> Result<()> {
    let src = logis_io::open_bytes(LAND_FILE.1.as_bytes().to_vec())?;
    let r = crate::land::import_sites(store, actor, src, true)?;
    if r.has_errors() {
        let problems: Vec<String> = r
            .problems
            .iter()
            .map(|p| format!("ligne {} ({}) : {}", p.row, p.column, p.message))
            .collect();
        return Err(AppError::Invalid(format!(
            "données de démonstration {} refusées :\n{}",
            LAND_FILE.0,
            problems.join("\n")
        )));
    }
    let landlord = |name: &str| crate::land::landlord_named(store, name);
    for (site, name, dwellings, products, note) in [
        (
            "CUD-F-007",
            "Flandre Opale Habitat",
            "90",
            "PLUS, PLAI",
            "avec résidence seniors",
        ),
        ("CUD-F-007", "Vilogia", "110", "PLUS, PSLA", ""),
        (
            "CUD-F-008",
            "Partenord Habitat",
            "45",
            "PLUS, PLAI, BRS",
            "petit collectif",
        ),
    ] {
        let id = crate::land::site_named(store, site)?;
        let who = landlord(name)?;
        if !store
            .site_interests(id)?
            .iter()
            .any(|i| i.landlord_id == who)
        {
            crate::land::express_interest(store, actor, id, who, dwellings, products, note)?;
        }
    }
    // An operation of the holder in the site's commune whose works have started.
    for (site, name, commune) in [
        ("CUD-F-001", "Flandre Opale Habitat", "59183"),
        ("CUD-F-002", "Partenord Habitat", "59183"),
        ("CUD-F-003", "Vilogia", "59271"),
    ] {
        let id = crate::land::site_named(store, site)?;
        if store.site(id)?.is_some_and(|s| s.operations > 0) {
            continue;
        }
        let started = |same_commune: bool| {
            pipeline.lines().find_map(|l| {
                let cells: Vec<&str> = l.split(';').collect();
                let started = matches!(cells.get(9), Some(&"Travaux démarrés") | Some(&"Livré"));
                (cells.get(1) == Some(&name)
                    && (!same_commune || cells.get(2) == Some(&commune))
                    && started)
                    .then(|| cells.first().map(|r| r.to_string()))
                    .flatten()
            })
        };
        let found = started(true).or_else(|| started(false));
        if let Some(reference) = found {
            crate::land::link_operation(store, actor, id, &reference)?;
        }
    }
    Ok(())
}

/// Financing plans for the Dunkerque 2030 operations already financed: own funds, subsidies of
/// the CUD and the State for social operations, loans of the Banque des Territoires and Action
/// Logement. Deterministic; replaces the plans, so loading twice changes nothing.
fn financing_plans(store: &dyn Store, actor: &Actor) -> Result<()> {
    use logis_domain::Stage;
    use logis_store::{FundingItem, FundingKind, LineFilter};
    let Some(d2030) = store
        .programmes()?
        .into_iter()
        .find(|p| p.name == "Dunkerque 2030")
    else {
        return Ok(());
    };
    let orgs = store.organisations()?;
    let id = |name: &str| orgs.iter().find(|o| o.name == name).map(|o| o.id);
    let (cud, state, cdc, al) = (
        id("Communauté urbaine de Dunkerque"),
        id("DDTM du Nord"),
        id("Banque des Territoires (Caisse des Dépôts)"),
        id("Action Logement"),
    );
    // Per operation: cost, most advanced stage, whether it is social.
    let mut ops: std::collections::BTreeMap<i64, (i64, Option<Stage>, bool)> =
        std::collections::BTreeMap::new();
    let filter = LineFilter {
        programme_id: Some(d2030.id),
        ..LineFilter::default()
    };
    store.for_each_line(&filter, &mut |l| {
        let e = ops.entry(l.operation_id).or_insert((0, None, false));
        e.0 += l.cost_cents.unwrap_or(0);
        e.1 = e.1.max(l.stage);
        e.2 |= l.product.is_some_and(logis_domain::Product::is_social);
        Ok(())
    })?;
    let mut rng = Rng(2024);
    for (op, (cost, stage, social)) in ops {
        if cost <= 0 || stage.is_none_or(|s| s < Stage::Financed) {
            continue;
        }
        let part = |rng: &mut Rng, lo: u64, hi: u64| cost / 1000 * rng.range(lo, hi) as i64;
        let mut items = vec![FundingItem {
            kind: FundingKind::OwnFunds,
            source_id: None,
            label: "Fonds propres".into(),
            amount_cents: part(&mut rng, 100, 160),
        }];
        if social {
            items.push(FundingItem {
                kind: FundingKind::Subsidy,
                source_id: cud,
                label: "Aide à la pierre (délégation)".into(),
                amount_cents: part(&mut rng, 20, 50),
            });
            items.push(FundingItem {
                kind: FundingKind::Subsidy,
                source_id: state,
                label: "Subvention PLAI".into(),
                amount_cents: part(&mut rng, 10, 30),
            });
            items.push(FundingItem {
                kind: FundingKind::Loan,
                source_id: al,
                label: "Prêt Action Logement".into(),
                amount_cents: part(&mut rng, 50, 90),
            });
        }
        let so_far: i64 = items.iter().map(|i| i.amount_cents).sum();
        items.push(FundingItem {
            kind: FundingKind::Loan,
            source_id: cdc,
            label: "Prêts CDC".into(),
            amount_cents: (cost - so_far).max(0),
        });
        store.set_financing_plan(actor, op, &items)?;
    }
    Ok(())
}

/// SplitMix64: a tiny deterministic generator, so that the demo (and the benchmark's file) are
/// the same on every machine.
pub struct Rng(pub u64);
impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.range(1, 100) <= percent
    }
    fn pick_weighted<'a, T>(&mut self, items: &'a [(T, u64)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| *w).sum::<u64>().max(1);
        let mut x = self.next_u64() % total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

/// Dwellings the pipeline puts in each programming year 2024-2034: a ramp-up, a plateau inside
/// the 1,200-1,500 band, and a thinner tail (later years are less known).
const PIPELINE: &[(i32, u64)] = &[
    (2024, 600),
    (2025, 900),
    (2026, 1150),
    (2027, 1250),
    (2028, 1300),
    (2029, 1350),
    (2030, 1400),
    (2031, 1350),
    (2032, 1300),
    (2033, 1200),
    (2034, 1000),
];

/// The Dunkerque 2030 pipeline as an exchange-format CSV, generated from the CUD's member
/// communes (weighted by population). Deterministic.
pub fn dunkerque_2030_csv(store: &dyn Store) -> Result<String> {
    let geo = store.geography()?;
    let cud = Siren::parse(CUD_SIREN).map_err(|e| AppError::Invalid(e.0))?;
    let communes: Vec<((String, String), u64)> = geo
        .members(&cud)
        .map(|c| {
            (
                (c.code.to_string(), c.name.clone()),
                u64::from(c.population.unwrap_or(1000)).max(1000),
            )
        })
        .collect();
    if communes.is_empty() {
        return Err(AppError::NoReference);
    }
    let landlords: [((&str, &str), u64); 3] = [
        (("Flandre Opale Habitat", "FOH"), 40),
        (("Partenord Habitat", "PN"), 30),
        (("Vilogia", "VIL"), 30),
    ];
    let mut rng = Rng(2030);
    let mut out = String::from(
        "reference;bailleur;commune;programme;libelle;nature;produit;logements;annee;stade;date_stade;surface;cout\n",
    );
    for &(y, volume) in PIPELINE {
        let mut done = 0;
        let mut n = 0;
        while done < volume {
            n += 1;
            let size = rng.range(12, 60).min(volume - done).max(1);
            done += size;
            let (landlord, short) = *rng.pick_weighted(&landlords);
            let (code, cname) = rng.pick_weighted(&communes).clone();
            let social = rng.chance(42);
            let nature = if social && rng.chance(12) {
                "Acquisition-amélioration"
            } else {
                "Construction neuve"
            };
            let mix: Vec<(&str, u64)> = if social {
                let plai = size * 3 / 10;
                let pls = size / 5;
                vec![("PLAI", plai), ("PLUS", size - plai - pls), ("PLS", pls)]
            } else {
                let products = ["PSLA", "BRS", "LLI", "Libre"];
                let a = products[(rng.next_u64() % 4) as usize];
                let b = products[(rng.next_u64() % 4) as usize];
                let half = if a == b { size } else { size / 2 };
                vec![(a, half), (b, size - half)]
            };
            let reference = format!("D2030-{short}-{y}-{n:03}");
            let label = format!("Dunkerque 2030 - {cname} - opération {n}");
            for (product, count) in mix.into_iter().filter(|(_, c)| *c > 0) {
                let (stage, date) = stage_for(y, &mut rng);
                let cost_per_dwelling = rng.range(150_000, 210_000);
                // (A habitable surface of 58 to 72 m² a dwelling, drawn without the generator so
                // that the rest of the demo stays as it was.)
                let surface = count * (58 + (n * 7 + count) % 15);
                out.push_str(&format!(
                    "{reference};{landlord};{code};Dunkerque 2030;{label};{nature};{product};{count};{y};{stage};{date};{surface};{}\n",
                    cost_per_dwelling * count
                ));
            }
        }
    }
    Ok(out)
}

/// A plausible stage for a line programmed in `year`, seen from November 2026.
fn stage_for(year: i32, rng: &mut Rng) -> (&'static str, String) {
    let day = |rng: &mut Rng, y: i32, last_month: u64| {
        format!(
            "{:02}/{:02}/{y}",
            rng.range(1, 28),
            rng.range(1, last_month)
        )
    };
    match year {
        2024 if rng.chance(60) => ("Livré", day(rng, 2026, 10)),
        2024 => ("Travaux démarrés", day(rng, 2025, 12)),
        2025 if rng.chance(70) => ("Travaux démarrés", day(rng, 2026, 10)),
        2025 => ("Financé", day(rng, 2025, 12)),
        2026 if rng.chance(50) => ("Financé", day(rng, 2026, 10)),
        2026..=2028 => ("Programmé", String::new()),
        _ => ("Étude", String::new()),
    }
}
