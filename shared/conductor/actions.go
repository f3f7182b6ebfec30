package conductor

import (
	"context"
	"errors"
	"fmt"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Errors of actions, for the API to map: ErrState means the action does not apply to the current state
// (409), ErrInvalid a malformed request (400).
var (
	ErrState   = errors.New("not possible in the current state")
	ErrInvalid = errors.New("invalid request")
)

// CancelWorkflow cancels a workflow: jobs not yet ended become canceled, running tasks are told to stop.
// Canceling an ended workflow changes nothing.
func (c *Conductor) CancelWorkflow(ctx context.Context, workflowID, actor string) error {
	for range 20 {
		err := c.cancel(ctx, workflowID, "", actor)
		if !repo.IsConflict(err) {
			return err
		}
	}
	return fmt.Errorf("cancel workflow %s: %w", workflowID, store.ErrConflict)
}

// CancelJob cancels one job of a workflow; the rest of the workflow goes on (its dependents do not run).
func (c *Conductor) CancelJob(ctx context.Context, jobID, actor string) error {
	j, err := c.r.Job(ctx, jobID)
	if err != nil {
		return err
	}
	for range 20 {
		err = c.cancel(ctx, j.V.WorkflowID, jobID, actor)
		if !repo.IsConflict(err) {
			return err
		}
	}
	return fmt.Errorf("cancel job %s: %w", jobID, store.ErrConflict)
}

func (c *Conductor) cancel(ctx context.Context, workflowID, onlyJob, actor string) error {
	wf, err := c.r.Workflow(ctx, workflowID)
	if err != nil {
		return err
	}
	if wf.V.Status.Terminal() {
		return nil
	}
	jobs, err := c.r.Jobs(ctx, workflowID)
	if err != nil {
		return err
	}
	now := c.now()
	for i := range jobs {
		j := &jobs[i]
		if j.V.Status.Terminal() || onlyJob != "" && j.V.ID != onlyJob {
			continue
		}
		if err := c.stopTasks(ctx, j.V); err != nil {
			return err
		}
		j.V.Status, j.V.CanceledBy, j.V.StoppedAt = domain.JobCanceled, actor, now
		if err := c.write(ctx, j); err != nil {
			return err
		}
	}
	if onlyJob == "" {
		wf.V.Status, wf.V.CanceledBy = domain.WorkflowCanceled, actor
		if err := c.r.Write(ctx, repo.Update(wf)); err != nil {
			return fmt.Errorf("cancel workflow %s: %w", wf.V.Name, err)
		}
	}
	return c.Poke(ctx, workflowID)
}

// stopTasks ends a job's queued tasks and flags running ones so their runner stops.
func (c *Conductor) stopTasks(ctx context.Context, j domain.Job) error {
	tasks, err := c.r.Tasks(ctx, j.ID)
	if err != nil {
		return err
	}
	now := c.now()
	for _, t := range tasks {
		if t.V.Status.Terminal() || t.V.Canceled {
			continue
		}
		t.V.Canceled = true
		if t.V.Status == domain.TaskQueued && t.V.DispatchedAt.IsZero() {
			t.V.Status, t.V.StoppedAt, t.V.Message = domain.TaskCanceled, now, "canceled before it started"
		}
		if err := c.r.Write(ctx, repo.Update(t)); err != nil {
			return fmt.Errorf("cancel task %s: %w", t.V.ID, err)
		}
	}
	return nil
}

// Approve approves an approval job that is on hold.
func (c *Conductor) Approve(ctx context.Context, workflowID, approvalID, actor string) error {
	jobs, err := c.r.Jobs(ctx, workflowID)
	if err != nil {
		return err
	}
	for i := range jobs {
		j := &jobs[i]
		if j.V.ApprovalRequestID != approvalID {
			continue
		}
		if j.V.Status != domain.JobOnHold {
			return fmt.Errorf("approval job %s is %s, not on hold: %w", j.V.Name, j.V.Status, ErrState)
		}
		now := c.now()
		j.V.Status, j.V.ApprovedBy, j.V.StartedAt, j.V.StoppedAt = domain.JobSuccess, actor, now, now
		if err := c.write(ctx, j); err != nil {
			if repo.IsConflict(err) {
				return fmt.Errorf("approval job %s changed meanwhile: %w", j.V.Name, ErrState)
			}
			return err
		}
		return c.Poke(ctx, workflowID)
	}
	return fmt.Errorf("approval request %s in workflow %s: %w", approvalID, workflowID, repo.ErrNotFound)
}
