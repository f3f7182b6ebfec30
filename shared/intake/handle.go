package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/caravan-ci/caravan/shared/config"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake/gitsource"
	"github.com/caravan-ci/caravan/shared/intake/webhook"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/repo"
)

// fetchAttempts is the delivery from which a failure to reach the repository errors the pipeline instead
// of being retried again.
const fetchAttempts = 3

// Handle is the queue handler of domain.TopicPipelines: it processes one pipeline (see the package doc).
func (in *Intake) Handle(ctx context.Context, d queue.Delivery) error {
	var m domain.PipelineMsg
	if err := json.Unmarshal(d.Body, &m); err != nil || m.PipelineID == "" {
		return queue.Permanent(fmt.Errorf("bad pipeline message %q: %v", d.Body, err))
	}
	err := in.process(ctx, m.PipelineID, d.Attempt)
	if repo.IsNotFound(err) {
		return queue.Permanent(err)
	}
	return err
}

// processed reports whether Handle has already decided what a pipeline runs.
func processed(p domain.Pipeline) bool {
	return p.State != domain.PipelineCreated || p.ConfigSource != "" || p.SetupConfigSource != "" || skipped(p)
}

// skipped reports whether a webhook pipeline's commit asks not to be built ([ci skip] / [skip ci]). Pull
// requests from forks are always built, as on CircleCI.
func skipped(p domain.Pipeline) bool {
	return p.Trigger.Type == TypeWebhook && p.VCS.PRNumber == "" &&
		webhook.HasSkipCI(p.VCS.CommitSubject, p.VCS.CommitBody)
}

func (in *Intake) process(ctx context.Context, id string, attempt int) error {
	for try := 0; ; try++ {
		rec, err := in.d.Repo.Pipeline(ctx, id)
		if err != nil {
			return fmt.Errorf("process pipeline %s: %w", id, err)
		}
		proj, err := in.d.Repo.Project(ctx, rec.V.ProjectID)
		if err != nil {
			return fmt.Errorf("process pipeline %s: %w", id, err)
		}
		if processed(rec.V) {
			return in.done(ctx, id, in.finish(ctx, rec.V, proj.V, nil))
		}
		res, err := in.prepare(ctx, &rec.V, proj.V, attempt)
		if err != nil {
			return fmt.Errorf("process pipeline %s/%d: %w", rec.V.ProjectSlug, rec.V.Number, err)
		}
		rec.V.UpdatedAt = in.now()
		err = in.d.Repo.Write(ctx, repo.Update(rec))
		if repo.IsConflict(err) && try < 10 {
			continue // changed meanwhile (another instance, or an auto-cancel mark): look again
		}
		if err != nil {
			return fmt.Errorf("process pipeline %s/%d: %w", rec.V.ProjectSlug, rec.V.Number, err)
		}
		in.log.Info("pipeline processed", "pipeline", id, "project", rec.V.ProjectSlug, "number", rec.V.Number,
			"state", rec.V.State, "revision", rec.V.VCS.Revision, "skipped", skipped(rec.V))
		return in.done(ctx, id, in.finish(ctx, rec.V, proj.V, res))
	}
}

// prepare resolves the revision, reads and compiles the config and records the outcome in p. It returns
// the compiled config when the pipeline has workflows to create, and an error only for a failure worth
// retrying.
func (in *Intake) prepare(ctx context.Context, p *domain.Pipeline, proj domain.Project, attempt int) (*config.Result, error) {
	fail := func(typ string, err error) (*config.Result, error) {
		p.State, p.Errors = domain.PipelineErrored, pipelineErrors(typ, err)
		return nil, nil
	}
	ref, what := p.VCS.Revision, "revision"
	switch {
	case ref != "":
	case p.VCS.Tag != "":
		ref, what = "refs/tags/"+p.VCS.Tag, "tag"
	default:
		ref, what = p.VCS.Branch, "branch"
	}
	c, err := in.d.Git.Resolve(ctx, proj.RepoURL, ref)
	switch {
	case errors.Is(err, gitsource.ErrUnknownRef):
		return fail(ErrTypeConfigFetch, fmt.Errorf("cannot find %s %q in the repository: %w", what, ref, err))
	case err != nil && attempt < fetchAttempts:
		return nil, err
	case err != nil:
		return fail(ErrTypeConfigFetch, fmt.Errorf("cannot read %s %q: %w", what, ref, err))
	}
	p.VCS.Revision = c.SHA
	if p.VCS.CommitSubject == "" && p.VCS.CommitBody == "" {
		p.VCS.CommitSubject, p.VCS.CommitBody = c.Subject, c.Body
	}
	if skipped(*p) {
		return nil, nil
	}
	path := configPath(proj)
	src, err := in.d.Git.ReadFile(ctx, proj.RepoURL, c.SHA, path)
	switch {
	case errors.Is(err, gitsource.ErrNotFound):
		return fail(ErrTypeConfigFetch, fmt.Errorf("config file %s not found at revision %s", path, short(c.SHA)))
	case err != nil && attempt < fetchAttempts:
		return nil, err
	case err != nil:
		return fail(ErrTypeConfigFetch, fmt.Errorf("cannot read %s at revision %s: %w", path, short(c.SHA), err))
	}
	res, err := in.compile(ctx, src, *p, proj, p.Parameters)
	var ce *configError
	switch {
	case errors.As(err, &ce):
		p.ConfigSource = string(src)
		return fail(ErrTypeConfig, err)
	case err != nil:
		return nil, err
	case res.Setup || res.Plan.Setup:
		if len(in.d.ContinuationSecret) == 0 {
			return fail(ErrTypeOther, errors.New("setup workflows are not available: the server has no continuation secret"))
		}
		p.State = domain.PipelineSetupPending
		p.SetupConfigSource, p.SetupConfigCompiled = string(src), string(res.YAML())
		p.ContinuationKeyHash = keyHash(ContinuationKey(in.d.ContinuationSecret, p.ID))
	default:
		p.ConfigSource, p.ConfigCompiled = string(src), string(res.YAML())
	}
	return res, nil
}

func short(sha string) string { return sha[:min(len(sha), 12)] }

// finish creates the workflows of a processed pipeline (res is its fresh compilation, or nil to recompile
// the stored config), then auto-cancels older pipelines. It is safe to repeat.
func (in *Intake) finish(ctx context.Context, p domain.Pipeline, proj domain.Project, res *config.Result) error {
	if p.State == domain.PipelineErrored || skipped(p) || p.AutoCanceledBy != "" {
		return nil
	}
	if p.SetupConfigSource != "" {
		if err := in.createSetup(ctx, p, proj, res); err != nil {
			return err
		}
		if !p.ContinuedAt.IsZero() {
			if err := in.createContinued(ctx, p, proj); err != nil {
				return err
			}
		}
	} else {
		if res == nil {
			var err error
			if res, err = in.compile(ctx, []byte(p.ConfigSource), p, proj, p.Parameters); err != nil {
				return fmt.Errorf("recompile pipeline %s/%d: %w", p.ProjectSlug, p.Number, err)
			}
		}
		if err := in.createAll(ctx, p, res, ""); err != nil {
			return err
		}
		if err := in.syncFrom(ctx, p, proj, res); err != nil {
			return err
		}
	}
	if err := in.autoCancel(ctx, p, proj); err != nil {
		return err
	}
	return in.selfCancel(ctx, p.ID)
}

func (in *Intake) createSetup(ctx context.Context, p domain.Pipeline, proj domain.Project, res *config.Result) error {
	if res == nil || !res.Setup {
		var err error
		res, err = in.compile(ctx, []byte(p.SetupConfigSource), p, proj, p.Parameters)
		if err != nil {
			return fmt.Errorf("recompile setup config of pipeline %s/%d: %w", p.ProjectSlug, p.Number, err)
		}
	}
	return in.createAll(ctx, p, res, "setup")
}

// createAll creates every workflow of a compiled config that has jobs to run (a workflow whose jobs the
// filters all leave out does not run, as on CircleCI).
func (in *Intake) createAll(ctx context.Context, p domain.Pipeline, res *config.Result, tag string) error {
	for _, w := range res.Plan.Workflows {
		if len(w.Jobs) == 0 {
			continue
		}
		if _, err := in.d.Workflows.Create(ctx, p, w, tag); err != nil {
			return fmt.Errorf("create workflow %s of pipeline %s/%d: %w", w.Name, p.ProjectSlug, p.Number, err)
		}
	}
	return nil
}
