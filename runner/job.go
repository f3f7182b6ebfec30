package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caravan-ci/caravan/runner/docker"
	"github.com/caravan-ci/caravan/runner/logstream"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// job is one task being executed.
type job struct {
	cfg    Config
	api    *taskapi.Client
	task   *taskapi.Task
	log    *slog.Logger
	stream *logstream.Streamer
	masker *logstream.Masker

	home      string // HOME of the steps
	data      string // CIRCLE_INTERNAL_TASK_DATA: bash env, agent socket, scripts
	tmp       string // runner-private temporary files (archives, key files)
	bin       string // circleci and circleci-agent
	workDir   string // absolute working directory of the job
	bashEnv   string
	agentDir  string // holds the agent socket
	agentSock string
	env       *environ
	hasBash   bool

	halted  atomic.Bool
	curStep int // index of the foreground step running
	agent   *agent

	runnerID   string
	inner      bool        // inside a docker job's primary container: the outer runner did step 0
	containers *docker.Env // a docker job's containers, when a daemon runs them

	mu         sync.Mutex
	background []*process
	bgDone     sync.WaitGroup
}

func newJob(cfg Config, api *taskapi.Client, task *taskapi.Task) (*job, error) {
	j := &job{cfg: cfg, api: api, task: task, log: cfg.Logger.With("task", task.ID)}
	if task.NodeTotal < 1 {
		task.NodeTotal = 1
	}
	j.masker = logstream.NewMasker(task.Secrets())
	root, err := filepath.Abs(cfg.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	j.home = filepath.Join(root, "home")
	if cfg.Home != "" {
		j.home = cfg.Home
	}
	j.data = filepath.Join(root, "data")
	j.tmp = filepath.Join(root, "tmp")
	j.bin = filepath.Join(j.data, "bin")
	for _, d := range []string{j.home, j.data, j.tmp, j.bin} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create task directory: %w", err)
		}
	}
	j.bashEnv = filepath.Join(j.data, "bash_env")
	if err := os.WriteFile(j.bashEnv, nil, 0o600); err != nil {
		return nil, fmt.Errorf("create BASH_ENV: %w", err)
	}
	if j.agentDir, j.agentSock, err = agentSocketPath(); err != nil {
		return nil, err
	}
	j.workDir = expandHome(orDefault(task.Job.WorkingDir, "~/project"), j.home)
	_, err = os.Stat("/bin/bash")
	j.hasBash = err == nil
	j.env = j.buildEnv()
	return j, nil
}

// run executes the steps and decides the task's status.
func (j *job) run(parent context.Context) Result {
	if !j.cfg.KeepWorkDir {
		defer os.RemoveAll(j.cfg.WorkDir)
	}
	timeout := time.Duration(j.task.Timeout)
	if timeout <= 0 {
		timeout = 5 * time.Hour
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	ctx, stop := context.WithTimeoutCause(ctx, timeout, errTimedOut)
	defer stop()
	go j.heartbeat(ctx, cancel)

	j.stream = logstream.New(context.WithoutCancel(parent), sender{j.api}, logstream.Config{
		Secrets: j.task.Secrets(), Logger: j.log,
	})
	defer j.closeStream(parent)

	defer func() { j.agent.close(); os.RemoveAll(j.agentDir) }()
	if err := j.spinUp(ctx); err != nil {
		return Result{Status: statusOf(ctx, taskapi.StatusInfrastructureFail), Message: j.mask(err.Error())}
	}
	if j.containers != nil {
		return j.runInContainer(ctx)
	}

	failed, msg := false, ""
	for i, st := range j.task.Job.Steps {
		if j.halted.Load() || ctx.Err() != nil {
			break
		}
		if !shouldRun(st, failed) {
			continue
		}
		if err := j.runStep(ctx, i+1, st); err != nil && !st.Background {
			if ctx.Err() != nil {
				break
			}
			if !failed {
				msg = fmt.Sprintf("step %q failed: %s", stepName(st), j.mask(err.Error()))
			}
			failed = true
		}
	}
	j.stopBackground()
	switch {
	case ctx.Err() != nil:
		st := statusOf(ctx, taskapi.StatusFailed)
		return Result{Status: st, Message: context.Cause(ctx).Error()}
	case failed:
		return Result{Status: taskapi.StatusFailed, Message: msg}
	}
	return Result{Status: taskapi.StatusSuccess}
}

// statusOf names why ctx ended, or returns def when it has not.
func statusOf(ctx context.Context, def string) string {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errTimedOut):
		return taskapi.StatusTimedOut
	case errors.Is(cause, errCanceled), errors.Is(cause, context.Canceled):
		return taskapi.StatusCanceled
	}
	return def
}

// shouldRun applies when: after a failure only always and on_fail steps run; store_artifacts and
// store_test_results without when: run after a failure too, as CircleCI does.
func shouldRun(st plan.Step, failed bool) bool {
	when := st.When
	if when == "" && (st.Type == plan.StepStoreArtifacts || st.Type == plan.StepStoreTestResults) {
		when = plan.WhenAlways
	}
	switch when {
	case plan.WhenAlways:
		return true
	case plan.WhenOnFail:
		return failed
	}
	return !failed
}

func (j *job) closeStream(parent context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 10*time.Minute)
	defer cancel()
	if err := j.stream.Close(ctx); err != nil {
		j.log.Error("output not fully delivered", "err", err)
	}
}

// mask hides secrets in a message the runner composes (errors can quote a command line or a URL).
func (j *job) mask(s string) string { return j.masker.MaskString(s) }

// sender adapts the protocol client to the output streamer.
type sender struct{ api *taskapi.Client }

func (s sender) SendOutput(ctx context.Context, step int, off int64, at time.Time, data []byte) error {
	err := s.api.SendOutput(ctx, step, off, at, data)
	if err != nil && taskapi.Rejected(err) {
		return fmt.Errorf("%w: %w", logstream.ErrRejected, err)
	}
	return err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// expandHome turns ~ and ~/x into paths under home; relative paths stay relative.
func expandHome(p, home string) string {
	if p == "~" {
		return home
	}
	if len(p) > 1 && p[0] == '~' && p[1] == '/' {
		return filepath.Join(home, p[2:])
	}
	return p
}
