package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/intake"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Error is an error with the HTTP status it answers with.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(status int, format string, args ...any) error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to its HTTP status: the API's own errors, then the services' sentinels.
func statusOf(err error) (int, string) {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Status, e.Message
	case errors.Is(err, repo.ErrNotFound):
		return http.StatusNotFound, "Not found: " + err.Error()
	case errors.Is(err, conductor.ErrState), errors.Is(err, intake.ErrState), errors.Is(err, store.ErrConflict):
		return http.StatusConflict, err.Error()
	case errors.Is(err, conductor.ErrInvalid), errors.Is(err, intake.ErrInvalid), errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	}
	return http.StatusInternalServerError, "Internal error; it was logged."
}

func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	st, msg := statusOf(err)
	if st == http.StatusInternalServerError {
		log.Error("request failed", "err", err)
	}
	writeJSON(w, st, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decode reads a JSON body of at most max bytes into v: 413 when larger, 400 when malformed. An empty body
// leaves v as it is.
func decode(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errorf(http.StatusRequestEntityTooLarge, "Request body exceeds %d bytes.", max)
	}
	if err != nil {
		return errorf(http.StatusBadRequest, "Cannot read the request body: %v", err)
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(http.StatusBadRequest, "Malformed JSON body: %v", err)
	}
	return nil
}

// Paging: lists answer {items, next_page_token} and take ?page-token=.

// page is a list response.
type page[T any] struct {
	Items         []T     `json:"items"`
	NextPageToken *string `json:"next_page_token"`
}

func newPage[T any](items []T, next string) page[T] {
	if items == nil {
		items = []T{}
	}
	p := page[T]{Items: items}
	if next != "" {
		t := base64.RawURLEncoding.EncodeToString([]byte(next))
		p.NextPageToken = &t
	}
	return p
}

// pageQuery reads ?page-token= (and an optional ?limit=, default 20, at most 100) into a store query.
func pageQuery(r *http.Request, desc bool) (store.Query, error) {
	q := store.Query{Desc: desc, Limit: 20}
	if t := r.URL.Query().Get("page-token"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil {
			return q, errorf(http.StatusBadRequest, "Invalid page-token.")
		}
		q.After = string(b)
	}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return q, errorf(http.StatusBadRequest, "limit must be 1 to 100.")
		}
		q.Limit = n
	}
	return q, nil
}

// listPage answers a paged listing of partition pk (ascending), each item shown through view.
func listPage[T, V any](w http.ResponseWriter, r *http.Request, rp *repo.Repo, pk string, view func(T) V) error {
	q, err := pageQuery(r, false)
	if err != nil {
		return err
	}
	recs, next, err := repo.List[T](r.Context(), rp, pk, q)
	if err != nil {
		return err
	}
	items := make([]V, 0, len(recs))
	for _, rec := range recs {
		items = append(items, view(rec.V))
	}
	writeJSON(w, http.StatusOK, newPage(items, next))
	return nil
}
