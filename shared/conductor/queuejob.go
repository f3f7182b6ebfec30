package conductor

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// queueJob moves a job whose requirements are met to queued: contexts checked, serial group taken, a job
// number given, its tasks created and their run messages collected. A job whose serial group is held stays
// blocked (and waits in the group's line); one that may not use a context ends unauthorized.
func (c *Conductor) queueJob(ctx context.Context, e *evaluation, j *repo.Rec[domain.Job]) error {
	p, err := c.loadPipeline(ctx, e)
	if err != nil {
		return err
	}
	if msg, err := c.checkContexts(ctx, p, j.V); err != nil {
		return err
	} else if msg != "" {
		j.V.Status, j.V.StoppedAt, j.V.Message = domain.JobUnauthorized, c.now(), msg
		return c.write(ctx, j)
	}
	var lockOps []store.Op
	if j.V.SerialGroup != "" {
		ops, err := c.acquire(ctx, p, j.V)
		if errors.Is(err, errHeld) {
			return nil
		}
		if err != nil {
			return err
		}
		lockOps = ops
	}
	n, err := c.r.S.Incr(ctx, repo.JobCounter(j.V.ProjectID), 1)
	if err != nil {
		return fmt.Errorf("number job %s: %w", j.V.Name, err)
	}
	now := c.now()
	var runs []domain.RunMsg
	var taskOps []store.Op
	for i := range j.V.Parallelism {
		t := domain.Task{ID: repo.TaskID(j.V.ID, i), JobID: j.V.ID, Index: i, Status: domain.TaskQueued, Attempt: 1,
			QueuedAt: now}
		taskOps = append(taskOps, repo.Create(repo.TaskKey(j.V.ID, i), t))
		runs = append(runs, domain.RunMsg{TaskID: t.ID, JobID: j.V.ID, WorkflowID: j.V.WorkflowID, Attempt: 1,
			ResourceClass: j.V.Plan.Executor.ResourceClass, ExecutorType: j.V.Plan.Executor.Kind})
	}
	for len(taskOps) > 0 { // tasks first: they exist before anyone can see the job queued
		k := min(len(taskOps), store.MaxOps)
		if err := c.r.Write(ctx, taskOps[:k]...); err != nil && !repo.IsConflict(err) {
			return fmt.Errorf("create tasks of %s: %w", j.V.Name, err)
		}
		taskOps = taskOps[k:]
	}
	j.V.Status, j.V.Number, j.V.QueuedAt = domain.JobQueued, n, now
	ops := append([]store.Op{repo.NumberJob(j.V.ProjectID, n, j.Key)}, lockOps...)
	if err := c.write(ctx, j, ops...); err != nil {
		return err
	}
	e.runs = append(e.runs, runs...)
	return nil
}

// checkContexts returns why the job may not run ("" when it may).
func (c *Conductor) checkContexts(ctx context.Context, p *domain.Pipeline, j domain.Job) (string, error) {
	if len(j.Contexts) == 0 {
		return "", nil
	}
	proj, err := c.r.Project(ctx, j.ProjectID)
	if err != nil {
		return "", err
	}
	for _, name := range j.Contexts {
		cx, err := c.r.ContextByName(ctx, proj.V.OrgID, name)
		if repo.IsNotFound(err) {
			return fmt.Sprintf("context %q does not exist in this organization", name), nil
		}
		if err != nil {
			return "", err
		}
		if c.o.ContextAllowed != nil && !c.o.ContextAllowed(ctx, *p, cx.V) {
			return fmt.Sprintf("%s may not use context %q", orSystem(p.Trigger.Actor), name), nil
		}
	}
	return "", nil
}

func orSystem(s string) string {
	if s == "" {
		return "the pipeline's actor"
	}
	return s
}

// serialLock is a serial group's state: who holds it and who waits, in pipeline order.
type serialLock struct {
	Holder   string   `json:"holder,omitempty"`
	HolderWF string   `json:"holder_workflow,omitempty"`
	Waiters  []waiter `json:"waiters,omitempty"`
}

type waiter struct {
	JobID      string `json:"job_id"`
	WorkflowID string `json:"workflow_id"`
	Pipeline   int64  `json:"pipeline"`
}

// acquire returns the ops that take the job's serial group along with queuing it, or errHeld after putting
// the job in line. The group is free when nobody holds it or its holder ended; the lowest pipeline number in
// line goes first.
func (c *Conductor) acquire(ctx context.Context, p *domain.Pipeline, j domain.Job) ([]store.Op, error) {
	k := repo.SerialGroupKey(j.ProjectID, j.SerialGroup)
	lock, err := repo.Get[serialLock](ctx, c.r, k)
	exists := err == nil
	if err != nil && !repo.IsNotFound(err) {
		return nil, err
	}
	lock.Key = k
	free := lock.V.Holder == "" || lock.V.Holder == j.ID
	if !free {
		holder, err := c.r.Job(ctx, lock.V.Holder)
		free = repo.IsNotFound(err) || err == nil && holder.V.Status.Terminal()
		if err != nil && !repo.IsNotFound(err) {
			return nil, err
		}
	}
	first := true
	for _, w := range lock.V.Waiters {
		if w.JobID != j.ID && w.Pipeline < p.Number {
			first = false
		}
	}
	if free && first {
		lock.V.Holder, lock.V.HolderWF = j.ID, j.WorkflowID
		lock.V.Waiters = slices.DeleteFunc(lock.V.Waiters, func(w waiter) bool { return w.JobID == j.ID })
		return []store.Op{lockOp(lock, exists)}, nil
	}
	if !slices.ContainsFunc(lock.V.Waiters, func(w waiter) bool { return w.JobID == j.ID }) {
		lock.V.Waiters = append(lock.V.Waiters, waiter{j.ID, j.WorkflowID, p.Number})
		if err := c.r.Write(ctx, lockOp(lock, exists)); err != nil {
			return nil, fmt.Errorf("wait for serial group %s: %w", j.SerialGroup, err)
		}
	}
	return nil, errHeld
}

func lockOp(l repo.Rec[serialLock], exists bool) store.Op {
	if exists {
		return repo.Update(l)
	}
	return repo.Create(l.Key, l.V)
}

// release frees the serial groups held by ended jobs of the workflow and wakes the waiters.
func (c *Conductor) release(ctx context.Context, e *evaluation) error {
	for _, j := range e.jobs {
		if j.V.SerialGroup == "" || !j.V.Status.Terminal() {
			continue
		}
		k := repo.SerialGroupKey(j.V.ProjectID, j.V.SerialGroup)
		lock, err := repo.Get[serialLock](ctx, c.r, k)
		if repo.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if lock.V.Holder != j.V.ID {
			// Not the holder: a canceled waiter leaves the line.
			n := len(lock.V.Waiters)
			lock.V.Waiters = slices.DeleteFunc(lock.V.Waiters, func(w waiter) bool { return w.JobID == j.V.ID })
			if n != len(lock.V.Waiters) {
				if err := c.r.Write(ctx, repo.Update(lock)); err != nil {
					return fmt.Errorf("leave serial group %s: %w", j.V.SerialGroup, err)
				}
			}
			continue
		}
		lock.V.Holder, lock.V.HolderWF = "", ""
		if err := c.r.Write(ctx, repo.Update(lock)); err != nil {
			return fmt.Errorf("release serial group %s: %w", j.V.SerialGroup, err)
		}
		for _, w := range lock.V.Waiters {
			if !slices.Contains(e.pokes, w.WorkflowID) {
				e.pokes = append(e.pokes, w.WorkflowID)
			}
		}
	}
	return nil
}
