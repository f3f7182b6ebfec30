package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/tasktoken"
)

// Benchmarks of the whole engine, without git and without starting runner processes (see bench_harness_test.go).
//
//	go test ./shared/server/ -run '^$' -bench . -benchtime 20x

// BenchmarkTriggerToFirstStep measures, one pipeline at a time, the engine's latency from sending the trigger
// request to the first step of the pipeline's one trivial job being recorded as started (p50-ms, p99-ms).
// ns/op is the whole round trip of a pipeline: trigger → job done → workflow ended.
func BenchmarkTriggerToFirstStep(b *testing.B) {
	h := newHarness(b, 1, 4)
	ctx := context.Background()
	h.warmUp(ctx)
	var lat []time.Duration
	for b.Loop() {
		sent := time.Now()
		id, err := h.trigger(ctx)
		if err != nil {
			b.Fatal(err)
		}
		first, err := h.runner.firstStep(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, first.Sub(sent))
		if err := h.wait(ctx, []string{id}); err != nil {
			b.Fatal(err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 99)), "p99-ms")
}

// BenchmarkTrivialJobThroughput triggers b.N pipelines at once, each a workflow of 10 independent trivial jobs,
// and waits for all of them to end: jobs/s, and the store and queue operations each job costs.
func BenchmarkTrivialJobThroughput(b *testing.B) {
	const jobs = 10
	h := newHarness(b, jobs, 16)
	ctx := context.Background()
	h.warmUp(ctx)
	h.quiesce()
	c0, q0 := h.counts.Counts(), h.queue.counts()
	b.ResetTimer()
	start := time.Now()
	ids, err := h.triggerMany(ctx, b.N, 16)
	if err != nil {
		b.Fatal(err)
	}
	if err := h.wait(ctx, ids); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	h.quiesce()
	c1, q1 := h.counts.Counts(), h.queue.counts()
	n := float64(b.N * jobs)
	per := func(v int64) float64 { return float64(v) / n }
	b.ReportMetric(n/elapsed.Seconds(), "jobs/s")
	b.ReportMetric(per(c1.Writes-c0.Writes), "writes/job")
	b.ReportMetric(per(c1.WrittenItems-c0.WrittenItems), "items/job")
	b.ReportMetric(per(c1.Gets-c0.Gets), "gets/job")
	b.ReportMetric(per(c1.Queries-c0.Queries), "queries/job")
	b.ReportMetric(per(c1.Incrs-c0.Incrs), "incrs/job")
	b.ReportMetric(per(sum(q1.Msgs)-sum(q0.Msgs)), "qmsgs/job")
	b.ReportMetric(per(sum(q1.Sends)-sum(q0.Sends)), "qsends/job")
	b.ReportMetric(per(q1.Receives-q0.Receives), "qrecvs/job")
	for _, t := range []string{domain.TopicPipelines, domain.TopicWorkflows, domain.TopicRuns, domain.TopicNotify} {
		b.Logf("topic %-9s %6.2f msgs/job in %6.2f sends/job", t, per(q1.Msgs[t]-q0.Msgs[t]),
			per(q1.Sends[t]-q0.Sends[t]))
	}
	if d := h.runner.dropped.Load(); d > 0 {
		b.Logf("%d duplicate run messages dropped", d)
	}
}

// TestEngineHarness runs the benchmarks' harness once, so `go test` covers it: 3 jobs end success, each task
// claimed exactly once.
func TestEngineHarness(t *testing.T) {
	const jobs = 3
	h := newHarness(t, jobs, 4)
	ctx := context.Background()
	id, err := h.trigger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.runner.firstStep(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := h.wait(ctx, []string{id}); err != nil {
		t.Fatal(err)
	}
	wfs, err := h.raw.Workflows(ctx, id)
	if err != nil || len(wfs) != 1 || wfs[0].V.Status != domain.WorkflowSuccess {
		t.Fatalf("workflows of the pipeline: %+v, %v; want one that succeeded", wfs, err)
	}
	js, err := h.raw.Jobs(ctx, wfs[0].V.ID)
	if err != nil || len(js) != jobs {
		t.Fatalf("jobs: %d, %v; want %d", len(js), err, jobs)
	}
	claims := h.runner.claimCounts()
	for _, j := range js {
		if j.V.Status != domain.JobSuccess {
			t.Errorf("job %s ended %s, want success", j.V.Name, j.V.Status)
		}
		tasks, err := h.raw.Tasks(ctx, j.V.ID)
		if err != nil || len(tasks) != 1 {
			t.Fatalf("tasks of job %s: %d, %v; want 1", j.V.Name, len(tasks), err)
		}
		tk := tasks[0].V
		if tk.Status != domain.TaskSuccess || tk.Attempt != 1 || claims[tk.ID] != 1 {
			t.Errorf("task of job %s: status %s, attempt %d, claimed %d times; want success, 1, once", j.V.Name,
				tk.Status, tk.Attempt, claims[tk.ID])
		}
		delete(claims, tk.ID)
	}
	if len(claims) != 0 {
		t.Errorf("claims of unknown tasks: %v", claims)
	}
	if c := h.counts.Counts(); c.Writes == 0 || sum(h.queue.counts().Msgs) == 0 {
		t.Errorf("nothing counted: store %+v, queue %+v", c, h.queue.counts())
	}
}

// warmUp runs one pipeline, so that first-time costs are not measured.
func (h *harness) warmUp(ctx context.Context) {
	h.tb.Helper()
	id, err := h.trigger(ctx)
	if err == nil {
		err = h.wait(ctx, []string{id})
	}
	if err != nil {
		h.tb.Fatalf("warm-up pipeline: %v", err)
	}
}

// percentile is the nearest-rank p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i, 1)-1]
}

func sum(m map[string]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchRunner is the executor of the harness: for each run message it does what the process executor and a
// runner would do, over the task API on real HTTP — dispatch, mint a token, claim, report step 1 started and
// ended, complete success — without starting a process or running anything.
type benchRunner struct {
	url      string
	tokens   *tasktoken.Issuer
	dispatch func(ctx context.Context, taskID, executor string) (bool, error)
	hc       *http.Client

	completed, dropped atomic.Int64
	mu                 sync.Mutex
	claims             map[string]int       // task → successful claims
	first              map[string]time.Time // pipeline → when its first step was recorded as started
	firstCh            chan struct{}        // signalled on each new entry of first
	errs               []error
}

func newBenchRunner() *benchRunner {
	return &benchRunner{claims: map[string]int{}, first: map[string]time.Time{}, firstCh: make(chan struct{}, 1)}
}

func (r *benchRunner) handle(ctx context.Context, d queue.Delivery) error {
	var m domain.RunMsg
	if err := json.Unmarshal(d.Body, &m); err != nil {
		return queue.Permanent(fmt.Errorf("bench runner: decode %s: %w", d.ID, err))
	}
	ok, err := r.dispatch(ctx, m.TaskID, "bench")
	if err != nil {
		return err // redelivered
	}
	if !ok {
		r.dropped.Add(1) // a duplicate message, or a canceled task
		return nil
	}
	if err := r.run(ctx, m.TaskID); err != nil {
		r.mu.Lock()
		r.errs = append(r.errs, fmt.Errorf("bench runner: task %s: %w", m.TaskID, err))
		r.mu.Unlock()
	}
	return nil
}

func (r *benchRunner) run(ctx context.Context, taskID string) error {
	c := taskapi.NewClient(r.url, taskID, r.tokens.Mint(taskID, 15*time.Minute), r.hc)
	c.RetryFor = 20 * time.Second
	task, err := c.Claim(ctx, taskapi.ClaimRequest{RunnerID: "bench-" + taskID, Hostname: "bench"})
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.claims[taskID]++
	r.mu.Unlock()
	if len(task.Job.Steps) == 0 {
		return errors.New("claimed a job without steps")
	}
	st := task.Job.Steps[0]
	ev := taskapi.StepEvent{Index: 1, Name: st.Name, Type: st.Type, Phase: taskapi.PhaseStart, Time: time.Now()}
	if err := c.StepEvent(ctx, ev); err != nil {
		return err
	}
	r.started(task.Pipeline.ID, time.Now())
	exit := 0
	ev.Phase, ev.Status, ev.ExitCode, ev.Time = taskapi.PhaseEnd, taskapi.StatusSuccess, &exit, time.Now()
	if err := c.StepEvent(ctx, ev); err != nil {
		return err
	}
	if err := c.Complete(ctx, taskapi.Completion{Status: taskapi.StatusSuccess}); err != nil {
		return err
	}
	r.completed.Add(1)
	return nil
}

func (r *benchRunner) started(pipelineID string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.first[pipelineID]; !ok {
		r.first[pipelineID] = at
		select {
		case r.firstCh <- struct{}{}:
		default:
		}
	}
}

// firstStep waits for the first step of a pipeline to be recorded as started.
func (r *benchRunner) firstStep(ctx context.Context, pipelineID string) (time.Time, error) {
	timeout := time.After(benchTimeout)
	for {
		r.mu.Lock()
		at, ok := r.first[pipelineID]
		r.mu.Unlock()
		if ok {
			return at, nil
		}
		if err := r.err(); err != nil {
			return time.Time{}, err
		}
		select {
		case <-r.firstCh:
		case <-time.After(100 * time.Millisecond): // to look at r.err again
		case <-timeout:
			return time.Time{}, fmt.Errorf("no step of pipeline %s started within %v", pipelineID, benchTimeout)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

func (r *benchRunner) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.errs...)
}

func (r *benchRunner) claimCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.claims)
}
