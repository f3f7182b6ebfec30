package nomadbridge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/nomad/api"
)

func reconcile(t *testing.T, e *env) {
	t.Helper()
	if err := e.b.Reconcile(context.Background()); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
}

func TestReconcileStopsCanceledTaskAfterKillGrace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.KillGrace, o.Retention = 10*time.Second, time.Hour })
	id := JobID("t-0", 1)
	task := runningTask("t-0", 1)
	task.Canceled = true
	e.tasks.add(task, dockerExec())
	e.nomad.setJob(id, "running")

	reconcile(t, e)
	e.clock.Advance(9 * time.Second)
	reconcile(t, e)
	if n := e.nomad.count("Deregister"); n != 0 {
		t.Fatalf("deregistered before KillGrace: %v", e.nomad.callLog())
	}
	e.clock.Advance(time.Second)
	reconcile(t, e)
	if n, want := e.nomad.count("Deregister"), e.nomad.count("Deregister "+id+" purge=false"); n != 1 || want != 1 {
		t.Fatalf("after KillGrace: calls %v, want one Deregister %s purge=false", e.nomad.callLog(), id)
	}
	if st := e.nomad.jobStatus(id); st != "dead" {
		t.Fatalf("job %s is %q after its deregistration, want dead (stopped, not purged)", id, st)
	}

	// Nomad stopped the allocation; the runner never reported: the task ends canceled.
	e.nomad.setJob(id, "dead", &api.AllocationListStub{ID: "al-1", JobID: id, ClientStatus: api.AllocClientStatusComplete,
		DesiredStatus: "stop", ModifyTime: 2})
	reconcile(t, e)
	if got := e.tasks.get("t-0"); got.Status != domain.TaskCanceled {
		t.Fatalf("task %s %q, want canceled", got.Status, got.Message)
	}
	reconcile(t, e) // settles
	e.clock.Advance(time.Hour - time.Second)
	reconcile(t, e)
	if n := e.nomad.count("Deregister " + id + " purge=true"); n != 0 {
		t.Fatalf("purged before Retention: %v", e.nomad.callLog())
	}
	e.clock.Advance(time.Second)
	reconcile(t, e)
	if e.nomad.count("Deregister "+id+" purge=true") != 1 || e.nomad.count("DeleteVariable "+VariablePath(id)) != 1 {
		t.Fatalf("after Retention: calls %v, want the job purged and its variable deleted", e.nomad.callLog())
	}
	if ids := e.nomad.jobIDs(); len(ids) != 0 {
		t.Errorf("jobs left: %v", ids)
	}
	if n := e.tasks.count("RetryTask"); n != 0 {
		t.Errorf("a canceled task was retried %d times", n)
	}
}

func TestReconcileDeadJobWithoutReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		allocs  []*api.AllocationListStub
		wantMsg string
	}{
		{name: "failed allocation", allocs: []*api.AllocationListStub{
			{ID: "old", JobID: "caravan-t-0-a1", ClientStatus: api.AllocClientStatusLost, ModifyTime: 1},
			{ID: "new", JobID: "caravan-t-0-a1", ClientStatus: api.AllocClientStatusFailed, ModifyTime: 3,
				TaskStates: driverFailure()},
			{ID: "odd", JobID: "caravan-t-0-a1", ClientStatus: api.AllocClientStatusPending, ModifyTime: 9},
		}, wantMsg: "attempt 1: infrastructure_fail: the Nomad allocation failed (runner: Driver Failure"},
		{name: "never placed", wantMsg: "the Nomad job was stopped before it was placed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			id := JobID("t-0", 1)
			e.tasks.add(runningTask("t-0", 1), dockerExec())
			e.nomad.setJob(id, "dead", tt.allocs...)
			reconcile(t, e)
			got := e.tasks.get("t-0")
			if got.Status != domain.TaskQueued || got.Attempt != 2 || !strings.Contains(got.Message, tt.wantMsg) {
				t.Errorf("task %s at %d %q; want queued at attempt 2 with %q", got.Status, got.Attempt, got.Message,
					tt.wantMsg)
			}
			reconcile(t, e) // the old attempt's job is settled now, not retried again
			if n := e.tasks.count("RetryTask"); n != 1 {
				t.Errorf("RetryTask called %d times, want 1", n)
			}
			if n := e.nomad.count("Deregister"); n != 0 {
				t.Errorf("deregistered before Retention: %v", e.nomad.callLog())
			}
		})
	}
}

func TestReconcilePurges(t *testing.T) {
	t.Parallel()
	t.Run("settled job after Retention", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(o *Options) { o.Retention = 30 * time.Minute })
		id := JobID("t-0", 1)
		e.tasks.add(domain.Task{ID: "t-0", Status: domain.TaskSuccess, Attempt: 1}, dockerExec())
		e.nomad.setJob(id, "dead")
		reconcile(t, e)
		e.clock.Advance(29 * time.Minute)
		reconcile(t, e)
		if n := e.nomad.count("Deregister"); n != 0 {
			t.Fatalf("purged before Retention: %v", e.nomad.callLog())
		}
		e.clock.Advance(time.Minute)
		reconcile(t, e)
		want := []string{"Deregister " + id + " purge=true", "DeleteVariable " + VariablePath(id)}
		if diff := cmp.Diff(want, writes(e.nomad.callLog())); diff != "" {
			t.Errorf("writes to Nomad (-want +got):\n%s", diff)
		}
	})
	t.Run("job of an unknown task", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		id := JobID("gone-0", 1)
		e.nomad.setJob(id, "running")
		reconcile(t, e)
		want := []string{"Deregister " + id + " purge=true", "DeleteVariable " + VariablePath(id)}
		if diff := cmp.Diff(want, writes(e.nomad.callLog())); diff != "" {
			t.Errorf("writes to Nomad (-want +got):\n%s", diff)
		}
	})
	t.Run("other jobs untouched", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.nomad.setJob("caravan-web", "dead")
		reconcile(t, e)
		if w := writes(e.nomad.callLog()); len(w) != 0 {
			t.Errorf("writes to Nomad: %v", w)
		}
	})
}

// writes are the calls that change Nomad.
func writes(calls []string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, "Deregister ") || strings.HasPrefix(c, "DeleteVariable ") ||
			strings.HasPrefix(c, "Register ") || strings.HasPrefix(c, "PutVariable ") {
			out = append(out, c)
		}
	}
	return out
}

func TestReconcileRebuildsPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.PollInterval = 5 * time.Second })
	for _, j := range []struct{ task, status string }{{"a-0", "pending"}, {"b-0", "running"}, {"c-0", "pending"}} {
		e.tasks.add(domain.Task{ID: j.task}, dockerExec())
		e.nomad.setJob(JobID(j.task, 1), j.status)
	}
	e.b.setPending(JobID("b-0", 1), true) // its allocation runs now
	e.b.setPending(JobID("x-0", 1), true) // registered after the list was read, or gone from Nomad
	reconcile(t, e)
	if got, want := pendingIDs(e.b), []string{JobID("a-0", 1), JobID("c-0", 1), JobID("x-0", 1)}; !cmp.Equal(got, want) {
		t.Errorf("pending after the first pass: %v, want %v", got, want)
	}
	e.clock.Advance(5 * time.Second)
	reconcile(t, e)
	if got, want := pendingIDs(e.b), []string{JobID("a-0", 1), JobID("c-0", 1)}; !cmp.Equal(got, want) {
		t.Errorf("pending after PollInterval: %v, want %v", got, want)
	}
}

func TestReconcileErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.nomad.fail("Jobs", errTransient)
	if err := e.b.Reconcile(context.Background()); !errors.Is(err, errTransient) {
		t.Errorf("Reconcile with Nomad down: %v", err)
	}
	e.tasks.add(domain.Task{ID: "t-0"}, dockerExec())
	e.nomad.setJob(JobID("t-0", 1), "running")
	e.tasks.fail("Task", errTransient)
	if err := e.b.Reconcile(context.Background()); !errors.Is(err, errTransient) ||
		!strings.Contains(err.Error(), JobID("t-0", 1)) {
		t.Errorf("Reconcile with the store down: %v", err)
	}
	if w := writes(e.nomad.callLog()); len(w) != 0 {
		t.Errorf("writes to Nomad: %v", w)
	}
}

func TestReconcileLeavesOtherInstallationsAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.nomad.setJob("caravan-elsewhere-0-a1", "dead") // no such task here: this installation would purge it
	e.nomad.mu.Lock()
	e.nomad.jobs["caravan-elsewhere-0-a1"].job.Meta[metaInstall] = installID("https://other.example.com")
	e.nomad.mu.Unlock()
	reconcile(t, e)
	e.clock.Advance(2 * time.Hour)
	reconcile(t, e)
	for _, c := range e.nomad.callLog() {
		if strings.HasPrefix(c, "Deregister") || strings.HasPrefix(c, "DeleteVariable") {
			t.Fatalf("touched another installation's job: %v", e.nomad.callLog())
		}
	}
}
