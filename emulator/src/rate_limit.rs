//! The API gateway's request throttling: a token bucket per project.
//!
//! Huawei Cloud's gateway answers HTTP 429 with `APIGW.0308` once a project sends more than its
//! allowance, usually *without* `Retry-After`, so a client has to find the allowed rate itself.
//! A client that only passes against a gateway that never throttles proves little about running
//! hundreds of kills at once, hence `--rate-limit`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Token buckets, one per project (IAM calls share one bucket of their own).
#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// Tokens added per second; also the bucket's size, so at most one second's worth of
    /// requests can arrive in a burst.
    rate: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimiter {
    /// A limiter allowing `rate` requests per second per project (`rate` > 0).
    pub(crate) fn new(rate: f64) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The allowance, requests per second.
    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }

    /// Takes one token from `key`'s bucket at `now`; false when it is empty (answer 429).
    pub(crate) fn try_acquire(&self, key: &str, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.rate,
            refilled_at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled_at);
        bucket.tokens = (bucket.tokens + elapsed.as_secs_f64() * self.rate).min(self.rate);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_full_bucket_allows_one_seconds_worth_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(5.0);
        let t0 = Instant::now();
        let allowed = (0..10).filter(|_| limiter.try_acquire("p", t0)).count();
        assert_eq!(allowed, 5);
        assert!(!limiter.try_acquire("p", t0 + Duration::from_millis(100)));
        assert!(limiter.try_acquire("p", t0 + Duration::from_millis(210)));
        assert!(!limiter.try_acquire("p", t0 + Duration::from_millis(220)));
    }

    #[test]
    fn each_project_has_its_own_bucket() {
        let limiter = RateLimiter::new(1.0);
        let t0 = Instant::now();
        assert!(limiter.try_acquire("p1", t0));
        assert!(!limiter.try_acquire("p1", t0));
        assert!(limiter.try_acquire("p2", t0));
    }
}
