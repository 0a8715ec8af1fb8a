//! The matching engine: among the feasible pairs (household, vacancy) and their costs, as many
//! households as possible, then the least total cost — a minimum-cost maximum matching of a
//! sparse bipartite graph, exact on integer costs ≥ 0. The households without any feasible pair
//! never enter; the search never looks at an infeasible pair.
//!
//! (No crate fits: `lsap` and `pathfinding`'s Kuhn–Munkres take a dense matrix — 20,000,000
//! cells for 2,000 households and 10,000 vacancies, most of them infeasible — and `mcmf` builds a
//! C++ library through a deprecated build crate for a general flow problem.)

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The feasible pairs, by household: each household's vacancies and costs.
#[derive(Debug, Clone, Default)]
pub struct Pairs {
    rows: usize,
    cols: usize,
    start: Vec<usize>,
    col: Vec<u32>,
    cost: Vec<i64>,
}

impl Pairs {
    /// An empty problem with `cols` vacancies; rows are added in order with [`Pairs::push_row`].
    pub fn new(cols: usize) -> Pairs {
        Pairs {
            rows: 0,
            cols,
            start: vec![0],
            col: Vec::new(),
            cost: Vec::new(),
        }
    }

    /// Add the next household with its feasible (vacancy, cost ≥ 0) pairs.
    pub fn push_row(&mut self, pairs: impl IntoIterator<Item = (usize, i64)>) {
        for (c, k) in pairs {
            if c < self.cols {
                self.col.push(c as u32);
                self.cost.push(k.max(0));
            }
        }
        self.start.push(self.col.len());
        self.rows += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn pairs(&self) -> usize {
        self.col.len()
    }

    /// How many feasible pairs household `r` has.
    pub fn degree(&self, r: usize) -> usize {
        self.row(r).count()
    }

    fn row(&self, r: usize) -> impl Iterator<Item = (usize, i64)> + '_ {
        let (a, b) = (
            self.start.get(r).copied().unwrap_or(0),
            self.start.get(r + 1).copied().unwrap_or(0),
        );
        let cols = self.col.get(a..b).unwrap_or(&[]);
        let costs = self.cost.get(a..b).unwrap_or(&[]);
        cols.iter().zip(costs).map(|(c, k)| (*c as usize, *k))
    }

    /// The cost of pair (`r`, `c`), if feasible (the cheapest when given twice).
    pub fn cost(&self, r: usize, c: usize) -> Option<i64> {
        self.row(r).filter(|(x, _)| *x == c).map(|(_, k)| k).min()
    }
}

/// The assignment: for each household its vacancy, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub of_row: Vec<Option<usize>>,
    pub matched: usize,
    pub total: i64,
}

const INF: i64 = i64::MAX / 4;

/// What leaving a household without a dwelling costs: more than any total of feasible costs, so
/// that the most households are matched first (each household has a « no dwelling » column of its
/// own at this cost, which makes every household matchable and the search row by row exact).
const UNMATCHED: i64 = 1 << 40;

/// The minimum-cost maximum matching of `p`: households one after the other, each by the
/// shortest augmenting path from it (Dijkstra on costs made non-negative by potentials, stopped
/// at the first free column reached) — the Hungarian method on the sparse graph of feasible pairs
/// plus one « no dwelling » column per household.
pub fn assign(p: &Pairs) -> Assignment {
    let (n, m) = (p.rows, p.cols);
    let cols = m + n;
    let mut of_row: Vec<Option<usize>> = vec![None; n];
    let mut of_col: Vec<Option<usize>> = vec![None; cols];
    let mut h_row = vec![0i64; n];
    let mut h_col = vec![0i64; cols];
    let mut d_row = vec![INF; n];
    let mut d_col = vec![INF; cols];
    let mut pred = vec![usize::MAX; cols];
    let mut touched_rows: Vec<usize> = Vec::new();
    let mut touched_cols: Vec<usize> = Vec::new();
    let mut heap: BinaryHeap<Reverse<(i64, bool, usize)>> = BinaryHeap::new();
    // A first pass matches each household to its cheapest vacancy when that one is still free:
    // its potential then makes the pair tight and its other pairs non-negative.
    for r in 0..n {
        let Some(least) = p.row(r).map(|(_, k)| k).min() else {
            continue;
        };
        let free = p
            .row(r)
            .find(|(c, k)| *k == least && of_col.get(*c).copied().flatten().is_none());
        if let Some((c, _)) = free {
            if let Some(x) = of_row.get_mut(r) {
                *x = Some(c);
            }
            if let Some(x) = of_col.get_mut(c) {
                *x = Some(r);
            }
            if let Some(h) = h_row.get_mut(r) {
                *h = -least;
            }
        }
    }
    for source in 0..n {
        if of_row.get(source).copied().flatten().is_some() {
            continue;
        }
        if p.row(source).next().is_none() {
            continue;
        }
        heap.clear();
        if let Some(d) = d_row.get_mut(source) {
            *d = 0;
        }
        touched_rows.push(source);
        heap.push(Reverse((0, false, source)));
        let mut found = None;
        // The nearest free column relaxed so far: nothing at or beyond it needs a look.
        let mut bound = INF;
        while let Some(Reverse((d, is_col, v))) = heap.pop() {
            if is_col {
                if d_col.get(v).copied() != Some(d) {
                    continue;
                }
                match of_col.get(v).copied().flatten() {
                    None => {
                        found = Some((v, d));
                        break;
                    }
                    Some(r) => {
                        if let Some(dr) = d_row.get_mut(r)
                            && d < *dr
                        {
                            if *dr == INF {
                                touched_rows.push(r);
                            }
                            *dr = d;
                            heap.push(Reverse((d, false, r)));
                        }
                    }
                }
            } else {
                if d_row.get(v).copied() != Some(d) {
                    continue;
                }
                let hr = h_row.get(v).copied().unwrap_or(0);
                let mine = of_row.get(v).copied().flatten();
                let unmatched = std::iter::once((m + v, UNMATCHED));
                for (c, k) in p.row(v).chain(unmatched) {
                    if mine == Some(c) {
                        continue;
                    }
                    let nd = d + k + hr - h_col.get(c).copied().unwrap_or(0);
                    if nd >= bound {
                        continue;
                    }
                    if of_col.get(c).copied().flatten().is_none() {
                        bound = nd;
                    }
                    if let Some(dc) = d_col.get_mut(c)
                        && nd < *dc
                    {
                        if *dc == INF {
                            touched_cols.push(c);
                        }
                        *dc = nd;
                        if let Some(x) = pred.get_mut(c) {
                            *x = v;
                        }
                        heap.push(Reverse((nd, true, c)));
                    }
                }
            }
        }
        // (Always found: the source's own « no dwelling » column is free.)
        let (free, reach) = found.unwrap_or((m + source, UNMATCHED));
        // Potentials: h += min(d, reach) − reach on the nodes reached (the others keep theirs,
        // which is the same up to a constant); every residual edge stays ≥ 0.
        for &r in &touched_rows {
            if let (Some(h), Some(d)) = (h_row.get_mut(r), d_row.get_mut(r)) {
                *h += (*d).min(reach) - reach;
                *d = INF;
            }
        }
        for &c in &touched_cols {
            if let (Some(h), Some(d)) = (h_col.get_mut(c), d_col.get_mut(c)) {
                *h += (*d).min(reach) - reach;
                *d = INF;
            }
        }
        touched_rows.clear();
        touched_cols.clear();
        // Flip the path back to the source.
        let mut c = free;
        while let Some(&r) = pred.get(c) {
            let previous = of_row.get(r).copied().flatten();
            if let Some(x) = of_row.get_mut(r) {
                *x = Some(c);
            }
            if let Some(x) = of_col.get_mut(c) {
                *x = Some(r);
            }
            match previous {
                Some(prev) if r != source => c = prev,
                _ => break,
            }
        }
    }
    let mut matched = 0;
    let mut total = 0;
    let of_row: Vec<Option<usize>> = of_row.into_iter().map(|c| c.filter(|c| *c < m)).collect();
    for (r, c) in of_row.iter().enumerate() {
        if let Some(c) = c {
            matched += 1;
            total += p.cost(r, *c).unwrap_or(0);
        }
    }
    Assignment {
        of_row,
        matched,
        total,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Every assignment by brute force: (most matched, least cost).
    fn brute(costs: &[Vec<Option<i64>>], cols: usize) -> (usize, i64) {
        fn go(
            r: usize,
            costs: &[Vec<Option<i64>>],
            used: &mut Vec<bool>,
            best: &mut (usize, i64),
            now: (usize, i64),
        ) {
            if r == costs.len() {
                if now.0 > best.0 || (now.0 == best.0 && now.1 < best.1) {
                    *best = now;
                }
                return;
            }
            go(r + 1, costs, used, best, now);
            for (c, k) in costs[r].iter().enumerate() {
                if let Some(k) = k
                    && !used[c]
                {
                    used[c] = true;
                    go(r + 1, costs, used, best, (now.0 + 1, now.1 + k));
                    used[c] = false;
                }
            }
        }
        let mut best = (0, 0);
        go(0, costs, &mut vec![false; cols], &mut best, (0, 0));
        best
    }

    #[test]
    fn the_cheaper_household_of_two_wins_the_only_dwelling() {
        let mut p = Pairs::new(1);
        p.push_row([(0, 10)]);
        p.push_row([(0, 1)]);
        let a = assign(&p);
        assert_eq!((a.matched, a.total), (1, 1));
        assert_eq!(a.of_row, [None, Some(0)]);
    }

    #[test]
    fn a_chain_through_a_matched_household() {
        let mut p = Pairs::new(6);
        p.push_row([(1, 25), (2, 24), (4, 6), (5, 35)]);
        p.push_row([(0, 0), (2, 5), (5, 16)]);
        p.push_row([(0, 14), (2, 24), (3, 25), (5, 32)]);
        let a = assign(&p);
        assert_eq!((a.matched, a.total), (3, 25), "{:?}", a.of_row);
    }

    #[test]
    fn more_households_before_a_lower_cost() {
        // Row 0 could take column 0 cheaply, but then row 1 has nothing.
        let mut p = Pairs::new(2);
        p.push_row([(0, 0), (1, 50)]);
        p.push_row([(0, 5)]);
        let a = assign(&p);
        assert_eq!((a.matched, a.total), (2, 55));
    }

    #[test]
    fn as_good_as_every_assignment_on_small_problems() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as i64
        };
        for _ in 0..1000 {
            let rows = 1 + (next() % 7) as usize;
            let cols = 1 + (next() % 7) as usize;
            let mut costs = vec![vec![None; cols]; rows];
            let mut p = Pairs::new(cols);
            for row in costs.iter_mut() {
                let mut pairs = Vec::new();
                for (c, cell) in row.iter_mut().enumerate() {
                    if next() % 3 != 0 {
                        let k = next() % 12;
                        *cell = Some(k);
                        pairs.push((c, k));
                    }
                }
                p.push_row(pairs);
            }
            let a = assign(&p);
            assert_eq!((a.matched, a.total), brute(&costs, cols), "{costs:?}");
            // A valid matching: each column once, every pair feasible.
            let mut used = vec![false; cols];
            for (r, c) in a.of_row.iter().enumerate() {
                if let Some(c) = c {
                    assert!(!used[*c]);
                    used[*c] = true;
                    assert!(costs[r][*c].is_some());
                }
            }
        }
    }
}
