package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
)

func TestWorkflowGetAndJobs(t *testing.T) {
	f := newPipelineFixture(t)
	p := f.pipeline(4, "main", plMember, time.Now())
	w := f.workflow(p, "build-test", domain.WorkflowOnHold)
	build := f.job(w, "build", 7, domain.JobSuccess)
	hold := f.job(w, "hold", 0, domain.JobOnHold, build.ID)
	f.job(w, "deploy", 8, domain.JobBlocked, hold.ID)

	var got map[string]any
	f.getJSON(plViewer, "GET", "/api/v2/workflow/"+w.ID, nil, http.StatusOK, &got)
	want := map[string]any{"id": w.ID, "name": "build-test", "pipeline_id": p.ID, "pipeline_number": 4.0,
		"project_slug": "gh/acme/api", "status": "on_hold", "started_by": plMember, "stopped_at": nil}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("workflow %s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["stopped_at"]; !ok || got["created_at"] == nil {
		t.Errorf("workflow lacks stopped_at or created_at: %v", got)
	}

	pages := f.pages(plViewer, "/api/v2/workflow/"+w.ID+"/job?limit=2")
	if len(pages) != 2 || len(pages[0]) != 2 || len(pages[1]) != 1 {
		t.Fatalf("job pages %v", pages)
	}
	jobs := map[string]map[string]any{}
	for _, pg := range pages {
		for _, j := range pg {
			jobs[j["name"].(string)] = j
		}
	}
	if j := jobs["hold"]; j["type"] != "approval" || j["approval_request_id"] != hold.ID || j["job_number"] != nil ||
		j["dependencies"].([]any)[0] != build.ID || j["status"] != "on_hold" {
		t.Errorf("approval job %v", j)
	}
	if j := jobs["build"]; j["type"] != "build" || j["job_number"] != 7.0 || len(j["dependencies"].([]any)) != 0 ||
		j["project_slug"] != "gh/acme/api" {
		t.Errorf("build job %v", j)
	}
	if _, ok := jobs["deploy"]["started_at"]; !ok {
		t.Errorf("job lacks started_at: %v", jobs["deploy"])
	}

	// Approve: the member approves, the deploy job's workflow goes on.
	f.runErrors(t, []errorCase{
		{"viewer approves", plViewer, "POST", "/api/v2/workflow/" + w.ID + "/approve/" + hold.ID, nil, 403},
		{"unknown approval", plMember, "POST", "/api/v2/workflow/" + w.ID + "/approve/" + domain.NewID(), nil, 404},
		{"outsider reads", plOutsider, "GET", "/api/v2/workflow/" + w.ID, nil, 404},
		{"outsider jobs", plOutsider, "GET", "/api/v2/workflow/" + w.ID + "/job", nil, 404},
		{"unknown workflow", plViewer, "GET", "/api/v2/workflow/" + domain.NewID(), nil, 404},
		{"no token", "", "GET", "/api/v2/workflow/" + w.ID, nil, 401},
	})
	var msg map[string]string
	f.getJSON(plMember, "POST", "/api/v2/workflow/"+w.ID+"/approve/"+hold.ID, nil, http.StatusAccepted, &msg)
	if msg["message"] != "Accepted." {
		t.Errorf("approve answered %v", msg)
	}
	j, err := f.repo.Job(t.Context(), hold.ID)
	if err != nil || j.V.Status != domain.JobSuccess || j.V.ApprovedBy != plMember {
		t.Errorf("approved job %+v, %v", j.V, err)
	}
	if code, out := f.do(plMember, "POST", "/api/v2/workflow/"+w.ID+"/approve/"+hold.ID, nil); code != 409 {
		t.Errorf("second approval: %d %s, want 409", code, out)
	}
}

func TestWorkflowCancel(t *testing.T) {
	f := newPipelineFixture(t)
	p := f.pipeline(1, "main", plMember, time.Now())
	w := f.workflow(p, "wf", domain.WorkflowRunning)
	j := f.job(w, "build", 1, domain.JobQueued)
	f.task(j, 0, domain.TaskQueued)
	f.runErrors(t, []errorCase{
		{"viewer cancels", plViewer, "POST", "/api/v2/workflow/" + w.ID + "/cancel", nil, 403},
		{"outsider cancels", plOutsider, "POST", "/api/v2/workflow/" + w.ID + "/cancel", nil, 404},
	})
	var msg map[string]string
	f.getJSON(plMember, "POST", "/api/v2/workflow/"+w.ID+"/cancel", nil, http.StatusAccepted, &msg)
	if msg["message"] != "Accepted." {
		t.Errorf("cancel answered %v", msg)
	}
	var got map[string]any
	f.getJSON(plViewer, "GET", "/api/v2/workflow/"+w.ID, nil, http.StatusOK, &got)
	if got["status"] != "canceled" || got["canceled_by"] != plMember {
		t.Errorf("canceled workflow %v", got)
	}
}

func TestWorkflowRerun(t *testing.T) {
	f := newPipelineFixture(t)
	p := f.pipeline(1, "main", plMember, time.Now())
	w := f.workflow(p, "wf", domain.WorkflowFailed)
	ok := f.job(w, "ok", 1, domain.JobSuccess)
	bad := f.job(w, "bad", 2, domain.JobFailed, ok.ID)
	running := f.workflow(p, "running", domain.WorkflowRunning)
	setup := f.workflow(p, "setup", domain.WorkflowSuccess)
	rec, err := f.repo.Workflow(t.Context(), setup.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec.V.Tag = "setup"
	f.write(repo.Update(rec))
	rerun := "/api/v2/workflow/" + w.ID + "/rerun"
	f.runErrors(t, []errorCase{
		{"from_failed and jobs", plMember, "POST", rerun, map[string]any{"from_failed": true, "jobs": []string{bad.ID}}, 400},
		{"enable_ssh alone", plMember, "POST", rerun, map[string]any{"enable_ssh": true}, 400},
		{"sparse_tree alone", plMember, "POST", rerun, map[string]any{"sparse_tree": true}, 400},
		{"unknown job", plMember, "POST", rerun, map[string]any{"jobs": []string{domain.NewID()}}, 400},
		{"malformed", plMember, "POST", rerun, "[", 400},
		{"viewer", plViewer, "POST", rerun, map[string]any{}, 403},
		{"outsider", plOutsider, "POST", rerun, map[string]any{}, 404},
		{"still running", plMember, "POST", "/api/v2/workflow/" + running.ID + "/rerun", nil, 409},
		{"setup workflow", plMember, "POST", "/api/v2/workflow/" + setup.ID + "/rerun", nil, 400},
	})
	for _, body := range []map[string]any{{"from_failed": true}, {"jobs": []string{bad.ID}, "sparse_tree": true}, {}} {
		var got map[string]string
		f.getJSON(plMember, "POST", rerun, body, http.StatusAccepted, &got)
		nw, err := f.repo.Workflow(t.Context(), got["workflow_id"])
		if err != nil || nw.V.RerunOf != w.ID || nw.V.StartedBy != plMember {
			t.Errorf("rerun %v made %+v, %v", body, nw.V, err)
		}
	}
}
