//! The demo's strategic plans (INVENTED plans, not the landlords' real ones): the Pas-de-Calais
//! partnership of Pas-de-Calais habitat, Maisons & Cités and CDC Habitat with three plausible
//! PSPs over real communes of the department (Maisons & Cités' in two versions, 2024 and 2026,
//! to compare), with overlaps (Lens's Grande Résidence, Liévin's Calonne) and gaps (F and G
//! residences kept as they are) to find, and a first joint plan; the Dunkerque 2030 charter
//! (the CUD and its three landlords) with Flandre Opale Habitat's and Partenord Habitat's plans.
//! Made once: a second load leaves them as they are.

use super::Rng;
use crate::Result;
use logis_domain::{Principal, Role};
use logis_store::{Actor, NewOrganisation, Store};

/// The partnerships' names.
pub const PAS_DE_CALAIS: &str = "Protocole Pas-de-Calais";
pub const DUNKERQUE_2030: &str = "Charte Dunkerque 2030";

const NEW_LANDLORDS: [&str; 3] = ["Pas-de-Calais habitat", "Maisons & Cités", "CDC Habitat"];

/// Hand-written residences: (landlord, residence, commune, quartier, dwellings, built, label,
/// strategy, start, end).
type Hand = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u32,
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
const HAND: &[Hand] = &[
    // Lens, Grande Résidence: two landlords demolish or restructure the same years.
    (
        "Pas-de-Calais habitat",
        "Tour Bretagne",
        "62498",
        "Grande Résidence",
        180,
        1968,
        "F",
        "demolir",
        "2027",
        "2029",
    ),
    (
        "Maisons & Cités",
        "Cité 12 de Lens",
        "62498",
        "Grande Résidence",
        96,
        1925,
        "E",
        "restructurer",
        "2028",
        "2030",
    ),
    (
        "CDC Habitat",
        "Résidence Jean Zay",
        "62498",
        "Grande Résidence",
        64,
        1972,
        "E",
        "demolir",
        "2029",
        "2030",
    ),
    // Liévin, Calonne.
    (
        "Maisons & Cités",
        "Cité du 3 de Calonne",
        "62510",
        "Calonne",
        140,
        1923,
        "F",
        "restructurer",
        "2026",
        "2028",
    ),
    (
        "Pas-de-Calais habitat",
        "Les Hauts de Liévin",
        "62510",
        "Calonne",
        72,
        1970,
        "D",
        "demolir",
        "2027",
        "2028",
    ),
    // Gaps: labels E, F, G kept as they are, or works finishing too late.
    (
        "Pas-de-Calais habitat",
        "Résidence du Beffroi",
        "62041",
        "Centre",
        48,
        1960,
        "G",
        "maintenir",
        "",
        "",
    ),
    (
        "CDC Habitat",
        "Les Jardins d'Artois",
        "62119",
        "Mont-Liébaut",
        110,
        1974,
        "F",
        "rehabiliter",
        "2028",
        "2029",
    ),
    (
        "Maisons & Cités",
        "Cité des Provinces",
        "62427",
        "",
        210,
        1921,
        "E",
        "maintenir",
        "",
        "",
    ),
    (
        "CDC Habitat",
        "Le Beau-Marais",
        "62193",
        "Beau-Marais",
        150,
        1971,
        "F",
        "vendre",
        "2027",
        "2027",
    ),
];

/// The communes each landlord's generated residences are in.
const COMMUNES: [(&str, &[&str]); 3] = [
    (
        "Pas-de-Calais habitat",
        &["62041", "62119", "62160", "62193", "62765", "62498"],
    ),
    (
        "Maisons & Cités",
        &[
            "62498", "62510", "62065", "62427", "62178", "62186", "62413", "62570", "62215",
        ],
    ),
    (
        "CDC Habitat",
        &["62193", "62160", "62041", "62119", "62498"],
    ),
];

const STRATEGIES: [(&str, u64); 6] = [
    ("maintenir", 45),
    ("rehabiliter", 30),
    ("restructurer", 6),
    ("demolir", 5),
    ("vendre", 9),
    ("developper", 5),
];

fn epci() -> Principal {
    Principal {
        user_id: 0,
        login: "demo".into(),
        role: Role::Admin,
        organisation_id: None,
        commune: None,
    }
}

/// A landlord's plan as a PSP file: its hand-written residences and `n` generated ones
/// (`version` moves some years and strategies, for the comparison).
fn plan_csv(landlord: &str, communes: &[&str], n: u64, version: i32) -> String {
    let mut out = String::from(
        "residence;commune;quartier;logements;annee_construction;dpe;attractivite;etat_technique;strategie;annee_debut;annee_fin;cout_estime;classe_visee\n",
    );
    for h in HAND.iter().filter(|h| h.0 == landlord) {
        out.push_str(&format!(
            "{};{};{};{};{};{};2;2;{};{};{};;\n",
            h.1, h.2, h.3, h.4, h.5, h.6, h.7, h.8, h.9
        ));
    }
    let seed = landlord.bytes().map(u64::from).sum::<u64>();
    let mut rng = Rng(seed * 104_729);
    let labels = [
        ("B", 5),
        ("C", 25),
        ("D", 40),
        ("E", 20),
        ("F", 8),
        ("G", 2),
    ];
    for i in 0..n {
        let commune = communes[(rng.next_u64() % communes.len() as u64) as usize];
        let built = rng.range(1920, 2015);
        let dwellings = rng.range(12, 160);
        let label = *rng.pick_weighted(&labels);
        let mut strategy = *rng.pick_weighted(&STRATEGIES);
        // Labels E to G mostly rehabilitated (a few left, as the gaps to find).
        if matches!(label, "E" | "F" | "G") && strategy == "maintenir" && rng.chance(70) {
            strategy = "rehabiliter";
        }
        let mut start = rng.range(2025, 2032);
        if version > 2024 && i % 7 == 0 {
            start += 1;
        }
        let (start, end) = match strategy {
            "maintenir" => (String::new(), String::new()),
            "vendre" => (start.to_string(), start.to_string()),
            _ => (start.to_string(), (start + rng.range(1, 2)).to_string()),
        };
        let target = if strategy == "rehabiliter" { "C" } else { "" };
        out.push_str(&format!(
            "Résidence {} {};{commune};;{dwellings};{built};{label};{};{};{strategy};{start};{end};;{target}\n",
            ["des Tilleuls", "du Parc", "Pasteur", "Jean Jaurès", "des Écoles", "du Moulin", "Voltaire", "de la Gare"][(i % 8) as usize],
            i + 1,
            rng.range(1, 4),
            rng.range(1, 4),
        ));
    }
    out
}

/// Dunkerque 2030's two plans (small: the charter's landlords' first shares).
const DUNKERQUE_PLANS: [(&str, &str); 2] = [
    (
        "Flandre Opale Habitat",
        "residence;commune;quartier;logements;annee_construction;dpe;strategie;annee_debut;annee_fin
Les Nouvelles Synthe;Grande-Synthe;Europe;160;1972;F;demolir;2027;2029
Résidence Saint-Jacques;Grande-Synthe;;48;1985;D;rehabiliter;2027;2028
Le Carré de la Vieille;Dunkerque;;62;1958;E;maintenir;;
Les Pavillons du Fort;Coudekerque-Branche;;24;1988;C;vendre;2027;2027",
    ),
    (
        "Partenord Habitat",
        "residence;commune;quartier;logements;annee_construction;dpe;strategie;annee_debut;annee_fin
Tour Europe;Grande-Synthe;Europe;120;1970;E;restructurer;2028;2030
Les Glacis;Dunkerque;Glacis;120;1962;F;rehabiliter;2027;2029
Résidence du Méridien;Coudekerque-Branche;;80;1975;G;rehabiliter;2025;2026",
    ),
];

pub(super) fn load(store: &dyn Store, actor: &Actor) -> Result<()> {
    if !store.plan_versions()?.is_empty() {
        return Ok(());
    }
    let who = epci();
    let existing = store.organisations()?;
    for name in NEW_LANDLORDS {
        if !existing.iter().any(|o| o.name == name) {
            store.add_organisation(
                actor,
                &NewOrganisation {
                    kind: logis_domain::register::vocab::OrgKind::Landlord,
                    name: name.into(),
                    siren: None,
                    commune: None,
                },
            )?;
        }
    }
    let import = |landlord: &str, version: i32, csv: String| -> Result<()> {
        let r = crate::plans::import_psp(
            store,
            &who,
            actor,
            logis_io::open_bytes(csv.into_bytes())?,
            &crate::plans::PspOptions {
                landlord: landlord.into(),
                version,
                commit: true,
                source: "démonstration (plan inventé)".into(),
            },
        )?;
        if !r.committed {
            return Err(crate::AppError::Invalid(format!(
                "PSP de démonstration de {landlord} refusé : {}",
                r.problems
                    .iter()
                    .take(5)
                    .map(|p| format!("ligne {} colonne {} : {}", p.row, p.column, p.message))
                    .collect::<Vec<_>>()
                    .join(" ; ")
            )));
        }
        Ok(())
    };
    for (landlord, communes) in COMMUNES {
        if landlord == "Maisons & Cités" {
            import(landlord, 2024, plan_csv(landlord, communes, 60, 2024))?;
        }
        import(landlord, 2026, plan_csv(landlord, communes, 60, 2026))?;
    }
    for (landlord, csv) in DUNKERQUE_PLANS {
        import(landlord, 2026, csv.to_string())?;
    }
    let members = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    crate::plans::create_partnership(
        store,
        &who,
        actor,
        PAS_DE_CALAIS,
        "dep:62",
        &members(&NEW_LANDLORDS),
    )?;
    crate::plans::create_partnership(
        store,
        &who,
        actor,
        DUNKERQUE_2030,
        super::CUD_SIREN,
        &members(&[
            "Communauté urbaine de Dunkerque",
            "Flandre Opale Habitat",
            "Partenord Habitat",
            "Vilogia",
        ]),
    )?;
    for landlord in NEW_LANDLORDS {
        crate::plans::share_plan(store, &who, actor, landlord, PAS_DE_CALAIS, true)?;
    }
    // (Partenord Habitat has not decided yet: the browser journey shares its plan.)
    crate::plans::share_plan(
        store,
        &who,
        actor,
        "Flandre Opale Habitat",
        DUNKERQUE_2030,
        true,
    )?;
    // The first joint plan.
    use super::super::plans::actions::{ActionFields, proposal, record_decision, save_action};
    let save = |f: ActionFields| -> Result<i64> {
        save_action(store, &who, actor, None, &f)?.map_err(|e| {
            crate::AppError::Invalid(format!("action de démonstration refusée : {e:?}"))
        })
    };
    let relocation = save(proposal(
        store,
        &who,
        "chevauchement",
        "Pas-de-Calais habitat",
        "Tour Bretagne",
        "Lens",
    )?)?;
    let decided = |id: i64, date: &str, text: &str, status: &str| -> Result<()> {
        record_decision(store, &who, actor, id, date, text, status)?.map_err(|e| {
            crate::AppError::Invalid(format!("décision de démonstration refusée : {e:?}"))
        })?;
        Ok(())
    };
    decided(
        relocation,
        "15/10/2026",
        "Comité du 15 octobre 2026 : relogements coordonnés validés ; une cellule commune des trois bailleurs est installée à Lens.",
        "validee",
    )?;
    let mut rehab = proposal(
        store,
        &who,
        "lacune",
        "CDC Habitat",
        "Les Jardins d'Artois",
        "Béthune",
    )?;
    rehab.title = "Avancer la réhabilitation des Jardins d'Artois avant 2028".into();
    save(rehab)?;
    let study = save(ActionFields {
        title: "Étude de peuplement des cités minières de Liévin".into(),
        kind: "etude".into(),
        partnership: PAS_DE_CALAIS.into(),
        lead: "Maisons & Cités".into(),
        landlords: members(&["Maisons & Cités", "Pas-de-Calais habitat"]),
        communes: "Liévin".into(),
        first_year: "2026".into(),
        last_year: "2027".into(),
        detail:
            "Avant les restructurations de Calonne : qui habite les cités, qui souhaite rester."
                .into(),
        ..Default::default()
    })?;
    decided(
        study,
        "15/10/2026",
        "Étude lancée, cahier des charges commun.",
        "engagee",
    )?;
    // Dunkerque 2030: the Europe quartier's overlap, with one of Partenord's operations of the
    // register linked when there is one.
    let mut europe = proposal(
        store,
        &who,
        "chevauchement",
        "Partenord Habitat",
        "Tour Europe",
        "Grande-Synthe",
    )?;
    if let Some(partenord) = store
        .organisations()?
        .into_iter()
        .find(|o| o.name == "Partenord Habitat")
    {
        let lines = logis_store::register::collect_lines(
            store,
            &logis_store::LineFilter {
                landlord_id: Some(partenord.id),
                commune: logis_domain::CommuneCode::parse("59271").ok(),
                ..Default::default()
            },
        )?;
        if let Some(l) = lines.first() {
            europe.operations = l.reference.clone();
        }
    }
    save(europe)?;
    Ok(())
}
