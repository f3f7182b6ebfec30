package taskserver_test

import (
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/taskblobs"
	"github.com/caravan-ci/caravan/shared/taskserver"
	"github.com/google/go-cmp/cmp"
)

func TestWorkspaceLayersOfTransitiveUpstreamJobs(t *testing.T) {
	f := newFixture(t)
	// deploy requires test and lint; test requires build; other is unrelated.
	wf := f.pipeline(domain.VCS{Branch: "main", Revision: "a"}, build("build"), build("other"),
		requires(build("test"), "build"), requires(build("lint")), requires(build("deploy"), "test", "lint"))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ended := map[string]int{"lint": 1, "build": 2, "other": 3, "test": 4}
	ids := map[string]string{}
	for name, minute := range ended {
		j := f.job(wf, name)
		j.V.Status, j.V.StoppedAt = domain.JobSuccess, base.Add(time.Duration(minute)*time.Minute)
		if name == "build" {
			j.V.CarriedFrom = "original-build" // a rerun carried it: its layers stay under the original id
		}
		f.write(repo.Update(j))
		ids[name] = j.V.ID
		if j.V.CarriedFrom != "" {
			ids[name] = j.V.CarriedFrom
		}
		f.put(taskblobs.WorkspaceKey(wf, ids[name], 1), name)
	}
	f.evaluate(wf)
	deploy := f.job(wf, "deploy").V
	id := repo.TaskID(deploy.ID, 0)
	if _, err := f.srv.Claim(f.ctx, id, taskapi.ClaimRequest{RunnerID: "r"}); err != nil {
		t.Fatal(err)
	}
	res, err := f.srv.Blob(f.ctx, id, taskapi.BlobRequest{Kind: taskapi.BlobWorkspace, Op: taskapi.OpGet})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range res.URLs {
		got = append(got, u.Path)
	}
	want := []string{taskblobs.WorkspaceKey(wf, ids["lint"], 1), taskblobs.WorkspaceKey(wf, "original-build", 1),
		taskblobs.WorkspaceKey(wf, ids["test"], 1)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}

	tests := []struct {
		name    string
		req     taskapi.BlobRequest
		wantKey string
		err     error
	}{
		{"workspace put", taskapi.BlobRequest{Kind: "workspace", Op: "put", Step: 4}, taskblobs.WorkspaceKey(wf, deploy.ID, 4), nil},
		{"cache put", taskapi.BlobRequest{Kind: "cache", Op: "put", Key: "v1-deps"}, taskblobs.CacheKey("caches/proj-1/", "v1-deps"), nil},
		{"cache miss", taskapi.BlobRequest{Kind: "cache", Op: "get", Keys: []string{"v1-"}}, "", taskapi.ErrNotFound},
		{"artifact", taskapi.BlobRequest{Kind: "artifact", Op: "put", Paths: []string{"a/b.txt"}}, "artifacts/" + deploy.ID + "/0/a/b.txt", nil},
		{"escaping artifact", taskapi.BlobRequest{Kind: "artifact", Op: "put", Paths: []string{"../b.txt"}}, "", taskapi.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.client(id).Blob(f.ctx, tc.req)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			u := res.URL
			if len(res.URLs) > 0 {
				u = res.URLs[0].URL
			}
			if p, _ := url.Parse(u); strings.TrimPrefix(p.Path, "/blobs/") != tc.wantKey {
				t.Errorf("URL %s, want one for %s", u, tc.wantKey)
			}
		})
	}
	if err := f.srv.Complete(f.ctx, id, taskapi.Completion{Status: taskapi.StatusSuccess}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Blob(f.ctx, id, tests[0].req); !errors.Is(err, taskapi.ErrGone) {
		t.Errorf("blob request of an ended task: %v", err)
	}
}

func (f *fixture) put(key, data string) {
	f.t.Helper()
	if err := f.blobs.Put(f.ctx, key, strings.NewReader(data)); err != nil {
		f.t.Fatal(err)
	}
}

const junitReport = `<testsuite name="s"><testcase classname="pkg" name="TestA" file="a_test.go" time="1.5"/>` +
	`<testcase classname="pkg" name="TestB" file="b_test.go" time="0.5"><failure message="boom"/></testcase></testsuite>`

func TestResultsTimingsAndFailedTests(t *testing.T) {
	f := newFixture(t)
	wf := f.pipeline(domain.VCS{Branch: "main", Revision: "a"}, build("test"))
	first := f.job(wf, "test").V
	id := repo.TaskID(first.ID, 0)
	if _, err := f.srv.Claim(f.ctx, id, taskapi.ClaimRequest{RunnerID: "r"}); err != nil {
		t.Fatal(err)
	}
	if tm, err := f.srv.Timings(f.ctx, id, ""); err != nil || tm.By != "file" || len(tm.Timings) != 0 {
		t.Errorf("timings of a first run: %+v, %v", tm, err)
	}
	f.put("tests/"+first.ID+"/0/go.xml", junitReport)
	for range 2 { // a repeated completion is harmless
		if err := f.srv.Complete(f.ctx, id, taskapi.Completion{Status: taskapi.StatusFailed, Message: "exit 1"}); err != nil {
			t.Fatal(err)
		}
	}
	if tk := f.task(id); tk.Status != domain.TaskFailed || tk.Message != "exit 1" {
		t.Errorf("task %+v", tk)
	}
	if cases, err := taskblobs.Results(f.ctx, f.blobs, first.ID); err != nil || len(cases) != 2 {
		t.Fatalf("results %v, %v", cases, err)
	}
	f.evaluate(wf)
	if ptr, err := readBlob(f, taskserver.TimingsKey(f.proj.ID, "test")); err != nil || ptr != first.ID {
		t.Errorf("timings pointer %q, %v; want %s", ptr, err, first.ID)
	}

	// Another pipeline's run of the job splits by the last run's timings, and is not a rerun.
	wf2 := f.pipeline(domain.VCS{Branch: "dev", Revision: "b"}, build("test"))
	id2 := repo.TaskID(f.job(wf2, "test").V.ID, 0)
	f.srv.Claim(f.ctx, id2, taskapi.ClaimRequest{RunnerID: "r"})
	tm, err := f.srv.Timings(f.ctx, id2, "classname")
	if err != nil || !cmp.Equal(tm.Timings, map[string]float64{"pkg": 2}) {
		t.Errorf("timings by classname: %+v, %v", tm, err)
	}
	if ft, err := f.srv.FailedTests(f.ctx, id2); err != nil || ft.Rerun || len(ft.Tests) != 0 {
		t.Errorf("failed tests of a first run: %+v, %v", ft, err)
	}

	// A rerun of the failed job from failed gets the failures of the first run.
	rerun, err := f.cond.Rerun(f.ctx, wf, conductorFromFailed)
	if err != nil {
		t.Fatal(err)
	}
	f.evaluate(rerun)
	again := f.job(rerun, "test").V
	id3 := repo.TaskID(again.ID, 0)
	tk, err := f.srv.Claim(f.ctx, id3, taskapi.ClaimRequest{RunnerID: "r"})
	if err != nil || tk.Attempt != 2 {
		t.Fatalf("claim of the rerun: attempt %v, %v", tk, err)
	}
	ft, err := f.srv.FailedTests(f.ctx, id3)
	if err != nil || !ft.Rerun || len(ft.Tests) != 1 || ft.Tests[0].Name != "TestB" {
		t.Errorf("failed tests of the rerun: %+v, %v", ft, err)
	}
	if tm, err := f.srv.Timings(f.ctx, id3, "file"); err != nil || tm.Timings["a_test.go"] != 1.5 {
		t.Errorf("timings of the rerun: %+v, %v", tm, err)
	}
}

func TestUnreadableResultsFailASuccess(t *testing.T) {
	f := newFixture(t)
	id := claimed(f)
	jobID, _, _ := repo.ParseTaskID(id)
	f.put("tests/"+jobID+"/0/broken.xml", "<html/>")
	if err := f.srv.Complete(f.ctx, id, taskapi.Completion{Status: taskapi.StatusSuccess}); err != nil {
		t.Fatal(err)
	}
	if tk := f.task(id); tk.Status != domain.TaskSuccess || !strings.Contains(tk.Message, "test results could not be read") {
		t.Errorf("task %+v", tk)
	}
	if err := f.srv.Complete(f.ctx, id, taskapi.Completion{Status: "bogus"}); !errors.Is(err, taskapi.ErrInvalid) {
		t.Errorf("unknown status: %v", err)
	}
}

func TestHeartbeat(t *testing.T) {
	f := newFixture(t)
	id := claimed(f)
	hb, err := f.srv.Heartbeat(f.ctx, id)
	if err != nil || hb.Canceled {
		t.Fatalf("heartbeat %+v, %v", hb, err)
	}
	if got, err := f.srv.Authenticate(f.ctx, hb.Token); err != nil || got != id {
		t.Errorf("renewed token: %q, %v", got, err)
	}
	jobID, _, _ := repo.ParseTaskID(id)
	if err := f.cond.CancelJob(f.ctx, jobID, "bob"); err != nil {
		t.Fatal(err)
	}
	if hb, err := f.srv.Heartbeat(f.ctx, id); err != nil || !hb.Canceled {
		t.Errorf("heartbeat of a canceled task %+v, %v", hb, err)
	}
	if err := f.srv.Complete(f.ctx, id, taskapi.Completion{Status: taskapi.StatusCanceled}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Heartbeat(f.ctx, id); !errors.Is(err, taskapi.ErrGone) {
		t.Errorf("heartbeat of an ended task: %v", err)
	}
	if _, err := f.srv.Heartbeat(f.ctx, "nope-0"); !errors.Is(err, taskapi.ErrNotFound) {
		t.Errorf("heartbeat of an unknown task: %v", err)
	}
}

func readBlob(f *fixture, key string) (string, error) {
	r, err := f.blobs.Get(f.ctx, key)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}
