package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/caravan-ci/caravan/runner/docker"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// Paths inside the primary container of a docker job.
const (
	containerRunner = "/.caravan/bin/caravan-runner"
	containerTask   = "/.caravan/task"
)

// innerCredentials is what the runner inside the primary container needs to take over the task. The file that
// carries it is mode 0600 in a directory only the task can see, and the inner runner deletes it on read.
type innerCredentials struct {
	APIURL   string `json:"api_url"`
	TaskID   string `json:"task_id"`
	Token    string `json:"token"`
	RunnerID string `json:"runner_id"`
}

// innerResult is how the inner runner tells the outer one the task's status.
type innerResult struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// startContainers pulls and starts the job's containers: the primary (where steps run) and its services, which
// share its network, so they answer on localhost as CircleCI documents.
func (j *job) startContainers(ctx context.Context, c *docker.Client, out io.Writer) error {
	exe, err := j.executable()
	if err != nil {
		return err
	}
	images := make([]docker.Image, len(j.task.Job.Executor.Images))
	for i, im := range j.task.Job.Executor.Images {
		images[i] = docker.Image{Image: im.Image, Name: im.Name, Entrypoint: im.Entrypoint, Command: im.Command,
			User: im.User, Environment: im.Environment}
		if im.Auth != nil {
			images[i].Auth = &docker.Auth{Username: im.Auth.Username, Password: im.Auth.Password}
		}
	}
	env, err := c.Start(ctx, docker.EnvSpec{TaskID: j.task.ID, Images: images, Out: out, KillGrace: j.cfg.KillGrace,
		Binds: []string{exe + ":" + containerRunner + ":ro", j.data + ":" + containerTask}})
	if err != nil {
		return fmt.Errorf("start containers: %w", err)
	}
	j.containers = env
	return nil
}

// runInContainer hands the task to a runner inside the primary container and waits for its verdict.
func (j *job) runInContainer(ctx context.Context) Result {
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*j.cfg.KillGrace+30e9)
		defer cancel()
		if err := j.containers.Close(cctx); err != nil {
			j.log.Error("containers not removed", "err", err)
		}
	}()
	creds, _ := json.Marshal(innerCredentials{APIURL: j.cfg.APIURL, TaskID: j.task.ID, Token: j.api.Token(),
		RunnerID: j.runnerID})
	if err := os.WriteFile(filepath.Join(j.data, "credentials.json"), creds, 0o600); err != nil {
		return Result{Status: taskapi.StatusInfrastructureFail, Message: fmt.Sprintf("hand over the task: %v", err)}
	}
	logs := &prefixWriter{log: j.log}
	user := ""
	if len(j.task.Job.Executor.Images) > 0 {
		user = j.task.Job.Executor.Images[0].User
	}
	code, err := j.containers.Exec(ctx, []string{containerRunner, "inner", "--credentials",
		containerTask + "/credentials.json"}, nil, "", user, logs, logs)
	b, rerr := os.ReadFile(filepath.Join(j.data, "result.json"))
	var res innerResult
	if rerr == nil && json.Unmarshal(b, &res) == nil && res.Status != "" {
		return Result{Status: res.Status, Message: res.Message}
	}
	if ctx.Err() != nil {
		return Result{Status: statusOf(ctx, taskapi.StatusCanceled), Message: context.Cause(ctx).Error()}
	}
	return Result{Status: taskapi.StatusInfrastructureFail,
		Message: fmt.Sprintf("the runner inside the primary container ended (exit %d, %v) without a result", code, err)}
}

// prefixWriter sends the inner runner's own log lines to the outer runner's log.
type prefixWriter struct {
	log interface{ Info(string, ...any) }
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.log.Info("inner runner", "line", string(b))
	return len(b), nil
}

// RunInner is the runner inside a docker job's primary container: it takes the task over from the outer runner
// with the credentials file, runs the steps there and leaves the result for the outer runner to report.
func RunInner(ctx context.Context, credFile string, cfg Config) error {
	b, err := os.ReadFile(credFile)
	if err != nil {
		return fmt.Errorf("read task credentials: %w", err)
	}
	os.Remove(credFile)
	var c innerCredentials
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("read task credentials: %w", err)
	}
	cfg.APIURL, cfg.TaskID, cfg.Token = c.APIURL, c.TaskID, c.Token
	cfg.DockerMode = DockerHost
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("runner configuration: %w", err)
	}
	api := taskapi.NewClient(cfg.APIURL, cfg.TaskID, cfg.Token, cfg.HTTPClient)
	task, err := api.Claim(ctx, taskapi.ClaimRequest{RunnerID: c.RunnerID, Hostname: hostname()})
	if err != nil {
		return fmt.Errorf("claim task %s: %w", cfg.TaskID, err)
	}
	// Inside the container the executor is the container itself: steps run here, as on a machine.
	task.Job.Executor = plan.Executor{Kind: plan.ExecMachine, ResourceClass: task.Job.Executor.ResourceClass}
	j, err := newJob(cfg, api, task)
	if err != nil {
		return err
	}
	j.inner = true
	res := j.run(ctx)
	out, _ := json.Marshal(innerResult{Status: res.Status, Message: res.Message})
	return os.WriteFile(filepath.Join(filepath.Dir(credFile), "result.json"), out, 0o600)
}
