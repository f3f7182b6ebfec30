package intake

import (
	"context"
	"fmt"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// AutoCancelActor is who auto-canceled workflows are canceled by.
const AutoCancelActor = "auto-cancel"

// autoCancelScan is how many of a project's newest pipelines auto-cancel looks at.
const autoCancelScan = 50

// autoCancel cancels the running workflows of p's project's older pipelines on p's branch, when the project
// asks for it and the branch is not the default one (CircleCI never auto-cancels the default branch).
// Setup workflows whose pipeline already continued are left alone, and so are scheduled pipelines.
//
// Each older pipeline is first marked (AutoCanceledBy, a conditional write), then its workflows are
// canceled. Handle does not create the workflows of a marked pipeline, and cancels its own after creating
// them if a mark appeared meanwhile (selfCancel), so a workflow created concurrently is not missed.
func (in *Intake) autoCancel(ctx context.Context, p domain.Pipeline, proj domain.Project) error {
	if !proj.Settings.AutoCancelBuilds || p.VCS.Branch == "" || p.VCS.Tag != "" ||
		p.VCS.Branch == proj.DefaultBranch || p.Trigger.Type == TypeScheduled {
		return nil
	}
	olders, _, err := repo.List[domain.Pipeline](ctx, in.d.Repo, repo.PipelinesPK(p.ProjectID),
		store.Query{Desc: true, Limit: autoCancelScan})
	if err != nil {
		return fmt.Errorf("auto-cancel for pipeline %s/%d: %w", p.ProjectSlug, p.Number, err)
	}
	for _, old := range olders {
		o := old.V
		if o.Number >= p.Number || o.VCS.Branch != p.VCS.Branch || o.VCS.Tag != "" ||
			o.Trigger.Type == TypeScheduled || o.State == domain.PipelineErrored || skipped(o) {
			continue
		}
		if err := in.cancelOlder(ctx, old, p); err != nil {
			return fmt.Errorf("auto-cancel pipeline %s/%d: %w", o.ProjectSlug, o.Number, err)
		}
	}
	return nil
}

func (in *Intake) cancelOlder(ctx context.Context, old repo.Rec[domain.Pipeline], by domain.Pipeline) error {
	wfs, err := in.d.Repo.Workflows(ctx, old.V.ID)
	if err != nil {
		return err
	}
	running := false
	for _, w := range wfs {
		running = running || cancelable(old.V, w.V)
	}
	if old.V.AutoCanceledBy == "" {
		if processed(old.V) && len(wfs) > 0 && !running {
			return nil // finished: nothing to cancel, and no mark on a pipeline that ran to its end
		}
		if err := in.mark(ctx, old, by.ID); err != nil {
			return err
		}
		if wfs, err = in.d.Repo.Workflows(ctx, old.V.ID); err != nil { // after the mark: see every workflow
			return err
		}
	}
	for _, w := range wfs {
		if cancelable(old.V, w.V) {
			if err := in.d.Workflows.CancelWorkflow(ctx, w.V.ID, AutoCancelActor); err != nil {
				return fmt.Errorf("cancel workflow %s: %w", w.V.Name, err)
			}
			in.log.Info("workflow auto-canceled", "workflow", w.V.ID, "name", w.V.Name,
				"pipeline", old.V.ID, "by_pipeline", by.ID)
		}
	}
	return nil
}

// mark records on an older pipeline that a newer one canceled it.
func (in *Intake) mark(ctx context.Context, old repo.Rec[domain.Pipeline], byID string) error {
	for range 10 {
		old.V.AutoCanceledBy, old.V.UpdatedAt = byID, in.now()
		err := in.d.Repo.Write(ctx, repo.Update(old))
		if !repo.IsConflict(err) {
			return err
		}
		if old, err = in.d.Repo.Pipeline(ctx, old.V.ID); err != nil {
			return err
		}
		if old.V.AutoCanceledBy != "" {
			return nil
		}
	}
	return fmt.Errorf("mark pipeline %s auto-canceled: %w", old.V.ID, store.ErrConflict)
}

// cancelable reports whether auto-cancel stops workflow w of pipeline p.
func cancelable(p domain.Pipeline, w domain.Workflow) bool {
	if w.Status.Terminal() {
		return false
	}
	return w.Tag != "setup" || p.ContinuedAt.IsZero()
}

// selfCancel cancels a pipeline's running workflows if a newer pipeline marked it while Handle was
// creating them.
func (in *Intake) selfCancel(ctx context.Context, pipelineID string) error {
	rec, err := in.d.Repo.Pipeline(ctx, pipelineID)
	if err != nil || rec.V.AutoCanceledBy == "" {
		return err
	}
	wfs, err := in.d.Repo.Workflows(ctx, pipelineID)
	if err != nil {
		return err
	}
	for _, w := range wfs {
		if cancelable(rec.V, w.V) {
			if err := in.d.Workflows.CancelWorkflow(ctx, w.V.ID, AutoCancelActor); err != nil {
				return fmt.Errorf("cancel workflow %s: %w", w.V.Name, err)
			}
		}
	}
	return nil
}
