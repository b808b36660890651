# Every Spark job the ETL user submitted on a cluster since a bad deploy, whatever its state
# (every page is read).
data "mrs_job_executions" "since_deploy" {
  cluster_id = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
  user       = "etl"
  job_type   = "SparkSubmit"

  # Only jobs submitted since this time (RFC 3339; sent to MRS as epoch milliseconds).
  submitted_time_begin = "2026-11-28T00:00:00Z"
}

# Kill those jobs, all at once, and keep the record. The listing names the same jobs once they
# have ended (it does not filter on job_state), so the next plans are empty; a job that had
# already ended is recorded as done, with a warning at plan. A job submitted later joins the
# list and the next apply kills the whole list again (those already ended stay as they are).
resource "mrs_jobs_kill" "since_deploy" {
  cluster_id = data.mrs_job_executions.since_deploy.cluster_id
  job_ids    = [for job in data.mrs_job_executions.since_deploy.jobs : job.job_id]
}

output "killed_job_ids" {
  value = [for job in mrs_jobs_kill.since_deploy.jobs : job.job_id]
}
