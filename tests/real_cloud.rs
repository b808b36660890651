//! The provider as a user in a real region runs it: `terraform apply` with nothing but a region
//! and keys, endpoints chosen by the provider, HTTPS checked against trusted CAs, proxies from the
//! environment. The emulator answers under Huawei Cloud's real host names on 127.0.0.1:443,
//! inside a private network namespace (tests/common/netns.rs), so nothing leaves the machine.

pub mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::emulator::{ACCESS_KEY, RunningEmulator, SECRET_KEY};
use common::netns::PrivateNetwork;
use common::scenario::{CLUSTER, kill_config, provider_block};
use common::terraform::{TerraformBin, Workspace, terraforms};
use common::test_ca::TestCa;
use mrs_emulator::{EmulatorConfig, JobState, Route};

/// The real MRS and IAM host names of `cn-north-4`, which most tests here resolve to the emulator.
const CN_NORTH_4_MRS: &str = "mrs.cn-north-4.myhuaweicloud.com";
/// See [`CN_NORTH_4_MRS`].
const CN_NORTH_4_IAM: &str = "iam.cn-north-4.myhuaweicloud.com";

/// The Terraform these tests drive, found before entering a namespace (it may need installing).
fn terraform() -> Option<TerraformBin> {
    let tf = terraforms().first().cloned();
    if tf.is_none() {
        eprintln!("NOTE: no Terraform available; real_cloud tests are left out");
    }
    tf
}

/// A namespace in which each of `names` resolves to `address`.
fn names_at(address: &str, names: &[&str]) -> PrivateNetwork {
    names.iter().fold(PrivateNetwork::new(), |network, name| {
        network.map(name, address)
    })
}

/// The emulator's settings for `region`, otherwise the defaults.
fn in_region(region: &str) -> EmulatorConfig {
    EmulatorConfig {
        region: region.to_owned(),
        ..EmulatorConfig::default()
    }
}

/// What most tests here start from inside their namespace: an emulator serving HTTPS on
/// 127.0.0.1:443 with a certificate for some host names, one RUNNING job on [`CLUSTER`], and the
/// PEM file of the CA that issued the certificate.
struct HttpsJob {
    emulator: RunningEmulator,
    job: String,
    /// The issuing CA's certificate, in [`Self::dir`].
    ca_file: PathBuf,
    /// A temporary directory that holds `ca_file`, and room for more files.
    dir: tempfile::TempDir,
}

impl HttpsJob {
    /// `config` served over HTTPS on 127.0.0.1:443 with a certificate for `hosts` from a new CA
    /// called `ca_name`.
    fn start(config: EmulatorConfig, ca_name: &str, hosts: &[&str]) -> Self {
        let ca = TestCa::new(ca_name);
        let emulator = RunningEmulator::start(EmulatorConfig {
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 443,
            tls: Some(ca.issue(hosts)),
            ..config
        });
        let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
        let dir = tempfile::tempdir().unwrap();
        let ca_file = ca.write_pem(dir.path(), "ca.pem");
        Self {
            emulator,
            job,
            ca_file,
            dir,
        }
    }
}

/// Applies `ws` and checks the kill of `https.job` went to the `mrs` host, once, and the
/// project was looked up at the `iam` host.
fn apply_kills_once_at(ws: &Workspace, https: &HttpsJob, mrs: &str, iam: &str) {
    let run = ws.apply(&[]);
    assert!(run.success, "{}", run.all());
    let stats = https.emulator.stats();
    assert_eq!(stats.requests_at(mrs, Route::Kill), 1, "{:?}", stats.hosts);
    // Once by the provider process that plans (the plan shows project_id), once by the
    // one that applies.
    let looked_up = stats.requests_at(iam, Route::IamProjects);
    assert!(
        (1..=2).contains(&looked_up),
        "the project is looked up at the region's IAM: {:?}",
        stats.hosts
    );
    assert_eq!(stats.kills_accepted_for(&https.job), 1);
}

/// A provider block's body naming the region and endpoints of a closed loopback port, and
/// `more` lines: for tests that fail at plan, before any request (made one, it would fail).
fn closed_endpoints(more: &str) -> String {
    format!(
        "  region       = \"cn-north-4\"\n  endpoint     = \"https://127.0.0.1:9\"\n  \
         iam_endpoint = \"https://127.0.0.1:9\"\n{more}"
    )
}

/// A workspace with a provider block of `provider_body` and one kill of `job`, authenticated by
/// the emulator's keys only: no endpoint, no project ID. Proxies from the test's own
/// environment are cleared; tests about proxies set their own.
fn workspace(tf: &TerraformBin, provider_body: &str, job: &str) -> Workspace {
    workspace_killing(tf, provider_body, &kill_config("k", job, ""))
}

/// [`workspace`] with `kill`, the HCL of the `mrs_job_kill`.
fn workspace_killing(tf: &TerraformBin, provider_body: &str, kill: &str) -> Workspace {
    let hcl = format!("{}{kill}", provider_block(provider_body));
    let mut ws = Workspace::new(tf, &hcl);
    ws.env("HW_ACCESS_KEY", ACCESS_KEY)
        .env("HW_SECRET_KEY", SECRET_KEY)
        .without_proxies();
    ws
}

/// A provider block's body naming only `region` and `ca_file`, the CA trusted besides the
/// system roots.
fn region_trusting(region: &str, ca_file: &Path) -> String {
    format!(
        "  region       = \"{region}\"\n  ca_cert_file = \"{}\"",
        hcl_path(ca_file)
    )
}

fn hcl_path(path: &Path) -> String {
    path.display().to_string().replace('\\', "/")
}

#[test]
fn the_namespace_resolves_only_its_names_serves_the_metadata_address_and_leaves_the_host_alone() {
    let hosts_before = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let ran = PrivateNetwork::new()
        .map("mrs.eu-west-101.myhuaweicloud.eu", "127.0.0.1")
        .run("namespace_self_check", || {
            use std::net::ToSocketAddrs;
            let mapped: Vec<SocketAddr> = ("mrs.eu-west-101.myhuaweicloud.eu", 443)
                .to_socket_addrs()
                .unwrap()
                .collect();
            assert_eq!(mapped, vec!["127.0.0.1:443".parse().unwrap()]);
            assert!(
                ("iam.cn-north-4.myhuaweicloud.com", 443)
                    .to_socket_addrs()
                    .is_err(),
                "an unmapped real name resolved inside the namespace"
            );
            // The metadata route's address is on loopback: an emulator can listen there.
            let emulator = RunningEmulator::start_default();
            let metadata = emulator.also_listen_on(
                SocketAddr::new(IpAddr::V4(common::netns::METADATA_ADDRESS), 80),
                None,
            );
            assert_eq!(metadata.port(), 80);
            assert!(TcpStream::connect(metadata).is_ok());
            std::fs::read_to_string("/etc/hosts").unwrap()
        });
    let Some(hosts_inside) = ran else { return };
    assert!(hosts_inside.contains("mrs.eu-west-101.myhuaweicloud.eu"));
    assert_eq!(
        std::fs::read_to_string("/etc/hosts").unwrap_or_default(),
        hosts_before,
        "the host's /etc/hosts changed"
    );
}

#[test]
fn eu_west_101_with_only_the_region_kills_at_the_myhuaweicloud_eu_host() {
    let Some(tf) = terraform() else { return };
    let mrs = "mrs.eu-west-101.myhuaweicloud.eu";
    let iam = "iam.eu-west-101.myhuaweicloud.eu";
    names_at("127.0.0.1", &[mrs, iam]).run("eu_west_101", move || {
        let https = HttpsJob::start(in_region("eu-west-101"), "real_cloud test CA", &[mrs, iam]);
        let ws = workspace(
            &tf,
            &region_trusting("eu-west-101", &https.ca_file),
            &https.job,
        );
        apply_kills_once_at(&ws, &https, mrs, iam);
        assert_eq!(ws.plan_has_changes().map_err(|r| r.all()), Ok(false));
    });
}

#[test]
fn ap_southeast_1_kills_on_the_cn_host_and_finds_its_project_on_the_com_host() {
    // MRS's certificate comes from the CA in ca_cert_file, IAM's from the one SSL_CERT_FILE
    // names (the "system" roots): the apply works only if ca_cert_file adds to the system roots.
    let Some(tf) = terraform() else { return };
    let mrs = "mrs.ap-southeast-1.myhuaweicloud.cn";
    let iam = "iam.ap-southeast-1.myhuaweicloud.com";
    names_at("127.0.0.1", &[mrs])
        .map(iam, "127.0.0.2")
        .run("ap_southeast_1", move || {
            let https = HttpsJob::start(in_region("ap-southeast-1"), "ca_cert_file CA", &[mrs]);
            let system_ca = TestCa::new("SSL_CERT_FILE CA");
            https.emulator.also_listen_on(
                SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), 443),
                Some(&system_ca.issue(&[iam])),
            );
            let system = system_ca.write_pem(https.dir.path(), "system.pem");
            let mut ws = workspace(
                &tf,
                &region_trusting("ap-southeast-1", &https.ca_file),
                &https.job,
            );
            ws.env("SSL_CERT_FILE", &system.display().to_string());
            apply_kills_once_at(&ws, &https, mrs, iam);
        });
}

#[test]
fn ssl_cert_dir_supplies_the_system_roots() {
    let Some(tf) = terraform() else { return };
    let mrs = CN_NORTH_4_MRS;
    let iam = CN_NORTH_4_IAM;
    names_at("127.0.0.1", &[mrs, iam]).run("ssl_cert_dir", move || {
        // The CA is in no file the provider block names: only the directory holds it.
        let https = HttpsJob::start(in_region("cn-north-4"), "SSL_CERT_DIR CA", &[mrs, iam]);
        let mut ws = workspace(&tf, "  region = \"cn-north-4\"", &https.job);
        ws.env("SSL_CERT_DIR", &https.dir.path().display().to_string());
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        assert_eq!(https.emulator.stats().requests_at(mrs, Route::Kill), 1);
    });
}

#[test]
fn a_server_certificate_from_another_ca_is_refused_with_an_error_naming_host_and_roots() {
    let Some(tf) = terraform() else { return };
    let mrs = CN_NORTH_4_MRS;
    let iam = CN_NORTH_4_IAM;
    names_at("127.0.0.1", &[mrs, iam]).run("foreign_certificate", move || {
        let HttpsJob {
            emulator, job, dir, ..
        } = HttpsJob::start(in_region("cn-north-4"), "impostor CA", &[mrs, iam]);
        let ca_file = TestCa::new("trusted CA").write_pem(dir.path(), "trusted.pem");
        let ws = workspace(
            &tf,
            &format!(
                "  region       = \"cn-north-4\"\n  project_id   = \"{}\"\n  ca_cert_file = \"{}\"",
                emulator.project_id(),
                hcl_path(&ca_file)
            ),
            &job,
        );
        let run = ws.apply(&[]);
        assert!(!run.success, "{}", run.all());
        let text = run.all().replace('\n', " ");
        for words in [
            "TLS refused the connection",
            "This is TLS, not reachability",
            "not issued by a trusted CA",
            mrs,
            "ca_cert_file",
        ] {
            assert!(
                text.contains(words),
                "{words:?} missing from: {}",
                run.all()
            );
        }
        let stats = emulator.stats();
        assert_eq!(
            stats.requests.total(),
            0,
            "no request got past TLS: {stats:?}"
        );
        assert_eq!(emulator.job(CLUSTER, &job).unwrap().kill_requests, 0);
        // With the default 5 retries, a refused certificate is still tried only once.
        assert_eq!(
            stats.tcp_connections_accepted, 1,
            "a refused certificate was retried: {stats:?}"
        );
    });
}

/// A proxy on loopback that relays `CONNECT` tunnels and absolute-form HTTP requests to one
/// upstream address whatever host they name, and records what each one asked for.
struct CountingProxy {
    address: SocketAddr,
    asked: Arc<Mutex<Vec<String>>>,
}

impl CountingProxy {
    fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&asked);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let record = Arc::clone(&record);
                std::thread::spawn(move || relay(client, upstream, &record));
            }
        });
        Self { address, asked }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Request lines seen: `CONNECT host:443 HTTP/1.1` or `GET http://host/... HTTP/1.1`.
    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

fn relay(mut client: TcpStream, upstream: SocketAddr, record: &Mutex<Vec<String>>) {
    use std::io::{Read, Write};
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let request_line = text.lines().next().unwrap_or_default().to_owned();
    record.lock().unwrap().push(request_line.clone());
    let Ok(mut server) = TcpStream::connect(upstream) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    if request_line.starts_with("CONNECT ") {
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
        {
            return;
        }
    } else {
        // One request per connection, so each request line passes through here and is recorded.
        head.truncate(head.len() - 2);
        head.extend_from_slice(b"connection: close\r\n\r\n");
        if server.write_all(&head).is_err() {
            return;
        }
    }
    let (Ok(mut client_reader), Ok(mut server_writer)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    let upload = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_reader, &mut server_writer);
        let _ = server_writer.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut server, &mut client);
    let _ = client.shutdown(std::net::Shutdown::Write);
    let _ = upload.join();
}

/// What the two HTTPS proxy tests start from: an emulator for `cn-north-4` serving `mrs` and
/// `iam` with certificates from a fresh CA, a [`CountingProxy`] in front of it, and a workspace
/// that trusts that CA, goes through the proxy (`HTTPS_PROXY`) and kills a running job.
struct ProxiedKill {
    emulator: RunningEmulator,
    proxy: CountingProxy,
    ws: Workspace,
    /// Holds the CA file the workspace names.
    _dir: tempfile::TempDir,
}

impl ProxiedKill {
    fn new(tf: &TerraformBin, ca_name: &str, mrs: &str, iam: &str) -> Self {
        let HttpsJob {
            emulator,
            job,
            ca_file,
            dir,
        } = HttpsJob::start(in_region("cn-north-4"), ca_name, &[mrs, iam]);
        let proxy = CountingProxy::start(emulator.local_addr());
        let mut ws = workspace(tf, &region_trusting("cn-north-4", &ca_file), &job);
        ws.env("HTTPS_PROXY", &proxy.url());
        Self {
            emulator,
            proxy,
            ws,
            _dir: dir,
        }
    }
}

#[test]
fn https_proxy_carries_every_call_when_the_names_lead_nowhere_directly() {
    let Some(tf) = terraform() else { return };
    let mrs = CN_NORTH_4_MRS;
    let iam = CN_NORTH_4_IAM;
    // The names point where nothing listens: only the proxy, which dials the emulator, gets through.
    names_at("127.0.0.9", &[mrs, iam]).run("https_proxy", move || {
        let ProxiedKill {
            emulator,
            proxy,
            ws,
            _dir,
        } = ProxiedKill::new(&tf, "proxy test CA", mrs, iam);
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        let asked = proxy.asked();
        for host in [mrs, iam] {
            let tunnel = format!("CONNECT {host}:443 HTTP/1.1");
            assert!(asked.contains(&tunnel), "{tunnel:?} not in {asked:?}");
        }
        assert_eq!(emulator.stats().requests_at(mrs, Route::Kill), 1);
    });
}

#[test]
fn no_proxy_sends_the_named_hosts_around_the_proxy() {
    let Some(tf) = terraform() else { return };
    let mrs = CN_NORTH_4_MRS;
    let iam = CN_NORTH_4_IAM;
    names_at("127.0.0.1", &[mrs, iam]).run("no_proxy", move || {
        let ProxiedKill {
            emulator,
            proxy,
            mut ws,
            _dir,
        } = ProxiedKill::new(&tf, "no_proxy test CA", mrs, iam);
        ws.env("NO_PROXY", ".myhuaweicloud.com");
        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        assert_eq!(proxy.asked(), Vec::<String>::new());
        assert_eq!(emulator.stats().requests_at(mrs, Route::Kill), 1);
    });
}

#[test]
fn http_proxy_forwards_calls_to_a_plain_http_endpoint() {
    let Some(tf) = terraform() else { return };
    let host = "mrs-gateway.corp.test";
    names_at("127.0.0.9", &[host]).run("http_proxy", move || {
            let emulator = RunningEmulator::start(in_region("cn-north-4"));
            let proxy = CountingProxy::start(emulator.local_addr());
            let job = emulator.add_job(CLUSTER, None, Some(JobState::Running));
            let endpoint = format!("http://{host}:8080");
            let mut ws = workspace(
                &tf,
                &format!(
                    "  region       = \"cn-north-4\"\n  endpoint     = \"{endpoint}\"\n  iam_endpoint = \"{endpoint}\""
                ),
                &job,
            );
            ws.env("HTTP_PROXY", &proxy.url());
            let run = ws.apply(&[]);
            assert!(run.success, "{}", run.all());
            let asked = proxy.asked();
            let kill = format!(
                "POST {endpoint}/v2/{}/clusters/{CLUSTER}/job-executions/{job}/kill HTTP/1.1",
                emulator.project_id()
            );
            assert!(asked.contains(&kill), "{kill:?} not in {asked:?}");
            assert!(
                asked.iter().any(|l| l.starts_with(&format!("GET {endpoint}/v3/projects"))),
                "{asked:?}"
            );
        });
}

#[test]
fn a_resource_region_other_than_the_fixed_endpoints_fails_at_plan_naming_both() {
    // No request is made: the plan is refused first. The endpoint is a closed loopback port in
    // case it ever were.
    let Some(tf) = terraform() else { return };
    let ws = workspace_killing(
        &tf,
        &closed_endpoints("  project_id   = \"0a1b2c3d4e5f40aa8f0e1d2c3b4a5968\""),
        &kill_config(
            "k",
            "6b7c8d9e-0000-4111-8222-333344445555",
            "  region = \"eu-west-101\"\n",
        ),
    );
    let run = ws.plan();
    assert!(!run.success, "{}", run.all());
    let text = run.all().replace('\n', " ");
    for words in [
        "Region differs from the provider's fixed endpoint",
        "eu-west-101",
        "cn-north-4",
        "https://127.0.0.1:9",
        "alias",
    ] {
        assert!(
            text.contains(words),
            "{words:?} missing from: {}",
            run.all()
        );
    }
}

#[test]
fn a_ca_cert_file_without_a_certificate_fails_at_plan_on_that_attribute() {
    let Some(tf) = terraform() else { return };
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("not-a-ca.pem");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    let missing = dir.path().join("missing.pem");
    for path in [not_pem, missing] {
        let ws = workspace(
            &tf,
            &closed_endpoints(&format!("  ca_cert_file = \"{}\"", hcl_path(&path))),
            "6b7c8d9e-0000-4111-8222-333344445555",
        );
        let run = ws.plan();
        assert!(!run.success, "{}", run.all());
        let text = run.all();
        assert!(
            text.contains("Unusable CA certificate file"),
            "{}",
            run.all()
        );
        assert!(text.contains(&path.display().to_string()), "{}", run.all());
        assert!(text.contains("ca_cert_file"), "{}", run.all());
    }
}

// ECS instance metadata at its real address, 169.254.169.254:80, which exists only on the
// namespace's loopback. The suite points HW_METADATA_ENDPOINT at a closed port everywhere else;
// these two tests clear it, so the provider uses its built-in address.

/// A workspace for region cn-north-4 with no credentials at all and the built-in metadata address.
fn workspace_without_credentials(tf: &TerraformBin, ca_file: &Path, job: &str) -> Workspace {
    let mut ws = workspace(tf, &region_trusting("cn-north-4", ca_file), job);
    // Empty is unset for the provider.
    ws.env("HW_ACCESS_KEY", "")
        .env("HW_SECRET_KEY", "")
        .env("HW_METADATA_ENDPOINT", "")
        .env("HOME", "/home/nobody-here");
    ws
}

#[test]
fn with_nothing_configured_the_keys_come_from_169_254_169_254_and_sign_the_kill() {
    let Some(tf) = terraform() else { return };
    let mrs = CN_NORTH_4_MRS;
    let iam = CN_NORTH_4_IAM;
    names_at("127.0.0.1", &[mrs, iam]).run("metadata_at_its_real_address", move || {
        let HttpsJob {
            emulator,
            job,
            ca_file,
            dir: _dir,
        } = HttpsJob::start(
            EmulatorConfig {
                serve_metadata: true,
                ..in_region("cn-north-4")
            },
            "real_cloud metadata CA",
            &[mrs, iam],
        );
        emulator.also_listen_on(
            SocketAddr::new(IpAddr::V4(common::netns::METADATA_ADDRESS), 80),
            None,
        );
        let ws = workspace_without_credentials(&tf, &ca_file, &job);

        let run = ws.apply(&[]);
        assert!(run.success, "{}", run.all());
        let stats = emulator.stats();
        assert!(
            stats.requests.metadata >= 1,
            "no request reached 169.254.169.254: {:?}",
            stats.requests
        );
        assert_eq!(
            stats.signed_with_temporary_credentials_on(Route::Kill),
            1,
            "the kill was not signed with the metadata service's keys: {stats:?}"
        );
        assert_eq!(stats.requests_at(mrs, Route::Kill), 1, "{:?}", stats.hosts);
        assert_eq!(stats.kills_accepted_for(&job), 1);
    });
}

#[test]
fn with_nothing_configured_and_no_metadata_service_the_plan_names_169_254_169_254() {
    let Some(tf) = terraform() else { return };
    let mrs = CN_NORTH_4_MRS;
    names_at("127.0.0.1", &[mrs]).run("no_metadata_service", move || {
        // Nothing listens on 169.254.169.254:80 in this namespace.
        let ca = TestCa::new("real_cloud no-metadata CA");
        let dir = tempfile::tempdir().unwrap();
        let ca_file = ca.write_pem(dir.path(), "ca.pem");
        let ws =
            workspace_without_credentials(&tf, &ca_file, "0b5cbd2d-0a6c-4b8e-9f47-1a2b3c4d5e6f");

        let run = ws.plan();
        assert!(!run.success, "{}", run.all());
        let text = run.all();
        assert_eq!(text.matches("Error: ").count(), 1, "{text}");
        for place in [
            "No credentials found",
            "HW_ACCESS_KEY",
            "/home/nobody-here/.hcloud/config.json",
            "http://169.254.169.254/openstack/latest/securitykey",
        ] {
            assert!(text.contains(place), "{place:?} missing from:\n{text}");
        }
    });
}
