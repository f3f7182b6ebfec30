package config

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"github.com/caravan-ci/caravan/shared/config/orb"
	"github.com/caravan-ci/caravan/shared/plan"
)

// Semantic tests: small inline configs compiled against an in-memory orb
// registry, checking the processed config, the plan, or a positioned error.
// Every config starts on line 1 of its raw string, so positions in `pos`
// count from the `version` line.

// semCase is one compilation and what it must produce.
type semCase struct {
	name  string
	src   string
	pipe  Pipeline
	want  map[string]any // path in the processed config -> value (see semLookup)
	plan  []string       // semPlanLines of the plan
	err   string         // an error whose message contains this...
	pos   string         // ...at this position (file:line:col)
	warn  string         // a warning containing this
	check func(t *testing.T, r *Result)
}

// semOrbs is the registry every semantic test compiles against.
var semOrbs = orb.NewDir(fstest.MapFS{
	"acme/tools/1.0.0/orb.yml": {Data: []byte(semToolsOrb("1.0.0"))},
	"acme/tools/1.2.0/orb.yml": {Data: []byte(semToolsOrb("1.2.0"))},
	"acme/tools/1.2.3/orb.yml": {Data: []byte(semToolsOrb("1.2.3"))},
	"acme/tools/2.0.0/orb.yml": {Data: []byte(semToolsOrb("2.0.0"))},
	"acme/base/1.4.0/orb.yml": {Data: []byte(`version: 2.1
commands:
  greet:
    parameters:
      who: {type: string, default: world}
    steps:
      - run: echo hello << parameters.who >>
executors:
  default:
    parameters:
      tag: {type: string, default: "1.0"}
    docker: [{image: "cimg/base:<< parameters.tag >>"}]
    environment: {FROM_EXECUTOR: base}
`)},
	"acme/loop/1.0.0/orb.yml": {Data: []byte("version: 2.1\norbs:\n  me: acme/loop@1\n")},
	"acme/app/1.0.0/orb.yml": {Data: []byte(`version: 2.1
orbs:
  base: acme/base@1
commands:
  prepare:
    steps:
      - base/greet: {who: app}
jobs:
  test:
    parameters:
      suite: {type: enum, enum: [unit, e2e], default: unit}
      parallel: {type: integer, default: 1}
    executor: {name: base/default, tag: "2.0"}
    parallelism: << parameters.parallel >>
    steps:
      - prepare
      - run: make << parameters.suite >>
  lint:
    executor: base/default
    steps: [{run: make lint}]
`)},
})

func semToolsOrb(v string) string {
	return "version: 2.1\ncommands:\n  hi:\n    steps: [{run: echo tools " + v + "}]\n"
}

func runSemCases(t *testing.T, cases []semCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Compile(context.Background(), []byte(tc.src), Options{File: "config.yml", Registry: semOrbs, Pipeline: tc.pipe})
			if tc.err != "" {
				semCheckErr(t, err, tc.err, tc.pos)
				return
			}
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if tc.want != nil {
				doc := semDecode(t, res)
				for _, path := range semKeys(tc.want) {
					got, ok := semLookup(doc, path)
					if !ok {
						t.Errorf("%s: missing in processed config:\n%s", path, res.YAML())
						continue
					}
					if diff := cmp.Diff(tc.want[path], got); diff != "" {
						t.Errorf("%s (-want +got):\n%s\nprocessed:\n%s", path, diff, res.YAML())
					}
				}
			}
			if tc.plan != nil {
				if diff := cmp.Diff(tc.plan, semPlanLines(res.Plan)); diff != "" {
					t.Errorf("plan (-want +got):\n%s", diff)
				}
			}
			if tc.warn != "" && !semHasWarning(res, tc.warn) {
				t.Errorf("no warning containing %q; warnings: %v", tc.warn, res.Warnings)
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

// semCheckErr asserts that err is a diag.List holding an error at pos whose
// message contains substr.
func semCheckErr(t *testing.T, err error, substr, pos string) {
	t.Helper()
	if err == nil {
		t.Fatalf("compiled without error; want %q at %s", substr, pos)
	}
	var list diag.List
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, not diag.List: %v", err, err)
	}
	for _, e := range list {
		if e.Pos.String() == pos && strings.Contains(e.Msg, substr) {
			return
		}
	}
	t.Errorf("want an error containing %q at %s; got:\n%v", substr, pos, err)
}

func semHasWarning(r *Result, substr string) bool {
	for _, w := range r.Warnings {
		if strings.Contains(w.Error(), substr) {
			return true
		}
	}
	return false
}

func semDecode(t *testing.T, r *Result) any {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(r.YAML(), &doc); err != nil {
		t.Fatalf("processed config does not decode: %v\n%s", err, r.YAML())
	}
	return doc
}

// semLookup walks a decoded document along a dotted path. A segment in
// brackets is taken literally (for names holding dots or slashes); a number
// indexes a list.
func semLookup(doc any, path string) (any, bool) {
	cur := doc
	for _, seg := range semSplitPath(path) {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			var i int
			if _, err := fmt.Sscanf(seg, "%d", &i); err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func semSplitPath(path string) []string {
	var out []string
	for path != "" {
		if strings.HasPrefix(path, "[") {
			end := strings.IndexByte(path, ']')
			out = append(out, path[1:end])
			path = strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		seg, rest, _ := strings.Cut(path, ".")
		out = append(out, seg)
		path = rest
	}
	return out
}

func semKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// semPlanLines renders a plan compactly: "wf: job <- req, req:status|status"
// for each job that runs, "wf: -job" for each job filtered out and "-wf"
// for each workflow that does not run.
func semPlanLines(p *plan.Plan) []string {
	out := []string{}
	for _, w := range p.Workflows {
		for _, j := range w.Jobs {
			line := w.Name + ": " + j.Name
			var reqs []string
			for _, r := range j.Requires {
				if len(r.Statuses) == 1 && r.Statuses[0] == "success" {
					reqs = append(reqs, r.Job)
				} else {
					reqs = append(reqs, r.Job+":"+strings.Join(r.Statuses, "|"))
				}
			}
			if len(reqs) > 0 {
				line += " <- " + strings.Join(reqs, ", ")
			}
			out = append(out, line)
		}
		for _, s := range w.Skipped {
			out = append(out, w.Name+": -"+s.Name)
		}
	}
	for _, s := range p.Skipped {
		out = append(out, "-"+s.Name)
	}
	return out
}

// semPlanJob finds a job of a plan by workflow and name.
func semPlanJob(t *testing.T, p *plan.Plan, wf, job string) plan.Job {
	t.Helper()
	for _, w := range p.Workflows {
		if w.Name != wf {
			continue
		}
		for _, j := range w.Jobs {
			if j.Name == job {
				return j
			}
		}
	}
	t.Fatalf("plan has no job %s/%s: %v", wf, job, semPlanLines(p))
	return plan.Job{}
}

// A job body reused by many configs below.
const semDocker = `docker: [{image: cimg/base:stable}]`

func TestSemanticsVersion(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "version 2 without workflows runs build as workflow \"workflow\"",
		src: `version: 2
jobs:
  build:
    ` + semDocker + `
    steps: [checkout]
  other:
    ` + semDocker + `
    steps: [checkout]
`,
		want: map[string]any{"workflows.workflow.jobs": []any{"build"}},
		plan: []string{"workflow: build"},
	}, {
		name: "version 2 without workflows or a build job",
		src:  "version: 2\njobs:\n  biuld:\n    " + semDocker + "\n    steps: [checkout]\n",
		err:  `no job named ` + "`build`" + ` to run: add a workflow (did you mean "biuld"?)`, pos: "config.yml:1:1",
	}, {
		name: "version 2.0 with workflows version 2",
		src: `version: 2.0
jobs:
  build:
    ` + semDocker + `
    steps: [checkout]
workflows:
  version: 2
  main:
    jobs: [build]
`,
		plan: []string{"main: build"},
	}, {
		name: "commands need 2.1",
		src:  "version: 2\ncommands:\n  c: {steps: [checkout]}\njobs:\n  build:\n    " + semDocker + "\n    steps: [c]\n",
		err:  "`commands` needs `version: 2.1`", pos: "config.yml:3:3",
	}, {
		name: "orbs need 2.1",
		src:  "version: 2.0\norbs: {t: acme/tools@1}\njobs:\n  build:\n    " + semDocker + "\n    steps: [checkout]\n",
		err:  "`orbs` needs `version: 2.1`", pos: "config.yml:2:7",
	}, {
		name: "pipeline parameters need 2.1",
		src:  "version: 2\nparameters: {p: {type: string, default: x}}\njobs:\n  build:\n    " + semDocker + "\n    steps: [checkout]\n",
		err:  "`parameters` needs `version: 2.1`", pos: "config.yml:2:13",
	}, {
		name: "job parameters in a 2.0 workflow",
		src: `version: 2
jobs:
  build:
    ` + semDocker + `
    steps: [checkout]
workflows:
  version: 2
  w:
    jobs:
      - build: {flavour: x}
`,
		err: `unknown key "flavour" in workflow job "build" (job parameters need version 2.1)`, pos: "config.yml:10:17",
	}, {
		name: "matrix needs 2.1",
		src: `version: 2
jobs:
  build:
    ` + semDocker + `
    steps: [checkout]
workflows:
  version: 2
  w:
    jobs:
      - build: {matrix: {parameters: {a: [1]}}}
`,
		err: "`matrix` needs `version: 2.1`", pos: "config.yml:10:25",
	}, {
		name: "unsupported version",
		src:  "version: 3\njobs: {}\n",
		err:  `unsupported config version "3"`, pos: "config.yml:1:10",
	}, {
		name: "missing version",
		src:  "jobs: {}\n",
		err:  "config has no `version`", pos: "config.yml:1:1",
	}})
}
