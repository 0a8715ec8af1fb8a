//! The demo's proximity management and offer for workers on mobility: six CUD sites with their
//! competence tables (seed 003's split, a building conciergerie for the common parts of one
//! residence), two conciergeries with their sites and cost shares, a year of reports across
//! partners at every step (some late, some refused « hors de notre compétence » and given to the
//! competent partner, places reported again), committees; the three landlords' offer for
//! workers on mobility against the demand of employers of the port area, and its occupancy.
//! Reports are made once (a second load leaves them as they are); the rest is imported again
//! unchanged.

use super::{Rng, demo_siret};
use crate::{AppError, Result};
use chrono::NaiveDate;
use logis_domain::proximity::{AssignmentStatus, Theme};
use logis_store::proximity::ReportFilter;
use logis_store::{Actor, ProximityRecords, Store};

pub(super) const NEIGHBOURHOOD: &str = "Conciergerie de quartier du Banc Vert";
pub(super) const BUILDING: &str = "Conciergerie d'immeuble de l'Île Jeanty";
const CUD: &str = "Communauté urbaine de Dunkerque";

/// (site, commune code, commune's organisation, quartier, landlord of its buildings, places)
type DemoSite = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);
const SITES: &[DemoSite] = &[
    (
        "Banc Vert",
        "59183",
        "Ville de Dunkerque",
        "Banc Vert",
        "Partenord Habitat",
        &[
            "12 rue du Banc Vert, hall B",
            "Square des Goélands",
            "Parking rue de la Mer",
        ],
    ),
    (
        "Jeu de Mail",
        "59183",
        "Ville de Dunkerque",
        "Jeu de Mail",
        "Flandre Opale Habitat",
        &[
            "Place du Jeu de Mail",
            "4 allée des Tilleuls",
            "Aire de jeux Mail Nord",
        ],
    ),
    (
        "Basse Ville",
        "59183",
        "Ville de Dunkerque",
        "Basse Ville",
        "Vilogia",
        &["Rue des Arbres", "Résidence Vauban, cage 3"],
    ),
    (
        "Île Jeanty",
        "59183",
        "Ville de Dunkerque",
        "Île Jeanty",
        "Flandre Opale Habitat",
        &["Tour Jeanty A, ascenseur", "Quai de la Citadelle"],
    ),
    (
        "Courghain",
        "59271",
        "Ville de Grande-Synthe",
        "Courghain",
        "Partenord Habitat",
        &[
            "Avenue de l'Ouest, local poubelles",
            "Rue Jean Jaurès, n° 40",
            "City-stade du Courghain",
        ],
    ),
    (
        "Europe",
        "59271",
        "Ville de Grande-Synthe",
        "Europe",
        "Vilogia",
        &["Îlot des Peintres, bâtiment Matisse", "Place de l'Europe"],
    ),
];

/// What a report says, by theme.
fn description(theme: Theme, n: u64) -> &'static str {
    let pick = |v: &'static [&'static str]| v[(n as usize) % v.len()];
    match theme {
        Theme::Waste => pick(&[
            "Encombrants déposés devant le local poubelles",
            "Conteneurs non collectés depuis trois jours",
            "Dépôt sauvage de gravats",
        ]),
        Theme::Roads => pick(&[
            "Nid-de-poule sur la chaussée",
            "Voiture ventouse sur une place PMR",
            "Trottoir défoncé devant l'entrée",
        ]),
        Theme::GreenSpaces => pick(&["Haie à tailler devant l'école", "Pelouse non tondue"]),
        Theme::Lighting => pick(&[
            "Lampadaire éteint",
            "Éclairage du cheminement piéton en panne",
        ]),
        Theme::Facilities => pick(&["Jeu cassé sur l'aire de jeux", "Banc arraché"]),
        Theme::Buildings => pick(&[
            "Porte du hall qui ne ferme plus",
            "Infiltration d'eau dans la cage d'escalier",
            "Tags dans les parties communes",
        ]),
        Theme::Lifts => pick(&["Ascenseur en panne", "Ascenseur bloqué entre deux étages"]),
        Theme::Safety => pick(&["Rassemblements nocturnes dans le hall", "Rodéos de motos"]),
        Theme::Ownership => pick(&["Limite de propriété à préciser pour l'entretien d'un talus"]),
    }
}

fn refused(what: &str, r: logis_store::proximity::ProximityImportOutcome) -> Result<()> {
    if r.problems.is_empty() {
        return Ok(());
    }
    let problems: Vec<String> = r
        .problems
        .iter()
        .map(|p| format!("ligne {} ({}) : {}", p.row, p.column, p.message))
        .collect();
    Err(AppError::Invalid(format!(
        "{what} de démonstration refusés :\n{}",
        problems.join("\n")
    )))
}

/// Load the demo's proximity management and mobility offer (`today`: the day of the load).
pub(super) fn load(store: &dyn Store, actor: &Actor, today: NaiveDate) -> Result<()> {
    // Competence tables: seed 003's split; the building conciergerie holds the common parts of
    // the Île Jeanty, the neighbourhood one the local facilities of the Banc Vert.
    let mut csv = String::from("site;commune;quartier;theme;partenaire\n");
    for (site, commune, city, quartier, landlord, _) in SITES {
        for theme in Theme::ALL {
            let holder = match (*site, theme) {
                ("Île Jeanty", Theme::Buildings) => BUILDING,
                ("Banc Vert", Theme::Facilities) => NEIGHBOURHOOD,
                _ => match theme.default_holder() {
                    logis_domain::OrgKind::Epci => CUD,
                    logis_domain::OrgKind::Commune => city,
                    _ => landlord,
                },
            };
            csv.push_str(&format!(
                "{site};{commune};{quartier};{};{holder}\n",
                theme.code()
            ));
        }
    }
    let src = logis_io::open_bytes(csv.into_bytes())?;
    refused(
        "tables de compétences",
        crate::proximity::import_competences(store, actor, src, true)?,
    )?;
    let sites = store.proximity_sites()?;
    let orgs = store.organisations()?;
    let org = |name: &str| {
        orgs.iter()
            .find(|o| o.name == name)
            .map(|o| o.id)
            .ok_or_else(|| {
                AppError::Invalid(format!("organisation de démonstration absente : {name}"))
            })
    };
    let site_id = |name: &str| {
        sites
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.id)
            .ok_or_else(|| AppError::Invalid(format!("site de démonstration absent : {name}")))
    };
    // Conciergeries: their sites and the partners' shares of their cost this year and last.
    let (quartier, immeuble) = (org(NEIGHBOURHOOD)?, org(BUILDING)?);
    store.cover_site(actor, quartier, site_id("Banc Vert")?)?;
    store.cover_site(actor, quartier, site_id("Jeu de Mail")?)?;
    store.cover_site(actor, immeuble, site_id("Île Jeanty")?)?;
    let year = chrono::Datelike::year(&today);
    for y in [year - 1, year] {
        for (c, partner, euros) in [
            (quartier, CUD, 40_000),
            (quartier, "Partenord Habitat", 25_000),
            (quartier, "Flandre Opale Habitat", 15_000),
            (quartier, "Ville de Dunkerque", 10_000),
            (immeuble, "Flandre Opale Habitat", 30_000),
            (immeuble, CUD, 12_000),
        ] {
            store.set_cost_share(actor, c, y, org(partner)?, euros * 100)?;
        }
    }
    reports(store, actor, today, &org, &site_id)?;
    mobility(store, actor)
}

/// A year of reports (once: a later load leaves them), their steps, and committees.
fn reports(
    store: &dyn Store,
    actor: &Actor,
    today: NaiveDate,
    org: &dyn Fn(&str) -> Result<i64>,
    site_id: &dyn Fn(&str) -> Result<i64>,
) -> Result<()> {
    let any = store.reports(&ReportFilter {
        limit: 1,
        ..Default::default()
    })?;
    if !any.is_empty() {
        return Ok(());
    }
    let mut rng = Rng(17);
    let start = today - chrono::Days::new(365);
    let mut csv = String::from("signalement;site;theme;date;description;organisation;adresse\n");
    let weights: Vec<(Theme, u64)> = vec![
        (Theme::Waste, 30),
        (Theme::Buildings, 22),
        (Theme::Roads, 10),
        (Theme::Lighting, 10),
        (Theme::GreenSpaces, 8),
        (Theme::Facilities, 7),
        (Theme::Lifts, 7),
        (Theme::Safety, 5),
        (Theme::Ownership, 1),
    ];
    for n in 0..240u64 {
        let (site, _, city, _, landlord, places) =
            SITES[(rng.next_u64() % SITES.len() as u64) as usize];
        let theme = *rng.pick_weighted(&weights);
        let date = start + chrono::Days::new(rng.range(0, 364));
        let covered = match site {
            "Banc Vert" | "Jeu de Mail" => Some(NEIGHBOURHOOD),
            "Île Jeanty" => Some(BUILDING),
            _ => None,
        };
        let reporter = match (covered, rng.range(1, 10)) {
            (Some(c), 1..=4) => c,
            (_, 1..=4) => landlord,
            (_, 5..=7) => city,
            _ => CUD,
        };
        let place = places[(rng.next_u64() % places.len() as u64) as usize];
        csv.push_str(&format!(
            "DEMO-{:04};{site};{};{};{};{reporter};{place}\n",
            n + 1,
            theme.code(),
            date.format("%d/%m/%Y"),
            description(theme, rng.next_u64()),
        ));
    }
    let src = logis_io::open_bytes(csv.into_bytes())?;
    refused(
        "signalements",
        crate::proximity::import_reports(store, actor, src, true, None)?,
    )?;
    // Each partner moves its assignments on: most closed (some late), some still at work, some
    // refused as out of its competence and given to the partner the seed names.
    let mut rng = Rng(29);
    let cud = org(CUD)?;
    for partner in crate::proximity::forms::partners(store)? {
        for q in store.queue(partner.0)? {
            let age = (today - q.reported_on).num_days();
            let deadline = (q.due_on - q.reported_on).num_days().max(1);
            let roll = rng.range(1, 100);
            let step = |status: AssignmentStatus, reason: &str, after: i64| {
                let on = q.reported_on + chrono::Days::new(after.clamp(0, age.max(0)) as u64);
                store.set_assignment(actor, q.id, partner.0, status, reason, on)
            };
            if roll <= 4 && age > 2 && partner.0 != cud {
                step(
                    AssignmentStatus::Refused,
                    "hors de notre compétence : relève de la CUD",
                    1,
                )?;
                store.assign(
                    actor,
                    q.report_id,
                    cud,
                    q.reported_on + chrono::Days::new(1),
                )?;
                continue;
            }
            if age <= 1 || roll <= 8 {
                continue;
            }
            step(AssignmentStatus::Acknowledged, "", 1)?;
            if roll <= 16 {
                continue;
            }
            step(AssignmentStatus::InProgress, "intervention programmée", 2)?;
            if roll <= 26 {
                continue;
            }
            let days = if rng.chance(75) {
                rng.range(1, deadline as u64) as i64
            } else {
                deadline + rng.range(1, 20) as i64
            };
            if days < age {
                step(AssignmentStatus::Closed, "traité", days)?;
            }
        }
    }
    for (site, days_ago, note) in [
        (
            "Banc Vert",
            300,
            "Bilan du premier semestre ; propreté des halls à suivre.",
        ),
        (
            "Banc Vert",
            120,
            "Encombrants rue de la Mer : tournée supplémentaire de la CUD.",
        ),
        (
            "Courghain",
            200,
            "Éclairage du cheminement : remplacement programmé par la ville.",
        ),
        (
            "Jeu de Mail",
            60,
            "Aire de jeux rénovée ; charte de la conciergerie présentée.",
        ),
    ] {
        let held = today - chrono::Days::new(days_ago);
        store.add_committee(actor, site_id(site)?, held, note)?;
    }
    Ok(())
}

/// The three landlords' offer for workers on mobility, employers' demand of the port area
/// (made-up employers, SIRETs that pass the checks) and the occupancy.
fn mobility(store: &dyn Store, actor: &Actor) -> Result<()> {
    use crate::proximity::{MobilityFile, import_mobility};
    // (offer, landlord, commune, dwellings, beds, price, services, from, until, later use)
    type Offer<'a> = (
        &'a str,
        &'a str,
        &'a str,
        u32,
        u32,
        u32,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
    );
    let offers: [Offer; 6] = [
        (
            "MOB-FOH-01",
            "Flandre Opale Habitat",
            "Dunkerque",
            20,
            30,
            520,
            "internet, ménage",
            "2026-01",
            "",
            "logements familiaux après 2030",
        ),
        (
            "MOB-FOH-02",
            "Flandre Opale Habitat",
            "Gravelines",
            12,
            24,
            480,
            "internet",
            "2026-06",
            "2027-12",
            "résidence seniors",
        ),
        (
            "MOB-PAR-01",
            "Partenord Habitat",
            "Grande-Synthe",
            30,
            45,
            450,
            "internet, navette",
            "2026-03",
            "",
            "",
        ),
        (
            "MOB-PAR-02",
            "Partenord Habitat",
            "Loon-Plage",
            10,
            20,
            430,
            "",
            "2026-09",
            "2027-12",
            "logements étudiants",
        ),
        (
            "MOB-VIL-01",
            "Vilogia",
            "Bourbourg",
            25,
            40,
            500,
            "internet, ménage, navette",
            "2026-04",
            "",
            "résidence jeunes actifs",
        ),
        (
            "MOB-VIL-02",
            "Vilogia",
            "Dunkerque",
            8,
            16,
            550,
            "colocation meublée",
            "2027-01",
            "",
            "",
        ),
    ];
    let mut csv = String::from(
        "offre;bailleur;commune;logements;lits;prix_mensuel;meuble;services;debut;fin;usage_futur\n",
    );
    for (o, b, c, d, l, p, s, from, until, later) in offers {
        csv.push_str(&format!(
            "{o};{b};{c};{d};{l};{p};oui;{s};{from};{until};{later}\n"
        ));
    }
    // (employer, commune, workers per month from 2026-01 to 2027-06, stay, budget, profile)
    let employers: [(&str, &str, u32, u32, u32, &str); 5] = [
        (
            "Gigafactory des Dunes (démo)",
            "Bourbourg",
            35,
            6,
            550,
            "techniciens et opérateurs",
        ),
        (
            "Aciérie du Littoral (démo)",
            "Dunkerque",
            25,
            3,
            500,
            "intérimaires, maintenance",
        ),
        (
            "Centrale du Littoral — arrêts de tranche (démo)",
            "Gravelines",
            30,
            2,
            600,
            "techniciens en déplacement",
        ),
        (
            "Terminal portuaire Ouest (démo)",
            "Loon-Plage",
            12,
            4,
            450,
            "dockers, jeunes actifs",
        ),
        (
            "Intérim Côte d'Opale (démo)",
            "Grande-Synthe",
            20,
            1,
            420,
            "intérimaires",
        ),
    ];
    let mut demand = String::from(
        "employeur_siret;employeur;commune;mois;salaries;duree_mois;budget_mensuel;profil\n",
    );
    let mut occupancy = String::from("offre;mois;employeur_siret;occupants\n");
    let mut rng = Rng(41);
    let months: Vec<String> = (0..18)
        .map(|i| format!("{}-{:02}", 2026 + i / 12, i % 12 + 1))
        .collect();
    for (i, (name, commune, base, stay, budget, profile)) in employers.iter().enumerate() {
        let siret = demo_siret(10 + i as u64);
        for (k, m) in months.iter().enumerate() {
            // The gigafactory ramps up; outages at the power station come in spring and autumn.
            let workers = match i {
                0 => base + k as u32 * 3,
                2 if !matches!(k % 12, 3 | 4 | 9 | 10) => continue,
                _ => base + rng.range(0, 8) as u32,
            };
            demand.push_str(&format!(
                "{siret};{name};{commune};{m};{workers};{stay};{budget};{profile}\n"
            ));
        }
    }
    for (o, _, commune, _, beds, _, _, from, until, _) in offers {
        for m in months
            .iter()
            .filter(|m| m.as_str() >= from && (until.is_empty() || m.as_str() <= until))
        {
            // Most beds go to the employers of the offer's commune, the rest to the agency.
            let local = employers.iter().position(|e| e.1 == commune).unwrap_or(4);
            let taken = beds * rng.range(55, 95) as u32 / 100;
            let first = taken * 3 / 4;
            for (e, n) in [(local, first), (4, taken - first)] {
                if n > 0 {
                    occupancy.push_str(&format!("{o};{m};{};{n}\n", demo_siret(10 + e as u64)));
                }
            }
        }
    }
    // (An agency placed twice in the same offer and month when the commune is its own: merge.)
    let mut merged: std::collections::BTreeMap<(String, String, String), u32> = Default::default();
    for l in occupancy.lines().skip(1) {
        let c: Vec<&str> = l.split(';').collect();
        if let [o, m, s, n] = c.as_slice() {
            *merged
                .entry((o.to_string(), m.to_string(), s.to_string()))
                .or_default() += n.parse::<u32>().unwrap_or(0);
        }
    }
    let mut occupancy = String::from("offre;mois;employeur_siret;occupants\n");
    for ((o, m, s), n) in merged {
        occupancy.push_str(&format!("{o};{m};{s};{n}\n"));
    }
    for (file, what, text) in [
        (MobilityFile::Offer, "offres de logements", csv),
        (MobilityFile::Demand, "besoins des employeurs", demand),
        (MobilityFile::Occupancy, "occupations", occupancy),
    ] {
        let src = logis_io::open_bytes(text.into_bytes())?;
        refused(what, import_mobility(store, actor, src, file, true)?)?;
    }
    Ok(())
}
