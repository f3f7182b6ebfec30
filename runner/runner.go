package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/caravan-ci/caravan/shared/taskapi"
)

// Result is how a task ended.
type Result struct {
	Status  string // a taskapi.Status* value
	Message string
}

// Run claims the task, executes it and reports its completion. The returned error is set only when the task
// could not be claimed or its completion could not be reported; a failing job is a Result, not an error.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.validate(); err != nil {
		return Result{}, fmt.Errorf("runner configuration: %w", err)
	}
	api := taskapi.NewClient(cfg.APIURL, cfg.TaskID, cfg.Token, cfg.HTTPClient)
	host, _ := os.Hostname()
	runnerID := newID()
	task, err := api.Claim(ctx, taskapi.ClaimRequest{RunnerID: runnerID, Hostname: host})
	if err != nil {
		return Result{}, fmt.Errorf("claim task %s: %w", cfg.TaskID, err)
	}
	j, err := newJob(cfg, api, task)
	if err != nil {
		res := Result{Status: taskapi.StatusInfrastructureFail, Message: err.Error()}
		return res, complete(ctx, api, res)
	}
	j.runnerID = runnerID
	res := j.run(ctx)
	return res, complete(ctx, api, res)
}

func complete(ctx context.Context, api *taskapi.Client, res Result) error {
	// The job's own context may be gone (cancelled); completion must still be reported.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	if err := api.Complete(cctx, taskapi.Completion{Status: res.Status, Message: res.Message}); err != nil {
		return fmt.Errorf("report completion of task %s: %w", api.TaskID(), err)
	}
	return nil
}

// heartbeat tells the server the runner is alive, and cancels the job when the server says so.
func (j *job) heartbeat(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(j.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := j.api.Heartbeat(ctx)
		switch {
		case err != nil && taskapi.Rejected(err):
			cancel(fmt.Errorf("%w: the server no longer accepts this task: %w", errCanceled, err))
			return
		case err != nil:
			j.log.Warn("heartbeat failed", "err", j.mask(err.Error()))
		case res.Canceled:
			cancel(errCanceled)
			return
		}
	}
}

var (
	errCanceled = errors.New("the job was canceled")
	errTimedOut = errors.New("the job ran past its timeout")
)

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
