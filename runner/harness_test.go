package runner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/runner"
	"github.com/caravan-ci/caravan/runner/localapi"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// runnerBin is the runner binary built once for the tests: jobs call it as circleci and circleci-agent.
var runnerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runner-test-bin-")
	if err != nil {
		panic(err)
	}
	runnerBin = filepath.Join(dir, "caravan-runner")
	out, err := exec.Command("go", "build", "-o", runnerBin, "../runner/cmd/caravan-runner").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// harness is a real task server (localapi, over HTTP on loopback) that tasks run against.
type harness struct {
	t   testing.TB
	srv *localapi.Server
	url string
	// wrap, when set, sits in front of the server (to simulate outages).
	wrap   func(http.Handler) http.Handler
	tokens map[string]string
}

func (h *harness) tokenOf(tk *taskapi.Task) string { return h.tokens[tk.ID] }

func newHarness(t *testing.T) *harness { return newHarnessTB(t) }

func newHarnessTB(t testing.TB) *harness {
	t.Helper()
	h := &harness{t: t, tokens: map[string]string{}}
	srv, err := localapi.New(t.TempDir(), localapi.Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	handler := srv.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.wrap != nil {
			h.wrap(handler).ServeHTTP(w, r)
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	if err := srv.SetURL(hs.URL); err != nil {
		t.Fatal(err)
	}
	h.url = hs.URL
	return h
}

var taskSeq int

// task builds a task for a job with the given steps.
func task(steps ...plan.Step) *taskapi.Task {
	taskSeq++
	id := "t" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "") + "x" + itoa(taskSeq)
	return &taskapi.Task{
		ID: id, JobID: "job-" + id, BuildNum: int64(taskSeq), NodeTotal: 1, Attempt: 1,
		Job: plan.Job{Name: "build", Type: plan.JobBuild, WorkingDir: "~/project", Parallelism: 1,
			Executor: plan.Executor{Kind: plan.ExecMachine}, Steps: steps},
		Pipeline: taskapi.Pipeline{ID: "p1", Number: 7, WorkflowID: "wf1", WorkflowWorkspaceID: "ws1",
			Branch: "main", Revision: "abc123", ProjectSlug: "gh/acme/app", ProjectUsername: "acme",
			ProjectRepoName: "app"},
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func run(cmd string) plan.Step { return plan.Step{Type: plan.StepRun, Command: cmd} }

// exec runs a task to its end and returns the runner's result.
func (h *harness) exec(tk *taskapi.Task, opt localapi.TaskOptions, mut ...func(*runner.Config)) runner.Result {
	h.t.Helper()
	res, err := h.execErr(context.Background(), tk, opt, mut...)
	if err != nil {
		h.t.Fatalf("runner: %v", err)
	}
	return res
}

func (h *harness) execErr(ctx context.Context, tk *taskapi.Task, opt localapi.TaskOptions,
	mut ...func(*runner.Config)) (runner.Result, error) {
	h.t.Helper()
	tok, err := h.srv.Add(tk, opt)
	if err != nil {
		h.t.Fatal(err)
	}
	h.tokens[tk.ID] = tok
	cfg := runner.Config{APIURL: h.url, TaskID: tk.ID, Token: tok, WorkDir: h.t.TempDir(), Executable: runnerBin,
		DockerMode: runner.DockerHost, HeartbeatInterval: 50 * time.Millisecond, KillGrace: 2 * time.Second,
		KeepWorkDir: true}
	for _, m := range mut {
		m(&cfg)
	}
	return runner.Run(ctx, cfg)
}

// output returns what step n of a task printed.
func (h *harness) output(tk *taskapi.Task, n int) string {
	h.t.Helper()
	b, err := h.srv.Output(tk.ID, n)
	if err != nil && !os.IsNotExist(err) {
		h.t.Fatal(err)
	}
	return string(b)
}

// ends returns the end events by step index.
func (h *harness) ends(tk *taskapi.Task) map[int]taskapi.StepEvent {
	out := map[int]taskapi.StepEvent{}
	for _, ev := range h.srv.Steps(tk.ID) {
		if ev.Phase == taskapi.PhaseEnd {
			out[ev.Index] = ev
		}
	}
	return out
}
