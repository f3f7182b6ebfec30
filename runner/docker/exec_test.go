package docker

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// startEnv starts a one-container environment on a fake engine. PID files
// of the exec wrapper go to a temporary directory, since the fake runs
// execs on the host.
func startEnv(t *testing.T, f *fakeEngine, grace time.Duration) *Env {
	t.Helper()
	f.locked(func() { f.remote["cimg/base:current"] = fakeRemote{} })
	env, err := f.client().Start(context.Background(), EnvSpec{TaskID: "t1",
		Images: []Image{{Image: "cimg/base:current"}}, KillGrace: grace})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	env.pidDir = t.TempDir()
	t.Cleanup(func() { _ = env.Close(context.Background()) })
	return env
}

func TestExec(t *testing.T) {
	for _, tt := range []struct {
		name            string
		rawExec, lateEx bool
	}{{"101 upgrade", false, false}, {"200 raw stream", true, false}, {"exit recorded late", false, true}} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(t)
			f.locked(func() { f.rawExec, f.lateExit = tt.rawExec, tt.lateEx })
			env := startEnv(t, f, 0)
			dir := t.TempDir()
			cmd := []string{"/bin/sh", "-c", `echo out; echo err >&2; echo "$FOO"; pwd; exit 3`}
			var stdout, stderr bytes.Buffer
			code, err := env.Exec(context.Background(), cmd, []string{"FOO=bar baz"}, dir, "circleci", &stdout, &stderr)
			if err != nil {
				t.Fatalf("Exec: %v", err)
			}
			if code != 3 {
				t.Errorf("exit code %d, want 3", code)
			}
			if want := "out\nbar baz\n" + dir + "\n"; stdout.String() != want {
				t.Errorf("stdout %q, want %q", stdout.String(), want)
			}
			if stderr.String() != "err\n" {
				t.Errorf("stderr %q, want %q", stderr.String(), "err\n")
			}
			execs := f.execsSnapshot()
			if len(execs) != 1 {
				t.Fatalf("%d execs, want 1", len(execs))
			}
			b := execs[0].body
			if got := b.Cmd[len(b.Cmd)-len(cmd):]; b.Cmd[0] != "/bin/sh" || !cmp.Equal(got, cmd) {
				t.Errorf("exec Cmd %q does not wrap %q", b.Cmd, cmd)
			}
			b.Cmd = nil
			want := execBody{AttachStdout: true, AttachStderr: true, Env: []string{"FOO=bar baz"}, WorkingDir: dir, User: "circleci"}
			if diff := cmp.Diff(want, b); diff != "" {
				t.Errorf("exec create body (-want +got):\n%s", diff)
			}
			if execs[0].container != env.PrimaryID() {
				t.Errorf("exec ran in %s, want the primary", execs[0].container)
			}
		})
	}
}

func TestExecLargeOutput(t *testing.T) {
	env := startEnv(t, newFakeEngine(t), 0)
	var stdout, stderr bytes.Buffer
	code, err := env.Exec(context.Background(), []string{"/bin/sh", "-c",
		"head -c 300000 /dev/zero | tr '\\0' o; head -c 70000 /dev/zero | tr '\\0' e >&2"},
		nil, "", "", &stdout, &stderr)
	if err != nil || code != 0 {
		t.Fatalf("Exec = %d, %v", code, err)
	}
	if stdout.Len() != 300000 || strings.Trim(stdout.String(), "o") != "" {
		t.Errorf("stdout: %d bytes", stdout.Len())
	}
	if stderr.Len() != 70000 || strings.Trim(stderr.String(), "e") != "" {
		t.Errorf("stderr: %d bytes", stderr.Len())
	}
}

// startedWriter signals on its first write.
type startedWriter struct {
	once    sync.Once
	started chan struct{}
}

func (w *startedWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.started) })
	return len(p), nil
}

func TestExecCancel(t *testing.T) {
	tests := []struct {
		name        string
		script      string
		grace       time.Duration
		wantSignals []string
		wantCode    int
	}{
		// SIGTERM to the process group stops the shell and its sleep.
		{"term", "echo started; sleep 30", 20 * time.Second, []string{"TERM"}, 128 + 15},
		// Ignoring SIGTERM (inherited by sleep) leads to SIGKILL.
		{"kill", "trap '' TERM; echo started; sleep 30", 300 * time.Millisecond, []string{"TERM", "KILL"}, 128 + 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(t)
			env := startEnv(t, f, tt.grace)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w := &startedWriter{started: make(chan struct{})}
			go func() {
				select {
				case <-w.started:
				case <-time.After(10 * time.Second):
				}
				cancel()
			}()
			begin := time.Now()
			code, err := env.Exec(ctx, []string{"/bin/sh", "-c", tt.script}, nil, "", "", w, nil)
			if elapsed := time.Since(begin); elapsed > 8*time.Second {
				t.Errorf("Exec took %v after cancel", elapsed)
			}
			if code != -1 || !errors.Is(err, context.Canceled) {
				t.Fatalf("Exec = %d, %v; want -1 and context.Canceled", code, err)
			}
			execs := f.execsSnapshot()
			var signals []string
			for _, ex := range execs[1:] {
				if n := len(ex.body.Cmd); n < 2 || ex.body.Cmd[n-2] == "" {
					t.Fatalf("unexpected exec %q", ex.body.Cmd)
				}
				signals = append(signals, ex.body.Cmd[len(ex.body.Cmd)-2])
			}
			if diff := cmp.Diff(tt.wantSignals, signals); diff != "" {
				t.Errorf("signal execs (-want +got):\n%s", diff)
			}
			if step := execs[0]; !step.finished || step.exitCode != tt.wantCode {
				t.Errorf("step exec finished=%v exit=%d, want finished with %d", step.finished, step.exitCode, tt.wantCode)
			}
			// The environment is still usable.
			if code, err := env.Exec(context.Background(), []string{"true"}, nil, "", "", nil, nil); code != 0 || err != nil {
				t.Errorf("Exec after cancel = %d, %v", code, err)
			}
		})
	}
}

func TestExecErrors(t *testing.T) {
	f := newFakeEngine(t)
	env := startEnv(t, f, 0)
	if _, err := env.Exec(context.Background(), nil, nil, "", "", nil, nil); err == nil {
		t.Error("Exec(nil) succeeded")
	}
	// The primary container is gone: the daemon's message surfaces.
	f.locked(func() { delete(f.containers, env.PrimaryID()) })
	_, err := env.Exec(context.Background(), []string{"true"}, nil, "", "", nil, nil)
	want := `exec "true": create exec: No such container: ` + env.PrimaryID() + " (HTTP 404)"
	if err == nil || err.Error() != want {
		t.Errorf("Exec error = %v, want %q", err, want)
	}
	// Close tolerates containers already removed.
	if err := env.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
}
