package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/api"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake/gitsource"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/store/countstore"
)

// The engine harness: a real Server (SQLite store and queue, API and task API on loopback HTTP) whose git is a
// config in memory and whose process executor is benchRunner, a runner played in-process over real HTTP. What
// remains is the engine: API, intake, conductor, task server, store and queue — counted by countstore and countQueue.

// benchTimeout bounds every wait of the harness: a pipeline not done by then fails the benchmark.
const benchTimeout = 60 * time.Second

const benchSHA = "0123456789abcdef0123456789abcdef01234567"

// benchConfig is a config whose one workflow runs n independent trivial jobs.
func benchConfig(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 2.1\njobs:\n")
	for i := range n {
		fmt.Fprintf(&b, "  j%d:\n    docker: [{image: cimg/base:current}]\n    steps: [{run: \"true\"}]\n", i)
	}
	b.WriteString("workflows:\n  bench:\n    jobs:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - j%d\n", i)
	}
	return []byte(b.String())
}

// memSource is a git source that has one commit holding one config, whatever the repository and ref.
type memSource struct{ config []byte }

func (m memSource) Resolve(_ context.Context, _, ref string) (gitsource.Commit, error) {
	return gitsource.Commit{SHA: benchSHA, Subject: "bench", Author: "Bench", AuthorEmail: "bench@caravan.invalid",
		Branch: ref}, nil // the harness triggers branches only
}

func (m memSource) ReadFile(_ context.Context, _, sha, path string) ([]byte, error) {
	if sha != benchSHA || path != ".circleci/config.yml" {
		return nil, fmt.Errorf("%s at %s: %w", path, sha, gitsource.ErrNotFound)
	}
	return m.config, nil
}

// countQueue is a queue.Queue counting Send calls and sent messages per topic, and Receive calls.
type countQueue struct {
	queue.Queue
	mu       sync.Mutex
	sends    map[string]int64
	msgs     map[string]int64
	receives atomic.Int64
}

// queueCounts is a snapshot of a countQueue.
type queueCounts struct {
	Sends, Msgs map[string]int64
	Receives    int64
}

func (q *countQueue) Send(ctx context.Context, topic string, msgs ...queue.Message) error {
	q.mu.Lock()
	q.sends[topic]++
	q.msgs[topic] += int64(len(msgs))
	q.mu.Unlock()
	return q.Queue.Send(ctx, topic, msgs...)
}

func (q *countQueue) Receive(ctx context.Context, topic string, o queue.ReceiveOptions) ([]queue.Delivery, error) {
	q.receives.Add(1)
	return q.Queue.Receive(ctx, topic, o)
}

func (q *countQueue) counts() queueCounts {
	q.mu.Lock()
	defer q.mu.Unlock()
	return queueCounts{Sends: maps.Clone(q.sends), Msgs: maps.Clone(q.msgs), Receives: q.receives.Load()}
}

// harness is a running Server with a project whose every pipeline runs benchConfig(jobs).
type harness struct {
	tb      testing.TB
	s       *Server
	counts  *countstore.Store
	queue   *countQueue
	raw     *repo.Repo // over the unwrapped store: the harness's own reads are not counted
	runner  *benchRunner
	hc      *http.Client
	slug    string
	jobs    int          // jobs per pipeline
	started atomic.Int64 // jobs of the pipelines triggered so far
}

// logWriter writes the server's log lines to a function.
type logWriter func(string)

func (w logWriter) Write(b []byte) (int, error) {
	w(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// newHarness opens and runs a Server on a temporary directory; it is stopped and closed when tb ends.
func newHarness(tb testing.TB, jobs, concurrency int) *harness {
	tb.Helper()
	h := &harness{tb: tb, jobs: jobs, runner: newBenchRunner()}
	h.hc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 256,
		MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}}
	h.runner.hc = h.hc
	var closed atomic.Bool
	toTest := logWriter(func(line string) { // until the test ends
		if !closed.Load() {
			tb.Log(line)
		}
	})
	log := slog.New(slog.NewTextHandler(toTest, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := Config{
		DataDir: tb.TempDir(), Addr: "127.0.0.1:0", Concurrency: concurrency, RatePerSecond: 1e9,
		// Only the startup sweep and schedule check: periodic work is not per job.
		SweepInterval: time.Hour, ScheduleInterval: time.Hour, Log: log,
		Executor: h.runner.handle, ConfigSource: memSource{benchConfig(jobs)},
		WrapStore: func(st store.Store) store.Store {
			h.raw, h.counts = repo.New(st), countstore.New(st)
			return h.counts
		},
		WrapQueue: func(q queue.Queue) queue.Queue {
			h.queue = &countQueue{Queue: q, sends: map[string]int64{}, msgs: map[string]int64{}}
			return h.queue
		},
	}
	ctx := context.Background()
	s, err := Open(ctx, cfg)
	if err != nil {
		tb.Fatalf("open server: %v", err)
	}
	h.s = s
	h.runner.url, h.runner.tokens, h.runner.dispatch = s.URL(), s.TaskTokens(), s.Cond.Dispatch
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("server run: %v", err)
			}
		case <-time.After(30 * time.Second):
			tb.Errorf("server did not stop within 30 s")
		}
		closed.Store(true)
		// Run's http.Server.Shutdown already closed the listener.
		if err := s.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			tb.Errorf("close server: %v", err)
		}
		h.hc.CloseIdleConnections()
	})
	p, err := api.EnsureOrgProject(ctx, s.Repo, s.Secrets, "bench", "local", "engine", "/nonexistent/bench", "main")
	if err != nil {
		tb.Fatalf("create project: %v", err)
	}
	h.slug = p.Slug
	return h
}

// trigger starts a pipeline on the default branch through the HTTP API and returns its id.
func (h *harness) trigger(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", h.s.URL()+"/api/v2/project/"+h.slug+"/pipeline",
		strings.NewReader(`{"branch":"main"}`))
	if err != nil {
		return "", err
	}
	req.Header.Set("Circle-Token", h.s.AdminToken())
	req.Header.Set("Content-Type", "application/json")
	res, err := h.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("trigger: %w", err)
	}
	defer res.Body.Close()
	var body struct{ ID, Message string } // decoding matches the names case-insensitively
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("trigger: %s: %q (%v)", res.Status, body.Message, err)
	}
	h.started.Add(int64(h.jobs))
	return body.ID, nil
}

// triggerMany triggers n pipelines, up to par at once.
func (h *harness) triggerMany(ctx context.Context, n, par int) ([]string, error) {
	ids, errs := make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, par)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() { ids[i], errs[i] = h.trigger(ctx); <-sem })
	}
	wg.Wait()
	return ids, errors.Join(errs...)
}

// wait waits until the runner has completed every job triggered so far and every workflow of the pipelines
// ids has ended; it fails on a runner error, an errored pipeline or after benchTimeout.
func (h *harness) wait(ctx context.Context, ids []string) error {
	ctx, cancel := context.WithTimeout(ctx, benchTimeout)
	defer cancel()
	for {
		if err := h.runner.err(); err != nil {
			return err
		}
		for len(ids) > 0 && h.runner.completed.Load() >= h.started.Load() { // no store reads before
			done, err := h.pipelineDone(ctx, ids[0])
			if err != nil {
				return err
			}
			if !done {
				break
			}
			ids = ids[1:]
		}
		if len(ids) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %v, %d of %d jobs completed and %d pipelines not ended, e.g. %s", benchTimeout,
				h.runner.completed.Load(), h.started.Load(), len(ids), h.describe(ids[0]))
		case <-time.After(time.Millisecond):
		}
	}
}

// pipelineDone reports whether a pipeline has workflows and all of them ended.
func (h *harness) pipelineDone(ctx context.Context, id string) (bool, error) {
	p, err := h.raw.Pipeline(ctx, id)
	if err != nil {
		return false, fmt.Errorf("pipeline %s: %w", id, err)
	}
	if p.V.State == domain.PipelineErrored {
		return false, fmt.Errorf("pipeline %s errored: %+v", id, p.V.Errors)
	}
	wfs, err := h.raw.Workflows(ctx, id)
	if err != nil || len(wfs) == 0 {
		return false, err
	}
	for _, wf := range wfs {
		if !wf.V.Status.Terminal() {
			return false, nil
		}
	}
	return true, nil
}

// describe tells what a pipeline's workflows and jobs are doing, for a timeout message.
func (h *harness) describe(id string) string {
	ctx := context.Background()
	p, _ := h.raw.Pipeline(ctx, id)
	out := fmt.Sprintf("pipeline %s %s %v:", id, p.V.State, p.V.Errors)
	wfs, err := h.raw.Workflows(ctx, id)
	for _, wf := range wfs {
		out += fmt.Sprintf(" workflow %s %s:", wf.V.Name, wf.V.Status)
		jobs, _ := h.raw.Jobs(ctx, wf.V.ID)
		for _, j := range jobs {
			out += fmt.Sprintf(" %s=%s", j.V.Name, j.V.Status)
		}
	}
	return fmt.Sprint(out, " ", err)
}

// quiesce waits (up to 5 s) until the store and the queue have seen no writes or sends for 200 ms, so that
// the engine's trailing work of the last jobs is counted too.
func (h *harness) quiesce() {
	last, since := int64(-1), time.Now()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		c := h.counts.Counts()
		n := c.Writes + c.Gets + c.Queries + sum(h.queue.counts().Msgs)
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= 200*time.Millisecond {
			return
		}
	}
}
