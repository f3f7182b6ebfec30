package conductor

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/queue/memqueue"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store/memstore"
)

// harness drives a Conductor over the in-memory adapters, playing the executor and the runners.
type harness struct {
	t    *testing.T
	c    *Conductor
	r    *repo.Repo
	q    *memqueue.Queue
	now  time.Time
	runs []domain.RunMsg
	// outcome decides how a task ends (default success).
	outcome func(job string) domain.TaskStatus
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, r: repo.New(memstore.New()), q: memqueue.New(5), now: time.Unix(1_700_000_000, 0).UTC()}
	h.c = New(h.r, h.q, Options{Now: func() time.Time { return h.now }})
	return h
}

func (h *harness) pipeline(number int64) domain.Pipeline {
	p := domain.Pipeline{ID: fmt.Sprintf("p%d", number), ProjectID: "proj", ProjectSlug: "gh/acme/x", Number: number}
	if err := h.r.Write(context.Background(), repo.CreateRef(repo.KindPipeline, p.ID, repo.PipelineKey("proj", number)),
		repo.Create(repo.PipelineKey("proj", number), p)); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// drain processes queued messages until none are left: workflow evaluations, and runs (each run is
// dispatched, claimed and finished with the outcome).
func (h *harness) drain() {
	ctx := context.Background()
	for range 1000 {
		progress := false
		for _, topic := range []string{domain.TopicWorkflows, domain.TopicRuns} {
			ds, err := h.q.Receive(ctx, topic, queue.ReceiveOptions{Max: 10})
			if err != nil {
				h.t.Fatal(err)
			}
			for _, d := range ds {
				progress = true
				if topic == domain.TopicWorkflows {
					if err := h.c.Handle(ctx, d); err != nil {
						h.t.Fatal(err)
					}
				} else {
					h.run(d)
				}
				h.q.Ack(ctx, d)
			}
		}
		if !progress {
			return
		}
	}
	h.t.Fatal("messages never ran out")
}

func (h *harness) run(d queue.Delivery) {
	ctx := context.Background()
	var m domain.RunMsg
	json.Unmarshal(d.Body, &m)
	h.runs = append(h.runs, m)
	ok, err := h.c.Dispatch(ctx, m.TaskID, "test")
	if err != nil || !ok {
		return
	}
	if _, err := h.c.Claim(ctx, m.TaskID, "runner-1"); err != nil {
		h.t.Fatal(err)
	}
	j, _ := h.r.Job(ctx, m.JobID)
	st := domain.TaskSuccess
	if h.outcome != nil {
		st = h.outcome(j.V.Name)
	}
	if st == "" {
		return // leave it running
	}
	if err := h.c.Finish(ctx, m.TaskID, st, ""); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) statuses(wfID string) (domain.WorkflowStatus, map[string]domain.JobStatus) {
	wf, err := h.r.Workflow(context.Background(), wfID)
	if err != nil {
		h.t.Fatal(err)
	}
	jobs, _ := h.r.Jobs(context.Background(), wfID)
	m := map[string]domain.JobStatus{}
	for _, j := range jobs {
		m[j.V.Name] = j.V.Status
	}
	return wf.V.Status, m
}

func job(name string, requires ...string) plan.Job {
	j := plan.Job{Name: name, Type: plan.JobBuild, Parallelism: 1}
	for _, r := range requires {
		j.Requires = append(j.Requires, plan.Requirement{Job: r})
	}
	return j
}

func fanWorkflow() plan.Workflow {
	hold := job("hold", "a", "b")
	hold.Type = plan.JobApproval
	b := job("b", "setup")
	b.Parallelism = 3
	return plan.Workflow{Name: "main", Jobs: []plan.Job{job("setup"), job("a", "setup"), b, hold, job("deploy", "hold")}}
}

func TestFanOutApprovalFanIn(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, err := h.c.Create(ctx, h.pipeline(1), fanWorkflow(), "")
	if err != nil {
		t.Fatal(err)
	}
	// A duplicate create (a redelivered intake message) changes nothing.
	if id2, err := h.c.Create(ctx, h.pipeline(2), fanWorkflow(), ""); err != nil || id2 == id {
		t.Fatalf("second pipeline: %v %v", id2, err)
	}
	h.drain()
	st, jobs := h.statuses(id)
	if st != domain.WorkflowOnHold || jobs["hold"] != domain.JobOnHold || jobs["deploy"] != domain.JobBlocked {
		t.Fatalf("before approval: %s %v", st, jobs)
	}
	j, _ := h.r.Jobs(ctx, id)
	var hold domain.Job
	for _, x := range j {
		if x.V.Name == "hold" {
			hold = x.V
		}
	}
	if err := h.c.Approve(ctx, id, hold.ApprovalRequestID, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := h.c.Approve(ctx, id, hold.ApprovalRequestID, "alice"); err == nil {
		t.Fatal("a second approval succeeded")
	}
	h.drain()
	st, jobs = h.statuses(id)
	if st != domain.WorkflowSuccess || jobs["deploy"] != domain.JobSuccess {
		t.Fatalf("after approval: %s %v", st, jobs)
	}
	runs := 0
	for _, r := range h.runs {
		if jb, _ := h.r.Job(ctx, r.JobID); jb.V.WorkflowID == id {
			runs++
		}
	}
	if runs != 6 { // setup, a, b×3, deploy
		t.Fatalf("%d run messages for the workflow, want 6", runs)
	}
}

func TestFailureRerunFromFailed(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	fail := true
	h.outcome = func(name string) domain.TaskStatus {
		if name == "a" && fail {
			return domain.TaskFailed
		}
		return domain.TaskSuccess
	}
	wf := plan.Workflow{Name: "w", Jobs: []plan.Job{job("setup"), job("a", "setup"), job("b", "setup"), job("c", "a", "b")}}
	id, _ := h.c.Create(ctx, h.pipeline(1), wf, "")
	h.drain()
	st, jobs := h.statuses(id)
	if st != domain.WorkflowFailed || jobs["a"] != domain.JobFailed || jobs["c"] != domain.JobNotRun ||
		jobs["b"] != domain.JobSuccess {
		t.Fatalf("first run: %s %v", st, jobs)
	}
	fail = false
	before := len(h.runs)
	rerun, err := h.c.Rerun(ctx, id, RerunRequest{FromFailed: true, Actor: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	h.drain()
	st, jobs = h.statuses(rerun)
	if st != domain.WorkflowSuccess {
		t.Fatalf("rerun: %s %v", st, jobs)
	}
	var ran []string
	for _, r := range h.runs[before:] {
		jb, _ := h.r.Job(ctx, r.JobID)
		ran = append(ran, jb.V.Name)
	}
	if fmt.Sprint(ran) != "[a c]" {
		t.Fatalf("rerun from failed ran %v, want [a c]", ran)
	}
	if _, err := h.c.Rerun(ctx, rerun, RerunRequest{FromFailed: true}); err == nil {
		t.Fatal("rerun from failed of a green workflow succeeded")
	}
}

func TestCancelAndDuplicateRuns(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.outcome = func(string) domain.TaskStatus { return "" } // runners keep running
	id, _ := h.c.Create(ctx, h.pipeline(1), plan.Workflow{Name: "w", Jobs: []plan.Job{job("a"), job("b", "a")}}, "")
	h.drain()
	task := repo.TaskID(h.runs[0].JobID, 0)
	if ok, _ := h.c.Dispatch(ctx, task, "other"); ok {
		t.Fatal("a duplicate run message was dispatched")
	}
	if err := h.c.CancelWorkflow(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	if canceled, _ := h.c.Heartbeat(ctx, task); !canceled {
		t.Fatal("the running task was not told to stop")
	}
	if err := h.c.Finish(ctx, task, domain.TaskFailed, "killed"); err != nil {
		t.Fatal(err)
	}
	h.drain()
	st, jobs := h.statuses(id)
	if st != domain.WorkflowCanceled || jobs["a"] != domain.JobCanceled || jobs["b"] != domain.JobCanceled {
		t.Fatalf("after cancel: %s %v", st, jobs)
	}
	if t2, _ := h.r.Task(ctx, task); t2.V.Status != domain.TaskCanceled {
		t.Fatalf("task ended %s, want canceled", t2.V.Status)
	}
}

func TestSerialGroupAcrossPipelines(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var running []string
	h.outcome = func(string) domain.TaskStatus { return "" }
	deploy := job("deploy")
	deploy.SerialGroup = "prod"
	w := plan.Workflow{Name: "w", Jobs: []plan.Job{deploy}}
	id1, _ := h.c.Create(ctx, h.pipeline(1), w, "")
	id2, _ := h.c.Create(ctx, h.pipeline(2), w, "")
	h.drain()
	_, j1 := h.statuses(id1)
	_, j2 := h.statuses(id2)
	if j1["deploy"] != domain.JobRunning || j2["deploy"] != domain.JobBlocked {
		t.Fatalf("serial group: pipeline 1 %v, pipeline 2 %v", j1, j2)
	}
	for _, r := range h.runs {
		running = append(running, r.TaskID)
	}
	if err := h.c.Finish(ctx, running[0], domain.TaskSuccess, ""); err != nil {
		t.Fatal(err)
	}
	h.drain()
	_, j2 = h.statuses(id2)
	if j2["deploy"] != domain.JobRunning {
		t.Fatalf("second deploy did not start after the first ended: %v", j2)
	}
}

func TestSweepRecoversLostRunsAndSilentRunners(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, _ := h.c.Create(ctx, h.pipeline(1), plan.Workflow{Name: "w", Jobs: []plan.Job{job("a"), job("b")}}, "")
	// Evaluate, then lose the run messages (a crash between the write and the send looks the same).
	ds, _ := h.q.Receive(ctx, domain.TopicWorkflows, queue.ReceiveOptions{Max: 10})
	for _, d := range ds {
		h.c.Handle(ctx, d)
		h.q.Ack(ctx, d)
	}
	lost, _ := h.q.Receive(ctx, domain.TopicRuns, queue.ReceiveOptions{Max: 10})
	for _, d := range lost {
		h.q.Ack(ctx, d)
	}
	if len(lost) != 2 {
		t.Fatalf("%d run messages, want 2", len(lost))
	}
	h.now = h.now.Add(time.Minute)
	h.outcome = func(name string) domain.TaskStatus {
		if name == "b" {
			return "" // b's runner goes silent
		}
		return domain.TaskSuccess
	}
	if err := h.c.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.now = h.now.Add(10 * time.Minute)
	if err := h.c.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	h.drain()
	st, jobs := h.statuses(id)
	if st != domain.WorkflowFailed || jobs["a"] != domain.JobSuccess || jobs["b"] != domain.JobInfrastructureFail {
		t.Fatalf("after sweeps: %s %v", st, jobs)
	}
}

func TestNotifiesOncePerJobAndWorkflow(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	counts := map[string]int{}
	var mu sync.Mutex
	h.c.o.Notify = func(_ context.Context, c Completion) error {
		mu.Lock()
		defer mu.Unlock()
		if c.Job != nil {
			counts[c.Job.Name]++
		} else {
			counts["workflow "+c.Workflow.Name]++
		}
		return nil
	}
	w := plan.Workflow{Name: "w"}
	for i := range 8 {
		w.Jobs = append(w.Jobs, job(fmt.Sprintf("j%d", i)))
	}
	id, _ := h.c.Create(ctx, h.pipeline(1), w, "")
	if err := h.c.Evaluate(ctx, id); err != nil { // queue the jobs
		t.Fatal(err)
	}
	runs, _ := h.q.Receive(ctx, domain.TopicRuns, queue.ReceiveOptions{Max: 10})
	for _, d := range runs { // every job ends before any evaluation sees it
		h.run(d)
	}
	// Evaluate the finished workflow from many goroutines at once, as racing consumers do.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); h.c.Evaluate(ctx, id) }()
	}
	wg.Wait()
	for name, n := range counts {
		if n != 1 {
			t.Errorf("%s notified %d times", name, n)
		}
	}
	if len(counts) != 9 {
		t.Errorf("notifications: %v, want 8 jobs and the workflow once each", counts)
	}
}
