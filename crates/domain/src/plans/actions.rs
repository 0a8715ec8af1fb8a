//! The partnership's joint action plan (issue 22): actions with a type, a status, years and a
//! description, proposed by hand or from a finding of the cross-analysis; the steering
//! committee's decisions (a date, the decision, the status it sets); an action's progress from
//! its linked operations' stages in the register. Pure: what an action names (partnership,
//! landlords, residences, operations, land sites) is resolved by the application.

use crate::numbers::{parse_integer, parse_past_date};
use crate::register::vocab::{Stage, vocabulary};
use crate::text::{form_text, name_key};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

vocabulary! {
    /// What an action does.
    ActionKind, "type d'action" {
        CoordinatedRehabilitation => "rehabilitation_coordonnee", "Réhabilitation coordonnée", ["rehabilitation", "rehabilitation coordonnee"];
        Relocation => "relogement_inter_bailleurs", "Relogement inter-bailleurs", ["relogement", "relogement inter bailleurs"];
        Exchange => "echange_patrimoine", "Échange de patrimoine", ["echange", "echange de patrimoine"];
        Sale => "vente", "Vente", ["cession"];
        DemolitionReconstruction => "demolition_reconstruction", "Démolition-reconstruction", ["demolition", "demolition reconstruction", "renouvellement"];
        Study => "etude", "Étude", ["etudes", "diagnostic"];
        Other => "autre", "Autre", [];
    }
}

vocabulary! {
    /// Where an action stands.
    ActionStatus, "statut" {
        Proposed => "proposee", "Proposée", ["propose", "proposition"];
        Validated => "validee", "Validée en comité", ["valide", "validee en comite"];
        Committed => "engagee", "Engagée", ["engage", "en cours"];
        Done => "realisee", "Réalisée", ["realise", "terminee"];
        Abandoned => "abandonnee", "Abandonnée", ["abandon", "abandonne"];
    }
}

impl ActionKind {
    /// The committee's theme (one sheet of its workbook each).
    pub fn theme(self) -> &'static str {
        match self {
            ActionKind::CoordinatedRehabilitation => "Réhabilitation",
            ActionKind::Relocation => "Relogement",
            ActionKind::Exchange | ActionKind::Sale => "Patrimoine",
            ActionKind::DemolitionReconstruction => "Renouvellement",
            ActionKind::Study | ActionKind::Other => "Études et autres",
        }
    }
    /// The themes, in the workbook's order.
    pub const THEMES: &'static [&'static str] = &[
        "Réhabilitation",
        "Relogement",
        "Patrimoine",
        "Renouvellement",
        "Études et autres",
    ];
}

impl ActionStatus {
    /// A realised or abandoned action is closed: no decision changes its status any more.
    pub fn is_closed(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::Abandoned)
    }
}

/// An action's own fields, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionDraft {
    pub title: String,
    pub kind: ActionKind,
    pub status: ActionStatus,
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    pub detail: String,
}

/// The form's values of an action's own fields.
#[derive(Debug, Clone, Default)]
pub struct ActionForm<'a> {
    pub title: &'a str,
    pub kind: &'a str,
    pub status: &'a str,
    pub first_year: &'a str,
    pub last_year: &'a str,
    pub detail: &'a str,
}

/// Problems as (field, French message).
pub type FieldErrors = Vec<(&'static str, String)>;

fn year(errors: &mut FieldErrors, field: &'static str, v: &str) -> Option<i32> {
    let t = v.trim();
    if t.is_empty() {
        return None;
    }
    match parse_integer(t).and_then(|y| i32::try_from(y).ok()) {
        Some(y) if (2000..=2100).contains(&y) => Some(y),
        _ => {
            errors.push((
                field,
                format!("année « {t} » : entre 2000 et 2100 attendue"),
            ));
            None
        }
    }
}

/// An action's own fields from its form (an empty status: proposée), or every problem.
pub fn parse_action(f: &ActionForm<'_>) -> Result<ActionDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = form_text(&mut errors, "titre", f.title, 200, true);
    let detail = form_text(&mut errors, "detail", f.detail, 4000, false);
    let kind = ActionKind::parse(f.kind)
        .map_err(|e| errors.push(("type", e.0)))
        .ok();
    let status = match f.status.trim() {
        "" => Some(ActionStatus::Proposed),
        s => ActionStatus::parse(s)
            .map_err(|e| errors.push(("statut", e.0)))
            .ok(),
    };
    let first_year = year(&mut errors, "annee_debut", f.first_year);
    let last_year = year(&mut errors, "annee_fin", f.last_year);
    if let (Some(a), Some(b)) = (first_year, last_year)
        && b < a
    {
        errors.push((
            "annee_fin",
            format!("année de fin {b} antérieure à l'année de début {a}"),
        ));
    }
    match (kind, status) {
        (Some(kind), Some(status)) if errors.is_empty() => Ok(ActionDraft {
            title,
            kind,
            status,
            first_year,
            last_year,
            detail,
        }),
        _ => Err(errors),
    }
}

/// A decision of the steering committee on an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub date: NaiveDate,
    pub decision: String,
    /// The status it sets (none: the action's status is kept).
    pub status: Option<ActionStatus>,
}

/// A decision from its form, on an action now at `current` (`today`: a later date is refused;
/// a closed action's status no longer changes), or every problem.
pub fn parse_decision(
    date: &str,
    decision: &str,
    status: &str,
    current: ActionStatus,
    today: NaiveDate,
) -> Result<Decision, FieldErrors> {
    let mut errors = FieldErrors::new();
    let text = form_text(&mut errors, "decision", decision, 4000, true);
    let date = match parse_past_date(date, today, "décision") {
        Ok(None) => {
            errors.push(("date", "valeur obligatoire manquante".to_string()));
            None
        }
        Ok(d) => d,
        Err(m) => {
            errors.push(("date", m));
            None
        }
    };
    let status = match status.trim() {
        "" => None,
        s => match ActionStatus::parse(s) {
            Ok(s) if s == current => None,
            Ok(s) if current.is_closed() => {
                errors.push((
                    "statut",
                    format!(
                        "l'action est « {} » : son statut ne change plus (demandé : « {} »)",
                        current.label(),
                        s.label()
                    ),
                ));
                None
            }
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(("statut", e.0));
                None
            }
        },
    };
    match date {
        Some(date) if errors.is_empty() => Ok(Decision {
            date,
            decision: text,
            status,
        }),
        _ => Err(errors),
    }
}

/// An action's progress from its linked operations' lines in the register.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub operations: usize,
    pub dwellings: u64,
    /// Dwellings whose works started (or later).
    pub started: u64,
    /// Dwellings delivered (or closed).
    pub delivered: u64,
}

impl Progress {
    /// From the linked operations' lines: (operation, stage, dwellings).
    pub fn of(lines: &[(i64, Option<Stage>, u32)]) -> Progress {
        let mut ops: Vec<i64> = lines.iter().map(|l| l.0).collect();
        ops.sort_unstable();
        ops.dedup();
        let mut p = Progress {
            operations: ops.len(),
            ..Default::default()
        };
        for (_, stage, n) in lines {
            let n = u64::from(*n);
            p.dwellings += n;
            if matches!(
                stage,
                Some(Stage::WorksStarted | Stage::Delivered | Stage::Closed)
            ) {
                p.started += n;
            }
            if matches!(stage, Some(Stage::Delivered | Stage::Closed)) {
                p.delivered += n;
            }
        }
        p
    }

    /// In French, as the committee reads it.
    pub fn describe(&self) -> String {
        if self.operations == 0 {
            return "aucune opération liée".to_string();
        }
        let pct = |n: u64| (n * 100).checked_div(self.dwellings).unwrap_or(0);
        format!(
            "{} opération(s), {} logements : {} en travaux ou plus ({} %), {} livrés ({} %)",
            self.operations,
            self.dwellings,
            self.started,
            pct(self.started),
            self.delivered,
            pct(self.delivered)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form<'a>(title: &'a str, kind: &'a str, a: &'a str, b: &'a str) -> ActionForm<'a> {
        ActionForm {
            title,
            kind,
            first_year: a,
            last_year: b,
            ..Default::default()
        }
    }

    fn fields(r: Result<impl std::fmt::Debug, FieldErrors>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .iter()
            .map(|(f, _)| *f)
            .collect()
    }

    #[test]
    fn an_action_is_proposed_by_default_and_its_years_are_checked() {
        let a = parse_action(&form(
            "Réhabiliter Les Tilleuls",
            "réhabilitation",
            "2026",
            "2028",
        ));
        assert!(matches!(
            a,
            Ok(ActionDraft {
                kind: ActionKind::CoordinatedRehabilitation,
                status: ActionStatus::Proposed,
                first_year: Some(2026),
                ..
            })
        ));
        let e = parse_action(&form("", "peinture", "2030", "2027"));
        assert_eq!(fields(e), ["titre", "type", "annee_fin"]);
        assert!(parse_action(&form("x", "etude", "1999", "")).is_err());
    }

    #[test]
    fn a_closed_action_keeps_its_status() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap_or_default();
        let d = parse_decision(
            "12/11/2026",
            "Validée",
            "validee",
            ActionStatus::Proposed,
            today,
        );
        assert!(matches!(
            d,
            Ok(Decision {
                status: Some(ActionStatus::Validated),
                ..
            })
        ));
        let e = parse_decision(
            "12/11/2026",
            "Reprise",
            "engagee",
            ActionStatus::Abandoned,
            today,
        );
        assert_eq!(fields(e), ["statut"]);
        assert!(parse_decision("12/12/2026", "x", "", ActionStatus::Proposed, today).is_err());
        assert!(parse_decision("12/11/2026", " ", "", ActionStatus::Proposed, today).is_err());
    }

    #[test]
    fn progress_counts_dwellings_by_stage() {
        let p = Progress::of(&[
            (1, Some(Stage::Delivered), 40),
            (1, Some(Stage::WorksStarted), 20),
            (2, Some(Stage::Programmed), 40),
        ]);
        assert_eq!(
            (p.operations, p.dwellings, p.started, p.delivered),
            (2, 100, 60, 40)
        );
        assert!(p.describe().contains("40 livrés (40 %)"));
    }
}
