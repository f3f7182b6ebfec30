package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
)

// API v1.1: the job (build) endpoint tools still read step output from, and its artifacts. Step output is
// served by signed URLs (v1output.go), since v1.1 clients fetch output_url without credentials.

func (a *API) v1Routes() {
	const proj = "/api/v1.1/project/{vcs}/{org}/{repo}"
	a.handle("GET "+proj+"/{num}", a.getV1Build)
	a.handle("GET "+proj+"/{num}/artifacts", a.getV1Artifacts)
	a.handlePublic("GET /api/v1.1/output/{task}/{step}", a.getV1Output)
}

// v1BuildJSON is the part of CircleCI's v1.1 build that tools read.
type v1BuildJSON struct {
	BuildNum        int64             `json:"build_num"`
	Status          string            `json:"status"`
	Lifecycle       string            `json:"lifecycle"`
	Outcome         *string           `json:"outcome"`
	Failed          *bool             `json:"failed"`
	Canceled        bool              `json:"canceled"`
	Username        string            `json:"username"`
	Reponame        string            `json:"reponame"`
	VCSType         string            `json:"vcs_type"`
	VCSURL          string            `json:"vcs_url"`
	VCSRevision     string            `json:"vcs_revision"`
	Branch          *string           `json:"branch"`
	VCSTag          *string           `json:"vcs_tag"`
	Subject         *string           `json:"subject"`
	Body            *string           `json:"body"`
	BuildURL        string            `json:"build_url"`
	Parallel        int               `json:"parallel"`
	QueuedAt        *time.Time        `json:"queued_at"`
	StartTime       *time.Time        `json:"start_time"`
	StopTime        *time.Time        `json:"stop_time"`
	BuildTimeMillis *int64            `json:"build_time_millis"`
	BuildParameters map[string]string `json:"build_parameters"`
	Platform        string            `json:"platform"`
	Workflows       v1WorkflowJSON    `json:"workflows"`
	Picard          v1PicardJSON      `json:"picard"`
	Steps           []v1StepJSON      `json:"steps"`
}

type v1WorkflowJSON struct {
	WorkflowID   string `json:"workflow_id"`
	WorkflowName string `json:"workflow_name"`
	JobName      string `json:"job_name"`
	JobID        string `json:"job_id"`
}

type v1PicardJSON struct {
	ResourceClass v1ResourceClassJSON `json:"resource_class"`
}

type v1ResourceClassJSON struct {
	CPU   int    `json:"cpu"`
	RAM   int    `json:"ram"`
	Class string `json:"class"`
}

// v1Status is a job status in v1.1's words: lifecycle, status and outcome ("" for none yet).
var v1Status = map[domain.JobStatus][3]string{
	domain.JobSuccess:            {"finished", "success", "success"},
	domain.JobRunning:            {"running", "running", ""},
	domain.JobNotRun:             {"not_run", "not_run", ""},
	domain.JobFailed:             {"finished", "failed", "failed"},
	domain.JobRetried:            {"finished", "retried", ""},
	domain.JobQueued:             {"queued", "queued", ""},
	domain.JobNotRunning:         {"not_running", "not_running", ""},
	domain.JobInfrastructureFail: {"finished", "infrastructure_fail", "infrastructure_fail"},
	domain.JobTimedOut:           {"finished", "timedout", "timedout"},
	domain.JobOnHold:             {"not_running", "not_running", ""},
	domain.JobTerminatedUnknown:  {"finished", "infrastructure_fail", "infrastructure_fail"},
	domain.JobBlocked:            {"not_running", "not_running", ""},
	domain.JobCanceled:           {"finished", "canceled", "canceled"},
	domain.JobUnauthorized:       {"not_run", "not_run", ""},
}

// resourceClasses are the CPUs and MiB of RAM of CircleCI's Docker resource classes.
var resourceClasses = map[string][2]int{
	"small": {1, 2048}, "medium": {2, 4096}, "medium+": {3, 6144}, "large": {4, 8192},
	"xlarge": {8, 16384}, "2xlarge": {16, 32768},
}

func picardOf(class string) v1PicardJSON {
	size, ok := resourceClasses[class]
	if !ok {
		size = resourceClasses["medium"]
	}
	return v1PicardJSON{v1ResourceClassJSON{CPU: size[0], RAM: size[1], Class: class}}
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func trueOrNil(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

// vcsTypes are v1.1's names of the slug prefixes.
var vcsTypes = map[string]string{"gh": "github", "gl": "gitlab", "bb": "bitbucket"}

func (a *API) getV1Build(w http.ResponseWriter, r *http.Request, c *Caller) error {
	r.SetPathValue("number", r.PathValue("num"))
	ref, err := a.jobByNumber(r, c, domain.RoleViewer)
	if err != nil {
		return err
	}
	j, p := ref.job, ref.project
	wf, err := a.d.Repo.Workflow(r.Context(), j.WorkflowID)
	if err != nil {
		return fmt.Errorf("workflow of job %s: %w", j.ID, err)
	}
	pl, err := a.d.Repo.Pipeline(r.Context(), j.PipelineID)
	if err != nil {
		return fmt.Errorf("pipeline of job %s: %w", j.ID, err)
	}
	st := v1Status[j.Status]
	parts := strings.SplitN(p.Slug, "/", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	ex := executorOf(j.Plan)
	b := v1BuildJSON{
		BuildNum: j.Number, Lifecycle: st[0], Status: st[1], Outcome: strOrNil(st[2]),
		Failed: trueOrNil(j.Status.Failed()), Canceled: j.Status == domain.JobCanceled,
		Username: parts[1], Reponame: parts[2], VCSType: cmp.Or(vcsTypes[parts[0]], parts[0]),
		VCSURL: externalURL(p.RepoURL), VCSRevision: pl.V.VCS.Revision, Branch: strOrNil(pl.V.VCS.Branch),
		VCSTag: strOrNil(pl.V.VCS.Tag), Subject: strOrNil(pl.V.VCS.CommitSubject),
		Body: strOrNil(pl.V.VCS.CommitBody), BuildURL: a.jobWebURL(wf.V, j), Parallel: max(j.Parallelism, 1),
		QueuedAt: timeOrNil(j.QueuedAt), StartTime: timeOrNil(j.StartedAt), StopTime: timeOrNil(j.StoppedAt),
		BuildParameters: map[string]string{"CIRCLE_JOB": j.Name}, Platform: "2.0",
		Workflows: v1WorkflowJSON{WorkflowID: wf.V.ID, WorkflowName: wf.V.Name, JobName: j.Name, JobID: j.ID},
		Picard:    picardOf(ex.ResourceClass),
	}
	if !j.StartedAt.IsZero() && !j.StoppedAt.IsZero() {
		ms := j.StoppedAt.Sub(j.StartedAt).Milliseconds()
		b.BuildTimeMillis = &ms
	}
	if b.Steps, err = a.v1Steps(r.Context(), j); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

type v1StepJSON struct {
	Name    string         `json:"name"`
	Actions []v1ActionJSON `json:"actions"`
}

type v1ActionJSON struct {
	Index              int        `json:"index"`
	Step               int        `json:"step"`
	Name               string     `json:"name"`
	Type               string     `json:"type"`
	Status             string     `json:"status"`
	StartTime          *time.Time `json:"start_time"`
	EndTime            *time.Time `json:"end_time"`
	RunTimeMillis      *int64     `json:"run_time_millis"`
	ExitCode           *int       `json:"exit_code"`
	HasOutput          bool       `json:"has_output"`
	OutputURL          *string    `json:"output_url"`
	Background         bool       `json:"background"`
	Parallel           bool       `json:"parallel"`
	Truncated          bool       `json:"truncated"`
	Failed             *bool      `json:"failed"`
	Canceled           *bool      `json:"canceled"`
	InfrastructureFail *bool      `json:"infrastructure_fail"`
	Timedout           *bool      `json:"timedout"`
	BashCommand        *string    `json:"bash_command"`
}

// v1Steps lists a job's steps, each with one action per parallel node that ran it. Steps skipped by their
// when: condition are left out, as CircleCI does.
func (a *API) v1Steps(ctx context.Context, j domain.Job) ([]v1StepJSON, error) {
	tasks, err := a.d.Repo.Tasks(ctx, dataJobID(j))
	if err != nil {
		return nil, fmt.Errorf("tasks of job %s: %w", j.ID, err)
	}
	byIndex := map[int]*v1StepJSON{}
	expires := a.d.Now().Add(outputURLTTL)
	for _, t := range tasks {
		steps, err := a.d.Repo.Steps(ctx, t.V.ID)
		if err != nil {
			return nil, fmt.Errorf("steps of task %s: %w", t.V.ID, err)
		}
		for _, s := range steps {
			if s.V.Status == "skipped" {
				continue
			}
			st := byIndex[s.V.Index]
			if st == nil {
				st = &v1StepJSON{Name: s.V.Name}
				byIndex[s.V.Index] = st
			}
			st.Actions = append(st.Actions, a.v1Action(j, t.V, s.V, expires))
		}
	}
	indexes := make([]int, 0, len(byIndex))
	for i := range byIndex {
		indexes = append(indexes, i)
	}
	slices.Sort(indexes)
	out := make([]v1StepJSON, 0, len(indexes))
	for _, i := range indexes {
		st := byIndex[i]
		slices.SortFunc(st.Actions, func(x, y v1ActionJSON) int { return cmp.Compare(x.Index, y.Index) })
		out = append(out, *st)
	}
	return out, nil
}

func (a *API) v1Action(j domain.Job, t domain.Task, s domain.Step, expires time.Time) v1ActionJSON {
	status := s.Status
	if status == "" {
		status = "running"
	}
	act := v1ActionJSON{
		Index: t.Index, Step: s.Index, Name: s.Name, Type: "test", Status: status,
		StartTime: timeOrNil(s.StartedAt), EndTime: timeOrNil(s.StoppedAt), ExitCode: s.ExitCode,
		HasOutput: s.OutputBytes > 0, Background: s.Background, Parallel: j.Parallelism > 1,
		Failed: trueOrNil(status == "failed"), Canceled: trueOrNil(status == "canceled"),
		InfrastructureFail: trueOrNil(status == "infrastructure_fail"), Timedout: trueOrNil(status == "timedout"),
	}
	if s.Type == "spin_up" {
		act.Type = "infrastructure"
	}
	if !s.StartedAt.IsZero() && !s.StoppedAt.IsZero() {
		ms := s.StoppedAt.Sub(s.StartedAt).Milliseconds()
		act.RunTimeMillis = &ms
	}
	if i := s.Index - 1; i >= 0 && i < len(j.Plan.Steps) && j.Plan.Steps[i].Type == plan.StepRun {
		act.BashCommand = strOrNil(j.Plan.Steps[i].Command)
	}
	if act.HasOutput {
		act.OutputURL = strOrNil(a.outputURL(t.ID, s.Index, expires))
	}
	return act
}

func (a *API) getV1Artifacts(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var ref jobRef
	var err error
	if r.PathValue("num") == "latest" {
		ref, err = a.latestJob(r, c)
	} else {
		r.SetPathValue("number", r.PathValue("num"))
		ref, err = a.jobByNumber(r, c, domain.RoleViewer)
	}
	if err != nil {
		return err
	}
	arts, err := a.artifacts(r.Context(), ref.job)
	if err != nil {
		return err
	}
	type v1Artifact struct {
		Path       string `json:"path"`
		PrettyPath string `json:"pretty_path"`
		NodeIndex  int    `json:"node_index"`
		URL        string `json:"url"`
	}
	out := make([]v1Artifact, 0, len(arts))
	for _, art := range arts {
		out = append(out, v1Artifact{art.Path, art.Path, art.NodeIndex, art.URL})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
