//! Waiting for something a test cannot be told about (a kill MRS accepted, a job that ended):
//! a bounded poll that fails the test, naming what it waited for, when time runs out. The
//! guard is generous so a loaded machine never fails a test that would pass; nothing here
//! measures speed.

use std::time::Duration;

/// How long [`until`] and [`until_async`] wait before they fail the test.
pub const GUARD: Duration = Duration::from_secs(30);

/// Blocks until `condition` holds, looking every 100 ms; fails the test, naming `what`, when it
/// does not hold within [`GUARD`].
pub fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + GUARD;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited {GUARD:?} in vain: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// [`until`] for an async test: looks every 20 ms, on tokio's clock.
pub async fn until_async(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + GUARD;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited {GUARD:?} in vain: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
