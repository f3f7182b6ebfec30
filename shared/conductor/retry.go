package conductor

import (
	"context"
	"fmt"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// MaxTaskAttempts is how many times an executor may start one task: the first run and one automatic retry
// after an infrastructure failure (a lost node, an allocation that failed before its runner reported).
const MaxTaskAttempts = 2

// RetryTask handles an infrastructure failure of one attempt of a task. When the task has not ended, is still
// at that attempt and has attempts left, it goes back to queued at the next attempt (its message keeps what
// happened) and a new run message is sent; a canceled task ends canceled; otherwise the task ends as
// infrastructure_fail with the reason. It reports whether the task was queued again. Repeats (the same
// failure seen twice, by two bridge instances) change nothing: the attempt no longer matches.
func (c *Conductor) RetryTask(ctx context.Context, taskID string, attempt int, reason string) (bool, error) {
	for range 20 {
		t, err := c.r.Task(ctx, taskID)
		if err != nil {
			return false, err
		}
		if t.V.Status.Terminal() || t.V.Attempt != attempt {
			return false, nil
		}
		if t.V.Canceled {
			return false, c.Finish(ctx, taskID, domain.TaskCanceled, reason)
		}
		if attempt >= MaxTaskAttempts {
			return false, c.Finish(ctx, taskID, domain.TaskInfrastructureFail,
				fmt.Sprintf("attempt %d of %d: %s", attempt, MaxTaskAttempts, reason))
		}
		j, err := c.r.Job(ctx, t.V.JobID)
		if err != nil {
			return false, err
		}
		now := c.now()
		t.V.Status, t.V.Attempt, t.V.QueuedAt = domain.TaskQueued, attempt+1, now
		t.V.RunnerID, t.V.Executor, t.V.DispatchedAt, t.V.StartedAt, t.V.Heartbeat = "", "", time.Time{}, time.Time{}, time.Time{}
		t.V.Message = fmt.Sprintf("attempt %d: %s: %s; retried", attempt, domain.TaskInfrastructureFail, reason)
		err = c.r.Write(ctx, repo.Update(t))
		if repo.IsConflict(err) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("retry task %s: %w", taskID, err)
		}
		c.log.Warn("task retried after an infrastructure failure", "task", taskID, "attempt", attempt, "reason", reason)
		// A crash before this send leaves a queued, undispatched task: the sweeper sends its message again.
		return true, c.sendRuns(ctx, []domain.RunMsg{{TaskID: taskID, JobID: j.V.ID, WorkflowID: j.V.WorkflowID,
			Attempt: attempt + 1, ResourceClass: j.V.Plan.Executor.ResourceClass, ExecutorType: j.V.Plan.Executor.Kind}})
	}
	return false, fmt.Errorf("retry task %s: %w", taskID, store.ErrConflict)
}
