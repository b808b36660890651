// Command go-sdk-client drives mrs-emulator with Huawei Cloud's official Go SDK v3
// (services/mrs/v2), as a user's own Go program would: it lists a cluster's jobs, stops one and
// shows it until it has ended, then prints what it saw as one JSON object on stdout.
//
// Usage: go-sdk-client ENDPOINT CLUSTER_ID JOB_EXECUTION_ID, with HW_ACCESS_KEY, HW_SECRET_KEY and
// HW_PROJECT_ID in the environment. Any failed call ends the program with status 1 and the SDK's
// error (status, error code, message) on stderr. tests/real_clients.rs builds and runs it.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	mrs "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/mrs/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/mrs/v2/model"
)

// listedJob is one entry of ShowJobExeListNew's answer.
type listedJob struct {
	JobID string `json:"job_id"`
	State string `json:"job_state"`
}

// report is what the test reads.
type report struct {
	Listed      []listedJob `json:"listed"`
	TotalRecord int32       `json:"total_record"`
	StopStatus  int         `json:"stop_status"`
	// Job states seen by ShowSingleJobExe after the stop, in order (consecutive repeats folded).
	ShownStates []string `json:"shown_states"`
	ShowStatus  int      `json:"show_status"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func fail(call string, err error) {
	fmt.Fprintf(os.Stderr, "%s failed: %v\n", call, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go-sdk-client ENDPOINT CLUSTER_ID JOB_EXECUTION_ID")
		os.Exit(2)
	}
	endpoint, clusterID, jobID := os.Args[1], os.Args[2], os.Args[3]

	credentials := basic.NewCredentialsBuilder().
		WithAk(os.Getenv("HW_ACCESS_KEY")).
		WithSk(os.Getenv("HW_SECRET_KEY")).
		WithProjectId(os.Getenv("HW_PROJECT_ID")).
		Build()
	client := mrs.NewMrsClient(
		mrs.MrsClientBuilder().
			WithEndpoints([]string{endpoint}).
			WithCredential(credentials).
			WithHttpConfig(config.DefaultHttpConfig().WithTimeout(20 * time.Second)).
			Build())

	var out report
	limit := "100"
	listed, err := client.ShowJobExeListNew(&model.ShowJobExeListNewRequest{
		ClusterId: clusterID,
		Limit:     &limit,
	})
	if err != nil {
		fail("ShowJobExeListNew", err)
	}
	if listed.TotalRecord != nil {
		out.TotalRecord = *listed.TotalRecord
	}
	if listed.JobList != nil {
		for _, job := range *listed.JobList {
			out.Listed = append(out.Listed, listedJob{JobID: deref(job.JobId), State: deref(job.JobState)})
		}
	}

	stopped, err := client.StopJob(&model.StopJobRequest{ClusterId: clusterID, JobExecutionId: jobID})
	if err != nil {
		fail("StopJob", err)
	}
	out.StopStatus = stopped.HttpStatusCode

	// A stop is asynchronous: the job shows RUNNING until YARN has killed it. Poll, bounded.
	deadline := time.Now().Add(30 * time.Second)
	for {
		shown, err := client.ShowSingleJobExe(&model.ShowSingleJobExeRequest{ClusterId: clusterID, JobExecutionId: jobID})
		if err != nil {
			fail("ShowSingleJobExe", err)
		}
		out.ShowStatus = shown.HttpStatusCode
		state := ""
		if shown.JobDetail != nil {
			state = deref(shown.JobDetail.JobState)
		}
		if n := len(out.ShownStates); n == 0 || out.ShownStates[n-1] != state {
			out.ShownStates = append(out.ShownStates, state)
		}
		if state == "KILLED" || state == "FAILED" || state == "FINISHED" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing the report", err)
	}
}
