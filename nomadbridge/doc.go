// Package nomadbridge runs Caravan tasks on a HashiCorp Nomad cluster: it takes run messages
// (domain.TopicRuns) from the queue port, turns each task into one Nomad batch job, follows the job through
// Nomad's event stream (with a polling reconcile as the fallback) and reports what the runner could not:
// infrastructure failures, retries and cancels. Machine jobs go to a machine provisioner instead when one
// is configured (package machine).
//
// # One task, one Nomad job
//
// The job id is derived from the task id and its attempt (JobID), and the job is registered with
// EnforceRegister at index 0, so a redelivered message, a second bridge instance or a restart never registers
// a task twice; the store's Dispatch records which executor took the task first. A job carries the task id,
// the API URL and a short-lived task token (in the task's environment) and nothing else: the runner fetches
// its secrets from the task API. Registry credentials of docker images, the one secret Nomad itself needs to
// start the task, go to a Nomad Variable at nomad/jobs/<job id> that only the job's workload identity
// reads, and reach the docker driver through a template.
//
//	docker:  group "task" (network mode bridge), task "primary" (docker driver, the job's first image, the
//	         runner as its entrypoint) and one prestart sidecar per service image.
//	machine: task "runner", raw_exec (or exec) on the client host.
//
// The runner binary reaches the client through Nomad's artifact stanza from a URL the API serves
// (Options.RunnerURL, a .tar.gz holding "caravan", checked by its SHA-256) or from a path on every client
// (Options.RunnerPath, raw_exec only). Nomad's own restart and reschedule policies are off: the bridge
// decides retries.
//
// # Lifecycle
//
//	queued ─register→ pending ─alloc running→ running (the runner claims the task)
//	   └─ no client has the driver → infrastructure_fail ("no Nomad client has the docker driver")
//	running ─runner completes→ complete (the runner reported the status itself)
//	running ─alloc failed / lost / exited without reporting→ RetryTask: queued at attempt 2, or
//	         infrastructure_fail after the second attempt
//	task canceled ─after KillGrace→ job deregistered (Nomad stops the allocation)
//	task ended and job dead for Retention → job purged
//
// # Back-pressure
//
// The bridge receives messages only while Nomad has room: no blocked evaluation of a Caravan job, and fewer
// than MaxPending registered jobs whose allocation is not running yet. Otherwise messages stay on the queue
// for this or another bridge instance.
//
// # Restart safety
//
// On start, and every PollInterval, the bridge reconciles every Caravan job Nomad knows with the task in the
// store. Several instances may run at once: every transition is conditional in the store (first end wins,
// retries keyed by attempt), and Nomad registration is create-if-absent.
package nomadbridge
