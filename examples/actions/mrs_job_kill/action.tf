# Terraform 1.14 or later. Invoke by hand:
#   terraform apply -invoke=action.mrs_job_kill.stop_etl
action "mrs_job_kill" "stop_etl" {
  config {
    cluster_id           = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    job_execution_id     = "8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e"
    wait_for_termination = true
    timeout              = "10m"
  }
}

# Or run it whenever the cluster's size changes, before the change is applied.
resource "terraform_data" "cluster_size" {
  input = var.core_node_count

  lifecycle {
    action_trigger {
      events  = [before_update]
      actions = [action.mrs_job_kill.stop_etl]
    }
  }
}

variable "core_node_count" {
  type    = number
  default = 3
}
