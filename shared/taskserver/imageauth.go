package taskserver

import (
	"context"
	"fmt"
	"os"

	"github.com/caravan-ci/caravan/shared/plan"
)

// ImageAuth resolves the registry credentials of a task's docker images for an executor that pulls them
// before any runner starts (the nomadbridge): nil for an image without, and $NAME / ${NAME} references
// replaced by the project's and then the contexts' variables (later wins, as in the job's environment). A
// forked pull request that gets no secrets gets its references unresolved.
func (s *Server) ImageAuth(ctx context.Context, taskID string) ([]*plan.Auth, error) {
	t, err := s.d.Repo.Task(ctx, taskID)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", taskID, err)
	}
	j, err := s.d.Repo.Job(ctx, t.V.JobID)
	if err != nil {
		return nil, fmt.Errorf("job of task %s: %w", taskID, err)
	}
	images := j.V.Plan.Executor.Images
	out := make([]*plan.Auth, len(images))
	need := false
	for _, im := range images {
		need = need || im.Auth != nil
	}
	if !need {
		return out, nil
	}
	p, err := s.d.Repo.Pipeline(ctx, j.V.PipelineID)
	if err != nil {
		return nil, fmt.Errorf("pipeline of task %s: %w", taskID, err)
	}
	proj, err := s.d.Repo.Project(ctx, j.V.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("project of task %s: %w", taskID, err)
	}
	vals := map[string]string{}
	if p.V.VCS.PRNumber == "" || proj.V.Settings.ForksReceiveSecrets {
		env, err := s.env(ctx, proj.V, j.V)
		if err != nil {
			return nil, err
		}
		for _, v := range env {
			vals[v.Name] = v.Value
		}
	}
	expand := func(s string) string {
		return os.Expand(s, func(k string) string {
			if v, ok := vals[k]; ok {
				return v
			}
			return "$" + k
		})
	}
	for i, im := range images {
		if im.Auth != nil {
			out[i] = &plan.Auth{Username: expand(im.Auth.Username), Password: expand(im.Auth.Password)}
		}
	}
	return out, nil
}
