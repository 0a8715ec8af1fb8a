//! Bar charts drawn as SVG on the server: per year, the dwellings planned and delivered, with the
//! annual band of the targets as a shaded stripe. Pages show the same figures as a table (the
//! text alternative).

/// One bar: position and size in the chart's units, and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub value: u64,
}

/// A labelled tick of the vertical axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub y: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct YearChart {
    pub width: f64,
    pub height: f64,
    /// (year, x of its label, planned bar, delivered bar)
    pub years: Vec<(i32, f64, Bar, Bar)>,
    /// The annual band: y of its top, its height.
    pub band: Option<(f64, f64)>,
    pub ticks: Vec<Tick>,
    pub left: f64,
    pub right: f64,
    pub baseline: f64,
}

/// A "nice" axis maximum at or above `v`: 1, 2 or 5 times a power of ten.
pub fn nice_max(v: u64) -> u64 {
    if v == 0 {
        return 10;
    }
    let mut p = 1u64;
    while p.saturating_mul(10) <= v {
        p *= 10;
    }
    for m in [1, 2, 5, 10] {
        if p.saturating_mul(m) >= v {
            return p.saturating_mul(m);
        }
    }
    p.saturating_mul(10)
}

/// Lay out the chart of `years` (year, planned, delivered) with the optional annual `band`.
pub fn year_chart(years: &[(i32, u64, u64)], band: Option<(u64, u64)>) -> YearChart {
    let (width, height) = (800.0, 320.0);
    let (left, right, top, bottom) = (64.0, 12.0, 12.0, 36.0);
    let max = years
        .iter()
        .map(|(_, p, d)| (*p).max(*d))
        .chain(band.map(|(_, hi)| hi))
        .max()
        .unwrap_or(0);
    let top_value = nice_max(max) as f64;
    let plot_h = height - top - bottom;
    let baseline = height - bottom;
    let y_of = |v: u64| baseline - v as f64 / top_value * plot_h;
    let slot = (width - left - right) / years.len().max(1) as f64;
    let bar_w = (slot * 0.38).min(28.0);
    let out = years
        .iter()
        .enumerate()
        .map(|(i, (year, planned, delivered))| {
            let cx = left + slot * (i as f64 + 0.5);
            let bar = |x: f64, v: u64| Bar {
                x,
                y: y_of(v),
                w: bar_w,
                h: baseline - y_of(v),
                value: v,
            };
            (
                *year,
                cx,
                bar(cx - bar_w - 1.0, *planned),
                bar(cx + 1.0, *delivered),
            )
        })
        .collect();
    let ticks = (0..=4)
        .map(|k| {
            let v = (top_value as u64) * k / 4;
            Tick {
                y: y_of(v),
                label: logis_domain::numbers::group_thousands(i64::try_from(v).unwrap_or(0)),
            }
        })
        .collect();
    YearChart {
        width,
        height,
        years: out,
        band: band.map(|(lo, hi)| (y_of(hi), y_of(lo) - y_of(hi))),
        ticks,
        left,
        right: width - right,
        baseline,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(0), 10);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(1_500), 2_000);
        assert_eq!(nice_max(1_200), 2_000);
        assert_eq!(nice_max(2_001), 5_000);
        assert_eq!(nice_max(12_000), 20_000);
    }

    #[test]
    fn bars_are_proportional_and_the_band_sits_between_its_bounds() {
        let c = year_chart(
            &[(2024, 1_000, 500), (2025, 2_000, 0)],
            Some((1_200, 1_500)),
        );
        // Axis to 2,000: a 1,000 bar is half the plot height, a 2,000 bar all of it.
        let (_, _, p0, d0) = &c.years[0];
        let (_, _, p1, d1) = &c.years[1];
        assert!((p1.h - 2.0 * p0.h).abs() < 1e-9);
        assert!((p0.h - 2.0 * d0.h).abs() < 1e-9);
        assert_eq!(d1.h, 0.0);
        let (top, h) = c.band.unwrap();
        assert!((h - p1.h * 300.0 / 2_000.0).abs() < 1e-9);
        assert!((top + h - (c.baseline - p1.h * 1_200.0 / 2_000.0)).abs() < 1e-9);
        assert_eq!(c.ticks.last().unwrap().label, "2\u{202f}000");
    }
}
