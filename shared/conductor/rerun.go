package conductor

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
)

// RerunRequest says what to rerun: everything (neither field set), the failed jobs (FromFailed), or chosen
// jobs by id. Jobs downstream of a rerun job run again too; the others are carried over as they ended.
type RerunRequest struct {
	FromFailed bool
	Jobs       []string
	Actor      string
}

// Rerun starts a new workflow from an ended one and returns its id.
func (c *Conductor) Rerun(ctx context.Context, workflowID string, req RerunRequest) (string, error) {
	if req.FromFailed && len(req.Jobs) > 0 {
		return "", fmt.Errorf("from_failed and jobs cannot be combined: %w", ErrInvalid)
	}
	old, err := c.r.Workflow(ctx, workflowID)
	if err != nil {
		return "", err
	}
	if !old.V.Status.Terminal() {
		return "", fmt.Errorf("workflow %s is %s; rerun it once it ends: %w", old.V.Name, old.V.Status, ErrState)
	}
	jobs, err := c.r.Jobs(ctx, workflowID)
	if err != nil {
		return "", err
	}
	rerun := map[string]bool{}
	for _, j := range jobs {
		switch {
		case req.FromFailed:
			rerun[j.V.ID] = j.V.Status != domain.JobSuccess
		case len(req.Jobs) > 0:
			rerun[j.V.ID] = slices.Contains(req.Jobs, j.V.ID)
		default:
			rerun[j.V.ID] = true
		}
	}
	for _, id := range req.Jobs {
		if !slices.ContainsFunc(jobs, func(j repo.Rec[domain.Job]) bool { return j.V.ID == id }) {
			return "", fmt.Errorf("job %s is not part of workflow %s: %w", id, old.V.Name, ErrInvalid)
		}
	}
	if req.FromFailed && !slices.ContainsFunc(jobs, func(j repo.Rec[domain.Job]) bool { return rerun[j.V.ID] }) {
		return "", fmt.Errorf("workflow %s has no failed jobs to rerun: %w", old.V.Name, ErrState)
	}
	for changed := true; changed; { // jobs downstream of a rerun job rerun too
		changed = false
		for _, j := range jobs {
			for up := range j.V.Requires {
				if rerun[up] && !rerun[j.V.ID] {
					rerun[j.V.ID], changed = true, true
				}
			}
		}
	}
	wf := old.V
	wf.ID, wf.RerunOf, wf.Status, wf.StartedBy = domain.NewID(), old.V.ID, domain.WorkflowRunning, req.Actor
	wf.CanceledBy, wf.ErroredBy, wf.StoppedAt, wf.Notified, wf.CreatedAt = "", "", time.Time{}, false, c.now()
	newID := map[string]string{}
	for _, j := range jobs {
		newID[j.V.ID] = domain.DeriveID("job", wf.ID, j.V.Name)
	}
	fresh := make([]domain.Job, 0, len(jobs))
	for _, o := range jobs {
		j := o.V
		j.ID, j.WorkflowID, j.Notified, j.Number, j.Message = newID[o.V.ID], wf.ID, false, 0, ""
		if j.Type == domain.JobTypeApproval {
			j.ApprovalRequestID = j.ID
		}
		j.Requires = map[string][]domain.JobStatus{}
		for up, sts := range o.V.Requires {
			j.Requires[newID[up]] = sts
		}
		if rerun[o.V.ID] {
			j.Status, j.Attempt, j.PreviousJobID, j.RerunFailedTests = domain.JobBlocked, o.V.Attempt+1, o.V.ID, req.FromFailed
			j.StartedAt, j.StoppedAt, j.QueuedAt = time.Time{}, time.Time{}, time.Time{}
			j.ApprovedBy, j.CanceledBy, j.CarriedFrom = "", "", ""
		} else {
			j.CarriedFrom, j.Notified = o.V.ID, true
			if o.V.CarriedFrom != "" {
				j.CarriedFrom = o.V.CarriedFrom
			}
		}
		fresh = append(fresh, j)
	}
	if err := c.createJobs(ctx, fresh); err != nil {
		return "", err
	}
	home := repo.WorkflowKey(wf.PipelineID, wf.ID)
	if err := c.r.Write(ctx, repo.Create(home, wf), repo.CreateRef(repo.KindWorkflow, wf.ID, home),
		repo.Create(repo.ActiveWorkflowKey(wf.ID), wf.ID)); err != nil {
		return "", fmt.Errorf("create rerun of %s: %w", wf.Name, err)
	}
	return wf.ID, c.Poke(ctx, wf.ID)
}
