package taskserver_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/taskserver"
	"github.com/google/go-cmp/cmp"
)

// claimed starts a one-job workflow and claims its task.
func claimed(f *fixture) string {
	f.t.Helper()
	wf := f.pipeline(domain.VCS{Branch: "main", Revision: "a"}, build("build", run("true")))
	id := repo.TaskID(f.job(wf, "build").V.ID, 0)
	if _, err := f.srv.Claim(f.ctx, id, taskapi.ClaimRequest{RunnerID: "r"}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func TestStepEvents(t *testing.T) {
	f := newFixture(t)
	id := claimed(f)
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	code := 3
	if err := f.srv.AppendOutput(f.ctx, id, 1, 0, t0, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	events := []taskapi.StepEvent{
		{Index: 1, Name: "Run tests", Type: "run", Phase: taskapi.PhaseStart, Time: t0},
		{Index: 1, Name: "Run tests", Type: "run", Phase: taskapi.PhaseStart, Time: t0.Add(time.Second)}, // repeat
		{Index: 2, Name: "server", Type: "run", Phase: taskapi.PhaseStart, Background: true, Time: t0},
		{Index: 1, Phase: taskapi.PhaseEnd, Status: taskapi.StatusFailed, ExitCode: &code, Message: "exit 3", Time: t0.Add(time.Minute)},
		{Index: 1, Phase: taskapi.PhaseEnd, Status: taskapi.StatusSuccess, Time: t0.Add(time.Hour)}, // repeat: ignored
		{Index: 3, Name: "skipped", Type: "run", Phase: taskapi.PhaseEnd, Status: taskapi.StatusSkipped, Time: t0},
	}
	for _, ev := range events {
		if err := f.srv.StepEvent(f.ctx, id, ev); err != nil {
			t.Fatalf("%+v: %v", ev, err)
		}
	}
	recs, err := f.repo.Steps(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []domain.Step
	for _, r := range recs {
		got = append(got, r.V)
	}
	want := []domain.Step{
		{TaskID: id, Index: 1, Name: "Run tests", Type: "run", Status: "failed", ExitCode: &code, Message: "exit 3",
			StartedAt: t0, StoppedAt: t0.Add(time.Minute), OutputBytes: 5},
		{TaskID: id, Index: 2, Name: "server", Type: "run", Status: "running", Background: true, StartedAt: t0},
		{TaskID: id, Index: 3, Name: "skipped", Type: "run", Status: "skipped", StartedAt: t0, StoppedAt: t0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if err := f.srv.Complete(f.ctx, id, taskapi.Completion{Status: taskapi.StatusFailed}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.StepEvent(f.ctx, id, events[0]); !errors.Is(err, taskapi.ErrGone) {
		t.Errorf("step event after the end: %v", err)
	}
	if err := f.srv.StepEvent(f.ctx, "nope-0", events[0]); !errors.Is(err, taskapi.ErrNotFound) {
		t.Errorf("step event of an unknown task: %v", err)
	}
}

func TestOutputAppendsOnceByOffset(t *testing.T) {
	f := newFixture(t)
	id := claimed(f)
	// A second instance over the same stores: each may be behind what the other wrote.
	other := taskserver.New(taskserver.Deps{Repo: f.repo, Jobs: f.cond, Blobs: f.blobs, Secrets: f.env, Tokens: f.tokens})
	t0 := time.UnixMilli(1_700_000_000_000)
	tests := []struct {
		name string
		srv  *taskserver.Server
		off  int64
		data string
		err  error
	}{
		{"first chunk", f.srv, 0, "abc", nil},
		{"retry of it", f.srv, 0, "abc", nil},
		{"next chunk on another instance", other, 3, "def", nil},
		{"overlap on the first instance", f.srv, 2, "cdefgh", nil},
		{"retry the first instance never saw", other, 0, "abcdef", nil},
		{"gap", other, 99, "x", taskapi.ErrConflict},
		{"continue", other, 8, "ij", nil},
		{"empty chunk", f.srv, 10, "", nil},
	}
	for i, tc := range tests {
		err := tc.srv.AppendOutput(f.ctx, id, 1, tc.off, t0.Add(time.Duration(i)*time.Second), []byte(tc.data))
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
	}
	chunks, err := taskserver.ReadOutput(f.ctx, f.blobs, id, 1)
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	var offsets []int64
	for _, c := range chunks {
		if c.Offset != int64(all.Len()) {
			t.Errorf("chunk at %d after %d bytes", c.Offset, all.Len())
		}
		all.Write(c.Data)
		offsets = append(offsets, c.Offset)
	}
	if all.String() != "abcdefghij" {
		t.Errorf("output %q", all.String())
	}
	if want := []int64{0, 3, 6, 8}; !cmp.Equal(want, offsets) || !chunks[0].Time.Equal(t0) {
		t.Errorf("chunks at %v (want %v), first at %v", offsets, want, chunks[0].Time)
	}
	if cs, err := taskserver.ReadOutput(f.ctx, f.blobs, id, 2); err != nil || len(cs) != 0 {
		t.Errorf("step without output: %v, %v", cs, err)
	}
	if err := f.srv.AppendOutput(f.ctx, "../x", 1, 0, t0, []byte("x")); !errors.Is(err, taskapi.ErrInvalid) {
		t.Errorf("task id with a slash: %v", err)
	}
}
