package conductor

import (
	"context"
	"fmt"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Create writes a workflow of pipeline p and its jobs, all blocked, and asks for its evaluation. Ids derive
// from the pipeline, tag and names, so a repeated call (a redelivered intake message) creates nothing new.
// tag is "setup" for a setup workflow, "" otherwise.
func (c *Conductor) Create(ctx context.Context, p domain.Pipeline, pw plan.Workflow, tag string) (string, error) {
	wf := domain.Workflow{
		ID: domain.DeriveID("workflow", p.ID, tag, pw.Name), Name: pw.Name, PipelineID: p.ID,
		PipelineNumber: p.Number, ProjectID: p.ProjectID, ProjectSlug: p.ProjectSlug,
		Status: domain.WorkflowRunning, StartedBy: p.Trigger.Actor, Tag: tag, CreatedAt: c.now(),
	}
	wf.WorkspaceID = wf.ID
	ids := make(map[string]string, len(pw.Jobs))
	for _, pj := range pw.Jobs {
		ids[pj.Name] = domain.DeriveID("job", wf.ID, pj.Name)
	}
	jobs := make([]domain.Job, 0, len(pw.Jobs))
	for _, pj := range pw.Jobs {
		j := domain.Job{
			ID: ids[pj.Name], WorkflowID: wf.ID, PipelineID: p.ID, ProjectID: p.ProjectID,
			ProjectSlug: p.ProjectSlug, Name: pj.Name, Type: domain.JobTypeBuild, Status: domain.JobBlocked,
			Parallelism: max(pj.Parallelism, 1), Contexts: pj.Contexts, SerialGroup: pj.SerialGroup, Attempt: 1,
			Plan: pj,
		}
		if pj.Type == plan.JobApproval {
			j.Type = domain.JobTypeApproval
			j.ApprovalRequestID = j.ID
		}
		if len(pj.Requires) > 0 {
			j.Requires = map[string][]domain.JobStatus{}
			for _, r := range pj.Requires {
				up, ok := ids[r.Job]
				if !ok {
					return "", fmt.Errorf("workflow %s: job %s requires unknown job %s", pw.Name, pj.Name, r.Job)
				}
				for _, s := range r.Statuses {
					j.Requires[up] = append(j.Requires[up], domain.JobStatus(s))
				}
				if j.Requires[up] == nil {
					j.Requires[up] = []domain.JobStatus{}
				}
			}
		}
		jobs = append(jobs, j)
	}
	if err := c.createJobs(ctx, jobs); err != nil {
		return "", err
	}
	home := repo.WorkflowKey(p.ID, wf.ID)
	err := c.r.Write(ctx, repo.Create(home, wf), repo.CreateRef(repo.KindWorkflow, wf.ID, home),
		repo.Create(repo.ActiveWorkflowKey(wf.ID), wf.ID))
	if err != nil && !repo.IsConflict(err) {
		return "", fmt.Errorf("create workflow %s: %w", pw.Name, err)
	}
	return wf.ID, c.Poke(ctx, wf.ID)
}

// createJobs writes jobs with their refs, in batches; jobs that already exist (a retry) are kept as they are.
func (c *Conductor) createJobs(ctx context.Context, jobs []domain.Job) error {
	opsOf := func(j domain.Job) []store.Op {
		home := repo.JobKey(j.WorkflowID, j.Name)
		return []store.Op{repo.Create(home, j), repo.CreateRef(repo.KindJob, j.ID, home)}
	}
	for start := 0; start < len(jobs); start += store.MaxOps / 2 {
		batch := jobs[start:min(start+store.MaxOps/2, len(jobs))]
		var ops []store.Op
		for _, j := range batch {
			ops = append(ops, opsOf(j)...)
		}
		err := c.r.Write(ctx, ops...)
		if err == nil {
			continue
		}
		if !repo.IsConflict(err) {
			return fmt.Errorf("create jobs: %w", err)
		}
		for _, j := range batch { // some exist: write the others one by one
			if err := c.r.Write(ctx, opsOf(j)...); err != nil && !repo.IsConflict(err) {
				return fmt.Errorf("create job %s: %w", j.Name, err)
			}
		}
	}
	return nil
}
