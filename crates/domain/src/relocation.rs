//! Relocation of households (issue 18, first part): a household's statuses, the rows of the
//! households' and vacancies' files (read with a French error per column), the out-of-pocket
//! cost (reste à charge), and what makes a vacancy fit a household and at which cost — the rules
//! the matching engine optimises, with their reasons in French. Households are pseudonymised:
//! a landlord's identifier, never a name.

pub mod indicators;
pub mod matching;

use crate::cells::{Cells, Errors, commune, count, field, money, required, text};
use crate::codes::CommuneCode;
use crate::register::line::{MAX_TEXT, OrgIndex};
use crate::register::vocab::vocabulary;
use crate::text::name_key;
use serde::{Deserialize, Serialize};

vocabulary! {
    /// Where a household's relocation stands.
    HouseholdStatus, "statut" {
        ToRelocate => "a_reloger", "À reloger", ["a reloger"];
        Diagnosed => "diagnostic_fait", "Diagnostic fait", ["diagnostic fait", "diagnostique", "diagnostic"];
        Proposal => "proposition_en_cours", "Proposition en cours", ["proposition en cours", "proposition"];
        Definitive => "reloge_definitivement", "Relogé définitivement", ["reloge definitivement", "reloge", "relogement definitif"];
        Temporary => "reloge_temporairement", "Relogé temporairement", ["reloge temporairement", "relogement temporaire"];
        NoSolution => "parti_sans_solution", "Parti sans solution", ["parti sans solution", "sans solution"];
        OtherExit => "autre_sortie", "Décédé ou autre sortie", ["decede ou autre sortie", "deces", "decede", "autre sortie"];
    }
}

vocabulary! {
    /// Why a household refused a proposal (the ANRU's follow-up asks for it).
    RefusalReason, "motif de refus" {
        Location => "localisation", "Localisation (commune, quartier)", ["localisation", "quartier", "commune"];
        Cost => "cout", "Loyer ou reste à charge trop élevé", ["loyer", "reste a charge", "trop cher"];
        Size => "typologie", "Taille ou typologie du logement", ["taille", "typologie", "surface"];
        Condition => "etat", "État ou confort du logement", ["etat", "confort"];
        Floor => "etage", "Étage ou accessibilité", ["etage", "accessibilite", "ascenseur"];
        Other => "autre", "Autre motif", ["autre"];
    }
}

/// A household's answer to a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Answer {
    Accepted,
    Refused(RefusalReason),
    NoAnswer,
}

impl Answer {
    pub fn code(self) -> &'static str {
        match self {
            Answer::Accepted => "acceptee",
            Answer::Refused(_) => "refusee",
            Answer::NoAnswer => "sans_reponse",
        }
    }
}

impl HouseholdStatus {
    /// Whether the household's relocation is closed: relocated definitively, left without
    /// solution, or gone (what `purger --avant` anonymises once old enough).
    pub fn closed(self) -> bool {
        matches!(
            self,
            HouseholdStatus::Definitive | HouseholdStatus::NoSolution | HouseholdStatus::OtherExit
        )
    }

    /// Whether the household still waits for a dwelling (the matching engine's households).
    pub fn to_relocate(self) -> bool {
        matches!(
            self,
            HouseholdStatus::ToRelocate | HouseholdStatus::Diagnosed | HouseholdStatus::Proposal
        )
    }
}

/// The columns of the households' file (`logis relogement import menages`).
pub const HOUSEHOLD_COLUMNS: &[&str] = &[
    "menage",
    "bailleur",
    "projet",
    "operation",
    "commune",
    "personnes",
    "ressources",
    "loyer",
    "charges",
    "aide_logement",
    "pmr",
    "communes_souhaitees",
    "autre_commune",
    "statut",
    "ccas_origine",
    "ccas_accueil",
];
pub const HOUSEHOLD_REQUIRED: &[&str] = &[
    "menage",
    "bailleur",
    "projet",
    "commune",
    "personnes",
    "ressources",
    "loyer",
];

/// The columns of the vacancies' file (`logis relogement import logements`).
pub const VACANCY_COLUMNS: &[&str] = &[
    "logement",
    "bailleur",
    "commune",
    "qpv",
    "pieces",
    "surface",
    "loyer",
    "charges",
    "neuf_ou_recent",
    "pmr",
    "financement",
];
pub const VACANCY_REQUIRED: &[&str] = &["logement", "bailleur", "commune", "pieces", "loyer"];

/// A household to relocate, as its landlord declares it (amounts per month, in cents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdDraft {
    /// The landlord's identifier of the household (unique per landlord; never a name).
    pub reference: String,
    pub landlord: i64,
    pub project: String,
    pub operation: Option<String>,
    /// Where it lives today.
    pub commune: CommuneCode,
    pub persons: u32,
    pub resources: i64,
    pub rent: i64,
    pub charges: i64,
    pub benefit: i64,
    pub reduced_mobility: bool,
    /// Wished communes, in order.
    pub wished: Vec<CommuneCode>,
    /// Consents to a dwelling in any commune of the territory.
    pub other_commune: bool,
    pub status: HouseholdStatus,
    pub ccas_origin: Option<i64>,
    pub ccas_destination: Option<i64>,
}

impl HouseholdDraft {
    /// Rent + charges − housing benefit, today.
    pub fn out_of_pocket(&self) -> i64 {
        self.rent + self.charges - self.benefit
    }
}

/// A vacant dwelling a landlord puts in the pool (amounts per month, in cents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VacancyDraft {
    pub reference: String,
    pub landlord: i64,
    pub commune: CommuneCode,
    pub qpv: bool,
    pub rooms: u32,
    pub surface_m2: Option<u32>,
    pub rent: i64,
    pub charges: i64,
    pub new_or_recent: bool,
    pub adapted: bool,
    pub financing: String,
}

fn yes_no(cells: &Cells<'_>, column: &'static str, errors: &mut Errors) -> bool {
    match cells.get(column) {
        None => false,
        Some(v) => match crate::land::parse_yes_no(v) {
            Some(b) => b,
            None => {
                errors.push(field(column, format!("« {v} » : attendu oui ou non")));
                false
            }
        },
    }
}

fn landlord(cells: &Cells<'_>, landlords: &OrgIndex, errors: &mut Errors) -> Option<i64> {
    let b = required(cells, "bailleur", errors)?;
    let found = landlords.find(b);
    if found.is_none() {
        let s = landlords.suggestions(b);
        errors.push(field(
            "bailleur",
            format!(
                "« {b} » n'est pas un bailleur du partenariat{}",
                if s.is_empty() {
                    String::new()
                } else {
                    format!(" (bailleurs proches : {})", s.join(", "))
                }
            ),
        ));
    }
    found
}

fn ccas(
    cells: &Cells<'_>,
    column: &'static str,
    ccas: &OrgIndex,
    errors: &mut Errors,
) -> Option<i64> {
    let v = cells.get(column)?;
    let found = ccas.find(v);
    if found.is_none() {
        errors.push(field(
            column,
            format!("« {v} » n'est pas un CCAS du partenariat"),
        ));
    }
    found
}

fn amount(cells: &Cells<'_>, column: &'static str, errors: &mut Errors) -> i64 {
    money(cells, column, errors).map_or(0, |e| e.cents())
}

/// A household's row, checked: the landlord and the CCAS organisations of the partnership, the
/// communes inside the territory, persons ≥ 1, amounts ≥ 0.
pub fn parse_household(
    cells: &Cells<'_>,
    geography: &crate::reference::Geography,
    territory: Option<&crate::reference::Territory>,
    landlords: &OrgIndex,
    ccas_index: &OrgIndex,
) -> Result<HouseholdDraft, Errors> {
    let mut errors = Vec::new();
    let reference = required(cells, "menage", &mut errors).map(str::to_string);
    let landlord = landlord(cells, landlords, &mut errors);
    let project = required(cells, "projet", &mut errors).map(str::to_string);
    let operation = Some(text(cells, "operation", MAX_TEXT, &mut errors)).filter(|o| !o.is_empty());
    let commune = commune(cells, geography, territory, &mut errors);
    for c in ["personnes", "ressources", "loyer"] {
        if cells.get(c).is_none() {
            errors.push(field(c, "valeur obligatoire manquante"));
        }
    }
    let persons = count(cells, "personnes", 1, &mut errors);
    let resources = amount(cells, "ressources", &mut errors);
    let rent = amount(cells, "loyer", &mut errors);
    let charges = amount(cells, "charges", &mut errors);
    let benefit = amount(cells, "aide_logement", &mut errors);
    let reduced_mobility = yes_no(cells, "pmr", &mut errors);
    let other_commune = yes_no(cells, "autre_commune", &mut errors);
    let mut wished = Vec::new();
    if let Some(list) = cells.get("communes_souhaitees") {
        for w in list.split('|').map(str::trim).filter(|w| !w.is_empty()) {
            match geography.resolve(w, territory) {
                Ok(c) if !wished.contains(&c.code) => wished.push(c.code.clone()),
                Ok(_) => {}
                Err(e) => errors.push(field("communes_souhaitees", format!("« {w} » : {e}"))),
            }
        }
    }
    let status = match cells.get("statut") {
        None => HouseholdStatus::ToRelocate,
        Some(v) => HouseholdStatus::parse(v).unwrap_or_else(|e| {
            errors.push(field("statut", e.0));
            HouseholdStatus::ToRelocate
        }),
    };
    let ccas_origin = ccas(cells, "ccas_origine", ccas_index, &mut errors);
    let ccas_destination = ccas(cells, "ccas_accueil", ccas_index, &mut errors);
    match (reference, landlord, project, commune, persons) {
        (Some(reference), Some(landlord), Some(project), Some(commune), Some(persons))
            if errors.is_empty() =>
        {
            Ok(HouseholdDraft {
                reference,
                landlord,
                project,
                operation,
                commune,
                persons,
                resources,
                rent,
                charges,
                benefit,
                reduced_mobility,
                wished,
                other_commune,
                status,
                ccas_origin,
                ccas_destination,
            })
        }
        _ => Err(errors),
    }
}

/// A vacancy's row, checked: the landlord of the partnership (`only`: the landlord a landlord's
/// editor is), the commune inside the territory, rooms ≥ 1, amounts ≥ 0.
pub fn parse_vacancy(
    cells: &Cells<'_>,
    geography: &crate::reference::Geography,
    territory: Option<&crate::reference::Territory>,
    landlords: &OrgIndex,
    only: Option<i64>,
) -> Result<VacancyDraft, Errors> {
    let mut errors = Vec::new();
    let reference = required(cells, "logement", &mut errors).map(str::to_string);
    let landlord = landlord(cells, landlords, &mut errors);
    if let (Some(l), Some(o)) = (landlord, only)
        && l != o
    {
        errors.push(field(
            "bailleur",
            "vous ne déclarez que les logements de votre organisation",
        ));
    }
    let commune = commune(cells, geography, territory, &mut errors);
    for c in ["pieces", "loyer"] {
        if cells.get(c).is_none() {
            errors.push(field(c, "valeur obligatoire manquante"));
        }
    }
    let rooms = count(cells, "pieces", 1, &mut errors);
    let surface_m2 = count(cells, "surface", 1, &mut errors);
    let rent = amount(cells, "loyer", &mut errors);
    let charges = amount(cells, "charges", &mut errors);
    let qpv = yes_no(cells, "qpv", &mut errors);
    let new_or_recent = yes_no(cells, "neuf_ou_recent", &mut errors);
    let adapted = yes_no(cells, "pmr", &mut errors);
    let financing = text(cells, "financement", MAX_TEXT, &mut errors);
    match (reference, landlord, commune, rooms) {
        (Some(reference), Some(landlord), Some(commune), Some(rooms)) if errors.is_empty() => {
            Ok(VacancyDraft {
                reference,
                landlord,
                commune,
                qpv,
                rooms,
                surface_m2,
                rent,
                charges,
                new_or_recent,
                adapted,
                financing,
            })
        }
        _ => Err(errors),
    }
}

/// The columns of the follow-up file (`logis relogement import suivi`): one event per row — a
/// proposal, a household's answer, a relocation.
pub const FOLLOW_UP_COLUMNS: &[&str] = &[
    "menage",
    "bailleur",
    "evenement",
    "date",
    "logement",
    "bailleur_logement",
    "reponse",
    "motif",
    "nature",
    "loyer",
    "charges",
    "aide_logement",
];
pub const FOLLOW_UP_REQUIRED: &[&str] = &["menage", "bailleur", "evenement", "date"];

/// What happened to a household, as a row of the follow-up file says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUpEvent {
    /// A dwelling of the pool proposed.
    Proposal,
    /// The answer to the proposal of that dwelling (the household's open one when none given).
    Answer(Answer),
    /// A relocation (into that dwelling of the pool, or outside it), with rent, charges and
    /// housing benefit after (cents a month).
    Relocation { definitive: bool, after: [i64; 3] },
}

/// One row of the follow-up file, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpDraft {
    /// The household: its landlord and identifier.
    pub landlord: i64,
    pub household: String,
    pub date: chrono::NaiveDate,
    /// A dwelling of the pool: its landlord and identifier.
    pub vacancy: Option<(i64, String)>,
    pub event: FollowUpEvent,
}

/// A follow-up row, checked: the household's landlord (`only`: the landlord an editor is), the
/// event (proposition, reponse, relogement) and what it needs — a dwelling for a proposal, an
/// answer with its reason for a refusal, definitive or temporary and the amounts after for a
/// relocation.
pub fn parse_follow_up(
    cells: &Cells<'_>,
    landlords: &OrgIndex,
    only: Option<i64>,
) -> Result<FollowUpDraft, Errors> {
    let mut errors = Vec::new();
    let household = required(cells, "menage", &mut errors).map(str::to_string);
    let landlord = landlord(cells, landlords, &mut errors);
    if let (Some(l), Some(o)) = (landlord, only)
        && l != o
    {
        errors.push(field(
            "bailleur",
            "vous ne suivez que les ménages de votre organisation",
        ));
    }
    let date = match required(cells, "date", &mut errors) {
        Some(d) => match crate::numbers::parse_date(d) {
            Some(d) => Some(d),
            None => {
                errors.push(field(
                    "date",
                    format!("« {d} » n'est pas une date (jj/mm/aaaa)"),
                ));
                None
            }
        },
        None => None,
    };
    let vacancy = match cells.get("logement") {
        None => None,
        Some(v) => {
            let owner = match cells.get("bailleur_logement") {
                // (The household's landlord, when the dwelling's is not given.)
                None => landlord,
                Some(b) => {
                    let found = landlords.find(b);
                    if found.is_none() {
                        errors.push(field(
                            "bailleur_logement",
                            format!("« {b} » n'est pas un bailleur du partenariat"),
                        ));
                    }
                    found
                }
            };
            owner.map(|o| (o, v.to_string()))
        }
    };
    let event = match required(cells, "evenement", &mut errors)
        .map(name_key)
        .as_deref()
    {
        None => None,
        Some("proposition") => {
            if vacancy.is_none() && cells.get("logement").is_none() {
                errors.push(field(
                    "logement",
                    "une proposition porte sur un logement de la réserve",
                ));
            }
            Some(FollowUpEvent::Proposal)
        }
        Some("reponse") => {
            let reason = cells.get("motif");
            match cells.get("reponse").map(name_key).as_deref() {
                Some("acceptee" | "accepte" | "oui") => {
                    Some(FollowUpEvent::Answer(Answer::Accepted))
                }
                Some("refusee" | "refuse" | "non") => match reason.map(RefusalReason::parse) {
                    Some(Ok(r)) => Some(FollowUpEvent::Answer(Answer::Refused(r))),
                    Some(Err(e)) => {
                        errors.push(field("motif", e.0));
                        None
                    }
                    None => {
                        errors.push(field(
                            "motif",
                            format!(
                                "un refus demande son motif ({})",
                                RefusalReason::ALL
                                    .iter()
                                    .map(|r| r.label())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                        None
                    }
                },
                Some(other) => {
                    errors.push(field(
                        "reponse",
                        format!("« {other} » : attendu acceptée ou refusée"),
                    ));
                    None
                }
                None => {
                    errors.push(field(
                        "reponse",
                        "valeur obligatoire pour une réponse (acceptée ou refusée)",
                    ));
                    None
                }
            }
        }
        Some("relogement") => {
            let definitive = match cells.get("nature").map(name_key).as_deref() {
                Some("definitif" | "definitive") => Some(true),
                Some("temporaire") => Some(false),
                Some(other) => {
                    errors.push(field(
                        "nature",
                        format!("« {other} » : attendu définitif ou temporaire"),
                    ));
                    None
                }
                None => {
                    errors.push(field(
                        "nature",
                        "valeur obligatoire pour un relogement (définitif ou temporaire)",
                    ));
                    None
                }
            };
            for c in ["loyer", "charges", "aide_logement"] {
                if cells.get(c).is_none() {
                    errors.push(field(c, "valeur obligatoire pour un relogement"));
                }
            }
            let after = [
                amount(cells, "loyer", &mut errors),
                amount(cells, "charges", &mut errors),
                amount(cells, "aide_logement", &mut errors),
            ];
            definitive.map(|definitive| FollowUpEvent::Relocation { definitive, after })
        }
        Some(other) => {
            errors.push(field(
                "evenement",
                format!("« {other} » : attendu proposition, reponse ou relogement"),
            ));
            None
        }
    };
    match (household, landlord, date, event) {
        (Some(household), Some(landlord), Some(date), Some(event)) if errors.is_empty() => {
            Ok(FollowUpDraft {
                landlord,
                household,
                date,
                vacancy,
                event,
            })
        }
        _ => Err(errors),
    }
}

/// The rules of the matching: what makes a pair feasible and what it costs, in whole points.
/// The defaults are the issue's (and the README's); each may be changed for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostRules {
    /// Largest rise of the out-of-pocket cost accepted, in cents a month (housing benefit assumed
    /// unchanged).
    pub max_increase: i64,
    /// Points per euro of out-of-pocket increase (rounded to the euro).
    pub per_euro: i64,
    pub first_wish: i64,
    pub other_wish: i64,
    pub outside_wishes: i64,
    pub in_qpv: i64,
    pub not_new: i64,
    /// Points per room above max(1, persons − 1).
    pub per_extra_room: i64,
}

impl Default for CostRules {
    fn default() -> Self {
        CostRules {
            max_increase: 5_000,
            per_euro: 1,
            first_wish: 0,
            other_wish: 20,
            outside_wishes: 60,
            in_qpv: 40,
            not_new: 30,
            per_extra_room: 10,
        }
    }
}

/// Where a vacancy stands among a household's wishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wish {
    /// The n-th wished commune (1 first); without wishes, the origin commune counts as the first.
    Rank(usize),
    /// Outside the wishes: the household consents to another commune.
    Outside,
}

/// A feasible pair: its cost, where it stands among the wishes, and the out-of-pocket change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    pub cost: i64,
    pub wish: Wish,
    /// Out-of-pocket after − before, in cents.
    pub increase: i64,
}

/// Whether `v` fits `h` under `rules`, and at which cost; `None` when infeasible.
pub fn fit(h: &HouseholdDraft, v: &VacancyDraft, rules: &CostRules) -> Option<Fit> {
    let least = h.persons.saturating_sub(1).max(1);
    if v.rooms < least || v.rooms > h.persons.saturating_add(1) {
        return None;
    }
    if h.reduced_mobility && !v.adapted {
        return None;
    }
    let wish = if h.wished.is_empty() {
        (v.commune == h.commune).then_some(Wish::Rank(1))
    } else {
        h.wished
            .iter()
            .position(|c| *c == v.commune)
            .map(|i| Wish::Rank(i + 1))
    };
    let wish = match wish {
        Some(w) => w,
        None if h.other_commune => Wish::Outside,
        None => return None,
    };
    let after = v.rent + v.charges - h.benefit;
    let increase = after - h.out_of_pocket();
    if increase > rules.max_increase {
        return None;
    }
    let euros = (increase.max(0) + 50) / 100;
    let mut cost = euros * rules.per_euro;
    cost += match wish {
        Wish::Rank(1) => rules.first_wish,
        Wish::Rank(_) => rules.other_wish,
        Wish::Outside => rules.outside_wishes,
    };
    if v.qpv {
        cost += rules.in_qpv;
    }
    if !v.new_or_recent {
        cost += rules.not_new;
    }
    cost += i64::from(v.rooms - least) * rules.per_extra_room;
    Some(Fit {
        cost,
        wish,
        increase,
    })
}

/// Why `v` was proposed to `h`, in French: « commune souhaitée n° 1, T3 pour 3 personnes, reste
/// à charge +12 €, hors QPV, logement neuf ou récent ».
pub fn reasons(h: &HouseholdDraft, v: &VacancyDraft, f: &Fit) -> String {
    let signed = (f.increase + if f.increase >= 0 { 50 } else { -50 }) / 100;
    [
        match f.wish {
            Wish::Rank(_) if h.wished.is_empty() => "commune actuelle".to_string(),
            Wish::Rank(n) => format!("commune souhaitée n° {n}"),
            Wish::Outside => "hors des communes souhaitées (accord pour une autre commune)".into(),
        },
        format!(
            "T{} pour {} personne{}",
            v.rooms,
            h.persons,
            if h.persons > 1 { "s" } else { "" }
        ),
        format!(
            "reste à charge {}{signed} €",
            if signed >= 0 { "+" } else { "" }
        ),
        if v.qpv { "en QPV" } else { "hors QPV" }.to_string(),
        if v.new_or_recent {
            "logement neuf ou récent"
        } else {
            "logement ancien"
        }
        .to_string(),
    ]
    .join(", ")
}

/// Every feasible pair of `households` × `vacancies` and its cost, for the matching engine: a
/// household looks only at the vacancies of its wished communes (its own without wishes) — at
/// every commune's when it consents to another — with a number of rooms it may take.
pub fn feasible_pairs(
    households: &[HouseholdDraft],
    vacancies: &[VacancyDraft],
    rules: &CostRules,
) -> matching::Pairs {
    use std::collections::HashMap;
    // Vacancies by commune and rooms, and by rooms alone.
    let mut by_place: HashMap<(&str, u32), Vec<usize>> = HashMap::new();
    let mut by_rooms: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, v) in vacancies.iter().enumerate() {
        by_place
            .entry((v.commune.as_str(), v.rooms))
            .or_default()
            .push(i);
        by_rooms.entry(v.rooms).or_default().push(i);
    }
    let mut p = matching::Pairs::new(vacancies.len());
    let mut row: Vec<(usize, i64)> = Vec::new();
    for h in households {
        row.clear();
        let least = h.persons.saturating_sub(1).max(1);
        let most = h.persons.saturating_add(1).min(least + 2);
        for rooms in least..=most {
            let mut take = |list: Option<&Vec<usize>>| {
                for &j in list.into_iter().flatten() {
                    if let Some(f) = vacancies.get(j).and_then(|v| fit(h, v, rules)) {
                        row.push((j, f.cost));
                    }
                }
            };
            if h.other_commune {
                take(by_rooms.get(&rooms));
            } else if h.wished.is_empty() {
                take(by_place.get(&(h.commune.as_str(), rooms)));
            } else {
                for (i, c) in h.wished.iter().enumerate() {
                    // (A commune written twice in the wishes is looked at once.)
                    if !h.wished.iter().take(i).any(|w| w == c) {
                        take(by_place.get(&(c.as_str(), rooms)));
                    }
                }
            }
        }
        p.push_row(row.iter().copied());
    }
    p
}

/// A household's key for « unique per landlord »: its landlord and its identifier's search key.
pub fn key(landlord: i64, reference: &str) -> (i64, String) {
    (landlord, name_key(reference))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn code(c: &str) -> CommuneCode {
        CommuneCode::parse(c).unwrap_or_else(|e| unreachable!("{e:?}"))
    }

    fn household() -> HouseholdDraft {
        HouseholdDraft {
            reference: "M-1".into(),
            landlord: 1,
            project: "Banc Vert".into(),
            operation: None,
            commune: code("59183"),
            persons: 3,
            resources: 150_000,
            rent: 40_000,
            charges: 8_000,
            benefit: 20_000,
            reduced_mobility: false,
            wished: vec![code("59183"), code("59271")],
            other_commune: false,
            status: HouseholdStatus::ToRelocate,
            ccas_origin: None,
            ccas_destination: None,
        }
    }

    fn vacancy(commune: &str, rooms: u32, rent: i64) -> VacancyDraft {
        VacancyDraft {
            reference: "L-1".into(),
            landlord: 2,
            commune: code(commune),
            qpv: false,
            rooms,
            surface_m2: Some(65),
            rent,
            charges: 8_000,
            new_or_recent: true,
            adapted: false,
            financing: "PLAI".into(),
        }
    }

    #[test]
    fn the_issues_example_and_its_reasons() {
        let h = household();
        assert_eq!(h.out_of_pocket(), 28_000);
        let v = vacancy("59183", 3, 41_200);
        let f = fit(&h, &v, &CostRules::default()).unwrap_or_else(|| unreachable!());
        assert_eq!(
            reasons(&h, &v, &f),
            "commune souhaitée n° 1, T3 pour 3 personnes, reste à charge +12 €, hors QPV, logement neuf ou récent"
        );
        // 12 € → 12 points; first wish 0; T3 for 3 persons: one room above max(1, 2).
        assert_eq!(f.cost, 12 + 10);
        let second = fit(&h, &vacancy("59271", 2, 40_000), &CostRules::default());
        assert_eq!(second.map(|f| (f.cost, f.wish)), Some((20, Wish::Rank(2))));
    }

    #[test]
    fn the_pairs_indexed_are_every_feasible_pair() {
        let communes = ["59183", "59271", "59094"];
        let mut hs = Vec::new();
        let mut vs = Vec::new();
        for i in 0..40u32 {
            let mut h = household();
            h.persons = 1 + i % 6;
            h.wished = match i % 4 {
                0 => Vec::new(),
                1 => vec![code(communes[(i % 3) as usize])],
                _ => vec![code("59271"), code(communes[(i % 3) as usize])],
            };
            h.commune = code(communes[((i / 3) % 3) as usize]);
            h.other_commune = i % 5 == 0;
            h.reduced_mobility = i % 7 == 0;
            hs.push(h);
            let mut v = vacancy(
                communes[((i / 2) % 3) as usize],
                1 + i % 6,
                30_000 + i64::from(i) * 500,
            );
            v.adapted = i % 3 == 0;
            vs.push(v);
        }
        let rules = CostRules::default();
        let p = feasible_pairs(&hs, &vs, &rules);
        let mut pairs = 0;
        for (r, h) in hs.iter().enumerate() {
            for (c, v) in vs.iter().enumerate() {
                let expected = fit(h, v, &rules).map(|f| f.cost);
                assert_eq!(p.cost(r, c), expected, "{r} {c}");
                pairs += usize::from(expected.is_some());
            }
        }
        assert_eq!(p.pairs(), pairs);
        assert!(pairs > 40, "{pairs}");
    }

    #[test]
    fn what_is_not_feasible() {
        let mut h = household();
        let rules = CostRules::default();
        assert!(
            fit(&h, &vacancy("59183", 1, 40_000), &rules).is_none(),
            "T1 for 3"
        );
        assert!(
            fit(&h, &vacancy("59183", 5, 40_000), &rules).is_none(),
            "T5 for 3"
        );
        assert!(
            fit(&h, &vacancy("59094", 3, 40_000), &rules).is_none(),
            "not wished"
        );
        assert!(
            fit(&h, &vacancy("59183", 3, 45_001), &rules).is_none(),
            "+50.01 €"
        );
        assert!(
            fit(&h, &vacancy("59183", 3, 45_000), &rules).is_some(),
            "+50 €"
        );
        h.other_commune = true;
        let f = fit(&h, &vacancy("59094", 3, 40_000), &rules);
        assert_eq!(f.map(|f| f.wish), Some(Wish::Outside));
        h.reduced_mobility = true;
        assert!(
            fit(&h, &vacancy("59183", 3, 40_000), &rules).is_none(),
            "not adapted"
        );
        // Without wishes, the origin commune counts as the first.
        let mut h = household();
        h.wished.clear();
        let f = fit(&h, &vacancy("59183", 2, 40_000), &rules);
        assert_eq!(f.map(|f| (f.wish, f.cost)), Some((Wish::Rank(1), 0)));
    }
}
