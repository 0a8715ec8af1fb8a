//! The demo's relocation: pseudonymised households (a landlord's identifier, never a name) of
//! four ANRU projects of the CUD, the three landlords' vacancies over the communes of the CUD,
//! and a year of follow-up — the matching's proposals recorded, answered (accepted, or refused
//! with a reason), relocations definitive and temporary, a few households diagnosed, left
//! without solution or gone — so that every page of « Relogement » shows something on the first
//! run. Made once: a second load leaves the relocation as it is.

use super::Rng;
use crate::Result;
use chrono::{Duration, NaiveDate};
use logis_domain::relocation::{
    Answer, CostRules, HouseholdDraft, HouseholdStatus, RefusalReason, VacancyDraft,
};
use logis_domain::{CommuneCode, OrgKind};
use logis_store::{Actor, Store};

/// (project, origin commune, landlord)
const PROJECTS: [(&str, &str, &str); 4] = [
    ("COURGHAIN", "59271", "Partenord Habitat"),
    ("MEULENHOF", "59271", "Vilogia"),
    ("JEU DE MAIL", "59183", "Flandre Opale Habitat"),
    ("BANC VERT", "59183", "Partenord Habitat"),
];

/// Communes of the CUD where vacancies are offered, with their weight.
const COMMUNES: [(&str, u64); 8] = [
    ("59183", 40), // Dunkerque
    ("59271", 16), // Grande-Synthe
    ("59155", 10), // Coudekerque-Branche
    ("59131", 6),  // Cappelle-la-Grande
    ("59588", 6),  // Téteghem-Coudekerque-Village
    ("59273", 8),  // Gravelines
    ("59359", 5),  // Loon-Plage
    ("59340", 4),  // Leffrinckoucke
];

const LANDLORDS: [&str; 3] = ["Flandre Opale Habitat", "Partenord Habitat", "Vilogia"];

fn code(c: &str) -> Result<CommuneCode> {
    CommuneCode::parse(c).map_err(|e| crate::AppError::Invalid(e.0))
}

fn org(store: &dyn Store, kind: OrgKind, name: &str) -> Result<Option<i64>> {
    Ok(store
        .organisations()?
        .into_iter()
        .find(|o| o.kind == kind && o.name == name)
        .map(|o| o.id))
}

/// The CCAS that follows a household in `commune`, if the demo has one there.
fn ccas_of(commune: &str, ccas: &[(&str, Option<i64>)]) -> Option<i64> {
    ccas.iter()
        .find(|(c, _)| *c == commune)
        .and_then(|(_, id)| *id)
}

pub(super) fn load(store: &dyn Store, actor: &Actor, today: NaiveDate) -> Result<()> {
    if !store.households()?.is_empty() {
        return Ok(());
    }
    let geo = store.geography()?;
    let communes: Vec<(&str, u64)> = COMMUNES
        .iter()
        .copied()
        .filter(|(c, _)| geo.commune(c).is_some())
        .collect();
    let ccas = [
        ("59183", org(store, OrgKind::Ccas, "CCAS de Dunkerque")?),
        ("59271", org(store, OrgKind::Ccas, "CCAS de Grande-Synthe")?),
    ];
    let mut landlord_ids = Vec::new();
    for l in LANDLORDS {
        landlord_ids.push(org(store, OrgKind::Landlord, l)?);
    }
    let landlord = |name: &str| {
        LANDLORDS
            .iter()
            .position(|l| *l == name)
            .and_then(|i| landlord_ids.get(i).copied().flatten())
    };
    let mut rng = Rng(18);
    // Households: 45 per project.
    let mut households = Vec::new();
    for (p, (project, origin, owner)) in PROJECTS.iter().enumerate() {
        let Some(landlord) = landlord(owner) else {
            continue;
        };
        for n in 1..=45u64 {
            let persons =
                *rng.pick_weighted(&[(1u32, 25), (2, 25), (3, 20), (4, 16), (5, 9), (6, 5)]);
            let rent = i64::try_from(rng.range(260, 520)).unwrap_or(400) * 100;
            let charges = i64::try_from(rng.range(50, 140)).unwrap_or(90) * 100;
            let benefit = if rng.chance(70) {
                i64::try_from(rng.range(80, 300)).unwrap_or(150) * 100
            } else {
                0
            };
            let mut wished = vec![code(origin)?];
            if rng.chance(45) {
                let other = *rng.pick_weighted(&communes);
                if other != *origin {
                    wished.push(code(other)?);
                }
            }
            if rng.chance(15) {
                wished.clear();
            }
            let first = wished.first().map(|c| c.as_str().to_string());
            let destination = first.as_deref().and_then(|c| ccas_of(c, &ccas));
            let origin_ccas = ccas_of(origin, &ccas);
            let status = match rng.range(1, 100) {
                1..=3 => HouseholdStatus::NoSolution,
                4..=5 => HouseholdStatus::OtherExit,
                6..=25 => HouseholdStatus::Diagnosed,
                _ => HouseholdStatus::ToRelocate,
            };
            households.push((
                (p as u64) * 100 + n + 1,
                HouseholdDraft {
                    reference: format!(
                        "M-{}-{n:03}",
                        project.replace(' ', "").chars().take(4).collect::<String>()
                    ),
                    landlord,
                    project: project.to_string(),
                    operation: Some(format!("Démolition {project}")),
                    commune: code(origin)?,
                    persons,
                    resources: i64::try_from(rng.range(700, 2_400)).unwrap_or(1_200) * 100,
                    rent,
                    charges,
                    benefit,
                    reduced_mobility: rng.chance(8),
                    wished,
                    other_commune: rng.chance(30),
                    status,
                    ccas_origin: origin_ccas,
                    ccas_destination: destination.filter(|d| Some(*d) != origin_ccas),
                },
            ));
        }
    }
    store.put_households(actor, &households)?;
    // Vacancies: 170 over the communes, from the three landlords.
    let mut vacancies = Vec::new();
    for n in 1..=170u64 {
        let Some(landlord) = landlord_ids.get((n % 3) as usize).copied().flatten() else {
            continue;
        };
        let commune = *rng.pick_weighted(&communes);
        let rooms = *rng.pick_weighted(&[(1u32, 12), (2, 26), (3, 32), (4, 20), (5, 10)]);
        let new = rng.chance(30);
        vacancies.push((
            n + 1,
            VacancyDraft {
                reference: format!("L-{n:04}"),
                landlord,
                commune: code(commune)?,
                qpv: rng.chance(if new { 15 } else { 45 }),
                rooms,
                surface_m2: Some(18 + rooms * 16 + u32::try_from(rng.range(0, 12)).unwrap_or(0)),
                rent: (i64::from(rooms) * 75 + i64::try_from(rng.range(150, 260)).unwrap_or(200))
                    * 100
                    + if new { 4_000 } else { 0 },
                charges: i64::try_from(rng.range(50, 130)).unwrap_or(80) * 100,
                new_or_recent: new,
                adapted: rng.chance(15),
                financing: rng
                    .pick_weighted(&[("PLUS", 60), ("PLAI", 30), ("PLS", 10)])
                    .to_string(),
            },
        ));
    }
    store.put_vacancies(actor, &vacancies)?;
    follow_up(store, actor, today, &mut rng)
}

/// A year of follow-up: the engine's proposals recorded for most households it matches, each
/// answered or not; the accepted ones relocated.
fn follow_up(store: &dyn Store, actor: &Actor, today: NaiveDate, rng: &mut Rng) -> Result<()> {
    let found = crate::relocation::matching(store, None, &CostRules::default())?;
    for p in &found.proposals {
        if rng.chance(20) {
            continue;
        }
        let days = i64::try_from(rng.range(20, 330)).unwrap_or(100);
        let proposed = today - Duration::days(days);
        let id = store.propose(actor, p.household_id, p.vacancy_id, proposed)?;
        let answered = proposed + Duration::days(i64::try_from(rng.range(5, 20)).unwrap_or(10));
        if answered >= today || rng.chance(8) {
            continue;
        }
        if rng.chance(22) {
            let why = *rng.pick_weighted(&[
                (RefusalReason::Location, 35),
                (RefusalReason::Cost, 20),
                (RefusalReason::Size, 15),
                (RefusalReason::Condition, 12),
                (RefusalReason::Floor, 10),
                (RefusalReason::Other, 8),
            ]);
            store.answer(actor, id, Answer::Refused(why), answered)?;
            continue;
        }
        store.answer(actor, id, Answer::Accepted, answered)?;
        let moved = answered + Duration::days(i64::try_from(rng.range(15, 60)).unwrap_or(30));
        if moved >= today {
            continue;
        }
        let v = &p.vacancy;
        // (Housing benefit after: the household's, a little more in a larger dwelling.)
        let benefit = if p.household.benefit > 0 {
            p.household.benefit + i64::try_from(rng.range(0, 40)).unwrap_or(0) * 100
        } else {
            0
        };
        store.relocate(
            actor,
            p.household_id,
            Some(p.vacancy_id),
            moved,
            !rng.chance(10),
            [v.rent, v.charges, benefit],
        )?;
    }
    Ok(())
}
