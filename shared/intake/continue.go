package intake

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// ContinueWithin is how long after its creation a setup pipeline may be continued (CircleCI: 6 hours).
const ContinueWithin = 6 * time.Hour

// continuation is what a pipeline was continued with, kept to recompile its config after a crash.
type continuation struct {
	Parameters map[string]any `json:"parameters,omitempty"`
}

func continuationKey(pipelineID string) store.Key {
	return store.Key{PK: repo.RefKey(repo.KindPipeline, pipelineID).PK, SK: "continuation"}
}

// Continue continues the setup pipeline a continuation key belongs to (POST /api/v2/pipeline/continue) with
// configYAML and its pipeline parameters: the config is compiled and stored, the pipeline becomes created
// and the config's workflows are created. It succeeds once per pipeline, even under concurrent calls. Errors
// wrap ErrInvalid (bad key, parameters or config, a setup config again, parameters conflicting with the
// trigger's) or ErrState (already continued, not a setup pipeline, too late).
func (in *Intake) Continue(ctx context.Context, key string, configYAML string, params map[string]any) error {
	id, ok := checkContinuationKey(in.d.ContinuationSecret, key)
	if !ok {
		return fmt.Errorf("continue pipeline: %w: invalid continuation key", ErrInvalid)
	}
	if strings.TrimSpace(configYAML) == "" {
		return fmt.Errorf("continue pipeline %s: %w: configuration is required", id, ErrInvalid)
	}
	if err := checkParams(params); err != nil {
		return fmt.Errorf("continue pipeline %s: %w", id, err)
	}
	params = copyParams(params)
	for try := 0; ; try++ {
		rec, err := in.d.Repo.Pipeline(ctx, id)
		if err != nil {
			return fmt.Errorf("continue pipeline %s: %w", id, err)
		}
		if err := in.continuable(rec.V, params); err != nil {
			return fmt.Errorf("continue pipeline %s/%d: %w", rec.V.ProjectSlug, rec.V.Number, err)
		}
		proj, err := in.d.Repo.Project(ctx, rec.V.ProjectID)
		if err != nil {
			return fmt.Errorf("continue pipeline %s: %w", id, err)
		}
		res, err := in.compile(ctx, []byte(configYAML), rec.V, proj.V, params)
		var ce *configError
		switch {
		case errors.As(err, &ce):
			return fmt.Errorf("continue pipeline %s/%d: %w: %s", rec.V.ProjectSlug, rec.V.Number, ErrInvalid, ce.Error())
		case err != nil:
			return fmt.Errorf("continue pipeline %s/%d: %w", rec.V.ProjectSlug, rec.V.Number, err)
		case res.Setup || res.Plan.Setup:
			return fmt.Errorf("continue pipeline %s/%d: %w: a continuation config cannot itself be a setup config",
				rec.V.ProjectSlug, rec.V.Number, ErrInvalid)
		}
		now := in.now()
		rec.V.State, rec.V.ContinuedAt, rec.V.UpdatedAt = domain.PipelineCreated, now, now
		rec.V.ConfigSource, rec.V.ConfigCompiled = configYAML, string(res.YAML())
		err = in.d.Repo.Write(ctx, repo.Update(rec), repo.Create(continuationKey(id), continuation{Parameters: params}))
		if repo.IsConflict(err) && try < 10 {
			continue // continued meanwhile (the next look says so) or changed otherwise
		}
		if err != nil {
			return fmt.Errorf("continue pipeline %s/%d: %w", rec.V.ProjectSlug, rec.V.Number, err)
		}
		in.log.Info("pipeline continued", "pipeline", id, "project", rec.V.ProjectSlug, "number", rec.V.Number)
		p := rec.V
		if err := in.createAll(ctx, p, res, ""); err != nil {
			// The continuation is recorded: let Handle create what is missing rather than fail the caller,
			// whose retry would only hear "already used".
			in.log.Warn("creating continued workflows failed; handing the pipeline to Handle", "pipeline", id, "err", err)
			return in.enqueue(ctx, id)
		}
		if err := in.syncFrom(ctx, p, proj.V, res); err != nil {
			in.log.Warn("legacy schedules not synced", "pipeline", id, "err", err)
		}
		return nil
	}
}

// continuable checks that p may be continued now with params.
func (in *Intake) continuable(p domain.Pipeline, params map[string]any) error {
	switch {
	case !p.ContinuedAt.IsZero():
		return fmt.Errorf("%w: continuation already used", ErrState)
	case p.State == domain.PipelineErrored:
		return fmt.Errorf("%w: the pipeline errored", ErrState)
	case p.State != domain.PipelineSetupPending || p.SetupConfigSource == "":
		return fmt.Errorf("%w: not a setup pipeline", ErrState)
	case in.now().Sub(p.CreatedAt) > ContinueWithin:
		return fmt.Errorf("%w: continuation key expired: a pipeline can be continued only within %s of its creation",
			ErrState, ContinueWithin)
	}
	for k, v := range params {
		if prev, ok := p.Parameters[k]; ok && !sameParam(prev, v) {
			return fmt.Errorf("%w: Conflicting pipeline parameters. (%q)", ErrInvalid, k)
		}
	}
	return nil
}

// sameParam compares parameter values as JSON would (numbers by value).
func sameParam(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(r.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(r.Uint()), true
	case reflect.Float32, reflect.Float64:
		return r.Float(), true
	}
	return 0, false
}

// createContinued re-creates the workflows of a continued pipeline from its stored config and parameters.
func (in *Intake) createContinued(ctx context.Context, p domain.Pipeline, proj domain.Project) error {
	c, err := repo.Get[continuation](ctx, in.d.Repo, continuationKey(p.ID))
	if err != nil {
		return fmt.Errorf("read continuation of pipeline %s/%d: %w", p.ProjectSlug, p.Number, err)
	}
	res, err := in.compile(ctx, []byte(p.ConfigSource), p, proj, c.V.Parameters)
	if err != nil {
		return fmt.Errorf("recompile continued config of pipeline %s/%d: %w", p.ProjectSlug, p.Number, err)
	}
	return in.createAll(ctx, p, res, "")
}
