//! Fault injection: the failures a real MRS endpoint, or the network in front of it, produces on demand.
//!
//! Retries, timeouts and error reporting in a client can only be tested if the server misbehaves
//! exactly when and how the test asks. A [`FaultPlan`] scripts that per route (a queue of steps used
//! up in order) and, for soak tests, at random from a seed so a failing run can be replayed.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

use crate::route_names::Route;

/// What the emulator does with one API request instead of, or before, answering it normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultStep {
    /// Answer with `status`, an optional `Retry-After` header and an optional raw body
    /// (an API-gateway style JSON error when `body` is `None`).
    Status {
        /// HTTP status code to answer with.
        status: u16,
        /// Value of the `Retry-After` header, sent verbatim (seconds or an HTTP date).
        retry_after: Option<String>,
        /// Exact response body; `None` picks a JSON error naming the status.
        body: Option<String>,
    },
    /// Close the TCP connection without writing any response; the request never reaches MRS.
    Drop,
    /// Carry the request out (a kill is accepted or refused, a job submitted), then close the
    /// connection without the answer: the lost answer after the work was done.
    DropAfter,
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Never answer: the request stays open until the client gives up or the emulator stops.
    Hang,
    /// Answer with `status` and a body of `bytes` bytes (to test response size limits).
    HugeBody {
        /// HTTP status code to answer with.
        status: u16,
        /// Size of the body in bytes.
        bytes: usize,
    },
    /// Answer with `status`, a JSON content type and a body that is not JSON at all.
    Garbage {
        /// HTTP status code to answer with.
        status: u16,
    },
}

/// A script of faults per API route name (the seven of [`Route`]); admin routes are never faulted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    /// Steps per route, used one per request in order; once a queue is empty the route behaves normally.
    pub per_route: HashMap<Route, VecDeque<FaultStep>>,
    /// Probability (0..=1) that a request without a scripted step fails at random with
    /// 500, 502, 503, 504, 429, a dropped connection or an answer dropped after the request
    /// was carried out.
    pub failure_rate: f64,
    /// Seed of the random generator behind `failure_rate`, so a run can be replayed.
    pub seed: u64,
    /// Added before every API request is handled.
    pub latency: Duration,
}

impl FaultPlan {
    /// A plan that injects nothing.
    pub fn none() -> Self {
        Self::default()
    }

    /// Appends `steps` to the queue of `route` (builder style).
    pub fn on(mut self, route: Route, steps: impl IntoIterator<Item = FaultStep>) -> Self {
        self.per_route.entry(route).or_default().extend(steps);
        self
    }

    /// Shorthand for a [`FaultStep::Status`] without `Retry-After` or body.
    pub fn status(status: u16) -> FaultStep {
        FaultStep::Status {
            status,
            retry_after: None,
            body: None,
        }
    }
}

/// One of the failures `failure_rate` chooses from.
#[derive(Debug, Clone, Copy)]
enum RandomFailure {
    Status(u16),
    Drop,
    DropAfter,
}

/// What `failure_rate` chooses from, as a flaky gateway and network would fail.
const RANDOM_FAILURES: [RandomFailure; 7] = [
    RandomFailure::Status(500),
    RandomFailure::Status(502),
    RandomFailure::Status(503),
    RandomFailure::Status(504),
    RandomFailure::Status(429),
    RandomFailure::Drop,
    RandomFailure::DropAfter,
];

/// A fault plan being used up, with its random generator.
pub(crate) struct FaultState {
    plan: FaultPlan,
    rng: StdRng,
}

impl FaultState {
    /// Starts using `plan`; the random generator is seeded from `plan.seed`.
    pub(crate) fn new(plan: FaultPlan) -> Self {
        let rng = StdRng::seed_from_u64(plan.seed);
        Self { plan, rng }
    }

    /// Latency added to every API request.
    pub(crate) fn latency(&self) -> Duration {
        self.plan.latency
    }

    /// The fault for the next request on `route`, if any: a scripted step first, else a random failure.
    pub(crate) fn next_fault(&mut self, route: Route) -> Option<FaultStep> {
        if let Some(step) = self
            .plan
            .per_route
            .get_mut(&route)
            .and_then(VecDeque::pop_front)
        {
            return Some(step);
        }
        let rate = self.plan.failure_rate;
        if rate <= 0.0 || self.rng.random::<f64>() >= rate {
            return None;
        }
        let pick = RANDOM_FAILURES[self.rng.random_range(0..RANDOM_FAILURES.len())];
        Some(match pick {
            RandomFailure::Status(429) => FaultStep::Status {
                status: 429,
                retry_after: Some("1".to_owned()),
                body: None,
            },
            RandomFailure::Status(status) => FaultPlan::status(status),
            RandomFailure::Drop => FaultStep::Drop,
            RandomFailure::DropAfter => FaultStep::DropAfter,
        })
    }
}

/// Why a fault plan sent to `POST /__emulator/faults` was refused.
#[derive(Debug, thiserror::Error)]
pub enum FaultSpecError {
    /// The body is not the expected JSON shape.
    #[error("fault plan is not valid JSON of the expected shape: {0}")]
    Json(#[from] serde_json::Error),
    /// `failure_rate` is outside 0..=1.
    #[error("failure_rate must be between 0 and 1, got {0}")]
    FailureRate(f64),
    /// A status code outside 100..=599.
    #[error("status {0} is not an HTTP status code (100..=599)")]
    Status(u16),
}

/// JSON form of a [`FaultPlan`], as accepted by `POST /__emulator/faults`:
/// `{"per_route":{"kill":[{"kind":"status","status":503},{"kind":"drop"}]},"failure_rate":0.1,"seed":7,"latency_ms":20}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultPlanSpec {
    #[serde(default)]
    per_route: HashMap<Route, Vec<FaultStepSpec>>,
    #[serde(default)]
    failure_rate: f64,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    latency_ms: u64,
}

/// JSON form of a [`FaultStep`], tagged by `kind`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FaultStepSpec {
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<String>,
        #[serde(default)]
        body: Option<String>,
    },
    Drop,
    DropAfter,
    Delay {
        ms: u64,
    },
    Hang,
    HugeBody {
        status: u16,
        bytes: usize,
    },
    Garbage {
        status: u16,
    },
}

fn checked_status(status: u16) -> Result<u16, FaultSpecError> {
    if (100..=599).contains(&status) {
        Ok(status)
    } else {
        Err(FaultSpecError::Status(status))
    }
}

impl FaultStepSpec {
    fn into_step(self) -> Result<FaultStep, FaultSpecError> {
        Ok(match self {
            Self::Status {
                status,
                retry_after,
                body,
            } => FaultStep::Status {
                status: checked_status(status)?,
                retry_after,
                body,
            },
            Self::Drop => FaultStep::Drop,
            Self::DropAfter => FaultStep::DropAfter,
            Self::Delay { ms } => FaultStep::Delay(Duration::from_millis(ms)),
            Self::Hang => FaultStep::Hang,
            Self::HugeBody { status, bytes } => FaultStep::HugeBody {
                status: checked_status(status)?,
                bytes,
            },
            Self::Garbage { status } => FaultStep::Garbage {
                status: checked_status(status)?,
            },
        })
    }
}

/// Parses the JSON body of `POST /__emulator/faults` into a [`FaultPlan`].
pub fn parse_fault_plan(json: &[u8]) -> Result<FaultPlan, FaultSpecError> {
    let spec: FaultPlanSpec = serde_json::from_slice(json)?;
    if !(0.0..=1.0).contains(&spec.failure_rate) {
        return Err(FaultSpecError::FailureRate(spec.failure_rate));
    }
    let mut per_route = HashMap::new();
    for (route, steps) in spec.per_route {
        let steps = steps
            .into_iter()
            .map(FaultStepSpec::into_step)
            .collect::<Result<VecDeque<_>, _>>()?;
        per_route.insert(route, steps);
    }
    Ok(FaultPlan {
        per_route,
        failure_rate: spec.failure_rate,
        seed: spec.seed,
        latency: Duration::from_millis(spec.latency_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_steps_are_used_in_order_then_requests_pass() {
        let plan = FaultPlan::none().on(Route::Kill, [FaultPlan::status(503), FaultStep::Drop]);
        let mut state = FaultState::new(plan);
        assert_eq!(state.next_fault(Route::ShowJob), None);
        assert_eq!(state.next_fault(Route::Kill), Some(FaultPlan::status(503)));
        assert_eq!(state.next_fault(Route::Kill), Some(FaultStep::Drop));
        assert_eq!(state.next_fault(Route::Kill), None);
    }

    #[test]
    fn failure_rate_one_always_fails_and_same_seed_replays_same_faults() {
        let plan = FaultPlan {
            failure_rate: 1.0,
            seed: 42,
            ..FaultPlan::none()
        };
        let run = |plan: FaultPlan| {
            let mut state = FaultState::new(plan);
            (0..20)
                .map(|_| state.next_fault(Route::ShowJob))
                .collect::<Vec<_>>()
        };
        let first = run(plan.clone());
        assert!(first.iter().all(Option::is_some));
        assert_eq!(first, run(plan.clone()));
        let many = {
            let mut state = FaultState::new(plan);
            (0..500)
                .filter_map(|_| state.next_fault(Route::Kill))
                .collect::<Vec<_>>()
        };
        assert!(
            many.contains(&FaultStep::DropAfter) && many.contains(&FaultStep::Drop),
            "random faults include lost answers both before and after the work"
        );
    }

    #[test]
    fn failure_rate_zero_never_fails() {
        let mut state = FaultState::new(FaultPlan::none());
        assert!((0..100).all(|_| state.next_fault(Route::ListJobs).is_none()));
    }

    #[test]
    fn admin_json_plan_parses_every_step_kind() {
        let plan = parse_fault_plan(
            br#"{"per_route":{"kill":[{"kind":"status","status":429,"retry_after":"2"},
                {"kind":"drop"},{"kind":"drop_after"},{"kind":"delay","ms":5},{"kind":"hang"},
                {"kind":"huge_body","status":200,"bytes":10},{"kind":"garbage","status":200}],
                "iam_projects":[{"kind":"status","status":500,"body":"oops"}]},
                "failure_rate":0.25,"seed":9,"latency_ms":3}"#,
        )
        .expect("valid plan");
        let kill: Vec<_> = plan.per_route[&Route::Kill].iter().cloned().collect();
        assert_eq!(
            kill,
            vec![
                FaultStep::Status {
                    status: 429,
                    retry_after: Some("2".into()),
                    body: None
                },
                FaultStep::Drop,
                FaultStep::DropAfter,
                FaultStep::Delay(Duration::from_millis(5)),
                FaultStep::Hang,
                FaultStep::HugeBody {
                    status: 200,
                    bytes: 10
                },
                FaultStep::Garbage { status: 200 },
            ]
        );
        assert_eq!(plan.per_route[&Route::IamProjects].len(), 1);
        assert_eq!(plan.failure_rate, 0.25);
        assert_eq!(plan.seed, 9);
        assert_eq!(plan.latency, Duration::from_millis(3));
    }

    #[test]
    fn admin_json_plan_rejects_bad_rate_and_status() {
        assert!(matches!(
            parse_fault_plan(br#"{"failure_rate":1.5}"#),
            Err(FaultSpecError::FailureRate(_))
        ));
        assert!(matches!(
            parse_fault_plan(br#"{"per_route":{"kill":[{"kind":"status","status":42}]}}"#),
            Err(FaultSpecError::Status(42))
        ));
        assert!(matches!(
            parse_fault_plan(br#"{"per_route":{"nope":[]}}"#),
            Err(FaultSpecError::Json(_))
        ));
    }
}
