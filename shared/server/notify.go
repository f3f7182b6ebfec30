package server

import (
	"context"

	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/notifier"
)

// notify turns a conductor completion into outbound webhook deliveries of the project's hooks.
func (s *Server) notify(ctx context.Context, c conductor.Completion) error {
	hooks, err := s.Repo.Webhooks(ctx, c.Workflow.ProjectID)
	if err != nil || len(hooks) == 0 {
		return err
	}
	p, err := s.Repo.Project(ctx, c.Workflow.ProjectID)
	if err != nil {
		return err
	}
	org, err := s.Repo.Org(ctx, p.V.OrgID)
	if err != nil {
		return err
	}
	pl, err := s.Repo.Pipeline(ctx, c.Workflow.PipelineID)
	if err != nil {
		return err
	}
	src := notifier.Source{Project: p.V, Org: org.V, Pipeline: pl.V, Workflow: c.Workflow, BaseURL: s.url}
	ev := notifier.BuildWorkflowEvent(src)
	if c.Job != nil {
		ev = notifier.BuildJobEvent(src, *c.Job)
	}
	list := make([]domain.Webhook, len(hooks))
	for i, h := range hooks {
		list[i] = h.V
	}
	return s.Notifier.Enqueue(ctx, list, ev)
}
