//! A local settlement charter (issue 21): for a quartier, with its partners, a status (à
//! élaborer, en cours, signée on a date, suivie), objectives and the occupancy indicators it
//! follows. The seed's indicator is the count of charters signed per year.

use crate::CommuneCode;
use crate::numbers::parse_past_date;
use crate::register::vocab::vocabulary;
use crate::settlement::occupancy::Indicator;
use crate::text::{form_text, name_key};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

vocabulary! {
    /// Where a charter stands.
    CharterStatus, "statut" {
        ToDraft => "a_elaborer", "À élaborer", ["a elaborer", "projet"];
        Drafting => "en_cours", "En cours d'élaboration", ["en cours", "elaboration"];
        Signed => "signee", "Signée", ["signe", "signée"];
        Followed => "suivie", "Signée et suivie", ["suivi", "en suivi"];
    }
}

/// A charter as its form gives it, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharterDraft {
    pub commune: CommuneCode,
    /// The quartier's code or name (as the occupancy survey writes it).
    pub quartier: String,
    pub title: String,
    pub partners: String,
    pub status: CharterStatus,
    /// The signature's date (signed and followed charters have one).
    pub signed: Option<NaiveDate>,
    pub objectives: String,
    pub indicators: Vec<Indicator>,
}

/// The form's values of a charter.
#[derive(Debug, Clone, Default)]
pub struct CharterForm<'a> {
    pub commune: &'a str,
    pub quartier: &'a str,
    pub title: &'a str,
    pub partners: &'a str,
    pub status: &'a str,
    pub signed: &'a str,
    pub objectives: &'a str,
    /// Indicator codes.
    pub indicators: Vec<&'a str>,
}

/// A charter from its form (`today`: a signature later is refused), or every problem as
/// (field, French message).
pub fn parse_charter(
    f: &CharterForm<'_>,
    geo: &crate::reference::Geography,
    today: NaiveDate,
) -> Result<CharterDraft, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let quartier = form_text(&mut errors, "quartier", f.quartier, 80, true);
    let title = form_text(&mut errors, "titre", f.title, 200, true);
    let partners = form_text(&mut errors, "partenaires", f.partners, 1000, false);
    let objectives = form_text(&mut errors, "objectifs", f.objectives, 4000, false);
    let commune = match geo.resolve(f.commune.trim(), None) {
        Ok(c) => Some(c.code.clone()),
        Err(e) => {
            errors.push(("commune", e.to_string()));
            None
        }
    };
    let status = CharterStatus::parse(f.status)
        .map_err(|e| errors.push(("statut", e.0)))
        .ok();
    let signed = parse_past_date(f.signed, today, "signature")
        .map_err(|m| errors.push(("signature", m)))
        .ok()
        .flatten();
    if matches!(
        status,
        Some(CharterStatus::Signed | CharterStatus::Followed)
    ) && signed.is_none()
    {
        errors.push((
            "signature",
            "une charte signée a une date de signature".to_string(),
        ));
    }
    if matches!(
        status,
        Some(CharterStatus::ToDraft | CharterStatus::Drafting)
    ) && signed.is_some()
    {
        errors.push((
            "signature",
            "une charte pas encore signée n'a pas de date de signature".to_string(),
        ));
    }
    let mut indicators = Vec::new();
    for code in &f.indicators {
        match Indicator::ALL.iter().find(|i| i.code() == code.trim()) {
            Some(i) if !indicators.contains(i) => indicators.push(*i),
            Some(_) => {}
            None => errors.push(("indicateurs", format!("indicateur inconnu « {code} »"))),
        }
    }
    match (commune, status) {
        (Some(commune), Some(status)) if errors.is_empty() => Ok(CharterDraft {
            commune,
            quartier,
            title,
            partners,
            status,
            signed,
            objectives,
            indicators,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_charter_needs_its_date() {
        let geo = crate::reference::Geography::new(
            vec![crate::Commune {
                code: CommuneCode::parse("59183").unwrap_or_else(|e| unreachable!("{e:?}")),
                name: "Dunkerque".into(),
                department: "59".into(),
                population: None,
                epci: None,
            }],
            vec![],
            vec![],
        );
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap_or_default();
        let mut f = CharterForm {
            commune: "59183",
            quartier: "QN05904M",
            title: "Charte de peuplement de l'Île Jeanty",
            status: "signee",
            indicators: vec!["sous_20_pct", "inconnu"],
            ..Default::default()
        };
        let e = parse_charter(&f, &geo, today).err().unwrap_or_default();
        let fields: Vec<&str> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["signature", "indicateurs"]);
        f.signed = "12/06/2025";
        f.indicators = vec!["sous_20_pct"];
        let c = parse_charter(&f, &geo, today).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(c.indicators, vec![Indicator::Under20]);
    }
}
