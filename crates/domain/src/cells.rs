//! One row of a file as the domain reads it: its cells by column, and the checks every reader
//! of a capability's rows shares (a required value, a bounded text, a count, an amount in euros, a
//! commune of the territory), each refusal a French message naming its column.

use crate::codes::Euros;
use crate::numbers::{parse_amount_cents, parse_integer};

/// The cells of one row, by column (absent column or empty cell: `None`).
#[derive(Debug, Default, Clone)]
pub struct Cells<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Cells<'a> {
    pub fn set(&mut self, column: &'a str, value: Option<&'a str>) {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            self.0.push((column, v));
        }
    }
    pub fn get(&self, column: &str) -> Option<&'a str> {
        self.0.iter().find(|(c, _)| *c == column).map(|(_, v)| *v)
    }
}

pub(crate) fn field(
    column: &'static str,
    message: impl Into<String>,
) -> crate::register::line::FieldError {
    crate::register::line::FieldError {
        column,
        message: message.into(),
    }
}

pub(crate) type Errors = Vec<crate::register::line::FieldError>;

pub(crate) fn required<'a>(
    cells: &Cells<'a>,
    column: &'static str,
    errors: &mut Errors,
) -> Option<&'a str> {
    let v = cells.get(column);
    if v.is_none() {
        errors.push(field(column, "valeur obligatoire manquante"));
    }
    v
}

pub(crate) fn text(
    cells: &Cells<'_>,
    column: &'static str,
    max: usize,
    errors: &mut Errors,
) -> String {
    match cells.get(column) {
        Some(v) if v.chars().count() > max => {
            errors.push(field(
                column,
                format!("texte trop long ({max} caractères au plus)"),
            ));
            String::new()
        }
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

pub(crate) fn count(
    cells: &Cells<'_>,
    column: &'static str,
    min: i64,
    errors: &mut Errors,
) -> Option<u32> {
    let v = cells.get(column)?;
    match parse_integer(v) {
        Some(n) if n >= min && n <= i64::from(u32::MAX) => Some(n as u32),
        _ => {
            errors.push(field(
                column,
                format!(
                    "« {v} » n'est pas un nombre entier{}",
                    if min > 0 {
                        " positif"
                    } else {
                        " positif ou nul"
                    }
                ),
            ));
            None
        }
    }
}

pub(crate) fn money(cells: &Cells<'_>, column: &'static str, errors: &mut Errors) -> Option<Euros> {
    let v = cells.get(column)?;
    match parse_amount_cents(v) {
        Some(c) if c >= 0 => Euros::from_cents(c)
            .map_err(|e| errors.push(field(column, e.0)))
            .ok(),
        _ => {
            errors.push(field(
                column,
                format!("montant illisible ou négatif « {v} »"),
            ));
            None
        }
    }
}

pub(crate) fn commune(
    cells: &Cells<'_>,
    geography: &crate::reference::Geography,
    territory: Option<&crate::reference::Territory>,
    errors: &mut Errors,
) -> Option<crate::codes::CommuneCode> {
    let c = required(cells, "commune", errors)?;
    geography
        .resolve(c, territory)
        .map(|c| c.code.clone())
        .map_err(|e| errors.push(field("commune", e.to_string())))
        .ok()
}
