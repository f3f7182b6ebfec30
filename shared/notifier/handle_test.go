package notifier

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/secrets"
)

type received struct {
	header http.Header
	body   []byte
}

func recorder(status int, got chan<- received) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), b}
		if status == http.StatusFound {
			http.Redirect(w, r, "/elsewhere", status)
			return
		}
		w.WriteHeader(status)
	}
}

// enqueueOne enqueues the job event for one webhook at url and returns its queue delivery.
func enqueueOne(t *testing.T, n *Notifier, q *fakeQueue, hook domain.Webhook) queue.Delivery {
	t.Helper()
	if err := n.Enqueue(context.Background(), []domain.Webhook{hook}, BuildJobEvent(testSource(), testJob())); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	ds := q.deliveries()
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want 1", len(ds))
	}
	return ds[0]
}

func TestHandleStatus(t *testing.T) {
	tests := []struct {
		status  int
		wantErr bool
	}{
		{200, false}, {202, false}, {204, false},
		{302, true}, {400, true}, {404, true}, {408, true}, {429, true}, {500, true}, {503, true},
	}
	env := secrets.NewEnvelope(fixedKeys{})
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			got := make(chan received, 2)
			srv := httptest.NewServer(recorder(tt.status, got))
			defer srv.Close()
			q := &fakeQueue{}
			n := New(q, env, nil, slog.New(slog.DiscardHandler))
			d := enqueueOne(t, n, q, newHook(t, env, "h1", srv.URL+"/hook?token=abc", TypeJobCompleted))
			err := n.Handle(context.Background(), d)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Handle = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && queue.IsPermanent(err) {
				t.Errorf("Handle = %v: permanent, want a retry", err)
			}
			r := <-got
			if len(got) != 0 {
				t.Errorf("redirect followed")
			}
			for k, want := range map[string]string{"Content-Type": "application/json", "User-Agent": UserAgent,
				"Circleci-Event-Type": TypeJobCompleted} {
				if v := r.header.Get(k); v != want {
					t.Errorf("header %s = %q, want %q", k, v, want)
				}
			}
			if !Verify([]byte(plainSecret), r.header.Get(SignatureHeader), r.body) {
				t.Errorf("signature %q does not verify", r.header.Get(SignatureHeader))
			}
			var ev Event
			if err := json.Unmarshal(r.body, &ev); err != nil || ev.Type != TypeJobCompleted || ev.Webhook.ID != "h1" {
				t.Errorf("body %s: %v", r.body, err)
			}
			if !bytes.Contains(r.body, []byte("Fix <the> build & tests")) {
				t.Errorf("body is HTML-escaped: %s", r.body)
			}
		})
	}
}

func TestHandleFailures(t *testing.T) {
	env := secrets.NewEnvelope(fixedKeys{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(200 * time.Millisecond)
	}))
	defer srv.Close()
	good := newHook(t, env, "h1", srv.URL, TypeJobCompleted)
	misplaced := good
	misplaced.SealedSecret = newHook(t, env, "other", srv.URL).SealedSecret // sealed for another webhook
	badURL := good
	badURL.URL = "ftp://example.com/x"
	tests := []struct {
		name      string
		opener    Opener
		hook      domain.Webhook
		raw       []byte // a raw queue body instead of an enqueued one
		timeout   time.Duration
		permanent bool
		posted    bool
	}{
		{"secret sealed for another webhook", env, misplaced, nil, 0, true, false},
		{"key service down", failingOpener{}, good, nil, 0, false, false},
		{"malformed message", env, good, []byte("{not json"), 0, true, false},
		{"bad url", env, badURL, nil, 0, true, false},
		{"timeout", env, good, nil, 50 * time.Millisecond, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			q := &fakeQueue{}
			n := New(q, tt.opener, nil, nil)
			if tt.timeout > 0 {
				n.Timeout = tt.timeout
			}
			d := enqueueOne(t, n, q, tt.hook)
			if tt.raw != nil {
				d.Body = tt.raw
			}
			err := n.Handle(context.Background(), d)
			if err == nil {
				t.Fatal("Handle succeeded, want an error")
			}
			if queue.IsPermanent(err) != tt.permanent {
				t.Errorf("Handle = %v: permanent %v, want %v", err, queue.IsPermanent(err), tt.permanent)
			}
			if (hits.Load() > 0) != tt.posted {
				t.Errorf("%d requests, want posted=%v", hits.Load(), tt.posted)
			}
		})
	}
}

func TestHandleUnsigned(t *testing.T) {
	got := make(chan received, 1)
	srv := httptest.NewServer(recorder(200, got))
	defer srv.Close()
	q := &fakeQueue{}
	n := New(q, nil, nil, nil) // no opener needed without a secret
	hook := domain.Webhook{ID: "h", URL: srv.URL, Events: []string{TypeJobCompleted}}
	if err := n.Handle(context.Background(), enqueueOne(t, n, q, hook)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if h := (<-got).header.Get(SignatureHeader); h != "" {
		t.Errorf("signature %q sent without a secret", h)
	}
}

func TestHandleTLS(t *testing.T) {
	env := secrets.NewEnvelope(fixedKeys{})
	got := make(chan received, 1)
	srv := httptest.NewTLSServer(recorder(200, got))
	defer srv.Close()
	tests := []struct {
		name    string
		verify  bool
		client  *http.Client
		wantErr bool
	}{
		{"verify, untrusted certificate", true, nil, true},
		{"no verify", false, nil, false},
		{"verify, trusted certificate", true, srv.Client(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeQueue{}
			n := New(q, env, tt.client, nil)
			hook := newHook(t, env, "h", srv.URL, TypeJobCompleted)
			hook.VerifyTLS = tt.verify
			err := n.Handle(context.Background(), enqueueOne(t, n, q, hook))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Handle = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				<-got
			}
		})
	}
}
