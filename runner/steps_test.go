package runner_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/caravan-ci/caravan/runner"
	"github.com/caravan-ci/caravan/runner/localapi"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

func TestEnvironmentPrecedenceAndBuiltins(t *testing.T) {
	h := newHarness(t)
	st := run(`echo "FOO=$FOO BAR=$BAR BAZ=$BAZ BRANCH=$CIRCLE_BRANCH NODE=$CIRCLE_NODE_INDEX/$CIRCLE_NODE_TOTAL"
echo "JOB=$CIRCLE_JOB BUILD=$CIRCLE_BUILD_NUM SHA=$CIRCLE_SHA1 USER=$CIRCLE_PROJECT_USERNAME REPO=$CIRCLE_PROJECT_REPONAME"
echo "WD=$CIRCLE_WORKING_DIRECTORY CI=$CI CIRCLECI=$CIRCLECI WS=$CIRCLE_WORKFLOW_WORKSPACE_ID"
echo "PWD=$PWD"
env > "$HOME/env.txt"`)
	st.Environment = map[string]string{"FOO": "step"}
	tk := task(st)
	tk.NodeIndex, tk.NodeTotal = 2, 4
	tk.Env = []taskapi.EnvVar{
		{Name: "FOO", Value: "foo-from-project", Secret: true, Source: "project"},
		{Name: "BAR", Value: "project-bar", Secret: true, Source: "project"},
		{Name: "BAR", Value: "context-bar", Secret: true, Source: "context:one"},
		{Name: "BAZ", Value: "from-project", Secret: true, Source: "project"},
		{Name: "CIRCLE_BRANCH", Value: "not-the-branch", Secret: true, Source: "project"},
	}
	tk.Job.Environment = map[string]string{"FOO": "job", "BAZ": "job-baz"}
	work := t.TempDir()
	res := h.exec(tk, localapi.TaskOptions{}, func(c *runner.Config) {
		c.WorkDir = work
		c.HostEnv = append(os.Environ(), "CARAVAN_TASK_TOKEN=host-token-value")
	})
	if res.Status != taskapi.StatusSuccess {
		t.Fatalf("status %s: %s\n%s", res.Status, res.Message, h.output(tk, 1))
	}
	out := h.output(tk, 1)
	for _, want := range []string{
		"FOO=step BAR=******** BAZ=job-baz BRANCH=main NODE=2/4",
		"JOB=build BUILD=" + itoa(int(tk.BuildNum)) + " SHA=abc123 USER=acme REPO=app",
		"WD=~/project CI=true CIRCLECI=true WS=ws1",
		"PWD=" + filepath.Join(work, "home", "project"),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	env, err := os.ReadFile(filepath.Join(work, "home", "env.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env), "BAR=context-bar") {
		t.Errorf("context variable should win over the project's:\n%s", env)
	}
	for _, leak := range []string{"host-token-value", h.tokenOf(tk)} {
		if strings.Contains(string(env), leak) {
			t.Errorf("a step's environment holds a runner credential %q", leak)
		}
	}
}

func TestBashEnvPersistsAcrossStepsAndShells(t *testing.T) {
	h := newHarness(t)
	sh := run(`echo "sh sees $GREETING"`)
	sh.Shell = "/bin/sh -e" // Debian's dash has no pipefail
	tk := task(
		run(`echo 'export GREETING="hello world"' >> "$BASH_ENV"`),
		run(`echo "bash sees $GREETING"`),
		sh,
	)
	if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
		t.Fatalf("status %s: %s", res.Status, res.Message)
	}
	if got := h.output(tk, 2); !strings.Contains(got, "bash sees hello world") {
		t.Errorf("step 2 output %q", got)
	}
	if got := h.output(tk, 3); !strings.Contains(got, "sh sees hello world") {
		t.Errorf("step 3 output %q", got)
	}
}

func TestWhenConditions(t *testing.T) {
	h := newHarness(t)
	onFail := run("echo cleanup")
	onFail.When = plan.WhenOnFail
	always := run("echo always")
	always.When = plan.WhenAlways
	tk := task(
		run("echo one"),
		plan.Step{Type: plan.StepRun, Command: "exit 7", Name: "fails"},
		run("echo skipped-after-failure"),
		onFail,
		always,
		plan.Step{Type: plan.StepStoreArtifacts, Path: "nothing-here"},
	)
	res := h.exec(tk, localapi.TaskOptions{})
	if res.Status != taskapi.StatusFailed || !strings.Contains(res.Message, `"fails"`) {
		t.Fatalf("result %+v", res)
	}
	ends := h.ends(tk)
	if ev := ends[2]; ev.Status != taskapi.StatusFailed || ev.ExitCode == nil || *ev.ExitCode != 7 {
		t.Errorf("failing step end %+v", ev)
	}
	if _, ran := ends[3]; ran {
		t.Error("an on_success step ran after a failure")
	}
	for _, i := range []int{4, 5, 6} {
		if ev, ok := ends[i]; !ok || ev.Status != taskapi.StatusSuccess {
			t.Errorf("step %d should run after the failure: %+v", i, ev)
		}
	}
	if tk2 := task(onFail); h.exec(tk2, localapi.TaskOptions{}).Status != taskapi.StatusSuccess || len(h.ends(tk2)) != 1 {
		t.Error("an on_fail step ran in a passing job")
	}
}

func TestWorkingDirectories(t *testing.T) {
	h := newHarness(t)
	sub := run("pwd")
	sub.WorkingDir = "sub/dir"
	abs := run("pwd")
	abs.WorkingDir = "~/elsewhere"
	tk := task(run("pwd"), sub, abs)
	tk.Job.WorkingDir = "~/code/app"
	work := t.TempDir()
	if res := h.exec(tk, localapi.TaskOptions{}, func(c *runner.Config) { c.WorkDir = work }); res.Status != taskapi.StatusSuccess {
		t.Fatalf("%+v", res)
	}
	home := filepath.Join(work, "home")
	for i, want := range []string{filepath.Join(home, "code/app"), filepath.Join(home, "code/app/sub/dir"), filepath.Join(home, "elsewhere")} {
		if got := strings.TrimSpace(h.output(tk, i+1)); got != want {
			t.Errorf("step %d ran in %q, want %q", i+1, got, want)
		}
	}
}

func TestHaltEndsJobSuccessfully(t *testing.T) {
	h := newHarness(t)
	work := t.TempDir()
	tk := task(run("circleci-agent step halt"), run("touch ~/should-not-exist"))
	res := h.exec(tk, localapi.TaskOptions{}, func(c *runner.Config) { c.WorkDir = work })
	if res.Status != taskapi.StatusSuccess {
		t.Fatalf("%+v\n%s", res, h.output(tk, 1))
	}
	if _, err := os.Stat(filepath.Join(work, "home", "should-not-exist")); err == nil {
		t.Error("a step after halt ran")
	}
}

func TestBackgroundStepEndsWithJob(t *testing.T) {
	h := newHarness(t)
	work := t.TempDir()
	bg := run(`echo $$ > ~/bg.pid; echo started; exec sleep 300`)
	bg.Background = true
	tk := task(bg, run(`for i in $(seq 50); do [ -s ~/bg.pid ] && break; sleep 0.1; done; echo fg`))
	res := h.exec(tk, localapi.TaskOptions{}, func(c *runner.Config) { c.WorkDir = work })
	if res.Status != taskapi.StatusSuccess {
		t.Fatalf("%+v", res)
	}
	b, err := os.ReadFile(filepath.Join(work, "home", "bg.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid := atoi(t, strings.TrimSpace(string(b)))
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("background process %d still alive after the job", pid)
	}
	ends := h.ends(tk)
	if ev, ok := ends[1]; !ok || !ev.Background {
		t.Errorf("background step end not reported: %+v", ev)
	}
	if !strings.Contains(h.output(tk, 1), "started") {
		t.Errorf("background output lost: %q", h.output(tk, 1))
	}
}

func TestNoOutputTimeout(t *testing.T) {
	h := newHarness(t)
	st := run("echo begin; sleep 60")
	st.NoOutputTimeout = "1s"
	tk := task(st)
	res := h.exec(tk, localapi.TaskOptions{})
	if res.Status != taskapi.StatusFailed || !strings.Contains(res.Message, "no output") {
		t.Fatalf("result %+v", res)
	}
}

func TestJobTimeout(t *testing.T) {
	h := newHarness(t)
	tk := task(run("sleep 60"))
	tk.Timeout = taskapi.Duration(1e9)
	if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusTimedOut {
		t.Fatalf("result %+v", res)
	}
}

func TestSecretsMaskedEverywhere(t *testing.T) {
	h := newHarness(t)
	tk := task(run(`echo "token=$API_KEY"; printf 'split:'; printf '%s' "$API_KEY" | cut -c1-5; echo "$API_KEY" >&2; echo "short=$SHORT"; exit 1`))
	tk.Env = []taskapi.EnvVar{{Name: "API_KEY", Value: "s3cr3t-value-123", Secret: true}, {Name: "SHORT", Value: "abc", Secret: true}}
	res := h.exec(tk, localapi.TaskOptions{})
	out := h.output(tk, 1)
	if strings.Contains(out, "s3cr3t-value-123") || !strings.Contains(out, "token=********") {
		t.Errorf("secret not masked:\n%s", out)
	}
	if !strings.Contains(out, "short=abc") {
		t.Errorf("values under 4 characters are not masked, as CircleCI does:\n%s", out)
	}
	if res.Status != taskapi.StatusFailed {
		t.Errorf("%+v", res)
	}
}

func TestDockerWithoutDaemonFailsClearly(t *testing.T) {
	h := newHarness(t)
	tk := task(run("echo never"))
	tk.Job.Executor = plan.Executor{Kind: plan.ExecDocker, Images: []plan.Image{{Image: "cimg/go:1.22"}}}
	res := h.exec(tk, localapi.TaskOptions{}, func(c *runner.Config) {
		c.DockerMode = runner.DockerAuto
		c.DockerHost = "unix://" + filepath.Join(t.TempDir(), "no-docker.sock")
	})
	if res.Status == taskapi.StatusSuccess || !strings.Contains(res.Message, "cimg/go:1.22") ||
		!strings.Contains(res.Message, "no Docker daemon reachable") || !strings.Contains(res.Message, "host") {
		t.Fatalf("result %+v", res)
	}
	if _, ran := h.ends(tk)[1]; ran {
		t.Error("a step ran without an executor")
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}
