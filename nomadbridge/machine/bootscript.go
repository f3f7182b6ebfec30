package machine

import (
	"fmt"
	"strings"
)

// WorkRoot is the directory under which a machine's runner keeps a task's files (<WorkRoot>/<task id>).
const WorkRoot = "/var/lib/caravan"

// BootScript returns the bash script a task's VM runs at boot (cloud-init user data, GCE startup-script). It
// downloads the runner archive from l.RunnerURL (curl with retries), unpacks the executable caravan from it and
// runs
//
//	caravan runner --api-url <APIURL> --task-id <TaskID> --work-dir /var/lib/caravan/<TaskID>
//
// with the task token only in the environment variable CARAVAN_TASK_TOKEN (never on a command line, not in the
// environment of curl or tar). Whatever happens (a failed download, the runner's exit status, an error of the
// script itself) the VM is then powered off with `shutdown -h now`. Every value is single-quoted, so quotes,
// $(…), backticks and newlines in them stay literal. Values must not contain NUL bytes (Run rejects them).
func BootScript(l Launch) string {
	return fmt.Sprintf(bootTemplate, shellQuote(l.RunnerURL), shellQuote(l.APIURL), shellQuote(l.TaskID),
		shellQuote(WorkRoot+"/"+l.TaskID), shellQuote(l.Token))
}

// shellQuote quotes s for bash: inside single quotes nothing is special but the single quote itself.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

const bootTemplate = `#!/bin/bash
# Written by caravan's machine provisioner: fetch the runner, run one task, power the VM off.
set -u
trap 'shutdown -h now' EXIT
runner_url=%s
api_url=%s
task_id=%s
work_dir=%s
bin_dir=$(mktemp -d) || exit 1
tries=0
until curl --fail --silent --show-error --location --retry 5 --retry-delay 3 --retry-connrefused \
	--connect-timeout 10 --max-time 600 --output "$bin_dir/runner.tar.gz" "$runner_url"; do
	tries=$((tries + 1))
	if [ "$tries" -ge 5 ]; then
		echo "caravan: cannot download the runner" >&2
		exit 1
	fi
	sleep 10
done
if ! tar -xzf "$bin_dir/runner.tar.gz" -C "$bin_dir" --no-same-owner || [ ! -x "$bin_dir/caravan" ]; then
	echo "caravan: the runner archive holds no executable caravan" >&2
	exit 1
fi
mkdir -p "$work_dir" || exit 1
PATH="$bin_dir:$PATH"
CARAVAN_TASK_TOKEN=%s caravan runner --api-url "$api_url" --task-id "$task_id" --work-dir "$work_dir"
status=$?
echo "caravan: runner exited with status $status" >&2
exit "$status"
`
