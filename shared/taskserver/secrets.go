package taskserver

import (
	"context"
	"fmt"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// env opens the project's variables, then those of each of the job's contexts in order.
func (s *Server) env(ctx context.Context, proj domain.Project, job domain.Job) ([]taskapi.EnvVar, error) {
	vars, err := repo.ListAll[domain.Variable](ctx, s.d.Repo, repo.EnvVarsPK(proj.ID), "")
	if err != nil {
		return nil, fmt.Errorf("project variables: %w", err)
	}
	var out []taskapi.EnvVar
	for _, v := range vars {
		val, err := s.d.Secrets.Open(ctx, v.V.Sealed, repo.EnvVarAAD(proj.ID, v.V.Name))
		if err != nil {
			return nil, fmt.Errorf("project variable %s: %w", v.V.Name, err)
		}
		out = append(out, taskapi.EnvVar{Name: v.V.Name, Value: string(val), Secret: true, Source: "project"})
	}
	for _, name := range job.Contexts {
		cx, err := s.d.Repo.ContextByName(ctx, proj.OrgID, name)
		if err != nil {
			return nil, fmt.Errorf("context %q: %w", name, err)
		}
		vars, err := repo.ListAll[domain.Variable](ctx, s.d.Repo, repo.ContextVarsPK(cx.V.ID), "")
		if err != nil {
			return nil, fmt.Errorf("variables of context %q: %w", name, err)
		}
		for _, v := range vars {
			val, err := s.d.Secrets.Open(ctx, v.V.Sealed, repo.ContextVarAAD(cx.V.ID, v.V.Name))
			if err != nil {
				return nil, fmt.Errorf("variable %s of context %q: %w", v.V.Name, name, err)
			}
			out = append(out, taskapi.EnvVar{Name: v.V.Name, Value: string(val), Secret: true,
				Source: "context:" + name})
		}
	}
	return out, nil
}

// checkoutKeys opens the project's checkout keys, the preferred one first.
func (s *Server) checkoutKeys(ctx context.Context, projectID string) ([]taskapi.SSHKey, error) {
	recs, err := repo.ListAll[domain.CheckoutKey](ctx, s.d.Repo, repo.CheckoutKeysPK(projectID), "")
	if err != nil {
		return nil, fmt.Errorf("checkout keys: %w", err)
	}
	out := make([]taskapi.SSHKey, 0, len(recs))
	for _, k := range recs {
		pk, err := s.d.Secrets.Open(ctx, k.V.Sealed, repo.CheckoutKeyAAD(projectID, k.V.Fingerprint))
		if err != nil {
			return nil, fmt.Errorf("checkout key %s: %w", k.V.Fingerprint, err)
		}
		key := taskapi.SSHKey{Fingerprint: k.V.Fingerprint, PrivateKey: string(pk)}
		if k.V.Preferred {
			out = append([]taskapi.SSHKey{key}, out...)
		} else {
			out = append(out, key)
		}
	}
	return out, nil
}
