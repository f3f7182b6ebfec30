package procexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
)

// ExecutorName is what Handle records as the task's executor in Tasks.Dispatch.
const ExecutorName = "local"

// TokenEnv is the environment variable that carries the task token to the runner.
const TokenEnv = "CARAVAN_TASK_TOKEN"

// ErrClosed is returned (wrapped) by Handle after Shutdown: the message is handed back to the queue.
var ErrClosed = errors.New("procexec: executor shut down")

// Tasks is what the executor needs of the task state. The conductor provides Dispatch and Finish, the repo
// Task; TaskFuncs joins them.
type Tasks interface {
	// Dispatch records that this executor took the task; false means it must not start a runner.
	Dispatch(ctx context.Context, taskID, executor string) (bool, error)
	// Finish ends the task (the first end wins).
	Finish(ctx context.Context, taskID string, st domain.TaskStatus, msg string) error
	// Task reads the task.
	Task(ctx context.Context, taskID string) (domain.Task, error)
}

// TaskFuncs adapts three functions to Tasks, e.g.
//
//	procexec.TaskFuncs{DispatchFunc: c.Dispatch, FinishFunc: c.Finish,
//		TaskFunc: func(ctx context.Context, id string) (domain.Task, error) { t, err := r.Task(ctx, id); return t.V, err }}
type TaskFuncs struct {
	DispatchFunc func(ctx context.Context, taskID, executor string) (bool, error)
	FinishFunc   func(ctx context.Context, taskID string, st domain.TaskStatus, msg string) error
	TaskFunc     func(ctx context.Context, taskID string) (domain.Task, error)
}

// Dispatch calls DispatchFunc.
func (f TaskFuncs) Dispatch(ctx context.Context, taskID, executor string) (bool, error) {
	return f.DispatchFunc(ctx, taskID, executor)
}

// Finish calls FinishFunc.
func (f TaskFuncs) Finish(ctx context.Context, taskID string, st domain.TaskStatus, msg string) error {
	return f.FinishFunc(ctx, taskID, st, msg)
}

// Task calls TaskFunc.
func (f TaskFuncs) Task(ctx context.Context, taskID string) (domain.Task, error) {
	return f.TaskFunc(ctx, taskID)
}

// Tokens mints task tokens; *tasktoken.Issuer is one.
type Tokens interface {
	Mint(taskID string, ttl time.Duration) string
}

// Options configure an Executor. Tasks, Tokens and Command are required.
type Options struct {
	Tasks  Tasks
	Tokens Tokens
	// Command is the runner command, e.g. {"/usr/local/bin/caravan", "runner"}; the task's flags follow it.
	Command []string
	// APIURL is the server URL runners report to.
	APIURL string
	// WorkRoot holds the per-task work directories (<WorkRoot>/<task id>/) and runner logs
	// (<WorkRoot>/<task id>.log). Default: <os.TempDir()>/caravan-tasks.
	WorkRoot string
	// DockerMode is passed as --docker-mode when set (auto or host).
	DockerMode string
	// Concurrency is how many runners may run at once (default runtime.NumCPU()).
	Concurrency int
	// TokenTTL is the lifetime of a minted token (default 15 minutes; the runner renews it).
	TokenTTL time.Duration
	// CancelPoll is how often a running task is checked for a cancel (default 2 s).
	CancelPoll time.Duration
	// KillGrace is how long a canceled runner may take to stop by itself before SIGTERM, and then before
	// SIGKILL (default 10 s).
	KillGrace time.Duration
	// Env is extra environment for runners, added to the server's environment minus CARAVAN_* variables.
	Env []string
	// KillOnShutdown makes Shutdown terminate the runners and wait for them instead of leaving them running.
	KillOnShutdown bool
	Log            *slog.Logger
}

// Executor starts runners as child processes. Safe for concurrent use.
type Executor struct {
	o     Options
	log   *slog.Logger
	slots chan struct{}
	stop  chan struct{}

	mu       sync.Mutex
	closed   bool
	children map[string]*child
	inflight sync.WaitGroup // Handle calls past the closed check
	watchers sync.WaitGroup
}

// New returns an Executor with o's zero values replaced by defaults.
func New(o Options) *Executor {
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.NumCPU()
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 15 * time.Minute
	}
	if o.CancelPoll <= 0 {
		o.CancelPoll = 2 * time.Second
	}
	if o.KillGrace <= 0 {
		o.KillGrace = 10 * time.Second
	}
	if o.WorkRoot == "" {
		o.WorkRoot = filepath.Join(os.TempDir(), "caravan-tasks")
	}
	if abs, err := filepath.Abs(o.WorkRoot); err == nil {
		o.WorkRoot = abs
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Executor{o: o, log: o.Log, slots: make(chan struct{}, o.Concurrency), stop: make(chan struct{}),
		children: map[string]*child{}}
}

// Handle is the handler of domain.TopicRuns. It returns once the runner has started (or was not needed); a
// message that can never be run is rejected with queue.Permanent. While all slots are busy it blocks, and
// the message stays leased.
func (e *Executor) Handle(ctx context.Context, d queue.Delivery) error {
	var m domain.RunMsg
	if err := json.Unmarshal(d.Body, &m); err != nil {
		return queue.Permanent(fmt.Errorf("procexec: decode run message %s: %w", d.ID, err))
	}
	if err := checkTaskID(m.TaskID); err != nil {
		return queue.Permanent(fmt.Errorf("procexec: run message %s: %w", d.ID, err))
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return fmt.Errorf("run task %s: %w", m.TaskID, ErrClosed)
	}
	e.inflight.Add(1)
	e.mu.Unlock()
	defer e.inflight.Done()

	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("run task %s: waiting for a free slot: %w", m.TaskID, ctx.Err())
	case <-e.stop:
		return fmt.Errorf("run task %s: %w", m.TaskID, ErrClosed)
	}
	ok, err := e.o.Tasks.Dispatch(ctx, m.TaskID, ExecutorName)
	if err != nil {
		<-e.slots
		return fmt.Errorf("dispatch task %s: %w", m.TaskID, err)
	}
	if !ok {
		<-e.slots
		e.log.Info("run message dropped: task already dispatched, ended or canceled", "task", m.TaskID)
		return nil
	}
	c, err := e.start(m.TaskID)
	if err != nil {
		<-e.slots
		e.log.Error("runner could not start", "task", m.TaskID, "err", err)
		if ferr := e.o.Tasks.Finish(ctx, m.TaskID, domain.TaskInfrastructureFail,
			"runner could not start: "+err.Error()); ferr != nil {
			e.log.Error("task not ended after a failed start", "task", m.TaskID, "err", ferr)
		}
		return nil
	}
	e.mu.Lock()
	e.children[m.TaskID] = c
	e.watchers.Add(1)
	e.mu.Unlock()
	e.log.Info("runner started", "task", m.TaskID, "pid", c.cmd.Process.Pid, "attempt", m.Attempt)
	go e.watch(c)
	return nil
}

// checkTaskID rejects ids that are not a single safe path element.
func checkTaskID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`+"\x00") {
		return fmt.Errorf("bad task id %q", id)
	}
	return nil
}

// Running reports how many runners are running.
func (e *Executor) Running() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.children)
}

// Shutdown stops taking messages: Handle calls waiting for a slot return ErrClosed, and later ones too.
// Running runners are left running (they finish and report to the next server) and are no longer watched,
// unless Options.KillOnShutdown is set: then their process groups get SIGTERM, SIGKILL after KillGrace, and
// Shutdown waits for them to exit and their tasks to be ended. It returns ctx.Err() if ctx ends first.
func (e *Executor) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		close(e.stop)
	}
	e.mu.Unlock()
	if err := waitCtx(ctx, &e.inflight); err != nil {
		return fmt.Errorf("procexec shutdown: %w", err)
	}
	if !e.o.KillOnShutdown {
		return nil
	}
	if err := waitCtx(ctx, &e.watchers); err != nil {
		return fmt.Errorf("procexec shutdown: waiting for runners: %w", err)
	}
	return nil
}

func waitCtx(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// childEnv is the environment of a runner: the server's minus CARAVAN_*, then extra, then the token.
func childEnv(extra []string, token string) []string {
	env := make([]string, 0, len(os.Environ())+len(extra)+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CARAVAN_") {
			env = append(env, kv)
		}
	}
	for _, kv := range extra {
		if !strings.HasPrefix(kv, TokenEnv+"=") {
			env = append(env, kv)
		}
	}
	return append(env, TokenEnv+"="+token)
}
