package intake

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/config"
	"github.com/caravan-ci/caravan/shared/config/diag"
	"github.com/caravan-ci/caravan/shared/domain"
)

// DefaultConfigPath is where a project's config lives unless its ConfigPath says otherwise.
const DefaultConfigPath = ".circleci/config.yml"

// Pipeline error types (domain.PipelineError.Type), as CircleCI reports them.
const (
	ErrTypeConfig      = "config"
	ErrTypeConfigFetch = "config-fetch"
	ErrTypeOther       = "other"
)

func configPath(p domain.Project) string {
	if p.ConfigPath != "" {
		return p.ConfigPath
	}
	return DefaultConfigPath
}

// configError is a config that does not compile: one message per problem.
type configError struct{ msgs []string }

func (e *configError) Error() string { return strings.Join(e.msgs, "\n") }

// compile compiles src for pipeline p of project proj with params. An invalid config returns a *configError.
func (in *Intake) compile(ctx context.Context, src []byte, p domain.Pipeline, proj domain.Project,
	params map[string]any) (*config.Result, error) {
	res, err := config.Compile(ctx, src, config.Options{
		File: configPath(proj), Registry: in.d.Orbs, Pipeline: in.values(ctx, p, proj, params),
	})
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("compile config: %w", ctx.Err())
	}
	var l diag.List
	if errors.As(err, &l) && len(l) > 0 {
		ce := &configError{}
		for _, e := range l {
			ce.msgs = append(ce.msgs, e.Error())
		}
		return nil, ce
	}
	return nil, &configError{msgs: []string{err.Error()}}
}

// values are the pipeline values a config sees (<< pipeline.* >>).
func (in *Intake) values(ctx context.Context, p domain.Pipeline, proj domain.Project,
	params map[string]any) config.Pipeline {
	owner, name := repoOwnerName(proj.Slug)
	v := config.Pipeline{
		ID: p.ID, Number: p.Number, ProjectGitURL: proj.RepoURL, ProjectType: vcsType(proj.Slug),
		ProjectSlug: proj.Slug, Branch: p.VCS.Branch, Tag: p.VCS.Tag, Revision: p.VCS.Revision,
		BranchIsDefault: p.VCS.Branch != "" && p.VCS.Branch == proj.DefaultBranch,
		CommitSubject:   p.VCS.CommitSubject, CommitBody: p.VCS.CommitBody, RepoURL: p.VCS.RepoURL,
		RepoOwner: owner, RepoName: name, TriggerID: p.ID,
		TriggerReceivedAt: p.Trigger.ReceivedAt.UTC().Format(time.RFC3339),
		ScheduleID:        p.Trigger.ScheduleID, ScheduledWorkflow: p.Trigger.ScheduledWorkflow,
		Parameters: params,
	}
	if p.DeliveryID != "" {
		v.TriggerID = p.DeliveryID
	}
	switch p.Trigger.Type {
	case TypeWebhook:
		v.TriggerSource, v.TriggerType = "webhook", "webhook"
	case TypeScheduled:
		v.TriggerSource, v.TriggerType = "scheduled_pipeline", "schedule"
	default:
		v.TriggerSource, v.TriggerType = "api", "api"
	}
	if p.Trigger.ScheduleID != "" {
		if s, err := in.d.Repo.Schedule(ctx, p.Trigger.ScheduleID); err == nil {
			v.ScheduleName = s.V.Name
		}
	}
	return v
}

// repoOwnerName splits a project slug "gh/acme/api" (or "gl/group/sub/project") into owner and name.
func repoOwnerName(slug string) (owner, name string) {
	_, rest, ok := strings.Cut(slug, "/")
	if !ok {
		return "", slug
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", rest
	}
	return rest[:i], rest[i+1:]
}

// pipelineErrors turns a failure into the pipeline's errors.
func pipelineErrors(typ string, err error) []domain.PipelineError {
	var ce *configError
	if errors.As(err, &ce) {
		out := make([]domain.PipelineError, 0, len(ce.msgs))
		for _, m := range ce.msgs {
			out = append(out, domain.PipelineError{Type: typ, Message: m})
		}
		return out
	}
	return []domain.PipelineError{{Type: typ, Message: err.Error()}}
}
