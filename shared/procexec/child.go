package procexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
)

// Bounds of the log excerpt put in an infrastructure_fail message.
const (
	tailBytes = 4 << 10
	tailLines = 10
	// callTimeout bounds one call to Tasks from a watcher.
	callTimeout = 30 * time.Second
)

// child is one running runner.
type child struct {
	taskID  string
	cmd     *exec.Cmd
	out     *os.File
	logPath string
}

// start creates the task's work directory and log file and starts the runner in its own process group.
func (e *Executor) start(taskID string) (*child, error) {
	if len(e.o.Command) == 0 || e.o.Command[0] == "" {
		return nil, errors.New("no runner command configured")
	}
	work := filepath.Join(e.o.WorkRoot, taskID)
	if err := os.MkdirAll(work, 0o700); err != nil {
		return nil, fmt.Errorf("create work directory: %w", err)
	}
	logPath := work + ".log"
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open runner log: %w", err)
	}
	args := append(slices.Clone(e.o.Command[1:]), "--api-url", e.o.APIURL, "--task-id", taskID, "--work-dir", work)
	if e.o.DockerMode != "" {
		args = append(args, "--docker-mode", e.o.DockerMode)
	}
	cmd := exec.Command(e.o.Command[0], args...)
	cmd.Env = childEnv(e.o.Env, e.o.Tokens.Mint(taskID, e.o.TokenTTL))
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: signals reach the runner and its helpers together, and a crash of the server
	// (or a Ctrl-C at its terminal) does not take the job down.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("exec runner: %w", err)
	}
	return &child{taskID: taskID, cmd: cmd, out: out, logPath: logPath}, nil
}

// Phases of a watched runner.
const (
	phaseRunning = iota
	phaseCanceled
	phaseTerminated
	phaseKilled
)

// watch follows one runner until it exits: cancel polling, the stop sequence, and the end of a task whose
// runner did not report.
func (e *Executor) watch(c *child) {
	defer e.watchers.Done()
	pid := c.cmd.Process.Pid
	log := e.log.With("task", c.taskID, "pid", pid)
	done := make(chan struct{})
	go func() {
		_ = c.cmd.Wait() // the status is read from ProcessState
		close(done)
	}()
	poll := time.NewTicker(e.o.CancelPoll)
	defer poll.Stop()
	tick, stop := poll.C, e.stop
	var grace <-chan time.Time
	phase, why, detached := phaseRunning, "", false
	terminate := func() {
		signalGroup(log, pid, syscall.SIGTERM)
		phase, grace = phaseTerminated, time.After(e.o.KillGrace)
	}
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick:
			select {
			case <-e.stop: // shutting down: the stop case decides, not a poll racing with it
				continue
			default:
			}
			if e.canceled(c.taskID, log) {
				log.Info("task canceled; waiting for the runner to stop", "grace", e.o.KillGrace)
				tick, why = nil, "the task was canceled; "
				phase, grace = phaseCanceled, time.After(e.o.KillGrace)
			}
		case <-stop:
			stop, tick = nil, nil
			if !e.o.KillOnShutdown {
				detached = true
				log.Info("server shutting down; the runner keeps running and reports to the next server")
				continue
			}
			if why == "" {
				why = "the server shut down; "
			}
			if phase < phaseTerminated {
				terminate()
			}
		case <-grace:
			if phase == phaseCanceled {
				log.Warn("runner still running after a cancel; terminating its process group")
				terminate()
			} else {
				log.Warn("runner did not stop; killing its process group")
				signalGroup(log, pid, syscall.SIGKILL)
				phase, grace = phaseKilled, nil
			}
		}
	}
	c.out.Close()
	if phase != phaseRunning {
		signalGroup(log, pid, syscall.SIGKILL) // whatever the runner left in its group
	}
	e.mu.Lock()
	delete(e.children, c.taskID)
	e.mu.Unlock()
	<-e.slots
	status := describe(c.cmd.ProcessState)
	if detached {
		log.Info("runner exited after shutdown", "status", status)
		return
	}
	e.settle(c, status, why, log)
}

// canceled reports whether the task was canceled; a failed read counts as not canceled.
func (e *Executor) canceled(taskID string, log *slog.Logger) bool {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	t, err := e.o.Tasks.Task(ctx, taskID)
	if err != nil {
		log.Warn("cancel check failed", "err", err)
		return false
	}
	return t.Canceled || t.Status == domain.TaskCanceled
}

// settle ends the task of an exited runner as infrastructure_fail unless it has ended already.
func (e *Executor) settle(c *child, status, why string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	t, err := e.o.Tasks.Task(ctx, c.taskID)
	switch {
	case err != nil:
		log.Warn("task not read after the runner exited; ending it anyway", "err", err)
	case t.Status.Terminal():
		log.Info("runner exited", "status", status, "task_status", t.Status)
		return
	}
	msg := why + "the runner exited with " + status + " before reporting a result"
	if tail := tailLog(c.logPath); tail != "" {
		msg += "\nlast lines of its log:\n" + tail
	}
	log.Warn("runner exited before reporting a result", "status", status)
	for attempt := 1; ; attempt++ {
		err := e.o.Tasks.Finish(ctx, c.taskID, domain.TaskInfrastructureFail, msg)
		if err == nil {
			return
		}
		if attempt == 3 || ctx.Err() != nil {
			log.Error("task not ended after its runner exited; the sweeper will end it", "err", err)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * time.Second):
		}
	}
}

// signalGroup sends sig to the process group pid leads; a group already gone is not an error.
func signalGroup(log *slog.Logger, pid int, sig syscall.Signal) {
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		log.Warn("signal to runner's process group failed", "signal", sig.String(), "err", err)
	}
}

// describe renders an exit status: "exit code 3", "signal killed".
func describe(ps *os.ProcessState) string {
	if ps == nil {
		return "an unknown status"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "signal " + ws.Signal().String()
	}
	return fmt.Sprintf("exit code %d", ps.ExitCode())
}

// tailLog returns the last lines of a runner's log (at most tailLines, from its last tailBytes).
func tailLog(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(st.Size()-tailBytes, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return ""
	}
	s := string(b)
	if off > 0 { // drop the partial first line
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
