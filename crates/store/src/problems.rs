//! French wording of the whole-file problems an import session finds in SQL. Both adapters return
//! the same raw groups; this module words them, so both backends report identically.

use crate::RowProblem;

/// Separator between the reference and the flags in a conflict group's detail.
pub const SEP: char = '\u{1f}';

const ATTRS: [(&str, &str); 5] = [
    ("commune", "commune"),
    ("libelle", "libellé"),
    ("projet", "projet"),
    ("programme", "programme"),
    ("quartier", "quartier"),
];

fn rows_text(rows: &[u64]) -> String {
    let shown: Vec<String> = rows.iter().take(20).map(u64::to_string).collect();
    let more = if rows.len() > 20 {
        format!(" et {} autres", rows.len() - 20)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

/// `dups`: row numbers of each group of identical lines, with the reference.
/// `conflicts`: row numbers of each operation given contradictory values, with
/// `reference SEP flags` where flags are five 0/1 for commune, label, project, programme, quartier.
pub fn from_groups(
    dups: Vec<(Vec<u64>, String)>,
    conflicts: Vec<(Vec<u64>, String)>,
) -> Vec<RowProblem> {
    let mut out = Vec::new();
    for (rows, reference) in dups {
        let Some((&first, rest)) = rows.split_first() else {
            continue;
        };
        for &row in rest {
            out.push(RowProblem {
                row,
                column: "reference".into(),
                message: format!(
                    "ligne en double : l'opération « {reference} » a déjà cette ligne (même nature, site, produit, financement et année) à la ligne {first}"
                ),
            });
        }
    }
    for (rows, detail) in conflicts {
        let (reference, flags) = detail.rsplit_once(SEP).unwrap_or((detail.as_str(), ""));
        let Some(&first) = rows.first() else { continue };
        for ((column, label), flag) in ATTRS.iter().zip(flags.chars()) {
            if flag == '1' {
                out.push(RowProblem {
                    row: first,
                    column: (*column).into(),
                    message: format!(
                        "valeurs contradictoires de {label} pour l'opération « {reference} » (lignes {}) : une opération n'a qu'un(e) {label}",
                        rows_text(&rows)
                    ),
                });
            }
        }
    }
    out.sort_by(|a, b| a.row.cmp(&b.row).then_with(|| a.column.cmp(&b.column)));
    out
}
