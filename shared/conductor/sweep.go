package conductor

import (
	"context"
	"fmt"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// requeueAfter is how long a queued task may wait for an executor before its run message is sent again.
const requeueAfter = 30 * time.Second

// Sweep repairs what a crash can leave behind. For every active workflow it asks for an evaluation, sends
// the run message again for tasks no executor took, and ends as infrastructure_fail the tasks whose runner
// never claimed them or stopped sending heartbeats. Run it at start-up and then periodically (every 30 s);
// it is safe to run on several instances at once.
func (c *Conductor) Sweep(ctx context.Context) error {
	q := store.Query{Limit: 1000}
	for {
		page, err := c.r.S.Query(ctx, repo.ActivePK, q)
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		ids := make([]string, 0, len(page.Items))
		for _, it := range page.Items {
			ids = append(ids, it.SK)
			if err := c.sweepTasks(ctx, it.SK); err != nil && !repo.IsNotFound(err) {
				c.log.Warn("sweep tasks failed", "workflow", it.SK, "err", err)
			}
		}
		if err := c.Poke(ctx, ids...); err != nil {
			return err
		}
		if page.Next == "" {
			return nil
		}
		q.After = page.Next
	}
}

func (c *Conductor) sweepTasks(ctx context.Context, workflowID string) error {
	jobs, err := c.r.Jobs(ctx, workflowID)
	if err != nil {
		return err
	}
	now := c.now()
	var runs []domain.RunMsg
	for _, j := range jobs {
		if j.V.Status != domain.JobQueued && j.V.Status != domain.JobRunning && j.V.Status != domain.JobCanceled {
			continue
		}
		tasks, err := c.r.Tasks(ctx, j.V.ID)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			switch {
			case t.V.Status.Terminal():
			case t.V.Status == domain.TaskQueued && t.V.DispatchedAt.IsZero() && !t.V.Canceled:
				if now.Sub(t.V.QueuedAt) > requeueAfter {
					runs = append(runs, domain.RunMsg{TaskID: t.V.ID, JobID: j.V.ID, WorkflowID: workflowID,
						Attempt: t.V.Attempt, ResourceClass: j.V.Plan.Executor.ResourceClass,
						ExecutorType: j.V.Plan.Executor.Kind})
				}
			case t.V.Status == domain.TaskQueued && !t.V.DispatchedAt.IsZero():
				if now.Sub(t.V.DispatchedAt) > c.o.ClaimTimeout {
					c.log.Warn("runner never claimed its task", "task", t.V.ID)
					if err := c.Finish(ctx, t.V.ID, domain.TaskInfrastructureFail,
						"the runner never started"); err != nil {
						return err
					}
				}
			case t.V.Status == domain.TaskRunning:
				if now.Sub(t.V.Heartbeat) > c.o.HeartbeatTimeout {
					c.log.Warn("runner stopped reporting", "task", t.V.ID, "last", t.V.Heartbeat)
					if err := c.Finish(ctx, t.V.ID, domain.TaskInfrastructureFail,
						"the runner stopped reporting"); err != nil {
						return err
					}
				}
			case t.V.Canceled:
				// queued, never dispatched, canceled: Cancel ended it already
			}
		}
	}
	return c.sendRuns(ctx, runs)
}
