package taskserver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/secrets"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// Claim implements taskapi.Backend: the conductor records the claim, then the task is assembled from the store.
// A task that cannot be assembled for good (a record gone, a secret that does not open) ends as
// infrastructure_fail, so it does not wait for the sweeper.
func (s *Server) Claim(ctx context.Context, taskID string, req taskapi.ClaimRequest) (*taskapi.Task, error) {
	t, err := s.d.Jobs.Claim(ctx, taskID, req.RunnerID)
	if err != nil {
		if errors.Is(err, conductor.ErrState) {
			if t.Status.Terminal() {
				return nil, fmt.Errorf("%w: %w", taskapi.ErrGone, err)
			}
			return nil, fmt.Errorf("%w: %w", taskapi.ErrConflict, err)
		}
		return nil, protocolErr(fmt.Errorf("claim task %s: %w", taskID, err))
	}
	tk, err := s.assemble(ctx, t)
	if err == nil {
		s.log.InfoContext(ctx, "task claimed", "task", taskID, "runner", req.RunnerID, "host", req.Hostname)
		return tk, nil
	}
	if !errors.Is(err, repo.ErrNotFound) && !errors.Is(err, secrets.ErrDecrypt) {
		return nil, fmt.Errorf("assemble task %s: %w", taskID, err)
	}
	s.log.ErrorContext(ctx, "task cannot be assembled", "task", taskID, "err", err)
	if ferr := s.d.Jobs.Finish(ctx, taskID, domain.TaskInfrastructureFail, "the task could not be prepared: "+err.Error()); ferr != nil {
		return nil, fmt.Errorf("end unpreparable task %s: %w", taskID, ferr)
	}
	return nil, fmt.Errorf("task %s could not be prepared: %w: %w", taskID, taskapi.ErrGone, err)
}

// assemble builds the runner's view of a claimed task.
func (s *Server) assemble(ctx context.Context, t domain.Task) (*taskapi.Task, error) {
	j, err := s.d.Repo.Job(ctx, t.JobID)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", t.JobID, err)
	}
	job := j.V
	wf, err := s.d.Repo.Workflow(ctx, job.WorkflowID)
	if err != nil {
		return nil, fmt.Errorf("workflow of job %s: %w", job.Name, err)
	}
	p, err := s.d.Repo.Pipeline(ctx, job.PipelineID)
	if err != nil {
		return nil, fmt.Errorf("pipeline of job %s: %w", job.Name, err)
	}
	proj, err := s.d.Repo.Project(ctx, job.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("project of job %s: %w", job.Name, err)
	}
	tk := &taskapi.Task{
		ID: t.ID, JobID: job.ID, BuildNum: job.Number, Attempt: max(job.Attempt, 1),
		BuildURL: fmt.Sprintf("%s/pipelines/%s/%d/workflows/%s/jobs/%d", strings.TrimRight(s.d.WebURL, "/"),
			proj.V.Slug, p.V.Number, wf.V.ID, job.Number),
		NodeIndex: t.Index, NodeTotal: max(job.Parallelism, 1), Job: job.Plan,
		Pipeline:        pipelineValues(proj.V, p.V, wf.V),
		Timeout:         taskapi.Duration(s.d.Timeout),
		NoOutputTimeout: taskapi.Duration(s.d.NoOutputTimeout),
	}
	tk.Checkout.RepoURL = tk.Pipeline.RepoURL
	// A forked pull request gets no secrets unless the project allows it (its checkout key still clones).
	withhold := p.V.VCS.PRNumber != "" && !proj.V.Settings.ForksReceiveSecrets
	if !withhold {
		if tk.Env, err = s.env(ctx, proj.V, job); err != nil {
			return nil, err
		}
	}
	keys, err := s.checkoutKeys(ctx, proj.V.ID)
	if err != nil {
		return nil, err
	}
	if len(keys) > 0 {
		tk.Checkout.SSHKey = keys[0].PrivateKey
		if !withhold {
			tk.SSHKeys = keys
		}
	}
	return tk, nil
}

// pipelineValues are the values behind the CIRCLE_* variables.
func pipelineValues(proj domain.Project, p domain.Pipeline, wf domain.Workflow) taskapi.Pipeline {
	v := taskapi.Pipeline{
		ID: p.ID, Number: p.Number, WorkflowID: wf.ID, WorkflowName: wf.Name, WorkflowWorkspaceID: wf.WorkspaceID,
		OrgID: proj.OrgID, ProjectID: proj.ID, ProjectSlug: proj.Slug, RepoURL: proj.RepoURL,
		Branch: p.VCS.Branch, Tag: p.VCS.Tag, Revision: p.VCS.Revision, Username: p.Trigger.Actor,
		PRNumber: p.VCS.PRNumber,
	}
	if v.RepoURL == "" {
		v.RepoURL = p.VCS.RepoURL
	}
	v.ProjectUsername, v.ProjectRepoName = slugParts(proj.Slug)
	if p.VCS.ReviewURL != "" {
		v.PullRequests = []string{p.VCS.ReviewURL}
	}
	if p.VCS.PRNumber != "" && p.VCS.OriginRepoURL != "" {
		v.PRUsername, v.PRRepoName = ownerRepo(p.VCS.OriginRepoURL)
	}
	return v
}

// slugParts splits "gh/org/repo" into its org and repository names.
func slugParts(slug string) (org, name string) {
	parts := strings.Split(slug, "/")
	switch len(parts) {
	case 0, 1:
		return "", slug
	case 2:
		return parts[0], parts[1]
	}
	return parts[1], strings.Join(parts[2:], "/")
}

// ownerRepo reads the owner and repository of a remote URL: https://host/o/r(.git), git@host:o/r.git,
// ssh://git@host/o/r.
func ownerRepo(u string) (owner, name string) {
	u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	} else if i := strings.IndexByte(u, ':'); i >= 0 {
		u = u[:i] + "/" + u[i+1:]
	}
	parts := strings.Split(u, "/")
	if len(parts) < 3 {
		return "", ""
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}
