# Quickstart: kill one job and wait until MRS reports it KILLED.
# `demo.sh`, next to this file, runs it against the local MRS emulator; against Huawei Cloud,
# set HW_REGION_NAME, HW_ACCESS_KEY and HW_SECRET_KEY and pass your own IDs. Run it again and
# the plan is empty: the kill is recorded once.
terraform {
  required_providers {
    mrs = {
      source = "huaweicloud/mrs"
    }
  }
}

provider "mrs" {}

variable "cluster_id" {
  type        = string
  description = "ID of the MRS cluster that runs the job."
}

variable "job_execution_id" {
  type        = string
  description = "ID of the job to kill."
}

resource "mrs_job_kill" "this" {
  cluster_id           = var.cluster_id
  job_execution_id     = var.job_execution_id
  wait_for_termination = true
}

output "final_job_state" {
  value = mrs_job_kill.this.final_job_state
}

output "kill_request_id" {
  value = mrs_job_kill.this.request_id
}
