package intake

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
)

func TestTick(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		attribute string
		wantActor string
	}{
		{"attributed to the creator", "current", "alice"},
		{"attributed to the system", "system", "system"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.commit("main", "base", map[string]string{".circleci/config.yml": simpleConfig})
			e.commit("nightly", "n", nil)
			s := domain.Schedule{ID: domain.NewID(), ProjectID: e.proj.ID, ProjectSlug: e.proj.Slug, Name: "hourly",
				Timetable:        domain.Timetable{PerHour: 4, HoursOfDay: []int{10, 11}},
				AttributionActor: tc.attribute, Actor: "alice",
				Parameters: map[string]any{"branch": "nightly", "greeting": "good night"}}
			if err := e.repo.Write(e.ctx, ScheduleOps(s, true)...); err != nil {
				t.Fatal(err)
			}
			if got, err := e.repo.Schedule(e.ctx, s.ID); err != nil || got.V.Name != "hourly" {
				t.Fatalf("schedule by id = %+v, %v", got.V, err)
			}
			at := time.Date(2025, 3, 4, 10, 15, 30, 0, time.UTC) // the 10:15 slot is due
			var wg sync.WaitGroup
			for range 6 { // twice per minute over three minutes, by six instances at once
				wg.Go(func() {
					for _, now := range []time.Time{at, at.Add(30 * time.Second), at.Add(time.Minute), at.Add(2 * time.Minute)} {
						if err := e.in.Tick(e.ctx, now); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			ps := e.pipelines()
			if len(ps) != 1 {
				t.Fatalf("%d pipelines, want 1", len(ps))
			}
			p := ps[0]
			want := domain.Trigger{Type: TypeScheduled, ReceivedAt: p.Trigger.ReceivedAt, Actor: tc.wantActor, ScheduleID: s.ID}
			if d := cmp.Diff(want, p.Trigger); d != "" {
				t.Errorf("trigger (-want +got):\n%s", d)
			}
			if p.VCS.Branch != "nightly" || !cmp.Equal(p.Parameters, map[string]any{"greeting": "good night"}) {
				t.Errorf("branch %q, parameters %v", p.VCS.Branch, p.Parameters)
			}
			e.drain()
			got := e.pipeline(p.ID)
			if d := cmp.Diff([]string{"main:running:build,test"}, e.workflows(p.ID)); d != "" {
				t.Errorf("workflows (-want +got):\n%s (errors %v)", d, got.Errors)
			}
			// The next slot fires once too; a deleted schedule fires no more.
			if err := e.in.Tick(e.ctx, at.Add(15*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := e.repo.Write(e.ctx, DeleteScheduleOps(s)...); err != nil {
				t.Fatal(err)
			}
			if err := e.in.Tick(e.ctx, at.Add(30*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if n := len(e.pipelines()); n != 2 {
				t.Errorf("%d pipelines after two slots, want 2", n)
			}
		})
	}
}

const legacyConfig = `version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:current}]
    steps: [checkout]
  report:
    docker: [{image: cimg/base:current}]
    steps: [checkout]
workflows:
  main:
    jobs: [build]
  nightly:
    triggers:
      - schedule:
          cron: "0 3 * * *"
          filters:
            branches:
              only: [main, release]
    jobs: [report]
`

func TestLegacySchedule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.commit("main", "base", map[string]string{".circleci/config.yml": legacyConfig})
	e.commit("release", "r", nil)
	e.gitRun("checkout", "-q", "main")
	p := e.trigger(TriggerRequest{})
	e.drain()
	if d := cmp.Diff([]string{"main:running:build"}, e.workflows(p.ID)); d != "" {
		t.Errorf("ordinary pipeline's workflows (-want +got):\n%s", d)
	}
	schedules := func() []string {
		recs, err := repo.ListAll[domain.Schedule](e.ctx, e.repo, repo.SchedulesPK(e.proj.ID), "")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range recs {
			out = append(out, r.V.LegacyWorkflow+" "+r.V.Cron+" "+r.V.Branches[0])
		}
		return sorted(out)
	}
	if d := cmp.Diff([]string{"nightly 0 3 * * * main", "nightly 0 3 * * * release"}, schedules()); d != "" {
		t.Fatalf("legacy schedules (-want +got):\n%s", d)
	}
	// Handling the same pipeline again changes nothing.
	if err := e.in.process(e.ctx, p.ID, 1); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 4, 3, 0, 20, 0, time.UTC)
	for range 2 {
		if err := e.in.Tick(e.ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	var fired []string
	for _, q := range e.pipelines() {
		if q.Trigger.Type != TypeScheduled {
			continue
		}
		if q.Trigger.ScheduledWorkflow != "nightly" || q.Trigger.Actor != "system" {
			t.Errorf("scheduled trigger = %+v", q.Trigger)
		}
		fired = append(fired, q.VCS.Branch+" "+q.VCS.Revision[:0]+joinWFs(e.workflows(q.ID)))
	}
	if d := cmp.Diff([]string{"main nightly:running:report", "release nightly:running:report"}, sorted(fired)); d != "" {
		t.Errorf("scheduled pipelines (-want +got):\n%s", d)
	}
	// A scheduled pipeline on the default branch does not resync; a new config without triggers removes them.
	e.commit("main", "no more nightly", map[string]string{".circleci/config.yml": simpleConfig})
	e.trigger(TriggerRequest{})
	e.drain()
	if got := schedules(); len(got) != 0 {
		t.Errorf("legacy schedules after removing the trigger = %v", got)
	}
	refs, err := repo.ListAll[scheduleRef](e.ctx, e.repo, repo.AllSchedulesKey("").PK, "")
	if err != nil || len(refs) != 0 {
		t.Errorf("schedule index = %v, %v; want empty", refs, err)
	}
}

func joinWFs(wfs []string) string {
	out := ""
	for i, w := range wfs {
		if i > 0 {
			out += " "
		}
		out += w
	}
	return out
}
