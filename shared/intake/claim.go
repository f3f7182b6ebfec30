package intake

import (
	"context"
	"fmt"
	"time"

	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// claimRec is a once-only claim (a webhook delivery, a commit, a schedule slot): who claimed it when, and
// the pipeline it made once that exists.
type claimRec struct {
	PipelineID string    `json:"pipeline_id,omitempty"`
	ClaimedAt  time.Time `json:"claimed_at"`
}

// claim takes key k for ttl with a conditional create. won is true when the caller now owns the claim;
// otherwise cur is the claim as it stands. A claim that never got its pipeline (its holder crashed) is taken
// over once it is older than stale.
func (in *Intake) claim(ctx context.Context, k store.Key, ttl, stale time.Duration) (won bool, cur repo.Rec[claimRec], err error) {
	for range 3 {
		now := in.now()
		v := claimRec{ClaimedAt: now}
		op := repo.Create(k, v)
		op.Item.ExpiresAt = now.Add(ttl)
		err = in.d.Repo.Write(ctx, op)
		if err == nil {
			return true, repo.Rec[claimRec]{V: v, Key: k, Version: 1}, nil
		}
		if !repo.IsConflict(err) {
			return false, cur, fmt.Errorf("claim %s: %w", k.PK, err)
		}
		cur, err = repo.Get[claimRec](ctx, in.d.Repo, k)
		if repo.IsNotFound(err) {
			continue // expired or released meanwhile
		}
		if err != nil {
			return false, cur, fmt.Errorf("claim %s: %w", k.PK, err)
		}
		if cur.V.PipelineID != "" || now.Sub(cur.V.ClaimedAt) < stale {
			return false, cur, nil
		}
		cur.V.ClaimedAt = now
		op = repo.Update(cur)
		op.Item.ExpiresAt = now.Add(ttl)
		err = in.d.Repo.Write(ctx, op)
		if err == nil {
			cur.Version++
			return true, cur, nil
		}
		if !repo.IsConflict(err) {
			return false, cur, fmt.Errorf("take over claim %s: %w", k.PK, err)
		}
	}
	cur, err = repo.Get[claimRec](ctx, in.d.Repo, k)
	return false, cur, err
}

// settle records the pipeline a won claim made.
func (in *Intake) settle(ctx context.Context, c repo.Rec[claimRec], ttl time.Duration, pipelineID string) {
	c.V.PipelineID = pipelineID
	op := repo.Update(c)
	op.Item.ExpiresAt = c.V.ClaimedAt.Add(ttl)
	if err := in.d.Repo.Write(ctx, op); err != nil {
		in.log.Warn("claim not settled", "key", c.Key.PK+"/"+c.Key.SK, "pipeline", pipelineID, "err", err)
	}
}

// release gives up a won claim whose pipeline could not be made, so a retry may take it.
func (in *Intake) release(ctx context.Context, c repo.Rec[claimRec]) {
	op := store.Op{Kind: store.Delete, Item: store.Item{Key: c.Key}, Cond: store.AtVersion, Version: c.Version}
	if err := in.d.Repo.Write(context.WithoutCancel(ctx), op); err != nil {
		in.log.Warn("claim not released", "key", c.Key.PK+"/"+c.Key.SK, "err", err)
	}
}
