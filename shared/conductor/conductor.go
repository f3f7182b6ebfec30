package conductor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/repo"
)

// sender is the part of the queue port the conductor uses.
type sender interface {
	Send(ctx context.Context, topic string, msgs ...queue.Message) error
}

// Completion is a job or workflow that reached a terminal status, for outbound webhooks. Job is nil for a
// workflow completion.
type Completion struct {
	Workflow domain.Workflow
	Job      *domain.Job
}

// Options configure a Conductor.
type Options struct {
	// Notify is called once per terminal job and workflow, after the write that records it (so a crash
	// right between the two can lose one; concurrent evaluations never repeat one).
	Notify func(ctx context.Context, c Completion) error
	// ContextAllowed decides whether a pipeline's actor may use a context (nil allows org members' contexts).
	ContextAllowed func(ctx context.Context, p domain.Pipeline, c domain.Context) bool
	// ClaimTimeout is how long a dispatched task may wait for its runner to claim it, and HeartbeatTimeout how
	// long a running task may go silent, before Sweep ends it as infrastructure_fail. Defaults 2 and 3 minutes.
	ClaimTimeout     time.Duration
	HeartbeatTimeout time.Duration
	Now              func() time.Time
	Log              *slog.Logger
}

// Conductor runs workflows over the store (through repo) and the queue.
type Conductor struct {
	r   *repo.Repo
	q   sender
	o   Options
	log *slog.Logger
}

// New returns a Conductor.
func New(r *repo.Repo, q sender, o Options) *Conductor {
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.ClaimTimeout <= 0 {
		o.ClaimTimeout = 2 * time.Minute
	}
	if o.HeartbeatTimeout <= 0 {
		o.HeartbeatTimeout = 3 * time.Minute
	}
	return &Conductor{r: r, q: q, o: o, log: o.Log.With("component", "conductor")}
}

// Poke asks for an evaluation of a workflow (through the queue, so any instance may do it).
func (c *Conductor) Poke(ctx context.Context, workflowIDs ...string) error {
	msgs := make([]queue.Message, 0, len(workflowIDs))
	for _, id := range workflowIDs {
		b, _ := json.Marshal(domain.WorkflowMsg{WorkflowID: id})
		msgs = append(msgs, queue.Message{ID: "wf-" + id, Body: b})
	}
	for len(msgs) > 0 {
		n := min(len(msgs), 10)
		if err := c.q.Send(ctx, domain.TopicWorkflows, msgs[:n]...); err != nil {
			return fmt.Errorf("poke workflows: %w", err)
		}
		msgs = msgs[n:]
	}
	return nil
}

// Handle is the queue handler of TopicWorkflows.
func (c *Conductor) Handle(ctx context.Context, d queue.Delivery) error {
	var m domain.WorkflowMsg
	if err := json.Unmarshal(d.Body, &m); err != nil || m.WorkflowID == "" {
		return queue.Permanent(fmt.Errorf("bad workflow message %q: %v", d.Body, err))
	}
	err := c.Evaluate(ctx, m.WorkflowID)
	if repo.IsNotFound(err) {
		return queue.Permanent(err)
	}
	return err
}

func (c *Conductor) now() time.Time { return c.o.Now() }
