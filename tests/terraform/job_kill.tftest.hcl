# Each run block applies against the emulator; jobs are created RUNNING by the Rust test that
# calls `terraform test` (tests/terraform_e2e.rs).

variables {
  cluster_id = "2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
}

run "plan_shows_a_kill_with_known_ids" {
  command = plan

  variables {
    job_execution_id = "aaaaaaaa-0000-4000-8000-000000000001"
  }

  assert {
    condition     = mrs_job_kill.this.cluster_id == var.cluster_id
    error_message = "the planned kill targets the configured cluster"
  }
  assert {
    condition     = mrs_job_kill.this.wait_for_termination == false
    error_message = "wait_for_termination defaults to false"
  }
}

run "kill_is_recorded" {
  variables {
    job_execution_id = "aaaaaaaa-0000-4000-8000-000000000001"
  }

  assert {
    condition     = length(mrs_job_kill.this.request_id) > 0
    error_message = "the 202's X-Request-Id is recorded"
  }
  assert {
    condition     = endswith(mrs_job_kill.this.killed_at, "Z")
    error_message = "killed_at is RFC 3339 in UTC"
  }
  assert {
    condition     = mrs_job_kill.this.final_job_state == null
    error_message = "final_job_state stays null when not waiting"
  }
}

run "waiting_reaches_killed" {
  variables {
    job_execution_id     = "aaaaaaaa-0000-4000-8000-000000000002"
    wait_for_termination = true
  }

  assert {
    condition     = mrs_job_kill.this.final_job_state == "KILLED"
    error_message = "waiting ends with the job KILLED"
  }
}
