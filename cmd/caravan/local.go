package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/runner"
	"github.com/caravan-ci/caravan/runner/localexec"
	"github.com/caravan-ci/caravan/shared/config"
	"github.com/caravan-ci/caravan/shared/config/orb"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// localCmd is `caravan local execute`: run a workflow of a config on this machine, no server needed.
func localCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "execute" {
		fmt.Fprint(stderr, "usage: caravan local execute [flags] [CONFIG]\n")
		return exitUsage
	}
	fs := flag.NewFlagSet("caravan local execute", flag.ContinueOnError)
	fs.SetOutput(stderr)
	job := fs.String("job", "", "run only this job (without its requires)")
	workflow := fs.String("workflow", "", "the workflow to run (default: the first one that runs for this branch)")
	repo := fs.String("repo", ".", "git repository the checkout step clones (its committed HEAD)")
	dir := fs.String("dir", ".caravan/local", "directory for caches, workspaces, artifacts and test results")
	dockerMode := fs.String("docker-mode", envOr("CARAVAN_DOCKER_MODE", runner.DockerAuto),
		"docker jobs: auto (a Docker daemon must answer) or host (run their steps on this host)")
	orbDir := fs.String("orb-dir", os.Getenv("CARAVAN_ORB_DIR"), "directory of packed orbs")
	params := fs.String("pipeline-parameters", "", "pipeline parameters as a JSON object, or @FILE")
	branch := fs.String("branch", "", "branch name for filters and CIRCLE_BRANCH (default: the repository's)")
	rerun := fs.Bool("rerun-failed", false, "`circleci tests run` runs only the tests that failed in the job's previous local run")
	parallel := fs.Int("parallel", 2, "tasks to run at once")
	timeout := fs.Duration("timeout", time.Hour, "time limit per task")
	var env envFlags
	fs.Var(&env, "env", "KEY=VALUE project variable for the jobs (repeatable; values are masked in output)")
	if err := fs.Parse(interleave(args[1:])); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	file := ".circleci/config.yml"
	if fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 1 {
		fmt.Fprint(stderr, "usage: caravan local execute [flags] [CONFIG]\n")
		return exitUsage
	}
	src, name, err := readConfig(file, nil)
	if err != nil {
		fmt.Fprintf(stderr, "caravan: %v\n", err)
		return exitInvalid
	}
	root, rev, headBranch, err := gitHead(ctx, *repo)
	if err != nil {
		fmt.Fprintf(stderr, "caravan: %v\n", err)
		return exitInvalid
	}
	if *branch == "" {
		*branch = headBranch
	}
	opts := config.Options{File: name, Pipeline: config.Pipeline{Branch: *branch, Revision: rev,
		TriggerSource: "api", ProjectGitURL: root, Number: 1}}
	if *orbDir != "" {
		opts.Registry = orb.NewDir(os.DirFS(*orbDir))
	}
	if *params != "" {
		if opts.Pipeline.Parameters, err = parseParams(*params); err != nil {
			fmt.Fprintf(stderr, "caravan: --pipeline-parameters: %v\n", err)
			return exitUsage
		}
	}
	res, err := config.Compile(ctx, src, opts)
	if err != nil {
		fmt.Fprintf(stderr, "%s is invalid:\n%s\n", name, indent(err.Error()))
		return exitInvalid
	}
	wf, err := pickWorkflow(res.Plan, *workflow, *job)
	if err != nil {
		fmt.Fprintf(stderr, "caravan: %v\n", err)
		return exitInvalid
	}
	exe, _ := os.Executable()
	base := filepath.Base(root)
	pipe := taskapi.Pipeline{ID: "local", Number: 1, RepoURL: root, Branch: *branch, Revision: rev,
		ProjectSlug: "local/" + base, ProjectUsername: "local", ProjectRepoName: base, Username: os.Getenv("USER")}
	fmt.Fprintf(stdout, "Running workflow %s of %s at %.12s (%s)\n", wf.Name, name, rev, *branch)
	results, err := localexec.Execute(ctx, wf, pipe, localexec.Options{
		Dir: *dir, Job: *job, DockerMode: *dockerMode, Env: env.vars, Rerun: *rerun, Parallel: *parallel,
		Out: stdout, Executable: exe, Timeout: *timeout,
	})
	if err != nil {
		fmt.Fprintf(stderr, "caravan: %v\n", err)
		return exitInvalid
	}
	failed := false
	fmt.Fprintf(stdout, "\nWorkflow %s:\n", wf.Name)
	for _, r := range results {
		fmt.Fprintf(stdout, "  %-30s %-20s %s\n", r.Name, r.Status, r.Duration.Round(time.Millisecond))
		if r.Status != taskapi.StatusSuccess {
			failed = true
		}
	}
	if failed {
		return exitInvalid
	}
	return exitOK
}

// pickWorkflow returns the named workflow, the one holding job, or the first one that runs.
func pickWorkflow(p *plan.Plan, name, job string) (plan.Workflow, error) {
	var names []string
	for _, wf := range p.Workflows {
		names = append(names, wf.Name)
		switch {
		case name != "" && wf.Name == name:
			return wf, nil
		case name == "" && job != "":
			for _, j := range wf.Jobs {
				if j.Name == job {
					return wf, nil
				}
			}
		case name == "" && job == "" && len(wf.Jobs) > 0:
			return wf, nil
		}
	}
	if name != "" {
		return plan.Workflow{}, fmt.Errorf("no workflow %q runs for this pipeline (workflows: %s)", name, strings.Join(names, ", "))
	}
	if job != "" {
		return plan.Workflow{}, fmt.Errorf("no workflow that runs for this pipeline has a job %q", job)
	}
	return plan.Workflow{}, errors.New("no workflow runs for this pipeline (check its filters and when: conditions)")
}

// gitHead returns a repository's top directory, HEAD commit and branch.
func gitHead(ctx context.Context, repo string) (root, rev, branch string, err error) {
	git := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return "", fmt.Errorf("git %s in %s: %s", strings.Join(args, " "), repo, strings.TrimSpace(string(ee.Stderr)))
			}
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	if root, err = git("rev-parse", "--show-toplevel"); err != nil {
		return "", "", "", fmt.Errorf("%s is not in a git repository (the checkout step needs one): %w", repo, err)
	}
	if rev, err = git("rev-parse", "HEAD"); err != nil {
		return "", "", "", fmt.Errorf("the repository has no commit yet: %w", err)
	}
	branch, _ = git("symbolic-ref", "--short", "-q", "HEAD")
	return root, rev, branch, nil
}

// envFlags collects --env KEY=VALUE.
type envFlags struct{ vars []taskapi.EnvVar }

func (e *envFlags) String() string { return "" }

func (e *envFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	e.vars = append(e.vars, taskapi.EnvVar{Name: k, Value: v, Secret: true, Source: "command line"})
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
