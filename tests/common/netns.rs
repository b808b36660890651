//! A private network and mount namespace for tests that need Huawei Cloud's real host names or
//! the ECS metadata address (REFERENCE.md §10), without a packet leaving the machine.
//!
//! [`PrivateNetwork::run`] starts a thread, moves it into a new network namespace (only a
//! loopback interface, brought up, with 169.254.169.254 added to it) and a new mount namespace
//! (mounts made private first, so nothing propagates back), bind-mounts a hosts file that maps
//! the given names to loopback addresses over `/etc/hosts` and an empty `/etc/resolv.conf` over
//! the real one, and runs the test body there. Everything the body starts inherits both: an
//! emulator (its runtime's threads are created inside), `terraform` and the provider it spawns.
//! A name not in the hosts file fails to resolve at once, and no address but loopback exists.
//!
//! It needs root (CI and these machines have it) and `ip` (iproute2). A namespace that cannot be
//! made fails the test, saying why, under CI and everywhere else: such a test never passes
//! without running.
//!
//! ```ignore
//! PrivateNetwork::new()
//!     .map("mrs.eu-west-101.myhuaweicloud.eu", "127.0.0.1")
//!     .run("my_test", || { /* start an emulator on 127.0.0.1:443, run terraform */ });
//! ```

use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};
use std::process::Command;

/// The ECS instance metadata address; on loopback inside every [`PrivateNetwork`].
pub const METADATA_ADDRESS: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// How to make the namespace: the names it resolves and the extra loopback addresses.
#[derive(Debug, Clone)]
pub struct PrivateNetwork {
    hosts: Vec<(String, IpAddr)>,
    addresses: Vec<Ipv4Addr>,
}

impl Default for PrivateNetwork {
    fn default() -> Self {
        Self::new()
    }
}

impl PrivateNetwork {
    /// A namespace with `localhost` and the metadata address, and no other names yet.
    pub fn new() -> Self {
        Self {
            hosts: vec![
                ("localhost".to_owned(), IpAddr::V4(Ipv4Addr::LOCALHOST)),
                ("localhost".to_owned(), "::1".parse().expect("::1")),
            ],
            addresses: vec![METADATA_ADDRESS],
        }
    }

    /// Resolves `name` to `address` (any 127.x.y.z is on loopback already).
    pub fn map(mut self, name: &str, address: &str) -> Self {
        let address: IpAddr = address.parse().expect("an IP address");
        self.hosts.push((name.to_owned(), address));
        self
    }

    /// Adds `address` to the loopback interface (for addresses outside 127.0.0.0/8).
    pub fn address(mut self, address: Ipv4Addr) -> Self {
        self.addresses.push(address);
        self
    }

    /// Runs `body` inside the namespace and returns what it returns (always `Some`: the
    /// `Option` is kept for callers written when a namespace that could not be made was skipped
    /// outside CI). A panic in `body` is the test's panic; a namespace that cannot be made panics.
    pub fn run<R: Send + 'static>(
        self,
        test: &str,
        body: impl FnOnce() -> R + Send + 'static,
    ) -> Option<R> {
        let test_name = test.to_owned();
        let joined = std::thread::Builder::new()
            .name(format!("netns-{test}"))
            .spawn(move || match self.enter() {
                Ok(()) => Ok(body()),
                Err(why) => Err(why),
            })
            .expect("spawn the namespace thread")
            .join();
        match joined {
            Ok(Ok(result)) => Some(result),
            Ok(Err(why)) => panic!(
                "{test_name} cannot run: it needs a private network namespace, which needs root \
                 and iproute2 (`ip`), and making one failed: {why}"
            ),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Moves the calling thread into new network and mount namespaces and sets them up.
    fn enter(&self) -> Result<(), String> {
        let files = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let hosts = files.path().join("hosts");
        let mut text = String::from("# written by tests/common/netns.rs\n");
        for (name, address) in &self.hosts {
            text.push_str(&format!("{address} {name}\n"));
        }
        std::fs::write(&hosts, text).map_err(|e| format!("write hosts: {e}"))?;
        // No nameserver: an unmapped name fails at once instead of reaching for one.
        let resolv = files.path().join("resolv.conf");
        std::fs::write(&resolv, "# no nameserver inside the test namespace\n")
            .map_err(|e| format!("write resolv.conf: {e}"))?;

        // SAFETY: unshare affects only this thread's namespaces (no CLONE_THREAD/VM/SIGHAND).
        if unsafe { libc::unshare(libc::CLONE_NEWNET | libc::CLONE_NEWNS) } != 0 {
            return Err(format!(
                "unshare(CLONE_NEWNET|CLONE_NEWNS): {}",
                std::io::Error::last_os_error()
            ));
        }
        // Private first: a bind mount on a shared / would show up on the host's /etc/hosts.
        mount(None, "/", libc::MS_REC | libc::MS_PRIVATE)?;
        mount(
            Some(&hosts.display().to_string()),
            "/etc/hosts",
            libc::MS_BIND,
        )?;
        mount(
            Some(&resolv.display().to_string()),
            "/etc/resolv.conf",
            libc::MS_BIND,
        )?;
        ip(&["link", "set", "lo", "up"])?;
        for address in &self.addresses {
            ip(&["addr", "add", &format!("{address}/32"), "dev", "lo"])?;
        }
        self.check()?;
        // The bind mounts hold the files open; the directory may go.
        drop(files);
        Ok(())
    }

    /// Proves the namespace is what it should be before any test traffic: the mapped names
    /// resolve as mapped, and only loopback interfaces exist.
    fn check(&self) -> Result<(), String> {
        for (name, address) in &self.hosts {
            let resolved: Vec<IpAddr> = (name.as_str(), 443)
                .to_socket_addrs()
                .map_err(|e| format!("{name} does not resolve inside the namespace: {e}"))?
                .map(|a| a.ip())
                .collect();
            if !resolved.contains(address) {
                return Err(format!(
                    "{name} resolves to {resolved:?}, not {address}: /etc/hosts is not ours"
                ));
            }
        }
        let links = Command::new("ip")
            .args(["-o", "link", "show"])
            .output()
            .map_err(|e| format!("ip link show: {e}"))?;
        let links = String::from_utf8_lossy(&links.stdout);
        let names: Vec<&str> = links
            .lines()
            .filter_map(|l| l.split(':').nth(1).map(str::trim))
            .collect();
        if names != ["lo"] {
            return Err(format!(
                "the namespace has interfaces {names:?}, expected only lo"
            ));
        }
        Ok(())
    }
}

fn mount(source: Option<&str>, target: &str, flags: libc::c_ulong) -> Result<(), String> {
    let source_c = source.map(|s| CString::new(s).expect("no NUL in path"));
    let target_c = CString::new(target).expect("no NUL in path");
    let none = CString::new("none").expect("literal");
    // SAFETY: every pointer is a valid NUL-terminated string (or null) for the call's duration.
    let rc = unsafe {
        libc::mount(
            source_c.as_ref().map_or(none.as_ptr(), |s| s.as_ptr()),
            target_c.as_ptr(),
            std::ptr::null(),
            flags,
            std::ptr::null(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "mount {source:?} on {target}: {}",
            std::io::Error::last_os_error()
        ))
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `ip` (install iproute2): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
