package localapi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/taskapi"
)

func newServer(t *testing.T) *Server {
	t.Helper()
	s, err := New(t.TempDir(), Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestTokens(t *testing.T) {
	s := newServer(t)
	tok, err := s.Add(&taskapi.Task{ID: "t1", JobID: "j1"}, TaskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if id, err := s.Authenticate(ctx, tok); err != nil || id != "t1" {
		t.Fatalf("valid token: %q %v", id, err)
	}
	for _, bad := range []string{"", "t1", tok + "x", "t2" + tok[2:], "t1.99999999999." + tok[len(tok)-10:]} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, taskapi.ErrUnauthorized) {
			t.Errorf("token %q accepted: %v", bad, err)
		}
	}
	if expired := s.token("t1", time.Now().Add(-time.Second)); true {
		if _, err := s.Authenticate(ctx, expired); !errors.Is(err, taskapi.ErrUnauthorized) {
			t.Errorf("expired token accepted: %v", err)
		}
	}
}

func TestOutputIsIdempotentByOffset(t *testing.T) {
	s := newServer(t)
	s.Add(&taskapi.Task{ID: "t1", JobID: "j1"}, TaskOptions{})
	ctx := context.Background()
	for _, c := range []struct {
		off  int64
		data string
	}{{0, "abc"}, {0, "abc"}, {3, "def"}, {2, "cdefg"}} {
		if err := s.AppendOutput(ctx, "t1", 1, c.off, time.Now(), []byte(c.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendOutput(ctx, "t1", 1, 99, time.Now(), []byte("x")); !errors.Is(err, taskapi.ErrConflict) {
		t.Errorf("gap accepted: %v", err)
	}
	if b, _ := s.Output("t1", 1); string(b) != "abcdefg" {
		t.Errorf("output %q", b)
	}
}

func TestClaimAndComplete(t *testing.T) {
	s := newServer(t)
	s.Add(&taskapi.Task{ID: "t1", JobID: "j1"}, TaskOptions{})
	ctx := context.Background()
	if _, err := s.Claim(ctx, "t1", taskapi.ClaimRequest{RunnerID: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, "t1", taskapi.ClaimRequest{RunnerID: "a"}); err != nil {
		t.Errorf("the same runner may claim again: %v", err)
	}
	if _, err := s.Claim(ctx, "t1", taskapi.ClaimRequest{RunnerID: "b"}); !errors.Is(err, taskapi.ErrConflict) {
		t.Errorf("second runner: %v", err)
	}
	for range 2 {
		if err := s.Complete(ctx, "t1", taskapi.Completion{Status: taskapi.StatusSuccess}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Claim(ctx, "t1", taskapi.ClaimRequest{RunnerID: "a"}); !errors.Is(err, taskapi.ErrGone) {
		t.Errorf("claim after completion: %v", err)
	}
	if _, err := s.Add(&taskapi.Task{ID: "../x"}, TaskOptions{}); !errors.Is(err, taskapi.ErrInvalid) {
		t.Errorf("bad task id: %v", err)
	}
}

func TestBlobPathsCannotEscape(t *testing.T) {
	s := newServer(t)
	s.Add(&taskapi.Task{ID: "t1", JobID: "j1"}, TaskOptions{})
	for _, p := range []string{"../../etc/passwd", "a/../../b", "/abs", "a//b"} {
		_, err := s.Blob(context.Background(), "t1", taskapi.BlobRequest{Kind: taskapi.BlobArtifact, Op: taskapi.OpPut, Paths: []string{p}})
		if !errors.Is(err, taskapi.ErrInvalid) {
			t.Errorf("artifact path %q: %v", p, err)
		}
	}
}
