package nomadbridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/nomad/api"
)

// driverFailure is the task state of a runner whose image could not be pulled.
func driverFailure() map[string]*api.TaskState {
	return map[string]*api.TaskState{"runner": {State: "dead", Failed: true, Events: []*api.TaskEvent{
		{Type: api.TaskReceived, DisplayMessage: "Task received by client"},
		{Type: api.TaskDriverFailure, DisplayMessage: "Driver Failure: failed to pull image cimg/nope:1"},
		{Type: api.TaskKilling, DisplayMessage: "Sent interrupt"},
	}}}
}

// runningTask is a task whose runner claimed it at attempt.
func runningTask(id string, attempt int) domain.Task {
	at := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	return domain.Task{ID: id, Status: domain.TaskRunning, Attempt: attempt, Executor: ExecutorName,
		RunnerID: "r1", DispatchedAt: at, StartedAt: at}
}

func TestAllocFailedRetriesOnceThenFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.tasks.add(runningTask("t-0", 1), dockerExec())
	e.nomad.setJob(JobID("t-0", 1), "dead")
	e.b.onAlloc(ctx, allocInfo{ID: "al-1", JobID: JobID("t-0", 1), ClientStatus: api.AllocClientStatusFailed,
		TaskStates: driverFailure()})
	got := e.tasks.get("t-0")
	if got.Status != domain.TaskQueued || got.Attempt != 2 || !got.DispatchedAt.IsZero() {
		t.Fatalf("after the first failure: task %+v, want queued at attempt 2", got)
	}
	if diff := cmp.Diff([]domain.RunMsg{{TaskID: "t-0", Attempt: 2, ExecutorType: "docker"}}, e.tasks.sentRuns()); diff != "" {
		t.Errorf("run messages (-want +got):\n%s", diff)
	}
	ds, err := e.q.Receive(ctx, domain.TopicRuns, queue.ReceiveOptions{Max: 10})
	if err != nil || len(ds) != 1 {
		t.Fatalf("receive the retry's run message: %d messages, %v", len(ds), err)
	}
	if err := e.b.Handle(ctx, ds[0]); err != nil {
		t.Fatalf("Handle the retry: %v", err)
	}
	if diff := cmp.Diff([]string{JobID("t-0", 1), JobID("t-0", 2)}, e.nomad.jobIDs()); diff != "" {
		t.Fatalf("jobs (-want +got):\n%s", diff)
	}
	e.b.onAlloc(ctx, allocInfo{ID: "al-2", JobID: JobID("t-0", 2), ClientStatus: api.AllocClientStatusFailed,
		TaskStates: driverFailure()})
	got = e.tasks.get("t-0")
	want := "attempt 2 of 2: the Nomad allocation failed (runner: Driver Failure: Driver Failure: failed to pull image cimg/nope:1)"
	if got.Status != domain.TaskInfrastructureFail || got.Message != want {
		t.Errorf("after the second failure: %s %q, want infrastructure_fail %q", got.Status, got.Message, want)
	}
	if n := len(e.tasks.sentRuns()); n != 1 {
		t.Errorf("%d run messages sent, want 1", n)
	}
}

func TestAllocEnded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		task        domain.Task
		jobID       string
		status      string
		wantStatus  domain.TaskStatus
		wantAttempt int
		wantMsg     string // in the task's message
		wantRetries int    // calls of RetryTask
	}{
		{name: "failed before the runner reported", task: runningTask("t-0", 1), status: api.AllocClientStatusFailed,
			wantStatus: domain.TaskQueued, wantAttempt: 2, wantMsg: "the Nomad allocation failed (runner: Driver Failure",
			wantRetries: 1},
		{name: "failed before the runner claimed", task: domain.Task{ID: "t-0", DispatchedAt: time.Now(),
			Executor: ExecutorName}, status: api.AllocClientStatusFailed, wantStatus: domain.TaskQueued,
			wantAttempt: 2, wantMsg: "; retried", wantRetries: 1},
		{name: "lost", task: runningTask("t-0", 1), status: api.AllocClientStatusLost, wantStatus: domain.TaskQueued,
			wantAttempt: 2, wantMsg: "the Nomad client running the task was lost", wantRetries: 1},
		{name: "complete without a report", task: runningTask("t-0", 1), status: api.AllocClientStatusComplete,
			wantStatus: domain.TaskQueued, wantAttempt: 2, wantMsg: "exited without reporting", wantRetries: 1},
		{name: "lost at the last attempt", task: runningTask("t-0", 2), jobID: JobID("t-0", 2),
			status: api.AllocClientStatusLost, wantStatus: domain.TaskInfrastructureFail, wantAttempt: 2,
			wantMsg: "attempt 2 of 2: the Nomad client running the task was lost", wantRetries: 1},
		{name: "failed after the runner finished", task: domain.Task{ID: "t-0", Status: domain.TaskFailed,
			Attempt: 1, Message: "step failed"}, status: api.AllocClientStatusFailed,
			wantStatus: domain.TaskFailed, wantAttempt: 1, wantMsg: "step failed"},
		{name: "canceled task", task: func() domain.Task { t := runningTask("t-0", 1); t.Canceled = true; return t }(),
			status: api.AllocClientStatusComplete, wantStatus: domain.TaskCanceled, wantAttempt: 1,
			wantMsg: "canceled; the runner exited without reporting"},
		{name: "stale attempt", task: runningTask("t-0", 2), status: api.AllocClientStatusFailed,
			wantStatus: domain.TaskRunning, wantAttempt: 2},
		{name: "still running", task: runningTask("t-0", 1), status: api.AllocClientStatusRunning,
			wantStatus: domain.TaskRunning, wantAttempt: 1},
		{name: "not a caravan job", task: runningTask("t-0", 1), jobID: "web-frontend",
			status: api.AllocClientStatusFailed, wantStatus: domain.TaskRunning, wantAttempt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.tasks.add(tt.task, dockerExec())
			jobID := tt.jobID
			if jobID == "" {
				jobID = JobID("t-0", 1)
			}
			e.b.setPending(jobID, true)
			e.b.onAlloc(context.Background(), allocInfo{ID: "al-1", JobID: jobID, ClientStatus: tt.status,
				TaskStates: driverFailure()})
			got := e.tasks.get("t-0")
			if got.Status != tt.wantStatus || got.Attempt != tt.wantAttempt || !strings.Contains(got.Message, tt.wantMsg) {
				t.Errorf("task %s at attempt %d %q; want %s at %d with %q", got.Status, got.Attempt, got.Message,
					tt.wantStatus, tt.wantAttempt, tt.wantMsg)
			}
			if n := e.tasks.count("RetryTask"); n != tt.wantRetries {
				t.Errorf("RetryTask called %d times, want %d", n, tt.wantRetries)
			}
			if n := pendingCount(e.b); n != 0 {
				t.Errorf("the job still counts as pending after its allocation %s", tt.status)
			}
		})
	}
}

func TestAllocReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a    allocInfo
		want string
	}{
		{allocInfo{ClientStatus: api.AllocClientStatusFailed}, "the Nomad allocation failed"},
		{allocInfo{ClientStatus: api.AllocClientStatusLost, ClientDescription: "alloc is lost since its node is down"},
			"the Nomad client running the task was lost (alloc is lost since its node is down)"},
		{allocInfo{ClientStatus: api.AllocClientStatusFailed, TaskStates: driverFailure()},
			"the Nomad allocation failed (runner: Driver Failure: Driver Failure: failed to pull image cimg/nope:1)"},
		{allocInfo{ClientStatus: api.AllocClientStatusComplete, ClientDescription: "All tasks have completed",
			TaskStates: map[string]*api.TaskState{
				"service-1": {Events: []*api.TaskEvent{{Type: api.TaskKilling, DisplayMessage: "Sent interrupt"}}},
				"runner":    {Events: []*api.TaskEvent{{Type: api.TaskTerminated, DisplayMessage: "Exit Code: 0"}}},
				"service-2": {Events: []*api.TaskEvent{{Type: api.TaskStarted, DisplayMessage: "Task started by client"},
					{Type: api.TaskKilled, DisplayMessage: "Task successfully killed"}, {Type: "Noop"}}},
			}},
			"the runner exited without reporting the task's end (runner: Terminated: Exit Code: 0; " +
				"service-2: Killed: Task successfully killed; All tasks have completed)"},
	}
	for _, tt := range tests {
		if got := allocReason(tt.a); got != tt.want {
			t.Errorf("allocReason(%+v)\n got %q\nwant %q", tt.a, got, tt.want)
		}
	}
}

func TestJobIDRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		task    string
		attempt int
	}{{"j1-0", 1}, {"0b9c-a1f2-a3-12", 2}, {"x-a7-0", 10}, {"a", 1}} {
		id := JobID(tc.task, tc.attempt)
		task, attempt, ok := parseJobID(id)
		if !ok || task != tc.task || attempt != tc.attempt {
			t.Errorf("parseJobID(%q) = %q, %d, %t; want %q, %d", id, task, attempt, ok, tc.task, tc.attempt)
		}
	}
	if id := JobID("t-0", 0); id != "caravan-t-0-a1" {
		t.Errorf("JobID(t-0, 0) = %q, want attempt 1", id)
	}
	for _, id := range []string{"web", "caravan-", "caravan-t-0", "caravan--a1", "caravan-t-0-a0", "caravan-t-0-ax",
		"other-t-0-a1", "caravan-t-0-a-1"} {
		if task, attempt, ok := parseJobID(id); ok {
			t.Errorf("parseJobID(%q) = %q, %d: want not a bridge job", id, task, attempt)
		}
	}
}
