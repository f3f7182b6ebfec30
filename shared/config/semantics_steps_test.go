package config

import (
	"testing"
)

// Commands, steps, when/unless steps and executors.

func TestSemanticsCommands(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "steps parameters spliced, nested commands pass parameters on",
		src: `version: 2.1
commands:
  with-retry:
    parameters:
      body: {type: steps}
      times: {type: integer, default: 2}
    steps:
      - run: echo start << parameters.times >>
      - steps: << parameters.body >>
      - log: {msg: "done << parameters.times >>"}
  log:
    parameters:
      msg: {type: string}
    steps:
      - run: echo << parameters.msg >>
jobs:
  build:
    ` + semDocker + `
    steps:
      - with-retry:
          times: 3
          body:
            - checkout
            - log: {msg: inner}
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{"jobs.build.steps": []any{
			map[string]any{"run": "echo start 3"}, "checkout", map[string]any{"run": "echo inner"}, map[string]any{"run": "echo done 3"},
		}},
	}, {
		name: "pre-steps and post-steps wrap the job's steps",
		src: `version: 2.1
commands:
  hello: {steps: [{run: echo hello}]}
jobs:
  build:
    ` + semDocker + `
    steps: [{run: main}]
workflows:
  w:
    jobs:
      - build:
          pre-steps: [hello]
          post-steps: [{run: after}]
`,
		want: map[string]any{"jobs.build.steps": []any{map[string]any{"run": "echo hello"}, map[string]any{"run": "main"}, map[string]any{"run": "after"}}},
	}, {
		name: "a command can override a built-in step name",
		src: `version: 2.1
commands:
  checkout: {steps: [{run: custom checkout}]}
jobs:
  build:
    ` + semDocker + `
    steps: [checkout]
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{"jobs.build.steps": []any{map[string]any{"run": "custom checkout"}}},
	}, {
		name: "recursion is an error naming the chain",
		src: `version: 2.1
commands:
  a: {steps: [b]}
  b: {steps: [a]}
jobs:
  build:
    ` + semDocker + `
    steps: [a]
workflows:
  w: {jobs: [build]}
`,
		err: `command "a" calls itself: a -> b -> a`, pos: "config.yml:4:15",
	}, {
		name: "unknown step with a suggestion",
		src:  "version: 2.1\njobs:\n  build:\n    " + semDocker + "\n    steps: [chekout]\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `unknown step or command "chekout" (did you mean "checkout"?)`, pos: "config.yml:5:13",
	}, {
		name: "a step map with two keys",
		src:  "version: 2.1\njobs:\n  build:\n    " + semDocker + "\n    steps:\n      - run: a\n        name: b\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `a step must be a map with one key (the step name), but this one has 2: run, name`, pos: "config.yml:6:9",
	}, {
		name: "when/unless with and, or, not, equal and matches",
		src: `version: 2.1
parameters:
  env: {type: string, default: prod}
jobs:
  build:
    ` + semDocker + `
    steps:
      - when:
          condition:
            and:
              - equal: [prod, << pipeline.parameters.env >>]
              - matches: {pattern: "^release/.*$", value: << pipeline.git.branch >>}
          steps: [{run: and-yes}]
      - when:
          condition: {or: [false, {not: {equal: [a, b]}}]}
          steps: [{run: or-yes}]
      - unless:
          condition: {matches: {pattern: "release", value: << pipeline.git.branch >>}}
          steps: [{run: partial-match-is-no-match}]
      - when:
          condition: {equal: [1, "1"]}
          steps: [{run: int-equals-string}]
      - when:
          condition: ""
          steps: [{run: empty-string-is-false}]
workflows:
  w: {jobs: [build]}
`,
		pipe: Pipeline{Branch: "release/1.0"},
		want: map[string]any{"jobs.build.steps": []any{
			map[string]any{"run": "and-yes"}, map[string]any{"run": "or-yes"}, map[string]any{"run": "partial-match-is-no-match"},
		}},
	}, {
		name: "unknown logic operator",
		src:  "version: 2.1\njobs:\n  build:\n    " + semDocker + "\n    steps:\n      - when: {condition: {eqaul: [a, a]}, steps: [checkout]}\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `unknown logic operator "eqaul" (did you mean "equal"?)`, pos: "config.yml:6:28",
	}})
}

func TestSemanticsExecutors(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "parameterised executor, env merged with the job's (job wins), resource_class override",
		src: `version: 2.1
executors:
  node:
    parameters:
      tag: {type: string, default: "18.0"}
    docker: [{image: "cimg/node:<< parameters.tag >>"}]
    resource_class: small
    working_directory: /app
    environment: {FROM: executor, SHARED: executor}
jobs:
  build:
    executor: {name: node, tag: "20.1"}
    resource_class: large
    environment: {SHARED: job, JOB: "1"}
    steps: [checkout]
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{
			"jobs.build.docker.0.image":    "cimg/node:20.1",
			"jobs.build.resource_class":    "large",
			"jobs.build.working_directory": "/app",
			"jobs.build.environment":       map[string]any{"FROM": "executor", "SHARED": "job", "JOB": "1"},
		},
		check: func(t *testing.T, r *Result) {
			j := semPlanJob(t, r.Plan, "w", "build")
			if j.Executor.Kind != "docker" || j.Executor.ResourceClass != "large" || j.WorkingDir != "/app" {
				t.Errorf("plan executor = %+v, working dir %q", j.Executor, j.WorkingDir)
			}
		},
	}, {
		name: "executor chosen through an executor parameter, given as {name, params}",
		src: `version: 2.1
executors:
  node:
    parameters: {tag: {type: string, default: "18.0"}}
    docker: [{image: "cimg/node:<< parameters.tag >>"}]
  py: {docker: [{image: cimg/python:3.12}]}
jobs:
  build:
    parameters:
      e: {type: executor, default: py}
      var: {type: env_var_name, default: TOKEN}
    executor: << parameters.e >>
    environment:
      << parameters.var >>: set
    steps: [checkout]
workflows:
  w:
    jobs:
      - build: {name: default-exec}
      - build: {name: node-exec, e: {name: node, tag: "22.1"}, var: NPM_TOKEN}
`,
		want: map[string]any{
			"jobs.[default-exec].docker.0.image": "cimg/python:3.12",
			"jobs.[default-exec].environment":    map[string]any{"TOKEN": "set"},
			"jobs.[node-exec].docker.0.image":    "cimg/node:22.1",
			"jobs.[node-exec].environment":       map[string]any{"NPM_TOKEN": "set"},
		},
	}, {
		name: "machine executor by name",
		src: `version: 2.1
executors:
  vm: {machine: {image: ubuntu-2204:current}, resource_class: large}
jobs:
  build: {executor: vm, steps: [checkout]}
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{"jobs.build.machine.image": "ubuntu-2204:current", "jobs.build.resource_class": "large"},
	}, {
		name: "a resource class that does not fit the executor",
		src:  "version: 2.1\njobs:\n  build:\n    " + semDocker + "\n    resource_class: macos.m1.medium.gen1\n    steps: [checkout]\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `resource class "macos.m1.medium.gen1" does not fit a docker executor`, pos: "config.yml:5:21",
	}, {
		name: "a self-hosted runner class fits any executor",
		src:  "version: 2.1\njobs:\n  build:\n    machine: true\n    resource_class: acme/gpu-runner\n    steps: [checkout]\nworkflows:\n  w: {jobs: [build]}\n",
		want: map[string]any{"jobs.build.resource_class": "acme/gpu-runner", "jobs.build.machine": true},
	}, {
		name: "two executor types in one job",
		src:  "version: 2.1\njobs:\n  build:\n    " + semDocker + "\n    machine: true\n    steps: [checkout]\nworkflows:\n  w: {jobs: [build]}\n",
		err:  "has more than one executor (docker, machine)", pos: "config.yml:5:14",
	}, {
		name: "job without an executor",
		src:  "version: 2.1\njobs:\n  build:\n    steps: [checkout]\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `job "build" needs an executor`, pos: "config.yml:4:5",
	}, {
		name: "unknown executor parameter",
		src: `version: 2.1
executors:
  node:
    parameters: {tag: {type: string, default: "1"}}
    docker: [{image: "cimg/node:<< parameters.tag >>"}]
jobs:
  build: {executor: {name: node, tga: "2"}, steps: [checkout]}
workflows:
  w: {jobs: [build]}
`,
		err: `executor "node" has no parameter "tga" (did you mean "tag"?)`, pos: "config.yml:7:34",
	}})
}
