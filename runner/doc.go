// Package runner executes one task (a job, or one parallel node of it) the way CircleCI's agent does.
//
// A runner holds a server URL, a task id and a task token, nothing else. [Run] claims the task through
// [taskapi.Client], which returns the steps, the executor and the secrets; it then prepares the environment
// (a per-task home and working directory on the host, or containers through the Docker Engine API), runs the
// steps in order and reports each one: start and end events, output streamed as ordered chunks with secrets
// masked ([logstream]), caches, workspace layers, artifacts and test results moved straight to blob storage
// through presigned URLs ([archive]).
//
// Step semantics follow CircleCI: each run step is a fresh shell (bash -eo pipefail, or sh where bash is
// missing) that starts from $BASH_ENV; environment precedence is step > job > built-in > context > project;
// when: on_success, on_fail and always; background steps end with the job; no_output_timeout and the job
// timeout kill the step's whole process group (SIGTERM, then SIGKILL after a grace period), as does a cancel
// that the runner learns from its heartbeat.
//
// Processes inside the job reach the runner through a unix socket in the task's data directory
// ($CIRCLE_INTERNAL_TASK_DATA): the in-job commands `circleci tests split --split-by=timings`,
// `circleci tests run` and `circleci-agent step halt` ([agentcli]) ask the runner, which asks the server with
// its token. The token itself never enters a step's environment.
package runner
