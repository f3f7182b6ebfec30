package runner_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/runner"
	"github.com/caravan-ci/caravan/runner/localapi"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestCheckoutRevisionFromLocalRepository(t *testing.T) {
	h := newHarness(t)
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(repo, "f.txt"), []byte("one\n"), 0o644)
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-qm", "one")
	first := git(t, repo, "rev-parse", "HEAD")
	os.WriteFile(filepath.Join(repo, "f.txt"), []byte("two\n"), 0o644)
	git(t, repo, "commit", "-qam", "two")

	tk := task(plan.Step{Type: plan.StepCheckout}, run("cat f.txt; git rev-parse HEAD; git rev-parse --abbrev-ref HEAD"))
	tk.Pipeline.Revision, tk.Pipeline.RepoURL = first, repo
	if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
		t.Fatalf("%+v\n%s", res, h.output(tk, 1))
	}
	got := strings.Fields(h.output(tk, 2))
	if want := []string{"one", first, "main"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("checkout gave %v, want %v", got, want)
	}
}

func TestCachesAreImmutableAndRestoreIntoAnotherHome(t *testing.T) {
	h := newHarness(t)
	save := func(key, content string) *taskapi.Task {
		tk := task(run("mkdir -p ~/.cache/deps && echo "+content+" > ~/.cache/deps/v.txt"),
			plan.Step{Type: plan.StepSaveCache, Key: key, Paths: []string{"~/.cache/deps"}})
		if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
			t.Fatalf("%+v\n%s", res, h.output(tk, 2))
		}
		return tk
	}
	save("deps-{{ .Branch }}-a", "first")
	again := save("deps-{{ .Branch }}-a", "changed")
	if !strings.Contains(h.output(again, 2), "already exists") {
		t.Errorf("a second save under the same key should be skipped:\n%s", h.output(again, 2))
	}
	time.Sleep(10 * time.Millisecond) // distinct modification times: the most recent cache must win
	save("deps-{{ .Branch }}-b", "newest")

	restore := func(keys ...string) string {
		tk := task(plan.Step{Type: plan.StepRestoreCache, Keys: keys}, run("cat ~/.cache/deps/v.txt 2>/dev/null || echo none"))
		if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
			t.Fatalf("%+v\n%s", res, h.output(tk, 1))
		}
		return strings.TrimSpace(h.output(tk, 2))
	}
	tests := []struct {
		keys []string
		want string
	}{
		{[]string{"deps-main-a"}, "first"},
		{[]string{"deps-{{ .Branch }}-"}, "newest"},
		{[]string{"missing-", "deps-main-a"}, "first"},
		{[]string{"missing"}, "none"},
	}
	for _, tc := range tests {
		if got := restore(tc.keys...); got != tc.want {
			t.Errorf("restore %v = %q, want %q", tc.keys, got, tc.want)
		}
	}
}

func TestWorkspaceLayersLaterWins(t *testing.T) {
	h := newHarness(t)
	persist := func(content string) *taskapi.Task {
		tk := task(run("mkdir -p out/sub && echo "+content+" > out/f.txt && echo "+content+" > out/sub/"+content),
			plan.Step{Type: plan.StepPersistToWorkspace, Root: ".", Paths: []string{"out"}})
		if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
			t.Fatalf("%+v\n%s", res, h.output(tk, 2))
		}
		return tk
	}
	a, b := persist("a"), persist("b")
	tk := task(plan.Step{Type: plan.StepAttachWorkspace, At: "/tmp/../" + t.TempDir()}, run("true"))
	at := tk.Job.Steps[0].At
	tk.Job.Steps[1] = run("cat " + at + "/out/f.txt; ls " + at + "/out/sub")
	if res := h.exec(tk, localapi.TaskOptions{Upstream: []string{a.JobID, b.JobID}}); res.Status != taskapi.StatusSuccess {
		t.Fatalf("%+v\n%s", res, h.output(tk, 1))
	}
	if got := strings.Fields(h.output(tk, 2)); strings.Join(got, " ") != "b a b" {
		t.Errorf("attached workspace gave %v, want the later layer's f.txt and both layers' files", got)
	}
}

func TestArtifactsAndTestResultsUploaded(t *testing.T) {
	h := newHarness(t)
	junit := `<testsuite name="s"><testcase classname="pkg" name="TestA" file="a_test.go" time="1.5"/>` +
		`<testcase classname="pkg" name="TestB" file="b_test.go" time="0.5"><failure message="boom"/></testcase></testsuite>`
	tk := task(run("mkdir -p reports/html results && echo '<p>' > reports/html/index.html && cat > results/go.xml <<'EOF'\n"+junit+"\nEOF"),
		plan.Step{Type: plan.StepStoreArtifacts, Path: "reports", Destination: "site"},
		plan.Step{Type: plan.StepStoreTestResults, Path: "results"})
	if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
		t.Fatalf("%+v\n%s", res, h.output(tk, 2))
	}
	if !strings.Contains(h.output(tk, 2), "site/html/index.html") {
		t.Errorf("artifact output: %s", h.output(tk, 2))
	}
	cases, err := h.srv.Results(tk.JobID)
	if err != nil || len(cases) != 2 || cases[1].Result != "failure" {
		t.Fatalf("results %+v, %v", cases, err)
	}
	// A later run of the job sees these timings and, as a rerun, only the failed test.
	next := task(run(`printf 'a_test.go\nb_test.go\n' | circleci tests run --command "cat > selected.txt" --split-by=timings; cat selected.txt`))
	if res := h.exec(next, localapi.TaskOptions{PreviousJob: tk.JobID, Rerun: true}); res.Status != taskapi.StatusSuccess {
		t.Fatalf("%+v\n%s", res, h.output(next, 1))
	}
	if got := strings.Fields(h.output(next, 1)); len(got) == 0 || got[len(got)-1] != "b_test.go" {
		t.Errorf("rerun selected %v, want only b_test.go", got)
	}
}

func TestCancelTerminatesProcessGroup(t *testing.T) {
	h := newHarness(t)
	work := t.TempDir()
	tk := task(run(`trap 'echo term > ~/term.txt; exit 143' TERM; (sleep 300; echo child-survived > ~/child.txt) & echo ready > ~/ready.txt; while :; do sleep 0.05; done`))
	go func() {
		for i := 0; i < 400; i++ {
			if _, err := os.Stat(filepath.Join(work, "home", "ready.txt")); err == nil {
				h.srv.Cancel(tk.ID)
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
	}()
	res := h.exec(tk, localapi.TaskOptions{}, func(c *runner.Config) { c.WorkDir = work })
	if res.Status != taskapi.StatusCanceled {
		t.Fatalf("%+v", res)
	}
	if _, err := os.Stat(filepath.Join(work, "home", "term.txt")); err != nil {
		t.Error("the step's shell did not get SIGTERM")
	}
	if ev := h.ends(tk)[1]; ev.Status != taskapi.StatusCanceled {
		t.Errorf("step end %+v", ev)
	}
}

// TestOutputSurvivesAPIOutage takes the server away while a step prints, then brings it back: every byte
// arrives, in order, exactly once.
func TestOutputSurvivesAPIOutage(t *testing.T) {
	h := newHarness(t)
	var down atomic.Bool
	var refused atomic.Int64
	h.wrap = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/output") && !down.Load() && refused.Load() == 0 {
				down.Store(true)
				time.AfterFunc(1500*time.Millisecond, func() { down.Store(false) })
			}
			if down.Load() {
				refused.Add(1)
				http.Error(w, "server restarting", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	tk := task(run(`for i in $(seq 1 20000); do echo "line $i"; done`), run("echo after"))
	if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
		t.Fatalf("%+v", res)
	}
	if refused.Load() == 0 {
		t.Fatal("the outage never happened")
	}
	lines := strings.Split(strings.TrimSpace(h.output(tk, 1)), "\n")
	if len(lines) != 20000 {
		t.Fatalf("got %d lines, want 20000", len(lines))
	}
	for i, l := range lines {
		if l != "line "+itoa(i+1) {
			t.Fatalf("line %d is %q", i+1, l)
		}
	}
}

// TestInnerRunnerTakesOver is the hand-over a docker job makes: the outer runner claimed the task and started
// the containers; the runner inside the primary claims it again with the same runner id and runs the steps.
func TestInnerRunnerTakesOver(t *testing.T) {
	h := newHarness(t)
	tk := task(run("echo inside"))
	tok, err := h.srv.Add(tk, localapi.TaskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	api := taskapi.NewClient(h.url, tk.ID, tok, nil)
	if _, err := api.Claim(context.Background(), taskapi.ClaimRequest{RunnerID: "outer-1"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	creds, _ := json.Marshal(map[string]string{"api_url": h.url, "task_id": tk.ID, "token": tok, "runner_id": "outer-1"})
	os.WriteFile(filepath.Join(dir, "credentials.json"), creds, 0o600)
	home := t.TempDir()
	err = runner.RunInner(context.Background(), filepath.Join(dir, "credentials.json"),
		runner.Config{WorkDir: t.TempDir(), Home: home, Executable: runnerBin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "credentials.json")); err == nil {
		t.Error("the credentials file outlived the hand-over")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "result.json"))
	if !strings.Contains(string(b), `"success"`) || !strings.Contains(h.output(tk, 1), "inside") {
		t.Errorf("result %s, output %q", b, h.output(tk, 1))
	}
	if _, err := os.Stat(filepath.Join(home, "project")); err != nil {
		t.Error("the inner runner should use the container's own HOME")
	}
	// Another runner cannot take the task.
	other := taskapi.NewClient(h.url, tk.ID, tok, nil)
	if _, err := other.Claim(context.Background(), taskapi.ClaimRequest{RunnerID: "someone-else"}); err == nil {
		t.Error("a second runner claimed a claimed task")
	}
}
