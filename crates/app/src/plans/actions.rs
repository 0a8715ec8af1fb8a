//! The partnerships' joint action plans (issue 22): an action proposed by hand or from a finding
//! of the cross-analysis (the EPCI, or a landlord's editor member of the partnership), the
//! steering committee's decisions (recorded by the EPCI), each action's progress from its linked
//! operations in the register, and the committee's workbook (one sheet per theme). Actions are
//! read by the EPCI and the partnership's members; everyone else reads their counts per theme and
//! status.

use crate::{AppError, Result};
use logis_domain::plans::actions::{
    ActionForm, ActionKind, ActionStatus, FieldErrors, Progress, parse_action, parse_decision,
};
use logis_domain::plans::residence_key;
use logis_domain::{Principal, Role};
use logis_io::report::{Cell, Grid, GridRow, Report, RowKind};
use logis_store::Actor;
use logis_store::Store;
use logis_store::plans::Partnership;
use logis_store::plans::actions::{ActionLink, ActionRecord, LinkKind, NewAction};
use std::collections::BTreeMap;

/// An action's form as sent (kept to show it back after an error).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFields {
    pub title: String,
    pub kind: String,
    /// Only read at creation (then the committee's decisions set it).
    pub status: String,
    pub partnership: String,
    pub lead: String,
    /// Landlords involved, by name or SIREN.
    pub landlords: Vec<String>,
    /// Communes (names or INSEE codes) separated by commas.
    pub communes: String,
    /// One residence per line: `Résidence, Commune`.
    pub residences: String,
    /// Operations' references in the register, separated by commas.
    pub operations: String,
    /// Land sites' references, separated by commas.
    pub sites: String,
    pub first_year: String,
    pub last_year: String,
    pub detail: String,
    /// The finding it comes from (empty: by hand).
    pub origin: String,
}

/// An action as read, with its names resolved and its progress.
#[derive(Debug, Clone)]
pub struct ActionView {
    pub record: ActionRecord,
    pub partnership: String,
    pub lead: String,
    pub progress: Progress,
}

impl ActionView {
    /// Its links of one kind, as they read, joined.
    pub fn named(&self, kind: LinkKind) -> String {
        self.record
            .links(kind)
            .map(|l| l.label.as_str())
            .collect::<Vec<_>>()
            .join(" ; ")
    }
    pub fn years(&self) -> String {
        match (
            self.record.action.draft.first_year,
            self.record.action.draft.last_year,
        ) {
            (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
            (Some(a), _) | (None, Some(a)) => a.to_string(),
            _ => String::new(),
        }
    }
    /// The last decision, as it reads.
    pub fn last_decision(&self) -> String {
        self.record
            .decisions
            .last()
            .map(|d| {
                format!(
                    "{} : {}",
                    d.decision.date.format("%d/%m/%Y"),
                    d.decision.decision
                )
            })
            .unwrap_or_default()
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn partnership_of(store: &dyn Store, name: &str) -> Result<Option<Partnership>> {
    let t = name.trim();
    Ok(store
        .partnerships()?
        .into_iter()
        .find(|p| p.name == t || p.id.to_string() == t))
}

/// Whether `principal` reads the actions of partnership `p`: the EPCI, and the members' users.
pub fn reads_actions(principal: &Principal, p: &Partnership) -> bool {
    matches!(principal.role, Role::Admin | Role::Agent)
        || principal
            .organisation_id
            .is_some_and(|o| p.members.contains(&o))
}

/// Whether `principal` proposes and edits actions of partnership `p`: the EPCI, and the editors
/// of a landlord member of it.
pub fn writes_actions(principal: &Principal, p: &Partnership) -> bool {
    matches!(principal.role, Role::Admin | Role::Agent)
        || (principal.role == Role::LandlordEditor
            && principal
                .organisation_id
                .is_some_and(|o| p.members.contains(&o)))
}

/// Resolve an action's form; every problem as (field, message).
fn resolve(
    store: &dyn Store,
    principal: &Principal,
    f: &ActionFields,
    status: Option<ActionStatus>,
) -> Result<std::result::Result<NewAction, FieldErrors>> {
    let form = ActionForm {
        title: &f.title,
        kind: &f.kind,
        status: status.map_or(f.status.as_str(), |s| s.code()),
        first_year: &f.first_year,
        last_year: &f.last_year,
        detail: &f.detail,
    };
    let (draft, mut errors) = match parse_action(&form) {
        Ok(d) => (Some(d), FieldErrors::new()),
        Err(e) => (None, e),
    };
    let Some(p) = partnership_of(store, &f.partnership)? else {
        errors.push((
            "partenariat",
            format!("partenariat inconnu « {} »", f.partnership.trim()),
        ));
        return Ok(Err(errors));
    };
    if !writes_actions(principal, &p) {
        return Err(AppError::Invalid(format!(
            "seuls l'EPCI et les bailleurs (saisie) membres du partenariat « {} » proposent ses actions",
            p.name
        )));
    }
    let orgs = store.organisations()?;
    let index = crate::proximity::organisations(store)?;
    let name_of = |id: i64| {
        orgs.iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let mut links = Vec::new();
    let lead = match index.find(&f.lead) {
        Some(id) if p.members.contains(&id) => Some(id),
        Some(_) => {
            errors.push((
                "pilote",
                format!(
                    "« {} » n'est pas membre du partenariat « {} »",
                    f.lead.trim(),
                    p.name
                ),
            ));
            None
        }
        None if f.lead.trim().is_empty() => {
            errors.push(("pilote", "valeur obligatoire manquante".into()));
            None
        }
        None => {
            errors.push((
                "pilote",
                format!("organisation inconnue « {} »", f.lead.trim()),
            ));
            None
        }
    };
    let is_landlord = |id: i64| {
        orgs.iter()
            .any(|o| o.id == id && o.kind == logis_domain::register::vocab::OrgKind::Landlord)
    };
    let mut landlords: Vec<i64> = Vec::new();
    for l in f.landlords.iter().filter(|l| !l.trim().is_empty()) {
        match index.find(l) {
            Some(id) if p.members.contains(&id) && is_landlord(id) => {
                if !landlords.contains(&id) {
                    landlords.push(id);
                }
            }
            Some(_) => errors.push((
                "bailleurs",
                format!(
                    "« {} » n'est pas un bailleur membre du partenariat « {} »",
                    l.trim(),
                    p.name
                ),
            )),
            None => errors.push(("bailleurs", format!("bailleur inconnu « {} »", l.trim()))),
        }
    }
    if let Some(id) = lead.filter(|id| is_landlord(*id) && !landlords.contains(id)) {
        landlords.insert(0, id);
    }
    for id in &landlords {
        links.push(ActionLink {
            kind: LinkKind::Landlord,
            target: id.to_string(),
            label: name_of(*id),
        });
    }
    let geo = crate::reference::geography(store)?.0;
    let territory = logis_domain::Territory::parse(&p.territory).ok();
    for c in split_list(&f.communes) {
        match geo.resolve(&c, None) {
            Ok(commune) if territory.as_ref().is_none_or(|t| t.contains(commune)) => {
                links.push(ActionLink {
                    kind: LinkKind::Commune,
                    target: commune.code.as_str().to_string(),
                    label: commune.name.clone(),
                })
            }
            Ok(commune) => errors.push((
                "communes",
                format!(
                    "{} est hors du territoire du partenariat « {} »",
                    commune.name, p.name
                ),
            )),
            Err(e) => errors.push(("communes", e.to_string())),
        }
    }
    // Residences: in the current plans of the landlords involved.
    let residences: Vec<&str> = f
        .residences
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if !residences.is_empty() {
        let plans = super::current_plans(store)?;
        for line in residences {
            // « Résidence, Commune, Bailleur » (the landlord when two have one of that name),
            // « Résidence, Commune » or « Résidence ».
            let mut owner = None;
            let mut rest = line;
            if let Some((head, last)) = line.rsplit_once(',')
                && head.contains(',')
                && let Some(id) = index.find(last.trim()).filter(|id| landlords.contains(id))
            {
                owner = Some(id);
                rest = head;
            }
            let (name, commune) = match rest.rsplit_once(',') {
                Some((n, c)) => (n.trim(), Some(c.trim())),
                None => (rest, None),
            };
            let code = match commune.map(|c| geo.resolve(c, None)) {
                Some(Ok(c)) => Some(c.code.clone()),
                Some(Err(e)) => {
                    errors.push(("residences", format!("« {line} » : {e}")));
                    continue;
                }
                None => None,
            };
            let key = logis_domain::text::name_key(name);
            let found: Vec<(i64, &str, &logis_domain::plans::ResidencePlan)> = plans
                .iter()
                .filter(|(l, ..)| landlords.contains(l) && owner.is_none_or(|o| o == *l))
                .flat_map(|(l, n, _, rs)| rs.iter().map(move |r| (*l, n.as_str(), r)))
                .filter(|(_, _, r)| {
                    code.as_ref().is_none_or(|c| *c == r.commune)
                        && logis_domain::text::name_key(&r.residence) == key
                })
                .collect();
            match found.as_slice() {
                [(l, n, r)] => links.push(ActionLink {
                    kind: LinkKind::Residence,
                    target: format!("{l}/{}", residence_key(&r.commune, &r.residence)),
                    label: format!(
                        "{} ({}), {n}",
                        r.residence,
                        geo.commune(r.commune.as_str())
                            .map(|c| c.name.as_str())
                            .unwrap_or(r.commune.as_str())
                    ),
                }),
                [] => errors.push((
                    "residences",
                    format!("« {line} » : aucune résidence de ce nom dans les plans en vigueur des bailleurs de l'action"),
                )),
                _ => errors.push((
                    "residences",
                    format!("« {line} » : plusieurs résidences de ce nom ; ajoutez la commune et le bailleur (« Résidence, Commune, Bailleur »)"),
                )),
            }
        }
    }
    for reference in split_list(&f.operations) {
        let mut found = None;
        for l in &landlords {
            if let Some(id) = store.operation_id(*l, &reference)? {
                found = Some(id);
                break;
            }
        }
        match found {
            Some(id) => links.push(ActionLink {
                kind: LinkKind::Operation,
                target: id.to_string(),
                label: reference,
            }),
            None => errors.push((
                "operations",
                format!(
                    "opération « {reference} » inconnue au registre pour les bailleurs de l'action"
                ),
            )),
        }
    }
    for reference in split_list(&f.sites) {
        match store.site_id(&reference)? {
            Some(id) => links.push(ActionLink {
                kind: LinkKind::Site,
                target: id.to_string(),
                label: reference,
            }),
            None => errors.push(("sites", format!("site foncier « {reference} » inconnu"))),
        }
    }
    let origin: String = f.origin.trim().chars().take(500).collect();
    match (draft, lead) {
        (Some(draft), Some(lead)) if errors.is_empty() => Ok(Ok(NewAction {
            partnership: p.id,
            lead,
            draft,
            origin,
            links,
        })),
        _ => Ok(Err(errors)),
    }
}

/// Propose (`id` none) or change an action; its id, or every problem with its field. A change
/// keeps the action's status (the committee's decisions set it) and is refused to a landlord's
/// editor whose organisation neither leads it nor is involved in it.
pub fn save_action(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    id: Option<i64>,
    f: &ActionFields,
) -> Result<std::result::Result<i64, FieldErrors>> {
    let current = match id {
        None => None,
        Some(id) => {
            let a = store
                .actions()?
                .into_iter()
                .find(|a| a.id == id)
                .ok_or_else(|| logis_store::StoreError::NotFound(format!("action {id}")))?;
            if principal.role == Role::LandlordEditor {
                let org = principal.organisation_id.unwrap_or_default();
                if a.action.lead != org
                    && !a
                        .links(LinkKind::Landlord)
                        .any(|l| l.target == org.to_string())
                {
                    return Err(AppError::Invalid(
                        "seuls l'EPCI, le pilote et les bailleurs de l'action la modifient".into(),
                    ));
                }
            }
            Some(a)
        }
    };
    match resolve(
        store,
        principal,
        f,
        current.as_ref().map(|a| a.action.draft.status),
    )? {
        Ok(mut a) => {
            if let Some(c) = &current {
                a.origin = c.action.origin.clone();
            }
            Ok(Ok(store.save_action(actor, id, &a)?))
        }
        Err(e) => Ok(Err(e)),
    }
}

/// Record the steering committee's decision on an action (the EPCI): its date, its text, the
/// status it sets (empty: kept).
pub fn record_decision(
    store: &dyn Store,
    principal: &Principal,
    actor: &Actor,
    id: i64,
    date: &str,
    decision: &str,
    status: &str,
) -> Result<std::result::Result<i64, FieldErrors>> {
    if !matches!(principal.role, Role::Admin | Role::Agent) {
        return Err(AppError::Invalid(
            "seul l'EPCI enregistre les décisions du comité de pilotage".into(),
        ));
    }
    let a = store
        .actions()?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| logis_store::StoreError::NotFound(format!("action {id}")))?;
    match parse_decision(
        date,
        decision,
        status,
        a.action.draft.status,
        logis_store::audit::today(),
    ) {
        Ok(d) => Ok(Ok(store.add_decision(actor, id, &d)?)),
        Err(e) => Ok(Err(e)),
    }
}

/// The actions `principal` reads (of the partnerships it reads), with their progress.
pub fn actions_for(store: &dyn Store, principal: &Principal) -> Result<Vec<ActionView>> {
    let partnerships = store.partnerships()?;
    let orgs = store.organisations()?;
    let records: Vec<ActionRecord> = store
        .actions()?
        .into_iter()
        .filter(|a| {
            partnerships
                .iter()
                .any(|p| p.id == a.action.partnership && reads_actions(principal, p))
        })
        .collect();
    // Every linked operation's lines at once.
    let ids: Vec<i64> = records
        .iter()
        .flat_map(|a| a.links(LinkKind::Operation))
        .filter_map(|l| l.target.parse().ok())
        .collect();
    let mut lines: BTreeMap<i64, Vec<(i64, Option<logis_domain::register::vocab::Stage>, u32)>> =
        BTreeMap::new();
    if !ids.is_empty() {
        store.for_each_line(
            &logis_store::LineFilter {
                operations: Some(ids),
                ..Default::default()
            },
            &mut |l| {
                lines.entry(l.operation_id).or_default().push((
                    l.operation_id,
                    l.stage,
                    l.dwellings,
                ));
                Ok(())
            },
        )?;
    }
    Ok(records
        .into_iter()
        .map(|record| {
            let own: Vec<_> = record
                .links(LinkKind::Operation)
                .filter_map(|l| l.target.parse::<i64>().ok())
                .flat_map(|id| lines.get(&id).cloned().unwrap_or_default())
                .collect();
            ActionView {
                partnership: partnerships
                    .iter()
                    .find(|p| p.id == record.action.partnership)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                lead: orgs
                    .iter()
                    .find(|o| o.id == record.action.lead)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                progress: Progress::of(&own),
                record,
            }
        })
        .collect())
}

/// The actions' counts per theme and status (every action: what everyone reads).
pub fn action_counts(store: &dyn Store) -> Result<Vec<(&'static str, ActionStatus, u64)>> {
    let mut counts: BTreeMap<(usize, ActionStatus), u64> = BTreeMap::new();
    for a in store.actions()? {
        let theme = a.action.draft.kind.theme();
        let i = ActionKind::THEMES
            .iter()
            .position(|t| *t == theme)
            .unwrap_or(0);
        *counts.entry((i, a.action.draft.status)).or_default() += 1;
    }
    Ok(counts
        .into_iter()
        .map(|((i, s), n)| (ActionKind::THEMES.get(i).copied().unwrap_or(""), s, n))
        .collect())
}

/// The columns of the committee's sheets (and of the actions' CSV).
pub const ACTION_COLUMNS: &[&str] = &[
    "action",
    "partenariat",
    "type",
    "statut",
    "pilote",
    "bailleurs",
    "communes",
    "annees",
    "residences",
    "operations",
    "sites",
    "avancement",
    "derniere_decision",
];

fn action_row(a: &ActionView) -> Vec<Cell> {
    let d = &a.record.action.draft;
    vec![
        Cell::text(d.title.clone()),
        Cell::text(a.partnership.clone()),
        Cell::text(d.kind.label()),
        Cell::text(d.status.label()),
        Cell::text(a.lead.clone()),
        Cell::text(a.named(LinkKind::Landlord)),
        Cell::text(a.named(LinkKind::Commune)),
        Cell::text(a.years()),
        Cell::text(a.named(LinkKind::Residence)),
        Cell::text(a.named(LinkKind::Operation)),
        Cell::text(a.named(LinkKind::Site)),
        Cell::text(a.progress.describe()),
        Cell::text(a.last_decision()),
    ]
}

/// The committee's workbook: one report per theme (the themes without action left out), the
/// actions `principal` reads of `partnership` (none: of every partnership it reads).
pub fn committee_sheets(
    store: &dyn Store,
    principal: &Principal,
    partnership: Option<i64>,
) -> Result<Vec<(&'static str, Report)>> {
    let actions: Vec<ActionView> = actions_for(store, principal)?
        .into_iter()
        .filter(|a| partnership.is_none_or(|p| a.record.action.partnership == p))
        .collect();
    let scope = match partnership {
        Some(_) => actions
            .first()
            .map(|a| format!("partenariat : {}", a.partnership))
            .unwrap_or_default(),
        None => "tous les partenariats".to_string(),
    };
    let mut out = Vec::new();
    for theme in ActionKind::THEMES {
        let rows: Vec<Vec<Cell>> = actions
            .iter()
            .filter(|a| a.record.action.draft.kind.theme() == *theme)
            .map(action_row)
            .collect();
        if rows.is_empty() {
            continue;
        }
        out.push((
            *theme,
            Report {
                name: "plan-actions",
                title: format!("Plan d'actions conjoint — {theme}"),
                scope: scope.clone(),
                notes: vec![
                    "Avancement : les logements des opérations liées au registre, par stade (en travaux ou plus, livrés).".into(),
                ],
                long_columns: ACTION_COLUMNS.to_vec(),
                grid: Grid {
                    groups: Vec::new(),
                    header: [
                        "Action", "Partenariat", "Type", "Statut", "Pilote", "Bailleurs",
                        "Communes", "Années", "Résidences", "Opérations", "Sites fonciers",
                        "Avancement", "Dernière décision",
                    ]
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
                    row_header_columns: 1,
                    rows: rows
                        .iter()
                        .map(|r| GridRow {
                            kind: RowKind::Detail,
                            cells: r.clone(),
                        })
                        .collect(),
                },
                long_rows: rows,
            },
        ));
    }
    Ok(out)
}

/// A proposed action's form from a finding of the cross-analysis (`section`: lacune,
/// chevauchement or coherence; the residence's landlord, name and commune as the analysis writes
/// them). Its partnership is the first one `principal` writes in whose members the landlord is.
pub fn proposal(
    store: &dyn Store,
    principal: &Principal,
    section: &str,
    landlord: &str,
    residence: &str,
    commune: &str,
) -> Result<ActionFields> {
    let plans = super::current_plans(store)?;
    let geo = store.geography()?;
    let commune_code = geo.resolve(commune, None).ok().map(|c| c.code.clone());
    let Some((landlord_id, landlord_name, version, residences)) =
        plans.iter().find(|(_, n, ..)| n == landlord.trim())
    else {
        return Err(AppError::Invalid(format!(
            "bailleur « {landlord} » : aucun plan en vigueur"
        )));
    };
    let r = residences.iter().find(|r| {
        r.residence == residence.trim() && commune_code.as_ref().is_none_or(|c| *c == r.commune)
    });
    let partnership = store
        .partnerships()?
        .into_iter()
        .find(|p| p.members.contains(landlord_id) && writes_actions(principal, p))
        .map(|p| p.name)
        .unwrap_or_default();
    let mut f = ActionFields {
        partnership,
        lead: landlord_name.clone(),
        landlords: vec![landlord_name.clone()],
        communes: commune.trim().to_string(),
        status: ActionStatus::Proposed.code().into(),
        ..Default::default()
    };
    let line = |r: &logis_domain::plans::ResidencePlan| {
        format!(
            "{}, {}",
            r.residence,
            geo.commune(r.commune.as_str())
                .map(|c| c.name.as_str())
                .unwrap_or(r.commune.as_str())
        )
    };
    match (section, r) {
        ("lacune", Some(r)) => {
            let ban = logis_domain::plans::exposed_from(r).unwrap_or_default();
            f.title = format!("Réhabiliter {} avant {ban}", r.residence);
            f.kind = ActionKind::CoordinatedRehabilitation.code().into();
            f.residences = line(r);
            f.first_year = r.start.unwrap_or(ban - 1).min(ban - 1).to_string();
            f.last_year = (ban - 1).to_string();
            f.origin = format!(
                "lacune : {} ({} logements, étiquette {}) interdite à la location au 1er janvier {ban} selon le PSP {version} de {landlord_name}",
                r.residence,
                r.dwellings,
                r.label.map(|l| l.code()).unwrap_or("")
            );
        }
        ("chevauchement", Some(r)) => {
            // Every residence of the overlap: the quartier's demolitions and restructurings.
            let quartier = r.quartier.clone().unwrap_or_default();
            let slices: Vec<(i64, &[logis_domain::plans::ResidencePlan])> = plans
                .iter()
                .map(|(id, _, _, rs)| (*id, rs.as_slice()))
                .collect();
            let o = logis_domain::plans::overlaps(&slices)
                .into_iter()
                .find(|o| {
                    o.residences.iter().any(|(l, i)| {
                        *l == *landlord_id
                            && residences
                                .get(*i)
                                .is_some_and(|x| x.residence == r.residence)
                    })
                });
            let mut names = Vec::new();
            let mut lines = Vec::new();
            if let Some(o) = &o {
                for (l, i) in &o.residences {
                    if let Some((_, n, _, rs)) = plans.iter().find(|(id, ..)| id == l) {
                        if !names.contains(n) {
                            names.push(n.clone());
                        }
                        if let Some(x) = rs.get(*i) {
                            lines.push(format!("{}, {n}", line(x)));
                        }
                    }
                }
                f.first_year = o.from.to_string();
                f.last_year = o.to.to_string();
                f.origin = format!(
                    "chevauchement : {} logements à libérer dans le quartier {} de {} à {}",
                    o.dwellings, o.quartier, o.from, o.to
                );
            }
            f.title = format!("Relogements coordonnés du quartier {quartier}");
            f.kind = ActionKind::Relocation.code().into();
            f.landlords = names;
            f.residences = lines.join("\n");
        }
        ("coherence", Some(r)) => {
            f.title = format!("Programmer la réhabilitation de {}", r.residence);
            f.kind = ActionKind::Study.code().into();
            f.residences = line(r);
            f.first_year = r.start.map(|y| y.to_string()).unwrap_or_default();
            f.last_year = r.end.map(|y| y.to_string()).unwrap_or_default();
            f.origin = format!(
                "cohérence : le PSP {version} de {landlord_name} prévoit de réhabiliter {} sans opération au registre",
                r.residence
            );
        }
        _ => {
            f.title = format!("Action sur {}", residence.trim());
            f.kind = ActionKind::Study.code().into();
            f.origin = format!("{section} : {} ({landlord_name})", residence.trim());
        }
    }
    f.detail = f.origin.clone();
    Ok(f)
}
