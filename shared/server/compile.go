package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/caravan-ci/caravan/shared/api"
	"github.com/caravan-ci/caravan/shared/config"
	"github.com/caravan-ci/caravan/shared/config/diag"
	"github.com/caravan-ci/caravan/shared/config/orb"
)

// compileFunc backs POST /api/v2/compile-config-with-defaults with the config engine and the server's orbs.
func compileFunc(orbs orb.Registry) api.CompileFunc {
	return func(ctx context.Context, src string, values, params map[string]any, _ string) (string, []string, error) {
		p := config.Pipeline{Parameters: params}
		str := func(k string) string { s, _ := values[k].(string); return s }
		p.ID, p.Branch, p.Tag, p.Revision = str("pipeline.id"), str("pipeline.git.branch"), str("pipeline.git.tag"),
			str("pipeline.git.revision")
		p.ProjectSlug, p.ProjectGitURL = str("pipeline.project.slug"), str("pipeline.project.git_url")
		if n, ok := values["pipeline.number"].(float64); ok {
			p.Number = int64(n)
		}
		res, err := config.Compile(ctx, []byte(src), config.Options{File: ".circleci/config.yml", Registry: orbs,
			Pipeline: p})
		var l diag.List
		if errors.As(err, &l) {
			msgs := make([]string, 0, len(l))
			for _, e := range l {
				msgs = append(msgs, e.Error())
			}
			return "", msgs, nil
		}
		if err != nil {
			return "", []string{fmt.Sprint(err)}, nil
		}
		return string(res.YAML()), nil, nil
	}
}
