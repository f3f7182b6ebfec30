package server

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/caravan-ci/caravan/shared/api"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake"
)

//go:embed demo/config.yml
var demoConfig []byte

var demoFiles = map[string]string{
	".circleci/config.yml": string(demoConfig),
	"app.sh":               "#!/bin/sh\necho \"hello from the Caravan demo\"\n",
	"tests/hello_test.sh":  "out=$(sh dist/app) && [ \"$out\" = \"hello from the Caravan demo\" ]\n",
	"tests/build_test.sh":  "grep -q revision dist/BUILD\n",
	"tests/exec_test.sh":   "[ -x dist/app ]\n",
}

// Demo makes sure a demo project exists on a local git repository at dir, triggers its pipeline and prints
// the workflow's progress to out until it ends.
func Demo(ctx context.Context, s *Server, dir string, out io.Writer) error {
	if err := demoRepo(ctx, dir); err != nil {
		return err
	}
	p, err := api.EnsureOrgProject(ctx, s.Repo, s.Secrets, "demo", "local", "hello", dir, "main")
	if err != nil {
		return err
	}
	pl, err := s.Intake.Trigger(ctx, intake.TriggerRequest{ProjectID: p.ID, Branch: "main", Actor: s.cfg.AdminLogin,
		Type: "api"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Demo: project %s, pipeline #%d triggered\n", p.Slug, pl.Number)
	fmt.Fprintf(out, "  watch: curl -s -H 'Circle-Token: %s' %s/api/v2/pipeline/%s/workflow\n", s.AdminToken(), s.url, pl.ID)
	seen, start := map[string]string{}, time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(300 * time.Millisecond):
		}
		wfs, err := s.Repo.Workflows(ctx, pl.ID)
		if err != nil {
			return err
		}
		done := len(wfs) > 0
		for _, wf := range wfs {
			jobs, err := s.Repo.Jobs(ctx, wf.V.ID)
			if err != nil {
				return err
			}
			for _, j := range jobs {
				if st := string(j.V.Status); seen[j.V.ID] != st {
					seen[j.V.ID] = st
					fmt.Fprintf(out, "Demo: %s/%s %s\n", wf.V.Name, j.V.Name, st)
				}
			}
			if st := string(wf.V.Status); seen[wf.V.ID] != st {
				seen[wf.V.ID] = st
				fmt.Fprintf(out, "Demo: workflow %s %s (%.1f s after the trigger)\n", wf.V.Name, st,
					time.Since(start).Seconds())
			}
			done = done && wf.V.Status.Terminal()
		}
		if pl2, err := s.Repo.Pipeline(ctx, pl.ID); err == nil && pl2.V.State == domain.PipelineErrored {
			return fmt.Errorf("demo pipeline errored: %+v", pl2.V.Errors)
		}
		if done {
			return nil
		}
	}
}

// demoRepo creates the demo git repository once.
func demoRepo(ctx context.Context, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return nil
	}
	for name, body := range demoFiles {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			return err
		}
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"-c", "user.name=Caravan", "-c", "user.email=demo@caravan.invalid", "commit", "-q", "-m", "Demo project"},
	} {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %v: %s", args[0], err, out)
		}
	}
	return nil
}
