package taskserver_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/runner"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/taskblobs"
	"github.com/caravan-ci/caravan/shared/taskserver"
)

// runTask runs the real runner in-process on a task, as an executor would.
func (f *fixture) runTask(id string) runner.Result {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, 2*time.Minute)
	defer cancel()
	res, err := runner.Run(ctx, runner.Config{APIURL: f.url, TaskID: id, Token: f.tokens.Mint(id, time.Minute),
		WorkDir: f.t.TempDir(), DockerMode: runner.DockerHost, HeartbeatInterval: 100 * time.Millisecond,
		KillGrace: 2 * time.Second})
	if err != nil {
		f.t.Fatalf("runner: %v", err)
	}
	return res
}

// output returns a step's stored output.
func (f *fixture) output(id string, step int) string {
	f.t.Helper()
	chunks, err := taskserver.ReadOutput(f.ctx, f.blobs, id, step)
	if err != nil {
		f.t.Fatal(err)
	}
	var b bytes.Buffer
	for _, c := range chunks {
		b.Write(c.Data)
	}
	return b.String()
}

func TestRunnerEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the runner")
	}
	f := newFixture(t)
	f.envVar("PROJ_SECRET", "hunter2-secret")
	const junit = `<testsuite name="s"><testcase classname="pkg" name="TestA" file="a_test.go" time="1.5"/>` +
		`<testcase classname="pkg" name="TestB" file="b_test.go" time="0.5"><failure message="boom"/></testcase></testsuite>`
	producer := build("build",
		run(`mkdir -p ~/.cache/deps && echo cached-deps > ~/.cache/deps/v.txt && echo "secret is $PROJ_SECRET"`),
		plan.Step{Type: plan.StepSaveCache, Key: "deps-v1-{{ .Branch }}", Paths: []string{"~/.cache/deps"}},
		run("mkdir -p reports/html results out && echo '<p>' > reports/html/index.html && echo layer > out/f.txt && "+
			"cat > results/go.xml <<'EOF'\n"+junit+"\nEOF"),
		plan.Step{Type: plan.StepStoreArtifacts, Path: "reports", Destination: "site"},
		plan.Step{Type: plan.StepStoreTestResults, Path: "results"},
		plan.Step{Type: plan.StepPersistToWorkspace, Root: ".", Paths: []string{"out"}})
	consumer := requires(build("use",
		plan.Step{Type: plan.StepRestoreCache, Keys: []string{"deps-v1-"}},
		plan.Step{Type: plan.StepAttachWorkspace, At: "ws"},
		run("cat ~/.cache/deps/v.txt ws/out/f.txt")), "build")
	wf := f.pipeline(domain.VCS{Branch: "main", Revision: "abc"}, producer, consumer)

	b := f.job(wf, "build").V
	id := repo.TaskID(b.ID, 0)
	if res := f.runTask(id); res.Status != taskapi.StatusSuccess {
		t.Fatalf("build: %+v\n%s", res, f.output(id, 3))
	}
	out := f.output(id, 1)
	if strings.Contains(out, "hunter2-secret") || !strings.Contains(out, "secret is ") {
		t.Errorf("step 1 output should show the variable masked:\n%s", out)
	}
	steps, err := f.repo.Steps(f.ctx, id)
	if err != nil || len(steps) != len(producer.Steps)+1 {
		t.Fatalf("%d steps recorded, want %d: %v", len(steps), len(producer.Steps)+1, err)
	}
	for _, s := range steps {
		if s.V.Status != taskapi.StatusSuccess || s.V.StoppedAt.IsZero() {
			t.Errorf("step %d %q: %s", s.V.Index, s.V.Name, s.V.Status)
		}
	}
	if steps[1].V.OutputBytes != int64(len(out)) {
		t.Errorf("step 1 records %d output bytes, stored %d", steps[1].V.OutputBytes, len(out))
	}
	if objs, _ := f.blobs.List(f.ctx, taskblobs.ArtifactPrefix(b.ID, 0)); len(objs) != 1 ||
		objs[0].Key != taskblobs.ArtifactPrefix(b.ID, 0)+"site/html/index.html" {
		t.Errorf("artifacts %v", objs)
	}
	if cases, err := taskblobs.Results(f.ctx, f.blobs, b.ID); err != nil || len(cases) != 2 || !cases[1].Failed() {
		t.Errorf("results %+v, %v", cases, err)
	}
	if st := f.task(id).Status; st != domain.TaskSuccess {
		t.Errorf("task %s", st)
	}
	if st := f.job(wf, "build").V.Status; st != domain.JobSuccess {
		t.Errorf("job build %s", st)
	}

	f.evaluate(wf)
	u := f.job(wf, "use").V
	uid := repo.TaskID(u.ID, 0)
	if res := f.runTask(uid); res.Status != taskapi.StatusSuccess {
		t.Fatalf("use: %+v\n%s\n%s\n%s", res, f.output(uid, 1), f.output(uid, 2), f.output(uid, 3))
	}
	if got := strings.Fields(f.output(uid, 3)); strings.Join(got, " ") != "cached-deps layer" {
		t.Errorf("restored cache and attached workspace gave %q", got)
	}
	f.evaluate(wf)
	w, err := f.repo.Workflow(f.ctx, wf)
	if err != nil || w.V.Status != domain.WorkflowSuccess {
		t.Errorf("workflow %s, %v", w.V.Status, err)
	}
}
