package config

import (
	"testing"
)

// Parameters of every type and << >> interpolation.

// paramJob is a job declaring one parameter of every type, used by the
// parameter cases; each case supplies the workflow.
const paramJob = `version: 2.1
executors:
  small: {docker: [{image: cimg/base:small}]}
  big: {docker: [{image: cimg/base:big}], resource_class: large}
jobs:
  build:
    parameters:
      s: {type: string, default: "hello"}
      b: {type: boolean, default: false}
      i: {type: integer, default: 2}
      e: {type: enum, enum: [dev, prod], default: dev}
      x: {type: executor, default: small}
      st: {type: steps, default: [{run: echo default-steps}]}
      v: {type: env_var_name, default: HOME}
    executor: << parameters.x >>
    parallelism: << parameters.i >>
    environment:
      S: << parameters.s >>
      B: << parameters.b >>
      E: << parameters.e >>
      TEXT: "<< parameters.s >>-<< parameters.i >>"
    steps:
      - steps: << parameters.st >>
      - run: echo $<< parameters.v >>
      - when:
          condition: << parameters.b >>
          steps: [{run: echo b-is-true}]
workflows:
  w:
    jobs:
`

func TestSemanticsParameters(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "defaults of every type",
		src:  paramJob + "      - build\n",
		want: map[string]any{
			"jobs.build.docker.0.image": "cimg/base:small",
			"jobs.build.parallelism":    2,
			"jobs.build.environment":    map[string]any{"S": "hello", "B": "false", "E": "dev", "TEXT": "hello-2"},
			"jobs.build.steps":          []any{map[string]any{"run": "echo default-steps"}, map[string]any{"run": "echo $HOME"}},
		},
	}, {
		name: "arguments of every type; YAML 1.1 booleans",
		src: paramJob + `      - build:
          s: world
          b: on
          i: 5
          e: prod
          x: big
          st: [checkout, {run: echo mine}]
          v: MY_VAR
`,
		want: map[string]any{
			"jobs.build.docker.0.image": "cimg/base:big",
			"jobs.build.resource_class": "large",
			"jobs.build.parallelism":    5,
			"jobs.build.environment":    map[string]any{"S": "world", "B": "true", "E": "prod", "TEXT": "world-5"},
			"jobs.build.steps":          []any{"checkout", map[string]any{"run": "echo mine"}, map[string]any{"run": "echo $MY_VAR"}, map[string]any{"run": "echo b-is-true"}},
			"workflows.w.jobs.0":        "build",
		},
	}, {
		name: "boolean yes/No/OFF spellings",
		src: `version: 2.1
jobs:
  build:
    parameters:
      a: {type: boolean, default: yes}
      b: {type: boolean, default: No}
      c: {type: boolean, default: "OFF"}
    ` + semDocker + `
    steps:
      - when: {condition: << parameters.a >>, steps: [{run: a}]}
      - unless: {condition: << parameters.b >>, steps: [{run: not-b}]}
      - when: {condition: << parameters.c >>, steps: [{run: c}]}
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{"jobs.build.steps": []any{map[string]any{"run": "a"}, map[string]any{"run": "not-b"}}},
	}, {
		name: "string given a map",
		src:  paramJob + "      - build: {s: {a: 1}}\n",
		err:  `argument "s" of job "build": expected a string, got a map`, pos: "config.yml:31:20",
	}, {
		name: "boolean given a word",
		src:  paramJob + "      - build: {b: maybe}\n",
		err:  `expected a boolean, got a string "maybe"`, pos: "config.yml:31:20",
	}, {
		name: "boolean given 1",
		src:  paramJob + "      - build: {b: 1}\n",
		err:  `expected a boolean, got an integer "1"`, pos: "config.yml:31:20",
	}, {
		name: "integer given a word",
		src:  paramJob + "      - build: {i: three}\n",
		err:  `expected an integer, got a string "three"`, pos: "config.yml:31:20",
	}, {
		name: "integer given a fraction",
		src:  paramJob + "      - build: {i: 2.5}\n",
		err:  `expected an integer, got a number "2.5"`, pos: "config.yml:31:20",
	}, {
		name: "enum value outside the list",
		src:  paramJob + "      - build: {e: staging}\n",
		err:  `expected one of [dev, prod], got a string "staging"`, pos: "config.yml:31:20",
	}, {
		name: "executor given a list",
		src:  paramJob + "      - build: {x: [small]}\n",
		err:  `expected an executor name or {name: ..., parameters}, got a list`, pos: "config.yml:31:20",
	}, {
		name: "executor parameter naming an unknown executor",
		src:  paramJob + "      - build: {x: smal}\n",
		err:  `executor "smal" is not defined (did you mean "small"?)`, pos: "config.yml:31:20",
	}, {
		name: "steps given a string",
		src:  paramJob + "      - build: {st: checkout}\n",
		err:  `expected a list of steps, got a string "checkout"`, pos: "config.yml:31:21",
	}, {
		name: "env_var_name given a bad name",
		src:  paramJob + "      - build: {v: 1BAD}\n",
		err:  `expected an environment variable name`, pos: "config.yml:31:20",
	}, {
		name: "enum default outside the list",
		src:  "version: 2.1\njobs:\n  build:\n    parameters:\n      e: {type: enum, enum: [a, b], default: c}\n    " + semDocker + "\n    steps: [checkout]\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `default of parameter "e": expected one of [a, b], got a string "c"`, pos: "config.yml:5:46",
	}, {
		name: "unknown parameter type",
		src:  "version: 2.1\njobs:\n  build:\n    parameters:\n      e: {type: strng}\n    " + semDocker + "\n    steps: [checkout]\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `parameter "e" has unknown type "strng" (did you mean "string"?)`, pos: "config.yml:5:17",
	}, {
		name: "missing required parameter",
		src: `version: 2.1
jobs:
  build:
    parameters:
      target: {type: string}
    ` + semDocker + `
    steps: [{run: make << parameters.target >>}]
workflows:
  w:
    jobs:
      - build
`,
		err: `job "build" is missing required parameter "target" (type string)`, pos: "config.yml:11:9",
	}, {
		name: "unknown argument with a suggestion",
		src: `version: 2.1
jobs:
  build:
    parameters:
      version: {type: string, default: "1"}
    ` + semDocker + `
    steps: [checkout]
workflows:
  w:
    jobs:
      - build: {verison: "2"}
`,
		err: `job "build" has no parameter "verison" (did you mean "version"?)`, pos: "config.yml:11:17",
	}, {
		name: "reference to an undeclared parameter",
		src: `version: 2.1
jobs:
  build:
    parameters:
      target: {type: string, default: all}
    ` + semDocker + `
    steps:
      - run: make << parameters.traget >>
workflows:
  w: {jobs: [build]}
`,
		err: `unknown variable parameters.traget: job "build" has no parameter "traget" (did you mean "target"?)`, pos: "config.yml:8:14",
	}, {
		name: "reserved invocation keys are not parameters",
		src: `version: 2.1
jobs:
  build:
    ` + semDocker + `
    steps: [checkout]
workflows:
  w:
    jobs:
      - build: {name: b1, context: [org], filters: {branches: {only: main}}}
`,
		pipe: Pipeline{Branch: "main"},
		plan: []string{"w: b1"},
	}})
}

func TestSemanticsInterpolation(t *testing.T) {
	const job = `version: 2.1
parameters:
  deploy: {type: boolean, default: false}
  region: {type: string, default: eu}
  count: {type: integer, default: 3}
jobs:
  build:
    ` + semDocker + `
    parallelism: << pipeline.git.branch == "main" and 4 or 1 >>
    environment:
      BRANCH: << pipeline.git.branch >>
      WHERE: "<< pipeline.parameters.region >>/<< pipeline.git.branch >>"
      NUM: << pipeline.number >>
      COUNT: << pipeline.parameters.count >>
      OR: << pipeline.git.tag or "untagged" >>
    steps:
      - run: echo "\<< parameters.kept >> and \<<pipeline.id>>"
      - run: |
          cat << EOF >> out.txt
          <<not a reference>>
          EOF
      - run: x=$((1 << 3)); echo $x
workflows:
  w: {jobs: [build]}
`
	runSemCases(t, []semCase{{
		name: "pipeline values, pipeline parameters and expressions on main",
		src:  job,
		pipe: Pipeline{Branch: "main", Number: 12, Parameters: map[string]any{"region": "us"}},
		want: map[string]any{
			"jobs.build.parallelism": 4,
			"jobs.build.environment": map[string]any{"BRANCH": "main", "WHERE": "us/main", "NUM": "12", "COUNT": "3", "OR": "untagged"},
			"jobs.build.steps.0.run": `echo "<< parameters.kept >> and <<pipeline.id>>"`,
			"jobs.build.steps.1.run": "cat << EOF >> out.txt\n<<not a reference>>\nEOF\n",
			"jobs.build.steps.2.run": "x=$((1 << 3)); echo $x",
		},
	}, {
		name: "expression takes the other branch off main",
		src:  job,
		pipe: Pipeline{Branch: "dev", Tag: "v1"},
		want: map[string]any{"jobs.build.parallelism": 1, "jobs.build.environment.OR": "v1"},
	}, {
		name: "whole-value substitution keeps the type; quoting makes a string",
		src: `version: 2.1
jobs:
  build:
    parameters:
      n: {type: integer, default: 3}
      b: {type: boolean, default: true}
    ` + semDocker + `
    parallelism: << parameters.n >>
    steps:
      - run:
          command: echo
          background: << parameters.b >>
          name: "<< parameters.n >>"
          no_output_timeout: << parameters.n >>m
workflows:
  w: {jobs: [build]}
`,
		want: map[string]any{
			"jobs.build.parallelism":                   3,
			"jobs.build.steps.0.run.background":        true,
			"jobs.build.steps.0.run.name":              "3",
			"jobs.build.steps.0.run.no_output_timeout": "3m",
		},
	}, {
		name: "text around a whole-value reference is kept",
		src: `version: 2.1
jobs:
  build:
    ` + semDocker + `
    environment:
      PADDED: " << pipeline.number >> "
    steps:
      - run:
          command: |
            << pipeline.git.branch >>
workflows:
  w: {jobs: [build]}
`,
		pipe: Pipeline{Branch: "main", Number: 5},
		want: map[string]any{"jobs.build.environment.PADDED": " 5 ", "jobs.build.steps.0.run.command": "main\n"},
	}, {
		name: "unknown pipeline value with a suggestion",
		src:  "version: 2.1\njobs:\n  build:\n    " + semDocker + "\n    steps:\n      - run: echo << pipeline.git.brnch >>\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `unknown pipeline value pipeline.git.brnch (did you mean "pipeline.git.branch"?)`, pos: "config.yml:6:14",
	}, {
		name: "unknown pipeline parameter",
		src:  "version: 2.1\nparameters:\n  region: {type: string, default: eu}\njobs:\n  build:\n    " + semDocker + "\n    steps:\n      - run: echo << pipeline.parameters.regoin >>\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `the config declares no pipeline parameter "regoin" (did you mean "region"?)`, pos: "config.yml:8:14",
	}, {
		name: "a list placed inside a string",
		src:  "version: 2.1\njobs:\n  build:\n    parameters:\n      s: {type: steps, default: []}\n    " + semDocker + "\n    steps:\n      - run: echo << parameters.s >>\nworkflows:\n  w: {jobs: [build]}\n",
		err:  `<< parameters.s >> is a list and cannot be placed inside a string`, pos: "config.yml:8:14",
	}, {
		name: "parallelism that is not a positive integer",
		src:  "version: 2.1\njobs:\n  build:\n    " + semDocker + "\n    parallelism: << pipeline.git.branch >>\n    steps: [checkout]\nworkflows:\n  w: {jobs: [build]}\n",
		pipe: Pipeline{Branch: "main"},
		err:  "`parallelism` of job \"build\" must be a positive integer, not a string \"main\"", pos: "config.yml:5:18",
	}})
}
