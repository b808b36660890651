# Fail the apply unless this configuration's kill ended the job (Terraform 1.2 or later).
# Without it, a job that had already finished by itself is success with a warning.
resource "mrs_job_kill" "strict" {
  cluster_id       = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
  job_execution_id = "8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e"

  wait_for_termination = true

  lifecycle {
    postcondition {
      condition     = self.final_job_state == "KILLED"
      error_message = "Job ${self.job_execution_id} was not killed by this configuration: it ended as ${self.final_job_state}."
    }
  }
}
