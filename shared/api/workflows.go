package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
)

// Workflows: read, list jobs, cancel, rerun, approve.

func (a *API) workflowRoutes() {
	a.handle("GET /api/v2/workflow/{id}", a.getWorkflow)
	a.handle("GET /api/v2/workflow/{id}/job", a.listWorkflowJobs)
	a.handle("POST /api/v2/workflow/{id}/cancel", a.cancelWorkflow)
	a.handle("POST /api/v2/workflow/{id}/rerun", a.rerunWorkflow)
	a.handle("POST /api/v2/workflow/{id}/approve/{approval}", a.approveWorkflowJob)
}

// workflowJSON is CircleCI's Workflow.
type workflowJSON struct {
	ID             string                `json:"id"`
	Name           string                `json:"name"`
	PipelineID     string                `json:"pipeline_id"`
	PipelineNumber int64                 `json:"pipeline_number"`
	ProjectSlug    string                `json:"project_slug"`
	Status         domain.WorkflowStatus `json:"status"`
	StartedBy      string                `json:"started_by"`
	CanceledBy     string                `json:"canceled_by,omitempty"`
	ErroredBy      string                `json:"errored_by,omitempty"`
	Tag            string                `json:"tag,omitempty"`
	CreatedAt      time.Time             `json:"created_at"`
	StoppedAt      *time.Time            `json:"stopped_at"`
}

func toWorkflowJSON(w domain.Workflow) workflowJSON {
	return workflowJSON{
		ID: w.ID, Name: w.Name, PipelineID: w.PipelineID, PipelineNumber: w.PipelineNumber,
		ProjectSlug: w.ProjectSlug, Status: w.Status, StartedBy: w.StartedBy, CanceledBy: w.CanceledBy,
		ErroredBy: w.ErroredBy, Tag: w.Tag, CreatedAt: w.CreatedAt, StoppedAt: timeOrNil(w.StoppedAt),
	}
}

// timeOrNil is nil for the zero time, which CircleCI writes as null.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// workflowJobJSON is an item of GET /workflow/{id}/job.
type workflowJobJSON struct {
	ID                string           `json:"id"`
	Name              string           `json:"name"`
	JobNumber         int64            `json:"job_number,omitempty"`
	Type              string           `json:"type"`
	Status            domain.JobStatus `json:"status"`
	Dependencies      []string         `json:"dependencies"`
	StartedAt         *time.Time       `json:"started_at"`
	StoppedAt         *time.Time       `json:"stopped_at,omitempty"`
	ApprovedBy        string           `json:"approved_by,omitempty"`
	ApprovalRequestID string           `json:"approval_request_id,omitempty"`
	CanceledBy        string           `json:"canceled_by,omitempty"`
	ProjectSlug       string           `json:"project_slug"`
}

func toWorkflowJobJSON(j domain.Job) workflowJobJSON {
	deps := make([]string, 0, len(j.Requires))
	for id := range j.Requires {
		deps = append(deps, id)
	}
	slices.Sort(deps)
	return workflowJobJSON{
		ID: j.ID, Name: j.Name, JobNumber: j.Number, Type: j.Type, Status: j.Status, Dependencies: deps,
		StartedAt: timeOrNil(j.StartedAt), StoppedAt: timeOrNil(j.StoppedAt), ApprovedBy: j.ApprovedBy,
		ApprovalRequestID: j.ApprovalRequestID, CanceledBy: j.CanceledBy, ProjectSlug: j.ProjectSlug,
	}
}

// workflowFor loads a workflow and checks the caller's role in its project's org.
func (a *API) workflowFor(ctx context.Context, c *Caller, id, need string) (domain.Workflow, error) {
	wf, err := a.d.Repo.Workflow(ctx, id)
	if repo.IsNotFound(err) {
		return wf.V, errorf(http.StatusNotFound, "Workflow not found.")
	}
	if err != nil {
		return wf.V, err
	}
	return wf.V, a.authorizeProject(ctx, c, wf.V.ProjectID, need, "Workflow")
}

func (a *API) getWorkflow(w http.ResponseWriter, r *http.Request, c *Caller) error {
	wf, err := a.workflowFor(r.Context(), c, r.PathValue("id"), domain.RoleViewer)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWorkflowJSON(wf))
	return nil
}

func (a *API) listWorkflowJobs(w http.ResponseWriter, r *http.Request, c *Caller) error {
	q, err := pageQuery(r, false)
	if err != nil {
		return err
	}
	wf, err := a.workflowFor(r.Context(), c, r.PathValue("id"), domain.RoleViewer)
	if err != nil {
		return err
	}
	jobs, next, err := repo.List[domain.Job](r.Context(), a.d.Repo, repo.JobsPK(wf.ID), q)
	if err != nil {
		return err
	}
	out := make([]workflowJobJSON, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, toWorkflowJobJSON(j.V))
	}
	writeJSON(w, http.StatusOK, newPage(out, next))
	return nil
}

var acceptedJSON = map[string]string{"message": "Accepted."}

func (a *API) cancelWorkflow(w http.ResponseWriter, r *http.Request, c *Caller) error {
	wf, err := a.workflowFor(r.Context(), c, r.PathValue("id"), domain.RoleMember)
	if err != nil {
		return err
	}
	if err := a.d.Workflows.CancelWorkflow(r.Context(), wf.ID, c.User.Login); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, acceptedJSON)
	return nil
}

func (a *API) rerunWorkflow(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var body struct {
		FromFailed bool     `json:"from_failed"`
		Jobs       []string `json:"jobs"`
		EnableSSH  bool     `json:"enable_ssh"`
		SparseTree bool     `json:"sparse_tree"`
	}
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	switch {
	case body.FromFailed && len(body.Jobs) > 0:
		return errorf(http.StatusBadRequest, "from_failed and jobs cannot be combined.")
	case (body.EnableSSH || body.SparseTree) && len(body.Jobs) == 0:
		return errorf(http.StatusBadRequest, "enable_ssh and sparse_tree need jobs.")
	case body.EnableSSH:
		return errorf(http.StatusBadRequest, "Rerunning with SSH is not available on this server.")
	}
	wf, err := a.workflowFor(r.Context(), c, r.PathValue("id"), domain.RoleMember)
	if err != nil {
		return err
	}
	if wf.Tag == "setup" {
		return errorf(http.StatusBadRequest, "A setup workflow cannot be rerun: trigger a new pipeline instead.")
	}
	id, err := a.d.Workflows.Rerun(r.Context(), wf.ID, conductor.RerunRequest{
		FromFailed: body.FromFailed, Jobs: body.Jobs, Actor: c.User.Login,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"workflow_id": id})
	return nil
}

func (a *API) approveWorkflowJob(w http.ResponseWriter, r *http.Request, c *Caller) error {
	wf, err := a.workflowFor(r.Context(), c, r.PathValue("id"), domain.RoleMember)
	if err != nil {
		return err
	}
	if err := a.d.Workflows.Approve(r.Context(), wf.ID, r.PathValue("approval"), c.User.Login); err != nil {
		if repo.IsNotFound(err) {
			return errorf(http.StatusNotFound, "Approval request not found in this workflow.")
		}
		return err
	}
	writeJSON(w, http.StatusAccepted, acceptedJSON)
	return nil
}
