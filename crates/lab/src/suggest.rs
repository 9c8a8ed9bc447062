//! "Did you mean …?" for names the user typed: the closest known name, when one is close.
use strsim::damerau_levenshtein;

/// The known name closest to `typed`, if it is close enough to be a typo: at most a third of
/// the typed length in edits (at least one), so `nginx-sigtem` finds `nginx-sigterm` but
/// `shop` finds nothing.
pub fn closest<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (typed.chars().count() / 3).max(1);
    known
        .into_iter()
        .map(|k| (damerau_levenshtein(typed, k), k))
        .filter(|(d, k)| *d <= limit && *k != typed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// `; did you mean x?` when a known name is close, else nothing.
pub fn did_you_mean<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    closest(typed, known).map(|k| format!("; did you mean {k}?")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name_and_strangers_find_none() {
        let names = ["nginx-sigterm", "nginx-sigquit", "alb-keepalive"];
        assert_eq!(closest("nginx-sigtem", names), Some("nginx-sigterm"));
        assert_eq!(closest("alb-keeplaive", names), Some("alb-keepalive"));
        assert_eq!(closest("shop", names), None);
        assert_eq!(did_you_mean("ngnix", ["nginx"]), "; did you mean nginx?");
    }
}
