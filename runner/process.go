package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// process is a step's shell running in its own process group, so a cancel or a timeout reaches every process
// the step started.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done closes
	once sync.Once
}

// activityWriter records the time of the last write, for no_output_timeout.
type activityWriter struct {
	w    io.Writer
	last atomic.Int64
}

func (a *activityWriter) Write(p []byte) (int, error) {
	a.last.Store(time.Now().UnixNano())
	return a.w.Write(p)
}

// startProcess starts argv with env in dir; output goes to out.
func startProcess(argv, env []string, dir string, stdin io.Reader, out io.Writer) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, dir, stdin, out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A step may leave a child holding its output open (`server &`); stop waiting for it shortly after the shell
	// itself has exited.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// signal sends sig to the whole process group.
func (p *process) signal(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

// terminate sends SIGTERM to the group, then SIGKILL after grace, and waits for the shell to exit.
func (p *process) terminate(grace time.Duration) {
	p.once.Do(func() {
		p.signal(syscall.SIGTERM)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
		}
		p.signal(syscall.SIGKILL)
		<-p.done
	})
}

// errNoOutput is returned when a step printed nothing for longer than its no_output_timeout.
var errNoOutput = errors.New("too long with no output")

// wait waits for the process, killing its group when ctx ends or when act shows no output for noOutput.
// It returns the exit code (-1 when killed by a signal) and why it was stopped, if it was.
func (p *process) wait(ctx context.Context, act *activityWriter, noOutput, grace time.Duration) (int, error) {
	var tick <-chan time.Time
	if noOutput > 0 && act != nil {
		t := time.NewTicker(min(noOutput/4+time.Millisecond, time.Second))
		defer t.Stop()
		tick = t.C
	}
	var stopped error
loop:
	for {
		select {
		case <-p.done:
			break loop
		case <-ctx.Done():
			stopped = context.Cause(ctx)
			p.terminate(grace)
			break loop
		case <-tick:
			if time.Since(time.Unix(0, act.last.Load())) > noOutput {
				stopped = fmt.Errorf("%w (exceeded %s)", errNoOutput, noOutput)
				p.terminate(grace)
				break loop
			}
		}
	}
	<-p.done
	code := p.cmd.ProcessState.ExitCode()
	if stopped != nil {
		return code, stopped
	}
	if p.err != nil && !errors.Is(p.err, exec.ErrWaitDelay) {
		var ee *exec.ExitError
		if !errors.As(p.err, &ee) {
			return code, p.err
		}
	}
	return code, nil
}
