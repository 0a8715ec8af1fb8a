//! The demo's settlement observatory (invented figures, not real households): first-quartile
//! thresholds for 2023–2025, about 1,500 leases signed by the three landlords of Dunkerque 2030,
//! the occupancy surveys of 2023 and 2025 (Grande-Synthe's QPV poorer and growing poorer, so
//! that it shows as sensitive and worsening), SNE demand per commune, and two local charters.
//! Made once: a second load leaves them as they are.

use super::Rng;
use crate::Result;
use logis_domain::{Principal, Role};
use logis_store::{Actor, Store};

const LANDLORDS: [(&str, u64); 3] = [
    ("Partenord Habitat", 40),
    ("Vilogia", 25),
    ("Flandre Opale Habitat", 35),
];

/// (commune, quartier written in the survey — a QPV's code or a name —, households, poverty in
/// 2023 and 2025 as the percentage of households under 40 % of the PLUS ceilings)
const AREAS: [(&str, &str, u64, u64, u64); 9] = [
    ("59183", "QN05904M", 420, 44, 46),
    ("59183", "Centre", 380, 22, 21),
    ("59183", "Petite-Synthe", 300, 30, 31),
    ("59271", "QN05905M", 460, 55, 66),
    ("59271", "Europe", 180, 28, 28),
    ("59155", "", 220, 24, 25),
    ("59273", "", 160, 20, 19),
    ("59131", "", 120, 18, 18),
    ("59094", "", 90, 21, 20),
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

/// One survey's file: a row per household.
fn survey(year: u64) -> String {
    let mut out = String::from(
        "bailleur;commune;qpv;quartier;personnes;enfants;composition;age_titulaire;ressources_pct_plafond;aide_logement;emploi;emmenage_recent\n",
    );
    let mut rng = Rng(year * 7919);
    let landlords: Vec<(&str, u64)> = LANDLORDS.to_vec();
    for (commune, quartier, households, p23, p25) in AREAS {
        let poverty = if year >= 2025 { p25 } else { p23 };
        let (qpv, name) = if quartier.starts_with("QN") {
            (quartier, "")
        } else {
            ("non", quartier)
        };
        for _ in 0..households {
            let landlord = *rng.pick_weighted(&landlords);
            let poor = rng.chance(poverty);
            let resources = if poor {
                rng.range(4, 39)
            } else {
                rng.range(40, 140)
            };
            let (composition, adults) = match rng.range(1, 100) {
                n if n <= 8 + poverty / 3 => ("monoparentale", 1),
                n if n <= 45 => ("personne_seule", 1),
                n if n <= 62 => ("couple", 2),
                n if n <= 95 => ("couple_enfants", 2),
                _ => ("autre", 2),
            };
            let children = match composition {
                "monoparentale" | "couple_enfants" => {
                    if rng.chance(10 + poverty / 4) {
                        rng.range(3, 5)
                    } else {
                        rng.range(1, 2)
                    }
                }
                _ => 0,
            };
            let age = if rng.chance(28 - poverty / 5) {
                rng.range(65, 92)
            } else {
                rng.range(21, 64)
            };
            let benefit = rng.chance(if poor { 80 } else { 25 });
            let work = age < 65 && rng.chance(if poor { 35 } else { 80 });
            let recent = rng.chance(12);
            out.push_str(&format!(
                "{landlord};{commune};{qpv};{name};{};{children};{composition};{age};{resources};{};{};{}\n",
                adults + children,
                if benefit { "oui" } else { "non" },
                if work { "oui" } else { "non" },
                if recent { "oui" } else { "non" },
            ));
        }
    }
    out
}

/// The leases signed 2023–2025.
fn leases() -> String {
    let mut out = String::from(
        "bail;date_bail;bailleur;commune;qpv;reservataire;ressources_uc;relogement_renouvellement;dalo;prioritaire;personnes\n",
    );
    let mut rng = Rng(20_232_025);
    let landlords: Vec<(&str, u64)> = LANDLORDS.to_vec();
    let holders: Vec<(&str, u64)> = vec![
        ("etat", 25),
        ("etat_fonctionnaires", 5),
        ("action_logement", 30),
        ("collectivite", 20),
        ("bailleur", 20),
    ];
    let communes: Vec<((&str, &str), u64)> = vec![
        (("59183", "QN05904M"), 20),
        (("59183", "non"), 30),
        (("59271", "QN05905M"), 15),
        (("59271", "non"), 10),
        (("59155", "non"), 10),
        (("59273", "non"), 8),
        (("59131", "non"), 7),
    ];
    for i in 0..1_500u64 {
        let year = 2023 + i / 500;
        let (commune, qpv) = *rng.pick_weighted(&communes);
        let landlord = *rng.pick_weighted(&landlords);
        let holder = *rng.pick_weighted(&holders);
        // Outside QPV, first-quartile applicants get about a fifth of the leases: short of 25 %.
        let poor = rng.chance(if qpv == "non" { 19 } else { 45 });
        let resources = if poor {
            rng.range(2_000, 9_900)
        } else {
            rng.range(10_600, 26_000)
        };
        let dalo = rng.chance(if holder == "etat" { 60 } else { 6 });
        let priority = !dalo && rng.chance(12);
        let relocated = qpv == "non" && rng.chance(3);
        let letter = landlord.chars().next().unwrap_or('X');
        out.push_str(&format!(
            "{letter}-{year}-{:05};{:02}/{:02}/{year};{landlord};{commune};{qpv};{holder};{resources};{};{};{};{}\n",
            i,
            rng.range(1, 28),
            rng.range(1, 12),
            if relocated { "oui" } else { "non" },
            if dalo { "oui" } else { "non" },
            if priority { "oui" } else { "non" },
            rng.range(1, 6),
        ));
    }
    out
}

/// SNE demand per commune (2023–2025).
fn demand() -> String {
    let mut out =
        String::from("commune;annee;demandes;demandes_mutation;attributions;delai_depasse\n");
    let communes = [
        ("59183", 5200, 720),
        ("59271", 2100, 310),
        ("59155", 900, 140),
        ("59273", 620, 95),
        ("59131", 410, 70),
        ("59094", 260, 40),
    ];
    for year in 2023..=2025u64 {
        for (c, demands, attributions) in communes {
            let d = demands + (year - 2023) * demands / 20;
            out.push_str(&format!(
                "{c};{year};{d};{};{};{}\n",
                d * 36 / 100,
                attributions - (year - 2023) * 10,
                d * (6 + year - 2023) / 100,
            ));
        }
    }
    out
}

pub(super) fn load(store: &dyn Store, actor: &Actor) -> Result<()> {
    if !store.occupancy_surveys()?.is_empty() {
        return Ok(());
    }
    let who = epci();
    let refused = |what: &str, problems: &[logis_store::RowProblem]| {
        crate::AppError::Invalid(format!(
            "{what} de démonstration refusé(e)s : {}",
            problems
                .iter()
                .take(5)
                .map(|p| format!("ligne {} colonne {} : {}", p.row, p.column, p.message))
                .collect::<Vec<_>>()
                .join(" ; ")
        ))
    };
    for (year, amount) in [(2023, "10 050"), (2024, "10 250"), (2025, "10 520")] {
        crate::settlement::set_threshold(store, &who, actor, year, amount, None)?;
    }
    let r = crate::settlement::import_attributions(
        store,
        &who,
        actor,
        logis_io::open_bytes(leases().into_bytes())?,
        true,
    )?;
    if !r.problems.is_empty() {
        return Err(refused("attributions", &r.problems));
    }
    for year in [2023, 2025] {
        let r = crate::settlement::occupancy::import_occupancy(
            store,
            &who,
            actor,
            logis_io::open_bytes(survey(year as u64).into_bytes())?,
            year,
            true,
        )?;
        if !r.problems.is_empty() {
            return Err(refused("occupation", &r.problems));
        }
    }
    if let Err(p) = crate::settlement::occupancy::import_demand(
        store,
        &who,
        actor,
        logis_io::open_bytes(demand().into_bytes())?,
        true,
    )? {
        return Err(refused("demande", &p));
    }
    for (quartier, title, status, signed) in [
        (
            "QN05905M",
            "Charte de peuplement du quartier Europe – Albeck (démonstration)",
            "suivie",
            "14/10/2024",
        ),
        (
            "QN05904M",
            "Charte de peuplement de l'Île Jeanty (démonstration)",
            "en_cours",
            "",
        ),
    ] {
        let commune = if quartier == "QN05905M" {
            "59271"
        } else {
            "59183"
        };
        let form = logis_domain::settlement::charter::CharterForm {
            commune,
            quartier,
            title,
            partners: "CUD, État, Partenord Habitat, Vilogia, Flandre Opale Habitat, Action Logement, commune",
            status,
            signed,
            objectives: "Ne plus attribuer plus de 30 % des logements libérés aux ménages sous 20 % des plafonds ; accueillir des ménages en emploi ; suivre les familles monoparentales.",
            indicators: vec!["sous_20_pct", "monoparentales", "sans_emploi"],
        };
        if let Err(e) = crate::settlement::occupancy::save_charter(store, &who, actor, None, &form)?
        {
            return Err(crate::AppError::Invalid(format!(
                "charte de démonstration refusée : {e:?}"
            )));
        }
    }
    Ok(())
}
