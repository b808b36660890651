//! One pace for every request a client sends, set by how the API gateway answers.
//!
//! The gateway throttles a *project* (HTTP 429, `APIGW.0308`, usually without `Retry-After`).
//! If each request retried on its own, 400 concurrent kills would keep hammering a gateway that
//! already said no, and most requests would be 429s. Instead every attempt takes a turn from the
//! client's [`Governor`]: at most [`MAX_IN_FLIGHT`] at once and, once the gateway has throttled,
//! spaced to a shared rate. The rate adapts like TCP's congestion control (AIMD): unlimited until
//! the first 429; then set just below what the gateway let through in the last second; raised by
//! about 5 % a second while nothing is throttled; cut again on the next 429 (at most once a
//! second, since the 429s of requests already on the wire say nothing new). A `Retry-After`
//! pauses everyone until it has passed.
//!
//! The provider can turn it off (`TF_PROVIDER_MRS_GOVERNOR=off`, read where the provider builds its
//! clients): each request then only follows its own retry policy, which the benchmark uses to show
//! the difference. This module reads no environment; it is handed the choice.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Requests one client has on the wire at once.
pub const MAX_IN_FLIGHT: usize = 8;
/// Slowest pace the rate can fall to, requests per second.
const MIN_RATE: f64 = 1.0;
/// The longest a `Retry-After` pauses every start. The header has no upper bound (a broken
/// gateway has sent `18446744073709551615`); each call still gives up at its own deadline when the
/// server asks for more than that leaves (see `retry`), but the shared pause must not outlive them.
pub const MAX_PAUSE: Duration = Duration::from_secs(300);
/// Share of last second's successes the rate is set to after a 429.
const DECREASE_FACTOR: f64 = 0.9;
/// Growth per second without throttling, as a share of the rate (at least one request/s).
const INCREASE_SHARE: f64 = 0.05;
/// The window over which successes are counted, and the least time between two decreases.
const WINDOW: Duration = Duration::from_secs(1);

/// The pace and concurrency shared by every call of one client.
pub(super) struct Governor {
    in_flight: Option<Semaphore>,
    pacing: Mutex<Pacing>,
}

/// Permission to send one attempt; hold it until the answer is read.
pub(super) struct Turn<'a> {
    _permit: Option<SemaphorePermit<'a>>,
}

impl Governor {
    /// A governor that paces and bounds attempts when `enabled`, or lets every attempt go at once.
    pub(super) fn new(enabled: bool) -> Self {
        Self {
            in_flight: enabled.then(|| Semaphore::new(MAX_IN_FLIGHT)),
            pacing: Mutex::new(Pacing::new(enabled)),
        }
    }

    fn pacing(&self) -> std::sync::MutexGuard<'_, Pacing> {
        self.pacing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a free slot and this attempt's turn in the shared pace (never past `deadline`).
    pub(super) async fn turn(&self, deadline: Instant) -> Turn<'_> {
        let Some(in_flight) = &self.in_flight else {
            return Turn { _permit: None };
        };
        let permit = tokio::select! {
            permit = in_flight.acquire() => permit.ok(),
            () = tokio::time::sleep_until(deadline.into()) => None,
        };
        let start_at = self.pacing().reserve(Instant::now());
        if start_at > Instant::now() {
            tokio::time::sleep_until(start_at.min(deadline).into()).await;
        }
        Turn { _permit: permit }
    }

    /// Tells the governor how an attempt was answered.
    pub(super) fn observe(&self, status: u16, retry_after: Option<Duration>) {
        self.pacing().observe(Instant::now(), status, retry_after);
    }
}

/// The shared pace: when the next attempt may start.
#[derive(Debug)]
struct Pacing {
    enabled: bool,
    /// Requests per second; `None` until the gateway first throttles.
    rate: Option<f64>,
    /// The earliest start of the next attempt.
    next_start: Option<Instant>,
    /// Nobody starts before this (a `Retry-After`).
    paused_until: Option<Instant>,
    last_decrease: Option<Instant>,
    /// When recent attempts succeeded, for the last [`WINDOW`].
    successes: VecDeque<Instant>,
}

impl Pacing {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            rate: None,
            next_start: None,
            paused_until: None,
            last_decrease: None,
            successes: VecDeque::new(),
        }
    }

    /// Books the next start at or after `now`.
    fn reserve(&mut self, now: Instant) -> Instant {
        let mut start = now;
        if let Some(paused) = self.paused_until {
            start = start.max(paused);
        }
        if let Some(rate) = self.rate {
            if let Some(next) = self.next_start {
                start = start.max(next);
            }
            let spacing = Duration::try_from_secs_f64(1.0 / rate.max(MIN_RATE)).unwrap_or(WINDOW);
            self.next_start = Some(start.checked_add(spacing).unwrap_or(start));
        }
        start
    }

    fn observe(&mut self, now: Instant, status: u16, retry_after: Option<Duration>) {
        if !self.enabled {
            return;
        }
        while self
            .successes
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > WINDOW)
        {
            self.successes.pop_front();
        }
        if let Some(wait) = retry_after.filter(|_| matches!(status, 429 | 503)) {
            let until = now.checked_add(wait.min(MAX_PAUSE)).unwrap_or(now);
            self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        }
        if status == 429 {
            let recent = self
                .last_decrease
                .is_some_and(|t| now.saturating_duration_since(t) < WINDOW);
            if !recent {
                let let_through = self.successes.len() as f64;
                let ceiling = self.rate.unwrap_or(f64::INFINITY);
                self.rate = Some((let_through * DECREASE_FACTOR).min(ceiling).max(MIN_RATE));
                self.last_decrease = Some(now);
                self.next_start = None;
            }
            return;
        }
        self.successes.push_back(now);
        if let Some(rate) = self.rate.as_mut() {
            // +INCREASE_SHARE of the rate per second: `rate` successes a second, each adding this.
            *rate += (*rate * INCREASE_SHARE).max(1.0) / *rate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn unthrottled_requests_start_at_once() {
        let mut pacing = Pacing::new(true);
        let t0 = Instant::now();
        for i in 0..100 {
            assert_eq!(pacing.reserve(t0 + ms(i)), t0 + ms(i));
            pacing.observe(t0 + ms(i), 202, None);
        }
        assert_eq!(pacing.rate, None);
    }

    #[test]
    fn first_429_sets_the_pace_below_what_got_through_in_the_last_second() {
        let mut pacing = Pacing::new(true);
        let t0 = Instant::now();
        // 30 successes spread over 1.5 s: 20 of them in the last second.
        for i in 0..30 {
            pacing.observe(t0 + ms(i * 50), 202, None);
        }
        let now = t0 + ms(1_500);
        pacing.observe(now, 429, None);
        let rate = pacing.rate.expect("throttled");
        assert!((rate - 18.0).abs() < 1.0, "{rate}");
        // Further 429s of requests already sent do not cut the rate again.
        pacing.observe(now + ms(100), 429, None);
        assert_eq!(pacing.rate, Some(rate));
        // Starts are now spaced by 1/rate.
        let first = pacing.reserve(now);
        let second = pacing.reserve(now);
        let gap = second.duration_since(first).as_secs_f64();
        assert!((gap - 1.0 / rate).abs() < 1e-6, "{gap}");
    }

    #[test]
    fn the_rate_grows_about_five_percent_a_second_without_throttling() {
        let mut pacing = Pacing::new(true);
        let t0 = Instant::now();
        pacing.rate = Some(40.0);
        for i in 0..40 {
            pacing.observe(t0 + ms(i * 25), 200, None);
        }
        let rate = pacing.rate.expect("rate");
        assert!((41.5..42.5).contains(&rate), "{rate}");
    }

    #[test]
    fn retry_after_pauses_every_start() {
        let mut pacing = Pacing::new(true);
        let t0 = Instant::now();
        pacing.observe(t0, 429, Some(Duration::from_secs(2)));
        assert_eq!(pacing.reserve(t0 + ms(10)), t0 + Duration::from_secs(2));
    }

    #[test]
    fn an_absurd_retry_after_pauses_at_most_max_pause() {
        let mut pacing = Pacing::new(true);
        let t0 = Instant::now();
        pacing.observe(t0, 429, Some(Duration::from_secs(u64::MAX)));
        pacing.observe(t0, 503, Some(Duration::MAX));
        assert_eq!(pacing.reserve(t0), t0 + MAX_PAUSE);
    }

    proptest::proptest! {
        #[test]
        fn any_sequence_of_answers_keeps_starts_bounded(
            answers in proptest::collection::vec(
                (100u16..=599, proptest::option::of((proptest::num::u64::ANY, 0u32..1_000_000_000)), 0u64..5_000),
                1..40,
            ),
        ) {
            let mut pacing = Pacing::new(true);
            let t0 = Instant::now();
            let mut now = t0;
            for (status, retry_after, step_ms) in answers {
                now += ms(step_ms);
                let retry_after = retry_after.map(|(secs, nanos)| Duration::new(secs, nanos));
                pacing.observe(now, status, retry_after);
                let start = pacing.reserve(now);
                proptest::prop_assert!(start >= now);
                // Never further than one pause plus one spacing per earlier reservation.
                proptest::prop_assert!(start <= now + MAX_PAUSE + Duration::from_secs(40));
            }
        }
    }

    #[test]
    fn switched_off_it_never_paces() {
        let mut pacing = Pacing::new(false);
        let t0 = Instant::now();
        pacing.observe(t0, 429, Some(Duration::from_secs(2)));
        assert_eq!(pacing.reserve(t0), t0);
        assert!(Governor::new(false).in_flight.is_none());
    }

    #[tokio::test]
    async fn no_more_than_max_in_flight_turns_at_once() {
        let governor = Governor::new(true);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut turns = Vec::new();
        for _ in 0..MAX_IN_FLIGHT {
            turns.push(governor.turn(deadline).await);
        }
        let extra = tokio::time::timeout(ms(50), governor.turn(deadline)).await;
        assert!(extra.is_err(), "a turn beyond MAX_IN_FLIGHT must wait");
        turns.pop();
        let freed = tokio::time::timeout(ms(500), governor.turn(deadline)).await;
        assert!(freed.is_ok());
    }
}
