package config

import (
	"testing"
)

// Job groups, setup configs, pipeline parameters and unknown keys.

const grouped = `version: 2.1
jobs:
  lint: {docker: [{image: cimg/base:stable}], steps: [{run: lint}]}
  test: {docker: [{image: cimg/base:stable}], steps: [{run: test}]}
  build: {docker: [{image: cimg/base:stable}], steps: [{run: build}]}
  deploy: {docker: [{image: cimg/base:stable}], steps: [{run: deploy}]}
job-groups:
  checks:
    jobs:
      - lint
      - test: {requires: [lint]}
workflows:
  w:
    jobs:
`

func TestSemanticsJobGroups(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "a group's jobs join the workflow; requiring the group waits on all of them",
		src:  grouped + "      - build\n      - checks: {requires: [build], serial-group: checks-sg}\n      - deploy: {requires: [checks]}\n",
		plan: []string{"w: build", "w: lint <- build", "w: test <- lint", "w: deploy <- lint, test"},
		want: map[string]any{
			"workflows.w.jobs.1.lint": map[string]any{"requires": []any{"build"}, "serial-group": "checks-sg"},
			"workflows.w.jobs.2.test": map[string]any{"requires": []any{"lint"}, "serial-group": "checks-sg"},
		},
		check: func(t *testing.T, r *Result) {
			if g := semPlanJob(t, r.Plan, "w", "test").Group; g != "checks" {
				t.Errorf("group = %q", g)
			}
		},
	}, {
		name: "named invocations prefix their jobs with name/",
		src:  grouped + "      - checks: {name: first}\n      - checks: {name: second, requires: [first]}\n",
		plan: []string{"w: first/lint", "w: first/test <- first/lint", "w: second/lint <- first/lint, first/test", "w: second/test <- second/lint"},
		want: map[string]any{"jobs.[second/test].steps.0.run": "test"},
	}, {
		name: "group context and filters apply to every job",
		src:  grouped + "      - checks: {context: [org-secrets], filters: {branches: {only: main}}}\n      - deploy\n",
		pipe: Pipeline{Branch: "dev"},
		plan: []string{"w: deploy", "w: -lint", "w: -test"},
		check: func(t *testing.T, r *Result) {
			p, _ := Compile(t.Context(), []byte(grouped+"      - checks: {context: [org-secrets]}\n"), Options{})
			if c := semPlanJob(t, p.Plan, "w", "test").Contexts; len(c) != 1 || c[0] != "org-secrets" {
				t.Errorf("contexts = %v", c)
			}
		},
	}, {
		name: "unknown key in a group invocation",
		src:  grouped + "      - checks: {requries: [lint]}\n",
		err:  `unknown key "requries" for job group "checks" (did you mean "requires"?)`, pos: "config.yml:15:18",
	}, {
		name: "job groups need 2.1",
		src:  "version: 2\njob-groups:\n  g: {jobs: [a]}\njobs:\n  build: {" + semDocker + ", steps: [checkout]}\n",
		err:  "`job-groups` needs `version: 2.1`", pos: "config.yml:3:3",
	}})
}

func TestSemanticsSetup(t *testing.T) {
	const setup = `version: 2.1
setup: true
jobs:
  gen: {docker: [{image: cimg/base:stable}], steps: [{run: generate}]}
workflows:
  setup-wf:
    jobs: [gen]
`
	runSemCases(t, []semCase{{
		name: "setup config",
		src:  setup,
		want: map[string]any{"setup": true, "workflows.setup-wf.jobs.0": "gen"},
		check: func(t *testing.T, r *Result) {
			if !r.Setup || !r.Plan.Setup {
				t.Errorf("Setup = %v, Plan.Setup = %v", r.Setup, r.Plan.Setup)
			}
		},
	}, {
		name: "setup needs 2.1",
		src:  "version: 2\nsetup: true\njobs:\n  build: {" + semDocker + ", steps: [checkout]}\n",
		err:  "a setup config must be `version: 2.1`", pos: "config.yml:2:8",
	}, {
		name: "setup must be a boolean",
		src:  "version: 2.1\nsetup: maybe\njobs:\n  build: {" + semDocker + ", steps: [checkout]}\n",
		err:  "`setup` must be a boolean, not a string \"maybe\"", pos: "config.yml:2:8",
	}, {
		name: "a setup config running two workflows",
		src:  setup + "  other:\n    jobs: [gen]\n",
		err:  "a setup config must run exactly one workflow, but 2 would run", pos: "config.yml:8:3",
	}})
}

func TestSemanticsPipelineParameters(t *testing.T) {
	const params = `version: 2.1
parameters:
  name: {type: string, default: world}
  flag: {type: boolean, default: false}
  count: {type: integer, default: 1}
  env: {type: enum, enum: [dev, prod], default: dev}
jobs:
  build:
    ` + semDocker + `
    parallelism: << pipeline.parameters.count >>
    environment:
      NAME: << pipeline.parameters.name >>
      FLAG: << pipeline.parameters.flag >>
      ENV: << pipeline.parameters.env >>
    steps: [checkout]
workflows:
  w: {jobs: [build]}
`
	runSemCases(t, []semCase{{
		name: "defaults",
		src:  params,
		want: map[string]any{"jobs.build.parallelism": 1, "jobs.build.environment": map[string]any{"NAME": "world", "FLAG": "false", "ENV": "dev"}},
	}, {
		name: "given values, JSON-typed",
		src:  params,
		pipe: Pipeline{Parameters: map[string]any{"name": "you", "flag": true, "count": float64(4), "env": "prod"}},
		want: map[string]any{"jobs.build.parallelism": 4, "jobs.build.environment": map[string]any{"NAME": "you", "FLAG": "true", "ENV": "prod"}},
	}, {
		name: "given values as strings",
		src:  params,
		pipe: Pipeline{Parameters: map[string]any{"flag": "yes", "count": "3"}},
		want: map[string]any{"jobs.build.parallelism": 3, "jobs.build.environment.FLAG": "true"},
	}, {
		name: "unknown given parameter",
		src:  params,
		pipe: Pipeline{Parameters: map[string]any{"nmae": "x"}},
		err:  "unexpected pipeline parameter(s) nmae: the config declares count, env, flag, name", pos: "pipeline parameters",
	}, {
		name: "given value of the wrong type",
		src:  params,
		pipe: Pipeline{Parameters: map[string]any{"count": "many"}},
		err:  `pipeline parameter "count": expected an integer, got a string "many"`, pos: "pipeline parameters",
	}, {
		name: "given enum value outside the list",
		src:  params,
		pipe: Pipeline{Parameters: map[string]any{"env": "qa"}},
		err:  `pipeline parameter "env": expected one of [dev, prod]`, pos: "pipeline parameters",
	}, {
		name: "a pipeline parameter needs a default",
		src:  "version: 2.1\nparameters:\n  p: {type: string}\njobs:\n  build: {" + semDocker + ", steps: [checkout]}\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `pipeline parameter "p" needs a default`, pos: "config.yml:3:6",
	}, {
		name: "pipeline parameters cannot be steps",
		src:  "version: 2.1\nparameters:\n  p: {type: steps, default: []}\njobs:\n  build: {" + semDocker + ", steps: [checkout]}\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `parameter "p": type steps is not allowed for pipeline parameters`, pos: "config.yml:3:13",
	}})
}

func TestSemanticsUnknownKeys(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "in a job",
		src:  "version: 2.1\njobs:\n  build:\n    " + semDocker + "\n    steps: [checkout]\n    paralelism: 2\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `unknown key "paralelism" in job "build" (did you mean "parallelism"?)`, pos: "config.yml:6:5",
	}, {
		name: "in a workflow job (2.1 reads it as a parameter)",
		src:  "version: 2.1\njobs:\n  a: {" + semDocker + ", steps: [checkout]}\n  b:\n    parameters: {p: {type: string, default: x}}\n    " + semDocker + "\n    steps: [checkout]\nworkflows:\n  w:\n    jobs: [a, {b: {requries: [a]}}]\n",
		err:  `job "b" has no parameter "requries" (did you mean "requires"?)`, pos: "config.yml:10:20",
	}, {
		name: "in a workflow job whose job takes no parameters",
		src:  "version: 2.1\njobs:\n  a: {" + semDocker + ", steps: [checkout]}\n  b: {" + semDocker + ", steps: [checkout]}\nworkflows:\n  w:\n    jobs: [a, {b: {requries: [a]}}]\n",
		err:  `job "b" takes no parameters, but got "requries" (did you mean "requires"?)`, pos: "config.yml:7:20",
	}, {
		name: "in a workflow",
		src:  "version: 2.1\njobs:\n  a: {" + semDocker + ", steps: [checkout]}\nworkflows:\n  w:\n    jobs: [a]\n    trigers: []\n",
		err:  `unknown key "trigers" in workflow "w" (did you mean "triggers"?)`, pos: "config.yml:7:5",
	}, {
		name: "in a docker image",
		src:  "version: 2.1\njobs:\n  a:\n    docker: [{image: cimg/base:stable, enviroment: {A: b}}]\n    steps: [checkout]\nworkflows:\n  w: {jobs: [a]}\n",
		err:  `unknown key "enviroment" in docker image (did you mean "environment"?)`, pos: "config.yml:4:40",
	}, {
		name: "in a command",
		src:  "version: 2.1\ncommands:\n  c: {step: [checkout]}\njobs:\n  a: {" + semDocker + ", steps: [c]}\nworkflows:\n  w: {jobs: [a]}\n",
		err:  `unknown key "step" in command "c" (did you mean "steps"?)`, pos: "config.yml:3:7",
	}, {
		name: "in a parameter declaration",
		src:  "version: 2.1\njobs:\n  a:\n    parameters: {p: {type: string, defualt: x}}\n    " + semDocker + "\n    steps: [checkout]\nworkflows:\n  w: {jobs: [a]}\n",
		err:  `unknown key "defualt" in parameter "p" (did you mean "default"?)`, pos: "config.yml:4:36",
	}, {
		name: "a run step option is only a warning",
		src:  "version: 2.1\njobs:\n  a:\n    " + semDocker + "\n    steps: [{run: {command: make, shel: bash}}]\nworkflows:\n  w: {jobs: [a]}\n",
		warn: `config.yml:5:35: unknown key "shel" in ` + "`run`" + ` step is ignored (did you mean "shell"?)`,
	}})
}
