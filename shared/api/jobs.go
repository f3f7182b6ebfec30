package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/repo"
)

// Jobs: details and cancel, by project number or by id. Artifacts and tests are in jobdata.go.

func (a *API) jobRoutes() {
	const proj = "/api/v2/project/{vcs}/{org}/{repo}"
	a.handle("GET "+proj+"/job/{number}", a.getProjectJob)
	a.handle("POST "+proj+"/job/{number}/cancel", a.cancelProjectJob)
	a.handle("GET /api/v2/jobs/{id}", a.getJobByID)
	a.handle("POST /api/v2/jobs/{id}/cancel", a.cancelJobByID)
	// One pattern for …/{number}/artifacts and …/{number}/tests: two literal-suffix patterns would conflict
	// with …/pipeline/{number}, …/job/{number}, …/envvar/{name} and the like in Go's ServeMux.
	a.handle("GET "+proj+"/{number}/{what}", a.jobData)
}

// jobRef is a job with what its responses need.
type jobRef struct {
	job     domain.Job
	project domain.Project
}

// jobByNumber loads a project's job by its number and checks the caller's role.
func (a *API) jobByNumber(r *http.Request, c *Caller, need string) (jobRef, error) {
	n, err := strconv.ParseInt(r.PathValue("number"), 10, 64)
	if err != nil || n < 1 {
		return jobRef{}, errorf(http.StatusBadRequest, "The job number must be a positive integer.")
	}
	pr, err := a.project(r, c, need)
	if err != nil {
		return jobRef{}, err
	}
	j, err := a.d.Repo.JobByNumber(r.Context(), pr.V.ID, n)
	if repo.IsNotFound(err) {
		return jobRef{}, errorf(http.StatusNotFound, "Job not found.")
	}
	if err != nil {
		return jobRef{}, err
	}
	return jobRef{j.V, pr.V}, nil
}

// jobByID loads a job by id and checks the caller's role.
func (a *API) jobByID(ctx context.Context, c *Caller, id, need string) (jobRef, error) {
	j, err := a.d.Repo.Job(ctx, id)
	if repo.IsNotFound(err) {
		return jobRef{}, errorf(http.StatusNotFound, "Job not found.")
	}
	if err != nil {
		return jobRef{}, err
	}
	pr, err := a.d.Repo.Project(ctx, j.V.ProjectID)
	if repo.IsNotFound(err) {
		return jobRef{}, errorf(http.StatusNotFound, "Job not found.")
	}
	if err != nil {
		return jobRef{}, err
	}
	return jobRef{j.V, pr.V}, a.authorize(ctx, c, pr.V.OrgID, need, "Job")
}

// dataJobID is the job whose tasks, output and blobs hold a job's results: a job a rerun carried over without
// running keeps those of the job it copies.
func dataJobID(j domain.Job) string {
	if j.CarriedFrom != "" {
		return j.CarriedFrom
	}
	return j.ID
}

// jobDetailsJSON is CircleCI's Job details.
type jobDetailsJSON struct {
	WebURL         string         `json:"web_url"`
	Project        projectRefJSON `json:"project"`
	ParallelRuns   []parallelRun  `json:"parallel_runs"`
	StartedAt      *time.Time     `json:"started_at"`
	LatestWorkflow idNameJSON     `json:"latest_workflow"`
	Name           string         `json:"name"`
	Executor       executorJSON   `json:"executor"`
	Parallelism    int            `json:"parallelism"`
	Status         string         `json:"status"`
	Number         int64          `json:"number"`
	Pipeline       struct {
		ID string `json:"id"`
	} `json:"pipeline"`
	Duration     *int64        `json:"duration"`
	CreatedAt    time.Time     `json:"created_at"`
	Messages     []messageJSON `json:"messages"`
	Contexts     []nameJSON    `json:"contexts"`
	Organization nameJSON      `json:"organization"`
	QueuedAt     *time.Time    `json:"queued_at"`
	StoppedAt    *time.Time    `json:"stopped_at"`
}

type projectRefJSON struct {
	ID          string `json:"id"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	ExternalURL string `json:"external_url"`
}

type parallelRun struct {
	Index  int    `json:"index"`
	Status string `json:"status"`
}

type idNameJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type executorJSON struct {
	ResourceClass string `json:"resource_class"`
	Type          string `json:"type"`
}

type messageJSON struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Reason  string `json:"reason,omitempty"`
}

type nameJSON struct {
	Name string `json:"name"`
}

// jobDetails assembles a job's details from its workflow, tasks and org.
func (a *API) jobDetails(ctx context.Context, ref jobRef) (jobDetailsJSON, error) {
	j, p := ref.job, ref.project
	wf, err := a.d.Repo.Workflow(ctx, j.WorkflowID)
	if err != nil {
		return jobDetailsJSON{}, fmt.Errorf("workflow of job %s: %w", j.ID, err)
	}
	org, err := a.d.Repo.Org(ctx, p.OrgID)
	if err != nil {
		return jobDetailsJSON{}, fmt.Errorf("org of project %s: %w", p.Slug, err)
	}
	tasks, err := a.d.Repo.Tasks(ctx, dataJobID(j))
	if err != nil {
		return jobDetailsJSON{}, fmt.Errorf("tasks of job %s: %w", j.ID, err)
	}
	runs := make([]parallelRun, 0, max(j.Parallelism, len(tasks)))
	for _, t := range tasks {
		runs = append(runs, parallelRun{Index: t.V.Index, Status: string(t.V.Status)})
	}
	for i := len(runs); i < j.Parallelism && len(tasks) == 0; i++ { // not queued yet
		runs = append(runs, parallelRun{Index: i, Status: string(j.Status)})
	}
	d := jobDetailsJSON{
		WebURL:       a.jobWebURL(wf.V, j),
		Project:      projectRefJSON{ID: p.ID, Slug: p.Slug, Name: p.Name, ExternalURL: externalURL(p.RepoURL)},
		ParallelRuns: runs, StartedAt: timeOrNil(j.StartedAt),
		LatestWorkflow: idNameJSON{ID: wf.V.ID, Name: wf.V.Name}, Name: j.Name, Executor: executorOf(j.Plan),
		Parallelism: max(j.Parallelism, 1), Status: string(j.Status), Number: j.Number, CreatedAt: wf.V.CreatedAt,
		Messages: []messageJSON{}, Contexts: make([]nameJSON, 0, len(j.Contexts)),
		Organization: nameJSON{Name: org.V.Name}, QueuedAt: timeOrNil(j.QueuedAt), StoppedAt: timeOrNil(j.StoppedAt),
	}
	d.Pipeline.ID = j.PipelineID
	if !j.StartedAt.IsZero() && !j.StoppedAt.IsZero() {
		ms := j.StoppedAt.Sub(j.StartedAt).Milliseconds()
		d.Duration = &ms
	}
	if j.Message != "" {
		d.Messages = append(d.Messages, messageJSON{Type: "info", Message: j.Message})
	}
	for _, name := range j.Contexts {
		d.Contexts = append(d.Contexts, nameJSON{name})
	}
	return d, nil
}

// jobWebURL is the page of a job in the UI.
func (a *API) jobWebURL(wf domain.Workflow, j domain.Job) string {
	return fmt.Sprintf("%s/pipelines/%s/%d/workflows/%s/jobs/%d", strings.TrimSuffix(a.d.WebURL, "/"),
		j.ProjectSlug, wf.PipelineNumber, wf.ID, j.Number)
}

// executorOf is the executor type and resource class of a job, with CircleCI's default class.
func executorOf(pj plan.Job) executorJSON {
	e := executorJSON{ResourceClass: pj.Executor.ResourceClass, Type: pj.Executor.Kind}
	if e.ResourceClass == "" {
		e.ResourceClass = "medium"
	}
	if e.Type == "" {
		e.Type = plan.ExecDocker
	}
	return e
}

// externalURL is the web page of a repository: git@host:o/r.git and https://host/o/r.git give https://host/o/r;
// a local path stays as it is.
func externalURL(repoURL string) string {
	u := strings.TrimSuffix(repoURL, ".git")
	if rest, ok := strings.CutPrefix(u, "git@"); ok {
		if host, path, ok := strings.Cut(rest, ":"); ok {
			return "https://" + host + "/" + path
		}
	}
	if rest, ok := strings.CutPrefix(u, "ssh://git@"); ok {
		return "https://" + rest
	}
	return u
}

func (a *API) getProjectJob(w http.ResponseWriter, r *http.Request, c *Caller) error {
	ref, err := a.jobByNumber(r, c, domain.RoleViewer)
	if err != nil {
		return err
	}
	return a.writeJobDetails(w, r, ref)
}

func (a *API) getJobByID(w http.ResponseWriter, r *http.Request, c *Caller) error {
	ref, err := a.jobByID(r.Context(), c, r.PathValue("id"), domain.RoleViewer)
	if err != nil {
		return err
	}
	return a.writeJobDetails(w, r, ref)
}

func (a *API) writeJobDetails(w http.ResponseWriter, r *http.Request, ref jobRef) error {
	d, err := a.jobDetails(r.Context(), ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) cancelProjectJob(w http.ResponseWriter, r *http.Request, c *Caller) error {
	ref, err := a.jobByNumber(r, c, domain.RoleMember)
	if err != nil {
		return err
	}
	return a.cancelJob(w, r, c, ref)
}

func (a *API) cancelJobByID(w http.ResponseWriter, r *http.Request, c *Caller) error {
	ref, err := a.jobByID(r.Context(), c, r.PathValue("id"), domain.RoleMember)
	if err != nil {
		return err
	}
	return a.cancelJob(w, r, c, ref)
}

func (a *API) cancelJob(w http.ResponseWriter, r *http.Request, c *Caller, ref jobRef) error {
	if ref.job.Status.Terminal() {
		return errorf(http.StatusConflict, "Job %s has already ended (%s).", ref.job.Name, ref.job.Status)
	}
	if err := a.d.Workflows.CancelJob(r.Context(), ref.job.ID, c.User.Login); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, acceptedJSON)
	return nil
}
