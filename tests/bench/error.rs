//! Why a benchmark step could not be measured.
//!
//! The benchmark drives outside programs (Terraform, Python, the provider binary); each failure
//! names the program, what was asked of it and what it said, so the reader can fix the machine
//! rather than guess.

use std::path::PathBuf;

/// A step of the benchmark that failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A program could not be started at all.
    #[error("could not start {program}: {source} (is it installed and on PATH?)")]
    Spawn {
        /// The program, as given to the shell.
        program: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A program ran but reported failure.
    #[error("{what} failed with {status}; its output ends with:\n{tail}")]
    Failed {
        /// What was being run, e.g. `terraform apply (mrs_job_kill, N=100)`.
        what: String,
        /// The exit status.
        status: std::process::ExitStatus,
        /// The last lines of its stdout and stderr.
        tail: String,
    },
    /// A file or directory the benchmark needs could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was attempted, e.g. `write`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The provider process did not behave as Terraform expects.
    #[error("provider probe: {0}")]
    Probe(String),
    /// A comparison would be dishonest: the work it claims did not reach the emulator.
    #[error("{0}")]
    Unverified(String),
}

impl BenchError {
    /// An [`BenchError::Io`] for `path`.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| BenchError::Io {
            action,
            path,
            source,
        }
    }

    /// A [`BenchError::Failed`] from a finished program's output.
    pub fn failed(what: impl Into<String>, output: &std::process::Output) -> Self {
        BenchError::Failed {
            what: what.into(),
            status: output.status,
            tail: output_tail(output, 30),
        }
    }
}

/// The last `lines` lines of a program's stdout followed by its stderr.
pub fn output_tail(output: &std::process::Output, lines: usize) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
