# Kill a running Spark job before the cluster is resized.
resource "mrs_job_kill" "nightly_etl" {
  cluster_id       = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
  job_execution_id = "8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e"

  # Block until MRS reports the job KILLED (or FAILED/FINISHED).
  wait_for_termination = true

  # Change a trigger to send the kill again on the next apply.
  triggers = {
    resize_request = "2026-11-28"
  }

  timeouts {
    create = "15m"
  }
}

output "kill_request_id" {
  value = mrs_job_kill.nightly_etl.request_id
}
