//! Identifiers and quantities with fallible constructors: once built, they are valid.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused. The message is French and shown to users as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid(msg: impl Into<String>) -> Invalid {
    Invalid(msg.into())
}

/// An INSEE commune code: 5 characters, two for the department (digits, `2A`, `2B`), three digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommuneCode(String);

impl CommuneCode {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let ok = b.len() == 5
            && (b.get(..2).is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                || s.starts_with("2A")
                || s.starts_with("2B"))
            && b.get(2..).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
        if ok {
            Ok(Self(s))
        } else {
            Err(invalid(format!(
                "code commune INSEE invalide « {s} » (5 caractères attendus, ex. 59183)"
            )))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The department code ("59", "2A", "971").
    pub fn department(&self) -> &str {
        if self.0.starts_with("97") {
            &self.0[..3]
        } else {
            &self.0[..2]
        }
    }
}

impl TryFrom<String> for CommuneCode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}
impl From<CommuneCode> for String {
    fn from(c: CommuneCode) -> String {
        c.0
    }
}
impl fmt::Display for CommuneCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SIREN: 9 digits with a valid Luhn checksum (spaces allowed when typed: "245 900 428").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siren(String);

impl Siren {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let digits: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
            .collect();
        if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!(
                "SIREN invalide « {} » : 9 chiffres attendus",
                s.trim()
            )));
        }
        if !luhn(&digits) {
            return Err(invalid(format!(
                "SIREN invalide « {} » : clé de contrôle incorrecte",
                s.trim()
            )));
        }
        Ok(Self(digits))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A SIRET (an establishment of a company): 14 digits, a valid SIREN and a valid Luhn key over
/// the 14 (La Poste's establishments, SIREN 356 000 000, have digits adding up to a multiple of 5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);

impl Siret {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let digits: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
            .collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!(
                "SIRET invalide « {} » : 14 chiffres attendus",
                s.trim()
            )));
        }
        let la_poste = digits.starts_with("356000000");
        let ok = if la_poste {
            digits
                .bytes()
                .map(|b| u32::from(b - b'0'))
                .sum::<u32>()
                .is_multiple_of(5)
        } else {
            digits.get(..9).is_some_and(luhn) && luhn(&digits)
        };
        if !ok {
            return Err(invalid(format!(
                "SIRET invalide « {} » : clé de contrôle incorrecte",
                s.trim()
            )));
        }
        Ok(Self(digits))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Siret {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Siret::parse(&s)
    }
}
impl From<Siret> for String {
    fn from(s: Siret) -> String {
        s.0
    }
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl TryFrom<String> for Siren {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}
impl From<Siren> for String {
    fn from(c: Siren) -> String {
        c.0
    }
}
impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A number of dwellings: a whole number greater than zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct UnitCount(u32);

impl UnitCount {
    pub const MAX: u32 = 100_000;
    pub fn new(n: i64) -> Result<Self, Invalid> {
        if n <= 0 {
            Err(invalid(format!(
                "nombre de logements invalide « {n} » : un nombre entier supérieur à 0 est attendu"
            )))
        } else if n > i64::from(Self::MAX) {
            Err(invalid(format!(
                "nombre de logements invraisemblable « {n} » (au plus {} par ligne)",
                Self::MAX
            )))
        } else {
            Ok(Self(n as u32))
        }
    }
    pub fn get(self) -> u32 {
        self.0
    }
}
impl TryFrom<u32> for UnitCount {
    type Error = Invalid;
    fn try_from(n: u32) -> Result<Self, Invalid> {
        Self::new(i64::from(n))
    }
}
impl From<UnitCount> for u32 {
    fn from(c: UnitCount) -> u32 {
        c.0
    }
}

/// A programming year, between 1950 and 2100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
pub struct Year(i32);

impl Year {
    pub fn new(y: i64) -> Result<Self, Invalid> {
        if (1950..=2100).contains(&y) {
            Ok(Self(y as i32))
        } else {
            Err(invalid(format!(
                "année invalide « {y} » : une année entre 1950 et 2100 est attendue"
            )))
        }
    }
    pub fn get(self) -> i32 {
        self.0
    }
}
impl TryFrom<i32> for Year {
    type Error = Invalid;
    fn try_from(y: i32) -> Result<Self, Invalid> {
        Self::new(i64::from(y))
    }
}
impl From<Year> for i32 {
    fn from(y: Year) -> i32 {
        y.0
    }
}

/// An amount in euros, held in cents, never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Euros(i64);

impl Euros {
    /// Largest amount accepted: ten billion euros.
    pub const MAX_CENTS: i64 = 1_000_000_000_000;
    pub fn from_cents(c: i64) -> Result<Self, Invalid> {
        if c < 0 {
            Err(invalid("montant négatif refusé"))
        } else if c > Self::MAX_CENTS {
            Err(invalid(
                "montant invraisemblable (plus de 10 milliards d'euros)",
            ))
        } else {
            Ok(Self(c))
        }
    }
    pub fn cents(self) -> i64 {
        self.0
    }
    /// French plain form for exports: "1234567,89" (no thousands separator, decimal comma).
    pub fn to_plain_fr(self) -> String {
        let (e, c) = (self.0 / 100, self.0 % 100);
        if c == 0 {
            e.to_string()
        } else {
            format!("{e},{c:02}")
        }
    }
    /// French display form: "1 234 567,89 €".
    pub fn to_display_fr(self) -> String {
        let (e, c) = (self.0 / 100, self.0 % 100);
        let grouped = crate::numbers::group_thousands(e);
        if c == 0 {
            format!("{grouped} €")
        } else {
            format!("{grouped},{c:02} €")
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn commune_codes() {
        assert!(CommuneCode::parse("59183").is_ok());
        assert_eq!(
            CommuneCode::parse("2a004").map(|c| c.to_string()),
            Ok("2A004".to_string())
        );
        assert_eq!(
            CommuneCode::parse("97101").map(|c| c.department().to_string()),
            Ok("971".into())
        );
        assert!(CommuneCode::parse("5918").is_err());
        assert!(CommuneCode::parse("59A83").is_err());
        assert!(CommuneCode::parse("").is_err());
    }

    #[test]
    fn sirens_are_checked() {
        // The CUD (glossary) and La Poste's famous exception aside, Luhn holds.
        assert!(Siren::parse("245900428").is_ok());
        assert!(Siren::parse("245 900 428").is_ok());
        assert!(Siren::parse("245900429").is_err());
        assert!(Siren::parse("24590042").is_err());
        assert!(Siren::parse("abcdefghi").is_err());
    }

    #[test]
    fn counts_years_euros() {
        assert!(UnitCount::new(0).is_err());
        assert!(UnitCount::new(-3).is_err());
        assert_eq!(UnitCount::new(12).map(UnitCount::get), Ok(12));
        assert!(Year::new(1949).is_err());
        assert!(Year::new(2034).is_ok());
        assert!(Euros::from_cents(-1).is_err());
        assert_eq!(
            Euros::from_cents(123_456_789).map(Euros::to_plain_fr),
            Ok("1234567,89".into())
        );
        assert_eq!(
            Euros::from_cents(1_062_545_800).map(Euros::to_display_fr),
            Ok("10\u{202f}625\u{202f}458 €".into())
        );
    }
}
