package procexec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
)

func TestStartsRunnerWithTokenOnlyInEnv(t *testing.T) {
	t.Setenv("CARAVAN_LEAKY_SETTING", "server-only")
	e, ft, dir := setup(t, `printf '%s\n' "$@" > "$FAKE_DIR/args"
env > "$FAKE_DIR/env"
echo "runner output"
touch "$FAKE_DIR/$TASK.completed"
`, nil)
	if err := e.Handle(t.Context(), runMsg(t, "job1-0")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() bool { return e.Running() == 0 })
	args, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work", "job1-0")
	want := []string{"runner", "--api-url", "http://127.0.0.1:1", "--task-id", "job1-0", "--work-dir", work,
		"--docker-mode", "host"}
	if got := strings.Split(strings.TrimSpace(string(args)), "\n"); !slices.Equal(got, want) {
		t.Errorf("argv = %q, want %q", got, want)
	}
	if strings.Contains(string(args), "s3cr3t") {
		t.Error("token on the command line")
	}
	env, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(env), "\n")
	if !slices.Contains(lines, "CARAVAN_TASK_TOKEN=tok-job1-0-15-s3cr3t") {
		t.Errorf("token not in the runner's environment:\n%s", env)
	}
	if !slices.Contains(lines, "FAKE_DIR="+dir) || strings.Contains(string(env), "CARAVAN_LEAKY_SETTING") {
		t.Errorf("environment: want Env added and host CARAVAN_* removed:\n%s", env)
	}
	if st, err := os.Stat(work); err != nil || !st.IsDir() {
		t.Errorf("work dir: %v", err)
	}
	if b, _ := os.ReadFile(work + ".log"); !strings.Contains(string(b), "runner output") {
		t.Errorf("runner log = %q", b)
	}
	if f := ft.finished(); len(f) != 0 {
		t.Errorf("a runner that reported its result was finished by the executor: %+v", f)
	}
}

func TestDuplicateMessageStartsOneRunner(t *testing.T) {
	t.Parallel()
	e, ft, dir := setup(t, `echo start >> "$FAKE_DIR/starts"
sleep 0.2
touch "$FAKE_DIR/$TASK.completed"
`, nil)
	for range 3 {
		if err := e.Handle(t.Context(), runMsg(t, "job1-0")); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, func() bool { return e.Running() == 0 })
	if err := e.Handle(t.Context(), runMsg(t, "job1-0")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "starts"))
	if n := strings.Count(string(b), "start"); n != 1 {
		t.Errorf("runner started %d times, want 1", n)
	}
	if ft.dispatches("job1-0") != 4 {
		t.Errorf("dispatch calls = %d", ft.dispatches("job1-0"))
	}
}

func TestExitWithoutResultIsInfrastructureFail(t *testing.T) {
	t.Parallel()
	e, ft, _ := setup(t, `echo "claim failed: boom" >&2
exit 3
`, nil)
	if err := e.Handle(t.Context(), runMsg(t, "job1-0")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() bool { return len(ft.finished()) == 1 })
	f := ft.finished()[0]
	if f.taskID != "job1-0" || f.status != domain.TaskInfrastructureFail ||
		!strings.Contains(f.msg, "the runner exited with exit code 3 before reporting a result") ||
		!strings.Contains(f.msg, "claim failed: boom") {
		t.Errorf("finish = %+v", f)
	}
	eventually(t, time.Second, func() bool { return e.Running() == 0 })
}

// cancelScript starts a child sleep in the runner's process group and waits for it.
const cancelScript = `sleep 300 &
echo $! > "$FAKE_DIR/child.pid"
echo $$ > "$FAKE_DIR/runner.pid"
wait
`

func TestCancelKillsProcessGroup(t *testing.T) {
	t.Parallel()
	e, ft, dir := setup(t, cancelScript, nil)
	testCancel(t, e, ft, dir, "signal terminated")
}

func TestCancelEscalatesToSIGKILL(t *testing.T) {
	t.Parallel()
	e, ft, dir := setup(t, "trap '' TERM\n"+cancelScript, nil)
	testCancel(t, e, ft, dir, "signal killed")
}

func testCancel(t *testing.T, e *Executor, ft *fakeTasks, dir, status string) {
	t.Helper()
	if err := e.Handle(t.Context(), runMsg(t, "job1-0")); err != nil {
		t.Fatal(err)
	}
	runner, sleeper := readPid(t, filepath.Join(dir, "runner.pid")), readPid(t, filepath.Join(dir, "child.pid"))
	time.Sleep(100 * time.Millisecond) // several cancel polls
	if !alive(runner) || !alive(sleeper) || e.Running() != 1 {
		t.Fatal("runner stopped before its task was canceled")
	}
	canceledAt := time.Now()
	ft.cancel("job1-0")
	eventually(t, 5*time.Second, func() bool { return len(ft.finished()) == 1 })
	f := ft.finished()[0]
	if f.at.Sub(canceledAt) < 200*time.Millisecond {
		t.Errorf("runner stopped %v after the cancel, before its grace", f.at.Sub(canceledAt))
	}
	if !strings.Contains(f.msg, "the task was canceled; the runner exited with "+status) {
		t.Errorf("finish = %+v", f)
	}
	if st, _ := ft.Task(t.Context(), "job1-0"); st.Status != domain.TaskCanceled {
		t.Errorf("task status = %s", st.Status)
	}
	eventually(t, 2*time.Second, func() bool { return !alive(runner) && !alive(sleeper) })
	if e.Running() != 0 {
		t.Errorf("Running = %d", e.Running())
	}
}

// waitScript runs until $FAKE_DIR/release-$TASK exists, then reports.
const waitScript = `while [ ! -e "$FAKE_DIR/release-$TASK" ]; do sleep 0.02; done
touch "$FAKE_DIR/$TASK.completed"
`

func release(t *testing.T, dir, taskID string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "release-"+taskID), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	e, ft, dir := setup(t, waitScript, func(o *Options) { o.Concurrency = 1 })
	if err := e.Handle(t.Context(), runMsg(t, "job1-0")); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() { second <- e.Handle(t.Context(), runMsg(t, "job1-1")) }()
	select {
	case err := <-second:
		t.Fatalf("Handle returned while the only slot was busy: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := e.Handle(ctx, runMsg(t, "job1-2")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Handle with an ending context = %v", err)
	}
	if e.Running() != 1 || ft.dispatches("job1-1") != 0 || ft.dispatches("job1-2") != 0 {
		t.Errorf("running %d", e.Running())
	}
	release(t, dir, "job1-0")
	select {
	case err := <-second:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Handle still blocked after the slot was freed")
	}
	if e.Running() != 1 {
		t.Errorf("Running = %d, want 1", e.Running())
	}
	release(t, dir, "job1-1")
	eventually(t, 5*time.Second, func() bool { return e.Running() == 0 })
	if f := ft.finished(); len(f) != 0 {
		t.Errorf("finishes = %+v", f)
	}
}

func TestStartFailure(t *testing.T) {
	t.Parallel()
	e, ft, _ := setup(t, "", func(o *Options) {
		o.Command, o.Concurrency = []string{"/nonexistent/caravan", "runner"}, 1
	})
	for _, id := range []string{"job1-0", "job1-1"} { // the slot is given back
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		err := e.Handle(ctx, runMsg(t, id))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	f := ft.finished()
	if len(f) != 2 || f[0].status != domain.TaskInfrastructureFail ||
		!strings.HasPrefix(f[0].msg, "runner could not start: ") || !strings.Contains(f[0].msg, "/nonexistent/caravan") {
		t.Errorf("finishes = %+v", f)
	}
	if e.Running() != 0 {
		t.Errorf("Running = %d", e.Running())
	}
}

func TestBadMessagesArePermanent(t *testing.T) {
	t.Parallel()
	e, ft, _ := setup(t, "", nil)
	bodies := []string{`not json`, `{"task_id":""}`, `{"task_id":"../etc"}`, `{"task_id":"a/b-0"}`, `{"task_id":".."}`}
	for _, b := range bodies {
		err := e.Handle(t.Context(), queue.Delivery{ID: "m", Body: []byte(b)})
		if !queue.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", b, err)
		}
	}
	if ft.dispatches("") != 0 || ft.dispatches("..") != 0 {
		t.Error("a bad message was dispatched")
	}
}
