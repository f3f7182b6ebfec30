package nomadbridge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/hashicorp/nomad/api"
)

// allocInfo is what the bridge reads of an allocation, from an event or a list.
type allocInfo struct {
	ID, JobID, ClientStatus, DesiredStatus, ClientDescription string
	TaskStates                                                map[string]*api.TaskState
	ModifyTime                                                int64
}

// watchEvents follows Nomad's allocation events until ctx ends, reconnecting from the last index seen.
// After a break it asks for a reconcile pass, which catches what the stream missed.
func (b *Bridge) watchEvents(ctx context.Context) {
	var index uint64
	for ctx.Err() == nil {
		ch, err := b.o.Client.Events(ctx, index)
		if err != nil {
			b.log.Warn("event stream unavailable; polling", "err", err)
			sleep(ctx, 2*time.Second)
			continue
		}
		for evs := range ch {
			if evs.Err != nil {
				if ctx.Err() == nil {
					b.log.Warn("event stream broke", "err", evs.Err)
				}
				break
			}
			if evs.IsHeartbeat() {
				continue
			}
			for _, e := range evs.Events {
				if e.Topic != api.TopicAllocation {
					continue
				}
				a, err := e.Allocation()
				if err != nil || a == nil || !strings.HasPrefix(a.JobID, JobPrefix) ||
					(a.Job != nil && a.Job.Meta[metaInstall] != b.install) {
					continue
				}
				b.onAlloc(ctx, allocInfo{ID: a.ID, JobID: a.JobID, ClientStatus: a.ClientStatus,
					DesiredStatus: a.DesiredStatus, ClientDescription: a.ClientDescription,
					TaskStates: a.TaskStates, ModifyTime: a.ModifyTime})
			}
			index = evs.Index
		}
		b.Kick()
		sleep(ctx, time.Second)
	}
}

// Kick asks for a reconcile pass now.
func (b *Bridge) Kick() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *Bridge) reconcileLoop(ctx context.Context) {
	t := time.NewTicker(b.o.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.kick:
		}
		if err := b.Reconcile(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("reconcile failed", "err", err)
		}
	}
}

// onAlloc acts on one allocation's state.
func (b *Bridge) onAlloc(ctx context.Context, a allocInfo) {
	switch a.ClientStatus {
	case api.AllocClientStatusRunning:
		b.setPending(a.JobID, false)
	case api.AllocClientStatusComplete, api.AllocClientStatusFailed, api.AllocClientStatusLost:
		b.setPending(a.JobID, false)
		if err := b.allocEnded(ctx, a); err != nil {
			b.log.Warn("allocation end not handled; the next reconcile retries", "alloc", a.ID, "err", err)
		}
	}
}

// allocEnded handles an allocation that stopped: nothing when its runner reported the task's end (or the
// attempt is old), canceled when the task was canceled, otherwise an infrastructure failure of the attempt.
func (b *Bridge) allocEnded(ctx context.Context, a allocInfo) error {
	taskID, attempt, ok := parseJobID(a.JobID)
	if !ok {
		return nil
	}
	t, err := b.o.Tasks.Task(ctx, taskID)
	if errors.Is(err, ErrTaskNotFound) {
		return nil // not a task of this installation
	}
	if err != nil {
		return fmt.Errorf("read task %s: %w", taskID, err)
	}
	if t.Status.Terminal() || t.Attempt != attempt {
		return nil
	}
	reason := allocReason(a)
	if t.Canceled {
		return b.o.Tasks.Finish(ctx, taskID, domain.TaskCanceled, "canceled; "+reason)
	}
	b.log.Warn("allocation ended before its runner reported", "task", taskID, "alloc", a.ID, "reason", reason)
	_, err = b.o.Tasks.RetryTask(ctx, taskID, attempt, reason)
	return err
}

// allocReason says why an allocation ended, from its status and its tasks' last events.
func allocReason(a allocInfo) string {
	var what string
	switch a.ClientStatus {
	case api.AllocClientStatusLost:
		what = "the Nomad client running the task was lost"
	case api.AllocClientStatusComplete:
		what = "the runner exited without reporting the task's end"
	default:
		what = "the Nomad allocation failed"
	}
	names := make([]string, 0, len(a.TaskStates))
	for n := range a.TaskStates {
		names = append(names, n)
	}
	sort.Strings(names)
	var details []string
	for _, n := range names {
		st := a.TaskStates[n]
		for i := len(st.Events) - 1; i >= 0; i-- {
			if m := st.Events[i].DisplayMessage; m != "" && st.Events[i].Type != api.TaskKilling {
				details = append(details, fmt.Sprintf("%s: %s: %s", n, st.Events[i].Type, m))
				break
			}
		}
	}
	if a.ClientDescription != "" {
		details = append(details, a.ClientDescription)
	}
	if len(details) > 0 {
		what += " (" + strings.Join(details, "; ") + ")"
	}
	return what
}

// Reconcile compares every Caravan job in Nomad with its task: jobs of canceled or ended tasks are stopped
// after KillGrace, dead jobs whose task never heard from its runner are handled as ended allocations, jobs
// of unknown tasks are purged, and settled jobs are purged after Retention. It also rebuilds the count of
// jobs waiting for placement.
func (b *Bridge) Reconcile(ctx context.Context) error {
	jobs, err := b.o.Client.Jobs(ctx, JobPrefix)
	if err != nil {
		return err
	}
	now := b.o.Now()
	seen := make(map[string]bool, len(jobs))
	pending := map[string]time.Time{}
	var errs []error
	for _, j := range jobs {
		taskID, attempt, ok := parseJobID(j.ID)
		if !ok || j.Meta[metaInstall] != b.install {
			continue // another installation's job, or not a task's
		}
		seen[j.ID] = true
		if j.Status == "pending" {
			pending[j.ID] = now
		}
		if err := b.reconcileJob(ctx, j, taskID, attempt, now); err != nil {
			errs = append(errs, fmt.Errorf("job %s: %w", j.ID, err))
		}
	}
	b.mu.Lock()
	for id, at := range b.pending {
		if !seen[id] && now.Sub(at) < b.o.PollInterval {
			pending[id] = at // registered after the list was read
		} else if at2, ok := pending[id]; ok && at.Before(at2) {
			pending[id] = at
		}
	}
	b.pending = pending
	for _, m := range []map[string]time.Time{b.canceled, b.settled} {
		for id := range m {
			if !seen[id] {
				delete(m, id)
			}
		}
	}
	b.mu.Unlock()
	return errors.Join(errs...)
}

func (b *Bridge) reconcileJob(ctx context.Context, j *api.JobListStub, taskID string, attempt int, now time.Time) error {
	b.mu.Lock()
	settledAt, settled := b.settled[j.ID]
	b.mu.Unlock()
	if settled {
		if now.Sub(settledAt) >= b.o.Retention {
			return b.purge(ctx, j.ID)
		}
		return nil
	}
	t, err := b.o.Tasks.Task(ctx, taskID)
	if errors.Is(err, ErrTaskNotFound) {
		b.log.Warn("purging a Nomad job whose task does not exist", "job", j.ID)
		return b.purge(ctx, j.ID)
	}
	if err != nil {
		return err
	}
	over := t.Status.Terminal() || t.Attempt != attempt || t.Canceled
	if j.Status != "dead" {
		if !over {
			return nil
		}
		b.mu.Lock()
		first, ok := b.canceled[j.ID]
		if !ok {
			b.canceled[j.ID] = now
			first = now
		}
		b.mu.Unlock()
		if now.Sub(first) < b.o.KillGrace {
			return nil // the runner sees the cancel in its heartbeat and stops by itself
		}
		b.log.Info("stopping the Nomad job of a canceled or ended task", "job", j.ID, "task", taskID,
			"status", t.Status)
		return b.o.Client.Deregister(ctx, j.ID, false)
	}
	if !over || (t.Canceled && !t.Status.Terminal()) {
		// Dead, and the runner never reported: find out how its allocation ended.
		allocs, err := b.o.Client.Allocations(ctx, j.ID)
		if err != nil {
			return err
		}
		a := latestAlloc(allocs)
		if a == nil {
			a = &allocInfo{JobID: j.ID, ClientStatus: api.AllocClientStatusFailed,
				ClientDescription: "the Nomad job was stopped before it was placed"}
		}
		if err := b.allocEnded(ctx, *a); err != nil {
			return err
		}
		return nil // settled on the next pass, once the task shows its end
	}
	b.mu.Lock()
	b.settled[j.ID] = now
	b.mu.Unlock()
	return nil
}

// purge removes a job and its variable from Nomad.
func (b *Bridge) purge(ctx context.Context, jobID string) error {
	if err := b.o.Client.Deregister(ctx, jobID, true); err != nil {
		return err
	}
	if err := b.o.Client.DeleteVariable(ctx, VariablePath(jobID)); err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.settled, jobID)
	delete(b.canceled, jobID)
	b.mu.Unlock()
	b.log.Debug("purged a finished job", "job", jobID)
	return nil
}

// latestAlloc is the most recently modified terminal allocation.
func latestAlloc(as []*api.AllocationListStub) *allocInfo {
	var best *api.AllocationListStub
	for _, a := range as {
		switch a.ClientStatus {
		case api.AllocClientStatusComplete, api.AllocClientStatusFailed, api.AllocClientStatusLost:
		default:
			continue
		}
		if best == nil || a.ModifyTime > best.ModifyTime {
			best = a
		}
	}
	if best == nil {
		return nil
	}
	return &allocInfo{ID: best.ID, JobID: best.JobID, ClientStatus: best.ClientStatus,
		DesiredStatus: best.DesiredStatus, ClientDescription: best.ClientDescription,
		TaskStates: best.TaskStates, ModifyTime: best.ModifyTime}
}
