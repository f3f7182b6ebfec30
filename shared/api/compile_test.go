package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestCompileConfig(t *testing.T) {
	type call struct {
		yaml           string
		values, params map[string]any
		owner          string
	}
	var got call
	compile := func(_ context.Context, y string, values, params map[string]any, owner string) (string, []string, error) {
		got = call{y, values, params, owner}
		switch {
		case strings.Contains(y, "crash"):
			return "", nil, errors.New("compiler broke")
		case strings.Contains(y, "bad"):
			return "", []string{"jobs: bad is not defined", "workflows: missing"}, nil
		}
		return "version: 2\n", nil, nil
	}
	f := newPipelineFixture(t, func(d *Deps) { d.Compile = compile })
	const path = "/api/v2/compile-config-with-defaults"
	var res struct {
		Valid  bool                `json:"valid"`
		Errors []map[string]string `json:"errors"`
		Source string              `json:"source-yaml"`
		Output string              `json:"output-yaml"`
	}
	f.getJSON(plOutsider, "POST", path, map[string]any{"config_yaml": "version: 2.1", "options": map[string]any{
		"pipeline_values": map[string]any{"pipeline.git.branch": "main"}, "pipeline_parameters": map[string]any{"x": 1},
	}}, http.StatusOK, &res)
	if !res.Valid || len(res.Errors) != 0 || res.Errors == nil || res.Source != "version: 2.1" || res.Output != "version: 2\n" {
		t.Errorf("valid config answered %+v", res)
	}
	if got.values["pipeline.git.branch"] != "main" || got.params["x"] != 1.0 || got.owner != "" {
		t.Errorf("compile called with %+v", got)
	}
	f.getJSON(plViewer, "POST", path, map[string]any{"config_yaml": "bad", "options": map[string]any{"owner_id": f.org.ID}},
		http.StatusOK, &res)
	if res.Valid || len(res.Errors) != 2 || res.Errors[0]["message"] != "jobs: bad is not defined" || res.Output != "" {
		t.Errorf("invalid config answered %+v", res)
	}
	if got.owner != f.org.ID {
		t.Errorf("owner %q, want %q", got.owner, f.org.ID)
	}
	f.runErrors(t, []errorCase{
		{"no token", "", "POST", path, map[string]any{"config_yaml": "x"}, 401},
		{"no config", plViewer, "POST", path, map[string]any{}, 400},
		{"malformed", plViewer, "POST", path, "{", 400},
		{"foreign owner", plOutsider, "POST", path, map[string]any{"config_yaml": "x", "options": map[string]any{"owner_id": f.org.ID}}, 404},
		{"unknown owner", plViewer, "POST", path, map[string]any{"config_yaml": "x", "options": map[string]any{"owner_id": "nope"}}, 404},
		{"compiler failure", plViewer, "POST", path, map[string]any{"config_yaml": "crash"}, 500},
	})
	off := newPipelineFixture(t)
	off.runErrors(t, []errorCase{{"disabled", plViewer, "POST", path, map[string]any{"config_yaml": "x"}, 501}})
}
