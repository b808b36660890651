//! `mrs-emulator`: the local MRS emulator as a standalone process, for demos, manual runs and CI
//! jobs that are not Rust tests. It prints the URL to use, then serves until SIGINT or SIGTERM.

use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mrs_emulator::{
    Agency, DEFAULT_AGENCY_DOMAIN_ID, DEFAULT_PROJECT_ID, DEFAULT_REGION, Emulator, EmulatorConfig,
    FaultPlan, FaultStep, JobClock, JobState, Route, TlsIdentity,
};

/// A local stand-in for Huawei Cloud MapReduce Service (MRS) and IAM's project lookup.
///
/// Prints `mrs-emulator listening on http://HOST:PORT` (`https://` with --tls-cert) once it accepts connections, then one
/// `job CLUSTER/JOB RUNNING` line per --job. Point both the MRS and the IAM endpoint at that URL.
/// Admin routes without authentication: GET /__emulator/stats, GET|POST /__emulator/jobs,
/// POST /__emulator/faults, POST /__emulator/stats/reset. With --agency, IAM's
/// POST /v3.0/OS-CREDENTIAL/securitytokens issues temporary keys; with --metadata, so does
/// GET /openstack/latest/securitykey (ECS metadata). Both kinds are then accepted with their
/// X-Security-Token until they expire.
#[derive(Debug, Parser)]
#[command(name = "mrs-emulator", version)]
struct Args {
    /// TCP port to listen on; 0 picks a free port (read it from the first line of output).
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Address to listen on; use 0.0.0.0 to be reachable from other containers.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,

    /// The only project id the MRS routes accept (IAM returns it for --region).
    #[arg(long, default_value = DEFAULT_PROJECT_ID)]
    project_id: String,

    /// Region for which IAM's `GET /v3/projects?name=REGION` returns the project.
    #[arg(long, default_value = DEFAULT_REGION)]
    region: String,

    /// Accepted access key (AK); repeat with --secret-key for several pairs, matched in order.
    /// Without any, the pair EMULATORACCESSKEY / emulator-secret-key is accepted.
    #[arg(long = "access-key", value_name = "AK")]
    access_keys: Vec<String>,

    /// Secret key (SK) of the --access-key at the same position.
    #[arg(long = "secret-key", value_name = "SK")]
    secret_keys: Vec<String>,

    /// Accepted X-Security-Token (temporary credentials); repeatable. Without any, every
    /// signed token is accepted.
    #[arg(long = "security-token", value_name = "TOKEN")]
    security_tokens: Vec<String>,

    /// Accepted X-Auth-Token (IAM token authentication); repeatable.
    #[arg(long = "auth-token", value_name = "TOKEN")]
    auth_tokens: Vec<String>,

    /// Largest accepted difference between X-Sdk-Date and this machine's clock, in seconds.
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    max_clock_skew_s: u64,

    /// Milliseconds between an accepted kill (202) and the job showing KILLED.
    #[arg(long, default_value_t = 300, value_name = "MS")]
    kill_delay_ms: u64,

    /// When submitted jobs become ACCEPTED, RUNNING and FINISHED, in ms after submission.
    #[arg(long, value_name = "ACCEPTED,RUNNING,FINISHED", default_value = "200,500,600000", value_parser = parse_job_clock)]
    job_clock_ms: JobClock,

    /// Probability (0 to 1) that an API request fails at random (500/502/503/504/429, a dropped
    /// connection, or an answer dropped after the request was carried out).
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    failure_rate: f64,

    /// Seed for --failure-rate, so a failing run can be replayed.
    #[arg(long, default_value_t = 0)]
    seed: u64,

    /// Milliseconds added before every API request is handled.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency_ms: u64,

    /// Scripted faults for one route, used in order before it behaves normally; repeatable.
    /// ROUTE is kill, show_job, list_jobs, submit_job, iam_projects, security_tokens or metadata;
    /// STEP is a status (503), STATUS:RETRY_AFTER (429:2), drop (closed before MRS sees it),
    /// drop_after (carried out, then closed without the answer), hang, delay:MS,
    /// huge:STATUS:BYTES or garbage:STATUS.
    /// Example: --fault kill=503,429:1,drop
    #[arg(long = "fault", value_name = "ROUTE=STEP[,STEP...]", value_parser = parse_fault)]
    faults: Vec<(Route, Vec<FaultStep>)>,

    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, value_name = "PEM_FILE", requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,

    /// Private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PEM_FILE", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// API requests allowed per second and project (token bucket holding one second's worth);
    /// beyond it requests are answered 429 APIGW.0308 without Retry-After, as the API gateway does.
    /// Counted as `throttled` in /__emulator/stats. Default: no limit.
    #[arg(long, value_name = "R", value_parser = parse_rate_limit)]
    rate_limit: Option<f64>,

    /// Pre-create a RUNNING job (a new UUID unless JOB_ID is given); repeatable.
    #[arg(long = "job", value_name = "CLUSTER_ID[/JOB_ID]")]
    jobs: Vec<String>,

    /// Name of the IAM agency that POST /v3.0/OS-CREDENTIAL/securitytokens lets callers
    /// assume (needs --agency-domain); without it every assume is refused.
    #[arg(long, value_name = "NAME", requires = "agency_domain")]
    agency: Option<String>,

    /// Name of the account that created --agency (matched against `domain_name`).
    #[arg(long, value_name = "NAME", requires = "agency")]
    agency_domain: Option<String>,

    /// ID of the account that created --agency (matched against `domain_id`).
    #[arg(long, value_name = "ID", default_value = DEFAULT_AGENCY_DOMAIN_ID)]
    agency_domain_id: String,

    /// Serve ECS instance metadata (GET /openstack/latest/securitykey) on this listener.
    #[arg(long)]
    metadata: bool,

    /// Also listen (plain HTTP, same state) on this address, e.g. 169.254.169.254:80 inside a
    /// private network namespace; implies --metadata.
    #[arg(long, value_name = "ADDRESS:PORT")]
    metadata_listen: Option<std::net::SocketAddr>,

    /// Lifetime of the temporary keys the emulator issues, in seconds; by default the
    /// duration_seconds asked for (assume) or 3600 (metadata). Below 600 the provider renews
    /// them before every request.
    #[arg(long, value_name = "SECONDS")]
    temp_credential_lifetime_s: Option<u64>,
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(
        "--access-key was given {keys} times but --secret-key {secrets} times; give them in pairs"
    )]
    UnpairedCredentials { keys: usize, secrets: usize },
    #[error("--job {0:?}: expected CLUSTER_ID or CLUSTER_ID/JOB_ID with non-empty parts")]
    BadJob(String),
    #[error("cannot listen on {address}:{port}: {source}")]
    Bind {
        address: IpAddr,
        port: u16,
        source: std::io::Error,
    },
    #[error("cannot write to stdout: {0}")]
    Stdout(std::io::Error),
    #[error("cannot read --tls-cert {cert} / --tls-key {key}: {source}")]
    TlsRead {
        cert: std::path::PathBuf,
        key: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("--tls-cert/--tls-key: {0}")]
    Tls(mrs_emulator::TlsIdentityError),
    #[error("cannot wait for termination signals: {0}")]
    Signal(std::io::Error),
}

fn parse_job_clock(text: &str) -> Result<JobClock, String> {
    let parts: Vec<u64> = text
        .split(',')
        .map(|part| part.trim().parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("expected three millisecond counts like 200,500,600000: {e}"))?;
    let [accepted, running, finished] = parts[..] else {
        return Err(format!(
            "expected three millisecond counts, got {}",
            parts.len()
        ));
    };
    if !(accepted <= running && running <= finished) {
        return Err("the times must not decrease (ACCEPTED <= RUNNING <= FINISHED)".to_owned());
    }
    Ok(JobClock {
        accepted_after: Duration::from_millis(accepted),
        running_after: Duration::from_millis(running),
        finished_after: Duration::from_millis(finished),
    })
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text.parse().map_err(|e| format!("not a number: {e}"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err("must be between 0 and 1".to_owned())
    }
}

fn parse_rate_limit(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a positive number of requests per second"
        )),
    }
}

fn parse_status(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(status) if (100..=599).contains(&status) => Ok(status),
        _ => Err(format!("{text:?} is not an HTTP status (100..=599)")),
    }
}

fn parse_step(text: &str) -> Result<FaultStep, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let number = |s: &str| s.parse::<u64>().map_err(|e| format!("{s:?}: {e}"));
    Ok(match parts[..] {
        ["drop"] => FaultStep::Drop,
        ["drop_after"] => FaultStep::DropAfter,
        ["hang"] => FaultStep::Hang,
        ["delay", ms] => FaultStep::Delay(Duration::from_millis(number(ms)?)),
        ["garbage", status] => FaultStep::Garbage {
            status: parse_status(status)?,
        },
        ["huge", status, bytes] => FaultStep::HugeBody {
            status: parse_status(status)?,
            bytes: usize::try_from(number(bytes)?).map_err(|e| e.to_string())?,
        },
        [status] => FaultPlan::status(parse_status(status)?),
        [status, retry_after] => FaultStep::Status {
            status: parse_status(status)?,
            retry_after: Some(retry_after.to_owned()),
            body: None,
        },
        _ => return Err(format!("unknown fault step {text:?}")),
    })
}

fn parse_fault(text: &str) -> Result<(Route, Vec<FaultStep>), String> {
    let (route, steps) = text
        .split_once('=')
        .ok_or_else(|| "expected ROUTE=STEP[,STEP...]".to_owned())?;
    let route: Route = route
        .parse()
        .map_err(|e: mrs_emulator::UnknownRoute| e.to_string())?;
    let steps = steps.split(',').map(parse_step).collect::<Result<_, _>>()?;
    Ok((route, steps))
}

fn config_from(args: &Args) -> Result<EmulatorConfig, CliError> {
    let defaults = EmulatorConfig::default();
    if args.access_keys.len() != args.secret_keys.len() {
        return Err(CliError::UnpairedCredentials {
            keys: args.access_keys.len(),
            secrets: args.secret_keys.len(),
        });
    }
    let credentials = if args.access_keys.is_empty() {
        defaults.credentials
    } else {
        args.access_keys
            .iter()
            .cloned()
            .zip(args.secret_keys.iter().cloned())
            .collect()
    };
    let mut faults = FaultPlan {
        failure_rate: args.failure_rate,
        seed: args.seed,
        latency: Duration::from_millis(args.latency_ms),
        ..FaultPlan::none()
    };
    for (route, steps) in &args.faults {
        faults = faults.on(*route, steps.iter().cloned());
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let identity =
                TlsIdentity::from_files(cert, key).map_err(|source| CliError::TlsRead {
                    cert: cert.clone(),
                    key: key.clone(),
                    source,
                })?;
            identity.validate().map_err(CliError::Tls)?;
            Some(identity)
        }
        _ => None,
    };
    Ok(EmulatorConfig {
        more_agencies: Vec::new(),
        oidc: None,
        project_id: args.project_id.clone(),
        region: args.region.clone(),
        credentials,
        security_tokens: (!args.security_tokens.is_empty()).then(|| args.security_tokens.clone()),
        auth_tokens: args.auth_tokens.clone(),
        max_clock_skew: Duration::from_secs(args.max_clock_skew_s),
        clock_offset_s: 0,
        job_clock: args.job_clock_ms,
        kill_delay: Duration::from_millis(args.kill_delay_ms),
        bind_address: args.bind,
        port: args.port,
        faults,
        tls,
        agency: args
            .agency
            .clone()
            .zip(args.agency_domain.clone())
            .map(|(name, domain_name)| Agency {
                name,
                domain_name,
                domain_id: args.agency_domain_id.clone(),
            }),
        serve_metadata: args.metadata || args.metadata_listen.is_some(),
        temp_credential_lifetime: args.temp_credential_lifetime_s.map(Duration::from_secs),
        rate_limit: args.rate_limit,
    })
}

fn split_job(spec: &str) -> Result<(&str, Option<&str>), CliError> {
    let (cluster, job) = match spec.split_once('/') {
        Some((cluster, job)) => (cluster, Some(job)),
        None => (spec, None),
    };
    if cluster.is_empty() || job.is_some_and(str::is_empty) {
        return Err(CliError::BadJob(spec.to_owned()));
    }
    Ok((cluster, job))
}

async fn wait_for_termination() -> Result<(), CliError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).map_err(CliError::Signal)?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map_err(CliError::Signal),
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(CliError::Signal)
    }
}

async fn run(args: Args) -> Result<(), CliError> {
    let config = config_from(&args)?;
    let jobs = args
        .jobs
        .iter()
        .map(|spec| split_job(spec))
        .collect::<Result<Vec<_>, _>>()?;
    let (address, port) = (config.bind_address, config.port);
    let emulator = Emulator::start(config)
        .await
        .map_err(|source| CliError::Bind {
            address,
            port,
            source,
        })?;
    if let Some(extra) = args.metadata_listen {
        emulator
            .listen_also(extra, None)
            .await
            .map_err(|source| CliError::Bind {
                address: extra.ip(),
                port: extra.port(),
                source,
            })?;
    }
    // Jobs exist before the URL is announced, so whoever reads the line can use them at once.
    let created: Vec<(String, String)> = jobs
        .into_iter()
        .map(|(cluster, job)| {
            let id = emulator.add_job(cluster, job, Some(JobState::Running));
            (cluster.to_owned(), id)
        })
        .collect();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "mrs-emulator listening on {}", emulator.url()).map_err(CliError::Stdout)?;
    for (cluster, job) in &created {
        writeln!(stdout, "job {cluster}/{job} RUNNING").map_err(CliError::Stdout)?;
    }
    stdout.flush().map_err(CliError::Stdout)?;
    drop(stdout);
    wait_for_termination().await?;
    emulator.shutdown().await;
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("mrs-emulator: error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mrs-emulator: error: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_flag_parses_route_and_every_step_form() {
        let (route, steps) =
            parse_fault("kill=503,429:2,drop,drop_after,hang,delay:5,huge:200:10,garbage:502")
                .expect("valid");
        assert_eq!(route, Route::Kill);
        assert_eq!(
            steps,
            vec![
                FaultPlan::status(503),
                FaultStep::Status {
                    status: 429,
                    retry_after: Some("2".into()),
                    body: None
                },
                FaultStep::Drop,
                FaultStep::DropAfter,
                FaultStep::Hang,
                FaultStep::Delay(Duration::from_millis(5)),
                FaultStep::HugeBody {
                    status: 200,
                    bytes: 10
                },
                FaultStep::Garbage { status: 502 },
            ]
        );
        assert!(parse_fault("nope=503").is_err());
        assert!(parse_fault("kill=42").is_err());
        assert!(parse_fault("kill").is_err());
    }

    #[test]
    fn job_clock_flag_needs_three_non_decreasing_times() {
        let clock = parse_job_clock("1,2,3").expect("valid");
        assert_eq!(clock.finished_after, Duration::from_millis(3));
        assert!(parse_job_clock("1,2").is_err());
        assert!(parse_job_clock("3,2,1").is_err());
    }

    #[test]
    fn job_flag_takes_cluster_and_optional_job() {
        assert_eq!(split_job("c1").expect("valid"), ("c1", None));
        assert_eq!(split_job("c1/j1").expect("valid"), ("c1", Some("j1")));
        assert!(split_job("/j1").is_err());
        assert!(split_job("c1/").is_err());
    }

    #[test]
    fn tls_flags_load_a_usable_pair_and_refuse_one_that_is_not() {
        let dir = std::env::temp_dir().join(format!("mrs-emulator-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, certified.cert.pem()).expect("write cert");
        std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
        let flags = |cert: &std::path::Path, key: &std::path::Path| {
            Args::parse_from([
                "mrs-emulator".as_ref(),
                "--tls-cert".as_ref(),
                cert.as_os_str(),
                "--tls-key".as_ref(),
                key.as_os_str(),
            ])
        };
        let config = config_from(&flags(&cert, &key)).expect("usable pair");
        assert!(config.tls.is_some());
        // The key where the certificate belongs: refused before anything listens.
        assert!(matches!(
            config_from(&flags(&key, &key)),
            Err(CliError::Tls(_))
        ));
        assert!(matches!(
            config_from(&flags(&dir.join("missing.pem"), &key)),
            Err(CliError::TlsRead { .. })
        ));
        assert!(Args::try_parse_from(["mrs-emulator", "--tls-cert", "c.pem"]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unpaired_keys_are_refused() {
        let args = Args::parse_from([
            "mrs-emulator",
            "--access-key",
            "AK1",
            "--access-key",
            "AK2",
            "--secret-key",
            "SK1",
        ]);
        assert!(matches!(
            config_from(&args),
            Err(CliError::UnpairedCredentials {
                keys: 2,
                secrets: 1
            })
        ));
        let args = Args::parse_from([
            "mrs-emulator",
            "--security-token",
            "t",
            "--failure-rate",
            "0.5",
        ]);
        let config = config_from(&args).expect("valid");
        assert_eq!(config.security_tokens, Some(vec!["t".to_owned()]));
        assert_eq!(config.faults.failure_rate, 0.5);
        assert_eq!(config.credentials, EmulatorConfig::default().credentials);
        assert_eq!(config.rate_limit, None);
    }

    #[test]
    fn rate_limit_flag_takes_a_positive_rate() {
        let args = Args::parse_from(["mrs-emulator", "--rate-limit", "25"]);
        assert_eq!(config_from(&args).expect("valid").rate_limit, Some(25.0));
        assert!(parse_rate_limit("0").is_err());
        assert!(parse_rate_limit("-1").is_err());
        assert!(parse_rate_limit("fast").is_err());
    }

    #[test]
    fn agency_metadata_and_lifetime_flags_configure_the_credential_routes() {
        let args = Args::parse_from([
            "mrs-emulator",
            "--agency",
            "mrs_ops",
            "--agency-domain",
            "owner",
            "--metadata",
            "--temp-credential-lifetime-s",
            "120",
        ]);
        let config = config_from(&args).expect("valid");
        assert_eq!(config.agency, Some(Agency::new("mrs_ops", "owner")));
        assert!(config.serve_metadata);
        assert_eq!(
            config.temp_credential_lifetime,
            Some(Duration::from_secs(120))
        );
        assert!(Args::try_parse_from(["mrs-emulator", "--agency", "x"]).is_err());
        let listen = Args::parse_from(["mrs-emulator", "--metadata-listen", "169.254.169.254:80"]);
        assert!(config_from(&listen).expect("valid").serve_metadata);
        let plain = config_from(&Args::parse_from(["mrs-emulator"])).expect("valid");
        assert_eq!((plain.agency, plain.serve_metadata), (None, false));
    }
}
