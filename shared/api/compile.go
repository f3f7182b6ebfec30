package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
)

// CompileFunc compiles a config for POST /compile-config-with-defaults (what `circleci config validate` and
// `circleci config process` call): it expands orbs (owner's private orbs included), parameters and pipeline
// values and returns the processed YAML. errs are the config's problems (an invalid config is no error);
// err is a failure to compile at all.
type CompileFunc func(ctx context.Context, configYAML string, pipelineValues, parameters map[string]any,
	owner string) (compiled string, errs []string, err error)

// compileRoutes is registered with the pipeline routes.
func (a *API) compileRoutes() {
	a.handle("POST /api/v2/compile-config-with-defaults", a.compileConfig)
}

// compileResultJSON is the answer of compile-config-with-defaults, as the CircleCI CLI reads it.
type compileResultJSON struct {
	Valid      bool               `json:"valid"`
	Errors     []compileErrorJSON `json:"errors"`
	SourceYAML string             `json:"source-yaml"`
	OutputYAML string             `json:"output-yaml"`
}

type compileErrorJSON struct {
	Message string `json:"message"`
}

func (a *API) compileConfig(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Compile == nil {
		return errorf(http.StatusNotImplemented, "Config compilation is not enabled on this server.")
	}
	var body struct {
		ConfigYAML string `json:"config_yaml"`
		Options    struct {
			OwnerID            string         `json:"owner_id"`
			PipelineParameters map[string]any `json:"pipeline_parameters"`
			PipelineValues     map[string]any `json:"pipeline_values"`
		} `json:"options"`
	}
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	if body.ConfigYAML == "" {
		return errorf(http.StatusBadRequest, "config_yaml is required.")
	}
	owner := body.Options.OwnerID
	if owner != "" { // the owner's private orbs are visible to its members only
		if _, err := a.d.Repo.Org(r.Context(), owner); repo.IsNotFound(err) {
			return errorf(http.StatusNotFound, "Organization not found.")
		} else if err != nil {
			return err
		}
		if err := a.authorize(r.Context(), c, owner, domain.RoleViewer, "Organization"); err != nil {
			return err
		}
	}
	out, errs, err := a.d.Compile(r.Context(), body.ConfigYAML, body.Options.PipelineValues,
		body.Options.PipelineParameters, owner)
	if err != nil {
		return fmt.Errorf("compile config: %w", err)
	}
	res := compileResultJSON{Valid: len(errs) == 0, Errors: make([]compileErrorJSON, 0, len(errs)),
		SourceYAML: body.ConfigYAML, OutputYAML: out}
	for _, e := range errs {
		res.Errors = append(res.Errors, compileErrorJSON{e})
	}
	if !res.Valid {
		res.OutputYAML = ""
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
