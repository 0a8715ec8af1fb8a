//! The land bank of a partnership (issue 16, first part): a site's cadastral parcels, its owner,
//! and the steps of its life. The EPCI identifies land, proposes it to the landlords, allocates it
//! to one of them without competition; the operations built on it come from the register.
//! (The store, pages and reports of the capability are to come: see ARCHITECTURE.md.)

use crate::register::vocab::vocabulary;
use crate::text::name_key;
use serde::{Deserialize, Serialize};

/// A cadastral parcel as the land registry writes it: an optional 3-digit prefix (the former
/// commune's, `000` when none), a section of one or two letters or digits, a number of one to
/// four digits — `000 AB 0123`, `AB 123`, `AB0123`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Parcel {
    prefix: String,
    section: String,
    number: u16,
}

impl Parcel {
    /// Read a parcel reference; the French error says what is expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "référence cadastrale illisible « {} » (attendu : section et numéro, par exemple « 000 AB 0123 » ou « AB 123 »)",
                text.trim()
            )
        };
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if compact.is_empty() || !compact.is_ascii() {
            return Err(bad());
        }
        // The number: the trailing digits (1 to 4).
        let digits = compact.bytes().rev().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let split = compact.len() - digits;
        let (head, number) = compact.split_at(split);
        let number = number.trim_start_matches('0');
        let number: u16 = if number.is_empty() {
            0
        } else if number.len() <= 4 {
            number.parse().map_err(|_| bad())?
        } else {
            return Err(bad());
        };
        if number == 0 {
            return Err(bad());
        }
        // The section: the letters (or letters and digits) before it, after an optional prefix
        // of three digits.
        let (prefix, section) = match head.len() {
            0 => return Err(bad()),
            1 | 2 => ("000", head),
            4 | 5 if head.as_bytes().iter().take(3).all(u8::is_ascii_digit) => head.split_at(3),
            _ => return Err(bad()),
        };
        let ok_section = section.bytes().all(|b| b.is_ascii_alphanumeric())
            && section.bytes().any(|b| b.is_ascii_alphabetic());
        if !ok_section {
            return Err(bad());
        }
        Ok(Parcel {
            prefix: prefix.to_string(),
            // (A one-character section is written with a leading zero: « A » is « 0A ».)
            section: format!("{section:0>2}"),
            number,
        })
    }

    /// As the land registry writes it: `000 AB 0123`.
    pub fn text(&self) -> String {
        format!("{} {} {:04}", self.prefix, self.section, self.number)
    }
}

impl std::fmt::Display for Parcel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// The parcels of a site as an import cell writes them, separated by `|`: each one read, the
/// same parcel once; the first bad one is the error.
pub fn parse_parcels(cell: &str) -> Result<Vec<Parcel>, String> {
    let mut out: Vec<Parcel> = Vec::new();
    for part in cell.split('|').map(str::trim).filter(|p| !p.is_empty()) {
        let p = Parcel::parse(part)?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    if out.is_empty() {
        return Err(
            "aucune parcelle : donnez au moins une référence cadastrale (séparées par « | »)"
                .into(),
        );
    }
    Ok(out)
}

vocabulary! {
    /// Who owns a site.
    LandOwner, "propriétaire" {
        Epci => "epci", "EPCI", ["communaute urbaine", "intercommunalite", "cud"];
        Commune => "commune", "Commune", ["ville", "mairie"];
        LandAgency => "epf", "Établissement public foncier", ["etablissement public foncier", "epf nord pas de calais"];
        State => "etat", "État", [];
        Landlord => "bailleur", "Bailleur social", ["bailleur social"];
        Private => "prive", "Privé", ["particulier", "societe"];
    }
}

vocabulary! {
    /// The steps of a site's life.
    SiteStatus, "statut du foncier" {
        Identified => "identifie", "Identifié", [];
        Proposed => "propose", "Proposé aux bailleurs", ["propose"];
        Interests => "interets", "Intérêts exprimés", ["interets exprimes", "interet"];
        Allocated => "attribue", "Attribué à un bailleur", ["attribue"];
        Sold => "cede", "Cédé", ["cession", "vendu"];
        Launched => "operation_lancee", "Opération lancée", ["operation lancee", "lance"];
        Abandoned => "abandonne", "Abandonné", ["abandon"];
    }
}

impl SiteStatus {
    /// Whether a site may go from `self` to `next`: forward along its life (a step may be
    /// skipped: land already wanted is allocated at once), back from an allocation withdrawn to
    /// the interests, and to « abandonné » from any step before the operation.
    pub fn may_become(self, next: SiteStatus) -> bool {
        use SiteStatus::*;
        let rank = |s: SiteStatus| match s {
            Identified => 0,
            Proposed => 1,
            Interests => 2,
            Allocated => 3,
            Sold => 4,
            Launched => 5,
            Abandoned => 6,
        };
        match (self, next) {
            (Abandoned, _) | (Launched, _) => false,
            (_, Abandoned) => true,
            (Allocated, Interests) | (Allocated, Proposed) => true,
            (a, b) => rank(b) > rank(a),
        }
    }

    /// The French refusal of a step that is not allowed.
    pub fn refusal(self, next: SiteStatus) -> String {
        format!(
            "un foncier « {} » ne peut pas passer à « {} »",
            self.label(),
            next.label()
        )
    }
}

/// The comparison key of a site's identifier (as users retype it).
pub fn site_key(id: &str) -> String {
    name_key(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parcel(s: &str) -> String {
        Parcel::parse(s).map(|p| p.text()).unwrap_or_else(|e| e)
    }

    #[test]
    fn parcels_as_the_land_registry_writes_them() {
        assert_eq!(parcel("000 AB 0123"), "000 AB 0123");
        assert_eq!(parcel("AB 123"), "000 AB 0123");
        assert_eq!(parcel("ab0123"), "000 AB 0123");
        assert_eq!(parcel("123 C 7"), "123 0C 0007");
        assert_eq!(parcel("0A 12"), "000 0A 0012");
        assert_eq!(Parcel::parse("A 12"), Parcel::parse("0A 12"));
        for bad in [
            "",
            "AB",
            "123",
            "AB 12345",
            "ABC 12",
            "AB 0",
            "1234 AB 1",
            "É 12",
            "12 34",
        ] {
            assert!(
                parcel(bad).starts_with("référence cadastrale illisible"),
                "{bad}: {}",
                parcel(bad)
            );
        }
        assert_eq!(
            parse_parcels("000 AB 0123 | AB 124|AB 123").map(|v| v.len()),
            Ok(2)
        );
        assert!(parse_parcels(" | ").is_err_and(|e| e.starts_with("aucune parcelle")));
        assert!(parse_parcels("AB 1 | rue du Port").is_err_and(|e| e.contains("rue du Port")));
    }

    #[test]
    fn a_site_moves_forward_or_is_abandoned() {
        use SiteStatus::*;
        assert!(Identified.may_become(Proposed));
        assert!(Proposed.may_become(Allocated));
        assert!(Allocated.may_become(Interests), "an allocation withdrawn");
        assert!(Allocated.may_become(Sold));
        assert!(Sold.may_become(Launched));
        assert!(Interests.may_become(Abandoned));
        assert!(!Launched.may_become(Abandoned));
        assert!(!Abandoned.may_become(Proposed));
        assert!(!Sold.may_become(Allocated));
        assert_eq!(
            Sold.refusal(Allocated),
            "un foncier « Cédé » ne peut pas passer à « Attribué à un bailleur »"
        );
        assert_eq!(SiteStatus::parse("Attribué"), Ok(Allocated));
        assert_eq!(LandOwner::parse("EPF"), Ok(LandOwner::LandAgency));
    }
}
