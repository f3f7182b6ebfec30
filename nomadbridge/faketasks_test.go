package nomadbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/queue/memqueue"
)

// fakeTasks is Tasks over a map, with the conductor's transitions: Dispatch only of a queued, undispatched,
// uncanceled task; the first end wins; RetryTask as shared/conductor/retry.go (its run messages are
// recorded, and sent to q when set).
type fakeTasks struct {
	mu    sync.Mutex
	now   func() time.Time
	tasks map[string]domain.Task
	execs map[string]plan.Executor
	auths map[string][]*plan.Auth
	runs  []domain.RunMsg
	q     queue.Queue
	errs  map[string][]error // method → errors its next calls return
	calls []string
}

var _ Tasks = (*fakeTasks)(nil)

func newFakeTasks(now func() time.Time) *fakeTasks {
	return &fakeTasks{now: now, tasks: map[string]domain.Task{}, execs: map[string]plan.Executor{},
		auths: map[string][]*plan.Auth{}, errs: map[string][]error{}}
}

// add stores a task (queued at attempt 1 unless t says otherwise) and its job's executor.
func (f *fakeTasks) add(t domain.Task, ex plan.Executor) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Status == "" {
		t.Status = domain.TaskQueued
	}
	if t.Attempt == 0 {
		t.Attempt = 1
	}
	f.tasks[t.ID], f.execs[t.ID] = t, ex
}

func (f *fakeTasks) get(id string) domain.Task {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tasks[id]
}

func (f *fakeTasks) update(id string, fn func(*domain.Task)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tasks[id]
	fn(&t)
	f.tasks[id] = t
}

func (f *fakeTasks) fail(method string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[method] = append(f.errs[method], errs...)
}

func (f *fakeTasks) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == method {
			n++
		}
	}
	return n
}

func (f *fakeTasks) sentRuns() []domain.RunMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.runs)
}

// call records a call and returns its queued error. f.mu must be held.
func (f *fakeTasks) call(method string) error {
	f.calls = append(f.calls, method)
	if q := f.errs[method]; len(q) > 0 {
		f.errs[method] = q[1:]
		return q[0]
	}
	return nil
}

// task reads a task. f.mu must be held.
func (f *fakeTasks) task(id string) (domain.Task, error) {
	t, ok := f.tasks[id]
	if !ok {
		return domain.Task{}, fmt.Errorf("task %s: %w", id, ErrTaskNotFound)
	}
	return t, nil
}

func (f *fakeTasks) Task(_ context.Context, id string) (domain.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Task"); err != nil {
		return domain.Task{}, err
	}
	return f.task(id)
}

func (f *fakeTasks) Dispatch(_ context.Context, id, executor string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Dispatch"); err != nil {
		return false, err
	}
	t, err := f.task(id)
	if err != nil {
		return false, err
	}
	if t.Status != domain.TaskQueued || !t.DispatchedAt.IsZero() || t.Canceled {
		return false, nil
	}
	t.DispatchedAt, t.Executor = f.now(), executor
	f.tasks[id] = t
	return true, nil
}

func (f *fakeTasks) Finish(_ context.Context, id string, st domain.TaskStatus, msg string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Finish"); err != nil {
		return err
	}
	return f.finish(id, st, msg)
}

// finish ends a task; the first end wins. f.mu must be held.
func (f *fakeTasks) finish(id string, st domain.TaskStatus, msg string) error {
	if !st.Terminal() {
		return fmt.Errorf("finish task %s with %q: not a terminal status", id, st)
	}
	t, err := f.task(id)
	if err != nil || t.Status.Terminal() {
		return err
	}
	if t.Canceled && st != domain.TaskSuccess {
		st = domain.TaskCanceled
	}
	t.Status, t.StoppedAt, t.Message = st, f.now(), msg
	f.tasks[id] = t
	return nil
}

func (f *fakeTasks) RetryTask(ctx context.Context, id string, attempt int, reason string) (bool, error) {
	f.mu.Lock()
	if err := f.call("RetryTask"); err != nil {
		f.mu.Unlock()
		return false, err
	}
	t, err := f.task(id)
	switch {
	case err != nil:
		f.mu.Unlock()
		return false, err
	case t.Status.Terminal() || t.Attempt != attempt:
		f.mu.Unlock()
		return false, nil
	case t.Canceled:
		defer f.mu.Unlock()
		return false, f.finish(id, domain.TaskCanceled, reason)
	case attempt >= conductor.MaxTaskAttempts:
		defer f.mu.Unlock()
		return false, f.finish(id, domain.TaskInfrastructureFail,
			fmt.Sprintf("attempt %d of %d: %s", attempt, conductor.MaxTaskAttempts, reason))
	}
	t.Status, t.Attempt, t.QueuedAt = domain.TaskQueued, attempt+1, f.now()
	t.RunnerID, t.Executor, t.DispatchedAt, t.StartedAt, t.Heartbeat = "", "", time.Time{}, time.Time{}, time.Time{}
	t.Message = fmt.Sprintf("attempt %d: %s: %s; retried", attempt, domain.TaskInfrastructureFail, reason)
	f.tasks[id] = t
	m := domain.RunMsg{TaskID: id, JobID: t.JobID, Attempt: attempt + 1, ExecutorType: f.execs[id].Kind}
	f.runs = append(f.runs, m)
	q := f.q
	f.mu.Unlock()
	if q != nil {
		if err := q.Send(ctx, domain.TopicRuns, runMessage(m)); err != nil {
			return true, fmt.Errorf("send run message: %w", err)
		}
	}
	return true, nil
}

func (f *fakeTasks) Executor(_ context.Context, id string) (plan.Executor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Executor"); err != nil {
		return plan.Executor{}, err
	}
	ex, ok := f.execs[id]
	if !ok {
		return plan.Executor{}, fmt.Errorf("executor of %s: %w", id, ErrTaskNotFound)
	}
	return ex, nil
}

func (f *fakeTasks) ImageAuth(_ context.Context, id string) ([]*plan.Auth, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ImageAuth"); err != nil {
		return nil, err
	}
	return f.auths[id], nil
}

// fakeTokens mints "token-<task id>".
type fakeTokens struct{}

func (fakeTokens) Mint(taskID string, _ time.Duration) string { return "token-" + taskID }

// fakeClock is Options.Now: it moves only when the test advances it, or by step on every reading when set.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a Bridge over fakes and a memqueue.
type env struct {
	b     *Bridge
	nomad *fakeNomad
	tasks *fakeTasks
	clock *fakeClock
	q     *memqueue.Queue
}

// newEnv returns a Bridge over a cluster of one client with the docker and raw_exec drivers; opts change
// its options before New.
func newEnv(t *testing.T, opts ...func(*Options)) *env {
	t.Helper()
	e := &env{nomad: newFakeNomad(node("n1", "docker", "raw_exec")), clock: newClock(), q: memqueue.New(0)}
	e.tasks = newFakeTasks(e.clock.Now)
	e.tasks.q = e.q
	o := Options{Client: e.nomad, Queue: e.q, Tasks: e.tasks, Tokens: fakeTokens{},
		APIURL: testAPIURL, RunnerURL: "https://ci.example.com/runner/linux-amd64.tar.gz",
		RunnerSHA256: "0123abcd", Now: e.clock.Now}
	for _, f := range opts {
		f(&o)
	}
	b, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.b = b
	return e
}

func runMessage(m domain.RunMsg) queue.Message {
	body, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return queue.Message{ID: m.TaskID, Body: body}
}

// delivery is a first delivery of a run message for the task at attempt.
func delivery(taskID string, attempt int) queue.Delivery {
	m := runMessage(domain.RunMsg{TaskID: taskID, JobID: "job", Attempt: attempt})
	return queue.Delivery{Topic: domain.TopicRuns, ID: m.ID, Body: m.Body, Attempt: 1, Handle: "h-" + taskID}
}

var errTransient = errors.New("connection refused")

// dockerExec is a docker executor with the primary image only.
func dockerExec() plan.Executor {
	return plan.Executor{Kind: plan.ExecDocker, Images: []plan.Image{{Image: "cimg/go:1.26"}}}
}

// testAPIURL is the API URL of every bridge under test.
const testAPIURL = "https://ci.example.com"
