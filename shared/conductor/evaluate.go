package conductor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Evaluate moves whatever can move in a workflow: blocked jobs whose requirements ended, serial-group locks
// of ended jobs, completion notifications and the workflow's own status. It is idempotent; a conflicting
// concurrent write makes it start over from a fresh read.
func (c *Conductor) Evaluate(ctx context.Context, workflowID string) error {
	var err error
	for range 20 {
		if err = c.evaluate(ctx, workflowID); !repo.IsConflict(err) {
			return err
		}
	}
	return fmt.Errorf("evaluate workflow %s: still conflicting: %w", workflowID, err)
}

// evaluation is the state one pass of Evaluate works on.
type evaluation struct {
	wf       repo.Rec[domain.Workflow]
	jobs     []repo.Rec[domain.Job]
	status   map[string]domain.JobStatus
	pipeline *domain.Pipeline
	runs     []domain.RunMsg
	pokes    []string
}

func (c *Conductor) evaluate(ctx context.Context, workflowID string) error {
	wf, err := c.r.Workflow(ctx, workflowID)
	if err != nil {
		return err
	}
	jobs, err := c.r.Jobs(ctx, workflowID)
	if err != nil {
		return err
	}
	e := &evaluation{wf: wf, jobs: jobs, status: map[string]domain.JobStatus{}}
	for _, j := range jobs {
		e.status[j.V.ID] = j.V.Status
	}
	if !wf.V.Status.Terminal() {
		if err := c.advance(ctx, e); err != nil {
			return err
		}
	}
	if err := c.release(ctx, e); err != nil {
		return err
	}
	if err := c.sendRuns(ctx, e.runs); err != nil {
		return err
	}
	if len(e.pokes) > 0 {
		if err := c.Poke(ctx, e.pokes...); err != nil {
			return err
		}
	}
	if err := c.notifyJobs(ctx, e); err != nil {
		return err
	}
	return c.settle(ctx, e)
}

// advance moves blocked jobs until nothing more moves (a no-op job that ends at once may unblock others).
func (c *Conductor) advance(ctx context.Context, e *evaluation) error {
	for moved := true; moved; {
		moved = false
		for i := range e.jobs {
			j := &e.jobs[i]
			if j.V.Status != domain.JobBlocked {
				continue
			}
			now := c.now()
			switch requirementState(j.V, e.status) {
			case waiting:
				continue
			case unreachable:
				j.V.Status, j.V.StoppedAt = domain.JobNotRun, now
				if err := c.write(ctx, j); err != nil {
					return err
				}
			case met:
				switch {
				case j.V.Type == domain.JobTypeApproval:
					j.V.Status = domain.JobOnHold
					if err := c.write(ctx, j); err != nil {
						return err
					}
				case j.V.Plan.Type == plan.JobNoOp:
					j.V.Status, j.V.StartedAt, j.V.StoppedAt = domain.JobSuccess, now, now
					if err := c.write(ctx, j); err != nil {
						return err
					}
				default:
					if err := c.queueJob(ctx, e, j); err != nil {
						return err
					}
				}
			}
			if e.status[j.V.ID] != j.V.Status {
				e.status[j.V.ID] = j.V.Status
				moved = true
			}
		}
	}
	return nil
}

// write stores a job read in this pass back, conditionally.
func (c *Conductor) write(ctx context.Context, j *repo.Rec[domain.Job], more ...store.Op) error {
	if err := c.r.Write(ctx, append([]store.Op{repo.Update(*j)}, more...)...); err != nil {
		return fmt.Errorf("update job %s: %w", j.V.Name, err)
	}
	j.Version++
	return nil
}

func (c *Conductor) sendRuns(ctx context.Context, runs []domain.RunMsg) error {
	msgs := make([]queue.Message, 0, len(runs))
	for _, r := range runs {
		b, _ := json.Marshal(r)
		msgs = append(msgs, queue.Message{ID: "run-" + r.TaskID, Body: b})
	}
	for len(msgs) > 0 {
		n := min(len(msgs), 10)
		if err := c.q.Send(ctx, domain.TopicRuns, msgs[:n]...); err != nil {
			return fmt.Errorf("send runs: %w", err)
		}
		msgs = msgs[n:]
	}
	return nil
}

// notifyJobs reports each newly ended job once: the Notified flag is written first (a conditional write only
// one concurrent evaluation wins), then the notification is sent. A crash between the two loses that
// notification; sending first would instead repeat it every time evaluations race, which they do whenever
// jobs of one workflow end together.
func (c *Conductor) notifyJobs(ctx context.Context, e *evaluation) error {
	for i := range e.jobs {
		j := &e.jobs[i]
		if !j.V.Status.Terminal() || j.V.Notified || j.V.CarriedFrom != "" {
			continue
		}
		j.V.Notified = true
		if err := c.write(ctx, j); err != nil {
			return err
		}
		if c.o.Notify != nil {
			job := j.V
			if err := c.o.Notify(ctx, Completion{Workflow: e.wf.V, Job: &job}); err != nil {
				c.log.Error("job-completed notification not sent", "job", j.V.ID, "err", err)
			}
		}
	}
	return nil
}

// settle writes the workflow's status and, once it ended, leaves the active set and notifies (after the
// write, for the reason notifyJobs gives).
func (c *Conductor) settle(ctx context.Context, e *evaluation) error {
	wf := &e.wf
	jobs := make([]domain.Job, len(e.jobs))
	for i, j := range e.jobs {
		jobs[i] = j.V
	}
	st := workflowStatus(wf.V.Status, jobs)
	if st == wf.V.Status && (!st.Terminal() || wf.V.Notified) {
		return nil
	}
	wf.V.Status = st
	ops := []store.Op{}
	notify := false
	if st.Terminal() {
		if wf.V.StoppedAt.IsZero() {
			wf.V.StoppedAt = c.now()
		}
		notify, wf.V.Notified = !wf.V.Notified, true
		ops = append(ops, store.Op{Kind: store.Delete, Item: store.Item{Key: repo.ActiveWorkflowKey(wf.V.ID)}})
	}
	if err := c.r.Write(ctx, append([]store.Op{repo.Update(*wf)}, ops...)...); err != nil {
		return fmt.Errorf("update workflow %s: %w", wf.V.Name, err)
	}
	wf.Version++
	if notify && c.o.Notify != nil {
		if err := c.o.Notify(ctx, Completion{Workflow: wf.V}); err != nil {
			c.log.Error("workflow-completed notification not sent", "workflow", wf.V.ID, "err", err)
		}
	}
	return nil
}

// loadPipeline reads the workflow's pipeline once per pass.
func (c *Conductor) loadPipeline(ctx context.Context, e *evaluation) (*domain.Pipeline, error) {
	if e.pipeline == nil {
		p, err := c.r.Pipeline(ctx, e.wf.V.PipelineID)
		if err != nil {
			return nil, fmt.Errorf("pipeline of workflow %s: %w", e.wf.V.Name, err)
		}
		e.pipeline = &p.V
	}
	return e.pipeline, nil
}

var errHeld = errors.New("serial group held")
