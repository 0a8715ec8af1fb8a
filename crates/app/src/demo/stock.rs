//! The demo's social housing stock: two vintages (2024, 2025) of a made-up RPLS file in its
//! complete layout ("version loi": occupancy, rents, landlords) for the communes of the CUD —
//! the same dwellings in both, some renovated between the two (fewer E, F and G in 2025) — and
//! the main residences of the 2021 census as an order of magnitude (population / 2.2), so that
//! « Parc social » shows every indicator on the first run. Synthetic data, not the real RPLS.
//! Made once: a second load leaves the vintages as they are.

use super::Rng;
use crate::Result;
use crate::stock::{RplsOptions, import_rpls};
use logis_domain::{Principal, Role};
use logis_store::{Actor, Store};

/// Communes of the CUD with their share of the demo's stock.
const COMMUNES: [(&str, u64); 10] = [
    ("59183", 45), // Dunkerque
    ("59271", 20), // Grande-Synthe
    ("59155", 8),  // Coudekerque-Branche
    ("59131", 5),  // Cappelle-la-Grande
    ("59588", 4),  // Téteghem-Coudekerque-Village
    ("59273", 6),  // Gravelines
    ("59359", 4),  // Loon-Plage
    ("59340", 2),  // Leffrinckoucke
    ("59668", 3),  // Zuydcoote
    ("59094", 3),  // Bourbourg
];

/// (SIRET, name): the three landlords of Dunkerque 2030 (made-up SIRETs).
const LANDLORDS: [(&str, &str, u64); 3] = [
    ("47850160700012", "Partenord Habitat", 40),
    ("30048543900046", "Vilogia", 25),
    ("38217962100034", "Flandre Opale Habitat", 35),
];

/// Dwellings in each vintage.
const DWELLINGS: u64 = 3_000;

fn letter(rng: &mut Rng, built: u64) -> &'static str {
    // Older buildings rate worse.
    let shift = if built < 1975 {
        2
    } else if built < 2000 {
        1
    } else {
        0
    };
    ["A", "B", "C", "D", "E", "F", "G"][(rng.range(1, 4) + shift).min(6) as usize]
}

/// The demo's file for `vintage`.
fn file(vintage: i32) -> String {
    let mut out = String::from(
        "IDENT_REP;DEPCOM;QPV_CODE;TYPECONST_CODE;NBPIECE;SURFHAB;CONSTRUCT;LOCAT;FINAN_CODE;CONV;MODE;BAIL;REMLOCDATE;LOYERPRINC;DPEENERGIE;DPESERRE;CODSEGPATRIM;SIRET;RS\n",
    );
    let mut rng = Rng(20_250_101);
    let communes: Vec<(&str, u64)> = COMMUNES.to_vec();
    let landlords: Vec<(usize, u64)> = LANDLORDS
        .iter()
        .enumerate()
        .map(|(i, l)| (i, l.2))
        .collect();
    for i in 0..DWELLINGS {
        let commune = *rng.pick_weighted(&communes);
        let l = *rng.pick_weighted(&landlords);
        let (siret, name, _) = LANDLORDS[l];
        let qpv = match commune {
            "59183" if rng.chance(40) => "QN05904M",
            "59271" if rng.chance(60) => "QN05905M",
            _ => "",
        };
        let built = match rng.range(1, 10) {
            1..=3 => rng.range(1955, 1974),
            4..=6 => rng.range(1975, 1999),
            _ => rng.range(2000, 2023),
        };
        let rooms = rng.range(1, 5);
        let surface = 25 + rooms * 17 + rng.range(0, 12);
        let financing = if built < 1977 {
            ["52", "52", "50"][rng.range(0, 2) as usize]
        } else {
            ["13", "13", "10", "14"][rng.range(0, 3) as usize]
        };
        let mut energy = letter(&mut rng, built);
        let mut ghg = letter(&mut rng, built);
        // Between the two vintages, one E/F/G dwelling in three is renovated to C.
        let renovated = rng.chance(33);
        if vintage >= 2025 && renovated && matches!(energy, "E" | "F" | "G") {
            energy = "C";
            ghg = "C";
        }
        let vacant = rng.chance(4);
        let works = !vacant && rng.chance(1);
        let mode = if vacant {
            2
        } else if works {
            3
        } else {
            1
        };
        let lease_year = if rng.chance(11) {
            vintage as u64 - 1
        } else {
            rng.range(1995, vintage as u64 - 2)
        };
        let (bail, remloc) = if mode == 1 {
            (
                format!("{:02}/{lease_year}", rng.range(1, 12)),
                String::new(),
            )
        } else {
            let months_ago = rng.range(1, 9);
            (
                String::new(),
                format!("{:02}/{}", 13 - months_ago, vintage - 1),
            )
        };
        let rent = if mode == 1 {
            let per_m2 = if financing == "10" {
                5.2
            } else if financing == "14" {
                8.1
            } else {
                6.1
            };
            format!("{:.2}", per_m2 * surface as f64).replace('.', ",")
        } else {
            "9999".to_string()
        };
        out.push_str(&format!(
            "{:010};{commune};{qpv};{};{rooms};{surface};{built};{};{financing};1;{mode};{bail};{remloc};{rent};{energy};{ghg};S{};{siret};{name}\n",
            1_000_000 + i,
            if rng.chance(75) { "C" } else { "I" },
            built + 1,
            rng.range(1, 3),
        ));
    }
    out
}

pub(super) fn load(store: &dyn Store, actor: &Actor) -> Result<()> {
    if !store.stock_vintages()?.is_empty() {
        return Ok(());
    }
    let epci = Principal {
        user_id: 0,
        login: "demo".into(),
        role: Role::Admin,
        organisation_id: None,
        commune: None,
    };
    for vintage in [2024, 2025] {
        let r = import_rpls(
            store,
            &epci,
            actor,
            logis_io::open_bytes(file(vintage).into_bytes())?,
            &RplsOptions {
                vintage,
                commit: true,
                keep_valid: false,
                source: format!("rpls-demo-{vintage}.csv"),
            },
            &mut |_, _, _| {},
            &mut |_| {},
        )?;
        if !r.committed {
            return Err(crate::AppError::Invalid(format!(
                "parc de démonstration refusé :\n{}",
                r.render_fr()
            )));
        }
    }
    let geo = store.geography()?;
    let residences: Vec<(String, u64)> = COMMUNES
        .iter()
        .filter_map(|(c, _)| geo.commune(c))
        .map(|c| {
            (
                c.code.as_str().to_string(),
                u64::from(c.population.unwrap_or(0)) * 10 / 22,
            )
        })
        .collect();
    store.put_main_residences(actor, 2021, &residences)?;
    mining_basin(store, actor, &epci)
}

/// Three cités of the mining basin and their renovation (made-up figures): the cités' dwellings
/// by label, then their rehabilitations with labels before and after, attached to the ERBM
/// programme.
const CITES: &str =
    "cite;commune;bailleur;logements;classe_a;classe_b;classe_c;classe_d;classe_e;classe_f;classe_g
Cité des Électriciens;62178;Partenord Habitat;184;0;0;0;12;61;79;32
Cité 12-14;62498;Vilogia;236;0;0;0;18;94;88;36
Cité du 9-9 bis;62510;Partenord Habitat;142;0;0;0;6;50;60;26";

const WORKS: &str = "reference;bailleur;commune;projet;programme;libelle;nature;financement;logements;annee;stade;cout;dpe_avant;dpe_apres;cep_avant;cep_apres
ERBM-PAR-01;Partenord Habitat;62178;Cité des Électriciens;ERBM;Électriciens, première tranche;Réhabilitation;Palulos;64;2020;Livré;4 160 000;F;C;392;148
ERBM-PAR-01;Partenord Habitat;62178;Cité des Électriciens;ERBM;Électriciens, première tranche;Réhabilitation;PAM;40;2022;Travaux démarrés;2 720 000;G;C;468;162
ERBM-VIL-01;Vilogia;62498;Cité 12-14;ERBM;Cité 12-14, réhabilitation thermique;Réhabilitation;Palulos;96;2021;Livré;6 528 000;E;B;301;96
ERBM-VIL-01;Vilogia;62498;Cité 12-14;ERBM;Cité 12-14, réhabilitation thermique;Réhabilitation;Palulos;60;2025;Financé;4 200 000;F;;388;
ERBM-PAR-02;Partenord Habitat;62510;Cité du 9-9 bis;ERBM;9-9 bis;Réhabilitation;PAM;52;2019;Livré;3 380 000;F;D;355;205";

fn mining_basin(store: &dyn Store, actor: &Actor, epci: &Principal) -> Result<()> {
    if !store.estates()?.is_empty() {
        return Ok(());
    }
    let r = crate::stock::import_estates(
        store,
        epci,
        actor,
        logis_io::open_bytes(CITES.as_bytes().to_vec())?,
        true,
    )?;
    if !r.committed {
        return Err(crate::AppError::Invalid(format!(
            "cités minières de démonstration refusées : {:?}",
            r.problems
        )));
    }
    let mut src = logis_io::open_bytes(WORKS.as_bytes().to_vec())?;
    let r = crate::register::import::import_operations(
        store,
        actor,
        src.as_mut(),
        &crate::register::import::ImportOptions {
            commit: true,
            territory: None,
            only_landlord: None,
        },
        &mut |_| {},
    )?;
    if r.has_errors() {
        return Err(crate::AppError::Invalid(format!(
            "travaux ERBM de démonstration refusés :\n{}",
            r.render_fr()
        )));
    }
    Ok(())
}
