package intake

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/schedule"
	"github.com/caravan-ci/caravan/shared/store"
)

const (
	// TickWindow is how far back Tick looks for due slots: call Tick every minute, and a slot is seen twice,
	// fired once.
	TickWindow = 2 * time.Minute
	// slotTTL is how long a fired slot is remembered.
	slotTTL = 7 * 24 * time.Hour
	// slotStale is when a slot claimed by an instance that died before triggering may be fired by another.
	slotStale = 45 * time.Second
)

// scheduleRef is the item in the "schedules" partition (repo.AllSchedulesKey) that lists a schedule for Tick.
type scheduleRef struct {
	ProjectID  string `json:"project_id"`
	ScheduleID string `json:"schedule_id"`
}

// ScheduleOps returns the ops that write schedule s consistently: its home item (repo.ScheduleKey), and on
// creation its ref (repo.Schedule by id) and its entry in the list Tick reads. create=true creates them all
// (conditional on their absence); create=false replaces an existing schedule (conditional on its existence).
// Write them with one repo.Write.
func ScheduleOps(s domain.Schedule, create bool) []store.Op {
	home := repo.ScheduleKey(s.ProjectID, s.ID)
	ref := scheduleRef{ProjectID: s.ProjectID, ScheduleID: s.ID}
	if create {
		return []store.Op{repo.Create(home, s), repo.CreateRef(repo.KindSchedule, s.ID, home),
			repo.Create(repo.AllSchedulesKey(s.ID), ref)}
	}
	return []store.Op{repo.Put(home, s, store.Exists, 0), repo.Put(repo.AllSchedulesKey(s.ID), ref, store.Any, 0)}
}

// DeleteScheduleOps returns the ops that remove schedule s, its ref and its entry in Tick's list.
func DeleteScheduleOps(s domain.Schedule) []store.Op {
	del := func(k store.Key) store.Op { return store.Op{Kind: store.Delete, Item: store.Item{Key: k}} }
	return []store.Op{del(repo.ScheduleKey(s.ProjectID, s.ID)), del(repo.RefKey(repo.KindSchedule, s.ID)),
		del(repo.AllSchedulesKey(s.ID))}
}

// Tick fires every schedule slot in (now-TickWindow, now]: API schedules by their timetable, legacy
// triggers.schedule ones by their cron line. Each slot fires at most once, whichever instance and however
// many Ticks see it (a conditional create claims it first). Call it every minute.
func (in *Intake) Tick(ctx context.Context, now time.Time) error {
	now = now.UTC()
	refs, err := repo.ListAll[scheduleRef](ctx, in.d.Repo, repo.AllSchedulesKey("").PK, "")
	if err != nil {
		return fmt.Errorf("tick: list schedules: %w", err)
	}
	var errs []error
	for _, ref := range refs {
		s, err := repo.Get[domain.Schedule](ctx, in.d.Repo, repo.ScheduleKey(ref.V.ProjectID, ref.V.ScheduleID))
		if repo.IsNotFound(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("tick: schedule %s: %w", ref.V.ScheduleID, err))
			continue
		}
		slots, err := slotsOf(s.V, now.Add(-TickWindow), now)
		if err != nil {
			in.log.Warn("schedule cannot fire", "schedule", s.V.ID, "project", s.V.ProjectSlug, "err", err)
			continue
		}
		for _, slot := range slots {
			if err := in.fire(ctx, s.V, slot); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func slotsOf(s domain.Schedule, from, to time.Time) ([]time.Time, error) {
	if s.Cron != "" {
		c, err := schedule.ParseCron(s.Cron)
		if err != nil {
			return nil, err
		}
		return c.Slots(from, to), nil
	}
	return schedule.Slots(s.Timetable, from, to), nil
}

// fire triggers the pipeline of one slot of s, once.
func (in *Intake) fire(ctx context.Context, s domain.Schedule, slot time.Time) error {
	won, c, err := in.claim(ctx, repo.ScheduleSlotKey(s.ID, slot.Unix()), slotTTL, slotStale)
	if err != nil || !won {
		return err
	}
	p, err := in.Trigger(ctx, scheduledRequest(s))
	switch {
	case err != nil && p.ID == "" && repo.IsNotFound(err):
		in.settle(ctx, c, slotTTL, "-") // the project is gone: nothing to retry
		in.log.Warn("schedule of a deleted project", "schedule", s.ID, "project", s.ProjectID)
		return nil
	case err != nil && p.ID == "":
		in.release(ctx, c)
		return fmt.Errorf("fire schedule %s (%s) at %s: %w", s.ID, s.Name, slot.Format(time.RFC3339), err)
	}
	in.settle(ctx, c, slotTTL, p.ID)
	in.log.Info("schedule fired", "schedule", s.ID, "name", s.Name, "slot", slot, "pipeline", p.ID)
	return err
}

// scheduledRequest is the pipeline request of a schedule: its branch or tag and other parameters, the
// attributed actor, and for a legacy schedule the one workflow it runs.
func scheduledRequest(s domain.Schedule) TriggerRequest {
	req := TriggerRequest{ProjectID: s.ProjectID, Type: TypeScheduled, ScheduleID: s.ID, Actor: s.Actor}
	if s.AttributionActor == "system" || req.Actor == "" {
		req.Actor = "system"
	}
	params := map[string]any{}
	for k, v := range s.Parameters {
		switch k {
		case "branch":
			req.Branch, _ = v.(string)
		case "tag":
			req.Tag, _ = v.(string)
		default:
			params[k] = v
		}
	}
	if len(params) > 0 {
		req.Parameters = params
	}
	if s.LegacyWorkflow != "" {
		req.ScheduledWorkflow = s.LegacyWorkflow
		if req.Branch == "" && len(s.Branches) > 0 {
			req.Branch = s.Branches[0]
		}
	}
	return req
}
