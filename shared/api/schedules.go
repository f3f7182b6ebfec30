package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/schedule"
	"github.com/caravan-ci/caravan/shared/store"
)

// Scheduled pipelines: POST|GET /project/{slug}/schedule, GET|PATCH|DELETE /schedule/{id}. Writes go
// through intake.ScheduleOps, which also maintains the index the schedule ticker reads. Schedules from a
// config's triggers.schedule (LegacyWorkflow set) are listed but belong to the config: they cannot be
// changed or deleted here.

type actorView struct {
	ID    string `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
}

// systemActor is who "attribution-actor: system" schedules run as.
var systemActor = actorView{ID: "00000000-0000-0000-0000-000000000000", Login: "system-actor", Name: "Scheduled"}

type scheduleView struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	ProjectSlug string           `json:"project-slug"`
	Timetable   domain.Timetable `json:"timetable"`
	Actor       actorView        `json:"actor"`
	Parameters  map[string]any   `json:"parameters"`
	CreatedAt   time.Time        `json:"created-at"`
	UpdatedAt   time.Time        `json:"updated-at"`
}

func (a *API) scheduleOf(ctx context.Context, s domain.Schedule) scheduleView {
	v := scheduleView{ID: s.ID, Name: s.Name, Description: s.Description, ProjectSlug: s.ProjectSlug,
		Timetable: s.Timetable, Actor: systemActor, Parameters: s.Parameters, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if v.Parameters == nil {
		v.Parameters = map[string]any{}
	}
	if s.AttributionActor != "system" && s.Actor != "" {
		v.Actor = actorView{Login: s.Actor, Name: s.Actor}
		if u, err := repo.Get[domain.User](ctx, a.d.Repo, repo.UserKey(s.Actor)); err == nil {
			v.Actor = actorView{ID: u.V.ID, Login: u.V.Login, Name: u.V.Name}
		}
	}
	return v
}

// scheduleInput is a create or update body; nil fields are left as they are on update.
type scheduleInput struct {
	Name             *string        `json:"name"`
	Description      *string        `json:"description"`
	AttributionActor *string        `json:"attribution-actor"`
	Parameters       map[string]any `json:"parameters"`
	Timetable        *struct {
		PerHour     *int      `json:"per-hour"`
		HoursOfDay  *[]int    `json:"hours-of-day"`
		DaysOfWeek  *[]string `json:"days-of-week"`
		DaysOfMonth *[]int    `json:"days-of-month"`
		Months      *[]string `json:"months"`
	} `json:"timetable"`
}

// apply merges in into s and validates the result.
func (in scheduleInput) apply(s *domain.Schedule, caller string) error {
	if in.Name != nil {
		s.Name = strings.TrimSpace(*in.Name)
	}
	if s.Name == "" || len(s.Name) > 200 {
		return errorf(http.StatusBadRequest, "A schedule name of 1 to 200 characters is required.")
	}
	if in.Description != nil {
		s.Description = *in.Description
	}
	if in.AttributionActor != nil {
		if *in.AttributionActor != "current" && *in.AttributionActor != "system" {
			return errorf(http.StatusBadRequest, "attribution-actor must be current or system.")
		}
		s.AttributionActor, s.Actor = *in.AttributionActor, caller
	}
	if t := in.Timetable; t != nil {
		set(&s.Timetable.PerHour, t.PerHour)
		set(&s.Timetable.HoursOfDay, t.HoursOfDay)
		set(&s.Timetable.DaysOfWeek, t.DaysOfWeek)
		set(&s.Timetable.DaysOfMonth, t.DaysOfMonth)
		set(&s.Timetable.Months, t.Months)
	}
	if err := schedule.ValidateTimetable(s.Timetable); err != nil {
		return errorf(http.StatusBadRequest, "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if in.Parameters != nil {
		s.Parameters = in.Parameters
	}
	branch, hasBranch := s.Parameters["branch"]
	tag, hasTag := s.Parameters["tag"]
	if hasBranch == hasTag {
		return errorf(http.StatusBadRequest, "parameters must hold exactly one of branch and tag.")
	}
	if v, ok := firstNonNil(branch, tag).(string); !ok || strings.TrimSpace(v) == "" {
		return errorf(http.StatusBadRequest, "parameters: branch or tag must be a non-empty string.")
	}
	return nil
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func firstNonNil(a, b any) any {
	if a != nil {
		return a
	}
	return b
}

func (a *API) scheduleRoutes() {
	const base = "/api/v2/project/{vcs}/{org}/{repo}/schedule"
	a.handle("POST "+base, a.createSchedule)
	a.handle("GET "+base, func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		p, err := a.project(r, c, domain.RoleMember)
		if err != nil {
			return err
		}
		return listPage(w, r, a.d.Repo, repo.SchedulesPK(p.V.ID), func(s domain.Schedule) scheduleView { return a.scheduleOf(r.Context(), s) })
	})
	a.handle("GET /api/v2/schedule/{id}", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		s, err := a.scheduleByID(r.Context(), c, r.PathValue("id"), domain.RoleMember)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, a.scheduleOf(r.Context(), s.V))
		return nil
	})
	a.handle("PATCH /api/v2/schedule/{id}", a.updateSchedule)
	a.handle("DELETE /api/v2/schedule/{id}", a.deleteSchedule)
}

func (a *API) scheduleByID(ctx context.Context, c *Caller, id, need string) (repo.Rec[domain.Schedule], error) {
	s, err := a.d.Repo.Schedule(ctx, id)
	if repo.IsNotFound(err) {
		return s, errorf(http.StatusNotFound, "Schedule not found.")
	}
	if err != nil {
		return s, err
	}
	if _, err := a.projectByID(ctx, c, s.V.ProjectID, need); err != nil {
		if isStatus(err, http.StatusNotFound) {
			return s, errorf(http.StatusNotFound, "Schedule not found.")
		}
		return s, err
	}
	return s, nil
}

// uniqueName refuses a second schedule of the same name in a project.
func (a *API) uniqueName(ctx context.Context, s domain.Schedule) error {
	all, err := repo.ListAll[domain.Schedule](ctx, a.d.Repo, repo.SchedulesPK(s.ProjectID), "")
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.V.ID != s.ID && o.V.Name == s.Name {
			return errorf(http.StatusConflict, "A schedule named %q already exists in this project.", s.Name)
		}
	}
	return nil
}

func (a *API) createSchedule(w http.ResponseWriter, r *http.Request, c *Caller) error {
	p, err := a.project(r, c, domain.RoleMember)
	if err != nil {
		return err
	}
	var in scheduleInput
	if err := decode(w, r, a.d.MaxBody, &in); err != nil {
		return err
	}
	if in.Timetable == nil || in.Parameters == nil {
		return errorf(http.StatusBadRequest, "name, timetable, attribution-actor and parameters are required.")
	}
	if in.AttributionActor == nil {
		current := "current"
		in.AttributionActor = &current
	}
	now := a.d.Now()
	s := domain.Schedule{ID: domain.NewID(), ProjectID: p.V.ID, ProjectSlug: p.V.Slug, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&s, c.User.Login); err != nil {
		return err
	}
	if err := a.uniqueName(r.Context(), s); err != nil {
		return err
	}
	if err := a.d.Repo.Write(r.Context(), intake.ScheduleOps(s, true)...); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.scheduleOf(r.Context(), s))
	return nil
}

func legacyConflict(s domain.Schedule) error {
	return errorf(http.StatusConflict, "This schedule comes from the triggers.schedule of workflow %q in the "+
		"project's config; change the config to change or remove it.", s.LegacyWorkflow)
}

func (a *API) updateSchedule(w http.ResponseWriter, r *http.Request, c *Caller) error {
	rec, err := a.scheduleByID(r.Context(), c, r.PathValue("id"), domain.RoleMember)
	if err != nil {
		return err
	}
	if rec.V.LegacyWorkflow != "" {
		return legacyConflict(rec.V)
	}
	var in scheduleInput
	if err := decode(w, r, a.d.MaxBody, &in); err != nil {
		return err
	}
	s := rec.V
	if err := in.apply(&s, c.User.Login); err != nil {
		return err
	}
	if err := a.uniqueName(r.Context(), s); err != nil {
		return err
	}
	s.UpdatedAt = a.d.Now()
	ops := atVersion(intake.ScheduleOps(s, false), rec)
	if err := a.d.Repo.Write(r.Context(), ops...); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.scheduleOf(r.Context(), s))
	return nil
}

// atVersion makes the op on the schedule itself conditional on the version read, so a concurrent change
// fails the write (409) instead of being overwritten.
func atVersion(ops []store.Op, rec repo.Rec[domain.Schedule]) []store.Op {
	for i := range ops {
		if ops[i].Item.Key == rec.Key {
			ops[i].Cond, ops[i].Version = store.AtVersion, rec.Version
		}
	}
	return ops
}

func (a *API) deleteSchedule(w http.ResponseWriter, r *http.Request, c *Caller) error {
	rec, err := a.scheduleByID(r.Context(), c, r.PathValue("id"), domain.RoleMember)
	if err != nil {
		return err
	}
	if rec.V.LegacyWorkflow != "" {
		return legacyConflict(rec.V)
	}
	ops := atVersion(intake.DeleteScheduleOps(rec.V), rec)
	if err := a.d.Repo.Write(r.Context(), ops...); err != nil {
		return err
	}
	writeMessage(w, "Schedule deleted.")
	return nil
}
