//! When and how long to wait before trying an MRS call again.
//!
//! The API gateway throttles (429) and its back ends have bad moments (5xx, dropped
//! connections). Retrying those with exponential backoff and *full jitter* (a random wait
//! between zero and the current ceiling) spreads many providers' retries apart; a
//! `Retry-After` header, when sent, says exactly how long to wait. No wait may run past the
//! call's deadline. The decisions are pure functions so they can be tested without a clock.

use rand::Rng;
use std::time::{Duration, Instant, SystemTime};

/// Statuses worth another attempt: throttling and the gateway/back-end failures that are
/// usually transient.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// Retry limits and backoff shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Backoff ceiling before the first retry; doubles for each further retry.
    pub base_delay: Duration,
    /// Largest backoff ceiling.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The ceiling of the wait before retry number `retry` (0 for the first retry):
    /// `min(max_delay, base_delay * 2^retry)`.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// A random wait in `[0, backoff_ceiling(retry)]` (full jitter).
    pub fn backoff(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.random_range(0..=nanos))
    }

    /// Decides what to do after attempt number `attempt` (1 for the first) failed in a
    /// retryable way: wait `retry_after` if the server said so, a jittered backoff otherwise,
    /// unless retries are used up or the wait would reach `deadline`.
    pub fn decide(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        now: Instant,
        deadline: Instant,
        rng: &mut impl Rng,
    ) -> RetryDecision {
        if attempt > self.max_retries {
            return RetryDecision::GiveUp(GiveUpReason::RetriesExhausted);
        }
        let wait = retry_after.unwrap_or_else(|| self.backoff(attempt.saturating_sub(1), rng));
        match now.checked_add(wait) {
            Some(resume) if resume < deadline => RetryDecision::RetryAfter(wait),
            _ => RetryDecision::GiveUp(GiveUpReason::DeadlineWouldPass { wait }),
        }
    }
}

/// What to do after a retryable failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Sleep this long, then try again.
    RetryAfter(Duration),
    /// Stop and report the last failure.
    GiveUp(GiveUpReason),
}

/// Why no further attempt is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUpReason {
    /// `max_retries` retries have been made.
    RetriesExhausted,
    /// Waiting `wait` would reach the call's deadline.
    DeadlineWouldPass {
        /// The wait that did not fit.
        wait: Duration,
    },
}

/// Parses a `Retry-After` value: delta-seconds (`"120"`) or an HTTP-date, relative to `now`.
/// A date in the past means "now" (zero); anything unparsable is ignored (`None`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }

    #[test]
    fn throttling_and_transient_server_errors_retry_other_statuses_do_not() {
        for status in [429, 500, 502, 503, 504] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [200, 202, 400, 401, 403, 404, 409, 418, 501, 505] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn backoff_ceiling_doubles_from_base_and_stops_at_cap() {
        let p = policy();
        assert_eq!(p.backoff_ceiling(0), Duration::from_millis(200));
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(400));
        assert_eq!(p.backoff_ceiling(5), Duration::from_millis(6400));
        assert_eq!(p.backoff_ceiling(6), Duration::from_secs(10));
        assert_eq!(p.backoff_ceiling(200), Duration::from_secs(10));
    }

    #[test]
    fn jittered_backoff_stays_within_zero_and_ceiling() {
        let p = policy();
        let mut rng = StdRng::seed_from_u64(7);
        for retry in 0..10 {
            for _ in 0..200 {
                assert!(p.backoff(retry, &mut rng) <= p.backoff_ceiling(retry));
            }
        }
    }

    #[test]
    fn retry_after_seconds_and_http_date_are_understood() {
        let now = httpdate::parse_http_date("Thu, 01 Jan 2026 00:00:00 GMT").unwrap();
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn retry_after_header_takes_precedence_over_backoff() {
        let now = Instant::now();
        let deadline = now + Duration::from_secs(60);
        let mut rng = StdRng::seed_from_u64(1);
        let decision = policy().decide(1, Some(Duration::from_secs(3)), now, deadline, &mut rng);
        assert_eq!(decision, RetryDecision::RetryAfter(Duration::from_secs(3)));
    }

    #[test]
    fn retries_stop_after_max_retries() {
        let now = Instant::now();
        let deadline = now + Duration::from_secs(3600);
        let mut rng = StdRng::seed_from_u64(1);
        let p = policy();
        assert!(matches!(
            p.decide(5, None, now, deadline, &mut rng),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(
            p.decide(6, None, now, deadline, &mut rng),
            RetryDecision::GiveUp(GiveUpReason::RetriesExhausted)
        );
    }

    #[test]
    fn deadline_wins_over_a_long_retry_after() {
        let now = Instant::now();
        let deadline = now + Duration::from_secs(5);
        let mut rng = StdRng::seed_from_u64(1);
        let wait = Duration::from_secs(30);
        assert_eq!(
            policy().decide(1, Some(wait), now, deadline, &mut rng),
            RetryDecision::GiveUp(GiveUpReason::DeadlineWouldPass { wait })
        );
    }

    #[test]
    fn retry_after_beyond_any_clock_gives_up_instead_of_overflowing() {
        let now = httpdate::parse_http_date("Thu, 01 Jan 2026 00:00:00 GMT").unwrap();
        for absurd in ["18446744073709551615", "9223372036854775807"] {
            let wait = parse_retry_after(absurd, now).expect("delta-seconds");
            let start = Instant::now();
            let decision = policy().decide(
                1,
                Some(wait),
                start,
                start + Duration::from_secs(60),
                &mut StdRng::seed_from_u64(1),
            );
            assert_eq!(
                decision,
                RetryDecision::GiveUp(GiveUpReason::DeadlineWouldPass { wait })
            );
        }
        assert_eq!(parse_retry_after("99999999999999999999999", now), None);
        let far = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).expect("a date");
        assert!(far > Duration::from_secs(200 * 365 * 86_400));
    }

    proptest::proptest! {
        #[test]
        fn any_retry_after_either_fits_before_the_deadline_or_gives_up(
            text in "[0-9]{0,30}|\\PC{0,40}",
            secs in proptest::num::u64::ANY,
            budget_ms in 0u64..1_000_000,
            attempt in 0u32..10,
        ) {
            let now = Instant::now();
            let deadline = now + Duration::from_millis(budget_ms);
            let mut rng = StdRng::seed_from_u64(secs);
            for retry_after in [parse_retry_after(&text, SystemTime::now()), Some(Duration::from_secs(secs)), None] {
                match policy().decide(attempt, retry_after, now, deadline, &mut rng) {
                    RetryDecision::RetryAfter(wait) => proptest::prop_assert!(now + wait < deadline),
                    RetryDecision::GiveUp(_) => {}
                }
            }
        }
    }
}
