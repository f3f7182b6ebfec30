package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/config/orb"
)

// verdict is the expected outcome of checking one fixture config.
type verdict struct {
	path    string // under ../shared/corpus/fixtures
	valid   bool
	partial bool   // check as a fragment, as the JSON schema does
	errHas  string // a substring of the first error, when invalid
	warnHas string // a substring of some warning, when set
}

// The SchemaStore suite checks configs against the JSON schema: valid ones
// are fragments (undefined jobs, no workflows, orbs nobody has), so they are
// checked in partial mode. The language server's files are demo configs for
// the editor; the verdicts below are CircleCI's, and where they differ from
// the directory a file sits in the comment says why.
var verdicts = []verdict{
	// SchemaStore negative tests.
	{path: "schemastore/src/negative_test/circleciconfig/conflicting-resource-class.yml", partial: true, errHas: "resource_class both under `machine` and beside it"},
	{path: "schemastore/src/negative_test/circleciconfig/invalid-job-name-format.yml", partial: true, errHas: "job name"},
	{path: "schemastore/src/negative_test/circleciconfig/invalid-machine-executor-1.yml", partial: true, errHas: "needs a Windows machine image"},
	{path: "schemastore/src/negative_test/circleciconfig/invalid-machine-executor-2.yml", partial: true, errHas: "does not fit a macos executor"},
	{path: "schemastore/src/negative_test/circleciconfig/invalid-workflow-job-requires.yml", partial: true, errHas: `unknown status "invalid_job_status"`},

	// Language-server editor files.
	{path: "language-server/test-files/.circleci/config1.yml", valid: true, partial: true},
	{path: "language-server/test-files/.circleci/config2.yml", valid: true, partial: true},
	{path: "language-server/test-files/.circleci/config3.yml", valid: true, partial: true},
	{path: "language-server/test-files/.circleci/continuation.yml", valid: true, partial: true},
	{path: "language-server/test-files/.circleci/matrix-alias.yml", valid: true},
	// Invokes job `test` as a step: CircleCI has no such thing (jobs are not
	// steps), so it is invalid although the editor demo lists it as valid.
	{path: "language-server/test-files/.circleci/parameter-inline.yml", partial: true, errHas: `unknown step or command "test"`},
	{path: "language-server/test-files/.circleci/diagnostic.yml", partial: true, errHas: "needs an executor"},
	// An autocompletion demo: once circleci/node@5.0.3 exists nothing in it
	// is invalid.
	{path: "language-server/test-files/.circleci/invalid-files/autocomplete-jobs.yml", valid: true, partial: true},
	{path: "language-server/test-files/.circleci/invalid-files/bad-docker-image.yml", partial: true, errHas: "invalid docker image reference"},
	{path: "language-server/test-files/.circleci/invalid-files/job-without-steps.yml", errHas: "job \"steps\" must be a map"},
	// Passes `gcloud-service-key` to a command whose parameter is
	// `gcloud_service_key`: schema-valid, but CircleCI rejects it.
	{path: "schemastore/src/test/circleciconfig/chromeless.json", partial: true, errHas: `has no parameter "gcloud-service-key" (did you mean "gcloud_service_key"?)`},
	{path: "language-server/test-files/.circleci/invalid-files/not-defined-param.yml", errHas: "unknown step or command \"build\""},
	{path: "language-server/test-files/.circleci/invalid-files/unused-job.yml", valid: true, warnHas: `job "echo" is defined but no workflow runs it`},
	{path: "language-server/test-files/.circleci/invalid-files/unused-orb.yml", valid: true, partial: true, warnHas: `orb "go" is imported but not used`},
	{path: "language-server/test-files/.circleci/invalid-files/yaml-errors.yml", errHas: "invalid YAML"},

	// Language-server parser testdata (taken from CircleCI's own compiler tests).
	{path: "language-server/pkg/parser/testdata/build_agent/literal/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/build_agent/parameterized/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/build_agent/invalid/build.yml", errHas: "pipeline.parameters.not-exist"},
	{path: "language-server/pkg/parser/testdata/commands-with-reserved-names/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/conditional-steps/as-args/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/duplicate-names-across-workflows/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/executor/condition/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/executor/condition_primitive_value/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/executor/condition_with_alias/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/executor/invalid_condition/build.yml", errHas: "logic statement"},
	{path: "language-server/pkg/parser/testdata/namespaced_job/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/params/scoping_rules_are_respected/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/params/scoping_rules_are_respected_for_orbs/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/pipeline_parameters/additional_properties_invalid/build.yml", errHas: `unknown key "extra"`},
	{path: "language-server/pkg/parser/testdata/renames_requires/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/renames_requires/invalid.yml", errHas: "ambiguous"},
	{path: "language-server/pkg/parser/testdata/simple-cases/config1.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/simple-cases/config2.yml", valid: true, partial: true},
	{path: "language-server/pkg/parser/testdata/simple-cases/config3.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/timestamps/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/unknown/build_agent/build.yml", valid: true},
	{path: "language-server/pkg/parser/testdata/unknown/discard/build.yml", valid: true},
	// Uses continuation/continue without importing the orb, and has neither
	// workflows nor a build job.
	{path: "language-server/pkg/parser/testdata/workflows_missing/build.yml", errHas: "no `workflows`"},
}

func TestFixtureVerdicts(t *testing.T) {
	root := filepath.Join(needCorpus(t), "fixtures")
	reg := orb.NewDir(os.DirFS(filepath.Join(root, "language-server/pkg/parser/testdata/orb-registry")))
	// Every SchemaStore positive test is a valid fragment.
	pos, _ := filepath.Glob(filepath.Join(root, "schemastore/src/test/circleciconfig/*"))
	all := append([]verdict{}, verdicts...)
	for _, p := range pos {
		rel, _ := filepath.Rel(root, p)
		if strings.HasSuffix(rel, "chromeless.json") {
			continue // listed above
		}
		all = append(all, verdict{path: rel, valid: true, partial: true})
	}
	if len(pos) < 20 {
		t.Fatalf("expected the SchemaStore suite, found %d files", len(pos))
	}
	for _, v := range all {
		t.Run(v.path, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(root, v.path))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Compile(context.Background(), src, Options{File: filepath.Base(v.path), Registry: reg, Partial: v.partial,
				Pipeline: Pipeline{Branch: "main"}})
			if v.valid {
				if err != nil {
					t.Fatalf("want valid, got:\n%v", err)
				}
				if v.warnHas != "" && !hasWarning(res, v.warnHas) {
					t.Errorf("want a warning containing %q, got %v", v.warnHas, res.Warnings)
				}
				return
			}
			if err == nil {
				t.Fatalf("want invalid (%q), got valid", v.errHas)
			}
			if !strings.Contains(err.Error(), v.errHas) {
				t.Errorf("want an error containing %q, got:\n%v", v.errHas, err)
			}
			if !strings.Contains(err.Error(), filepath.Base(v.path)+":") {
				t.Errorf("errors should carry file:line:col, got:\n%v", err)
			}
		})
	}
}

func hasWarning(res *Result, s string) bool {
	for _, w := range res.Warnings {
		if strings.Contains(w.Error(), s) {
			return true
		}
	}
	return false
}
