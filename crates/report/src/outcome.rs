//! The outcome kinds a chart stacks, each with a stable color, hatch pattern and legend label.
//!
//! Colors come from the Okabe–Ito and Paul Tol palettes, which stay distinguishable for the
//! common color-blindness types; every failure kind also has its own hatch pattern, and the
//! legend spells out the name and count, so color never carries meaning alone.
use std::collections::BTreeMap;

/// What a request ended as, grouped the way the charts draw it. The order is the stacking
/// order (bottom first) and the legend order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Http2xx,
    Http3xx,
    Http1xx,
    Http4xx,
    Http502,
    Http503,
    Http504,
    Http5xx,
    Refused,
    Reset,
    Closed,
    Timeout,
    OtherNet,
    Dropped,
}

/// Hatching drawn over a kind's color: the second channel besides color.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hatch {
    Solid,
    Diagonal,
    BackDiagonal,
    Cross,
    Dots,
    Horizontal,
    Vertical,
    Grid,
}

impl Kind {
    pub const ALL: [Kind; 14] = [
        Kind::Http2xx,
        Kind::Http3xx,
        Kind::Http1xx,
        Kind::Http4xx,
        Kind::Http502,
        Kind::Http503,
        Kind::Http504,
        Kind::Http5xx,
        Kind::Refused,
        Kind::Reset,
        Kind::Closed,
        Kind::Timeout,
        Kind::OtherNet,
        Kind::Dropped,
    ];
    pub const COUNT: usize = Kind::ALL.len();

    /// Position in [`Kind::ALL`], for dense per-kind arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The kind of an HTTP status.
    pub fn of_status(code: u16) -> Kind {
        match code {
            200..=299 => Kind::Http2xx,
            300..=399 => Kind::Http3xx,
            400..=499 => Kind::Http4xx,
            502 => Kind::Http502,
            503 => Kind::Http503,
            504 => Kind::Http504,
            500..=599 => Kind::Http5xx,
            _ => Kind::Http1xx,
        }
    }

    /// The kind of a network outcome name (`refused`, `reset`, `other:EHOSTUNREACH`...).
    pub fn of_net(name: &str) -> Kind {
        match name {
            "refused" => Kind::Refused,
            "reset" => Kind::Reset,
            "closed" => Kind::Closed,
            "timeout" => Kind::Timeout,
            _ => Kind::OtherNet,
        }
    }

    /// Whether this kind counts as a failed request (everything but 2xx, 3xx and `dropped`,
    /// which was never sent), as the load report's `failed` does.
    pub fn is_failure(self) -> bool {
        !matches!(self, Kind::Http2xx | Kind::Http3xx | Kind::Dropped)
    }

    /// The legend label.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Http2xx => "2xx",
            Kind::Http3xx => "3xx",
            Kind::Http1xx => "other status",
            Kind::Http4xx => "4xx",
            Kind::Http502 => "502",
            Kind::Http503 => "503",
            Kind::Http504 => "504",
            Kind::Http5xx => "other 5xx",
            Kind::Refused => "refused",
            Kind::Reset => "reset",
            Kind::Closed => "closed",
            Kind::Timeout => "timeout",
            Kind::OtherNet => "other network",
            Kind::Dropped => "dropped",
        }
    }

    /// A short id for CSS classes and pattern ids (`k-502`).
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Http2xx => "2xx",
            Kind::Http3xx => "3xx",
            Kind::Http1xx => "1xx",
            Kind::Http4xx => "4xx",
            Kind::Http502 => "502",
            Kind::Http503 => "503",
            Kind::Http504 => "504",
            Kind::Http5xx => "5xx",
            Kind::Refused => "refused",
            Kind::Reset => "reset",
            Kind::Closed => "closed",
            Kind::Timeout => "timeout",
            Kind::OtherNet => "othernet",
            Kind::Dropped => "dropped",
        }
    }

    /// The fill color, stable across every report.
    pub fn color(self) -> &'static str {
        match self {
            Kind::Http2xx => "#009e73",  // Okabe–Ito bluish green
            Kind::Http3xx => "#56b4e9",  // Okabe–Ito sky blue
            Kind::Http1xx => "#88ccee",  // Tol cyan
            Kind::Http4xx => "#e69f00",  // Okabe–Ito orange
            Kind::Http502 => "#d55e00",  // Okabe–Ito vermillion: the "red band"
            Kind::Http503 => "#cc79a7",  // Okabe–Ito reddish purple
            Kind::Http504 => "#882255",  // Tol wine
            Kind::Http5xx => "#332288",  // Tol indigo
            Kind::Refused => "#0072b2",  // Okabe–Ito blue
            Kind::Reset => "#999933",    // Tol olive
            Kind::Closed => "#ddcc77",   // Tol sand
            Kind::Timeout => "#000000",  // black
            Kind::OtherNet => "#f0e442", // Okabe–Ito yellow
            Kind::Dropped => "#aaaaaa",  // grey: never sent
        }
    }

    /// The hatch drawn over the color.
    pub fn hatch(self) -> Hatch {
        match self {
            Kind::Http2xx | Kind::Http3xx => Hatch::Solid,
            Kind::Http1xx => Hatch::Grid,
            Kind::Http4xx => Hatch::Horizontal,
            Kind::Http502 => Hatch::Diagonal,
            Kind::Http503 => Hatch::BackDiagonal,
            Kind::Http504 => Hatch::Cross,
            Kind::Http5xx => Hatch::Grid,
            Kind::Refused => Hatch::Vertical,
            Kind::Reset => Hatch::Cross,
            Kind::Closed => Hatch::Dots,
            Kind::Timeout => Hatch::Dots,
            Kind::OtherNet => Hatch::BackDiagonal,
            Kind::Dropped => Hatch::Horizontal,
        }
    }

    /// The SVG fill: the plain color, or a reference to the kind's hatch pattern.
    pub fn fill(self) -> String {
        match self.hatch() {
            Hatch::Solid => self.color().to_string(),
            _ => format!("url(#p-{})", self.slug()),
        }
    }
}

/// Counts per kind, dense.
pub type KindCounts = [u64; Kind::COUNT];

/// Adds a second's `codes` (status text → count), `net` and `dropped` into `counts`.
/// Status keys that are not numbers count as "other status".
pub fn add_counts(
    counts: &mut KindCounts,
    codes: &BTreeMap<u16, u64>,
    net: &BTreeMap<String, u64>,
    dropped: u64,
) {
    for (code, n) in codes {
        let kind = Kind::of_status(*code);
        counts[kind.index()] += n;
    }
    for (name, n) in net {
        counts[Kind::of_net(name).index()] += n;
    }
    counts[Kind::Dropped.index()] += dropped;
}

/// `<pattern>` definitions for every hatched kind, to put once in an SVG `<defs>`.
pub fn pattern_defs() -> String {
    let mut out = String::new();
    for kind in Kind::ALL {
        let marks = match kind.hatch() {
            Hatch::Solid => continue,
            Hatch::Diagonal => "<path d='M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2'/>",
            Hatch::BackDiagonal => "<path d='M-1,7 l2,2 M0,0 l8,8 M7,-1 l2,2'/>",
            Hatch::Cross => "<path d='M0,0 l8,8 M8,0 l-8,8'/>",
            Hatch::Dots => "<circle cx='4' cy='4' r='1.4' stroke='none' fill='#fff'/>",
            Hatch::Horizontal => "<path d='M0,4 h8'/>",
            Hatch::Vertical => "<path d='M4,0 v8'/>",
            Hatch::Grid => "<path d='M0,4 h8 M4,0 v8'/>",
        };
        out.push_str(&format!(
            "<pattern id='p-{slug}' patternUnits='userSpaceOnUse' width='8' height='8'>\
             <rect width='8' height='8' fill='{color}'/>\
             <g stroke='#fff' stroke-width='1.2' stroke-opacity='0.85'>{marks}</g></pattern>",
            slug = kind.slug(),
            color = kind.color(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_net_names_map_to_their_kinds() {
        assert_eq!(Kind::of_status(200), Kind::Http2xx);
        assert_eq!(Kind::of_status(301), Kind::Http3xx);
        assert_eq!(Kind::of_status(404), Kind::Http4xx);
        assert_eq!(Kind::of_status(502), Kind::Http502);
        assert_eq!(Kind::of_status(500), Kind::Http5xx);
        assert_eq!(Kind::of_status(101), Kind::Http1xx);
        assert_eq!(Kind::of_net("refused"), Kind::Refused);
        assert_eq!(Kind::of_net("other:EHOSTUNREACH"), Kind::OtherNet);
        assert_eq!(Kind::of_net("aborted"), Kind::OtherNet);
    }

    #[test]
    fn every_kind_has_its_own_color_and_failures_have_a_pattern() {
        for (i, a) in Kind::ALL.iter().enumerate() {
            assert_eq!(a.index(), i);
            for b in &Kind::ALL[i + 1..] {
                assert_ne!(a.color(), b.color(), "{a:?} and {b:?} share a color");
                assert_ne!(a.slug(), b.slug());
            }
            let plain = matches!(a, Kind::Http2xx | Kind::Http3xx);
            assert_eq!(plain, a.hatch() == Hatch::Solid, "{a:?}");
        }
        let defs = pattern_defs();
        for kind in Kind::ALL.iter().filter(|k| k.is_failure()) {
            assert!(defs.contains(&format!("id='p-{}'", kind.slug())));
        }
    }
}
