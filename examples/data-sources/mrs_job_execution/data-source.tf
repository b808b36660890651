# Look at a job first, and kill it only while it is running.
data "mrs_job_execution" "etl" {
  cluster_id       = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
  job_execution_id = "8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e"
}

resource "mrs_job_kill" "etl" {
  count            = data.mrs_job_execution.etl.job_state == "RUNNING" ? 1 : 0
  cluster_id       = data.mrs_job_execution.etl.cluster_id
  job_execution_id = data.mrs_job_execution.etl.job_execution_id
}
