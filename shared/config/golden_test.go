package config

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/caravan-ci/caravan/shared/config/orb"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenPipelines gives the pipeline values a golden config's plan is made
// for; configs not listed use branch main, pushed by a webhook.
var goldenPipelines = map[string]Pipeline{
	"gruntwork-io__terratest": {Tag: "v1.2.3", Revision: "abc123", TriggerSource: "webhook"},
	"CircleCI-Public__circleci-demo-workflows.try-schedule-workflow": {Branch: "try-schedule-workflow", TriggerSource: "schedule", ScheduledWorkflow: "scheduled-workflow"},
	"facebook__react-native": {Branch: "main", TriggerSource: "webhook", Parameters: map[string]any{}},
}

func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/golden/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	reg := orb.NewDir(os.DirFS("testdata/orbs"))
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.yml") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(in), ".yml")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			pipe, ok := goldenPipelines[name]
			if !ok {
				pipe = Pipeline{Branch: "main", Revision: "0123456789abcdef", TriggerSource: "webhook"}
			}
			processed, err := Compile(context.Background(), src, Options{File: name + ".yml", Registry: reg,
				Pipeline: Pipeline{Branch: "main"}})
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			res, err := Compile(context.Background(), src, Options{File: name + ".yml", Registry: reg, Pipeline: pipe})
			if err != nil {
				t.Fatalf("compile for plan: %v", err)
			}
			planJSON, err := json.MarshalIndent(res.Plan, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(in, ".yml")+".golden.yml", processed.YAML())
			checkGolden(t, strings.TrimSuffix(in, ".yml")+".plan.golden.json", append(planJSON, '\n'))
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
