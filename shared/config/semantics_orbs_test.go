package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Orbs: registry versions, inline orbs, orbs importing orbs, orb jobs.

// toolsJob runs the `hi` command of the tools orb imported at ref.
func toolsJob(ref string) string {
	return `version: 2.1
orbs:
  tools: ` + ref + `
jobs:
  build:
    ` + semDocker + `
    steps: [tools/hi]
workflows:
  w: {jobs: [build]}
`
}

// orbsUsed checks the orbs a result reports.
func orbsUsed(want ...string) func(t *testing.T, r *Result) {
	return func(t *testing.T, r *Result) {
		t.Helper()
		var got []string
		for _, o := range r.Orbs {
			got = append(got, o.String())
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("orbs (-want +got):\n%s", diff)
		}
	}
}

func TestSemanticsOrbs(t *testing.T) {
	runSemCases(t, []semCase{{
		name:  "full version",
		src:   toolsJob("acme/tools@1.2.0"),
		want:  map[string]any{"jobs.build.steps.0.run": "echo tools 1.2.0"},
		check: orbsUsed("acme/tools@1.2.0"),
	}, {
		name:  "major version resolves to the highest 1.x.y",
		src:   toolsJob("acme/tools@1"),
		want:  map[string]any{"jobs.build.steps.0.run": "echo tools 1.2.3"},
		check: orbsUsed("acme/tools@1.2.3"),
	}, {
		name:  "minor version resolves to the highest 1.2.x",
		src:   toolsJob("acme/tools@1.2"),
		want:  map[string]any{"jobs.build.steps.0.run": "echo tools 1.2.3"},
		check: orbsUsed("acme/tools@1.2.3"),
	}, {
		name:  "volatile resolves to the highest release",
		src:   toolsJob("acme/tools@volatile"),
		want:  map[string]any{"jobs.build.steps.0.run": "echo tools 2.0.0"},
		check: orbsUsed("acme/tools@2.0.0"),
	}, {
		name: "missing version names the orb and the version",
		src:  toolsJob("acme/tools@3"),
		err:  `orb acme/tools@3 not found in the registry: the registry has no version of acme/tools matching "3" (it has 1.0.0, 1.2.0, 1.2.3, 2.0.0)`,
		pos:  "config.yml:3:10",
	}, {
		name: "missing exact version",
		src:  toolsJob("acme/tools@1.2.4"),
		err:  `orb acme/tools@1.2.4 not found in the registry`, pos: "config.yml:3:10",
	}, {
		name: "missing orb",
		src:  toolsJob("acme/nope@1.0.0"),
		err:  `orb acme/nope@1.0.0 not found in the registry: the registry has no orb acme/nope`, pos: "config.yml:3:10",
	}, {
		name: "reference without a version",
		src:  toolsJob("acme/tools"),
		err:  `orb reference "acme/tools" needs a version`, pos: "config.yml:3:10",
	}, {
		name: "unknown orb command with a suggestion",
		src:  "version: 2.1\norbs:\n  tools: acme/tools@1\njobs:\n  build:\n    " + semDocker + "\n    steps: [tools/hey]\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `unknown step or command "tools/hey" (did you mean "tools/hi"?)`, pos: "config.yml:7:13",
	}, {
		name: "step through an orb that is not imported",
		src:  "version: 2.1\njobs:\n  build:\n    " + semDocker + "\n    steps: [tool/hi]\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `unknown step "tool/hi": no orb named "tool" is imported`, pos: "config.yml:5:13",
	}, {
		name: "an orb importing another orb; orb job invoked with parameters",
		src: `version: 2.1
orbs:
  app: acme/app@1.0
workflows:
  w:
    jobs:
      - app/test: {suite: e2e, parallel: 3}
      - app/lint
`,
		want: map[string]any{
			"jobs.[app/test].docker.0.image": "cimg/base:2.0",
			"jobs.[app/test].environment":    map[string]any{"FROM_EXECUTOR": "base"},
			"jobs.[app/test].parallelism":    3,
			"jobs.[app/test].steps":          []any{map[string]any{"run": "echo hello app"}, map[string]any{"run": "make e2e"}},
			"jobs.[app/lint].docker.0.image": "cimg/base:1.0",
			"workflows.w.jobs":               []any{"app/test", "app/lint"},
		},
		check: orbsUsed("acme/app@1.0.0", "acme/base@1.4.0"),
	}, {
		name: "orb job argument of the wrong type",
		src:  "version: 2.1\norbs:\n  app: acme/app@1.0.0\nworkflows:\n  w:\n    jobs:\n      - app/test: {suite: smoke}\n",
		err:  `argument "suite" of job "app/test": expected one of [unit, e2e], got a string "smoke"`, pos: "config.yml:7:27",
	}, {
		name: "inline orb with a command, an executor and a job",
		src: `version: 2.1
orbs:
  my:
    executors:
      default: {docker: [{image: cimg/python:3.12}]}
    commands:
      greet:
        parameters: {to: {type: string, default: you}}
        steps: [{run: echo hi << parameters.to >>}]
    jobs:
      hello:
        executor: default
        steps: [{greet: {to: orb}}]
jobs:
  build:
    executor: my/default
    steps: [my/greet]
workflows:
  w:
    jobs: [build, my/hello]
`,
		want: map[string]any{
			"jobs.build.docker.0.image":   "cimg/python:3.12",
			"jobs.build.steps.0.run":      "echo hi you",
			"jobs.[my/hello].steps.0.run": "echo hi orb",
		},
		check: orbsUsed(),
	}, {
		name: "an orb job cannot call the config's own commands",
		src: `version: 2.1
commands:
  mine: {steps: [{run: mine}]}
orbs:
  my:
    jobs:
      j:
        docker: [{image: cimg/base:stable}]
        steps: [mine]
workflows:
  w: {jobs: [my/j]}
`,
		err: `unknown step or command "mine"`, pos: "config.yml:9:17",
	}, {
		name: "steps passed to an orb job expand in the caller's namespace",
		src: `version: 2.1
commands:
  mine: {steps: [{run: mine}]}
orbs:
  my:
    commands:
      mine: {steps: [{run: the orb's own}]}
    jobs:
      j:
        parameters: {body: {type: steps, default: []}}
        docker: [{image: cimg/base:stable}]
        steps: [mine, {steps: << parameters.body >>}]
workflows:
  w: {jobs: [{my/j: {body: [mine]}}]}
`,
		want: map[string]any{"jobs.[my/j].steps": []any{map[string]any{"run": "the orb's own"}, map[string]any{"run": "mine"}}},
	}, {
		name: "an orb importing itself",
		src:  toolsJob("acme/loop@1"),
		err:  "orb acme/loop@1 imports itself through acme/loop", pos: "orb acme/loop@1.0.0:3:7",
	}, {
		name: "an orb imported but not used is a warning",
		src: `version: 2.1
orbs:
  tools: acme/tools@1
jobs:
  build:
    ` + semDocker + `
    steps: [checkout]
workflows:
  w: {jobs: [build]}
`,
		warn: `config.yml:3:3: orb "tools" is imported but not used`,
	}})
}
