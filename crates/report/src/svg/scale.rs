//! Scales from data values to SVG coordinates, and "nice" tick values for their axes.

/// A linear map from `domain` to `range` (either may be reversed, as for a y axis).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linear {
    pub domain: (f64, f64),
    pub range: (f64, f64),
}

impl Linear {
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Linear {
        Linear { domain, range }
    }

    pub fn map(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if d1 == d0 {
            return r0;
        }
        r0 + (value - d0) / (d1 - d0) * (r1 - r0)
    }
}

/// A base-10 logarithmic map for positive values; values at or below the domain's low end
/// map to the low end of the range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Log {
    pub domain: (f64, f64),
    pub range: (f64, f64),
}

impl Log {
    /// A log scale covering every positive value in `values` with whole decades, so ticks
    /// fall on 1, 10, 100...; `(1, 10)` when there is none.
    pub fn covering(values: impl IntoIterator<Item = f64>, range: (f64, f64)) -> Log {
        let (mut lo, mut hi) = (f64::INFINITY, 0.0_f64);
        for v in values.into_iter().filter(|v| v.is_finite() && *v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi <= 0.0 {
            return Log { domain: (1.0, 10.0), range };
        }
        let lo = 10f64.powf(lo.log10().floor());
        let mut hi = 10f64.powf(hi.log10().ceil());
        if hi <= lo {
            hi = lo * 10.0;
        }
        Log { domain: (lo, hi), range }
    }

    pub fn map(&self, value: f64) -> f64 {
        let (d0, d1) = (self.domain.0.log10(), self.domain.1.log10());
        let v = if value > 0.0 { value.log10().max(d0) } else { d0 };
        Linear::new((d0, d1), self.range).map(v)
    }

    /// One tick per decade.
    pub fn ticks(&self) -> Vec<f64> {
        let (d0, d1) = (self.domain.0.log10().round() as i32, self.domain.1.log10().round() as i32);
        (d0..=d1).map(|e| 10f64.powi(e)).collect()
    }
}

/// Round tick values from 0 to at least `max`: steps of 1, 2 or 5 times a power of ten, about
/// `target` of them. The last tick is the top of the axis.
pub fn nice_ticks(max: f64, target: usize) -> Vec<f64> {
    if !(max.is_finite() && max > 0.0) {
        return vec![0.0, 1.0];
    }
    let step = nice_step(max / target.max(1) as f64);
    // Counts are whole: a step below one would label fractional requests.
    let step = if max >= 1.0 { step.max(1.0) } else { step };
    let count = (max / step).ceil() as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

/// The smallest of 1, 2 or 5 times a power of ten that is at least `raw` (> 0).
pub fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// A step for a time axis in seconds, at least `raw`: a nice decimal below a second, else one
/// that reads well on a clock (15 s, 30 s, 1 min, 5 min, 15 min, 1 h...).
pub fn time_step(raw: f64) -> f64 {
    const CLOCK: [f64; 15] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
        21_600.0,
    ];
    if raw < 1.0 {
        return nice_step(raw);
    }
    CLOCK
        .iter()
        .copied()
        .find(|step| *step >= raw)
        .unwrap_or_else(|| 86_400.0 * nice_step(raw / 86_400.0))
}

/// A tick label: `1.5k` for thousands, no trailing `.0`.
pub fn tick_label(value: f64) -> String {
    if value >= 1_000_000.0 {
        format!("{}M", trim(value / 1_000_000.0))
    } else if value >= 1000.0 {
        format!("{}k", trim(value / 1000.0))
    } else {
        trim(value)
    }
}

/// A duration axis label in ms: `0.1ms`, `10ms`, `1s`.
pub fn ms_label(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{}s", trim(ms / 1000.0))
    } else {
        format!("{}ms", trim(ms))
    }
}

fn trim(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_maps_ends_and_middle_and_reverses() {
        let x = Linear::new((0.0, 10.0), (50.0, 150.0));
        assert_eq!(x.map(0.0), 50.0);
        assert_eq!(x.map(10.0), 150.0);
        assert_eq!(x.map(5.0), 100.0);
        let y = Linear::new((0.0, 100.0), (200.0, 0.0));
        assert_eq!(y.map(0.0), 200.0);
        assert_eq!(y.map(25.0), 150.0);
        // A zero-width domain maps everything to the start instead of dividing by zero.
        assert_eq!(Linear::new((3.0, 3.0), (0.0, 10.0)).map(3.0), 0.0);
    }

    #[test]
    fn log_covers_values_with_whole_decades() {
        let scale = Log::covering([0.35, 12.0, 870.0, 0.0, f64::NAN], (100.0, 0.0));
        assert_eq!(scale.domain, (0.1, 1000.0));
        assert_eq!(scale.ticks(), vec![0.1, 1.0, 10.0, 100.0, 1000.0]);
        assert!((scale.map(0.1) - 100.0).abs() < 1e-9);
        assert!((scale.map(1000.0) - 0.0).abs() < 1e-9);
        assert!((scale.map(10.0) - 50.0).abs() < 1e-9);
        // Zero (no completions) sits on the floor rather than at minus infinity.
        assert_eq!(scale.map(0.0), 100.0);
        assert_eq!(Log::covering([], (1.0, 0.0)).domain, (1.0, 10.0));
        assert_eq!(Log::covering([5.0, 5.0], (1.0, 0.0)).domain, (1.0, 10.0));
    }

    #[test]
    fn nice_ticks_are_round_and_reach_the_max() {
        assert_eq!(nice_ticks(100.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(nice_ticks(101.0, 5), vec![0.0, 50.0, 100.0, 150.0]);
        assert_eq!(nice_ticks(3.0, 5), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(nice_ticks(0.0, 5), vec![0.0, 1.0]);
        let big = nice_ticks(12_345.0, 4);
        assert!(*big.last().unwrap() >= 12_345.0);
        assert!(big.len() <= 6);
    }

    #[test]
    fn time_steps_read_well_on_a_clock() {
        assert_eq!(time_step(0.013), 0.02);
        assert_eq!(time_step(0.5), 0.5);
        assert_eq!(time_step(3.0), 5.0);
        assert_eq!(time_step(730.0), 900.0);
        assert_eq!(time_step(3000.0), 3600.0);
        assert_eq!(time_step(100_000.0), 172_800.0);
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(tick_label(1500.0), "1.5k");
        assert_eq!(tick_label(20.0), "20");
        assert_eq!(ms_label(0.1), "0.1ms");
        assert_eq!(ms_label(1000.0), "1s");
    }
}
