# Every running Spark job of the ETL user on a cluster (every page is read).
data "mrs_job_executions" "etl" {
  cluster_id = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
  user       = "etl"
  job_type   = "SparkSubmit"
  job_state  = "RUNNING"

  # Only jobs submitted since this time (RFC 3339; sent to MRS as epoch milliseconds).
  submitted_time_begin = "2026-11-28T00:00:00Z"
}

output "running_etl_jobs" {
  value = [for job in data.mrs_job_executions.etl.jobs : "${job.job_id} ${job.job_name} since ${job.started_time}"]
}

# One mrs_job_kill per listed job, if a record per job is wanted (mrs_jobs_kill does it in one).
resource "mrs_job_kill" "etl" {
  for_each         = { for job in data.mrs_job_executions.etl.jobs : job.job_id => job }
  cluster_id       = data.mrs_job_executions.etl.cluster_id
  job_execution_id = each.key
}
