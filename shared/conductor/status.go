package conductor

import (
	"slices"

	"github.com/caravan-ci/caravan/shared/domain"
)

// requirement is the state of a job's requirements.
type requirement int

const (
	waiting     requirement = iota // some required job has not ended
	met                            // every required job ended with an accepted status
	unreachable                    // some required job ended with a status not accepted
)

// requirementState checks a job's requires against the statuses of the workflow's jobs (by id).
func requirementState(j domain.Job, status map[string]domain.JobStatus) requirement {
	res := met
	for up, accepted := range j.Requires {
		st, ok := status[up]
		if !ok {
			return unreachable // the compiler guarantees requirements exist; a missing one can never end
		}
		if !st.Terminal() {
			res = waiting
			continue
		}
		if len(accepted) == 0 {
			accepted = []domain.JobStatus{domain.JobSuccess}
		}
		if !slices.Contains(accepted, st) {
			return unreachable
		}
	}
	return res
}

// jobStatusFromTasks is the status of a job whose tasks have all ended.
func jobStatusFromTasks(tasks []domain.TaskStatus) domain.JobStatus {
	has := func(s domain.TaskStatus) bool { return slices.Contains(tasks, s) }
	switch {
	case has(domain.TaskFailed):
		return domain.JobFailed
	case has(domain.TaskTimedOut):
		return domain.JobTimedOut
	case has(domain.TaskInfrastructureFail):
		return domain.JobInfrastructureFail
	case has(domain.TaskCanceled):
		return domain.JobCanceled
	}
	return domain.JobSuccess
}

// workflowStatus derives a workflow's status from its jobs. A canceled workflow stays canceled.
func workflowStatus(current domain.WorkflowStatus, jobs []domain.Job) domain.WorkflowStatus {
	if current == domain.WorkflowCanceled || current == domain.WorkflowError {
		return current
	}
	var done, failed, unauthorized, canceled, onHold, active int
	for _, j := range jobs {
		switch {
		case j.Status == domain.JobUnauthorized:
			unauthorized++
			done++
		case j.Status == domain.JobCanceled:
			canceled++
			done++
		case j.Status.Failed():
			failed++
			done++
		case j.Status.Terminal():
			done++
		case j.Status == domain.JobOnHold:
			onHold++
		case j.Status == domain.JobQueued || j.Status == domain.JobRunning:
			active++
		}
	}
	if done == len(jobs) {
		switch {
		case failed > 0:
			return domain.WorkflowFailed
		case unauthorized > 0:
			return domain.WorkflowUnauthorized
		case canceled > 0:
			return domain.WorkflowCanceled
		}
		return domain.WorkflowSuccess
	}
	switch {
	case failed > 0 || unauthorized > 0:
		return domain.WorkflowFailing
	case onHold > 0 && active == 0:
		return domain.WorkflowOnHold
	}
	return domain.WorkflowRunning
}
