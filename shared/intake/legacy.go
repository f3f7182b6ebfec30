package intake

import (
	"context"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/schedule"
	"github.com/caravan-ci/caravan/shared/store"
)

// SyncLegacySchedules makes the project's legacy schedules (domain.Schedule with LegacyWorkflow set) match
// the triggers.schedule entries of p's workflows: one schedule per workflow, cron line and branch named in
// its filters.branches.only (regular expressions cannot be listed, so with none named the default branch
// is used; the compiler's filter check decides whether it runs). Schedules no longer in the config are
// removed. Pass the plan of the default branch's newest config. Safe to repeat and to run concurrently.
func (in *Intake) SyncLegacySchedules(ctx context.Context, projectID string, p plan.Plan) error {
	proj, err := in.d.Repo.Project(ctx, projectID)
	if err != nil {
		return fmt.Errorf("sync legacy schedules: %w", err)
	}
	now := in.now()
	want := map[string]domain.Schedule{}
	for _, w := range p.Workflows {
		for _, sch := range w.Schedules {
			if _, err := schedule.ParseCron(sch.Cron); err != nil {
				in.log.Warn("legacy schedule ignored", "project", proj.V.Slug, "workflow", w.Name, "err", err)
				continue
			}
			branches := literalBranches(sch.Branches)
			if len(branches) == 0 && proj.V.DefaultBranch != "" {
				branches = []string{proj.V.DefaultBranch}
			}
			for _, b := range branches {
				id := domain.DeriveID("legacy-schedule", projectID, w.Name, sch.Cron, b)
				want[id] = domain.Schedule{
					ID: id, ProjectID: projectID, ProjectSlug: proj.V.Slug, Name: w.Name,
					Description:      fmt.Sprintf("triggers.schedule %q of workflow %s on %s", sch.Cron, w.Name, b),
					AttributionActor: "system", Actor: "system", Parameters: map[string]any{"branch": b},
					CreatedAt: now, UpdatedAt: now, LegacyWorkflow: w.Name, Cron: sch.Cron, Branches: []string{b},
				}
			}
		}
	}
	have, err := repo.ListAll[domain.Schedule](ctx, in.d.Repo, repo.SchedulesPK(projectID), "")
	if err != nil {
		return fmt.Errorf("sync legacy schedules of %s: %w", proj.V.Slug, err)
	}
	for _, s := range have {
		if s.V.LegacyWorkflow == "" {
			continue
		}
		if _, ok := want[s.V.ID]; ok {
			delete(want, s.V.ID)
			continue
		}
		if err := in.d.Repo.Write(ctx, DeleteScheduleOps(s.V)...); err != nil {
			return fmt.Errorf("remove legacy schedule %s of %s: %w", s.V.Description, proj.V.Slug, err)
		}
		in.log.Info("legacy schedule removed", "project", proj.V.Slug, "workflow", s.V.LegacyWorkflow, "cron", s.V.Cron)
	}
	for _, s := range want {
		if err := in.d.Repo.Write(ctx, ScheduleOps(s, true)...); err != nil && !repo.IsConflict(err) {
			return fmt.Errorf("add legacy schedule %s of %s: %w", s.Description, proj.V.Slug, err)
		}
		in.log.Info("legacy schedule added", "project", proj.V.Slug, "workflow", s.LegacyWorkflow, "cron", s.Cron)
	}
	return nil
}

// literalBranches drops regular expressions (/…/) from a branch filter.
func literalBranches(bs []string) []string {
	var out []string
	for _, b := range bs {
		if len(b) >= 2 && strings.HasPrefix(b, "/") && strings.HasSuffix(b, "/") || b == "" {
			continue
		}
		out = append(out, b)
	}
	return out
}

// syncFrom syncs legacy schedules from a pipeline's compiled config when it is the newest config of the
// project's default branch.
func (in *Intake) syncFrom(ctx context.Context, p domain.Pipeline, proj domain.Project, res *config.Result) error {
	if p.VCS.Branch == "" || p.VCS.Branch != proj.DefaultBranch || p.Trigger.Type == TypeScheduled {
		return nil
	}
	newest, _, err := repo.List[domain.Pipeline](ctx, in.d.Repo, repo.PipelinesPK(p.ProjectID), store.Query{Desc: true, Limit: 20})
	if err != nil {
		return fmt.Errorf("sync legacy schedules: %w", err)
	}
	for _, o := range newest {
		if o.V.Number > p.Number && o.V.VCS.Branch == p.VCS.Branch && o.V.Trigger.Type != TypeScheduled &&
			o.V.State != domain.PipelineErrored && !skipped(o.V) {
			return nil // a newer config of the default branch decides
		}
	}
	return in.SyncLegacySchedules(ctx, p.ProjectID, legacyPlan(res))
}

// legacyPlan lists every workflow's schedule triggers. The plan of an ordinary pipeline skips scheduled
// workflows (they run only when their schedule fires), so the triggers are read from the processed config,
// which keeps every workflow whose `when` holds.
func legacyPlan(res *config.Result) plan.Plan {
	var out plan.Plan
	wfs := mapGet(res.Processed, "workflows")
	if wfs == nil || wfs.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(wfs.Content); i += 2 {
		name, body := wfs.Content[i].Value, wfs.Content[i+1]
		trig := mapGet(body, "triggers")
		if trig == nil || trig.Kind != yaml.SequenceNode {
			continue
		}
		w := plan.Workflow{Name: name}
		for _, t := range trig.Content {
			s := mapGet(t, "schedule")
			cron := mapGet(s, "cron")
			if cron == nil || cron.Value == "" {
				continue
			}
			br := mapGet(mapGet(s, "filters"), "branches")
			w.Schedules = append(w.Schedules, plan.Schedule{Cron: cron.Value,
				Branches: scalars(mapGet(br, "only")), Ignore: scalars(mapGet(br, "ignore"))})
		}
		if len(w.Schedules) > 0 {
			out.Workflows = append(out.Workflows, w)
		}
	}
	return out
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalars reads a string or a list of strings.
func scalars(n *yaml.Node) []string {
	switch {
	case n == nil:
		return nil
	case n.Kind == yaml.ScalarNode:
		return []string{n.Value}
	case n.Kind == yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode {
				out = append(out, c.Value)
			}
		}
		return out
	}
	return nil
}
