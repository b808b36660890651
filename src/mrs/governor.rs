//! One pace for every request sent to one API gateway, set by how the gateway answers.
//!
//! The gateway throttles a *project* (HTTP 429, `APIGW.0308`, usually without `Retry-After`).
//! If each request retried on its own, 400 concurrent kills would keep hammering a gateway that
//! already said no, and most requests would be 429s. Instead every attempt takes a turn from its
//! gateway's [`Governor`]: at most [`MAX_IN_FLIGHT`] at once and, once the gateway has throttled,
//! spaced to a shared rate. The rate adapts like TCP's congestion control (AIMD):
//!
//! - unlimited until the first 429;
//! - on a 429, cut to [`DECREASE_FACTOR`] of the lower of the current rate and what the gateway
//!   let through in the last second. That lower figure is the gateway's limit, except at the
//!   first 429: what got through before it was a burst (a full token bucket, or the few answers of
//!   a client that had just started), no measure of the limit;
//! - only a 429 of an attempt sent at the current rate cuts it again: the 429s of attempts sent
//!   before the last cut say nothing new, and attempts still waiting for a start booked at the
//!   old rate book again at the new one. After a cut the next start waits one spacing;
//! - while nothing is throttled the rate grows: doubling a second while the limit is unknown (TCP's
//!   slow start), by [`INCREASE_SHARE`] a second below the limit and by only [`PROBE_SHARE`] a
//!   second above it. A gateway's token bucket banks what a client leaves unused below the limit
//!   and pays it out above it, so the slow probe costs little time and spaces the 429s that find
//!   the limit again far apart. Growth comes with each success, so a client sending less than
//!   its rate (a wait listing once a second) does not grow it.
//!
//! A `Retry-After` pauses everyone until it has passed.
//!
//! Every client of the process that reaches the same gateway (scheme, host and port) shares its
//! governor ([`Governor::for_gateway`]): Terraform configures the provider anew for the apply
//! after the plan, in the same process, and a client that began unpaced while the plan's had
//! already found the limit would throttle the project again, then misjudge the limit from its
//! own few answers. A client that turns pacing off (`TF_PROVIDER_MRS_GOVERNOR=off`, read where the
//! provider builds its clients, for the benchmark that shows the difference) takes no turns: each
//! request only follows its own retry policy. This module reads no environment.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::debug;
use url::Url;

/// Requests one gateway has on the wire at once, from this process.
pub const MAX_IN_FLIGHT: usize = 8;
/// Slowest pace the rate can fall to, requests per second.
const MIN_RATE: f64 = 1.0;
/// The longest a `Retry-After` pauses every start. The header has no upper bound (a broken
/// gateway has sent `18446744073709551615`); each call still gives up at its own deadline when the
/// server asks for more than that leaves (see `retry`), but the shared pause must not outlive them.
pub const MAX_PAUSE: Duration = Duration::from_secs(300);
/// Share of the gateway's limit the rate is set to after a 429.
const DECREASE_FACTOR: f64 = 0.9;
/// Growth per second below the gateway's last limit, as a share of the rate (at least
/// [`MIN_GROWTH`] requests/s a second).
const INCREASE_SHARE: f64 = 0.05;
/// Growth per second at or above the gateway's last limit, as a share of the rate.
const PROBE_SHARE: f64 = 0.01;
/// The least growth below the limit, requests/s a second, so a rate cut to a few requests a
/// second comes back in seconds rather than minutes.
const MIN_GROWTH: f64 = 1.0;
/// The window over which successes are counted.
const WINDOW: Duration = Duration::from_secs(1);

/// The pace and concurrency shared by every call to one gateway.
pub(super) struct Governor {
    in_flight: Arc<Semaphore>,
    pacing: Mutex<Pacing>,
}

/// Permission to send one attempt; hand it back with [`Turn::answered`] once the answer is read,
/// or drop it when there was none.
pub(super) struct Turn {
    governor: Arc<Governor>,
    /// The rate's generation when the attempt was sent.
    generation: u64,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Governor {
    fn new() -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            pacing: Mutex::new(Pacing::new()),
        }
    }

    /// The process's governor for the gateway `url` goes to (its scheme, host and port).
    pub(super) fn for_gateway(url: &Url) -> Arc<Self> {
        static GATEWAYS: LazyLock<Mutex<HashMap<String, Arc<Governor>>>> =
            LazyLock::new(Mutex::default);
        let mut gateways = GATEWAYS.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            gateways
                .entry(url.origin().ascii_serialization())
                .or_insert_with(|| Arc::new(Self::new())),
        )
    }

    fn pacing(&self) -> MutexGuard<'_, Pacing> {
        self.pacing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a free slot and this attempt's turn in the shared pace (never past `deadline`).
    pub(super) async fn turn(self: &Arc<Self>, deadline: Instant) -> Turn {
        let permit = tokio::select! {
            permit = Arc::clone(&self.in_flight).acquire_owned() => permit.ok(),
            () = tokio::time::sleep_until(deadline.into()) => None,
        };
        // A start booked before the rate was cut is booked again, once, at the new rate.
        for _ in 0..2 {
            let (start_at, generation) = self.pacing().reserve(Instant::now());
            if start_at > Instant::now() {
                tokio::time::sleep_until(start_at.min(deadline).into()).await;
            }
            if self.pacing().generation == generation {
                break;
            }
        }
        Turn {
            governor: Arc::clone(self),
            generation: self.pacing().generation,
            _permit: permit,
        }
    }
}

impl Turn {
    /// Tells the governor how the attempt was answered, and frees its slot.
    pub(super) fn answered(self, status: u16, retry_after: Option<Duration>) {
        let mut pacing = self.governor.pacing();
        if pacing.observe(Instant::now(), self.generation, status, retry_after) {
            debug!(
                rate = pacing.rate,
                limit = pacing.limit,
                "the gateway throttled: requests now start at most `rate` a second"
            );
        }
    }
}

/// The time between two starts at `rate` requests per second.
fn spacing(rate: f64) -> Duration {
    Duration::try_from_secs_f64(1.0 / rate.max(MIN_RATE)).unwrap_or(WINDOW)
}

/// The shared pace: when the next attempt may start.
#[derive(Debug)]
struct Pacing {
    /// Requests per second; `None` until the gateway first throttles.
    rate: Option<f64>,
    /// What the gateway let through when it last throttled a paced client, requests per second;
    /// `None` while unknown.
    limit: Option<f64>,
    /// How many times the rate was cut.
    generation: u64,
    /// The earliest start of the next attempt.
    next_start: Option<Instant>,
    /// Nobody starts before this (a `Retry-After`).
    paused_until: Option<Instant>,
    /// When recent attempts succeeded, for the last [`WINDOW`].
    successes: VecDeque<Instant>,
}

impl Pacing {
    fn new() -> Self {
        Self {
            rate: None,
            limit: None,
            generation: 0,
            next_start: None,
            paused_until: None,
            successes: VecDeque::new(),
        }
    }

    /// Books the next start at or after `now`; also returns the rate's generation.
    fn reserve(&mut self, now: Instant) -> (Instant, u64) {
        let mut start = now;
        if let Some(paused) = self.paused_until {
            start = start.max(paused);
        }
        if let Some(rate) = self.rate {
            if let Some(next) = self.next_start {
                start = start.max(next);
            }
            self.next_start = Some(start.checked_add(spacing(rate)).unwrap_or(start));
        }
        (start, self.generation)
    }

    /// Takes in the answer to an attempt sent at the rate of `generation`; true when it cut the
    /// rate.
    fn observe(
        &mut self,
        now: Instant,
        generation: u64,
        status: u16,
        retry_after: Option<Duration>,
    ) -> bool {
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
            if generation != self.generation {
                return false;
            }
            let let_through = self.successes.len() as f64;
            let limit = let_through
                .min(self.rate.unwrap_or(f64::INFINITY))
                .max(MIN_RATE);
            let rate = (limit * DECREASE_FACTOR).max(MIN_RATE);
            self.limit = self.rate.is_some().then_some(limit);
            self.rate = Some(rate);
            self.generation += 1;
            // The gateway has nothing left for now: the next start waits one spacing at the new
            // rate, like every start after it.
            self.next_start = now.checked_add(spacing(rate));
            return true;
        }
        self.successes.push_back(now);
        if let Some(rate) = self.rate.as_mut() {
            let growth = match self.limit {
                None => *rate,
                Some(limit) if *rate < limit => (*rate * INCREASE_SHARE).max(MIN_GROWTH),
                Some(_) => *rate * PROBE_SHARE,
            };
            // `rate` successes a second, each adding its share of the growth.
            *rate += growth / *rate;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Books a start at `now` and answers it with `status` at `now`.
    fn answer(pacing: &mut Pacing, now: Instant, status: u16) {
        let (_, generation) = pacing.reserve(now);
        pacing.observe(now, generation, status, None);
    }

    #[test]
    fn unthrottled_requests_start_at_once() {
        let mut pacing = Pacing::new();
        let t0 = Instant::now();
        for i in 0..100 {
            assert_eq!(pacing.reserve(t0 + ms(i)).0, t0 + ms(i));
            pacing.observe(t0 + ms(i), 0, 202, None);
        }
        assert_eq!(pacing.rate, None);
    }

    #[test]
    fn first_429_sets_the_pace_below_what_got_through_in_the_last_second() {
        let mut pacing = Pacing::new();
        let t0 = Instant::now();
        // 30 successes spread over 1.5 s: 20 of them in the last second.
        for i in 0..30 {
            answer(&mut pacing, t0 + ms(i * 50), 202);
        }
        let now = t0 + ms(1_500);
        pacing.observe(now, 0, 429, None);
        let rate = pacing.rate.expect("throttled");
        assert!((rate - 18.0).abs() < 1.0, "{rate}");
        // A burst before the first 429 does not tell the limit.
        assert_eq!(pacing.limit, None);
        // Starts are now spaced by 1/rate.
        let (first, _) = pacing.reserve(now);
        let (second, _) = pacing.reserve(now);
        let gap = second.duration_since(first).as_secs_f64();
        assert!((gap - 1.0 / rate).abs() < 1e-6, "{gap}");
    }

    #[test]
    fn only_a_429_of_an_attempt_sent_at_the_new_rate_cuts_it_again() {
        let mut pacing = Pacing::new();
        let t0 = Instant::now();
        for i in 0..20 {
            answer(&mut pacing, t0 + ms(i * 50), 202);
        }
        let sent_before_the_cut = pacing.reserve(t0 + ms(1_000)).1;
        pacing.observe(t0 + ms(1_000), sent_before_the_cut, 429, None);
        let rate = pacing.rate.expect("throttled");
        // Another attempt sent before that cut was throttled too: nothing new.
        pacing.observe(t0 + ms(1_010), sent_before_the_cut, 429, None);
        assert_eq!(pacing.rate, Some(rate));
        // One sent at the new rate was throttled: the gateway allows less still.
        let (_, sent_after) = pacing.reserve(t0 + ms(1_050));
        pacing.observe(t0 + ms(1_060), sent_after, 429, None);
        let cut_again = pacing.rate.expect("throttled");
        assert!(
            (cut_again - rate * DECREASE_FACTOR).abs() < 1e-9,
            "{cut_again}"
        );
        // A client already paced was throttled: that is the limit.
        assert_eq!(pacing.limit, Some(rate));
    }

    /// The rate after one second of successes at `rate` with the gateway's last limit at `limit`.
    fn after_one_second(rate: f64, limit: Option<f64>) -> f64 {
        let mut pacing = Pacing::new();
        pacing.rate = Some(rate);
        pacing.limit = limit;
        let t0 = Instant::now();
        let each = Duration::from_secs_f64(1.0 / rate);
        for i in 0..rate as u32 {
            answer(&mut pacing, t0 + each * i, 200);
        }
        pacing.rate.expect("rate")
    }

    #[test]
    fn below_the_limit_the_rate_grows_about_five_percent_a_second() {
        let rate = after_one_second(40.0, Some(50.0));
        assert!((41.5..42.5).contains(&rate), "{rate}");
        // At least MIN_GROWTH a second, however low the rate was cut.
        let rate = after_one_second(2.0, Some(50.0));
        assert!((2.9..3.1).contains(&rate), "{rate}");
    }

    #[test]
    fn at_the_limit_the_rate_grows_about_one_percent_a_second() {
        let rate = after_one_second(40.0, Some(40.0));
        assert!((40.3..40.5).contains(&rate), "{rate}");
    }

    #[test]
    fn while_the_limit_is_unknown_the_rate_about_doubles_a_second() {
        let rate = after_one_second(10.0, None);
        assert!((19.0..21.0).contains(&rate), "{rate}");
    }

    #[test]
    fn retry_after_pauses_every_start() {
        let mut pacing = Pacing::new();
        let t0 = Instant::now();
        pacing.observe(t0, 0, 429, Some(Duration::from_secs(2)));
        assert_eq!(pacing.reserve(t0 + ms(10)).0, t0 + Duration::from_secs(2));
    }

    #[test]
    fn an_absurd_retry_after_pauses_at_most_max_pause() {
        let mut pacing = Pacing::new();
        let t0 = Instant::now();
        pacing.observe(t0, 0, 429, Some(Duration::from_secs(u64::MAX)));
        pacing.observe(t0, 1, 503, Some(Duration::MAX));
        assert_eq!(pacing.reserve(t0).0, t0 + MAX_PAUSE);
    }

    /// A gateway's token bucket holding one second of `rate`, on a simulated clock.
    struct Bucket {
        rate: f64,
        tokens: f64,
        at: Instant,
    }

    impl Bucket {
        fn take(&mut self, now: Instant) -> bool {
            let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
            self.at = now;
            let taken = self.tokens >= 1.0;
            if taken {
                self.tokens -= 1.0;
            }
            taken
        }
    }

    #[test]
    fn against_a_token_bucket_it_keeps_near_the_rate_with_few_429s() {
        // 2,000 requests, one at a time, 5 ms each, through a 25 requests/s bucket that starts
        // full; a throttled request is sent again (after 200 ms) until it gets through.
        let t0 = Instant::now();
        let mut bucket = Bucket {
            rate: 25.0,
            tokens: 25.0,
            at: t0,
        };
        let mut pacing = Pacing::new();
        let (mut now, mut done, mut throttled) = (t0, 0, 0);
        let mut retry_at: Option<Instant> = None;
        while done < 2_000 {
            let (start, generation) = pacing.reserve(now.max(retry_at.unwrap_or(now)));
            let answered_at = start + ms(5);
            if bucket.take(start) {
                pacing.observe(answered_at, generation, 202, None);
                done += 1;
                retry_at = None;
            } else {
                pacing.observe(answered_at, generation, 429, None);
                throttled += 1;
                retry_at = Some(answered_at + ms(200));
            }
            now = answered_at;
        }
        let seconds = now.duration_since(t0).as_secs_f64();
        let ideal = (2_000.0 - 25.0) / 25.0;
        let share = f64::from(throttled) / f64::from(throttled + done);
        assert!(share < 0.02, "{throttled} 429s of {}", throttled + done);
        assert!(
            seconds < ideal * 1.05,
            "{seconds:.1} s against {ideal:.1} s"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_sequence_of_answers_keeps_starts_bounded(
            answers in proptest::collection::vec(
                (100u16..=599, proptest::option::of((proptest::num::u64::ANY, 0u32..1_000_000_000)), 0u64..5_000),
                1..40,
            ),
        ) {
            let mut pacing = Pacing::new();
            let t0 = Instant::now();
            let mut now = t0;
            for (status, retry_after, step_ms) in answers {
                now += ms(step_ms);
                let retry_after = retry_after.map(|(secs, nanos)| Duration::new(secs, nanos));
                let generation = pacing.generation;
                pacing.observe(now, generation, status, retry_after);
                let (start, _) = pacing.reserve(now);
                proptest::prop_assert!(start >= now);
                // Never further than one pause plus one spacing per earlier reservation.
                proptest::prop_assert!(start <= now + MAX_PAUSE + Duration::from_secs(40));
            }
        }
    }

    #[test]
    fn clients_of_one_gateway_share_its_governor() {
        let url = |s: &str| Url::parse(s).expect("url");
        let one = Governor::for_gateway(&url("http://127.0.0.1:1/v2/p/clusters"));
        let same = Governor::for_gateway(&url("http://127.0.0.1:1/v3/projects?name=x"));
        let other_port = Governor::for_gateway(&url("http://127.0.0.1:2/v2/p/clusters"));
        assert!(Arc::ptr_eq(&one, &same));
        assert!(!Arc::ptr_eq(&one, &other_port));
    }

    #[tokio::test]
    async fn no_more_than_max_in_flight_turns_at_once() {
        let governor = Arc::new(Governor::new());
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
