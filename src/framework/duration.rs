//! Duration strings as Terraform users write them (`"90s"`, `"10m"`, `"1h30m"`), the format of
//! Go's `time.ParseDuration` that `timeouts` blocks across the ecosystem use.

use std::time::Duration;

/// The longest duration accepted: 24 hours. Every duration a user writes (a timeout, a request
/// limit) is added to the current instant, which overflows (and panics) for absurd values; a
/// bound that no real wait comes near keeps that arithmetic safe and refuses typos at validate.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// Longest duration text read; a longer one is refused without being parsed.
const MAX_TEXT_LEN: usize = 64;

/// Parses a duration such as `"10m"`, `"1h30m"`, `"1.5s"` or `"250ms"`.
///
/// Units: `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`. Negative durations and a bare number without a unit
/// (other than `"0"`) are refused, with a message that shows an accepted form, and so is anything
/// above [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    let usage = || {
        let shown: String = text.chars().take(MAX_TEXT_LEN).collect();
        let cut = if shown.len() < text.len() { "…" } else { "" };
        format!(
            "{shown:?}{cut} is not a duration: write a number with a unit, such as \"30s\", \"10m\" or \"1h30m\""
        )
    };
    if trimmed.len() > MAX_TEXT_LEN {
        return Err(usage());
    }
    if trimmed == "0" {
        return Ok(Duration::ZERO);
    }
    if trimmed.is_empty() || trimmed.starts_with('-') {
        return Err(usage());
    }
    let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let mut rest = body;
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(usage)?;
        if number_len == 0 {
            return Err(usage());
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| usage())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(usage()),
        };
        rest = &rest[unit_len..];
        total += number * seconds_per_unit;
    }
    if !total.is_finite() || total > MAX_DURATION.as_secs_f64() {
        return Err(format!(
            "{trimmed:?} is longer than {}h, the longest duration accepted; write at most \"24h\"",
            MAX_DURATION.as_secs() / 3600
        ));
    }
    Duration::try_from_secs_f64(total).map_err(|_| usage())
}

/// Validator form of [`parse_duration`] for schema attributes.
pub fn validate_duration(text: &str) -> Result<(), String> {
    parse_duration(text).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_style_durations() {
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_durations_above_the_bound_without_overflowing() {
        assert_eq!(parse_duration("24h"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("1439m60s"), Ok(MAX_DURATION));
        for absurd in [
            "24h1ns",
            "25h",
            "10000000000000000000s",
            "3000000000000000h",
            "18446744073709551615s",
            "99999999999999999999999999999999999999999999999999h",
        ] {
            let err = parse_duration(absurd).expect_err(absurd);
            assert!(err.contains("24h"), "{absurd}: {err}");
        }
    }

    #[test]
    fn refuses_long_text_and_shows_only_its_start() {
        let long = "1".repeat(10_000) + "s";
        let err = parse_duration(&long).unwrap_err();
        assert!(err.len() < 200, "{err}");
    }

    #[test]
    fn refuses_durations_without_units_or_negative() {
        for bad in ["", "10", "-5s", "5 minutes", "m", "1x", "1..2s"] {
            let err = parse_duration(bad).expect_err(bad);
            assert!(err.contains("\"10m\""), "{err}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_to_a_bounded_duration_or_an_error(text in "\\PC{0,80}") {
            if let Ok(duration) = parse_duration(&text) {
                proptest::prop_assert!(duration <= MAX_DURATION);
                proptest::prop_assert!(std::time::Instant::now().checked_add(duration).is_some());
            }
        }

        #[test]
        fn number_and_unit_soup_never_panics(
            parts in proptest::collection::vec(("[0-9.]{0,25}", "(ns|us|µs|ms|s|m|h|x|)"), 0..6),
            sign in "[+-]?",
        ) {
            let text: String = sign + &parts.iter().map(|(n, u)| format!("{n}{u}")).collect::<String>();
            if let Ok(duration) = parse_duration(&text) {
                proptest::prop_assert!(duration <= MAX_DURATION, "{text}");
            }
        }
    }
}
