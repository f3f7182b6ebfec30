package domain

// PipelineState is a pipeline's state, as CircleCI's API v2 reports it.
type PipelineState string

const (
	PipelineCreated      PipelineState = "created"
	PipelineErrored      PipelineState = "errored"
	PipelineSetupPending PipelineState = "setup-pending"
	PipelineSetup        PipelineState = "setup"
	PipelinePending      PipelineState = "pending"
)

// WorkflowStatus is a workflow's status, as CircleCI's API v2 reports it.
type WorkflowStatus string

const (
	WorkflowSuccess      WorkflowStatus = "success"
	WorkflowRunning      WorkflowStatus = "running"
	WorkflowNotRun       WorkflowStatus = "not_run"
	WorkflowFailed       WorkflowStatus = "failed"
	WorkflowError        WorkflowStatus = "error"
	WorkflowFailing      WorkflowStatus = "failing"
	WorkflowOnHold       WorkflowStatus = "on_hold"
	WorkflowCanceled     WorkflowStatus = "canceled"
	WorkflowUnauthorized WorkflowStatus = "unauthorized"
)

// Terminal reports whether the workflow will not change again (unless rerun, which makes a new workflow).
func (s WorkflowStatus) Terminal() bool {
	switch s {
	case WorkflowSuccess, WorkflowNotRun, WorkflowFailed, WorkflowError, WorkflowCanceled, WorkflowUnauthorized:
		return true
	}
	return false
}

// JobStatus is a job's status, as CircleCI's API v2 reports it.
type JobStatus string

const (
	JobSuccess            JobStatus = "success"
	JobRunning            JobStatus = "running"
	JobNotRun             JobStatus = "not_run"
	JobFailed             JobStatus = "failed"
	JobRetried            JobStatus = "retried"
	JobQueued             JobStatus = "queued"
	JobNotRunning         JobStatus = "not_running"
	JobInfrastructureFail JobStatus = "infrastructure_fail"
	JobTimedOut           JobStatus = "timedout"
	JobOnHold             JobStatus = "on_hold"
	JobTerminatedUnknown  JobStatus = "terminated-unknown"
	JobBlocked            JobStatus = "blocked"
	JobCanceled           JobStatus = "canceled"
	JobUnauthorized       JobStatus = "unauthorized"
)

// AllJobStatuses lists every job status, for validation.
var AllJobStatuses = []JobStatus{JobSuccess, JobRunning, JobNotRun, JobFailed, JobRetried, JobQueued,
	JobNotRunning, JobInfrastructureFail, JobTimedOut, JobOnHold, JobTerminatedUnknown, JobBlocked, JobCanceled,
	JobUnauthorized}

// Terminal reports whether the job has finished for good.
func (s JobStatus) Terminal() bool {
	switch s {
	case JobSuccess, JobNotRun, JobFailed, JobRetried, JobInfrastructureFail, JobTimedOut, JobTerminatedUnknown,
		JobCanceled, JobUnauthorized:
		return true
	}
	return false
}

// Failed reports whether a terminal status counts as a failure for the workflow.
func (s JobStatus) Failed() bool {
	switch s {
	case JobFailed, JobInfrastructureFail, JobTimedOut, JobTerminatedUnknown, JobUnauthorized:
		return true
	}
	return false
}

// TaskStatus is the status of one task (a parallel node of a job). Its terminal values are the runner's
// completion statuses.
type TaskStatus string

const (
	TaskQueued             TaskStatus = "queued"
	TaskRunning            TaskStatus = "running"
	TaskSuccess            TaskStatus = "success"
	TaskFailed             TaskStatus = "failed"
	TaskCanceled           TaskStatus = "canceled"
	TaskTimedOut           TaskStatus = "timedout"
	TaskInfrastructureFail TaskStatus = "infrastructure_fail"
)

// Terminal reports whether the task has finished.
func (s TaskStatus) Terminal() bool {
	switch s {
	case TaskSuccess, TaskFailed, TaskCanceled, TaskTimedOut, TaskInfrastructureFail:
		return true
	}
	return false
}
