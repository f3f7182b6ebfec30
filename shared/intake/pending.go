package intake

import (
	"context"
	"fmt"
	"time"

	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Pipelines not yet processed are listed in their own partition from the moment Trigger writes them until
// Handle has created their workflows, so a message lost between the write and the send (a crash, a queue
// outage) is sent again by Sweep.

const pendingPK = "pending-pipelines"

// ResendAfter is how long a pipeline may wait for processing before Sweep sends its message again.
const ResendAfter = 30 * time.Second

func pendingKey(pipelineID string) store.Key { return store.Key{PK: pendingPK, SK: pipelineID} }

// done removes a processed pipeline from the pending list once err is nil.
func (in *Intake) done(ctx context.Context, pipelineID string, err error) error {
	if err != nil {
		return err
	}
	if err := in.d.Repo.Write(ctx, store.Op{Kind: store.Delete, Item: store.Item{Key: pendingKey(pipelineID)}}); err != nil {
		return fmt.Errorf("pipeline %s processed: %w", pipelineID, err)
	}
	return nil
}

// Sweep sends the message of every pipeline that has waited for processing longer than ResendAfter again.
// Handle is idempotent, so a pipeline whose message was merely slow is not harmed.
func (in *Intake) Sweep(ctx context.Context) error {
	q := store.Query{Limit: 1000}
	now := in.now()
	for {
		page, next, err := repo.List[time.Time](ctx, in.d.Repo, pendingPK, q)
		if err != nil {
			return fmt.Errorf("sweep pending pipelines: %w", err)
		}
		for _, p := range page {
			if now.Sub(p.V) > ResendAfter {
				in.log.Warn("pipeline waited too long for processing; sending it again", "pipeline", p.Key.SK)
				if err := in.enqueue(ctx, p.Key.SK); err != nil {
					return err
				}
			}
		}
		if next == "" {
			return nil
		}
		q.After = next
	}
}
