package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake"
	"github.com/caravan-ci/caravan/shared/repo"
)

const plProj = "/api/v2/project/gh/acme/api"

func TestPipelineTrigger(t *testing.T) {
	f := newPipelineFixture(t)
	var created map[string]any
	f.getJSON(plMember, "POST", plProj+"/pipeline",
		map[string]any{"branch": "dev", "parameters": map[string]any{"deploy": true, "n": 2}}, http.StatusCreated, &created)
	if created["number"] != 1.0 || created["state"] != "created" || created["id"] == "" || created["created_at"] == nil {
		t.Fatalf("trigger answered %v", created)
	}
	if len(created) != 4 {
		t.Errorf("trigger answered fields %v, want id, state, number, created_at", created)
	}
	var p map[string]any
	f.getJSON(plViewer, "GET", "/api/v2/pipeline/"+created["id"].(string), nil, http.StatusOK, &p)
	trig := p["trigger"].(map[string]any)
	vcs := p["vcs"].(map[string]any)
	switch {
	case p["project_slug"] != "gh/acme/api", p["number"] != 1.0, p["state"] != "created":
		t.Errorf("pipeline %v", p)
	case trig["type"] != "api" || trig["actor"].(map[string]any)["login"] != plMember || trig["received_at"] == nil:
		t.Errorf("trigger %v", trig)
	case vcs["branch"] != "dev" || vcs["provider_name"] == nil || vcs["target_repository_url"] == nil:
		t.Errorf("vcs %v", vcs)
	case p["trigger_parameters"].(map[string]any)["deploy"] != true:
		t.Errorf("trigger_parameters %v", p["trigger_parameters"])
	}
	if errs, ok := p["errors"].([]any); !ok || len(errs) != 0 {
		t.Errorf("errors = %#v, want []", p["errors"])
	}
	for _, k := range []string{"updated_at", "created_at"} {
		if _, ok := p[k]; !ok {
			t.Errorf("pipeline lacks %s", k)
		}
	}
	if _, ok := trig["actor"].(map[string]any)["avatar_url"]; !ok {
		t.Errorf("actor lacks avatar_url")
	}

	// The newer form; a tag; basic auth with the token as user name.
	f.getJSON(plMember, "POST", plProj+"/pipeline/run", map[string]any{"definition_id": "x",
		"config": map[string]string{"branch": "main"}, "checkout": map[string]string{"branch": "main"}},
		http.StatusCreated, &created)
	if created["number"] != 2.0 {
		t.Errorf("pipeline/run answered %v", created)
	}
	f.getJSON(plAdmin, "POST", plProj+"/pipeline", map[string]any{"tag": "v1.0.0"}, http.StatusCreated, &created)
	f.getJSON(plViewer, "GET", plProj+"/pipeline/3", nil, http.StatusOK, &p)
	if v := p["vcs"].(map[string]any); v["tag"] != "v1.0.0" || v["branch"] != nil {
		t.Errorf("tag pipeline vcs %v", v)
	}
}

func TestPipelineErrors(t *testing.T) {
	f := newPipelineFixture(t, func(d *Deps) { d.MaxBody = 256 })
	p := f.pipeline(1, "main", plMember, time.Now())
	big := `{"branch":"` + strings.Repeat("x", 300) + `"}`
	f.runErrors(t, []errorCase{
		{"no token", "", "POST", plProj + "/pipeline", nil, 401},
		{"bad token", "nobody", "GET", "/api/v2/pipeline/" + p.ID, nil, 401},
		{"viewer triggers", plViewer, "POST", plProj + "/pipeline", nil, 403},
		{"outsider triggers", plOutsider, "POST", plProj + "/pipeline", nil, 404},
		{"outsider reads", plOutsider, "GET", "/api/v2/pipeline/" + p.ID, nil, 404},
		{"outsider config", plOutsider, "GET", "/api/v2/pipeline/" + p.ID + "/config", nil, 404},
		{"unknown project", plMember, "POST", "/api/v2/project/gh/acme/nope/pipeline", nil, 404},
		{"unknown pipeline", plMember, "GET", "/api/v2/pipeline/" + domain.NewID(), nil, 404},
		{"unknown number", plMember, "GET", plProj + "/pipeline/99", nil, 404},
		{"bad number", plMember, "GET", plProj + "/pipeline/abc", nil, 400},
		{"branch and tag", plMember, "POST", plProj + "/pipeline", map[string]string{"branch": "a", "tag": "b"}, 400},
		{"malformed", plMember, "POST", plProj + "/pipeline", "{", 400},
		{"bad parameter", plMember, "POST", plProj + "/pipeline", `{"parameters":{"x":{"y":1}}}`, 400},
		{"bad branch", plMember, "POST", plProj + "/pipeline", `{"branch":"-x"}`, 400},
		{"run mismatch", plMember, "POST", plProj + "/pipeline/run",
			`{"config":{"branch":"a"},"checkout":{"branch":"b"}}`, 400},
		{"too large", plMember, "POST", plProj + "/pipeline", big, 413},
		{"bad page token", plMember, "GET", plProj + "/pipeline?page-token=!!!", nil, 400},
		{"bad limit", plMember, "GET", plProj + "/pipeline?limit=0", nil, 400},
		{"org outsider", plOutsider, "GET", "/api/v2/pipeline?org-slug=gh/acme", nil, 404},
		{"unknown org", plMember, "GET", "/api/v2/pipeline?org-slug=gh/nope", nil, 404},
	})
}

func TestPipelineRateLimit(t *testing.T) {
	f := newPipelineFixture(t, func(d *Deps) { d.RatePerSecond, d.RateBurst = 0.001, 1 })
	p := f.pipeline(1, "main", plMember, time.Now())
	if code, out := f.do(plViewer, "GET", "/api/v2/pipeline/"+p.ID, nil); code != 200 {
		t.Fatalf("first request: %d %s", code, out)
	}
	req := "/api/v2/pipeline/" + p.ID
	if code, out := f.do(plViewer, "GET", req, nil); code != http.StatusTooManyRequests {
		t.Fatalf("second request: %d %s, want 429", code, out)
	}
	if code, _ := f.do(plMember, "GET", req, nil); code != 200 { // buckets are per token
		t.Fatalf("another token: %d", code)
	}
}

// pages follows next_page_token from path and returns every page's items.
func (f *plFixture) pages(as, path string) [][]map[string]any {
	f.t.Helper()
	var all [][]map[string]any
	token := ""
	for range 100 {
		p := path
		if token != "" {
			p += map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + "page-token=" + token
		}
		var pg struct {
			Items []map[string]any `json:"items"`
			Next  *string          `json:"next_page_token"`
		}
		f.getJSON(as, "GET", p, nil, http.StatusOK, &pg)
		all = append(all, pg.Items)
		if pg.Next == nil {
			return all
		}
		token = *pg.Next
	}
	f.t.Fatalf("%s: too many pages", path)
	return nil
}

func numbers(pages [][]map[string]any) (out []int, sizes []int) {
	for _, p := range pages {
		sizes = append(sizes, len(p))
		for _, it := range p {
			out = append(out, int(it["number"].(float64)))
		}
	}
	return out, sizes
}

func TestPipelineLists(t *testing.T) {
	f := newPipelineFixture(t)
	base := time.Now().Add(-time.Hour)
	for n := int64(1); n <= 25; n++ {
		branch, actor := "main", plAdmin
		if n%2 == 0 {
			branch, actor = "dev", plMember
		}
		f.pipeline(n, branch, actor, base.Add(time.Duration(n)*time.Second))
	}
	desc := func(from, to, step int) []int {
		var out []int
		for n := from; n >= to; n -= step {
			out = append(out, n)
		}
		return out
	}
	tests := []struct {
		name, as, path string
		want, sizes    []int
	}{
		{"all", plViewer, plProj + "/pipeline", desc(25, 1, 1), []int{20, 5}},
		{"branch", plViewer, plProj + "/pipeline?branch=dev&limit=5", desc(24, 2, 2), []int{5, 5, 2}},
		{"mine", plMember, plProj + "/pipeline/mine?limit=10", desc(24, 2, 2), []int{10, 2}},
		{"org", plViewer, "/api/v2/pipeline?org-slug=gh/acme&limit=15", desc(25, 1, 1), []int{15, 10}},
		{"org long slug", plViewer, "/api/v2/pipeline?org-slug=github/acme&limit=30", desc(25, 1, 1), []int{25}},
		{"org mine", plMember, "/api/v2/pipeline?mine=true&limit=7", desc(24, 2, 2), []int{7, 5}},
		{"org admin", plRoot, "/api/v2/pipeline?org-slug=gh/acme&limit=100", desc(25, 1, 1), []int{25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sizes := numbers(f.pages(tt.as, tt.path))
			if !equalInts(got, tt.want) || !equalInts(sizes, tt.sizes) {
				t.Errorf("numbers %v in pages %v, want %v in %v", got, sizes, tt.want, tt.sizes)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPipelineConfigAndWorkflows(t *testing.T) {
	f := newPipelineFixture(t)
	p := f.pipeline(1, "main", plMember, time.Now())
	var cfg map[string]string
	f.getJSON(plViewer, "GET", "/api/v2/pipeline/"+p.ID+"/config", nil, http.StatusOK, &cfg)
	if cfg["source"] != "version: 2.1" || cfg["compiled"] != "version: 2" || len(cfg) != 4 {
		t.Errorf("config %v", cfg)
	}
	for _, k := range []string{"setup-config", "compiled-setup-config"} {
		if _, ok := cfg[k]; !ok {
			t.Errorf("config lacks %s", k)
		}
	}
	for i := range 3 {
		w := f.workflow(p, "wf", domain.WorkflowSuccess)
		w.CreatedAt = p.CreatedAt.Add(time.Duration(i) * time.Minute)
		f.write(repo.Put(repo.WorkflowKey(p.ID, w.ID), w, 0, 0))
	}
	pages := f.pages(plViewer, "/api/v2/pipeline/"+p.ID+"/workflow?limit=2")
	if len(pages) != 2 || len(pages[0]) != 2 || len(pages[1]) != 1 {
		t.Fatalf("workflow pages %v", pages)
	}
	if pages[0][0]["created_at"].(string) < pages[0][1]["created_at"].(string) {
		t.Errorf("workflows not newest first: %v", pages[0])
	}
}

func TestPipelineContinue(t *testing.T) {
	f := newPipelineFixture(t)
	plain := f.pipeline(1, "main", plMember, time.Now())
	setup := f.pipeline(2, "main", plMember, time.Now())
	rec, err := f.repo.Pipeline(t.Context(), setup.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec.V.State, rec.V.SetupConfigSource = domain.PipelineSetupPending, "version: 2.1\nsetup: true"
	f.write(repo.Update(rec))
	const cfg = "version: 2.1\njobs:\n  build:\n    docker: [{image: cimg/base:stable}]\n    steps: [checkout]\n" +
		"workflows:\n  main:\n    jobs: [build]\n"
	body := func(key string) map[string]any {
		return map[string]any{"continuation-key": key, "configuration": cfg, "parameters": map[string]any{}}
	}
	key := intake.ContinuationKey(f.secret, setup.ID)
	f.runErrors(t, []errorCase{
		{"no key", "", "POST", "/api/v2/pipeline/continue", map[string]any{"configuration": cfg}, 400},
		{"forged key", "", "POST", "/api/v2/pipeline/continue", body(setup.ID + ".00"), 400},
		{"no configuration", "", "POST", "/api/v2/pipeline/continue", map[string]any{"continuation-key": key}, 400},
		{"not a setup pipeline", "", "POST", "/api/v2/pipeline/continue",
			body(intake.ContinuationKey(f.secret, plain.ID)), 409},
	})
	var msg map[string]string
	f.getJSON("", "POST", "/api/v2/pipeline/continue", body(key), http.StatusOK, &msg)
	if msg["message"] == "" {
		t.Errorf("continue answered %v", msg)
	}
	code, out := f.do("", "POST", "/api/v2/pipeline/continue", body(key))
	if code != http.StatusConflict {
		t.Errorf("second continue: %d %s, want 409", code, out)
	}
	var p map[string]any
	f.getJSON(plViewer, "GET", "/api/v2/pipeline/"+setup.ID+"/config", nil, http.StatusOK, &p)
	if p["source"] != cfg || p["setup-config"] == "" {
		t.Errorf("continued config %v", p)
	}
	wfs := f.pages(plViewer, "/api/v2/pipeline/"+setup.ID+"/workflow")
	if len(wfs[0]) != 1 || wfs[0][0]["name"] != "main" {
		t.Errorf("continued workflows %v", wfs)
	}
}
