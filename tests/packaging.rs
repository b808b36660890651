//! Release packaging: `.ci/package` writes what the Terraform Registry expects, and a build installed
//! with `.ci/install-mirror` (or the release zip itself, in a packed mirror) is found by a plain
//! `terraform init` or `tofu init` under the documented source address — no `dev_overrides` — and
//! kills a job. `.ci/install-mirror` installs under both registry hosts, so one run serves both.
//!
//! The scripts package the debug binary `cargo test` built (`--binary`): CI builds one profile.

pub mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::emulator::{ACCESS_KEY, REGION, RunningEmulator, SECRET_KEY};
use common::terraform::{
    OPENTOFU_REGISTRY, TERRAFORM_REGISTRY, TerraformBin, Workspace, terraforms,
};
use mrs_emulator::JobState;
use sha2::{Digest, Sha256};

const NAME: &str = "terraform-provider-mrs";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-mrs");
const CLUSTER: &str = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

/// Output of one script run.
struct ScriptRun {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `bash .ci/<script> <args>` from the repository root, without a signing key.
fn run_script(script: &str, args: &[&str]) -> ScriptRun {
    run_script_with(script, args, &[])
}

/// [`run_script`] with `env` added; `GPG_*` from the test's own environment never leaks in.
fn run_script_with(script: &str, args: &[&str], env: &[(&str, &str)]) -> ScriptRun {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new("bash");
    command
        .arg(root.join(".ci").join(script))
        .args(args)
        .env("CARGO", env!("CARGO"))
        .env_remove("GPG_FINGERPRINT")
        .env_remove("GPG_PASSPHRASE")
        .current_dir(root);
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("run bash");
    ScriptRun {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `.ci/package --binary <the test build> --target <target> --out <out>` with `env` added,
/// whatever its outcome.
fn run_package(out: &Path, target: &str, env: &[(&str, &str)]) -> ScriptRun {
    let out_arg = out.display().to_string();
    run_script_with(
        "package",
        &["--binary", BINARY, "--target", target, "--out", &out_arg],
        env,
    )
}

/// `.ci/package --binary <the test build> --out <out> <extra>`, which must succeed.
fn package_into(out: &Path, extra: &[&str]) {
    let out_arg = out.display().to_string();
    let mut args = vec!["--binary", BINARY, "--out", &out_arg];
    args.extend_from_slice(extra);
    let run = run_script("package", &args);
    assert!(
        run.success,
        ".ci/package failed:\n{}\n{}",
        run.stdout, run.stderr
    );
}

/// This machine's platform as Terraform names it (`linux_amd64`), from `terraform version`.
fn host_target(tf: &TerraformBin) -> String {
    let out = Command::new(&tf.path)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform version");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("on "))
        .map(|t| t.trim().to_owned())
        .unwrap_or_else(|| panic!("no platform in `terraform version`: {text}"))
}

/// One entry of a zip's central directory: what Terraform reads to unpack a provider.
#[derive(Debug)]
struct ZipEntry {
    name: String,
    /// High byte of "version made by": 3 means Unix, whose mode bits live in `external_attr`.
    made_by_system: u8,
    external_attr: u32,
    uncompressed_size: u32,
}

impl ZipEntry {
    /// Unix permission bits carried in the entry.
    fn unix_mode(&self) -> u32 {
        (self.external_attr >> 16) & 0o777
    }
}

fn le16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads a zip's central directory (no zip64, no archive comment: what `.ci/package` writes).
fn zip_entries(bytes: &[u8]) -> Vec<ZipEntry> {
    let eocd = bytes.len() - 22;
    assert_eq!(le32(bytes, eocd), 0x0605_4b50, "end of central directory");
    let count = le16(bytes, eocd + 10);
    let mut at = le32(bytes, eocd + 16) as usize;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        assert_eq!(le32(bytes, at), 0x0201_4b50, "central directory header");
        let name_len = le16(bytes, at + 28);
        let extra_len = le16(bytes, at + 30);
        let comment_len = le16(bytes, at + 32);
        entries.push(ZipEntry {
            name: String::from_utf8_lossy(&bytes[at + 46..at + 46 + name_len]).into_owned(),
            made_by_system: bytes[at + 5],
            external_attr: le32(bytes, at + 38),
            uncompressed_size: le32(bytes, at + 24),
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    entries
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read file")))
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Checks every `<sha256>  <file>` line of SHA256SUMS against the file beside it; returns the names.
fn checked_sums(dir: &Path) -> Vec<String> {
    let sums = std::fs::read_to_string(dir.join(format!("{NAME}_{VERSION}_SHA256SUMS")))
        .expect("SHA256SUMS exists");
    sums.lines()
        .map(|line| {
            let (hash, file) = line
                .split_once("  ")
                .unwrap_or_else(|| panic!("not `<hash>  <file>`: {line:?}"));
            assert_eq!(hash.len(), 64, "{line:?}");
            assert_eq!(hash, sha256_hex(&dir.join(file)), "hash of {file}");
            file.to_owned()
        })
        .collect()
}

#[test]
fn package_writes_registry_zip_with_executable_binary_sums_and_manifest() {
    let out = tempfile::tempdir().expect("temp dir");
    package_into(out.path(), &["--target", "linux_amd64"]);

    let zip_name = format!("{NAME}_{VERSION}_linux_amd64.zip");
    let manifest_name = format!("{NAME}_{VERSION}_manifest.json");
    let sums_name = format!("{NAME}_{VERSION}_SHA256SUMS");
    let mut expected = vec![zip_name.clone(), manifest_name.clone(), sums_name];
    expected.sort();
    assert_eq!(file_names(out.path()), expected);

    let entries = zip_entries(&std::fs::read(out.path().join(&zip_name)).expect("read zip"));
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry.name, format!("{NAME}_v{VERSION}"));
    assert_eq!(entry.made_by_system, 3, "made on Unix, so the mode is read");
    assert_eq!(entry.unix_mode(), 0o755, "{entry:?}");
    assert_eq!(
        u64::from(entry.uncompressed_size),
        std::fs::metadata(BINARY).expect("binary").len(),
        "the whole binary is in the zip"
    );

    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join(&manifest_name)).expect("read manifest"),
    )
    .expect("manifest is JSON");
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );

    assert_eq!(checked_sums(out.path()), vec![zip_name, manifest_name]);
}

/// A keyring of its own with one throwaway signing key (no passphrase), made by gpg itself.
struct ThrowawayKey {
    home: tempfile::TempDir,
    fingerprint: String,
}

impl ThrowawayKey {
    /// Panics, saying so, when gpg is missing: the signing tests cannot run without it (.ci/run
    /// installs gnupg from Debian; elsewhere, install it).
    fn generate() -> Self {
        if let Err(e) = Command::new("gpg").arg("--version").output() {
            panic!("this test cannot run: it signs with gpg, which is not installed ({e})");
        }
        // Short path: gpg-agent's socket lives in GNUPGHOME and socket paths are limited.
        let home = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .expect("GNUPGHOME");
        let generated = Self::gpg(home.path())
            .args([
                "--passphrase",
                "",
                "--quick-gen-key",
                "Release Test <release-test@example.invalid>",
                "ed25519",
                "sign",
                "1d",
            ])
            .output()
            .expect("run gpg");
        assert!(
            generated.status.success(),
            "gpg --quick-gen-key: {}",
            String::from_utf8_lossy(&generated.stderr)
        );
        let listed = Self::gpg(home.path())
            .args(["--with-colons", "--list-secret-keys"])
            .output()
            .expect("run gpg");
        let fingerprint = String::from_utf8_lossy(&listed.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|f| f.len() == 40))
            .expect("a fingerprint in gpg --list-secret-keys")
            .to_owned();
        Self { home, fingerprint }
    }

    fn gpg(home: &Path) -> Command {
        let mut command = Command::new("gpg");
        command.arg("--batch").env("GNUPGHOME", home);
        command
    }

    fn home(&self) -> String {
        self.home.path().display().to_string()
    }

    /// `gpg --verify signature data` in this keyring.
    fn verifies(&self, signature: &Path, data: &Path) -> bool {
        Self::gpg(self.home.path())
            .arg("--verify")
            .arg(signature)
            .arg(data)
            .output()
            .expect("run gpg --verify")
            .status
            .success()
    }
}

impl Drop for ThrowawayKey {
    fn drop(&mut self) {
        // The agent gpg started for this keyring only.
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.home.path())
            .output();
    }
}

#[test]
fn package_signs_sha256sums_with_the_gpg_fingerprint_key_and_a_tampered_file_fails_verification() {
    let key = ThrowawayKey::generate();
    let out = tempfile::tempdir().expect("temp dir");
    let run = run_package(
        out.path(),
        "linux_amd64",
        &[
            ("GPG_FINGERPRINT", &key.fingerprint),
            ("GNUPGHOME", &key.home()),
        ],
    );
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    let sums = out.path().join(format!("{NAME}_{VERSION}_SHA256SUMS"));
    let signature = out.path().join(format!("{NAME}_{VERSION}_SHA256SUMS.sig"));
    assert!(
        run.stdout.lines().any(|l| Path::new(l) == signature),
        "the signature is listed: {}",
        run.stdout
    );
    let bytes = std::fs::read(&signature).expect("the .sig was written");
    // Binary OpenPGP (a packet tag has the high bit set), not ASCII armour: what the Registry takes.
    assert!(
        bytes.first().is_some_and(|b| b & 0x80 != 0),
        "not a binary signature"
    );
    assert!(key.verifies(&signature, &sums), "gpg --verify refuses it");

    let tampered = out.path().join("tampered_SHA256SUMS");
    let mut text = std::fs::read(&sums).expect("read sums");
    text[0] = if text[0] == b'0' { b'1' } else { b'0' };
    std::fs::write(&tampered, text).expect("write tampered copy");
    assert!(
        !key.verifies(&signature, &tampered),
        "a changed SHA256SUMS still verifies"
    );
}

#[test]
fn package_with_a_fingerprint_of_no_key_fails_and_writes_nothing() {
    let key = ThrowawayKey::generate();
    let out = tempfile::tempdir().expect("temp dir");
    let run = run_package(
        out.path(),
        "linux_amd64",
        &[
            (
                "GPG_FINGERPRINT",
                "0123456789ABCDEF0123456789ABCDEF01234567",
            ),
            ("GNUPGHOME", &key.home()),
        ],
    );
    assert!(!run.success, "{}", run.stdout);
    assert!(run.stderr.contains("names no secret key"), "{}", run.stderr);
    assert!(file_names(out.path()).is_empty(), "nothing written");
}

#[test]
fn package_without_gpg_fingerprint_says_sha256sums_is_not_signed() {
    let out = tempfile::tempdir().expect("temp dir");
    let stale = out.path().join(format!("{NAME}_{VERSION}_SHA256SUMS.sig"));
    std::fs::write(&stale, "signature of an older SHA256SUMS").expect("write stale sig");
    let run = run_package(out.path(), "linux_amd64", &[]);
    assert!(run.success, "{}", run.stderr);
    assert!(run.stderr.contains("NOT signed"), "{}", run.stderr);
    assert!(run.stderr.contains("GPG_FINGERPRINT"), "{}", run.stderr);
    assert!(!stale.exists(), "a stale signature is removed");
}

#[test]
fn packaging_a_second_platform_into_the_same_dir_lists_both_zips_in_sha256sums() {
    let out = tempfile::tempdir().expect("temp dir");
    package_into(out.path(), &["--target", "linux_amd64"]);
    package_into(out.path(), &["--target", "darwin_arm64"]);
    assert_eq!(
        checked_sums(out.path()),
        vec![
            format!("{NAME}_{VERSION}_darwin_arm64.zip"),
            format!("{NAME}_{VERSION}_linux_amd64.zip"),
            format!("{NAME}_{VERSION}_manifest.json"),
        ]
    );
}

#[test]
fn package_refuses_a_missing_binary_and_a_malformed_target() {
    let out = tempfile::tempdir().expect("temp dir");
    let out_arg = out.path().display().to_string();
    let run = run_script(
        "package",
        &["--binary", "/nonexistent/provider", "--out", &out_arg],
    );
    assert!(!run.success);
    assert!(
        run.stderr.contains("/nonexistent/provider"),
        "{}",
        run.stderr
    );
    let run = run_package(out.path(), "linux-amd64", &[]);
    assert!(!run.success);
    assert!(run.stderr.contains("OS_ARCH"), "{}", run.stderr);
    assert!(file_names(out.path()).is_empty(), "nothing written");
}

/// A workspace whose CLI config installs our provider only from the filesystem mirror at `mirror`.
fn mirror_workspace(tf: &TerraformBin, emulator: &RunningEmulator, mirror: &Path) -> Workspace {
    let hcl = format!(
        r#"
terraform {{
  required_providers {{
    mrs = {{
      source  = "huaweicloud/mrs"
      version = "= {VERSION}"
    }}
  }}
}}
provider "mrs" {{}}
"#
    );
    let mut ws = Workspace::new(tf, &hcl);
    // Workspace::new wrote a dev_overrides config; this one replaces it (later env wins).
    let cli_config = ws.path().join("mirror.tfrc");
    let address = tf.provider_address();
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{address}\"]\n  }}\n  direct {{\n    exclude = [\"{address}\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("write CLI config");
    ws.env("TF_CLI_CONFIG_FILE", &cli_config.display().to_string())
        .env("HW_REGION_NAME", REGION)
        .env("HW_ACCESS_KEY", ACCESS_KEY)
        .env("HW_SECRET_KEY", SECRET_KEY)
        .env("HW_PROJECT_ID", emulator.project_id())
        .env("HW_MRS_ENDPOINT", &emulator.url())
        .env("HW_IAM_ENDPOINT", &emulator.url());
    ws
}

/// `terraform init` from `mirror` records the provider in the lock file, and `apply` kills one job.
fn init_from_mirror_then_kill(tf: &TerraformBin, mirror: &Path) {
    let emulator = RunningEmulator::start_default();
    let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
    let ws = mirror_workspace(tf, &emulator, mirror);

    let run = ws.run(&["init", "-input=false", "-no-color"]);
    assert!(run.success, "terraform {} init: {}", tf.version, run.all());
    let lock = std::fs::read_to_string(ws.path().join(".terraform.lock.hcl"))
        .unwrap_or_else(|e| panic!("terraform {}: no lock file ({e})", tf.version));
    assert!(
        lock.contains(&format!("provider \"{}\"", tf.provider_address())),
        "{tf}: {lock}"
    );
    let locked_version = lock.lines().find_map(|l| {
        let (key, value) = l.split_once('=')?;
        (key.trim() == "version").then(|| value.trim().trim_matches('"').to_owned())
    });
    assert_eq!(locked_version.as_deref(), Some(VERSION), "{lock}");
    assert!(lock.contains("\"h1:"), "{lock}");

    ws.write_config(&format!(
        "{}resource \"mrs_job_kill\" \"etl\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_execution_id = \"{job}\"\n}}\n",
        std::fs::read_to_string(ws.path().join("main.tf")).expect("read main.tf")
    ));
    let run = ws.apply(&[]);
    assert!(run.success, "terraform {} apply: {}", tf.version, run.all());
    assert!(
        !run.all().contains("development overrides"),
        "no dev_overrides in effect: {}",
        run.all()
    );
    let stats = emulator.stats();
    assert_eq!(stats.kills_accepted_for(&job), 1, "{stats:?}");
    assert_eq!(stats.kills_accepted.values().sum::<u64>(), 1, "{stats:?}");
}

#[test]
fn install_mirror_build_is_found_by_terraform_init_and_apply_kills_a_job() {
    let mirror = tempfile::tempdir().expect("temp dir");
    let dir_arg = mirror.path().display().to_string();
    let run = run_script("install-mirror", &["--binary", BINARY, "--dir", &dir_arg]);
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("path    = \"{dir_arg}\"")),
        "prints the CLI config: {}",
        run.stdout
    );
    // By default under both hosts, and the printed block names both.
    let both = format!(
        "[\"{TERRAFORM_REGISTRY}/huaweicloud/mrs\", \"{OPENTOFU_REGISTRY}/huaweicloud/mrs\"]"
    );
    assert!(
        run.stdout.contains(&format!("include = {both}"))
            && run.stdout.contains(&format!("exclude = {both}")),
        "{}",
        run.stdout
    );

    // One --address installs under that one only.
    let single = tempfile::tempdir().expect("temp dir");
    let single_arg = single.path().display().to_string();
    let only = format!("{OPENTOFU_REGISTRY}/huaweicloud/mrs");
    let run = run_script(
        "install-mirror",
        &["--binary", BINARY, "--dir", &single_arg, "--address", &only],
    );
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert!(single.path().join(&only).is_dir());
    assert!(!single.path().join(TERRAFORM_REGISTRY).exists());

    for tf in terraforms() {
        let installed: PathBuf = mirror
            .path()
            .join(tf.provider_address())
            .join(VERSION)
            .join(host_target(tf))
            .join(format!("{NAME}_v{VERSION}"));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&installed)
                .unwrap_or_else(|e| panic!("{} missing: {e}", installed.display()))
                .permissions(),
        );
        assert_eq!(mode & 0o111, 0o111, "{} is executable", installed.display());
        init_from_mirror_then_kill(tf, mirror.path());
    }
}

#[test]
fn release_zip_in_a_packed_mirror_is_found_by_terraform_init_and_apply_kills_a_job() {
    let out = tempfile::tempdir().expect("temp dir");
    package_into(out.path(), &[]);
    let mirror = tempfile::tempdir().expect("temp dir");
    for tf in terraforms() {
        let provider_dir = mirror.path().join(tf.provider_address());
        std::fs::create_dir_all(&provider_dir).expect("create mirror dir");
        let zip = format!("{NAME}_{VERSION}_{}.zip", host_target(tf));
        std::fs::copy(out.path().join(&zip), provider_dir.join(&zip))
            .unwrap_or_else(|e| panic!("{zip} was packaged for this machine: {e}"));
        init_from_mirror_then_kill(tf, mirror.path());
    }
}
