package audit

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Request headers the middleware reads.
const (
	RequestIDHeader   = "X-Request-Id"
	ClientTraceHeader = "X-Client-Trace-Id"
)

// recordTimeout bounds recording after a request; it does not end with the request's context.
const recordTimeout = 5 * time.Second

// MiddlewareOption configures Middleware.
type MiddlewareOption func(*middleware)

// TrustProxy takes the client's IP address from the first X-Forwarded-For entry, for servers behind a proxy
// that sets it. Without it the header is ignored, as any client can forge it.
func TrustProxy() MiddlewareOption { return func(m *middleware) { m.trustProxy = true } }

// Enrich lets f complete each event (scope, organization, payload) before it is recorded.
func Enrich(f func(r *http.Request, ev *Event)) MiddlewareOption {
	return func(m *middleware) { m.enrich = f }
}

type middleware struct {
	l          *Log
	action     func(*http.Request) (string, Target, bool)
	actor      func(*http.Request) Actor
	trustProxy bool
	enrich     func(*http.Request, *Event)
}

// Middleware records an event for each mutating request (POST, PUT, PATCH, DELETE) after the handler ran:
// action names it (ok false: not audited), actor says who made it (nil: no actor). Both are called after the
// handler, so they may use r.PathValue and r.Pattern set by an inner ServeMux. Success is status < 400 (a
// panicking handler counts as a failure). The request id is the X-Request-Id header, or a generated one, then
// set on the request and the response. A recording failure is logged; it never fails the request.
func Middleware(l *Log, action func(r *http.Request) (action string, target Target, ok bool),
	actor func(r *http.Request) Actor, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	if l == nil || action == nil {
		panic("audit.Middleware: nil Log or action")
	}
	m := &middleware{l: l, action: action, actor: actor}
	for _, o := range opts {
		o(m)
	}
	return m.wrap
}

func (m *middleware) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			next.ServeHTTP(w, r)
			return
		}
		start := m.l.now()
		id := r.Header.Get(RequestIDHeader)
		if !validID(id) {
			id = newID()
			r.Header.Set(RequestIDHeader, id)
		}
		w.Header().Set(RequestIDHeader, id)
		rec := &statusRecorder{ResponseWriter: w}
		panicked := true
		defer func() {
			status := rec.status
			if panicked {
				status = http.StatusInternalServerError
			}
			m.record(r, id, start, status)
		}()
		next.ServeHTTP(rec, r)
		panicked = false
	})
}

func (m *middleware) record(r *http.Request, requestID string, start time.Time, status int) {
	action, target, ok := m.action(r)
	if !ok {
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	ev := Event{
		ID:         newID(),
		Action:     action,
		Target:     target,
		OccurredAt: start,
		Metadata: map[string]string{
			"http_method": r.Method,
			"http_path":   r.URL.Path,
			"http_status": strconv.Itoa(status),
		},
		Success: status < 400,
		Request: Request{ID: requestID, IPAddress: m.clientIP(r), ClientTraceID: r.Header.Get(ClientTraceHeader)},
	}
	if m.actor != nil {
		ev.Actor = m.actor(r)
	}
	if m.enrich != nil {
		m.enrich(r, &ev)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), recordTimeout)
	defer cancel()
	if err := m.l.Record(ctx, ev); err != nil {
		m.l.log.ErrorContext(ctx, "audit event not recorded", "action", action, "request_id", requestID, "err", err)
	}
}

func (m *middleware) clientIP(r *http.Request) string {
	if m.trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil {
				return a.Unmap().String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusRecorder remembers the response status.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 { // 1xx are informational
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the recorder.
func (s *statusRecorder) Flush() {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	http.NewResponseController(s.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
