//! Reconciliation of declared totals. Published tables carry totals, and published totals are
//! sometimes wrong: each total row declares the sum of the detail rows that share its filled
//! columns (commune, year, product, financing, nature, landlord, project; none filled = grand
//! total). Values compare as users write them: "PALULOS" = "Palulos", "Saint Pol sur mer" =
//! "SAINT-POL-SUR-MER" — but the commune compares *as written*, not as resolved, so that a 2005
//! table's "Fort-Mardyck" total sums Fort-Mardyck's rows, not all of today's Dunkerque.

use crate::numbers::parse_integer;
use crate::register::line::RawRow;
use crate::text::name_key;
use crate::{Nature, Product, RehabFinancing};
use std::collections::HashMap;

/// The columns whose filled value on a total row narrows what it sums, in key order.
pub const TOTAL_COLUMNS: [&str; 7] = [
    "commune",
    "annee",
    "produit",
    "financement",
    "nature",
    "bailleur",
    "projet",
];

/// The comparison key of a value in one of [`TOTAL_COLUMNS`].
pub fn total_key(column: &str, value: &str) -> String {
    let v = value.trim();
    let parsed = match column {
        "annee" => parse_integer(v).map(|y| y.to_string()),
        "produit" => Product::parse(v).ok().map(|p| p.code().to_string()),
        "financement" => RehabFinancing::parse(v).ok().map(|f| f.code().to_string()),
        "nature" => Nature::parse(v).ok().map(|n| n.code().to_string()),
        _ => None,
    };
    parsed.unwrap_or_else(|| name_key(v))
}

fn raw_value<'a>(raw: &RawRow<'a>, column: &str) -> Option<&'a str> {
    match column {
        "commune" => raw.commune,
        "annee" => raw.annee,
        "produit" => raw.produit,
        "financement" => raw.financement,
        "nature" => raw.nature,
        "bailleur" => raw.bailleur,
        "projet" => raw.projet,
        _ => None,
    }
}

/// Dwellings of the detail rows, summed by their values in [`TOTAL_COLUMNS`]. Values are
/// interned per column, so memory grows with the number of distinct combinations (a few dozen
/// bytes each), not with the text of the rows.
#[derive(Debug, Default, Clone)]
pub struct DetailSums {
    values: [HashMap<String, u32>; 7],
    /// Each column's values as written, with their key's id in `values`: a value met again
    /// (most rows repeat their commune, year, landlord…) costs a lookup, not a key.
    written: [HashMap<Box<str>, u32>; 7],
    sums: HashMap<[u32; 7], i64>,
    /// Rows in error (never summed): their file row and their keys in [`TOTAL_COLUMNS`], so
    /// that a total whose scope holds one says its sum is incomplete.
    refused: Vec<(u64, [String; 7])>,
}

/// A row's keys in [`TOTAL_COLUMNS`] (empty for a column it leaves empty).
fn row_keys(raw: &RawRow<'_>) -> [String; 7] {
    TOTAL_COLUMNS.map(|c| {
        raw_value(raw, c)
            .map(|v| total_key(c, v))
            .unwrap_or_default()
    })
}

/// A total's filters as (column index in [`TOTAL_COLUMNS`], key); unknown columns are left out.
fn filter_keys(filters: &[(String, String)]) -> impl Iterator<Item = (usize, String)> + '_ {
    filters.iter().filter_map(|(c, v)| {
        let i = TOTAL_COLUMNS.iter().position(|k| k == c)?;
        Some((i, total_key(c, v)))
    })
}

/// Rows in error kept to tell which totals they make incomplete (beyond, a file has too many
/// errors for its totals to matter).
const REFUSED_KEPT: usize = 10_000;

impl DetailSums {
    /// Count a detail row (its `logements` when it is a whole number; other rows count 0).
    pub fn add(&mut self, raw: &RawRow<'_>) {
        let Some(n) = raw.logements.and_then(parse_integer) else {
            return;
        };
        let mut key = [0u32; 7];
        for (((column, k), written_ids), values) in TOTAL_COLUMNS
            .iter()
            .zip(key.iter_mut())
            .zip(self.written.iter_mut())
            .zip(self.values.iter_mut())
        {
            let written = raw_value(raw, column).unwrap_or_default();
            *k = match written_ids.get(written) {
                Some(id) => *id,
                None => {
                    let v = if written.is_empty() {
                        String::new()
                    } else {
                        total_key(column, written)
                    };
                    let next = u32::try_from(values.len()).unwrap_or(u32::MAX);
                    let id = *values.entry(v).or_insert(next);
                    written_ids.insert(written.into(), id);
                    id
                }
            };
        }
        *self.sums.entry(key).or_default() += n;
    }

    /// A detail row in error at file row `row`: not summed, but remembered.
    pub fn refuse(&mut self, row: u64, raw: &RawRow<'_>) {
        if self.refused.len() < REFUSED_KEPT {
            self.refused.push((row, row_keys(raw)));
        }
    }

    /// The rows in error within the scope of a total (every (column, value) filter matches).
    pub fn refused_matching(&self, filters: &[(String, String)]) -> Vec<u64> {
        let wanted: Vec<(usize, String)> = filter_keys(filters).collect();
        self.refused
            .iter()
            .filter(|(_, keys)| {
                wanted
                    .iter()
                    .all(|(i, v)| keys.get(*i).is_some_and(|k| k == v))
            })
            .map(|(row, _)| *row)
            .collect()
    }

    /// The sum of the detail rows matching every (column, value) filter.
    pub fn sum_matching(&self, filters: &[(String, String)]) -> i64 {
        let mut wanted = Vec::new();
        for (i, v) in filter_keys(filters) {
            match self.values.get(i).and_then(|m| m.get(&v)) {
                Some(id) => wanted.push((i, *id)),
                // No detail row has this value: the total sums nothing.
                None => return 0,
            }
        }
        self.sums
            .iter()
            .filter(|(key, _)| wanted.iter().all(|(i, v)| key.get(*i) == Some(v)))
            .map(|(_, n)| *n)
            .sum()
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn row<'a>(commune: &'a str, financement: &'a str, annee: &'a str, n: &'a str) -> RawRow<'a> {
        RawRow {
            commune: Some(commune),
            financement: Some(financement),
            annee: Some(annee),
            logements: Some(n),
            ..RawRow::default()
        }
    }

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn totals_sum_the_rows_sharing_their_filled_columns() {
        let mut d = DetailSums::default();
        d.add(&row("Dunkerque", "PALULOS", "2005", "30"));
        d.add(&row("Dunkerque", "PAM", "2005", "40"));
        d.add(&row("DUNKERQUE", "Pam", "2006", "40"));
        d.add(&row("Fort-Mardyck", "Palulos", "2007", "16"));
        d.add(&row("Gravelines", "PAM", "2007", "douze"));
        assert_eq!(d.sum_matching(&f(&[("commune", "dunkerque")])), 110);
        assert_eq!(d.sum_matching(&f(&[("financement", "pam")])), 80);
        assert_eq!(
            d.sum_matching(&f(&[("financement", "Palulos"), ("annee", "2007")])),
            16
        );
        assert_eq!(
            d.sum_matching(&f(&[("commune", "Fort Mardyck")])),
            16,
            "as written, not as resolved"
        );
        assert_eq!(d.sum_matching(&[]), 126);
        assert_eq!(d.sum_matching(&f(&[("commune", "Bray-Dunes")])), 0);
    }
}
