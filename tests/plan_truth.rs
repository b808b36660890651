//! The plan tells the truth (issue 20), with real Terraform (the one on PATH, and 1.0.3) against
//! the emulator: a reusable module whose variables default to null validates and plans; what
//! would fail the apply fails the plan, on the attribute at fault, without a kill being sent.

pub mod common;

use common::emulator::RunningEmulator;
use common::scenario::{CLUSTER, TERRAFORM_BLOCK, running_jobs, workspace};
use common::terraform::terraforms;
use mrs_emulator::Route;

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
        let plan = ws.run(&["plan", "-input=false", "-no-color"]);
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
        let plan = ws.run(&["plan", "-input=false", "-no-color"]);
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
