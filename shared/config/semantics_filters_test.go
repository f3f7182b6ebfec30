package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/caravan-ci/caravan/shared/plan"
)

// Filters, schedule triggers, serial groups and override-with.

// filtered is a workflow whose jobs carry the filters under test:
// main-only, not-feature, release (regex), tagged (tags only), both
// (branches and tags), expr (expression) and after (requires main-only).
const filtered = twoJobs + `  w:
    jobs:
      - a:
          name: main-only
          filters: {branches: {only: main}}
      - a:
          name: not-feature
          filters: {branches: {ignore: [/feature\/.*/, wip]}}
      - a:
          name: release
          filters: {branches: {only: /rel.*/, ignore: /release-old/}}
      - a:
          name: partial
          filters: {branches: {only: /rel/}}
      - a:
          name: tagged
          filters: {tags: {only: /^v\d+\.\d+$/}, branches: {ignore: /.*/}}
      - a:
          name: expr
          filters: pipeline.git.branch == "main" or pipeline.git.tag starts-with "v"
      - b:
          name: after
          requires: [main-only]
      - c:
          name: after-two
          requires: [main-only, not-feature]
`

func TestSemanticsFilters(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "branch main",
		src:  filtered, pipe: Pipeline{Branch: "main"},
		plan: []string{"w: main-only", "w: not-feature", "w: expr", "w: after <- main-only",
			"w: after-two <- main-only, not-feature", "w: -release", "w: -partial", "w: -tagged"},
	}, {
		// A /regex/ must match the whole branch name; `only` wins over
		// `ignore`; a job whose every requirement is filtered out is skipped,
		// one that keeps a requirement runs.
		name: "branch release-old",
		src:  filtered, pipe: Pipeline{Branch: "release-old"},
		plan: []string{"w: not-feature", "w: release", "w: after-two <- not-feature",
			"w: -main-only", "w: -partial", "w: -tagged", "w: -expr", "w: -after"},
	}, {
		name: "ignored branches",
		src:  filtered, pipe: Pipeline{Branch: "feature/x"},
		plan: []string{"w: -main-only", "w: -not-feature", "w: -release", "w: -partial", "w: -tagged", "w: -expr", "w: -after", "w: -after-two"},
	}, {
		name: "a tag runs only jobs with matching tag filters (and expression filters)",
		src:  filtered, pipe: Pipeline{Tag: "v1.2"},
		plan: []string{"w: tagged", "w: expr", "w: -main-only", "w: -not-feature", "w: -release", "w: -partial", "w: -after", "w: -after-two"},
	}, {
		name: "a tag that does not match",
		src:  filtered, pipe: Pipeline{Tag: "v1.2.3"},
		plan: []string{"w: expr", "w: -main-only", "w: -not-feature", "w: -release", "w: -partial", "w: -tagged", "w: -after", "w: -after-two"},
	}, {
		name: "filters are kept in the processed config",
		src:  filtered, pipe: Pipeline{Branch: "main"},
		want: map[string]any{"workflows.w.jobs.0.main-only.filters": map[string]any{"branches": map[string]any{"only": "main"}}},
	}, {
		name: "tag filters alone do not restrict branches",
		src:  twoJobs + "  w:\n    jobs:\n      - a: {filters: {tags: {only: /.*/}}}\n",
		pipe: Pipeline{Branch: "anything"},
		plan: []string{"w: a"},
	}, {
		name: "a required job without tag filters stops its dependant on a tag",
		src:  twoJobs + "  w:\n    jobs:\n      - a\n      - b: {requires: [a], filters: {tags: {only: /.*/}}}\n",
		pipe: Pipeline{Tag: "v1"},
		plan: []string{"w: -a", "w: -b"},
	}, {
		name: "invalid regex",
		src:  twoJobs + "  w:\n    jobs:\n      - a:\n          filters: {branches: {only: \"/[/\"}}\n",
		err:  "invalid regex /[/ in filter", pos: "config.yml:18:38",
	}, {
		name: "unknown filter key",
		src:  twoJobs + "  w:\n    jobs:\n      - a: {filters: {branch: {only: main}}}\n",
		err:  `unknown key "branch" in filters (did you mean "branches"?)`, pos: "config.yml:17:23",
	}, {
		name: "invalid filter expression",
		src:  twoJobs + "  w:\n    jobs:\n      - a: {filters: 'pipeline.git.branch == '}\n",
		err:  `invalid filter expression "pipeline.git.branch == ": column 24: expected an operand`, pos: "config.yml:17:22",
	}})
}

const scheduled = twoJobs + `  nightly:
    triggers:
      - schedule:
          cron: "0 3 * * 1-5"
          filters: {branches: {only: [main, /release\/.*/]}}
    jobs: [a]
  push:
    jobs: [b]
`

func TestSemanticsSchedules(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "a scheduled workflow does not run on a push",
		src:  scheduled, pipe: Pipeline{Branch: "main", TriggerSource: "webhook"},
		plan: []string{"push: b", "-nightly"},
		want: map[string]any{"workflows.nightly.triggers.0.schedule.cron": "0 3 * * 1-5"},
	}, {
		// A new-style schedule trigger is not a legacy cron firing.
		name: "a schedule-trigger pipeline does not run legacy scheduled workflows",
		src:  scheduled, pipe: Pipeline{Branch: "main", TriggerSource: "schedule"},
		plan: []string{"push: b", "-nightly"},
	}, {
		name: "the cron firing runs only its workflow, on a matching branch",
		src:  scheduled, pipe: Pipeline{Branch: "release/2", TriggerSource: "schedule", ScheduledWorkflow: "nightly"},
		plan: []string{"nightly: a", "-push"},
		check: func(t *testing.T, r *Result) {
			want := []plan.Schedule{{Cron: "0 3 * * 1-5", Branches: []string{"main", `/release\/.*/`}}}
			if diff := cmp.Diff(want, r.Plan.Workflows[0].Schedules); diff != "" {
				t.Errorf("schedules (-want +got):\n%s", diff)
			}
		},
	}, {
		name: "the cron firing on a branch its filters leave out",
		src:  scheduled, pipe: Pipeline{Branch: "dev", TriggerSource: "schedule", ScheduledWorkflow: "nightly"},
		plan: []string{"-nightly", "-push"},
	}, {
		name: "invalid cron",
		src:  twoJobs + "  n:\n    triggers: [{schedule: {cron: \"0 25 * * *\", filters: {branches: {only: main}}}}]\n    jobs: [a]\n",
		err:  `invalid cron "0 25 * * *": 25 is out of range 0-23 in the hour field`, pos: "config.yml:16:34",
	}, {
		name: "schedule without branch filters",
		src:  twoJobs + "  n:\n    triggers: [{schedule: {cron: \"0 1 * * *\"}}]\n    jobs: [a]\n",
		err:  "schedule trigger needs `filters.branches`", pos: "config.yml:16:27",
	}})
}

func TestSemanticsSerialGroupOverride(t *testing.T) {
	runSemCases(t, []semCase{{
		name: "serial group, with pipeline values",
		src:  twoJobs + "  w:\n    jobs:\n      - a: {serial-group: << pipeline.project.slug >>/deploy}\n",
		pipe: Pipeline{ProjectSlug: "gh/acme/app"},
		want: map[string]any{"workflows.w.jobs.0.a.serial-group": "gh/acme/app/deploy"},
		check: func(t *testing.T, r *Result) {
			if g := semPlanJob(t, r.Plan, "w", "a").SerialGroup; g != "gh/acme/app/deploy" {
				t.Errorf("serial group = %q", g)
			}
		},
	}, {
		name: "serial group with invalid characters",
		src:  twoJobs + "  w:\n    jobs:\n      - a: {serial-group: \"deploy prod!\"}\n",
		err:  "`serial-group` must be at most 512 characters", pos: "config.yml:17:27",
	}, {
		name: "serial group over 512 characters",
		src:  twoJobs + "  w:\n    jobs:\n      - a: {serial-group: " + longName(513) + "}\n",
		err:  "`serial-group` must be at most 512 characters", pos: "config.yml:17:27",
	}, {
		name: "override-with replaces the job with an orb job",
		src: `version: 2.1
orbs:
  app: acme/app@1
jobs:
  lint: {docker: [{image: cimg/base:stable}], steps: [{run: my lint}]}
workflows:
  w:
    jobs:
      - lint: {override-with: app/lint}
`,
		want: map[string]any{"jobs.lint.steps.0.run": "make lint", "workflows.w.jobs.0": "lint"},
		check: func(t *testing.T, r *Result) {
			if d := semPlanJob(t, r.Plan, "w", "lint").Definition; d != "app/lint" {
				t.Errorf("definition = %q", d)
			}
		},
	}, {
		name: "override-with naming an unknown orb job",
		src:  "version: 2.1\norbs:\n  app: acme/app@1\njobs:\n  lint: {docker: [{image: cimg/base:stable}], steps: [checkout]}\nworkflows:\n  w:\n    jobs:\n      - lint: {override-with: app/lnt}\n",
		err:  `` + "`override-with`" + ` names job "app/lnt", which no imported orb defines (did you mean "app/lint"?)`, pos: "config.yml:9:31",
	}})
}

func longName(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'g'
	}
	return string(b)
}
