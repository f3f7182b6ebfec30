package repo

import (
	"context"
	"fmt"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/store"
)

// Typed reads of the aggregates services use most.

func (r *Repo) Org(ctx context.Context, id string) (Rec[domain.Org], error) {
	return ByID[domain.Org](ctx, r, KindOrg, id)
}

func (r *Repo) OrgBySlug(ctx context.Context, slug string) (Rec[domain.Org], error) {
	return Get[domain.Org](ctx, r, OrgKey(slug))
}

func (r *Repo) Project(ctx context.Context, id string) (Rec[domain.Project], error) {
	return ByID[domain.Project](ctx, r, KindProject, id)
}

func (r *Repo) ProjectBySlug(ctx context.Context, slug string) (Rec[domain.Project], error) {
	rec, err := Get[domain.Project](ctx, r, ProjectKey(slug))
	if err != nil {
		return rec, fmt.Errorf("project %s: %w", slug, err)
	}
	return rec, nil
}

func (r *Repo) Pipeline(ctx context.Context, id string) (Rec[domain.Pipeline], error) {
	return ByID[domain.Pipeline](ctx, r, KindPipeline, id)
}

func (r *Repo) PipelineByNumber(ctx context.Context, projectID string, n int64) (Rec[domain.Pipeline], error) {
	return Get[domain.Pipeline](ctx, r, PipelineKey(projectID, n))
}

func (r *Repo) Workflow(ctx context.Context, id string) (Rec[domain.Workflow], error) {
	return ByID[domain.Workflow](ctx, r, KindWorkflow, id)
}

// Workflows lists a pipeline's workflows (reruns included).
func (r *Repo) Workflows(ctx context.Context, pipelineID string) ([]Rec[domain.Workflow], error) {
	return ListAll[domain.Workflow](ctx, r, WorkflowsPK(pipelineID), "")
}

func (r *Repo) Job(ctx context.Context, id string) (Rec[domain.Job], error) {
	return ByID[domain.Job](ctx, r, KindJob, id)
}

// Jobs lists a workflow's jobs.
func (r *Repo) Jobs(ctx context.Context, workflowID string) ([]Rec[domain.Job], error) {
	return ListAll[domain.Job](ctx, r, JobsPK(workflowID), "")
}

// JobByNumber finds a job by its project-wide number.
func (r *Repo) JobByNumber(ctx context.Context, projectID string, n int64) (Rec[domain.Job], error) {
	rec, err := Get[ref](ctx, r, JobNumberKey(projectID, n))
	if err != nil {
		return Rec[domain.Job]{}, fmt.Errorf("job %d: %w", n, err)
	}
	return Get[domain.Job](ctx, r, store.Key{PK: rec.V.PK, SK: rec.V.SK})
}

// NumberJob returns the op recording a job's number.
func NumberJob(projectID string, n int64, home store.Key) store.Op {
	return Create(JobNumberKey(projectID, n), ref{home.PK, home.SK})
}

func (r *Repo) Task(ctx context.Context, id string) (Rec[domain.Task], error) {
	jobID, i, err := ParseTaskID(id)
	if err != nil {
		return Rec[domain.Task]{}, err
	}
	return Get[domain.Task](ctx, r, TaskKey(jobID, i))
}

// Tasks lists a job's tasks.
func (r *Repo) Tasks(ctx context.Context, jobID string) ([]Rec[domain.Task], error) {
	return ListAll[domain.Task](ctx, r, TasksPK(jobID), "")
}

// Steps lists a task's steps.
func (r *Repo) Steps(ctx context.Context, taskID string) ([]Rec[domain.Step], error) {
	return ListAll[domain.Step](ctx, r, StepsPK(taskID), "")
}

func (r *Repo) Context(ctx context.Context, id string) (Rec[domain.Context], error) {
	return ByID[domain.Context](ctx, r, KindContext, id)
}

func (r *Repo) ContextByName(ctx context.Context, orgID, name string) (Rec[domain.Context], error) {
	return Get[domain.Context](ctx, r, ContextKey(orgID, name))
}

func (r *Repo) Schedule(ctx context.Context, id string) (Rec[domain.Schedule], error) {
	return ByID[domain.Schedule](ctx, r, KindSchedule, id)
}

func (r *Repo) User(ctx context.Context, id string) (Rec[domain.User], error) {
	return ByID[domain.User](ctx, r, KindUser, id)
}

func (r *Repo) Webhooks(ctx context.Context, projectID string) ([]Rec[domain.Webhook], error) {
	return ListAll[domain.Webhook](ctx, r, WebhooksPK(projectID), "")
}

// Role returns the user's role in an org ("" when not a member).
func (r *Repo) Role(ctx context.Context, userID, orgID string) (string, error) {
	rec, err := Get[domain.Membership](ctx, r, MemberKey(orgID, userID))
	if err != nil {
		if store.IsNotFound(err) {
			return "", nil
		}
		return "", err
	}
	return rec.V.Role, nil
}
