package api

import (
	"context"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake"
	"github.com/caravan-ci/caravan/shared/repo"
)

func scheduleBody(name string, params map[string]any) map[string]any {
	return map[string]any{
		"name": name, "description": "nightly build", "attribution-actor": "current", "parameters": params,
		"timetable": map[string]any{"per-hour": 2, "hours-of-day": []int{1, 13}, "days-of-week": []string{"MON", "FRI"}},
	}
}

func TestSchedules(t *testing.T) {
	f := newSettingsFixture(t)
	ctx := context.Background()
	const base = "/api/v2/project/gh/acme/api/schedule"
	s := settingsCall[scheduleView](f, "POST", base, "bob", scheduleBody("nightly", map[string]any{"branch": "main", "deploy": true}), 201)
	want := domain.Timetable{PerHour: 2, HoursOfDay: []int{1, 13}, DaysOfWeek: []string{"MON", "FRI"}}
	if s.ID == "" || s.Name != "nightly" || s.Description != "nightly build" || s.ProjectSlug != "gh/acme/api" ||
		s.Actor != (actorView{ID: f.users["bob"].ID, Login: "bob", Name: "Bob"}) || s.Parameters["deploy"] != true ||
		s.Timetable.PerHour != want.PerHour || len(s.Timetable.HoursOfDay) != 2 || s.CreatedAt.IsZero() || s.UpdatedAt.IsZero() {
		t.Errorf("created = %+v", s)
	}
	// The ticker's index holds it.
	if _, err := f.repo.S.Get(ctx, repo.AllSchedulesKey(s.ID)); err != nil {
		t.Errorf("schedule index: %v", err)
	}
	sys := scheduleBody("tags", map[string]any{"tag": "v1"})
	sys["attribution-actor"] = "system"
	if got := settingsCall[scheduleView](f, "POST", base, "alice", sys, 201); got.Actor != systemActor {
		t.Errorf("system actor = %+v", got.Actor)
	}
	legacy := domain.Schedule{ID: domain.NewID(), ProjectID: f.project.ID, ProjectSlug: f.project.Slug, Name: "legacy",
		LegacyWorkflow: "nightly-wf", Cron: "0 2 * * *", Branches: []string{"main"}, AttributionActor: "system"}
	if err := f.repo.Write(ctx, intake.ScheduleOps(legacy, true)...); err != nil {
		t.Fatal(err)
	}

	list := settingsCall[page[scheduleView]](f, "GET", base, "bob", nil, 200)
	if len(list.Items) != 3 {
		t.Errorf("list = %+v", list)
	}
	got := settingsCall[scheduleView](f, "GET", "/api/v2/schedule/"+s.ID, "bob", nil, 200)
	if got.ID != s.ID || got.Name != "nightly" {
		t.Errorf("get = %+v", got)
	}
	patch := map[string]any{"name": "nightly-2", "timetable": map[string]any{"per-hour": 1}, "parameters": map[string]any{"tag": "v2"},
		"attribution-actor": "current"}
	up := settingsCall[scheduleView](f, "PATCH", "/api/v2/schedule/"+s.ID, "alice", patch, 200)
	if up.Name != "nightly-2" || up.Timetable.PerHour != 1 || len(up.Timetable.HoursOfDay) != 2 ||
		up.Parameters["tag"] != "v2" || up.Parameters["branch"] != nil || up.Actor.Login != "alice" || up.Description != "nightly build" {
		t.Errorf("patched = %+v", up)
	}
	stored, _ := f.repo.Schedule(ctx, s.ID)
	if stored.V.Name != "nightly-2" {
		t.Errorf("stored = %+v", stored.V)
	}

	sched := "/api/v2/schedule/" + s.ID
	badTT := scheduleBody("x", map[string]any{"branch": "main"})
	badTT["timetable"] = map[string]any{"per-hour": 0, "hours-of-day": []int{25}}
	code, body := f.do("POST", base, "bob", badTT)
	if code != 400 || !strings.Contains(body, "per-hour") || !strings.Contains(body, "hours-of-day") {
		t.Errorf("bad timetable = %d %s", code, body)
	}
	runSettingsCases(t, f, []settingsCase{
		{"both branch and tag", "POST", base, "bob", scheduleBody("x", map[string]any{"branch": "a", "tag": "b"}), 400},
		{"neither", "POST", base, "bob", scheduleBody("x", map[string]any{"x": 1}), 400},
		{"empty branch", "POST", base, "bob", scheduleBody("x", map[string]any{"branch": ""}), 400},
		{"no timetable", "POST", base, "bob", map[string]any{"name": "x", "parameters": map[string]any{"branch": "a"}}, 400},
		{"bad actor", "POST", base, "bob", func() map[string]any {
			b := scheduleBody("x", map[string]any{"branch": "a"})
			b["attribution-actor"] = "someone"
			return b
		}(), 400},
		{"duplicate name", "POST", base, "bob", scheduleBody("nightly-2", map[string]any{"branch": "a"}), 409},
		{"viewer creates", "POST", base, "vic", scheduleBody("x", map[string]any{"branch": "a"}), 403},
		{"non-member creates", "POST", base, "eve", scheduleBody("x", map[string]any{"branch": "a"}), 404},
		{"no token", "POST", base, "", scheduleBody("x", map[string]any{"branch": "a"}), 401},
		{"too big", "POST", base, "bob", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 413},
		{"non-member gets", "GET", sched, "eve", nil, 404},
		{"viewer gets", "GET", sched, "vic", nil, 403},
		{"unknown", "GET", "/api/v2/schedule/" + domain.NewID(), "root", nil, 404},
		{"bad patch", "PATCH", sched, "bob", map[string]any{"timetable": map[string]any{"months": []string{"FOO"}}}, 400},
		{"patch legacy", "PATCH", "/api/v2/schedule/" + legacy.ID, "alice", map[string]any{"name": "x"}, 409},
		{"delete legacy", "DELETE", "/api/v2/schedule/" + legacy.ID, "alice", nil, 409},
		{"viewer deletes", "DELETE", sched, "vic", nil, 403},
		{"delete", "DELETE", sched, "bob", nil, 200},
		{"deleted", "GET", sched, "bob", nil, 404},
		{"delete again", "DELETE", sched, "bob", nil, 404},
	})
	if _, err := f.repo.S.Get(ctx, repo.AllSchedulesKey(s.ID)); !repo.IsNotFound(err) {
		t.Errorf("schedule index after delete: %v", err)
	}
}
