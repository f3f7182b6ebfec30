package config

import (
	"testing"
)

// Workflows: when/unless, matrix, requires, names and approval jobs.

// twoJobs defines jobs a, b, c and test(os, version) for workflow cases.
const twoJobs = `version: 2.1
parameters:
  run-it: {type: boolean, default: true}
jobs:
  a: {docker: [{image: cimg/base:stable}], steps: [{run: a}]}
  b: {docker: [{image: cimg/base:stable}], steps: [{run: b}]}
  c: {docker: [{image: cimg/base:stable}], steps: [{run: c}]}
  test:
    parameters:
      os: {type: string}
      version: {type: integer, default: 1}
    docker: [{image: cimg/base:stable}]
    steps: [{run: test << parameters.os >> << parameters.version >>}]
workflows:
`

func TestSemanticsWorkflowConditions(t *testing.T) {
	const logic = twoJobs + `  w:
    when: {equal: [main, << pipeline.git.branch >>]}
    jobs: [a]
  x:
    unless: {matches: {pattern: "^feature/.+$", value: << pipeline.git.branch >>}}
    jobs: [b]
`
	const exprs = twoJobs + `  w:
    when: pipeline.git.branch == "main" or pipeline.git.tag starts-with "v"
    jobs: [a]
  x:
    unless: pipeline.parameters.run-it
    jobs: [b]
  y:
    when: << pipeline.parameters.run-it >>
    jobs: [c]
`
	runSemCases(t, []semCase{{
		name: "logic statements on main",
		src:  logic, pipe: Pipeline{Branch: "main"},
		plan: []string{"w: a", "x: b"},
	}, {
		name: "logic statements on a feature branch",
		src:  logic, pipe: Pipeline{Branch: "feature/x"},
		plan: []string{"-w", "-x"},
		want: map[string]any{"workflows": map[string]any{"version": 2}},
	}, {
		name: "expression strings on main",
		src:  exprs, pipe: Pipeline{Branch: "main"},
		plan: []string{"w: a", "y: c", "-x"},
	}, {
		// The workflows run, but jobs without tag filters never run for a tag.
		name: "expression strings for a tag, with a pipeline parameter",
		src:  exprs, pipe: Pipeline{Tag: "v1.0", Parameters: map[string]any{"run-it": false}},
		plan: []string{"w: -a", "x: -b", "-y"},
	}, {
		name: "a broken expression is a positioned error",
		src:  twoJobs + "  w:\n    when: pipeline.git.branch ==\n    jobs: [a]\n",
		err:  `expected an operand after "==", found end of expression`, pos: "config.yml:16:33",
	}, {
		name: "a logic statement with two keys",
		src:  twoJobs + "  w:\n    when: {equal: [a, a], not: b}\n    jobs: [a]\n",
		err:  "a logic statement must have exactly one key, found 2 (equal, not)", pos: "config.yml:16:11",
	}})
}

func TestSemanticsMatrix(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "names list parameters sorted by name; exclude; alias defaults to the job",
		src: twoJobs + `  w:
    jobs:
      - test:
          matrix:
            parameters: {version: [1, 2], os: [linux, mac]}
            exclude: [{os: mac, version: 2}]
      - a: {requires: [test]}
`,
		plan: []string{"w: test-linux-1", "w: test-linux-2", "w: test-mac-1", "w: a <- test-linux-1, test-linux-2, test-mac-1"},
		want: map[string]any{"jobs.[test-mac-1].steps.0.run": "test mac 1"},
	}, {
		name: "alias, << matrix.x >> in name and requires",
		src: twoJobs + `  w:
    jobs:
      - test:
          matrix: {parameters: {os: [linux, mac]}, alias: all-tests}
      - test:
          name: again-<< matrix.os >>
          matrix: {parameters: {os: [linux, mac], version: [2]}}
          requires: [test-<< matrix.os >>]
      - b: {requires: [all-tests]}
`,
		plan: []string{
			"w: test-linux", "w: test-mac", "w: again-linux <- test-linux", "w: again-mac <- test-mac",
			"w: b <- test-linux, test-mac",
		},
		want: map[string]any{"jobs.[again-mac].steps.0.run": "test mac 2"},
	}, {
		name: "requiring a matrix alias with a status",
		src:  twoJobs + "  w:\n    jobs:\n      - test: {matrix: {parameters: {os: [x, y]}}}\n      - a: {requires: [{test: [failed, success]}]}\n",
		plan: []string{"w: test-x", "w: test-y", "w: a <- test-x:failed|success, test-y:failed|success"},
	}, {
		name: "exclude naming a parameter the matrix lacks",
		src:  twoJobs + "  w:\n    jobs:\n      - test:\n          matrix: {parameters: {os: [a]}, exclude: [{o: a}]}\n",
		err:  `matrix ` + "`exclude`" + ` names parameter "o", which the matrix does not have`, pos: "config.yml:18:54",
	}, {
		name: "matrix parameter the job does not declare",
		src:  twoJobs + "  w:\n    jobs:\n      - test:\n          matrix: {parameters: {os: [a], arch: [x]}}\n",
		err:  `job "test" has no parameter "arch"`, pos: "config.yml:18:42",
	}, {
		name: "matrix excluding every combination",
		src:  twoJobs + "  w:\n    jobs:\n      - test:\n          matrix: {parameters: {os: [a]}, exclude: [{os: a}]}\n",
		err:  `matrix of job "test" excludes every combination`, pos: "config.yml:18:19",
	}, {
		name: "matrix.x outside a matrix",
		src:  twoJobs + "  w:\n    jobs:\n      - test: {os: << matrix.os >>}\n",
		err:  "only a matrix job invocation can read matrix values", pos: "config.yml:17:20",
	}})
}

func TestSemanticsRequires(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "statuses: a map entry, a list, terminal expands to all five",
		src: twoJobs + `  w:
    jobs:
      - a
      - b: {requires: [{a: failed}]}
      - c: {requires: [{a: [success, canceled]}, {b: terminal}]}
`,
		plan: []string{"w: a", "w: b <- a:failed", "w: c <- a:success|canceled, b:success|failed|canceled|unauthorized|not_run"},
		want: map[string]any{"workflows.w.jobs.1": map[string]any{"b": map[string]any{"requires": []any{map[string]any{"a": []any{"failed"}}}}}},
	}, {
		name: "invalid status with a suggestion",
		src:  twoJobs + "  w:\n    jobs:\n      - a\n      - b: {requires: [{a: faild}]}\n",
		err:  `unknown status "faild" for required job "a"`, pos: "config.yml:18:28",
	}, {
		name: "a cycle is named",
		src:  twoJobs + "  w:\n    jobs:\n      - a: {requires: [c]}\n      - b: {requires: [a]}\n      - c: {requires: [b]}\n",
		err:  `workflow "w" has a cycle in ` + "`requires`" + `: a -> c -> b -> a`, pos: "config.yml:18:9",
	}, {
		name: "a job requiring itself",
		src:  twoJobs + "  w:\n    jobs:\n      - a: {requires: [a]}\n",
		err:  `job "a" requires itself`, pos: "config.yml:17:24",
	}, {
		name: "repeated invocations get -1, -2 suffixes",
		src:  twoJobs + "  w:\n    jobs:\n      - a\n      - a\n      - b: {requires: [a-2]}\n",
		plan: []string{"w: a-1", "w: a-2", "w: b <- a-2"},
		want: map[string]any{"workflows.w.jobs.0": "a-1", "jobs.[a-1].steps.0.run": "a"},
	}, {
		name: "requiring a repeated job by its plain name is ambiguous",
		src:  twoJobs + "  w:\n    jobs:\n      - a\n      - a\n      - b: {requires: [a]}\n",
		err:  `job "b" requires "a", which is ambiguous: the workflow runs it 2 times (a-1, a-2)`, pos: "config.yml:19:24",
	}, {
		name: "unknown required job with a suggestion",
		src:  twoJobs + "  w:\n    jobs:\n      - test: {name: unit, os: linux}\n      - b: {requires: [unti]}\n",
		err:  `job "b" requires "unti", which workflow "w" does not run (did you mean "unit"?)`, pos: "config.yml:18:24",
	}, {
		name: "renamed invocations",
		src:  twoJobs + "  w:\n    jobs:\n      - test: {name: unit, os: linux}\n      - test: {name: e2e, os: mac, requires: [unit]}\n",
		plan: []string{"w: unit", "w: e2e <- unit"},
		want: map[string]any{"jobs.unit.steps.0.run": "test linux 1", "jobs.e2e.steps.0.run": "test mac 1"},
	}, {
		name: "two jobs with the same explicit name",
		src:  twoJobs + "  w:\n    jobs:\n      - a: {name: x}\n      - b: {name: x}\n",
		err:  `workflow "w" has two jobs named "x" (the other is at line 17)`, pos: "config.yml:18:9",
	}, {
		name: "approval job needs no definition",
		src:  twoJobs + "  w:\n    jobs:\n      - a\n      - hold: {type: approval, requires: [a]}\n      - b: {requires: [hold]}\n",
		plan: []string{"w: a", "w: hold <- a", "w: b <- hold"},
		want: map[string]any{"workflows.w.jobs.1": map[string]any{"hold": map[string]any{"type": "approval", "requires": []any{"a"}}}},
		check: func(t *testing.T, r *Result) {
			if j := semPlanJob(t, r.Plan, "w", "hold"); j.Type != "approval" || j.Executor.Kind != "none" {
				t.Errorf("hold = %+v", j)
			}
			if _, ok := semLookup(semDecode(t, r), "jobs.hold"); ok {
				t.Errorf("approval job has a processed body")
			}
		},
	}, {
		name: "approval job with a parameter",
		src:  twoJobs + "  w:\n    jobs:\n      - hold: {type: approval, os: linux}\n",
		err:  `approval job "hold" takes no parameter "os"`, pos: "config.yml:17:32",
	}, {
		name: "misspelt job type",
		src:  twoJobs + "  w:\n    jobs:\n      - hold: {type: aproval}\n",
		err:  `workflow job type must be approval (or build), not a string "aproval" (did you mean "approval"?)`, pos: "config.yml:17:22",
	}, {
		name: "undefined job with a suggestion",
		src:  twoJobs + "  w:\n    jobs: [tset]\n",
		err:  `job "tset" is not defined (did you mean "test"?)`, pos: "config.yml:16:12",
	}})
}
