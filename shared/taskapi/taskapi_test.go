package taskapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/google/go-cmp/cmp"
)

// fakeBackend is a hand-written Backend recording calls; failures are injected per method.
type fakeBackend struct {
	task    taskapi.Task
	claimer string
	events  []taskapi.StepEvent
	output  map[int][]byte
	done    *taskapi.Completion
	fail    map[string]error
}

func (f *fakeBackend) Authenticate(_ context.Context, tok string) (string, error) {
	id, ok := strings.CutPrefix(tok, "token-for-")
	if !ok {
		return "", taskapi.ErrUnauthorized
	}
	return id, nil
}

func (f *fakeBackend) Claim(_ context.Context, id string, req taskapi.ClaimRequest) (*taskapi.Task, error) {
	if f.claimer != "" && f.claimer != req.RunnerID {
		return nil, taskapi.ErrConflict
	}
	f.claimer = req.RunnerID
	return &f.task, f.fail["claim"]
}

func (f *fakeBackend) StepEvent(_ context.Context, _ string, ev taskapi.StepEvent) error {
	f.events = append(f.events, ev)
	return nil
}

func (f *fakeBackend) AppendOutput(_ context.Context, _ string, step int, off int64, _ time.Time, data []byte) error {
	if err := f.fail["output"]; err != nil {
		return err
	}
	have := f.output[step]
	if off > int64(len(have)) {
		return taskapi.ErrConflict
	}
	f.output[step] = append(have[:off], data...)
	return nil
}

func (f *fakeBackend) Blob(_ context.Context, _ string, req taskapi.BlobRequest) (*taskapi.BlobResponse, error) {
	if req.Kind == taskapi.BlobCache && req.Op == taskapi.OpGet {
		return nil, taskapi.ErrNotFound
	}
	return &taskapi.BlobResponse{URL: "http://blobs/x"}, nil
}

func (f *fakeBackend) Timings(_ context.Context, _, by string) (*taskapi.Timings, error) {
	return &taskapi.Timings{By: by, Timings: map[string]float64{"a_test.go": 2}}, nil
}

func (f *fakeBackend) FailedTests(context.Context, string) (*taskapi.FailedTests, error) {
	return &taskapi.FailedTests{}, nil
}

func (f *fakeBackend) Heartbeat(context.Context, string) (*taskapi.HeartbeatResponse, error) {
	return &taskapi.HeartbeatResponse{Canceled: true, Token: "token-for-t1"}, nil
}

func (f *fakeBackend) Complete(_ context.Context, _ string, c taskapi.Completion) error {
	f.done = &c
	return nil
}

func newServer(t *testing.T, b *fakeBackend, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = taskapi.Handler(b, nil)
	if wrap != nil {
		h = wrap(h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

func TestRoundTrip(t *testing.T) {
	b := &fakeBackend{task: taskapi.Task{ID: "t1", Timeout: taskapi.Duration(90 * time.Minute),
		Env: []taskapi.EnvVar{{Name: "K", Value: "v", Secret: true}}}, output: map[int][]byte{}}
	c := taskapi.NewClient(newServer(t, b, nil), "t1", "token-for-t1", nil)
	ctx := context.Background()
	got, err := c.Claim(ctx, taskapi.ClaimRequest{RunnerID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.task, *got); diff != "" {
		t.Errorf("task (-sent +received):\n%s", diff)
	}
	if err := c.StepEvent(ctx, taskapi.StepEvent{Index: 1, Phase: taskapi.PhaseStart, Name: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []struct {
		off  int64
		data string
	}{{0, "hello "}, {0, "hello "}, {6, "world"}} { // the repeated chunk is a retry: harmless
		if err := c.SendOutput(ctx, 1, chunk.off, time.Now(), []byte(chunk.data)); err != nil {
			t.Fatal(err)
		}
	}
	if string(b.output[1]) != "hello world" {
		t.Errorf("output %q", b.output[1])
	}
	if err := c.SendOutput(ctx, 1, 100, time.Now(), []byte("gap")); !errors.Is(err, taskapi.ErrConflict) {
		t.Errorf("a gap should be a conflict, got %v", err)
	}
	if _, err := c.Blob(ctx, taskapi.BlobRequest{Kind: taskapi.BlobCache, Op: taskapi.OpGet, Keys: []string{"k"}}); !errors.Is(err, taskapi.ErrNotFound) {
		t.Errorf("cache miss: %v", err)
	}
	tm, err := c.Timings(ctx, "file")
	if err != nil || tm.Timings["a_test.go"] != 2 {
		t.Errorf("timings %+v %v", tm, err)
	}
	hb, err := c.Heartbeat(ctx)
	if err != nil || !hb.Canceled {
		t.Errorf("heartbeat %+v %v", hb, err)
	}
	if err := c.Complete(ctx, taskapi.Completion{Status: "nonsense"}); !errors.Is(err, taskapi.ErrInvalid) {
		t.Errorf("bad status accepted: %v", err)
	}
	if err := c.Complete(ctx, taskapi.Completion{Status: taskapi.StatusSuccess}); err != nil || b.done == nil {
		t.Errorf("complete: %v", err)
	}
}

func TestAuthAndClaimErrors(t *testing.T) {
	b := &fakeBackend{output: map[int][]byte{}, claimer: "r1"}
	url := newServer(t, b, nil)
	ctx := context.Background()
	tests := []struct {
		name, task, token string
		want              error
	}{
		{"bad token", "t1", "forged", taskapi.ErrUnauthorized},
		{"token of another task", "t2", "token-for-t1", taskapi.ErrUnauthorized},
		{"claimed by another runner", "t1", "token-for-t1", taskapi.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := taskapi.NewClient(url, tc.task, tc.token, nil)
			_, err := c.Claim(ctx, taskapi.ClaimRequest{RunnerID: "r2"})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if taskapi.Transient(err) {
				t.Error("a permanent error was marked transient")
			}
		})
	}
}

func TestClientRetriesTransientFailures(t *testing.T) {
	b := &fakeBackend{output: map[int][]byte{}}
	var calls atomic.Int32
	url := newServer(t, b, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) <= 3 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	c := taskapi.NewClient(url, "t1", "token-for-t1", nil)
	c.MinDelay = time.Millisecond
	if err := c.StepEvent(context.Background(), taskapi.StepEvent{Index: 0, Phase: taskapi.PhaseEnd}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 4 || len(b.events) != 1 {
		t.Errorf("calls %d, events %d", calls.Load(), len(b.events))
	}
}

func TestOversizedOutputRejected(t *testing.T) {
	b := &fakeBackend{output: map[int][]byte{}}
	c := taskapi.NewClient(newServer(t, b, nil), "t1", "token-for-t1", nil)
	err := c.SendOutput(context.Background(), 1, 0, time.Now(), make([]byte, taskapi.MaxOutputChunk+1))
	if !errors.Is(err, taskapi.ErrTooLarge) || len(b.output[1]) != 0 {
		t.Errorf("got %v, stored %d bytes", err, len(b.output[1]))
	}
}

func TestSecretsListsEverySecret(t *testing.T) {
	tk := taskapi.Task{Env: []taskapi.EnvVar{{Name: "A", Value: "a-secret", Secret: true}, {Name: "B", Value: "plain"}},
		Checkout: taskapi.Checkout{HTTPSToken: "tok-123", SSHKey: "KEY"}, SSHKeys: []taskapi.SSHKey{{PrivateKey: "PK"}}}
	want := []string{"a-secret", "KEY", "tok-123", "PK"}
	if diff := cmp.Diff(want, tk.Secrets()); diff != "" {
		t.Error(diff)
	}
}
