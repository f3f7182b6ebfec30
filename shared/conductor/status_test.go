package conductor

import (
	"testing"

	"github.com/caravan-ci/caravan/shared/domain"
)

func TestRequirementState(t *testing.T) {
	req := func(up string, sts ...domain.JobStatus) domain.Job {
		return domain.Job{Requires: map[string][]domain.JobStatus{up: sts}}
	}
	tests := []struct {
		name   string
		job    domain.Job
		status map[string]domain.JobStatus
		want   requirement
	}{
		{"no requirements", domain.Job{}, nil, met},
		{"upstream running", req("a"), map[string]domain.JobStatus{"a": domain.JobRunning}, waiting},
		{"upstream on hold", req("a"), map[string]domain.JobStatus{"a": domain.JobOnHold}, waiting},
		{"upstream success", req("a"), map[string]domain.JobStatus{"a": domain.JobSuccess}, met},
		{"upstream failed", req("a"), map[string]domain.JobStatus{"a": domain.JobFailed}, unreachable},
		{"failed accepted", req("a", domain.JobSuccess, domain.JobFailed),
			map[string]domain.JobStatus{"a": domain.JobFailed}, met},
		{"canceled not accepted", req("a", domain.JobFailed), map[string]domain.JobStatus{"a": domain.JobCanceled},
			unreachable},
		{"missing upstream", req("x"), map[string]domain.JobStatus{}, unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := requirementState(tt.job, tt.status); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWorkflowStatus(t *testing.T) {
	jobs := func(sts ...domain.JobStatus) []domain.Job {
		var js []domain.Job
		for _, s := range sts {
			js = append(js, domain.Job{Status: s})
		}
		return js
	}
	tests := []struct {
		name    string
		current domain.WorkflowStatus
		jobs    []domain.Job
		want    domain.WorkflowStatus
	}{
		{"all success", domain.WorkflowRunning, jobs(domain.JobSuccess, domain.JobSuccess), domain.WorkflowSuccess},
		{"running", domain.WorkflowRunning, jobs(domain.JobSuccess, domain.JobRunning), domain.WorkflowRunning},
		{"failing", domain.WorkflowRunning, jobs(domain.JobFailed, domain.JobRunning), domain.WorkflowFailing},
		{"failed", domain.WorkflowRunning, jobs(domain.JobFailed, domain.JobNotRun), domain.WorkflowFailed},
		{"on hold", domain.WorkflowRunning, jobs(domain.JobSuccess, domain.JobOnHold, domain.JobBlocked),
			domain.WorkflowOnHold},
		{"hold while running", domain.WorkflowRunning, jobs(domain.JobRunning, domain.JobOnHold), domain.WorkflowRunning},
		{"canceled stays", domain.WorkflowCanceled, jobs(domain.JobSuccess), domain.WorkflowCanceled},
		{"unauthorized", domain.WorkflowRunning, jobs(domain.JobUnauthorized, domain.JobNotRun),
			domain.WorkflowUnauthorized},
		{"job canceled", domain.WorkflowRunning, jobs(domain.JobCanceled, domain.JobSuccess), domain.WorkflowCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workflowStatus(tt.current, tt.jobs); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestJobStatusFromTasks(t *testing.T) {
	tests := []struct {
		tasks []domain.TaskStatus
		want  domain.JobStatus
	}{
		{[]domain.TaskStatus{domain.TaskSuccess, domain.TaskSuccess}, domain.JobSuccess},
		{[]domain.TaskStatus{domain.TaskSuccess, domain.TaskFailed}, domain.JobFailed},
		{[]domain.TaskStatus{domain.TaskTimedOut, domain.TaskInfrastructureFail}, domain.JobTimedOut},
		{[]domain.TaskStatus{domain.TaskInfrastructureFail}, domain.JobInfrastructureFail},
		{[]domain.TaskStatus{domain.TaskCanceled, domain.TaskSuccess}, domain.JobCanceled},
	}
	for _, tt := range tests {
		if got := jobStatusFromTasks(tt.tasks); got != tt.want {
			t.Errorf("%v: got %v, want %v", tt.tasks, got, tt.want)
		}
	}
}
