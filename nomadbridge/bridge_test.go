package nomadbridge

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/nomad/api"
)

func TestHandle(t *testing.T) {
	t.Parallel()
	dispatched := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		task         domain.Task
		msgAttempt   int
		wantJobs     []string
		wantDispatch int // calls of Tasks.Dispatch
		wantExecutor string
	}{
		{name: "queued task registers its job", task: domain.Task{ID: "t-0"}, msgAttempt: 1,
			wantJobs: []string{"caravan-t-0-a1"}, wantDispatch: 1, wantExecutor: ExecutorName},
		{name: "message without attempt", task: domain.Task{ID: "t-0"},
			wantJobs: []string{"caravan-t-0-a1"}, wantDispatch: 1, wantExecutor: ExecutorName},
		{name: "second attempt", task: domain.Task{ID: "t-0", Attempt: 2}, msgAttempt: 2,
			wantJobs: []string{"caravan-t-0-a2"}, wantDispatch: 1, wantExecutor: ExecutorName},
		{name: "stale attempt dropped", task: domain.Task{ID: "t-0", Attempt: 2}, msgAttempt: 1},
		{name: "canceled task dropped", task: domain.Task{ID: "t-0", Canceled: true}, msgAttempt: 1},
		{name: "ended task dropped", task: domain.Task{ID: "t-0", Status: domain.TaskSuccess}, msgAttempt: 1},
		{name: "running task dropped", task: domain.Task{ID: "t-0", Status: domain.TaskRunning,
			DispatchedAt: dispatched, Executor: ExecutorName}, msgAttempt: 1, wantExecutor: ExecutorName},
		{name: "task of another executor dropped", task: domain.Task{ID: "t-0", DispatchedAt: dispatched,
			Executor: "local"}, msgAttempt: 1, wantExecutor: "local"},
		{name: "dispatched to nomad but never registered (crash)", task: domain.Task{ID: "t-0",
			DispatchedAt: dispatched, Executor: ExecutorName}, msgAttempt: 1,
			wantJobs: []string{"caravan-t-0-a1"}, wantExecutor: ExecutorName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.tasks.add(tt.task, dockerExec())
			if err := e.b.Handle(context.Background(), delivery("t-0", tt.msgAttempt)); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if diff := cmp.Diff(tt.wantJobs, e.nomad.jobIDs()); diff != "" {
				t.Errorf("jobs (-want +got):\n%s", diff)
			}
			if got := e.tasks.count("Dispatch"); got != tt.wantDispatch {
				t.Errorf("Dispatch called %d times, want %d", got, tt.wantDispatch)
			}
			if got := e.tasks.get("t-0").Executor; got != tt.wantExecutor {
				t.Errorf("executor %q, want %q", got, tt.wantExecutor)
			}
			if got := e.nomad.count("Register"); got != len(tt.wantJobs) {
				t.Errorf("Register called %d times, want %d", got, len(tt.wantJobs))
			}
		})
	}
}

func TestHandleDuplicates(t *testing.T) {
	t.Parallel()
	t.Run("sequential", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.tasks.add(domain.Task{ID: "t-0"}, dockerExec())
		for range 3 {
			if err := e.b.Handle(context.Background(), delivery("t-0", 1)); err != nil {
				t.Fatalf("Handle: %v", err)
			}
		}
		if diff := cmp.Diff([]string{"caravan-t-0-a1"}, e.nomad.jobIDs()); diff != "" {
			t.Errorf("jobs (-want +got):\n%s", diff)
		}
		if got := e.tasks.count("Dispatch"); got != 1 {
			t.Errorf("Dispatch called %d times, want once (the task shows it was dispatched)", got)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.tasks.add(domain.Task{ID: "t-0"}, dockerExec())
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = e.b.Handle(context.Background(), delivery("t-0", 1)) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("Handle: %v", err)
		}
		if diff := cmp.Diff([]string{"caravan-t-0-a1"}, e.nomad.jobIDs()); diff != "" {
			t.Errorf("jobs (-want +got):\n%s", diff)
		}
		if got := e.tasks.get("t-0"); got.Executor != ExecutorName || got.Status != domain.TaskQueued {
			t.Errorf("task %+v, want queued and dispatched to nomad", got)
		}
	})
}

func TestHandleMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{`, `{}`, `{"task_id":""}`, `[]`} {
		e := newEnv(t)
		d := queue.Delivery{Topic: domain.TopicRuns, ID: "m", Body: []byte(body), Attempt: 1, Handle: "h"}
		err := e.b.Handle(context.Background(), d)
		if !queue.IsPermanent(err) {
			t.Errorf("body %s: error %v, want a permanent one", body, err)
		}
	}
}

func TestHandleCannotRun(t *testing.T) {
	t.Parallel()
	noDocker := node("n1", "raw_exec")
	noDocker.Drivers["docker"] = &api.DriverInfo{Detected: false, HealthDescription: "Failed to connect to docker daemon"}
	tests := []struct {
		name     string
		nodes    []*api.NodeListStub
		opts     func(*Options)
		ex       plan.Executor
		wantMsg  string // in the infrastructure_fail message; "" when the job registers
		wantTask string // driver of the registered runner task
	}{
		{name: "no docker driver", nodes: []*api.NodeListStub{noDocker}, ex: dockerExec(),
			wantMsg: "no Nomad client has the docker driver (docker executor jobs need Docker on a Nomad client): " +
				"n1: Failed to connect to docker daemon"},
		{name: "no client at all", ex: dockerExec(), wantMsg: "no Nomad client has the docker driver"},
		{name: "macOS", nodes: []*api.NodeListStub{node("n1", "docker", "raw_exec")},
			ex: plan.Executor{Kind: plan.ExecMacOS, Xcode: "16.0"}, wantMsg: "macOS jobs cannot run on Nomad"},
		{name: "machine without raw_exec", nodes: []*api.NodeListStub{node("n1", "docker")},
			ex: plan.Executor{Kind: plan.ExecMachine}, wantMsg: "no Nomad client has the raw_exec driver"},
		{name: "docker jobs on the host", nodes: []*api.NodeListStub{noDocker}, ex: dockerExec(),
			opts: func(o *Options) { o.DockerJobs = "host" }, wantTask: "raw_exec"},
		{name: "docker on a down client still counts", ex: dockerExec(), wantTask: "docker",
			nodes: []*api.NodeListStub{{Name: "n2", Status: "down", Drivers: map[string]*api.DriverInfo{
				"docker": {Detected: true}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []func(*Options)
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			e := newEnv(t, opts...)
			e.nomad.nodes = tt.nodes
			e.tasks.add(domain.Task{ID: "t-0"}, tt.ex)
			if err := e.b.Handle(context.Background(), delivery("t-0", 1)); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			got := e.tasks.get("t-0")
			if tt.wantMsg != "" {
				if got.Status != domain.TaskInfrastructureFail || !strings.Contains(got.Message, tt.wantMsg) {
					t.Errorf("task %s %q, want infrastructure_fail with %q", got.Status, got.Message, tt.wantMsg)
				}
				if n := e.nomad.count("Register"); n != 0 || !got.DispatchedAt.IsZero() {
					t.Errorf("%d registrations, dispatched at %v: want none", n, got.DispatchedAt)
				}
				return
			}
			job := e.nomad.job(JobID("t-0", 1))
			if job == nil || got.Status != domain.TaskQueued {
				t.Fatalf("no job registered (task %s %q)", got.Status, got.Message)
			}
			if d := job.TaskGroups[0].Tasks[0].Driver; d != tt.wantTask {
				t.Errorf("runner driver %q, want %q", d, tt.wantTask)
			}
		})
	}
}

func TestHandleRegisterErrors(t *testing.T) {
	t.Parallel()
	t.Run("rejected", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.tasks.add(domain.Task{ID: "t-0"}, dockerExec())
		e.nomad.fail("Register", rejected("register job caravan-t-0-a1"))
		if err := e.b.Handle(context.Background(), delivery("t-0", 1)); err != nil {
			t.Fatalf("Handle: %v", err)
		}
		got := e.tasks.get("t-0")
		if got.Status != domain.TaskInfrastructureFail || !strings.Contains(got.Message, "Nomad rejected") {
			t.Errorf("task %s %q, want infrastructure_fail: Nomad rejected …", got.Status, got.Message)
		}
		if n := pendingCount(e.b); n != 0 {
			t.Errorf("%d jobs counted as pending after a refusal", n)
		}
	})
	t.Run("transient", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.tasks.add(domain.Task{ID: "t-0"}, dockerExec())
		e.nomad.fail("Register", errTransient)
		err := e.b.Handle(context.Background(), delivery("t-0", 1))
		if !errors.Is(err, errTransient) || queue.IsPermanent(err) {
			t.Fatalf("Handle: %v, want the transient error back", err)
		}
		if n := pendingCount(e.b); n != 0 || len(e.nomad.jobIDs()) != 0 {
			t.Errorf("after a failed registration: %d pending, jobs %v", n, e.nomad.jobIDs())
		}
		if err := e.b.Handle(context.Background(), delivery("t-0", 1)); err != nil {
			t.Fatalf("Handle again: %v", err)
		}
		if diff := cmp.Diff([]string{"caravan-t-0-a1"}, e.nomad.jobIDs()); diff != "" {
			t.Errorf("jobs after the retry (-want +got):\n%s", diff)
		}
		if got := e.tasks.get("t-0"); got.Status != domain.TaskQueued || got.Executor != ExecutorName {
			t.Errorf("task %+v, want queued on nomad", got)
		}
	})
	t.Run("task store down", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.tasks.add(domain.Task{ID: "t-0"}, dockerExec())
		e.tasks.fail("Task", errTransient)
		if err := e.b.Handle(context.Background(), delivery("t-0", 1)); !errors.Is(err, errTransient) ||
			queue.IsPermanent(err) {
			t.Fatalf("Handle: %v, want the transient error back", err)
		}
	})
}

func pendingCount(b *Bridge) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}
