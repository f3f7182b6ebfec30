package audit

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob/memblob"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// routes is an API as a ServeMux inside the middleware: action uses the pattern and path values it sets.
func routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /contexts", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("DELETE /contexts/{id}", func(w http.ResponseWriter, r *http.Request) {}) // implicit 200
	mux.HandleFunc("PUT /contexts/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	})
	mux.HandleFunc("PATCH /contexts/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /contexts", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("POST /ping", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("POST /panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	return mux
}

func action(r *http.Request) (string, Target, bool) {
	switch r.Pattern {
	case "POST /contexts":
		return "context.create", Target{Type: "context"}, true
	case "DELETE /contexts/{id}":
		return "context.delete", Target{ID: r.PathValue("id"), Type: "context"}, true
	case "PUT /contexts/{id}", "PATCH /contexts/{id}":
		return "context.update", Target{ID: r.PathValue("id"), Type: "context"}, true
	case "GET /contexts":
		return "context.list", Target{}, true // never asked: GET is not audited
	case "POST /panic":
		return "panic", Target{}, true
	}
	return "", Target{}, false
}

func actor(r *http.Request) Actor { return Actor{ID: "u1", Type: "user", Name: r.Header.Get("X-User")} }

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		path    string
		header  map[string]string
		remote  string
		opts    []MiddlewareOption
		want    *Event // nil: nothing recorded
		wantRID string // "" : generated
	}{
		{name: "create", method: "POST", path: "/contexts", header: map[string]string{"X-User": "alice",
			"X-Request-Id": "req-1", "X-Client-Trace-Id": "trace-9"},
			want: &Event{Action: "context.create", Actor: Actor{ID: "u1", Type: "user", Name: "alice"},
				Target: Target{Type: "context"}, Success: true,
				Metadata: map[string]string{"http_method": "POST", "http_path": "/contexts", "http_status": "201"},
				Request:  Request{ID: "req-1", IPAddress: "192.0.2.1", ClientTraceID: "trace-9"}},
			wantRID: "req-1"},
		{name: "delete with implicit 200", method: "DELETE", path: "/contexts/c7",
			want: &Event{Action: "context.delete", Actor: Actor{ID: "u1", Type: "user"},
				Target: Target{ID: "c7", Type: "context"}, Success: true,
				Metadata: map[string]string{"http_method": "DELETE", "http_path": "/contexts/c7", "http_status": "200"},
				Request:  Request{IPAddress: "192.0.2.1"}}},
		{name: "forbidden", method: "PUT", path: "/contexts/c7",
			want: &Event{Action: "context.update", Actor: Actor{ID: "u1", Type: "user"},
				Target: Target{ID: "c7", Type: "context"}, Success: false,
				Metadata: map[string]string{"http_method": "PUT", "http_path": "/contexts/c7", "http_status": "403"},
				Request:  Request{IPAddress: "192.0.2.1"}}},
		{name: "patch writing a body", method: "PATCH", path: "/contexts/c7",
			want: &Event{Action: "context.update", Actor: Actor{ID: "u1", Type: "user"},
				Target: Target{ID: "c7", Type: "context"}, Success: true,
				Metadata: map[string]string{"http_method": "PATCH", "http_path": "/contexts/c7", "http_status": "200"},
				Request:  Request{IPAddress: "192.0.2.1"}}},
		{name: "unrouted", method: "POST", path: "/nowhere"}, // action says not audited
		{name: "malformed request id replaced", method: "DELETE", path: "/contexts/c7",
			header: map[string]string{"X-Request-Id": "has spaces/and slash"},
			want: &Event{Action: "context.delete", Actor: Actor{ID: "u1", Type: "user"},
				Target: Target{ID: "c7", Type: "context"}, Success: true,
				Metadata: map[string]string{"http_method": "DELETE", "http_path": "/contexts/c7", "http_status": "200"},
				Request:  Request{IPAddress: "192.0.2.1"}}},
		{name: "GET not audited", method: "GET", path: "/contexts"},
		{name: "action declines", method: "POST", path: "/ping"},
		{name: "forwarded for ignored", method: "DELETE", path: "/contexts/c7", remote: "[2001:db8::1]:443",
			header: map[string]string{"X-Forwarded-For": "203.0.113.9"},
			want: &Event{Action: "context.delete", Actor: Actor{ID: "u1", Type: "user"},
				Target: Target{ID: "c7", Type: "context"}, Success: true,
				Metadata: map[string]string{"http_method": "DELETE", "http_path": "/contexts/c7", "http_status": "200"},
				Request:  Request{IPAddress: "2001:db8::1"}}},
		{name: "forwarded for trusted", method: "DELETE", path: "/contexts/c7", opts: []MiddlewareOption{TrustProxy()},
			header: map[string]string{"X-Forwarded-For": " 203.0.113.9 , 10.0.0.1"},
			want: &Event{Action: "context.delete", Actor: Actor{ID: "u1", Type: "user"},
				Target: Target{ID: "c7", Type: "context"}, Success: true,
				Metadata: map[string]string{"http_method": "DELETE", "http_path": "/contexts/c7", "http_status": "200"},
				Request:  Request{IPAddress: "203.0.113.9"}}},
		{name: "bad forwarded for", method: "DELETE", path: "/contexts/c7", opts: []MiddlewareOption{TrustProxy()},
			header: map[string]string{"X-Forwarded-For": "unknown"},
			want: &Event{Action: "context.delete", Actor: Actor{ID: "u1", Type: "user"},
				Target: Target{ID: "c7", Type: "context"}, Success: true,
				Metadata: map[string]string{"http_method": "DELETE", "http_path": "/contexts/c7", "http_status": "200"},
				Request:  Request{IPAddress: "192.0.2.1"}}},
		{name: "enriched", method: "DELETE", path: "/contexts/c7", opts: []MiddlewareOption{Enrich(
			func(r *http.Request, ev *Event) {
				ev.Scope = Scope{ID: "o1", Type: "organization"}
				ev.Payload = map[string]any{"token": "t"}
			})},
			want: &Event{Action: "context.delete", Actor: Actor{ID: "u1", Type: "user"},
				Target: Target{ID: "c7", Type: "context"}, Success: true, Scope: Scope{ID: "o1", Type: "organization"},
				Payload:  map[string]any{"token": Redacted},
				Metadata: map[string]string{"http_method": "DELETE", "http_path": "/contexts/c7", "http_status": "200"},
				Request:  Request{IPAddress: "192.0.2.1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memblob.New()
			l := New(s, nil)
			h := Middleware(l, action, actor, tt.opts...)(routes())
			r := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.remote != "" {
				r.RemoteAddr = tt.remote
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			before := time.Now()
			h.ServeHTTP(w, r)
			got, err := l.List(context.Background(), before.Add(-time.Second), time.Now().Add(time.Second), 0)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if len(got) != 0 {
					t.Fatalf("recorded %+v, want nothing", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("recorded %d events, want 1", len(got))
			}
			ev := got[0]
			rid := w.Header().Get(RequestIDHeader)
			if tt.wantRID != "" && rid != tt.wantRID || rid == "" || ev.Request.ID != rid || !validID(rid) {
				t.Errorf("request id: response %q, event %q, want %q", rid, ev.Request.ID, tt.wantRID)
			}
			want := *tt.want
			want.Version = 1
			if want.Payload == nil {
				want.Payload = map[string]any{}
			}
			opts := cmp.Options{cmpopts.IgnoreFields(Event{}, "ID", "OccurredAt"),
				cmpopts.IgnoreFields(Request{}, "ID")}
			if diff := cmp.Diff(want, ev, opts); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			if ev.ID == "" || ev.OccurredAt.Before(before.Add(-time.Millisecond)) {
				t.Errorf("id %q, occurred_at %v", ev.ID, ev.OccurredAt)
			}
		})
	}
}

func TestMiddlewarePanic(t *testing.T) {
	l := New(memblob.New(), nil)
	h := Middleware(l, action, actor)(routes())
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/panic", nil))
	}()
	got, err := l.List(context.Background(), time.Now().Add(-time.Minute), time.Now().Add(time.Second), 0)
	if err != nil || len(got) != 1 || got[0].Success || got[0].Metadata["http_status"] != "500" {
		t.Errorf("List = %+v, %v; want one failed event", got, err)
	}
}

func TestMiddlewareRecordFailure(t *testing.T) {
	var logs bytes.Buffer
	l := New(failingStore{memblob.New()}, slog.New(slog.NewTextHandler(&logs, nil)))
	h := Middleware(l, action, actor)(routes())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/contexts", nil))
	if w.Code != http.StatusCreated {
		t.Errorf("status %d, want 201: recording must not fail the request", w.Code)
	}
	if !strings.Contains(logs.String(), "audit event not recorded") || !strings.Contains(logs.String(), "disk full") {
		t.Errorf("failure not logged: %s", logs.String())
	}
}

func TestStatusRecorderFlush(t *testing.T) {
	w := httptest.NewRecorder()
	rec := &statusRecorder{ResponseWriter: w}
	if err := http.NewResponseController(rec).Flush(); err != nil {
		t.Fatalf("Flush through the recorder: %v", err)
	}
	if !w.Flushed || rec.status != http.StatusOK {
		t.Errorf("flushed %v, status %d", w.Flushed, rec.status)
	}
}
