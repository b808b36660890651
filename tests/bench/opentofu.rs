//! Which OpenTofu the quiet benchmark runs beside Terraform (issue 24): the newest release of
//! `.ci/opentofu-versions`, as the end-to-end tests have it.
//!
//! The benchmark never builds OpenTofu itself (three minutes of Go on this machine, in the middle
//! of timed runs); it takes one that is there, and says so when none is:
//!
//! 1. `$TOFU`;
//! 2. `target/tools/opentofu-VERSION/tofu`, where `.ci/install-opentofu` (run by `.ci/run` and by
//!    the end-to-end tests) builds it;
//! 3. `tofu` on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::clients::opentofu_versions;

/// The newest OpenTofu release the tests run, e.g. `1.12.6`.
pub fn newest_version() -> Option<&'static str> {
    opentofu_versions().last().copied()
}

/// The OpenTofu executable to compare with, or why there is none.
pub fn find() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("TOFU") {
        return Ok(PathBuf::from(path));
    }
    let version = newest_version().unwrap_or("1.12.6");
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("tools")
        .join(format!("opentofu-{version}"))
        .join("tofu");
    if built.is_file() {
        return Ok(built);
    }
    let on_path = Command::new("tofu")
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .is_ok_and(|out| out.status.success());
    if on_path {
        return Ok(PathBuf::from("tofu"));
    }
    Err(format!(
        "no OpenTofu: $TOFU is unset, {} does not exist and no `tofu` is on PATH \
         (build it with `bash .ci/install-opentofu {version} target/tools/opentofu-{version}`)",
        built.display()
    ))
}
