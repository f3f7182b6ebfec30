package nomadbridge

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/queue/memqueue"
	"github.com/hashicorp/nomad/api"
)

// Benchmarks against the real Nomad dev agent (scripts/nomad.sh start; NOMAD_ADDR names it):
//
//	go test ./nomadbridge -run '^$' -bench . -benchtime 1x
//
// BenchmarkDispatchVsRaw compares two ways of registering the same job specs on the same agent, in alternating
// rounds: straight through the Nomad API by 16 goroutines (the baseline), and run messages sent to a queue
// and taken by the bridge (the same 16-way concurrency) with an in-memory task store, until every job is
// registered. The ratio is the bridge's own overhead (decode, task checks, dispatch, job build,
// create-if-absent). Each job runs
// /bin/true-like work, so the agent's scheduling load is the same in both. BenchmarkQueueToRunning sends one
// message at a time and measures until the runner process starts on the client (it writes the time), and
// until Nomad's event stream reports the allocation running (the client batches its status updates).

const benchTasks = 200

func benchClient(b *testing.B) (Client, *api.Client) {
	addr := os.Getenv("NOMAD_ADDR")
	if addr == "" {
		b.Skip("no Nomad agent: run `scripts/nomad.sh start` and set NOMAD_ADDR")
	}
	c, err := NewClient(Config{Address: addr})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := api.NewClient(&api.Config{Address: addr})
	if err != nil {
		b.Fatal(err)
	}
	return c, raw
}

// benchRunner is a stand-in runner: it writes the time it started (unix ns) to <dir>/<task id>, stays up for
// a moment so its allocation shows running, then exits 0. Its arguments are the runner's:
// runner --api-url URL --task-id ID --work-dir DIR.
func benchRunner(b *testing.B) (path, dir string) {
	dir = b.TempDir()
	path = filepath.Join(dir, "runner.sh")
	script := fmt.Sprintf("#!/bin/sh\ndate +%%s%%N > %q/\"$5\"\nsleep 1\n", dir)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		b.Fatal(err)
	}
	return path, dir
}

// startedAt reads when the stand-in runner of a task started.
func startedAt(dir, taskID string) (time.Time, bool) {
	b, err := os.ReadFile(filepath.Join(dir, taskID))
	if err != nil || len(b) < 2 {
		return time.Time{}, false
	}
	var ns int64
	if _, err := fmt.Sscan(string(b), &ns); err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// countingClient counts registrations and remembers when each job was registered.
type countingClient struct {
	Client
	registered atomic.Int64
	at         sync.Map // job id → time.Time
}

func (c *countingClient) Register(ctx context.Context, job *api.Job) error {
	err := c.Client.Register(ctx, job)
	if err == nil {
		c.registered.Add(1)
		c.at.Store(*job.ID, time.Now())
	}
	return err
}

func benchBridge(b *testing.B, c Client, runner string) (*Bridge, *fakeTasks, *memqueue.Queue) {
	tasks := newFakeTasks(time.Now)
	q := memqueue.New(0)
	tasks.q = q
	br, err := New(Options{Client: c, Queue: q, Tasks: tasks, Tokens: fakeTokens{}, APIURL: "http://127.0.0.1:1",
		RunnerPath: runner, Classes: map[string]Resources{DefaultClass: {CPU: 20, MemoryMB: 16}},
		MaxPending: 10 * benchTasks, PollInterval: time.Hour, Retention: time.Hour, Log: benchLog()})
	if err != nil {
		b.Fatal(err)
	}
	return br, tasks, q
}

// settle returns the agent to the same state before every round: the round's jobs purged, then a garbage
// collection of evaluations and allocations, so neither kind of round pays for the other's leftovers.
func settle(b *testing.B, c Client, raw *api.Client, ids []string) {
	purgeAll(c, ids)
	if err := raw.System().GarbageCollect(); err != nil {
		b.Fatal(err)
	}
}

// purgeAll removes the jobs of a run, 16 at a time.
func purgeAll(c Client, ids []string) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.Deregister(context.Background(), id, true)
		}()
	}
	wg.Wait()
}

// rawRound registers benchTasks jobs straight through the API, 16 at a time, and returns how long it took.
func rawRound(b *testing.B, c Client, raw *api.Client, br *Bridge, round int) time.Duration {
	ids := make([]string, benchTasks)
	jobs := make([]*api.Job, benchTasks)
	for i := range jobs {
		jobs[i] = br.buildJob(jobSpec{TaskID: fmt.Sprintf("raw%d-%d-%d", time.Now().UnixNano(), round, i), Attempt: 1,
			Executor: plan.Executor{Kind: plan.ExecMachine}, Token: "t"})
		ids[i] = *jobs[i].ID
	}
	start := time.Now()
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < benchTasks; i = next.Add(1) - 1 {
				if err := c.Register(context.Background(), jobs[i]); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	settle(b, c, raw, ids)
	return el
}

// bridgeRound sends benchTasks run messages and returns how long the bridge took to register them all.
func bridgeRound(b *testing.B, c Client, raw *api.Client, runner string, round int) time.Duration {
	cc := &countingClient{Client: c}
	br, tasks, q := benchBridge(b, cc, runner)
	ids := make([]string, benchTasks)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	for i := range ids {
		id := fmt.Sprintf("br%d-%d-%d", time.Now().UnixNano(), round, i)
		tasks.add(domain.Task{ID: id}, plan.Executor{Kind: plan.ExecMachine})
		ids[i] = JobID(id, 1)
		if err := q.Send(ctx, domain.TopicRuns, runMessage(domain.RunMsg{TaskID: id, Attempt: 1})); err != nil {
			b.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { br.consume(ctx); close(done) }()
	for cc.registered.Load() < benchTasks {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	cancel()
	<-done
	settle(b, c, raw, ids)
	return el
}

// BenchmarkDispatchVsRaw alternates rounds of raw registration and bridge dispatch (the order flips every
// round, and each round starts once the last one's jobs are purged) and reports both rates and their ratio.
func BenchmarkDispatchVsRaw(b *testing.B) {
	c, rawc := benchClient(b)
	runner, _ := benchRunner(b)
	br, _, _ := benchBridge(b, c, runner)
	settle(b, c, rawc, nil)
	var raw, bridge time.Duration
	for n := range b.N {
		for _, first := range []bool{n%2 == 0, n%2 != 0} {
			if first {
				raw += rawRound(b, c, rawc, br, n)
			} else {
				bridge += bridgeRound(b, c, rawc, runner, n)
			}
		}
	}
	jobs := float64(benchTasks * b.N)
	b.ReportMetric(jobs/raw.Seconds(), "raw-jobs/s")
	b.ReportMetric(jobs/bridge.Seconds(), "bridge-jobs/s")
	b.ReportMetric(raw.Seconds()/bridge.Seconds(), "ratio")
}

func BenchmarkQueueToRunning(b *testing.B) {
	c0, _ := benchClient(b)
	c := &countingClient{Client: c0}
	runner, dir := benchRunner(b)
	br, tasks, q := benchBridge(b, c, runner)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Running times of allocations, from Nomad's own event stream.
	var mu sync.Mutex
	running := map[string]time.Time{}
	events, err := c.Events(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for evs := range events {
			now := time.Now()
			if evs.Err != nil && ctx.Err() == nil {
				b.Error(evs.Err)
				return
			}
			for _, e := range evs.Events {
				if a, err := e.Allocation(); err == nil && a != nil && a.ClientStatus == api.AllocClientStatusRunning {
					mu.Lock()
					if _, ok := running[a.JobID]; !ok {
						running[a.JobID] = now
					}
					mu.Unlock()
				}
			}
		}
	}()
	go br.Run(ctx)
	const samples = 20
	var lat, reg, started []time.Duration
	var ids []string
	for n := range b.N {
		for i := range samples {
			taskID := fmt.Sprintf("lat%d-%d-%d", time.Now().UnixNano(), n, i)
			tasks.add(domain.Task{ID: taskID}, plan.Executor{Kind: plan.ExecMachine})
			id := JobID(taskID, 1)
			ids = append(ids, id)
			sent := time.Now()
			if err := q.Send(ctx, domain.TopicRuns, runMessage(domain.RunMsg{TaskID: taskID, Attempt: 1})); err != nil {
				b.Fatal(err)
			}
			deadline := time.Now().Add(time.Minute)
			for {
				mu.Lock()
				at, ok := running[id]
				mu.Unlock()
				if ok {
					lat = append(lat, at.Sub(sent))
					r, _ := c.at.Load(id)
					reg = append(reg, r.(time.Time).Sub(sent))
					st, ok := startedAt(dir, taskID)
					if !ok {
						b.Fatalf("the runner of %s left no start time", taskID)
					}
					started = append(started, st.Sub(sent))
					tasks.finish(taskID, domain.TaskSuccess, "") // as its runner would: no retry when it exits
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("job %s never ran", id)
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
	}
	slices.Sort(lat)
	slices.Sort(reg)
	slices.Sort(started)
	b.ReportMetric(float64(started[len(started)/2].Microseconds())/1000, "runner-started-p50-ms")
	b.ReportMetric(float64(started[len(started)*99/100].Microseconds())/1000, "runner-started-p99-ms")
	b.ReportMetric(float64(reg[len(reg)/2].Microseconds())/1000, "registered-p50-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "nomad-running-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "nomad-running-p99-ms")
	cancel()
	b.StopTimer()
	purgeAll(c, ids)
}

// benchLog logs the bridge's warnings (BENCH_LOG=debug for everything).
func benchLog() *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("BENCH_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
