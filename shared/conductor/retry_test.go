package conductor

import (
	"context"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/repo"
)

func TestRetryTaskOnceThenInfrastructureFail(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.outcome = func(string) domain.TaskStatus { return "" } // the runner starts, then its node is lost
	id, _ := h.c.Create(ctx, h.pipeline(1), plan.Workflow{Name: "w", Jobs: []plan.Job{job("a")}}, "")
	h.drain()
	task := repo.TaskID(h.runs[0].JobID, 0)

	retried, err := h.c.RetryTask(ctx, task, 1, "node lost")
	if err != nil || !retried {
		t.Fatalf("first failure: retried=%v err=%v", retried, err)
	}
	// The same failure seen again (a second bridge, a replayed event) changes nothing.
	if again, err := h.c.RetryTask(ctx, task, 1, "node lost"); err != nil || again {
		t.Fatalf("duplicate failure: retried=%v err=%v", again, err)
	}
	tk, _ := h.r.Task(ctx, task)
	if tk.V.Status != domain.TaskQueued || tk.V.Attempt != 2 || !tk.V.DispatchedAt.IsZero() || tk.V.RunnerID != "" {
		t.Fatalf("after retry: %+v", tk.V)
	}
	if !strings.Contains(tk.V.Message, "attempt 1: infrastructure_fail: node lost") {
		t.Fatalf("message %q does not keep the first failure", tk.V.Message)
	}
	before := len(h.runs)
	h.drain() // the new run message: dispatched and claimed again, still running
	if len(h.runs) != before+1 || h.runs[before].Attempt != 2 {
		t.Fatalf("run messages after retry: %+v", h.runs[before:])
	}

	if retried, err := h.c.RetryTask(ctx, task, 2, "allocation failed"); err != nil || retried {
		t.Fatalf("second failure: retried=%v err=%v", retried, err)
	}
	h.drain()
	tk, _ = h.r.Task(ctx, task)
	if tk.V.Status != domain.TaskInfrastructureFail || !strings.Contains(tk.V.Message, "allocation failed") {
		t.Fatalf("after the second failure: %s %q", tk.V.Status, tk.V.Message)
	}
	if st, jobs := h.statuses(id); st != domain.WorkflowFailed || jobs["a"] != domain.JobInfrastructureFail {
		t.Fatalf("workflow %s, jobs %v", st, jobs)
	}
}

func TestRetryTaskOfCanceledOrEndedTask(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.outcome = func(string) domain.TaskStatus { return "" }
	id, _ := h.c.Create(ctx, h.pipeline(1), plan.Workflow{Name: "w", Jobs: []plan.Job{job("a")}}, "")
	h.drain()
	task := repo.TaskID(h.runs[0].JobID, 0)
	if err := h.c.CancelWorkflow(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	if retried, err := h.c.RetryTask(ctx, task, 1, "node lost"); err != nil || retried {
		t.Fatalf("canceled task: retried=%v err=%v", retried, err)
	}
	tk, _ := h.r.Task(ctx, task)
	if tk.V.Status != domain.TaskCanceled {
		t.Fatalf("canceled task ended %s", tk.V.Status)
	}
	if retried, err := h.c.RetryTask(ctx, task, 1, "node lost"); err != nil || retried {
		t.Fatalf("ended task: retried=%v err=%v", retried, err)
	}
}
