package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/caravan-ci/caravan/shared/config/diag"
)

// YAML loading as CircleCI users write it: anchors, merges, flow style.

func TestSemanticsYAML(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "anchor and alias copy a map and a list",
		src: `version: 2.1
x-image: &img {image: cimg/go:1.22}
x-steps: &steps
  - checkout
  - run: go test
jobs:
  build:
    docker: [*img]
    steps: *steps
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{"jobs.build.docker.0.image": "cimg/go:1.22", "jobs.build.steps.1.run": "go test"},
	}, {
		name: "several merge keys in one mapping: the first source wins, explicit keys win",
		src: `version: 2.1
x-a: &a {K: from-a, A: a}
x-b: &b {K: from-b, B: b, E: from-b}
jobs:
  build:
    ` + semDocker + `
    environment:
      E: explicit-before-merge
      <<: *a
      <<: *b
    steps: [checkout]
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{"jobs.build.environment": map[string]any{"K": "from-a", "A": "a", "B": "b", "E": "explicit-before-merge"}},
	}, {
		name: "merge of a list of maps: earlier maps win, a later explicit key wins",
		src: `version: 2.1
x-a: &a {K: from-a}
x-b: &b {K: from-b, L: from-b}
jobs:
  build:
    ` + semDocker + `
    environment:
      <<: [*a, *b]
      L: explicit
    steps: [checkout]
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{"jobs.build.environment": map[string]any{"K": "from-a", "L": "explicit"}},
	}, {
		name: "merge a whole job definition and override one key",
		src: `version: 2.1
x-job: &job
  docker: [{image: cimg/node:20.0}]
  working_directory: /src
  steps: [checkout]
jobs:
  a: *job
  b:
    <<: *job
    working_directory: /other
workflows:
  w: {jobs: [a, b]}
`,
		want: map[string]any{"jobs.a.working_directory": "/src", "jobs.b.working_directory": "/other", "jobs.b.docker.0.image": "cimg/node:20.0"},
	}, {
		name: "anchor defined twice: later aliases see the later definition",
		src: `version: 2.1
x1: &v {V: first}
jobs:
  a:
    ` + semDocker + `
    environment: *v
    steps: [checkout]
  b:
    ` + semDocker + `
    environment: &v {V: second}
    steps: [checkout]
  c:
    ` + semDocker + `
    environment: *v
    steps: [checkout]
workflows:
  w: {jobs: [a, b, c]}
`,
		want: map[string]any{"jobs.a.environment.V": "first", "jobs.b.environment.V": "second", "jobs.c.environment.V": "second"},
	}, {
		name: "top-level keys holding only anchors are ignored",
		src: `version: 2.1
references:
  img: &img cimg/base:2024.01
defaults: &defaults
  docker: [{image: *img}]
jobs:
  build:
    <<: *defaults
    steps: [checkout]
workflows:
  w: {jobs: [build]}
`,
		check: func(t *testing.T, r *Result) {
			doc := semDecode(t, r).(map[string]any)
			if diff := cmp.Diff([]string{"jobs", "version", "workflows"}, semKeys(doc)); diff != "" {
				t.Errorf("top-level keys (-want +got):\n%s", diff)
			}
		},
	}, {
		name: "a near miss of a top-level key is a warning",
		src: `version: 2.1
executor: &e {docker: [{image: cimg/base:stable}]}
jobs:
  build:
    <<: *e
    steps: [checkout]
workflows:
  w: {jobs: [build]}
`,
		warn: `config.yml:2:1: top-level key "executor" is ignored (did you mean "executors"?)`,
	}, {
		name: "numbers and booleans as environment values become strings",
		src: `version: 2.1
jobs:
  build:
    ` + semDocker + `
    environment: {INT: 1, FLOAT: 1.50, BOOL: true, NULLISH: ~, STR: "007", YES: yes, ON: On, QUOTED: "no"}
    steps:
      - run:
          command: env
          environment: {STEP: 42, OFF: off}
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{
			// Plain yes/on/off are YAML 1.1 booleans, as CircleCI reads them.
			"jobs.build.environment": map[string]any{"INT": "1", "FLOAT": "1.50", "BOOL": "true", "NULLISH": "", "STR": "007",
				"YES": "true", "ON": "true", "QUOTED": "no"},
		},
		check: func(t *testing.T, r *Result) {
			j := semPlanJob(t, r.Plan, "w", "build")
			want := map[string]string{"INT": "1", "FLOAT": "1.50", "BOOL": "true", "NULLISH": "", "STR": "007", "YES": "true", "ON": "true", "QUOTED": "no"}
			if diff := cmp.Diff(want, j.Environment); diff != "" {
				t.Errorf("plan environment (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"STEP": "42", "OFF": "false"}, j.Steps[0].Environment); diff != "" {
				t.Errorf("plan step environment (-want +got):\n%s", diff)
			}
		},
	}, {
		name: "flow style throughout",
		src:  `{version: 2.1, jobs: {build: {docker: [{image: cimg/base:stable}], steps: [checkout, {run: {name: t, command: make}}]}}, workflows: {w: {jobs: [build]}}}`,
		want: map[string]any{"jobs.build.steps.0": "checkout", "jobs.build.steps.1.run.command": "make", "workflows.w.jobs.0": "build"},
	}, {
		name: "duplicate keys: the later value wins",
		src: `version: 2.1
jobs:
  build:
    ` + semDocker + `
    working_directory: /a
    working_directory: /b
    steps: [checkout]
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{"jobs.build.working_directory": "/b"},
	}, {
		name: "invalid YAML is a positioned error",
		src:  "version: 2.1\njobs:\n  build: [\n",
		err:  "invalid YAML", pos: "config.yml:3",
	}, {
		name: "an alias to an unknown anchor",
		src:  "version: 2.1\njobs: *nope\n",
		err:  "unknown anchor 'nope'", pos: "config.yml:2:7",
	}})
}

func TestSemanticsLimits(t *testing.T) {
	laughs := "version: 2.1\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i := 1; i <= 9; i++ {
		laughs += fmt.Sprintf("l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	// Commands calling the previous one ten times: 10^8 steps.
	cmds := "version: 2.1\ncommands:\n  c0: {steps: [{run: x}]}\n"
	for i := 1; i <= 8; i++ {
		cmds += fmt.Sprintf("  c%d: {steps: [c%d, c%d, c%d, c%d, c%d, c%d, c%d, c%d, c%d, c%d]}\n", i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	cmds += "jobs:\n  build: {" + semDocker + ", steps: [c8]}\nworkflows:\n  w: {jobs: [build]}\n"
	values := "["
	for i := 0; i < 33; i++ {
		values += fmt.Sprintf("%d, ", i)
	}
	values += "]"
	runSemCases(t, []semCase{{
		name: "a huge input is rejected",
		src:  "version: 2.1\n#" + strings.Repeat("x", 4<<20) + "\n",
		err:  "over the limit of 4194304 bytes", pos: "config.yml",
	}, {
		name: "billion laughs",
		src:  laughs,
		err:  "this value expands to more than 2000000 YAML nodes", pos: "config.yml:8:5",
		check: nil,
	}, {
		name: "commands multiplying steps exhaust the output budget",
		src:  cmds,
		err:  "config expands to more than 4000000 nodes", pos: "config.yml",
	}, {
		name: "a matrix over 1024 jobs",
		src:  "version: 2.1\njobs:\n  t:\n    parameters: {a: {type: integer}, b: {type: integer}}\n    " + semDocker + "\n    steps: [checkout]\nworkflows:\n  w:\n    jobs:\n      - t: {matrix: {parameters: {a: " + values + ", b: " + values + "}}}\n",
		err:  "matrix expands to more than 1024 jobs", pos: "config.yml:10:21",
	}, {
		name: "deep nesting",
		src:  "version: 2.1\nx: " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\n",
		err:  "config nests deeper than 256 levels", pos: "config.yml:2:260",
	}, {
		name: "an alias cycle through a merge",
		src:  "version: 2.1\nx: &x {<<: *x}\n",
		err:  "alias *x refers to itself", pos: "config.yml:2:12",
	}})
}

// TestSemanticsNoPanic compiles malformed configs: each must give either a
// result or positioned errors, never an internal error.
func TestSemanticsNoPanic(t *testing.T) {
	inputs := []string{
		"", "~", "- a\n- b\n", "version: 2.1\n", "version: 2.1\njobs: [a]\n", "version: 2.1\njobs: {a: 1}\nworkflows: {w: {jobs: [a]}}\n",
		"version: 2.1\nworkflows: {w: {jobs: [{a: 1}]}}\n", "version: 2.1\nworkflows: {w: {jobs: [{a: {matrix: 5}}]}}\n",
		"version: 2.1\nworkflows: {w: {jobs: [{a: {matrix: {parameters: {x: 1}}}}]}}\n",
		"version: 2.1\njobs: {a: {docker: 1, steps: [{when: 1}]}}\nworkflows: {w: {jobs: [a]}}\n",
		"version: 2.1\njobs: {a: {docker: [1], steps: [{unless: {condition: {and: []}}}]}}\nworkflows: {w: {jobs: [a]}}\n",
		"version: 2.1\njobs: {a: {executor: {}, steps: {}}}\nworkflows: {w: {jobs: [a]}}\n",
		"version: 2.1\njobs: {a: {executor: [x], steps: [[[]]]}}\nworkflows: {w: {jobs: [a]}}\n",
		"version: 2.1\ncommands: {c: {parameters: [], steps: 1}}\njobs: {a: {machine: true, steps: [c]}}\nworkflows: {w: {jobs: [a]}}\n",
		"version: 2.1\norbs: {o: 5, p: [1], q: {jobs: 5}}\nworkflows: {w: {jobs: [o/x]}}\n",
		"version: 2.1\nparameters: {p: {type: enum, enum: [], default: 1}}\nworkflows: []\n",
		"version: 2.1\nworkflows: {w: {jobs: [{a: {requires: {x: 1}}}], when: {}}}\n",
		"version: 2.1\njob-groups: {g: {jobs: [g]}}\nworkflows: {w: {jobs: [g]}}\n",
		"version: 2.1\njob-groups: 5\nworkflows: {w: {jobs: [{g: {name: [1]}}]}}\n",
		"version: 2.1\nworkflows: {w: {triggers: [{schedule: 1}], jobs: [a]}}\n",
		"version: 2.1\nworkflows: {w: {jobs: [{a: {filters: [1], context: {x: 1}, serial-group: [1]}}]}}\n",
		"version: 2.1\njobs: {a: {docker: [{image: x}], steps: [{run: '<< parameters >>'}, {run: '<< pipeline. >>'}, {run: '<<>>'}]}}\nworkflows: {w: {jobs: [a]}}\n",
		"version: 2.1\njobs: {a: {docker: [{image: x}], parallelism: << pipeline.number >>, steps: [{run: << 1 + >>}]}}\nworkflows: {w: {jobs: [a]}}\n",
		"version: 2.1\nexecutors: {e: {parameters: {p: {type: steps}}, docker: [{image: x}]}}\njobs: {a: {executor: {name: e, p: 1}, steps: [checkout]}}\nworkflows: {w: {jobs: [a]}}\n",
		"version: 2\nworkflows: {version: 2}\n", "version: 2.1\nsetup: true\nworkflows: {}\n",
		"{version: 2.1, jobs: {? [a] : b}}\n", "version: 2.1\n<<: {jobs: {}}\n", "version: !!binary 2.1\n",
	}
	for i, in := range inputs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			_, err := Compile(context.Background(), []byte(in), Options{Registry: semOrbs})
			if err == nil {
				return
			}
			var list diag.List
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, not diag.List: %v", err, err)
			}
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("input %q: %v", in, err)
			}
		})
	}
}
