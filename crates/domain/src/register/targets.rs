//! Programme targets and progress. A programme aims at a total over a period (Dunkerque 2030:
//! 12,000 dwellings 2024–2034), a social share (40 %), an annual band (1,200–1,500 a year) and
//! optional splits (by landlord commitment, commune, product or nature). Progress counts lines by
//! stage against each target, per year and cumulated, and projects when the total is reached at
//! the pace of the last years. Pure: the store supplies the sums.

use crate::codes::Invalid;
use crate::{Nature, Stage};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a programme's targets count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetScope {
    /// Dwellings produced (new build, acquisition-improvement, reconstruction, change of use).
    Production,
    /// Dwellings of one nature (ERBM: rehabilitation).
    Nature(Nature),
}

impl TargetScope {
    pub fn code(self) -> String {
        match self {
            TargetScope::Production => "production".into(),
            TargetScope::Nature(n) => n.code().into(),
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        if s == "production" {
            Some(TargetScope::Production)
        } else {
            Nature::from_code(s).map(TargetScope::Nature)
        }
    }
    pub fn label(self) -> String {
        match self {
            TargetScope::Production => "logements produits".into(),
            TargetScope::Nature(n) => format!("logements ({})", n.label().to_lowercase()),
        }
    }
    /// The natures it counts.
    pub fn natures(self) -> Vec<Nature> {
        match self {
            TargetScope::Production => Nature::ALL
                .iter()
                .copied()
                .filter(|n| n.produces())
                .collect(),
            TargetScope::Nature(n) => vec![n],
        }
    }
}

/// A dimension a target can be split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SplitDimension {
    Landlord,
    Commune,
    Product,
    Nature,
}

impl SplitDimension {
    pub const ALL: &'static [SplitDimension] = &[
        SplitDimension::Landlord,
        SplitDimension::Commune,
        SplitDimension::Product,
        SplitDimension::Nature,
    ];
    pub fn code(self) -> &'static str {
        match self {
            SplitDimension::Landlord => "bailleur",
            SplitDimension::Commune => "commune",
            SplitDimension::Product => "produit",
            SplitDimension::Nature => "nature",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        SplitDimension::ALL.iter().copied().find(|d| d.code() == s)
    }
}

/// A share of the total committed to one landlord, commune, product or nature. `key` is the
/// stored key (landlord name, INSEE code, product or nature code), `label` what people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub dimension: SplitDimension,
    pub key: String,
    pub label: String,
    pub dwellings: u64,
}

/// The targets of a programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    pub scope: TargetScope,
    pub total: Option<u64>,
    pub first_year: i32,
    pub last_year: i32,
    /// Share of social dwellings (PLAI, PLUS, PLUS-CD, PLS) in the production, in percent.
    pub social_percent: Option<u8>,
    /// Dwellings expected each year: (minimum, maximum).
    pub annual_band: Option<(u64, u64)>,
    pub splits: Vec<Split>,
}

impl Targets {
    /// Check the targets are coherent (period, band, share); French message otherwise.
    pub fn new(
        scope: TargetScope,
        total: Option<u64>,
        (first_year, last_year): (i32, i32),
        social_percent: Option<u8>,
        annual_band: Option<(u64, u64)>,
        splits: Vec<Split>,
    ) -> Result<Self, Invalid> {
        if first_year > last_year {
            return Err(Invalid(format!(
                "période d'objectif invalide : {first_year} est après {last_year}"
            )));
        }
        if !(1950..=2100).contains(&first_year) || !(1950..=2100).contains(&last_year) {
            return Err(Invalid(
                "les années d'objectif doivent être entre 1950 et 2100".into(),
            ));
        }
        if let Some((a, b)) = annual_band
            && a > b
        {
            return Err(Invalid(format!(
                "bande annuelle invalide : minimum {a} au-dessus du maximum {b}"
            )));
        }
        if social_percent.is_some_and(|p| p > 100) {
            return Err(Invalid(
                "la part sociale est un pourcentage entre 0 et 100".into(),
            ));
        }
        Ok(Targets {
            scope,
            total,
            first_year,
            last_year,
            social_percent,
            annual_band,
            splits,
        })
    }

    /// Dimensions whose splits do not add up to the total: (dimension, sum of its splits).
    pub fn incoherent_splits(&self) -> Vec<(SplitDimension, u64)> {
        let Some(total) = self.total else {
            return Vec::new();
        };
        let mut sums: BTreeMap<SplitDimension, u64> = BTreeMap::new();
        for s in &self.splits {
            *sums.entry(s.dimension).or_default() += s.dwellings;
        }
        sums.into_iter().filter(|(_, sum)| *sum != total).collect()
    }

    pub fn years(&self) -> std::ops::RangeInclusive<i32> {
        self.first_year..=self.last_year
    }
}

/// The stage buckets progress is counted in. A line counts in every bucket its stage has reached
/// (a delivered line was also programmed, financed and started).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Bucket {
    /// Every line of the year, whatever its stage (the plan).
    Planned,
    Programmed,
    Financed,
    WorksStarted,
    Delivered,
}

impl Bucket {
    pub const ALL: &'static [Bucket] = &[
        Bucket::Planned,
        Bucket::Programmed,
        Bucket::Financed,
        Bucket::WorksStarted,
        Bucket::Delivered,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Bucket::Planned => "prevus",
            Bucket::Programmed => "programmes",
            Bucket::Financed => "finances",
            Bucket::WorksStarted => "travaux_demarres",
            Bucket::Delivered => "livres",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Bucket::Planned => "Prévus",
            Bucket::Programmed => "Programmés",
            Bucket::Financed => "Financés",
            Bucket::WorksStarted => "Travaux démarrés",
            Bucket::Delivered => "Livrés",
        }
    }
    /// Whether a line at `stage` counts in this bucket.
    pub fn counts(self, stage: Option<Stage>) -> bool {
        let reached = |s: Stage| stage.is_some_and(|st| st >= s);
        match self {
            Bucket::Planned => true,
            Bucket::Programmed => reached(Stage::Programmed),
            Bucket::Financed => reached(Stage::Financed),
            Bucket::WorksStarted => reached(Stage::WorksStarted),
            Bucket::Delivered => reached(Stage::Delivered),
        }
    }
}

/// Position of a year against the annual band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BandPosition {
    Below,
    Inside,
    Above,
}

impl BandPosition {
    pub fn label(self) -> &'static str {
        match self {
            BandPosition::Below => "en dessous",
            BandPosition::Inside => "dans la bande",
            BandPosition::Above => "au-dessus",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearProgress {
    pub year: i32,
    /// Dwellings per bucket, in [`Bucket::ALL`] order.
    pub by_bucket: Vec<u64>,
    /// Social dwellings among the planned ones.
    pub social: u64,
    /// Planned dwellings whose product is known (the base of the social share).
    pub with_product: u64,
    /// Cumulated programmed dwellings since the first year.
    pub cumulated_programmed: u64,
    pub band: Option<BandPosition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Projection {
    /// Average programmed dwellings a year over the pace window.
    pub pace: u64,
    pub window: (i32, i32),
    /// The year the total is reached at that pace (None: pace is zero).
    pub reached_in: Option<i32>,
    pub on_time: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub years: Vec<YearProgress>,
    pub totals: Vec<u64>,
    pub social: u64,
    pub with_product: u64,
    pub projection: Option<Projection>,
    pub incoherent_splits: Vec<(SplitDimension, u64)>,
}

/// One sum from the store: dwellings of `year`, at `stage`, social or not, product known or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageSum {
    pub year: i32,
    pub stage: Option<Stage>,
    pub social: bool,
    pub has_product: bool,
    pub dwellings: u64,
}

/// Progress of `targets` from the programme's sums, seen from `current_year` (the projection uses
/// the `pace_years` complete years before it).
pub fn progress(
    targets: &Targets,
    sums: &[StageSum],
    current_year: i32,
    pace_years: i32,
) -> Progress {
    let mut years = Vec::new();
    let mut totals = vec![0u64; Bucket::ALL.len()];
    let mut cumulated = 0;
    let (mut social_all, mut with_product_all) = (0, 0);
    for year in targets.years() {
        let of_year: Vec<&StageSum> = sums.iter().filter(|s| s.year == year).collect();
        let by_bucket: Vec<u64> = Bucket::ALL
            .iter()
            .map(|b| {
                of_year
                    .iter()
                    .filter(|s| b.counts(s.stage))
                    .map(|s| s.dwellings)
                    .sum()
            })
            .collect();
        let social = of_year
            .iter()
            .filter(|s| s.social)
            .map(|s| s.dwellings)
            .sum();
        let with_product = of_year
            .iter()
            .filter(|s| s.has_product)
            .map(|s| s.dwellings)
            .sum();
        for (t, v) in totals.iter_mut().zip(&by_bucket) {
            *t += v;
        }
        social_all += social;
        with_product_all += with_product;
        cumulated += by_bucket.get(1).copied().unwrap_or(0);
        let planned = by_bucket.first().copied().unwrap_or(0);
        let band = targets.annual_band.map(|(lo, hi)| {
            if planned < lo {
                BandPosition::Below
            } else if planned > hi {
                BandPosition::Above
            } else {
                BandPosition::Inside
            }
        });
        years.push(YearProgress {
            year,
            by_bucket,
            social,
            with_product,
            cumulated_programmed: cumulated,
            band,
        });
    }
    let projection = targets.total.map(|total| {
        // The complete years before the current one, inside the programme's period.
        let (from, to) = (
            (current_year - pace_years.max(1)).max(targets.first_year),
            current_year - 1,
        );
        let in_window: u64 = sums
            .iter()
            .filter(|s| (from..=to).contains(&s.year) && Bucket::Programmed.counts(s.stage))
            .map(|s| s.dwellings)
            .sum();
        let pace = if to >= from {
            in_window / u64::try_from(to - from + 1).unwrap_or(1)
        } else {
            0
        };
        let done: u64 = sums
            .iter()
            .filter(|s| {
                s.year >= targets.first_year && s.year <= to && Bucket::Programmed.counts(s.stage)
            })
            .map(|s| s.dwellings)
            .sum();
        let reached_in = if done >= total {
            Some(to)
        } else if pace == 0 {
            None
        } else {
            let remaining = total - done;
            Some(
                current_year - 1
                    + i32::try_from(remaining.div_ceil(pace)).unwrap_or(i32::MAX - current_year),
            )
        };
        Projection {
            pace,
            window: (from, to),
            reached_in,
            on_time: reached_in.is_some_and(|y| y <= targets.last_year),
        }
    });
    Progress {
        years,
        totals,
        social: social_all,
        with_product: with_product_all,
        projection,
        incoherent_splits: targets.incoherent_splits(),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn sum(year: i32, stage: Option<Stage>, social: bool, dwellings: u64) -> StageSum {
        StageSum {
            year,
            stage,
            social,
            has_product: true,
            dwellings,
        }
    }

    fn d2030() -> Targets {
        Targets::new(
            TargetScope::Production,
            Some(12_000),
            (2024, 2034),
            Some(40),
            Some((1200, 1500)),
            Vec::new(),
        )
        .unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn buckets_count_every_stage_reached() {
        assert!(Bucket::Programmed.counts(Some(Stage::Delivered)));
        assert!(!Bucket::Financed.counts(Some(Stage::Programmed)));
        assert!(!Bucket::Programmed.counts(None));
        assert!(Bucket::Planned.counts(None));
    }

    #[test]
    fn progress_per_year_band_and_projection() {
        let sums = [
            sum(2024, Some(Stage::Delivered), true, 500),
            sum(2024, Some(Stage::WorksStarted), false, 100),
            sum(2025, Some(Stage::Financed), true, 900),
            sum(2026, Some(Stage::Programmed), false, 1300),
            sum(2027, Some(Stage::Study), false, 1600),
        ];
        let p = progress(&d2030(), &sums, 2027, 3);
        let y2024 = &p.years[0];
        // 2024: 600 planned, 600 programmed, 600 financed, 600 started, 500 delivered.
        assert_eq!(y2024.by_bucket, vec![600, 600, 600, 600, 500]);
        assert_eq!(y2024.band, Some(BandPosition::Below));
        assert_eq!(p.years[2].band, Some(BandPosition::Inside));
        assert_eq!(p.years[3].band, Some(BandPosition::Above));
        assert_eq!(
            p.years[3].by_bucket[1], 0,
            "a study is planned, not programmed"
        );
        assert_eq!(p.years[2].cumulated_programmed, 2800);
        assert_eq!((p.social, p.with_product), (1400, 4400));
        // Pace 2024-2026: 2,800 / 3 = 933 a year; 9,200 remaining → 10 more years → 2036.
        let proj = p.projection.unwrap_or_else(|| unreachable!());
        assert_eq!(
            (proj.pace, proj.reached_in, proj.on_time),
            (933, Some(2036), false)
        );
        // Seen from 2026, the window is 2024-2025 only (the programme starts in 2024):
        // (600 + 900) / 2 = 750 a year, 10,500 remaining → 14 years → 2039.
        let proj = progress(&d2030(), &sums, 2026, 3)
            .projection
            .unwrap_or_else(|| unreachable!());
        assert_eq!(
            (proj.pace, proj.window, proj.reached_in),
            (750, (2024, 2025), Some(2039))
        );
        // Before the programme starts there is no pace.
        let proj = progress(&d2030(), &sums, 2024, 3)
            .projection
            .unwrap_or_else(|| unreachable!());
        assert_eq!((proj.pace, proj.reached_in), (0, None));
    }

    #[test]
    fn splits_that_do_not_add_up_are_reported() {
        let split = |d, k: &str, n| Split {
            dimension: d,
            key: k.into(),
            label: k.into(),
            dwellings: n,
        };
        let mut t = d2030();
        t.splits = vec![
            split(SplitDimension::Landlord, "FOH", 5000),
            split(SplitDimension::Landlord, "Vilogia", 4000),
            split(SplitDimension::Product, "plai", 4000),
            split(SplitDimension::Product, "plus", 8000),
        ];
        assert_eq!(
            t.incoherent_splits(),
            vec![(SplitDimension::Landlord, 9000)]
        );
        assert!(
            Targets::new(
                TargetScope::Production,
                None,
                (2030, 2020),
                None,
                None,
                Vec::new()
            )
            .is_err()
        );
        assert!(
            Targets::new(
                TargetScope::Production,
                None,
                (2020, 2030),
                Some(140),
                None,
                Vec::new()
            )
            .is_err()
        );
        assert!(
            Targets::new(
                TargetScope::Production,
                None,
                (2020, 2030),
                None,
                Some((10, 5)),
                Vec::new()
            )
            .is_err()
        );
    }
}
