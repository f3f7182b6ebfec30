package intake

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/repo"
)

// Trigger types (domain.Trigger.Type), as CircleCI's API reports them.
const (
	TypeAPI       = "api"
	TypeExplicit  = "explicit"
	TypeWebhook   = "webhook"
	TypeScheduled = "scheduled_pipeline"
)

// TriggerRequest asks for a pipeline. Branch and Tag are exclusive; with neither the project's default branch
// is built. Revision, when set, is built instead of the branch's head. VCS carries what a webhook knows about
// the commit (its message, review data); Branch, Tag and Revision override its fields.
type TriggerRequest struct {
	ProjectID         string
	Branch, Tag       string
	Revision          string
	Parameters        map[string]any // pipeline parameters: bool, number or string values
	Actor             string
	Type              string // TypeAPI (default), TypeExplicit, TypeWebhook or TypeScheduled
	ScheduleID        string
	ScheduledWorkflow string // the legacy triggers.schedule workflow this pipeline runs (only it)
	VCS               *domain.VCS
	DeliveryID        string
}

// Trigger creates a pipeline in state created, with the project's next number, and sends it to Handle.
// Errors wrap ErrInvalid for a bad request and repo.ErrNotFound for an unknown project.
func (in *Intake) Trigger(ctx context.Context, req TriggerRequest) (domain.Pipeline, error) {
	if err := checkRequest(&req); err != nil {
		return domain.Pipeline{}, fmt.Errorf("trigger pipeline: %w", err)
	}
	proj, err := in.d.Repo.Project(ctx, req.ProjectID)
	if err != nil {
		return domain.Pipeline{}, fmt.Errorf("trigger pipeline: %w", err)
	}
	n, err := in.d.Repo.S.Incr(ctx, repo.PipelineCounter(proj.V.ID), 1)
	if err != nil {
		return domain.Pipeline{}, fmt.Errorf("trigger pipeline of %s: number: %w", proj.V.Slug, err)
	}
	now := in.now()
	p := domain.Pipeline{
		ID: domain.NewID(), ProjectID: proj.V.ID, ProjectSlug: proj.V.Slug, Number: n,
		State: domain.PipelineCreated, Errors: []domain.PipelineError{},
		Trigger: domain.Trigger{Type: req.Type, ReceivedAt: now, Actor: req.Actor, ScheduleID: req.ScheduleID,
			ScheduledWorkflow: req.ScheduledWorkflow},
		VCS: vcsFor(proj.V, req), Parameters: copyParams(req.Parameters), CreatedAt: now, UpdatedAt: now,
		DeliveryID: req.DeliveryID,
	}
	home := repo.PipelineKey(p.ProjectID, p.Number)
	if err := in.d.Repo.Write(ctx, repo.Create(home, p), repo.CreateRef(repo.KindPipeline, p.ID, home),
		repo.Create(pendingKey(p.ID), now)); err != nil {
		return domain.Pipeline{}, fmt.Errorf("trigger pipeline %s/%d: %w", p.ProjectSlug, p.Number, err)
	}
	if err := in.enqueue(ctx, p.ID); err != nil {
		return p, fmt.Errorf("trigger pipeline %s/%d: %w", p.ProjectSlug, p.Number, err)
	}
	in.log.Info("pipeline created", "project", p.ProjectSlug, "number", p.Number, "pipeline", p.ID,
		"trigger", p.Trigger.Type, "branch", p.VCS.Branch, "tag", p.VCS.Tag)
	return p, nil
}

// enqueue asks Handle to process a pipeline.
func (in *Intake) enqueue(ctx context.Context, pipelineID string) error {
	b, _ := json.Marshal(domain.PipelineMsg{PipelineID: pipelineID})
	if err := in.d.Queue.Send(ctx, domain.TopicPipelines, queue.Message{ID: "pl-" + pipelineID, Body: b}); err != nil {
		return fmt.Errorf("enqueue pipeline %s: %w", pipelineID, err)
	}
	return nil
}

func checkRequest(req *TriggerRequest) error {
	if req.ProjectID == "" {
		return fmt.Errorf("%w: no project", ErrInvalid)
	}
	switch req.Type {
	case "":
		req.Type = TypeAPI
	case TypeAPI, TypeExplicit, TypeWebhook, TypeScheduled:
	default:
		return fmt.Errorf("%w: unknown trigger type %q", ErrInvalid, req.Type)
	}
	if req.Branch != "" && req.Tag != "" {
		return fmt.Errorf("%w: branch and tag are mutually exclusive", ErrInvalid)
	}
	for what, v := range map[string]string{"branch": req.Branch, "tag": req.Tag, "revision": req.Revision} {
		if strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) || r == ' ' }) >= 0 ||
			strings.HasPrefix(v, "-") || len(v) > 255 {
			return fmt.Errorf("%w: %s %q is not a valid git name", ErrInvalid, what, v)
		}
	}
	return checkParams(req.Parameters)
}

// checkParams accepts pipeline parameter values of the types CircleCI's API takes: booleans, numbers and
// strings.
func checkParams(params map[string]any) error {
	for k, v := range params {
		if k == "" {
			return fmt.Errorf("%w: a pipeline parameter has an empty name", ErrInvalid)
		}
		switch v.(type) {
		case bool, string, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32,
			uint64, json.Number:
		default:
			return fmt.Errorf("%w: pipeline parameter %q must be a boolean, number or string, not %T",
				ErrInvalid, k, v)
		}
	}
	return nil
}

func copyParams(params map[string]any) map[string]any {
	if len(params) == 0 {
		return nil
	}
	out := make(map[string]any, len(params))
	for k, v := range params {
		if n, ok := v.(json.Number); ok { // keep numbers numbers
			if f, err := n.Float64(); err == nil {
				v = f
			}
		}
		out[k] = v
	}
	return out
}

// vcsFor fills the revision a pipeline builds from the request and the project.
func vcsFor(p domain.Project, req TriggerRequest) domain.VCS {
	var v domain.VCS
	if req.VCS != nil {
		v = *req.VCS
	}
	v.Branch, v.Tag = req.Branch, req.Tag
	if v.Branch == "" && v.Tag == "" {
		v.Branch = p.DefaultBranch
	}
	if req.Revision != "" {
		v.Revision = req.Revision
	}
	if v.Provider == "" {
		v.Provider = providerName(p.Slug)
	}
	if v.RepoURL == "" {
		v.RepoURL = p.RepoURL
	}
	if v.OriginRepoURL == "" {
		v.OriginRepoURL = v.RepoURL
	}
	return v
}

// providerName is CircleCI's vcs.provider_name for a project slug.
func providerName(slug string) string {
	switch vcsType(slug) {
	case "github":
		return "GitHub"
	case "gitlab":
		return "GitLab"
	case "bitbucket":
		return "Bitbucket"
	}
	return "Local"
}

// vcsType is pipeline.project.type for a project slug.
func vcsType(slug string) string {
	prefix, _, _ := strings.Cut(slug, "/")
	switch prefix {
	case "gh", "github":
		return "github"
	case "gl", "gitlab":
		return "gitlab"
	case "bb", "bitbucket":
		return "bitbucket"
	}
	return prefix
}
