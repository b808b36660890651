# Configuration under test for `terraform test` (Terraform 1.6+). The Rust end-to-end suite runs
# it against the MRS emulator, with the provider configured through HW_* variables.
terraform {
  required_providers {
    mrs = {
      source = "huaweicloud/mrs"
    }
  }
}

provider "mrs" {}

variable "cluster_id" {
  type = string
}

variable "job_execution_id" {
  type = string
}

variable "wait_for_termination" {
  type    = bool
  default = false
}

resource "mrs_job_kill" "this" {
  cluster_id           = var.cluster_id
  job_execution_id     = var.job_execution_id
  wait_for_termination = var.wait_for_termination
}
