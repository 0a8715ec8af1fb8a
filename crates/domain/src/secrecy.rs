//! Small counts of personal data, hidden: the one piece of code every capability holding
//! households, occupancy or attributions calls before showing an aggregate to someone who may
//! not read the records. A count under [`THRESHOLD`] is shown as « < 5 » (primary suppression),
//! and so is, in every row and column whose total is shown, one more cell when a single one is
//! hidden — else the hidden count would be the total minus the others (secondary suppression).

/// Counts under this are never shown to whoever reads aggregates only.
pub const THRESHOLD: u64 = 5;

/// What a hidden count shows.
pub const HIDDEN: &str = "< 5";

/// A count as shown: its value, or hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Count(u64),
    Hidden,
}

impl Shown {
    /// `12 000`, or « < 5 ».
    pub fn text(self) -> String {
        match self {
            Shown::Count(n) => {
                crate::numbers::group_thousands(i64::try_from(n).unwrap_or(i64::MAX))
            }
            Shown::Hidden => HIDDEN.to_string(),
        }
    }
}

/// A table of counts (rows of cells) whose row totals and column totals are shown beside it:
/// each cell shown or hidden so that no hidden cell can be recomputed from a total and the other
/// cells of its row or column. The totals themselves are hidden when under the threshold.
///
/// Secondary suppression hides, in a row or column with exactly one hidden cell, its smallest
/// shown cell, and goes on until no row or column has exactly one hidden cell.
pub fn suppress(table: &[Vec<u64>]) -> Vec<Vec<Shown>> {
    let rows = table.len();
    let cols = table.iter().map(Vec::len).max().unwrap_or(0);
    let value = |r: usize, c: usize| table.get(r).and_then(|row| row.get(c)).copied();
    let mut hidden: Vec<Vec<bool>> = table
        .iter()
        .map(|row| row.iter().map(|n| *n < THRESHOLD).collect())
        .collect();
    let is_hidden = |h: &Vec<Vec<bool>>, r: usize, c: usize| {
        h.get(r)
            .and_then(|row| row.get(c))
            .copied()
            .unwrap_or(false)
    };
    // Each line (a row or a column): the cells in it.
    let mut lines: Vec<Vec<(usize, usize)>> = Vec::new();
    for (r, row) in table.iter().enumerate() {
        lines.push((0..row.len()).map(|c| (r, c)).collect());
    }
    for c in 0..cols {
        lines.push(
            (0..rows)
                .filter(|r| value(*r, c).is_some())
                .map(|r| (r, c))
                .collect(),
        );
    }
    loop {
        let mut changed = false;
        for line in &lines {
            let hidden_here = line
                .iter()
                .filter(|(r, c)| is_hidden(&hidden, *r, *c))
                .count();
            if hidden_here != 1 || line.len() < 2 {
                continue;
            }
            // Hide the smallest shown cell of the line.
            let pick = line
                .iter()
                .filter(|(r, c)| !is_hidden(&hidden, *r, *c))
                .min_by_key(|(r, c)| (value(*r, *c).unwrap_or(u64::MAX), *r, *c))
                .copied();
            if let Some((r, c)) = pick
                && let Some(cell) = hidden.get_mut(r).and_then(|row| row.get_mut(c))
            {
                *cell = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    table
        .iter()
        .enumerate()
        .map(|(r, row)| {
            row.iter()
                .enumerate()
                .map(|(c, n)| {
                    if is_hidden(&hidden, r, c) {
                        Shown::Hidden
                    } else {
                        Shown::Count(*n)
                    }
                })
                .collect()
        })
        .collect()
}

/// A total as shown: hidden under the threshold.
pub fn total(n: u64) -> Shown {
    if n < THRESHOLD {
        Shown::Hidden
    } else {
        Shown::Count(n)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn hidden(t: &[Vec<Shown>]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (r, row) in t.iter().enumerate() {
            for (c, s) in row.iter().enumerate() {
                if *s == Shown::Hidden {
                    out.push((r, c));
                }
            }
        }
        out
    }

    #[test]
    fn small_counts_are_hidden_and_cannot_be_recomputed() {
        let t = suppress(&[vec![12, 3, 40], vec![25, 30, 18]]);
        // 3 is hidden; its row and column each get a second hidden cell, and so on until every
        // row and column with a hidden cell has two.
        let h = hidden(&t);
        assert!(h.contains(&(0, 1)));
        for r in 0..2 {
            let n = h.iter().filter(|(x, _)| *x == r).count();
            assert!(n == 0 || n >= 2, "row {r}: {h:?}");
        }
        for c in 0..3 {
            let n = h.iter().filter(|(_, y)| *y == c).count();
            assert!(n == 0 || n >= 2, "column {c}: {h:?}");
        }
        assert_eq!(t[0][2], Shown::Count(40), "the largest stays");
    }

    #[test]
    fn nothing_small_nothing_hidden_and_one_line_hides_two() {
        assert!(hidden(&suppress(&[vec![5, 6], vec![7, 8]])).is_empty());
        let t = suppress(&[vec![2, 9, 30]]);
        assert_eq!(t[0], [Shown::Hidden, Shown::Hidden, Shown::Count(30)]);
        assert_eq!(total(4).text(), "< 5");
        assert_eq!(total(1_200).text(), "1\u{202f}200");
        // Zero is a count under five too.
        assert_eq!(suppress(&[vec![0, 10, 11]])[0][0], Shown::Hidden);
    }
}
