# Terraform 1.14 or later. Quiet the cluster before it is resized: whenever the core node count
# changes, every job that has not ended is killed (and waited for) before the change is applied.
variable "cluster_id" {
  type    = string
  default = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
}

variable "core_node_count" {
  type    = number
  default = 3
}

action "mrs_jobs_kill" "quiet_cluster" {
  config {
    cluster_id           = var.cluster_id
    wait_for_termination = true
    timeout              = "15m"
  }
}

# Stands for the cluster's size; with the huaweicloud provider, put the same lifecycle block on
# the huaweicloud_mapreduce_cluster whose node count changes.
resource "terraform_data" "cluster_size" {
  input = var.core_node_count

  lifecycle {
    action_trigger {
      events  = [before_update]
      actions = [action.mrs_jobs_kill.quiet_cluster]
    }
  }
}

# Or by hand: terraform apply -invoke=action.mrs_jobs_kill.quiet_cluster
