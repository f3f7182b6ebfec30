package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake"
	"github.com/caravan-ci/caravan/shared/repo"
)

// Pipelines: trigger, read, list and continue. Listings are in pipelinelist.go.

func (a *API) pipelineRoutes() {
	const proj = "/api/v2/project/{vcs}/{org}/{repo}"
	a.handle("POST "+proj+"/pipeline", a.triggerPipeline)
	a.handle("POST "+proj+"/pipeline/run", a.runPipeline)
	a.handle("GET "+proj+"/pipeline", a.listProjectPipelines)
	a.handle("GET "+proj+"/pipeline/mine", a.listMyPipelines)
	a.handle("GET "+proj+"/pipeline/{number}", a.getPipelineByNumber)
	a.handle("GET /api/v2/pipeline", a.listOrgPipelines)
	a.handle("GET /api/v2/pipeline/{id}", a.getPipeline)
	a.handle("GET /api/v2/pipeline/{id}/config", a.getPipelineConfig)
	a.handle("GET /api/v2/pipeline/{id}/workflow", a.listPipelineWorkflows)
	// The continuation key authenticates the call, as on CircleCI: setup jobs hold no API token.
	a.handlePublic("POST /api/v2/pipeline/continue", a.continuePipeline)
	a.compileRoutes()
}

// pipelineJSON is CircleCI's Pipeline.
type pipelineJSON struct {
	ID                string                 `json:"id"`
	Errors            []domain.PipelineError `json:"errors"`
	ProjectSlug       string                 `json:"project_slug"`
	UpdatedAt         time.Time              `json:"updated_at"`
	Number            int64                  `json:"number"`
	TriggerParameters map[string]any         `json:"trigger_parameters,omitempty"`
	State             domain.PipelineState   `json:"state"`
	CreatedAt         time.Time              `json:"created_at"`
	Trigger           triggerJSON            `json:"trigger"`
	VCS               vcsJSON                `json:"vcs"`
}

type triggerJSON struct {
	Type       string    `json:"type"`
	ReceivedAt time.Time `json:"received_at"`
	Actor      actorJSON `json:"actor"`
}

type actorJSON struct {
	Login     string `json:"login"`
	AvatarURL string `json:"avatar_url"`
}

type vcsJSON struct {
	ProviderName        string      `json:"provider_name"`
	TargetRepositoryURL string      `json:"target_repository_url"`
	OriginRepositoryURL string      `json:"origin_repository_url"`
	Branch              string      `json:"branch,omitempty"`
	Tag                 string      `json:"tag,omitempty"`
	Revision            string      `json:"revision"`
	ReviewID            string      `json:"review_id,omitempty"`
	ReviewURL           string      `json:"review_url,omitempty"`
	Commit              *commitJSON `json:"commit,omitempty"`
}

type commitJSON struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

func toPipelineJSON(p domain.Pipeline) pipelineJSON {
	errs := p.Errors
	if errs == nil {
		errs = []domain.PipelineError{}
	}
	updated := p.UpdatedAt
	if updated.IsZero() {
		updated = p.CreatedAt
	}
	v := p.VCS
	out := pipelineJSON{
		ID: p.ID, Errors: errs, ProjectSlug: p.ProjectSlug, UpdatedAt: updated, Number: p.Number,
		TriggerParameters: p.Parameters, State: p.State, CreatedAt: p.CreatedAt,
		Trigger: triggerJSON{Type: p.Trigger.Type, ReceivedAt: p.Trigger.ReceivedAt,
			Actor: actorJSON{Login: p.Trigger.Actor}},
		VCS: vcsJSON{ProviderName: v.Provider, TargetRepositoryURL: v.RepoURL, OriginRepositoryURL: v.OriginRepoURL,
			Branch: v.Branch, Tag: v.Tag, Revision: v.Revision, ReviewID: v.ReviewID, ReviewURL: v.ReviewURL},
	}
	if out.VCS.OriginRepositoryURL == "" {
		out.VCS.OriginRepositoryURL = v.RepoURL
	}
	if v.CommitSubject != "" || v.CommitBody != "" {
		out.VCS.Commit = &commitJSON{Subject: v.CommitSubject, Body: v.CommitBody}
	}
	return out
}

// createdJSON answers a trigger.
type createdJSON struct {
	ID        string               `json:"id"`
	State     domain.PipelineState `json:"state"`
	Number    int64                `json:"number"`
	CreatedAt time.Time            `json:"created_at"`
}

func (a *API) triggerPipeline(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var body struct {
		Branch     string         `json:"branch"`
		Tag        string         `json:"tag"`
		Parameters map[string]any `json:"parameters"`
	}
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	return a.trigger(w, r, c, body.Branch, body.Tag, body.Parameters)
}

// refJSON is a branch or a tag, as pipeline/run names the config and checkout revisions.
type refJSON struct {
	Branch string `json:"branch"`
	Tag    string `json:"tag"`
}

func (a *API) runPipeline(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var body struct {
		DefinitionID string         `json:"definition_id"`
		Config       *refJSON       `json:"config"`
		Checkout     *refJSON       `json:"checkout"`
		Parameters   map[string]any `json:"parameters"`
	}
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	ref := body.Checkout
	if ref == nil {
		ref = body.Config
	}
	if ref == nil {
		ref = &refJSON{}
	}
	// Caravan reads the config from the revision it checks out, so the two must agree.
	if body.Config != nil && body.Checkout != nil && *body.Config != *body.Checkout {
		return errorf(http.StatusBadRequest,
			"config and checkout must name the same branch or tag: the config is read from the checked-out revision.")
	}
	return a.trigger(w, r, c, ref.Branch, ref.Tag, body.Parameters)
}

func (a *API) trigger(w http.ResponseWriter, r *http.Request, c *Caller, branch, tag string,
	params map[string]any) error {
	if branch != "" && tag != "" {
		return errorf(http.StatusBadRequest, "Only one of branch or tag may be given.")
	}
	p, err := a.project(r, c, domain.RoleMember)
	if err != nil {
		return err
	}
	pl, err := a.d.Intake.Trigger(r.Context(), intake.TriggerRequest{
		ProjectID: p.V.ID, Branch: branch, Tag: tag, Parameters: params, Actor: c.User.Login, Type: "api",
	})
	if err != nil {
		return intakeError(err)
	}
	writeJSON(w, http.StatusCreated, createdJSON{ID: pl.ID, State: pl.State, Number: pl.Number, CreatedAt: pl.CreatedAt})
	return nil
}

// intakeError gives intake's sentinels their HTTP status.
func intakeError(err error) error {
	switch {
	case errors.Is(err, intake.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Message: err.Error()}
	case errors.Is(err, intake.ErrState):
		return &Error{Status: http.StatusConflict, Message: err.Error()}
	case errors.Is(err, intake.ErrSignature):
		return &Error{Status: http.StatusUnauthorized, Message: err.Error()}
	}
	return err
}

// pipelineFor loads a pipeline by id and checks the caller's role in its project's org.
func (a *API) pipelineFor(ctx context.Context, c *Caller, id, need string) (domain.Pipeline, error) {
	p, err := a.d.Repo.Pipeline(ctx, id)
	if repo.IsNotFound(err) {
		return p.V, errorf(http.StatusNotFound, "Pipeline not found.")
	}
	if err != nil {
		return p.V, err
	}
	return p.V, a.authorizeProject(ctx, c, p.V.ProjectID, need, "Pipeline")
}

// authorizeProject checks the caller's role in the org of a project given by id; what names the entity a
// non-member is told is not found.
func (a *API) authorizeProject(ctx context.Context, c *Caller, projectID, need, what string) error {
	pr, err := a.d.Repo.Project(ctx, projectID)
	if repo.IsNotFound(err) {
		return errorf(http.StatusNotFound, "%s not found.", what)
	}
	if err != nil {
		return err
	}
	return a.authorize(ctx, c, pr.V.OrgID, need, what)
}

func (a *API) getPipeline(w http.ResponseWriter, r *http.Request, c *Caller) error {
	p, err := a.pipelineFor(r.Context(), c, r.PathValue("id"), domain.RoleViewer)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPipelineJSON(p))
	return nil
}

func (a *API) getPipelineByNumber(w http.ResponseWriter, r *http.Request, c *Caller) error {
	n, err := strconv.ParseInt(r.PathValue("number"), 10, 64)
	if err != nil || n < 1 {
		return errorf(http.StatusBadRequest, "The pipeline number must be a positive integer.")
	}
	pr, err := a.project(r, c, domain.RoleViewer)
	if err != nil {
		return err
	}
	p, err := a.d.Repo.PipelineByNumber(r.Context(), pr.V.ID, n)
	if repo.IsNotFound(err) {
		return errorf(http.StatusNotFound, "Pipeline not found.")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPipelineJSON(p.V))
	return nil
}

func (a *API) getPipelineConfig(w http.ResponseWriter, r *http.Request, c *Caller) error {
	p, err := a.pipelineFor(r.Context(), c, r.PathValue("id"), domain.RoleViewer)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"source": p.ConfigSource, "compiled": p.ConfigCompiled,
		"setup-config": p.SetupConfigSource, "compiled-setup-config": p.SetupConfigCompiled,
	})
	return nil
}

func (a *API) continuePipeline(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Key           string         `json:"continuation-key"`
		Configuration string         `json:"configuration"`
		Parameters    map[string]any `json:"parameters"`
	}
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	if body.Key == "" {
		return errorf(http.StatusBadRequest, "continuation-key is required.")
	}
	if !a.limiter.allow("continue:"+HashToken(body.Key), a.d.Now()) {
		w.Header().Set("Retry-After", "1")
		return errorf(http.StatusTooManyRequests, "Rate limit exceeded: slow down and retry.")
	}
	if body.Configuration == "" {
		return errorf(http.StatusBadRequest, "configuration is required.")
	}
	if err := a.d.Intake.Continue(r.Context(), body.Key, body.Configuration, body.Parameters); err != nil {
		return intakeError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Success."})
	return nil
}
