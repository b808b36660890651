//! Terraform numbers: arbitrary-precision decimals.
//!
//! Terraform (cty) numbers are big floats, so a provider must not squeeze them through `f64`:
//! a 20-digit ID or `0.1` from configuration has to come back exactly as it arrived, or
//! Terraform reports "Provider produced inconsistent result". [`Number`] stores a normalized
//! decimal (sign, significant digits, power of ten), which makes equality and ordering numeric
//! (`1.0 == 1`) and lets the msgpack codec decide exactly when `f64` is lossless.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Exponents (powers of ten) beyond this magnitude are rejected: no real value needs them and
/// rendering them would let a tiny input allocate gigabytes.
const MAX_EXPONENT: i64 = 1_000_000;
/// Beyond this many padding zeros, [`Number`]'s `Display` switches to scientific notation.
const PLAIN_ZEROS_LIMIT: i64 = 1024;

/// An arbitrary-precision decimal number, or positive or negative infinity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number(Repr);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Repr {
    /// `(-1)^negative × digits × 10^exponent`. `digits` holds ASCII digits with no leading or
    /// trailing zero; zero is the empty string with `negative == false` and `exponent == 0`,
    /// so derived equality is numeric equality.
    Finite {
        negative: bool,
        digits: String,
        exponent: i64,
    },
    Infinite {
        negative: bool,
    },
}

/// Text that is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a decimal number ({reason})")]
pub struct NumberParseError {
    /// The offending text.
    pub text: String,
    /// What was wrong with it.
    pub reason: &'static str,
}

impl Number {
    /// The integer `value`.
    pub fn from_i64(value: i64) -> Self {
        Self::finite(value < 0, value.unsigned_abs().to_string(), 0)
    }

    /// The shortest decimal that reads back as `value` (so `0.1f64` becomes exactly `0.1`),
    /// infinity for infinities, `None` for NaN, which Terraform has no number for.
    pub fn from_f64(value: f64) -> Option<Self> {
        if value.is_nan() {
            return None;
        }
        if value.is_infinite() {
            return Some(Number(Repr::Infinite {
                negative: value < 0.0,
            }));
        }
        // `{:e}` prints the shortest round-tripping digits, which always parse.
        format!("{value:e}").parse().ok()
    }

    /// The exact value of the binary `value` (so `0.1f64` becomes
    /// `0.1000000000000000055511151231257827021181583404541015625`), as Terraform sees a
    /// float64 on the wire. `None` for NaN.
    pub(crate) fn from_f64_exact(value: f64) -> Option<Self> {
        if value.is_nan() {
            return None;
        }
        if value.is_infinite() || value == 0.0 {
            return Self::from_f64(value);
        }
        let bits = value.to_bits();
        let negative = bits >> 63 == 1;
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1u64 << 52) - 1);
        let (mantissa, power_of_two) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), biased - 1075)
        };
        let mut limbs = BigDecimalDigits::from_u64(mantissa);
        let exponent = if power_of_two >= 0 {
            limbs.multiply_by_power(2, power_of_two as u32);
            0
        } else {
            // m × 2^-k = m × 5^k × 10^-k
            limbs.multiply_by_power(5, (-power_of_two) as u32);
            power_of_two
        };
        Some(Self::finite(negative, limbs.to_decimal_string(), exponent))
    }

    /// The value as an `i64` when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        let Repr::Finite {
            negative,
            digits,
            exponent,
        } = &self.0
        else {
            return None;
        };
        if *exponent < 0 {
            return None;
        }
        if digits.len() as i64 + exponent > 19 {
            return None;
        }
        let mut text = String::with_capacity(21);
        if *negative {
            text.push('-');
        }
        text.push_str(if digits.is_empty() { "0" } else { digits });
        text.extend(std::iter::repeat_n('0', *exponent as usize));
        text.parse::<i128>()
            .ok()
            .and_then(|n| i64::try_from(n).ok())
    }

    /// The nearest `f64` (infinite when the magnitude is beyond `f64`).
    pub fn as_f64(&self) -> f64 {
        match &self.0 {
            Repr::Infinite { negative: false } => f64::INFINITY,
            Repr::Infinite { negative: true } => f64::NEG_INFINITY,
            Repr::Finite { digits, .. } if digits.is_empty() => 0.0,
            Repr::Finite {
                negative,
                digits,
                exponent,
            } => {
                let sign = if *negative { "-" } else { "" };
                // Rust's float parser rounds correctly for any number of digits.
                format!("{sign}{digits}e{exponent}")
                    .parse()
                    .unwrap_or(f64::NAN)
            }
        }
    }

    /// True when the number has no fractional part (infinities are not integers).
    pub fn is_integer(&self) -> bool {
        matches!(&self.0, Repr::Finite { exponent, .. } if *exponent >= 0)
    }

    /// True for positive or negative infinity.
    pub fn is_infinite(&self) -> bool {
        matches!(self.0, Repr::Infinite { .. })
    }

    /// The `f64` that equals this number exactly, if there is one.
    pub(crate) fn exact_f64(&self) -> Option<f64> {
        match &self.0 {
            Repr::Infinite { .. } => Some(self.as_f64()),
            // No f64 has more than 767 significant decimal digits.
            Repr::Finite { digits, .. } if digits.len() > 800 => None,
            Repr::Finite { .. } => {
                let candidate = self.as_f64();
                (candidate.is_finite() && Self::from_f64_exact(candidate).as_ref() == Some(self))
                    .then_some(candidate)
            }
        }
    }

    fn finite(negative: bool, digits: String, exponent: i64) -> Self {
        let trimmed_leading = digits.trim_start_matches('0');
        let trimmed = trimmed_leading.trim_end_matches('0');
        if trimmed.is_empty() {
            return Number(Repr::Finite {
                negative: false,
                digits: String::new(),
                exponent: 0,
            });
        }
        let dropped_zeros = (trimmed_leading.len() - trimmed.len()) as i64;
        Number(Repr::Finite {
            negative,
            digits: trimmed.to_owned(),
            exponent: exponent + dropped_zeros,
        })
    }

    /// Rank by sign class: -inf, negative, zero, positive, +inf.
    fn sign_class(&self) -> u8 {
        match &self.0 {
            Repr::Infinite { negative: true } => 0,
            Repr::Finite { negative: true, .. } => 1,
            Repr::Finite { digits, .. } if digits.is_empty() => 2,
            Repr::Finite { .. } => 3,
            Repr::Infinite { negative: false } => 4,
        }
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let class = self.sign_class().cmp(&other.sign_class());
        if class != Ordering::Equal {
            return class;
        }
        match (&self.0, &other.0) {
            (
                Repr::Finite {
                    negative,
                    digits: a,
                    exponent: ea,
                },
                Repr::Finite {
                    digits: b,
                    exponent: eb,
                    ..
                },
            ) => {
                // Compare magnitudes: first by the position of the leading digit, then digit by
                // digit (no trailing zeros, so a longer run of equal digits is larger).
                let magnitude = (a.len() as i64 + ea)
                    .cmp(&(b.len() as i64 + eb))
                    .then_with(|| a.as_str().cmp(b.as_str()));
                if *negative {
                    magnitude.reverse()
                } else {
                    magnitude
                }
            }
            _ => Ordering::Equal,
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Plain decimal (`123`, `-0.5`, `100000000000000000000`) unless that would need more than a
/// thousand padding zeros, then scientific (`1.5e+2000`); infinities are `+Inf` / `-Inf` as
/// Terraform prints them. Every finite rendering is also valid JSON number syntax.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (negative, digits, exponent) = match &self.0 {
            Repr::Infinite { negative } => {
                return f.write_str(if *negative { "-Inf" } else { "+Inf" });
            }
            Repr::Finite { digits, .. } if digits.is_empty() => return f.write_str("0"),
            Repr::Finite {
                negative,
                digits,
                exponent,
            } => (*negative, digits.as_str(), *exponent),
        };
        if negative {
            f.write_str("-")?;
        }
        let point = digits.len() as i64 + exponent;
        if (0..=PLAIN_ZEROS_LIMIT).contains(&exponent) {
            f.write_str(digits)?;
            for _ in 0..exponent {
                f.write_str("0")?;
            }
            Ok(())
        } else if exponent < 0 && point > 0 {
            let (whole, fraction) = digits.split_at(point as usize);
            write!(f, "{whole}.{fraction}")
        } else if exponent < 0 && -point <= PLAIN_ZEROS_LIMIT {
            f.write_str("0.")?;
            for _ in 0..-point {
                f.write_str("0")?;
            }
            f.write_str(digits)
        } else {
            let (first, rest) = digits.split_at(1);
            f.write_str(first)?;
            if !rest.is_empty() {
                write!(f, ".{rest}")?;
            }
            write!(f, "e{}{}", if point > 0 { "+" } else { "" }, point - 1)
        }
    }
}

/// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (either side of the point may be empty, not
/// both) and `inf` / `infinity` with an optional sign, case-insensitively.
impl FromStr for Number {
    type Err = NumberParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |reason| NumberParseError {
            text: text.to_owned(),
            reason,
        };
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
            return Ok(Number(Repr::Infinite { negative }));
        }
        let (mantissa, exponent_text) = match unsigned.find(['e', 'E']) {
            Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
            None => (unsigned, None),
        };
        let (whole, fraction) = match mantissa.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (mantissa, ""),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(fail("no digits"));
        }
        if !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return Err(fail("unexpected character"));
        }
        let written_exponent = match exponent_text {
            None => 0,
            Some(exp) => {
                let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(fail("malformed exponent"));
                }
                let magnitude = digits.trim_start_matches('0');
                if magnitude.len() > 12 {
                    return Err(fail("exponent out of range"));
                }
                let magnitude: i64 = if magnitude.is_empty() {
                    0
                } else {
                    magnitude.parse().map_err(|_| fail("malformed exponent"))?
                };
                if exp.starts_with('-') {
                    -magnitude
                } else {
                    magnitude
                }
            }
        };
        let number = Self::finite(
            negative,
            format!("{whole}{fraction}"),
            written_exponent - fraction.len() as i64,
        );
        if let Repr::Finite {
            digits, exponent, ..
        } = &number.0
            && (exponent.abs() > MAX_EXPONENT
                || (digits.len() as i64 + exponent).abs() > MAX_EXPONENT)
        {
            return Err(fail("exponent out of range"));
        }
        Ok(number)
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Self::from_i64(value)
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Self {
        Self::finite(false, value.to_string(), 0)
    }
}

/// Just enough unsigned big-integer arithmetic to expand a float exactly: little-endian
/// limbs in base 10^9.
struct BigDecimalDigits(Vec<u64>);

impl BigDecimalDigits {
    const BASE: u64 = 1_000_000_000;

    fn from_u64(mut value: u64) -> Self {
        let mut limbs = Vec::new();
        while value > 0 {
            limbs.push(value % Self::BASE);
            value /= Self::BASE;
        }
        BigDecimalDigits(limbs)
    }

    fn multiply_small(&mut self, factor: u64) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let product = *limb * factor + carry;
            *limb = product % Self::BASE;
            carry = product / Self::BASE;
        }
        while carry > 0 {
            self.0.push(carry % Self::BASE);
            carry /= Self::BASE;
        }
    }

    fn multiply_by_power(&mut self, base: u64, mut power: u32) {
        // Multiply in chunks that keep each product below 2^64.
        let chunk = if base == 2 { 29 } else { 13 };
        while power > 0 {
            let step = power.min(chunk);
            self.multiply_small(base.pow(step));
            power -= step;
        }
    }

    fn to_decimal_string(&self) -> String {
        let mut text = String::new();
        for (i, limb) in self.0.iter().rev().enumerate() {
            if i == 0 {
                text.push_str(&limb.to_string());
            } else {
                text.push_str(&format!("{limb:09}"));
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        text.parse().unwrap()
    }

    #[test]
    fn equality_is_numeric() {
        assert_eq!(n("1.0"), n("1"));
        assert_eq!(n("100"), n("1e2"));
        assert_eq!(n("0.50"), n("5e-1"));
        assert_eq!(n("-0"), n("0"));
        assert_eq!(n("-0.0e10"), Number::from_i64(0));
        assert_eq!(Number::from_f64(-0.0), Some(n("0")));
    }

    #[test]
    fn ordering_is_numeric() {
        let mut numbers: Vec<Number> = [
            "10", "-inf", "9.99", "-1", "0", "-10.5", "1e400", "inf", "0.001", "-0.01",
        ]
        .into_iter()
        .map(n)
        .collect();
        numbers.sort();
        let shown: Vec<String> = numbers.iter().map(|x| x.to_string()).collect();
        let mut big = "1".to_owned();
        big.push_str(&"0".repeat(400));
        assert_eq!(
            shown,
            [
                "-Inf",
                "-10.5",
                "-1",
                "-0.01",
                "0",
                "0.001",
                "9.99",
                "10",
                big.as_str(),
                "+Inf"
            ]
        );
    }

    #[test]
    fn big_integers_beyond_i64_keep_every_digit() {
        let big = n("123456789012345678901234567890");
        assert_eq!(big.to_string(), "123456789012345678901234567890");
        assert_eq!(big.as_i64(), None);
        assert!(big.is_integer());
        assert_eq!(n("9223372036854775807").as_i64(), Some(i64::MAX));
        assert_eq!(n("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(n("9223372036854775808").as_i64(), None);
        assert_eq!(n("1.5").as_i64(), None);
    }

    #[test]
    fn display_uses_scientific_only_for_extreme_exponents() {
        assert_eq!(n("0.1").to_string(), "0.1");
        assert_eq!(n("-12.50").to_string(), "-12.5");
        assert_eq!(n("1e-5").to_string(), "0.00001");
        assert_eq!(n("1.5e2000").to_string(), "1.5e+2000");
        assert_eq!(n("-2.5e-2000").to_string(), "-2.5e-2000");
        assert_eq!(n("1.5e2000"), n(&n("1.5e2000").to_string()));
        assert_eq!(n("2.5e-2000"), n(&n("2.5e-2000").to_string()));
    }

    #[test]
    fn parse_rejects_what_is_not_a_number() {
        for bad in [
            "",
            "-",
            ".",
            "1..2",
            "1e",
            "1e+",
            "abc",
            "0x10",
            "1_000",
            "1e99999999",
            "1e9999999999999999999999",
            " 1",
        ] {
            assert!(bad.parse::<Number>().is_err(), "{bad:?} parsed");
        }
        assert_eq!(n(".5"), n("0.5"));
        assert_eq!(n("5."), n("5"));
        assert_eq!(n("+7"), n("7"));
    }

    #[test]
    fn from_f64_is_shortest_and_exact_variant_is_exact() {
        assert_eq!(Number::from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(
            Number::from_f64_exact(0.1).unwrap().to_string(),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
        assert_eq!(Number::from_f64(f64::NAN), None);
        assert!(Number::from_f64(f64::INFINITY).unwrap().is_infinite());
        assert_eq!(
            Number::from_f64_exact(1e20).unwrap().to_string(),
            "100000000000000000000"
        );
        assert_eq!(Number::from_f64_exact(f64::MAX).unwrap().as_f64(), f64::MAX);
        let tiny = f64::from_bits(1);
        assert_eq!(Number::from_f64_exact(tiny).unwrap().as_f64(), tiny);
    }

    #[test]
    fn exact_f64_only_when_lossless() {
        assert_eq!(n("0.5").exact_f64(), Some(0.5));
        assert_eq!(n("0.1").exact_f64(), None);
        assert_eq!(Number::from_f64_exact(0.1).unwrap().exact_f64(), Some(0.1));
        assert_eq!(n("1e400").exact_f64(), None);
        assert_eq!(n("123456789012345678901234567890").exact_f64(), None);
    }

    #[test]
    fn as_f64_rounds_to_nearest() {
        assert_eq!(n("0.1").as_f64(), 0.1);
        assert_eq!(n("1e400").as_f64(), f64::INFINITY);
        assert_eq!(n("-1e400").as_f64(), f64::NEG_INFINITY);
        assert_eq!(n("1e-400").as_f64(), 0.0);
    }
}
