package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/taskblobs"
	"github.com/caravan-ci/caravan/shared/taskserver"
)

const v1Proj = "/api/v1.1/project/gh/acme/api"

func v1Steps(j domain.Job, node int, failed bool) []domain.Step {
	t0 := j.StartedAt
	code0, code1 := 0, 0
	st := "success"
	if failed {
		code1, st = 1, "failed"
	}
	return []domain.Step{
		{Index: 0, Name: "Spin up environment", Type: "spin_up", Status: "success", StartedAt: t0,
			StoppedAt: t0.Add(100 * time.Millisecond), OutputBytes: 5},
		{Index: 1, Name: "Checkout code", Type: "checkout", Status: "success", StartedAt: t0, ExitCode: &code0},
		{Index: 2, Name: "unit", Type: "run", Status: st, StartedAt: t0, StoppedAt: t0.Add(time.Second),
			ExitCode: &code1, OutputBytes: 11},
		{Index: 3, Name: "skipped", Type: "run", Status: "skipped"},
	}
}

func TestV1Build(t *testing.T) {
	f, w, j := jobFixture(t)
	t0 := f.task(j, 0, domain.TaskSuccess, v1Steps(j, 0, false)...)
	f.task(j, 1, domain.TaskFailed, v1Steps(j, 1, true)...)
	for i, part := range []string{"hello ", "world"} {
		key := taskserver.OutputPrefix(t0.ID, 2) + fmt.Sprintf("%016d-%d", i*6, j.StartedAt.UnixMilli()+int64(i))
		f.putBlob(key, part)
	}

	var b map[string]any
	f.getJSON(plViewer, "GET", v1Proj+"/12", nil, http.StatusOK, &b)
	want := map[string]any{
		"build_num": 12.0, "status": "failed", "lifecycle": "finished", "outcome": "failed",
		"vcs_revision": fmt.Sprintf("%040d", 3), "branch": "main", "parallel": 2.0,
		"build_url":  fmt.Sprintf("https://ci.test/pipelines/gh/acme/api/3/workflows/%s/jobs/12", w.ID),
		"start_time": "2025-01-02T03:04:05Z", "stop_time": "2025-01-02T03:04:06.5Z",
		"build_time_millis": 1500.0, "username": "acme", "reponame": "api", "vcs_type": "github",
		"workflows": map[string]any{"workflow_id": w.ID, "workflow_name": "ci", "job_name": "test", "job_id": j.ID},
		"picard":    map[string]any{"resource_class": map[string]any{"cpu": 4.0, "ram": 8192.0, "class": "large"}},
	}
	for k, v := range want {
		gv, _ := json.Marshal(b[k])
		wv, _ := json.Marshal(v)
		if string(gv) != string(wv) {
			t.Errorf("%s = %s, want %s", k, gv, wv)
		}
	}
	steps := b["steps"].([]any)
	if len(steps) != 3 {
		t.Fatalf("%d steps, want 3 (the skipped one left out): %v", len(steps), steps)
	}
	unit := steps[2].(map[string]any)
	acts := unit["actions"].([]any)
	if unit["name"] != "unit" || len(acts) != 2 {
		t.Fatalf("unit step %v", unit)
	}
	a0, a1 := acts[0].(map[string]any), acts[1].(map[string]any)
	if a0["index"] != 0.0 || a0["step"] != 2.0 || a0["status"] != "success" || a0["failed"] != nil ||
		a0["bash_command"] != "go test ./..." || a0["has_output"] != true || a0["run_time_millis"] != 1000.0 ||
		a0["type"] != "test" || a0["exit_code"] != 0.0 {
		t.Errorf("node 0 action %v", a0)
	}
	if a1["index"] != 1.0 || a1["status"] != "failed" || a1["failed"] != true || a1["exit_code"] != 1.0 {
		t.Errorf("node 1 action %v", a1)
	}
	for _, k := range []string{"start_time", "end_time", "background", "canceled", "infrastructure_fail", "timedout",
		"output_url", "name"} {
		if _, ok := a0[k]; !ok {
			t.Errorf("action lacks %s", k)
		}
	}
	spin := steps[0].(map[string]any)["actions"].([]any)[0].(map[string]any)
	if spin["type"] != "infrastructure" || spin["bash_command"] != nil {
		t.Errorf("spin-up action %v", spin)
	}

	// The output URL works without credentials; tampering or expiry gives 403.
	out := a0["output_url"].(string)
	if !strings.HasPrefix(out, "https://ci.test/api/v1.1/output/") {
		t.Fatalf("output_url %q", out)
	}
	u, _ := url.Parse(out)
	var chunks []map[string]any
	f.getJSON("", "GET", u.RequestURI(), nil, http.StatusOK, &chunks)
	if len(chunks) != 2 || chunks[0]["message"] != "hello " || chunks[1]["message"] != "world" ||
		chunks[0]["type"] != "out" || chunks[0]["truncated"] != false || chunks[0]["time"] == nil {
		t.Errorf("output %v", chunks)
	}
	q := u.Query()
	expired := url.Values{"expires": {fmt.Sprint(time.Now().Add(-time.Minute).Unix())}, "sig": {q.Get("sig")}}
	other := strings.TrimSuffix(u.Path, "/2") + "/1?" + u.RawQuery
	f.runErrors(t, []errorCase{
		{"other step", "", "GET", other, nil, 403},
		{"expired", "", "GET", u.Path + "?" + expired.Encode(), nil, 403},
		{"bad signature", "", "GET", u.Path + "?expires=" + q.Get("expires") + "&sig=00", nil, 403},
		{"no signature", "", "GET", u.Path, nil, 403},
		{"outsider", plOutsider, "GET", v1Proj + "/12", nil, 404},
		{"no token", "", "GET", v1Proj + "/12", nil, 401},
		{"unknown", plViewer, "GET", v1Proj + "/99", nil, 404},
		{"bad number", plViewer, "GET", v1Proj + "/abc", nil, 400},
	})
}

func TestV1StatusAndPicard(t *testing.T) {
	for _, s := range domain.AllJobStatuses {
		if v1Status[s][0] == "" || v1Status[s][1] == "" {
			t.Errorf("no v1.1 status for %s", s)
		}
	}
	tests := map[string][2]int{"small": {1, 2048}, "medium": {2, 4096}, "medium+": {3, 6144}, "large": {4, 8192},
		"xlarge": {8, 16384}, "2xlarge": {16, 32768}, "gpu.nvidia.small": {2, 4096}}
	for class, want := range tests {
		p := picardOf(class).ResourceClass
		if p.CPU != want[0] || p.RAM != want[1] || p.Class != class {
			t.Errorf("picardOf(%q) = %+v, want %v", class, p, want)
		}
	}
}

func TestV1Artifacts(t *testing.T) {
	f, w, j := jobFixture(t)
	f.putBlob(taskblobs.ArtifactPrefix(j.ID, 1)+"report/index.html", "<html>")
	var arts []map[string]any
	f.getJSON(plViewer, "GET", v1Proj+"/12/artifacts", nil, http.StatusOK, &arts)
	if len(arts) != 1 || arts[0]["path"] != "report/index.html" || arts[0]["pretty_path"] != "report/index.html" ||
		arts[0]["node_index"] != 1.0 || !strings.HasPrefix(arts[0]["url"].(string), "http://blobs.test/") {
		t.Errorf("v1.1 artifacts %v", arts)
	}
	// latest: the newest job matching the branch and filter.
	newer := f.job(w, "newer", 20, domain.JobRunning)
	f.putBlob(taskblobs.ArtifactPrefix(newer.ID, 0)+"n.txt", "n")
	for _, tc := range []struct{ query, want string }{
		{"", "n.txt"}, {"?filter=completed", "report/index.html"}, {"?branch=main&filter=running", "n.txt"},
	} {
		f.getJSON(plViewer, "GET", v1Proj+"/latest/artifacts"+tc.query, nil, http.StatusOK, &arts)
		if len(arts) != 1 || arts[0]["path"] != tc.want {
			t.Errorf("latest%s: %v, want %s", tc.query, arts, tc.want)
		}
	}
	f.runErrors(t, []errorCase{
		{"no match", plViewer, "GET", v1Proj + "/latest/artifacts?branch=nope", nil, 404},
		{"bad filter", plViewer, "GET", v1Proj + "/latest/artifacts?filter=x", nil, 400},
		{"outsider", plOutsider, "GET", v1Proj + "/12/artifacts", nil, 404},
	})
}
