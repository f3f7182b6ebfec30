package procexec

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
)

// fakeTasks is the task state of the tests. A task counts as completed by its runner when the file
// <dir>/<task>.completed exists (the fake runner's way of reporting).
type fakeTasks struct {
	dir string

	mu         sync.Mutex
	dispatched map[string]int
	canceled   map[string]bool
	ended      map[string]domain.TaskStatus
	finishes   []finish
}

type finish struct {
	taskID string
	status domain.TaskStatus
	msg    string
	at     time.Time
}

func newFakeTasks(dir string) *fakeTasks {
	return &fakeTasks{dir: dir, dispatched: map[string]int{}, canceled: map[string]bool{},
		ended: map[string]domain.TaskStatus{}}
}

func (f *fakeTasks) Dispatch(_ context.Context, taskID, executor string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if executor != ExecutorName {
		return false, errors.New("unexpected executor " + executor)
	}
	f.dispatched[taskID]++
	return f.dispatched[taskID] == 1 && !f.canceled[taskID], nil
}

func (f *fakeTasks) Finish(_ context.Context, taskID string, st domain.TaskStatus, msg string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finishes = append(f.finishes, finish{taskID, st, msg, time.Now()})
	if _, ok := f.ended[taskID]; !ok {
		if f.canceled[taskID] && st != domain.TaskSuccess {
			st = domain.TaskCanceled
		}
		f.ended[taskID] = st
	}
	return nil
}

func (f *fakeTasks) Task(_ context.Context, taskID string) (domain.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := domain.Task{ID: taskID, Status: domain.TaskQueued, Canceled: f.canceled[taskID]}
	if f.dispatched[taskID] > 0 {
		t.Status = domain.TaskRunning
	}
	if st, ok := f.ended[taskID]; ok {
		t.Status = st
	} else if _, err := os.Stat(filepath.Join(f.dir, taskID+".completed")); err == nil {
		t.Status = domain.TaskSuccess
	}
	return t, nil
}

func (f *fakeTasks) cancel(taskID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.canceled[taskID] = true
}

func (f *fakeTasks) finished() []finish {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]finish(nil), f.finishes...)
}

type fakeTokens struct{}

func (fakeTokens) Mint(taskID string, ttl time.Duration) string {
	return "tok-" + taskID + "-" + strconv.Itoa(int(ttl.Minutes())) + "-s3cr3t"
}

// prelude makes a fake runner find its task id in $TASK.
const prelude = `#!/bin/sh
for a in "$@"; do [ "$prev" = --task-id ] && TASK="$a"; prev="$a"; done
`

// setup writes script as the fake runner and returns an executor over it, its tasks and the scripts'
// directory (also $FAKE_DIR in the runner).
func setup(t *testing.T, script string, mod func(*Options)) (*Executor, *fakeTasks, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "runner.sh")
	if err := os.WriteFile(path, []byte(prelude+script), 0o755); err != nil {
		t.Fatal(err)
	}
	ft := newFakeTasks(dir)
	o := Options{Tasks: ft, Tokens: fakeTokens{}, Command: []string{path, "runner"}, APIURL: "http://127.0.0.1:1",
		WorkRoot: filepath.Join(dir, "work"), DockerMode: "host", Concurrency: 4, CancelPoll: 20 * time.Millisecond,
		KillGrace: 200 * time.Millisecond, Env: []string{"FAKE_DIR=" + dir}}
	if mod != nil {
		mod(&o)
	}
	e := New(o)
	t.Cleanup(func() {
		e.mu.Lock()
		for _, c := range e.children {
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		}
		e.mu.Unlock()
		eventually(t, 5*time.Second, func() bool { return e.Running() == 0 })
	})
	return e, ft, dir
}

func runMsg(t *testing.T, taskID string) queue.Delivery {
	t.Helper()
	b, err := json.Marshal(domain.RunMsg{TaskID: taskID, JobID: "job", WorkflowID: "wf", Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	return queue.Delivery{Topic: domain.TopicRuns, ID: "m-" + taskID, Body: b, Attempt: 1, Handle: "h"}
}

func eventually(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readPid waits for a pid file written by a fake runner.
func readPid(t *testing.T, path string) int {
	t.Helper()
	var pid int
	eventually(t, 5*time.Second, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return pid
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if _, serr := os.Stat("/proc/self/stat"); serr == nil {
			return false // /proc works and the process is gone
		}
		return syscall.Kill(pid, 0) == nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

func (f *fakeTasks) dispatches(taskID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dispatched[taskID]
}
