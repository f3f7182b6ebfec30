package taskapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits of what Handler accepts in one request.
const (
	MaxOutputChunk = 8 << 20 // bytes of output per PUT
	maxJSONBody    = 1 << 20
)

// TimeHeader carries the time the first byte of an output chunk was produced (RFC 3339, nanoseconds).
const TimeHeader = "Caravan-Output-Time"

// Handler serves the protocol for a Backend. Mount it at PathPrefix; it strips the prefix itself.
func Handler(b Backend, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{b: b, log: log}
	mux := http.NewServeMux()
	p := PathPrefix + "/tasks/{id}"
	mux.HandleFunc("POST "+p+"/claim", h.claim)
	mux.HandleFunc("POST "+p+"/steps", h.step)
	mux.HandleFunc("PUT "+p+"/steps/{n}/output", h.output)
	mux.HandleFunc("POST "+p+"/blobs", h.blob)
	mux.HandleFunc("GET "+p+"/timings", query(h, func(ctx context.Context, id string, q url.Values) (*Timings, error) {
		return b.Timings(ctx, id, q.Get("by"))
	}))
	mux.HandleFunc("GET "+p+"/failed-tests", query(h, func(ctx context.Context, id string, _ url.Values) (*FailedTests, error) {
		return b.FailedTests(ctx, id)
	}))
	mux.HandleFunc("POST "+p+"/heartbeat", query(h, func(ctx context.Context, id string, _ url.Values) (*HeartbeatResponse, error) {
		return b.Heartbeat(ctx, id)
	}))
	mux.HandleFunc("POST "+p+"/complete", h.complete)
	return mux
}

type handler struct {
	b   Backend
	log *slog.Logger
}

// auth checks the bearer token against the task id in the path.
func (h *handler) auth(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		h.fail(w, r, fmt.Errorf("missing bearer token: %w", ErrUnauthorized))
		return "", false
	}
	got, err := h.b.Authenticate(r.Context(), tok)
	if err != nil {
		h.fail(w, r, err)
		return "", false
	}
	if got != id {
		h.fail(w, r, fmt.Errorf("token is for another task: %w", ErrUnauthorized))
		return "", false
	}
	return id, true
}

func (h *handler) claim(w http.ResponseWriter, r *http.Request) {
	id, ok := h.auth(w, r)
	var req ClaimRequest
	if !ok || !h.decode(w, r, &req) {
		return
	}
	if req.RunnerID == "" {
		h.fail(w, r, fmt.Errorf("runner_id is required: %w", ErrInvalid))
		return
	}
	t, err := h.b.Claim(r.Context(), id, req)
	h.reply(w, r, t, err)
}

func (h *handler) step(w http.ResponseWriter, r *http.Request) {
	id, ok := h.auth(w, r)
	var ev StepEvent
	if !ok || !h.decode(w, r, &ev) {
		return
	}
	if ev.Phase != PhaseStart && ev.Phase != PhaseEnd || ev.Index < 0 {
		h.fail(w, r, fmt.Errorf("step event needs phase start or end and an index ≥ 0: %w", ErrInvalid))
		return
	}
	h.reply(w, r, nil, h.b.StepEvent(r.Context(), id, ev))
}

func (h *handler) output(w http.ResponseWriter, r *http.Request) {
	id, ok := h.auth(w, r)
	if !ok {
		return
	}
	n, err1 := strconv.Atoi(r.PathValue("n"))
	off, err2 := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	at, err3 := time.Parse(time.RFC3339Nano, r.Header.Get(TimeHeader))
	if err := errors.Join(err1, err2, err3); err != nil || n < 0 || off < 0 {
		h.fail(w, r, fmt.Errorf("output needs a step number, ?offset= and a %s header: %w", TimeHeader, ErrInvalid))
		return
	}
	if r.ContentLength > MaxOutputChunk {
		h.fail(w, r, fmt.Errorf("output chunk of %d bytes exceeds %d: %w", r.ContentLength, MaxOutputChunk, ErrTooLarge))
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxOutputChunk+1))
	if err != nil {
		h.fail(w, r, fmt.Errorf("read output chunk: %w", err))
		return
	}
	if len(data) > MaxOutputChunk {
		h.fail(w, r, fmt.Errorf("output chunk exceeds %d bytes: %w", MaxOutputChunk, ErrTooLarge))
		return
	}
	h.reply(w, r, nil, h.b.AppendOutput(r.Context(), id, n, off, at, data))
}

func (h *handler) blob(w http.ResponseWriter, r *http.Request) {
	id, ok := h.auth(w, r)
	var req BlobRequest
	if !ok || !h.decode(w, r, &req) {
		return
	}
	res, err := h.b.Blob(r.Context(), id, req)
	h.reply(w, r, res, err)
}

// query serves a call that needs only the task id and the request's query.
func query[T any](h *handler, call func(ctx context.Context, id string, q url.Values) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if id, ok := h.auth(w, r); ok {
			res, err := call(r.Context(), id, r.URL.Query())
			h.reply(w, r, res, err)
		}
	}
}

func (h *handler) complete(w http.ResponseWriter, r *http.Request) {
	id, ok := h.auth(w, r)
	var c Completion
	if !ok || !h.decode(w, r, &c) {
		return
	}
	switch c.Status {
	case StatusSuccess, StatusFailed, StatusCanceled, StatusTimedOut, StatusInfrastructureFail:
	default:
		h.fail(w, r, fmt.Errorf("unknown completion status %q: %w", c.Status, ErrInvalid))
		return
	}
	h.reply(w, r, nil, h.b.Complete(r.Context(), id, c))
}

func (h *handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, r, fmt.Errorf("request body exceeds %d bytes: %w", maxJSONBody, ErrTooLarge))
		} else {
			h.fail(w, r, fmt.Errorf("decode request body: %v: %w", err, ErrInvalid))
		}
		return false
	}
	return true
}

func (h *handler) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if v == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// statusOf maps a sentinel to its HTTP status.
func statusOf(err error) int {
	for _, m := range statusMap {
		if errors.Is(err, m.err) {
			return m.code
		}
	}
	return http.StatusInternalServerError
}

var statusMap = []struct {
	err  error
	code int
}{
	{ErrInvalid, http.StatusBadRequest},
	{ErrUnauthorized, http.StatusUnauthorized},
	{ErrNotFound, http.StatusNotFound},
	{ErrConflict, http.StatusConflict},
	{ErrGone, http.StatusGone},
	{ErrTooLarge, http.StatusRequestEntityTooLarge},
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	msg := err.Error()
	if code == http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "runner api call failed", "path", r.URL.Path, "err", err)
		msg = "internal error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
