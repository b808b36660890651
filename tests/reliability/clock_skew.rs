//! 8. Clock skew.

use super::*;

#[test]
fn clock_skew_beyond_15_minutes_names_the_clock() {
    for tf in terraforms() {
        for (offset, accepted) in [(14 * 60, true), (16 * 60, false), (-3600, false)] {
            let emulator = RunningEmulator::start(EmulatorConfig {
                clock_offset_s: offset,
                ..EmulatorConfig::default()
            });
            let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
            let ws = workspace(tf, &emulator, &kill_config("skew", &job, ""));
            let run = ws.apply(&[]);
            assert_eq!(run.success, accepted, "offset {offset}: {}", run.all());
            if !accepted {
                let out = run.all();
                assert!(out.contains("clock"), "offset {offset}: {out}");
                assert!(out.contains("401"), "offset {offset}: {out}");
                assert!(killed_in_state(&ws).is_empty());
                assert!(emulator.stats().rejected_signatures >= 1);
                assert!(emulator.stats().kills_accepted.is_empty());
            }
        }
    }
}
