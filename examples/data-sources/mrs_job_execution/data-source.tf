# Look at a job before killing it: refuse to kill a job that is not the ETL user's
# (preconditions need Terraform 1.2 or later). The kill is recorded once; later plans read the
# job again (KILLED by then), find the same user, and change nothing.
data "mrs_job_execution" "etl" {
  cluster_id       = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
  job_execution_id = "8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e"
}

resource "mrs_job_kill" "etl" {
  cluster_id       = data.mrs_job_execution.etl.cluster_id
  job_execution_id = data.mrs_job_execution.etl.job_execution_id

  lifecycle {
    precondition {
      condition     = data.mrs_job_execution.etl.user == "etl"
      error_message = "Job ${data.mrs_job_execution.etl.job_execution_id} was submitted by ${data.mrs_job_execution.etl.user}, not etl: not killing it."
    }
  }
}

output "killed_job" {
  value = "${data.mrs_job_execution.etl.job_name} (${data.mrs_job_execution.etl.job_type}), submitted ${data.mrs_job_execution.etl.submitted_time}"
}
