//! Duration strings as Terraform users write them (`"90s"`, `"10m"`, `"1h30m"`), the format of
//! Go's `time.ParseDuration` that `timeouts` blocks across the ecosystem use.

use std::time::Duration;

/// Parses a duration such as `"10m"`, `"1h30m"`, `"1.5s"` or `"250ms"`.
///
/// Units: `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`. Negative durations and a bare number without a unit
/// (other than `"0"`) are refused, with a message that shows an accepted form.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    let usage = || {
        format!(
            "{text:?} is not a duration: write a number with a unit, such as \"30s\", \"10m\" or \"1h30m\""
        )
    };
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
    fn refuses_durations_without_units_or_negative() {
        for bad in ["", "10", "-5s", "5 minutes", "m", "1x", "1..2s"] {
            let err = parse_duration(bad).expect_err(bad);
            assert!(err.contains("\"10m\""), "{err}");
        }
    }
}
