package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/runner/docker"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// spinUp is step 0, "Spin up environment": it prepares the executor, the in-job commands and the agent socket,
// and tells the user what environment the job gets (variable names, never values).
func (j *job) spinUp(ctx context.Context) (err error) {
	if j.inner {
		// Inside the primary container: the outer runner reported step 0.
		if err := os.MkdirAll(j.workDir, 0o755); err != nil {
			return fmt.Errorf("create working directory %s: %w", j.workDir, err)
		}
		if err := j.installAgentCommands(); err != nil {
			return err
		}
		j.agent, err = startAgent(j)
		return err
	}
	ev := taskapi.StepEvent{Index: 0, Name: "Spin up environment", Type: "spin_up", Phase: taskapi.PhaseStart,
		Time: time.Now()}
	j.event(ctx, ev)
	out := j.stream.Step(0)
	defer func() {
		if err != nil {
			fmt.Fprintf(out, "%s\n", j.mask(err.Error()))
		}
		out.Close()
		j.endEvent(ctx, ev, nil, err)
	}()
	ex := j.task.Job.Executor
	switch ex.Kind {
	case plan.ExecDocker:
		if err := j.checkDocker(ctx, out); err != nil {
			return err
		}
		if j.containers != nil {
			fmt.Fprintf(out, "Containers started; the steps run in %s\n", ex.Images[0].Image)
			return nil
		}
	case plan.ExecMacOS:
		if runtime.GOOS != "darwin" {
			return fmt.Errorf("this job needs a macOS executor (xcode %s); this runner is on %s", ex.Xcode, runtime.GOOS)
		}
	}
	fmt.Fprintf(out, "Executor: %s on host %s (%s/%s)\n", executorLabel(ex), hostname(), runtime.GOOS, runtime.GOARCH)
	if err := os.MkdirAll(j.workDir, 0o755); err != nil {
		return fmt.Errorf("create working directory %s: %w", j.workDir, err)
	}
	if err := j.installAgentCommands(); err != nil {
		return err
	}
	if j.agent, err = startAgent(j); err != nil {
		return err
	}
	names := j.envSummary()
	if len(names) > 0 {
		sort.Strings(names)
		fmt.Fprintf(out, "Using environment variables from the project and contexts (values masked):\n  %s\n",
			strings.Join(names, "\n  "))
	}
	fmt.Fprintf(out, "Working directory: %s\n", j.workDir)
	return nil
}

// checkDocker decides how a docker job runs. With DockerHost the steps run on this host (the operator's choice);
// otherwise a Docker daemon must answer.
func (j *job) checkDocker(ctx context.Context, out io.Writer) error {
	images := j.task.Job.Executor.Images
	if j.cfg.DockerMode == DockerHost {
		fmt.Fprintf(out, "Docker images %s: running the steps on the host instead (docker mode \"host\")\n",
			imageList(images))
		return nil
	}
	c, err := docker.New(j.cfg.DockerHost)
	if err == nil {
		err = c.Ping(ctx)
	}
	if err != nil {
		return fmt.Errorf("this job uses the docker executor (%s) but %w; start a Docker daemon, or let the "+
			"operator run docker jobs on the host (caravan --docker-mode=host)", imageList(images), err)
	}
	fmt.Fprintf(out, "Docker engine at %s\n", c.Host())
	return j.startContainers(ctx, c, out)
}

func imageList(images []plan.Image) string {
	var names []string
	for _, im := range images {
		names = append(names, im.Image)
	}
	return strings.Join(names, ", ")
}

func executorLabel(ex plan.Executor) string {
	switch ex.Kind {
	case plan.ExecDocker:
		return "docker (" + imageList(ex.Images) + ")"
	case plan.ExecMachine:
		if ex.Machine != nil && ex.Machine.Image != "" {
			return "machine (" + ex.Machine.Image + ")"
		}
		return "machine"
	}
	return orDefault(ex.Kind, "host")
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// executable is the runner binary: the in-job commands and, in docker jobs, the runner inside the container.
func (j *job) executable() (string, error) {
	if j.cfg.Executable != "" {
		return j.cfg.Executable, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the runner binary: %w", err)
	}
	return exe, nil
}

// installAgentCommands puts circleci and circleci-agent on the steps' PATH, both answered by this binary.
func (j *job) installAgentCommands() error {
	exe, err := j.executable()
	if err != nil {
		return err
	}
	for _, name := range []string{"circleci", "circleci-agent"} {
		link := filepath.Join(j.bin, name)
		_ = os.Remove(link)
		if err := os.Symlink(exe, link); err != nil {
			return fmt.Errorf("install %s: %w", name, err)
		}
	}
	return nil
}
