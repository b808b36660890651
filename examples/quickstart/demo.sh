#!/usr/bin/env bash
# End-to-end demo on the built-in MRS emulator; no cloud account needed.
#   1. builds the provider and the emulator,
#   2. starts the emulator with one RUNNING job,
#   3. runs `terraform apply` (or `tofu apply`) on this directory to kill the job (waiting for it
#      to end),
#   4. shows the job KILLED, as the emulator sees it.
# It runs `terraform` when that is on PATH, else `tofu`; TF_CLIENT chooses (`terraform`, `tofu`,
# or a path to either).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

client=${TF_CLIENT:-}
if [ -z "$client" ]; then
  if command -v terraform >/dev/null; then client=terraform
  elif command -v tofu >/dev/null; then client=tofu
  else echo "demo: neither terraform nor tofu is on PATH (see README: Install)"; exit 1
  fi
fi
command -v "$client" >/dev/null || { echo "demo: TF_CLIENT=$client is not a command"; exit 1; }
# Which one it is decides the registry host `huaweicloud/mrs` resolves to, and so the key of the
# override below: OpenTofu looks the provider up as registry.opentofu.org/huaweicloud/mrs.
client_version=$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$client" version 2>/dev/null | sed -n 1p)
case "$client_version" in
  "Terraform v"*) host=registry.terraform.io ;;
  "OpenTofu v"*) host=registry.opentofu.org ;;
  *) echo "demo: '$client version' printed '$client_version', not Terraform or OpenTofu"; exit 1 ;;
esac
echo "==> using $client ($client_version)"

echo "==> building terraform-provider-mrs and mrs-emulator (release)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --workspace --bins
bin="$root/target/release"

work=$(mktemp -d)
emulator_pid=
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cluster=2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b
job=8e1b3c5d-7f9a-4b2c-9d4e-6f8a0b2c4d6e
echo "==> starting the MRS emulator with job $job RUNNING on cluster $cluster"
"$bin/mrs-emulator" --port 0 --kill-delay-ms 1500 --job "$cluster/$job" >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
for _ in $(seq 100); do
  url=$(sed -n 's/^mrs-emulator listening on //p' "$work/emulator.out")
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "${url:-}" ] || { echo "demo: the emulator did not start"; cat "$work/emulator.err"; exit 1; }
echo "    emulator at $url"

# dev_overrides: the client uses the binary just built instead of downloading a provider.
cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "$host/huaweicloud/mrs" = "$bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1
export HW_REGION_NAME=cn-north-4 HW_ACCESS_KEY=EMULATORACCESSKEY HW_SECRET_KEY=emulator-secret-key
export HW_MRS_ENDPOINT="$url" HW_IAM_ENDPOINT="$url"
cp "$here/main.tf" "$work/"

echo "==> $client apply ($client_version, provider overridden as $host/huaweicloud/mrs)"
"$client" -chdir="$work" apply -auto-approve -input=false \
  -var "cluster_id=$cluster" -var "job_execution_id=$job"

echo "==> the job as the emulator sees it"
python3 - "$url" "$job" <<'PY'
import json, sys, urllib.request
url, job = sys.argv[1], sys.argv[2]
jobs = json.load(urllib.request.urlopen(url + "/__emulator/jobs"))
jobs = jobs.get("jobs", jobs) if isinstance(jobs, dict) else jobs
for j in jobs:
    if j.get("job_id") == job:
        print(f"    job {job}: {j.get('state')}")
        sys.exit(0 if j.get("state") == "KILLED" else 1)
print("    job not found")
sys.exit(1)
PY
