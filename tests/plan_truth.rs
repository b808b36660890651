//! The plan tells the truth (issue 20), with real Terraform (the one on PATH, and 1.0.3) against
//! the emulator: a reusable module whose variables default to null validates and plans; what
//! would fail the apply fails the plan, on the attribute at fault, without a kill being sent.

pub mod common;

use common::emulator::RunningEmulator;
use common::scenario::{CLUSTER, TERRAFORM_BLOCK, kill_config, running_jobs, workspace};
use common::terraform::terraforms;
use mrs_emulator::{FaultPlan, JobState, Route};

/// A "quiet a cluster" module: `job_ids` and `user` pass through variables that default to null.
const QUIET_MODULE_BODY: &str = r#"
variable "cluster_id" {
  type = string
}

variable "job_ids" {
  type    = set(string)
  default = null
}

variable "user" {
  type    = string
  default = null
}

resource "mrs_jobs_kill" "this" {
  cluster_id = var.cluster_id
  job_ids    = var.job_ids
  user       = var.user
}
"#;

#[test]
fn a_module_with_null_variables_validates_and_plans() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let jobs = running_jobs(&emulator, 2);
        let by_ids = format!(
            "module \"by_ids\" {{\n  source     = \"./modules/quiet\"\n  cluster_id = \"{CLUSTER}\"\n  job_ids    = [\"{}\"]\n}}\n\
             module \"by_user\" {{\n  source     = \"./modules/quiet\"\n  cluster_id = \"{CLUSTER}\"\n  user       = \"nobody\"\n}}\n",
            jobs[0]
        );
        let ws = workspace(tf, &emulator, &by_ids);
        let module_dir = ws.path().join("modules/quiet");
        std::fs::create_dir_all(&module_dir).expect("module dir");
        std::fs::write(
            module_dir.join("main.tf"),
            format!("{TERRAFORM_BLOCK}{QUIET_MODULE_BODY}"),
        )
        .expect("module");

        // `terraform get` installs the local module; dev_overrides stand in for `init`.
        let get = ws.run(&["get", "-no-color"]);
        assert!(get.success, "terraform {} get: {}", tf.version, get.all());
        let validate = ws.run(&["validate", "-no-color"]);
        assert!(
            validate.success,
            "terraform {} validate: {}",
            tf.version,
            validate.all()
        );
        let plan = ws.plan();
        assert!(
            plan.success,
            "terraform {} plan: {}",
            tf.version,
            plan.all()
        );
        assert!(plan.stdout.contains("2 to add"), "{}", plan.all());
        assert_eq!(emulator.stats().requests.get(Route::Kill), 0);

        // Set both at once and the same check fails, at plan, on job_ids.
        std::fs::write(
            ws.path().join("main.tf"),
            format!(
                "{}\nmodule \"both\" {{\n  source     = \"./modules/quiet\"\n  cluster_id = \"{CLUSTER}\"\n  job_ids    = [\"{}\"]\n  user       = \"etl\"\n}}\n",
                common::scenario::HEADER,
                jobs[1]
            ),
        )
        .expect("main.tf");
        assert!(ws.run(&["get", "-no-color"]).success);
        let plan = ws.plan();
        assert!(!plan.success, "{}", plan.all());
        assert!(
            plan.all().contains("job_ids cannot be combined with user"),
            "terraform {}: {}",
            tf.version,
            plan.all()
        );
        assert_eq!(emulator.stats().requests.get(Route::Kill), 0);
    }
}

/// `terraform plan` of `body` against `emulator`, with `env` on top of the emulator's.
fn plan(
    tf: &common::terraform::TerraformBin,
    emulator: &RunningEmulator,
    body: &str,
    env: &[(&str, &str)],
) -> common::terraform::Run {
    let mut ws = workspace(tf, emulator, body);
    for (key, value) in env {
        ws.env(key, value);
    }
    ws.plan()
}

/// The lines Terraform prints under a diagnostic to show where it points, e.g.
/// `   5:   job_execution_id = "x"`: true when one names `attribute`.
fn points_at(run: &common::terraform::Run, attribute: &str) -> bool {
    run.all().lines().any(|line| {
        let line = line.trim_start_matches(['│', ' ']);
        line.split_once(':').is_some_and(|(number, rest)| {
            number.trim().parse::<u32>().is_ok() && rest.trim_start().starts_with(attribute)
        })
    })
}

#[test]
fn what_would_fail_the_apply_fails_the_plan_on_its_attribute_without_a_kill() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let running = running_jobs(&emulator, 1).remove(0);

        let missing = plan(tf, &emulator, &kill_config("k", "no-such-job", ""), &[]);
        assert!(
            !missing.success,
            "terraform {}: {}",
            tf.version,
            missing.all()
        );
        assert!(
            missing.all().contains("No job no-such-job"),
            "{}",
            missing.all()
        );
        assert!(points_at(&missing, "job_execution_id"), "{}", missing.all());

        let other_cluster = format!(
            "resource \"mrs_job_kill\" \"k\" {{\n  cluster_id = \"no-such-cluster\"\n  job_execution_id = \"{running}\"\n}}\n"
        );
        let no_cluster = plan(tf, &emulator, &other_cluster, &[]);
        assert!(!no_cluster.success, "{}", no_cluster.all());
        assert!(
            no_cluster.all().contains("12000003"),
            "{}",
            no_cluster.all()
        );
        assert!(points_at(&no_cluster, "cluster_id"), "{}", no_cluster.all());

        let refused = plan(
            tf,
            &emulator,
            &kill_config("k", &running, ""),
            &[("HW_SECRET_KEY", "not-the-secret")],
        );
        assert!(!refused.success, "{}", refused.all());
        assert!(refused.all().contains("401"), "{}", refused.all());

        let quiet_missing = format!(
            "resource \"mrs_jobs_kill\" \"q\" {{\n  cluster_id = \"{CLUSTER}\"\n  job_ids    = [\"no-such-job\"]\n}}\n"
        );
        let run = plan(tf, &emulator, &quiet_missing, &[]);
        assert!(!run.success, "{}", run.all());
        assert!(points_at(&run, "job_ids"), "{}", run.all());
        assert!(!run.all().contains("job_execution_id"), "{}", run.all());

        let quiet_no_cluster =
            "resource \"mrs_jobs_kill\" \"q\" {\n  cluster_id = \"no-such-cluster\"\n}\n";
        let run = plan(tf, &emulator, quiet_no_cluster, &[]);
        assert!(!run.success, "{}", run.all());
        assert!(points_at(&run, "cluster_id"), "{}", run.all());

        let listing = plan(
            tf,
            &emulator,
            "data \"mrs_job_executions\" \"all\" {\n  cluster_id = \"no-such-cluster\"\n}\n",
            &[],
        );
        assert!(!listing.success, "{}", listing.all());
        assert!(points_at(&listing, "cluster_id"), "{}", listing.all());

        let region = plan(
            tf,
            &emulator,
            &kill_config("k", &running, "  region = \"cn-south-1\"\n"),
            &[],
        );
        assert!(!region.success, "{}", region.all());
        assert!(region.all().contains("HW_MRS_ENDPOINT"), "{}", region.all());

        let stats = emulator.stats();
        assert_eq!(
            stats.requests.kill, 0,
            "terraform {}: plans send no kill",
            tf.version
        );
        assert_eq!(stats.requests.submit_job, 0);
    }
}

#[test]
fn what_may_pass_or_is_already_done_is_a_warning_and_the_plan_goes_ahead() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let ended = emulator.add_job(CLUSTER, None, Some(JobState::Killed));
        let run = plan(tf, &emulator, &kill_config("k", &ended, ""), &[]);
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        assert!(
            run.all()
                .contains(&format!("Job {ended} has already ended (KILLED)")),
            "{}",
            run.all()
        );
        assert!(run.stdout.contains("1 to add"), "{}", run.all());

        let running = running_jobs(&emulator, 1).remove(0);
        emulator.set_faults(
            FaultPlan::none().on(Route::ListJobs, (0..4).map(|_| FaultPlan::status(503))),
        );
        let run = plan(
            tf,
            &emulator,
            &kill_config("k", &running, ""),
            &[("HW_MAX_RETRIES", "1")],
        );
        assert!(run.success, "{}", run.all());
        assert!(
            run.all().contains(&format!(
                "Could not check cluster {CLUSTER} before the apply"
            )),
            "{}",
            run.all()
        );
        emulator.set_faults(FaultPlan::none());
        assert_eq!(emulator.stats().requests.kill, 0);
    }
}

#[test]
fn the_plan_shows_the_project_the_provider_looked_up() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let running = running_jobs(&emulator, 1).remove(0);
        let mut ws = workspace(tf, &emulator, &kill_config("k", &running, ""));
        // No HW_PROJECT_ID: the provider asks IAM for the region's project at plan.
        ws.env("HW_PROJECT_ID", "");
        let run = ws.plan();
        assert!(run.success, "{}", run.all());
        let project_line = run
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("+ project_id"))
            .unwrap_or_default()
            .to_owned();
        assert!(
            project_line.contains(&format!("\"{}\"", emulator.project_id())),
            "terraform {}: {}",
            tf.version,
            run.all()
        );
        let apply = ws.apply(&[]);
        assert!(apply.success, "{}", apply.all());
        assert_eq!(ws.plan_has_changes().map_err(|r| r.all()), Ok(false));
    }
}

#[test]
fn a_plan_of_many_kills_on_one_cluster_looks_with_one_listing() {
    for tf in terraforms() {
        let emulator = RunningEmulator::start_default();
        let jobs = running_jobs(&emulator, 20);
        let ws = workspace(tf, &emulator, &common::scenario::for_each_config(&jobs));
        let run = ws.plan();
        assert!(run.success, "terraform {}: {}", tf.version, run.all());
        assert!(run.stdout.contains("20 to add"), "{}", run.all());
        let requests = emulator.stats().requests;
        assert_eq!(
            (requests.list_jobs, requests.show_job, requests.kill),
            (1, 0, 0),
            "terraform {}: {requests:?}",
            tf.version
        );
    }
}
