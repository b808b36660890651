# Stop every job that has not ended on the cluster, and wait until all of them have.
# The plan lists the jobs that match now; the apply lists again and kills those.
resource "mrs_jobs_kill" "before_maintenance" {
  cluster_id           = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
  wait_for_termination = true

  # Change a value to quiet the cluster again on the next apply.
  triggers = {
    maintenance_window = "2026-11-28"
  }

  timeouts {
    create = "15m"
  }
}

# Only the ETL user's jobs in the batch queue whose name contains "nightly".
resource "mrs_jobs_kill" "nightly_etl" {
  cluster_id = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
  user       = "etl"
  queue      = "batch"
  job_name   = "nightly"
}

# Exactly these jobs (cannot be combined with the filters above).
resource "mrs_jobs_kill" "these" {
  cluster_id = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
  job_ids = [
    "8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e",
    "0c2e4a6b-8d0f-4b1c-a3e5-7f9b1d3c5e7a",
  ]
}
