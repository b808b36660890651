"""Drives mrs-emulator with Huawei Cloud's official Python SDK (huaweicloudsdkmrs), as a user's own
script would: lists a cluster's jobs, stops one and shows it until it has ended, then prints what it
saw as one JSON object on stdout (the same report as tests/go-sdk-client).

Usage: python python_sdk_client.py ENDPOINT CLUSTER_ID JOB_EXECUTION_ID, with HW_ACCESS_KEY,
HW_SECRET_KEY and HW_PROJECT_ID in the environment. A refused call ends it with status 1 and the
SDK's error (status, error code, message) on stderr. tests/real_clients.rs runs it.
"""
import json
import os
import sys
import time

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import SdkException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmrs.v2 import (
    MrsClient,
    ShowJobExeListNewRequest,
    ShowSingleJobExeRequest,
    StopJobRequest,
)

ENDED = ("KILLED", "FAILED", "FINISHED")


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: python_sdk_client.py ENDPOINT CLUSTER_ID JOB_EXECUTION_ID")
    endpoint, cluster_id, job_id = sys.argv[1:]
    credentials = BasicCredentials(
        os.environ["HW_ACCESS_KEY"], os.environ["HW_SECRET_KEY"], os.environ["HW_PROJECT_ID"]
    )
    config = HttpConfig.get_default_config()
    config.timeout = 20
    client = (
        MrsClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoints([endpoint])
        .build()
    )
    call = "ShowJobExeListNew"
    try:
        listed = client.show_job_exe_list_new(
            ShowJobExeListNewRequest(cluster_id=cluster_id, limit="100")
        )
        report = {
            "listed": [
                {"job_id": job.job_id, "job_state": job.job_state} for job in listed.job_list or []
            ],
            "total_record": listed.total_record,
        }
        call = "StopJob"
        stopped = client.stop_job(StopJobRequest(cluster_id=cluster_id, job_execution_id=job_id))
        report["stop_status"] = stopped.status_code
        # A stop is asynchronous: the job shows RUNNING until YARN has killed it. Poll, bounded.
        call = "ShowSingleJobExe"
        states = []
        deadline = time.monotonic() + 30
        while True:
            shown = client.show_single_job_exe(
                ShowSingleJobExeRequest(cluster_id=cluster_id, job_execution_id=job_id)
            )
            report["show_status"] = shown.status_code
            state = shown.job_detail.job_state if shown.job_detail else ""
            if not states or states[-1] != state:
                states.append(state)
            if state in ENDED or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        report["shown_states"] = states
    except SdkException as err:
        sys.exit(f"{call} failed: {err}")
    json.dump(report, sys.stdout)
    print()


if __name__ == "__main__":
    main()
