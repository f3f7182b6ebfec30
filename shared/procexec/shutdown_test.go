package procexec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
)

func TestShutdownLeavesRunnersRunning(t *testing.T) {
	t.Parallel()
	e, ft, dir := setup(t, cancelScript, func(o *Options) { o.Concurrency = 1 })
	if err := e.Handle(t.Context(), runMsg(t, "job1-0")); err != nil {
		t.Fatal(err)
	}
	runner := readPid(t, filepath.Join(dir, "runner.pid"))
	waiting := make(chan error, 1)
	go func() { waiting <- e.Handle(t.Context(), runMsg(t, "job1-1")) }() // blocked on the only slot
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-waiting; !errors.Is(err, ErrClosed) || queue.IsPermanent(err) {
		t.Errorf("waiting Handle = %v, want ErrClosed (retryable)", err)
	}
	if err := e.Handle(t.Context(), runMsg(t, "job1-2")); !errors.Is(err, ErrClosed) {
		t.Errorf("Handle after Shutdown = %v", err)
	}
	ft.cancel("job1-0") // no longer watched: nobody stops it
	time.Sleep(400 * time.Millisecond)
	if !alive(runner) || e.Running() != 1 {
		t.Fatal("Shutdown stopped a runner")
	}
	_ = syscall.Kill(-runner, syscall.SIGKILL)
	eventually(t, 5*time.Second, func() bool { return e.Running() == 0 })
	if f := ft.finished(); len(f) != 0 {
		t.Errorf("a detached runner's task was finished: %+v", f)
	}
}

func TestKillOnShutdown(t *testing.T) {
	t.Parallel()
	e, ft, dir := setup(t, "trap '' TERM\n"+cancelScript, func(o *Options) { o.KillOnShutdown = true })
	if err := e.Handle(t.Context(), runMsg(t, "job1-0")); err != nil {
		t.Fatal(err)
	}
	runner, sleeper := readPid(t, filepath.Join(dir, "runner.pid")), readPid(t, filepath.Join(dir, "child.pid"))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if e.Running() != 0 {
		t.Errorf("Running = %d after Shutdown", e.Running())
	}
	f := ft.finished()
	if len(f) != 1 || !strings.Contains(f[0].msg, "the server shut down; the runner exited with signal killed") {
		t.Errorf("finishes = %+v", f)
	}
	eventually(t, 2*time.Second, func() bool { return !alive(runner) && !alive(sleeper) })
}

func TestTailLog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "log")
	var b strings.Builder
	for i := range 1000 {
		b.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(tailLog(path), "\n")
	if len(got) != tailLines || got[0] != "line 990" || got[9] != "line 999" {
		t.Errorf("tail = %q", got)
	}
	if tailLog(filepath.Join(t.TempDir(), "missing")) != "" {
		t.Error("tail of a missing log")
	}
}
