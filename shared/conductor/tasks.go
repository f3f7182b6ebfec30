package conductor

import (
	"context"
	"fmt"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Dispatch records that an executor took a task's run message. It returns false when the task was already
// dispatched, has ended or was canceled: the executor then drops the message, so a redelivered run message
// never starts a second runner.
func (c *Conductor) Dispatch(ctx context.Context, taskID, executor string) (bool, error) {
	t, err := c.r.Task(ctx, taskID)
	if err != nil {
		return false, err
	}
	if t.V.Status != domain.TaskQueued || !t.V.DispatchedAt.IsZero() || t.V.Canceled {
		return false, nil
	}
	t.V.DispatchedAt, t.V.Executor = c.now(), executor
	if err := c.r.Write(ctx, repo.Update(t)); err != nil {
		if repo.IsConflict(err) {
			return false, nil // someone else took it, or it was canceled meanwhile
		}
		return false, fmt.Errorf("dispatch task %s: %w", taskID, err)
	}
	return true, nil
}

// Claim records that a runner started a task: the task and, for its first task, the job become running. The
// same runner may claim again; another runner gets ErrState. It returns the task as stored.
func (c *Conductor) Claim(ctx context.Context, taskID, runnerID string) (domain.Task, error) {
	for range 20 {
		t, err := c.r.Task(ctx, taskID)
		if err != nil {
			return domain.Task{}, err
		}
		switch {
		case t.V.Status.Terminal():
			return t.V, fmt.Errorf("task %s already ended %s: %w", taskID, t.V.Status, ErrState)
		case t.V.Status == domain.TaskRunning && t.V.RunnerID == runnerID:
			return t.V, nil
		case t.V.Status == domain.TaskRunning:
			return t.V, fmt.Errorf("task %s is claimed by another runner: %w", taskID, ErrState)
		}
		now := c.now()
		t.V.Status, t.V.RunnerID, t.V.StartedAt, t.V.Heartbeat = domain.TaskRunning, runnerID, now, now
		if t.V.DispatchedAt.IsZero() {
			t.V.DispatchedAt = now
		}
		err = c.r.Write(ctx, repo.Update(t))
		if repo.IsConflict(err) {
			continue
		}
		if err != nil {
			return t.V, fmt.Errorf("claim task %s: %w", taskID, err)
		}
		return t.V, c.jobRunning(ctx, t.V.JobID)
	}
	return domain.Task{}, fmt.Errorf("claim task %s: %w", taskID, store.ErrConflict)
}

func (c *Conductor) jobRunning(ctx context.Context, jobID string) error {
	for range 20 {
		j, err := c.r.Job(ctx, jobID)
		if err != nil || j.V.Status != domain.JobQueued {
			return err
		}
		j.V.Status, j.V.StartedAt = domain.JobRunning, c.now()
		if err = c.r.Write(ctx, repo.Update(j)); !repo.IsConflict(err) {
			return err
		}
	}
	return fmt.Errorf("job %s running: %w", jobID, store.ErrConflict)
}

// Heartbeat records that a task's runner is alive and reports whether it should stop.
func (c *Conductor) Heartbeat(ctx context.Context, taskID string) (canceled bool, err error) {
	for range 20 {
		t, err := c.r.Task(ctx, taskID)
		if err != nil {
			return false, err
		}
		if t.V.Status.Terminal() {
			return true, fmt.Errorf("task %s ended: %w", taskID, ErrState)
		}
		t.V.Heartbeat = c.now()
		if err = c.r.Write(ctx, repo.Update(t)); !repo.IsConflict(err) {
			return t.V.Canceled, err
		}
	}
	return false, fmt.Errorf("heartbeat of task %s: %w", taskID, store.ErrConflict)
}

// Finish ends a task with a status (the runner's completion, or an executor's infrastructure_fail). The
// first end wins; repeats are harmless. When it was the job's last task, the job ends and the workflow is
// evaluated.
func (c *Conductor) Finish(ctx context.Context, taskID string, st domain.TaskStatus, msg string) error {
	if !st.Terminal() {
		return fmt.Errorf("finish task %s with %q: %w", taskID, st, ErrInvalid)
	}
	for range 20 {
		t, err := c.r.Task(ctx, taskID)
		if err != nil {
			return err
		}
		if t.V.Status.Terminal() {
			break
		}
		if t.V.Canceled && st != domain.TaskSuccess {
			st = domain.TaskCanceled
		}
		t.V.Status, t.V.StoppedAt, t.V.Message = st, c.now(), msg
		if err = c.r.Write(ctx, repo.Update(t)); err == nil {
			break
		} else if !repo.IsConflict(err) {
			return fmt.Errorf("finish task %s: %w", taskID, err)
		}
	}
	jobID, _, _ := repo.ParseTaskID(taskID)
	return c.settleJob(ctx, jobID)
}

// settleJob ends a job whose tasks have all ended, then asks for its workflow's evaluation.
func (c *Conductor) settleJob(ctx context.Context, jobID string) error {
	for range 20 {
		j, err := c.r.Job(ctx, jobID)
		if err != nil {
			return err
		}
		if j.V.Status.Terminal() {
			return c.Poke(ctx, j.V.WorkflowID)
		}
		tasks, err := c.r.Tasks(ctx, jobID)
		if err != nil {
			return err
		}
		sts := make([]domain.TaskStatus, 0, len(tasks))
		msg := ""
		for _, t := range tasks {
			if !t.V.Status.Terminal() {
				return nil
			}
			sts = append(sts, t.V.Status)
			if t.V.Status != domain.TaskSuccess && msg == "" {
				msg = t.V.Message
			}
		}
		j.V.Status, j.V.StoppedAt, j.V.Message = jobStatusFromTasks(sts), c.now(), msg
		if j.V.StartedAt.IsZero() {
			j.V.StartedAt = j.V.StoppedAt
		}
		if err = c.r.Write(ctx, repo.Update(j)); err == nil {
			return c.Poke(ctx, j.V.WorkflowID)
		} else if !repo.IsConflict(err) {
			return fmt.Errorf("end job %s: %w", j.V.Name, err)
		}
	}
	return fmt.Errorf("end job %s: %w", jobID, store.ErrConflict)
}
