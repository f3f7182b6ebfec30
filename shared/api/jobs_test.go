package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/junit"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskblobs"
)

// jobFixture seeds a finished job 12 of pipeline 3 with two parallel nodes.
func jobFixture(t *testing.T) (*plFixture, domain.Workflow, domain.Job) {
	f := newPipelineFixture(t)
	p := f.pipeline(3, "main", plMember, time.Now().Add(-time.Minute))
	w := f.workflow(p, "ci", domain.WorkflowFailed)
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	j := domain.Job{ID: domain.NewID(), WorkflowID: w.ID, PipelineID: p.ID, ProjectID: f.proj.ID,
		ProjectSlug: f.proj.Slug, Name: "test", Type: domain.JobTypeBuild, Number: 12, Status: domain.JobFailed,
		Parallelism: 2, Contexts: []string{"aws"}, Attempt: 1, QueuedAt: start.Add(-time.Second), StartedAt: start,
		StoppedAt: start.Add(1500 * time.Millisecond), Message: "step 2 failed",
		Plan: plan.Job{Name: "test", Executor: plan.Executor{Kind: "docker", ResourceClass: "large"},
			Steps: []plan.Step{{Type: plan.StepCheckout}, {Type: plan.StepRun, Name: "unit", Command: "go test ./..."}}}}
	f.putJob(j)
	return f, w, j
}

func TestJobDetails(t *testing.T) {
	f, w, j := jobFixture(t)
	f.task(j, 0, domain.TaskSuccess)
	f.task(j, 1, domain.TaskFailed)
	var byNumber, byID map[string]any
	f.getJSON(plViewer, "GET", plProj+"/job/12", nil, http.StatusOK, &byNumber)
	f.getJSON(plViewer, "GET", "/api/v2/jobs/"+j.ID, nil, http.StatusOK, &byID)
	a, _ := json.Marshal(byNumber)
	b, _ := json.Marshal(byID)
	if string(a) != string(b) {
		t.Errorf("by number %s\nby id %s", a, b)
	}
	want := map[string]any{
		"web_url": fmt.Sprintf("https://ci.test/pipelines/gh/acme/api/3/workflows/%s/jobs/12", w.ID),
		"project": map[string]any{"id": f.proj.ID, "slug": "gh/acme/api", "name": "api",
			"external_url": "https://github.com/acme/api"},
		"parallel_runs":   []any{map[string]any{"index": 0.0, "status": "success"}, map[string]any{"index": 1.0, "status": "failed"}},
		"started_at":      "2025-01-02T03:04:05Z",
		"latest_workflow": map[string]any{"id": w.ID, "name": "ci"},
		"name":            "test",
		"executor":        map[string]any{"resource_class": "large", "type": "docker"},
		"parallelism":     2.0, "status": "failed", "number": 12.0,
		"pipeline":     map[string]any{"id": j.PipelineID},
		"duration":     1500.0,
		"messages":     []any{map[string]any{"type": "info", "message": "step 2 failed"}},
		"contexts":     []any{map[string]any{"name": "aws"}},
		"organization": map[string]any{"name": "acme"},
		"queued_at":    "2025-01-02T03:04:04Z",
		"stopped_at":   "2025-01-02T03:04:06.5Z",
	}
	for k, v := range want {
		gv, _ := json.Marshal(byNumber[k])
		wv, _ := json.Marshal(v)
		if string(gv) != string(wv) {
			t.Errorf("%s = %s, want %s", k, gv, wv)
		}
	}
	if byNumber["created_at"] == nil {
		t.Errorf("no created_at")
	}
	f.runErrors(t, []errorCase{
		{"outsider", plOutsider, "GET", plProj + "/job/12", nil, 404},
		{"outsider by id", plOutsider, "GET", "/api/v2/jobs/" + j.ID, nil, 404},
		{"unknown number", plViewer, "GET", plProj + "/job/99", nil, 404},
		{"unknown id", plViewer, "GET", "/api/v2/jobs/" + domain.NewID(), nil, 404},
		{"bad number", plViewer, "GET", plProj + "/job/x", nil, 400},
		{"no token", "", "GET", plProj + "/job/12", nil, 401},
		{"ended job cancel", plMember, "POST", plProj + "/job/12/cancel", nil, 409},
		{"unknown data", plViewer, "GET", plProj + "/12/whatever", nil, 404},
	})
}

func TestJobCancel(t *testing.T) {
	f := newPipelineFixture(t)
	p := f.pipeline(1, "main", plMember, time.Now())
	w := f.workflow(p, "wf", domain.WorkflowRunning)
	a := f.job(w, "a", 1, domain.JobRunning)
	b := f.job(w, "b", 2, domain.JobQueued)
	f.task(a, 0, domain.TaskRunning)
	f.runErrors(t, []errorCase{
		{"viewer", plViewer, "POST", plProj + "/job/1/cancel", nil, 403},
		{"viewer by id", plViewer, "POST", "/api/v2/jobs/" + a.ID + "/cancel", nil, 403},
		{"outsider", plOutsider, "POST", "/api/v2/jobs/" + a.ID + "/cancel", nil, 404},
	})
	f.getJSON(plMember, "POST", plProj+"/job/1/cancel", nil, http.StatusAccepted, nil)
	f.getJSON(plMember, "POST", "/api/v2/jobs/"+b.ID+"/cancel", nil, http.StatusAccepted, nil)
	for _, id := range []string{a.ID, b.ID} {
		j, err := f.repo.Job(t.Context(), id)
		if err != nil || j.V.Status != domain.JobCanceled || j.V.CanceledBy != plMember {
			t.Errorf("job %s after cancel: %+v, %v", id, j.V, err)
		}
	}
}

func TestJobArtifacts(t *testing.T) {
	f, _, j := jobFixture(t)
	srv := httptest.NewServer(f.blobs.Handler())
	defer srv.Close()
	if err := f.blobs.SetBaseURL(srv.URL); err != nil {
		t.Fatal(err)
	}
	for n := range 3 {
		f.putBlob(taskblobs.ArtifactPrefix(j.ID, n%2)+fmt.Sprintf("out/file%d.txt", n), fmt.Sprint("data", n))
	}
	f.putBlob("artifacts/"+j.ID+"x/0/other.txt", "not this job's")
	pages := f.pages(plViewer, plProj+"/12/artifacts?limit=2")
	if len(pages) != 2 || len(pages[0]) != 2 || len(pages[1]) != 1 {
		t.Fatalf("artifact pages %v", pages)
	}
	first := pages[0][0]
	if first["path"] != "out/file0.txt" || first["node_index"] != 0.0 || len(first) != 3 {
		t.Errorf("artifact %v", first)
	}
	if pages[1][0]["node_index"] != 1.0 {
		t.Errorf("node 1 artifact last: %v", pages[1][0])
	}
	resp, err := http.Get(first["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(data) != "data0" {
		t.Errorf("artifact URL gave %d %q", resp.StatusCode, data)
	}
	// A job a rerun carried over shows the artifacts of the job it copies.
	carried := j
	carried.ID, carried.Number, carried.CarriedFrom, carried.Name = domain.NewID(), 13, j.ID, "test-copy"
	f.putJob(carried)
	if got := f.pages(plViewer, plProj+"/13/artifacts"); len(got[0]) != 3 {
		t.Errorf("carried job artifacts %v", got)
	}
	f.runErrors(t, []errorCase{
		{"outsider", plOutsider, "GET", plProj + "/12/artifacts", nil, 404},
		{"unknown job", plViewer, "GET", plProj + "/99/artifacts", nil, 404},
	})
}

func TestJobTests(t *testing.T) {
	f, _, j := jobFixture(t)
	var cases []junit.Case
	for i := range 25 {
		cases = append(cases, junit.Case{Classname: "pkg", Name: fmt.Sprint("T", i), File: "a_test.go",
			Time: 0.5, Result: junit.ResultSuccess})
	}
	cases[3].Result, cases[3].Message = junit.ResultFailure, "boom"
	data, _ := json.Marshal(cases)
	f.putBlob(taskblobs.ResultsKey(j.ID, 0), string(data))
	pages := f.pages(plViewer, plProj+"/12/tests")
	if len(pages) != 2 || len(pages[0]) != 20 || len(pages[1]) != 5 {
		t.Fatalf("test pages of sizes %d", len(pages))
	}
	got, _ := json.Marshal(pages[0][3])
	want := `{"classname":"pkg","file":"a_test.go","message":"boom","name":"T3","result":"failure","run_time":0.5,"source":"unknown"}`
	if string(got) != want {
		t.Errorf("test item %s, want %s", got, want)
	}
	f.runErrors(t, []errorCase{
		{"outsider", plOutsider, "GET", plProj + "/12/tests", nil, 404},
		{"bad token", plViewer, "GET", plProj + "/12/tests?page-token=!!", nil, 400},
	})
}

func TestExternalURL(t *testing.T) {
	tests := map[string]string{
		"git@github.com:acme/api.git":        "https://github.com/acme/api",
		"https://gitlab.com/acme/api.git":    "https://gitlab.com/acme/api",
		"ssh://git@example.com/acme/api.git": "https://example.com/acme/api",
		"/srv/repos/api":                     "/srv/repos/api",
	}
	for in, want := range tests {
		if got := externalURL(in); got != want {
			t.Errorf("externalURL(%q) = %q, want %q", in, got, want)
		}
	}
}
