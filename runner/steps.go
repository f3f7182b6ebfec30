package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// defaultNoOutputTimeout is CircleCI's no_output_timeout default.
const defaultNoOutputTimeout = 10 * time.Minute

// runStep reports a step's start and end around its execution. Background steps report their end when they exit.
func (j *job) runStep(ctx context.Context, index int, st plan.Step) error {
	name := stepName(st)
	ev := taskapi.StepEvent{Index: index, Name: name, Type: st.Type, Phase: taskapi.PhaseStart,
		Background: st.Background, Time: time.Now()}
	j.event(ctx, ev)
	out := j.stream.Step(index)
	if st.Type == plan.StepRun && st.Background {
		return j.startBackground(ctx, index, st, ev, out)
	}
	j.curStep = index
	code, err := j.execStep(ctx, st, out)
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(out, "%s\n", j.mask(capitalize(err.Error())))
	}
	if cerr := out.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("output of the step was not delivered: %w", cerr)
	}
	j.endEvent(ctx, ev, code, err)
	return err
}

func (j *job) endEvent(ctx context.Context, ev taskapi.StepEvent, code *int, err error) {
	ev.Phase, ev.Time, ev.ExitCode, ev.Status = taskapi.PhaseEnd, time.Now(), code, taskapi.StatusSuccess
	if err != nil {
		ev.Status, ev.Message = taskapi.StatusFailed, j.mask(err.Error())
		if ctx.Err() != nil {
			ev.Status = statusOf(ctx, taskapi.StatusFailed)
		}
	}
	j.event(ctx, ev)
}

// event reports a step event. It survives the job's context ending (the end of a cancelled step still counts);
// the client retries through outages.
func (j *job) event(ctx context.Context, ev taskapi.StepEvent) {
	if err := j.api.StepEvent(context.WithoutCancel(ctx), ev); err != nil {
		j.log.Error("step event not delivered", "step", ev.Index, "phase", ev.Phase, "err", j.mask(err.Error()))
	}
}

// execStep runs one step. The exit code is set for run steps.
func (j *job) execStep(ctx context.Context, st plan.Step, out io.Writer) (*int, error) {
	switch st.Type {
	case plan.StepRun:
		return j.runShell(ctx, st, out)
	case plan.StepCheckout:
		return nil, j.checkout(ctx, st, out)
	case plan.StepSaveCache:
		return nil, j.saveCache(ctx, st, out)
	case plan.StepRestoreCache:
		return nil, j.restoreCache(ctx, st, out)
	case plan.StepPersistToWorkspace:
		return nil, j.persist(ctx, st, out)
	case plan.StepAttachWorkspace:
		return nil, j.attach(ctx, st, out)
	case plan.StepStoreArtifacts:
		return nil, j.storeArtifacts(ctx, st, out)
	case plan.StepStoreTestResults:
		return nil, j.storeTestResults(ctx, st, out)
	case plan.StepAddSSHKeys:
		return nil, j.addSSHKeys(st, out)
	case plan.StepSetupRemoteDocker:
		return nil, j.setupRemoteDocker(ctx, st, out)
	}
	return nil, fmt.Errorf("unknown step type %q", st.Type)
}

// runShell runs a run step's command in a fresh shell.
func (j *job) runShell(ctx context.Context, st plan.Step, out io.Writer) (*int, error) {
	p, act, err := j.spawn(st, out)
	if err != nil {
		return nil, err
	}
	noOutput := defaultNoOutputTimeout
	if d := time.Duration(j.task.NoOutputTimeout); d > 0 {
		noOutput = d
	}
	if st.NoOutputTimeout != "" {
		if noOutput, err = parseDuration(st.NoOutputTimeout); err != nil {
			p.terminate(j.cfg.KillGrace)
			return nil, err
		}
	}
	j.track(p)
	code, err := p.wait(ctx, act, noOutput, j.cfg.KillGrace)
	if err != nil {
		return &code, err
	}
	if code != 0 {
		return &code, fmt.Errorf("exited with code %d", code)
	}
	return &code, nil
}

// spawn writes the step's script and starts its shell.
func (j *job) spawn(st plan.Step, out io.Writer) (*process, *activityWriter, error) {
	dir := j.workDir
	if st.WorkingDir != "" {
		dir = expandHome(st.WorkingDir, j.home)
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(j.workDir, dir)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create working directory: %w", err)
	}
	shell := orDefault(st.Shell, j.task.Job.Shell)
	if shell == "" {
		shell = "/bin/sh -eo pipefail"
		if j.hasBash {
			shell = "/bin/bash -eo pipefail"
		}
	}
	argv := strings.Fields(shell)
	script := st.Command
	// bash reads $BASH_ENV on its own (posixShell excludes it); other POSIX shells are told to.
	if posixShell(argv[0]) {
		script = "if [ -f \"$BASH_ENV\" ]; then . \"$BASH_ENV\"; fi\n" + script
	}
	f, err := os.CreateTemp(j.data, "step-*.sh")
	if err != nil {
		return nil, nil, fmt.Errorf("write step script: %w", err)
	}
	_, err = f.WriteString(script)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, fmt.Errorf("write step script: %w", err)
	}
	env := j.env
	if len(st.Environment) > 0 {
		env = env.clone()
		for k, v := range st.Environment {
			env.set(k, v, "step")
		}
	}
	act := &activityWriter{w: out}
	act.last.Store(time.Now().UnixNano())
	p, err := startProcess(append(argv, f.Name()), env.list(), dir, nil, act)
	if err != nil {
		return nil, nil, err
	}
	return p, act, nil
}

func posixShell(shell string) bool {
	switch filepath.Base(shell) {
	case "sh", "dash", "ash", "ksh", "zsh", "mksh", "busybox":
		return true
	}
	return false
}

// startBackground starts a background step; its end is reported when it exits or when the job ends.
func (j *job) startBackground(ctx context.Context, index int, st plan.Step, ev taskapi.StepEvent,
	out io.WriteCloser) error {
	p, _, err := j.spawn(st, out)
	if err != nil {
		out.Close()
		j.endEvent(ctx, ev, nil, err)
		return err
	}
	j.track(p)
	j.bgDone.Add(1)
	go func() {
		defer j.bgDone.Done()
		<-p.done
		code := p.cmd.ProcessState.ExitCode()
		var err error
		if code != 0 {
			err = fmt.Errorf("background step exited with code %d", code)
		}
		out.Close()
		j.endEvent(context.WithoutCancel(ctx), ev, &code, err)
	}()
	return nil
}

// track remembers a step's process group, so the job's end reaches whatever it left running.
func (j *job) track(p *process) {
	j.mu.Lock()
	j.background = append(j.background, p)
	j.mu.Unlock()
}

// stopBackground ends background steps and any process a step left behind, then waits for their reports.
func (j *job) stopBackground() {
	j.mu.Lock()
	procs := j.background
	j.mu.Unlock()
	for _, p := range procs {
		p.signal(15) // SIGTERM to every group, at once
	}
	for _, p := range procs {
		p.terminate(j.cfg.KillGrace)
	}
	j.bgDone.Wait()
}

// parseDuration reads CircleCI durations: "20m", "1.25h", "5s", "90" (seconds).
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: use a number with a unit such as 20m, 1.25h or 5s", s)
	}
	return d, nil
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-32) + s[1:]
}

// stepName is the name CircleCI shows for a step.
func stepName(st plan.Step) string {
	if st.Name != "" {
		return st.Name
	}
	switch st.Type {
	case plan.StepRun:
		return st.Command
	case plan.StepCheckout:
		return "Checkout code"
	case plan.StepSaveCache:
		return "Saving cache"
	case plan.StepRestoreCache:
		return "Restoring cache"
	case plan.StepPersistToWorkspace:
		return "Persisting to workspace"
	case plan.StepAttachWorkspace:
		return "Attaching workspace"
	case plan.StepStoreArtifacts:
		return "Uploading artifacts"
	case plan.StepStoreTestResults:
		return "Uploading test results"
	case plan.StepAddSSHKeys:
		return "Add SSH keys"
	case plan.StepSetupRemoteDocker:
		return "Setup a remote Docker engine"
	}
	return st.Type
}
